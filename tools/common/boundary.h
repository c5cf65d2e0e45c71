// The boundary check of the tree, written once: what a file may use of a box it does not belong to.
// Used by the test that holds the real tree to it (tests/tools/boundary_test.cc) and by `hakmem review
// graph` (the reach of each inspection header).
//
// The rules (a violation is reported as "file:line: rule: detail"):
//   detail   a file of box X (alloc/X/...) names another box's Y_detail namespace;
//   include  a file of box X includes a header of box Y other than Y's boundary header "Y/Y.h";
//   call     a file of box X calls a function declared in box Y's headers that is not in Y's
//            boundary list (alloc/registry/boxes.def);
//   list     Y's boundary header declares a function (namespace scope, outside *_detail, inline or
//            not) missing from Y's boundary list, or the list names a function the boundary header
//            (with the public headers include/hakmem/ it includes) does not declare;
//   outside  a file outside alloc/ (invariants/ tests/ fuzz/ bench/ review/ tools/; directories named
//            "fixtures" are data) includes a header of box Y other than Y/Y.h and Y's declared
//            inspection header, or names Y_detail::n where n is not declared in Y's inspection header;
//   inspect  an alloc/Y/inspect.h the registry does not declare, or a declared one that is missing.
// Types and constants are not counted: only functions are. Names without a lower-case letter are
// macros, not functions.
#pragma once

#include <string>
#include <vector>

namespace hm_tools {

struct BoundaryBox {
  std::string name;
  std::vector<std::string> boundary;  // the boundary list
  std::string inspect;                // declared inspection header (tree-relative), or empty
};

// The boxes of the registry linked into this program (boxes.def and inspect.def), in registry order.
std::vector<BoundaryBox> registry_boundary_boxes();

struct Violation {
  std::string file;  // tree-relative
  int line = 0;
  std::string rule;  // detail include call list outside inspect
  std::string detail;
  std::string from;  // the box of the file ("" outside alloc/)
  std::string to;    // the box whose boundary is crossed
};
std::string to_string(const Violation& v);  // "file:line: rule: detail"

struct InspectReach {
  std::string box, header;
  std::vector<std::string> files;  // files outside alloc/ that include it
};

struct BoundaryCheck {
  bool scanned = false;  // alloc/ exists
  std::vector<Violation> violations;
  std::vector<InspectReach> reach;  // one per box with a declared inspection header
};

BoundaryCheck check_boundaries(const std::string& tree, const std::vector<BoundaryBox>& boxes);

// The light tokenizer, exposed for tests: comments, string and character literals and preprocessor
// lines are dropped; quoted #include targets are kept apart.
struct Token {
  std::string text;
  int line = 0;
};
struct Include {
  std::string path;
  int line = 0;
};
struct Tokens {
  std::vector<Token> tokens;
  std::vector<Include> includes;
};
Tokens tokenize(const std::string& src);

// Functions declared at namespace scope: `name(` opening a declaration (not after `=`, not inside
// parentheses, brackets or a class/function body, not qualified by `::`).
struct FunctionDecl {
  std::string name;
  int line = 0;
  bool detail = false;  // inside a namespace whose name ends in "_detail"
};
std::vector<FunctionDecl> namespace_functions(const std::vector<Token>& tokens);

}  // namespace hm_tools

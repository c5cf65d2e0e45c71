// Shared by the hakmem-review commands: parsed arguments and the helpers every command uses.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model.h"

namespace hm::review {

struct Args {
  std::string cmd;
  std::vector<std::string> positional;
  std::map<std::string, std::string> opt;
  bool flag(const std::string& k) const { return opt.count(k) > 0; }
  std::string get(const std::string& k, const std::string& def = "") const {
    auto it = opt.find(k);
    return it == opt.end() ? def : it->second;
  }
};

// Parses argv against the command's spec; unknown commands and options are errors (exit 2).

std::string capture(const std::string& cmd);  // a shell command's stdout, trailing newlines dropped
// --repo, else the git top level of the current directory; throws outside a git repository.
std::string repo_root(const Args& a);
bool inside(const std::string& path, const std::string& repo);
// Repo-relative form of a path inside the repo, else its file name (outputs never show absolute paths).
std::string display(const std::string& path, const std::string& repo);
Registry load_registry(const Args& a, const std::string& repo);
std::vector<std::string> profiles(const Args& a, const std::string& repo);
Policy load_policy_of(const Args& a, const std::string& repo);

// The loop commands (cli_loop.cc).
int cmd_record(const Args& a);
int cmd_compare(const Args& a);
int cmd_status(const Args& a);

}  // namespace hm::review

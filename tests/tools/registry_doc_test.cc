// docs/boxes.md and alloc/README.md must carry the registry as it is compiled: regenerate with
//   (header lines) + build/release/bin/hakmem registry --markdown   (docs/boxes.md)
//   (header lines) + build/release/bin/hakmem registry --layers     (alloc/README.md)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "registry/registry.h"

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(RegistryDoc, BoxesMarkdownIsCurrent) {
  ASSERT_TRUE(std::filesystem::exists(HAKMEM_SOURCE_DIR "/docs/boxes.md")) << "docs/boxes.md is missing";
  EXPECT_NE(slurp(HAKMEM_SOURCE_DIR "/docs/boxes.md").find(hm::registry::markdown()), std::string::npos)
      << "docs/boxes.md is stale: regenerate it from `hakmem registry --markdown`";
}

TEST(RegistryDoc, AllocReadmeLayerTableIsCurrent) {
  ASSERT_TRUE(std::filesystem::exists(HAKMEM_SOURCE_DIR "/alloc/README.md")) << "alloc/README.md is missing";
  EXPECT_NE(slurp(HAKMEM_SOURCE_DIR "/alloc/README.md").find(hm::registry::layers_markdown()), std::string::npos)
      << "alloc/README.md's layer table is stale: regenerate it from `hakmem registry --layers`";
}

// registry/events.def and the code agree: every declared event is raised by an HM_CHECK_HOOK in
// alloc/, and every hook raises a declared event (the enum would not compile otherwise, but a
// declared event no hook raises would go unseen).
TEST(RegistryDoc, EveryDeclaredEventIsRaised) {
  std::set<std::string> raised;
  std::regex hook(R"(HM_CHECK_HOOK\((\w+),)");
  for (const auto& f : std::filesystem::recursive_directory_iterator(HAKMEM_SOURCE_DIR "/alloc")) {
    if (!f.is_regular_file() || (f.path().extension() != ".cc" && f.path().extension() != ".h")) continue;
    std::string text = slurp(f.path());
    for (std::sregex_iterator it(text.begin(), text.end(), hook), end; it != end; ++it) raised.insert((*it)[1]);
  }
  raised.erase("ev");  // the macro's own definition
  std::set<std::string> declared;
  for (const auto& e : hm::registry::kEvents) declared.insert(std::string(e.name));
  EXPECT_EQ(raised, declared);
}

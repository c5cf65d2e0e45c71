// docs/boxes.md and alloc/README.md must carry the registry as it is compiled: regenerate with
//   (header lines) + build/release/bin/hakmem registry --markdown   (docs/boxes.md)
//   (header lines) + build/release/bin/hakmem registry --layers     (alloc/README.md)
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "registry/registry.h"

TEST(RegistryDoc, BoxesMarkdownIsCurrent) {
  std::ifstream f(HAKMEM_SOURCE_DIR "/docs/boxes.md");
  ASSERT_TRUE(f) << "docs/boxes.md is missing";
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_NE(ss.str().find(hm::registry::markdown()), std::string::npos)
      << "docs/boxes.md is stale: regenerate it from `hakmem registry --markdown`";
}

TEST(RegistryDoc, AllocReadmeLayerTableIsCurrent) {
  std::ifstream f(HAKMEM_SOURCE_DIR "/alloc/README.md");
  ASSERT_TRUE(f) << "alloc/README.md is missing";
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_NE(ss.str().find(hm::registry::layers_markdown()), std::string::npos)
      << "alloc/README.md's layer table is stale: regenerate it from `hakmem registry --layers`";
}

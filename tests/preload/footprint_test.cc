// What loading libhakmem.so costs a program before its first allocation: its zero-initialised
// sections stay small (no table sized for the whole address space; RLIMIT_AS runs in
// address_limit_test.cc), and it needs libc alone, no C++ runtime, so a C program that preloads
// it maps no libstdc++, libm or libgcc_s (about 1.5 MB of resident pages and their start-up).
// HAKMEM_PRELOAD_LIB is a compile definition (tests/preload/CMakeLists.txt).
#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "subprocess.h"

namespace {

// The section headers of a 64-bit ELF file, or none when it is not one.
struct Elf {
  std::vector<char> bytes;
  std::vector<Elf64_Shdr> sections;
  explicit Elf(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (bytes.size() < sizeof(Elf64_Ehdr) || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0 ||
        bytes[EI_CLASS] != ELFCLASS64)
      return;
    Elf64_Ehdr eh;
    std::memcpy(&eh, bytes.data(), sizeof eh);
    if (eh.e_shoff + size_t{eh.e_shnum} * sizeof(Elf64_Shdr) > bytes.size()) return;
    sections.resize(eh.e_shnum);
    std::memcpy(sections.data(), bytes.data() + eh.e_shoff, sections.size() * sizeof(Elf64_Shdr));
    shstrndx = eh.e_shstrndx;
  }
  const char* name(const Elf64_Shdr& s) const {
    return shstrndx < sections.size() ? bytes.data() + sections[shstrndx].sh_offset + s.sh_name : "?";
  }
  size_t shstrndx = 0;
};

TEST(Footprint, DropInBssIsUnderOneMiB) {
  Elf elf(HAKMEM_PRELOAD_LIB);
  ASSERT_FALSE(elf.sections.empty()) << "cannot read the section headers of " << HAKMEM_PRELOAD_LIB;
  size_t total = 0;
  std::string listing;
  for (const auto& s : elf.sections) {
    if (s.sh_type != SHT_NOBITS || !(s.sh_flags & SHF_ALLOC)) continue;
    total += s.sh_size;
    listing += std::string(elf.name(s)) + " " + std::to_string(s.sh_size) + "\n";
  }
  EXPECT_LT(total, size_t{1} << 20) << "zero-initialised sections of libhakmem.so:\n"
                                    << listing << "(nm -S --size-sort shows the largest objects)";
}

// DT_NEEDED: the libraries the dynamic loader maps with libhakmem.so.
TEST(Footprint, DropInNeedsLibcAlone) {
  Elf elf(HAKMEM_PRELOAD_LIB);
  ASSERT_FALSE(elf.sections.empty()) << "cannot read the section headers of " << HAKMEM_PRELOAD_LIB;
  std::vector<std::string> needed;
  for (const auto& s : elf.sections) {
    if (s.sh_type != SHT_DYNAMIC || s.sh_link >= elf.sections.size()) continue;
    const char* strtab = elf.bytes.data() + elf.sections[s.sh_link].sh_offset;
    for (size_t at = s.sh_offset; at + sizeof(Elf64_Dyn) <= s.sh_offset + s.sh_size; at += sizeof(Elf64_Dyn)) {
      Elf64_Dyn d;
      std::memcpy(&d, elf.bytes.data() + at, sizeof d);
      if (d.d_tag == DT_NULL) break;
      if (d.d_tag == DT_NEEDED) needed.emplace_back(strtab + d.d_un.d_val);
    }
  }
  EXPECT_EQ(needed, std::vector<std::string>{"libc.so.6"}) << "readelf -d shows the NEEDED entries";
}

// A C program with the drop-in preloaded maps libhakmem.so and no C++ runtime.
TEST(Footprint, CProgramMapsNoCxxRuntime) {
  std::string cat = hakmem_test::FindInPath("cat");
  ASSERT_FALSE(cat.empty()) << "cat is not installed";
  std::vector<std::string> env = hakmem_test::CleanEnv();
  hakmem_test::SetEnv(env, "LD_PRELOAD", HAKMEM_PRELOAD_LIB);
  hakmem_test::RunResult r = hakmem_test::Run({cat, "/proc/self/maps"}, env, "");
  ASSERT_TRUE(r.Ok()) << r.Describe();
  EXPECT_NE(r.out.find("libhakmem"), std::string::npos) << r.out;
  for (const char* lib : {"libstdc++", "libm.so", "libgcc_s"}) EXPECT_EQ(r.out.find(lib), std::string::npos) << lib << "\n" << r.out;
}

}  // namespace

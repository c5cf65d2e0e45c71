// Facts about this build, passed from CMake as compile definitions
// (bench/CMakeLists.txt): the source tree (for git and the default ledger and
// results paths), the build preset and the library directory holding the
// drop-in libhakmem.so (and the programs' libhmb-classes.so).
#pragma once

#include <string>

#ifndef HMB_SOURCE_DIR
#define HMB_SOURCE_DIR "."
#endif
#ifndef HMB_PRESET
#define HMB_PRESET "unknown"
#endif
#ifndef HMB_HAKMEM_SO
#define HMB_HAKMEM_SO "libhakmem.so"
#endif
#ifndef HMB_CLASSES_SO
#define HMB_CLASSES_SO "libhmb-classes.so"
#endif

namespace hmb {

inline std::string source_dir() { return HMB_SOURCE_DIR; }
inline std::string build_preset() { return HMB_PRESET; }
inline std::string default_ledger() { return source_dir() + "/bench/ledger/ledger.jsonl"; }
inline std::string default_results_dir() { return source_dir() + "/bench/results"; }
inline std::string default_hakmem_so() { return HMB_HAKMEM_SO; }
// glibc with hakmem's size classes (bench/programs/classes_shim.cc).
inline std::string default_classes_so() { return HMB_CLASSES_SO; }
inline constexpr const char* kMimallocSo = "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2";
inline constexpr const char* kTcmallocSo = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4";
inline constexpr const char* kJemallocSo = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";

}  // namespace hmb

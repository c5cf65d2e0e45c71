// Registry coverage: every boundary function of every box in alloc/registry/boxes.def has a
// property test (tests/property/<box>_property_test.cc) and a fuzz harness
// (fuzz/<box>_fuzz.cc with a seed corpus in fuzz/corpus/<box>_fuzz/) that call it.
//
// The table below maps each registry function to the call the tests must contain. A registry
// function missing from the table, a table row naming no registry function, a missing file, or
// a file that never calls the function fails -- so a new boundary function in boxes.def fails
// this test until its property test and harness exercise it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "registry/registry.h"

namespace {

namespace fs = std::filesystem;

struct Row {
  const char* box;
  const char* function;  // as in boxes.def
  const char* symbol;    // the call the property test and the harness must contain
};

constexpr Row kCoverage[] = {
    {"report", "report_misuse", "report_misuse("},
    {"report", "report_violation", "report_violation("},
    {"report", "report_fatal", "report_fatal("},
    {"report", "set_json_path", "set_json_path("},
    {"report", "log_once", "log_once("},
    {"report", "check_hook", "check_hook("},
    {"config", "config", "config()"},
    {"config", "config_init", "config_init("},
    {"config", "gate_value", "gate_value("},
    {"os", "os_map", "os_map("},
    {"os", "os_map_aligned", "os_map_aligned("},
    {"os", "os_remap", "os_remap("},
    {"os", "os_extend", "os_extend("},
    {"os", "os_unmap", "os_unmap("},
    {"os", "os_purge", "os_purge("},
    {"os", "os_page_size", "os_page_size("},
    {"os", "os_now_ms", "os_now_ms("},
    {"os", "os_counters", "os_counters()"},
    {"sizeclass", "size_to_class", "size_to_class("},
    {"sizeclass", "class_to_size", "class_to_size("},
    {"sizeclass", "class_slices", "class_slices("},
    {"sizeclass", "aligned_class", "aligned_class("},
    {"sizeclass", "sizeclass_init", "sizeclass_init("},
    {"sizeclass", "class_count", "class_count()"},
    {"pagemap", "pagemap_reserve", "pagemap_reserve("},
    {"pagemap", "pagemap_set", "pagemap_set("},
    {"pagemap", "pagemap_kind", "pagemap_kind("},
    {"pagemap", "pagemap_lock_all", "pagemap_lock_all()"},
    {"pagemap", "pagemap_unlock_all", "pagemap_unlock_all()"},
    {"segment", "segment_page_alloc", "segment_page_alloc("},
    {"segment", "segment_page_free", "segment_page_free("},
    {"segment", "segment_trim", "segment_trim("},
    {"segment", "segment_purge_idle", "segment_purge_idle("},
    {"segment", "span_meta_of", "span_meta_of("},
    {"segment", "slice_entry_any", "slice_entry_any("},
    {"segment", "no_span", "no_span()"},
    {"segment", "segment_of", "segment_of("},
    {"segment", "segment_counters", "segment_counters()"},
    {"segment", "segment_lock_all", "segment_lock_all()"},
    {"segment", "segment_unlock_all", "segment_unlock_all()"},
    {"page", "page_new", "page_new("},
    {"page", "page_delete", "page_delete("},
    {"page", "page_color", "page_color("},
    {"page", "page_take", "page_take("},
    {"page", "page_put", "page_put("},
    {"page", "page_put_chain", "page_put_chain("},
    {"page", "page_block_index", "page_block_index("},
    {"page", "page_of", "page_of("},
    {"page", "page_is_block", "page_is_block("},
    {"page", "page_has_free", "page_has_free("},
    {"page", "page_check_listed", "page_check_listed("},
    {"page", "page_stale_block", "page_stale_block("},
    {"page", "free_cookie", "free_cookie("},
    {"page", "page_cookie", "page_cookie("},
    {"page", "is_free_cookie", "is_free_cookie("},
    {"page", "page_secret_init", "page_secret_init("},
    {"page", "poison_free_block", "poison_free_block("},
    {"page", "unpoison_small_block", "unpoison_small_block("},
    {"page", "unpoison_span", "unpoison_span("},
    {"large", "large_alloc", "large_alloc("},
    {"large", "large_calloc", "large_calloc("},
    {"large", "large_free", "large_free("},
    {"large", "large_usable", "large_usable("},
    {"large", "large_lookup", "large_lookup("},
    {"large", "large_cache_trim", "large_cache_trim("},
    {"large", "large_guard_word", "large_guard_word("},
    {"large", "large_counters", "large_counters("},
    {"large", "large_cache_for_each", "large_cache_for_each("},
    {"large", "large_lock_all", "large_lock_all("},
    {"large", "large_unlock_all", "large_unlock_all("},
    {"large", "large_purge_idle", "large_purge_idle("},
    {"large", "large_realloc", "large_realloc("},
    {"remote", "remote_push", "remote_push("},
    {"remote", "remote_collect", "remote_collect("},
    {"transfer", "transfer_put", "transfer_put("},
    {"transfer", "transfer_take", "transfer_take("},
    {"transfer", "transfer_take_idle", "transfer_take_idle("},
    {"transfer", "transfer_bytes", "transfer_bytes()"},
    {"transfer", "transfer_visit", "transfer_visit("},
    {"transfer", "transfer_process_init", "transfer_process_init()"},
    {"heap", "heap_process_init", "heap_process_init("},
    {"heap", "heap_start", "heap_start("},
    {"heap", "heap_retire", "heap_retire("},
    {"heap", "heap_park_whole", "heap_park_whole("},
    {"heap", "heap_sort_pages", "heap_sort_pages("},
    {"heap", "heap_page_put", "heap_page_put("},
    {"heap", "heap_page_put_chain", "heap_page_put_chain("},
    {"heap", "heap_page_with_free", "heap_page_with_free("},
    {"heap", "heap_release_empty", "heap_release_empty("},
    {"heap", "heap_pool_cool", "heap_pool_cool("},
    {"heap", "heap_trim_abandoned", "heap_trim_abandoned("},
    {"heap", "heap_for_each", "heap_for_each("},
    {"heap", "heap_pool_for_each", "heap_pool_for_each("},
    {"heap", "heap_counters_total", "heap_counters_total("},
    {"heap", "abandoned_page_count", "abandoned_page_count("},
    {"tcache", "tcache_pop", "tcache_pop("},
    {"tcache", "tcache_pop_small", "tcache_pop_small("},
    {"tcache", "tcache_push", "tcache_push("},
    {"tcache", "tcache_refill", "tcache_refill("},
    {"tcache", "tcache_free_slow", "tcache_free_slow("},
    {"tcache", "tcache_flush_all", "tcache_flush_all("},
    {"tcache", "tcache_trim", "tcache_trim("},
    {"tcache", "tcache_exit_scan", "tcache_exit_scan("},
    {"tcache", "tcache_get", "tcache_get("},
    {"tcache", "tcache_heap", "tcache_heap("},
    {"tcache", "tcache_thread_exit", "tcache_thread_exit("},
    {"tcache", "tcache_process_init", "tcache_process_init("},
    {"stats", "stats_snapshot", "stats_snapshot("},
    {"stats", "stats_print", "stats_print("},
    {"stats", "stats_init", "stats_init("},
    {"front", "hm_malloc", "hm_malloc("},
    {"front", "hm_free", "hm_free("},
    {"front", "hm_calloc", "hm_calloc("},
    {"front", "hm_realloc", "hm_realloc("},
    {"front", "hm_reallocarray", "hm_reallocarray("},
    {"front", "hm_aligned_alloc", "hm_aligned_alloc("},
    {"front", "hm_posix_memalign", "hm_posix_memalign("},
    {"front", "hm_memalign", "hm_memalign("},
    {"front", "hm_valloc", "hm_valloc("},
    {"front", "hm_pvalloc", "hm_pvalloc("},
    {"front", "hm_malloc_usable_size", "hm_malloc_usable_size("},
    {"front", "hm_trim", "hm_trim("},
};

std::set<std::pair<std::string, std::string>> registry_functions() {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& box : hm::registry::kBoxes) {
    std::istringstream words{std::string(box.boundary)};
    std::string fn;
    while (words >> fn) out.emplace(std::string(box.name), fn);
  }
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const fs::path kRoot = HAKMEM_SOURCE_DIR;

TEST(RegistryCoverage, EveryBoundaryFunctionHasATableRow) {
  std::set<std::pair<std::string, std::string>> table;
  for (const Row& r : kCoverage) table.emplace(r.box, r.function);
  for (const auto& f : registry_functions())
    EXPECT_TRUE(table.count(f)) << "boundary function " << f.first << "::" << f.second
                                << " has no property test / harness row in registry_coverage_test.cc";
  for (const auto& r : table)
    EXPECT_TRUE(registry_functions().count(r)) << "table row " << r.first << "::" << r.second
                                               << " names no boundary function of the registry";
}

TEST(RegistryCoverage, EveryBoundaryFunctionHasAPropertyTest) {
  for (const Row& r : kCoverage) {
    fs::path p = kRoot / "tests/property" / (std::string(r.box) + "_property_test.cc");
    ASSERT_TRUE(fs::exists(p)) << "no property test " << p << " for box " << r.box;
    EXPECT_NE(slurp(p).find(r.symbol), std::string::npos)
        << p << " never calls " << r.symbol << " (boundary function " << r.function << ")";
    EXPECT_NE(slurp(p).find("rc::state::check"), std::string::npos) << p << " has no stateful model test";
  }
}

TEST(RegistryCoverage, EveryBoundaryFunctionHasAFuzzHarness) {
  const std::string cmake = slurp(kRoot / "fuzz/CMakeLists.txt");
  for (const Row& r : kCoverage) {
    std::string harness = std::string(r.box) + "_fuzz";
    fs::path p = kRoot / "fuzz" / (harness + ".cc");
    ASSERT_TRUE(fs::exists(p)) << "no fuzz harness " << p << " for box " << r.box;
    std::string text = slurp(p);
    EXPECT_NE(text.find("LLVMFuzzerTestOneInput"), std::string::npos) << p;
    EXPECT_NE(text.find(r.symbol), std::string::npos)
        << p << " never calls " << r.symbol << " (boundary function " << r.function << ")";
    fs::path corpus = kRoot / "fuzz/corpus" / harness;
    EXPECT_TRUE(fs::is_directory(corpus) && !fs::is_empty(corpus)) << "no seed corpus " << corpus;
    EXPECT_NE(cmake.find(r.box), std::string::npos) << "fuzz/CMakeLists.txt does not build " << harness;
  }
}

}  // namespace

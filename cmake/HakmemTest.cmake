# hakmem_test(<name> SOURCES <files...> [LIBS <targets...>] [LABELS <labels...>])
# One GoogleTest executable, registered with CTest test by test (gtest_discover_tests).
find_package(GTest REQUIRED)
include(GoogleTest)
# Tests labelled "threads" are also collected under the target hakmem_threads_tests, which the
# TSan lane builds instead of everything.
if(NOT TARGET hakmem_threads_tests)
  add_custom_target(hakmem_threads_tests)
endif()
function(hakmem_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main Threads::Threads)
  # gtest_discover_tests cannot carry a list of labels, so each test gets one: "threads" when
  # listed (the TSan lane selects on it), else the first.
  if("threads" IN_LIST T_LABELS)
    set(_label threads)
  else()
    list(GET T_LABELS 0 _label)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${_label}")
  if("threads" IN_LIST T_LABELS)
    add_dependencies(hakmem_threads_tests ${name})
  endif()
endfunction()

# Helpers that give every target of the project the same flags and output folders.

# Warnings are errors on project code; third-party headers come in as SYSTEM includes.
set(KAI_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Wunused -Woverloaded-virtual -Wimplicit-fallthrough
    -Werror)

add_library(kai_options INTERFACE)
target_compile_options(kai_options INTERFACE ${KAI_WARNINGS})
target_include_directories(kai_options INTERFACE ${CMAKE_SOURCE_DIR}/libs ${CMAKE_SOURCE_DIR}/services ${CMAKE_SOURCE_DIR}
                           ${CMAKE_BINARY_DIR}/generated)
# msgpack-cxx must not pull Boost in.
target_compile_definitions(kai_options INTERFACE MSGPACK_NO_BOOST)
if(KAI_SANITIZE)
  target_compile_options(kai_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(kai_options INTERFACE -fsanitize=address,undefined)
endif()

# kai_library(name SOURCES ... DEPS ...)
function(kai_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC kai_options ${ARG_DEPS})
endfunction()

# kai_binary(name SOURCES ... DEPS ...): a deployable program in build/bin.
function(kai_binary name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE kai_options ${ARG_DEPS})
endfunction()

# kai_test(name SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary in build/tests, each test
# case registered with CTest so that `ctest -j` spreads them.
function(kai_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE kai_options ${ARG_DEPS} GTest::gtest GTest::gmock
                        GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  # The test harness knows the build and source folders itself (tests/support), so no environment
  # is passed here: gtest_discover_tests would split a list-valued ENVIRONMENT property.
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()

# kai_benchmark(name SOURCES ... DEPS ...): a Google Benchmark or custom benchmark in build/bench.
function(kai_benchmark name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE kai_options ${ARG_DEPS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
endfunction()

# kai_fuzzer(name SOURCES ... DEPS ...): a libFuzzer target, only in the KAI_FUZZ (clang) build.
function(kai_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT KAI_FUZZ)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE kai_options ${ARG_DEPS})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
endfunction()

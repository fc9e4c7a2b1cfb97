# orivon_target_defaults(TARGET): the language standard, visibility and
# warnings every orivon target shares.
function(orivon_target_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES
    CXX_EXTENSIONS OFF
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-unused-parameter)
  if(ORIVON_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# orivon_add_test(NAME SOURCES... [LABELS label...]): one GoogleTest
# executable, registered with ctest test by test, each test carrying LABELS
# (ctest -L selects by them).
function(orivon_add_test name)
  cmake_parse_arguments(T "" "" "LABELS" ${ARGN})
  add_executable(${name} ${T_UNPARSED_ARGUMENTS})
  orivon_target_defaults(${name})
  target_link_libraries(${name} PRIVATE orivon_runtime GTest::gtest GTest::gmock GTest::gtest_main
                                        orivon_test_support)
  set(properties ENVIRONMENT "ORIVON_BUILD_DIR=${PROJECT_BINARY_DIR}")
  if(T_LABELS)
    list(APPEND properties LABELS "${T_LABELS}")
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES ${properties})
endfunction()

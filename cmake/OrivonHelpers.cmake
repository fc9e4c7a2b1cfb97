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

# orivon_add_area(AREA SOURCES src... [AREAS area...] [PRIVATE_AREAS area...]
#                 [PRIVATE_LINKS target...]): the static library orivon_AREA for
# the folder src/AREA. Its headers are published as "AREA/file.h" through a
# directory holding only a link to src/AREA, so only the areas that link it
# can include them: an upward include fails to compile. AREAS are the areas
# below it that its own headers include (passed on to whoever links it);
# PRIVATE_AREAS those only its sources use.
function(orivon_add_area area)
  cmake_parse_arguments(A "" "" "SOURCES;AREAS;PRIVATE_AREAS;PRIVATE_LINKS" ${ARGN})
  set(root ${PROJECT_BINARY_DIR}/areas/${area})
  file(MAKE_DIRECTORY ${root})
  if(NOT EXISTS ${root}/${area})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${area} ${root}/${area} SYMBOLIC)
  endif()
  add_library(orivon_${area} STATIC ${A_SOURCES})
  # Every area is part of liborivon (src/CMakeLists.txt reads this list).
  set_property(GLOBAL APPEND PROPERTY ORIVON_AREAS ${area})
  orivon_target_defaults(orivon_${area})
  # The same objects also make up liborivon.so (src/CMakeLists.txt), so they
  # are compiled once, position-independent, for both libraries.
  set_target_properties(orivon_${area} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_include_directories(orivon_${area}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<BUILD_INTERFACE:${root}>)
  list(TRANSFORM A_AREAS PREPEND orivon_)
  list(TRANSFORM A_PRIVATE_AREAS PREPEND orivon_)
  target_link_libraries(orivon_${area}
    PUBLIC Threads::Threads ${A_AREAS}
    PRIVATE Wasmtime::wasmtime ${A_PRIVATE_AREAS} ${A_PRIVATE_LINKS})
endfunction()

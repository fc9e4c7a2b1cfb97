# The installed package, used as a client would use it: `cmake --install`
# into a fresh prefix, then, each in a separate process that sees only that
# prefix (no path into the source or build tree but the examples' sources):
#   1. examples/embed configured with find_package(orivon) and built against
#      orivon::orivon (liborivon.so) and orivon::orivon_static (liborivon.a);
#   2. examples/c compiled as C11 with the flags `pkg-config orivon` gives;
#   3. each program run on a guest, and the installed CLI asked its version.
#
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DPROBE=... -DCALLEE=...
#         -DGENERATOR=Ninja -P install_test.cmake
foreach(variable BUILD_DIR SOURCE_DIR WORK_DIR PROBE CALLEE GENERATOR)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "install_test.cmake needs -D${variable}=...")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)

# Runs a command; fails the test with its output when it fails, or when its
# output lacks EXPECT.
function(run_step name)
  cmake_parse_arguments(S "" "EXPECT" "COMMAND;ENV" ${ARGN})
  execute_process(COMMAND ${CMAKE_COMMAND} -E env ${S_ENV} ${S_COMMAND}
                  RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE errors)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${name} failed (${status}):\n${output}\n${errors}")
  endif()
  if(S_EXPECT AND NOT output MATCHES "${S_EXPECT}")
    message(FATAL_ERROR "${name}: output lacks '${S_EXPECT}':\n${output}\n${errors}")
  endif()
  message(STATUS "${name}: ok")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
run_step("install" COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

foreach(path include/orivon/runtime.h include/orivon/orivon.h include/orivon/error_codes.inc
             lib/liborivon.a lib/liborivon.so lib/orivon/libwasmtime.a
             lib/cmake/orivon/orivonConfig.cmake lib/cmake/orivon/orivonConfigVersion.cmake
             lib/pkgconfig/orivon.pc bin/orivon)
  if(NOT EXISTS ${prefix}/${path})
    message(FATAL_ERROR "not installed: ${path}")
  endif()
endforeach()
file(GLOB sonames ${prefix}/lib/liborivon.so.*)
if(NOT sonames)
  message(FATAL_ERROR "liborivon.so has no versioned name (SOVERSION)")
endif()

# Every function orivon.h declares is exported by liborivon.so, and Wasmtime's
# C API is not (it is linked in, hidden).
file(STRINGS ${prefix}/include/orivon/orivon.h declarations REGEX "^ORIVON_API ")
execute_process(COMMAND nm -D --defined-only ${prefix}/lib/liborivon.so
                RESULT_VARIABLE status OUTPUT_VARIABLE exported)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "nm could not read liborivon.so")
endif()
set(function_count 0)
foreach(declaration ${declarations})
  if(NOT declaration MATCHES "[ *](orivon_[a-z0-9_]+)\\(")
    message(FATAL_ERROR "cannot read the function name in: ${declaration}")
  endif()
  # A failed MATCHES clears CMAKE_MATCH_1, so the name is kept first.
  set(name ${CMAKE_MATCH_1})
  if(NOT exported MATCHES " T ${name}\n")
    message(FATAL_ERROR "liborivon.so does not export ${name}")
  endif()
  math(EXPR function_count "${function_count} + 1")
endforeach()
if(exported MATCHES " T (wasmtime_[a-z_]+|wasm_[a-z_]+)\n")
  message(FATAL_ERROR "liborivon.so exports Wasmtime's ${CMAKE_MATCH_1}")
endif()
message(STATUS "liborivon.so exports the ${function_count} C API functions, and no Wasmtime symbol")

# 1. The C++ example, configured by cmake on its own against the prefix.
run_step("configure examples/embed"
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/embed -B ${WORK_DIR}/embed -G ${GENERATOR}
          -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix} -DORIVON_EMBED_STATIC=ON)
run_step("build examples/embed" COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/embed)
foreach(program orivon_embed_example orivon_embed_example_static)
  run_step("run ${program}"
    COMMAND ${WORK_DIR}/embed/${program} ${WORK_DIR}/state-${program} ${PROBE}
    EXPECT "add\\(1, 2\\) = 3 after 1 restart")
endforeach()

# 2. The C example, compiled and linked with pkg-config's flags only.
set(pkg_env PKG_CONFIG_PATH=${prefix}/lib/pkgconfig)
execute_process(COMMAND ${CMAKE_COMMAND} -E env ${pkg_env} pkg-config --cflags --libs orivon
                RESULT_VARIABLE status OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "pkg-config does not know orivon")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
run_step("compile examples/c with pkg-config"
  COMMAND cc -std=c11 -Wall -Werror ${SOURCE_DIR}/examples/c/embed.c ${flags}
          -Wl,-rpath,${prefix}/lib -o ${WORK_DIR}/embed_c)
run_step("run examples/c" COMMAND ${WORK_DIR}/embed_c ${WORK_DIR}/state-c ${CALLEE}
         EXPECT "echo-bytes: \\[0, 1, 255\\]")

# 3. The installed CLI.
run_step("installed orivon --version" COMMAND ${prefix}/bin/orivon --version EXPECT "orivon")

# The prefix holds two copies of Wasmtime (in liborivon.so, and its static
# library): hundreds of megabytes not worth keeping once the test passed.
file(REMOVE_RECURSE ${WORK_DIR})

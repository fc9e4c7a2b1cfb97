# Builds WebAssembly guests from Go packages: the second guest language. Go's
# own toolchain targets WASI preview1 (GOOS=wasip1 GOARCH=wasm); with
# -buildmode=c-shared the result is a reactor that exports _initialize and
# the functions marked //go:wasmexport, which needs Go 1.24 or newer.
#
#   orivon_add_go_guest(NAME DIR dir)
#
# builds the Go package in DIR (relative to the calling CMakeLists.txt; it
# holds a go.mod without requirements) into ${ORIVON_GUEST_DIR}/NAME.core.wasm,
# through the target guest_NAME, part of orivon_guests. Go guests use only the
# standard library: the build runs with GOPROXY=off and GOTOOLCHAIN=local, so
# it never needs the network, and it keeps Go's caches, temporary files and
# the telemetry Go records under the user's config directory in
# ORIVON_GO_CACHE (setup.sh: ~/.cache/orivon/go; default: the build tree), so
# nothing is written anywhere else.
set(ORIVON_GO_MINIMUM_VERSION 1.24)
find_program(ORIVON_GO NAMES go PATHS /usr/local/go/bin DOC "Go toolchain for the Go guests")
set(ORIVON_GO_CACHE ${PROJECT_BINARY_DIR}/go CACHE PATH
    "Where Go keeps its build cache and GOPATH for the Go guests")

if(NOT ORIVON_GO)
  message(FATAL_ERROR "Go ${ORIVON_GO_MINIMUM_VERSION} or newer is needed to build the Go guests "
                      "(//go:wasmexport) and was not found on PATH or in /usr/local/go/bin. Get it "
                      "from https://go.dev/dl/, or set ORIVON_GO to the go binary.")
endif()

# Every go command runs with this environment, `go version` included: Go
# writes telemetry counters under XDG_CONFIG_HOME on each invocation.
set(_orivon_go_env
  GOENV=off GOTOOLCHAIN=local GOPROXY=off GOWORK=off
  # readonly: a go.mod that needs changing fails the build instead of being
  # rewritten in the source tree.
  "GOFLAGS=-mod=readonly -modcacherw"
  GOCACHE=${ORIVON_GO_CACHE}/build
  GOPATH=${ORIVON_GO_CACHE}/path
  GOTMPDIR=${ORIVON_GO_CACHE}/tmp
  XDG_CONFIG_HOME=${ORIVON_GO_CACHE}/config)

file(MAKE_DIRECTORY ${ORIVON_GO_CACHE}/tmp)
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env ${_orivon_go_env} ${ORIVON_GO} version
  OUTPUT_VARIABLE _orivon_go_version_text
  ERROR_VARIABLE _orivon_go_version_error
  RESULT_VARIABLE _orivon_go_version_result
  OUTPUT_STRIP_TRAILING_WHITESPACE)
# "go version go1.26.8 linux/amd64", or "go1.25rc1", or "devel go1.27-abcdef".
if(NOT _orivon_go_version_result EQUAL 0
   OR NOT _orivon_go_version_text MATCHES "go([0-9]+\\.[0-9]+)")
  message(FATAL_ERROR "could not tell the version of ${ORIVON_GO} (Go ${ORIVON_GO_MINIMUM_VERSION} "
                      "or newer is needed): ${_orivon_go_version_text}${_orivon_go_version_error}")
endif()
set(ORIVON_GO_VERSION ${CMAKE_MATCH_1})
if(ORIVON_GO_VERSION VERSION_LESS ORIVON_GO_MINIMUM_VERSION)
  message(FATAL_ERROR "${ORIVON_GO} is Go ${ORIVON_GO_VERSION}; the Go guests need Go "
                      "${ORIVON_GO_MINIMUM_VERSION} or newer (//go:wasmexport). Get it from "
                      "https://go.dev/dl/, or set ORIVON_GO to a newer go binary.")
endif()
message(STATUS "Go for the Go guests: ${ORIVON_GO} (${ORIVON_GO_VERSION})")

function(orivon_add_go_guest name)
  cmake_parse_arguments(G "" "DIR" "" ${ARGN})
  if(NOT G_DIR)
    message(FATAL_ERROR "orivon_add_go_guest(${name}): DIR is required")
  endif()
  set(dir ${CMAKE_CURRENT_SOURCE_DIR}/${G_DIR})
  if(NOT EXISTS ${dir}/go.mod)
    message(FATAL_ERROR "orivon_add_go_guest(${name}): ${dir} has no go.mod")
  endif()
  set(out_core ${ORIVON_GUEST_DIR}/${name}.core.wasm)

  # go build has its own up-to-date check; this only decides when to ask it.
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${dir}/*.go)

  add_custom_command(
    OUTPUT ${out_core}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${ORIVON_GO_CACHE}/tmp
    COMMAND ${CMAKE_COMMAND} -E env ${_orivon_go_env} GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0
            ${ORIVON_GO} build -buildmode=c-shared -trimpath -buildvcs=false
            -o ${out_core} .
    WORKING_DIRECTORY ${dir}
    DEPENDS ${sources} ${dir}/go.mod
    COMMENT "Building Go guest ${name} (core module)"
    VERBATIM)
  add_custom_target(guest_${name} DEPENDS ${out_core})
  add_dependencies(orivon_guests guest_${name})
endfunction()

# Imports the Wasmtime C API built by scripts/build-wasmtime.sh as the target
# Wasmtime::wasmtime. Set ORIVON_WASMTIME_DIR to the directory that holds
# include/ and lib/libwasmtime.a (scripts/setup.sh does).
set(ORIVON_WASMTIME_DIR "" CACHE PATH "Wasmtime C API (include/ and lib/) built by scripts/build-wasmtime.sh")

# Plain variables, not find_path's cached ones: a new ORIVON_WASMTIME_DIR (a
# new Wasmtime version or feature set) must take effect on reconfigure.
unset(Wasmtime_INCLUDE_DIR)
unset(Wasmtime_LIBRARY)
if(EXISTS "${ORIVON_WASMTIME_DIR}/include/wasmtime.hh")
  set(Wasmtime_INCLUDE_DIR "${ORIVON_WASMTIME_DIR}/include")
endif()
if(EXISTS "${ORIVON_WASMTIME_DIR}/lib/libwasmtime.a")
  set(Wasmtime_LIBRARY "${ORIVON_WASMTIME_DIR}/lib/libwasmtime.a")
endif()
if(EXISTS "${ORIVON_WASMTIME_DIR}/VERSION")
  file(STRINGS "${ORIVON_WASMTIME_DIR}/VERSION" Wasmtime_VERSION LIMIT_COUNT 1)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Wasmtime
  REQUIRED_VARS Wasmtime_LIBRARY Wasmtime_INCLUDE_DIR
  VERSION_VAR Wasmtime_VERSION)

if(Wasmtime_FOUND)
  # orivon relies on these features; fail at configure time, not at link time.
  file(READ "${Wasmtime_INCLUDE_DIR}/wasmtime/conf.h" _conf)
  foreach(feature COMPONENT_MODEL WASI WASI_HTTP POOLING_ALLOCATOR CACHE ASYNC CRANELIFT)
    if(NOT _conf MATCHES "#define WASMTIME_FEATURE_${feature}")
      message(FATAL_ERROR "Wasmtime at ${ORIVON_WASMTIME_DIR} was built without ${feature}")
    endif()
  endforeach()
  if(NOT TARGET Wasmtime::wasmtime)
    add_library(Wasmtime::wasmtime STATIC IMPORTED)
    set_target_properties(Wasmtime::wasmtime PROPERTIES
      IMPORTED_LOCATION "${Wasmtime_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${Wasmtime_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "Threads::Threads;dl;m")
  endif()
endif()

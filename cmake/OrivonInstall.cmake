# `cmake --install`: the public headers, liborivon.so and liborivon.a, the
# CMake package (find_package(orivon) gives orivon::orivon, the shared
# library, and orivon::orivon_static), a pkg-config file and the CLI.
#
# The package is self-contained in its prefix: liborivon.so carries Wasmtime
# inside it, and for liborivon.a the Wasmtime static library it needs is
# installed beside it (lib/orivon/libwasmtime.a). SQLite, OpenSSL's libcrypto
# and toml++ are the system's (Debian packages), found by the package's
# config for the static library only.
include(CMakePackageConfigHelpers)

set(ORIVON_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/orivon)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/orivon DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS orivon_shared orivon_static EXPORT orivonTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS orivon RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${Wasmtime_LIBRARY} DESTINATION ${CMAKE_INSTALL_LIBDIR}/orivon)
install(EXPORT orivonTargets NAMESPACE orivon:: DESTINATION ${ORIVON_INSTALL_CMAKEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/orivonConfig.cmake.in
  ${PROJECT_BINARY_DIR}/orivonConfig.cmake INSTALL_DESTINATION ${ORIVON_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/orivonConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/orivonConfig.cmake ${PROJECT_BINARY_DIR}/orivonConfigVersion.cmake
  DESTINATION ${ORIVON_INSTALL_CMAKEDIR})

# The .pc file finds its prefix from where it lies (${pcfiledir}), so the
# installed tree can be moved, or installed with `cmake --install --prefix`.
set(ORIVON_PC_PREFIX "\${pcfiledir}/..")
string(REPLACE "/" ";" libdir_parts "${CMAKE_INSTALL_LIBDIR}")
foreach(part ${libdir_parts})
  string(APPEND ORIVON_PC_PREFIX "/..")
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/orivon.pc.in ${PROJECT_BINARY_DIR}/orivon.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/orivon.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Installation of libfusecore (included from the top-level CMakeLists.txt):
#   <prefix>/include/fusecore/*.h            the public headers
#   <prefix>/lib/libfusecore.so.0.1.0 (.so.0, .so) and libfusecore.a
#   <prefix>/lib/pkgconfig/libfusecore.pc    pkg-config (relocatable)
#   <prefix>/lib/cmake/fusecore/             find_package(fusecore): targets
#                                            fusecore::fusecore (shared) and
#                                            fusecore::fusecore_static
# The fusecore command and the helper programs install from tools/.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Only fc_-prefixed symbols are exported from the shared library.
set(FUSECORE_VERSION_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/libfusecore.map)
target_link_options(fusecore_shared PRIVATE
  "LINKER:--version-script=${FUSECORE_VERSION_SCRIPT}")
set_property(TARGET fusecore_shared APPEND PROPERTY LINK_DEPENDS
  ${FUSECORE_VERSION_SCRIPT})
set_target_properties(fusecore_shared PROPERTIES EXPORT_NAME fusecore)
set_target_properties(fusecore_static PROPERTIES EXPORT_NAME fusecore_static)

install(TARGETS fusecore_shared fusecore_static EXPORT fusecoreTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/fusecore
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")

set(FUSECORE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/fusecore)
install(EXPORT fusecoreTargets NAMESPACE fusecore:: DESTINATION ${FUSECORE_CMAKE_DIR})
if(URING_FOUND)
  set(FUSECORE_PACKAGE_WITH_URING 1)
  set(FUSECORE_PC_REQUIRES_PRIVATE liburing)
else()
  set(FUSECORE_PACKAGE_WITH_URING 0)
  set(FUSECORE_PC_REQUIRES_PRIVATE "")
endif()
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/fusecoreConfig.cmake.in
  ${PROJECT_BINARY_DIR}/fusecoreConfig.cmake INSTALL_DESTINATION ${FUSECORE_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/fusecoreConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/fusecoreConfig.cmake
  ${PROJECT_BINARY_DIR}/fusecoreConfigVersion.cmake DESTINATION ${FUSECORE_CMAKE_DIR})

# pkg-config: prefix relative to the .pc file, so --prefix at install works.
file(RELATIVE_PATH FUSECORE_PC_RELPREFIX
  "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" FUSECORE_PC_RELPREFIX "${FUSECORE_PC_RELPREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/libfusecore.pc.in
  ${PROJECT_BINARY_DIR}/libfusecore.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/libfusecore.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

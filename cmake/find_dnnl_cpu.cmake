# Finds oneDNN's CPU engine without Debian's dnnl-config.cmake. That file also asks for
# OpenCL (the GPU runtime the package was built with, which genlab never uses) with
# find_package(OpenCL REQUIRED), and a missing ocl-icd-opencl-dev (only a "Recommends" of
# libdnnl-dev) then stops the whole configure step. Here the header and the library are
# found directly and a one-line program must compile and link against them; anything
# short of that leaves GENLAB_DNNL_USABLE false and says why, and convolutions use im2col.
# Sets GENLAB_DNNL_USABLE, GENLAB_DNNL_LIBRARY, GENLAB_DNNL_INCLUDE_DIR, GENLAB_DNNL_MISSING.
include(CheckCXXSourceCompiles)
include(CMakePushCheckState)
find_path(GENLAB_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
find_library(GENLAB_DNNL_LIBRARY dnnl)
set(GENLAB_DNNL_USABLE FALSE)
if(NOT GENLAB_DNNL_INCLUDE_DIR OR NOT GENLAB_DNNL_LIBRARY)
  set(GENLAB_DNNL_MISSING "oneDNN not found (apt-get install libdnnl-dev); convolutions use im2col + Eigen")
else()
  cmake_push_check_state(RESET)
  set(CMAKE_REQUIRED_QUIET ON)
  set(CMAKE_REQUIRED_INCLUDES ${GENLAB_DNNL_INCLUDE_DIR})
  set(CMAKE_REQUIRED_LIBRARIES ${GENLAB_DNNL_LIBRARY})
  check_cxx_source_compiles([[
    #include <oneapi/dnnl/dnnl.hpp>
    int main() { dnnl::engine cpu(dnnl::engine::kind::cpu, 0); return cpu ? 0 : 1; }
  ]] GENLAB_DNNL_LINKS)
  cmake_pop_check_state()
  if(GENLAB_DNNL_LINKS)
    set(GENLAB_DNNL_USABLE TRUE)
    message(STATUS "genlab: oneDNN found (${GENLAB_DNNL_LIBRARY}); convolutions on oneDNN")
  else()
    string(CONCAT GENLAB_DNNL_MISSING "oneDNN found (${GENLAB_DNNL_LIBRARY}) but a test program does not "
           "build against it (CMakeFiles/CMakeError.log says why); convolutions use im2col + Eigen")
  endif()
endif()

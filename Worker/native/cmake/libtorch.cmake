# Defines fedtrain::torch and FEDTRAIN_TORCH_LIB_DIR. Prefers libtorch's own TorchConfig.cmake (honours
# Torch_DIR and CMAKE_PREFIX_PATH); falls back to locating the headers and libraries directly.
set(_fedtrain_torch_hint
  "libtorch was not found. Install it (Debian/Ubuntu: sudo apt-get install libtorch-dev) or point CMake at one: \
-DTorch_DIR=<libtorch>/share/cmake/Torch, e.g. \
-DTorch_DIR=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')/Torch")

find_package(Torch QUIET)

if(Torch_FOUND OR TORCH_FOUND)
  add_library(fedtrain::torch INTERFACE IMPORTED)
  target_link_libraries(fedtrain::torch INTERFACE ${TORCH_LIBRARIES})
  target_include_directories(fedtrain::torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
  if(TORCH_CXX_FLAGS)
    separate_arguments(_fedtrain_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
    target_compile_options(fedtrain::torch INTERFACE ${_fedtrain_torch_flags})
  endif()
  get_filename_component(FEDTRAIN_TORCH_LIB_DIR "${TORCH_LIBRARY}" DIRECTORY)
  message(STATUS "libtorch: ${TORCH_LIBRARY}")
  return()
endif()

find_path(FEDTRAIN_TORCH_INCLUDE torch/csrc/api/include/torch/torch.h)
find_library(FEDTRAIN_TORCH_LIB torch)
find_library(FEDTRAIN_TORCH_CPU_LIB torch_cpu)
find_library(FEDTRAIN_C10_LIB c10)
if(NOT FEDTRAIN_TORCH_INCLUDE OR NOT FEDTRAIN_TORCH_LIB OR NOT FEDTRAIN_TORCH_CPU_LIB OR NOT FEDTRAIN_C10_LIB)
  message(FATAL_ERROR "${_fedtrain_torch_hint}")
endif()

add_library(fedtrain::torch INTERFACE IMPORTED)
target_link_libraries(fedtrain::torch INTERFACE ${FEDTRAIN_TORCH_LIB} ${FEDTRAIN_TORCH_CPU_LIB} ${FEDTRAIN_C10_LIB})
target_include_directories(fedtrain::torch SYSTEM INTERFACE
  ${FEDTRAIN_TORCH_INCLUDE} ${FEDTRAIN_TORCH_INCLUDE}/torch/csrc/api/include)
get_filename_component(FEDTRAIN_TORCH_LIB_DIR "${FEDTRAIN_TORCH_LIB}" DIRECTORY)
message(STATUS "libtorch (no TorchConfig.cmake, linked directly): ${FEDTRAIN_TORCH_LIB}")

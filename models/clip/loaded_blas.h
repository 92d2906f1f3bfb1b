// The BLAS this process loaded (through LibTorch), found at run time so that
// nothing links to OpenBLAS and another BLAS (MKL, reference) still works.
#pragma once

#include <string>

namespace refseg::clip {

// A symbol of the loaded BLAS, or nullptr. RTLD_DEFAULT sees it in a program
// linked to LibTorch; a GStreamer plugin is opened RTLD_LOCAL, so each
// loaded object whose name says BLAS is also asked (never loading anything).
void *blas_symbol(const char *name);

struct LoadedBlas {
  bool openblas = false;
  std::string config;  // openblas_get_config(), or why the BLAS is unknown
  std::string core;    // openblas_get_corename(): the kernels it chose at load
};
LoadedBlas detect_loaded_blas();

}  // namespace refseg::clip

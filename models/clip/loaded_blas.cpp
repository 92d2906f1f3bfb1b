#include "clip/loaded_blas.h"

#include <dlfcn.h>
#include <link.h>

#include <cstring>

namespace refseg::clip {

void *blas_symbol(const char *name) {
  if (void *p = dlsym(RTLD_DEFAULT, name)) return p;
  struct Search {
    const char *name;
    void *found;
  } search{name, nullptr};
  dl_iterate_phdr(
      [](dl_phdr_info *info, size_t, void *data) {
        auto &s = *static_cast<Search *>(data);
        const char *object = info->dlpi_name;
        if (!object || !std::strstr(object, "blas")) return 0;
        if (void *handle = dlopen(object, RTLD_LAZY | RTLD_NOLOAD)) {
          s.found = dlsym(handle, s.name);
          dlclose(handle);  // still loaded: LibTorch depends on it
        }
        return s.found ? 1 : 0;
      },
      &search);
  return search.found;
}

LoadedBlas detect_loaded_blas() {
  using GetText = char *(*)();
  const auto config = reinterpret_cast<GetText>(blas_symbol("openblas_get_config"));
  const auto core = reinterpret_cast<GetText>(blas_symbol("openblas_get_corename"));
  LoadedBlas blas;
  blas.openblas = config != nullptr;
  blas.config = config ? config() : "not OpenBLAS (openblas_get_config not found)";
  if (core) blas.core = core();
  return blas;
}

}  // namespace refseg::clip

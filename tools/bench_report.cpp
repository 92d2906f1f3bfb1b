#include "bench_report.h"

#include <link.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>

#include "common/model_error.h"

namespace refseg::bench {

int parse_count(const char *text, const char *what, long min) {
  char *end = nullptr;
  const long n = std::strtol(text, &end, 10);
  if (end == text || *end || n < min)
    throw ModelError(std::string(what) + ": expected a whole number >= " + std::to_string(min) +
                     ", found '" + text + "'");
  return static_cast<int>(n);
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double median_ms(int iters, const std::function<void()> &run) {
  run();
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) ms.push_back(time_once(run).wall_ms);
  return median(ms);
}

Timing time_once(const std::function<void()> &run) {
  const double c0 = process_cpu_ms();
  const auto t0 = std::chrono::steady_clock::now();
  run();
  const auto t1 = std::chrono::steady_clock::now();
  return {std::chrono::duration<double, std::milli>(t1 - t0).count(), process_cpu_ms() - c0};
}

double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // Linux reports KiB
}

std::string loaded_blas() {
  std::set<std::string> found;
  dl_iterate_phdr(
      [](dl_phdr_info *info, size_t, void *out) {
        const char *name = info->dlpi_name;
        if (!name || !*name) return 0;
        const char *base = std::strrchr(name, '/');
        base = base ? base + 1 : name;
        if (std::strstr(base, "blas") || std::strstr(base, "mkl") || std::strstr(base, "lapack") ||
            std::strstr(base, "dnnl")) {
          char real[PATH_MAX];
          static_cast<std::set<std::string> *>(out)->insert(realpath(name, real) ? real : name);
        }
        return 0;
      },
      &found);
  std::string s;
  for (const auto &path : found) s += (s.empty() ? "" : ", ") + path;
  return s.empty() ? "none loaded" : s;
}

std::string machine_summary() {
  std::string model = "unknown CPU";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  std::string load = "?";
  std::ifstream loadavg("/proc/loadavg");
  double a = 0, b = 0, c = 0;
  if (loadavg >> a >> b >> c) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f %.2f %.2f", a, b, c);
    load = buf;
  }
  return model + ", " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " cores, load average " +
         load;
}

std::string allocator_settings() {
  std::string settings;
  for (const char *name : {"GLIBC_TUNABLES", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
                           "MALLOC_TOP_PAD_", "LD_PRELOAD"})
    if (const char *value = std::getenv(name))
      settings += (settings.empty() ? "" : " ") + std::string(name) + "=" + value;
  return settings.empty() ? "glibc malloc, defaults" : settings;
}

void print_environment(std::FILE *out) {
  std::fprintf(out, "machine: %s\n", machine_summary().c_str());
  std::fprintf(out, "BLAS loaded: %s\n", loaded_blas().c_str());
  std::fprintf(out, "allocator: %s\n", allocator_settings().c_str());
}

}  // namespace refseg::bench

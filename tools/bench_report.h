// What every benchmark program measures and prints the same way: median
// timing, CPU time, peak memory, the BLAS the process loaded, the machine
// and how loaded it was. One copy, so figures from different programs in
// docs/benchmarks.md mean the same thing.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace refseg::bench {

// A command-line count: a whole number >= min, else ModelError naming the
// option (`what`) and the text.
int parse_count(const char *text, const char *what, long min);

// Median of `values` (the upper one of an even count); 0 when empty.
double median(std::vector<double> values);

// Median wall milliseconds of `iters` runs of `run`, after one warm-up run
// (first-touch allocations, kernel selection).
double median_ms(int iters, const std::function<void()> &run);

// Wall and CPU milliseconds of one call.
struct Timing {
  double wall_ms = 0, cpu_ms = 0;
};
Timing time_once(const std::function<void()> &run);

// CPU time of the whole process (all threads) so far, in ms: on a loaded
// machine it stays comparable when wall time does not.
double process_cpu_ms();

// Peak resident set size of the process so far, in MB.
double peak_rss_mb();

// Real paths of the BLAS/LAPACK/MKL/oneDNN libraries mapped into the
// process, past the alternatives symlinks.
std::string loaded_blas();

// "AMD EPYC ..., 2 cores, load average 1.02 0.98 0.75": printed first by
// each benchmark so a loaded machine shows in its output.
std::string machine_summary();

// The environment that changes how the process allocates memory
// (GLIBC_TUNABLES, glibc's MALLOC_*_ variables, LD_PRELOAD), or "glibc
// malloc, defaults": SAM's image encoder runs about a quarter faster when
// glibc keeps its large temporaries instead of mapping fresh pages for each
// (docs/proposal-models.md, "Memory allocator").
std::string allocator_settings();

// Prints the machine summary, the loaded BLAS and the allocator settings,
// one line each.
void print_environment(std::FILE *out);

}  // namespace refseg::bench

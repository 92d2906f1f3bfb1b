// The element tests' harness helpers: a bounded world source, and a pull
// that fails with a message instead of returning NULL.
//
// gst_harness_pull() waits a fixed 60 s and then returns NULL, which a test
// would go on to unref or map. Under valgrind (or a sanitizer) one analysis
// can take longer than that, so the wait here follows check's own
// CK_TIMEOUT_MULTIPLIER, the variable that already scales every test case's
// timeout, and a frame that does not come fails the test with a message.
#pragma once

#include <cstdlib>
#include <string>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

namespace refseg_test {

// CK_TIMEOUT_MULTIPLIER as check reads it: a positive number, else 1.
inline double timeout_multiplier() {
  const char *text = std::getenv("CK_TIMEOUT_MULTIPLIER");
  const double m = text ? std::strtod(text, nullptr) : 1.0;
  return m > 0 ? m : 1.0;
}

// The next buffer out of the harness, waiting 60 s times the multiplier;
// fails the test (naming `what`) when none comes.
inline GstBuffer *pull(GstHarness *h, const char *what = "frame") {
  const gint64 wait_us = static_cast<gint64>(60e6 * timeout_multiplier());
  const gint64 deadline = g_get_monotonic_time() + wait_us;
  GstBuffer *out = nullptr;
  // try_pull does not block; poll it, since the harness has no timed pull
  // with a caller's timeout.
  while (!(out = gst_harness_try_pull(h)) && g_get_monotonic_time() < deadline) g_usleep(2000);
  fail_unless(out != nullptr, "no %s came out within %.0f s", what, wait_us / 1e6);
  return out;
}

// Pushes `in` and pulls what comes out, as gst_harness_push_and_pull() does,
// with pull()'s wait and failure.
inline GstBuffer *push_and_pull(GstHarness *h, GstBuffer *in) {
  fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
  return pull(h);
}

// Feeds the harness from refsegworldsrc: `frames` frames of world `seed` at
// width x height, then EOS. The source runs ahead of the test in its own
// thread and the harness queues all it makes, so without num-buffers a slow
// or failed test would fill memory for as long as it waits (and, under
// valgrind, which runs one thread at a time, starve the analysis).
inline void add_world_source(GstHarness *h, guint64 seed, int width, int height, int frames,
                             const std::string &world_properties = "") {
  gchar *description = g_strdup_printf("refsegworldsrc seed=%" G_GUINT64_FORMAT
                                       " num-buffers=%d %s ! capsfilter "
                                       "caps=video/x-raw,width=%d,height=%d",
                                       seed, frames, world_properties.c_str(), width, height);
  gst_harness_add_src_parse(h, description, FALSE);
  g_free(description);
}

}  // namespace refseg_test

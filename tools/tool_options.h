// Command-line parsing the tools share: GLib's GOption, so every option is
// in --help, numbers that are not numbers are errors (GOption's own
// "Cannot parse integer value"), and what GOption cannot check (ranges,
// required options) is refused the same way. Argument errors exit with 2,
// failures of the work itself with 1.
#pragma once

#include <glib.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace refseg::tools {

constexpr int kUsageError = 2;
constexpr int kFailure = 1;

[[noreturn]] inline void exit_with(const char *tool, const std::string &message, int code) {
  std::fprintf(stderr, "%s: %s\n", tool, message.c_str());
  std::exit(code);
}

// "--help" text for the usage errors.
[[noreturn]] inline void usage_error(const char *tool, const std::string &message) {
  exit_with(tool, message + " (see --help)", kUsageError);
}

// Parses argv into the entries' targets; a GOption error (unknown option,
// missing value, a value that is not a number) is a usage error.
// `callback_data` is what G_OPTION_ARG_CALLBACK entries receive.
// `extra_group` (owned by the context: GStreamer's, for tools that build
// pipelines) may be null.
inline void parse_options(const char *tool, const char *parameters, const char *summary,
                          const char *description, const GOptionEntry *entries,
                          gpointer callback_data, int *argc, char ***argv,
                          GOptionGroup *extra_group = nullptr) {
  GOptionContext *context = g_option_context_new(parameters);
  g_option_context_set_summary(context, summary);
  if (description) g_option_context_set_description(context, description);
  GOptionGroup *main_group = g_option_group_new(nullptr, nullptr, nullptr, callback_data, nullptr);
  g_option_group_add_entries(main_group, entries);
  g_option_context_set_main_group(context, main_group);
  if (extra_group) g_option_context_add_group(context, extra_group);
  GError *error = nullptr;
  const bool ok = g_option_context_parse(context, argc, argv, &error);
  g_option_context_free(context);
  if (!ok) {
    const std::string message = error->message;
    g_error_free(error);
    usage_error(tool, message);
  }
}

inline int int_in_range(const char *tool, const char *option, int value, int low, int high) {
  if (value < low || value > high)
    usage_error(tool, std::string(option) + " must be from " + std::to_string(low) + " to " +
                          std::to_string(high) + ", got '" + std::to_string(value) + "'");
  return value;
}

inline double real_in_range(const char *tool, const char *option, double value, double low,
                            double high) {
  if (!(value >= low && value <= high)) {
    char text[64];
    g_ascii_formatd(text, sizeof text, "%g", value);
    char range[64];
    std::snprintf(range, sizeof range, "%g to %g", low, high);
    usage_error(tool, std::string(option) + " must be from " + range + ", got '" + text + "'");
  }
  return value;
}

// A GOption string array (null-terminated, may be null) as strings; frees it.
inline std::vector<std::string> take_strings(gchar **strv) {
  std::vector<std::string> out;
  for (gchar **s = strv; s && *s; ++s) out.emplace_back(*s);
  g_strfreev(strv);
  return out;
}

}  // namespace refseg::tools

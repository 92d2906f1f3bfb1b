// Command-line parsing the tools share: GLib's GOption, so every option is
// in --help, numbers that are not numbers are errors (GOption's own
// "Cannot parse integer value"), and what GOption cannot check (ranges,
// required options) is refused the same way. Argument errors exit with 2,
// failures of the work itself with 1.
#pragma once

#include <glib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "list_items.h"

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

// The options argv gives, as "--long-name" (a short name given is written
// as its long one), in argv's order, repeats included: for what depends on
// whether an option was given at all (an option that only applies in one
// mode, one whose default is outside the range a value may take). argv is
// parsed with the same entries as parse_options() does, so an option's
// value is never taken for an option; argv is left as it is. Call it before
// parse_options(), which takes the options out of argv; errors are left to
// parse_options().
class GivenOptions {
 public:
  GivenOptions(const GOptionEntry *entries, int argc, char **argv) : entries_(entries) {
    std::vector<GOptionEntry> recorders;
    for (const GOptionEntry *e = entries; e->long_name; ++e) {
      if (std::strcmp(e->long_name, G_OPTION_REMAINING) == 0) continue;
      GOptionEntry r = *e;
      r.flags = (e->flags & (G_OPTION_FLAG_NO_ARG | G_OPTION_FLAG_OPTIONAL_ARG)) |
                G_OPTION_FLAG_FILENAME;  // the value as given, no conversion
      if (e->arg == G_OPTION_ARG_NONE) r.flags |= G_OPTION_FLAG_NO_ARG;
      r.arg = G_OPTION_ARG_CALLBACK;
      r.arg_data = reinterpret_cast<gpointer>(&GivenOptions::record);
      recorders.push_back(r);
    }
    recorders.push_back({nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr});
    std::vector<char *> copy(argv, argv + argc);  // GOption removes what it parses
    copy.push_back(nullptr);
    int copy_argc = argc;
    char **copy_argv = copy.data();
    GOptionContext *context = g_option_context_new(nullptr);
    g_option_context_set_help_enabled(context, FALSE);
    g_option_context_set_ignore_unknown_options(context, TRUE);
    GOptionGroup *group = g_option_group_new(nullptr, nullptr, nullptr, this, nullptr);
    g_option_group_add_entries(group, recorders.data());
    g_option_context_set_main_group(context, group);
    g_option_context_parse(context, &copy_argc, &copy_argv, nullptr);
    g_option_context_free(context);
  }

  bool has(const std::string &option) const {
    for (const std::string &n : names_)
      if (n == option) return true;
    return false;
  }

  // The first of `options` that argv gives, or "" when it gives none.
  std::string first_of(std::initializer_list<const char *> options) const {
    for (const std::string &n : names_)
      for (const char *o : options)
        if (n == o) return n;
    return "";
  }

 private:
  static gboolean record(const gchar *name, const gchar *, gpointer data, GError **) {
    auto *self = static_cast<GivenOptions *>(data);
    std::string option = name;
    if (option.size() == 2)  // "-x"
      for (const GOptionEntry *e = self->entries_; e->long_name; ++e)
        if (e->short_name == option[1]) option = std::string("--") + e->long_name;
    self->names_.push_back(option);
    return TRUE;
  }

  const GOptionEntry *entries_;
  std::vector<std::string> names_;
};

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

inline gint64 int64_in_range(const char *tool, const char *option, gint64 value, gint64 low,
                             gint64 high) {
  if (value < low || value > high)
    usage_error(tool, std::string(option) + " must be from " + std::to_string(low) + " to " +
                          std::to_string(high) + ", got '" + std::to_string(value) + "'");
  return value;
}

// A whole number from 0 to 2^64-1 given as text (a seed: GOption's own
// integers are signed), in decimal; leading blanks and a '+' are taken, a
// '-' is not.
inline guint64 unsigned64(const char *tool, const char *option, const char *text) {
  char *end = nullptr;
  errno = 0;
  const guint64 value = g_ascii_strtoull(text, &end, 10);
  if (end == text || *end || errno || std::strchr(text, '-'))
    usage_error(tool, std::string(option) + " must be a whole number from 0 to " +
                          std::to_string(G_MAXUINT64) + ", got '" + text + "'");
  return value;
}

// The index of `text` among `choices`; anything else is a usage error
// naming them.
inline size_t one_of(const char *tool, const char *option, const std::string &text,
                     std::initializer_list<const char *> choices) {
  std::string names;
  size_t i = 0;
  for (const char *c : choices) {
    if (text == c) return i;
    names += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + std::string(c);
    ++i;
  }
  usage_error(tool, std::string(option) + ": expected " + names + ", found '" + text + "'");
}

// `parse(text)`, its exception (a name it does not know) a usage error
// naming the option: --precision fp8, --spatial bogus.
template <typename Parse>
auto parsed(const char *tool, const char *option, const std::string &text, Parse parse)
    -> decltype(parse(text)) {
  try {
    return parse(text);
  } catch (const std::exception &e) {
    usage_error(tool, std::string(option) + ": " + e.what());
  }
}

// A GOption string option through `parse` into `target` when it was given
// (`text` not null; freed), as parsed() does; `target` keeps its default
// otherwise.
template <typename T, typename Parse>
void parse_if_given(T &target, const char *tool, const char *option, gchar *text, Parse parse) {
  if (!text) return;
  const std::string value = text;
  g_free(text);
  target = parsed(tool, option, value, parse);
}

// Each item of a comma-separated list (list_items()) through `parse`, as
// parsed() does (--spatial off,on); a list with no item is a usage error.
template <typename Parse>
auto parsed_list(const char *tool, const char *option, const std::string &text, Parse parse)
    -> std::vector<decltype(parse(text))> {
  std::vector<decltype(parse(text))> out;
  for (const std::string &item : list_items(text)) out.push_back(parsed(tool, option, item, parse));
  if (out.empty()) usage_error(tool, std::string(option) + ": no value given");
  return out;
}

// A comma-separated list of at least one number from low to high
// (--global-weight 0.9,0.95), each read as a float as std::stof reads it
// (C locale, whole item); a list with no item, or an item that is not such
// a number, is a usage error naming the option and the item.
inline std::vector<float> float_list(const char *tool, const char *option, const std::string &text,
                                     float low, float high) {
  return parsed_list(tool, option, text, [low, high](const std::string &item) {
    char *end = nullptr;
    errno = 0;
    const float value = std::strtof(item.c_str(), &end);
    if (item.empty() || *end || errno == ERANGE || !(value >= low && value <= high)) {
      char range[64];
      std::snprintf(range, sizeof range, "%g to %g", low, high);
      throw std::invalid_argument("'" + item + "' is not a number from " + range);
    }
    return value;
  });
}

// A GOption string (may be null: not given) as a string; frees it.
inline std::string take_string(gchar *s) {
  std::string out = s ? s : "";
  g_free(s);
  return out;
}

// A GOption string as a string, `fallback` when it was not given; frees it.
inline std::string take_string_or(gchar *s, const char *fallback) {
  return s ? take_string(s) : std::string(fallback);
}

// A GOption string array (null-terminated, may be null) as strings; frees it.
inline std::vector<std::string> take_strings(gchar **strv) {
  std::vector<std::string> out;
  for (gchar **s = strv; s && *s; ++s) out.emplace_back(*s);
  g_strfreev(strv);
  return out;
}

}  // namespace refseg::tools

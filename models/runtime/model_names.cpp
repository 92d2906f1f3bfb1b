#include "runtime/model_names.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace fs = std::filesystem;

namespace refseg {

namespace {

// Lower case, with the separators people mix up made one.
std::string folded(const std::string &name) {
  std::string out;
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    out += (c == '/' || c == '_') ? '-' : static_cast<char>(std::tolower(u));
  }
  if (out.size() > 3 && out.compare(out.size() - 3, 3, ".pt") == 0) out.resize(out.size() - 3);
  return out;
}

size_t edit_distance(const std::string &a, const std::string &b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string joined(const std::vector<std::string> &names) {
  std::string out;
  for (const std::string &n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

const std::vector<std::string> &downloadable_model_names() {
  static const std::vector<std::string> names = {"RN50", "ViT-B/32", "ViT-B/16", "ViT-L/14"};
  return names;
}

std::vector<std::string> installed_model_names(const std::vector<std::string> &directories) {
  std::vector<std::string> names;
  for (const std::string &dir : directories) {
    std::error_code ec;
    std::vector<std::string> here;
    for (const fs::directory_entry &e : fs::directory_iterator(dir, ec)) {
      std::error_code file_ec;
      if (e.path().extension() != ".pt" || !e.is_regular_file(file_ec)) continue;
      std::string name = e.path().stem().string();
      for (const std::string &openai : downloadable_model_names())
        if (folded(openai) == folded(name)) name = openai;
      here.push_back(name);
    }
    std::sort(here.begin(), here.end());
    for (const std::string &n : here)
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  }
  return names;
}

std::string nearest_model_name(const std::string &name,
                               const std::vector<std::string> &candidates) {
  const std::string wanted = folded(name);
  std::string best;
  size_t best_distance = std::max<size_t>(2, wanted.size() / 3) + 1;
  for (const std::string &c : candidates) {
    const size_t d = edit_distance(wanted, folded(c));
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string model_not_found_hint(const std::string &name,
                                 const std::vector<std::string> &directories) {
  const std::vector<std::string> installed = installed_model_names(directories);
  const std::vector<std::string> &downloadable = downloadable_model_names();
  std::string hint = installed.empty() ? "\nno model is installed in these directories"
                                       : "\ninstalled models: " + joined(installed);
  std::vector<std::string> candidates = installed;
  for (const std::string &d : downloadable)
    if (std::find(installed.begin(), installed.end(), d) == installed.end())
      candidates.push_back(d);
  const std::string nearest = nearest_model_name(name, candidates);
  const bool fetchable =
      std::find(downloadable.begin(), downloadable.end(), nearest) != downloadable.end() &&
      std::find(installed.begin(), installed.end(), nearest) == installed.end();
  if (!nearest.empty() && nearest == name && fetchable)
    return hint + "\n(gst-refseg-download " + name + " fetches it)";
  if (!nearest.empty())
    return hint + "\ndid you mean '" + nearest + "'?" +
           (fetchable ? " (not installed: gst-refseg-download " + nearest + " fetches it)" : "");
  return hint + "\nOpenAI's models (" + joined(downloadable) +
         ") are fetched by gst-refseg-download NAME";
}

}  // namespace refseg

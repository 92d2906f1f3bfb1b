#include "runtime/precision_memory.h"

#include <torch/version.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>
#include <thread>

#include "clip/loaded_blas.h"
#include "clip/zip_records.h"
#include "common/model_error.h"

namespace refseg {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kFormat = 1;
constexpr size_t kKeptKeys = 64;

json key_json(const PrecisionKey &key) {
  return {{"model", key.model},
          {"content", key.content},
          {"device", key.device},
          {"cpu", key.cpu},
          {"libraries", key.libraries}};
}

bool same_key(const json &entry, const json &key) {
  for (const auto &field : key.items())
    if (!entry.contains(field.key()) || entry[field.key()] != field.value()) return false;
  return true;
}

// The stored entries, or an empty list (with *warning when the file exists
// but is not ours to read).
json read_entries(const std::string &file, std::string *warning) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return json::array();  // nothing remembered yet
  std::string why;
  try {
    const json doc = json::parse(in);
    if (!doc.is_object() || !doc.contains("entries") || !doc["entries"].is_array())
      why = "no \"entries\" list";
    else if (doc.value("format", 0) != kFormat)
      why =
          "format " + doc.value("format", json(0)).dump() + ", expected " + std::to_string(kFormat);
    else
      return doc["entries"];
  } catch (const json::exception &e) {
    why = e.what();
  }
  if (warning)
    *warning = file + ": ignored, not a precision cache (" + why +
               "); auto measures again and rewrites it";
  return json::array();
}

}  // namespace

PrecisionMemory::PrecisionMemory(std::string directory)
    : file_(directory.empty() ? std::string()
                              : (fs::path(directory) / "precision-choices.json").string()) {}

std::optional<RememberedPrecision> PrecisionMemory::recall(const PrecisionKey &key,
                                                           std::string *warning) const {
  if (file_.empty()) return std::nullopt;
  const json wanted = key_json(key);
  for (const json &entry : read_entries(file_, warning)) {
    if (!entry.is_object() || !same_key(entry, wanted)) continue;
    try {
      RememberedPrecision r;
      r.precision = clip::parse_precision(entry.at("precision").get<std::string>());
      r.measured = entry.value("measured", "");
      if (r.precision == clip::Precision::kAuto) throw ModelError("auto is not a choice");
      return r;
    } catch (const std::exception &e) {
      if (warning)
        *warning = file_ + ": ignored the entry for " + key.model + " (" + e.what() +
                   "); auto measures again";
      return std::nullopt;
    }
  }
  return std::nullopt;
}

bool PrecisionMemory::remember(const PrecisionKey &key, const RememberedPrecision &choice,
                               std::string *warning) const {
  if (file_.empty()) return false;
  const json wanted = key_json(key);
  json entries = json::array();
  for (const json &entry : read_entries(file_, nullptr))
    if (entry.is_object() && !same_key(entry, wanted)) entries.push_back(entry);
  json entry = wanted;
  entry["precision"] = clip::precision_name(choice.precision);
  entry["measured"] = choice.measured;
  entries.push_back(entry);  // the newest last
  while (entries.size() > kKeptKeys) entries.erase(entries.begin());
  const json doc = {{"format", kFormat},
                    {"what",
                     "gst-refseg: what precision=auto chose per model file, CPU and "
                     "libraries; delete this file to measure again"},
                    {"entries", entries}};
  std::error_code ec;
  const fs::path target(file_);
  fs::create_directories(target.parent_path(), ec);
  const std::string temporary = file_ + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << doc.dump(1, ' ', false, json::error_handler_t::replace) << '\n';
    out.close();
    if (!out) {
      fs::remove(temporary, ec);
      if (warning) *warning = file_ + ": cannot write the precision cache";
      return false;
    }
  }
  fs::rename(temporary, target, ec);
  if (ec) {
    fs::remove(temporary, ec);
    if (warning) *warning = file_ + ": cannot write the precision cache (" + ec.message() + ")";
    return false;
  }
  return true;
}

std::string model_fingerprint(const std::string &path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw ModelError(path + ": file not found or not readable");
  // FNV-1a over each record's name, size and CRC-32.
  std::uint64_t hash = 1469598103934665603ull;
  auto mix = [&](const std::string &s) {
    for (unsigned char c : s) hash = (hash ^ c) * 1099511628211ull;
  };
  const auto records = clip::read_zip_directory(path);
  if (records) {
    for (const clip::ZipRecord &r : *records)
      mix(r.name + ' ' + std::to_string(r.size) + ' ' + std::to_string(r.crc32) + '\n');
  } else {
    // Not an archive: its modification time stands in for the content.
    mix(std::to_string(fs::last_write_time(path, ec).time_since_epoch().count()));
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return std::to_string(size) + " bytes, records " + hex;
}

std::string current_cpu() {
  std::string name = "unknown CPU";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      name = line.substr(line.find(':') + 1);
      name.erase(0, name.find_first_not_of(' '));
      break;
    }
  return name + ", " + std::to_string(std::thread::hardware_concurrency()) + " logical cores, " +
         clip::describe(clip::detect_cpu_features());
}

std::string current_libraries() {
  const clip::LoadedBlas blas = clip::detect_loaded_blas();
  return std::string("LibTorch ") + TORCH_VERSION + ", BLAS " + blas.config +
         (blas.core.empty() ? "" : " (" + blas.core + " kernels)") + ", gst-refseg " +
         REFSEG_VERSION;
}

}  // namespace refseg

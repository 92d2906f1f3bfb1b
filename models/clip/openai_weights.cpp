#include "clip/openai_weights.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <future>
#include <vector>

#include <torch/script.h>

#include "clip/clip_model.h"
#include "clip/zip_records.h"
#include "common/model_error.h"

namespace refseg::clip {
namespace {

const char *const kMetadata[] = {"input_resolution", "context_length", "vocab_size"};

std::string shape_of(const at::Tensor &t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

bool ends_with(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_buffer_name(const std::string &name) {
  for (const char *m : kMetadata)
    if (name == m) return true;
  return ends_with(name, "running_mean") || ends_with(name, "running_var") ||
         ends_with(name, "num_batches_tracked");
}

// A unique, identifier-only class name per submodule path.
std::string class_name_for(const std::string &path) {
  std::string s = "__torch__.refseg_clip.M";
  for (char c : path) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return s;
}

// The tensors whose storage holds exactly the bytes of a stored record (a
// tensor's storage is saved as one record, "<archive>/data/<key>").
std::vector<std::string> tensors_stored_in(const std::string &path, const ZipRecord &record,
                                           const NamedTensors &tensors) {
  std::vector<std::string> names;
  if (record.method != 0) return names;
  std::string bytes;
  try {
    bytes = read_stored_record(path, record);
  } catch (const ModelError &) {
    return names;
  }
  for (const auto &kv : tensors) {
    const c10::Storage &storage = kv.second.storage();
    if (storage.nbytes() == bytes.size() && storage.data_ptr().get() &&
        std::memcmp(storage.data_ptr().get(), bytes.data(), bytes.size()) == 0)
      names.push_back(kv.first);
  }
  return names;
}

// "tensor visual.conv1.weight (record ViT-B-32/data/7)" for each damaged
// record, or the record alone when no tensor is known to come from it.
std::string describe_damage(const std::string &path, const std::vector<ZipRecord> &failing,
                            const NamedTensors *tensors) {
  std::string what;
  const std::size_t shown = std::min<std::size_t>(failing.size(), 3);
  for (std::size_t i = 0; i < shown; ++i) {
    std::vector<std::string> names;
    if (tensors) names = tensors_stored_in(path, failing[i], *tensors);
    if (i) what += ", ";
    if (names.empty()) {
      what += "record " + failing[i].name;
    } else {
      what += names.size() == 1 ? "tensor " : "tensors ";
      for (std::size_t n = 0; n < names.size(); ++n) what += (n ? ", " : "") + names[n];
      what += " (record " + failing[i].name + ")";
    }
  }
  if (failing.size() > shown) what += " and " + std::to_string(failing.size() - shown) + " more";
  return path + ": " + what + (failing.size() == 1 ? " fails its" : " fail their") +
         " CRC-32 check: the file is damaged (fetch it again)";
}

bool finite_extremes(const at::Tensor &t) {
  return std::isfinite(t.amax().item<double>()) && std::isfinite(t.amin().item<double>());
}

}  // namespace

NamedTensors read_torchscript_tensors(const std::string &path) {
  if (!std::ifstream(path).good()) throw ModelError(path + ": file not found or not readable");
  // LibTorch does not check the archive's CRCs (its miniz is built without
  // them): flipped bytes inside a tensor would load as other weights.
  // The check reads the file beside the load (another core, the page
  // cache): a tenth of a second off a ViT-B/32's load.
  const auto records = read_zip_directory(path);
  auto checked = std::async(std::launch::async, [&path, &records] {
    return records ? records_failing_crc(path, *records) : std::vector<ZipRecord>();
  });
  torch::jit::Module module;
  std::string not_loaded;
  try {
    module = torch::jit::load(path, torch::kCPU);
  } catch (const std::exception &e) {
    not_loaded = e.what();
    if (not_loaded.empty()) not_loaded = "unreadable";
  }
  const std::vector<ZipRecord> failing = checked.get();  // its ModelError, if any
  if (!not_loaded.empty()) {
    if (!failing.empty()) throw ModelError(describe_damage(path, failing, nullptr));
    throw ModelError(path + ": not a TorchScript archive (" +
                     not_loaded.substr(0, not_loaded.find('\n')) + ")");
  }
  NamedTensors out;
  for (const auto &p : module.named_parameters(/*recurse=*/true)) out[p.name] = p.value;
  for (const auto &b : module.named_buffers(/*recurse=*/true)) out[b.name] = b.value;
  for (const char *m : kMetadata) {
    if (out.count(m) || !module.hasattr(m)) continue;
    const auto v = module.attr(m);
    if (v.isTensor()) out[m] = v.toTensor();
    if (v.isInt()) out[m] = at::scalar_tensor(v.toInt(), at::kLong);
  }
  if (!failing.empty()) throw ModelError(describe_damage(path, failing, &out));
  return out;
}

std::shared_ptr<ClipModel> clip_from_tensors(const NamedTensors &tensors,
                                             const std::string &source) {
  const ClipConfig config = infer_clip_config(tensors, source);
  // Every tensor is assigned below, or this throws.
  auto model = std::make_shared<ClipModel>(config, Initialisation::kToBeLoaded);
  torch::NoGradGuard no_grad;
  auto assign = [&](const std::string &name, at::Tensor &dst) {
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      if (ends_with(name, "num_batches_tracked")) return;  // a training counter, unused
      throw ModelError(source + ": missing tensor " + name);
    }
    const at::Tensor &src = it->second;
    if (!src.sizes().equals(dst.sizes()))
      throw ModelError(source + ": shape mismatch for " + name + ": expected " + shape_of(dst) +
                       ", found " + shape_of(src));
    if (dst.is_floating_point() != src.is_floating_point())
      throw ModelError(source + ": tensor " + name + " has dtype " +
                       std::string(c10::toString(src.scalar_type())) + ", expected " +
                       std::string(c10::toString(dst.scalar_type())));
    dst.copy_(src);  // fp16 -> fp32 here
    // A flipped byte in an archive can make a tensor NaN or infinite, and
    // such a model would then score every proposal NaN: refuse it here,
    // naming the tensor.
    // (The smallest and largest value are NaN or infinite when any value
    // is: one pass, no mask of the tensor's size.)
    if (dst.is_floating_point() && dst.numel() > 0 && !finite_extremes(dst))
      throw ModelError(source + ": tensor " + name +
                       " holds NaN or infinite values (a damaged file? fetch it again)");
  };
  for (auto &p : model->named_parameters()) assign(p.key(), p.value());
  for (auto &b : model->named_buffers()) assign(b.key(), b.value());
  return model;
}

std::shared_ptr<ClipModel> load_openai_clip(const std::string &path) {
  return clip_from_tensors(read_torchscript_tensors(path), path);
}

void save_tensor_archive(const NamedTensors &tensors, const std::string &path) {
  torch::jit::Module root(class_name_for(""));
  for (const auto &kv : tensors) {
    const std::string &name = kv.first;
    torch::jit::Module parent = root;
    std::string prefix;
    size_t start = 0;
    for (size_t dot; (dot = name.find('.', start)) != std::string::npos; start = dot + 1) {
      const std::string part = name.substr(start, dot - start);
      prefix += part + ".";
      if (!parent.hasattr(part))
        parent.register_module(part, torch::jit::Module(class_name_for(prefix)));
      parent = parent.attr(part).toModule();
    }
    const std::string leaf = name.substr(start);
    if (is_buffer_name(name))
      parent.register_buffer(leaf, kv.second);
    else
      parent.register_parameter(leaf, kv.second, /*is_buffer=*/false);
  }
  try {
    root.save(path);
  } catch (const std::exception &e) {
    throw ModelError(path + ": cannot write archive (" + std::string(e.what()).substr(0, 200) +
                     ")");
  }
}

void save_openai_layout(const ClipModel &model, const std::string &path, bool fp16) {
  NamedTensors tensors;
  auto keep = [&](const std::string &name, const at::Tensor &t) {
    auto cpu = t.detach().to(at::kCPU).contiguous();
    tensors[name] = (fp16 && cpu.is_floating_point()) ? cpu.to(at::kHalf) : cpu.clone();
  };
  for (const auto &p : model.named_parameters()) keep(p.key(), p.value());
  for (const auto &b : model.named_buffers()) keep(b.key(), b.value());
  const ClipConfig &c = model.config();
  tensors["input_resolution"] = at::scalar_tensor(c.image_resolution, at::kLong);
  tensors["context_length"] = at::scalar_tensor(c.context_length, at::kLong);
  tensors["vocab_size"] = at::scalar_tensor(c.vocab_size, at::kLong);
  save_tensor_archive(tensors, path);
}

}  // namespace refseg::clip

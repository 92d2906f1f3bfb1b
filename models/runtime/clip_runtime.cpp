#include "runtime/clip_runtime.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "clip/clip_config.h"
#include "clip/clip_model.h"
#include "clip/global_local_encoder.h"
#include "clip/inference_threads.h"
#include "clip/openai_weights.h"
#include "clip/packed_linear.h"
#include "common/model_error.h"
#include "runtime/auto_precision_start.h"
#include "runtime/feature_reuse.h"
#include "runtime/inference_worker.h"
#include "runtime/model_locator.h"
#include "runtime/precision_memory.h"
#include "scheduling/core_budget.h"
#include "scheduling/fixed_threads_watch.h"
#include "selection/local_crops.h"
#include "tokenizer/bpe_tokenizer.h"

namespace refseg {

namespace {

torch::Device parse_device(const std::string &device) {
  try {
    return torch::Device(device.empty() ? "cpu" : device);
  } catch (const std::exception &) {
    throw ModelError("unknown device '" + device + "': use cpu, cuda or cuda:N");
  }
}

// Least-recently-used text embeddings: expressions repeat frame after frame.
class TextCache {
 public:
  explicit TextCache(size_t capacity) : capacity_(capacity) {}
  void clear() {
    index_.clear();
    order_.clear();
  }
  const std::vector<float> *find(const std::string &text) {
    auto it = index_.find(text);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }
  void insert(const std::string &text, std::vector<float> embedding) {
    order_.emplace_front(text, std::move(embedding));
    index_[text] = order_.begin();
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }

 private:
  size_t capacity_;
  std::list<std::pair<std::string, std::vector<float>>> order_;
  std::unordered_map<std::string, decltype(order_)::iterator> index_;
};

torch::Device checked_device(const std::string &device);

std::vector<float> to_vector(const torch::Tensor &t) {
  const torch::Tensor c = t.to(torch::kCPU, torch::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// Best of 2 wall milliseconds of the image tower on 2 random images, after
// a warm-up.
double image_tower_ms(clip::ClipModel &model) {
  const int64_t r = model.config().image_resolution;
  const torch::Tensor images = torch::randn({2, 3, r, r}).to(model.device());
  torch::InferenceMode guard;
  model.encode_image(images);
  double best = 1e300;
  for (int i = 0; i < 2; ++i) {
    const auto start = std::chrono::steady_clock::now();
    model.encode_image(images);
    best = std::min(
        best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                  .count());
  }
  return best;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

std::string ms_text(double ms) {
  return std::to_string(static_cast<long>(ms + 0.5)) + " ms";
}

// Sets the model's precision, on the inference thread, since what auto
// measures must run as the model will. auto on the CPU: of fp32 and the
// modes the CPU features allow, the one in which this model's image tower
// runs fastest, each timed under its own thread policy (a low precision
// must win by 10%): whether one pays depends on the CPU and on the model's
// size (a tiny model loses to the casts and kernel calls). fp32 runs its
// linears where `fp32` says (clip/fp32_matmul.h). `choice` is
// choose_precision()'s, or the remembered one (then `measure` is false);
// *measured says what each candidate took.
clip::Precision apply_precision(clip::ClipModel &model, const RuntimeOptions &options,
                                clip::Fp32Matmul fp32, clip::Precision choice, bool measure,
                                std::string *measured) {
  const clip::CpuFeatures cpu = clip::detect_cpu_features();
  auto apply = [&](clip::Precision p) {
    // Packing is a few passes over memory: one thread does it as fast, and
    // an OpenMP team spinning at each of its hundred small steps costs
    // seconds when another process holds a core.
    at::set_num_threads(1);
    model.set_precision(p, fp32);
    // OpenMP and OpenBLAS pools split as clip/inference_threads.h explains
    // (and bench_encoder measures): matmuls in oneDNN run on LibTorch's pool.
    clip::configure_inference_threads(options.threads,
                                      clip::thread_policy_for(p, model.fp32_matmul()));
  };
  if (measure) {
    std::vector<clip::Precision> candidates = {clip::Precision::kFp32};
    if (cpu.fast_bf16()) candidates.push_back(clip::Precision::kBf16);
    if (cpu.fast_int8()) candidates.push_back(clip::Precision::kInt8);
    double fastest_ms = 0;
    for (clip::Precision p : candidates) {
      apply(p);
      const double tower = image_tower_ms(model);
      const double ms = tower * (p == clip::Precision::kFp32 ? 1.0 : 1.1);
      if (p == clip::Precision::kFp32 || ms < fastest_ms) choice = p, fastest_ms = ms;
      *measured += std::string(measured->empty() ? "" : ", ") + clip::precision_name(p) + " " +
                   ms_text(tower);
    }
  }
  apply(choice);
  return choice;
}

class LoadedClipRuntime : public ClipRuntime {
 public:
  // The weights are read first, so a file that is not a CLIP model is
  // reported as such before any complaint about its vocabulary. What the
  // constructor checks fails acquire_clip_runtime; building the model and
  // its precision run on the worker (load()), in the background with
  // options.background.
  LoadedClipRuntime(std::string name, std::string weights, const RuntimeOptions &options)
      : name_(std::move(name)),
        weights_(std::move(weights)),
        device_(checked_device(options.device)),
        load_start_(std::chrono::steady_clock::now()),
        tensors_(clip::read_torchscript_tensors(weights_)),
        config_(clip::infer_clip_config(tensors_, weights_)),
        tokenizer_(BpeTokenizer::from_file(locate_vocabulary(weights_))),
        threshold_(read_score_threshold(weights_)),
        spread_(read_score_spread(weights_)),
        preprocess_(options.preprocess),
        worker_([] {}) {
    if (tokenizer_.vocab_size() > static_cast<size_t>(config_.vocab_size))
      throw ModelError("the vocabulary of " + weights_ + " has " +
                       std::to_string(tokenizer_.vocab_size()) +
                       " tokens but the model embeds only " + std::to_string(config_.vocab_size));
    // Throws for a precision the device cannot run at all.
    precision_ =
        clip::choose_precision(options.precision, device_.is_cuda(), clip::detect_cpu_features());
    bool measure = options.precision == clip::Precision::kAuto && !device_.is_cuda() &&
                   precision_.precision != clip::Precision::kFp32;
    std::string how = options.precision == clip::Precision::kAuto
                          ? (measure ? "" : "chosen by the CPU's features")
                          : "as asked";
    if (measure && !options.precision_cache_dir.empty()) {
      memory_.emplace(options.precision_cache_dir);
      key_ = {weights_, model_fingerprint(weights_), options.device, current_cpu(),
              current_libraries()};
      std::string warning;
      if (const auto remembered = memory_->recall(key_, &warning)) {
        precision_.precision = remembered->precision;
        measure = false;
        how = "remembered in " + memory_->file() + " (measured then: " + remembered->measured + ")";
      }
      if (!warning.empty())
        precision_.note += std::string(precision_.note.empty() ? "" : "; ") + warning;
    }
    // A live pipeline's first analysis does not wait for int8's packing or
    // for the timing (auto_precision_start.h): auto settles after it.
    if (options.background && options.precision == clip::Precision::kAuto && !device_.is_cuda() &&
        precision_.precision != clip::Precision::kFp32) {
      const AutoPrecisionStart start = plan_auto_precision_start(
          measure ? std::nullopt : std::optional<clip::Precision>(precision_.precision),
          clip::detect_cpu_features());
      if (start.settles()) {
        settle_how_ = measure ? "measured (image tower, 2 images: " : how;
        settle_to_ = start.then.value_or(start.first);
        settle_measure_ = measure;
        settled_ = false;
        how =
            std::string("to start with; auto settles after the first analysis (") +
            (measure ? "measuring" : std::string(clip::precision_name(*start.then)) + ", " + how) +
            ")";
        precision_.precision = start.first;
        measure = false;
      }
    }
    options_ = options;
    read_ms_ = ms_since(load_start_);
    auto job = [this, options, measure, how] { load(options, measure, how); };
    if (options.background) {
      worker_.post(job);
    } else {
      worker_.run(job);
      if (load_error_) std::rethrow_exception(load_error_);
    }
  }

  // A load still queued or running stops at its next step.
  ~LoadedClipRuntime() override { abandoned_ = true; }

  const std::string &name() const override { return name_; }
  const std::string &weights_path() const override { return weights_; }
  bool ready() const override { return ready_.load(); }
  void wait_until_ready() override {
    std::unique_lock<std::mutex> lock(ready_mutex_);
    ready_changed_.wait(lock, [this] { return ready_.load(); });
    if (load_error_) std::rethrow_exception(load_error_);
  }
  std::string load_report() override {
    wait_until_ready();
    return report_;
  }
  int embed_dim() const override { return config_.embed_dim; }
  int input_resolution() const override { return config_.image_resolution; }
  int layers() const override { return config_.vision_layers; }
  std::optional<float> calibrated_threshold() const override { return threshold_; }
  std::optional<float> calibrated_spread() const override { return spread_; }
  clip::Precision precision() override {
    wait_until_ready();
    return precision_now_.load();
  }
  std::string matmul_engine() override {
    wait_until_ready();
    std::lock_guard<std::mutex> lock(settle_mutex_);
    return engine_;
  }
  std::string settle_report() override {
    wait_until_ready();
    worker_.run([this] { settle(); });
    std::lock_guard<std::mutex> lock(settle_mutex_);
    return settle_report_.empty()
               ? std::string("precision ") + clip::precision_name(precision_now_.load()) +
                     " from the load, nothing to settle"
               : settle_report_;
  }
  std::string claim_settle_report() override {
    if (!settled_.load() || settle_claimed_.exchange(true)) return std::string();
    std::lock_guard<std::mutex> lock(settle_mutex_);
    return settle_report_;
  }
  std::string claim_precision_note() override {
    return note_claimed_.exchange(true) ? std::string() : precision_.note;
  }
  std::string claim_threads_note() override {
    std::lock_guard<std::mutex> lock(threads_note_mutex_);
    return std::exchange(threads_note_, std::string());
  }

  EncodedMasks encode_masks(const ImageView &frame, const std::vector<RegionMask> &masks,
                            int masked_layers, const LocalCrops &crops,
                            FeatureReuse *reuse) override {
    return worker_.run([&] {
      if (load_error_) std::rethrow_exception(load_error_);
      // auto settles as the second analysis begins: the first one's results
      // (and the texts they are scored against) do not wait for it.
      if (analyses_ > 0) settle();
      ++analyses_;
      adapt_threads();
      watch_fixed_threads();
      clip::GlobalLocalEncoder encoder(model_, masked_layers, preprocess_);
      const size_t n = masks.size(), dim = static_cast<size_t>(embed_dim());
      EncodedMasks out;
      out.count = n;
      out.dim = dim;
      FeatureReuse::Plan plan;
      if (reuse) plan = reuse->plan(frame, masks);
      plan.local_from.resize(n, -1);
      plan.global_from.resize(n, -1);
      const bool reusing = std::any_of(plan.local_from.begin(), plan.local_from.end(),
                                       [](int r) { return r >= 0; }) ||
                           std::any_of(plan.global_from.begin(), plan.global_from.end(),
                                       [](int r) { return r >= 0; });
      if (!reusing && (crops.k < 0 || crops.texts.empty())) {
        const clip::MaskFeatures features = encoder.encode(frame, masks);
        out.global = to_vector(features.global);
        out.local = to_vector(features.local);
        out.local_crops = n;
        out.local_is_crop.assign(n, true);
      } else {
        const EncodedMasks *previous = reuse ? &reuse->previous() : nullptr;
        // Rows `from` (or fresh rows of the masks whose `from` is -1,
        // computed by `encode`) into `into`.
        auto fill = [&](std::vector<float> &into, const std::vector<bool> &wanted,
                        const std::vector<int> &from, const std::vector<float> *kept,
                        const std::function<at::Tensor(const std::vector<RegionMask> &)> &encode) {
          std::vector<RegionMask> fresh;
          for (size_t i = 0; i < n; ++i)
            if (wanted[i] && from[i] < 0) fresh.push_back(masks[i]);
          const std::vector<float> rows =
              fresh.empty() ? std::vector<float>() : to_vector(encode(fresh));
          size_t reused = 0;
          for (size_t i = 0, j = 0; i < n; ++i) {
            if (!wanted[i]) continue;
            const float *src = from[i] >= 0 ? kept->data() + static_cast<size_t>(from[i]) * dim
                                            : rows.data() + j++ * dim;
            reused += from[i] >= 0;
            std::copy_n(src, dim, into.begin() + static_cast<std::ptrdiff_t>(i * dim));
          }
          return reused;
        };
        out.global.resize(n * dim);
        out.reused_global = fill(out.global, std::vector<bool>(n, true), plan.global_from,
                                 previous ? &previous->global : nullptr,
                                 [&](const auto &m) { return encoder.encode_global(frame, m); });
        const std::vector<bool> wanted =
            rows_for_local_crops(out.global.data(), n, dim, crops.texts, crops.k);
        out.local = out.global;
        out.reused_local =
            fill(out.local, wanted, plan.local_from, previous ? &previous->local : nullptr,
                 [&](const auto &m) { return encoder.encode_local(frame, m); });
        out.local_is_crop = wanted;
        out.local_crops = static_cast<size_t>(std::count(wanted.begin(), wanted.end(), true));
      }
      if (reuse) reuse->remember(frame, masks, out, plan);
      out.threads = threads_now_;
      return out;
    });
  }

  std::vector<float> encode_text(const std::string &text) override {
    {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      if (const auto *hit = cache_.find(text)) return *hit;
    }
    std::vector<float> embedding = worker_.run([&] {
      if (load_error_) std::rethrow_exception(load_error_);
      torch::InferenceMode guard;
      const int context = model_->config().context_length;
      std::vector<int64_t> ids = tokenizer_.tokenize(text, context);
      torch::Tensor tokens = torch::tensor(ids, torch::kLong).view({1, context}).to(device_);
      return to_vector(model_->encode_text(tokens)[0]);
    });
    std::lock_guard<std::mutex> lock(cache_mutex_);
    cache_.insert(text, embedding);
    return embedding;
  }

 private:
  // On the worker: the model from the tensors read, on its device, in its
  // precision (measured and remembered when auto asks for it), then the
  // thread policy. Whatever it throws is kept for the calls that need the
  // model.
  void load(const RuntimeOptions &options, bool measure, std::string how) {
    try {
      auto start = std::chrono::steady_clock::now();
      hold_for_tests();
      if (abandoned_) throw ModelError(weights_ + ": load abandoned");
      at::set_num_threads(1);  // as for packing (apply_precision)
      model_ = clip::clip_from_tensors(tensors_, weights_);
      tensors_.clear();
      model_->to(device_);
      model_->eval();
      const double built_ms = ms_since(start);
      start = std::chrono::steady_clock::now();
      if (abandoned_) throw ModelError(weights_ + ": load abandoned");
      if (!device_.is_cuda()) fp32_ = clip::choose_fp32_matmul();
      std::string measured;
      precision_.precision =
          apply_precision(*model_, options, fp32_.engine, precision_.precision, measure, &measured);
      const double precision_ms = ms_since(start);
      if (measure) {
        how = "measured (image tower, 2 images: " + measured + ")";
        std::string warning;
        if (memory_ && memory_->remember(key_, {precision_.precision, measured}, &warning))
          how += ", remembered in " + memory_->file();
        else if (memory_)
          how += ", not remembered: " + warning;
      }
      if (options.threads <= 0)
        budget_.emplace();
      else if (!device_.is_cuda())
        threads_watch_.emplace(options.threads);
      threads_now_ = budget_ ? budget_->cores() : options.threads;
      // Between blocks too, not only before each analysis: a neighbour that
      // starts during an analysis otherwise makes the rest of it run on a
      // core it shares, where every matmul waits for that core's slices
      // (bench_contention: 9.4 s instead of 1 s). The model is this
      // runtime's alone and runs only on the worker.
      if (budget_) model_->set_before_block([this] { adapt_threads(); });
      precision_now_ = precision_.precision;
      {
        std::lock_guard<std::mutex> lock(settle_mutex_);
        engine_ = engine_text();
      }
      report_ = "read and checked " + ms_text(read_ms_) + ", built " + ms_text(built_ms) +
                ", precision " + clip::precision_name(precision_.precision) + " " + how + " " +
                ms_text(precision_ms) + " (packing included); ready " +
                ms_text(ms_since(load_start_)) + " after the load began";
    } catch (...) {
      tensors_.clear();
      model_.reset();
      load_error_ = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(ready_mutex_);
      ready_ = true;
    }
    ready_changed_.notify_all();
  }

  // On the worker: auto's switch to the remembered choice, or its timing of
  // the candidates (remembered then), before the second analysis
  // (auto_precision_start.h). Does nothing once settled or after a failed load.
  void settle() {
    if (settled_.load() || load_error_ || abandoned_) return;
    const auto start = std::chrono::steady_clock::now();
    const clip::Precision from = precision_now_.load();
    std::string measured, how = settle_how_;
    const clip::Precision to =
        apply_precision(*model_, options_, fp32_.engine, settle_to_, settle_measure_, &measured);
    if (settle_measure_) {
      how += measured + ")";
      std::string warning;
      if (memory_ && memory_->remember(key_, {to, measured}, &warning))
        how += ", remembered in " + memory_->file();
      else if (memory_)
        how += ", not remembered: " + warning;
    }
    threads_now_ = budget_ ? budget_->cores() : options_.threads;
    precision_now_ = to;
    {
      // Cached texts go: the next request for one encodes it in the settled
      // precision.
      std::lock_guard<std::mutex> lock(cache_mutex_);
      cache_.clear();
    }
    std::lock_guard<std::mutex> lock(settle_mutex_);
    engine_ = engine_text();
    settle_report_ = std::string("precision ") + clip::precision_name(to) + " " + how +
                     " after the first analysis in " + clip::precision_name(from) + ", " +
                     ms_text(ms_since(start)) + " (packing included)";
    settled_ = true;
  }

  std::string engine_text() const {
    return device_.is_cuda()                               ? std::string("matmuls on CUDA")
           : model_->precision() == clip::Precision::kFp32 ? fp32_.reason
           : model_->precision() == clip::Precision::kInt8
               ? "int8 linears on LibTorch's " + clip::int8_engine_name() + " quantized engine"
               : std::string(clip::precision_name(model_->precision())) +
                     " linears on LibTorch's addmm (oneDNN where the CPU has AVX-512)";
  }

  // Tests only: with $REFSEG_TEST_HOLD_LOAD set, a load waits here until
  // the file it names exists (tests/elements/test_first_frame.cpp holds one
  // to see frames leave a live pipeline before the model is ready).
  void hold_for_tests() const {
    const char *hold = std::getenv("REFSEG_TEST_HOLD_LOAD");
    if (!hold || !*hold) return;
    while (!abandoned_ && !std::filesystem::exists(hold))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  // threads = 0: before each analysis and each transformer block, on the
  // worker, as many threads as the cores other processes left idle over the
  // budget's last window (scheduling/core_budget.h).
  void adapt_threads() {
    if (!budget_) return;
    const int threads = budget_->threads();
    if (threads == threads_now_) return;
    clip::configure_inference_threads(
        threads, clip::thread_policy_for(precision_now_.load(), model_->fp32_matmul()));
    threads_now_ = threads;
  }

  // threads = N: whether others keep busy the cores those threads need.
  void watch_fixed_threads() {
    if (!threads_watch_) return;
    if (std::optional<std::string> note = threads_watch_->check()) {
      std::lock_guard<std::mutex> lock(threads_note_mutex_);
      threads_note_ = std::move(*note);
    }
  }

  std::string name_;
  std::string weights_;
  torch::Device device_;
  std::chrono::steady_clock::time_point load_start_;
  clip::NamedTensors tensors_;  // as read, until load() builds the model from them
  clip::ClipConfig config_;
  double read_ms_ = 0;
  std::optional<PrecisionMemory> memory_;  // auto's choices, when measured
  PrecisionKey key_;
  std::mutex ready_mutex_;
  std::condition_variable ready_changed_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> abandoned_{false};
  std::exception_ptr load_error_;  // set once by load(), before ready_
  std::string report_;             // load()'s, before ready_
  clip::PrecisionChoice precision_;
  RuntimeOptions options_;
  std::atomic<clip::Precision> precision_now_{clip::Precision::kFp32};  // what runs now
  // auto's settling after the first analysis (auto_precision_start.h).
  std::atomic<bool> settled_{true};
  std::atomic<bool> settle_claimed_{false};
  int64_t analyses_ = 0;  // worker thread only
  clip::Precision settle_to_ = clip::Precision::kFp32;
  bool settle_measure_ = false;
  std::string settle_how_;
  std::mutex settle_mutex_;
  std::string engine_, settle_report_;  // under settle_mutex_
  clip::Fp32MatmulChoice fp32_{clip::Fp32Matmul::kBlas, "fp32 matmuls on CUDA"};
  std::atomic<bool> note_claimed_{false};
  std::optional<scheduling::CoreBudget> budget_;                // worker thread only
  std::optional<scheduling::FixedThreadsWatch> threads_watch_;  // worker thread only
  std::mutex threads_note_mutex_;
  std::string threads_note_;  // until claimed
  int threads_now_ = 0;       // what the inference pools were last given
  std::shared_ptr<clip::ClipModel> model_;
  BpeTokenizer tokenizer_;
  std::optional<float> threshold_;
  std::optional<float> spread_;
  clip::Preprocess preprocess_;
  std::mutex cache_mutex_;
  TextCache cache_{256};
  InferenceWorker worker_;  // last member: joined first, before the model goes
};

// The guarded model registry: the one piece of process-wide mutable state.
std::mutex registry_mutex;
std::map<std::string, std::weak_ptr<ClipRuntime>> registry;

torch::Device checked_device(const std::string &device) {
  std::string why;
  if (!device_available(device, &why)) throw ModelError(why);
  return parse_device(device);
}

}  // namespace

bool device_available(const std::string &device, std::string *why) {
  torch::Device d = parse_device(device);
  if (d.is_cuda() && !torch::cuda::is_available()) {
    if (why) *why = "device '" + device + "' requested but this LibTorch has no usable CUDA";
    return false;
  }
  if (d.is_cuda() && d.has_index() && d.index() >= static_cast<int>(torch::cuda::device_count())) {
    if (why) *why = "device '" + device + "' does not exist";
    return false;
  }
  return true;
}

std::shared_ptr<ClipRuntime> acquire_clip_runtime(const std::string &name_or_path,
                                                  const RuntimeOptions &options) {
  const std::string weights = locate_clip_model(name_or_path);
  // As requested: an auto runtime is its own (what auto picks is measured
  // when it loads).
  const std::string key = weights + "@" + options.device + "#" +
                          clip::precision_name(options.precision) + "/" +
                          clip::preprocess_name(options.preprocess);
  std::lock_guard<std::mutex> lock(registry_mutex);
  if (auto shared = registry[key].lock()) return shared;
  auto runtime = std::make_shared<LoadedClipRuntime>(name_or_path, weights, options);
  registry[key] = runtime;
  return runtime;
}

}  // namespace refseg

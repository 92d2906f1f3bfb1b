// A loaded CLIP model as the elements use it: weights, tokenizer and the
// worker thread its inference runs on, behind a torch-free interface so the
// GStreamer glue compiles without LibTorch's headers.
//
// One runtime per model file and device, shared by every element that names
// it (acquire_clip_runtime), freed with its last user.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clip/precision.h"
#include "clip/preprocess_mode.h"
#include "common/image_view.h"
#include "common/region_mask.h"

namespace refseg {

struct RuntimeOptions {
  // LibTorch intra-op threads; 0 = the cores other processes leave idle,
  // measured before each analysis and each transformer block
  // (scheduling/core_budget.h).
  int threads = 0;
  std::string device = "cpu";  // "cpu", "cuda", "cuda:N"
  // Resolved on the device at load (clip::choose_precision); both towers
  // compute in it. Runtimes of one file in different precisions are
  // separate models.
  clip::Precision precision = clip::Precision::kFp32;
  // How encode_masks turns frame and masks into the towers' inputs
  // (clip/preprocess_mode.h). Texts are encoded as given: preparing them as
  // the reference does (tokenizer/reference_text.h) is the caller's step,
  // since the phrase must be extracted from the prepared sentence.
  clip::Preprocess preprocess = clip::Preprocess::kClip;
  // Where precision=auto remembers what it measured, per model file, CPU
  // and libraries (precision_memory.h): the next load of the same model
  // takes the remembered precision instead of timing each one (seconds for
  // a ViT-B/32). Empty: auto measures at every load.
  std::string precision_cache_dir;
  // true: acquire_clip_runtime returns once the file is read and checked
  // (the archive, its CRCs, that it is a CLIP model, its vocabulary, the
  // device and the precision asked for); building the model, choosing the
  // precision and packing the weights go on on the model's worker thread.
  // Every call that needs the model waits for them (ready() does not);
  // a failure there is thrown by those calls. false: all of it before
  // acquire_clip_runtime returns. A model already loaded is shared either way.
  bool background = false;
};

struct EncodedMasks {
  size_t count = 0, dim = 0;
  std::vector<float> global, local;  // count x dim, row-major, unnormalized
  // Masks whose local row is their own crop's feature; the others' local
  // row is a copy of their global one (local-crops), so any a scores them
  // on the global feature alone.
  size_t local_crops = 0;
  std::vector<bool> local_is_crop;  // per mask
  // Rows taken from the previous analysis (FeatureReuse) instead of a pass.
  size_t reused_local = 0, reused_global = 0;
  // Threads the analysis ended on (under threads=0 the core budget's
  // choice, which may change between transformer blocks).
  int threads = 0;
};

class FeatureReuse;

// Which masks get a local-context crop pass (selection/local_crops.h): all
// (k < 0, the paper's method), or each text's k best by global score.
struct LocalCrops {
  int k = -1;
  std::vector<std::vector<float>> texts;  // mixed text features to rank by
};

class ClipRuntime {
 public:
  virtual ~ClipRuntime() = default;
  virtual const std::string &name() const = 0;  // as given by the user
  virtual const std::string &weights_path() const = 0;
  // Whether the model is built and its precision applied (always true
  // without RuntimeOptions::background); never waits.
  virtual bool ready() const = 0;
  // Waits until it is; throws the ModelError of a load that failed.
  virtual void wait_until_ready() = 0;
  // Where the load's time went, for the log and the benchmarks, e.g. "read
  // and checked 290 ms, built 610 ms, precision bf16 remembered in FILE,
  // packed 180 ms; 1080 ms in all". Waits until ready.
  virtual std::string load_report() = 0;
  virtual int embed_dim() const = 0;
  virtual int input_resolution() const = 0;
  virtual int layers() const = 0;  // image tower blocks (masked-layers range)
  // What the towers compute in now; never kAuto. Waits until ready. A live
  // (background) load with precision=auto may start in another mode and
  // settle after the first analysis (auto_precision_start.h).
  virtual clip::Precision precision() = 0;
  // How auto settled ("precision int8 remembered in FILE after the first
  // analysis in bf16, 480 ms"), settling now if no analysis has run yet.
  // Waits until ready and for the worker.
  virtual std::string settle_report() = 0;
  // The same once auto has settled, for the first caller only, else empty
  // (never waits): what the encoder posts as refseg-precision-settled.
  virtual std::string claim_settle_report() = 0;
  // Which library runs the matmuls, and why (clip/fp32_matmul.h): for the
  // log. Waits until ready.
  virtual std::string matmul_engine() = 0;
  // Why the precision may disappoint here (a mode this CPU has no fast
  // instructions for), for the first caller only, else empty: what
  // elements post as a warning, once per loaded model.
  virtual std::string claim_precision_note() = 0;
  // Why a fixed `threads` count is slowing the analyses (other processes
  // keep busy cores it runs on: scheduling/fixed_threads_watch.h), for the
  // first caller after it was found, else empty: what the encoder posts as
  // a warning, once per loaded model.
  virtual std::string claim_threads_note() = 0;
  // The score below which this model's referents count as absent, when a
  // calibration came with it (read_score_threshold()).
  virtual std::optional<float> calibrated_threshold() const = 0;
  // The spread of this model's scores the spatial resolver reads a frame's
  // scores against, when a calibration came with it (read_score_spread()).
  virtual std::optional<float> calibrated_spread() const = 0;

  // Global- and local-context features of each mask (docs/method.md step 2),
  // local ones for the masks `crops` picks. With `reuse` (one per stream:
  // it holds that stream's previous analysis), rows of unchanged masks are
  // taken from the previous analysis (feature_reuse.h) and this one is
  // remembered.
  virtual EncodedMasks encode_masks(const ImageView &frame, const std::vector<RegionMask> &masks,
                                    int masked_layers, const LocalCrops &crops = {},
                                    FeatureReuse *reuse = nullptr) = 0;
  // Text-tower embedding, cached per text: a constant text costs nothing
  // per frame.
  virtual std::vector<float> encode_text(const std::string &text) = 0;
};

// Loads (or shares the already loaded) model. Throws ModelError with a
// message naming the file and the problem.
std::shared_ptr<ClipRuntime> acquire_clip_runtime(const std::string &name_or_path,
                                                  const RuntimeOptions &options = {});

// Whether this LibTorch can run on `device`; fills `why` when not.
bool device_available(const std::string &device, std::string *why);

}  // namespace refseg

#include "refcoco/refcoco_evaluation.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "common/model_error.h"
#include "language/noun_phrase.h"
#include "proposals/grouping_generator.h"
#include "refcoco/refer_dataset.h"
#include "runtime/clip_runtime.h"
#include "selection/frame_decision.h"
#include "tokenizer/reference_text.h"
#include "tokenizer/unicode_props.h"

namespace refseg::refcoco {
namespace {

std::string join(const std::string &dir, const std::string &name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

// The image as the authors' dataset opens it: the stored pixels (PIL does
// not apply EXIF orientation, and COCO's masks are drawn on the stored
// pixels), checked against the size instances.json gives.
cv::Mat read_image(const std::string &path, const ImageInfo &info, const Ref &ref) {
  const std::string which =
      " (image " + std::to_string(info.id) + ", ref " + std::to_string(ref.ref_id) + ")";
  if (!std::ifstream(path, std::ios::binary))
    throw ModelError("image file " + path + which + " is missing or unreadable");
  cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
  if (bgr.empty()) throw ModelError("image file " + path + which + " cannot be decoded");
  if (bgr.cols != info.width || bgr.rows != info.height)
    throw ModelError("image file " + path + which + " is " + std::to_string(bgr.rows) + " x " +
                     std::to_string(bgr.cols) + ", instances.json says " +
                     std::to_string(info.height) + " x " + std::to_string(info.width) +
                     " (height x width)");
  return bgr;
}

std::unique_ptr<ProposalGenerator> make_proposals(const RefcocoOptions &o) {
  if (o.proposal_model.empty())
    return std::make_unique<GroupingProposalGenerator>(GroupingOptions{}, o.filter);
  return std::make_unique<TorchScriptProposalGenerator>(o.proposal_model, o.torchscript, o.filter);
}

// A float option as the user typed it (0.95, not 0.949999988).
double shown(float v) {
  return std::round(static_cast<double>(v) * 1e6) / 1e6;
}

std::string lower(const std::string &text) {
  return unicode::encode_utf8(unicode::to_lower(unicode::decode_utf8(text)));
}

}  // namespace

ReferPaths refer_paths(const RefcocoOptions &o) {
  const std::string split_by = o.split_by.empty() ? default_split_by(o.dataset) : o.split_by;
  const std::string dataset_dir = join(o.refer_root, o.dataset);
  ReferPaths p;
  p.refs = !o.refs_file.empty() ? o.refs_file : join(dataset_dir, "refs(" + split_by + ").json");
  p.instances = !o.instances_file.empty() ? o.instances_file : join(dataset_dir, "instances.json");
  p.images =
      !o.images_dir.empty() ? o.images_dir : join(o.refer_root, "images/mscoco/images/train2014");
  if (o.refer_root.empty() &&
      (o.refs_file.empty() || o.instances_file.empty() || o.images_dir.empty()))
    throw ModelError(
        "refcoco evaluation: no refer root given (--refer-root), and not all of --refs, "
        "--instances and --images");
  return p;
}

RefcocoResult evaluate_refcoco(const RefcocoOptions &o,
                               const std::function<void(int64_t, int64_t)> &progress) {
  if (o.limit < 0) throw ModelError("refcoco evaluation: --limit must be >= 0");
  if (o.masked_layers < 0) throw ModelError("refcoco evaluation: --masked-layers must be >= 0");
  const auto start = std::chrono::steady_clock::now();

  RefcocoResult result;
  const ReferPaths paths = refer_paths(o);
  result.refs_file = paths.refs;
  result.instances_file = paths.instances;
  result.images_dir = paths.images;
  result.split_by = o.split_by.empty() ? default_split_by(o.dataset) : o.split_by;
  result.global_weight = o.global_weight           ? *o.global_weight
                         : o.dataset == "refcocog" ? 0.85f
                                                   : 0.95f;
  DecisionSettings decision;
  decision.weights = {result.global_weight, o.sentence_weight};
  decision.threshold = kSelectAlways;
  decision.spatial = false;

  const ReferDataset data = load_refer(paths.refs, paths.instances);
  const std::vector<const Ref *> refs = refs_in_split(data, o.split);
  result.split_refs = static_cast<int64_t>(refs.size());
  for (const Ref *ref : refs) result.split_sentences += static_cast<int64_t>(ref->sentences.size());
  const int64_t total =
      o.limit > 0 ? std::min(o.limit, result.split_sentences) : result.split_sentences;

  auto runtime = acquire_clip_runtime(o.model, {o.threads, o.device, o.precision, o.preprocess});
  const std::unique_ptr<ProposalGenerator> proposer = make_proposals(o);
  NounPhraseExtractor phrases;

  for (const Ref *ref : refs) {
    if (result.sentences >= total) break;
    ++result.refs;
    const ImageInfo &info = data.images.at(ref->image_id);
    const cv::Mat bgr = read_image(join(paths.images, info.file_name), info, *ref);
    const PixelMask target = target_mask(data, *ref);
    const ImageView frame{bgr.data, bgr.cols, bgr.rows, static_cast<int>(bgr.step[0]),
                          PixelLayout::BGR};
    const std::vector<RegionMask> proposals = proposer->propose(frame);
    result.proposals += static_cast<int64_t>(proposals.size());
    if (proposals.empty()) ++result.unanswered_refs;
    const EncodedMasks features = proposals.empty()
                                      ? EncodedMasks{}
                                      : runtime->encode_masks(frame, proposals, o.masked_layers);
    const int64_t target_area = static_cast<int64_t>(target.count_nonzero());

    for (const Sentence &sentence : ref->sentences) {
      if (result.sentences >= total) break;
      ++result.sentences;
      SentenceResult r;
      r.ref_id = ref->ref_id;
      r.sent_id = sentence.sent_id;
      r.text = o.preprocess == clip::Preprocess::kReference ? text::reference_sentence(sentence.raw)
               : o.lower_case                               ? lower(sentence.raw)
                                                            : sentence.raw;
      if (proposals.empty()) {
        // The released loop `continue`s before its sentence loop.
        result.tally.add_unanswered(target_area);
      } else {
        r.phrase = phrases.target_phrase(r.text);
        // The selector's decision under the paper's protocol: no threshold
        // (every sentence's referent is there), no spatial words.
        const ExpressionDecision d =
            decide_frame(frame_proposals(proposals, features.global.data(), features.local.data(),
                                         features.count, features.dim),
                         {{r.text, r.phrase}}, decision,
                         [&runtime](const std::string &t) { return runtime->encode_text(t); })
                .front();
        r.chosen = d.index;
        if (r.chosen >= 0) {
          r.score = d.score;
          r.overlap = overlap(proposals[static_cast<size_t>(r.chosen)], target);
        } else {
          // Every score NaN (a broken model): nothing chosen, an empty
          // prediction, as an all-false mask would score there.
          r.overlap = {0, target_area};
        }
        result.tally.add(r.overlap);
      }
      if (o.per_sentence) result.per_sentence.push_back(std::move(r));
      if (progress) progress(result.sentences, total);
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

nlohmann::ordered_json refcoco_json(const RefcocoOptions &o, const RefcocoResult &r) {
  nlohmann::ordered_json j;  // keys in this order, for a reader
  j["dataset"] = o.dataset;
  j["split_by"] = r.split_by;
  j["split"] = o.split;
  j["refs_file"] = r.refs_file;
  j["instances_file"] = r.instances_file;
  j["images_dir"] = r.images_dir;
  j["model"] = o.model;
  j["precision"] = clip::precision_name(o.precision);
  j["preprocess"] = clip::preprocess_name(o.preprocess);
  j["proposals"] = o.proposal_model.empty() ? "grouping" : o.proposal_model;
  j["max_proposals"] = o.filter.max_proposals;
  j["global_weight"] = shown(r.global_weight);
  j["sentence_weight"] = shown(o.sentence_weight);
  j["masked_layers"] = o.masked_layers;
  j["lower_case"] = o.lower_case;
  j["limit"] = o.limit;
  j["split_refs"] = r.split_refs;
  j["split_sentences"] = r.split_sentences;
  j["refs"] = r.refs;
  j["sentences"] = r.sentences;
  j["scored_sentences"] = r.tally.sentences();
  j["unanswered_refs"] = r.unanswered_refs;
  j["unanswered_sentences"] = r.tally.unanswered();
  j["mean_proposals"] = r.refs ? static_cast<double>(r.proposals) / r.refs : 0.0;
  j["intersection"] = r.tally.intersection();
  j["union"] = r.tally.union_();
  j["oIoU"] = r.tally.oiou();
  j["mIoU"] = r.tally.miou();
  j["oIoU_percent"] = 100 * r.tally.oiou();
  j["mIoU_percent"] = 100 * r.tally.miou();
  j["counting_unanswered"] = {{"oIoU", r.tally.strict_oiou()}, {"mIoU", r.tally.strict_miou()}};
  j["seconds"] = r.seconds;
  if (o.per_sentence) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const SentenceResult &s : r.per_sentence)
      list.push_back({{"ref_id", s.ref_id},
                      {"sent_id", s.sent_id},
                      {"text", s.text},
                      {"phrase", s.phrase},
                      {"chosen", s.chosen},
                      {"score", s.score},
                      {"intersection", s.overlap.intersection},
                      {"union", s.overlap.union_}});
    j["per_sentence"] = std::move(list);
  }
  return j;
}

}  // namespace refseg::refcoco

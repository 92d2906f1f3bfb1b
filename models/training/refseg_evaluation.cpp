#include "training/refseg_evaluation.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>

#include "common/model_error.h"
#include "language/noun_phrase.h"
#include "proposals/grouping_generator.h"
#include "runtime/clip_runtime.h"
#include "training/world_samples.h"

namespace refseg::training {
namespace {

// Intersection and union of a box-cropped proposal with a frame-sized mask.
void overlap(const RegionMask &p, const cv::Mat &target, double *inter, double *uni) {
  int64_t i = 0, pa = 0;
  for (int y = 0; y < p.box.height; ++y)
    for (int x = 0; x < p.box.width; ++x) {
      if (!p.pixels[static_cast<size_t>(y) * p.box.width + x]) continue;
      ++pa;
      const int fx = p.box.x + x, fy = p.box.y + y;
      if (fx >= 0 && fy >= 0 && fx < target.cols && fy < target.rows && target.at<uint8_t>(fy, fx))
        ++i;
    }
  *inter = static_cast<double>(i);
  *uni = static_cast<double>(pa + cv::countNonZero(target) - i);
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

std::string tally_json(const Tally &t) {
  return "{\"expressions\": " + std::to_string(t.expressions) + ", \"top1\": " + number(t.top1()) +
         ", \"mIoU\": " + number(t.miou()) + ", \"oIoU\": " + number(t.oiou()) + "}";
}

std::string json_string(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

void Tally::add(double inter, double uni) {
  ++expressions;
  const double iou = uni > 0 ? inter / uni : 0;
  hits += iou >= 0.5;
  iou_sum += iou;
  intersection += inter;
  union_ += uni;
}

std::string proposal_source_name(ProposalSource s) {
  return s == ProposalSource::GroundTruth ? "ground-truth" : "grouping";
}

EvaluationResult evaluate_refseg(const EvaluationOptions &o,
                                 const std::function<void(int, int)> &progress) {
  if (o.scenes <= 0) throw ModelError("evaluation: --scenes must be positive");
  if (o.first_seed >= kFirstTrainingSceneSeed ||
      static_cast<uint64_t>(o.scenes) > kFirstTrainingSceneSeed - o.first_seed)
    throw ModelError("evaluation: scene seeds " + std::to_string(o.first_seed) + ".." +
                     std::to_string(o.first_seed + o.scenes - 1) +
                     " reach the training scenes (seeds >= " +
                     std::to_string(kFirstTrainingSceneSeed) + "); pick held-out seeds below that");
  if (o.settings.empty()) throw ModelError("evaluation: no weight setting to score");
  world::validate(o.world);

  const auto start = std::chrono::steady_clock::now();
  RuntimeOptions runtime_options;
  runtime_options.threads = o.threads;
  auto runtime = acquire_clip_runtime(o.model, runtime_options);
  NounPhraseExtractor phrases;
  GroupingProposalGenerator grouping;

  EvaluationResult result;
  result.settings.resize(o.settings.size());
  for (size_t s = 0; s < o.settings.size(); ++s) result.settings[s].weights = o.settings[s];

  for (int n = 0; n < o.scenes; ++n) {
    const world::Scene scene = world::make_scene(o.first_seed + static_cast<uint64_t>(n), o.world);
    const ImageView frame{scene.image.data, scene.image.cols, scene.image.rows,
                          static_cast<int>(scene.image.step[0]), PixelLayout::RGB};
    std::vector<RegionMask> proposals;
    if (o.proposals == ProposalSource::GroundTruth)
      for (const auto &obj : scene.objects) proposals.push_back(world::region_mask(obj));
    else
      proposals = grouping.propose(frame);
    result.proposals += static_cast<int64_t>(proposals.size());
    if (proposals.empty()) ++result.frames_without_proposals;
    const EncodedMasks features = proposals.empty()
                                      ? EncodedMasks{}
                                      : runtime->encode_masks(frame, proposals, o.masked_layers);

    for (const auto &e : scene.expressions) {
      std::string phrase = phrases.target_phrase(e.text);
      if (phrase.empty()) phrase = e.text;
      const std::vector<float> sentence_feature = runtime->encode_text(e.text);
      const std::vector<float> phrase_feature = runtime->encode_text(phrase);
      const cv::Mat &target = scene.objects[static_cast<size_t>(e.target)].mask;
      for (auto &setting : result.settings) {
        double inter = 0, uni = cv::countNonZero(target);
        if (!proposals.empty()) {
          const auto text =
              mix_text_features(sentence_feature, phrase_feature, setting.weights.sentence);
          const auto scores =
              score_proposals(features.global.data(), features.local.data(), features.count,
                              features.dim, text, setting.weights.global);
          overlap(proposals[static_cast<size_t>(best_proposal(scores))], target, &inter, &uni);
        }
        setting.all.add(inter, uni);
        setting.by_type[e.type].add(inter, uni);
      }
    }
    ++result.scenes;
    if (progress) progress(n + 1, o.scenes);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

std::string evaluation_json(const EvaluationOptions &o, const EvaluationResult &r) {
  std::ostringstream out;
  if (r.settings.size() > 1) out << "[\n";
  for (size_t s = 0; s < r.settings.size(); ++s) {
    const auto &set = r.settings[s];
    out << "{\"model\": " << json_string(o.model) << ", \"first_seed\": " << o.first_seed
        << ", \"scenes\": " << r.scenes
        << ", \"proposals\": " << json_string(proposal_source_name(o.proposals))
        << ", \"mean_proposals\": " << number(r.scenes ? double(r.proposals) / r.scenes : 0)
        << ", \"global_weight\": " << number(set.weights.global)
        << ", \"sentence_weight\": " << number(set.weights.sentence)
        << ", \"masked_layers\": " << o.masked_layers << ", \"all\": " << tally_json(set.all)
        << ", \"by_type\": {";
    bool first = true;
    for (const auto &[type, tally] : set.by_type) {
      out << (first ? "" : ", ") << json_string(world::expression_type_name(type)) << ": "
          << tally_json(tally);
      first = false;
    }
    out << "}, \"seconds\": " << number(r.seconds) << "}";
    if (r.settings.size() > 1) out << (s + 1 < r.settings.size() ? ",\n" : "\n");
  }
  if (r.settings.size() > 1) out << "]";
  return out.str();
}

}  // namespace refseg::training

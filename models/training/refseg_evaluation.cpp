#include "training/refseg_evaluation.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <sstream>
#include <utility>

#include "common/model_error.h"
#include "language/noun_phrase.h"
#include "language/spatial_expression.h"
#include "proposals/grouping_generator.h"
#include "runtime/clip_runtime.h"
#include "selection/frame_decision.h"
#include "tokenizer/reference_text.h"
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

// The gap between the mean scores of the objects an expression's target
// description fits and of the rest, for an expression with spatial words
// and a description that fits some objects but not all.
void add_description_gap(const world::Expression &e, size_t objects,
                         const std::function<std::vector<float>(const std::string &)> &score,
                         std::vector<float> &gaps) {
  if (e.described.empty() || e.described.size() >= objects) return;
  const SpatialExpression parsed = parse_spatial_expression(e.text);
  if (!parsed.spatial() || parsed.target.empty()) return;
  const std::vector<float> s = score(parsed.target);
  if (s.size() != objects) return;
  double in = 0, out = 0;
  for (size_t i = 0; i < s.size(); ++i)
    (std::find(e.described.begin(), e.described.end(), static_cast<int>(i)) != e.described.end()
         ? in
         : out) += s[i];
  const size_t n_in = e.described.size();
  gaps.push_back(static_cast<float>(in / n_in - out / (s.size() - n_in)));
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

ScoreSeparation score_separation(const std::vector<float> &present,
                                 const std::vector<float> &absent) {
  ScoreSeparation r;
  r.present = static_cast<int64_t>(present.size());
  r.absent = static_cast<int64_t>(absent.size());
  if (present.empty() || absent.empty()) return r;
  std::vector<float> a = absent;
  std::sort(a.begin(), a.end());
  double wins = 0;
  for (float p : present) {
    const auto lo = std::lower_bound(a.begin(), a.end(), p);
    const auto hi = std::upper_bound(a.begin(), a.end(), p);
    wins += static_cast<double>(lo - a.begin()) + 0.5 * static_cast<double>(hi - lo);
  }
  r.auc = wins / (static_cast<double>(present.size()) * static_cast<double>(a.size()));
  for (float p : present) r.present_mean += p;
  for (float v : absent) r.absent_mean += v;
  r.present_mean /= static_cast<double>(present.size());
  r.absent_mean /= static_cast<double>(absent.size());

  // Lower the cut through every distinct score, highest first.
  std::vector<std::pair<float, bool>> all;  // score, present
  for (float p : present) all.emplace_back(p, true);
  for (float v : absent) all.emplace_back(v, false);
  std::sort(all.begin(), all.end(), [](const auto &x, const auto &y) { return x.first > y.first; });
  const double np = static_cast<double>(present.size()), na = static_cast<double>(absent.size());
  double best = -1;
  int64_t tp = 0, fp = 0;
  for (size_t i = 0; i < all.size();) {
    const float s = all[i].first;
    for (; i < all.size() && all[i].first == s; ++i) (all[i].second ? tp : fp) += 1;
    const double tpr = tp / np, tnr = (na - fp) / na;
    if ((tpr + tnr) / 2 > best) {
      best = (tpr + tnr) / 2;
      r.present_rate = tpr;
      r.absent_rate = tnr;
      r.threshold = i < all.size() ? 0.5 * (static_cast<double>(s) + all[i].first) : s - 0.5;
    }
  }
  return r;
}

std::string json_string(const std::string &s) {
  // nlohmann-json escapes what JSON needs (quotes, backslashes, control
  // characters) and replaces bytes that are not UTF-8 with U+FFFD, so a
  // model path or name of any bytes gives a document every reader takes.
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

SpatialMode parse_spatial_mode(const std::string &name) {
  SpatialMode m;
  m.name = name;
  m.on = name != "off";
  SpatialCues &c = m.settings.cues;
  if (name == "off" || name == "on") return m;
  if (name == "no-position")
    c.position = false;
  else if (name == "no-size")
    c.size = false;
  else if (name == "no-rank")
    c.rank = false;
  else if (name == "no-relation")
    c.relation = false;
  else if (name == "no-target-text")
    c.target_text = false;
  else if (name == "no-anchor-text")
    c.anchor_text = false;
  else if (name == "world-membership")
    m.world_membership = true;
  else
    throw ModelError("spatial mode '" + name +
                     "': expected off, on, no-position, no-size, no-rank, no-relation, "
                     "no-target-text, no-anchor-text or world-membership");
  return m;
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
  if (o.spatial.empty()) throw ModelError("evaluation: no spatial mode to score");
  if (o.absent_per_scene < 0)
    throw ModelError("evaluation: --absent must be a count of expressions per scene >= 0, found " +
                     std::to_string(o.absent_per_scene));
  world::validate(o.world);
  for (const SpatialMode &m : o.spatial)
    if (m.world_membership && o.proposals != ProposalSource::GroundTruth)
      throw ModelError(
          "spatial mode world-membership needs exact masks (--proposals "
          "ground-truth): it scores objects, not proposals");

  const auto start = std::chrono::steady_clock::now();
  auto runtime = acquire_clip_runtime(o.model, {o.threads, "cpu", o.precision, o.preprocess});
  NounPhraseExtractor phrases;
  GroupingProposalGenerator grouping;
  FrameDecider decider;  // keeps each expression's spatial parse

  const float spread =
      o.spatial_spread >= 0 ? o.spatial_spread : runtime->calibrated_spread().value_or(0.f);
  EvaluationResult result;
  result.spatial_spread = spread;
  // With exact masks proposal i is object i, so the world's `described`
  // says which proposals a description's score should single out.
  const bool calibrate_spread =
      o.proposals == ProposalSource::GroundTruth &&
      std::any_of(o.spatial.begin(), o.spatial.end(), [](const SpatialMode &m) { return m.on; });
  for (const SelectionWeights &w : o.settings)
    for (const SpatialMode &m : o.spatial) {
      SettingResult r;
      r.weights = w;
      r.spatial = m;
      r.spatial.settings.spread_floor = spread;
      result.settings.push_back(r);
    }

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

    // An expression's sentence and target-phrase features.
    using TextFeatures = std::pair<std::vector<float>, std::vector<float>>;
    auto text_features = [&](const std::string &expression) {
      const std::string sentence = o.preprocess == clip::Preprocess::kReference
                                       ? text::reference_sentence(expression)
                                       : expression;
      std::string phrase = phrases.target_phrase(sentence);
      if (phrase.empty()) phrase = sentence;
      return TextFeatures{runtime->encode_text(sentence), runtime->encode_text(phrase)};
    };
    std::vector<ProposalGeometry> geometry;
    for (const RegionMask &p : proposals) geometry.push_back(proposal_geometry(p));
    std::vector<float> distinctness;  // computed by the first spatial expression
    // With local-crops, the scene's expressions (mixed as the first
    // setting mixes them) pick the masks that get a crop pass, as the
    // selector's expressions do in a pipeline.
    LocalCrops crops;
    crops.k = o.local_crops;
    if (crops.k >= 0)
      for (const auto &e : scene.expressions) {
        const TextFeatures t = text_features(e.text);
        crops.texts.push_back(mix_text_features(t.first, t.second, o.settings.front().sentence));
      }
    const EncodedMasks features =
        proposals.empty() ? EncodedMasks{}
                          : runtime->encode_masks(frame, proposals, o.masked_layers, crops);
    result.local_crops += static_cast<int64_t>(features.local_crops);
    // An expression as the selector prepares it, and the text tower.
    auto prepare = [&](const std::string &expression) {
      const std::string sentence = o.preprocess == clip::Preprocess::kReference
                                       ? text::reference_sentence(expression)
                                       : expression;
      return PreparedExpression{sentence, phrases.target_phrase(sentence)};
    };
    const TextEncoder encode = [&runtime](const std::string &t) { return runtime->encode_text(t); };
    const FrameProposals frame_props = frame_proposals(
        proposals, features.global.data(), features.local.data(), features.count, features.dim);
    // The proposals' scores for one expression under one setting.
    auto score = [&](const TextFeatures &t, const SelectionWeights &w) {
      const auto text = mix_text_features(t.first, t.second, w.sentence);
      return score_proposals(features.global.data(), features.local.data(), features.count,
                             features.dim, text, w.global);
    };
    // The proposal a setting chooses: the paper's best score, or with
    // spatial on the resolver's pick when the expression has spatial words
    // it can resolve.
    auto choose = [&](const world::Expression &e, const std::vector<float> &scores,
                      SettingResult &setting) {
      const int best = best_proposal(scores);
      if (!setting.spatial.on) return best;
      if (distinctness.empty()) distinctness = mask_distinctness(proposals);
      SpatialExpression parsed = parse_spatial_expression(e.text);
      const std::string target = parsed.target;
      // world-membership: 100 for the objects a description fits, 0 else
      // (proposal i is object i with exact masks).
      auto world_scores = [&](const std::string &text) {
        std::vector<float> s(proposals.size(), 0.f);
        if (text == target)
          for (int i : e.described) s[static_cast<size_t>(i)] = 100.f;
        else if (e.anchor >= 0)
          s[static_cast<size_t>(e.anchor)] = 100.f;
        return s;
      };
      const SpatialChoice choice = choose_spatially(
          std::move(parsed), geometry, distinctness,
          [&](const std::string &text) {
            return setting.spatial.world_membership ? world_scores(text)
                                                    : score(text_features(text), setting.weights);
          },
          setting.spatial.settings);
      const SpatialResolution &r = choice.resolution;
      if (!r.resolved) return best;
      ++setting.spatial_resolved[e.type];
      return r.best;
    };
    for (const auto &e : scene.expressions) {
      if (calibrate_spread)
        add_description_gap(
            e, scene.objects.size(),
            [&](const std::string &t) { return score(text_features(t), o.settings.front()); },
            result.description_gaps);
      const TextFeatures text = text_features(e.text);
      const cv::Mat &target = scene.objects[static_cast<size_t>(e.target)].mask;
      for (auto &setting : result.settings) {
        double inter = 0, uni = cv::countNonZero(target);
        if (!proposals.empty()) {
          int best = -1;
          std::vector<float> scores;
          if (setting.spatial.on && setting.spatial.world_membership) {
            // The ablation that reads descriptions from the world's truth.
            scores = score(text, setting.weights);
            best = choose(e, scores, setting);
          } else {
            // The selector's own decision (models/selection/frame_decision.h),
            // with every referent there (no threshold).
            DecisionSettings decision;
            decision.weights = setting.weights;
            decision.threshold = kSelectAlways;
            decision.spatial = setting.spatial.on;
            decision.spatial_settings = setting.spatial.settings;
            ExpressionDecision d =
                decider.decide(frame_props, {prepare(e.text)}, decision, encode).front();
            if (d.spatial.resolution.resolved) ++setting.spatial_resolved[e.type];
            best = d.index;
            scores = std::move(d.proposal_scores);
          }
          if (best >= 0) overlap(proposals[static_cast<size_t>(best)], target, &inter, &uni);
          const int top = best_proposal(scores);
          if (o.absent_per_scene > 0 && e.type == world::ExpressionType::Attribute && top >= 0)
            setting.present_scores.push_back(scores[static_cast<size_t>(top)]);
        }
        setting.all.add(inter, uni);
        setting.by_type[e.type].add(inter, uni);
      }
    }
    if (o.absent_per_scene > 0 && !proposals.empty())
      for (const auto &e : world::absent_expressions(scene.objects, o.absent_per_scene,
                                                     o.first_seed + static_cast<uint64_t>(n))) {
        const TextFeatures text = text_features(e.text);
        for (auto &setting : result.settings) {
          const auto scores = score(text, setting.weights);
          setting.absent_scores.push_back(scores[static_cast<size_t>(best_proposal(scores))]);
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
        << ", \"masked_layers\": " << o.masked_layers
        << ", \"precision\": " << json_string(clip::precision_name(o.precision))
        << ", \"preprocess\": " << json_string(clip::preprocess_name(o.preprocess))
        << ", \"spatial\": " << json_string(set.spatial.name)
        << ", \"spatial_spread\": " << number(r.spatial_spread)
        << ", \"local_crops\": " << o.local_crops
        << ", \"mean_local_crops\": " << number(r.scenes ? double(r.local_crops) / r.scenes : 0)
        << ", \"all\": " << tally_json(set.all) << ", \"by_type\": {";
    bool first = true;
    for (const auto &[type, tally] : set.by_type) {
      out << (first ? "" : ", ") << json_string(world::expression_type_name(type)) << ": "
          << tally_json(tally);
      first = false;
    }
    out << "}";
    if (set.spatial.on) {
      out << ", \"spatial_resolved\": {";
      first = true;
      for (const auto &[type, count] : set.spatial_resolved) {
        out << (first ? "" : ", ") << json_string(world::expression_type_name(type)) << ": "
            << count;
        first = false;
      }
      out << "}";
      if (!r.description_gaps.empty()) {
        std::vector<float> gaps = r.description_gaps;
        std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
        const float median = gaps[gaps.size() / 2];
        out << ", \"description_gap\": {\"expressions\": " << gaps.size()
            << ", \"median\": " << number(median) << ", \"spread\": " << number(0.5 * median)
            << "}";
      }
    }
    if (o.absent_per_scene > 0) {
      const ScoreSeparation sep = score_separation(set.present_scores, set.absent_scores);
      out << ", \"absent\": {\"per_scene\": " << o.absent_per_scene
          << ", \"present_expressions\": " << sep.present
          << ", \"absent_expressions\": " << sep.absent << ", \"auc\": " << number(sep.auc)
          << ", \"threshold\": " << number(sep.threshold)
          << ", \"present_rate\": " << number(sep.present_rate)
          << ", \"absent_rate\": " << number(sep.absent_rate)
          << ", \"balanced_accuracy\": " << number(sep.balanced_accuracy())
          << ", \"present_mean_score\": " << number(sep.present_mean)
          << ", \"absent_mean_score\": " << number(sep.absent_mean) << "}";
    }
    out << ", \"seconds\": " << number(r.seconds) << "}";
    if (r.settings.size() > 1) out << (s + 1 < r.settings.size() ? ",\n" : "\n");
  }
  if (r.settings.size() > 1) out << "]";
  return out.str();
}

}  // namespace refseg::training

#include "training/video_evaluation.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>

#include "common/model_error.h"
#include "language/noun_phrase.h"
#include "proposals/grouping_generator.h"
#include "runtime/clip_runtime.h"
#include "tracking/result_tracker.h"
#include "training/world_samples.h"

namespace refseg::training {
namespace {

// What a replay needs of one frame of the world.
struct FrameTruth {
  cv::Mat image;                      // RGB
  std::vector<RegionMask> objects;    // each object's visible mask, box-cropped
  std::vector<RegionMask> proposals;  // ground-truth proposals: the visible objects
};

struct TrackedExpression {
  std::string text, phrase;
  int target = -1;
  std::vector<float> sentence, phrase_feature;
};

ImageView view_of(const cv::Mat &image) {
  return ImageView{image.data, image.cols, image.rows, static_cast<int>(image.step[0]),
                   PixelLayout::RGB};
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

void validate(const VideoEvaluationOptions &o) {
  if (o.videos <= 0) throw ModelError("video evaluation: --videos must be positive");
  if (o.frames <= 0) throw ModelError("video evaluation: --frames must be positive");
  if (o.first_seed >= kFirstTrainingSceneSeed ||
      static_cast<uint64_t>(o.videos) > kFirstTrainingSceneSeed - o.first_seed)
    throw ModelError("video evaluation: video seeds " + std::to_string(o.first_seed) + ".." +
                     std::to_string(o.first_seed + o.videos - 1) +
                     " reach the training seeds (>= " + std::to_string(kFirstTrainingSceneSeed) +
                     "); pick held-out seeds below that");
  if (!o.moving && !o.still)
    throw ModelError("video evaluation: neither moving nor still videos asked for");
  if (o.modes.empty()) throw ModelError("video evaluation: no analysis mode to replay");
  for (const AnalysisMode &m : o.modes)
    if (m.schedule != AnalysisSchedule::EveryFrame && m.frames < 1)
      throw ModelError("video evaluation: " + analysis_mode_name(m) +
                       ": the frame count must be >= 1");
  if (o.stabilizers.empty()) throw ModelError("video evaluation: no stabiliser to replay with");
  for (const NamedStabilizer &s : o.stabilizers)
    if (s.options.confirmations < 1 || s.options.margin < 0)
      throw ModelError("video evaluation: stabiliser " + s.name +
                       ": confirmations must be >= 1 and the margin >= 0");
  world::validate(o.world);
}

}  // namespace

std::string analysis_mode_name(const AnalysisMode &m) {
  switch (m.schedule) {
    case AnalysisSchedule::EveryFrame:
      return "every-frame";
    case AnalysisSchedule::Interval:
      return "interval-" + std::to_string(m.frames);
    case AnalysisSchedule::Latest:
      return "latest-" + std::to_string(m.frames);
  }
  return "";
}

AnalysisMode parse_analysis_mode(const std::string &name) {
  if (name == "every-frame") return {AnalysisSchedule::EveryFrame, 1};
  for (const auto &[prefix, schedule] :
       {std::make_pair(std::string("interval-"), AnalysisSchedule::Interval),
        std::make_pair(std::string("latest-"), AnalysisSchedule::Latest)}) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string n = name.substr(prefix.size());
    size_t used = 0;
    int frames = 0;
    try {
      frames = std::stoi(n, &used);
    } catch (const std::exception &) {
      used = 0;
    }
    if (n.empty() || used != n.size() || frames < 1)
      throw ModelError("analysis mode '" + name + "': expected " + prefix +
                       "N with a whole number N >= 1 of frames");
    return {schedule, frames};
  }
  throw ModelError("analysis mode '" + name +
                   "': expected every-frame, interval-N or latest-L (N, L in frames)");
}

bool analysed_on(const AnalysisMode &m, int64_t t) {
  return m.schedule == AnalysisSchedule::EveryFrame || t % m.frames == 0;
}

int64_t applied_on(const AnalysisMode &m, int64_t t) {
  switch (m.schedule) {
    case AnalysisSchedule::EveryFrame:
      return t;
    case AnalysisSchedule::Interval:
      return t % m.frames == 0 ? t : -1;
    case AnalysisSchedule::Latest:
      return t >= m.frames && t % m.frames == 0 ? t - m.frames : -1;
  }
  return -1;
}

void SwitchCounter::next(int id) {
  if (id < 0) return;
  if (last_ >= 0 && id != last_) ++switches_;
  last_ = id;
}

VideoEvaluationResult evaluate_video(const VideoEvaluationOptions &o,
                                     const std::function<void(int, int)> &progress) {
  validate(o);
  const auto start = std::chrono::steady_clock::now();
  auto runtime = acquire_clip_runtime(o.model, {o.threads, "cpu", o.precision});
  NounPhraseExtractor phrases;
  GroupingProposalGenerator grouping;

  std::vector<bool> kinds;  // moving?
  if (o.moving) kinds.push_back(true);
  if (o.still) kinds.push_back(false);

  VideoEvaluationResult result;
  for (bool moving : kinds)
    for (const AnalysisMode &mode : o.modes)
      for (const NamedStabilizer &s : o.stabilizers)
        result.results.push_back({moving, mode, s.name, {}});

  double analysis_seconds = 0;
  const int total = o.videos * static_cast<int>(kinds.size());
  int done = 0;
  for (int v = 0; v < o.videos; ++v) {
    const uint64_t seed = o.first_seed + static_cast<uint64_t>(v);
    for (size_t k = 0; k < kinds.size(); ++k) {
      world::WorldOptions wo = o.world;
      if (!kinds[k]) {
        wo.max_speed = 0;
        wo.background_sway = 0;
      }
      const world::WorldVideo video(seed, wo);

      // The frames, and the expressions tracked through them.
      std::vector<FrameTruth> frames(static_cast<size_t>(o.frames));
      std::vector<TrackedExpression> expressions;
      for (int t = 0; t < o.frames; ++t) {
        world::Scene scene = video.frame(t);
        FrameTruth &f = frames[static_cast<size_t>(t)];
        f.image = scene.image;
        for (const world::Object &obj : scene.objects) {
          f.objects.push_back(world::region_mask(obj));
          if (obj.visible_area > 0) f.proposals.push_back(f.objects.back());
        }
        if (t == 0)
          for (const world::Expression &e : scene.expressions) {
            if (e.type != world::ExpressionType::Attribute) continue;
            TrackedExpression x;
            x.text = e.text;
            x.phrase = phrases.target_phrase(e.text);
            if (x.phrase.empty()) x.phrase = e.text;
            x.target = e.target;
            x.sentence = runtime->encode_text(x.text);
            x.phrase_feature = runtime->encode_text(x.phrase);
            expressions.push_back(std::move(x));
          }
      }
      result.expressions += static_cast<int64_t>(expressions.size());

      // Each analysed frame once, whichever schedules ask for it.
      std::map<int64_t, tracking::Analysis> analyses;
      auto analysis_of = [&](int64_t t) -> const tracking::Analysis & {
        auto found = analyses.find(t);
        if (found != analyses.end()) return found->second;
        const auto began = std::chrono::steady_clock::now();
        const FrameTruth &f = frames[static_cast<size_t>(t)];
        tracking::Analysis a;
        a.timestamp = t;
        a.width = f.image.cols;
        a.height = f.image.rows;
        a.proposals = o.proposals == ProposalSource::GroundTruth
                          ? f.proposals
                          : grouping.propose(view_of(f.image));
        const EncodedMasks features =
            a.proposals.empty()
                ? EncodedMasks{}
                : runtime->encode_masks(view_of(f.image), a.proposals, o.masked_layers);
        for (const TrackedExpression &x : expressions) {
          tracking::AnalysedExpression e;
          e.expression = x.text;
          e.phrase = x.phrase;
          if (a.proposals.empty()) {
            e.reason = "no proposals";
          } else {
            e.scores = score_proposals(
                features.global.data(), features.local.data(), features.count, features.dim,
                mix_text_features(x.sentence, x.phrase_feature, o.weights.sentence),
                o.weights.global);
            e.index = best_proposal(e.scores);
            e.score = e.scores[static_cast<size_t>(e.index)];
          }
          a.expressions.push_back(std::move(e));
        }
        analysis_seconds +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
        ++result.analyses_computed;
        return analyses.emplace(t, std::move(a)).first->second;
      };

      // Replay every schedule with every stabiliser.
      for (VideoModeResult &r : result.results) {
        if (r.moving != kinds[k]) continue;
        tracking::TrackerOptions tracker_options;
        for (const NamedStabilizer &s : o.stabilizers)
          if (s.name == r.stabilizer) tracker_options.stability = s.options;
        tracking::ResultTracker tracker(tracker_options);
        r.tally.expressions += static_cast<int64_t>(expressions.size());
        std::vector<SwitchCounter> tracks(expressions.size()), objects(expressions.size());
        for (int64_t t = 0; t < o.frames; ++t) {
          const FrameTruth &f = frames[static_cast<size_t>(t)];
          tracker.advance(view_of(f.image), t);
          const int64_t from = applied_on(r.mode, t);
          if (from >= 0) {
            if (!tracker.apply(analysis_of(from)))
              throw ModelError("video evaluation: the tracker refused the analysis of frame " +
                               std::to_string(from) + " on frame " + std::to_string(t));
            ++r.tally.analyses;
          }
          const tracking::TrackedFrame shown = tracker.current();
          for (size_t x = 0; x < expressions.size(); ++x) {
            const RegionMask &target = f.objects[static_cast<size_t>(expressions[x].target)];
            if (target.area() == 0) continue;  // fully hidden: counted once below
            const tracking::TrackedSelection *sel = nullptr;
            for (const auto &s : shown.selections)
              if (s.expression == expressions[x].text) sel = &s;
            double iou = 0;
            int object = -1;
            if (sel && sel->index >= 0) {
              const RegionMask &mask = shown.proposals[static_cast<size_t>(sel->index)];
              iou = mask_iou(mask, target);
              double most = 0;
              for (size_t i = 0; i < f.objects.size(); ++i) {
                const double overlap = mask_iou(mask, f.objects[i]);
                if (overlap > most) most = overlap, object = static_cast<int>(i);
              }
              tracks[x].next(sel->track_id);
            } else {
              ++r.tally.nothing_shown;
            }
            objects[x].next(object);
            ++r.tally.evaluations;
            r.tally.hits += iou >= 0.5;
            r.tally.iou_sum += iou;
          }
        }
        for (size_t x = 0; x < expressions.size(); ++x) {
          r.tally.switches += tracks[x].switches();
          r.tally.object_switches += objects[x].switches();
        }
      }
      for (int64_t t = 0; t < o.frames; ++t)
        for (const TrackedExpression &x : expressions)
          result.invisible_targets +=
              frames[static_cast<size_t>(t)].objects[static_cast<size_t>(x.target)].area() == 0;
      if (progress) progress(++done, total);
    }
    ++result.videos;
  }
  result.analysis_seconds = result.analyses_computed
                                ? analysis_seconds / static_cast<double>(result.analyses_computed)
                                : 0;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

std::string video_evaluation_json(const VideoEvaluationOptions &o, const VideoEvaluationResult &r) {
  std::ostringstream out;
  out << "{\"model\": " << json_string(o.model) << ", \"first_seed\": " << o.first_seed
      << ", \"videos\": " << r.videos << ", \"frames\": " << o.frames
      << ", \"width\": " << o.world.width << ", \"height\": " << o.world.height
      << ", \"proposals\": " << json_string(proposal_source_name(o.proposals))
      << ", \"global_weight\": " << number(o.weights.global)
      << ", \"sentence_weight\": " << number(o.weights.sentence)
      << ", \"masked_layers\": " << o.masked_layers << ", \"expressions\": " << r.expressions
      << ", \"analyses_computed\": " << r.analyses_computed
      << ", \"invisible_targets\": " << r.invisible_targets
      << ", \"analysis_seconds\": " << number(r.analysis_seconds) << ", \"stabilizers\": {";
  for (size_t s = 0; s < o.stabilizers.size(); ++s)
    out << (s ? ", " : "") << json_string(o.stabilizers[s].name)
        << ": {\"margin\": " << number(o.stabilizers[s].options.margin)
        << ", \"confirmations\": " << o.stabilizers[s].options.confirmations << "}";
  out << "}, \"results\": [\n";
  for (size_t i = 0; i < r.results.size(); ++i) {
    const VideoModeResult &m = r.results[i];
    const VideoTally &t = m.tally;
    out << "  {\"video\": " << json_string(m.moving ? "moving" : "still")
        << ", \"mode\": " << json_string(analysis_mode_name(m.mode))
        << ", \"stabilizer\": " << json_string(m.stabilizer)
        << ", \"expressions\": " << t.expressions << ", \"evaluations\": " << t.evaluations
        << ", \"analyses\": " << t.analyses << ", \"top1\": " << number(t.top1())
        << ", \"mIoU\": " << number(t.miou()) << ", \"nothing_shown\": " << t.nothing_shown
        << ", \"mIoU_shown\": " << number(t.miou_shown()) << ", \"switches\": " << t.switches
        << ", \"switches_per_100_frames\": " << number(t.switches_per_100())
        << ", \"object_switches\": " << t.object_switches
        << ", \"object_switches_per_100_frames\": " << number(t.object_switches_per_100()) << "}"
        << (i + 1 < r.results.size() ? ",\n" : "\n");
  }
  out << "], \"seconds\": " << number(r.seconds) << "}";
  return out.str();
}

}  // namespace refseg::training

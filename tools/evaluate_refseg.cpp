// Accuracy of the method on held-out scenes of the synthetic referring world:
//   evaluate_refseg --model NAME --seed S --scenes N [--proposals grouping|ground-truth]
//                   [--global-weight a[,a...]] [--sentence-weight b[,b...]]
//                   [--masked-layers k] [--threads N] [--precision P] [--preprocess P]
//                   [--local-crops K] [--absent N] [--spatial off,on,no-position,...]
//                   [--spatial-spread F] [--json out.json]
// Several weights (comma-separated) are scored from the same features, every
// a with every b, each with every --spatial mode (off: the paper's method;
// on: place, relation and order words resolved over the proposals'
// geometry; no-<cue>: on with one cue switched off; --spatial-spread: the
// resolver's spread floor instead of the model's calibration). --absent N also scores N expressions
// per scene whose object is absent and reports how the best score separates present from absent
// (ROC AUC, balanced-accuracy threshold). --preprocess reference prepares frames, masks and
// expressions as the authors' released code does (clip/preprocess_mode.h; the default clip is
// METHOD.md's text).
//
// On moving video, through the result tracker (training/video_evaluation.h):
//   evaluate_refseg --video --model NAME --seed S --videos K [--frames F]
//                   [--modes every-frame,interval-N,latest-L,...]
//                   [--motion both|moving|still] [--proposals ...]
//                   [--global-weight a] [--sentence-weight b] [--masked-layers k]
//                   [--threads N] [--precision P] [--json out.json]
// A progress bar goes to stderr, the JSON to stdout (and to --json when given).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/model_error.h"
#include "training/refseg_evaluation.h"
#include "training/video_evaluation.h"

namespace {

void usage() {
  std::cerr
      << "usage: evaluate_refseg --model NAME --seed S --scenes N\n"
         "         [--proposals grouping|ground-truth] [--global-weight a[,a...]]\n"
         "         [--sentence-weight b[,b...]] [--masked-layers k] [--threads N] [--precision P]\n"
         "         [--preprocess clip|reference] [--local-crops K] [--absent N] [--spatial "
         "off,on,no-position,...]\n"
         "         [--spatial-spread F] [--json out.json]\n"
         "       evaluate_refseg --video --model NAME --seed S --videos K [--frames F]\n"
         "         [--modes every-frame,interval-N,latest-L,...] [--motion both|moving|still]\n"
         "         [--proposals grouping|ground-truth] [--global-weight a]\n"
         "         [--sentence-weight b] [--masked-layers k] [--threads N] [--precision P]\n"
         "         [--json out.json]\n";
}

// A whole number >= minimum, or a clear error naming the flag.
int count(const std::string &text, const std::string &flag, int minimum) {
  size_t used = 0;
  long v = 0;
  try {
    v = std::stol(text, &used);
  } catch (const std::exception &) {
    used = 0;
  }
  if (text.empty() || used != text.size() || v < minimum || v > 1000000000L)
    throw refseg::ModelError(flag + ": '" + text +
                             "' is not a whole number >= " + std::to_string(minimum));
  return static_cast<int>(v);
}

std::vector<float> weights(const std::string &list, const std::string &flag) {
  std::vector<float> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    size_t used = 0;
    float v = 0;
    try {
      v = std::stof(item, &used);
    } catch (const std::exception &) {
      used = 0;
    }
    if (used != item.size() || v < 0.f || v > 1.f)
      throw refseg::ModelError(flag + ": '" + item + "' is not a weight in [0, 1]");
    out.push_back(v);
  }
  if (out.empty()) throw refseg::ModelError(flag + ": no weight given");
  return out;
}

void progress_bar(int done, int total) {
  const int width = 40, filled = width * done / total;
  std::fprintf(stderr, "\r[%s%s] %d/%d scenes", std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), done, total);
  if (done == total) std::fputc('\n', stderr);
}

}  // namespace

int main(int argc, char **argv) {
  refseg::training::EvaluationOptions o;
  refseg::training::VideoEvaluationOptions vo;
  bool video = false;
  std::vector<std::string> video_only, still_only;  // flags given, for the mode check
  std::vector<float> global = {0.95f}, sentence = {0.5f};
  std::string json_path;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw refseg::ModelError("missing value after " + arg);
        return argv[++i];
      };
      if (arg == "--model") {
        o.model = value();
      } else if (arg == "--seed") {
        const std::string seed = value();
        size_t used = 0;
        try {
          o.first_seed = std::stoull(seed, &used);
        } catch (const std::exception &) {
          used = 0;
        }
        if (seed.empty() || seed[0] == '-' || used != seed.size())
          throw refseg::ModelError("--seed: '" + seed + "' is not a whole number >= 0");
      } else if (arg == "--scenes") {
        o.scenes = count(value(), arg, 1);
        still_only.push_back(arg);
      } else if (arg == "--absent") {
        o.absent_per_scene = count(value(), arg, 1);
        still_only.push_back(arg);
      } else if (arg == "--video") {
        video = true;
      } else if (arg == "--videos") {
        vo.videos = count(value(), arg, 1);
        video_only.push_back(arg);
      } else if (arg == "--frames") {
        vo.frames = count(value(), arg, 1);
        video_only.push_back(arg);
      } else if (arg == "--modes") {
        vo.modes.clear();
        std::stringstream in(value());
        for (std::string item; std::getline(in, item, ',');)
          vo.modes.push_back(refseg::training::parse_analysis_mode(item));
        if (vo.modes.empty()) throw refseg::ModelError("--modes: no mode given");
        video_only.push_back(arg);
      } else if (arg == "--motion") {
        const std::string m = value();
        if (m != "both" && m != "moving" && m != "still")
          throw refseg::ModelError("--motion: expected both, moving or still, found " + m);
        vo.moving = m != "still";
        vo.still = m != "moving";
        video_only.push_back(arg);
      } else if (arg == "--proposals") {
        const std::string p = value();
        if (p == "grouping")
          o.proposals = refseg::training::ProposalSource::Grouping;
        else if (p == "ground-truth")
          o.proposals = refseg::training::ProposalSource::GroundTruth;
        else
          throw refseg::ModelError("--proposals: expected grouping or ground-truth, found " + p);
      } else if (arg == "--spatial") {
        o.spatial.clear();
        std::stringstream in(value());
        for (std::string item; std::getline(in, item, ',');)
          o.spatial.push_back(refseg::training::parse_spatial_mode(item));
        if (o.spatial.empty()) throw refseg::ModelError("--spatial: no mode given");
        still_only.push_back(arg);
      } else if (arg == "--spatial-spread") {
        const std::string v = value();
        char *end = nullptr;
        const float spread = std::strtof(v.c_str(), &end);
        if (v.empty() || *end || !(spread >= 0.f && spread <= 200.f))
          throw refseg::ModelError("--spatial-spread: expected a score spread 0-200, found '" + v +
                                   "'");
        o.spatial_spread = spread;
        still_only.push_back(arg);
      } else if (arg == "--global-weight") {
        global = weights(value(), arg);
      } else if (arg == "--sentence-weight") {
        sentence = weights(value(), arg);
      } else if (arg == "--masked-layers") {
        o.masked_layers = count(value(), arg, 0);
      } else if (arg == "--threads") {
        o.threads = count(value(), arg, 1);
      } else if (arg == "--precision") {
        o.precision = refseg::clip::parse_precision(value());
      } else if (arg == "--preprocess") {
        o.preprocess = refseg::clip::parse_preprocess(value());
        still_only.push_back(arg);
      } else if (arg == "--local-crops") {
        o.local_crops = count(value(), arg, 0);
      } else if (arg == "--json") {
        json_path = value();
      } else if (arg == "--help" || arg == "-h") {
        usage();
        return 0;
      } else {
        throw refseg::ModelError("unknown argument " + arg);
      }
    }
  } catch (const std::exception &e) {
    std::cerr << "evaluate_refseg: " << e.what() << "\n";
    usage();
    return 2;
  }
  try {
    if (video && !still_only.empty())
      throw refseg::ModelError(still_only.front() + " applies to still scenes, not to --video");
    if (!video && !video_only.empty())
      throw refseg::ModelError(video_only.front() + " needs --video");
    if (video && (global.size() != 1 || sentence.size() != 1))
      throw refseg::ModelError(
          "--video scores one setting: give one --global-weight and one "
          "--sentence-weight");
  } catch (const std::exception &e) {
    std::cerr << "evaluate_refseg: " << e.what() << "\n";
    usage();
    return 2;
  }
  o.settings.clear();
  for (float a : global)
    for (float b : sentence) o.settings.push_back({a, b});
  vo.model = o.model;
  vo.first_seed = o.first_seed;
  vo.proposals = o.proposals;
  vo.masked_layers = o.masked_layers;
  vo.weights = {global.front(), sentence.front()};
  vo.threads = o.threads;
  vo.precision = o.precision;

  try {
    std::string json;
    int without_proposals = 0;
    if (video) {
      const auto result = refseg::training::evaluate_video(vo, [](int done, int total) {
        const int width = 40, filled = width * done / total;
        std::fprintf(stderr, "\r[%s%s] %d/%d videos", std::string(filled, '#').c_str(),
                     std::string(width - filled, '.').c_str(), done, total);
        if (done == total) std::fputc('\n', stderr);
      });
      json = refseg::training::video_evaluation_json(vo, result);
    } else {
      const auto result = refseg::training::evaluate_refseg(o, progress_bar);
      json = refseg::training::evaluation_json(o, result);
      without_proposals = result.frames_without_proposals;
    }
    std::cout << json << "\n";
    if (!json_path.empty()) {
      std::ofstream file(json_path);
      if (!(file << json << "\n")) throw refseg::ModelError("cannot write " + json_path);
    }
    if (without_proposals > 0) std::cerr << without_proposals << " scenes had no proposal\n";
  } catch (const std::exception &e) {
    std::cerr << "evaluate_refseg: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

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
// Options are parsed with GOption (tool_options.h): --help lists them.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "common/model_error.h"
#include "tool_options.h"
#include "training/refseg_evaluation.h"
#include "training/video_evaluation.h"

namespace {

constexpr const char *kTool = "evaluate_refseg";

const char *kSummary =
    "Still scenes (the default):\n"
    "  evaluate_refseg --model NAME --seed S --scenes N [--proposals grouping|ground-truth]\n"
    "    [--global-weight a[,a...]] [--sentence-weight b[,b...]] [--masked-layers k]\n"
    "    [--threads N] [--precision P] [--preprocess P] [--local-crops K] [--absent N]\n"
    "    [--spatial off,on,no-position,...] [--spatial-spread F] [--level plain|hard]\n"
    "    [--json out.json]\n"
    "Moving video, through the result tracker:\n"
    "  evaluate_refseg --video --model NAME --seed S --videos K [--frames F]\n"
    "    [--modes every-frame,interval-N,latest-L,...] [--motion both|moving|still]\n"
    "    [--proposals grouping|ground-truth] [--global-weight a] [--sentence-weight b]\n"
    "    [--masked-layers k] [--threads N] [--precision P] [--json out.json]\n"
    "--scenes, --absent, --spatial, --spatial-spread and --preprocess are for still\n"
    "scenes; --videos, --frames, --modes and --motion need --video.";

const char *kDescription =
    "Several weights (comma-separated) are scored from the same features, every a\n"
    "with every b, each with every --spatial mode. A progress bar goes to stderr,\n"
    "the JSON to stdout (and to --json when given).\n"
    "\n"
    "JSON, still scenes: one object per setting (a list of them when there are\n"
    "several, weights outermost): {model, first_seed, scenes, proposals,\n"
    "mean_proposals, global_weight, sentence_weight, masked_layers, precision,\n"
    "preprocess, spatial, spatial_spread, local_crops, mean_local_crops, all,\n"
    "by_type: {attribute, location, relation, ordinal}, seconds}, where all and\n"
    "each type are {expressions, top1, mIoU, oIoU}; a spatial mode other than off\n"
    "adds spatial_resolved (expressions resolved over the geometry, per type) and,\n"
    "with exact masks, description_gap {expressions, median, spread}; --absent adds\n"
    "absent {per_scene, present_expressions, absent_expressions, auc, threshold,\n"
    "present_rate, absent_rate, balanced_accuracy, present_mean_score,\n"
    "absent_mean_score}.\n"
    "\n"
    "JSON, --video: {model, first_seed, videos, frames, width, height, proposals,\n"
    "global_weight, sentence_weight, masked_layers, expressions, analyses_computed,\n"
    "invisible_targets, analysis_seconds, stabilizers: {name: {margin,\n"
    "confirmations}}, results: [{video (moving or still), mode, stabilizer,\n"
    "expressions, evaluations, analyses, top1, mIoU, nothing_shown, mIoU_shown,\n"
    "switches, switches_per_100_frames, object_switches,\n"
    "object_switches_per_100_frames}], seconds}.\n"
    "\n"
    "docs/accuracy.md has the commands and what the figures mean.\n"
    "\n"
    "Exit status: 0 done, 1 the work failed (the model, a file), 2 bad arguments.\n";

constexpr int kMaxCount = 1000000000;

struct Options {
  refseg::training::EvaluationOptions still;
  refseg::training::VideoEvaluationOptions video;
  bool is_video = false;
  std::string json_path;
};

Options parse(int argc, char **argv) {
  namespace tools = refseg::tools;
  namespace training = refseg::training;
  Options opts;
  training::EvaluationOptions &o = opts.still;
  training::VideoEvaluationOptions &vo = opts.video;
  gchar *model = nullptr, *seed = nullptr, *proposals = nullptr, *global = nullptr,
        *sentence = nullptr, *precision = nullptr, *preprocess = nullptr, *spatial = nullptr,
        *modes = nullptr, *motion = nullptr, *json = nullptr, *level = nullptr;
  gint scenes = o.scenes, absent = o.absent_per_scene, videos = vo.videos, frames = vo.frames,
       masked_layers = o.masked_layers, threads = o.threads, local_crops = o.local_crops;
  gdouble spread = 0;
  gboolean video = FALSE;
  const GOptionEntry entries[] = {
      {"model", 0, 0, G_OPTION_ARG_FILENAME, &model,
       "CLIP model: a name in the models directories (refseg-tiny, the default; ViT-B/32) or "
       "a path to an OpenAI .pt archive",
       "NAME"},
      {"seed", 0, 0, G_OPTION_ARG_STRING, &seed,
       "The first scene's (or video's) seed, a whole number from 0 to 2^64-1 (default 0); "
       "scenes S to S+N-1 are evaluated",
       "S"},
      {"scenes", 0, 0, G_OPTION_ARG_INT, &scenes, "Still scenes: how many, 1 or more (default 200)",
       "N"},
      {"level", 0, 0, G_OPTION_ARG_STRING, &level,
       "Still scenes: the world's level, plain (default: flat-coloured shapes) or hard "
       "(two-coloured, textured and shaded objects, clutter, lighting)",
       "plain|hard"},
      {"proposals", 0, 0, G_OPTION_ARG_STRING, &proposals,
       "ground-truth (default: the scene's exact masks) or grouping (the grouping generator "
       "refsegproposals uses)",
       "grouping|ground-truth"},
      {"global-weight", 0, 0, G_OPTION_ARG_STRING, &global,
       "a in v = a f_global + (1-a) f_local, 0-1; several comma-separated are each scored "
       "(default 0.95; --video: one)",
       "a[,a...]"},
      {"sentence-weight", 0, 0, G_OPTION_ARG_STRING, &sentence,
       "b in t = b t_sentence + (1-b) t_phrase, 0-1; several comma-separated are each scored "
       "(default 0.5; --video: one)",
       "b[,b...]"},
      {"masked-layers", 0, 0, G_OPTION_ARG_INT, &masked_layers,
       "Image-tower blocks masked for the global feature, 0 or more (default 3)", "k"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "LibTorch threads, 1 or more (default 1)", "N"},
      {"precision", 0, 0, G_OPTION_ARG_STRING, &precision,
       "fp32 (default), bf16, int8, fp16 or auto (docs/accuracy.md)", "P"},
      {"preprocess", 0, 0, G_OPTION_ARG_STRING, &preprocess,
       "Still scenes: clip (default, METHOD.md's text) or reference (frames, masks and "
       "expressions as the authors' released code prepares them; docs/models.md)",
       "P"},
      {"local-crops", 0, 0, G_OPTION_ARG_INT, &local_crops,
       "Local features only for each expression's K best proposals by global score, 0 or more "
       "(default: all)",
       "K"},
      {"absent", 0, 0, G_OPTION_ARG_INT, &absent,
       "Still scenes: also score N expressions per scene whose object is absent, 1 or more, and "
       "report how the best score separates present from absent (ROC AUC, threshold)",
       "N"},
      {"spatial", 0, 0, G_OPTION_ARG_STRING, &spatial,
       "Still scenes: spatial modes, each scored: off (default, the paper's method), on (place, "
       "relation and order words resolved over the proposals' geometry), no-position, no-size, "
       "no-rank, no-relation, no-target-text, no-anchor-text (on with one cue off), "
       "world-membership (on, with the world's own membership in place of CLIP's; exact masks)",
       "off,on,..."},
      {"spatial-spread", 0, 0, G_OPTION_ARG_DOUBLE, &spread,
       "Still scenes: the spatial resolver's score spread floor, 0-200, instead of the model's "
       "calibration",
       "F"},
      {"video", 0, 0, G_OPTION_ARG_NONE, &video,
       "Moving video through the result tracker instead of still scenes", nullptr},
      {"videos", 0, 0, G_OPTION_ARG_INT, &videos, "--video: how many videos, 1 or more (default 4)",
       "K"},
      {"frames", 0, 0, G_OPTION_ARG_INT, &frames,
       "--video: frames per video, 1 or more (default 150)", "F"},
      {"modes", 0, 0, G_OPTION_ARG_STRING, &modes,
       "--video: analysis modes, each scored: every-frame, interval-N (every N-th frame), "
       "latest-L (an analysis takes L frames) (default every-frame,interval-5,interval-10,"
       "interval-30)",
       "every-frame,interval-N,latest-L,..."},
      {"motion", 0, 0, G_OPTION_ARG_STRING, &motion,
       "--video: both (default), moving or still videos", "both|moving|still"},
      {"json", 0, 0, G_OPTION_ARG_FILENAME, &json, "Also write the JSON to FILE", "FILE"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  const tools::GivenOptions given(entries, argc, argv);
  tools::parse_options(kTool, "- accuracy on held-out scenes of the synthetic referring world",
                       kSummary, kDescription, entries, nullptr, &argc, &argv);
  if (argc > 1) tools::usage_error(kTool, std::string("unexpected argument '") + argv[1] + "'");

  using tools::int_in_range;
  if (model) o.model = tools::take_string(model);
  if (seed) o.first_seed = tools::unsigned64(kTool, "--seed", tools::take_string(seed).c_str());
  o.scenes = int_in_range(kTool, "--scenes", scenes, 1, kMaxCount);
  if (given.has("--absent"))
    o.absent_per_scene = int_in_range(kTool, "--absent", absent, 1, kMaxCount);
  vo.videos = int_in_range(kTool, "--videos", videos, 1, kMaxCount);
  vo.frames = int_in_range(kTool, "--frames", frames, 1, kMaxCount);
  if (modes)
    vo.modes = tools::parsed_list(kTool, "--modes", tools::take_string(modes),
                                  training::parse_analysis_mode);
  if (motion) {
    const size_t m =
        tools::one_of(kTool, "--motion", tools::take_string(motion), {"both", "moving", "still"});
    vo.moving = m != 2;
    vo.still = m != 1;
  }
  if (level)
    o.world.level =
        tools::one_of(kTool, "--level", tools::take_string(level), {"plain", "hard"}) == 1
            ? refseg::world::WorldLevel::Hard
            : refseg::world::WorldLevel::Plain;
  if (proposals)
    o.proposals = tools::one_of(kTool, "--proposals", tools::take_string(proposals),
                                {"grouping", "ground-truth"}) == 0
                      ? training::ProposalSource::Grouping
                      : training::ProposalSource::GroundTruth;
  if (spatial)
    o.spatial = tools::parsed_list(kTool, "--spatial", tools::take_string(spatial),
                                   training::parse_spatial_mode);
  if (given.has("--spatial-spread"))
    o.spatial_spread =
        static_cast<float>(tools::real_in_range(kTool, "--spatial-spread", spread, 0, 200));
  const std::vector<float> global_weights =
      global ? tools::float_list(kTool, "--global-weight", tools::take_string(global), 0, 1)
             : std::vector<float>{0.95f};
  const std::vector<float> sentence_weights =
      sentence ? tools::float_list(kTool, "--sentence-weight", tools::take_string(sentence), 0, 1)
               : std::vector<float>{0.5f};
  o.masked_layers = int_in_range(kTool, "--masked-layers", masked_layers, 0, kMaxCount);
  o.threads = int_in_range(kTool, "--threads", threads, 1, kMaxCount);
  tools::parse_if_given(o.precision, kTool, "--precision", precision,
                        refseg::clip::parse_precision);
  tools::parse_if_given(o.preprocess, kTool, "--preprocess", preprocess,
                        refseg::clip::parse_preprocess);
  if (given.has("--local-crops"))
    o.local_crops = int_in_range(kTool, "--local-crops", local_crops, 0, kMaxCount);
  opts.json_path = tools::take_string(json);

  opts.is_video = video;
  const std::string still_only = given.first_of(
      {"--scenes", "--absent", "--spatial", "--spatial-spread", "--preprocess", "--level"});
  const std::string video_only = given.first_of({"--videos", "--frames", "--modes", "--motion"});
  if (video && !still_only.empty())
    tools::usage_error(kTool, still_only + " applies to still scenes, not to --video");
  if (!video && !video_only.empty()) tools::usage_error(kTool, video_only + " needs --video");
  if (video && (global_weights.size() != 1 || sentence_weights.size() != 1))
    tools::usage_error(kTool,
                       "--video scores one setting: give one --global-weight and one "
                       "--sentence-weight");

  o.settings.clear();
  for (float a : global_weights)
    for (float b : sentence_weights) o.settings.push_back({a, b});
  vo.model = o.model;
  vo.first_seed = o.first_seed;
  vo.proposals = o.proposals;
  vo.masked_layers = o.masked_layers;
  vo.weights = {global_weights.front(), sentence_weights.front()};
  vo.threads = o.threads;
  vo.precision = o.precision;
  return opts;
}

void progress_bar(int done, int total) {
  const int width = 40, filled = width * done / total;
  std::fprintf(stderr, "\r[%s%s] %d/%d scenes", std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), done, total);
  if (done == total) std::fputc('\n', stderr);
}

}  // namespace

int main(int argc, char **argv) {
  const Options opts = parse(argc, argv);
  const refseg::training::EvaluationOptions &o = opts.still;
  const refseg::training::VideoEvaluationOptions &vo = opts.video;
  try {
    std::string json;
    int without_proposals = 0;
    if (opts.is_video) {
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
    if (!opts.json_path.empty()) {
      std::ofstream file(opts.json_path);
      if (!(file << json << "\n")) throw refseg::ModelError("cannot write " + opts.json_path);
    }
    if (without_proposals > 0) std::cerr << without_proposals << " scenes had no proposal\n";
  } catch (const std::exception &e) {
    refseg::tools::exit_with(kTool, e.what(), refseg::tools::kFailure);
  }
  return 0;
}

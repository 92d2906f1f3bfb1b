// refseg_image: referring segmentation of one image, as JSON.
//
// Proposals come from mask PNGs (--mask, repeatable), from a proposal model
// (--proposal-model: a Segment Anything checkpoint or a TorchScript proposal
// model, told from its content and named as refsegproposals' model=), or
// from the grouping generator refsegproposals uses. Each proposal's global- and local-context
// CLIP features are written; with --text (repeatable) also every proposal's
// score and the selection, with --out-mask the chosen mask as a PNG, and
// with --draw the image with the selections drawn as refsegoverlay draws.
// The selection is refsegselector's decision (models/selection/
// frame_decision.h): the same threshold, spatial words and reasons.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "json_output.h"
#include "language/noun_phrase.h"
#include "proposals/grouping_generator.h"
#include "proposals/proposal_model.h"
#include "proposals/proposal_overlay.h"
#include "proposals/sam_proposal_generator.h"
#include "runtime/clip_runtime.h"
#include "selection/frame_decision.h"
#include "tokenizer/reference_text.h"
#include "tool_options.h"

namespace {

constexpr const char *kTool = "refseg_image";

const char *kDescription =
    "Proposals come from --mask images, from --proposal-model (a Segment Anything\n"
    "checkpoint or a TorchScript proposal model, as refsegproposals model=) or from the\n"
    "grouping generator refsegproposals uses. Each proposal's global- and local-context\n"
    "CLIP features are written; with --text also every proposal's score and the\n"
    "selection, decided as refsegselector\n"
    "decides it (--threshold and --spatial as its properties).\n"
    "\n"
    "JSON: {image, width, height, model, masked_layers, preprocess, proposals: [{index, box: "
    "[x,y,w,h],\n"
    "score, area, global: [D floats], local: [D floats]}], selections: [{text, phrase,\n"
    "index (-1: none), score, reason (when index is -1), threshold (the one applied),\n"
    "spatial (when the expression has spatial words and --spatial is on: {summary, target,\n"
    "relation, anchor, anchor_index, resolved}), scores: [one per proposal: the spatial\n"
    "support when resolved, else proposal_scores], proposal_scores: [100 cos(v, t)],\n"
    "sentence_feature, phrase_feature, text_feature: [D floats] (t_sentence, t_phrase and\n"
    "t = b t_sentence + (1-b) t_phrase)}]}.\n"
    "Features are unnormalized; each float is the shortest text that reads back as the\n"
    "same float32. Text that is not UTF-8 is written with U+FFFD for each invalid byte.\n"
    "refseg_text shows the phrase and token ids without a model.\n"
    "\n"
    "Exit status: 0 done, 1 the work failed (a file, the model), 2 bad arguments.\n";

struct Options {
  std::string model, image, json, out_mask, draw;
  std::vector<std::string> masks, texts;
  int max_proposals = 20, masked_layers = 3, threads = 0;
  bool quality = false;                   // the grouping generator's quality setting
  std::string proposal_model;             // empty: the grouping generator
  refseg::sam::AutomaticMaskOptions sam;  // SAM proposal models
  refseg::SamPrompts sam_prompts = refseg::kCpuSamPrompts;
  bool refine = true;  // SAM proposal models: box refinement
  refseg::clip::Precision precision = refseg::clip::Precision::kFp32;
  refseg::clip::Preprocess preprocess = refseg::clip::Preprocess::kClip;
  refseg::DecisionSettings decision;
};

[[noreturn]] void fail(const std::string &message) {
  refseg::tools::exit_with(kTool, message, refseg::tools::kFailure);
}

// --text keeps its bytes as given (GOption would refuse text that is not
// valid in the locale's encoding): the JSON repairs them, as the selector
// does.
gboolean add_text(const gchar *, const gchar *value, gpointer data, GError **) {
  static_cast<std::vector<std::string> *>(data)->push_back(value);
  return TRUE;
}

Options parse(int argc, char **argv) {
  Options o;
  gchar *model = nullptr, *image = nullptr, *json = nullptr, *out_mask = nullptr, *draw = nullptr,
        *precision = nullptr, *preprocess = nullptr, *spatial = nullptr;
  gchar **masks = nullptr;
  gint max_proposals = o.max_proposals, masked_layers = o.masked_layers, threads = 0;
  gboolean quality = FALSE, no_refine = FALSE;
  gchar *proposal_model = nullptr, *prompts = nullptr;
  gint points_per_side = 16, max_points = 0;
  gdouble pred_iou = o.sam.pred_iou_thresh, stability = o.sam.stability_score_thresh;
  gdouble global_weight = o.decision.weights.global, sentence_weight = o.decision.weights.sentence,
          threshold = o.decision.threshold;
  const GOptionEntry entries[] = {
      {"model", 0, 0, G_OPTION_ARG_FILENAME, &model,
       "CLIP model: a name in the models directories (ViT-B/32, refseg-tiny) or a path to an "
       "OpenAI .pt archive (required)",
       "M"},
      {"image", 0, 0, G_OPTION_ARG_FILENAME, &image,
       "The image, any format OpenCV reads (required)", "F"},
      {"mask", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &masks,
       "A proposal as a mask image of the image's size (non-zero = inside); repeatable; "
       "without it the grouping generator proposes masks",
       "F"},
      {"max-proposals", 0, 0, G_OPTION_ARG_INT, &max_proposals,
       "At most N proposals, 0-1000 (default 20)", "N"},
      {"proposal-model", 0, 0, G_OPTION_ARG_FILENAME, &proposal_model,
       "Proposal model instead of the grouping generator, as refsegproposals model=: MobileSAM, "
       "SAM-ViT-B, SAM-ViT-L, SAM-ViT-H, a file name in the models directories or a path (a "
       "Segment Anything checkpoint as released, or a TorchScript proposal model)",
       "M"},
      {"points-per-side", 0, 0, G_OPTION_ARG_INT, &points_per_side,
       "SAM proposal model with --prompts grid: the prompt grid's side, 1-256 (default 16, the "
       "CPU grid; the reference's is 32)",
       "N"},
      {"prompts", 0, 0, G_OPTION_ARG_STRING, &prompts,
       "SAM proposal model: where the prompts come from, as refsegproposals prompts=: regions "
       "(the CPU default: --max-points points of the grouping generator's ranked regions, spread "
       "apart) or grid (the reference's: --points-per-side squared)",
       "S"},
      {"max-points", 0, 0, G_OPTION_ARG_INT, &max_points,
       "SAM proposal model: at most N prompts, 0-65536 (default 0: 64 region points, or the "
       "whole grid)",
       "N"},
      {"pred-iou-threshold", 0, 0, G_OPTION_ARG_DOUBLE, &pred_iou,
       "SAM proposal model: keep masks with predicted IoU above this, 0-1 (default 0.88)", "X"},
      {"stability-threshold", 0, 0, G_OPTION_ARG_DOUBLE, &stability,
       "SAM proposal model: keep masks with stability score at least this, 0-1 (default 0.95)",
       "X"},
      {"no-refine", 0, 0, G_OPTION_ARG_NONE, &no_refine,
       "SAM proposal model: keep the automatic masks as they are (default: each decoded again "
       "with its box, as refsegproposals refine=true)",
       nullptr},
      {"quality", 0, 0, G_OPTION_ARG_NONE, &quality,
       "Grouping generator: its quality setting, as refsegproposals quality=true (eight "
       "hierarchies instead of one, about 0.3 s of CPU per 640x480 frame)",
       nullptr},
      {"text", 0, G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK,
       reinterpret_cast<gpointer>(add_text), "A referring expression; repeatable", "T"},
      {"global-weight", 0, 0, G_OPTION_ARG_DOUBLE, &global_weight,
       "How much a proposal's view of the whole image counts against its crop, 0-1: a in "
       "v = a f_global + (1-a) f_local (default 0.95)",
       "A"},
      {"sentence-weight", 0, 0, G_OPTION_ARG_DOUBLE, &sentence_weight,
       "How much the whole expression counts against its noun phrase, 0-1: b in "
       "t = b t_sentence + (1-b) t_phrase (default 0.5)",
       "B"},
      {"threshold", 0, 0, G_OPTION_ARG_DOUBLE, &threshold,
       "Scores run from -100 to 100; a best score below this selects nothing (index -1, with a "
       "reason), as refsegselector's threshold: -100 always selects the best proposal, -101 "
       "(default) the model's calibrated threshold, or -100 for a model without one",
       "S"},
      {"spatial", 0, 0, G_OPTION_ARG_STRING, &spatial,
       "on (default) or off: resolve words of place, relation and order over the proposals' "
       "boxes and masks, as refsegselector's spatial property; off: the paper's method",
       "on|off"},
      {"masked-layers", 0, 0, G_OPTION_ARG_INT, &masked_layers,
       "Image-tower blocks masked for the global feature, 0-64 (default 3)", "K"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &threads,
       "LibTorch threads, 0-1024 (default 0: every core)", "N"},
      {"precision", 0, 0, G_OPTION_ARG_STRING, &precision,
       "fp32 (default, the method exactly), bf16, int8 or auto (docs/accuracy.md gives each "
       "mode's accuracy cost)",
       "P"},
      {"preprocess", 0, 0, G_OPTION_ARG_STRING, &preprocess,
       "clip (default, the paper's text) or reference (the authors' released code: image "
       "chain and lower-cased, re-joined text; docs/models.md)",
       "P"},
      {"json", 0, 0, G_OPTION_ARG_FILENAME, &json, "Write the JSON to F instead of stdout", "F"},
      {"out-mask", 0, 0, G_OPTION_ARG_FILENAME, &out_mask,
       "Write the chosen mask of the first text to F (PNG, 0/255); the i-th further text's "
       "goes to F with -i before the extension",
       "F"},
      {"draw", 0, 0, G_OPTION_ARG_FILENAME, &draw,
       "Write the image with the selections drawn as refsegoverlay draws them (each text's "
       "mask tinted, outlined and labelled with the text and score), or the proposals when "
       "there is no --text, to F (any format OpenCV writes, e.g. out.png)",
       "F"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  refseg::tools::parse_options(kTool, "- referring segmentation of one image, as JSON",
                               "--model and --image are required.", kDescription, entries, &o.texts,
                               &argc, &argv);
  auto take = [](gchar *s) {
    std::string out = s ? s : "";
    g_free(s);
    return out;
  };
  o.model = take(model);
  o.image = take(image);
  o.json = take(json);
  o.out_mask = take(out_mask);
  o.draw = take(draw);
  o.masks = refseg::tools::take_strings(masks);
  using refseg::tools::int_in_range;
  using refseg::tools::real_in_range;
  o.max_proposals = int_in_range(kTool, "--max-proposals", max_proposals, 0, 1000);
  o.quality = quality;
  o.proposal_model = take(proposal_model);
  o.sam.points_per_side = int_in_range(kTool, "--points-per-side", points_per_side, 1, 256);
  o.sam.max_points = int_in_range(kTool, "--max-points", max_points, 0, 65536);
  refseg::tools::parse_if_given(o.sam_prompts, kTool, "--prompts", prompts,
                                refseg::parse_sam_prompts);
  o.sam.pred_iou_thresh = real_in_range(kTool, "--pred-iou-threshold", pred_iou, 0, 1);
  o.sam.stability_score_thresh = real_in_range(kTool, "--stability-threshold", stability, 0, 1);
  o.refine = !no_refine;
  o.masked_layers = int_in_range(kTool, "--masked-layers", masked_layers, 0, 64);
  o.threads = int_in_range(kTool, "--threads", threads, 0, 1024);
  o.decision.weights.global =
      static_cast<float>(real_in_range(kTool, "--global-weight", global_weight, 0, 1));
  o.decision.weights.sentence =
      static_cast<float>(real_in_range(kTool, "--sentence-weight", sentence_weight, 0, 1));
  o.decision.threshold = static_cast<float>(
      real_in_range(kTool, "--threshold", threshold, refseg::kModelThreshold, 100));
  if (spatial)
    o.decision.spatial =
        refseg::tools::one_of(kTool, "--spatial", refseg::tools::take_string(spatial),
                              {"off", "on", "false", "true"}) %
            2 ==
        1;
  if (precision) {
    const std::string p = take(precision);
    try {
      o.precision = refseg::clip::parse_precision(p);
    } catch (const std::exception &e) {
      refseg::tools::usage_error(kTool, std::string("--precision: ") + e.what());
    }
  }
  if (preprocess) {
    const std::string p = take(preprocess);
    try {
      o.preprocess = refseg::clip::parse_preprocess(p);
    } catch (const std::exception &e) {
      refseg::tools::usage_error(kTool, std::string("--preprocess: ") + e.what());
    }
  }
  if (argc > 1)
    refseg::tools::usage_error(kTool, std::string("unexpected argument '") + argv[1] + "'");
  if (o.model.empty() || o.image.empty())
    refseg::tools::usage_error(kTool, "--model and --image are required");
  return o;
}

refseg::RegionMask mask_from_png(const std::string &path, const cv::Size &size) {
  cv::Mat m = cv::imread(path, cv::IMREAD_GRAYSCALE);
  if (m.empty()) fail("cannot read mask " + path);
  if (m.size() != size)
    fail("mask " + path + " is " + std::to_string(m.cols) + "x" + std::to_string(m.rows) +
         ", the image " + std::to_string(size.width) + "x" + std::to_string(size.height));
  const cv::Rect box = cv::boundingRect(m);
  if (box.empty()) fail("mask " + path + " is empty");
  refseg::RegionMask region;
  region.box = {box.x, box.y, box.width, box.height};
  region.score = 1.f;
  cv::Mat crop = (m(box) > 0);
  for (int y = 0; y < crop.rows; y++)
    region.pixels.insert(region.pixels.end(), crop.ptr<uint8_t>(y),
                         crop.ptr<uint8_t>(y) + crop.cols);
  return region;
}

std::string numbered(const std::string &path, size_t i) {
  if (i == 0) return path;
  const size_t dot = path.rfind('.');
  const std::string suffix = "-" + std::to_string(i);
  return dot == std::string::npos ? path + suffix : path.substr(0, dot) + suffix + path.substr(dot);
}

void write_mask(const std::string &path, const refseg::RegionMask &region, const cv::Size &size) {
  cv::Mat full = cv::Mat::zeros(size, CV_8U);
  for (int y = 0; y < region.box.height; y++)
    std::memcpy(full.ptr<uint8_t>(region.box.y + y) + region.box.x,
                region.pixels.data() + static_cast<size_t>(y) * region.box.width, region.box.width);
  if (!cv::imwrite(path, full)) fail("cannot write " + path);
}

// The label refsegoverlay writes: the expression and its score. The text
// is drawn byte by byte: bytes that are not UTF-8 become '?'.
std::string selection_label(const std::string &text, float score) {
  gchar *valid = g_utf8_make_valid(text.c_str(), -1);
  char number[32];
  std::snprintf(number, sizeof number, " (%.1f)", score);
  std::string label = std::string(valid) + number;
  g_free(valid);
  return label;
}

// The image as refsegoverlay's default (auto) mode draws it: the
// selections when there are texts, the proposals otherwise.
void draw(const std::string &path, const cv::Mat &bgr,
          const std::vector<refseg::RegionMask> &proposals,
          const std::vector<refseg::LabelledMask> &selected, bool no_texts) {
  cv::Mat canvas = bgr.clone();
  const refseg::MutableImageView out{canvas.data, canvas.cols, canvas.rows,
                                     static_cast<int>(canvas.step), refseg::PixelLayout::BGR};
  constexpr double kOpacity = 0.4;  // refsegoverlay's default
  if (no_texts) {
    std::vector<refseg::MaskRef> refs;
    for (const refseg::RegionMask &p : proposals) refs.push_back({p.box, p.pixels.data()});
    refseg::draw_proposals(out, refs, kOpacity);
  } else {
    refseg::draw_labelled_masks(out, selected, kOpacity);
  }
  bool written = false;
  try {
    written = cv::imwrite(path, canvas);
  } catch (const cv::Exception &e) {
    fail("cannot write " + path + ": " + e.what());
  }
  if (!written) fail("cannot write " + path);
}

}  // namespace

int main(int argc, char **argv) {
  const Options o = parse(argc, argv);
  cv::Mat bgr = cv::imread(o.image, cv::IMREAD_COLOR);
  if (bgr.empty()) fail("cannot read image " + o.image);
  refseg::ImageView view{bgr.data, bgr.cols, bgr.rows, static_cast<int>(bgr.step),
                         refseg::PixelLayout::BGR};

  std::vector<refseg::RegionMask> proposals;
  if (!o.masks.empty()) {
    for (const std::string &m : o.masks) proposals.push_back(mask_from_png(m, bgr.size()));
  } else if (!o.proposal_model.empty()) {
    try {
      const std::string path = refseg::locate_proposal_model(o.proposal_model);
      const bool sam = refseg::proposal_model_kind(path) == refseg::ProposalModelKind::SamStateDict;
      refseg::ProposalFilter filter =
          sam ? refseg::sam_proposal_filter() : refseg::ProposalFilter{};
      filter.max_proposals = o.max_proposals;
      refseg::ProposalModelOptions options;
      options.sam = o.sam;
      options.sam_prompts = o.sam_prompts;
      auto generator = refseg::make_model_proposal_generator(path, options, filter);
      proposals = generator->propose(view);
      if (auto *s = dynamic_cast<refseg::SamProposalGenerator *>(generator.get()); s && o.refine)
        proposals = refseg::refine_proposals(s->model(), std::move(proposals));  // as the element
    } catch (const std::exception &e) {
      fail(std::string("proposal model: ") + e.what());
    }
  } else {
    refseg::ProposalFilter filter;
    filter.max_proposals = o.max_proposals;
    proposals = o.quality
                    ? refseg::GroupingProposalGenerator(refseg::GroupingOptions::quality(),
                                                        refseg::quality_proposal_filter(filter))
                          .propose(view)
                    : refseg::GroupingProposalGenerator({}, filter).propose(view);
  }

  try {
    auto clip =
        refseg::acquire_clip_runtime(o.model, {o.threads, "cpu", o.precision, o.preprocess});
    const refseg::EncodedMasks features = clip->encode_masks(view, proposals, o.masked_layers);
    refseg::NounPhraseExtractor phrases;

    using refseg::tools::Json;
    using refseg::tools::json_array;
    Json doc;
    doc["image"] = o.image;
    doc["width"] = bgr.cols;
    doc["height"] = bgr.rows;
    doc["model"] = o.model;
    doc["masked_layers"] = o.masked_layers;
    doc["preprocess"] = refseg::clip::preprocess_name(o.preprocess);
    doc["proposals"] = Json::array();
    for (size_t i = 0; i < proposals.size(); i++) {
      const refseg::Box &b = proposals[i].box;
      Json p;
      p["index"] = i;
      p["box"] = {b.x, b.y, b.width, b.height};
      p["score"] = proposals[i].score;
      p["area"] = proposals[i].area();
      p["global"] = json_array(features.global.data() + i * features.dim, features.dim);
      p["local"] = json_array(features.local.data() + i * features.dim, features.dim);
      doc["proposals"].push_back(std::move(p));
    }
    doc["selections"] = Json::array();
    // The texts as the towers and the parser see them (reference: the
    // re-joined lower-case sentence), with their target noun phrases.
    std::vector<refseg::PreparedExpression> prepared;
    for (const std::string &text : o.texts) {
      const std::string sentence = o.preprocess == refseg::clip::Preprocess::kReference
                                       ? refseg::text::reference_sentence(text)
                                       : text;
      prepared.push_back({sentence, phrases.target_phrase(sentence)});
    }
    refseg::DecisionSettings settings = o.decision;
    settings.calibration = {clip->calibrated_threshold(), clip->calibrated_spread()};
    const std::vector<refseg::ExpressionDecision> decisions = refseg::decide_frame(
        refseg::frame_proposals(proposals, features.global.data(), features.local.data(),
                                features.count, features.dim),
        prepared, settings, [&clip](const std::string &t) { return clip->encode_text(t); });
    std::vector<refseg::LabelledMask> drawn;
    for (size_t t = 0; t < o.texts.size(); t++) {
      const refseg::ExpressionDecision &d = decisions[t];
      const std::string &sentence = prepared[t].sentence, &phrase = prepared[t].phrase;
      Json sel;
      sel["text"] = o.texts[t];
      sel["phrase"] = phrase;
      sel["index"] = d.index;
      sel["score"] = d.score;
      if (d.index < 0) sel["reason"] = d.reason;
      sel["threshold"] = d.threshold;
      if (d.spatial.parsed) {
        const refseg::SpatialExpression &words = *d.spatial.parsed;
        Json spatial;
        spatial["summary"] = d.spatial.summary;
        spatial["target"] = words.target;
        spatial["relation"] =
            words.has_relation ? Json(refseg::spatial_relation_name(words.relation)) : Json();
        spatial["anchor"] = words.has_relation ? Json(words.anchor) : Json();
        spatial["anchor_index"] = d.spatial.resolution.anchor;
        spatial["resolved"] = d.spatial.resolution.resolved;
        sel["spatial"] = std::move(spatial);
      }
      sel["scores"] = d.scores;
      sel["proposal_scores"] = d.proposal_scores;
      const std::vector<float> sentence_feature = clip->encode_text(sentence);
      const std::vector<float> phrase_feature =
          clip->encode_text(phrase.empty() ? sentence : phrase);
      sel["sentence_feature"] = sentence_feature;
      sel["phrase_feature"] = phrase_feature;
      // Without proposals nothing was scored: t as it would have been.
      sel["text_feature"] = d.text.empty()
                                ? refseg::mix_text_features(sentence_feature, phrase_feature,
                                                            settings.weights.sentence)
                                : d.text;
      doc["selections"].push_back(std::move(sel));
      if (d.index < 0) continue;
      const refseg::RegionMask &m = proposals[static_cast<size_t>(d.index)];
      if (!o.out_mask.empty()) write_mask(numbered(o.out_mask, t), m, bgr.size());
      drawn.push_back({{m.box, m.pixels.data()},
                       refseg::palette_colour(static_cast<int>(t)),
                       selection_label(o.texts[t], d.score),
                       2});
    }
    if (!o.draw.empty()) draw(o.draw, bgr, proposals, drawn, o.texts.empty());
    const std::string json = refseg::tools::dump_json(doc) + "\n";
    if (o.json.empty()) {
      std::cout << json;
    } else {
      std::ofstream file(o.json);
      file << json;
      if (!file) fail("cannot write " + o.json);
    }
  } catch (const std::exception &e) {
    fail(e.what());
  }
  return 0;
}

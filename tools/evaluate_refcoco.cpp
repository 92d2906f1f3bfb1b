// The paper's RefCOCO / RefCOCO+ / RefCOCOg protocol (refcoco/refcoco_evaluation.h):
//   evaluate_refcoco --refer-root DIR --dataset refcoco|refcoco+|refcocog --split val
//                    [--model ViT-B/32] [--proposal-model FILE.pt] [--limit N] [--json out.json]
// reports oIoU and mIoU as the authors' Compute_IoU does. A progress bar
// goes to stderr, the JSON to stdout (and to --json when given). Options
// are parsed with GOption (tool_options.h): --help lists them.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "common/model_error.h"
#include "refcoco/refcoco_evaluation.h"
#include "tool_options.h"

namespace {

constexpr const char *kTool = "evaluate_refcoco";

const char *kSummary =
    "  evaluate_refcoco --refer-root DIR [--dataset refcoco|refcoco+|refcocog]\n"
    "    [--split val|testA|testB|test|...] [options]\n"
    "reports oIoU and mIoU as the authors' Compute_IoU does.";

const char *kDescription =
    "Data: the refer API's layout under --refer-root (DIR/DATASET/refs(S).json,\n"
    "DIR/DATASET/instances.json, DIR/images/mscoco/images/train2014); --refs,\n"
    "--instances and --images can each be given instead. Sentences of refs whose\n"
    "image has no proposal are skipped, as the authors' loop skips them. A progress\n"
    "bar goes to stderr, the JSON to stdout (and to --json when given).\n"
    "\n"
    "JSON: {dataset, split_by, split, refs_file, instances_file, images_dir, model,\n"
    "precision, preprocess, proposals (grouping or the proposal model), max_proposals,\n"
    "global_weight, sentence_weight, masked_layers, lower_case, limit, split_refs,\n"
    "split_sentences, refs, sentences, scored_sentences, unanswered_refs,\n"
    "unanswered_sentences, mean_proposals, intersection, union, oIoU, mIoU,\n"
    "oIoU_percent, mIoU_percent, counting_unanswered, seconds}; --per-sentence adds\n"
    "per_sentence: [{ref_id, sent_id, text, phrase, chosen, score, intersection,\n"
    "union}]. Text that is not UTF-8 is written with U+FFFD for each invalid byte.\n"
    "docs/accuracy.md has the commands.\n"
    "\n"
    "Exit status: 0 done, 1 the work failed (the data, the model), 2 bad arguments.\n";

struct Options {
  refseg::refcoco::RefcocoOptions evaluation;
  std::string json_path;
};

Options parse(int argc, char **argv) {
  namespace tools = refseg::tools;
  Options opts;
  refseg::refcoco::RefcocoOptions &o = opts.evaluation;
  gchar *refer_root = nullptr, *dataset = nullptr, *split = nullptr, *split_by = nullptr,
        *refs = nullptr, *instances = nullptr, *images = nullptr, *model = nullptr,
        *device = nullptr, *precision = nullptr, *preprocess = nullptr, *proposal_model = nullptr,
        *json = nullptr;
  gint threads = 0, input_size = 0, max_proposals = o.filter.max_proposals,
       masked_layers = o.masked_layers;
  gint64 limit = 0;
  gdouble mask_threshold = o.torchscript.mask_threshold, min_area = o.filter.min_area,
          max_area = o.filter.max_area, duplicate_iou = o.filter.iou_threshold, global_weight = 0,
          sentence_weight = o.sentence_weight;
  gboolean keep_case = FALSE, per_sentence = FALSE;
  const GOptionEntry entries[] = {
      {"refer-root", 0, 0, G_OPTION_ARG_FILENAME, &refer_root,
       "The refer API's data directory (DIR/refcoco/refs(unc).json, ...)", "DIR"},
      {"dataset", 0, 0, G_OPTION_ARG_STRING, &dataset, "refcoco (default), refcoco+ or refcocog",
       "D"},
      {"split", 0, 0, G_OPTION_ARG_FILENAME, &split, "val (default), testA, testB, test, ...", "S"},
      {"split-by", 0, 0, G_OPTION_ARG_FILENAME, &split_by,
       "Data: refs(S).json (default: unc, umd for refcocog)", "S"},
      {"refs", 0, 0, G_OPTION_ARG_FILENAME, &refs,
       "Data: the refs JSON (scripts/refer_to_json.py makes it from refs(S).p)", "FILE"},
      {"instances", 0, 0, G_OPTION_ARG_FILENAME, &instances, "Data: instances.json", "FILE"},
      {"images", 0, 0, G_OPTION_ARG_FILENAME, &images,
       "Data: COCO train2014 images (default DIR/images/mscoco/images/train2014)", "DIR"},
      {"model", 0, 0, G_OPTION_ARG_FILENAME, &model, "Model: CLIP weights (default ViT-B/32)",
       "NAME|FILE"},
      {"device", 0, 0, G_OPTION_ARG_FILENAME, &device, "Model: cpu (default), cuda, cuda:N", "D"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &threads,
       "Model: LibTorch threads, 1 or more (default: the idle cores)", "N"},
      {"precision", 0, 0, G_OPTION_ARG_STRING, &precision,
       "Model: fp32 (default), bf16, int8, fp16, auto", "P"},
      {"preprocess", 0, 0, G_OPTION_ARG_STRING, &preprocess,
       "Model: clip (default, METHOD.md) or reference (the authors' released code's image chain "
       "and re-joined lower-case text; docs/models.md)",
       "P"},
      {"proposal-model", 0, 0, G_OPTION_ARG_FILENAME, &proposal_model,
       "Proposals: a TorchScript proposal model (docs/proposal-models.md; default: the project's "
       "grouping generator)",
       "F"},
      {"proposal-input-size", 0, 0, G_OPTION_ARG_INT, &input_size,
       "Proposals: the proposal model input's long side, 1 or more (default: the image size)", "N"},
      {"mask-threshold", 0, 0, G_OPTION_ARG_DOUBLE, &mask_threshold,
       "Proposals: the proposal model's mask probability threshold, 0-1 (default 0.5)", "T"},
      {"max-proposals", 0, 0, G_OPTION_ARG_INT, &max_proposals,
       "Proposals: at most N masks per image, 1 or more (default 20)", "N"},
      {"min-area", 0, 0, G_OPTION_ARG_DOUBLE, &min_area,
       "Proposals: smallest kept mask area, a fraction of the image, 0-1 (default 0.002)", "F"},
      {"max-area", 0, 0, G_OPTION_ARG_DOUBLE, &max_area,
       "Proposals: largest kept mask area, a fraction of the image, 0-1 (default 0.9)", "F"},
      {"duplicate-iou", 0, 0, G_OPTION_ARG_DOUBLE, &duplicate_iou,
       "Proposals: drop a mask this close to a better one, 0-1 (default 0.85)", "F"},
      {"global-weight", 0, 0, G_OPTION_ARG_DOUBLE, &global_weight,
       "Method: a, 0-1 (default 0.95, 0.85 for refcocog, as the authors)", "A"},
      {"sentence-weight", 0, 0, G_OPTION_ARG_DOUBLE, &sentence_weight,
       "Method: b, 0-1 (default 0.5)", "B"},
      {"masked-layers", 0, 0, G_OPTION_ARG_INT, &masked_layers,
       "Method: masked image-tower blocks, 0 or more (default 3)", "K"},
      {"keep-case", 0, 0, G_OPTION_ARG_NONE, &keep_case,
       "Method: do not lower-case the sentence (the authors do)", nullptr},
      {"limit", 0, 0, G_OPTION_ARG_INT64, &limit, "Run: only the split's first N sentences", "N"},
      {"per-sentence", 0, 0, G_OPTION_ARG_NONE, &per_sentence,
       "Run: every sentence's choice and overlap in the JSON", nullptr},
      {"json", 0, 0, G_OPTION_ARG_FILENAME, &json, "Run: also write the JSON here", "FILE"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  const tools::GivenOptions given(entries, argc, argv);
  tools::parse_options(kTool, "- the paper's RefCOCO / RefCOCO+ / RefCOCOg protocol", kSummary,
                       kDescription, entries, nullptr, &argc, &argv);
  if (argc > 1) tools::usage_error(kTool, std::string("unexpected argument '") + argv[1] + "'");

  using tools::int_in_range;
  using tools::real_in_range;
  if (refer_root) o.refer_root = tools::take_string(refer_root);
  if (dataset) {
    o.dataset = tools::take_string(dataset);
    tools::one_of(kTool, "--dataset", o.dataset, {"refcoco", "refcoco+", "refcocog"});
  }
  if (split) o.split = tools::take_string(split);
  if (split_by) o.split_by = tools::take_string(split_by);
  if (refs) o.refs_file = tools::take_string(refs);
  if (instances) o.instances_file = tools::take_string(instances);
  if (images) o.images_dir = tools::take_string(images);
  if (model) o.model = tools::take_string(model);
  if (device) o.device = tools::take_string(device);
  if (given.has("--threads")) o.threads = int_in_range(kTool, "--threads", threads, 1, G_MAXINT);
  tools::parse_if_given(o.precision, kTool, "--precision", precision,
                        refseg::clip::parse_precision);
  tools::parse_if_given(o.preprocess, kTool, "--preprocess", preprocess,
                        refseg::clip::parse_preprocess);
  if (proposal_model) o.proposal_model = tools::take_string(proposal_model);
  if (given.has("--proposal-input-size"))
    o.torchscript.input_size =
        int_in_range(kTool, "--proposal-input-size", input_size, 1, G_MAXINT);
  o.torchscript.mask_threshold =
      static_cast<float>(real_in_range(kTool, "--mask-threshold", mask_threshold, 0, 1));
  o.filter.max_proposals = int_in_range(kTool, "--max-proposals", max_proposals, 1, G_MAXINT);
  o.filter.min_area = real_in_range(kTool, "--min-area", min_area, 0, 1);
  o.filter.max_area = real_in_range(kTool, "--max-area", max_area, 0, 1);
  o.filter.iou_threshold = real_in_range(kTool, "--duplicate-iou", duplicate_iou, 0, 1);
  if (given.has("--global-weight"))
    o.global_weight =
        static_cast<float>(real_in_range(kTool, "--global-weight", global_weight, 0, 1));
  o.sentence_weight =
      static_cast<float>(real_in_range(kTool, "--sentence-weight", sentence_weight, 0, 1));
  o.masked_layers = int_in_range(kTool, "--masked-layers", masked_layers, 0, G_MAXINT);
  if (keep_case) o.lower_case = false;
  if (given.has("--limit")) o.limit = tools::int64_in_range(kTool, "--limit", limit, 1, G_MAXINT64);
  if (per_sentence) o.per_sentence = true;
  opts.json_path = tools::take_string(json);
  if (o.filter.min_area > o.filter.max_area)
    tools::usage_error(kTool, "--min-area is above --max-area");
  return opts;
}

void progress_bar(int64_t done, int64_t total) {
  const int width = 40;
  const int filled = total > 0 ? static_cast<int>(width * done / total) : width;
  std::fprintf(stderr, "\r[%s%s] %lld/%lld sentences", std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), static_cast<long long>(done),
               static_cast<long long>(total));
  if (done == total) std::fputc('\n', stderr);
}

}  // namespace

int main(int argc, char **argv) {
  const Options opts = parse(argc, argv);
  const refseg::refcoco::RefcocoOptions &o = opts.evaluation;
  try {
    const auto result = refseg::refcoco::evaluate_refcoco(o, progress_bar);
    // Invalid UTF-8 (a sentence as the annotations wrote it) becomes U+FFFD
    // rather than an exception after the whole evaluation.
    const std::string json = refseg::refcoco::refcoco_json(o, result).dump(
        2, ' ', false, nlohmann::json::error_handler_t::replace);
    std::cout << json << "\n";
    if (!opts.json_path.empty()) {
      std::ofstream file(opts.json_path);
      if (!(file << json << "\n")) throw refseg::ModelError("cannot write " + opts.json_path);
    }
    if (result.unanswered_refs > 0)
      std::cerr << result.unanswered_refs << " refs (" << result.tally.unanswered()
                << " sentences) had no proposal: skipped, as the authors' loop skips them\n";
  } catch (const std::exception &e) {
    std::cerr << "\nevaluate_refcoco: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

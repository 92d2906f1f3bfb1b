// The paper's RefCOCO / RefCOCO+ / RefCOCOg protocol (refcoco/refcoco_evaluation.h):
//   evaluate_refcoco --refer-root DIR --dataset refcoco|refcoco+|refcocog --split val
//                    [--model ViT-B/32] [--proposal-model FILE.pt] [--limit N] [--json out.json]
// reports oIoU and mIoU as the authors' Compute_IoU does. A progress bar
// goes to stderr, the JSON to stdout (and to --json when given).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "common/model_error.h"
#include "refcoco/refcoco_evaluation.h"

namespace {

const char *kUsage =
    "usage: evaluate_refcoco --refer-root DIR [--dataset refcoco|refcoco+|refcocog]\n"
    "         [--split val|testA|testB|test|...] [options]\n"
    "data (the refer API's layout under --refer-root; each can be given instead):\n"
    "  --split-by S          refs(S).json (default: unc, umd for refcocog)\n"
    "  --refs FILE           the refs JSON (scripts/refer_to_json.py makes it from refs(S).p)\n"
    "  --instances FILE      instances.json\n"
    "  --images DIR          COCO train2014 images (default DIR/images/mscoco/images/train2014)\n"
    "model:\n"
    "  --model NAME|FILE     CLIP weights (default ViT-B/32)\n"
    "  --device D            cpu (default), cuda, cuda:N\n"
    "  --threads N           LibTorch threads (default: the idle cores)\n"
    "  --precision P         fp32 (default), bf16, int8, fp16, auto\n"
    "  --preprocess P        clip (default, METHOD.md) or reference (the authors' released\n"
    "                        code's image chain and re-joined lower-case text; docs/models.md)\n"
    "proposals (default: the project's grouping generator):\n"
    "  --proposal-model F    a TorchScript proposal model (docs/models.md)\n"
    "  --proposal-input-size N   its input's long side (default: the image size)\n"
    "  --mask-threshold T    its mask probability threshold (default 0.5)\n"
    "  --max-proposals N     at most N masks per image (default 20)\n"
    "  --min-area F --max-area F   kept mask area, fractions of the image (0.002, 0.9)\n"
    "  --duplicate-iou F     drop a mask this close to a better one (default 0.85)\n"
    "method:\n"
    "  --global-weight A     a (default 0.95, 0.85 for refcocog, as the authors)\n"
    "  --sentence-weight B   b (default 0.5)\n"
    "  --masked-layers K     masked image-tower blocks (default 3)\n"
    "  --keep-case           do not lower-case the sentence (the authors do)\n"
    "run:\n"
    "  --limit N             only the split's first N sentences\n"
    "  --per-sentence        every sentence's choice and overlap in the JSON\n"
    "  --json FILE           also write the JSON here\n";

int64_t whole(const std::string &text, const std::string &flag, int64_t minimum) {
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception &) {
    used = 0;
  }
  if (text.empty() || used != text.size() || v < minimum)
    throw refseg::ModelError(flag + ": '" + text +
                             "' is not a whole number >= " + std::to_string(minimum));
  return v;
}

double fraction(const std::string &text, const std::string &flag) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception &) {
    used = 0;
  }
  if (text.empty() || used != text.size() || !(v >= 0 && v <= 1))
    throw refseg::ModelError(flag + ": '" + text + "' is not a number in [0, 1]");
  return v;
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
  refseg::refcoco::RefcocoOptions o;
  std::string json_path;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw refseg::ModelError("missing value after " + arg);
        return argv[++i];
      };
      if (arg == "--refer-root") {
        o.refer_root = value();
      } else if (arg == "--dataset") {
        o.dataset = value();
        if (o.dataset != "refcoco" && o.dataset != "refcoco+" && o.dataset != "refcocog")
          throw refseg::ModelError("--dataset: expected refcoco, refcoco+ or refcocog, found " +
                                   o.dataset);
      } else if (arg == "--split") {
        o.split = value();
      } else if (arg == "--split-by") {
        o.split_by = value();
      } else if (arg == "--refs") {
        o.refs_file = value();
      } else if (arg == "--instances") {
        o.instances_file = value();
      } else if (arg == "--images") {
        o.images_dir = value();
      } else if (arg == "--model") {
        o.model = value();
      } else if (arg == "--device") {
        o.device = value();
      } else if (arg == "--threads") {
        o.threads = static_cast<int>(whole(value(), arg, 1));
      } else if (arg == "--precision") {
        o.precision = refseg::clip::parse_precision(value());
      } else if (arg == "--preprocess") {
        o.preprocess = refseg::clip::parse_preprocess(value());
      } else if (arg == "--proposal-model") {
        o.proposal_model = value();
      } else if (arg == "--proposal-input-size") {
        o.torchscript.input_size = static_cast<int>(whole(value(), arg, 1));
      } else if (arg == "--mask-threshold") {
        o.torchscript.mask_threshold = static_cast<float>(fraction(value(), arg));
      } else if (arg == "--max-proposals") {
        o.filter.max_proposals = static_cast<int>(whole(value(), arg, 1));
      } else if (arg == "--min-area") {
        o.filter.min_area = fraction(value(), arg);
      } else if (arg == "--max-area") {
        o.filter.max_area = fraction(value(), arg);
      } else if (arg == "--duplicate-iou") {
        o.filter.iou_threshold = fraction(value(), arg);
      } else if (arg == "--global-weight") {
        o.global_weight = static_cast<float>(fraction(value(), arg));
      } else if (arg == "--sentence-weight") {
        o.sentence_weight = static_cast<float>(fraction(value(), arg));
      } else if (arg == "--masked-layers") {
        o.masked_layers = static_cast<int>(whole(value(), arg, 0));
      } else if (arg == "--keep-case") {
        o.lower_case = false;
      } else if (arg == "--limit") {
        o.limit = whole(value(), arg, 1);
      } else if (arg == "--per-sentence") {
        o.per_sentence = true;
      } else if (arg == "--json") {
        json_path = value();
      } else if (arg == "--help" || arg == "-h") {
        std::cout << kUsage;
        return 0;
      } else {
        throw refseg::ModelError("unknown argument " + arg);
      }
    }
    if (o.filter.min_area > o.filter.max_area)
      throw refseg::ModelError("--min-area is above --max-area");
  } catch (const std::exception &e) {
    std::cerr << "evaluate_refcoco: " << e.what() << "\n" << kUsage;
    return 2;
  }

  try {
    const auto result = refseg::refcoco::evaluate_refcoco(o, progress_bar);
    // Invalid UTF-8 (a sentence as the annotations wrote it) becomes U+FFFD
    // rather than an exception after the whole evaluation.
    const std::string json = refseg::refcoco::refcoco_json(o, result).dump(
        2, ' ', false, nlohmann::json::error_handler_t::replace);
    std::cout << json << "\n";
    if (!json_path.empty()) {
      std::ofstream file(json_path);
      if (!(file << json << "\n")) throw refseg::ModelError("cannot write " + json_path);
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

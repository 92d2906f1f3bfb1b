// refseg_image: referring segmentation of one image, as JSON.
//
// Proposals come from mask PNGs (--mask, repeatable) or from the grouping
// generator refsegproposals uses. Each proposal's global- and local-context
// CLIP features are written; with --text (repeatable) also every proposal's
// score and the selection, and with --out-mask the chosen mask as a PNG.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "json_output.h"
#include "language/noun_phrase.h"
#include "proposals/grouping_generator.h"
#include "runtime/clip_runtime.h"
#include "selection/selection.h"
#include "tokenizer/reference_text.h"

namespace {

const char *kUsage =
    "usage: refseg_image --model NAME|PATH --image IMAGE [options]\n"
    "\n"
    "  --model M            CLIP model: a name in the models directories (ViT-B/32,\n"
    "                       refseg-tiny) or a path to an OpenAI .pt archive\n"
    "  --image F            the image (any format OpenCV reads)\n"
    "  --mask F             a proposal as a mask image of the same size (non-zero = inside);\n"
    "                       repeatable; without it the grouping generator proposes masks\n"
    "  --max-proposals N    grouping generator: at most N proposals (default 20)\n"
    "  --text T             a referring expression; repeatable\n"
    "  --global-weight A    a in v = a f_global + (1-a) f_local (default 0.95)\n"
    "  --sentence-weight B  b in t = b t_sentence + (1-b) t_phrase (default 0.5)\n"
    "  --masked-layers K    image-tower blocks masked for the global feature (default 3)\n"
    "  --threads N          LibTorch threads (default: every core)\n"
    "  --precision P        fp32 (default, the method exactly), bf16, int8 or auto\n"
    "                       (docs/accuracy.md gives each mode's accuracy cost)\n"
    "  --preprocess P       clip (default, METHOD.md) or reference (the authors' released\n"
    "                       code: image chain and lower-cased, re-joined text; docs/models.md)\n"
    "  --json F             write the JSON to F instead of stdout\n"
    "  --out-mask F         write the chosen mask of the first text to F (PNG, 0/255); the\n"
    "                       i-th further text's goes to F with -i before the extension\n"
    "\n"
    "JSON: {image, width, height, model, masked_layers, preprocess, proposals: [{index, box: "
    "[x,y,w,h],\n"
    "score, area, global: [D floats], local: [D floats]}], selections: [{text, phrase,\n"
    "index (-1: none), score, scores: [one per proposal], sentence_feature, phrase_feature,\n"
    "text_feature: [D floats] (t_sentence, t_phrase and t = b t_sentence + (1-b) t_phrase)}]}.\n"
    "Features are unnormalized; floats have 9 significant digits (they read back as the\n"
    "same float32). refseg_text shows the phrase and token ids without a model.\n";

struct Options {
  std::string model, image, json, out_mask;
  std::vector<std::string> masks, texts;
  int max_proposals = 20, masked_layers = 3, threads = 0;
  refseg::clip::Precision precision = refseg::clip::Precision::kFp32;
  refseg::clip::Preprocess preprocess = refseg::clip::Preprocess::kClip;
  refseg::SelectionWeights weights;
};

[[noreturn]] void fail(const std::string &message) {
  std::fprintf(stderr, "refseg_image: %s\n", message.c_str());
  std::exit(1);
}

// Numbers as a whole argument; "--threads four" or "--global-weight 0.9x"
// is refused instead of read as 0.
int whole_number(const std::string &option, const std::string &value) {
  char *end = nullptr;
  const long n = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || n < 0 || n > 1000000)
    fail(option + " needs a whole number, got '" + value + "'");
  return static_cast<int>(n);
}

float real_number(const std::string &option, const std::string &value) {
  char *end = nullptr;
  const float x = std::strtof(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(x >= 0.f && x <= 1.f))
    fail(option + " needs a number from 0 to 1, got '" + value + "'");
  return x;
}

Options parse(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(arg + " needs a value (see --help)");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--model")
      o.model = value();
    else if (arg == "--image")
      o.image = value();
    else if (arg == "--mask")
      o.masks.push_back(value());
    else if (arg == "--text")
      o.texts.push_back(value());
    else if (arg == "--json")
      o.json = value();
    else if (arg == "--out-mask")
      o.out_mask = value();
    else if (arg == "--max-proposals")
      o.max_proposals = whole_number(arg, value());
    else if (arg == "--masked-layers")
      o.masked_layers = whole_number(arg, value());
    else if (arg == "--threads")
      o.threads = whole_number(arg, value());
    else if (arg == "--precision") {
      try {
        o.precision = refseg::clip::parse_precision(value());
      } catch (const std::exception &e) {
        fail(e.what());
      }
    } else if (arg == "--preprocess") {
      try {
        o.preprocess = refseg::clip::parse_preprocess(value());
      } catch (const std::exception &e) {
        fail(e.what());
      }
    } else if (arg == "--global-weight")
      o.weights.global = real_number(arg, value());
    else if (arg == "--sentence-weight")
      o.weights.sentence = real_number(arg, value());
    else
      fail("unknown argument " + arg + " (see --help)");
  }
  if (o.model.empty() || o.image.empty()) fail("--model and --image are required (see --help)");
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

std::string quoted(const std::string &s) {
  return refseg::tools::json_string(s);
}

void floats(std::ostream &out, const float *v, size_t n) {
  refseg::tools::write_array(out, v, n);
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
  } else {
    refseg::ProposalFilter filter;
    filter.max_proposals = o.max_proposals;
    proposals = refseg::GroupingProposalGenerator({}, filter).propose(view);
  }

  try {
    auto clip =
        refseg::acquire_clip_runtime(o.model, {o.threads, "cpu", o.precision, o.preprocess});
    const refseg::EncodedMasks features = clip->encode_masks(view, proposals, o.masked_layers);
    refseg::NounPhraseExtractor phrases;

    std::ostringstream json;
    json.precision(9);  // float32 round trip (max_digits10)
    json << "{\"image\":" << quoted(o.image) << ",\"width\":" << bgr.cols
         << ",\"height\":" << bgr.rows << ",\"model\":" << quoted(o.model)
         << ",\"masked_layers\":" << o.masked_layers
         << ",\"preprocess\":" << quoted(refseg::clip::preprocess_name(o.preprocess))
         << ",\"proposals\":[";
    for (size_t i = 0; i < proposals.size(); i++) {
      const refseg::Box &b = proposals[i].box;
      json << (i ? "," : "") << "{\"index\":" << i << ",\"box\":[" << b.x << "," << b.y << ","
           << b.width << "," << b.height << "],\"score\":" << proposals[i].score
           << ",\"area\":" << proposals[i].area() << ",\"global\":";
      floats(json, features.global.data() + i * features.dim, features.dim);
      json << ",\"local\":";
      floats(json, features.local.data() + i * features.dim, features.dim);
      json << '}';
    }
    json << "],\"selections\":[";
    for (size_t t = 0; t < o.texts.size(); t++) {
      // reference: the towers and the parser see the re-joined lower-case sentence.
      const std::string prepared = o.preprocess == refseg::clip::Preprocess::kReference
                                       ? refseg::text::reference_sentence(o.texts[t])
                                       : o.texts[t];
      const std::string phrase = phrases.target_phrase(prepared);
      const std::vector<float> sentence = clip->encode_text(prepared);
      const std::vector<float> phrase_feature =
          clip->encode_text(phrase.empty() ? prepared : phrase);
      const std::vector<float> text =
          refseg::mix_text_features(sentence, phrase_feature, o.weights.sentence);
      const std::vector<float> scores =
          refseg::score_proposals(features.global.data(), features.local.data(), features.count,
                                  features.dim, text, o.weights.global);
      const int best = refseg::best_proposal(scores);
      json << (t ? "," : "") << "{\"text\":" << quoted(o.texts[t])
           << ",\"phrase\":" << quoted(phrase) << ",\"index\":" << best
           << ",\"score\":" << (best >= 0 ? scores[best] : 0.f) << ",\"scores\":";
      floats(json, scores.data(), scores.size());
      json << ",\"sentence_feature\":";
      floats(json, sentence.data(), sentence.size());
      json << ",\"phrase_feature\":";
      floats(json, phrase_feature.data(), phrase_feature.size());
      json << ",\"text_feature\":";
      floats(json, text.data(), text.size());
      json << '}';
      if (!o.out_mask.empty() && best >= 0)
        write_mask(numbered(o.out_mask, t), proposals[best], bgr.size());
    }
    json << "]}\n";
    if (o.json.empty()) {
      std::cout << json.str();
    } else {
      std::ofstream file(o.json);
      file << json.str();
      if (!file) fail("cannot write " + o.json);
    }
  } catch (const std::exception &e) {
    fail(e.what());
  }
  return 0;
}

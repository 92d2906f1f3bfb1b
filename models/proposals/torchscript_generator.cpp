#include "proposals/torchscript_generator.h"

#include <cmath>
#include <fstream>

#include <torch/script.h>
#include <opencv2/imgproc.hpp>

#include "common/model_error.h"
#include "proposals/frame_image.h"
#include "proposals/proposal_filter.h"

namespace refseg {

struct TorchScriptProposalGenerator::Module {
  torch::jit::Module module;
};

namespace {

const char *kContract = "model output must be a tuple (masks [N,h,w], scores [N])";

// Checks the forward() result against the contract and returns (masks, scores)
// as contiguous float32 CPU tensors.
std::pair<at::Tensor, at::Tensor> check_output(const c10::IValue &out, const std::string &path) {
  auto fail = [&](const std::string &found) {
    throw ModelError(path + ": " + kContract + "; got " + found);
  };
  if (!out.isTuple()) fail(std::string("a ") + out.tagKind());
  const auto &elements = out.toTupleRef().elements();
  if (elements.size() != 2) fail("a tuple of " + std::to_string(elements.size()) + " elements");
  if (!elements[0].isTensor() || !elements[1].isTensor())
    fail(std::string("(") + elements[0].tagKind() + ", " + elements[1].tagKind() + ")");
  at::Tensor masks = elements[0].toTensor(), scores = elements[1].toTensor();
  if (masks.dim() != 3) fail("masks of shape " + c10::str(masks.sizes()));
  if (scores.dim() != 1) fail("scores of shape " + c10::str(scores.sizes()));
  if (masks.size(0) != scores.size(0))
    fail(std::to_string(masks.size(0)) + " masks and " + std::to_string(scores.size(0)) +
         " scores");
  if (masks.size(0) > 0 && (masks.size(1) == 0 || masks.size(2) == 0))
    fail("masks of shape " + c10::str(masks.sizes()));
  return {masks.to(at::kCPU, at::kFloat).contiguous(),
          scores.to(at::kCPU, at::kFloat).contiguous()};
}

c10::IValue run(torch::jit::Module &module, const at::Tensor &input, const std::string &path) {
  try {
    c10::InferenceMode guard;
    return module.forward({input});
  } catch (const c10::Error &e) {
    throw ModelError(path + ": forward() failed on a [1,3," + std::to_string(input.size(2)) + "," +
                     std::to_string(input.size(3)) + "] RGB input: " + e.what_without_backtrace());
  } catch (const std::exception &e) {  // TorchScript's own exceptions (raise, index errors)
    throw ModelError(path + ": forward() failed on a [1,3," + std::to_string(input.size(2)) + "," +
                     std::to_string(input.size(3)) + "] RGB input: " + e.what());
  }
}

}  // namespace

TorchScriptProposalGenerator::TorchScriptProposalGenerator(const std::string &path,
                                                           TorchScriptOptions options,
                                                           ProposalFilter filter)
    : path_(path), options_(options), module_(std::make_unique<Module>()) {
  filter_ = filter;
  if (path.empty()) throw ModelError("proposal model: no file given");
  if (!std::ifstream(path, std::ios::binary))
    throw ModelError(path + ": cannot open the proposal model file");
  try {
    module_->module = torch::jit::load(path, at::kCPU);
  } catch (const c10::Error &e) {
    throw ModelError(path + ": not a TorchScript module (" + e.what_without_backtrace() + ")");
  } catch (const std::exception &e) {
    throw ModelError(path + ": not a TorchScript module (" + e.what() + ")");
  }
  module_->module.eval();
  // Probe: a 64 x 64 grey frame must give an output of the right shape.
  check_output(run(module_->module, at::full({1, 3, 64, 64}, 0.5f), path_), path_);
}

TorchScriptProposalGenerator::~TorchScriptProposalGenerator() = default;

std::vector<RegionMask> TorchScriptProposalGenerator::propose(const ImageView &frame) {
  const cv::Mat rgb = frame_to_rgb(frame, options_.input_size);
  if (rgb.empty()) return {};
  // [H, W, 3] uint8 -> [1, 3, H, W] float in [0, 1]
  const at::Tensor input = at::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, at::kByte)
                               .permute({2, 0, 1})
                               .unsqueeze(0)
                               .to(at::kFloat)
                               .div_(255.f)
                               .contiguous();
  auto [masks, scores] = check_output(run(module_->module, input, path_), path_);
  const int n = static_cast<int>(masks.size(0));
  if (n == 0) return {};
  const int h = static_cast<int>(masks.size(1)), w = static_cast<int>(masks.size(2));

  std::vector<RegionMask> candidates;
  candidates.reserve(n);
  const float *score = scores.data_ptr<float>();
  for (int i = 0; i < n; ++i) {
    const cv::Mat prob(h, w, CV_32F, masks[i].data_ptr<float>());
    cv::Mat binary = prob > options_.mask_threshold;  // CV_8U 0/255; NaN compares false
    candidates.push_back(crop_mask(binary, std::isfinite(score[i]) ? score[i] : -INFINITY));
  }
  std::vector<RegionMask> out;
  for (RegionMask &m :
       filter_proposals(std::move(candidates), filter_, static_cast<double>(h) * w)) {
    RegionMask scaled = rescale_mask(m, w, h, frame.width, frame.height);
    if (!scaled.box.empty()) out.push_back(std::move(scaled));
  }
  return out;
}

}  // namespace refseg

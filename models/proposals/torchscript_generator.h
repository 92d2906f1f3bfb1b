// Proposals from a learned, class-agnostic segmenter exported as TorchScript.
//
// Contract of the module's forward():
//   input   float32 [1, 3, H, W], RGB in [0, 1] (H, W: the frame scaled to
//           input_size on its long side, or the frame size)
//   output  a tuple (masks, scores): masks float [N, h, w] probabilities in
//           [0, 1] at any resolution h x w covering the whole frame,
//           scores float [N]; N may be 0.
// Masks are thresholded at mask_threshold, mapped to frame size and go
// through the same ProposalFilter as the grouping generator.
#pragma once

#include <memory>
#include <string>

#include "proposals/proposal_generator.h"

namespace refseg {

struct TorchScriptOptions {
  int input_size = 0;           // long side of the model input; 0 = the frame size
  float mask_threshold = 0.5f;  // probability above which a pixel is in the mask
};

class TorchScriptProposalGenerator : public ProposalGenerator {
 public:
  // Loads the module and checks the contract with a probe forward on a
  // 64 x 64 frame. Throws ModelError naming the file and the problem.
  explicit TorchScriptProposalGenerator(const std::string &path, TorchScriptOptions options = {},
                                        ProposalFilter filter = {});
  ~TorchScriptProposalGenerator() override;

  // Throws ModelError when the module's output breaks the contract.
  std::vector<RegionMask> propose(const ImageView &frame) override;

  const std::string &path() const { return path_; }

 private:
  struct Module;  // keeps LibTorch out of this header
  std::string path_;
  TorchScriptOptions options_;
  std::unique_ptr<Module> module_;
};

}  // namespace refseg

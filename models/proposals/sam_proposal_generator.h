// Proposals from a Segment Anything model (SAM ViT-B/L/H or MobileSAM, the
// released checkpoint files): segment-anything's automatic mask generation
// (sam/automatic_mask_generator.h), ranked by predicted IoU, which becomes
// each proposal's score. The shared ProposalFilter applies its area limits
// and count; its iou_threshold is the generator's box NMS threshold (0.7 for
// SAM models), not a second mask-IoU suppression.
//
// Prompts: the reference's grid by default; with a prompt source (e.g. the
// weightless GroupingGenerator) the centroids of its proposals instead, a
// cheaper source for the CPU. The model keeps the frame's embedding after
// propose(), so refine() decodes a selected proposal's box against it.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "proposals/proposal_generator.h"
#include "sam/automatic_mask_generator.h"

namespace refseg {

namespace sam {
class SamModel;
}

// The filter SAM proposals default to: 20 proposals, the shared area limits,
// box NMS at 0.7.
ProposalFilter sam_proposal_filter();

// A point inside the mask for prompting: its centroid when that pixel is in
// the mask, else the mask pixel nearest to the centroid. nullopt for an
// empty mask.
std::optional<std::array<double, 2>> prompt_point(const RegionMask &mask);

class SamProposalGenerator : public ProposalGenerator {
 public:
  // Throws ModelError naming the file and what is wrong (sam_checkpoint.h).
  explicit SamProposalGenerator(const std::string &checkpoint_path,
                                sam::AutomaticMaskOptions options = {},
                                ProposalFilter filter = sam_proposal_filter());
  ~SamProposalGenerator() override;

  std::vector<RegionMask> propose(const ImageView &frame) override;

  // Prompts from another generator's proposals (their prompt_point()s)
  // instead of the grid; nullptr returns to the grid.
  void set_prompt_source(std::shared_ptr<ProposalGenerator> source) { source_ = std::move(source); }
  const sam::AutomaticMaskOptions &options() const { return options_; }
  void set_options(const sam::AutomaticMaskOptions &o) { options_ = o; }

  // Box refinement against the last propose()'s frame (sam::refine_with_box).
  std::optional<RegionMask> refine(const RegionMask &proposal) const;

  sam::SamModel &model() { return *model_; }
  const std::string &path() const { return path_; }

 private:
  std::string path_;
  sam::AutomaticMaskOptions options_;
  std::unique_ptr<sam::SamModel> model_;
  std::shared_ptr<ProposalGenerator> source_;
};

}  // namespace refseg

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

#include "clip/precision.h"
#include "proposals/proposal_generator.h"
#include "sam/automatic_mask_generator.h"

namespace refseg {

namespace sam {
class SamModel;
}

// The filter SAM proposals default to: 20 proposals, the shared area limits,
// box NMS at 0.7.
ProposalFilter sam_proposal_filter();

// Where the prompts come from: the reference's grid, or the interior points
// (prompt_point) of the weightless GroupingProposalGenerator's ranked
// regions, spread apart (spread_prompt_points), a cheaper source for the CPU
// (as many as the points budget AutomaticMaskOptions::max_points says, else
// kDefaultRegionPrompts).
enum class SamPrompts { Grid, Regions };
constexpr int kDefaultRegionPrompts = 64;
// Where SAM prompts come from by default on the CPU (refsegproposals,
// refseg_image): the regions, whose 64 points reach as many of the annotated
// photo's objects as the 16x16 grid's 256 (tools/bench_sam --photos) for a
// quarter of the decoding. SamProposalGenerator itself starts on the grid,
// as the reference does.
constexpr SamPrompts kCpuSamPrompts = SamPrompts::Regions;
// Regions asked of the grouping generator per point of the budget: enough
// that the points skipped for their spacing are replaced.
constexpr int kRegionPromptPool = 2;
// "grid", "regions"; parse throws ModelError naming the accepted values.
const char *sam_prompts_name(SamPrompts prompts);
SamPrompts parse_sam_prompts(const std::string &name);

// The precision a SAM model runs in for a request: fp32 and bf16 as they
// are, auto bf16 where the CPU has native bf16 (clip::CpuFeatures::fast_bf16)
// and fp32 elsewhere. Throws ModelError for int8 and fp16 (not offered).
clip::Precision resolve_sam_precision(clip::Precision requested);

// A point inside the mask for prompting: its centroid when that pixel is in
// the mask, else the mask pixel nearest to the centroid. nullopt for an
// empty mask.
std::optional<std::array<double, 2>> prompt_point(const RegionMask &mask);

// The Regions source's points: an interior point of each ranked region in
// turn, skipping one closer than min_spacing to a point already taken, until
// `budget` points. SAM decodes much the same masks from two points that
// close (nested regions of the hierarchy often share their interior), so
// the budget goes to further regions instead (tools/bench_sam --photos: 64
// points reach 18 of the photo's 18 objects, as the 16x16 grid's 256 do;
// the first 64 regions' points reach 17).
std::vector<std::array<double, 2>> spread_prompt_points(const std::vector<RegionMask> &ranked,
                                                        size_t budget, double min_spacing);
// The spacing for a frame: its longer side / 40 (16 pixels at 640x480).
double region_prompt_spacing(int width, int height);
// The Regions source as SamProposalGenerator runs it: `grouping`'s first
// kRegionPromptPool x budget regions of `frame`, spread.
std::vector<std::array<double, 2>> region_prompt_points(ProposalGenerator &grouping,
                                                        const ImageView &frame, size_t budget);

// Box refinement, as Grounded-SAM does it: each proposal decoded again with
// its own box (first/last pixel columns and rows) as SAM's box prompt, in
// one decoder batch against the frame `model` encoded last; the refined mask
// takes the proposal's place with SAM's predicted IoU as its score, and a
// proposal whose refined mask is empty stays as it was. Throws ModelError
// when no frame is encoded.
std::vector<RegionMask> refine_proposals(const sam::SamModel &model,
                                         std::vector<RegionMask> proposals);
// The same for another generator's proposals (the weightless grouping, a
// TorchScript model): `frame` is encoded first (one image encoding).
std::vector<RegionMask> refine_proposals_on(sam::SamModel &model, const ImageView &frame,
                                            std::vector<RegionMask> proposals);

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
  // Grid, or Regions: a GroupingProposalGenerator with its defaults as the
  // prompt source, giving max_points (else kDefaultRegionPrompts) points of
  // its ranked regions (region_prompt_points).
  void set_prompts(SamPrompts prompts);
  SamPrompts prompts() const { return prompts_; }
  const sam::AutomaticMaskOptions &options() const { return options_; }
  void set_options(const sam::AutomaticMaskOptions &o) { options_ = o; }

  // Box refinement against the last propose()'s frame (sam::refine_with_box).
  std::optional<RegionMask> refine(const RegionMask &proposal) const;

  // The model's precision (sam::SamModel::set_precision).
  void set_precision(clip::Precision precision);
  clip::Precision precision() const;

  sam::SamModel &model() { return *model_; }
  const std::string &path() const { return path_; }

 private:
  std::string path_;
  sam::AutomaticMaskOptions options_;
  std::unique_ptr<sam::SamModel> model_;
  std::shared_ptr<ProposalGenerator> source_;
  SamPrompts prompts_ = SamPrompts::Grid;
};

}  // namespace refseg

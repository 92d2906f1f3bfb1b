#include "proposals/sam_proposal_generator.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/model_error.h"
#include "proposals/grouping_generator.h"
#include "proposals/proposal_filter.h"
#include "sam/sam_model.h"

namespace refseg {

ProposalFilter sam_proposal_filter() {
  ProposalFilter f;
  f.iou_threshold = 0.7;
  return f;
}

const char *sam_prompts_name(SamPrompts p) {
  return p == SamPrompts::Regions ? "regions" : "grid";
}

SamPrompts parse_sam_prompts(const std::string &name) {
  if (name == "grid") return SamPrompts::Grid;
  if (name == "regions") return SamPrompts::Regions;
  throw ModelError("unknown SAM prompt source '" + name + "' (grid or regions)");
}

clip::Precision resolve_sam_precision(clip::Precision p) {
  switch (p) {
    case clip::Precision::kFp32:
    case clip::Precision::kBf16:
      return p;
    case clip::Precision::kAuto:
      return clip::detect_cpu_features().fast_bf16() ? clip::Precision::kBf16
                                                     : clip::Precision::kFp32;
    default:
      throw ModelError(std::string("SAM models run in fp32 or bf16 (or auto), not ") +
                       clip::precision_name(p));
  }
}

std::optional<std::array<double, 2>> prompt_point(const RegionMask &m) {
  double sx = 0, sy = 0, n = 0;
  for (int y = 0; y < m.box.height; ++y)
    for (int x = 0; x < m.box.width; ++x)
      if (m.pixels[static_cast<size_t>(y) * m.box.width + x]) sx += x, sy += y, ++n;
  if (n == 0) return std::nullopt;
  const double cx = sx / n, cy = sy / n;
  const int ix = static_cast<int>(std::lround(cx)), iy = static_cast<int>(std::lround(cy));
  if (m.contains(m.box.x + ix, m.box.y + iy))
    return std::array<double, 2>{m.box.x + cx, m.box.y + cy};
  double best = std::numeric_limits<double>::infinity();
  std::array<double, 2> p{};
  for (int y = 0; y < m.box.height; ++y)
    for (int x = 0; x < m.box.width; ++x)
      if (m.pixels[static_cast<size_t>(y) * m.box.width + x]) {
        const double d = (x - cx) * (x - cx) + (y - cy) * (y - cy);
        if (d < best)
          best = d, p = {static_cast<double>(m.box.x + x), static_cast<double>(m.box.y + y)};
      }
  return p;
}

std::vector<std::array<double, 2>> spread_prompt_points(const std::vector<RegionMask> &ranked,
                                                        size_t budget, double min_spacing) {
  std::vector<std::array<double, 2>> points;
  const double min_square = min_spacing * min_spacing;
  for (const RegionMask &m : ranked) {
    if (points.size() >= budget) break;
    const auto p = prompt_point(m);
    if (!p) continue;
    const bool near = std::any_of(points.begin(), points.end(), [&](const auto &q) {
      const double dx = q[0] - (*p)[0], dy = q[1] - (*p)[1];
      return dx * dx + dy * dy < min_square;
    });
    if (!near) points.push_back(*p);
  }
  return points;
}

double region_prompt_spacing(int width, int height) {
  return std::max(width, height) / 40.0;
}

std::vector<std::array<double, 2>> region_prompt_points(ProposalGenerator &grouping,
                                                        const ImageView &frame, size_t budget) {
  ProposalFilter rf = grouping.filter();
  rf.max_proposals = static_cast<int>(budget) * kRegionPromptPool;
  grouping.set_filter(rf);
  return spread_prompt_points(grouping.propose(frame), budget,
                              region_prompt_spacing(frame.width, frame.height));
}

SamProposalGenerator::SamProposalGenerator(const std::string &path, sam::AutomaticMaskOptions o,
                                           ProposalFilter filter)
    : path_(path), options_(std::move(o)), model_(std::make_unique<sam::SamModel>(path)) {
  filter_ = filter;
}

SamProposalGenerator::~SamProposalGenerator() = default;

void SamProposalGenerator::set_prompts(SamPrompts p) {
  prompts_ = p;
  source_ = p == SamPrompts::Regions ? std::make_shared<GroupingProposalGenerator>() : nullptr;
}

std::vector<RegionMask> SamProposalGenerator::propose(const ImageView &frame) {
  sam::AutomaticMaskOptions o = options_;
  o.box_nms_thresh = filter_.iou_threshold;
  if (source_) {
    o.points.clear();
    if (prompts_ == SamPrompts::Regions) {
      o.points = region_prompt_points(*source_, frame,
                                      o.max_points > 0 ? o.max_points : kDefaultRegionPrompts);
    } else {
      for (const RegionMask &m : source_->propose(frame))
        if (auto p = prompt_point(m)) o.points.push_back(*p);
    }
    if (o.points.empty()) {
      model_->set_image(frame);  // keep refine() on this frame
      return {};
    }
  }
  std::vector<RegionMask> masks;
  for (auto &m : sam::generate_masks(*model_, frame, o))
    if (!m.mask.box.empty()) masks.push_back(std::move(m.mask));
  ProposalFilter f = filter_;
  f.iou_threshold = 2.0;  // duplicates are the box NMS's job
  return filter_proposals(std::move(masks), f, static_cast<double>(frame.width) * frame.height);
}

std::optional<RegionMask> SamProposalGenerator::refine(const RegionMask &proposal) const {
  return sam::refine_with_box(*model_, proposal);
}

std::vector<RegionMask> refine_proposals(const sam::SamModel &model,
                                         std::vector<RegionMask> proposals) {
  std::vector<std::optional<RegionMask>> refined = sam::refine_with_boxes(model, proposals);
  for (size_t i = 0; i < proposals.size(); ++i)
    if (refined[i]) proposals[i] = std::move(*refined[i]);
  return proposals;
}

std::vector<RegionMask> refine_proposals_on(sam::SamModel &model, const ImageView &frame,
                                            std::vector<RegionMask> proposals) {
  if (proposals.empty()) return proposals;
  model.set_image(frame);
  return refine_proposals(model, std::move(proposals));
}

void SamProposalGenerator::set_precision(clip::Precision p) {
  model_->set_precision(p);
}

clip::Precision SamProposalGenerator::precision() const {
  return model_->precision();
}

}  // namespace refseg

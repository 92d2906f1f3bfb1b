// Post-processing shared by every proposal generator: area limits, ranking,
// duplicate suppression by mask IoU, the count limit, and moving masks
// between the generator's working grid and the frame.
#pragma once

#include <functional>
#include <vector>

#include <opencv2/core.hpp>

#include "common/region_mask.h"
#include "proposals/proposal_generator.h"

namespace refseg {

// A candidate known by its score, area and box before its pixels exist, so
// that only the candidates the filter actually compares get rendered.
struct CandidateInfo {
  float score = 0.f;
  double area = 0;  // pixels on the candidate's grid
  Box box;
};

// The rendered candidates to keep, best first: area in
// [min_area, max_area] * grid_area, stable order by score (ties keep input
// order), greedy suppression of masks whose IoU with a kept one reaches
// iou_threshold, at most max_proposals. render(i) is called at most once per
// candidate and only for candidates that pass the area limits (judged on the
// candidate's area); duplicates are judged on the rendered masks.
// `kept`: masks chosen before (by another ranking), returned first; they
// count toward max_proposals and their duplicates are skipped.
std::vector<RegionMask> select_candidates(const std::vector<CandidateInfo> &candidates,
                                          const ProposalFilter &filter, double grid_area,
                                          const std::function<RegionMask(size_t)> &render,
                                          std::vector<RegionMask> kept = {});

// The same on materialised masks.
std::vector<RegionMask> filter_proposals(std::vector<RegionMask> masks,
                                         const ProposalFilter &filter, double grid_area);

// The tight box crop of the non-zero pixels of a CV_8U mask (values become
// 0/255); an empty box when the mask is all zero.
RegionMask crop_mask(const cv::Mat &mask, float score);

// Maps a mask from a grid of grid_w x grid_h onto a frame of frame_w x frame_h
// (bilinear, threshold at half: the same boundary a full-frame resize gives),
// touching only the pixels around its box. The result is tightly cropped and
// may be empty when the mask vanishes at the new scale.
RegionMask rescale_mask(const RegionMask &mask, int grid_w, int grid_h, int frame_w, int frame_h);

}  // namespace refseg

// Hierarchical grouping of an over-segmentation (the selective-search idea,
// Uijlings et al. 2013): starting from the initial segments, repeatedly merge
// the two most similar adjacent regions until one region is left. Every
// region ever formed is a mask candidate.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "common/region_mask.h"

namespace refseg {

// Which similarity terms drive the merge order (each in [0,1], summed).
struct SimilarityTerms {
  bool colour = true;   // intersection of 25-bin-per-channel colour histograms
  bool texture = true;  // intersection of gradient orientation x magnitude histograms
  bool size = true;     // 1 - (|a| + |b|) / |image|: small regions merge first
  bool fill = true;     // 1 - (|box(a u b)| - |a| - |b|) / |image|: merge regions that fit together
};

struct HierarchyRegion {
  std::vector<int> segments;  // initial segment labels the region covers
  Box box;                    // on the segmentation grid
  long size = 0;              // pixels
  // How distinct the region is when it is merged into its parent: 1 - the
  // highest appearance similarity ((colour + texture) / 2) to any of its
  // neighbours at that moment. A region counts as distinct only if it
  // resembles none of its surroundings: objects score high, fragments of
  // uniform or textured background that have a look-alike next to them score
  // low. 0 for the root, which is never merged.
  float isolation = 0.f;
  // How well a contour separates the region from everything around it: the
  // mean edge strength (0..1) along its whole outer boundary (the frame
  // border left out). 0 for the root.
  float contour = 0.f;
  // The mean edge strength along the boundaries between its initial
  // segments, inside it: high when the region spans several objects.
  float inner_contour = 0.f;
  // The length of those inner boundaries over the length of the outer one:
  // small when one short edge splits an object into two tones (a horse's
  // saddle cloth, a shirt above trousers), about 1 or more when the region
  // is a patchwork of many segments.
  float inner_extent = 0.f;
};

// Working memory of group_regions, reusable between calls: once it has seen
// the largest grid and segment count, a call allocates little beyond its
// result. Contents between calls mean nothing.
struct GroupingBuffers {
  cv::Mat gx, gy, texture_bins;                        // Sobel derivatives, per-pixel bins
  std::vector<int32_t> colour_counts, texture_counts;  // per initial segment
  std::vector<float> colour, texture;                  // normalised histograms, per region
};

// Edge strength per pixel, 0..1, of an 8-bit 3-channel image (CIELAB: the
// same for every strategy, so that their contour scores compare): the colour
// gradient's magnitude over the three channels, saturating at a step of
// about 80 levels between neighbouring pixels. `scratch` is working memory.
void edge_strength(const cv::Mat &image, cv::Mat &edge, cv::Mat scratch[2]);

// labels: CV_32S segment ids in [0, n_segments); image: CV_8UC3 in the
// colour space the similarities should use, same size; edge: CV_32F edge
// strength (edge_strength), same size, for the boundary term and contours. Returns the initial
// segments first (index = label) followed by the merged regions in merge
// order. Deterministic: ties are broken by region index.
std::vector<HierarchyRegion> group_regions(const cv::Mat &labels, int n_segments,
                                           const cv::Mat &image, const cv::Mat &edge,
                                           const SimilarityTerms &terms, GroupingBuffers &buffers);
// The same with buffers of its own.
std::vector<HierarchyRegion> group_regions(const cv::Mat &labels, int n_segments,
                                           const cv::Mat &image, const cv::Mat &edge,
                                           const SimilarityTerms &terms);

// Renders a region as a box-cropped 0/255 mask on the segmentation grid.
RegionMask render_region(const HierarchyRegion &region, const cv::Mat &labels, int n_segments,
                         float score);

}  // namespace refseg

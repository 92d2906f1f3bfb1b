// Photos with every object annotated (COCO panoptic or instance layouts,
// refcoco/coco_objects.h), as the benchmarks read them: the things of at
// least a given area as masks, and the same photo seen other ways (mirrored,
// scaled, cropped) with its objects moved along, so that a figure is less
// the accident of one resolution or one framing.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "common/region_mask.h"

namespace refseg::tools {

struct AnnotatedPhoto {
  std::string name;                 // the image's file name; "@view" for a view
  cv::Mat rgb;                      // CV_8UC3
  std::vector<RegionMask> objects;  // things of at least min_area pixels
};

// Every image of the annotation files, with its things of at least min_area
// pixels. Throws std::runtime_error naming a file that cannot be read.
std::vector<AnnotatedPhoto> load_annotated_photos(const std::vector<std::string> &files,
                                                  int min_area);

// The views photo_view() knows: mirrored, at 0.75x and 1.5x, and the left and
// right three fifths.
const std::vector<std::string> &photo_view_names();

// `photo` seen as `how` (one of photo_view_names()); an object keeps its
// place when it still has min_area pixels (scaled with the view) and, in a
// crop, when at least 80% of it stays inside.
AnnotatedPhoto photo_view(const AnnotatedPhoto &photo, const std::string &how, int min_area);

// The photos followed by every view of each.
std::vector<AnnotatedPhoto> with_views(std::vector<AnnotatedPhoto> photos, int min_area);

}  // namespace refseg::tools

// Outlines of the world's shapes and their exact rasterisation. Every
// outline lies within `radius` of the centre, so an object whose centre is
// at least radius from each border is entirely in the frame.
#pragma once

#include <opencv2/core.hpp>

#include <vector>

#include "world/referring_world.h"

namespace refseg::world {

// Polygon vertices (closed implicitly), in pixel coordinates.
std::vector<cv::Point2f> shape_outline(Shape shape, cv::Point2f centre, float radius,
                                       float rotation);

// CV_8U mask of `size` with 255 inside the outline. Drawn without
// anti-aliasing so the mask and the painted pixels are the same set.
cv::Mat shape_mask(Shape shape, cv::Point2f centre, float radius, float rotation, cv::Size size);

}  // namespace refseg::world

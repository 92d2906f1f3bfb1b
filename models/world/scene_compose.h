// Turns posed objects into pixels: exact masks with occlusion, painted over a
// background. Shared by still scenes and video frames.
#pragma once

#include <opencv2/core.hpp>

#include <vector>

#include "world/referring_world.h"
#include "world/seeded_random.h"

namespace refseg::world {

// Random attributes and a non-conflicting pose for each object (no masks).
// Throws ModelError when the options leave no room for min_objects.
std::vector<Object> place_objects(SeededRandom &random, const WorldOptions &options);

// Fills mask, box and areas of every object (later objects occlude earlier
// ones) and returns `background` (RGB, frame-sized) with the objects painted
// as their Appearance says.
cv::Mat compose(const cv::Mat &background, std::vector<Object> &objects);

// The hard level's additions to a frame: clutter painted onto the background
// before the objects, and a lighting gradient over the composed frame.
void add_clutter(SeededRandom &random, cv::Mat &background);
void add_lighting(SeededRandom &random, cv::Mat &image);

// Objects visible enough to be named: at least min_visible_fraction of
// their own area.
std::vector<bool> referable_objects(const std::vector<Object> &objects,
                                    double min_visible_fraction);

}  // namespace refseg::world

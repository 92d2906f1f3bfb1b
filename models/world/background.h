// Backgrounds behind the objects: muted, low-saturation tones so that every
// named object colour (white and black included) stands out against them.
#pragma once

#include <opencv2/core.hpp>

#include "world/referring_world.h"
#include "world/seeded_random.h"

namespace refseg::world {

// An RGB CV_8UC3 image of `size`; `textured` false gives Plain only.
cv::Mat render_background(SeededRandom &random, cv::Size size, bool textured, Background *kind);

// Adds per-pixel Gaussian noise with a std. deviation drawn in [0, max_noise]
// and blurs with a sigma drawn in [0, max_blur] (both in place, RGB).
void degrade(SeededRandom &random, double max_noise, double max_blur, cv::Mat &image);

}  // namespace refseg::world

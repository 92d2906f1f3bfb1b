// A synthetic referring world: seeded scenes of flat-coloured shapes with
// exact instance masks and referring expressions that are true and
// unambiguous by construction. No real CLIP weights can be downloaded where
// this project is built, so a tiny CLIP is trained on this world and the
// demo, tests and evaluation tool measure the method on held-out scenes.
//
// Everything is a pure function of (seed, options): the same seed gives the
// same image, masks and expressions on every platform (the random helpers
// in seeded_random.h do not use the standard distributions, whose output is
// implementation-defined).
//
// Images are CV_8UC3 in RGB order (OpenCV's own default is BGR: convert with
// cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR) before cv::imwrite).
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "common/region_mask.h"

namespace refseg::world {

enum class Shape { Circle, Square, Triangle, Star, Hexagon, Cross, Heart };
enum class Colour { Red, Green, Blue, Yellow, Orange, Purple, White, Black };
enum class Background { Plain, Gradient, Stripes, Noise, Checker };

// What an expression leans on to single out its target:
//  Attribute: size/colour/shape only ("the small blue square");
//  Location:  an extreme position within a group ("the leftmost circle");
//  Relation:  a position relative to another object ("the square above the
//             yellow star");
//  Ordinal:   a rank within a group ("the second circle from the left").
enum class ExpressionType { Attribute, Location, Relation, Ordinal };

const std::vector<Shape> &all_shapes();
const std::vector<Colour> &all_colours();
const std::vector<ExpressionType> &all_expression_types();

// How an object of the hard world level looks beyond its named colour: the
// lower part in another colour (a figure's shirt and trousers), a texture
// over the fill, a shading gradient across it. Plain-level objects keep the
// defaults (one flat colour). Fixed per object, so a video's object looks
// the same in every frame.
struct Appearance {
  float lower_part = 0.f;        // 0: one part; else the fraction of the radius below the centre
                                 // from which the second colour starts (-0.3 .. 0.3)
  cv::Vec3b lower_rgb;           // the second part's colour
  int texture = 0;               // 0 none, 1 stripes, 2 blotches
  float texture_strength = 0.f;  // brightness modulation, 0 .. 0.4
  float texture_period = 8.f;    // pixels
  float shading = 0.f;           // brightness change from one side to the other, 0 .. 0.5
  float shading_angle = 0.f;     // radians
};

struct Object {
  Shape shape = Shape::Circle;
  Colour colour = Colour::Red;
  bool big = false;      // size class: big objects are about twice as large as small ones
  cv::Point2f centre;    // in pixels; the whole shape lies within radius of it
  float radius = 0.f;    // circumradius in pixels
  float rotation = 0.f;  // radians, small (squares stay squares)
  cv::Vec3b rgb;         // the exact colour painted (the named colour, jittered)
  cv::Mat mask;          // CV_8U, frame-sized, 255 on the visible pixels
  cv::Rect box;          // bounding box of the visible mask
  int full_area = 0;     // pixels of the shape before occlusion
  int visible_area = 0;  // pixels of mask
  Appearance look;       // flat for the plain level
};

struct Expression {
  std::string text;  // lower case, no final period: "the red circle left of the star"
  int target = -1;   // index into Scene::objects
  ExpressionType type = ExpressionType::Attribute;
  int anchor = -1;  // Relation: the object the target is related to; -1 otherwise
  // The objects the target's own description fits, spatial words left out
  // ("the small circle" of "the leftmost small circle"), target included:
  // what a description score should single out. Empty for absent ones.
  std::vector<int> described;
};

struct Scene {
  cv::Mat image;  // CV_8UC3, RGB order
  Background background = Background::Plain;
  std::vector<Object> objects;  // in drawing order: later objects occlude earlier ones
  std::vector<Expression> expressions;
};

// What real scenes have and flat shapes lack, and proposals must cope with:
//  Plain: flat-coloured shapes on plain or textured backgrounds;
//  Hard:  objects of two differently coloured parts, textured and shaded
//         fills, clutter on the background (stuff that is no object) and a
//         lighting gradient over the whole frame. The truth masks stay the
//         whole objects.
enum class WorldLevel { Plain, Hard };
const char *level_name(WorldLevel level);  // "plain", "hard"

struct WorldOptions {
  int width = 320, height = 240;
  WorldLevel level = WorldLevel::Plain;
  int min_objects = 2, max_objects = 7;
  bool textured = true;               // false: plain backgrounds only
  double noise = 0.0;                 // max std. deviation of per-pixel Gaussian noise (0..255)
  double blur = 0.0;                  // max Gaussian blur sigma in pixels
  double overlap_probability = 0.3;   // chance that an object may overlap earlier ones
  double min_visible_fraction = 0.6;  // of each object's own area, after occlusion
  double max_rotation_deg = 15.0;
  int colour_jitter = 12;  // max per-channel deviation from the named colour
  // At most this many expressions per object and type (0: none of that kind).
  int expressions_per_type = 1;
  // Video: max object speed in pixels per frame, and the background sway
  // amplitude in pixels (the background pans back and forth).
  double max_speed = 2.0;
  int background_sway = 12;
};

// Throws refseg::ModelError when the options cannot produce a scene (sizes,
// counts or fractions out of range).
void validate(const WorldOptions &options);

// One still scene; deterministic in (seed, options).
Scene make_scene(uint64_t seed, const WorldOptions &options = {});

// A video of one set of objects moving with constant velocity and bouncing
// off the borders, over a slowly swaying background. Positions are closed
// form in the frame index, so frame(t) needs no earlier frames and returns
// the same scene whenever it is called. Object i is the same object in
// every frame. Expressions are generated per frame (positions change), only
// for objects (and anchors) at least min_visible_fraction visible.
class WorldVideo {
 public:
  WorldVideo(uint64_t seed, const WorldOptions &options = {});
  Scene frame(int64_t index) const;
  int object_count() const { return static_cast<int>(tracks_.size()); }

 private:
  struct Track {
    Object object;  // attributes and frame-0 pose (no mask)
    cv::Point2f velocity;
    float spin_amplitude = 0.f, spin_rate = 0.f, spin_phase = 0.f;
  };
  uint64_t seed_;
  WorldOptions options_;
  std::vector<Track> tracks_;
  cv::Mat canvas_;  // RGB background larger than the frame by the sway on each side
  Background background_ = Background::Plain;
  float sway_rate_x_ = 0.f, sway_rate_y_ = 0.f;
};

std::string shape_name(Shape shape);                    // "circle"
std::string colour_name(Colour colour);                 // "red"
std::string background_name(Background b);              // "striped"
std::string expression_type_name(ExpressionType type);  // "attribute"
cv::Vec3b colour_rgb(Colour colour);                    // the named colour before jitter

// Training descriptions. describe(): "red circle" or, with size, "small red
// circle". caption(): every object left to right, then the background, e.g.
// "a small red circle, a big blue star and a green heart on a striped
// background".
std::string describe(const Object &object, bool with_size);
std::string caption(const Scene &scene);

// Attribute expressions whose object is absent, for measuring how a
// selector's scores separate "there" from "not there": each names a colour
// and a shape that no object in `objects` has together (whatever its size),
// sometimes with a size word too, worded as the world's own attribute
// expressions ("the green star", "small red heart"). Up to `count` distinct
// colour-shape combinations (fewer only when the scene leaves fewer);
// type Attribute, target and anchor -1. Deterministic in (objects, seed).
std::vector<Expression> absent_expressions(const std::vector<Object> &objects, int count,
                                           uint64_t seed);

// The object's visible mask cropped to its box, as the proposal generators
// and the selector consume it.
RegionMask region_mask(const Object &object);

}  // namespace refseg::world

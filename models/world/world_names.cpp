// Names, the palette and the training descriptions.
#include <algorithm>
#include <numeric>

#include "common/model_error.h"
#include "world/referring_world.h"

namespace refseg::world {

const std::vector<Shape> &all_shapes() {
  static const std::vector<Shape> shapes = {Shape::Circle, Shape::Square,  Shape::Triangle,
                                            Shape::Star,   Shape::Hexagon, Shape::Cross,
                                            Shape::Heart};
  return shapes;
}

const std::vector<Colour> &all_colours() {
  static const std::vector<Colour> colours = {Colour::Red,    Colour::Green,  Colour::Blue,
                                              Colour::Yellow, Colour::Orange, Colour::Purple,
                                              Colour::White,  Colour::Black};
  return colours;
}

const std::vector<ExpressionType> &all_expression_types() {
  static const std::vector<ExpressionType> types = {
      ExpressionType::Attribute, ExpressionType::Location, ExpressionType::Relation,
      ExpressionType::Ordinal};
  return types;
}

std::string shape_name(Shape shape) {
  switch (shape) {
    case Shape::Circle:
      return "circle";
    case Shape::Square:
      return "square";
    case Shape::Triangle:
      return "triangle";
    case Shape::Star:
      return "star";
    case Shape::Hexagon:
      return "hexagon";
    case Shape::Cross:
      return "cross";
    case Shape::Heart:
      return "heart";
  }
  throw ModelError("world: unknown shape " + std::to_string(static_cast<int>(shape)));
}

std::string colour_name(Colour colour) {
  switch (colour) {
    case Colour::Red:
      return "red";
    case Colour::Green:
      return "green";
    case Colour::Blue:
      return "blue";
    case Colour::Yellow:
      return "yellow";
    case Colour::Orange:
      return "orange";
    case Colour::Purple:
      return "purple";
    case Colour::White:
      return "white";
    case Colour::Black:
      return "black";
  }
  throw ModelError("world: unknown colour " + std::to_string(static_cast<int>(colour)));
}

const char *level_name(WorldLevel level) {
  return level == WorldLevel::Hard ? "hard" : "plain";
}

std::string background_name(Background background) {
  switch (background) {
    case Background::Plain:
      return "plain";
    case Background::Gradient:
      return "gradient";
    case Background::Stripes:
      return "striped";
    case Background::Noise:
      return "mottled";
    case Background::Checker:
      return "checkered";
  }
  throw ModelError("world: unknown background " + std::to_string(static_cast<int>(background)));
}

std::string expression_type_name(ExpressionType type) {
  switch (type) {
    case ExpressionType::Attribute:
      return "attribute";
    case ExpressionType::Location:
      return "location";
    case ExpressionType::Relation:
      return "relation";
    case ExpressionType::Ordinal:
      return "ordinal";
  }
  throw ModelError("world: unknown expression type " + std::to_string(static_cast<int>(type)));
}

cv::Vec3b colour_rgb(Colour colour) {
  // Saturated and far apart from each other and from the muted backgrounds.
  switch (colour) {
    case Colour::Red:
      return {215, 35, 35};
    case Colour::Green:
      return {40, 175, 60};
    case Colour::Blue:
      return {35, 75, 220};
    case Colour::Yellow:
      return {240, 220, 40};
    case Colour::Orange:
      return {245, 135, 25};
    case Colour::Purple:
      return {135, 50, 180};
    case Colour::White:
      return {248, 248, 248};
    case Colour::Black:
      return {18, 18, 18};
  }
  throw ModelError("world: unknown colour " + std::to_string(static_cast<int>(colour)));
}

std::string describe(const Object &object, bool with_size) {
  return (with_size ? std::string(object.big ? "big " : "small ") : std::string()) +
         colour_name(object.colour) + " " + shape_name(object.shape);
}

std::string caption(const Scene &scene) {
  std::vector<size_t> order(scene.objects.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return scene.objects[a].centre.x < scene.objects[b].centre.x;
  });
  std::string text;
  for (size_t k = 0; k < order.size(); ++k) {
    if (k > 0) text += k + 1 == order.size() ? " and " : ", ";
    text += "a " + describe(scene.objects[order[k]], true);
  }
  if (text.empty()) text = "nothing";
  return text + " on a " + background_name(scene.background) + " background";
}

RegionMask region_mask(const Object &object) {
  RegionMask region;
  region.box = {object.box.x, object.box.y, object.box.width, object.box.height};
  region.pixels.resize(static_cast<size_t>(object.box.area()));
  if (object.box.area() == 0) return region;
  const cv::Mat crop = object.mask(object.box);
  for (int y = 0; y < crop.rows; ++y)
    std::copy(crop.ptr<uchar>(y), crop.ptr<uchar>(y) + crop.cols,
              region.pixels.begin() + static_cast<long>(y) * crop.cols);
  region.score = 1.f;
  return region;
}

}  // namespace refseg::world

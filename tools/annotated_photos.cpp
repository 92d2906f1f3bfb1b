#include "annotated_photos.h"

#include <functional>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "proposals/proposal_filter.h"
#include "refcoco/coco_objects.h"

namespace refseg::tools {
namespace {

// The tight box-cropped RegionMask of a full-image 0/1 mask.
RegionMask region_of(const refcoco::PixelMask &mask) {
  const cv::Mat m(mask.height, mask.width, CV_8U, const_cast<uint8_t *>(mask.pixels.data()));
  return crop_mask(m, 1.f);
}

cv::Mat full_mask(const RegionMask &m, int width, int height) {
  cv::Mat full(height, width, CV_8U, cv::Scalar(0));
  for (int y = 0; y < m.box.height; ++y)
    for (int x = 0; x < m.box.width; ++x)
      full.at<uint8_t>(m.box.y + y, m.box.x + x) =
          m.pixels[static_cast<size_t>(y) * m.box.width + x];
  return full;
}

}  // namespace

std::vector<AnnotatedPhoto> load_annotated_photos(const std::vector<std::string> &files,
                                                  int min_area) {
  std::vector<AnnotatedPhoto> photos;
  for (const std::string &file : files) {
    for (auto &image : refcoco::load_coco_objects(file)) {
      AnnotatedPhoto p;
      p.name = image.image_path.substr(image.image_path.find_last_of('/') + 1);
      const cv::Mat bgr = cv::imread(image.image_path, cv::IMREAD_COLOR);
      if (bgr.empty()) throw std::runtime_error("cannot read " + image.image_path);
      cv::cvtColor(bgr, p.rgb, cv::COLOR_BGR2RGB);
      for (const auto &o : image.objects)
        if (o.is_thing && static_cast<int>(o.mask.count_nonzero()) >= min_area)
          p.objects.push_back(region_of(o.mask));
      photos.push_back(std::move(p));
    }
  }
  return photos;
}

const std::vector<std::string> &photo_view_names() {
  static const std::vector<std::string> names = {"mirrored", "smaller", "larger", "left", "right"};
  return names;
}

AnnotatedPhoto photo_view(const AnnotatedPhoto &p, const std::string &how, int min_area) {
  AnnotatedPhoto v;
  v.name = p.name + "@" + how;
  const int w = p.rgb.cols, h = p.rgb.rows;
  std::function<cv::Mat(const cv::Mat &, int)> apply;
  if (how == "mirrored") {
    apply = [](const cv::Mat &m, int) {
      cv::Mat out;
      cv::flip(m, out, 1);
      return out;
    };
  } else if (how == "smaller" || how == "larger") {
    const double f = how == "smaller" ? 0.75 : 1.5;
    apply = [f](const cv::Mat &m, int interpolation) {
      cv::Mat out;
      cv::resize(m, out, cv::Size(), f, f, interpolation);
      return out;
    };
  } else if (how == "left" || how == "right") {  // three fifths of the width
    const int cw = w * 3 / 5;
    const cv::Rect crop(how == "left" ? 0 : w - cw, 0, cw, h);
    apply = [crop](const cv::Mat &m, int) { return m(crop).clone(); };
  } else {
    throw std::invalid_argument("no view '" + how + "' of a photo");
  }
  v.rgb = apply(p.rgb, cv::INTER_AREA);
  const bool cropped = how == "left" || how == "right";
  for (const auto &o : p.objects) {
    const cv::Mat moved = apply(full_mask(o, w, h), cv::INTER_NEAREST);
    const int area = cv::countNonZero(moved);
    const double scale = static_cast<double>(moved.total()) / (static_cast<double>(w) * h);
    if (area < min_area * (cropped ? 1.0 : scale) || (cropped && area < 0.8 * o.area())) continue;
    v.objects.push_back(crop_mask(moved, 1.f));
  }
  return v;
}

std::vector<AnnotatedPhoto> with_views(std::vector<AnnotatedPhoto> photos, int min_area) {
  const size_t originals = photos.size();
  for (size_t i = 0; i < originals; ++i)
    for (const std::string &how : photo_view_names())
      photos.push_back(photo_view(photos[i], how, min_area));
  return photos;
}

}  // namespace refseg::tools

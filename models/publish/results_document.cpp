#include "publish/results_document.h"

#include <ctime>

#include <nlohmann/json.hpp>

#include "refcoco/coco_mask.h"

namespace refseg::publish {

std::string iso8601_utc(int64_t unix_us) {
  int64_t seconds = unix_us / 1000000, micros = unix_us % 1000000;
  if (micros < 0) {
    micros += 1000000;
    seconds -= 1;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[32], out[48];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(out, sizeof out, "%s.%06lldZ", date, static_cast<long long>(micros));
  return out;
}

namespace {

nlohmann::json optional_ns(const std::optional<uint64_t> &v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json box_json(const Box &b) {
  return {{"x", b.x}, {"y", b.y}, {"width", b.width}, {"height", b.height}};
}

}  // namespace

std::string results_document(const FrameResults &f, MaskFormat masks) {
  nlohmann::json d;
  d["schema"] = kResultsSchema;
  d["stream"] = f.stream;
  d["sequence"] = f.sequence;
  d["pts_ns"] = optional_ns(f.pts_ns);
  d["running_time_ns"] = optional_ns(f.running_time_ns);
  d["analysed"] = f.analysed;
  d["analysed_pts_ns"] = optional_ns(f.analysed_pts_ns);
  d["timestamp"] = iso8601_utc(f.wall_clock_us);
  d["frame"] = {{"width", f.width}, {"height", f.height}};
  d["models"] = {{"features", f.feature_model}};
  nlohmann::json results = nlohmann::json::array();
  for (const ExpressionResult &e : f.expressions) {
    nlohmann::json r;
    r["expression"] = e.expression;
    r["phrase"] = e.phrase;
    r["index"] = e.index;
    r["score"] = e.score;
    if (e.index < 0) r["reason"] = e.reason;
    r["box"] = e.box ? box_json(*e.box) : nlohmann::json(nullptr);
    r["track_id"] = e.track_id >= 0 ? nlohmann::json(e.track_id) : nlohmann::json(nullptr);
    if (masks == MaskFormat::Rle && !e.mask.pixels.empty()) {
      const refcoco::Rle rle =
          refcoco::rle_from_box_mask(f.height, f.width, e.mask.box.x, e.mask.box.y,
                                     e.mask.box.width, e.mask.box.height, e.mask.pixels);
      r["mask"] = {{"size", {f.height, f.width}}, {"counts", refcoco::rle_to_string(rle)}};
    }
    if (e.spatial) {
      const SpatialResult &s = *e.spatial;
      nlohmann::json sp = {{"summary", s.summary}, {"target", s.target}, {"resolved", s.resolved}};
      sp["relation"] = s.relation.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.relation);
      sp["anchor"] = s.anchor.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.anchor);
      sp["anchor_index"] =
          s.anchor_index >= 0 ? nlohmann::json(s.anchor_index) : nlohmann::json(nullptr);
      r["spatial"] = std::move(sp);
    }
    results.push_back(std::move(r));
  }
  d["results"] = std::move(results);
  return d.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace refseg::publish

#include "selection/spatial_resolver.h"

#include <algorithm>
#include <cmath>

namespace refseg {
namespace {

float logistic(float x) {
  return 1.f / (1.f + std::exp(-x));
}

float size_of(const ProposalGeometry &g) {
  return std::sqrt(std::max(g.area, 1.f));
}

// How far two positions along an axis must differ, in pixels, before one is
// clearly further: a tenth of the pair's mean size, plus a pixel.
float position_scale(const ProposalGeometry &a, const ProposalGeometry &b) {
  return 0.1f * 0.5f * (size_of(a) + size_of(b)) + 1.f;
}

// 1 for proposals that are different objects, towards 0 when one box lies
// mostly inside the other (a part and its whole, or two proposals of one
// object): those must not outrank each other.
float distinct(const ProposalGeometry &a, const ProposalGeometry &b) {
  const float w = std::min(a.right, b.right) - std::max(a.left, b.left);
  const float h = std::min(a.bottom, b.bottom) - std::max(a.top, b.top);
  if (w <= 0 || h <= 0) return 1.f;
  const float area_a = (a.right - a.left) * (a.bottom - a.top);
  const float area_b = (b.right - b.left) * (b.bottom - b.top);
  const float inside = w * h / std::max(std::min(area_a, area_b), 1.f);
  return 1.f - std::clamp((inside - 0.5f) / 0.4f, 0.f, 1.f);
}

// Membership of each proposal in a description, from its scores.
std::vector<float> membership(const std::vector<float> &scores, size_t n, float temperature,
                              float spread_floor) {
  if (scores.empty()) return std::vector<float>(n, 1.f);
  float best = -INFINITY;
  for (float s : scores)
    if (std::isfinite(s)) best = std::max(best, s);
  std::vector<float> m(n, 0.f);
  if (!std::isfinite(best)) return m;
  // In units of the scores' spread over this frame's proposals: models
  // differ in how far apart their cosines lie (refseg-tiny's span tens of
  // points, OpenAI CLIP's a few), the spread carries over.
  double sum = 0, sum2 = 0, count = 0;
  for (float s : scores)
    if (std::isfinite(s)) sum += s, sum2 += double(s) * s, ++count;
  const double mean = sum / count;
  const double spread = std::sqrt(std::max(sum2 / count - mean * mean, 0.0));
  const double t = std::max(double(temperature) * std::max(spread, double(spread_floor)), 1e-3);
  for (size_t i = 0; i < n; ++i)
    if (std::isfinite(scores[i])) m[i] = static_cast<float>(std::exp((scores[i] - best) / t));
  return m;
}

// An axis along which proposals are ranked: `progress` grows in the
// direction named ("further left" is larger for Left), `scale` is the
// difference that counts as clearly further.
struct Axis {
  std::vector<float> progress;
  bool size_axis = false;
};

Axis direction_axis(float ux, float uy, const std::vector<ProposalGeometry> &g) {
  Axis a;
  const float norm = std::hypot(ux, uy);
  for (const auto &p : g) a.progress.push_back((ux * p.cx + uy * p.cy) / norm);
  return a;
}

// The axis of one cue, or of several direction cues together ("bottom
// left": down and to the left at once).
Axis cue_axis(const std::vector<SpatialCue> &cues, const std::vector<ProposalGeometry> &g,
              const std::vector<float> &m) {
  float ux = 0, uy = 0;
  Axis a;
  for (SpatialCue c : cues) {
    switch (c) {
      case SpatialCue::Left:
        ux -= 1;
        break;
      case SpatialCue::Right:
        ux += 1;
        break;
      case SpatialCue::Top:
        uy -= 1;
        break;
      case SpatialCue::Bottom:
        uy += 1;
        break;
      case SpatialCue::Middle: {
        // Nearest the members' weighted mean, horizontally.
        double sum = 0, weight = 0;
        for (size_t i = 0; i < g.size(); ++i) sum += m[i] * g[i].cx, weight += m[i];
        const float centre = weight > 0 ? static_cast<float>(sum / weight) : 0.f;
        for (const auto &p : g) a.progress.push_back(-std::abs(p.cx - centre));
        return a;
      }
      case SpatialCue::Closest:
      case SpatialCue::Farthest:
        // The lower edge lower in the frame: nearer the camera.
        for (const auto &p : g)
          a.progress.push_back(c == SpatialCue::Closest ? p.bottom : -p.bottom);
        return a;
      case SpatialCue::Biggest:
      case SpatialCue::Smallest:
        for (const auto &p : g) {
          const float log_area = std::log(std::max(p.area, 1.f));
          a.progress.push_back(c == SpatialCue::Biggest ? log_area : -log_area);
        }
        a.size_axis = true;
        return a;
    }
  }
  return direction_axis(ux, uy, g);
}

// P(j is further than i along the axis), 0 for j == i.
float ahead(const Axis &axis, const std::vector<ProposalGeometry> &g, size_t j, size_t i) {
  if (i == j) return 0.f;
  const float scale = axis.size_axis ? 0.15f : position_scale(g[i], g[j]);
  return logistic((axis.progress[j] - axis.progress[i]) / scale);
}

// Who competes with whom. Proposal generators give several masks of one
// object (a whole, its halves, it with a bit of background); those must
// count once when counting who is further along an axis. Proposals are
// grouped into objects greedily, best member first: a proposal that is not
// distinct from an object's first proposal joins it.
struct Competition {
  std::vector<float> distinct;  // n x n, 1 = different objects
  std::vector<size_t> object;   // proposal -> its object's first proposal
  std::vector<size_t> firsts;   // the objects' first proposals
  size_t n = 0;
  float d(size_t i, size_t j) const { return distinct[i * n + j]; }
};

Competition compete(const std::vector<ProposalGeometry> &g, const std::vector<float> &m,
                    const std::vector<float> &given) {
  Competition c;
  c.n = g.size();
  if (given.size() == c.n * c.n) {
    c.distinct = given;
  } else {
    c.distinct.resize(c.n * c.n);
    for (size_t i = 0; i < c.n; ++i)
      for (size_t j = 0; j < c.n; ++j)
        c.distinct[i * c.n + j] = i == j ? 0.f : distinct(g[i], g[j]);
  }
  std::vector<size_t> order(c.n);
  for (size_t i = 0; i < c.n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return m[a] > m[b]; });
  c.object.assign(c.n, 0);
  for (size_t i : order) {
    auto same =
        std::find_if(c.firsts.begin(), c.firsts.end(), [&](size_t f) { return c.d(i, f) < 0.5f; });
    if (same == c.firsts.end()) {
      c.firsts.push_back(i);
      c.object[i] = i;
    } else {
      c.object[i] = *same;
    }
  }
  return c;
}

// Support for "i is the extreme member along the axis": no other object's
// best proposal is a member further along.
std::vector<float> extreme_support(const Axis &axis, const std::vector<ProposalGeometry> &g,
                                   const std::vector<float> &m, const Competition &c) {
  std::vector<float> s(g.size());
  for (size_t i = 0; i < g.size(); ++i) {
    double none_further = 1;
    for (size_t j : c.firsts)
      if (j != c.object[i]) none_further *= 1.0 - m[j] * ahead(axis, g, j, i) * c.d(i, j);
    s[i] = static_cast<float>(none_further);
  }
  return s;
}

// Support for "exactly rank - 1 members are further than i".
std::vector<float> rank_support(int rank, const Axis &axis, const std::vector<ProposalGeometry> &g,
                                const std::vector<float> &m, const Competition &c) {
  std::vector<float> s(g.size());
  const size_t want = static_cast<size_t>(rank - 1);
  for (size_t i = 0; i < g.size(); ++i) {
    // Poisson-binomial distribution of how many objects are further,
    // truncated just past the count wanted.
    std::vector<double> count(want + 2, 0.0);
    count[0] = 1;
    for (size_t j : c.firsts) {
      if (j == c.object[i]) continue;
      const double p = m[j] * ahead(axis, g, j, i) * c.d(i, j);
      if (p <= 0) continue;
      for (size_t k = count.size() - 1; k > 0; --k)
        count[k] = count[k] * (1 - p) + count[k - 1] * p;
      count[0] *= 1 - p;
    }
    s[i] = static_cast<float>(count[want]);
  }
  return s;
}

// How well "i <relation> j" holds, from boxes and centroids, in [0, 1].
float relation_fit(SpatialRelation r, const ProposalGeometry &i, const ProposalGeometry &j) {
  const float dx = i.cx - j.cx, dy = i.cy - j.cy;
  auto directional = [&](float ux, float uy) {
    const float along = dx * ux + dy * uy, length = std::hypot(dx, dy);
    if (along <= 0 || length <= 0) return 0.f;
    const float cosine = along / length;
    // Clearly beyond the anchor, within a cone around the direction; of
    // two such, the nearer ("the cup right of the laptop" is the one
    // beside it, not the one across the room).
    const float nearness = std::exp(-length / (3.f * (size_of(i) + size_of(j))));
    return logistic((along - 0.1f * size_of(j)) / position_scale(i, j)) * std::pow(cosine, 4.f) *
           nearness;
  };
  const float scale = position_scale(i, j);
  const float overlap_x = std::min(i.right, j.right) - std::max(i.left, j.left);
  const float min_width = std::max(std::min(i.right - i.left, j.right - j.left), 1.f);
  const float horizontal_overlap = std::clamp(overlap_x / min_width, 0.f, 1.f);
  switch (r) {
    case SpatialRelation::LeftOf:
      return directional(-1, 0);
    case SpatialRelation::RightOf:
      return directional(1, 0);
    case SpatialRelation::Above:
      return directional(0, -1);
    case SpatialRelation::Below:
      return directional(0, 1);
    case SpatialRelation::NextTo: {
      const float gap_x = std::max({0.f, i.left - j.right, j.left - i.right});
      const float gap_y = std::max({0.f, i.top - j.bottom, j.top - i.bottom});
      return std::exp(-std::hypot(gap_x, gap_y) / (0.5f * (size_of(i) + size_of(j))));
    }
    case SpatialRelation::InFrontOf:
      return logistic((i.bottom - j.bottom) / scale) * (0.5f + 0.5f * horizontal_overlap);
    case SpatialRelation::Behind:
      return logistic((j.bottom - i.bottom) / scale) * (0.5f + 0.5f * horizontal_overlap);
  }
  return 0.f;
}

bool is_size(SpatialCue c) {
  return c == SpatialCue::Biggest || c == SpatialCue::Smallest;
}

}  // namespace

ProposalGeometry proposal_geometry(const RegionMask &mask) {
  if (mask.pixels.size() != static_cast<size_t>(std::max(mask.box.area(), 0)))
    return box_geometry(mask.box);
  return proposal_geometry(mask.box, mask.pixels.data());
}

ProposalGeometry proposal_geometry(const Box &box, const uint8_t *pixels) {
  ProposalGeometry g = box_geometry(box);
  if (!pixels) return g;
  double sx = 0, sy = 0, n = 0;
  for (int y = 0; y < box.height; ++y)
    for (int x = 0; x < box.width; ++x)
      if (pixels[static_cast<size_t>(y) * box.width + x]) sx += x, sy += y, ++n;
  if (n > 0) {
    g.cx = static_cast<float>(box.x + sx / n + 0.5);
    g.cy = static_cast<float>(box.y + sy / n + 0.5);
    g.area = static_cast<float>(n);
  }
  return g;
}

std::vector<float> mask_distinctness(const std::vector<Box> &boxes,
                                     const std::vector<const uint8_t *> &pixels) {
  const size_t n = boxes.size();
  std::vector<float> d(n * n, 1.f);
  if (pixels.size() != n) return d;
  // On a grid of about 32 x 32 samples per box pair's overlap: enough to
  // tell a part from a neighbour, cheap at 20 proposals.
  std::vector<double> area(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (int k = 0; pixels[i] && k < boxes[i].width * boxes[i].height; ++k)
      area[i] += pixels[i][k] != 0;
    d[i * n + i] = 0.f;
  }
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      const Box &a = boxes[i], &b = boxes[j];
      const int x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
      const int x1 = std::min(a.x + a.width, b.x + b.width);
      const int y1 = std::min(a.y + a.height, b.y + b.height);
      if (x1 <= x0 || y1 <= y0 || !pixels[i] || !pixels[j] || area[i] == 0 || area[j] == 0)
        continue;
      const int step = std::max(1, std::max(x1 - x0, y1 - y0) / 32);
      double shared = 0;
      for (int y = y0; y < y1; y += step)
        for (int x = x0; x < x1; x += step)
          shared += pixels[i][static_cast<size_t>(y - a.y) * a.width + (x - a.x)] != 0 &&
                    pixels[j][static_cast<size_t>(y - b.y) * b.width + (x - b.x)] != 0;
      shared *= double(step) * step;
      const double inside = shared / std::min(area[i], area[j]);
      d[i * n + j] = d[j * n + i] =
          1.f - std::clamp(static_cast<float>((inside - 0.5) / 0.4), 0.f, 1.f);
    }
  return d;
}

std::vector<float> mask_distinctness(const std::vector<RegionMask> &masks) {
  std::vector<Box> boxes;
  std::vector<const uint8_t *> pixels;
  for (const RegionMask &m : masks) {
    boxes.push_back(m.box);
    const bool whole = m.pixels.size() == static_cast<size_t>(std::max(m.box.area(), 0));
    pixels.push_back(whole ? m.pixels.data() : nullptr);
  }
  return mask_distinctness(boxes, pixels);
}

ProposalGeometry box_geometry(const Box &box) {
  ProposalGeometry g;
  g.left = static_cast<float>(box.x);
  g.top = static_cast<float>(box.y);
  g.right = static_cast<float>(box.x + box.width);
  g.bottom = static_cast<float>(box.y + box.height);
  g.cx = 0.5f * (g.left + g.right);
  g.cy = 0.5f * (g.top + g.bottom);
  g.area = static_cast<float>(std::max(box.area(), 0));
  return g;
}

SpatialResolution resolve_spatial(const SpatialExpression &parsed,
                                  const std::vector<ProposalGeometry> &geometry,
                                  const std::vector<float> &target_scores,
                                  const std::vector<float> &anchor_scores,
                                  const SpatialSettings &settings,
                                  const std::vector<float> &distinctness) {
  SpatialResolution r;
  const size_t n = geometry.size();
  const SpatialCues &cues = settings.cues;
  if (!parsed.spatial()) {
    r.reason = parsed.fallback_reason;
    return r;
  }
  std::vector<SpatialCue> positions, sizes;
  for (SpatialCue c : parsed.extremes) (is_size(c) ? sizes : positions).push_back(c);
  if ((!positions.empty() && !cues.position) || (!sizes.empty() && !cues.size) ||
      (parsed.ordinal > 0 && !cues.rank) || (parsed.has_relation && !cues.relation)) {
    r.reason = "a cue this expression needs is switched off";
    return r;
  }
  if (n == 0) {
    r.reason = "no proposals";
    return r;
  }
  if ((!target_scores.empty() && target_scores.size() != n) ||
      (parsed.has_relation && cues.anchor_text && anchor_scores.size() != n)) {
    r.reason = "scores and proposals disagree in number";
    return r;
  }

  for (float s : target_scores)
    if (std::isfinite(s) && !(s <= r.target_best)) r.target_best = s;
  const std::vector<float> m = membership(cues.target_text ? target_scores : std::vector<float>{},
                                          n, settings.temperature, settings.spread_floor);
  const Competition competition = compete(geometry, m, distinctness);
  std::vector<double> support(m.begin(), m.end());
  auto apply = [&](const std::vector<float> &term) {
    for (size_t i = 0; i < n; ++i) support[i] *= term[i];
  };
  // Direction words act together ("bottom left"); Middle and depth words
  // are axes of their own.
  std::vector<SpatialCue> directions;
  for (SpatialCue c : positions) {
    if (c == SpatialCue::Left || c == SpatialCue::Right || c == SpatialCue::Top ||
        c == SpatialCue::Bottom)
      directions.push_back(c);
    else
      apply(extreme_support(cue_axis({c}, geometry, m), geometry, m, competition));
  }
  if (!directions.empty())
    apply(extreme_support(cue_axis(directions, geometry, m), geometry, m, competition));
  for (SpatialCue c : sizes)
    apply(extreme_support(cue_axis({c}, geometry, m), geometry, m, competition));
  if (parsed.ordinal > 0)
    apply(rank_support(parsed.ordinal, cue_axis({parsed.ordinal_axis}, geometry, m), geometry, m,
                       competition));

  // q: the anchor's distribution over proposals, CLIP's softmax.
  const std::vector<float> q =
      parsed.has_relation ? membership(cues.anchor_text ? anchor_scores : std::vector<float>{}, n,
                                       settings.anchor_temperature, settings.spread_floor)
                          : std::vector<float>{};
  if (parsed.has_relation) {
    std::vector<float> term(n, 0.f);
    for (size_t i = 0; i < n; ++i) {
      double fit = 0, weight = 0;
      for (size_t j = 0; j < n; ++j) {
        if (j == i) continue;
        const double d = competition.d(i, j);
        weight += q[j];
        fit += q[j] * d * relation_fit(parsed.relation, geometry[i], geometry[j]);
      }
      term[i] = weight > 0 ? static_cast<float>(fit / weight) : 0.f;
    }
    apply(term);
  }

  r.support.resize(n);
  for (size_t i = 0; i < n; ++i) {
    r.support[i] = static_cast<float>(100.0 * support[i]);
    if (r.best < 0 || r.support[i] > r.support[static_cast<size_t>(r.best)])
      r.best = static_cast<int>(i);
  }
  if (r.best < 0 || !(r.support[static_cast<size_t>(r.best)] > 0)) {
    r.best = -1;
    r.reason = "no proposal fits the spatial words";
    return r;
  }
  if (parsed.has_relation) {
    float strongest = 0;
    const size_t b = static_cast<size_t>(r.best);
    for (size_t j = 0; j < n; ++j) {
      if (j == b) continue;
      const float s =
          q[j] * competition.d(b, j) * relation_fit(parsed.relation, geometry[b], geometry[j]);
      if (s > strongest) strongest = s, r.anchor = static_cast<int>(j);
    }
  }
  r.resolved = true;
  return r;
}

SpatialChoice choose_spatially(
    const std::string &expression, const std::vector<ProposalGeometry> &geometry,
    const std::vector<float> &distinctness,
    const std::function<std::vector<float>(const std::string &)> &score_description,
    const SpatialSettings &settings) {
  return choose_spatially(parse_spatial_expression(expression), geometry, distinctness,
                          score_description, settings);
}

SpatialChoice choose_spatially(
    SpatialExpression parsed, const std::vector<ProposalGeometry> &geometry,
    const std::vector<float> &distinctness,
    const std::function<std::vector<float>(const std::string &)> &score_description,
    const SpatialSettings &settings) {
  SpatialChoice choice;
  if (!parsed.spatial() && parsed.fallback_reason.empty()) return choice;
  if (parsed.spatial()) {
    auto described = [&](const std::string &text) {
      return text.empty() ? std::vector<float>{} : score_description(text);
    };
    choice.resolution =
        resolve_spatial(parsed, geometry, described(parsed.target),
                        parsed.has_relation ? described(parsed.anchor) : std::vector<float>{},
                        settings, distinctness);
  } else {
    choice.resolution.reason = parsed.fallback_reason;
  }
  choice.summary = describe_spatial(parsed);
  if (parsed.spatial() && !choice.resolution.resolved)
    choice.summary += "; not resolved: " + choice.resolution.reason;
  choice.parsed = std::move(parsed);
  return choice;
}

}  // namespace refseg

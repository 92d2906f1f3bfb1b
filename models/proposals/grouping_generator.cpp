#include "proposals/grouping_generator.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "proposals/frame_image.h"
#include "proposals/graph_segmentation.h"
#include "proposals/proposal_filter.h"
#include "proposals/segment_consensus.h"

namespace refseg {
namespace {

void convert_colour(const cv::Mat &rgb, ColourSpace space, cv::Mat &out) {
  switch (space) {
    case ColourSpace::RGB:
      out = rgb;
      break;
    case ColourSpace::Lab:
      cv::cvtColor(rgb, out, cv::COLOR_RGB2Lab);
      break;
    // FULL: hue over 0..255, so the histogram bins span the whole circle.
    case ColourSpace::HSV:
      cv::cvtColor(rgb, out, cv::COLOR_RGB2HSV_FULL);
      break;
  }
}

// Regions touching the frame border are more often background (floor, sky,
// walls, grass that borders every horse's legs) than objects; they keep half
// of their score. Measured with tools/bench_proposals (docs/accuracy.md,
// "Proposals"): against 0.7, the real photo's first 100 find 0.50 of its
// objects instead of 0.44, its views 0.41 instead of 0.39, and the hard
// world's first 20 find 0.94 instead of 0.92.
constexpr float kBorderFactor = 0.5f;

// Which merit ranks a candidate: the head's, or the tail's after
// GroupingOptions::tail_after.
enum class Place { Head, Tail };

// How much of a region's inner contour counts against it. At the head, all
// of it: a region that spans several objects keeps their contours inside.
// In the tail, in proportion to its length, fully from twice the outline's
// on. The full penalty also sinks an object that one short, strong edge
// splits into two tones (a dark horse under a light saddle cloth: inner
// contour 0.995 over 8% of its outline ranked it 244th on
// ../shared/real-photos), which the tail lets up: the quality setting's
// first 100 find 11 of the photo's 18 objects instead of 10
// (docs/accuracy.md, "Proposals"). Not a knife edge: in a copy of the
// generator with both as parameters, 14 of 15 settings (inner weight 0.5,
// 0.75, 1; full from 1, 1.5, 2, 3, 5 times the outline) found the same 11.
float counted_inner_contour(const HierarchyRegion &h, Place place) {
  constexpr float kFullFromExtent = 2.f;
  if (place == Place::Head) return h.inner_contour;
  return h.inner_contour * std::min(1.f, h.inner_extent / kFullFromExtent);
}

// How object-like a region is by its contour: the strength of the edge
// around it less half the strength of the edges inside it that count,
// times a mild size prior (area fraction to the 0.15th power: among regions
// with equally strong contours, the larger is more often a whole object
// than a part). Chosen on ../shared/real-photos (docs/accuracy.md,
// "Proposals on real photos"): the inner-contour term lifted the first-20
// recall there from 0.12 to 0.30, the size prior keeps small fragments with
// crisp edges (hats, shadows) below whole animals and people.
float contour_merit(const HierarchyRegion &h, double grid_area, Place place) {
  const float contrast = std::max(0.f, h.contour - 0.5f * counted_inner_contour(h, place));
  return contrast * static_cast<float>(std::pow(h.size / grid_area, 0.15));
}

float ranking_score(const HierarchyRegion &h, Ranking ranking, cv::Size grid,
                    Place place = Place::Head) {
  const bool border = h.box.x == 0 || h.box.y == 0 || h.box.x + h.box.width == grid.width ||
                      h.box.y + h.box.height == grid.height;
  const float merit = ranking == Ranking::Contour
                          ? contour_merit(h, static_cast<double>(grid.area()), place)
                          : h.isolation;
  return merit * (border ? kBorderFactor : 1.f);
}

// Scores of strategies ranked differently do not compare (contour strength
// against appearance distinctness), so each strategy's candidates are ranked
// among themselves and take the score 1 / (1 + rank): the k-th best of every
// strategy comes before the (k+1)-th of any, as selective search pools its
// strategies. Candidates the area limits will drop take no rank.
void interleave_by_rank(std::vector<CandidateInfo> &candidates,
                        const std::vector<std::pair<size_t, size_t>> &origin, size_t strategies,
                        double min_area, double max_area) {
  std::vector<std::vector<size_t>> ranked(strategies);
  for (size_t c = 0; c < candidates.size(); ++c)
    if (candidates[c].area >= min_area && candidates[c].area <= max_area)
      ranked[origin[c].first].push_back(c);
  for (std::vector<size_t> &mine : ranked) {
    std::stable_sort(mine.begin(), mine.end(),
                     [&](size_t u, size_t v) { return candidates[u].score > candidates[v].score; });
    for (size_t r = 0; r < mine.size(); ++r)
      candidates[mine[r]].score = 1.f / (1.f + static_cast<float>(r));
  }
}

// A region that encloses more of its box than it covers is a ring around
// something, not an object: chroma at half resolution (NV12) leaves a thin
// band of mixed colour around each object, whose strong contours on both
// sides rank it above the object (tests/elements/test_yuv_input lost an
// object so). Such a region is given its inside, which makes it the whole
// object. Smaller holes stay: between a horse's legs is grass. On the real
// photo this changes no figure.
void fill_ring(RegionMask &m) {
  if (m.box.empty()) return;
  cv::Mat padded(m.box.height + 2, m.box.width + 2, CV_8U, cv::Scalar(0));
  cv::Mat(m.box.height, m.box.width, CV_8U, m.pixels.data())
      .copyTo(padded(cv::Rect(1, 1, m.box.width, m.box.height)));
  constexpr uint8_t kOutside = 128;
  cv::floodFill(padded, cv::Point(0, 0), cv::Scalar(kOutside), nullptr, cv::Scalar(0),
                cv::Scalar(0), 4);
  size_t covered = 0, enclosed = 0;
  for (int y = 1; y <= m.box.height; ++y) {
    const uint8_t *row = padded.ptr<uint8_t>(y) + 1;
    for (int x = 0; x < m.box.width; ++x) {
      covered += row[x] == 255;
      enclosed += row[x] == 0;
    }
  }
  if (enclosed < covered) return;
  for (int y = 0; y < m.box.height; ++y) {
    const uint8_t *row = padded.ptr<uint8_t>(y + 1) + 1;
    uint8_t *dst = &m.pixels[static_cast<size_t>(y) * m.box.width];
    for (int x = 0; x < m.box.width; ++x) dst[x] = row[x] == kOutside ? 0 : 255;
  }
}

bool all_ranked_by_contour(const std::vector<GroupingStrategy> &strategies) {
  return std::all_of(strategies.begin(), strategies.end(),
                     [](const GroupingStrategy &s) { return s.ranking == Ranking::Contour; });
}

// Each candidate's (1 - its mean straddling of the other strategies'
// initial segments)^power, the factor of its score: a region whose outline
// the other segmentations also draw keeps its score, one that cuts through
// their segments loses it. Candidates the area limits will drop keep 1.
// `Work` is the generator's StrategyWork (labels, n_segments, regions).
template <class Work>
std::vector<float> consensus_factors(const std::vector<CandidateInfo> &candidates,
                                     const std::vector<std::pair<size_t, size_t>> &origin,
                                     const std::vector<Work> &work, double power, double min_area,
                                     double max_area) {
  std::vector<float> factors(candidates.size(), 1.f);
  const size_t n = work.size();
  // overlaps[s][t]: strategy s's initial segments against strategy t's.
  // The label maps are read once per pair (s < t); t's view is the
  // transpose. The pairs, not the strategies, are shared out among the
  // threads: strategy s has n - 1 - s pairs to read, too uneven to split.
  std::vector<std::vector<std::optional<SegmentOverlaps>>> overlaps(
      n, std::vector<std::optional<SegmentOverlaps>>(n));
  std::vector<std::pair<size_t, size_t>> pairs;
  for (size_t s = 0; s < n; ++s)
    for (size_t t = s + 1; t < n; ++t) pairs.emplace_back(s, t);
  cv::parallel_for_(cv::Range(0, static_cast<int>(pairs.size())), [&](const cv::Range &range) {
    for (int p = range.start; p < range.end; ++p) {
      const auto [s, t] = pairs[p];
      overlaps[s][t].emplace(work[s].labels, work[s].n_segments, work[t].labels,
                             work[t].n_segments);
      overlaps[t][s].emplace(overlaps[s][t]->transposed());
    }
  });
  std::vector<std::vector<int32_t>> scratch(n);  // one per strategy t
  for (size_t c = 0; c < candidates.size(); ++c) {
    if (candidates[c].area < min_area || candidates[c].area > max_area) continue;
    const auto [s, i] = origin[c];
    const HierarchyRegion &h = work[s].regions[i];
    double straddling = 0;
    for (size_t t = 0; t < n; ++t)
      if (t != s) straddling += overlaps[s][t]->straddling(h.segments, h.size, scratch[t]);
    straddling /= static_cast<double>(n - 1);
    factors[c] = static_cast<float>(std::pow(std::max(0.0, 1.0 - straddling), power));
  }
  return factors;
}

}  // namespace

std::vector<GroupingStrategy> GroupingOptions::quality_strategies() {
  const SimilarityTerms all{}, colour_size{true, false, true, false},
      size_fill{false, false, true, true};
  return {{ColourSpace::Lab, 1.0, all, Ranking::Contour},
          {ColourSpace::Lab, 0.75, all, Ranking::Contour},
          {ColourSpace::Lab, 1.5, all, Ranking::Contour},
          {ColourSpace::HSV, 1.0, all, Ranking::Contour},
          {ColourSpace::Lab, 1.0, colour_size, Ranking::Contour},
          {ColourSpace::Lab, 1.0, size_fill, Ranking::Contour},
          {ColourSpace::RGB, 1.0, all, Ranking::Contour},
          {ColourSpace::HSV, 1.5, colour_size, Ranking::Contour}};
}

GroupingOptions GroupingOptions::quality() {
  GroupingOptions o;
  o.strategies = quality_strategies();
  // Measured with tools/bench_proposals (docs/accuracy.md, "Proposals"):
  // the photo's first 20 find 0.39 of its objects instead of 0.33 and its
  // first 100 0.56 instead of 0.50; its views 0.32 / 0.48 instead of 0.29 /
  // 0.44; the hard world's first 20 0.96 instead of 0.92. Power 0.5 did
  // less on the views' first 100 (0.44), power 2 on the photo's first 20
  // (0.28).
  o.consensus = 1;
  o.tail_after = kQualityTailAfter;
  return o;
}

ProposalFilter quality_proposal_filter(ProposalFilter filter) {
  filter.iou_threshold = kQualityDuplicateIou;
  return filter;
}

GroupingProposalGenerator::GroupingProposalGenerator(GroupingOptions options, ProposalFilter filter)
    : options_(std::move(options)) {
  filter_ = filter;
}

std::vector<RegionMask> GroupingProposalGenerator::propose(const ImageView &frame) {
  const cv::Mat rgb = frame_to_rgb(frame, options_.processing_size);
  if (rgb.empty()) return {};
  const double grid_area = static_cast<double>(rgb.total());
  // Felzenszwalb's post-pass absorbs segments below min_size into a
  // neighbour; keep it well under the smallest proposal we would keep.
  const int min_size = std::clamp(static_cast<int>(filter_.min_area * grid_area / 4), 4, 400);

  // One edge map for every strategy, from CIELAB (perceptual distances), so
  // that contour scores mean the same in each. Not smoothed: smoothing with
  // sigma 1 weakened the contours between touching objects and lowered the
  // real-photo recall.
  cv::cvtColor(rgb, work_.lab, cv::COLOR_RGB2Lab);
  edge_strength(work_.lab, work_.edge, work_.edge_scratch);

  // Strategies are independent: run them side by side (each writes only its
  // own slot, so the result does not depend on scheduling), then pool their
  // candidates in strategy order.
  std::vector<StrategyWork> &work = work_.strategies;
  work.resize(options_.strategies.size());
  cv::parallel_for_(cv::Range(0, static_cast<int>(work.size())), [&](const cv::Range &range) {
    for (int s = range.start; s < range.end; ++s) {
      const GroupingStrategy &strategy = options_.strategies[s];
      StrategyWork &r = work[s];
      convert_colour(rgb, strategy.colour_space, r.image);
      const GraphSegmentationParams params{
          options_.sigma, static_cast<float>(options_.scale * strategy.scale_factor), min_size};
      segment_graph(r.image, params, r.segmentation, r.labels, &r.n_segments);
      r.regions =
          group_regions(r.labels, r.n_segments, r.image, work_.edge, strategy.terms, r.grouping);
    }
  });
  // Contour merits of every strategy are measured on the one edge map, so
  // they compare as they are; appearance rankings are pooled by rank and
  // have no tail ranking.
  const bool by_contour = all_ranked_by_contour(options_.strategies);
  const bool tail = by_contour && options_.tail_after > 0;
  std::vector<CandidateInfo> candidates, tail_candidates;
  std::vector<std::pair<size_t, size_t>> origin;  // candidate -> (strategy, region)
  for (size_t s = 0; s < work.size(); ++s)
    for (size_t i = 0; i < work[s].regions.size(); ++i) {
      const HierarchyRegion &h = work[s].regions[i];
      candidates.push_back({ranking_score(h, options_.strategies[s].ranking, rgb.size()),
                            static_cast<double>(h.size), h.box});
      if (tail)
        tail_candidates.push_back({ranking_score(h, Ranking::Contour, rgb.size(), Place::Tail),
                                   candidates.back().area, h.box});
      origin.emplace_back(s, i);
    }
  if (options_.consensus > 0 && work.size() > 1) {
    const std::vector<float> agreement =
        consensus_factors(candidates, origin, work, options_.consensus,
                          filter_.min_area * grid_area, filter_.max_area * grid_area);
    for (size_t c = 0; c < candidates.size(); ++c) {
      candidates[c].score *= agreement[c];
      if (tail) tail_candidates[c].score *= agreement[c];
    }
  }
  if (work.size() > 1 && !by_contour)
    interleave_by_rank(candidates, origin, work.size(), filter_.min_area * grid_area,
                       filter_.max_area * grid_area);

  auto render = [&](const std::vector<CandidateInfo> &scored, size_t c) {
    const StrategyWork &r = work[origin[c].first];
    RegionMask m =
        render_region(r.regions[origin[c].second], r.labels, r.n_segments, scored[c].score);
    fill_ring(m);
    return m;
  };
  ProposalFilter head_filter = filter_;
  if (tail) head_filter.max_proposals = std::min(filter_.max_proposals, options_.tail_after);
  std::vector<RegionMask> kept = select_candidates(candidates, head_filter, grid_area,
                                                   [&](size_t c) { return render(candidates, c); });
  if (tail && kept.size() == static_cast<size_t>(head_filter.max_proposals)) {
    const size_t head = kept.size();
    kept = select_candidates(
        tail_candidates, filter_, grid_area, [&](size_t c) { return render(tail_candidates, c); },
        std::move(kept));
    // The tail's merits continue below the head's last score, so that the
    // proposals stay in descending order of score.
    if (kept.size() > head && head > 0 && kept[head].score > kept[head - 1].score) {
      const float scale = kept[head - 1].score / kept[head].score;
      for (size_t k = head; k < kept.size(); ++k) kept[k].score *= scale;
    }
  }
  std::vector<RegionMask> out;
  for (const RegionMask &on_grid : kept) {
    RegionMask m = rescale_mask(on_grid, rgb.cols, rgb.rows, frame.width, frame.height);
    if (!m.box.empty()) out.push_back(std::move(m));
  }
  return out;
}

}  // namespace refseg

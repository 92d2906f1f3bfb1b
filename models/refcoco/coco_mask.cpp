#include "refcoco/coco_mask.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "common/model_error.h"

namespace refseg::refcoco {
namespace {

// maskApi.c works on a grid 5 times finer than the pixels.
constexpr double kScale = 5;
constexpr double kMaxCoordinate = 1e7;

void check_size(int height, int width) {
  if (height <= 0 || width <= 0)
    throw ModelError("mask size " + std::to_string(height) + " x " + std::to_string(width) +
                     " (height x width) is not positive");
}

// C's (int) cast of a double: truncation toward zero, which maskApi.c uses
// for its rounding "(int)(v + .5)" (so negative values round differently
// from floor(v + .5), and that difference decides edge pixels).
int c_int(double v) {
  return static_cast<int>(v);
}

// The points of one edge on the fine grid, walked from its lower end on the
// major axis as maskApi.c walks it (so the rounding of the minor coordinate
// does not depend on the edge's direction), in the edge's own direction.
void edge_points(int xs, int ys, int xe, int ye, std::vector<int> *u, std::vector<int> *v) {
  const int dx = std::abs(xe - xs), dy = std::abs(ys - ye);
  const bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
  if (flip) {
    std::swap(xs, xe);
    std::swap(ys, ye);
  }
  if (dx >= dy) {
    // dx == dy == 0 (a repeated vertex): maskApi.c divides 0 by 0 here; the
    // one point it makes shares its x with both neighbours, so its y is
    // never read and 0 is as good as any slope.
    const double s = dx == 0 ? 0.0 : static_cast<double>(ye - ys) / dx;
    for (int d = 0; d <= dx; ++d) {
      const int t = flip ? dx - d : d;
      u->push_back(t + xs);
      v->push_back(c_int(ys + s * t + .5));
    }
  } else {
    const double s = static_cast<double>(xe - xs) / dy;
    for (int d = 0; d <= dy; ++d) {
      const int t = flip ? dy - d : d;
      v->push_back(t + ys);
      u->push_back(c_int(xs + s * t + .5));
    }
  }
}

}  // namespace

size_t PixelMask::count_nonzero() const {
  return static_cast<size_t>(
      std::count_if(pixels.begin(), pixels.end(), [](uint8_t p) { return p != 0; }));
}

Rle polygon_rle(const std::vector<double> &xy, int height, int width) {
  check_size(height, width);
  const size_t k = xy.size() / 2;
  Rle rle{height, width, {}};
  if (k == 0) {
    rle.counts = {static_cast<uint32_t>(height) * static_cast<uint32_t>(width)};
    return rle;
  }
  for (size_t i = 0; i < 2 * k; ++i)
    if (!std::isfinite(xy[i]) || std::fabs(xy[i]) > kMaxCoordinate)
      throw ModelError("polygon coordinate " + std::to_string(i) + " (" + std::to_string(xy[i]) +
                       ") is not a finite pixel coordinate within +-1e7");

  // Vertices on the fine grid, the polygon closed.
  std::vector<int> x(k + 1), y(k + 1);
  for (size_t j = 0; j < k; ++j) {
    x[j] = c_int(kScale * xy[2 * j] + .5);
    y[j] = c_int(kScale * xy[2 * j + 1] + .5);
  }
  x[k] = x[0];
  y[k] = y[0];

  // Every fine-grid point along the boundary.
  std::vector<int> u, v;
  for (size_t j = 0; j < k; ++j) edge_points(x[j], y[j], x[j + 1], y[j + 1], &u, &v);

  // Where the boundary crosses a column of pixel centres, the first pixel
  // of that column below it: each such crossing toggles inside / outside.
  std::vector<uint32_t> toggles;
  for (size_t j = 1; j < u.size(); ++j) {
    if (u[j] == u[j - 1]) continue;
    double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
    xd = (xd + .5) / kScale - .5;
    if (std::floor(xd) != xd || xd < 0 || xd > width - 1) continue;
    double yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
    yd = (yd + .5) / kScale - .5;
    yd = std::ceil(std::clamp(yd, 0.0, static_cast<double>(height)));
    toggles.push_back(static_cast<uint32_t>(static_cast<int>(xd) * height + static_cast<int>(yd)));
  }
  toggles.push_back(static_cast<uint32_t>(height) * static_cast<uint32_t>(width));
  std::sort(toggles.begin(), toggles.end());

  // Toggle positions to run lengths; two toggles at one position cancel
  // (an empty run is folded into its neighbours), the very first run may be
  // empty (the mask starts with foreground).
  uint32_t previous = 0;
  for (uint32_t &t : toggles) {
    const uint32_t position = t;
    t -= previous;
    previous = position;
  }
  rle.counts.push_back(toggles[0]);
  for (size_t j = 1; j < toggles.size();) {
    if (toggles[j] > 0) {
      rle.counts.push_back(toggles[j++]);
    } else {
      ++j;
      if (j < toggles.size()) rle.counts.back() += toggles[j++];
    }
  }
  return rle;
}

Rle rle_from_string(const std::string &s, int height, int width) {
  check_size(height, width);
  Rle rle{height, width, {}};
  size_t p = 0;
  while (p < s.size()) {
    const size_t start = p;
    long long value = 0;
    int k = 0;
    for (bool more = true; more; ++k) {
      if (p >= s.size())
        throw ModelError("compressed counts end inside the count that starts at character " +
                         std::to_string(start));
      if (k >= 7)
        throw ModelError("compressed count at character " + std::to_string(start) +
                         " is longer than 7 characters (no COCO count needs more than 5)");
      const int c = static_cast<unsigned char>(s[p]) - 48;
      if (c < 0 || c > 63)
        throw ModelError("compressed counts: character " + std::to_string(p) + " ('" +
                         std::string(1, s[p]) + "') is outside '0'..'o'");
      value |= static_cast<long long>(c & 0x1f) << (5 * k);
      more = (c & 0x20) != 0;
      ++p;
      // The last character's 0x10 bit is the sign: extend it.
      if (!more && (c & 0x10)) value |= -(1LL << (5 * (k + 1)));
    }
    const size_t m = rle.counts.size();
    if (m > 2) value += rle.counts[m - 2];
    if (value < 0 || value > std::numeric_limits<uint32_t>::max())
      throw ModelError("compressed counts: count " + std::to_string(m) + " decodes to " +
                       std::to_string(value) + ", not a run length");
    rle.counts.push_back(static_cast<uint32_t>(value));
  }
  return rle;
}

namespace {

// Calls paint(x, y) for every foreground pixel; throws when the runs do not
// cover the mask exactly.
template <typename Paint>
void for_each_foreground(const Rle &rle, Paint paint) {
  check_size(rle.height, rle.width);
  const uint64_t total = static_cast<uint64_t>(rle.height) * static_cast<uint64_t>(rle.width);
  uint64_t sum = 0;
  for (uint32_t c : rle.counts) sum += c;
  if (sum != total)
    throw ModelError("run lengths add up to " + std::to_string(sum) + " pixels, the mask has " +
                     std::to_string(rle.height) + " x " + std::to_string(rle.width) + " = " +
                     std::to_string(total));
  uint64_t position = 0;
  for (size_t j = 0; j < rle.counts.size(); ++j) {
    const uint64_t end = position + rle.counts[j];
    if (j % 2 == 1)
      for (uint64_t q = position; q < end; ++q)
        paint(static_cast<int>(q / static_cast<uint64_t>(rle.height)),
              static_cast<int>(q % static_cast<uint64_t>(rle.height)));
    position = end;
  }
}

}  // namespace

PixelMask decode_rle(const Rle &rle) {
  check_size(rle.height, rle.width);
  PixelMask mask(rle.width, rle.height);
  for_each_foreground(
      rle, [&](int x, int y) { mask.pixels[static_cast<size_t>(y) * mask.width + x] = 1; });
  return mask;
}

void add_rle(const Rle &rle, PixelMask *sum) {
  if (sum->width != rle.width || sum->height != rle.height)
    throw ModelError("mask of " + std::to_string(rle.height) + " x " + std::to_string(rle.width) +
                     " added to one of " + std::to_string(sum->height) + " x " +
                     std::to_string(sum->width));
  for_each_foreground(rle, [&](int x, int y) {
    uint8_t &p = sum->pixels[static_cast<size_t>(y) * sum->width + x];
    p = static_cast<uint8_t>(p + 1);
  });
}

std::string rle_to_string(const Rle &rle) {
  std::string s;
  for (size_t i = 0; i < rle.counts.size(); ++i) {
    long long x = rle.counts[i];
    if (i > 2) x -= rle.counts[i - 2];
    for (bool more = true; more;) {
      int c = static_cast<int>(x & 0x1f);
      x >>= 5;  // arithmetic: a negative difference keeps its sign
      more = (c & 0x10) ? x != -1 : x != 0;
      if (more) c |= 0x20;
      s.push_back(static_cast<char>(c + 48));
    }
  }
  return s;
}

Rle rle_from_box_mask(int height, int width, int box_x, int box_y, int box_width, int box_height,
                      const std::vector<uint8_t> &pixels) {
  check_size(height, width);
  if (box_width < 0 || box_height < 0 || box_x < 0 || box_y < 0 || box_x + box_width > width ||
      box_y + box_height > height)
    throw ModelError("box " + std::to_string(box_width) + " x " + std::to_string(box_height) +
                     " at (" + std::to_string(box_x) + ", " + std::to_string(box_y) +
                     ") is not inside the " + std::to_string(height) + " x " +
                     std::to_string(width) + " (height x width) mask");
  if (pixels.size() != static_cast<size_t>(box_width) * static_cast<size_t>(box_height))
    throw ModelError("box mask has " + std::to_string(pixels.size()) + " bytes, its box " +
                     std::to_string(box_width) + " x " + std::to_string(box_height) + " needs " +
                     std::to_string(static_cast<size_t>(box_width) * box_height));
  Rle rle{height, width, {}};
  // Runs alternate background / foreground; `run` is the current one's
  // length and `foreground` its kind.
  bool foreground = false;
  uint32_t run = 0;
  auto add = [&](bool set, uint32_t n) {
    if (n == 0) return;  // an empty stretch changes no run
    if (set != foreground) {
      rle.counts.push_back(run);
      foreground = set;
      run = 0;
    }
    run += n;
  };
  const uint32_t h = static_cast<uint32_t>(height);
  add(false, static_cast<uint32_t>(box_x) * h);  // the columns left of the box
  for (int x = 0; x < box_width; ++x) {
    add(false, static_cast<uint32_t>(box_y));
    for (int y = 0; y < box_height; ++y)
      add(pixels[static_cast<size_t>(y) * box_width + x] != 0, 1);
    add(false, static_cast<uint32_t>(height - box_y - box_height));
  }
  add(false, static_cast<uint32_t>(width - box_x - box_width) * h);
  rle.counts.push_back(run);
  return rle;
}

}  // namespace refseg::refcoco

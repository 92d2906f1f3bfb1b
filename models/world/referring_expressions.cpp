#include "world/referring_expressions.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

namespace refseg::world {
namespace {

// A descriptor is the subset of attributes a noun phrase names.
constexpr int kSize = 1, kColour = 2, kShape = 4, kAll = 7;

bool matches(const Object &o, const Object &ref, int d) {
  return (!(d & kSize) || o.big == ref.big) && (!(d & kColour) || o.colour == ref.colour) &&
         (!(d & kShape) || o.shape == ref.shape);
}

std::vector<int> group(const std::vector<Object> &objects, int target, int d) {
  std::vector<int> members;
  for (int i = 0; i < static_cast<int>(objects.size()); ++i)
    if (matches(objects[i], objects[target], d)) members.push_back(i);
  return members;
}

// Noun phrase without article: "[size] [colour] shape-or-generic-noun".
// "one" needs a determiner before it ("the red one"), so it is only offered
// when the caller will put one there.
std::string noun_phrase(const Object &o, int d, bool determined, SeededRandom &random) {
  std::string text;
  static const std::vector<std::string> big = {"big", "large"}, small = {"small", "little"};
  if (d & kSize) text += random.pick(o.big ? big : small) + " ";
  if (d & kColour) text += colour_name(o.colour) + " ";
  if (d & kShape) return text + shape_name(o.shape);
  std::vector<std::string> generic = {"object", "shape"};
  if (determined) generic.push_back("one");
  return text + random.pick(generic);
}

std::string article(SeededRandom &random) {
  return random.bernoulli(0.8) ? "the " : "";
}

// Objects this close along an axis are not clearly ordered along it.
float margin(const Object &a, const Object &b) {
  return 0.25f * (a.radius + b.radius) + 3.f;
}

enum Direction { Left, Right, Top, Bottom };

// Smaller key = further in the direction.
float key(const Object &o, Direction dir) {
  switch (dir) {
    case Left:
      return o.centre.x;
    case Right:
      return -o.centre.x;
    case Top:
      return o.centre.y;
    case Bottom:
      return -o.centre.y;
  }
  return 0.f;
}

// Spatial relation of o to anchor a, as "o is <dir> of a": `along` is how
// far o lies in that direction, `across` its offset perpendicular to it.
void relation_axes(const Object &o, const Object &a, Direction dir, float *along, float *across) {
  const float dx = o.centre.x - a.centre.x, dy = o.centre.y - a.centre.y;
  *along = *across = 0.f;
  switch (dir) {
    case Left:
      *along = -dx, *across = dy;
      break;
    case Right:
      *along = dx, *across = dy;
      break;
    case Top:
      *along = -dy, *across = dx;
      break;
    case Bottom:
      *along = dy, *across = dx;
      break;
  }
}

// Clearly in the direction: a margin away and within a narrow cone.
bool clearly_related(const Object &o, const Object &a, Direction dir) {
  float along, across;
  relation_axes(o, a, dir, &along, &across);
  return along > margin(o, a) && std::abs(across) < 0.6f * along;
}

// Arguably in the direction: any positive distance within a wide cone.
bool arguably_related(const Object &o, const Object &a, Direction dir) {
  float along, across;
  relation_axes(o, a, dir, &along, &across);
  return along > 0.f && std::abs(across) < 1.25f * along;
}

void attribute_candidates(const std::vector<Object> &objects, int t, SeededRandom &random,
                          std::vector<Expression> &out) {
  for (int d = 1; d <= kAll; ++d) {
    if (group(objects, t, d).size() != 1) continue;
    const std::string the = article(random);
    out.push_back({the + noun_phrase(objects[t], d, !the.empty(), random),
                   t,
                   ExpressionType::Attribute,
                   -1,
                   {t}});
  }
}

void location_candidates(const std::vector<Object> &objects, int t, SeededRandom &random,
                         std::vector<Expression> &out) {
  const Object &target = objects[t];
  for (int d = 0; d <= kAll; ++d) {
    const std::vector<int> members = group(objects, t, d);
    if (members.size() < 2) continue;  // the attributes alone would do
    for (Direction dir : {Left, Right, Top, Bottom}) {
      const bool extreme = std::all_of(members.begin(), members.end(), [&](int o) {
        return o == t || key(target, dir) < key(objects[o], dir) - margin(target, objects[o]);
      });
      if (!extreme) continue;
      const std::string the = article(random);
      const std::string n = noun_phrase(target, d, !the.empty(), random);
      // "on the left"/"left" suit a pair; superlatives suit any group.
      static const char *superlative[] = {"leftmost", "rightmost", "topmost", "bottommost"};
      static const char *other_superlative[] = {"", "", "highest", "lowest"};
      static const char *far[] = {"on the far left", "on the far right", "at the very top",
                                  "at the very bottom"};
      static const char *furthest[] = {"furthest to the left", "furthest to the right",
                                       "at the top", "at the bottom"};
      // ("on top" would read as occlusion, so vertical pairs use adjectives.)
      static const char *pair_side[] = {"on the left", "on the right", "", ""};
      static const char *pair_adjective[] = {"left", "right", "upper", "lower"};
      std::vector<std::string> texts = {the + superlative[dir] + " " + n, the + n + " " + far[dir],
                                        the + n + " " + furthest[dir]};
      if (*other_superlative[dir]) texts.push_back(the + other_superlative[dir] + " " + n);
      if (members.size() == 2) {
        if (*pair_side[dir]) texts.push_back(the + n + " " + pair_side[dir]);
        texts.push_back(the + pair_adjective[dir] + " " + n);
      }
      out.push_back({random.pick(texts), t, ExpressionType::Location, -1, members});
    }
  }
}

void relation_candidates(const std::vector<Object> &objects, const std::vector<bool> &referable,
                         int t, SeededRandom &random, std::vector<Expression> &out) {
  const Object &target = objects[t];
  for (int a = 0; a < static_cast<int>(objects.size()); ++a) {
    if (a == t || !referable[a]) continue;
    // Anchor phrases always name the shape: "the circle above the red one"
    // leans on two guesses at once. Supersets of a unique descriptor are
    // unique, so checking the full one tells whether any exists.
    std::vector<int> anchor_descriptors;
    for (int d = kShape; d <= kAll; ++d)
      if ((d & kShape) && group(objects, a, d).size() == 1) anchor_descriptors.push_back(d);
    if (anchor_descriptors.empty()) continue;
    for (int d = 0; d <= kAll; ++d) {
      const std::vector<int> members = group(objects, t, d);
      if (members.size() < 2) continue;
      for (Direction dir : {Left, Right, Top, Bottom}) {
        if (!clearly_related(target, objects[a], dir)) continue;
        const bool unique = std::none_of(members.begin(), members.end(), [&](int o) {
          return o != t && o != a && arguably_related(objects[o], objects[a], dir);
        });
        if (!unique) continue;
        static const std::vector<std::vector<std::string>> words = {{"to the left of", "left of"},
                                                                    {"to the right of", "right of"},
                                                                    {"above", "over"},
                                                                    {"below", "under", "beneath"}};
        // One draw per statement: operands of + are unsequenced, and the
        // draws must happen in the same order with every compiler.
        const std::string the = article(random);
        const std::string target_phrase = noun_phrase(target, d, !the.empty(), random);
        const std::string relation = random.pick(words[dir]);
        const int anchor_descriptor = random.pick(anchor_descriptors);
        const std::string anchor_phrase = noun_phrase(objects[a], anchor_descriptor, true, random);
        const std::string text = the + target_phrase + " " + relation + " the " + anchor_phrase;
        out.push_back({text, t, ExpressionType::Relation, a, members});
      }
    }
  }
}

void ordinal_candidates(const std::vector<Object> &objects, int t, SeededRandom &random,
                        std::vector<Expression> &out) {
  static const char *ordinals[] = {"first", "second", "third", "fourth"};
  static const char *sides[] = {"left", "right", "top", "bottom"};
  for (int d = 0; d <= kAll; ++d) {
    std::vector<int> members = group(objects, t, d);
    if (members.size() < 3) continue;
    for (Direction dir : {Left, Right, Top, Bottom}) {
      std::sort(members.begin(), members.end(),
                [&](int a, int b) { return key(objects[a], dir) < key(objects[b], dir); });
      const int rank =
          static_cast<int>(std::find(members.begin(), members.end(), t) - members.begin());
      if (rank < 1 || rank > 3) continue;  // rank 0 is a Location
      auto separated = [&](int i, int j) {
        return key(objects[members[j]], dir) - key(objects[members[i]], dir) >
               margin(objects[members[i]], objects[members[j]]);
      };
      if (!separated(rank - 1, rank)) continue;
      if (rank + 1 < static_cast<int>(members.size()) && !separated(rank, rank + 1)) continue;
      const std::string the = article(random);
      const std::string text = the + ordinals[rank] + " " +
                               noun_phrase(objects[t], d, !the.empty(), random) + " from the " +
                               sides[dir];
      out.push_back({text, t, ExpressionType::Ordinal, -1, members});
    }
  }
}

// Moves up to n randomly chosen candidates to out.
void sample(std::vector<Expression> &candidates, int n, SeededRandom &random,
            std::vector<Expression> &out) {
  for (int k = 0; k < n && !candidates.empty(); ++k) {
    const size_t i =
        static_cast<size_t>(random.uniform_int(0, static_cast<int64_t>(candidates.size()) - 1));
    out.push_back(std::move(candidates[i]));
    candidates.erase(candidates.begin() + static_cast<long>(i));
  }
}

}  // namespace

std::vector<Expression> absent_expressions(const std::vector<Object> &objects, int count,
                                           uint64_t seed) {
  std::vector<Expression> out;
  if (count <= 0) return out;
  // Every colour-shape pair no object has, in a fixed order, then drawn.
  std::vector<std::pair<Colour, Shape>> free;
  for (Colour c : all_colours())
    for (Shape s : all_shapes())
      if (std::none_of(objects.begin(), objects.end(),
                       [&](const Object &o) { return o.colour == c && o.shape == s; }))
        free.emplace_back(c, s);
  constexpr uint64_t kAbsentStream = 21;
  SeededRandom random(seed, kAbsentStream);
  for (int k = 0; k < count && !free.empty(); ++k) {
    const size_t i =
        static_cast<size_t>(random.uniform_int(0, static_cast<int64_t>(free.size()) - 1));
    Object absent;
    absent.colour = free[i].first;
    absent.shape = free[i].second;
    absent.big = random.bernoulli(0.5);
    free.erase(free.begin() + static_cast<long>(i));
    // The descriptors the world's attribute expressions use that name both
    // colour and shape: with or without the size.
    const int d = random.bernoulli(0.5) ? (kColour | kShape) : kAll;
    const std::string the = article(random);
    out.push_back(
        {the + noun_phrase(absent, d, !the.empty(), random), -1, ExpressionType::Attribute, -1});
  }
  return out;
}

std::vector<Expression> referring_expressions(const std::vector<Object> &objects,
                                              const std::vector<bool> &referable, int per_type,
                                              SeededRandom &random) {
  std::vector<Expression> out;
  if (per_type <= 0) return out;
  for (int t = 0; t < static_cast<int>(objects.size()); ++t) {
    if (!referable[t]) continue;
    std::vector<Expression> candidates;
    attribute_candidates(objects, t, random, candidates);
    sample(candidates, per_type, random, out);
    candidates.clear();
    location_candidates(objects, t, random, candidates);
    sample(candidates, per_type, random, out);
    candidates.clear();
    relation_candidates(objects, referable, t, random, candidates);
    sample(candidates, per_type, random, out);
    candidates.clear();
    ordinal_candidates(objects, t, random, candidates);
    sample(candidates, per_type, random, out);
  }
  return out;
}

}  // namespace refseg::world

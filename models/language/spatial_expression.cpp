#include "language/spatial_expression.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace refseg {
namespace {

using Words = std::vector<std::string>;

// Lower-cased ASCII words; bytes >= 0x80 stay inside words, so UTF-8 text
// passes through unharmed. Hyphens split: "left-most" is "left most".
Words split_words(const std::string &text) {
  Words words;
  std::string word;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80 || c == '\'') {
      word += static_cast<char>(std::tolower(c));
    } else if (!word.empty()) {
      words.push_back(word);
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

bool matches_at(const Words &words, size_t at, const Words &phrase) {
  if (at + phrase.size() > words.size()) return false;
  return std::equal(phrase.begin(), phrase.end(), words.begin() + static_cast<long>(at));
}

struct RelationEntry {
  Words words;
  SpatialRelation relation;
};

// Longest phrases first, so "to the left of" wins over "left of".
const std::vector<RelationEntry> &relation_lexicon() {
  static const std::vector<RelationEntry> lexicon = [] {
    std::vector<RelationEntry> l = {
        {{"to", "the", "left", "of"}, SpatialRelation::LeftOf},
        {{"on", "the", "left", "of"}, SpatialRelation::LeftOf},
        {{"to", "the", "left", "side", "of"}, SpatialRelation::LeftOf},
        {{"left", "of"}, SpatialRelation::LeftOf},
        {{"to", "the", "right", "of"}, SpatialRelation::RightOf},
        {{"on", "the", "right", "of"}, SpatialRelation::RightOf},
        {{"to", "the", "right", "side", "of"}, SpatialRelation::RightOf},
        {{"right", "of"}, SpatialRelation::RightOf},
        {{"on", "top", "of"}, SpatialRelation::Above},
        {{"above"}, SpatialRelation::Above},
        {{"over"}, SpatialRelation::Above},
        {{"atop"}, SpatialRelation::Above},
        {{"below"}, SpatialRelation::Below},
        {{"under"}, SpatialRelation::Below},
        {{"underneath"}, SpatialRelation::Below},
        {{"beneath"}, SpatialRelation::Below},
        {{"next", "to"}, SpatialRelation::NextTo},
        {{"close", "to"}, SpatialRelation::NextTo},
        {{"beside"}, SpatialRelation::NextTo},
        {{"besides"}, SpatialRelation::NextTo},
        {{"alongside"}, SpatialRelation::NextTo},
        {{"near"}, SpatialRelation::NextTo},
        {{"by"}, SpatialRelation::NextTo},
        {{"in", "front", "of"}, SpatialRelation::InFrontOf},
        {{"behind"}, SpatialRelation::Behind},
        {{"in", "back", "of"}, SpatialRelation::Behind},
    };
    std::stable_sort(l.begin(), l.end(), [](const RelationEntry &a, const RelationEntry &b) {
      return a.words.size() > b.words.size();
    });
    return l;
  }();
  return lexicon;
}

// A single word that names an extreme by itself, or the core word of a
// longer phrase ("on the far left", "top right corner").
bool extreme_word(const std::string &w, SpatialCue *cue) {
  static const std::vector<std::pair<std::set<std::string>, SpatialCue>> words = {
      {{"left", "leftmost", "lefthand"}, SpatialCue::Left},
      {{"right", "rightmost", "righthand"}, SpatialCue::Right},
      {{"top", "topmost", "upper", "uppermost", "highest", "higher"}, SpatialCue::Top},
      {{"bottom", "bottommost", "lower", "lowermost", "lowest"}, SpatialCue::Bottom},
      {{"middle", "center", "centre", "central", "centermost", "centremost"}, SpatialCue::Middle},
      {{"front", "closest", "nearest", "foreground"}, SpatialCue::Closest},
      {{"back", "farthest", "furthest", "rear"}, SpatialCue::Farthest},
      {{"biggest", "largest"}, SpatialCue::Biggest},
      {{"smallest", "tiniest"}, SpatialCue::Smallest},
  };
  for (const auto &[set, c] : words)
    if (set.count(w)) {
      *cue = c;
      return true;
    }
  return false;
}

// Words around an extreme's core that belong to it: "on the far left",
// "left most", "the top left corner", "furthest to the right".
bool extreme_prefix(const std::string &w) {
  static const std::set<std::string> s = {"very", "far", "furthest", "farthest", "most"};
  return s.count(w) > 0;
}
bool extreme_preposition(const std::string &w) {
  static const std::set<std::string> s = {"on", "at", "to", "in", "towards", "toward"};
  return s.count(w) > 0;
}
bool extreme_suffix(const std::string &w) {
  static const std::set<std::string> s = {"most", "side", "hand", "corner", "end", "edge"};
  return s.count(w) > 0;
}

bool orientation_verb(const std::string &w) {
  static const std::set<std::string> s = {"facing",  "looking", "pointing", "turned", "turning",
                                          "heading", "leaning", "faces",    "looks"};
  return s.count(w) > 0;
}
bool part_noun(const std::string &w) {
  static const std::set<std::string> s = {"back",   "front",  "top",    "bottom", "side",
                                          "middle", "center", "centre", "left",   "right"};
  return s.count(w) > 0;
}
bool viewer_word(const std::string &w) {
  static const std::set<std::string> s = {"us", "you", "me", "camera", "viewer", "photographer"};
  return s.count(w) > 0;
}

// The whole picture is not an anchor: "on the left of the picture" names an
// extreme, not a relation.
bool frame_word(const std::string &w) {
  static const std::set<std::string> frame = {"picture", "image",  "photo", "photograph", "frame",
                                              "pic",     "screen", "view",  "scene"};
  return frame.count(w) > 0;
}
bool names_the_frame(const Words &anchor) {
  return std::any_of(anchor.begin(), anchor.end(), frame_word);
}

// "of the picture", "in the image", "of photo": the frame as a whole is
// where the position is read, not part of what the target looks like.
void drop_frame_references(const Words &words, std::vector<bool> &used) {
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    if (words[i] != "of" && words[i] != "in") continue;
    size_t j = i + 1;
    if (words[j] == "the" || words[j] == "this") ++j;
    if (j < words.size() && frame_word(words[j]))
      for (size_t k = i; k <= j; ++k) used[k] = true;
  }
}

int ordinal_rank(const std::string &w) {
  static const std::vector<std::pair<std::set<std::string>, int>> ranks = {
      {{"first", "1st"}, 1},   {{"second", "2nd"}, 2}, {{"third", "3rd"}, 3},
      {{"fourth", "4th"}, 4},  {{"fifth", "5th"}, 5},  {{"sixth", "6th"}, 6},
      {{"seventh", "7th"}, 7}, {{"eighth", "8th"}, 8}, {{"ninth", "9th"}, 9},
      {{"tenth", "10th"}, 10},
  };
  for (const auto &[set, r] : ranks)
    if (set.count(w)) return r;
  return 0;
}

SpatialCue opposite(SpatialCue c) {
  switch (c) {
    case SpatialCue::Left:
      return SpatialCue::Right;
    case SpatialCue::Right:
      return SpatialCue::Left;
    case SpatialCue::Top:
      return SpatialCue::Bottom;
    case SpatialCue::Bottom:
      return SpatialCue::Top;
    case SpatialCue::Closest:
      return SpatialCue::Farthest;
    case SpatialCue::Farthest:
      return SpatialCue::Closest;
    case SpatialCue::Biggest:
      return SpatialCue::Smallest;
    case SpatialCue::Smallest:
      return SpatialCue::Biggest;
    case SpatialCue::Middle:
      return SpatialCue::Middle;
  }
  return c;
}

// Words that say nothing of what the target looks like.
bool generic_word(const std::string &w) {
  static const std::set<std::string> s = {
      "the",    "a",    "an",       "one", "ones", "object", "objects", "shape", "shapes", "thing",
      "things", "item", "items",    "it",  "that", "this",   "which",   "is",    "of",     "all",
      "among",  "from", "counting", "and", "in",   "on",     "at",      "to"};
  return s.count(w) > 0;
}

std::string join(const Words &words, const std::vector<bool> &used, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    if (used[i]) continue;
    if (!out.empty()) out += ' ';
    out += words[i];
  }
  return out;
}

bool only_generic(const Words &words, const std::vector<bool> &used, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i)
    if (!used[i] && !generic_word(words[i])) return false;
  return true;
}

// Marks the extremes of words[begin, end) as used and returns them in the
// order found.
std::vector<std::pair<size_t, SpatialCue>> take_extremes(const Words &words,
                                                         std::vector<bool> &used, size_t begin,
                                                         size_t end) {
  std::vector<std::pair<size_t, SpatialCue>> found;
  for (size_t i = begin; i < end; ++i) {
    SpatialCue cue;
    if (used[i] || !extreme_word(words[i], &cue)) continue;
    // "facing left", "looking right": which way it faces, not where it is.
    if (i > begin && orientation_verb(words[i - 1])) continue;
    // "the back of a chair", "top of the cake": a part, not a position
    // (superlatives keep their meaning: "the largest of the three").
    if (i + 1 < end && !used[i + 1] && words[i + 1] == "of" && part_noun(words[i])) continue;
    // "furthest" alone is Farthest, but "furthest to the left" is a prefix
    // of Left: a prefix word followed by another extreme is a prefix.
    if (extreme_prefix(words[i])) {
      SpatialCue next;
      bool later = false;
      for (size_t j = i + 1; j < std::min(end, i + 4) && !later; ++j)
        later = extreme_word(words[j], &next) && !extreme_prefix(words[j]);
      if (later) continue;
    }
    used[i] = true;
    // Backwards over "very", "far", "furthest", prepositions and a "the"
    // that follows one: "furthest to the left", "on the far right".
    for (size_t b = i; b > begin && !used[b - 1];) {
      const std::string &w = words[b - 1];
      if (extreme_prefix(w) || extreme_preposition(w)) {
        used[--b] = true;
      } else if (w == "the" && b - 1 > begin && !used[b - 2] && extreme_preposition(words[b - 2])) {
        used[b - 1] = used[b - 2] = true;
        b -= 2;
      } else {
        break;
      }
    }
    size_t a = i + 1;
    for (; a < end && !used[a] && extreme_suffix(words[a]); ++a) {
      // "the top right corner of the table": the corner is the target.
      if (words[a] == "corner" && a + 1 < end && words[a + 1] == "of") break;
      used[a] = true;
    }
    // "closest to the camera", "nearest to us": the viewer is implied.
    if (cue == SpatialCue::Closest || cue == SpatialCue::Farthest) {
      size_t v = a;
      if (v < end && !used[v] && words[v] == "to") ++v;
      if (v < end && !used[v] && words[v] == "the") ++v;
      if (v > a && v < end && !used[v] && viewer_word(words[v]))
        for (size_t k = a; k <= v; ++k) used[k] = true;
    }
    found.emplace_back(i, cue);
  }
  return found;
}

bool contradictory(const std::vector<SpatialCue> &cues, std::string *why) {
  for (SpatialCue a : cues)
    for (SpatialCue b : cues)
      if (a != SpatialCue::Middle && b == opposite(a)) {
        *why =
            "contradictory spatial words: " + spatial_cue_name(a) + " and " + spatial_cue_name(b);
        return true;
      }
  return false;
}

}  // namespace

std::string spatial_cue_name(SpatialCue cue) {
  switch (cue) {
    case SpatialCue::Left:
      return "left";
    case SpatialCue::Right:
      return "right";
    case SpatialCue::Top:
      return "top";
    case SpatialCue::Bottom:
      return "bottom";
    case SpatialCue::Middle:
      return "middle";
    case SpatialCue::Closest:
      return "closest";
    case SpatialCue::Farthest:
      return "farthest";
    case SpatialCue::Biggest:
      return "biggest";
    case SpatialCue::Smallest:
      return "smallest";
  }
  return "?";
}

std::string spatial_relation_name(SpatialRelation r) {
  switch (r) {
    case SpatialRelation::LeftOf:
      return "left-of";
    case SpatialRelation::RightOf:
      return "right-of";
    case SpatialRelation::Above:
      return "above";
    case SpatialRelation::Below:
      return "below";
    case SpatialRelation::NextTo:
      return "next-to";
    case SpatialRelation::InFrontOf:
      return "in-front-of";
    case SpatialRelation::Behind:
      return "behind";
  }
  return "?";
}

SpatialExpression parse_spatial_expression(const std::string &text) {
  SpatialExpression out;
  const Words words = split_words(text);
  const size_t n = words.size();
  std::vector<bool> used(n, false);
  drop_frame_references(words, used);

  // 1. A relation splits the words into target and anchor: the first
  //    relation phrase with words on both sides.
  size_t target_end = n;
  for (size_t i = 0; i < n && target_end == n; ++i)
    for (const RelationEntry &r : relation_lexicon()) {
      if (!matches_at(words, i, r.words)) continue;
      // "partially blocked by another elephant": an agent, not a place.
      if (r.words.front() == "by" && i > 0 && words[i - 1].size() > 3 &&
          words[i - 1].compare(words[i - 1].size() - 2, 2, "ed") == 0)
        continue;
      const size_t anchor_begin = i + r.words.size();
      if (anchor_begin >= n) continue;
      const Words anchor(words.begin() + static_cast<long>(anchor_begin), words.end());
      if (names_the_frame(anchor)) continue;
      out.has_relation = true;
      out.relation = r.relation;
      target_end = i;
      for (size_t k = i; k < anchor_begin; ++k) used[k] = true;
      // Spatial words inside the anchor ("left of the biggest box") are
      // not resolved: the anchor is found by its look alone.
      take_extremes(words, used, anchor_begin, n);
      if (only_generic(words, used, anchor_begin, n)) {
        out.fallback_reason =
            "relation \"" + spatial_relation_name(r.relation) + "\" without an anchor to find";
      }
      out.anchor = join(words, used, anchor_begin, n);
      break;
    }

  // 2. Ordinals in the target part: "second from the left", "third
  //    biggest", "last one on the right".
  size_t ordinal_at = n;
  bool last = false;
  for (size_t i = 0; i < target_end; ++i) {
    const int r = ordinal_rank(words[i]);
    if (r > 0 || words[i] == "last") {
      ordinal_at = i;
      out.ordinal = r > 0 ? r : 1;
      last = r == 0;
      used[i] = true;
      break;
    }
  }
  // Where the ordinal's axis came from: "from the left" counts from the
  // named side; an extreme ("second biggest", "last one on the right")
  // names the side it counts from, including for "last".
  enum class Axis { None, FromPhrase, FromExtreme } axis = Axis::None;
  if (ordinal_at < n) {
    // "from the left" / "from left" / "counting from the top side".
    for (size_t i = ordinal_at + 1; i < target_end && axis == Axis::None; ++i) {
      if (words[i] != "from") continue;
      size_t j = i + 1;
      if (j < target_end && words[j] == "the") ++j;
      SpatialCue cue;
      if (j < target_end && extreme_word(words[j], &cue)) {
        out.ordinal_axis = cue;
        axis = Axis::FromPhrase;
        for (size_t k = i; k <= j; ++k) used[k] = true;
        if (i > 0 && words[i - 1] == "counting") used[i - 1] = true;
        for (size_t a = j + 1; a < target_end && extreme_suffix(words[a]); ++a) used[a] = true;
      }
    }
  }

  // 3. Extremes in the target part. With an ordinal and no "from ...",
  //    the first extreme is the ordinal's axis: "second biggest circle",
  //    "the second circle on the left".
  for (const auto &[at, cue] : take_extremes(words, used, 0, target_end)) {
    if (ordinal_at < n && axis == Axis::None) {
      out.ordinal_axis = cue;
      axis = Axis::FromExtreme;
      continue;
    }
    out.extremes.push_back(cue);
  }
  if (ordinal_at < n) {
    // Reading order when nothing names the axis: "the last circle" is the
    // rightmost. "last from the left" counts from the far (right) end.
    if (axis == Axis::None) out.ordinal_axis = last ? SpatialCue::Right : SpatialCue::Left;
    if (last && axis == Axis::FromPhrase) out.ordinal_axis = opposite(out.ordinal_axis);
    if (out.ordinal_axis == SpatialCue::Middle)
      out.fallback_reason = "an ordinal counted from the middle has no direction";
  }

  std::vector<SpatialCue> all = out.extremes;
  if (out.ordinal > 0) all.push_back(out.ordinal_axis);
  std::string why;
  if (out.fallback_reason.empty() && contradictory(all, &why)) out.fallback_reason = why;

  // Determiners and "of" left dangling by removed words: "the largest of
  // the three elephants" leaves "the of the three elephants".
  for (bool changed = true; changed;) {
    changed = false;
    std::vector<size_t> left;
    for (size_t i = 0; i < target_end; ++i)
      if (!used[i]) left.push_back(i);
    for (size_t k = 0; k < left.size(); ++k) {
      const std::string &w = words[left[k]];
      const bool determiner = w == "the" || w == "a" || w == "an";
      const bool last_word = k + 1 == left.size();
      if ((determiner && (last_word || words[left[k + 1]] == "of")) || (k == 0 && w == "of") ||
          (last_word && (w == "of" || w == "is" || w == "to"))) {
        used[left[k]] = true;
        changed = true;
        break;
      }
    }
  }
  out.target = only_generic(words, used, 0, target_end) ? "" : join(words, used, 0, target_end);
  return out;
}

std::string describe_spatial(const SpatialExpression &p) {
  std::string out = "target \"" + p.target + "\"";
  for (SpatialCue c : p.extremes) out += "; " + spatial_cue_name(c);
  if (p.ordinal > 0)
    out += "; ordinal " + std::to_string(p.ordinal) + " from " + spatial_cue_name(p.ordinal_axis);
  if (p.has_relation) out += "; " + spatial_relation_name(p.relation) + " \"" + p.anchor + "\"";
  if (!p.fallback_reason.empty()) out += "; not resolved: " + p.fallback_reason;
  return out;
}

}  // namespace refseg

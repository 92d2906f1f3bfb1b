#include "expression_checker.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>

namespace refseg::world::testing {
namespace {

struct NounPhrase {
  std::optional<bool> big;
  std::optional<std::string> colour, shape;
};

std::vector<std::string> split(const std::string &text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// Every word must be an adjective we know, and the last one a noun.
std::optional<NounPhrase> parse_np(const std::vector<std::string> &words) {
  static const std::vector<std::string> colours = {"red",    "green",  "blue",  "yellow",
                                                   "orange", "purple", "white", "black"};
  static const std::vector<std::string> shapes = {"circle",  "square", "triangle", "star",
                                                  "hexagon", "cross",  "heart"};
  static const std::vector<std::string> generic = {"object", "shape", "one"};
  if (words.empty()) return std::nullopt;
  NounPhrase np;
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    const std::string &w = words[i];
    if ((w == "big" || w == "large") && !np.big)
      np.big = true;
    else if ((w == "small" || w == "little") && !np.big)
      np.big = false;
    else if (std::count(colours.begin(), colours.end(), w) && !np.colour)
      np.colour = w;
    else
      return std::nullopt;
  }
  const std::string &noun = words.back();
  if (std::count(shapes.begin(), shapes.end(), noun))
    np.shape = noun;
  else if (!std::count(generic.begin(), generic.end(), noun))
    return std::nullopt;
  return np;
}

bool matches(const Object &o, const NounPhrase &np) {
  return (!np.big || *np.big == o.big) && (!np.colour || *np.colour == colour_name(o.colour)) &&
         (!np.shape || *np.shape == shape_name(o.shape));
}

std::vector<int> matching(const std::vector<Object> &objects, const NounPhrase &np) {
  std::vector<int> out;
  for (int i = 0; i < static_cast<int>(objects.size()); ++i)
    if (matches(objects[i], np)) out.push_back(i);
  return out;
}

// "How far toward dir" as a number: larger is further left/right/up/down.
double toward(const Object &o, const std::string &dir) {
  if (dir == "left") return -o.centre.x;
  if (dir == "right") return o.centre.x;
  if (dir == "top") return -o.centre.y;
  return o.centre.y;  // bottom
}

std::vector<std::string> slice(const std::vector<std::string> &w, size_t from, size_t to) {
  return {w.begin() + static_cast<long>(from), w.begin() + static_cast<long>(to)};
}

bool ends_with(const std::vector<std::string> &w, const std::vector<std::string> &tail) {
  return w.size() > tail.size() && std::equal(tail.begin(), tail.end(), w.end() - tail.size());
}

std::string fail(const Expression &e, const std::string &why) {
  return "\"" + e.text + "\" (target " + std::to_string(e.target) + "): " + why;
}

}  // namespace

std::string check_expression(const std::vector<Object> &objects, const Expression &e) {
  if (e.target < 0 || e.target >= static_cast<int>(objects.size()))
    return fail(e, "target out of range");
  std::vector<std::string> w = split(e.text);
  if (!w.empty() && w[0] == "the") w.erase(w.begin());
  if (w.empty()) return fail(e, "empty");

  // Ordinal: "<second|third|fourth> NP from the <dir>".
  static const std::map<std::string, int> ordinals = {{"second", 2}, {"third", 3}, {"fourth", 4}};
  if (ordinals.count(w[0])) {
    if (e.type != ExpressionType::Ordinal) return fail(e, "reads as ordinal");
    if (w.size() < 5 || w[w.size() - 3] != "from" || w[w.size() - 2] != "the")
      return fail(e, "ordinal without 'from the <side>'");
    const std::string dir = w.back();
    const auto np = parse_np(slice(w, 1, w.size() - 3));
    if (!np) return fail(e, "unparsable noun phrase");
    std::vector<int> m = matching(objects, *np);
    std::sort(m.begin(), m.end(),
              [&](int a, int b) { return toward(objects[a], dir) > toward(objects[b], dir); });
    const size_t k = static_cast<size_t>(ordinals.at(w[0]));
    if (m.size() < k || m[k - 1] != e.target) return fail(e, "target is not at that rank");
    for (size_t i = 0; i + 1 < m.size(); ++i)
      if (toward(objects[m[i]], dir) == toward(objects[m[i + 1]], dir))
        return fail(e, "tied ranks");
    return "";
  }

  // Relation: "NP_T <rel> the NP_A".
  static const std::map<std::string, std::string> relations = {
      {"above", "top"},      {"over", "top"},  {"below", "bottom"}, {"under", "bottom"},
      {"beneath", "bottom"}, {"left", "left"}, {"right", "right"}};
  for (size_t i = 1; i + 2 < w.size(); ++i) {
    if (!relations.count(w[i])) continue;
    const bool sideways = w[i] == "left" || w[i] == "right";
    if (sideways && w[i + 1] != "of") continue;  // "the circle on the left" is a location
    size_t np_end = i;
    if (sideways && i >= 2 && w[i - 1] == "the" && w[i - 2] == "to") np_end = i - 2;
    const size_t anchor_start = i + (sideways ? 2 : 1);
    if (e.type != ExpressionType::Relation) return fail(e, "reads as relation");
    if (w[anchor_start] != "the") return fail(e, "anchor without 'the'");
    const auto target_np = parse_np(slice(w, 0, np_end));
    const auto anchor_np = parse_np(slice(w, anchor_start + 1, w.size()));
    if (!target_np || !anchor_np) return fail(e, "unparsable noun phrase");
    const std::vector<int> anchors = matching(objects, *anchor_np);
    if (anchors.size() != 1) return fail(e, "anchor is not unique");
    if (anchors[0] != e.anchor) return fail(e, "anchor differs from the recorded one");
    const Object &a = objects[anchors[0]];
    const std::string dir = relations.at(w[i]);
    std::vector<int> related;
    for (int o : matching(objects, *target_np)) {
      if (o == anchors[0]) continue;
      // In the direction and within 45 degrees of it.
      const double along = toward(objects[o], dir) - toward(a, dir);
      const double across = (dir == "left" || dir == "right") ? objects[o].centre.y - a.centre.y
                                                              : objects[o].centre.x - a.centre.x;
      if (along > 0 && std::abs(across) < along) related.push_back(o);
    }
    if (related != std::vector<int>{e.target})
      return fail(e, std::to_string(related.size()) + " objects satisfy the relation");
    return "";
  }

  // Location: a superlative or side word before or after the noun phrase.
  static const std::map<std::string, std::string> leading = {
      {"leftmost", "left"}, {"rightmost", "right"}, {"topmost", "top"}, {"bottommost", "bottom"},
      {"highest", "top"},   {"lowest", "bottom"},   {"left", "left"},   {"right", "right"},
      {"upper", "top"},     {"lower", "bottom"}};
  static const std::vector<std::pair<std::vector<std::string>, std::string>> trailing = {
      {{"on", "the", "far", "left"}, "left"},
      {{"on", "the", "far", "right"}, "right"},
      {{"at", "the", "very", "top"}, "top"},
      {{"at", "the", "very", "bottom"}, "bottom"},
      {{"furthest", "to", "the", "left"}, "left"},
      {{"furthest", "to", "the", "right"}, "right"},
      {{"at", "the", "top"}, "top"},
      {{"at", "the", "bottom"}, "bottom"},
      {{"on", "the", "left"}, "left"},
      {{"on", "the", "right"}, "right"}};
  std::string dir;
  std::vector<std::string> np_words = w;
  bool pair_only = false;  // "the left circle", "the circle on the left": one of two
  if (leading.count(w[0]) && w.size() >= 2) {
    dir = leading.at(w[0]);
    pair_only = w[0] == "left" || w[0] == "right" || w[0] == "upper" || w[0] == "lower";
    np_words = slice(w, 1, w.size());
  } else {
    for (const auto &[tail, d] : trailing)
      if (ends_with(w, tail)) {
        dir = d;
        pair_only = tail.size() == 3 && tail[0] == "on";
        np_words = slice(w, 0, w.size() - tail.size());
        break;
      }
  }
  if (!dir.empty()) {
    if (e.type != ExpressionType::Location) return fail(e, "reads as location");
    const auto np = parse_np(np_words);
    if (!np) return fail(e, "unparsable noun phrase");
    const std::vector<int> m = matching(objects, *np);
    if (m.size() < 2) return fail(e, "location over fewer than two objects");
    if (pair_only && m.size() != 2) return fail(e, "pair wording for a larger group");
    for (int o : m)
      if (o != e.target && toward(objects[o], dir) >= toward(objects[e.target], dir))
        return fail(e, "object " + std::to_string(o) + " is at least as far " + dir);
    return std::count(m.begin(), m.end(), e.target) ? "" : fail(e, "target not in the group");
  }

  // Attribute: the noun phrase alone.
  if (e.type != ExpressionType::Attribute) return fail(e, "reads as attribute");
  const auto np = parse_np(w);
  if (!np) return fail(e, "unparsable noun phrase");
  if (matching(objects, *np) != std::vector<int>{e.target})
    return fail(e, "matches " + std::to_string(matching(objects, *np).size()) + " objects");
  return "";
}

}  // namespace refseg::world::testing

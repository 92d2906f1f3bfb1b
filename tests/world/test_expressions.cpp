// Referring expressions: each one true and unique by an independent reading.
#include <gtest/gtest.h>

#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "expression_checker.h"
#include "world/referring_world.h"

namespace refseg::world {
namespace {

TEST(WorldExpressions, EveryExpressionIsTrueAndUnique) {
  constexpr int kScenes = 500;
  std::map<ExpressionType, int> per_type;
  size_t objects = 0, referred = 0, occluded = 0;
  for (uint64_t seed = 0; seed < kScenes; ++seed) {
    const Scene s = make_scene(seed);
    objects += s.objects.size();
    for (const Object &o : s.objects) occluded += o.visible_area < o.full_area;
    std::set<int> targets;
    std::set<std::string> texts;
    for (const Expression &e : s.expressions) {
      EXPECT_EQ(testing::check_expression(s.objects, e), "") << "seed " << seed;
      // Unique: the same words do not hold for any other object.
      for (int other = 0; other < static_cast<int>(s.objects.size()); ++other) {
        if (other == e.target) continue;
        Expression wrong = e;
        wrong.target = other;
        EXPECT_NE(testing::check_expression(s.objects, wrong), "")
            << "\"" << e.text << "\" also holds for object " << other << ", seed " << seed;
      }
      EXPECT_TRUE(texts.insert(e.text).second) << "duplicate text \"" << e.text << "\"";
      ++per_type[e.type];
      targets.insert(e.target);
    }
    referred += targets.size();
  }
  // Statistics for the report (not asserted beyond presence).
  std::cout << "world: " << kScenes << " scenes, " << std::fixed << std::setprecision(2)
            << double(objects) / kScenes << " objects/scene, " << double(referred) / objects
            << " of objects referred to, " << double(occluded) / objects
            << " partly occluded; expressions/scene:";
  for (ExpressionType t : all_expression_types()) {
    std::cout << " " << expression_type_name(t) << " " << double(per_type[t]) / kScenes;
    EXPECT_GT(per_type[t], kScenes / 20) << expression_type_name(t) << " is too rare";
  }
  std::cout << "\n";
}

TEST(WorldExpressions, EveryObjectHasAnAttributeOrPositionalExpression) {
  // An object is referable unless it has an identical twin too close to
  // tell apart, which the layout makes rare.
  size_t objects = 0, referred = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const Scene s = make_scene(seed);
    std::set<int> targets;
    for (const Expression &e : s.expressions) targets.insert(e.target);
    objects += s.objects.size();
    referred += targets.size();
  }
  EXPECT_GT(double(referred) / objects, 0.95);
}

TEST(WorldExpressions, WordingVaries) {
  std::set<std::string> first_words, words;
  bool with_the = false, without_the = false;
  for (uint64_t seed = 0; seed < 300; ++seed)
    for (const Expression &e : make_scene(seed).expressions) {
      (e.text.rfind("the ", 0) == 0 ? with_the : without_the) = true;
      std::istringstream in(e.text);
      for (std::string w; in >> w;) words.insert(w);
    }
  EXPECT_TRUE(with_the);
  EXPECT_TRUE(without_the);
  for (const char *w : {"leftmost", "rightmost", "topmost", "bottommost", "highest", "lowest",
                        "left", "right", "above", "below", "under", "second", "third", "big",
                        "large", "small", "little", "object", "one"})
    EXPECT_TRUE(words.count(w)) << "never says \"" << w << "\"";
  for (Shape shape : all_shapes()) EXPECT_TRUE(words.count(shape_name(shape)));
  for (Colour colour : all_colours()) EXPECT_TRUE(words.count(colour_name(colour)));
}

TEST(WorldExpressions, RelationsRecordTheirAnchor) {
  int relations = 0;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    const Scene s = make_scene(seed);
    for (const Expression &e : s.expressions) {
      if (e.type == ExpressionType::Relation) {
        ++relations;
        ASSERT_GE(e.anchor, 0);
        ASSERT_LT(e.anchor, static_cast<int>(s.objects.size()));
        EXPECT_NE(e.anchor, e.target);
      } else {
        EXPECT_EQ(e.anchor, -1);
      }
    }
  }
  EXPECT_GT(relations, 0);
}

TEST(WorldExpressions, PerTypeLimitIsHonoured) {
  WorldOptions none;
  none.expressions_per_type = 0;
  EXPECT_TRUE(make_scene(4, none).expressions.empty());
  WorldOptions more;
  more.expressions_per_type = 3;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const Scene one = make_scene(seed), three = make_scene(seed, more);
    EXPECT_GE(three.expressions.size(), one.expressions.size());
    std::map<std::pair<int, ExpressionType>, int> count;
    for (const Expression &e : three.expressions) {
      const int n = ++count[std::make_pair(e.target, e.type)];
      EXPECT_LE(n, 3);
      EXPECT_EQ(testing::check_expression(three.objects, e), "") << "seed " << seed;
    }
  }
}

TEST(WorldExpressions, AbsentExpressionsNameNoObjectOfTheScene) {
  std::set<std::string> all_texts;
  int with_size = 0, total = 0;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    const Scene s = make_scene(seed);
    const std::vector<Expression> absent = absent_expressions(s.objects, 4, seed);
    ASSERT_EQ(absent.size(), 4u) << "seed " << seed;  // 56 combinations, at most 7 objects
    std::set<std::pair<std::string, std::string>> combinations;
    for (const Expression &e : absent) {
      EXPECT_EQ(e.type, ExpressionType::Attribute);
      EXPECT_EQ(e.target, -1);
      EXPECT_EQ(e.anchor, -1);
      // The words read as an attribute expression, and hold for no object
      // (the independent reading, each object tried as the target).
      for (int o = 0; o < static_cast<int>(s.objects.size()); ++o) {
        Expression as_object = e;
        as_object.target = o;
        const std::string why = testing::check_expression(s.objects, as_object);
        EXPECT_NE(why.find("matches 0 objects"), std::string::npos)
            << "\"" << e.text << "\", object " << o << ", seed " << seed << ": " << why;
      }
      // Exactly one colour and one shape word, a combination no object has.
      std::string colour, shape;
      std::istringstream words(e.text);
      for (std::string w; words >> w;) {
        for (Colour c : all_colours())
          if (w == colour_name(c)) colour = w;
        for (Shape sh : all_shapes())
          if (w == shape_name(sh)) shape = w;
        with_size += w == "big" || w == "large" || w == "small" || w == "little";
      }
      ASSERT_FALSE(colour.empty()) << e.text;
      ASSERT_FALSE(shape.empty()) << e.text;
      for (const Object &o : s.objects)
        EXPECT_FALSE(colour_name(o.colour) == colour && shape_name(o.shape) == shape)
            << "\"" << e.text << "\": seed " << seed << " has a " << colour << " " << shape;
      EXPECT_TRUE(combinations.insert({colour, shape}).second) << "repeated " << e.text;
      all_texts.insert(e.text);
      ++total;
    }
    // Deterministic in the seed; another seed draws other combinations.
    const std::vector<Expression> again = absent_expressions(s.objects, 4, seed);
    ASSERT_EQ(again.size(), absent.size());
    for (size_t i = 0; i < absent.size(); ++i) EXPECT_EQ(again[i].text, absent[i].text);
  }
  // Both wordings occur (with and without a size word), and the texts vary.
  EXPECT_GT(with_size, total / 5);
  EXPECT_LT(with_size, total - total / 5);
  EXPECT_GT(all_texts.size(), 200u);
  EXPECT_TRUE(absent_expressions({}, 0, 1).empty());
  // A scene holding every combination leaves nothing absent.
  std::vector<Object> everything;
  for (Colour c : all_colours())
    for (Shape sh : all_shapes()) {
      Object o;
      o.colour = c;
      o.shape = sh;
      everything.push_back(o);
    }
  EXPECT_TRUE(absent_expressions(everything, 3, 7).empty());
}

}  // namespace
}  // namespace refseg::world

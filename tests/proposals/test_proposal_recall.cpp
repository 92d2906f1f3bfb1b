// Recall of ranked proposals against annotated objects: what the benchmark
// prints for the world and the real photos.
#include <gtest/gtest.h>

#include "proposals/proposal_recall.h"

namespace {

using refseg::RecallTally;

TEST(ProposalRecall, CountsEachObjectByItsBestIouAmongTheFirstK) {
  RecallTally tally({1, 2, 3});
  tally.add_object({0.2, 0.6, 0.9});  // found at 0.5 from k = 2, at 0.7 from k = 3
  tally.add_object({0.75});           // found at both from k = 1
  tally.add_object({});               // no proposal at all
  EXPECT_EQ(tally.objects(), 3);
  EXPECT_DOUBLE_EQ(tally.recall(1, 0.5), 1.0 / 3);
  EXPECT_DOUBLE_EQ(tally.recall(2, 0.5), 2.0 / 3);
  EXPECT_DOUBLE_EQ(tally.recall(2, 0.7), 1.0 / 3);
  EXPECT_DOUBLE_EQ(tally.recall(3, 0.7), 2.0 / 3);
  EXPECT_DOUBLE_EQ(tally.mean_best_iou(1), (0.2 + 0.75) / 3);
  EXPECT_DOUBLE_EQ(tally.mean_best_iou(3), (0.9 + 0.75) / 3);
  EXPECT_THROW(tally.recall(4, 0.5), std::invalid_argument);
}

TEST(ProposalRecall, MergedTalliesAddUp) {
  RecallTally a({1}), b({1});
  a.add_object({0.8});
  b.add_object({0.1});
  a.merge(b);
  EXPECT_EQ(a.objects(), 2);
  EXPECT_DOUBLE_EQ(a.recall(1, 0.5), 0.5);
  EXPECT_THROW(a.merge(RecallTally({1, 2})), std::invalid_argument);
}

TEST(ProposalRecall, BoxIouAndBestIndex) {
  EXPECT_DOUBLE_EQ(refseg::box_iou({0, 0, 10, 10}, {5, 0, 10, 10}), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(refseg::box_iou({0, 0, 10, 10}, {20, 20, 5, 5}), 0.0);
  EXPECT_EQ(refseg::best_index({0.1, 0.9, 0.95}, 2), 1);
  EXPECT_EQ(refseg::best_index({}, 5), -1);
}

}  // namespace

// The evaluation on moving video (training/video_evaluation.h) and the
// present/absent score separation (training/refseg_evaluation.h): the
// schedules, the counting, and one short video with the bundled model.
#include <gtest/gtest.h>

#include <cstdlib>

#include "common/model_error.h"
#include "training/refseg_evaluation.h"
#include "training/video_evaluation.h"
#include "training/world_samples.h"

namespace refseg::training {
namespace {

std::string pretrained_model() {
  const char *env = std::getenv("REFSEG_TINY_MODEL");
  return env ? env : REFSEG_SOURCE_DIR "/models/pretrained/refseg-tiny.pt";
}

TEST(VideoEvaluation, SchedulesAnalyseAndApplyOnTheRightFrames) {
  const AnalysisMode every{AnalysisSchedule::EveryFrame, 1};
  const AnalysisMode interval{AnalysisSchedule::Interval, 10};
  const AnalysisMode latest{AnalysisSchedule::Latest, 4};
  for (int64_t t = 0; t < 30; ++t) {
    EXPECT_TRUE(analysed_on(every, t));
    EXPECT_EQ(applied_on(every, t), t);
    EXPECT_EQ(analysed_on(interval, t), t % 10 == 0);
    EXPECT_EQ(applied_on(interval, t), t % 10 == 0 ? t : -1);
    EXPECT_EQ(analysed_on(latest, t), t % 4 == 0);
  }
  // The analysis started on frame 0 arrives on frame 4, the one started
  // there on frame 8; nothing arrives before frame 4.
  for (int64_t t = 0; t < 4; ++t) EXPECT_EQ(applied_on(latest, t), -1);
  EXPECT_EQ(applied_on(latest, 4), 0);
  EXPECT_EQ(applied_on(latest, 5), -1);
  EXPECT_EQ(applied_on(latest, 8), 4);
}

TEST(VideoEvaluation, ModeNamesRoundTripAndBadNamesAreRefused) {
  for (const AnalysisMode &m :
       {AnalysisMode{AnalysisSchedule::EveryFrame, 1}, AnalysisMode{AnalysisSchedule::Interval, 5},
        AnalysisMode{AnalysisSchedule::Latest, 117}}) {
    const AnalysisMode back = parse_analysis_mode(analysis_mode_name(m));
    EXPECT_EQ(back.schedule, m.schedule);
    EXPECT_EQ(back.frames, m.frames);
  }
  EXPECT_EQ(analysis_mode_name({AnalysisSchedule::Interval, 10}), "interval-10");
  for (const char *bad : {"", "interval", "interval-", "interval-0", "latest--3", "latest-2x",
                          "every", "sometimes-3"})
    EXPECT_THROW(parse_analysis_mode(bad), ModelError) << bad;
}

TEST(VideoEvaluation, SwitchesCountIdentityChangesAcrossGaps) {
  SwitchCounter c;
  for (int id : {-1, 7, 7, -1, 7, 8, 8, -1, -1, 9, 7}) c.next(id);
  EXPECT_EQ(c.switches(), 3);  // 7->8, 8->9, 9->7
  SwitchCounter none;
  for (int id : {-1, -1, 3, 3}) none.next(id);
  EXPECT_EQ(none.switches(), 0);
}

TEST(ScoreSeparation, AucAndBalancedThreshold) {
  // Fully separated: AUC 1, the cut between 20 and 25, both rates 1.
  ScoreSeparation s = score_separation({25, 30, 28}, {10, 20, 15, 12});
  EXPECT_DOUBLE_EQ(s.auc, 1.0);
  EXPECT_DOUBLE_EQ(s.threshold, 22.5);
  EXPECT_DOUBLE_EQ(s.present_rate, 1.0);
  EXPECT_DOUBLE_EQ(s.absent_rate, 1.0);
  EXPECT_DOUBLE_EQ(s.present_mean, 83.0 / 3);
  // The same scores on both sides: chance.
  s = score_separation({5, 5}, {5, 5, 5});
  EXPECT_DOUBLE_EQ(s.auc, 0.5);
  EXPECT_DOUBLE_EQ(s.balanced_accuracy(), 0.5);
  // One present score below one absent one: 7 of 9 pairs in order.
  s = score_separation({30, 29, 10}, {20, 11, 9});
  EXPECT_NEAR(s.auc, 7.0 / 9, 1e-12);  // 10 beats only 9; 30 and 29 beat all three
  EXPECT_GE(s.balanced_accuracy(), 5.0 / 6 - 1e-12);
  EXPECT_EQ(s.present, 3);
  EXPECT_EQ(s.absent, 3);
  EXPECT_DOUBLE_EQ(score_separation({}, {1}).auc, 0.0);
}

TEST(VideoEvaluation, BadOptionsAreRefused) {
  VideoEvaluationOptions o;
  o.model = pretrained_model();
  o.videos = 0;
  EXPECT_THROW(evaluate_video(o), ModelError);
  o.videos = 1;
  o.frames = 0;
  EXPECT_THROW(evaluate_video(o), ModelError);
  o.frames = 10;
  o.first_seed = kFirstTrainingSceneSeed;  // a training seed
  EXPECT_THROW(evaluate_video(o), ModelError);
  o.first_seed = 0;
  o.modes = {};
  EXPECT_THROW(evaluate_video(o), ModelError);
  o.modes = {{AnalysisSchedule::Interval, 0}};
  EXPECT_THROW(evaluate_video(o), ModelError);
  o.modes = {{AnalysisSchedule::Interval, 5}};
  o.moving = o.still = false;
  EXPECT_THROW(evaluate_video(o), ModelError);
}

TEST(VideoEvaluation, ShortVideoIntervalModeWithExactMasks) {
  VideoEvaluationOptions o;
  o.model = pretrained_model();
  o.first_seed = 900100;  // held out
  o.videos = 1;
  o.frames = 30;
  o.proposals = ProposalSource::GroundTruth;
  o.modes = {{AnalysisSchedule::Interval, 10}};
  const VideoEvaluationResult r = evaluate_video(o);
  ASSERT_EQ(r.videos, 1);
  ASSERT_GT(r.expressions, 0);
  // Moving and still, each with both stabilisers.
  ASSERT_EQ(r.results.size(), 4u);
  EXPECT_EQ(r.analyses_computed, 6);  // frames 0, 10, 20 of each video
  for (const VideoModeResult &m : r.results) {
    SCOPED_TRACE((m.moving ? "moving " : "still ") + m.stabilizer);
    const VideoTally &t = m.tally;
    EXPECT_EQ(t.analyses, 3);
    // Every frame of every tracked expression is scored (none is hidden
    // for long in this video).
    EXPECT_GT(t.evaluations, 0);
    ASSERT_GT(t.expressions, 0);
    EXPECT_LE(t.evaluations, t.expressions * o.frames);
    EXPECT_GE(t.evaluations, t.expressions * o.frames * 9 / 10);
    EXPECT_EQ(t.nothing_shown, 0);  // frame 0 is analysed: a selection from the start
    // The shown masks are exact masks carried by the tracker: most frames
    // show the target well.
    EXPECT_GT(t.miou(), 0.5);
    EXPECT_GT(t.top1(), 0.5);
    EXPECT_GE(t.switches, 0);
    EXPECT_LE(t.switches_per_100(), 100.0);
    if (!m.moving && m.stabilizer == "default") {
      // Still objects, exact masks: nothing to switch for.
      EXPECT_EQ(t.switches, 0);
      EXPECT_EQ(t.object_switches, 0);
    }
  }
  const std::string json = video_evaluation_json(o, r);
  EXPECT_NE(json.find("\"mode\": \"interval-10\""), std::string::npos);
  EXPECT_NE(json.find("\"switches_per_100_frames\""), std::string::npos);
}

}  // namespace
}  // namespace refseg::training

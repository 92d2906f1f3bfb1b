#include "gstrefsegselector.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "language/phrase_resolver.h"
#include "language/spatial_expression.h"
#include "refseg_analysis_step.h"
#include "refseg_elements.h"
#include "refseg_expression_list.h"
#include "refseg_frame.h"
#include "refseg_model_settings.h"
#include "refseg_publish.h"
#include "selection/frame_decision.h"
#include "tokenizer/reference_text.h"

GST_DEBUG_CATEGORY_STATIC(refseg_selector_debug);
#define GST_CAT_DEFAULT refseg_selector_debug

enum {
  PROP_0,
  PROP_MODEL,
  PROP_TEXT,
  PROP_EXPRESSIONS,
  PROP_GLOBAL_WEIGHT,
  PROP_SENTENCE_WEIGHT,
  PROP_THREADS,
  PROP_DEVICE,
  PROP_PRECISION,
  PROP_PREPROCESS,
  PROP_THRESHOLD,
  PROP_POST_MESSAGES,
  PROP_SPATIAL,
  PROP_EXPRESSION_LIST,
};

// Scores are 100 x cosine, and where present and absent referents part
// depends on the model. The default, kModelThreshold, takes the model's own
// calibration (a ".threshold" file beside its weights: refseg-tiny's is
// measured in docs/accuracy.md) and selects the best proposal whatever it
// scores for a model without one (OpenAI's: calibrate as that page says);
// models/selection/frame_decision.h applies it.
constexpr float kModelThreshold = refseg::kModelThreshold;
constexpr float kDefaultThreshold = kModelThreshold;

constexpr refseg::gst::ModelPropertyIds kModelProperties{PROP_MODEL, PROP_THREADS, PROP_DEVICE,
                                                         PROP_PRECISION, PROP_PREPROCESS};

// How long an expression may go without its target noun phrase: the phrase
// is parsed on the resolver's worker thread when the text is set, frames
// use the sentence feature alone until it is there, and once this much time
// has passed the word-list heuristic answers until the parse does
// (models/language/phrase_resolver.h). start() waits up to this long for
// the phrases of the expressions already set.
constexpr std::chrono::milliseconds kPhraseBudget{1000};

static refseg::PhraseResolverOptions phrase_options() {
  refseg::PhraseResolverOptions options;
  options.budget = kPhraseBudget;
  return options;
}

struct SelectorSettings {
  refseg::gst::ModelSettings model;
  std::string text;
  std::vector<std::string> expressions;
  refseg::SelectionWeights weights;
  float threshold = kDefaultThreshold;
  bool post_messages = true;
  bool spatial = true;

  // The text first, then the list; blank entries select nothing.
  std::vector<std::string> all_expressions() const {
    std::vector<std::string> all;
    if (!text.empty()) all.push_back(text);
    all.insert(all.end(), expressions.begin(), expressions.end());
    return all;
  }
  // An expression as the text tower and the phrase parser see it: with
  // preprocess=reference, lower-cased and re-joined from its tokens as the
  // authors' loop does (tokenizer/reference_text.h); the meta and messages
  // keep the expression as set.
  std::string prepared(const std::string &expression) const {
    return model.preprocess == refseg::clip::Preprocess::kReference
               ? refseg::text::reference_sentence(expression)
               : expression;
  }
  std::vector<std::string> all_prepared() const {
    std::vector<std::string> all = all_expressions();
    for (std::string &e : all) e = prepared(e);
    return all;
  }
  bool anything_asked() const;
};

// What start() loads and the streaming thread uses.
struct SelectorModels {
  std::shared_ptr<refseg::ClipRuntime> clip;
  // Created with the element (no thread until the first expression), so
  // that setting the text starts its parse at once.
  refseg::PhraseResolver phrases{phrase_options()};
  bool warned_no_features = false;
  bool warned_non_finite = false;
  std::atomic<int> told_wanted{-1};  // what upstream was last told (-1: nothing yet)
  // The text features upstream was last told (streaming thread only).
  std::vector<std::vector<float>> told_texts;
  // The decision; keeps each expression's spatial words, parsed once
  // (streaming thread only).
  refseg::FrameDecider decider;
  refseg::scheduling::ProcessingTime time;
};

struct _GstRefSegSelector {
  GstVideoFilter parent;
  SelectorSettings *settings;  // guarded by the object lock
  SelectorModels *models;      // written in start()/stop(), read while streaming
};

G_DEFINE_TYPE(GstRefSegSelector, gst_refseg_selector, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE(refsegselector, "refsegselector", GST_RANK_NONE,
                            GST_TYPE_REFSEG_SELECTOR);

// Property strings may come from anywhere (gst-launch, a UI): keep them
// valid UTF-8 so metadata and messages built from them are too.
static std::string valid_utf8(const gchar *s) {
  if (!s) return "";
  gchar *valid = g_utf8_make_valid(s, -1);
  std::string out = valid;
  g_free(valid);
  return out;
}

static bool is_blank(const std::string &s) {
  for (char c : s)
    if (!g_ascii_isspace(c)) return false;
  return true;
}

bool SelectorSettings::anything_asked() const {
  if (!is_blank(text)) return true;
  for (const std::string &e : expressions)
    if (!is_blank(e)) return true;
  return false;
}

// Tells proposals and encoder upstream whether anybody wants results, when
// that changes: with no expression they skip their work.
static void tell_upstream(GstRefSegSelector *self, bool wanted) {
  if (self->models->told_wanted == static_cast<int>(wanted)) return;
  GstPad *sink = GST_BASE_TRANSFORM_SINK_PAD(self);
  if (gst_pad_push_event(sink, refseg::gst::new_demand_event(wanted)) || !gst_pad_is_linked(sink))
    self->models->told_wanted = static_cast<int>(wanted);
}

static void gst_refseg_selector_set_property(GObject *object, guint id, const GValue *value,
                                             GParamSpec *pspec) {
  GstRefSegSelector *self = GST_REFSEG_SELECTOR(object);
  GST_OBJECT_LOCK(self);
  SelectorSettings &s = *self->settings;
  switch (id) {
    case PROP_TEXT:
      s.text = valid_utf8(g_value_get_string(value));
      break;
    case PROP_EXPRESSIONS:
      s.expressions.clear();
      for (guint i = 0; i < gst_value_array_get_size(value); i++) {
        const GValue *item = gst_value_array_get_value(value, i);
        if (G_VALUE_HOLDS_STRING(item))
          s.expressions.push_back(valid_utf8(g_value_get_string(item)));
      }
      break;
    case PROP_EXPRESSION_LIST:
      s.expressions = refseg::gst::split_expression_list(valid_utf8(g_value_get_string(value)));
      break;
    case PROP_GLOBAL_WEIGHT:
      s.weights.global = g_value_get_float(value);
      break;
    case PROP_SENTENCE_WEIGHT:
      s.weights.sentence = g_value_get_float(value);
      break;
    case PROP_THRESHOLD:
      s.threshold = g_value_get_float(value);
      break;
    case PROP_SPATIAL:
      s.spatial = g_value_get_boolean(value);
      break;
    case PROP_POST_MESSAGES:
      s.post_messages = g_value_get_boolean(value);
      break;
    default:
      if (!refseg::gst::set_model_property(GST_ELEMENT(self), s.model, kModelProperties, id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  const bool asked = s.anything_asked();
  const bool list = id == PROP_EXPRESSIONS || id == PROP_EXPRESSION_LIST;
  std::vector<std::string> changed;
  if (id == PROP_TEXT || list) changed = s.all_prepared();
  GST_OBJECT_UNLOCK(self);
  // The two are one list: whoever watches either hears of the change.
  if (id == PROP_EXPRESSIONS) g_object_notify(object, "expression-list");
  if (id == PROP_EXPRESSION_LIST) g_object_notify(object, "expressions");
  if (id == PROP_TEXT || list) {
    // Parsing starts now, on the resolver's thread; nothing waits for it.
    for (const std::string &e : changed) self->models->phrases.request(e);
    tell_upstream(self, asked);
  }
}

static void gst_refseg_selector_get_property(GObject *object, guint id, GValue *value,
                                             GParamSpec *pspec) {
  GstRefSegSelector *self = GST_REFSEG_SELECTOR(object);
  GST_OBJECT_LOCK(self);
  const SelectorSettings &s = *self->settings;
  switch (id) {
    case PROP_TEXT:
      g_value_set_string(value, s.text.c_str());
      break;
    case PROP_EXPRESSIONS:
      for (const std::string &e : s.expressions) {
        GValue item = G_VALUE_INIT;
        g_value_init(&item, G_TYPE_STRING);
        g_value_set_string(&item, e.c_str());
        gst_value_array_append_and_take_value(value, &item);
      }
      break;
    case PROP_EXPRESSION_LIST:
      g_value_set_string(value, refseg::gst::join_expression_list(s.expressions).c_str());
      break;
    case PROP_GLOBAL_WEIGHT:
      g_value_set_float(value, s.weights.global);
      break;
    case PROP_SENTENCE_WEIGHT:
      g_value_set_float(value, s.weights.sentence);
      break;
    case PROP_THRESHOLD:
      g_value_set_float(value, s.threshold);
      break;
    case PROP_SPATIAL:
      g_value_set_boolean(value, s.spatial);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean(value, s.post_messages);
      break;
    default:
      if (!refseg::gst::get_model_property(s.model, kModelProperties, id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static gboolean gst_refseg_selector_start(GstBaseTransform *trans) {
  GstRefSegSelector *self = GST_REFSEG_SELECTOR(trans);
  GST_OBJECT_LOCK(self);
  const refseg::gst::ModelSettings settings = self->settings->model;
  const std::vector<std::string> expressions = self->settings->all_prepared();
  GST_OBJECT_UNLOCK(self);
  self->models->clip = refseg::gst::acquire_model(GST_ELEMENT(self), settings, GST_CAT_DEFAULT);
  if (!self->models->clip) return FALSE;
  refseg::PhraseResolver &phrases = self->models->phrases;
  for (const std::string &e : expressions) phrases.request(e);
  if (!phrases.has_parser())
    GST_WARNING_OBJECT(self,
                       "no link-grammar dictionary: target noun phrases come from a heuristic");
  // The first frames get the parsed phrases of the expressions already set
  // when parsing them takes less than the budget (it takes milliseconds);
  // otherwise streaming starts without them.
  const auto deadline = std::chrono::steady_clock::now() + kPhraseBudget;
  for (const std::string &e : expressions) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !phrases.wait(e, left, /*final_only=*/true))
      GST_DEBUG_OBJECT(self, "no phrase yet for \"%s\": the sentence feature alone for now",
                       e.c_str());
  }
  self->models->warned_no_features = false;
  self->models->warned_non_finite = false;
  self->models->told_wanted = -1;
  self->models->told_texts.clear();
  self->models->time.clear();
  return TRUE;
}

static gboolean gst_refseg_selector_stop(GstBaseTransform *trans) {
  GST_REFSEG_SELECTOR(trans)->models->clip.reset();
  return TRUE;
}

// The frame's proposals and features, read from the meta once.
static refseg::FrameProposals read_frame(GstCustomMeta *meta) {
  refseg::FrameProposals frame;
  frame.count = gst_refseg_meta_get_n_proposals(meta);
  for (guint i = 0; i < frame.count; ++i) {
    GstRefSegProposal p;
    if (!gst_refseg_meta_get_proposal(meta, i, &p)) break;
    frame.boxes.push_back(refseg::Box{p.box.x, p.box.y, p.box.width, p.box.height});
    frame.masks.push_back(p.mask);
  }
  guint rows = 0, dim = 0;
  frame.global = gst_refseg_meta_get_features(meta, GST_REFSEG_FEATURE_GLOBAL, &rows, &dim);
  frame.local = gst_refseg_meta_get_features(meta, GST_REFSEG_FEATURE_LOCAL, nullptr, nullptr);
  frame.rows = rows;
  frame.dim = dim;
  return frame;
}

// The expressions asked (blank ones select nothing and are left out), as
// set and as the towers and the parser see them with their phrases. Never
// waits for a parse: until an expression's phrase is resolved the sentence
// is used alone (the phrase used is the whole expression).
struct AskedExpressions {
  std::vector<std::string> as_set;
  std::vector<refseg::PreparedExpression> prepared;
};

static AskedExpressions asked_expressions(GstRefSegSelector *self, const SelectorSettings &s) {
  AskedExpressions asked;
  for (const std::string &expression : s.all_expressions()) {
    if (is_blank(expression)) continue;
    const std::string sentence = s.prepared(expression);
    const std::optional<refseg::ResolvedPhrase> resolved = self->models->phrases.try_get(sentence);
    asked.as_set.push_back(expression);
    asked.prepared.push_back({sentence, resolved ? resolved->phrase : sentence});
  }
  return asked;
}

static refseg::DecisionSettings decision_settings(const SelectorSettings &s,
                                                  const refseg::ClipRuntime &clip) {
  refseg::DecisionSettings d;
  d.weights = s.weights;
  d.threshold = s.threshold;
  d.spatial = s.spatial;
  d.calibration = {clip.calibrated_threshold(), clip.calibrated_spread()};
  return d;
}

// Runs the decision (models/selection/frame_decision.h); false after
// posting an error.
static bool decide(GstRefSegSelector *self, GstCustomMeta *meta,
                   const refseg::FrameProposals &frame, const AskedExpressions &asked,
                   const SelectorSettings &s, std::vector<refseg::ExpressionDecision> *out) {
  refseg::ClipRuntime &clip = *self->models->clip;
  if (frame.count > 0 && !frame.global && !self->models->warned_no_features) {
    self->models->warned_no_features = true;
    GST_ELEMENT_WARNING(self, STREAM, FAILED, ("Frames carry proposals but no features"),
                        ("put refsegencoder with the same model before refsegselector"));
  }
  try {
    *out =
        self->models->decider.decide(frame, asked.prepared, decision_settings(s, clip),
                                     [&clip](const std::string &t) { return clip.encode_text(t); });
  } catch (const refseg::FeatureMismatch &e) {
    GST_ELEMENT_ERROR(
        self, STREAM, FAILED, ("Features and text come from different models"),
        ("frame features have %zu dimensions (model %s), text has %zu (model %s)", e.feature_dim,
         gst_refseg_meta_get_feature_model(meta), e.text_dim, clip.name().c_str()));
    return false;
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Text encoding failed"), ("%s", e.what()));
    return false;
  }
  for (const refseg::ExpressionDecision &d : *out)
    if (d.outcome == refseg::DecisionOutcome::kNonFinite && !self->models->warned_non_finite) {
      self->models->warned_non_finite = true;
      GST_ELEMENT_WARNING(self, STREAM, FAILED, ("Features with NaN or infinite values"),
                          ("no proposal of this frame has a finite score (model %s): the "
                           "features upstream or the model's weights are broken",
                           gst_refseg_meta_get_feature_model(meta)));
    }
  return true;
}

// Writes the decisions into the meta (each with its reason when nothing is
// selected, or a region of interest when something is) and the frame's
// message, and tells an encoder upstream with local-crops the texts scored
// (refseg-text-features: it ranks the next frames' proposals by them).
static void publish(GstRefSegSelector *self, GstBuffer *buffer, GstCustomMeta *meta,
                    const refseg::FrameProposals &frame, const AskedExpressions &asked,
                    const std::vector<refseg::ExpressionDecision> &decisions, bool post_messages) {
  refseg::gst::SelectionsMessage message;
  std::vector<std::vector<float>> texts;
  int roi_id = 0;
  for (size_t i = 0; i < decisions.size(); ++i) {
    const refseg::ExpressionDecision &d = decisions[i];
    refseg::gst::PublishedSelection published;
    published.expression = asked.as_set[i].c_str();
    published.phrase = asked.prepared[i].phrase.c_str();
    published.index = d.index;
    published.score = d.score;
    if (d.index < 0) published.reason = d.reason.c_str();
    std::string relation;
    if (d.spatial.parsed) {
      const refseg::SpatialExpression &words = *d.spatial.parsed;
      relation = refseg::spatial_relation_name(words.relation);
      published.spatial = {d.spatial.summary.c_str(),
                           words.target.c_str(),
                           words.has_relation ? relation.c_str() : nullptr,
                           words.has_relation ? words.anchor.c_str() : nullptr,
                           d.spatial.resolution.anchor,
                           d.spatial.resolution.resolved};
    }
    gst_refseg_meta_add_selection(meta, published.expression, published.phrase, d.index, d.score,
                                  d.scores.size(), d.scores.empty() ? nullptr : d.scores.data());
    const guint added = gst_refseg_meta_get_n_selections(meta) - 1;
    if (d.index < 0) gst_refseg_meta_set_selection_reason(meta, added, published.reason);
    if (d.index >= 0 && static_cast<size_t>(d.index) < frame.boxes.size()) {
      const refseg::Box &b = frame.boxes[static_cast<size_t>(d.index)];
      published.box = {b.x, b.y, b.width, b.height};
    }
    if (d.index >= 0) refseg::gst::add_selection_roi(buffer, published, roi_id++);
    if (published.spatial.summary)
      gst_refseg_meta_set_selection_spatial(meta, added, &published.spatial);
    message.add(published);
    if (!d.text.empty()) texts.push_back(d.text);
  }
  if (!texts.empty() && texts != self->models->told_texts) {
    gst_pad_push_event(GST_BASE_TRANSFORM_SINK_PAD(self),
                       refseg::gst::new_text_features_event(texts));
    self->models->told_texts = std::move(texts);
  }
  if (post_messages)
    message.post(GST_ELEMENT(self), &GST_BASE_TRANSFORM(self)->segment, buffer,
                 static_cast<guint>(frame.count));
}

// Glue: the settings and the meta are read once, the decision is
// models/selection's, and the results are written once.
static GstFlowReturn gst_refseg_selector_transform_frame_ip(GstVideoFilter *filter,
                                                            GstVideoFrame *frame) {
  GstRefSegSelector *self = GST_REFSEG_SELECTOR(filter);
  GST_OBJECT_LOCK(self);
  const SelectorSettings settings = *self->settings;
  GST_OBJECT_UNLOCK(self);
  const bool asked = settings.anything_asked();
  tell_upstream(self, asked);
  const gint64 start = refseg::gst::monotonic_ns();

  GstBuffer *buffer = frame->buffer;
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(buffer);
  // A frame without a meta was not analysed (inference-interval, QoS):
  // it passes as it is, and a tracker downstream carries results onto it.
  // With nothing asked, the frame is marked analysed with nothing found.
  if (!meta && asked) return GST_FLOW_OK;
  meta = gst_buffer_add_refseg_meta(buffer, GST_VIDEO_FRAME_WIDTH(frame),
                                    GST_VIDEO_FRAME_HEIGHT(frame));
  gst_refseg_meta_clear_selections(meta);
  if (!asked) return GST_FLOW_OK;

  const refseg::FrameProposals proposals = read_frame(meta);
  const AskedExpressions expressions = asked_expressions(self, settings);
  std::vector<refseg::ExpressionDecision> decisions;
  if (!decide(self, meta, proposals, expressions, settings, &decisions)) return GST_FLOW_ERROR;
  publish(self, buffer, meta, proposals, expressions, decisions, settings.post_messages);
  refseg::gst::record_processing_time(GST_ELEMENT(self), self->models->time, start,
                                      GST_BUFFER_PTS(buffer), GST_CAT_DEFAULT);
  return GST_FLOW_OK;
}

// Upstream learns whether anything is asked before the first frame: the
// caps come first.
static gboolean gst_refseg_selector_sink_event(GstBaseTransform *trans, GstEvent *event) {
  GstRefSegSelector *self = GST_REFSEG_SELECTOR(trans);
  const bool caps = GST_EVENT_TYPE(event) == GST_EVENT_CAPS;
  const gboolean ok =
      GST_BASE_TRANSFORM_CLASS(gst_refseg_selector_parent_class)->sink_event(trans, event);
  if (caps) {
    GST_OBJECT_LOCK(self);
    const bool asked = self->settings->anything_asked();
    GST_OBJECT_UNLOCK(self);
    self->models->told_wanted = -1;
    tell_upstream(self, asked);
  }
  return ok;
}

static gboolean gst_refseg_selector_query(GstBaseTransform *trans, GstPadDirection direction,
                                          GstQuery *query) {
  return refseg::gst::query_adding_processing_time(
      GST_BASE_TRANSFORM_CLASS(gst_refseg_selector_parent_class), trans, direction, query,
      GST_REFSEG_SELECTOR(trans)->models->time);
}

static void gst_refseg_selector_finalize(GObject *object) {
  GstRefSegSelector *self = GST_REFSEG_SELECTOR(object);
  delete self->settings;
  delete self->models;
  G_OBJECT_CLASS(gst_refseg_selector_parent_class)->finalize(object);
}

static void gst_refseg_selector_class_init(GstRefSegSelectorClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *transform_class = GST_BASE_TRANSFORM_CLASS(klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS(klass);

  gobject_class->set_property = gst_refseg_selector_set_property;
  gobject_class->get_property = gst_refseg_selector_get_property;
  gobject_class->finalize = gst_refseg_selector_finalize;

  const auto live = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                             GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE);
  refseg::gst::install_model_properties(gobject_class, kModelProperties,
                                        "CLIP model for the text tower: the same name or path as "
                                        "the encoder's (the model is loaded once and shared)");
  g_object_class_install_property(
      gobject_class, PROP_TEXT,
      g_param_spec_string("text", "Text",
                          "Referring expression, e.g. \"the man in the red shirt on the left\"; "
                          "empty selects nothing. May change while playing.",
                          "", live));
  g_object_class_install_property(
      gobject_class, PROP_EXPRESSIONS,
      gst_param_spec_array(
          "expressions", "Expressions",
          "More referring expressions, each selected separately from the same "
          "features, e.g. 'expressions=\"<\\\"the dog\\\", \\\"the red car\\\">\"'; "
          "expression-list is the same list as one string",
          g_param_spec_string("expression", "Expression", "An expression", "", G_PARAM_READWRITE),
          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                   GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_EXPRESSION_LIST,
      g_param_spec_string(
          "expression-list", "Expression list",
          "The expressions as one string: 'expression-list=\"the dog; the red car\"', separated "
          "by ';', or by newlines when the string has one (then an expression may contain ';'); "
          "spaces around each are trimmed, empty ones dropped. Setting it or expressions "
          "replaces both. May change while playing.",
          "",
          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                   GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_GLOBAL_WEIGHT,
      g_param_spec_float("global-weight", "Global weight",
                         "How much a proposal's view of the whole frame counts against its own "
                         "crop when scoring, from 0 (only the crop) to 1 (only the whole "
                         "frame); 0.95 suits short expressions, 0.85 long ones",
                         0.f, 1.f, 0.95f, live));
  g_object_class_install_property(
      gobject_class, PROP_SENTENCE_WEIGHT,
      g_param_spec_float(
          "sentence-weight", "Sentence weight",
          "How much the whole expression counts against its target noun phrase "
          "(\"the man\" of \"the man in the red shirt\") when scoring, from 0 (only the "
          "phrase) to 1 (only the expression)",
          0.f, 1.f, 0.5f, live));
  g_object_class_install_property(
      gobject_class, PROP_THRESHOLD,
      g_param_spec_float("threshold", "Threshold",
                         "Scores run from -100 to 100 (100 times the cosine similarity); a best "
                         "score below this selects nothing (index -1, with a reason). -100 always "
                         "selects the best proposal; -101: the model's "
                         "calibrated threshold (a .threshold file beside its weights), or -100 "
                         "for a model without one",
                         kModelThreshold, 100.f, kDefaultThreshold, live));
  g_object_class_install_property(
      gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean("post-messages", "Post messages",
                           "Post a refseg-selections element message per analysed frame, with "
                           "every expression's selection and box",
                           TRUE, live));
  g_object_class_install_property(
      gobject_class, PROP_SPATIAL,
      g_param_spec_boolean(
          "spatial", "Spatial words",
          "Resolve words of place, relation and order (\"the second cup from the left\", "
          "\"the dog under the table\") over the proposals' boxes and masks; off: the paper's "
          "method. Expressions without such words score the same either way",
          TRUE,
          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                   GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE)));
  refseg::gst::add_video_pad_templates(element_class);
  gst_element_class_set_static_metadata(
      element_class, "Referring segmentation selector", "Filter/Analyzer/Video",
      "Selects the mask proposal a referring expression refers to, from CLIP features in the "
      "refseg meta; adds the selection, a region-of-interest meta and an element message",
      REFSEG_ELEMENT_AUTHORS);

  transform_class->start = GST_DEBUG_FUNCPTR(gst_refseg_selector_start);
  transform_class->stop = GST_DEBUG_FUNCPTR(gst_refseg_selector_stop);
  transform_class->query = GST_DEBUG_FUNCPTR(gst_refseg_selector_query);
  transform_class->sink_event = GST_DEBUG_FUNCPTR(gst_refseg_selector_sink_event);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_refseg_selector_transform_frame_ip);
  GST_DEBUG_CATEGORY_INIT(refseg_selector_debug, "refsegselector", 0, "refseg selector");
}

static void gst_refseg_selector_init(GstRefSegSelector *self) {
  self->settings = new SelectorSettings();
  self->models = new SelectorModels();
  // Late frames are for the tracker to carry results onto, not to drop.
  gst_base_transform_set_qos_enabled(GST_BASE_TRANSFORM(self), FALSE);
}

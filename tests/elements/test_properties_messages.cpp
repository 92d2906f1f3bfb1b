// Properties and messages as GStreamer users meet them: several expressions
// in one string (gst-launch syntax), the device's spellings, the
// per-frame "refseg-selections" message of the selector and of refsegbin,
// and the flags gst-inspect shows.
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/controller/gstdirectcontrolbinding.h>
#include <gst/controller/gstinterpolationcontrolsource.h>
#include <gst/video/video.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gst/refseg/refsegmeta.h"
#include "world_harness.h"

static std::string test_model() {
  const char *path = std::getenv("REFSEG_TEST_CLIP");
  fail_unless(path != nullptr, "REFSEG_TEST_CLIP is not set (meson test sets it)");
  return path;
}

static const int kWidth = 64, kHeight = 48;

// A red square at the left, a blue one at the right, and proposals for
// both and for the lower half.
static GstBuffer *frame_with_proposals(GstClockTime pts) {
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, kWidth * kHeight * 3, nullptr);
  GstMapInfo map;
  gst_buffer_map(buf, &map, GST_MAP_WRITE);
  for (int y = 0; y < kHeight; y++)
    for (int x = 0; x < kWidth; x++) {
      guint8 *px = map.data + (y * kWidth + x) * 3;
      px[0] = (x >= 4 && x < 20 && y >= 8 && y < 24) ? 230 : 40;
      px[1] = 40;
      px[2] = (x >= 40 && x < 56 && y >= 8 && y < 24) ? 230 : 40;
    }
  gst_buffer_unmap(buf, &map);
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DURATION(buf) = GST_SECOND / 10;
  GstCustomMeta *meta = gst_buffer_add_refseg_meta(buf, kWidth, kHeight);
  const GstRefSegBox boxes[3] = {{4, 8, 16, 16}, {40, 8, 16, 16}, {0, 24, 64, 24}};
  const gfloat scores[3] = {3.f, 2.f, 1.f};
  std::vector<guint8> full(64 * 24, 255);
  const guint8 *masks[3] = {full.data(), full.data(), full.data()};
  fail_unless(gst_refseg_meta_set_proposals(meta, 3, boxes, scores, masks));
  return buf;
}

static GstHarness *harness(const std::string &description) {
  GstHarness *h = gst_harness_new_parse(description.c_str());
  gst_harness_set_src_caps_str(h, "video/x-raw,format=RGB,width=64,height=48,framerate=10/1");
  return h;
}

static std::string get_string(GstElement *e, const char *property) {
  gchar *v = nullptr;
  g_object_get(e, property, &v, nullptr);
  std::string out = v ? v : "(null)";
  g_free(v);
  return out;
}

// (fail_unless_equals_string keeps a pointer to its argument: no temporaries.)
static void expect_string(GstElement *e, const char *property, const std::string &expected) {
  const std::string got = get_string(e, property);
  fail_unless(got == expected, "%s is '%s', expected '%s'", property, got.c_str(),
              expected.c_str());
}

static std::vector<std::string> get_expressions(GstElement *e) {
  GValue v = G_VALUE_INIT;
  g_value_init(&v, GST_TYPE_ARRAY);
  g_object_get_property(G_OBJECT(e), "expressions", &v);
  std::vector<std::string> out;
  for (guint i = 0; i < gst_value_array_get_size(&v); i++)
    out.push_back(g_value_get_string(gst_value_array_get_value(&v, i)));
  g_value_unset(&v);
  return out;
}

static void set_expressions(GstElement *e, const std::vector<std::string> &list) {
  GValue v = G_VALUE_INIT;
  g_value_init(&v, GST_TYPE_ARRAY);
  for (const std::string &s : list) {
    GValue item = G_VALUE_INIT;
    g_value_init(&item, G_TYPE_STRING);
    g_value_set_string(&item, s.c_str());
    gst_value_array_append_and_take_value(&v, &item);
  }
  g_object_set_property(G_OBJECT(e), "expressions", &v);
  g_value_unset(&v);
}

static void count_notify(GObject *, GParamSpec *, gpointer data) {
  ++*static_cast<int *>(data);
}

GST_START_TEST(test_expression_list_and_expressions_are_one_list) {
  for (const char *factory : {"refsegselector", "refsegbin"}) {
    // gst-launch syntax: the string needs no GstValueArray quoting.
    GError *error = nullptr;
    GstElement *e = gst_parse_launch(
        (std::string(factory) + " expression-list=\"the dog; the red car ;; \"").c_str(), &error);
    fail_unless(e != nullptr, "%s", error ? error->message : "");
    const std::vector<std::string> parsed = get_expressions(e);
    fail_unless_equals_int(parsed.size(), 2);
    fail_unless_equals_string(parsed[0].c_str(), "the dog");
    fail_unless_equals_string(parsed[1].c_str(), "the red car");
    expect_string(e, "expression-list", "the dog; the red car");

    // Newlines separate when there is one, so ';' may be inside.
    g_object_set(e, "expression-list", "the cup; the blue one\n  the plate\n", nullptr);
    const std::vector<std::string> lines = get_expressions(e);
    fail_unless_equals_int(lines.size(), 2);
    fail_unless_equals_string(lines[0].c_str(), "the cup; the blue one");
    fail_unless_equals_string(lines[1].c_str(), "the plate");
    expect_string(e, "expression-list", "the cup; the blue one\nthe plate");

    // The array sets the string too, and both are notified on the selector.
    int list_notified = 0, array_notified = 0;
    GstElement *selector = GST_IS_BIN(e) ? gst_bin_get_by_name(GST_BIN(e), "refsegselector")
                                         : GST_ELEMENT(gst_object_ref(e));
    fail_unless(selector != nullptr);
    g_signal_connect(selector, "notify::expression-list", G_CALLBACK(count_notify), &list_notified);
    g_signal_connect(selector, "notify::expressions", G_CALLBACK(count_notify), &array_notified);
    set_expressions(e, {"a", "b"});
    expect_string(e, "expression-list", "a; b");
    fail_unless_equals_int(list_notified, 1);
    g_object_set(e, "expression-list", "", nullptr);
    fail_unless(get_expressions(e).empty());
    fail_unless_equals_int(array_notified, 2);  // its own set, then this one
    gst_object_unref(selector);
    gst_object_unref(e);
  }
}
GST_END_TEST;

// The child properties docs/elements.md lists, as gst-launch sets them.
GST_START_TEST(test_bin_child_properties_from_gst_launch_syntax) {
  GError *error = nullptr;
  GstElement *bin = gst_parse_launch(
      "refsegbin refsegproposals::max-area=0.5 refsegtracker::match-iou=0.6 "
      "refsegselector::post-messages=true",
      &error);
  fail_unless(bin != nullptr, "%s", error ? error->message : "");
  GstElement *proposals = gst_bin_get_by_name(GST_BIN(bin), "refsegproposals");
  GstElement *tracker = gst_bin_get_by_name(GST_BIN(bin), "refsegtracker");
  GstElement *selector = gst_bin_get_by_name(GST_BIN(bin), "refsegselector");
  gdouble max_area = 0, match_iou = 0;
  gboolean post = FALSE;
  g_object_get(proposals, "max-area", &max_area, nullptr);
  g_object_get(tracker, "match-iou", &match_iou, nullptr);
  g_object_get(selector, "post-messages", &post, nullptr);
  fail_unless(max_area == 0.5 && match_iou == 0.6 && post);
  gst_object_unref(proposals);
  gst_object_unref(tracker);
  gst_object_unref(selector);
  gst_object_unref(bin);
}
GST_END_TEST;

GST_START_TEST(test_expression_list_expressions_are_selected) {
  const std::string model = test_model();
  GstHarness *h = harness("refsegencoder model=" + model + " ! refsegselector model=" + model +
                          " threshold=-100 text=\"the red square\" "
                          "expression-list=\"blue square; the lower half\"");
  GstBuffer *out = refseg_test::push_and_pull(h, frame_with_proposals(0));
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(out);
  fail_unless_equals_int(gst_refseg_meta_get_n_selections(meta), 3);
  const char *expected[3] = {"the red square", "blue square", "the lower half"};
  for (guint i = 0; i < 3; i++) {
    GstRefSegSelection sel;
    fail_unless(gst_refseg_meta_get_selection(meta, i, &sel));
    fail_unless_equals_string(sel.expression, expected[i]);
  }
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_device_accepts_any_case_and_gpu) {
  GstElement *e = gst_element_factory_make("refsegencoder", nullptr);
  const std::pair<const char *, const char *> cases[] = {
      {"CPU", "cpu"}, {"Cuda", "cuda"}, {"GPU", "cuda"}, {"gpu:1", "cuda:1"}, {"CUDA:2", "cuda:2"}};
  for (const auto &c : cases) {
    g_object_set(e, "device", c.first, nullptr);
    expect_string(e, "device", c.second);
  }
  gst_object_unref(e);
  // device=CPU starts and selects as cpu does.
  const std::string model = test_model();
  GstHarness *h = harness("refsegencoder device=CPU model=" + model +
                          " ! refsegselector device=Cpu threshold=-100 text=\"the red square\" "
                          "model=" +
                          model);
  GstBuffer *out = refseg_test::push_and_pull(h, frame_with_proposals(0));
  fail_unless_equals_int(gst_refseg_meta_get_n_selections(gst_buffer_get_refseg_meta(out)), 1);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

// The "refseg-selections" messages on `bus`, in order.
static std::vector<GstStructure *> selections_messages(GstBus *bus) {
  std::vector<GstStructure *> out;
  while (GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) {
    const GstStructure *s = gst_message_get_structure(msg);
    fail_if(gst_structure_has_name(s, "refseg-selection"),
            "the per-expression message is gone: one refseg-selections per frame");
    if (gst_structure_has_name(s, "refseg-selections")) out.push_back(gst_structure_copy(s));
    gst_message_unref(msg);
  }
  return out;
}

static void free_all(std::vector<GstStructure *> &v) {
  for (GstStructure *s : v) gst_structure_free(s);
  v.clear();
}

static const GstStructure *entry(const GstStructure *message, guint i) {
  const GValue *list = gst_structure_get_value(message, "selections");
  fail_unless(list != nullptr && GST_VALUE_HOLDS_ARRAY(list));
  fail_unless(i < gst_value_array_get_size(list));
  const GValue *item = gst_value_array_get_value(list, i);
  fail_unless(GST_VALUE_HOLDS_STRUCTURE(item));
  return gst_value_get_structure(item);
}

static guint n_entries(const GstStructure *message) {
  return gst_value_array_get_size(gst_structure_get_value(message, "selections"));
}

// The bus holds messages that hold the element: detach it before the
// teardown, or the two keep each other alive.
static void teardown_with_bus(GstHarness *h, GstBus *bus) {
  gst_element_set_bus(h->element, nullptr);
  gst_bus_set_flushing(bus, TRUE);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

GST_START_TEST(test_selector_posts_one_message_per_frame_with_every_expression) {
  const std::string model = test_model();
  GstHarness *h =
      harness("refsegencoder model=" + model + " ! refsegselector name=s model=" + model +
              " threshold=-100 text=\"the red square\" "
              "expression-list=\"the one on the right; the lower half\"");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  for (int frame = 0; frame < 2; frame++) {
    GstBuffer *out = refseg_test::push_and_pull(h, frame_with_proposals(frame * GST_SECOND / 10));
    std::vector<GstStructure *> messages = selections_messages(bus);
    fail_unless_equals_int(messages.size(), 1);
    const GstStructure *m = messages[0];
    guint64 ts = 0;
    guint n = 0;
    fail_unless(gst_structure_get_uint64(m, "timestamp", &ts));
    fail_unless_equals_uint64(ts, frame * GST_SECOND / 10);
    fail_unless(gst_structure_has_field_typed(m, "running-time", G_TYPE_UINT64));
    fail_unless(gst_structure_has_field_typed(m, "stream-time", G_TYPE_UINT64));
    fail_unless(gst_structure_get_uint(m, "n-proposals", &n) && n == 3);
    fail_unless_equals_int(n_entries(m), 3);
    GstCustomMeta *meta = gst_buffer_get_refseg_meta(out);
    for (guint i = 0; i < 3; i++) {
      const GstStructure *e = entry(m, i);
      GstRefSegSelection sel;
      fail_unless(gst_refseg_meta_get_selection(meta, i, &sel));
      fail_unless_equals_string(gst_structure_get_string(e, "expression"), sel.expression);
      fail_unless_equals_string(gst_structure_get_string(e, "phrase"), sel.phrase);
      gint index = -2, x, y, w, hh;
      gfloat score = 0.f;
      fail_unless(gst_structure_get_int(e, "index", &index));
      fail_unless_equals_int(index, sel.index);
      fail_unless(gst_structure_get(e, "score", G_TYPE_FLOAT, &score, NULL));
      fail_unless_equals_float(score, sel.score);
      fail_unless(index >= 0);
      // The selected proposal's box.
      GstRefSegProposal p;
      fail_unless(gst_refseg_meta_get_proposal(meta, index, &p));
      fail_unless(gst_structure_get(e, "x", G_TYPE_INT, &x, "y", G_TYPE_INT, &y, "width",
                                    G_TYPE_INT, &w, "height", G_TYPE_INT, &hh, NULL));
      fail_unless(x == p.box.x && y == p.box.y && w == p.box.width && hh == p.box.height);
      fail_if(gst_structure_has_field(e, "track-id"), "no tracker: no track id");
    }
    // The spatial expression carries what the meta's spatial says.
    GstRefSegSpatial spatial;
    fail_unless(gst_refseg_meta_get_selection_spatial(meta, 1, &spatial));
    const GstStructure *right = entry(m, 1);
    fail_unless_equals_string(gst_structure_get_string(right, "spatial"), spatial.summary);
    fail_unless_equals_string(gst_structure_get_string(right, "spatial-target"), spatial.target);
    gboolean resolved = FALSE;
    gint anchor = 0;
    fail_unless(gst_structure_get_boolean(right, "spatial-resolved", &resolved) && resolved);
    fail_unless(gst_structure_get_int(right, "anchor-index", &anchor));
    fail_unless_equals_int(anchor, spatial.anchor_index);
    fail_unless_equals_int(gst_structure_get_int(right, "index", &anchor) ? anchor : -1, 1);
    fail_if(gst_structure_has_field(entry(m, 0), "spatial"), "no spatial words: no spatial");
    free_all(messages);
    gst_buffer_unref(out);
  }

  // Off while playing: nothing on the bus, results still in the meta.
  GstElement *selector = gst_bin_get_by_name(GST_BIN(h->element), "s");
  g_object_set(selector, "post-messages", FALSE, nullptr);
  gst_object_unref(selector);
  GstBuffer *out = refseg_test::push_and_pull(h, frame_with_proposals(GST_SECOND));
  std::vector<GstStructure *> none = selections_messages(bus);
  fail_unless_equals_int(none.size(), 0);
  fail_unless_equals_int(gst_refseg_meta_get_n_selections(gst_buffer_get_refseg_meta(out)), 3);
  gst_buffer_unref(out);
  teardown_with_bus(h, bus);
}
GST_END_TEST;

GST_START_TEST(test_selector_message_says_why_nothing_was_selected) {
  const std::string model = test_model();
  // Without an encoder the proposals have no features.
  GstHarness *h = harness("refsegselector model=" + model + " text=\"the red square\"");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  GstBuffer *out = refseg_test::push_and_pull(h, frame_with_proposals(0));
  std::vector<GstStructure *> messages = selections_messages(bus);
  fail_unless_equals_int(messages.size(), 1);
  const GstStructure *e = entry(messages[0], 0);
  gint index = 0;
  fail_unless(gst_structure_get_int(e, "index", &index) && index == -1);
  fail_unless(strstr(gst_structure_get_string(e, "reason"), "refsegencoder") != nullptr);
  fail_if(gst_structure_has_field(e, "x"), "nothing selected: no box");
  free_all(messages);
  gst_buffer_unref(out);
  teardown_with_bus(h, bus);
}
GST_END_TEST;

// `frames` frames of world 11 at 160x120 into the element(s) described.
static GstHarness *world_harness(const std::string &description, int frames) {
  GstHarness *h = gst_harness_new_parse(description.c_str());
  refseg_test::add_world_source(h, 11, 160, 120, frames);
  return h;
}

GST_START_TEST(test_bin_posts_one_tracked_message_per_frame_or_none) {
  const std::string model = test_model();
  for (const bool post : {true, false}) {
    GstHarness *h = world_harness(
        "refsegbin name=b mode=every-frame threshold=-100 text=\"the red circle\" "
        "expression-list=\"the blue square; the green triangle\" model=" +
            model + (post ? "" : " post-messages=false"),
        3);
    GstBus *bus = gst_bus_new();
    gst_element_set_bus(h->element, bus);
    for (int frame = 0; frame < 3; frame++) {
      fail_unless_equals_int(gst_harness_push_from_src(h), GST_FLOW_OK);
      GstBuffer *out = refseg_test::pull(h);
      std::vector<GstStructure *> messages = selections_messages(bus);
      if (!post) {
        fail_unless_equals_int(messages.size(), 0);
        gst_buffer_unref(out);
        continue;
      }
      // The tracker's message only: the selector's are off inside the bin.
      fail_unless_equals_int(messages.size(), 1);
      const GstStructure *m = messages[0];
      fail_unless_equals_int(n_entries(m), 3);
      guint64 ts = 0, analysed = 0;
      fail_unless(gst_structure_get_uint64(m, "timestamp", &ts));
      fail_unless_equals_uint64(ts, GST_BUFFER_PTS(out));
      fail_unless(gst_structure_get_uint64(m, "analysed-timestamp", &analysed));
      GstCustomMeta *meta = gst_buffer_get_refseg_meta(out);
      for (guint i = 0; i < 3; i++) {
        const GstStructure *e = entry(m, i);
        gint index = -1, track = -1, x = -1;
        fail_unless(gst_structure_get_int(e, "index", &index) && index >= 0);
        fail_unless(gst_structure_get_int(e, "track-id", &track) && track >= 0);
        gint meta_track = -2;
        GstRefSegBox box;
        fail_unless(gst_refseg_meta_get_selection_track(meta, i, &meta_track, &box));
        fail_unless_equals_int(track, meta_track);
        fail_unless(gst_structure_get_int(e, "x", &x));
        fail_unless_equals_int(x, box.x);
      }
      free_all(messages);
      gst_buffer_unref(out);
    }
    teardown_with_bus(h, bus);
  }
}
GST_END_TEST;

// Controllable means a control source drives it: post-messages bound on
// refsegbin (synced by the bin per frame) and on its tracker (synced by the
// tracker) turns the messages off from the third frame (0.2 s) on.
GST_START_TEST(test_post_messages_follows_a_control_source) {
  const std::string model = test_model();
  for (const char *target : {"bin", "tracker"}) {
    GstHarness *h = world_harness(
        "refsegbin name=b mode=every-frame threshold=-100 "
        "text=\"the red circle\" model=" +
            model,
        4);
    GstElement *bin = gst_bin_get_by_name(GST_BIN(h->element), "b");
    GstElement *controlled = std::string(target) == "bin"
                                 ? GST_ELEMENT(gst_object_ref(bin))
                                 : gst_bin_get_by_name(GST_BIN(bin), "refsegtracker");
    GstControlSource *cs = gst_interpolation_control_source_new();
    g_object_set(cs, "mode", GST_INTERPOLATION_MODE_NONE, nullptr);
    GstTimedValueControlSource *tv = GST_TIMED_VALUE_CONTROL_SOURCE(cs);
    gst_timed_value_control_source_set(tv, 0, 1.0);
    gst_timed_value_control_source_set(tv, GST_SECOND / 5, 0.0);
    fail_unless(gst_object_add_control_binding(
        GST_OBJECT(controlled),
        gst_direct_control_binding_new(GST_OBJECT(controlled), "post-messages", cs)));
    GstBus *bus = gst_bus_new();
    gst_element_set_bus(h->element, bus);
    for (int frame = 0; frame < 4; frame++) {
      fail_unless_equals_int(gst_harness_push_from_src(h), GST_FLOW_OK);
      GstBuffer *out = refseg_test::pull(h);
      std::vector<GstStructure *> messages = selections_messages(bus);
      fail_unless_equals_int(messages.size(), frame < 2 ? 1 : 0);
      free_all(messages);
      gst_buffer_unref(out);
    }
    gst_object_unref(cs);
    gst_object_unref(controlled);
    gst_object_unref(bin);
    teardown_with_bus(h, bus);
  }
}
GST_END_TEST;

// gst-inspect's view: one author string, properties that may change while
// playing controllable where a control source can drive them (numbers,
// booleans, enums), the overlay's default mode first.
GST_START_TEST(test_inspect_metadata_is_consistent) {
  const char *factories[] = {"refsegworldsrc", "refsegproposals", "refsegencoder", "refsegselector",
                             "refsegoverlay",  "refsegbin",       "refsegtracker"};
  const char *authors = nullptr;
  for (const char *name : factories) {
    GstElementFactory *f = gst_element_factory_find(name);
    fail_unless(f != nullptr, "%s", name);
    const gchar *a = gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_AUTHOR);
    if (!authors) authors = a;
    fail_unless_equals_string(a, authors);
    GstElement *e = gst_element_factory_create(f, nullptr);
    guint n = 0;
    GParamSpec **specs = g_object_class_list_properties(G_OBJECT_GET_CLASS(e), &n);
    for (guint i = 0; i < n; i++) {
      GParamSpec *p = specs[i];
      if (p->owner_type != G_OBJECT_TYPE(e)) continue;  // name, parent, qos...
      const GType t = G_PARAM_SPEC_VALUE_TYPE(p);
      const bool drivable = G_TYPE_IS_ENUM(t) || t == G_TYPE_BOOLEAN || t == G_TYPE_INT ||
                            t == G_TYPE_UINT || t == G_TYPE_FLOAT || t == G_TYPE_DOUBLE ||
                            t == G_TYPE_INT64 || t == G_TYPE_UINT64;
      if ((p->flags & GST_PARAM_MUTABLE_PLAYING) && (p->flags & G_PARAM_WRITABLE) && drivable)
        fail_unless(p->flags & GST_PARAM_CONTROLLABLE,
                    "%s::%s changes while playing but is not "
                    "controllable",
                    name, p->name);
      const gchar *blurb = g_param_spec_get_blurb(p);
      fail_unless(blurb && *blurb, "%s::%s has no blurb", name, p->name);
      // An unset string reads "" (gst-inspect shows it as the default), never null.
      if (t == G_TYPE_STRING && (p->flags & G_PARAM_READABLE)) {
        gchar *v = nullptr;
        g_object_get(e, p->name, &v, nullptr);
        fail_unless(v != nullptr, "%s::%s reads null", name, p->name);
        g_free(v);
      }
    }
    g_free(specs);
    gst_object_unref(e);
    gst_object_unref(f);
  }
  GstElement *overlay = gst_element_factory_make("refsegoverlay", nullptr);
  GParamSpec *mode = g_object_class_find_property(G_OBJECT_GET_CLASS(overlay), "mode");
  GEnumClass *modes = G_ENUM_CLASS(g_type_class_ref(G_PARAM_SPEC_VALUE_TYPE(mode)));
  fail_unless_equals_string(modes->values[0].value_nick, "auto");
  fail_unless_equals_int(modes->values[0].value, G_PARAM_SPEC_ENUM(mode)->default_value);
  g_type_class_unref(modes);
  gst_object_unref(overlay);
}
GST_END_TEST;

static Suite *properties_messages_suite() {
  Suite *s = suite_create("refseg-properties-messages");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 240);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_expression_list_and_expressions_are_one_list);
  tcase_add_test(tc, test_bin_child_properties_from_gst_launch_syntax);
  tcase_add_test(tc, test_expression_list_expressions_are_selected);
  tcase_add_test(tc, test_device_accepts_any_case_and_gpu);
  tcase_add_test(tc, test_selector_posts_one_message_per_frame_with_every_expression);
  tcase_add_test(tc, test_selector_message_says_why_nothing_was_selected);
  tcase_add_test(tc, test_bin_posts_one_tracked_message_per_frame_or_none);
  tcase_add_test(tc, test_post_messages_follows_a_control_source);
  tcase_add_test(tc, test_inspect_metadata_is_consistent);
  return s;
}

GST_CHECK_MAIN(properties_messages);

// refseg_app: an application embedding the referring-segmentation pipeline.
// It plays a video, reads a new referring expression from each line of
// stdin while the video plays, and prints every selection the selector
// posts on the bus.
//
//   refseg_app [--model NAME] [--source "GST-LAUNCH SOURCE"] [--sink "SINK"] [TEXT]
//
// e.g. refseg_app --model ViT-B/32 --source "v4l2src" "the person on the left"
//      echo "the red circle" | refseg_app --model refseg-tiny --sink fakesink
#include <gst/gst.h>

#include <cstdio>
#include <string>

namespace {

struct App {
  GMainLoop *loop = nullptr;
  GstElement *pipeline = nullptr;
  GstElement *refseg = nullptr;  // the refsegbin: its "text" changes at runtime
  bool failed = false;
};

// One expression's entry of a refseg-selections message.
void print_selection(const GstStructure *s, guint64 ts) {
  const gchar *expression = gst_structure_get_string(s, "expression");
  const gchar *reason = gst_structure_get_string(s, "reason");
  gint index = -1, track = -1;
  gfloat score = 0.f;
  gst_structure_get_int(s, "index", &index);
  gst_structure_get(s, "score", G_TYPE_FLOAT, &score, NULL);
  // The tracker (inside refsegbin) names the object by a track id that
  // stays the same across frames; the proposal index is only this frame's.
  if (index >= 0 && gst_structure_get_int(s, "track-id", &track))
    g_print("%" GST_TIME_FORMAT " \"%s\" -> object %d (proposal %d, score %.2f)\n",
            GST_TIME_ARGS(ts), expression, track, index, score);
  else if (index >= 0)
    g_print("%" GST_TIME_FORMAT " \"%s\" -> proposal %d (score %.2f)\n", GST_TIME_ARGS(ts),
            expression, index, score);
  else
    g_print("%" GST_TIME_FORMAT " \"%s\" -> nothing (%s)\n", GST_TIME_ARGS(ts), expression,
            reason ? reason : "no selection");
}

// A frame's message: its time, then one entry per expression.
void print_selections(const GstStructure *s) {
  guint64 ts = GST_CLOCK_TIME_NONE;
  gst_structure_get_uint64(s, "timestamp", &ts);
  const GValue *list = gst_structure_get_value(s, "selections");
  if (!list || !GST_VALUE_HOLDS_ARRAY(list)) return;
  for (guint i = 0; i < gst_value_array_get_size(list); i++)
    print_selection(gst_value_get_structure(gst_value_array_get_value(list, i)), ts);
}

gboolean on_bus_message(GstBus *, GstMessage *message, gpointer data) {
  App *app = static_cast<App *>(data);
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ELEMENT: {
      const GstStructure *s = gst_message_get_structure(message);
      if (s && gst_structure_has_name(s, "refseg-selections")) print_selections(s);
      break;
    }
    case GST_MESSAGE_ERROR: {
      GError *error = nullptr;
      gchar *debug = nullptr;
      gst_message_parse_error(message, &error, &debug);
      g_printerr("error: %s\n%s\n", error->message, debug ? debug : "");
      g_clear_error(&error);
      g_free(debug);
      app->failed = true;
      g_main_loop_quit(app->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_main_loop_quit(app->loop);
      break;
    default:
      break;
  }
  return TRUE;
}

// Each line of stdin becomes the new expression; setting "text" is safe
// from any thread while the pipeline plays.
gboolean on_stdin(GIOChannel *channel, GIOCondition, gpointer data) {
  App *app = static_cast<App *>(data);
  gchar *line = nullptr;
  gsize terminator = 0;
  const GIOStatus status = g_io_channel_read_line(channel, &line, nullptr, &terminator, nullptr);
  if (status == G_IO_STATUS_NORMAL && line) {
    line[terminator] = '\0';
    g_object_set(app->refseg, "text", line, NULL);
    g_print("text: \"%s\"\n", line);
  }
  g_free(line);
  return status == G_IO_STATUS_NORMAL || status == G_IO_STATUS_AGAIN;
}

}  // namespace

int main(int argc, char **argv) {
  // GOption with GStreamer's own group: --help lists every option,
  // --gst-debug and friends work, and gst_init happens in the parse.
  gchar *model_arg = nullptr, *source_arg = nullptr, *sink_arg = nullptr, **texts = nullptr;
  const GOptionEntry entries[] = {
      {"model", 0, 0, G_OPTION_ARG_FILENAME, &model_arg,
       "CLIP model name or path (default refseg-tiny)", "NAME"},
      {"source", 0, 0, G_OPTION_ARG_STRING, &source_arg,
       "gst-launch description of the video source (default: the synthetic world)", "DESC"},
      {"sink", 0, 0, G_OPTION_ARG_STRING, &sink_arg, "Video sink (default autovideosink)", "DESC"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &texts, nullptr, "[TEXT]"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext *context = g_option_context_new("[TEXT] - referring segmentation of a video");
  g_option_context_set_summary(context,
                               "Reads new expressions from stdin, one per line, while the "
                               "video plays, and prints each frame's selections.");
  g_option_context_add_main_entries(context, entries, nullptr);
  g_option_context_add_group(context, gst_init_get_option_group());
  GError *parse_error = nullptr;
  if (!g_option_context_parse(context, &argc, &argv, &parse_error)) {
    g_printerr("refseg_app: %s (see --help)\n", parse_error->message);
    g_clear_error(&parse_error);
    g_option_context_free(context);
    return 2;
  }
  g_option_context_free(context);
  const std::string model = model_arg ? model_arg : "refseg-tiny";
  const std::string source =
      source_arg ? source_arg : "refsegworldsrc num-buffers=300 ! video/x-raw,framerate=10/1";
  const std::string sink = sink_arg ? sink_arg : "autovideosink";
  const std::string text = texts && texts[0] ? texts[0] : "";
  const bool extra = texts && texts[0] && texts[1];
  g_free(model_arg);
  g_free(source_arg);
  g_free(sink_arg);
  g_strfreev(texts);
  if (extra) {
    g_printerr("refseg_app: one TEXT at most (quote an expression of several words)\n");
    return 2;
  }

  App app;
  const std::string description =
      source + " ! videoconvert ! refsegbin name=refseg ! refsegoverlay ! videoconvert ! " + sink;
  GError *error = nullptr;
  app.pipeline = gst_parse_launch(description.c_str(), &error);
  if (!app.pipeline) {
    g_printerr("could not build the pipeline: %s\n", error ? error->message : "?");
    g_clear_error(&error);
    return 1;
  }
  app.refseg = gst_bin_get_by_name(GST_BIN(app.pipeline), "refseg");
  g_object_set(app.refseg, "model", model.c_str(), "text", text.c_str(), NULL);

  app.loop = g_main_loop_new(nullptr, FALSE);
  GstBus *bus = gst_element_get_bus(app.pipeline);
  gst_bus_add_watch(bus, on_bus_message, &app);
  gst_object_unref(bus);
  GIOChannel *input = g_io_channel_unix_new(0);
  g_io_add_watch(input, static_cast<GIOCondition>(G_IO_IN | G_IO_HUP), on_stdin, &app);

  if (gst_element_set_state(app.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    app.failed = true;  // the error message is on the bus
  g_main_loop_run(app.loop);

  gst_element_set_state(app.pipeline, GST_STATE_NULL);
  g_io_channel_unref(input);
  gst_object_unref(app.refseg);
  gst_object_unref(app.pipeline);
  g_main_loop_unref(app.loop);
  return app.failed ? 1 : 0;
}

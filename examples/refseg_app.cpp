// refseg_app: an application embedding the referring-segmentation pipeline.
// It plays a video, reads a new referring expression from each line of
// stdin while the video plays, and prints every selection the selector
// posts on the bus. With --reconnect the source is a network camera: when
// it fails, ends or goes silent it is rebuilt, with a growing wait, while
// the rest of the pipeline (model, tracker, publisher) keeps running.
//
//   refseg_app [--model NAME] [--source "GST-LAUNCH SOURCE"] [--sink "SINK"]
//              [--publish "REFSEGPUBLISH PROPERTIES"] [--reconnect] [TEXT]
//
// e.g. refseg_app --model ViT-B/32 --source "v4l2src" "the person on the left"
//      echo "the red circle" | refseg_app --model refseg-tiny --sink fakesink
//      refseg_app --reconnect --sink fakesink
//        --source "rtspsrc location=rtsp://camera.local/stream protocols=tcp ! decodebin"
//        --publish "method=file file-path=cam1.jsonl stream-name=cam1" "the red car"
// Ctrl-C (SIGINT) ends the stream: the publisher writes what it holds.
#include <glib-unix.h>
#include <gst/gst.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>

namespace {

// A camera that is gone is tried again after 1 s, then 2, 4 ... up to this.
constexpr guint kMaxBackoffSeconds = 30;

struct App {
  GMainLoop *loop = nullptr;
  GstElement *pipeline = nullptr;
  GstElement *refseg = nullptr;  // the refsegbin: its "text" changes at runtime
  GstElement *entry = nullptr;   // the first element after the source
  // The source: a bin made from --source, linked to entry; rebuilt when it
  // is lost (--reconnect). nullptr while the camera is away.
  GstElement *source = nullptr;
  std::string source_description;
  bool reconnect = false;
  guint silence_s = 5;   // no frame for this long: the camera is gone
  guint backoff_s = 1;   // the wait before the next try
  guint retry_id = 0;    // the pending rebuild
  guint generation = 0;  // of the current source: late news of an old one is ignored
  bool lost = false;     // since the last frame: an outage is under way
  gint64 lost_at_us = 0;
  // Written by the source's streaming thread.
  std::atomic<gint64> last_frame_us{0};
  std::atomic<guint> frames_of{0};  // the generation the last frame came from
  bool stopping = false;
  bool failed = false;
};

// What the streaming thread tells the main loop about one source.
struct SourceNews {
  App *app;
  guint generation;
};

void source_lost(App *app, const char *why);

gboolean on_source_ended(gpointer data) {
  auto *news = static_cast<SourceNews *>(data);
  if (news->generation == news->app->generation) source_lost(news->app, "the stream ended");
  return G_SOURCE_REMOVE;
}

// On the source's output: records each frame's arrival; with --reconnect,
// the source's end of stream is a lost camera, not the end of the video.
GstPadProbeReturn watch_source(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *news = static_cast<SourceNews *>(data);
  App *app = news->app;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    app->last_frame_us = g_get_monotonic_time();
    app->frames_of = news->generation;
    return GST_PAD_PROBE_OK;
  }
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (app->reconnect && event && GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
    g_idle_add_full(G_PRIORITY_DEFAULT, on_source_ended, new SourceNews(*news),
                    [](gpointer p) { delete static_cast<SourceNews *>(p); });
    return GST_PAD_PROBE_DROP;
  }
  return GST_PAD_PROBE_OK;
}

// Builds the source from its description, links it to entry and starts it
// in the pipeline's state. A decoder's pads come and go: the source ends
// in an identity whose pad is always there, the bin's output.
bool add_source(App *app) {
  GError *error = nullptr;
  const std::string description = app->source_description + " ! identity name=source-out";
  // Only identity's pad is ghosted: a depayloader waiting for rtspsrc's
  // pad must not be taken for an input of the bin.
  GstElement *source = gst_parse_bin_from_description(description.c_str(), FALSE, &error);
  if (!source) {
    g_printerr("could not build the source: %s\n", error ? error->message : "?");
    g_clear_error(&error);
    return false;
  }
  GstElement *out = gst_bin_get_by_name(GST_BIN(source), "source-out");
  GstPad *out_pad = gst_element_get_static_pad(out, "src");
  gst_element_add_pad(source, gst_ghost_pad_new("src", out_pad));
  gst_object_unref(out_pad);
  gst_object_unref(out);
  app->generation++;
  app->last_frame_us = g_get_monotonic_time();  // the new source's time to connect
  gst_bin_add(GST_BIN(app->pipeline), source);
  GstPad *src = gst_element_get_static_pad(source, "src");
  gst_pad_add_probe(
      src,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      watch_source, new SourceNews{app, app->generation},
      [](gpointer p) { delete static_cast<SourceNews *>(p); });
  GstPad *sink = gst_element_get_static_pad(app->entry, "sink");
  const bool linked = gst_pad_link(src, sink) == GST_PAD_LINK_OK;
  gst_object_unref(sink);
  gst_object_unref(src);
  if (!linked) {
    g_printerr("could not link the source to the pipeline\n");
    gst_bin_remove(GST_BIN(app->pipeline), source);
    return false;
  }
  app->source = source;
  gst_element_sync_state_with_parent(source);
  return true;
}

// Stops the source and takes it out of the pipeline; downstream keeps
// its state (model, tracks, the publisher's queue and connection).
void remove_source(App *app) {
  if (!app->source) return;
  GstElement *source = app->source;
  app->source = nullptr;
  app->generation++;  // what it still says is news of an old source
  gst_element_set_state(source, GST_STATE_NULL);
  GstPad *src = gst_element_get_static_pad(source, "src");
  GstPad *peer = gst_pad_get_peer(src);
  if (peer) {
    gst_pad_unlink(src, peer);
    gst_object_unref(peer);
  }
  gst_object_unref(src);
  gst_bin_remove(GST_BIN(app->pipeline), source);
}

gboolean retry_source(gpointer data) {
  App *app = static_cast<App *>(data);
  app->retry_id = 0;
  g_print("source: trying again\n");
  if (!add_source(app)) {
    app->failed = true;
    g_main_loop_quit(app->loop);
  }
  return G_SOURCE_REMOVE;
}

// The camera failed, ended or went silent: without --reconnect that ends
// the run; with it the source is rebuilt after the backoff.
void source_lost(App *app, const char *why) {
  if (!app->source || app->stopping) return;
  remove_source(app);
  if (!app->lost) {
    app->lost = true;
    app->lost_at_us = g_get_monotonic_time();
  }
  g_print("source: lost (%s); trying again in %u s\n", why, app->backoff_s);
  app->retry_id = g_timeout_add_seconds(app->backoff_s, retry_source, app);
  app->backoff_s = std::min(app->backoff_s * 2, kMaxBackoffSeconds);
}

// Once a second with --reconnect: frames again after an outage reset the
// backoff; a source that has been silent too long is lost.
gboolean watch_silence(gpointer data) {
  App *app = static_cast<App *>(data);
  if (!app->source) return G_SOURCE_CONTINUE;
  const gint64 now = g_get_monotonic_time();
  const bool fresh = app->frames_of == app->generation;
  if (fresh && app->lost) {
    g_print("source: back after %.1f s\n", (now - app->lost_at_us) / 1e6);
    app->lost = false;
  }
  if (fresh) app->backoff_s = 1;
  if (now - app->last_frame_us > static_cast<gint64>(app->silence_s) * G_USEC_PER_SEC) {
    gchar *why = g_strdup_printf("no frame for %u s", app->silence_s);
    source_lost(app, why);
    g_free(why);
  }
  return G_SOURCE_CONTINUE;
}

// Ctrl-C: the source goes and an end of stream follows the last frame
// through the pipeline, so the publisher writes what it holds; a second
// Ctrl-C, or no end after 5 s, quits at once.
gboolean on_interrupt(gpointer data) {
  App *app = static_cast<App *>(data);
  if (app->stopping) {
    g_main_loop_quit(app->loop);
    return G_SOURCE_REMOVE;
  }
  app->stopping = true;
  if (app->retry_id) g_source_remove(app->retry_id);
  app->retry_id = 0;
  remove_source(app);
  GstPad *sink = gst_element_get_static_pad(app->entry, "sink");
  GstEvent *started = gst_pad_get_sticky_event(sink, GST_EVENT_STREAM_START, 0);
  if (started) {
    gst_event_unref(started);
    gst_pad_send_event(sink, gst_event_new_eos());
    g_timeout_add_seconds(
        5,
        [](gpointer loop) {
          g_main_loop_quit(static_cast<GMainLoop *>(loop));
          return G_SOURCE_REMOVE;
        },
        app->loop);
  } else {
    g_main_loop_quit(app->loop);  // nothing ever flowed
  }
  gst_object_unref(sink);
  return G_SOURCE_CONTINUE;
}

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
      GstObject *from = GST_MESSAGE_SRC(message);
      // A source already taken out still reports its last moments.
      const bool gone = from != GST_OBJECT(app->pipeline) &&
                        !gst_object_has_as_ancestor(from, GST_OBJECT(app->pipeline));
      const bool camera = app->source && gst_object_has_as_ancestor(from, GST_OBJECT(app->source));
      if (gone || (app->reconnect && camera)) {
        if (!gone) source_lost(app, error->message);
        g_clear_error(&error);
        g_free(debug);
        break;
      }
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
  gchar *model_arg = nullptr, *source_arg = nullptr, *sink_arg = nullptr, *publish_arg = nullptr,
        **texts = nullptr;
  gboolean reconnect = FALSE;
  gint silence = 5;
  const GOptionEntry entries[] = {
      {"model", 0, 0, G_OPTION_ARG_FILENAME, &model_arg,
       "CLIP model name or path (default refseg-tiny)", "NAME"},
      {"source", 0, 0, G_OPTION_ARG_STRING, &source_arg,
       "gst-launch description of the video source (default: the synthetic world)", "DESC"},
      {"sink", 0, 0, G_OPTION_ARG_STRING, &sink_arg, "Video sink (default autovideosink)", "DESC"},
      {"publish", 0, 0, G_OPTION_ARG_STRING, &publish_arg,
       "Publish the results with refsegpublish and these properties, e.g. \"method=file "
       "file-path=cam1.jsonl stream-name=cam1\"",
       "PROPS"},
      {"reconnect", 0, 0, G_OPTION_ARG_NONE, &reconnect,
       "The source is a network camera: when it fails, ends or is silent, build it again "
       "(after 1 s, 2 s, 4 s ... at most 30 s) while the rest of the pipeline runs on",
       nullptr},
      {"silence", 0, 0, G_OPTION_ARG_INT, &silence,
       "With --reconnect: seconds without a frame after which the camera counts as gone "
       "(default 5)",
       "S"},
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
  const std::string publish = publish_arg ? publish_arg : "";
  const bool extra = texts && texts[0] && texts[1];
  g_free(model_arg);
  g_free(source_arg);
  g_free(sink_arg);
  g_free(publish_arg);
  g_strfreev(texts);
  if (extra) {
    g_printerr("refseg_app: one TEXT at most (quote an expression of several words)\n");
    return 2;
  }
  if (silence < 1) {
    g_printerr("refseg_app: --silence must be at least 1 second\n");
    return 2;
  }

  App app;
  app.source_description = source;
  app.reconnect = reconnect;
  app.silence_s = static_cast<guint>(silence);
  // Everything but the source, which add_source links to "entry".
  const std::string description = "videoconvert name=entry ! refsegbin name=refseg ! " +
                                  (publish.empty() ? "" : "refsegpublish " + publish + " ! ") +
                                  "refsegoverlay ! videoconvert ! " + sink;
  GError *error = nullptr;
  app.pipeline = gst_parse_launch(description.c_str(), &error);
  if (!app.pipeline) {
    g_printerr("could not build the pipeline: %s\n", error ? error->message : "?");
    g_clear_error(&error);
    return 1;
  }
  app.refseg = gst_bin_get_by_name(GST_BIN(app.pipeline), "refseg");
  app.entry = gst_bin_get_by_name(GST_BIN(app.pipeline), "entry");
  g_object_set(app.refseg, "model", model.c_str(), "text", text.c_str(), NULL);
  if (!add_source(&app)) {
    gst_object_unref(app.entry);
    gst_object_unref(app.refseg);
    gst_object_unref(app.pipeline);
    return 1;
  }

  app.loop = g_main_loop_new(nullptr, FALSE);
  GstBus *bus = gst_element_get_bus(app.pipeline);
  gst_bus_add_watch(bus, on_bus_message, &app);
  gst_object_unref(bus);
  GIOChannel *input = g_io_channel_unix_new(0);
  g_io_add_watch(input, static_cast<GIOCondition>(G_IO_IN | G_IO_HUP), on_stdin, &app);
  g_unix_signal_add(SIGINT, on_interrupt, &app);
  if (app.reconnect) g_timeout_add_seconds(1, watch_silence, &app);

  if (gst_element_set_state(app.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    app.failed = true;  // the error message is on the bus
  g_main_loop_run(app.loop);

  gst_element_set_state(app.pipeline, GST_STATE_NULL);
  g_io_channel_unref(input);
  gst_object_unref(app.entry);
  gst_object_unref(app.refseg);
  gst_object_unref(app.pipeline);
  g_main_loop_unref(app.loop);
  return app.failed ? 1 : 0;
}

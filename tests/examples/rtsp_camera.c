/* rtsp_camera: a network camera for tests, made with gst-rtsp-server. It
 * serves one launch line at rtsp://127.0.0.1:PORT/cam until SIGTERM or
 * SIGINT, and prints "port N" once it listens (PORT 0: any free port; pass
 * the printed one to start the "same camera" again after stopping it).
 *
 *   rtsp_camera PORT "( videotestsrc is-live=true ! jpegenc ! rtpjpegpay name=pay0 pt=96 )"
 */
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>

static gboolean on_signal(gpointer loop) {
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  if (argc != 3) {
    fprintf(stderr, "usage: rtsp_camera PORT LAUNCH-LINE\n");
    return 2;
  }
  GMainLoop *loop = g_main_loop_new(NULL, FALSE);
  GstRTSPServer *server = gst_rtsp_server_new();
  gst_rtsp_server_set_address(server, "127.0.0.1");
  gst_rtsp_server_set_service(server, argv[1]);
  GstRTSPMediaFactory *factory = gst_rtsp_media_factory_new();
  gst_rtsp_media_factory_set_launch(factory, argv[2]);
  /* Every client shares the one camera, as a real one does. */
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  GstRTSPMountPoints *mounts = gst_rtsp_server_get_mount_points(server);
  gst_rtsp_mount_points_add_factory(mounts, "/cam", factory);
  g_object_unref(mounts);
  if (gst_rtsp_server_attach(server, NULL) == 0) {
    fprintf(stderr, "rtsp_camera: cannot listen on 127.0.0.1:%s\n", argv[1]);
    return 1;
  }
  printf("port %d\n", gst_rtsp_server_get_bound_port(server));
  fflush(stdout);
  g_unix_signal_add(SIGTERM, on_signal, loop);
  g_unix_signal_add(SIGINT, on_signal, loop);
  g_main_loop_run(loop);
  g_object_unref(server);
  g_main_loop_unref(loop);
  return 0;
}

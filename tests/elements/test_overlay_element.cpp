// refsegoverlay: draws on frames with proposals, leaves frames without
// meta untouched, in every supported format.
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <string>
#include <vector>

#include "gst/refseg/refsegmeta.h"

namespace {

const char *kFormats[] = {"RGB", "BGR", "RGBA", "BGRA", "RGBx", "BGRx"};
const int kWidth = 96, kHeight = 64;

GstBuffer *grey_frame(const char *format, bool with_proposal) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, gst_video_format_from_string(format), kWidth, kHeight);
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  gst_buffer_memset(buf, 0, 90, GST_VIDEO_INFO_SIZE(&info));
  if (with_proposal) {
    GstCustomMeta *meta = gst_buffer_add_refseg_meta(buf, kWidth, kHeight);
    const GstRefSegBox box = {30, 20, 24, 16};
    const gfloat score = 1.f;
    std::vector<guint8> mask(24 * 16, 255);
    const guint8 *masks[1] = {mask.data()};
    fail_unless(gst_refseg_meta_set_proposals(meta, 1, &box, &score, masks));
  }
  return buf;
}

// Number of bytes the overlay changed in one frame.
long changed_bytes(GstHarness *h, const char *format, bool with_proposal) {
  const std::string caps = std::string("video/x-raw,format=") + format +
                           ",width=" + std::to_string(kWidth) +
                           ",height=" + std::to_string(kHeight) + ",framerate=30/1";
  gst_harness_set_src_caps_str(h, caps.c_str());
  GstBuffer *in = grey_frame(format, with_proposal);
  GstBuffer *ref = gst_buffer_copy_deep(in);
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  fail_unless(out != nullptr);
  GstMapInfo a, b;
  gst_buffer_map(out, &a, GST_MAP_READ);
  gst_buffer_map(ref, &b, GST_MAP_READ);
  fail_unless_equals_int(a.size, b.size);
  long changed = 0;
  for (gsize i = 0; i < a.size; ++i) changed += a.data[i] != b.data[i];
  gst_buffer_unmap(out, &a);
  gst_buffer_unmap(ref, &b);
  gst_buffer_unref(out);
  gst_buffer_unref(ref);
  return changed;
}

}  // namespace

GST_START_TEST(test_draws_proposals_only_when_present) {
  for (const char *format : kFormats) {
    GstHarness *h = gst_harness_new("refsegoverlay");
    fail_unless(changed_bytes(h, format, true) > 24 * 16, "%s: nothing drawn", format);
    fail_unless_equals_int(changed_bytes(h, format, false), 0);
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

GST_START_TEST(test_properties) {
  GstHarness *h = gst_harness_new("refsegoverlay");
  gst_util_set_object_arg(G_OBJECT(h->element), "mode", "proposals");
  const long tinted = changed_bytes(h, "RGB", true);
  g_object_set(h->element, "opacity", 0.0, nullptr);
  const long outline_only = changed_bytes(h, "RGB", true);
  fail_unless(outline_only > 0, "outline must be drawn without tint");
  fail_unless(outline_only < tinted, "opacity 0 must not tint the mask");
  gdouble opacity = -1;
  g_object_get(h->element, "opacity", &opacity, nullptr);
  fail_unless_equals_float(opacity, 0.0);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_after_proposals_element) {
  GstHarness *h = gst_harness_new_parse("refsegproposals ! refsegoverlay");
  // A frame with a drawn object: the proposals element finds it, the overlay draws it.
  gst_harness_set_src_caps_str(h, "video/x-raw,format=RGB,width=96,height=64,framerate=30/1");
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_RGB, kWidth, kHeight);
  GstBuffer *in = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  GstMapInfo map;
  gst_buffer_map(in, &map, GST_MAP_WRITE);
  const int stride = GST_VIDEO_INFO_PLANE_STRIDE(&info, 0);
  for (int y = 0; y < kHeight; ++y)
    for (int x = 0; x < kWidth; ++x) {
      guint8 *p = map.data + y * stride + x * 3;
      const bool inside = x >= 30 && x < 60 && y >= 20 && y < 44;
      p[0] = inside ? 230 : 90;
      p[1] = inside ? 30 : 90;
      p[2] = inside ? 30 : 90;
    }
  gst_buffer_unmap(in, &map);
  GstBuffer *ref = gst_buffer_copy_deep(in);
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(out);
  fail_unless(meta != nullptr && gst_refseg_meta_get_n_proposals(meta) > 0);
  GstMapInfo a, b;
  gst_buffer_map(out, &a, GST_MAP_READ);
  gst_buffer_map(ref, &b, GST_MAP_READ);
  fail_unless(memcmp(a.data, b.data, a.size) != 0, "overlay drew nothing");
  gst_buffer_unmap(out, &a);
  gst_buffer_unmap(ref, &b);
  gst_buffer_unref(out);
  gst_buffer_unref(ref);
  gst_harness_teardown(h);
}
GST_END_TEST;

static Suite *refseg_overlay_suite(void) {
  Suite *s = suite_create("refsegoverlay");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_draws_proposals_only_when_present);
  tcase_add_test(tc, test_properties);
  tcase_add_test(tc, test_after_proposals_element);
  return s;
}

GST_CHECK_MAIN(refseg_overlay);

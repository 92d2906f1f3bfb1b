// libFuzzer target: the meta readers every element uses on a frame's
// GstRefSegMeta, given a meta an upstream element (or an application) may
// have filled with anything: the structure is public (docs/metadata.md), so
// its fields can have any type and any size. The input bytes choose which
// fields exist, their types and their contents. Properties (metadata
// header): a reader never reads outside what it returns or what the meta
// holds (ASan checks every byte it hands out, touched below); a proposal it
// returns lies inside the frame with a mask of exactly width x height bytes;
// features and track ids it returns have exactly the rows and columns it
// says; read_proposals() (elements/refseg_frame.h) returns only such
// proposals.
#include <gst/gst.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "gst/refseg/refsegmeta.h"
#include "refseg_frame.h"

namespace {

// Reads the fuzz input front to back; zeros once it runs out.
class Bytes {
 public:
  Bytes(const uint8_t *data, size_t size) : data_(data), size_(size) {}
  uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | byte();
    return v;
  }
  // A block of up to `max` bytes, its length first.
  GBytes *block(size_t max) {
    size_t n = (static_cast<size_t>(byte()) << 8 | byte()) % (max + 1);
    n = std::min(n, size_ - std::min(at_, size_));
    GBytes *b = g_bytes_new(data_ + at_, n);
    at_ += n;
    return b;
  }
  std::string text() {
    GBytes *b = block(64);
    gsize n = 0;
    const char *p = static_cast<const char *>(g_bytes_get_data(b, &n));
    std::string s(p ? p : "", n);
    g_bytes_unref(b);
    return s;
  }

 private:
  const uint8_t *data_;
  size_t size_, at_ = 0;
};

// A field of a fuzz-chosen type: usually the documented one, sometimes a
// wrong one (a string where a count belongs, an int where bytes belong).
void set_field(GstStructure *s, const char *name, Bytes &in, GType documented) {
  const uint8_t how = in.byte();
  switch (how % 8) {
    case 0:
      return;  // absent
    case 1:
      gst_structure_set(s, name, G_TYPE_STRING, in.text().c_str(), nullptr);
      return;
    case 2:
      gst_structure_set(s, name, G_TYPE_INT, static_cast<gint>(in.u32()), nullptr);
      return;
    default:
      break;
  }
  if (documented == G_TYPE_BYTES) {
    GBytes *b = in.block(4096);
    gst_structure_set(s, name, G_TYPE_BYTES, b, nullptr);
    g_bytes_unref(b);
  } else if (documented == G_TYPE_UINT) {
    // Small counts mostly, huge ones sometimes (overflow in size checks).
    const uint32_t v = how & 0x80 ? in.u32() : in.byte() % 16;
    gst_structure_set(s, name, G_TYPE_UINT, v, nullptr);
  } else if (documented == G_TYPE_INT) {
    gst_structure_set(s, name, G_TYPE_INT, static_cast<gint>(how & 0x80 ? in.u32() : in.byte()),
                      nullptr);
  } else if (documented == G_TYPE_UINT64) {
    gst_structure_set(s, name, G_TYPE_UINT64, static_cast<guint64>(in.u32()) << 32 | in.u32(),
                      nullptr);
  } else if (documented == G_TYPE_STRING) {
    gst_structure_set(s, name, G_TYPE_STRING, in.text().c_str(), nullptr);
  }
}

GstStructure *crafted_selection(Bytes &in) {
  GstStructure *sel = gst_structure_new_empty("refseg-selection");
  set_field(sel, "expression", in, G_TYPE_STRING);
  set_field(sel, "phrase", in, G_TYPE_STRING);
  set_field(sel, "index", in, G_TYPE_INT);
  set_field(sel, "scores", in, G_TYPE_BYTES);
  set_field(sel, "reason", in, G_TYPE_STRING);
  set_field(sel, "track-id", in, G_TYPE_INT);
  for (const char *f : {"x", "y", "width", "height"}) set_field(sel, f, in, G_TYPE_INT);
  if (in.byte() % 2) {
    GstStructure *sp = gst_structure_new_empty("refseg-spatial");
    for (const char *f : {"summary", "target", "relation", "anchor"})
      set_field(sp, f, in, G_TYPE_STRING);
    set_field(sp, "anchor-index", in, G_TYPE_INT);
    gst_structure_set(sel, "spatial", GST_TYPE_STRUCTURE, sp, nullptr);
    gst_structure_free(sp);
  }
  return sel;
}

// Every byte a reader hands out is read (ASan reports any outside).
volatile uint8_t sink;
void touch(const void *p, size_t n) {
  const uint8_t *b = static_cast<const uint8_t *>(p);
  uint8_t x = 0;
  for (size_t i = 0; i < n; ++i) x ^= b[i];
  sink = x;
}
void touch(const char *s) {
  if (s) touch(s, std::strlen(s));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
  gst_init(argc, argv);
  gst_refseg_meta_get_info();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Bytes in(data, size);
  const gint width = 1 + in.byte() % 64, height = 1 + in.byte() % 64;
  GstBuffer *buffer = gst_buffer_new();
  GstCustomMeta *meta = gst_buffer_add_refseg_meta(buffer, width, height);
  GstStructure *s = gst_custom_meta_get_structure(meta);
  if (in.byte() % 4 == 0) set_field(s, "width", in, G_TYPE_INT);
  set_field(s, "n-proposals", in, G_TYPE_UINT);
  set_field(s, "boxes", in, G_TYPE_BYTES);
  set_field(s, "scores", in, G_TYPE_BYTES);
  set_field(s, "masks", in, G_TYPE_BYTES);
  set_field(s, "feature-model", in, G_TYPE_STRING);
  set_field(s, "feature-dim", in, G_TYPE_UINT);
  set_field(s, "global-features", in, G_TYPE_BYTES);
  set_field(s, "local-features", in, G_TYPE_BYTES);
  set_field(s, "track-ids", in, G_TYPE_BYTES);
  set_field(s, "analysed-pts", in, G_TYPE_UINT64);
  set_field(s, "n-selections", in, G_TYPE_UINT);
  for (guint i = 0, n = in.byte() % 4; i < n; ++i) {
    gchar *name = g_strdup_printf("selection-%u", i);
    if (in.byte() % 5 == 0) {
      gst_structure_set(s, name, G_TYPE_STRING, "not a structure", nullptr);
    } else {
      GstStructure *sel = crafted_selection(in);
      gst_structure_set(s, name, GST_TYPE_STRUCTURE, sel, nullptr);
      gst_structure_free(sel);
    }
    g_free(name);
  }

  const gint w = gst_refseg_meta_get_width(meta), h = gst_refseg_meta_get_height(meta);
  const guint n = gst_refseg_meta_get_n_proposals(meta);
  for (guint i = 0; i < std::min(n, 64u) + 1; ++i) {
    GstRefSegProposal p;
    if (!gst_refseg_meta_get_proposal(meta, i, &p)) continue;
    if (p.box.width <= 0 || p.box.height <= 0 || p.box.x < 0 || p.box.y < 0 ||
        p.box.x > w - p.box.width || p.box.y > h - p.box.height || !p.mask)
      __builtin_trap();
    touch(p.mask, static_cast<size_t>(p.box.width) * p.box.height);
  }
  for (const refseg::RegionMask &m : refseg::gst::read_proposals(meta))
    if (m.box.width <= 0 || m.box.height <= 0 ||
        m.pixels.size() != static_cast<size_t>(m.box.width) * m.box.height)
      __builtin_trap();
  for (GstRefSegFeatureKind kind : {GST_REFSEG_FEATURE_GLOBAL, GST_REFSEG_FEATURE_LOCAL}) {
    guint rows = 0, dim = 0;
    const gfloat *f = gst_refseg_meta_get_features(meta, kind, &rows, &dim);
    if (f) {
      if (rows != n) __builtin_trap();
      touch(f, sizeof(gfloat) * static_cast<size_t>(rows) * dim);
    }
  }
  touch(gst_refseg_meta_get_feature_model(meta));
  guint ids = 0;
  if (const gint *t = gst_refseg_meta_get_track_ids(meta, &ids)) {
    if (ids != n) __builtin_trap();
    touch(t, sizeof(gint) * ids);
  }
  (void)gst_refseg_meta_get_analysed_pts(meta);
  const guint selections = gst_refseg_meta_get_n_selections(meta);
  for (guint i = 0; i < std::min(selections, 8u) + 1; ++i) {
    GstRefSegSelection sel;
    if (gst_refseg_meta_get_selection(meta, i, &sel)) {
      touch(sel.expression);
      touch(sel.phrase);
      if (sel.n_scores && !sel.scores) __builtin_trap();
      if (sel.scores) touch(sel.scores, sizeof(gfloat) * sel.n_scores);
    }
    touch(gst_refseg_meta_get_selection_reason(meta, i));
    gint track = -1;
    GstRefSegBox box;
    (void)gst_refseg_meta_get_selection_track(meta, i, &track, &box);
    GstRefSegSpatial spatial;
    if (gst_refseg_meta_get_selection_spatial(meta, i, &spatial)) {
      touch(spatial.summary);
      touch(spatial.target);
      touch(spatial.relation);
      touch(spatial.anchor);
    }
  }
  // A copy carries the same fields (the transform every element relies on).
  GstBuffer *copy = gst_buffer_copy(buffer);
  gst_buffer_unref(copy);
  gst_buffer_unref(buffer);
  return 0;
}

/* gst-refseg: per-frame results metadata (see refsegmeta.h). */
#include "refsegmeta.h"

#include <gst/video/video.h>
#include <string.h>

#define FIELD_PROPOSAL_COUNT "n-proposals"
#define FIELD_SELECTION_COUNT "n-selections"

static gboolean refseg_meta_transform(GstBuffer *dest, GstCustomMeta *meta, GstBuffer *src,
                                      GQuark type, gpointer data, gpointer user_data);

const GstMetaInfo *gst_refseg_meta_get_info(void) {
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter(&info)) {
    /* "size" and "orientation": elements that change the geometry must not
     * copy the meta blindly; they call the transform, which drops it. */
    static const gchar *tags[] = {GST_META_TAG_VIDEO_STR, GST_META_TAG_VIDEO_SIZE_STR,
                                  GST_META_TAG_VIDEO_ORIENTATION_STR, NULL};
    const GstMetaInfo *registered =
        gst_meta_register_custom(GST_REFSEG_META_NAME, tags, refseg_meta_transform, NULL, NULL);
    g_once_init_leave(&info, registered);
  }
  return info;
}

static void copy_fields(GstStructure *from, GstStructure *to) {
  const gint n = gst_structure_n_fields(from);
  for (gint i = 0; i < n; i++) {
    const gchar *name = gst_structure_nth_field_name(from, i);
    gst_structure_set_value(to, name, gst_structure_get_value(from, name));
  }
}

static gboolean refseg_meta_transform(GstBuffer *dest, GstCustomMeta *meta, GstBuffer *src,
                                      GQuark type, gpointer data, gpointer user_data) {
  (void)src;
  (void)user_data;
  if (GST_META_TRANSFORM_IS_COPY(type)) {
    GstMetaTransformCopy *copy = data;
    if (copy->region) return FALSE; /* a sub-buffer is not a frame */
  } else if (GST_VIDEO_META_TRANSFORM_IS_SCALE(type)) {
    GstVideoMetaTransform *scale = data;
    if (GST_VIDEO_INFO_WIDTH(scale->in_info) != GST_VIDEO_INFO_WIDTH(scale->out_info) ||
        GST_VIDEO_INFO_HEIGHT(scale->in_info) != GST_VIDEO_INFO_HEIGHT(scale->out_info))
      return FALSE;
  } else {
    return FALSE;
  }
  GstStructure *from = gst_custom_meta_get_structure(meta);
  gint width = 0, height = 0;
  gst_structure_get_int(from, "width", &width);
  gst_structure_get_int(from, "height", &height);
  GstCustomMeta *out = gst_buffer_add_refseg_meta(dest, width, height);
  if (!out) return FALSE;
  copy_fields(from, gst_custom_meta_get_structure(out));
  return TRUE;
}

static void reset(GstStructure *s, gint width, gint height) {
  gst_structure_remove_all_fields(s);
  gst_structure_set(s, "width", G_TYPE_INT, width, "height", G_TYPE_INT, height,
                    FIELD_PROPOSAL_COUNT, G_TYPE_UINT, 0u, FIELD_SELECTION_COUNT, G_TYPE_UINT, 0u,
                    NULL);
}

GstCustomMeta *gst_buffer_add_refseg_meta(GstBuffer *buffer, gint width, gint height) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), NULL);
  g_return_val_if_fail(width > 0 && height > 0, NULL);
  gst_refseg_meta_get_info();
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(buffer);
  if (meta) {
    if (gst_refseg_meta_get_width(meta) != width || gst_refseg_meta_get_height(meta) != height)
      reset(gst_custom_meta_get_structure(meta), width, height);
    return meta;
  }
  meta = gst_buffer_add_custom_meta(buffer, GST_REFSEG_META_NAME);
  if (!meta) return NULL;
  GstStructure *s = gst_custom_meta_get_structure(meta);
  gst_structure_set_name(s, "refseg");
  reset(s, width, height);
  return meta;
}

GstCustomMeta *gst_buffer_get_refseg_meta(GstBuffer *buffer) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), NULL);
  gst_refseg_meta_get_info();
  return gst_buffer_get_custom_meta(buffer, GST_REFSEG_META_NAME);
}

static gint get_int(GstCustomMeta *meta, const gchar *field) {
  gint v = 0;
  gst_structure_get_int(gst_custom_meta_get_structure(meta), field, &v);
  return v;
}

static guint get_uint(GstCustomMeta *meta, const gchar *field) {
  guint v = 0;
  gst_structure_get_uint(gst_custom_meta_get_structure(meta), field, &v);
  return v;
}

/* Borrowed view of a GBytes field, NULL when absent. */
static gconstpointer get_bytes(GstStructure *s, const gchar *field, gsize *size) {
  const GValue *v = gst_structure_get_value(s, field);
  *size = 0;
  if (!v || !G_VALUE_HOLDS(v, G_TYPE_BYTES)) return NULL;
  GBytes *bytes = g_value_get_boxed(v);
  return bytes ? g_bytes_get_data(bytes, size) : NULL;
}

static void set_bytes(GstStructure *s, const gchar *field, gpointer data, gsize size) {
  GBytes *bytes = g_bytes_new_take(data, size);
  gst_structure_set(s, field, G_TYPE_BYTES, bytes, NULL);
  g_bytes_unref(bytes);
}

gint gst_refseg_meta_get_width(GstCustomMeta *meta) {
  return get_int(meta, "width");
}
gint gst_refseg_meta_get_height(GstCustomMeta *meta) {
  return get_int(meta, "height");
}

static void remove_features(GstStructure *s) {
  gst_structure_remove_fields(s, "feature-model", "feature-dim", "global-features",
                              "local-features", NULL);
}

void gst_refseg_meta_clear_selections(GstCustomMeta *meta) {
  g_return_if_fail(meta != NULL);
  GstStructure *s = gst_custom_meta_get_structure(meta);
  const guint n = get_uint(meta, FIELD_SELECTION_COUNT);
  for (guint i = 0; i < n; i++) {
    gchar *name = g_strdup_printf("selection-%u", i);
    gst_structure_remove_field(s, name);
    g_free(name);
  }
  gst_structure_set(s, FIELD_SELECTION_COUNT, G_TYPE_UINT, 0u, NULL);
}

gboolean gst_refseg_meta_set_proposals(GstCustomMeta *meta, guint n, const GstRefSegBox *boxes,
                                       const gfloat *scores, const guint8 *const *masks) {
  g_return_val_if_fail(meta != NULL, FALSE);
  g_return_val_if_fail(n == 0 || (boxes && scores && masks), FALSE);
  const gint width = gst_refseg_meta_get_width(meta), height = gst_refseg_meta_get_height(meta);
  gsize mask_bytes = 0;
  for (guint i = 0; i < n; i++) {
    const GstRefSegBox *b = &boxes[i];
    if (b->width <= 0 || b->height <= 0 || b->x < 0 || b->y < 0 || b->x + b->width > width ||
        b->y + b->height > height || !masks[i])
      return FALSE;
    mask_bytes += (gsize)b->width * b->height;
  }
  gint32 *box_data = g_new(gint32, 4 * (gsize)n);
  guint8 *mask_data = g_malloc(mask_bytes ? mask_bytes : 1);
  gsize offset = 0;
  for (guint i = 0; i < n; i++) {
    box_data[4 * i + 0] = boxes[i].x;
    box_data[4 * i + 1] = boxes[i].y;
    box_data[4 * i + 2] = boxes[i].width;
    box_data[4 * i + 3] = boxes[i].height;
    const gsize size = (gsize)boxes[i].width * boxes[i].height;
    memcpy(mask_data + offset, masks[i], size);
    offset += size;
  }
  GstStructure *s = gst_custom_meta_get_structure(meta);
  gst_refseg_meta_clear_selections(meta);
  remove_features(s);
  gst_structure_remove_field(s, "track-ids");
  set_bytes(s, "boxes", box_data, 4 * sizeof(gint32) * n);
  set_bytes(s, "scores", g_memdup2(scores ? (gconstpointer)scores : "", sizeof(gfloat) * n),
            sizeof(gfloat) * n);
  set_bytes(s, "masks", mask_data, mask_bytes);
  gst_structure_set(s, FIELD_PROPOSAL_COUNT, G_TYPE_UINT, n, NULL);
  return TRUE;
}

/* The structure is public: anything may have written it. The proposals
 * count only when their fields agree with each other and with the frame:
 * exactly n boxes and n scores, every box non-empty and inside the frame,
 * and masks of exactly the boxes' total area. Anything else reads as no
 * proposals, so no reader (ours or an application's) can be led outside
 * the data. Returns n, or 0 with the views unset. */
static guint consistent_proposals(GstCustomMeta *meta, const gint32 **boxes_out,
                                  const gfloat **scores_out, const guint8 **masks_out) {
  const guint n = get_uint(meta, FIELD_PROPOSAL_COUNT);
  if (n == 0) return 0;
  GstStructure *s = gst_custom_meta_get_structure(meta);
  gsize box_size, score_size, mask_size;
  const gint32 *boxes = get_bytes(s, "boxes", &box_size);
  const gfloat *scores = get_bytes(s, "scores", &score_size);
  const guint8 *masks = get_bytes(s, "masks", &mask_size);
  if (!boxes || !scores || !masks || box_size / (4 * sizeof(gint32)) != n ||
      box_size % (4 * sizeof(gint32)) != 0 || score_size != sizeof(gfloat) * (gsize)n)
    return 0;
  const gint width = gst_refseg_meta_get_width(meta), height = gst_refseg_meta_get_height(meta);
  gsize total = 0;
  for (guint i = 0; i < n; i++) {
    const gint32 *b = boxes + 4 * (gsize)i;
    if (b[2] <= 0 || b[3] <= 0 || b[0] < 0 || b[1] < 0 || b[0] > width - b[2] ||
        b[1] > height - b[3])
      return 0;
    const gsize area = (gsize)b[2] * (gsize)b[3]; /* <= width * height: no overflow */
    if (area > mask_size - total) return 0;
    total += area;
  }
  if (total != mask_size) return 0;
  if (boxes_out) *boxes_out = boxes;
  if (scores_out) *scores_out = scores;
  if (masks_out) *masks_out = masks;
  return n;
}

guint gst_refseg_meta_get_n_proposals(GstCustomMeta *meta) {
  g_return_val_if_fail(meta != NULL, 0);
  return consistent_proposals(meta, NULL, NULL, NULL);
}

gboolean gst_refseg_meta_get_proposal(GstCustomMeta *meta, guint index,
                                      GstRefSegProposal *proposal) {
  g_return_val_if_fail(meta != NULL && proposal != NULL, FALSE);
  const gint32 *boxes = NULL;
  const gfloat *scores = NULL;
  const guint8 *masks = NULL;
  const guint n = consistent_proposals(meta, &boxes, &scores, &masks);
  if (index >= n) return FALSE;
  gsize offset = 0;
  for (guint i = 0; i < index; i++) offset += (gsize)boxes[4 * i + 2] * boxes[4 * i + 3];
  const gint32 *b = boxes + 4 * (gsize)index;
  proposal->box = (GstRefSegBox){b[0], b[1], b[2], b[3]};
  proposal->score = scores[index];
  proposal->mask = masks + offset;
  return TRUE;
}

gboolean gst_refseg_meta_set_features(GstCustomMeta *meta, const gchar *model, guint n, guint dim,
                                      const gfloat *global_features, const gfloat *local_features) {
  g_return_val_if_fail(meta != NULL, FALSE);
  if (n != gst_refseg_meta_get_n_proposals(meta) || dim == 0) return FALSE;
  if (n > 0 && (!global_features || !local_features)) return FALSE;
  const gsize size = sizeof(gfloat) * (gsize)n * dim;
  GstStructure *s = gst_custom_meta_get_structure(meta);
  gst_refseg_meta_clear_selections(meta);
  gst_structure_set(s, "feature-model", G_TYPE_STRING, model ? model : "", "feature-dim",
                    G_TYPE_UINT, dim, NULL);
  set_bytes(s, "global-features", n ? g_memdup2(global_features, size) : NULL, size);
  set_bytes(s, "local-features", n ? g_memdup2(local_features, size) : NULL, size);
  return TRUE;
}

const gfloat *gst_refseg_meta_get_features(GstCustomMeta *meta, GstRefSegFeatureKind kind, guint *n,
                                           guint *dim) {
  g_return_val_if_fail(meta != NULL, NULL);
  GstStructure *s = gst_custom_meta_get_structure(meta);
  const guint count = gst_refseg_meta_get_n_proposals(meta);
  const guint d = get_uint(meta, "feature-dim");
  gsize size;
  const gfloat *data =
      get_bytes(s, kind == GST_REFSEG_FEATURE_GLOBAL ? "global-features" : "local-features", &size);
  /* count is bounded by the boxes actually stored; d is any guint, so the
   * product is checked before it is formed. */
  const gboolean fits = d == 0 || (gsize)count <= G_MAXSIZE / sizeof(gfloat) / d;
  if (!gst_structure_has_field(s, "feature-dim") || !fits ||
      size != sizeof(gfloat) * (gsize)count * d) {
    if (n) *n = 0;
    if (dim) *dim = 0;
    return NULL;
  }
  if (n) *n = count;
  if (dim) *dim = d;
  /* A frame with zero proposals has features of no rows: not NULL. */
  static const gfloat no_rows[1] = {0};
  return data ? data : no_rows;
}

const gchar *gst_refseg_meta_get_feature_model(GstCustomMeta *meta) {
  g_return_val_if_fail(meta != NULL, NULL);
  return gst_structure_get_string(gst_custom_meta_get_structure(meta), "feature-model");
}

gboolean gst_refseg_meta_add_selection(GstCustomMeta *meta, const gchar *expression,
                                       const gchar *phrase, gint index, gfloat score,
                                       guint n_scores, const gfloat *scores) {
  g_return_val_if_fail(meta != NULL, FALSE);
  const guint n = gst_refseg_meta_get_n_proposals(meta);
  /* No scores at all is allowed only for "nothing selected" (e.g. frames without features). */
  const gboolean unscored = n_scores == 0 && index == -1;
  if ((n_scores != n && !unscored) || index < -1 || index >= (gint)n || (n_scores > 0 && !scores))
    return FALSE;
  GstStructure *s = gst_custom_meta_get_structure(meta);
  const guint count = get_uint(meta, FIELD_SELECTION_COUNT);
  GstStructure *selection =
      gst_structure_new("refseg-selection", "expression", G_TYPE_STRING,
                        expression ? expression : "", "phrase", G_TYPE_STRING, phrase ? phrase : "",
                        "index", G_TYPE_INT, index, "score", G_TYPE_FLOAT, score, NULL);
  set_bytes(selection, "scores", n_scores ? g_memdup2(scores, sizeof(gfloat) * n_scores) : NULL,
            sizeof(gfloat) * n_scores);
  gchar *name = g_strdup_printf("selection-%u", count);
  gst_structure_set(s, name, GST_TYPE_STRUCTURE, selection, FIELD_SELECTION_COUNT, G_TYPE_UINT,
                    count + 1, NULL);
  g_free(name);
  gst_structure_free(selection);
  return TRUE;
}

guint gst_refseg_meta_get_n_selections(GstCustomMeta *meta) {
  g_return_val_if_fail(meta != NULL, 0);
  return get_uint(meta, FIELD_SELECTION_COUNT);
}

gboolean gst_refseg_meta_get_selection(GstCustomMeta *meta, guint index,
                                       GstRefSegSelection *selection) {
  g_return_val_if_fail(meta != NULL && selection != NULL, FALSE);
  if (index >= gst_refseg_meta_get_n_selections(meta)) return FALSE;
  gchar *name = g_strdup_printf("selection-%u", index);
  const GValue *v = gst_structure_get_value(gst_custom_meta_get_structure(meta), name);
  g_free(name);
  if (!v || !GST_VALUE_HOLDS_STRUCTURE(v)) return FALSE;
  GstStructure *sel = (GstStructure *)gst_value_get_structure(v);
  gsize size;
  selection->expression = gst_structure_get_string(sel, "expression");
  selection->phrase = gst_structure_get_string(sel, "phrase");
  selection->index = -1;
  selection->score = 0.f;
  gst_structure_get_int(sel, "index", &selection->index);
  gst_structure_get(sel, "score", G_TYPE_FLOAT, &selection->score, NULL);
  selection->scores = get_bytes(sel, "scores", &size);
  selection->n_scores = size / sizeof(gfloat);
  return TRUE;
}

/* The selection's structure, to change: a copy, stored back by put_selection. */
static GstStructure *take_selection(GstCustomMeta *meta, guint index, gchar **name) {
  if (index >= gst_refseg_meta_get_n_selections(meta)) return NULL;
  *name = g_strdup_printf("selection-%u", index);
  const GValue *v = gst_structure_get_value(gst_custom_meta_get_structure(meta), *name);
  if (!v || !GST_VALUE_HOLDS_STRUCTURE(v)) {
    g_free(*name);
    return NULL;
  }
  return gst_structure_copy(gst_value_get_structure(v));
}

static void put_selection(GstCustomMeta *meta, gchar *name, GstStructure *selection) {
  gst_structure_set(gst_custom_meta_get_structure(meta), name, GST_TYPE_STRUCTURE, selection, NULL);
  gst_structure_free(selection);
  g_free(name);
}

static const GstStructure *peek_selection(GstCustomMeta *meta, guint index) {
  if (index >= gst_refseg_meta_get_n_selections(meta)) return NULL;
  gchar *name = g_strdup_printf("selection-%u", index);
  const GValue *v = gst_structure_get_value(gst_custom_meta_get_structure(meta), name);
  g_free(name);
  return v && GST_VALUE_HOLDS_STRUCTURE(v) ? gst_value_get_structure(v) : NULL;
}

gboolean gst_refseg_meta_set_selection_reason(GstCustomMeta *meta, guint index,
                                              const gchar *reason) {
  g_return_val_if_fail(meta != NULL, FALSE);
  gchar *name = NULL;
  GstStructure *sel = take_selection(meta, index, &name);
  if (!sel) return FALSE;
  if (reason)
    gst_structure_set(sel, "reason", G_TYPE_STRING, reason, NULL);
  else
    gst_structure_remove_field(sel, "reason");
  put_selection(meta, name, sel);
  return TRUE;
}

const gchar *gst_refseg_meta_get_selection_reason(GstCustomMeta *meta, guint index) {
  g_return_val_if_fail(meta != NULL, NULL);
  const GstStructure *sel = peek_selection(meta, index);
  return sel ? gst_structure_get_string(sel, "reason") : NULL;
}

gboolean gst_refseg_meta_set_selection_track(GstCustomMeta *meta, guint index, gint track_id,
                                             const GstRefSegBox *box) {
  g_return_val_if_fail(meta != NULL && box != NULL, FALSE);
  gchar *name = NULL;
  GstStructure *sel = take_selection(meta, index, &name);
  if (!sel) return FALSE;
  gst_structure_set(sel, "track-id", G_TYPE_INT, track_id, "x", G_TYPE_INT, box->x, "y", G_TYPE_INT,
                    box->y, "width", G_TYPE_INT, box->width, "height", G_TYPE_INT, box->height,
                    NULL);
  put_selection(meta, name, sel);
  return TRUE;
}

gboolean gst_refseg_meta_get_selection_track(GstCustomMeta *meta, guint index, gint *track_id,
                                             GstRefSegBox *box) {
  g_return_val_if_fail(meta != NULL, FALSE);
  const GstStructure *sel = peek_selection(meta, index);
  gint id = -1;
  GstRefSegBox b = {0, 0, 0, 0};
  if (!sel || !gst_structure_get_int(sel, "track-id", &id) ||
      !gst_structure_get(sel, "x", G_TYPE_INT, &b.x, "y", G_TYPE_INT, &b.y, "width", G_TYPE_INT,
                         &b.width, "height", G_TYPE_INT, &b.height, NULL))
    return FALSE;
  if (track_id) *track_id = id;
  if (box) *box = b;
  return TRUE;
}

gboolean gst_refseg_meta_set_selection_spatial(GstCustomMeta *meta, guint index,
                                               const GstRefSegSpatial *spatial) {
  g_return_val_if_fail(meta != NULL && spatial != NULL, FALSE);
  gchar *name = NULL;
  GstStructure *sel = take_selection(meta, index, &name);
  if (!sel) return FALSE;
  GstStructure *sp = gst_structure_new(
      "refseg-spatial", "summary", G_TYPE_STRING, spatial->summary ? spatial->summary : "",
      "target", G_TYPE_STRING, spatial->target ? spatial->target : "", "anchor-index", G_TYPE_INT,
      spatial->anchor_index, "resolved", G_TYPE_BOOLEAN, spatial->resolved, NULL);
  if (spatial->relation) gst_structure_set(sp, "relation", G_TYPE_STRING, spatial->relation, NULL);
  if (spatial->anchor) gst_structure_set(sp, "anchor", G_TYPE_STRING, spatial->anchor, NULL);
  gst_structure_set(sel, "spatial", GST_TYPE_STRUCTURE, sp, NULL);
  gst_structure_free(sp);
  put_selection(meta, name, sel);
  return TRUE;
}

gboolean gst_refseg_meta_get_selection_spatial(GstCustomMeta *meta, guint index,
                                               GstRefSegSpatial *spatial) {
  g_return_val_if_fail(meta != NULL, FALSE);
  const GstStructure *sel = peek_selection(meta, index);
  const GValue *v = sel ? gst_structure_get_value(sel, "spatial") : NULL;
  if (!v || !GST_VALUE_HOLDS_STRUCTURE(v)) return FALSE;
  const GstStructure *sp = gst_value_get_structure(v);
  if (spatial) {
    spatial->summary = gst_structure_get_string(sp, "summary");
    spatial->target = gst_structure_get_string(sp, "target");
    spatial->relation = gst_structure_get_string(sp, "relation");
    spatial->anchor = gst_structure_get_string(sp, "anchor");
    spatial->anchor_index = -1;
    gst_structure_get_int(sp, "anchor-index", &spatial->anchor_index);
    spatial->resolved = FALSE;
    gst_structure_get_boolean(sp, "resolved", &spatial->resolved);
  }
  return TRUE;
}

gboolean gst_refseg_meta_set_track_ids(GstCustomMeta *meta, guint n, const gint *track_ids) {
  g_return_val_if_fail(meta != NULL, FALSE);
  if (n != gst_refseg_meta_get_n_proposals(meta) || (n > 0 && !track_ids)) return FALSE;
  gint32 *ids = g_new(gint32, n ? n : 1);
  for (guint i = 0; i < n; i++) ids[i] = track_ids[i];
  set_bytes(gst_custom_meta_get_structure(meta), "track-ids", ids, sizeof(gint32) * n);
  return TRUE;
}

const gint *gst_refseg_meta_get_track_ids(GstCustomMeta *meta, guint *n) {
  g_return_val_if_fail(meta != NULL, NULL);
  gsize size = 0;
  const gint32 *ids = get_bytes(gst_custom_meta_get_structure(meta), "track-ids", &size);
  const guint count = gst_refseg_meta_get_n_proposals(meta);
  if (!gst_structure_has_field(gst_custom_meta_get_structure(meta), "track-ids") ||
      size != sizeof(gint32) * count) {
    if (n) *n = 0;
    return NULL;
  }
  if (n) *n = count;
  static const gint32 no_ids[1] = {0};
  return ids ? (const gint *)ids : (const gint *)no_ids;
}

void gst_refseg_meta_set_analysed_pts(GstCustomMeta *meta, GstClockTime pts) {
  g_return_if_fail(meta != NULL);
  gst_structure_set(gst_custom_meta_get_structure(meta), "analysed-pts", G_TYPE_UINT64,
                    (guint64)pts, NULL);
}

GstClockTime gst_refseg_meta_get_analysed_pts(GstCustomMeta *meta) {
  g_return_val_if_fail(meta != NULL, GST_CLOCK_TIME_NONE);
  guint64 pts = GST_CLOCK_TIME_NONE;
  if (!gst_structure_get_uint64(gst_custom_meta_get_structure(meta), "analysed-pts", &pts))
    return GST_CLOCK_TIME_NONE;
  return pts;
}

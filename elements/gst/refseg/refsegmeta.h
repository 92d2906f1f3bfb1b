/* gst-refseg: per-frame results of referring segmentation.
 *
 * One GstCustomMeta named "GstRefSegMeta" per frame, holding a GstStructure
 * named "refseg". The structure is the storage, so any language with
 * GObject introspection (Python with PyGObject alone) reads it with
 * gst_buffer_get_custom_meta() and gst_custom_meta_get_structure(); C and
 * C++ use the typed accessors below. Fields (docs/metadata.md has the full
 * description):
 *
 *   width, height       gint    frame size the geometry refers to
 *   n-proposals         guint   N
 *   boxes               GBytes  N x {gint32 x, y, width, height}
 *   scores              GBytes  N x gfloat, proposal generator's scores
 *   masks               GBytes  concatenated box-cropped masks, 0 or 255,
 *                               proposal i has boxes[i].width * height bytes
 *   feature-model       gchar*  model the features come from
 *   feature-dim         guint   D
 *   global-features     GBytes  N x D gfloat, unnormalized
 *   local-features      GBytes  N x D gfloat, unnormalized
 *   track-ids           GBytes  N x gint32, the tracker's object identities
 *                               (refsegtracker; absent before it)
 *   analysed-pts        guint64 PTS of the frame the results were computed
 *                               on (refsegtracker; older than the frame's own
 *                               PTS when results were carried onto it)
 *   n-selections        guint   S
 *   selection-<i>       GstStructure "refseg-selection" with expression,
 *                       phrase (gchar*), index (gint, -1 = none),
 *                       score (gfloat), scores (GBytes N x gfloat), and
 *                       optionally reason (gchar*, why index is -1),
 *                       track-id (gint) and box (x, y, width, height gint),
 *                       spatial (GstStructure "refseg-spatial": summary,
 *                       target, relation, anchor (gchar*), anchor-index
 *                       (gint), resolved (gboolean))
 *
 * Setting proposals clears features and selections, setting features clears
 * selections: results never refer to proposals they were not computed for.
 *
 * The meta survives buffer copies and transforms that keep the frame
 * geometry (same width and height); other transforms drop it.
 */
#ifndef __GST_REFSEG_META_H__
#define __GST_REFSEG_META_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#ifndef GST_REFSEG_API
#define GST_REFSEG_API __attribute__((visibility("default"))) extern
#endif

#define GST_REFSEG_META_NAME "GstRefSegMeta"

typedef struct {
  gint x, y, width, height;
} GstRefSegBox;

typedef struct {
  GstRefSegBox box;
  gfloat score;
  /* box.width * box.height bytes, row-major, 0 or 255 */
  const guint8 *mask;
} GstRefSegProposal;

typedef enum {
  GST_REFSEG_FEATURE_GLOBAL,
  GST_REFSEG_FEATURE_LOCAL,
} GstRefSegFeatureKind;

typedef struct {
  const gchar *expression;
  const gchar *phrase;
  gint index; /* selected proposal, -1 when nothing was selected */
  gfloat score;
  guint n_scores;
  const gfloat *scores; /* one per proposal, in proposal order */
} GstRefSegSelection;

/* Registers the meta (idempotent, thread-safe). */
GST_REFSEG_API const GstMetaInfo *gst_refseg_meta_get_info(void);

/* Returns the frame's meta, adding an empty one of the given size if the
 * buffer has none. An existing meta of another size is reset. */
GST_REFSEG_API GstCustomMeta *gst_buffer_add_refseg_meta(GstBuffer *buffer, gint width,
                                                         gint height);
GST_REFSEG_API GstCustomMeta *gst_buffer_get_refseg_meta(GstBuffer *buffer);

GST_REFSEG_API gint gst_refseg_meta_get_width(GstCustomMeta *meta);
GST_REFSEG_API gint gst_refseg_meta_get_height(GstCustomMeta *meta);

/* masks[i] holds boxes[i].width * boxes[i].height bytes. Boxes must lie in
 * the frame. Returns FALSE (and changes nothing) on invalid input. */
GST_REFSEG_API gboolean gst_refseg_meta_set_proposals(GstCustomMeta *meta, guint n,
                                                      const GstRefSegBox *boxes,
                                                      const gfloat *scores,
                                                      const guint8 *const *masks);
/* The structure can be written by anyone: proposals count only when the
 * fields agree (exactly N boxes and N scores, every box non-empty and inside
 * the frame, masks of exactly their total area); otherwise N reads as 0. */
GST_REFSEG_API guint gst_refseg_meta_get_n_proposals(GstCustomMeta *meta);
/* The returned mask pointer stays valid while the meta is unchanged. */
GST_REFSEG_API gboolean gst_refseg_meta_get_proposal(GstCustomMeta *meta, guint index,
                                                     GstRefSegProposal *proposal);

/* n must equal the number of proposals. */
GST_REFSEG_API gboolean gst_refseg_meta_set_features(GstCustomMeta *meta, const gchar *model,
                                                     guint n, guint dim,
                                                     const gfloat *global_features,
                                                     const gfloat *local_features);
/* n x dim row-major, or NULL when the frame has no features. */
GST_REFSEG_API const gfloat *gst_refseg_meta_get_features(GstCustomMeta *meta,
                                                          GstRefSegFeatureKind kind, guint *n,
                                                          guint *dim);
GST_REFSEG_API const gchar *gst_refseg_meta_get_feature_model(GstCustomMeta *meta);

/* n_scores must equal the number of proposals, or be 0 with index -1 (nothing
 * could be scored, e.g. no features); index in [-1, n). */
GST_REFSEG_API gboolean gst_refseg_meta_add_selection(GstCustomMeta *meta, const gchar *expression,
                                                      const gchar *phrase, gint index, gfloat score,
                                                      guint n_scores, const gfloat *scores);
GST_REFSEG_API guint gst_refseg_meta_get_n_selections(GstCustomMeta *meta);
GST_REFSEG_API gboolean gst_refseg_meta_get_selection(GstCustomMeta *meta, guint index,
                                                      GstRefSegSelection *selection);
GST_REFSEG_API void gst_refseg_meta_clear_selections(GstCustomMeta *meta);

/* Why a selection is -1 ("best score 12.3 is below the threshold 20"); NULL
 * when it has no reason. */
GST_REFSEG_API gboolean gst_refseg_meta_set_selection_reason(GstCustomMeta *meta, guint index,
                                                             const gchar *reason);
GST_REFSEG_API const gchar *gst_refseg_meta_get_selection_reason(GstCustomMeta *meta, guint index);

/* The tracked object a selection follows (refsegtracker): its track id and
 * where it is on this frame. get returns FALSE when the selection has no
 * track (nothing selected, or no tracker upstream). */
GST_REFSEG_API gboolean gst_refseg_meta_set_selection_track(GstCustomMeta *meta, guint index,
                                                            gint track_id, const GstRefSegBox *box);
GST_REFSEG_API gboolean gst_refseg_meta_get_selection_track(GstCustomMeta *meta, guint index,
                                                            gint *track_id, GstRefSegBox *box);

/* What a selection's spatial words were resolved to (refsegselector with
 * spatial=true, docs/metadata.md): the parts found and the proposal taken
 * as the anchor. Strings returned by get belong to the meta. */
typedef struct {
  const gchar *summary;  /* one line: target "the dog"; below "the table" */
  const gchar *target;   /* target description; "" when only generic words remain */
  const gchar *relation; /* "left-of", "below", ...; NULL without a relation */
  const gchar *anchor;   /* anchor description; NULL without a relation */
  gint anchor_index;     /* proposal taken as the anchor, -1 without */
  gboolean resolved;     /* FALSE: spatial words found but not used; summary says why */
} GstRefSegSpatial;

GST_REFSEG_API gboolean gst_refseg_meta_set_selection_spatial(GstCustomMeta *meta, guint index,
                                                              const GstRefSegSpatial *spatial);
/* FALSE when the selection has no spatial words (or spatial was off). */
GST_REFSEG_API gboolean gst_refseg_meta_get_selection_spatial(GstCustomMeta *meta, guint index,
                                                              GstRefSegSpatial *spatial);

/* One track id per proposal (n must equal the number of proposals); set
 * after the proposals, which clear them. get returns NULL when absent. */
GST_REFSEG_API gboolean gst_refseg_meta_set_track_ids(GstCustomMeta *meta, guint n,
                                                      const gint *track_ids);
GST_REFSEG_API const gint *gst_refseg_meta_get_track_ids(GstCustomMeta *meta, guint *n);

/* PTS of the analysed frame the results come from; GST_CLOCK_TIME_NONE
 * when not set. */
GST_REFSEG_API void gst_refseg_meta_set_analysed_pts(GstCustomMeta *meta, GstClockTime pts);
GST_REFSEG_API GstClockTime gst_refseg_meta_get_analysed_pts(GstCustomMeta *meta);

G_END_DECLS

#endif /* __GST_REFSEG_META_H__ */

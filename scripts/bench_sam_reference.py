#!/usr/bin/python3
"""The reference implementations' times for what tools/bench_sam measures.

Dev-time only (tools/bench_sam runs it with --segment-anything/--mobilesam):
imports segment-anything and MobileSAM from fetched checkouts given on the
command line (never committed), loads each checkpoint with the reference's
own builder (MobileSAM's vit_t for TinyViT files, segment-anything's vit_b/l/h
otherwise) and times on the given raw RGB frame, fp32, with --threads:

  image encoder   SamPredictor.set_image (resize, normalise, encoder)
  mask decoder    prompt encoder + MaskDecoder for 64 points of an 8x8 grid,
                  multimask (the low-resolution logits and IoU predictions)
  analysis        SamAutomaticMaskGenerator(points_per_side=N,
                  points_per_batch=64, pred_iou_thresh=0, stability_score_thresh=0,
                  box_nms_thresh=1.0).generate(frame): every mask through every
                  step and kept, the set_image included

  bench_sam_reference.py --segment-anything SA --mobilesam MS --frame F.rgb
      --size 640x480 [--threads 2] [--runs 1] [--points-per-side 16] CHECKPOINT...
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_sam_fixtures as fixtures  # noqa: E402


def timed(runs, fn, warm_up=True):
    """Median ms of `runs` calls, after one warm-up (as tools/bench_report)
    unless warm_up is False (the analysis: its encoder and decoder ran warm)."""
    if warm_up:
        fn()
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        ts.append((time.perf_counter() - t) * 1000)
    return statistics.median(ts), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--segment-anything", required=True)
    ap.add_argument("--mobilesam", required=True)
    ap.add_argument("--frame", required=True, help="raw RGB bytes, WIDTHxHEIGHT")
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--points-per-side", type=int, default=16)
    ap.add_argument("--no-analysis", action="store_true", help="image encoder and decoder only")
    ap.add_argument("checkpoints", nargs="+")
    a = ap.parse_args()
    sa, ms = fixtures.import_references(a.segment_anything, a.mobilesam)
    import segment_anything.automatic_mask_generator  # noqa: F401
    import mobile_sam.automatic_mask_generator  # noqa: F401
    torch.set_num_threads(a.threads)
    w, h = (int(v) for v in a.size.split("x"))
    frame = np.fromfile(a.frame, dtype=np.uint8).reshape(h, w, 3)
    print("reference (Python torch %s, %d threads, fp32):" % (torch.__version__, a.threads))
    for path in a.checkpoints:
        keys = torch.load(path, map_location="cpu")
        if "image_encoder.patch_embed.seq.0.c.weight" in keys:
            pkg, kind = ms, "vit_t"
        else:
            pkg = sa
            kind = {768: "vit_b", 1024: "vit_l", 1280: "vit_h"}[keys["image_encoder.pos_embed"].shape[-1]]
        del keys
        sam = pkg.sam_model_registry[kind](checkpoint=path).eval()
        predictor = pkg.SamPredictor(sam)
        with torch.no_grad():
            enc_ms, _ = timed(a.runs, lambda: predictor.set_image(frame))
            grid = fixtures_grid(8) * np.array([w, h])
            coords = predictor.transform.apply_coords(grid, (h, w))
            pts = torch.as_tensor(coords, dtype=torch.float32)[:, None, :]
            labels = torch.ones(pts.shape[0], 1, dtype=torch.int)

            def decode():
                sparse, dense = sam.prompt_encoder(points=(pts, labels), boxes=None, masks=None)
                return sam.mask_decoder(predictor.features, sam.prompt_encoder.get_dense_pe(),
                                        sparse, dense, True)
            dec_ms, _ = timed(a.runs, decode)
            if a.no_analysis:
                print("  %s (%s): image encoder %.0f ms | mask decoder, 64 prompts %.0f ms" % (
                    path, kind, enc_ms, dec_ms))
                continue
            gen = pkg.automatic_mask_generator.SamAutomaticMaskGenerator(
                sam, points_per_side=a.points_per_side, points_per_batch=64, pred_iou_thresh=0.0,
                stability_score_thresh=0.0, box_nms_thresh=1.0)
            amg_ms, anns = timed(a.runs, lambda: gen.generate(frame), warm_up=False)
        print("  %s (%s): image encoder %.0f ms | mask decoder, 64 prompts %.0f ms | analysis, "
              "%dx%d grid, thresholds 0 / 0, box NMS 1: %d masks, %.0f ms" % (
                  path, kind, enc_ms, dec_ms, a.points_per_side, a.points_per_side, len(anns),
                  amg_ms))
        sys.stdout.flush()


def fixtures_grid(n):
    """build_point_grid(n) as segment-anything's amg.py builds it."""
    from segment_anything.utils.amg import build_point_grid
    return build_point_grid(n)


if __name__ == "__main__":
    main()

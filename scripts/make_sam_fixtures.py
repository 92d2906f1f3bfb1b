#!/usr/bin/python3
"""Writes the Segment Anything fixtures under tests/fixtures/sam/.

Dev-time only: imports the reference implementations from fetched checkouts
(never committed) of facebookresearch/segment-anything and
ChaoningZhang/MobileSAM, given on the command line:

  /usr/bin/python3 scripts/make_sam_fixtures.py \
      --segment-anything /tmp/ref-sam/segment-anything --mobilesam /tmp/ref-sam/MobileSAM

Random-weight checkpoints in the released layouts (torch.save of Sam's
state dict, the real key names and layer structure, tiny widths/depths where
the architecture allows) and the reference's outputs for them:

  sam_vit_small.pth        SAM ViT: embed 16, depth 4 (global blocks 1, 3),
                           2 heads, window 14, neck/prompt dim 16, 1024 input
  mobile_sam_small.pt      MobileSAM TinyViT: dims 16/24/32/320 (the last must
                           be 320: the reference's PatchMerging keeps stride 1
                           only for 320/448/576), depths 1/1/2/1, mlp ratio 1,
                           10 classes in the (unused) classifier head, neck and
                           prompt dim 16 instead of the hard-coded 256 (the
                           neck is replaced after construction, same keys).
                           Stored in fp16 to keep the file small (the 320-wide
                           stage alone is 0.7M parameters); the weights are
                           rounded to fp16 before the reference runs in fp32
  <name>_reference.pt      dict: "image" the preprocessed input [1,3,1024,1024]
                           sampled every 13th pixel, "embedding" [1,C,64,64] of
                           the synthetic 640x480 frame, "input_size" (h, w)
  preprocess_reference.pt  dict: per frame size WxH, the resized uint8 image
                           (ResizeLongestSide(1024).apply_image) as "resized_WxH"
                           for thin frames, row/column sums for the 640x480 one

With --real-size DIR it also writes full-size random checkpoints for the
benchmarks (NOT committed): DIR/mobile_sam_random.pt, DIR/sam_vit_b_random.pth.

Each part is its own function (vit/tiny-vit checkpoints, encoder outputs,
preprocessing) so the decoder fixtures can be added beside them.
"""
import argparse
import os
import sys
import types
from functools import partial

import numpy as np
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "sam")


def stub_timm():
    """MobileSAM's tiny_vit_sam.py imports timm only for DropPath, to_2tuple,
    trunc_normal_ and register_model; none of them matter at inference."""
    if "timm" in sys.modules:
        return
    timm = types.ModuleType("timm")
    models = types.ModuleType("timm.models")
    layers = types.ModuleType("timm.models.layers")
    registry = types.ModuleType("timm.models.registry")

    class DropPath(nn.Module):
        def __init__(self, drop_prob=None):
            super().__init__()
            self.drop_prob = drop_prob

        def forward(self, x):
            return x

    layers.DropPath = DropPath
    layers.to_2tuple = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    layers.trunc_normal_ = lambda t, std=1.0, **kw: nn.init.trunc_normal_(t, std=std)
    registry.register_model = lambda fn: fn
    timm.models = models
    models.layers = layers
    models.registry = registry
    sys.modules.update({"timm": timm, "timm.models": models, "timm.models.layers": layers,
                        "timm.models.registry": registry})


def import_references(sam_root, mobile_root):
    stub_timm()
    sys.path.insert(0, sam_root)
    sys.path.insert(0, mobile_root)
    import segment_anything  # noqa: F401
    import mobile_sam  # noqa: F401
    return segment_anything, mobile_sam


def frame_pixels(width, height):
    """scripts/make_reference_fixtures.py's synthetic frame (the C++ tests
    rebuild it with tests/clip/reference_fixture.h's SyntheticFrame)."""
    y, x, c = np.meshgrid(np.arange(height, dtype=np.int64), np.arange(width, dtype=np.int64),
                          np.arange(3, dtype=np.int64), indexing="ij")
    h = x * 131 + y * 197 + c * 61
    return ((x * 5 + y * 3 + c * 70 + (h * h) % 61) % 256).astype(np.uint8)


def randomize(model, seed):
    """Every parameter and buffer random but well scaled, so each one matters
    to the output: weights ~ N(0, 1/fan_in), norms' weights near 1, biases,
    relative positions, attention biases and BatchNorm statistics non-zero."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2 and "rel_pos" not in name and "attention_biases" not in name \
                    and "pos_embed" not in name and "gaussian" not in name:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / fan_in ** 0.5)
            elif name.endswith("weight") and p.dim() == 1:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(0.2 * torch.randn(b.shape, generator=g))
            elif name.endswith("running_var"):
                b.copy_(0.5 + torch.rand(b.shape, generator=g))
            elif b.is_floating_point() and "pixel_" not in name:
                b.copy_(torch.randn(b.shape, generator=g))
    return model


def prompt_and_decoder(sa, dim):
    """The released prompt encoder and mask decoder structure at width `dim`."""
    prompt = sa.modeling.PromptEncoder(embed_dim=dim, image_embedding_size=(64, 64),
                                       input_image_size=(1024, 1024), mask_in_chans=16)
    released = dim == 256  # the released decoder: mlp 2048, 8 heads
    decoder = sa.modeling.MaskDecoder(
        num_multimask_outputs=3,
        transformer=sa.modeling.TwoWayTransformer(depth=2, embedding_dim=dim,
                                                  mlp_dim=2048 if released else 2 * dim,
                                                  num_heads=8 if released else 2),
        transformer_dim=dim, iou_head_depth=3, iou_head_hidden_dim=dim)
    return prompt, decoder


def sam_vit(sa, embed_dim, depth, heads, global_attn, out_chans, decoder_dim=None):
    image_encoder = sa.modeling.ImageEncoderViT(
        depth=depth, embed_dim=embed_dim, img_size=1024, mlp_ratio=4,
        norm_layer=partial(torch.nn.LayerNorm, eps=1e-6), num_heads=heads, patch_size=16,
        qkv_bias=True, use_rel_pos=True, global_attn_indexes=global_attn, window_size=14,
        out_chans=out_chans)
    prompt, decoder = prompt_and_decoder(sa, decoder_dim or out_chans)
    return sa.modeling.Sam(image_encoder=image_encoder, prompt_encoder=prompt, mask_decoder=decoder,
                           pixel_mean=[123.675, 116.28, 103.53], pixel_std=[58.395, 57.12, 57.375])


def mobile_sam(ms, sa, embed_dims, depths, heads, mlp_ratio, neck_chans, num_classes=1000):
    enc = ms.modeling.TinyViT(img_size=1024, in_chans=3, num_classes=num_classes,
                              embed_dims=embed_dims,
                              depths=depths, num_heads=heads, window_sizes=[7, 7, 14, 7],
                              mlp_ratio=mlp_ratio, drop_rate=0.0, drop_path_rate=0.0,
                              use_checkpoint=False, mbconv_expand_ratio=4.0, local_conv_size=3,
                              layer_lr_decay=0.8)
    if neck_chans != 256:
        LN2d = ms.modeling.tiny_vit_sam.LayerNorm2d
        enc.neck = nn.Sequential(
            nn.Conv2d(embed_dims[-1], neck_chans, kernel_size=1, bias=False), LN2d(neck_chans),
            nn.Conv2d(neck_chans, neck_chans, kernel_size=3, padding=1, bias=False),
            LN2d(neck_chans))
    prompt, decoder = prompt_and_decoder(ms, neck_chans)
    return ms.modeling.Sam(image_encoder=enc, prompt_encoder=prompt, mask_decoder=decoder,
                           pixel_mean=[123.675, 116.28, 103.53], pixel_std=[58.395, 57.12, 57.375])


def small_models(sa, ms):
    vit = randomize(sam_vit(sa, embed_dim=16, depth=4, heads=2, global_attn=[1, 3], out_chans=16),
                    seed=1).eval()
    tiny = randomize(mobile_sam(ms, sa, embed_dims=[16, 24, 32, 320], depths=[1, 1, 2, 1],
                                heads=[2, 2, 2, 10], mlp_ratio=1.0, neck_chans=16,
                                num_classes=10), seed=2)
    round_to_fp16(tiny)
    return {"sam_vit_small.pth": (vit.eval(), torch.float32),
            "mobile_sam_small.pt": (tiny.eval(), torch.float16)}


def round_to_fp16(model):
    with torch.no_grad():
        # Not pixel_mean/pixel_std: they are not in the state dict.
        tensors = list(model.parameters()) + [b for n, b in model.named_buffers()
                                              if "pixel_" not in n]
        for t in tensors:
            if t.is_floating_point():
                t.copy_(t.half().float())


def reference_input(sam, image, sa):
    """What SamPredictor.set_image does before the encoder."""
    transform = sa.utils.transforms.ResizeLongestSide(sam.image_encoder.img_size)
    resized = transform.apply_image(image)
    x = torch.as_tensor(resized).permute(2, 0, 1).contiguous()[None, :, :, :]
    return sam.preprocess(x), resized.shape[:2]


def encoder_outputs(sam, sa):
    image = frame_pixels(640, 480)
    with torch.no_grad():
        x, size = reference_input(sam, image, sa)
        embedding = sam.image_encoder(x)
    return {"image": x[:, :, ::13, ::13].contiguous(), "embedding": embedding.contiguous(),
            "input_size": torch.tensor(size, dtype=torch.long)}


def preprocess_outputs(sa):
    transform = sa.utils.transforms.ResizeLongestSide(1024)
    out = {}
    for w, h in [(400, 20), (2000, 60), (15, 300)]:  # up, down, up along y
        out["resized_%dx%d" % (w, h)] = torch.from_numpy(transform.apply_image(frame_pixels(w, h)))
    for w, h in [(640, 480), (1500, 1100)]:
        r = torch.from_numpy(transform.apply_image(frame_pixels(w, h))).to(torch.int64)
        out["rows_%dx%d" % (w, h)] = r.sum(dim=1)   # [H', 3]
        out["cols_%dx%d" % (w, h)] = r.sum(dim=0)   # [W', 3]
        out["sample_%dx%d" % (w, h)] = r[::7, ::7].to(torch.uint8).contiguous()
    return out


def released_layouts(sa, ms, path):
    """The names and shapes of every tensor of the four released checkpoints
    (sam_vit_b/l/h, mobile_sam), built by the reference's own builders
    without weights: for the C++ architecture tests, which cannot carry
    2.5 GB of ViT-H. One line per tensor: layout name shape..."""
    builders = [("vit_b", sa.sam_model_registry["vit_b"]), ("vit_l", sa.sam_model_registry["vit_l"]),
                ("vit_h", sa.sam_model_registry["vit_h"]), ("tiny_vit", ms.sam_model_registry["vit_t"])]
    with open(path, "w") as f:
        f.write("# layout tensor-name shape (scripts/make_sam_fixtures.py, from the reference's "
                "build_sam_vit_b/l/h and MobileSAM's build_sam_vit_t)\n")
        for layout, build in builders:
            for k, v in build().state_dict().items():
                f.write("%s %s %s\n" % (layout, k, " ".join(str(d) for d in v.shape)))


def save_state_dict(model, path, dtype=torch.float32):
    sd = model.state_dict()
    for k, v in sd.items():
        if v.is_floating_point():
            sd[k] = v.to(dtype)
    torch.save(sd, path)


# SAM-B: prompt encoder, mask decoder, automatic masks, box NMS.

# Decoder prompts in frame pixels (640x480 synthetic frame); labels 1 fg, 0 bg.
DECODER_POINTS = [[[100.0, 120.0]], [[500.0, 300.0]], [[320.5, 240.25]], [[0.0, 479.0]]]
DECODER_POINT_PAIRS = ([[[200.0, 100.0], [260.0, 180.0]], [[610.0, 20.0], [30.0, 400.0]]],
                       [[1, 0], [1, 1]])
DECODER_BOXES = [[50.0, 60.0, 300.0, 280.0], [400.5, 10.0, 639.0, 470.0]]
DECODER_BOX_POINT = ([[120.0, 200.0, 330.0, 420.0]], [[[200.0, 300.0]]], [[1]])
LOW_RES_STRIDE = 3  # logits stored at [..., ::3, ::3] (not a multiple of the 4x upscaling)


def decoder_outputs(sam, predictor, sa):
    """SamPredictor.predict_torch on the synthetic frame for point, point-pair,
    box and box+point prompts (transformed as SamPredictor.predict does:
    float32 after apply_coords/apply_boxes), multimask and single."""
    tr = predictor.transform
    size = predictor.original_size

    def pts(p):
        return torch.as_tensor(tr.apply_coords(np.array(p), size), dtype=torch.float)

    def boxes(b):
        return torch.as_tensor(tr.apply_boxes(np.array(b), size), dtype=torch.float)

    out = {"embedding": predictor.features.clone(),
           "dense_pe": sam.prompt_encoder.get_dense_pe().clone(),
           "input_size": torch.tensor(predictor.input_size, dtype=torch.int64)}
    cases = {
        "points": dict(point_coords=pts(DECODER_POINTS),
                       point_labels=torch.ones(len(DECODER_POINTS), 1, dtype=torch.int)),
        "pairs": dict(point_coords=pts(DECODER_POINT_PAIRS[0]),
                      point_labels=torch.tensor(DECODER_POINT_PAIRS[1], dtype=torch.int)),
        "boxes": dict(point_coords=None, point_labels=None, boxes=boxes(DECODER_BOXES)),
        "box_point": dict(point_coords=pts(DECODER_BOX_POINT[1]),
                          point_labels=torch.tensor(DECODER_BOX_POINT[2], dtype=torch.int),
                          boxes=boxes(DECODER_BOX_POINT[0])),
    }
    with torch.no_grad():
        for name, kw in cases.items():
            for multi in (True, False):
                tag = "%s_%s" % (name, "multi" if multi else "single")
                masks, iou, low = predictor.predict_torch(multimask_output=multi,
                                                          return_logits=True, **kw)
                out[tag + "_iou"] = iou.clone()
                out[tag + "_low"] = low[..., ::LOW_RES_STRIDE, ::LOW_RES_STRIDE].contiguous()
                if tag == "boxes_single":  # frame-size masks, for box refinement
                    on = (masks[:, 0] > 0).numpy()
                    out[tag + "_frame_bits"] = torch.from_numpy(
                        np.stack([np.packbits(b) for b in on]))
                if tag == "points_multi":
                    out[tag + "_low_full0"] = low[0].clone()
                    out[tag + "_frame0"] = masks[0, :, ::5, ::5].clone()
                    out[tag + "_frame0_positive"] = (masks[0] > 0).sum(dim=(1, 2))
                if kw.get("point_coords") is not None:
                    out[name + "_coords"] = kw["point_coords"].clone()
                    out[name + "_labels"] = kw["point_labels"].to(torch.int64).contiguous()
                if kw.get("boxes") is not None:
                    out[name + "_boxes"] = kw["boxes"].clone()
    return out


AMG_STRIDE = 4  # "open" masks stored at [::4, ::4], bit-packed (rows of the subsampled mask)
AMG_SETTINGS = {  # name -> SamAutomaticMaskGenerator keyword arguments (8x8 grid)
    "open": dict(points_per_side=8, pred_iou_thresh=0.0, stability_score_thresh=0.0,
                 box_nms_thresh=1.0),
    "filters": dict(points_per_side=8, pred_iou_thresh=0.5, stability_score_thresh=1e-4,
                    box_nms_thresh=1.0),
    "nms": dict(points_per_side=8, pred_iou_thresh=0.0, stability_score_thresh=0.0),
    "defaults": dict(points_per_side=8),
    "regions": dict(points_per_side=4, pred_iou_thresh=0.0, stability_score_thresh=0.0,
                    min_mask_region_area=50),
}


def amg_records(anns, with_masks):
    """SamAutomaticMaskGenerator's output in its order: predicted IoU,
    stability score, XYWH box, area, prompt point; with_masks: each mask
    subsampled every AMG_STRIDE pixels and bit-packed (np.packbits per mask)."""
    f = lambda key: torch.tensor([a[key] for a in anns], dtype=torch.float32)
    out = {"predicted_iou": f("predicted_iou"), "stability_score": f("stability_score"),
           "bbox": torch.tensor([a["bbox"] for a in anns], dtype=torch.int64).reshape(-1, 4),
           "area": torch.tensor([a["area"] for a in anns], dtype=torch.int64),
           "point": torch.tensor([a["point_coords"][0] for a in anns],
                                 dtype=torch.float64).reshape(-1, 2)}
    if with_masks:
        bits = [np.packbits(a["segmentation"][::AMG_STRIDE, ::AMG_STRIDE]) for a in anns]
        out["mask_bits"] = torch.from_numpy(np.stack(bits)) if bits else torch.zeros(0, 0,
                                                                                    dtype=torch.uint8)
    return out


def amg_outputs(sam, sa, image):
    import segment_anything.automatic_mask_generator  # noqa: F401
    out = {"image_size": torch.tensor(image.shape[:2], dtype=torch.int64)}
    for name, kw in AMG_SETTINGS.items():
        gen = sa.automatic_mask_generator.SamAutomaticMaskGenerator(sam, **kw)
        anns = gen.generate(image)
        for k, v in amg_records(anns, name in ("open", "regions")).items():
            out[name + "_" + k] = v
        print("  automatic masks, %s: %d" % (name, len(anns)))
    return out


def nms_outputs():
    """torchvision's batched_nms (one category, as the generator calls it) on
    integer boxes with tied scores and tied overlaps."""
    from torchvision.ops.boxes import batched_nms
    g = torch.Generator().manual_seed(7)
    xy = torch.randint(0, 60, (200, 2), generator=g)
    wh = torch.randint(0, 40, (200, 2), generator=g)
    boxes = torch.cat([xy, xy + wh], 1)
    boxes[100:120] = boxes[80:100]  # duplicates
    scores = torch.randint(0, 12, (200,), generator=g).float() / 11
    out = {"boxes": boxes, "scores": scores}
    for t in (0.3, 0.5, 0.7, 1.0):
        out["keep_%g" % t] = batched_nms(boxes.float(), scores, torch.zeros(200), t)
    return out


def real_photo_path():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                        "real-photos", "000000439180.jpg")


def decoder_and_amg_fixtures(sa, models, out_dir):
    """SAM-B's references for the small checkpoints: decoder outputs for given
    prompts, automatic masks on the synthetic frame and (when ../shared has
    it) on the real photo 000000439180.jpg, whose outputs (not the photo) are
    committed; box NMS."""
    import cv2
    import segment_anything.predictor  # noqa: F401
    torch.save(nms_outputs(), os.path.join(out_dir, "nms_reference.pt"))
    photo = real_photo_path()
    for name, (model, _) in models.items():
        stem = name.rsplit(".", 1)[0]
        predictor = sa.predictor.SamPredictor(model)
        predictor.set_image(frame_pixels(640, 480))
        torch.save(decoder_outputs(model, predictor, sa),
                   os.path.join(out_dir, stem + "_decoder_reference.pt"))
        print(stem)
        torch.save(amg_outputs(model, sa, frame_pixels(640, 480)),
                   os.path.join(out_dir, stem + "_amg_synthetic.pt"))
        if os.path.exists(photo):
            rgb = cv2.cvtColor(cv2.imread(photo), cv2.COLOR_BGR2RGB)
            torch.save(amg_outputs(model, sa, rgb), os.path.join(out_dir, stem + "_amg_439180.pt"))
        else:
            print("  %s not found: no real-photo automatic-mask reference" % photo)



def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--segment-anything", required=True, help="checkout of segment-anything")
    ap.add_argument("--mobilesam", required=True, help="checkout of MobileSAM")
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--real-size", metavar="DIR", help="also write full-size random checkpoints")
    args = ap.parse_args()
    sa, ms = import_references(args.segment_anything, args.mobilesam)
    import segment_anything.utils.transforms  # noqa: F401
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)

    for name, (model, dtype) in small_models(sa, ms).items():
        save_state_dict(model, os.path.join(args.out, name), dtype)
        stem = name.rsplit(".", 1)[0]
        torch.save(encoder_outputs(model, sa), os.path.join(args.out, stem + "_reference.pt"))
    torch.save(preprocess_outputs(sa), os.path.join(args.out, "preprocess_reference.pt"))
    decoder_and_amg_fixtures(sa, small_models(sa, ms), args.out)
    released_layouts(sa, ms, os.path.join(args.out, "released_layouts.txt"))

    if args.real_size:
        os.makedirs(args.real_size, exist_ok=True)
        tiny = randomize(mobile_sam(ms, sa, [64, 128, 160, 320], [2, 2, 6, 2], [2, 4, 5, 10], 4.0,
                                    256), seed=3).eval()
        save_state_dict(tiny, os.path.join(args.real_size, "mobile_sam_random.pt"))
        vit_b = randomize(sam_vit(sa, 768, 12, 12, [2, 5, 8, 11], 256), seed=4).eval()
        save_state_dict(vit_b, os.path.join(args.real_size, "sam_vit_b_random.pth"))
        # Exactly the released layouts: the reference's builders load them.
        sa.sam_model_registry["vit_b"](os.path.join(args.real_size, "sam_vit_b_random.pth"))
        ms.sam_model_registry["vit_t"](os.path.join(args.real_size, "mobile_sam_random.pt"))
    for f in sorted(os.listdir(args.out)):
        print("%-32s %9d bytes" % (f, os.path.getsize(os.path.join(args.out, f))))


if __name__ == "__main__":
    main()

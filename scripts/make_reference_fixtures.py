#!/usr/bin/python3
"""Writes tests/fixtures/reference/*.txt: what the authors' released code
(github Seonghoon-Yu/Zero-shot-RIS) computes at each preprocessing step, on
small synthetic frames of non-square size with masks off the patch grid.

Each step below uses the very torchvision / Pillow call of their code
(data/dataset_refer_bert.py for the frame, Our_method_with_free_solo.py for
the global and local inputs, model/backbone.py CLIPViTFM.forward for the
mask grid); torchvision's tensor resizes are called with antialias=False,
what torchvision 0.11 (their version) did by default. The C++ test
tests/clip/test_reference_preprocess.cpp rebuilds the same frames and masks
and compares each step with these values.

Needs Debian's python3-torch, python3-torchvision and python3-pil, only to
regenerate these files (the tests read the committed text):
    apt-get install python3-torch python3-torchvision python3-pil
    /usr/bin/python3 scripts/make_reference_fixtures.py

It also writes tiny_vit_features.txt: the authors' whole image side end to
end (the steps above, then CLIPViTFM.forward's token masking from
masking_block = layers - 3 for the global feature and the plain tower on
the crops for the local one) with the tiny_vit parity fixture's weights
(tests/fixtures/clip/tiny_vit.pt, read through make_clip_fixtures.py's
modules), on the first frame and its masks.

File format: one line per entry, `key: v v v ...`; `#` starts a comment.
Large tensors are given by `<step>.idx` (flat row-major indices, seeded) and
`<step>.val` (the values there) plus `<step>.sum` (the sum of all elements).
"""
import os

import sys

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "reference")
R = 224      # ViT-B/32's input resolution
GRID = 7     # its patch grid, as CLIPViTFM.forward sizes the mask
SAMPLES = 400


def frame_pixels(width, height):
    """The synthetic frame, an integer formula the C++ test repeats: a ramp
    with a quadratic-residue texture, so that every resize has work to do."""
    y, x, c = np.meshgrid(np.arange(height, dtype=np.int64), np.arange(width, dtype=np.int64),
                          np.arange(3, dtype=np.int64), indexing="ij")
    h = x * 131 + y * 197 + c * 61
    return ((x * 5 + y * 3 + c * 70 + (h * h) % 61) % 256).astype(np.uint8)


def ellipse_mask(width, height, box, ellipse):
    """Frame-sized 0/1 mask: inside `box` (x, y, w, h) and the ellipse
    (centre and radii in half pixels, tested at pixel centres)."""
    bx, by, bw, bh = box
    cx2, cy2, a2, b2 = ellipse
    y, x = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    inside = ((2 * x + 1 - cx2) ** 2 * b2 * b2 + (2 * y + 1 - cy2) ** 2 * a2 * a2
              <= a2 * a2 * b2 * b2)
    in_box = (x >= bx) & (x < bx + bw) & (y >= by) & (y < by + bh)
    return (inside & in_box).astype(np.uint8)


def fmt(values):
    return " ".join(repr(float(v)) if isinstance(v, float) else str(int(v)) for v in values)


class Writer:
    def __init__(self, seed):
        self.lines = []
        self.gen = torch.Generator().manual_seed(seed)

    def put(self, key, values):
        self.lines.append(f"{key}: {fmt(values)}")

    def full(self, key, tensor):
        self.put(key, tensor.flatten().tolist())

    def sampled(self, key, tensor):
        flat = tensor.flatten()
        idx = torch.randint(0, flat.numel(), (SAMPLES,), generator=self.gen)
        self.put(key + ".shape", list(tensor.shape))
        self.put(key + ".idx", idx.tolist())
        self.put(key + ".val", [float(v) for v in flat[idx].double().tolist()])
        self.put(key + ".sum", [float(flat.double().sum())])


def write_frame(name, width, height, masks, seed):
    w = Writer(seed)
    w.lines.append(f"# {name}: {width}x{height}, written by scripts/make_reference_fixtures.py")
    w.put("frame", [width, height])
    pixels = frame_pixels(width, height)
    w.put("frame.sum", [int(pixels.astype(np.int64).sum())])
    img = Image.fromarray(pixels, mode="RGB")

    # Pillow's bilinear resize on its own, at small sizes, in full.
    for key, size in (("pil.down", (40, 23)), ("pil.width", (50, height)),
                      ("pil.up", (131, 77))):
        out = torch.from_numpy(np.asarray(img.resize(size, Image.BILINEAR)).copy())
        w.put(key + ".size", list(size))
        if out.numel() <= 10000:
            w.full(key, out)
        else:
            w.sampled(key, out)

    # dataset_refer_bert.py __getitem__: T.Resize(800)(img), ToTensor, Normalize.
    resized = T.Resize(800)(img)
    w.put("size800", list(resized.size))
    w.sampled("bytes800", torch.from_numpy(np.asarray(resized).copy()))
    frame800 = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])(T.ToTensor()(resized))
    w.sampled("frame800", frame800)

    # Our_method_with_free_solo.py: resized_imgs = T.Resize((Height, Width))(img).
    global_image = T.Resize((R, R), antialias=False)(frame800)
    w.sampled("global", global_image)
    # original_imgs = T.Resize((height, width))(img).
    restored = T.Resize((height, width), antialias=False)(frame800)
    w.sampled("restored", restored)

    pixel_mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
    for i, (box, ellipse) in enumerate(masks):
        w.put(f"mask{i}", list(box) + list(ellipse))
        mask = torch.from_numpy(ellipse_mask(width, height, box, ellipse))
        # CLIPViTFM.forward: TF.resize(pred_masks.type(torch.float32), (size, size)).
        grid = TF.resize(mask[None].type(torch.float32), (GRID, GRID), antialias=False)
        w.full(f"grid{i}", grid[0])
        # masked_image = original_imgs * pred_mask + (1 - pred_mask) * pixel_mean,
        # then TF.resized_crop at the box cast to int.
        m = mask.type(torch.uint8)
        masked = restored[None] * m[None, None, ...] + (1 - m[None, None, ...]) * pixel_mean
        x1, y1, x2, y2 = box[0], box[1], box[0] + box[2], box[1] + box[3]
        local = TF.resized_crop(masked.squeeze(0), y1, x1, y2 - y1, x2 - x1, (R, R),
                                antialias=False)
        w.sampled(f"local{i}", local)

    with open(os.path.join(OUT, name + ".txt"), "w") as f:
        f.write("\n".join(w.lines) + "\n")


def tiny_vit():
    """The tiny_vit fixture as a Python module (fp16 weights, computed in fp32)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import make_clip_fixtures as mcf
    model = mcf.CLIP(embed_dim=32, image_resolution=48, vision_layers=4, vision_width=64,
                     vision_patch_size=8, transformer_width=128, transformer_heads=2,
                     transformer_layers=1, context_length=77, vocab_size=256).eval()
    path = os.path.join(OUT, "..", "clip", "tiny_vit.pt")
    state = {k: v.float() for k, v in torch.jit.load(path).state_dict().items()}
    model.load_state_dict(state)
    return model


def token_masking(vit, image, pred_masks, masking_block):
    """CLIPViTFM.forward(masking_type='token_masking') of model/backbone.py:
    patch tokens times the mask's grid values before every block from
    masking_block on, class token untouched, ln_post and proj of the class
    token after the last block."""
    x = vit.conv1(image)
    x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
    x = torch.cat([vit.class_embedding + torch.zeros(x.shape[0], 1, x.shape[-1]), x], dim=1)
    x = vit.ln_pre(x + vit.positional_embedding).permute(1, 0, 2)
    L, N, D = x[1:].size(0), x.size(1), x.size(2)
    size = int(np.sqrt(L))
    pred_masks = TF.resize(pred_masks.type(torch.float32), (size, size), antialias=False)
    for block_idx, resblock in enumerate(vit.transformer.resblocks):
        if block_idx >= masking_block:
            cls, x = x[:1], x[1:]
            x = x.permute(1, 2, 0).reshape(N, D, size, size)
            x = torch.mul(x, pred_masks[:, None, :, :])
            N = x.size(0)
            x = x.reshape(N, D, L).permute(2, 0, 1)
            x = resblock(torch.cat([cls.expand(-1, N, -1), x], dim=0))
        else:
            x = resblock(x)
    return vit.ln_post(x.permute(1, 0, 2)[:, 0, :]) @ vit.proj


def write_features(name, width, height, masks):
    model = tiny_vit()
    res = 48
    img = Image.fromarray(frame_pixels(width, height), mode="RGB")
    frame800 = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])(
        T.ToTensor()(T.Resize(800)(img)))
    pred_masks = torch.stack([torch.from_numpy(ellipse_mask(width, height, b, e))
                              for b, e in masks]).bool()
    with torch.no_grad():
        resized = T.Resize((res, res), antialias=False)(frame800)[None]
        global_features = token_masking(model.visual, resized, pred_masks, masking_block=4 - 3)
        original = T.Resize((height, width), antialias=False)(frame800)[None]
        pixel_mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
        crops = []
        for (bx, by, bw, bh), mask in zip((b for b, _ in masks), pred_masks):
            m = mask.type(torch.uint8)
            masked = original * m[None, None, ...] + (1 - m[None, None, ...]) * pixel_mean
            crops.append(TF.resized_crop(masked.squeeze(0), by, bx, bh, bw, (res, res),
                                         antialias=False))
        local_features = model.visual(torch.stack(crops))
    w = Writer(0)
    w.lines.append(f"# {name}: tiny_vit features of the authors' pipeline, "
                   "written by scripts/make_reference_fixtures.py")
    w.put("frame", [width, height])
    for i, (box, ellipse) in enumerate(masks):
        w.put(f"mask{i}", list(box) + list(ellipse))
        w.full(f"global{i}", global_features[i])
        w.full(f"local{i}", local_features[i])
    with open(os.path.join(OUT, name + ".txt"), "w") as f:
        f.write("\n".join(w.lines) + "\n")


LANDSCAPE_MASKS = [
    ((13, 7, 41, 29), (67, 43, 41, 29)),
    ((50, 20, 47, 41), (140, 80, 30, 38)),
    ((0, 0, 23, 17), (10, 8, 30, 24)),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    # (box x, y, w, h), (ellipse centre x, y and radii, in half pixels).
    # Boxes and ellipses cut patches anywhere; one box is wider than its
    # ellipse (a loose proposal box), one touches the frame's corner.
    write_frame("landscape_97x61", 97, 61, LANDSCAPE_MASKS, seed=1)
    write_frame("portrait_45x118", 45, 118, [
        ((5, 31, 33, 57), (43, 119, 33, 57)),
        ((20, 90, 25, 28), (66, 210, 20, 26)),
    ], seed=2)
    write_frame("shrink_1000x850", 1000, 850, [
        ((123, 77, 411, 390), (657, 543, 400, 380)),
        ((600, 500, 400, 350), (1500, 1350, 380, 300)),
    ], seed=3)
    write_features("tiny_vit_features", 97, 61, LANDSCAPE_MASKS)


if __name__ == "__main__":
    main()

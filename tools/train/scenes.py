"""Training samples cut from the labelled benchmark scenes (openalpr-benchmarks/endtoend).

Each region's scenes are split in two by crc32(file name): the even half may be used for
training (split "train"), the odd half never is (split "val"), so the figures that score.py
prints for the "val" half are measured on scenes no model saw. The real scenes teach what the
synthetic plates cannot: real plate designs, real cars around them and real camera damage.

  det_sample(rng, scene):    a 256x256 grey window of the scene at a random scale holding the
                             labelled plate, and its box, as synth.detector_sample gives;
  reader_sample(rng, scene): the 32x128 reader input a detector box around the plate would
                             give, at the scene's own resolution or smaller.
"""

import glob
import math
import os
import zlib

import numpy as np
from PIL import Image

import synth

DATA = os.environ.get("PK_DATA", os.path.join(os.path.dirname(__file__), "../../../shared/data"))
SCENES = os.path.join(DATA, "openalpr-benchmarks/endtoend")


def split_of(name):
    return "train" if zlib.crc32(os.path.basename(name).encode()) % 2 == 0 else "val"


def load(region, split):
    """[(PIL L image, (x0, y0, x1, y1), text)] for region 'us' or 'eu' and split 'train',
    'val' or 'all'."""
    out = []
    for t in sorted(glob.glob(os.path.join(SCENES, region, "*.txt"))):
        parts = open(t).read().strip().split("\t")
        if len(parts) < 6:
            continue
        name = parts[0]
        if split != "all" and split_of(name) != split:
            continue
        path = os.path.join(SCENES, region, name)
        if not os.path.exists(path):
            continue
        x, y, w, h = (float(v) for v in parts[1:5])
        out.append((Image.open(path).convert("L"), (x, y, x + w, y + h), parts[5].upper()))
    return out


def det_sample(rng, scene, size=synth.DET_SIZE):
    img, (x0, y0, x1, y1), _ = scene
    pw = float(np.exp(rng.uniform(math.log(18), math.log(170))))
    s = pw / (x1 - x0)  # output pixels per scene pixel
    win = size / s
    # a window holding the whole plate at a random place
    lo_x, hi_x = x1 - win + 2 / s, x0 - 2 / s
    lo_y, hi_y = y1 - win + 2 / s, y0 - 2 / s
    wx = rng.uniform(lo_x, hi_x) if hi_x > lo_x else (x0 + x1 - win) / 2
    wy = rng.uniform(lo_y, hi_y) if hi_y > lo_y else (y0 + y1 - win) / 2
    # shrink first where the window is much larger than the output: EXTENT does not filter
    k = int(1 / s / 1.5)
    src, f = (img.reduce(k), 1.0 / k) if k >= 2 else (img, 1.0)
    crop = src.transform((size, size), Image.EXTENT,
                         (wx * f, wy * f, (wx + win) * f, (wy + win) * f), Image.BILINEAR)
    box = ((x0 - wx) * s, (y0 - wy) * s, (x1 - wx) * s, (y1 - wy) * s)
    g = synth.degrade(rng, crop.convert("RGB"), strength=0.4)
    return np.asarray(g, dtype=np.uint8), [box]


def reader_sample(rng, scene, min_w=40, max_w=160):
    img, (x0, y0, x1, y1), text = scene
    w = x1 - x0
    # the plate as the scene shows it, or smaller (a farther car), never much larger
    s = min(1.0, float(np.exp(rng.uniform(math.log(min_w), math.log(max_w)))) / w)
    if rng.random() < 0.5:
        s = 1.0 if w < 160 else s
    box = synth.jitter_box(rng, x0, y0, x1, y1)
    if s < 0.95:
        W, H = img.size
        small = img.resize((max(8, int(W * s)), max(8, int(H * s))), Image.BILINEAR)
        box = tuple(v * s for v in box)
    else:
        small = img
    # degrade only the neighbourhood (whole-scene degradation is slow)
    bx0, by0, bx1, by1 = box
    pad_x, pad_y = (bx1 - bx0) * 0.5, (by1 - by0) * 0.8
    region = (int(max(0, bx0 - pad_x)), int(max(0, by0 - pad_y)),
              int(min(small.size[0], bx1 + pad_x)), int(min(small.size[1], by1 + pad_y)))
    patch = small.crop(region)
    g = synth.degrade(rng, patch.convert("RGB"), strength=0.3)
    box = (bx0 - region[0], by0 - region[1], bx1 - region[0], by1 - region[1])
    return np.asarray(synth.crop_resize(g, box), dtype=np.uint8), text


if __name__ == "__main__":
    rng = np.random.default_rng(1)
    us = load("us", "train")
    eu = load("eu", "train")
    print("us train", len(us), "val", len(load("us", "val")), "eu train", len(eu))
    tiles = [reader_sample(rng, us[int(rng.integers(0, len(us)))])[0] for _ in range(24)]
    Image.fromarray(np.vstack([np.hstack(tiles[i * 4:(i + 1) * 4]) for i in range(6)])).save(
        "/tmp/scene_reader.png")
    from PIL import ImageDraw
    ims = []
    for k in range(4):
        a, bx = det_sample(rng, (us + eu)[int(rng.integers(0, len(us) + len(eu)))])
        p = Image.fromarray(a).convert("RGB")
        ImageDraw.Draw(p).rectangle(bx[0], outline=(255, 0, 0))
        ims.append(np.asarray(p))
    Image.fromarray(np.hstack(ims)).save("/tmp/scene_det.png")

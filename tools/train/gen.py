"""Builds cached training sets under tools/train/work/ (git-ignored).

    gen.py reader   --n N --seed S --out work/reader_train.npz [--real-aug K]
    gen.py detector --n N --seed S --out work/det_train.npz

Reader sets hold x: uint8 [N,32,128] and y: the plate strings. With --real-aug K,
the training half of the 751 seg_and_ocr crops (crc32(file name) even) is
added K times each with random augmentation; the other half is never used
for training (it is the validation half that score.py reports on).
Detector sets hold x: uint8 [N,256,256] and boxes as a flat float array with
per-sample offsets.
"""

import argparse
import csv
import multiprocessing as mp
import os
import zlib

import numpy as np
from PIL import Image

import synth

DATA = os.environ.get("PK_DATA", os.path.join(os.path.dirname(__file__), "../../../shared/data"))
BG_DIR = os.path.join(DATA, "backgrounds")
CROPS = os.path.join(DATA, "openalpr-benchmarks/seg_and_ocr")

_bgs = None
_real = None
_eu_frac = 0.25


def _init(use_real=False, eu_frac=0.25, emblem_frac=0.0, emblem_right=0.0, pictures=False):
    global _bgs, _real, _eu_frac
    _eu_frac = eu_frac
    synth.EMBLEM_P = emblem_frac
    synth.EMBLEM_RIGHT = emblem_right
    _bgs = synth.load_backgrounds(BG_DIR, "train")
    if pictures:
        synth.EMBLEM_PICTURES = _bgs
    if use_real:
        _real = [img for img, _ in real_crops("train")]


def _reader_chunk(args):
    seed, n = args
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for _ in range(n):
        x, y = synth.reader_sample(rng, _bgs, _eu_frac)
        xs.append(x)
        ys.append(y)
    return np.stack(xs), ys


def _det_chunk(args):
    seed, n = args
    rng = np.random.default_rng(seed)
    xs, bs = [], []
    for _ in range(n):
        x, b = synth.detector_sample(rng, _bgs, real=_real)
        xs.append(x)
        bs.append(b)
    return np.stack(xs), bs


def real_crops(split):
    """[(PIL RGB, text)] for the 'train' or 'val' half of seg_and_ocr."""
    out = []
    with open(os.path.join(CROPS, "groundtruth.csv")) as f:
        for row in csv.reader(f):
            if len(row) < 3:
                continue
            name, _, text = row[0], row[1], row[2].strip().upper()
            half = "train" if zlib.crc32(name.encode()) % 2 == 0 else "val"
            if half != split:
                continue
            p = os.path.join(CROPS, "usimages", name)
            if os.path.exists(p):
                out.append((Image.open(p).convert("RGB"), text))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["reader", "detector"])
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--real-aug", type=int, default=0)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--real", action="store_true",
                    help="detector: paste the training half of the real crops 40%% of the time")
    ap.add_argument("--eu-frac", type=float, default=0.25,
                    help="reader: share of European-style plates among the synthetic ones")
    ap.add_argument("--emblem-frac", type=float, default=0.0,
                    help="reader: share of US plates drawn with an emblem at the left")
    ap.add_argument("--emblem-pictures", action="store_true",
                    help="reader: emblems may also be pictures cut from the training backgrounds")
    ap.add_argument("--emblem-right", type=float, default=0.0,
                    help="reader: share of those emblems drawn at the right instead")
    a = ap.parse_args()
    chunk = 500
    jobs = [(a.seed * 100003 + i, min(chunk, a.n - i * chunk)) for i in range((a.n + chunk - 1) // chunk)]
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with mp.Pool(a.procs, initializer=_init, initargs=(a.real, a.eu_frac, a.emblem_frac, a.emblem_right,
                                                         a.emblem_pictures)) as pool:
        if a.kind == "reader":
            xs, ys = [], []
            for x, y in pool.imap(_reader_chunk, jobs):
                xs.append(x)
                ys.extend(y)
            if a.real_aug:
                rng = np.random.default_rng(a.seed + 7)
                for img, text in real_crops("train"):
                    for _ in range(a.real_aug):
                        x, y = synth.real_crop_sample(rng, img, text)
                        xs.append(x[None])
                        ys.append(y)
            np.savez(a.out, x=np.concatenate(xs), y=np.array(ys))
        else:
            xs, boxes, offs = [], [], [0]
            for x, bs in pool.imap(_det_chunk, jobs):
                xs.append(x)
                for b in bs:
                    boxes.extend(b)
                    offs.append(offs[-1] + len(b))
            np.savez(a.out, x=np.concatenate(xs), boxes=np.array(boxes, dtype=np.float32).reshape(-1, 4),
                     offs=np.array(offs, dtype=np.int64))
    print("wrote", a.out)


if __name__ == "__main__":
    main()

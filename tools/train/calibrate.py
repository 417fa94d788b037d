"""Measures the detector's box calibration (src/recog/recog.c cal_us, cal_eu) on the training
half of the labelled scenes: the median ratio of the labelled to the detected box width and
height, and the median offset of the labelled centre from the detected one in detected heights.

    calibrate.py --detector work/detector.pt | --pkm ../../models/detector.pkm

Only scenes where a detection overlaps the label (IoU > 0.3) count. The validation half is
never looked at, so the figures score.py prints for it stay unbiased.
"""

import argparse

import numpy as np
import torch
from PIL import Image

import nets
import scenes
from train_detector import LONG_SIDE, decode, iou


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--detector")
    ap.add_argument("--pkm")
    ap.add_argument("--split", default="train")
    a = ap.parse_args()
    if a.pkm:
        net = nets.load_pkm(a.pkm, nets.DETECTOR_SPEC)
    else:
        net = nets.detector()
        net.load_state_dict(torch.load(a.detector))
    net.eval()
    for region in ("us", "eu"):
        rw, rh, dy = [], [], []
        for img, (x0, y0, x1, y1), _ in scenes.load(region, a.split):
            W, H = img.size
            s = LONG_SIDE[region] / max(W, H)
            arr = np.asarray(img.resize((int(round(W * s)), int(round(H * s))), Image.BILINEAR))
            with torch.no_grad():
                out = net(torch.from_numpy(arr).float().div(255)[None, None])[0]
            lab = (x0 * s, y0 * s, x1 * s, y1 * s)
            best = max(decode(out, 0.2), key=lambda d: iou(d[1:], lab), default=None)
            if best is None or iou(best[1:], lab) < 0.3:
                continue
            _, d0, e0, d1, e1 = best
            rw.append((lab[2] - lab[0]) / (d1 - d0))
            rh.append((lab[3] - lab[1]) / (e1 - e0))
            dy.append(((lab[1] + lab[3]) - (e0 + e1)) / 2 / (e1 - e0))
        print(f"{region}: n {len(rw)} width {np.median(rw):.3f} height {np.median(rh):.3f} "
              f"centre dy {np.median(dy):+.3f}")


if __name__ == "__main__":
    main()

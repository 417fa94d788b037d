"""Trains the plate detector (CenterNet-style heat map + box per 16-px cell).

    train_detector.py --train work/det_train.npz --out work/detector.pt [--minutes M]

Output channels per cell: heat logit, dx, dy (centre offset from the cell
centre, in cells), log(w / 16), log(h / 16). Every few minutes prints recall
(IoU > 0.4) on the development scenes of openalpr-benchmarks/endtoend and the
false-positive rate on the held-out background images: those are measured,
never trained on.
"""

import argparse
import glob
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

import nets
import synth
import gen
import scenes

S = nets.DETECTOR_STRIDE
DET_LONG_SIDE = 512


def targets(boxes_list, n, gh, gw):
    heat = np.zeros((n, 1, gh, gw), np.float32)
    reg = np.zeros((n, 4, gh, gw), np.float32)
    mask = np.zeros((n, 1, gh, gw), np.float32)
    jj, ii = np.meshgrid(np.arange(gw), np.arange(gh))
    for k, boxes in enumerate(boxes_list):
        for x0, y0, x1, y1 in boxes:
            cx, cy = (x0 + x1) / 2 / S, (y0 + y1) / 2 / S
            wc, hc = (x1 - x0) / S, (y1 - y0) / S
            ci, cj = int(cy), int(cx)
            if not (0 <= ci < gh and 0 <= cj < gw):
                continue
            sx, sy = max(0.5, wc / 5), max(0.5, hc / 3)
            g = np.exp(-(((jj + 0.5 - cx) ** 2) / (2 * sx * sx) + ((ii + 0.5 - cy) ** 2) / (2 * sy * sy)))
            g[ci, cj] = 1.0
            heat[k, 0] = np.maximum(heat[k, 0], g)
            m = g > 0.4
            m[ci, cj] = True
            reg[k, 0][m] = (cx - (jj + 0.5))[m]
            reg[k, 1][m] = (cy - (ii + 0.5))[m]
            reg[k, 2][m] = np.log(max(wc, 1e-3))
            reg[k, 3][m] = np.log(max(hc, 1e-3))
            mask[k, 0][m] = 1
    return torch.from_numpy(heat), torch.from_numpy(reg), torch.from_numpy(mask)


def loss_fn(out, heat, reg, mask):
    p = torch.sigmoid(out[:, :1]).clamp(1e-4, 1 - 1e-4)
    pos = (heat >= 0.999).float()
    npos = pos.sum().clamp(min=1)
    lpos = -((1 - p) ** 2 * torch.log(p) * pos).sum()
    lneg = -(((1 - heat) ** 4) * p ** 2 * torch.log(1 - p) * (1 - pos)).sum()
    lreg = (F.smooth_l1_loss(out[:, 1:], reg, reduction="none") * mask).sum() / mask.sum().clamp(min=1)
    return (lpos + lneg) / npos + lreg


def decode(out, thresh=0.3):
    """out: [5, gh, gw] tensor -> [(score, x0, y0, x1, y1)] in input pixels."""
    h = torch.sigmoid(out[0])
    mx = F.max_pool2d(h[None, None], 3, 1, 1)[0, 0]
    res = []
    for i, j in zip(*torch.nonzero((h >= mx) & (h > thresh), as_tuple=True)):
        i, j = int(i), int(j)
        cx = (j + 0.5 + float(out[1, i, j])) * S
        cy = (i + 0.5 + float(out[2, i, j])) * S
        w = float(np.exp(out[3, i, j])) * S
        hh = float(np.exp(out[4, i, j])) * S
        res.append((float(h[i, j]), cx - w / 2, cy - hh / 2, cx + w / 2, cy + hh / 2))
    res.sort(reverse=True)
    keep = []
    for r in res:
        if all(iou(r[1:], k[1:]) < 0.3 for k in keep):
            keep.append(r)
    return keep


def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / max(u, 1e-6)


# The engine's scene scales (src/recog/recog.c): US scenes at 768 px long side, EU at 512.
LONG_SIDE = {"us": 768, "eu": 512}


def load_scene(path, long_side=DET_LONG_SIDE):
    img = Image.open(path).convert("L")
    W, H = img.size
    s = long_side / max(W, H)
    w, h = int(round(W * s)), int(round(H * s))
    return np.asarray(img.resize((w, h), Image.BILINEAR)), s


def dev_eval(net, thresh=0.3, split="val"):
    """Recall (IoU > 0.4) on the scenes of the given split, and the share of held-out background
    images with any detection."""
    net.eval()
    res = {}
    with torch.no_grad():
        for region in ("us", "eu"):
            hit = tot = 0
            for img, (x0, y0, x1, y1), _ in scenes.load(region, split):
                W, H = img.size
                s = LONG_SIDE[region] / max(W, H)
                a = np.asarray(img.resize((int(round(W * s)), int(round(H * s))), Image.BILINEAR))
                out = net(torch.from_numpy(a).float().div(255)[None, None])[0]
                dets = decode(out, thresh)
                tot += 1
                hit += any(iou(d[1:], (x0 * s, y0 * s, x1 * s, y1 * s)) > 0.4 for d in dets)
            res[region] = round(hit / max(1, tot), 3)
        fp = 0
        bgs = sorted(glob.glob(os.path.join(gen.BG_DIR, "*.jpg")))[::10]
        for f in bgs:
            a, _ = load_scene(f, 768)
            out = net(torch.from_numpy(a).float().div(255)[None, None])[0]
            fp += len(decode(out, thresh)) > 0
        res["bg_fp"] = round(fp / max(1, len(bgs)), 3)
    net.train()
    freeze_if_folded(net)
    return res


_folded = [False]


def freeze_if_folded(net):
    if _folded[0]:
        nets.freeze_bn(net)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--bs", type=int, default=16)
    ap.add_argument("--eval-every", type=float, default=600)
    ap.add_argument("--init", help="start from this checkpoint (fine-tuning)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init-pkm", help="start from this exported model file (BN frozen)")
    ap.add_argument("--real-frac", type=float, default=0.0,
                    help="share of each batch cut from the training half of the real scenes")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    d = np.load(a.train)
    X, B, O = d["x"], d["boxes"], d["offs"]
    n_img, size = X.shape[0], X.shape[1]
    print(f"train {n_img} images", flush=True)
    net = nets.detector()
    if a.init:
        net.load_state_dict(torch.load(a.init))
    if a.init_pkm:
        net = nets.load_pkm(a.init_pkm, nets.DETECTOR_SPEC)
        _folded[0] = True
    net.train()
    freeze_if_folded(net)
    real = scenes.load("us", "train") + scenes.load("eu", "train") if a.real_frac > 0 else []
    print(f"real scenes {len(real)}; at start:", dev_eval(net), flush=True)
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=1e-4)
    t0 = time.time()
    budget = a.minutes * 60
    step, last_ck, losses = 0, t0, []
    g = size // S
    while True:
        el = time.time() - t0
        if el > budget:
            break
        lr = a.lr * 0.5 * (1 + np.cos(np.pi * min(1.0, el / budget))) + 2e-5
        for gr in opt.param_groups:
            gr["lr"] = lr
        idx = rng.integers(0, n_img, a.bs)
        xb = X[idx].astype(np.float32) / 255
        boxes = [B[O[i]:O[i + 1]].copy() for i in idx]
        for k in range(int(a.bs * a.real_frac)):
            x, bx = scenes.det_sample(rng, real[int(rng.integers(0, len(real)))], size)
            xb[k] = x.astype(np.float32) / 255
            boxes[k] = np.array(bx, dtype=np.float32)
        for k in range(a.bs):
            if rng.random() < 0.5:  # horizontal flip
                xb[k] = xb[k, :, ::-1]
                bx = boxes[k]
                if len(bx):
                    bx[:, [0, 2]] = size - bx[:, [2, 0]]
            c, b = rng.uniform(0.7, 1.3), rng.uniform(-0.1, 0.1)
            xb[k] = (xb[k] - 0.5) * c + 0.5 + b
        heat, reg, mask = targets(boxes, a.bs, g, g)
        out = net(torch.from_numpy(np.ascontiguousarray(xb))[:, None])
        loss = loss_fn(out, heat, reg, mask)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        step += 1
        if step % 100 == 0:
            print(f"step {step} t {el / 60:.1f}m lr {lr:.5f} loss {np.mean(losses):.4f}", flush=True)
            losses = []
        if time.time() - last_ck > a.eval_every:
            last_ck = time.time()
            torch.save(net.state_dict(), a.out)
            print("  dev", dev_eval(net), flush=True)
    torch.save(net.state_dict(), a.out)
    print(f"final step {step} ({(time.time() - t0) / 60:.1f} min)", dev_eval(net), flush=True)


if __name__ == "__main__":
    main()

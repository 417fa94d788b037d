"""Trains the plate reader (CTC over a 32x128 grey crop).

    train_reader.py --train work/reader_train.npz --val work/reader_val.npz \
                    --out work/reader.pt [--minutes M] [--threads T]

--spec wide|ctx with --init-pkm of a stage-4 reader grows a larger reader from it (nets.py
widen_reader; tried, not shipped: models/MODEL_CARD.md). --real-online draws the real-crop share
of each batch fresh from the crops' training half instead of the cached augmented copies (tried,
not shipped). --distill W with --init-pkm adds W times the divergence of the new reader's
per-frame outputs from the start reader's, so fine-tuning learns the new data without forgetting
what the start reader read well (every fine-tune without it read the benchmarks worse);
--shuffle-frac F makes a share F of each batch real crops with their characters rearranged
(shuffle.py).

Light online augmentation (shift, contrast, noise, inversion) on top of the
cached set; checkpoints every few minutes; prints synthetic validation
accuracy and accuracy on the validation half of the real seg_and_ocr crops.
"""

import argparse
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import nets
import gen
import scenes
import shuffle
import synth

ALPHA = nets.ALPHABET


def encode(texts):
    tg, lens = [], []
    for t in texts:
        idx = [ALPHA.index(c) + 1 for c in t if c in ALPHA]
        tg.extend(idx)
        lens.append(len(idx))
    return torch.tensor(tg, dtype=torch.long), torch.tensor(lens, dtype=torch.long)


def greedy(logits):
    """logits [N, C, 1, T] -> list of strings"""
    best = logits[:, :, 0, :].argmax(1).numpy()
    out = []
    for row in best:
        s, prev = [], 0
        for k in row:
            if k != prev and k != 0:
                s.append(ALPHA[k - 1])
            prev = k
        out.append("".join(s))
    return out


def augment(x, rng):
    """x: float tensor [N,1,32,128] in [0,1]."""
    n = x.shape[0]
    c = torch.tensor(rng.uniform(0.7, 1.3, (n, 1, 1, 1)), dtype=torch.float32)
    b = torch.tensor(rng.uniform(-0.12, 0.12, (n, 1, 1, 1)), dtype=torch.float32)
    x = (x - 0.5) * c + 0.5 + b
    inv = torch.tensor(rng.random((n, 1, 1, 1)) < 0.05, dtype=torch.float32)
    x = x * (1 - inv) + (1 - x) * inv
    x = x + torch.randn_like(x) * float(rng.uniform(0, 0.03))
    # small random translation by rolling with edge padding
    dx, dy = int(rng.integers(-3, 4)), int(rng.integers(-2, 3))
    x = F.pad(x, (3, 3, 2, 2), mode="replicate")[:, :, 2 + dy:2 + dy + 32, 3 + dx:3 + dx + 128]
    return x


def harden(x, which, rng):
    """The samples of x marked in which blurred (Gaussian, sigma 0.8-1.8 px) or overexposed
    (levels x 1.4-2.0 plus up to 0.2, clipped), half each: the light and focus the benchmarks'
    degraded variants read worst in."""
    x = x.clone()
    for i in torch.nonzero(which).flatten().tolist():
        if rng.random() < 0.5:
            s = float(rng.uniform(0.8, 1.8))
            k = torch.arange(-4, 5, dtype=torch.float32)
            g = torch.exp(-k * k / (2 * s * s))
            g = g / g.sum()
            xi = F.pad(x[i:i + 1], (4, 4, 4, 4), mode="replicate")
            xi = F.conv2d(xi, g.view(1, 1, 1, 9))
            x[i:i + 1] = F.conv2d(xi, g.view(1, 1, 9, 1))
        else:
            x[i] = (x[i] * float(rng.uniform(1.4, 2.0)) + float(rng.uniform(0, 0.2))).clamp(0, 1)
    return x


def evaluate(net, x, y, bs=256, folded=False):
    net.eval()
    ok = 0
    with torch.no_grad():
        for i in range(0, len(x), bs):
            xb = torch.from_numpy(x[i:i + bs]).float().div(255).unsqueeze(1)
            pr = greedy(net(xb))
            ok += sum(p == t for p, t in zip(pr, y[i:i + bs]))
    net.train()
    if folded:
        nets.freeze_bn(net)
    return ok / max(1, len(x))


def real_val_set():
    xs, ys = [], []
    for img, text in gen.real_crops("val"):
        g = img.convert("L")
        W, H = g.size
        xs.append(np.asarray(synth.crop_resize(g, (0, 0, W, H)), dtype=np.uint8))
        ys.append(text)
    return np.stack(xs), ys


def scene_val_set(region):
    """The labelled plates of the validation half of a region's scenes, cut with the label box
    widened as the engine's first crop variant does."""
    xs, ys = [], []
    for img, (x0, y0, x1, y1), text in scenes.load(region, "val"):
        w, h = x1 - x0, y1 - y0
        box = (x0 - 0.04 * w, y0 - 0.07 * h, x1 + 0.04 * w, y1 + 0.07 * h)
        xs.append(np.asarray(synth.crop_resize(img, box), dtype=np.uint8))
        ys.append(text)
    return np.stack(xs), ys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init", help="start from this checkpoint (a second, shorter cycle)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--real-frac", type=float, default=0.0,
                    help="share of each batch drawn from the real crops (stored after --synth-n)")
    ap.add_argument("--synth-n", type=int, default=160000)
    ap.add_argument("--init-pkm", help="start from this exported model file (BN frozen)")
    ap.add_argument("--scene-frac", type=float, default=0.0,
                    help="share of each batch cut from the training half of the real scenes")
    ap.add_argument("--regions", default="us,eu",
                    help="scene regions to cut from; the first one's validation half is reported")
    ap.add_argument("--real-online", action="store_true",
                    help="draw the real-crop share fresh from the training half of the crops each "
                         "time (synth.real_crop_sample) instead of from the cached augmented copies")
    ap.add_argument("--small-plates", action="store_true",
                    help="cut the real scenes' plates down to 22 px wide (not 40) and the real "
                         "crops to 7%% of their size (not 15%%): smaller plates than the "
                         "benchmarks' (tried, not shipped)")
    ap.add_argument("--shuffle-frac", type=float, default=0.0,
                    help="share of each batch from the cached real crops with their characters "
                         "rearranged (shuffle.py), cut where the --init-pkm reader reads them")
    ap.add_argument("--distill", type=float, default=0.0,
                    help="weight of a distillation loss towards the --init-pkm reader's outputs "
                         "on the batch's other samples, which keeps what it reads well")
    ap.add_argument("--hard-frac", type=float, default=0.0,
                    help="share of each batch's synthetic and real-crop samples blurred harder or "
                         "overexposed online (left out of the distillation term; tried, not shipped)")
    ap.add_argument("--spec", default="base", choices=sorted(nets.READER_SPECS),
                    help="network shape; with --init-pkm of a base reader, grown from it")
    a = ap.parse_args()
    if (a.distill > 0 or a.shuffle_frac > 0) and not a.init_pkm:
        ap.error("--distill and --shuffle-frac need --init-pkm: the reader they learn from and cut by")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    d = np.load(a.train)
    X, Y = d["x"], list(d["y"])
    v = np.load(a.val)
    VX, VY = v["x"], list(v["y"])
    RX, RY = real_val_set()
    print(f"train {len(X)} val {len(VX)} real-val {len(RX)}", flush=True)
    spec = nets.READER_SPECS[a.spec]
    net = nets.SeqNet(spec)
    if a.init:
        net.load_state_dict(torch.load(a.init))
    folded = bool(a.init_pkm)
    if folded:
        try:
            net = nets.load_pkm(a.init_pkm, spec)
        except ValueError:
            if spec is nets.READER_SPEC:
                raise
            # a base reader's file: grow this larger shape from it
            net = nets.widen_reader(nets.load_pkm(a.init_pkm, nets.READER_SPEC), spec, a.seed)
    net.train()
    if folded:
        nets.freeze_bn(net)
    teacher, segs = None, {}
    if a.init_pkm and (a.distill > 0 or a.shuffle_frac > 0):
        teacher = nets.load_pkm(a.init_pkm, nets.READER_SPEC)
        teacher.eval()
    if a.shuffle_frac > 0:
        segs = shuffle.segment(teacher, X[a.synth_n:], Y[a.synth_n:])
        segs = {a.synth_n + k: b for k, b in segs.items()}
        print(f"rearrangeable real crops {len(segs)} of {len(X) - a.synth_n}", flush=True)
    seg_keys = list(segs)
    online = gen.real_crops("train") if a.real_online and a.real_frac > 0 else []
    regions = a.regions.split(",")
    real = [sc for r in regions for sc in scenes.load(r, "train")] if a.scene_frac > 0 else []
    SX, SY = scene_val_set(regions[0])
    print(f"real scenes {len(real)}, scene-val {len(SX)}; at start: real-val "
          f"{evaluate(net, RX, RY, folded=folded):.4f} scene-val {evaluate(net, SX, SY, folded=folded):.4f}",
          flush=True)
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=1e-4)
    t0 = time.time()
    budget = a.minutes * 60
    step, last_ck, losses = 0, t0, []
    while True:
        el = time.time() - t0
        if el > budget:
            break
        lr = a.lr * 0.5 * (1 + np.cos(np.pi * min(1.0, el / budget))) + 2e-5
        for g in opt.param_groups:
            g["lr"] = lr
        idx = rng.integers(0, min(len(X), a.synth_n) if online else len(X), a.bs)
        k_real = int(a.bs * a.real_frac)
        if a.real_frac > 0 and len(X) > a.synth_n and not online:
            idx[:k_real] = rng.integers(a.synth_n, len(X), k_real)
        xs, ys = X[idx].copy(), [Y[i] for i in idx]
        for k in range(k_real if online else 0):
            xs[k], ys[k] = synth.real_crop_sample(rng, *online[int(rng.integers(0, len(online)))],
                                                  scale_lo=0.07 if a.small_plates else 0.15)
        k_shuf = int(a.bs * a.shuffle_frac) if seg_keys else 0
        for k in range(k_real, k_real + k_shuf):
            j = seg_keys[int(rng.integers(0, len(seg_keys)))]
            xs[k], ys[k] = shuffle.rearranged(rng, X[j], Y[j], segs[j])
        for k in range(int(a.bs * a.scene_frac)):
            xs[a.bs - 1 - k], ys[a.bs - 1 - k] = scenes.reader_sample(
                rng, real[int(rng.integers(0, len(real)))], min_w=22 if a.small_plates else 40)
        xb = torch.from_numpy(xs).float().div(255).unsqueeze(1)
        xb = augment(xb, rng)
        hard = torch.zeros(a.bs, dtype=torch.bool)
        if a.hard_frac > 0:
            hard = torch.from_numpy(rng.random(a.bs) < a.hard_frac)
            hard[a.bs - int(a.bs * a.scene_frac):] = False
            xb = harden(xb, hard, rng)
        tg, tl = encode(ys)
        out = net(xb)[:, :, 0, :]  # N, C, T
        lp = out.permute(2, 0, 1).log_softmax(2)
        il = torch.full((a.bs,), lp.shape[0], dtype=torch.long)
        loss = F.ctc_loss(lp, tg, il, tl, blank=0, zero_infinity=True)
        keep = torch.ones(a.bs, dtype=torch.bool)
        keep[k_real:k_real + k_shuf] = False
        keep &= ~hard
        # a batch with nothing left to distil on (a tiny --bs) would make the mean NaN
        if a.distill > 0 and bool(keep.any()):
            with torch.no_grad():
                tp = teacher(xb[keep])[:, :, 0, :].permute(2, 0, 1).softmax(2)
            # KL(teacher || student) summed over a crop's frames, then divided by a plate's
            # usual 6 characters: ctc_loss's mean is per target character
            kl = (tp * (tp.clamp_min(1e-8).log() - lp[:, keep])).sum(2).sum(0).mean()
            loss = loss + a.distill * kl / 6
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        step += 1
        if step % 200 == 0:
            print(f"step {step} t {el / 60:.1f}m lr {lr:.5f} loss {np.mean(losses):.4f}", flush=True)
            losses = []
        if time.time() - last_ck > 300:
            last_ck = time.time()
            sv = evaluate(net, VX[:1000], VY[:1000], folded=folded)
            rv = evaluate(net, RX, RY, folded=folded)
            cv = evaluate(net, SX, SY, folded=folded)
            print(f"  eval step {step}: synth-val {sv:.4f} real-val {rv:.4f} scene-val {cv:.4f}", flush=True)
            torch.save(net.state_dict(), a.out)
    sv = evaluate(net, VX, VY, folded=folded)
    rv = evaluate(net, RX, RY, folded=folded)
    cv = evaluate(net, SX, SY, folded=folded)
    print(f"final step {step}: synth-val {sv:.4f} real-val {rv:.4f} scene-val {cv:.4f} ({(time.time() - t0) / 60:.1f} min)",
          flush=True)
    torch.save(net.state_dict(), a.out)


if __name__ == "__main__":
    main()

"""Trains the plate reader (CTC over a 32x128 grey crop).

    train_reader.py --train work/reader_train.npz --val work/reader_val.npz \
                    --out work/reader.pt [--minutes M] [--threads T]

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


def evaluate(net, x, y, bs=256):
    net.eval()
    ok = 0
    with torch.no_grad():
        for i in range(0, len(x), bs):
            xb = torch.from_numpy(x[i:i + bs]).float().div(255).unsqueeze(1)
            pr = greedy(net(xb))
            ok += sum(p == t for p, t in zip(pr, y[i:i + bs]))
    net.train()
    return ok / max(1, len(x))


def real_val_set():
    xs, ys = [], []
    for img, text in gen.real_crops("val"):
        g = img.convert("L")
        W, H = g.size
        xs.append(np.asarray(synth.crop_resize(g, (0, 0, W, H)), dtype=np.uint8))
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
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    d = np.load(a.train)
    X, Y = d["x"], list(d["y"])
    v = np.load(a.val)
    VX, VY = v["x"], list(v["y"])
    RX, RY = real_val_set()
    print(f"train {len(X)} val {len(VX)} real-val {len(RX)}", flush=True)
    net = nets.reader()
    if a.init:
        net.load_state_dict(torch.load(a.init))
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
        idx = rng.integers(0, len(X), a.bs)
        if a.real_frac > 0 and len(X) > a.synth_n:
            k = int(a.bs * a.real_frac)
            idx[:k] = rng.integers(a.synth_n, len(X), k)
        xb = torch.from_numpy(X[idx]).float().div(255).unsqueeze(1)
        xb = augment(xb, rng)
        tg, tl = encode([Y[i] for i in idx])
        out = net(xb)[:, :, 0, :]  # N, C, T
        lp = out.permute(2, 0, 1).log_softmax(2)
        il = torch.full((a.bs,), lp.shape[0], dtype=torch.long)
        loss = F.ctc_loss(lp, tg, il, tl, blank=0, zero_infinity=True)
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
            sv = evaluate(net, VX[:1000], VY[:1000])
            rv = evaluate(net, RX, RY)
            print(f"  eval step {step}: synth-val {sv:.4f} real-val {rv:.4f}", flush=True)
            torch.save(net.state_dict(), a.out)
    sv = evaluate(net, VX, VY)
    rv = evaluate(net, RX, RY)
    print(f"final step {step}: synth-val {sv:.4f} real-val {rv:.4f} ({(time.time() - t0) / 60:.1f} min)",
          flush=True)
    torch.save(net.state_dict(), a.out)


if __name__ == "__main__":
    main()

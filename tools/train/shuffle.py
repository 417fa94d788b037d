"""Real plates with their characters rearranged: new strings in real plates' own print.

Why: the reader learns an implicit prior over where letters and digits stand from the plates it
is trained on (state formats, mostly), and reads vanity plates against it: GUTSY as GU1SY,
JRZYSHR as JR7YSHR. Real crops whose characters are cut apart and put back in another order
(or with one repeated or left out) keep the real print, dies, wear and emblems but break that
prior. The cuts come from the reader's own CTC alignment on crops it reads right: each
character's columns run from halfway to its left neighbour's centre to halfway to its right
one's.

    segment(net, X, Y)            -> {index: column bounds} for the crops the net reads right
    rearranged(rng, x, text, b)   -> (uint8 [32,128], new text)
"""

import numpy as np
import torch
from PIL import Image

import nets


def segment(net, X, Y, bs=256):
    """Column bounds of each character (len(text)+1 floats in input pixels) for every crop in
    X (uint8 [N,32,128]) whose greedy reading by net equals its label Y[i]."""
    out = {}
    net.eval()
    with torch.no_grad():
        for i in range(0, len(X), bs):
            xb = torch.from_numpy(X[i:i + bs]).float().div(255).unsqueeze(1)
            best = net(xb)[:, :, 0, :].argmax(1).numpy()
            T = best.shape[1]
            col = X.shape[2] / T
            for k, row in enumerate(best):
                chars, centres, prev, start = [], [], 0, 0
                for t, c in enumerate(list(row) + [0]):
                    if c != prev:
                        if prev != 0:
                            chars.append(nets.ALPHABET[prev - 1])
                            centres.append((start + t) / 2 * col)
                        start = t
                    prev = c
                text = str(Y[i + k])
                if "".join(chars) != text or len(chars) < 3:
                    continue
                c = np.array(centres)
                mid = (c[1:] + c[:-1]) / 2
                half = np.median(np.diff(c)) / 2
                b = np.concatenate([[c[0] - half], mid, [c[-1] + half]])
                out[i + k] = np.clip(b, 0, X.shape[2])
    return out


def rearranged(rng, x, text, bounds):
    """x (uint8 [H,W]) with its characters (columns bounds[i]..bounds[i+1]) rearranged: shuffled
    (half the time), one or two replaced by copies of others (3/10), or one left out (1/5); the
    margins stay. The result is scaled back to W columns."""
    H, W = x.shape
    b = np.round(bounds).astype(int)
    n = len(text)
    order = list(range(n))
    u = rng.random()
    if u < 0.5:
        while order == list(range(n)):
            order = list(rng.permutation(n))
    elif u < 0.8 or n < 5:
        for _ in range(int(rng.integers(1, 3))):
            order[int(rng.integers(0, n))] = int(rng.integers(0, n))
    else:
        del order[int(rng.integers(0, n))]
    parts = [x[:, :b[0]]] + [x[:, b[i]:b[i + 1]] for i in order] + [x[:, b[n]:]]
    y = np.concatenate([p for p in parts if p.shape[1] > 0], axis=1)
    if y.shape[1] != W:
        y = np.asarray(Image.fromarray(y).resize((W, H), Image.BILINEAR))
    return y, "".join(text[i] for i in order)

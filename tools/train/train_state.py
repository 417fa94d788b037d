#!/usr/bin/env python3
"""The state-name reader (models/reader-state.pkm): the plate reader fine-tuned to read the
lines of small text a US plate prints above and below its number (the state's name, a slogan),
which the plate reader was trained to pass over. The engine tells a plate's state by scoring
every state's name and slogans on those bands (src/recog/region.c); with this reader in the
model directory it reads the bands instead of the plate reader.

Training data is synthetic only: strips drawn like the engine's bands (plate-coloured ground,
decorations, the tops of the plate's big characters along the lower edge, a frame's edge), with
a state name, a slogan or other words in the decorative fonts, script ones included, then the
photometric damage of synth.degrade. The labelled crops stay unseen, so all 751 measure it.

usage: train_state.py --init models/reader.pkm --out models/reader-state.pkm [--minutes M]
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

import nets
import synth

H, W = 32, 256
# Each state's name and slogans as the engine scores them (region.c), and as printed.
NAMES = [
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut",
    "Delaware", "District of Columbia", "Washington DC", "Florida", "Georgia", "Hawaii", "Idaho",
    "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine", "Maryland",
    "Massachusetts", "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska",
    "Nevada", "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina",
    "North Dakota", "Ohio", "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island",
    "South Carolina", "South Dakota", "Tennessee", "Texas", "Utah", "Vermont", "Virginia",
    "Washington", "West Virginia", "Wisconsin", "Wyoming"]
SLOGANS = [
    "Heart of Dixie", "Sweet Home Alabama", "North to the Future", "Grand Canyon State",
    "The Natural State", "Constitution State", "The First State",
    "Taxation Without Representation", "Sunshine State", "Peach State", "Aloha State",
    "Famous Potatoes", "Scenic Idaho", "Land of Lincoln", "Crossroads of America",
    "Unbridled Spirit", "Sportsman's Paradise", "Vacationland", "The Spirit of America",
    "Great Lakes State", "Pure Michigan", "Explore Minnesota", "Show Me State", "Big Sky Country",
    "The Silver State", "Live Free or Die", "Garden State", "Land of Enchantment", "Empire State",
    "First in Flight", "Peace Garden State", "Birthplace of Aviation", "Ocean State",
    "Great Faces Great Places", "Volunteer State", "The Lone Star State", "Life Elevated",
    "Greatest Snow on Earth", "Green Mountain State", "Virginia is for Lovers", "Evergreen State",
    "Wild Wonderful", "America's Dairyland"]
OTHER = ["COUNTY", "Centennial", "In God We Trust", "Disabled Veteran", "Purple Heart",
         "Save the Bay", "Conserve Wildlife", "Collegiate", "Go Team", "dmv.gov", "Medal of Honor",
         "Support Education", "Fire Fighter", "Choose Life", "Ducks Unlimited", "Farm", "Dealer"]


def label_of(text):
    return "".join(c for c in text.upper() if c in nets.ALPHABET)


def strip(rng):
    """One band as the engine cuts it (grey, H x W float in [0, 1]) and its label."""
    k = rng.random()
    text = (NAMES[int(rng.integers(0, len(NAMES)))] if k < 0.6 else
            SLOGANS[int(rng.integers(0, len(SLOGANS)))] if k < 0.85 else
            OTHER[int(rng.integers(0, len(OTHER)))] if k < 0.95 else "")
    r = rng.random()
    text = text.upper() if r < 0.45 else text.lower() if r < 0.5 else text
    cw, ch = W * 3, H * 3  # drawn large, shrunk later
    light_text = rng.random() < 0.12
    bg = synth._rand_color(rng, dark=light_text)
    fg = synth._rand_color(rng, dark=not light_text)
    img = Image.new("RGB", (cw, ch), bg)
    d = ImageDraw.Draw(img)
    if rng.random() < 0.4:  # decoration: faint blobs (a picture on the plate)
        for _ in range(int(rng.integers(1, 4))):
            c = synth._rand_color(rng, dark=rng.random() < 0.3)
            c = tuple(int(0.4 * a + 0.6 * b) for a, b in zip(c, bg))
            x, y, rr = rng.integers(0, cw), rng.integers(0, ch), rng.integers(20, 120)
            d.ellipse((x - rr, y - rr, x + rr, y + rr), fill=c)
    top = rng.random() < 0.6  # the top band: the frame above, the number's tops below
    if top and rng.random() < 0.6:
        d.rectangle((0, 0, cw, int(ch * rng.uniform(0.03, 0.15))), fill=fg)
    if top and rng.random() < 0.7:  # tops of the big characters along the lower edge
        x = rng.uniform(0, cw * 0.1)
        y0 = ch * rng.uniform(0.82, 0.95)
        while x < cw:
            w = cw * rng.uniform(0.06, 0.1)
            d.rectangle((x, y0, x + w, ch), fill=fg)
            x += w * rng.uniform(1.2, 1.6)
    if not top and rng.random() < 0.5:  # the number's bottoms above, the frame below
        x = rng.uniform(0, cw * 0.1)
        y1 = ch * rng.uniform(0.05, 0.15)
        while x < cw:
            w = cw * rng.uniform(0.06, 0.1)
            d.rectangle((x, 0, x + w, y1), fill=fg)
            x += w * rng.uniform(1.2, 1.6)
    if text:
        tc = fg if rng.random() < 0.5 else synth._rand_color(rng, dark=not light_text)
        fontname = synth.DECOR_FONTS[int(rng.integers(0, len(synth.DECOR_FONTS)))]
        tw = cw * rng.uniform(0.3, 0.92)
        x0 = rng.uniform(0.02, 0.98) * (cw - tw)
        th = ch * rng.uniform(0.35, 0.7)
        y0 = ch * rng.uniform(0.12, 0.3) if top else ch * rng.uniform(0.2, 0.35)
        synth._draw_text_fit(d, (x0, y0, x0 + tw, y0 + th), text, fontname, tc, th)
    img = synth.degrade(rng, img, strength=rng.uniform(0.3, 1.0))
    # sampled as the engine does: a bilinear resize of the band
    img = img.resize((W, H), Image.BILINEAR)
    return np.asarray(img, dtype=np.float32) / 255.0, label_of(text)


def batch(rng, n):
    xs, ys = zip(*(strip(rng) for _ in range(n)))
    return torch.from_numpy(np.stack(xs)[:, None]), list(ys)


def encode(texts):
    flat = [nets.ALPHABET.index(c) + 1 for t in texts for c in t]
    return torch.tensor(flat, dtype=torch.long), torch.tensor([len(t) for t in texts])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--init", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    net = nets.load_pkm(a.init, nets.READER_SPEC)
    net.train()
    nets.freeze_bn(net)  # load_pkm's batch-norms hold the folded shifts: keep them as they are
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=1e-4)
    t0, step, losses = time.time(), 0, []
    budget = a.minutes * 60
    while time.time() - t0 < budget:
        frac = (time.time() - t0) / budget
        for g in opt.param_groups:
            g["lr"] = a.lr * 0.5 * (1 + math.cos(math.pi * frac))
        x, y = batch(rng, 48)
        out = net(x)  # [N, C, 1, T]
        lp = F.log_softmax(out[:, :, 0, :], dim=1).permute(2, 0, 1)  # [T, N, C]
        tgt, tl = encode(y)
        il = torch.full((x.shape[0],), lp.shape[0], dtype=torch.long)
        loss = F.ctc_loss(lp, tgt, il, tl, blank=0, zero_infinity=True)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        step += 1
        if step % 100 == 0:
            print(f"step {step} t {(time.time() - t0) / 60:.1f}m loss {np.mean(losses[-100:]):.3f}",
                  flush=True)
    net.eval()
    nets.export(net, a.out, 2, H, 128, alphabet=nets.ALPHABET)
    print(f"wrote {a.out}: {step} steps in {(time.time() - t0) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    sys.exit(main())

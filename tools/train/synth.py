"""Synthetic licence-plate generator for platekeeper's detector and reader.

Renders US-style (2:1) and European-style (about 4.7:1) plates with free fonts
from Debian packages (Roadgeek, Nimbus Sans Narrow, DejaVu, Liberation),
state names and slogans, colours, stickers, bolts, embossing shading, then
composites them with a random perspective onto the plate-free background
photographs in ../shared/data/backgrounds, and degrades the result (blur,
noise, glare, night, JPEG artefacts).

Two kinds of sample come out:
  reader_sample():   a 32x128 grey crop around one plate (loose, as a
                     detector box would give) and its text;
  detector_sample(): a square grey scene crop and the plates' boxes in it.

Everything is driven by a numpy Generator, so a seed reproduces a data set.
"""

import glob
import io
import math
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
READER_H, READER_W = 32, 128

FONT_DIRS = ["/usr/share/fonts/truetype/roadgeek", "/usr/share/fonts/opentype/urw-base35",
             "/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation2"]
PLATE_FONT_NAMES = [
    "RG2014B.ttf", "RG2014C.ttf", "RG2014D.ttf", "RG2014E.ttf", "RG2014EM.ttf",
    "NimbusSansNarrow-Bold.otf", "NimbusSansNarrow-Regular.otf",
    "DejaVuSansCondensed-Bold.ttf", "DejaVuSansCondensed.ttf", "DejaVuSansMono-Bold.ttf",
    "LiberationSans-Bold.ttf", "LiberationMono-Bold.ttf", "NimbusSans-Bold.otf",
]
DECOR_FONT_NAMES = [
    "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "LiberationSerif-BoldItalic.ttf",
    "NimbusRoman-BoldItalic.otf", "Z003-MediumItalic.otf", "URWBookman-Demi.otf",
    "DejaVuSans-Bold.ttf", "LiberationSans-Regular.ttf", "C059-BdIta.otf", "RG2014D.ttf",
]
STATES = ["ALABAMA", "ALASKA", "ARIZONA", "ARKANSAS", "California", "COLORADO", "Connecticut",
          "DELAWARE", "FLORIDA", "Georgia", "HAWAII", "IDAHO", "ILLINOIS", "INDIANA", "Iowa",
          "KANSAS", "Kentucky", "Louisiana", "MAINE", "Maryland", "MASSACHUSETTS", "Michigan",
          "MINNESOTA", "Mississippi", "Missouri", "MONTANA", "Nebraska", "NEVADA",
          "New Hampshire", "NEW JERSEY", "NEW MEXICO", "NEW YORK", "North Carolina",
          "NORTH DAKOTA", "OHIO", "OKLAHOMA", "Oregon", "Pennsylvania", "RHODE ISLAND",
          "South Carolina", "SOUTH DAKOTA", "Tennessee", "TEXAS", "UTAH", "VERMONT",
          "Virginia", "WASHINGTON", "West Virginia", "WISCONSIN", "WYOMING"]
SLOGANS = ["The Golden State", "Sunshine State", "Land of Lincoln", "Empire State",
           "Garden State", "Lone Star State", "LIVE FREE OR DIE", "Great Lakes",
           "Famous Potatoes", "Wild Wonderful", "America's Dairyland", "First in Flight",
           "Treasure the Chesapeake", "dmv.ca.gov", "Greatest Snow on Earth",
           "PEACE GARDEN STATE", "Land of Enchantment", "Show Me State", "Pure Michigan",
           "Explore Minnesota", "Centennial", "Sportsman's Paradise", "Aloha State"]

_font_cache = {}


def _font_path(name):
    for d in FONT_DIRS:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return None


def font(name, size):
    key = (name, size)
    f = _font_cache.get(key)
    if f is None:
        f = ImageFont.truetype(_font_path(name), size)
        _font_cache[key] = f
    return f


PLATE_FONTS = [n for n in PLATE_FONT_NAMES if _font_path(n)]
DECOR_FONTS = [n for n in DECOR_FONT_NAMES if _font_path(n)]


def load_backgrounds(bg_dir, split):
    """Background images as grey-able RGB arrays. split: 'train' (index % 10 != 0),
    'val' (index % 10 == 0) or 'all'."""
    files = sorted(glob.glob(os.path.join(bg_dir, "*.jpg")))
    out = []
    for i, f in enumerate(files):
        if split == "train" and i % 10 == 0:
            continue
        if split == "val" and i % 10 != 0:
            continue
        out.append(np.asarray(Image.open(f).convert("RGB")))
    return out


# ---------------------------------------------------------------- plate text

US_PATTERNS = ["1AAA111", "AAA1111", "AAA111", "111AAA", "AA11111", "1AA1111", "A111AA",
               "11A1111", "111A111", "AAA1A11", "1A11111", "AA1A111", "A11AAA", "111111",
               "AAAA11", "1AAA11", "11AAA11", "A1111", "AA111", "AAA11A", "1111111", "AAAAAAA"]
EU_PATTERNS = ["AA111AA", "A11111", "AAA1111", "AA1111", "AAA11A", "AA11AAA", "A1AAA",
               "AAA111", "11AAA11", "AA11111", "AAAAAA", "A1111AA", "AAA11AA"]


def plate_text(rng, eu=False):
    pats = EU_PATTERNS if eu else US_PATTERNS
    if rng.random() < 0.15:
        n = int(rng.integers(4, 9))
        return "".join(ALPHABET[int(rng.integers(0, 36))] for _ in range(n))
    p = pats[int(rng.integers(0, len(pats)))]
    s = []
    for c in p:
        if c == "A":
            s.append(chr(65 + int(rng.integers(0, 26))))
        else:
            s.append(chr(48 + int(rng.integers(0, 10))))
    return "".join(s)


def _split_groups(rng, text):
    """Where to put a visual gap (space, dash, emblem): list of group strings."""
    if len(text) >= 5 and rng.random() < 0.6:
        k = int(rng.integers(2, len(text) - 1))
        return [text[:k], text[k:]]
    return [text]


def _rand_color(rng, dark):
    if dark:
        choices = [(10, 10, 10), (20, 30, 110), (120, 20, 20), (10, 70, 30), (60, 20, 60),
                   (30, 30, 60)]
    else:
        choices = [(245, 245, 240), (250, 240, 170), (230, 240, 250), (255, 255, 255),
                   (235, 225, 200), (200, 220, 235), (250, 220, 120)]
    c = np.array(choices[int(rng.integers(0, len(choices)))], dtype=np.float32)
    c = c + rng.normal(0, 12, 3)
    return tuple(int(v) for v in np.clip(c, 0, 255))


def _draw_text_fit(draw, box, text, fontname, fill, max_h):
    """Draw text scaled so it fits box=(x0,y0,x1,y1); returns nothing."""
    x0, y0, x1, y1 = box
    size = max(6, int(max_h))
    f = font(fontname, size)
    l, t, r, b = draw.textbbox((0, 0), text, font=f)
    w, h = r - l, b - t
    if w > (x1 - x0) and w > 0:
        size = max(6, int(size * (x1 - x0) / w))
        f = font(fontname, size)
        l, t, r, b = draw.textbbox((0, 0), text, font=f)
        w, h = r - l, b - t
    cx = (x0 + x1) / 2 - w / 2 - l
    cy = (y0 + y1) / 2 - h / 2 - t
    draw.text((cx, cy), text, font=f, fill=fill)


EMBLEM_WORDS = ["USA", "UNC", "UNCG", "NAVY", "ARMY", "USMC", "VFW", "OSU", "UGA", "PH", "DV",
                "IN GOD", "BSA", "ELKS", "FOP", "NRA", "4H", "EMS", "FD", "HAM"]


# Photographs (the training backgrounds) to cut seal- and logo-like pictures from; gen.py sets
# it. None: no pictures are drawn.
EMBLEM_PICTURES = None


def _paste_picture(rng, img, box):
    """A patch of a photograph shrunk into box, in a circle (a seal, a college's crest) or a
    rounded square, sometimes ringed: real specialty plates print full-colour pictures, which the
    drawn shapes alone do not resemble (a college seal was read as G, Olympic rings as 8)."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    w, h = max(4, x1 - x0), max(4, y1 - y0)
    src = EMBLEM_PICTURES[int(rng.integers(0, len(EMBLEM_PICTURES)))]
    sh, sw = src.shape[:2]
    side = int(rng.integers(24, max(25, min(sh, sw) // 2)))
    py, px = int(rng.integers(0, sh - side + 1)), int(rng.integers(0, sw - side + 1))
    patch = Image.fromarray(src[py:py + side, px:px + side]).resize((w, h), Image.BILINEAR)
    if rng.random() < 0.5:  # printed pictures are brighter and more saturated than photos
        a = np.asarray(patch).astype(np.float32)
        a = np.clip((a - a.mean()) * rng.uniform(1.0, 1.8) + rng.uniform(110, 200), 0, 255)
        patch = Image.fromarray(a.astype(np.uint8))
    mask = Image.new("L", (w, h), 0)
    md = ImageDraw.Draw(mask)
    if rng.random() < 0.6:
        md.ellipse((0, 0, w - 1, h - 1), fill=255)
    else:
        md.rounded_rectangle((0, 0, w - 1, h - 1), radius=int(min(w, h) / 6), fill=255)
    img.paste(patch, (x0, y0), mask)
    if rng.random() < 0.4:
        d = ImageDraw.Draw(img)
        d.ellipse((x0, y0, x0 + w - 1, y0 + h - 1), outline=_rand_color(rng, dark=True),
                  width=max(1, int(min(w, h) / 12)))


def _draw_emblem(rng, d, box, fg, bg, img=None):
    """A graphic at the left of a specialty plate: a seal, a pictogram, a logo word, stacked
    small letters or one half-height letter. Real plates carry these beside the plate number,
    and the labels leave them out: the reader must learn to, too (they were read as P, 0, L, N,
    G, MFG, 5, 8 on the US crops' validation half)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    kind = int(rng.integers(0, 8 if img is not None and EMBLEM_PICTURES else 6))
    col = fg if rng.random() < 0.5 else _rand_color(rng, dark=rng.random() < 0.7)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if kind == 0:  # a seal: rings, a filled centre, maybe a tiny inscription
        r = min(w, h) / 2 * rng.uniform(0.75, 1.0)
        d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=col, width=max(1, int(r / 6)))
        ri = r * rng.uniform(0.4, 0.7)
        inner = _rand_color(rng, dark=rng.random() < 0.5)
        d.ellipse((cx - ri, cy - ri, cx + ri, cy + ri), fill=inner)
        if rng.random() < 0.5:
            _draw_text_fit(d, (cx - r * 0.8, cy + ri, cx + r * 0.8, cy + r * 0.95),
                           "SEAL OF THE STATE", "DejaVuSans-Bold.ttf", col, r * 0.25)
    elif kind == 1:  # a pictogram: wheelchair, star or fruit-like blob
        r = min(w, h) / 2 * rng.uniform(0.6, 0.95)
        sub = int(rng.integers(0, 3))
        if sub == 0:
            lw = max(2, int(r / 5))
            d.ellipse((cx - r * 0.2, cy - r, cx + r * 0.15, cy - r * 0.65), fill=col)
            d.line((cx - r * 0.05, cy - r * 0.6, cx - r * 0.05, cy + r * 0.1), fill=col, width=lw)
            d.line((cx - r * 0.05, cy + r * 0.1, cx + r * 0.6, cy + r * 0.1), fill=col, width=lw)
            d.arc((cx - r * 0.8, cy - r * 0.3, cx + r * 0.4, cy + r * 0.95), 60, 330, fill=col,
                  width=lw)
        elif sub == 1:
            pts = []
            for k in range(10):
                a = math.pi / 2 + k * math.pi / 5
                rr = r if k % 2 == 0 else r * 0.45
                pts.append((cx + rr * math.cos(a), cy - rr * math.sin(a)))
            d.polygon(pts, fill=col)
        else:
            d.ellipse((cx - r * 0.8, cy - r * 0.7, cx + r * 0.8, cy + r * 0.9), fill=col)
            d.ellipse((cx, cy - r, cx + r * 0.6, cy - r * 0.6), fill=_rand_color(rng, True))
    elif kind == 2:  # a logo word, smaller and in another style
        word = EMBLEM_WORDS[int(rng.integers(0, len(EMBLEM_WORDS)))]
        _draw_text_fit(d, box, word, DECOR_FONTS[int(rng.integers(0, len(DECOR_FONTS)))], col,
                       h * rng.uniform(0.25, 0.45))
    elif kind == 3:  # two small letters stacked
        a = ALPHABET[int(rng.integers(10, 36))]
        b = ALPHABET[int(rng.integers(0, 36))]
        f = PLATE_FONTS[int(rng.integers(0, len(PLATE_FONTS)))]
        _draw_text_fit(d, (x0, y0, x1, cy), a, f, col, h * 0.42)
        _draw_text_fit(d, (x0, cy, x1, y1), b, f, col, h * 0.42)
    elif kind == 4:  # one half-height letter or number (a county or weight class)
        c = ALPHABET[int(rng.integers(0, 36))]
        _draw_text_fit(d, box, c, PLATE_FONTS[int(rng.integers(0, len(PLATE_FONTS)))], col,
                       h * rng.uniform(0.25, 0.35))
    elif kind == 5:  # a coloured badge with a number on it
        d.rounded_rectangle((x0, y0 + h * 0.1, x1, y1 - h * 0.1), radius=int(w / 5), fill=col)
        _draw_text_fit(d, (x0, y0 + h * 0.2, x1, y1 - h * 0.2), str(int(rng.integers(1, 99))),
                       "DejaVuSans-Bold.ttf", bg, h * 0.5)
    elif kind == 6:  # a picture, taller than the characters as seals often are
        r = min(w, h * 1.3) / 2 * rng.uniform(0.85, 1.0)
        _paste_picture(rng, img, (cx - r, cy - r * rng.uniform(1.0, 1.25), cx + r, cy + r))
    else:  # a logo word over a picture or over rings (Olympic, a college's initials over a mascot)
        word = EMBLEM_WORDS[int(rng.integers(0, len(EMBLEM_WORDS)))]
        _draw_text_fit(d, (x0, y0, x1, y0 + h * 0.4), word,
                       DECOR_FONTS[int(rng.integers(0, len(DECOR_FONTS)))], col, h * 0.35)
        if rng.random() < 0.5:
            _paste_picture(rng, img, (x0 + w * 0.1, y0 + h * 0.42, x1 - w * 0.1, y1))
        else:
            rr, lw = w / 7, max(1, int(w / 30))
            for k in range(5):
                ccx = x0 + w * (0.2 + 0.15 * k)
                ccy = y0 + h * (0.6 if k % 2 == 0 else 0.75)
                d.ellipse((ccx - rr, ccy - rr, ccx + rr, ccy + rr),
                          outline=_rand_color(rng, dark=rng.random() < 0.5), width=lw)


# Share of US plates drawn as specialty plates with an emblem at the left, and the share of those
# with it at the right instead (stacked or half-height characters, a badge: e.g. a disabled
# plate's "HH" after the number).
EMBLEM_P = 0.0
EMBLEM_RIGHT = 0.0


def render_plate(rng, eu=False):
    """Returns (RGB PIL image of the plate, text). The plate fills the image."""
    text = plate_text(rng, eu)
    if eu:
        W, H = 470, 100
    else:
        W, H = 300, 150
    light_text = (not eu) and rng.random() < 0.12
    bg = _rand_color(rng, dark=light_text)
    fg = _rand_color(rng, dark=not light_text)
    if eu and rng.random() < 0.75:
        bg = (240, 240, 235) if rng.random() < 0.8 else (245, 205, 40)
        fg = (15, 15, 15)
    img = Image.new("RGB", (W, H), bg)
    d = ImageDraw.Draw(img)
    # background decoration: gradient band or a faint picture of shapes
    if not eu and rng.random() < 0.5:
        arr = np.asarray(img).astype(np.float32)
        g = np.linspace(0, 1, H)[:, None, None] * rng.normal(0, 40, 3)[None, None, :]
        arr = np.clip(arr + g, 0, 255).astype(np.uint8)
        img = Image.fromarray(arr)
        d = ImageDraw.Draw(img)
    if not eu and rng.random() < 0.35:
        for _ in range(int(rng.integers(1, 4))):
            c = _rand_color(rng, dark=rng.random() < 0.3)
            c = tuple(int(0.35 * a + 0.65 * b) for a, b in zip(c, bg))
            x = rng.integers(0, W)
            y = rng.integers(H // 4, H)
            r = rng.integers(10, 60)
            d.ellipse((x - r, y - r, x + r, y + r), fill=c)
    x_left = 0
    if eu:
        band = int(W * rng.uniform(0.07, 0.1))
        if rng.random() < 0.85:
            d.rectangle((0, 0, band, H), fill=(30, 60, 170))
            _draw_text_fit(d, (0, H * 0.6, band, H * 0.95), ["D", "F", "NL", "PL", "I", "B"][
                int(rng.integers(0, 6))], "DejaVuSans-Bold.ttf", (240, 240, 240), H * 0.28)
            x_left = band
    # border
    if rng.random() < 0.7:
        bw = int(rng.integers(2, 6))
        d.rectangle((bw // 2, bw // 2, W - 1 - bw // 2, H - 1 - bw // 2), outline=fg, width=bw)
    # state name and slogan
    if not eu:
        if rng.random() < 0.9:
            st = STATES[int(rng.integers(0, len(STATES)))]
            dc = fg if rng.random() < 0.5 else _rand_color(rng, dark=not light_text)
            _draw_text_fit(d, (W * 0.2, H * 0.02, W * 0.8, H * 0.24), st,
                           DECOR_FONTS[int(rng.integers(0, len(DECOR_FONTS)))], dc, H * 0.2)
        if rng.random() < 0.7:
            sl = SLOGANS[int(rng.integers(0, len(SLOGANS)))]
            _draw_text_fit(d, (W * 0.15, H * 0.83, W * 0.85, H * 0.98), sl,
                           DECOR_FONTS[int(rng.integers(0, len(DECOR_FONTS)))], fg, H * 0.13)
        # stickers in the corners
        for cx in (0.03, 0.82):
            if rng.random() < 0.4:
                c = _rand_color(rng, dark=rng.random() < 0.5)
                y0 = H * rng.choice([0.04, 0.74])
                d.rectangle((W * cx, y0, W * cx + W * 0.15, y0 + H * 0.2), fill=c)
                _draw_text_fit(d, (W * cx, y0, W * cx + W * 0.15, y0 + H * 0.2),
                               str(int(rng.integers(1, 99))), "DejaVuSans-Bold.ttf",
                               _rand_color(rng, dark=True), H * 0.16)
        # bolts
        if rng.random() < 0.5:
            for bx in (0.25, 0.75):
                for by in (0.12, 0.88):
                    if rng.random() < 0.6:
                        d.ellipse((W * bx - 4, H * by - 4, W * bx + 4, H * by + 4),
                                  fill=(150, 150, 150))
    # main characters
    fname = PLATE_FONTS[int(rng.integers(0, len(PLATE_FONTS)))]
    groups = _split_groups(rng, text)
    disp = (" " if rng.random() < 0.6 else "-").join(groups) if len(groups) > 1 else groups[0]
    if eu:
        box = (x_left + W * 0.03, H * 0.08, W * 0.97, H * 0.92)
        th = H * rng.uniform(0.7, 0.82)
    elif EMBLEM_P > 0 and rng.random() < EMBLEM_P:
        ew = W * rng.uniform(0.13, 0.22)
        if EMBLEM_RIGHT > 0 and rng.random() < EMBLEM_RIGHT:
            ex = W * (1 - rng.uniform(0.02, 0.05)) - ew
            _draw_emblem(rng, d, (ex, H * 0.2, ex + ew, H * 0.82), fg, bg, img)
            box = (W * rng.uniform(0.03, 0.07), H * 0.2, ex - W * rng.uniform(0.01, 0.04), H * 0.82)
        else:
            ex = W * rng.uniform(0.02, 0.05)
            _draw_emblem(rng, d, (ex, H * 0.2, ex + ew, H * 0.82), fg, bg, img)
            box = (ex + ew + W * rng.uniform(0.01, 0.04), H * 0.2, W * rng.uniform(0.93, 0.97),
                   H * 0.82)
        th = H * rng.uniform(0.45, 0.62)
    else:
        wfrac = rng.uniform(0.72, 0.94)
        box = (W * (1 - wfrac) / 2, H * 0.2, W * (1 + wfrac) / 2, H * 0.82)
        th = H * rng.uniform(0.45, 0.62)
    # embossing: a shadow offset below-right in a darker bg tone
    if rng.random() < 0.4:
        sh = tuple(max(0, int(c * 0.55)) for c in bg)
        o = int(rng.integers(1, 4))
        _draw_text_fit(d, (box[0] + o, box[1] + o, box[2] + o, box[3] + o), disp, fname, sh, th)
    _draw_text_fit(d, box, disp, fname, fg, th)
    return img, text


# ---------------------------------------------------------------- geometry


def _persp_coeffs(src, dst):
    """PIL PERSPECTIVE coefficients mapping output points dst -> input points src."""
    A = []
    B = []
    for (x, y), (u, v) in zip(dst, src):
        A.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        A.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        B.extend([u, v])
    return np.linalg.solve(np.array(A, dtype=np.float64), np.array(B, dtype=np.float64))


def _plate_corners(rng, cx, cy, pw, ph, strength=1.0):
    """Four corners (TL, TR, BR, BL) of a plate of size pw x ph centred at cx,cy
    with random rotation, skew and perspective."""
    ang = rng.normal(0, 4) * strength * math.pi / 180
    shear = rng.normal(0, 0.08) * strength
    pts = np.array([[-pw / 2, -ph / 2], [pw / 2, -ph / 2], [pw / 2, ph / 2], [-pw / 2, ph / 2]])
    pts[:, 0] += shear * pts[:, 1]
    # perspective: one side shorter
    k = rng.normal(0, 0.06) * strength
    pts[:, 1] *= 1 + k * np.sign(pts[:, 0])
    k2 = rng.normal(0, 0.04) * strength
    pts[:, 0] *= 1 + k2 * np.sign(pts[:, 1])
    pts += rng.normal(0, 0.015, pts.shape) * np.array([pw, ph]) * strength
    c, s = math.cos(ang), math.sin(ang)
    R = np.array([[c, -s], [s, c]])
    pts = pts @ R.T
    pts += np.array([cx, cy])
    return pts


def paste_plate(canvas, plate, corners):
    """Warp plate (PIL RGB) onto canvas (PIL RGB, modified) at corners."""
    W, H = plate.size
    src = [(0, 0), (W, 0), (W, H), (0, H)]
    coeffs = _persp_coeffs(src, [tuple(p) for p in corners])
    cw, ch = canvas.size
    warped = plate.transform((cw, ch), Image.PERSPECTIVE, tuple(coeffs), Image.BILINEAR)
    mask = Image.new("L", (W, H), 255).transform((cw, ch), Image.PERSPECTIVE, tuple(coeffs),
                                                  Image.BILINEAR)
    canvas.paste(warped, (0, 0), mask)


def _bg_patch(rng, bgs, w, h):
    bg = bgs[int(rng.integers(0, len(bgs)))]
    H, W = bg.shape[:2]
    # random crop with a random scale, then resize to w x h
    s = rng.uniform(0.3, 1.0)
    cw = max(8, int(W * s))
    chh = max(8, int(cw * h / w))
    if chh > H:
        chh = H
        cw = max(8, int(chh * w / h))
    x = int(rng.integers(0, max(1, W - cw + 1)))
    y = int(rng.integers(0, max(1, H - chh + 1)))
    return Image.fromarray(bg[y:y + chh, x:x + cw]).resize((w, h), Image.BILINEAR)


# ---------------------------------------------------------------- degradation


def degrade(rng, img, strength=1.0):
    """Photometric damage on a PIL RGB image; returns a PIL L image."""
    if rng.random() < 0.5 * strength:
        img = img.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.3, 1.6))))
    a = np.asarray(img.convert("L")).astype(np.float32)
    # contrast / brightness / gamma / night / glare
    if rng.random() < 0.15 * strength:
        a = 255 - a if rng.random() < 0.1 else a
    c = rng.uniform(0.45, 1.25)
    b = rng.uniform(-60, 60)
    a = (a - 128) * c + 128 + b
    if rng.random() < 0.2 * strength:  # night: dark and noisy
        a = a * rng.uniform(0.2, 0.5)
    if rng.random() < 0.15 * strength:  # glare blob
        hh, ww = a.shape
        yy, xx = np.mgrid[0:hh, 0:ww]
        cx, cy = rng.uniform(0, ww), rng.uniform(0, hh)
        r = rng.uniform(0.1, 0.5) * max(hh, ww)
        a = a + rng.uniform(60, 180) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
    if rng.random() < 0.3:  # gradient shadow
        hh, ww = a.shape
        g = np.linspace(rng.uniform(-50, 50), rng.uniform(-50, 50), ww)[None, :]
        a = a + g
    a = a + rng.normal(0, rng.uniform(0, 10) * strength, a.shape)
    a = np.clip(a, 0, 255).astype(np.uint8)
    img = Image.fromarray(a)
    if rng.random() < 0.6:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=int(rng.integers(25, 95)))
        buf.seek(0)
        img = Image.open(buf).convert("L")
    return img


# ---------------------------------------------------------------- samples


def crop_resize(img, box, out_w=READER_W, out_h=READER_H):
    """The reader's input: box (x0,y0,x1,y1, floats) of a PIL L image resized to
    out_w x out_h with bilinear sampling (outside is edge-replicated)."""
    return img.transform((out_w, out_h), Image.EXTENT, tuple(box), Image.BILINEAR)


def jitter_box(rng, x0, y0, x1, y1):
    """A loose box around the plate bounds, as the detector returns it."""
    w, h = x1 - x0, y1 - y0
    return (x0 - w * rng.uniform(-0.04, 0.12), y0 - h * rng.uniform(-0.06, 0.2),
            x1 + w * rng.uniform(-0.04, 0.12), y1 + h * rng.uniform(-0.06, 0.2))


def reader_sample(rng, bgs, eu_frac=0.25):
    eu = rng.random() < eu_frac
    plate, text = render_plate(rng, eu)
    # plate width in pixels in the camera image: small plates are hard
    pw = float(np.exp(rng.uniform(math.log(45), math.log(220))))
    ph = pw * plate.size[1] / plate.size[0] * rng.uniform(0.9, 1.1)
    cw, chh = int(pw * 1.8) + 8, int(ph * 2.6) + 8
    canvas = _bg_patch(rng, bgs, cw, chh)
    corners = _plate_corners(rng, cw / 2, chh / 2, pw, ph)
    # render the plate a bit larger than its final size, then paste
    pl = plate.resize((max(8, int(pw * 1.5)), max(4, int(ph * 1.5))), Image.BILINEAR)
    paste_plate(canvas, pl, corners)
    g = degrade(rng, canvas)
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    box = jitter_box(rng, x0, y0, x1, y1)
    out = crop_resize(g, box)
    return np.asarray(out, dtype=np.uint8), text


def real_crop_sample(rng, img, text, scale_lo=0.15):
    """Augmented reader input from a real plate crop (PIL RGB, the plate fills
    most of it as in seg_and_ocr)."""
    W, H = img.size
    # the crops hold the plate with a small border; jitter as a detector would
    box = (W * rng.uniform(-0.04, 0.06), H * rng.uniform(-0.06, 0.1),
           W * (1 - rng.uniform(-0.04, 0.06)), H * (1 - rng.uniform(-0.06, 0.1)))
    scale = rng.uniform(scale_lo, 0.7)
    small = img.resize((max(8, int(W * scale)), max(4, int(H * scale))), Image.BILINEAR)
    box = tuple(v * scale for v in box)
    g = degrade(rng, small, strength=0.5)
    return np.asarray(crop_resize(g, box), dtype=np.uint8), text


DET_SIZE = 256


def detector_sample(rng, bgs, size=DET_SIZE, real=None):
    """Returns (uint8 size x size grey image, list of boxes (x0,y0,x1,y1)). real: optional list
    of real plate crops (PIL RGB) used instead of a rendered plate 40% of the time."""
    canvas = _bg_patch(rng, bgs, size, size)
    boxes = []
    n = int(rng.choice([0, 1, 1, 1, 2, 2, 3]))
    for _ in range(n):
        eu = rng.random() < 0.3
        if real and rng.random() < 0.4:
            plate = real[int(rng.integers(0, len(real)))]
        else:
            plate, _ = render_plate(rng, eu)
        pw = float(np.exp(rng.uniform(math.log(16), math.log(190))))
        ph = pw * plate.size[1] / plate.size[0] * rng.uniform(0.85, 1.15)
        cx = rng.uniform(pw * 0.3, size - pw * 0.3)
        cy = rng.uniform(ph * 0.3, size - ph * 0.3)
        bx = (cx - pw / 2, cy - ph / 2, cx + pw / 2, cy + ph / 2)
        if any(not (bx[2] < b[0] or bx[0] > b[2] or bx[3] < b[1] or bx[1] > b[3]) for b in boxes):
            continue
        # a car-ish dark or light body rectangle around some plates
        if rng.random() < 0.4:
            d = ImageDraw.Draw(canvas)
            c = tuple(int(v) for v in rng.integers(0, 255, 3))
            d.rectangle((cx - pw * 1.8, cy - ph * 2.2, cx + pw * 1.8, cy + ph * 1.6), fill=c)
        corners = _plate_corners(rng, cx, cy, pw, ph, strength=1.3)
        pl = plate.resize((max(8, int(pw * 1.5)), max(4, int(ph * 1.5))), Image.BILINEAR)
        paste_plate(canvas, pl, corners)
        x0, y0 = corners.min(axis=0)
        x1, y1 = corners.max(axis=0)
        boxes.append((x0, y0, x1, y1))
    # distractors: text that is not a plate (signs, stickers)
    if rng.random() < 0.3:
        d = ImageDraw.Draw(canvas)
        t = STATES[int(rng.integers(0, len(STATES)))] if rng.random() < 0.5 else \
            SLOGANS[int(rng.integers(0, len(SLOGANS)))]
        x, y = rng.uniform(0, size * 0.6), rng.uniform(0, size * 0.9)
        d.text((x, y), t, font=font(DECOR_FONTS[int(rng.integers(0, len(DECOR_FONTS)))],
                                     int(rng.integers(8, 30))),
               fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    g = degrade(rng, canvas, strength=0.7)
    return np.asarray(g, dtype=np.uint8), boxes


if __name__ == "__main__":
    import sys
    rng = np.random.default_rng(1)
    bgs = load_backgrounds(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/backgrounds",
                           "train")
    tiles = [reader_sample(rng, bgs)[0] for _ in range(24)]
    grid = np.vstack([np.hstack(tiles[i * 4:(i + 1) * 4]) for i in range(6)])
    Image.fromarray(grid).save("/tmp/reader_samples.png")
    ims = []
    for _ in range(4):
        im, bx = detector_sample(rng, bgs)
        pim = Image.fromarray(im).convert("RGB")
        d = ImageDraw.Draw(pim)
        for b in bx:
            d.rectangle(b, outline=(255, 0, 0))
        ims.append(np.asarray(pim))
    Image.fromarray(np.hstack(ims)).save("/tmp/det_samples.png")

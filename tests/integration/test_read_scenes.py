"""`platekeeper read -j` on real photographs (issue 6): the committed models find and read the
plates of the labelled benchmark scenes that no model was trained on (the validation half of
../shared/data/openalpr-benchmarks/endtoend, crc32 of the file name odd; see
tools/train/scenes.py), and the JSON has OpenALPR's shape with consistent fields.

The floors are set well under the figures `make bench-recog` measures (MODEL_CARD.md), so they
catch a broken engine, a wrong model file or a decoding regression, not a point of accuracy.
When the labelled data is not beside the checkout the test says so and checks nothing else.
"""
import glob
import json
import math
import os
import subprocess
import sys
import zlib

from pkserver import PK_BIN, Tap

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools", "eval"))
from score import bounds, iou  # noqa: E402  (the benchmark's own box overlap, not a copy)
DATA = os.environ.get("PK_DATA") or os.path.join(ROOT, "..", "shared", "data")
SCENES = os.path.join(DATA, "openalpr-benchmarks", "endtoend")

FLOOR = {"us": (0.85, 0.92), "eu": (0.85, 0.95)}  # top-1 read, plate found (unseen half)


def labelled(region):
    out = {}
    for t in sorted(glob.glob(os.path.join(SCENES, region, "*.txt"))):
        parts = open(t).read().strip().split("\t")
        if len(parts) < 6 or zlib.crc32(parts[0].encode()) % 2 == 0:
            continue
        img = os.path.join(SCENES, region, parts[0])
        if os.path.exists(img):
            x, y, w, h = (float(v) for v in parts[1:5])
            out[img] = (parts[5].upper(), (x, y, x + w, y + h))
    return out


def rank_key(r, cand):
    """The order candidates come in: by confidence, or, when the plate's state was told (region),
    with a reading that fits none of its formats counted a tenth as likely, spread over its
    characters (src/recog/region.c, docs/recognition.md)."""
    lc = math.log(max(cand["confidence"], 1e-6) / 100)
    if r["region"] and not cand["matches_template"]:
        lc += math.log(0.1) / max(1, len(cand["plate"]))
    return lc


def plate_ok(r):
    c = r["coordinates"]
    cands = r["candidates"]
    return (len(c) == 4 and c[0]["x"] < c[1]["x"] and c[0]["y"] < c[3]["y"]
            and 0 <= r["confidence"] <= 100 and cands
            and cands[0]["plate"] == r["plate"]
            and all(rank_key(r, a) >= rank_key(r, b) - 1e-6 for a, b in zip(cands, cands[1:]))
            and (r["region"] or not any(a["matches_template"] for a in cands))
            and len(cands) <= r["requested_topn"])


def check_shape(t, objs, region):
    keys = {"version", "data_type", "epoch_time", "img_width", "img_height", "processing_time_ms",
            "regions_of_interest", "results", "file"}
    bad = [o for o in objs if not (keys <= set(o) and o["data_type"] == "alpr_results")]
    t.ok(not bad, "%s: every object has OpenALPR's result fields" % region, bad[:1])
    results = [r for o in objs for r in o.get("results", [])]
    bad = [r for r in results if not plate_ok(r)]
    t.ok(results and not bad, "%s: every plate's corners, confidences and candidates are "
         "consistent (%d plates)" % (region, len(results)), bad[:1])


def region_test(t, region):
    labels = labelled(region)
    p = subprocess.run([PK_BIN, "read", "-j", "-n", "5", "-c", region] + list(labels),
                       capture_output=True, text=True, timeout=600)
    t.eq(p.returncode, 0, "%s: read exits 0 on %d scenes" % (region, len(labels)))
    got = {}
    for line in p.stdout.splitlines():
        o = json.loads(line)
        got[o["file"]] = o
    t.eq(set(got), set(labels), "%s: one JSON object per scene, named by its file" % region)
    check_shape(t, list(got.values()), region)
    top1 = found = 0
    for img, (plate, box) in labels.items():
        rs = got.get(img, {}).get("results", [])
        top1 += any(r["plate"] == plate for r in rs)
        found += any(iou(box, bounds(r["coordinates"])) > 0.4 for r in rs)
    n = max(1, len(labels))
    t.ok(top1 / n >= FLOOR[region][0], "%s: %d of %d unseen scenes read exactly (floor %.0f%%)"
         % (region, top1, n, FLOOR[region][0] * 100))
    t.ok(found / n >= FLOOR[region][1], "%s: plate found in %d of %d (floor %.0f%%)"
         % (region, found, n, FLOOR[region][1] * 100))


def main(t):
    if not os.path.isdir(SCENES):
        t.ok(True, "# SKIP no labelled scenes at %s" % SCENES)
        return
    for region in ("us", "eu"):
        region_test(t, region)


if __name__ == "__main__":
    Tap().run(main)

"""`platekeeper read -p STATE` and the detected state (issue 6, docs/recognition.md).

-p: the state's standard formats rank the readings and fill matches_template (region is not set
from it: ingest would take it as the read's state); an unknown code or -p with European plates is
refused naming the option.

Detected state: a plate 100 px wide or more whose printed state name or slogan reads clearly
(models/reader-state.pkm reads them) gets region (its code) and region_confidence, and without
-p that state's formats rank its readings; --no-region turns it off; a plate whose name does not
read, or a small one, gets none.

The parts that read labelled images are skipped when ../shared/data is not beside the checkout.
"""
import json
import os
import subprocess

from pkserver import PK_BIN, Tap

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DATA = os.environ.get("PK_DATA") or os.path.join(ROOT, "..", "shared", "data")
CROP = os.path.join(DATA, "openalpr-benchmarks", "seg_and_ocr", "usimages", "ok1101.png")
SCENE = os.path.join(DATA, "openalpr-benchmarks", "endtoend", "us", "car3.jpg")
CROPS = os.path.join(DATA, "openalpr-benchmarks", "seg_and_ocr", "usimages")
TX_SCENE = os.path.join(DATA, "openalpr-benchmarks", "endtoend", "us", "wts-lg-000144.jpg")
TX_SMALL = os.path.join(DATA, "openalpr-benchmarks", "endtoend", "us", "wts-lg-000021.jpg")
OKLAHOMA = ("LLLDDD", "DDDLLL")  # src/recog/region.c


def read(*args):
    return subprocess.run([PK_BIN, "read"] + list(args), capture_output=True, text=True)


def fits(plate, formats):
    return any(len(f) == len(plate) and all(c == "*" or (c == "D") == ch.isdigit()
                                            for c, ch in zip(f, plate)) for f in formats)


def main(t):
    p = read("--regions")
    lines = p.stdout.splitlines()
    t.ok(p.returncode == 0 and len(lines) == 51 and "ca  California" in lines
         and "dc  District of Columbia" in lines, "--regions lists the 50 states and DC",
         p.stdout[:200])

    for args, words in ((["-p", "zz", "x.jpg"], ["-p", "zz"]), (["-p", "cal", "x.jpg"], ["-p"]),
                        (["-p", "ca", "-c", "eu", "x.jpg"], ["-p", "-c us"])):
        p = read(*args)
        t.ok(p.returncode == 2 and all(w in p.stderr for w in words) and p.stdout == "",
             "read %s: refused naming %s" % (" ".join(args), ", ".join(words)), p.stderr)

    if not os.path.exists(CROP):
        t.ok(True, "# SKIP no labelled crops at %s" % CROP)
        return
    # -p on its own: the state is not told (--no-region), so only -p's formats rank.
    plain = json.loads(read("-j", "-n", "10", "--crop", "--no-region", CROP).stdout)["results"][0]
    withp = json.loads(read("-j", "-n", "10", "--crop", "--no-region", "-p", "OK",
                            CROP).stdout)["results"][0]
    t.ok(plain["region"] == "" and plain["region_confidence"] == 0
         and not plain["matches_template"]
         and not any(c["matches_template"] for c in plain["candidates"]),
         "without -p and without the state told: no region, no template matches")
    t.ok(withp["region"] == "" and withp["region_confidence"] == 0,
         "-p OK: region is not set from -p", withp["region"])
    t.eq(sorted(c["plate"] for c in withp["candidates"]),
         sorted(c["plate"] for c in plain["candidates"]), "-p only reorders the readings")
    t.ok(all(c["matches_template"] == int(fits(c["plate"], OKLAHOMA))
             for c in withp["candidates"]), "matches_template says which fit Oklahoma's formats",
         withp["candidates"])
    # The reader's best, 676DW5, fits no Oklahoma format; 676DWS (the label) does.
    t.ok(plain["plate"] == "676DW5" and withp["plate"] == "676DWS"
         and withp["matches_template"] == 1 and withp["confidence"] < plain["confidence"],
         "a fitting reading a little less sure goes first", (plain["plate"], withp["plate"]))

    p = read("-p", "ok", "--crop", "--no-region", CROP)
    t.ok(p.returncode == 0 and "676DWS" in p.stdout and "fits OK format" in p.stdout,
         "the table says whether the plate fits the state's formats", p.stdout)

    detected(t)

    if os.path.exists(SCENE):
        o = json.loads(read("-j", "-p", "ca", SCENE).stdout)
        t.ok(any(r["plate"] == "1AMW240" and r["matches_template"] == 1 for r in o["results"]), "a California scene read with -p ca fits (1AMW240)",
             o["results"])


def crop_result(*args):
    p = read("-j", *args)
    return json.loads(p.stdout)["results"][0]


def detected(t):
    # The same Oklahoma crop with its state told: its name is in script, which the state-name
    # reader (models/reader-state.pkm) reads, and Oklahoma's formats then rank as -p OK did.
    o = crop_result("--crop", CROP)
    t.ok(o["region"] == "ok" and o["plate"] == "676DWS" and o["matches_template"] == 1,
         "a script state name is told (ok) and its formats rank the readings",
         (o["region"], o["plate"]))
    # California's red script name is not read: no state, no formats. -p ca gives them: the
    # reading fits California's DLLLDDD with its 0 turned to O (one glyph on the plate), so the
    # turned reading goes first with the reader's confidence and the reading as read next.
    ca = os.path.join(CROPS, "ca1564.png")
    o, p = crop_result("--crop", ca), crop_result("--crop", "-p", "ca", ca)
    t.ok(o["region"] == "" and o["region_confidence"] == 0 and o["plate"] == "5A0J230"
         and not any(c["matches_template"] for c in o["candidates"]),
         "a plate whose state does not read: no region, no template matches", o["region"])
    t.ok(p["region"] == "" and p["plate"] == "5AOJ230" and p["matches_template"] == 1
         and p["confidence"] == o["confidence"]
         and [c["plate"] for c in p["candidates"][:2]] == ["5AOJ230", "5A0J230"],
         "-p ca: O and 0 turned the way California's format says (5A0J230 -> 5AOJ230)",
         p["candidates"][:3])

    de = os.path.join(CROPS, "de1288.png")  # "THE FIRST STATE" above, "DELAWARE" below
    wa = os.path.join(CROPS, "wa30.png")  # "Washington" above
    o = crop_result("--crop", de)
    t.ok(o["region"] == "de" and 50 <= o["region_confidence"] <= 100,
         "a Delaware plate (name at the bottom) is told as de", (o["region"], o["region_confidence"]))
    # The stacked emblem left of the number reads as a B; Delaware's all-digit format ranks the
    # reading without it first.
    t.ok(o["plate"] == "197659" and o["matches_template"] == 1,
         "the detected state's formats rank the readings", o["candidates"][:3])
    off = crop_result("--crop", "--no-region", de)
    t.ok(off["region"] == "" and off["region_confidence"] == 0 and off["plate"] == "197659"
         and not off["matches_template"]
         and any(c["plate"] == "B197659" for c in off["candidates"][1:]),
         "--no-region: no state; the emblem, short and doubted, is left out all the same "
         "(emblem.c) and its reading stays an alternative", (off["region"], off["candidates"][:3]))
    # Washington's 954ZDX: the reader's best is 954Z0X; the told state's DDDLLL ranks 954ZDX first.
    wo = crop_result("--crop", wa)
    woff = crop_result("--crop", "--no-region", wa)
    t.ok(wo["plate"] == "954ZDX" and wo["matches_template"] == 1 and woff["plate"] == "954Z0X"
         and woff["region"] == "" and not woff["matches_template"],
         "--no-region: no state, the reader's own order", (wo["plate"], woff["plate"]))
    t.eq(sorted(c["plate"] for c in wo["candidates"]),
         sorted(c["plate"] for c in woff["candidates"]), "the detected state only reorders the readings")
    # -p wins over the detected state for ranking; the detected state is still reported.
    w = crop_result("--crop", "-p", "ca", wa)
    t.ok(w["region"] == "wa" and w["plate"] == "954Z0X" and w["matches_template"] == 0,
         "with -p ca a Washington plate is told as wa but ranked by California's formats",
         (w["region"], w["plate"]))
    p = read("--crop", de)
    t.ok(p.returncode == 0 and "state DE" in p.stdout and "fits DE format" in p.stdout,
         "the table shows the detected state", p.stdout)
    if os.path.exists(TX_SCENE):
        o = json.loads(read("-j", TX_SCENE).stdout)
        t.ok(any(r["plate"] == "CWW2245" and r["region"] == "tx" for r in o["results"]),
             "a Texas plate in a scene (124 px wide) is told as tx", o["results"])
    if os.path.exists(TX_SMALL):
        # A Texas plate 74 px wide: its name would read as tx (97%) if it were tried.
        o = json.loads(read("-j", TX_SMALL).stdout)
        t.ok(any(r["plate"] == "BGB3282" for r in o["results"])
             and all(r["region"] == "" for r in o["results"]),
             "a plate under 100 px wide gets no state", o["results"])


if __name__ == "__main__":
    Tap().run(main)

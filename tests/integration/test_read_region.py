"""`platekeeper read -p STATE` (issue 6, docs/recognition.md): the state's standard formats rank
the readings and fill matches_template (region stays "": the state is not detected, and ingest
would take it as the read's state); without -p nothing changes; an unknown code or
-p with European plates is refused naming the option. The parts that read labelled images are
skipped when ../shared/data is not beside the checkout.
"""
import json
import os
import subprocess

from pkserver import PK_BIN, Tap

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DATA = os.environ.get("PK_DATA") or os.path.join(ROOT, "..", "shared", "data")
CROP = os.path.join(DATA, "openalpr-benchmarks", "seg_and_ocr", "usimages", "ok1101.png")
SCENE = os.path.join(DATA, "openalpr-benchmarks", "endtoend", "us", "car3.jpg")
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1")
OKLAHOMA = ("LLLDDD", "DDDLLL")  # src/recog/region.c


def read(*args):
    return subprocess.run([PK_BIN, "read"] + list(args), capture_output=True, text=True, env=ENV)


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
    plain = json.loads(read("-j", "-n", "10", "--crop", CROP).stdout)["results"][0]
    withp = json.loads(read("-j", "-n", "10", "--crop", "-p", "OK", CROP).stdout)["results"][0]
    t.ok(plain["region"] == "" and not plain["matches_template"]
         and not any(c["matches_template"] for c in plain["candidates"]),
         "without -p: no region, no template matches")
    t.ok(withp["region"] == "" and withp["region_confidence"] == 0,
         "-p OK: region stays empty (not detected)", withp["region"])
    t.eq(sorted(c["plate"] for c in withp["candidates"]),
         sorted(c["plate"] for c in plain["candidates"]), "-p only reorders the readings")
    t.ok(all(c["matches_template"] == int(fits(c["plate"], OKLAHOMA))
             for c in withp["candidates"]), "matches_template says which fit Oklahoma's formats",
         withp["candidates"])
    # The reader's best, 676DW5, fits no Oklahoma format; 676DWS (the label) does.
    t.ok(plain["plate"] == "676DW5" and withp["plate"] == "676DWS"
         and withp["matches_template"] == 1 and withp["confidence"] < plain["confidence"],
         "a fitting reading a little less sure goes first", (plain["plate"], withp["plate"]))

    p = read("-p", "ok", "--crop", CROP)
    t.ok(p.returncode == 0 and "676DWS" in p.stdout and "fits OK format" in p.stdout,
         "the table says whether the plate fits the state's formats", p.stdout)

    if os.path.exists(SCENE):
        o = json.loads(read("-j", "-p", "ca", SCENE).stdout)
        t.ok(any(r["plate"] == "1AMW240" and r["matches_template"] == 1 for r in o["results"]), "a California scene read with -p ca fits (1AMW240)",
             o["results"])


if __name__ == "__main__":
    Tap().run(main)

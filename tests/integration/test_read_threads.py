"""`platekeeper read --threads N` (issue 6, docs/recognition.md): several files read at once give
the same output as one after another, in the order the files were given, with the errors of
unreadable files in their places and the same exit status. Skipped when ../shared/data is not
beside the checkout (the scenes are real photographs).
"""
import glob
import json
import os
import subprocess
import tempfile

from pkserver import PK_BIN, Tap

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DATA = os.environ.get("PK_DATA") or os.path.join(ROOT, "..", "shared", "data")
SCENES = os.path.join(DATA, "openalpr-benchmarks", "endtoend", "us")
TIMING = ("processing_time_ms", "epoch_time")


def read(*args):
    return subprocess.run([PK_BIN, "read"] + list(args), capture_output=True, text=True,
                          timeout=600)


def comparable(stdout):
    """The JSON objects without the fields that hold times."""
    out = []
    for line in stdout.splitlines():
        o = json.loads(line)
        for k in TIMING:
            o.pop(k, None)
        for r in o.get("results", []):
            r.pop("processing_time_ms", None)
        out.append(o)
    return out


def main(t):
    for bad in ("0", "65", "two"):
        p = read("--threads", bad, "x.jpg")
        t.ok(p.returncode == 2 and "--threads" in p.stderr and p.stdout == "",
             "--threads %s: refused naming the option" % bad, p.stderr)
    scenes = sorted(glob.glob(os.path.join(SCENES, "*.jpg")))[:16]
    if not scenes:
        t.ok(True, "# SKIP no labelled scenes at %s" % SCENES)
        return
    with tempfile.TemporaryDirectory() as tmp:
        empty = os.path.join(tmp, "empty.jpg")
        open(empty, "wb").close()
        missing = os.path.join(tmp, "missing.jpg")
        files = scenes[:5] + [empty] + scenes[5:11] + [missing] + scenes[11:]
        one = read("-j", "-n", "5", *files)
        par = read("-j", "-n", "5", "--threads", "3", *files)
    t.ok(one.returncode == 1 and par.returncode == 1,
         "an unreadable file makes both exit 1", (one.returncode, par.returncode))
    t.eq([o["file"] for o in comparable(par.stdout)], scenes,
         "--threads 3: one object per readable file, in the order given")
    t.ok(comparable(par.stdout) == comparable(one.stdout),
         "--threads 3: the same plates, candidates and corners as one file at a time")
    errs = par.stderr.splitlines()
    t.ok(errs == one.stderr.splitlines() and len(errs) == 2 and "empty.jpg" in errs[0]
         and "missing.jpg" in errs[1], "the same errors, in the files' order", errs)
    p = read("--threads", "4", scenes[0])
    t.ok(p.returncode == 0 and scenes[0] in p.stdout, "--threads with one file reads it")


if __name__ == "__main__":
    Tap().run(main)

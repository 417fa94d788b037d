"""`platekeeper read --group` (issue 6, docs/recognition.md): a video's plates come out once per
vehicle pass, with the reading the frames agree on, as OpenALPR's alpr_group with -j; a plate
unseen for --group-gap of video time starts a new group; bad options are refused naming them.

The videos are Motion-JPEG AVI files written from labelled scenes (avi.py: the JPEG files are
the frames as they are), so the test needs no encoder; the parts that read them are skipped when
../shared/data is not beside the checkout.
"""
import json
import os
import subprocess
import tempfile

from avi import mjpeg_avi
from pkserver import PK_BIN, Tap

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DATA = os.environ.get("PK_DATA") or os.path.join(ROOT, "..", "shared", "data")
SCENES = os.path.join(DATA, "openalpr-benchmarks", "endtoend", "us")
CAR_A = ("wts-lg-000144.jpg", "CWW2245")  # both 1280x720, Texas plates
CAR_B = ("wts-lg-000155.jpg", "CYZ5139")


def read(*args):
    return subprocess.run([PK_BIN, "read"] + list(args), capture_output=True, text=True)


def main(t):
    for args, word in ((["--group", "--crop", "x.jpg"], "--group"),
                       (["--group", "--group-gap", "-5", "x.avi"], "--group-gap"),
                       (["--group", "--group-gap", "soon", "x.avi"], "--group-gap")):
        p = read(*args)
        t.ok(p.returncode == 2 and word in p.stderr and p.stdout == "",
             "read %s: refused naming %s" % (" ".join(args), word), p.stderr)

    a_path = os.path.join(SCENES, CAR_A[0])
    if not os.path.exists(a_path):
        t.ok(True, "# SKIP no labelled scenes at %s" % SCENES)
        return
    a = open(a_path, "rb").read()
    b = open(os.path.join(SCENES, CAR_B[0]), "rb").read()
    tmp = tempfile.mkdtemp()
    two = os.path.join(tmp, "two-cars.avi")
    with open(two, "wb") as f:
        f.write(mjpeg_avi([a] * 5 + [b] * 5, 1280, 720))
    back = os.path.join(tmp, "a-b-a.avi")
    with open(back, "wb") as f:
        f.write(mjpeg_avi([a] * 3 + [b] * 3 + [a] * 3, 1280, 720))
    try:
        per_frame = [json.loads(line) for line in read("-j", "--every", "1", two).stdout.split("\n")
                     if line]
        t.ok(len(per_frame) == 10 and all(o["data_type"] == "alpr_results" for o in per_frame),
             "without --group: one alpr_results per frame (10)", len(per_frame))

        p = read("-j", "--every", "1", "-n", "3", "--group", two)
        groups = [json.loads(line) for line in p.stdout.split("\n") if line]
        t.ok(p.returncode == 0 and [g["best_plate_number"] for g in groups] == [CAR_A[1], CAR_B[1]],
             "--group: one alpr_group per car, in order", [g.get("best_plate_number") for g in groups])
        ga, gb = groups[0], groups[1]
        t.ok(ga["data_type"] == "alpr_group" and ga["file"] == two
             and (ga["frame_start"], ga["frame_end"], ga["frames_read"]) == (0, 4, 5)
             and (gb["frame_start"], gb["frame_end"], gb["frames_read"]) == (5, 9, 5),
             "each group spans the frames its car is in", [(g["frame_start"], g["frame_end"],
                                                            g["frames_read"]) for g in groups])
        t.ok(gb["frame_time_start_ms"] == 500 and gb["frame_time_end_ms"] == 900
             and gb["epoch_end"] - gb["epoch_start"] == 400,
             "frame times and epoch times follow the video's clock",
             (gb["frame_time_start_ms"], gb["frame_time_end_ms"], gb["epoch_start"], gb["epoch_end"]))
        t.ok(all(g["best_region"] == "tx" and g["best_region_confidence"] >= 50 for g in groups),
             "the state told is the group's (tx)", [g["best_region"] for g in groups])
        t.ok(all(len(g["candidates"]) <= 3 and g["candidates"][0]["plate"] == g["best_plate_number"]
                 and g["best_plate"]["plate"] == g["best_plate_number"]
                 and g["frame_start"] <= g["best_plate"]["frame"] <= g["frame_end"]
                 and len(g["best_plate"]["coordinates"]) == 4 for g in groups),
             "candidates (at most -n), and the best frame's plate with its corners", groups[0])

        p = read("--every", "1", "--group", two)
        lines = p.stdout.splitlines()
        t.ok(p.returncode == 0 and len(lines) == 2 and CAR_A[1] in lines[0]
             and "frames 0-4" in lines[0] and "5 frames" in lines[0] and "state TX" in lines[0]
             and CAR_B[1] in lines[1], "the table: one line per car", p.stdout)

        # A, then B, then A again: within the gap A's second appearance joins its group; with a
        # gap shorter than B's 300 ms A comes back as a new pass.
        p = read("-j", "--every", "1", "--group", back)
        got = [(g["best_plate_number"], g["frames_read"]) for g in map(json.loads, p.stdout.split("\n")[:-1])]
        t.eq(got, [(CAR_A[1], 6), (CAR_B[1], 3)], "default gap (1.5 s): A's return joins its group")
        p = read("-j", "--every", "1", "--group", "--group-gap", "250", back)
        got = [(g["best_plate_number"], g["frame_start"]) for g in map(json.loads, p.stdout.split("\n")[:-1])]
        t.eq(got, [(CAR_A[1], 0), (CAR_B[1], 3), (CAR_A[1], 6)],
             "--group-gap 250: A's return after 400 ms is a new pass")

        # Every 2nd frame: the group's frames are the frames read.
        p = read("-j", "--every", "2", "--group", two)
        groups = [json.loads(line) for line in p.stdout.split("\n") if line]
        t.ok([(g["frame_start"], g["frame_end"], g["frames_read"]) for g in groups]
             == [(0, 4, 3), (6, 8, 2)], "--every 2: groups count the frames read",
             [(g["frame_start"], g["frame_end"], g["frames_read"]) for g in groups])

        # Images are read as without --group.
        p1, p2 = read("-j", a_path), read("-j", "--group", a_path)
        strip = lambda s: [dict(o, epoch_time=0, processing_time_ms=0,  # noqa: E731
                                results=[dict(r, processing_time_ms=0) for r in o["results"]])
                           for o in map(json.loads, s.split("\n")[:-1])]
        t.ok(p2.returncode == 0 and strip(p1.stdout) == strip(p2.stdout),
             "--group leaves images as they are read")
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)


if __name__ == "__main__":
    Tap().run(main)

"""POST /api/v1/recognize against a real `platekeeper serve` (issue 6, docs/api.md): the body
is an image, the answer OpenALPR's result object, the same as `platekeeper read -j` gives for
that file; POST /api/v1/recognize/video takes a video clip and answers one OpenALPR alpr_group
per vehicle, as `read --group` does; bad uploads, parameters and callers get clear errors;
nothing is stored or logged.
"""
import atexit
import json
import os
import struct
import subprocess
import tempfile
import zlib

from avi import mjpeg_avi
from pkdata import last_id, new_rows
from pkserver import PK_BIN, Server, Tap

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DATA = os.environ.get("PK_DATA") or os.path.join(ROOT, "..", "shared", "data")
SCENE = os.path.join(DATA, "openalpr-benchmarks", "endtoend", "us", "car3.jpg")
TX_SCENE = os.path.join(DATA, "openalpr-benchmarks", "endtoend", "us", "wts-lg-000144.jpg")
TX_SCENE_2 = os.path.join(DATA, "openalpr-benchmarks", "endtoend", "us", "wts-lg-000155.jpg")


def png(w, h):
    """A grey w x h PNG made with the standard library (a gradient, no plate in it)."""
    raw = b"".join(b"\0" + bytes((x * 255 // max(1, w - 1)) for x in range(w)) for _ in range(h))

    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xffffffff)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def write_tmp(data, suffix):
    """data in a new temporary file (removed at exit); returns its path."""
    fd, path = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    atexit.register(os.unlink, path)
    return path


def main(t):
    with Server() as srv:
        team = srv.team()
        inv, op, aud = team["investigator"], team["operator"], team["auditor"]
        img = png(320, 240)
        before = last_id(srv)
        st, body, _ = inv.call("POST", "/api/v1/recognize", raw=img, ctype="image/png")
        t.ok(st == 200 and body.get("data_type") == "alpr_results" and body["img_width"] == 320
             and body["img_height"] == 240 and body["results"] == [],
             "a plate-free image: 200, OpenALPR object, no results", (st, body))
        st, body, _ = op.call("POST", "/api/v1/recognize?country=eu&topn=3", raw=img,
                              ctype="image/png")
        t.ok(st == 200 and body.get("data_type") == "alpr_results",
             "an operator may recognize, with country and topn", (st, body))
        t.eq(new_rows(srv, before), [], "recognition writes no access-log entry (no data read)")

        if os.path.exists(SCENE):
            raw = open(SCENE, "rb").read()
            st, body, _ = inv.call("POST", "/api/v1/recognize?topn=5", raw=raw, ctype="image/jpeg")
            p = subprocess.run([PK_BIN, "read", "-j", "-n", "5", SCENE], capture_output=True,
                               text=True)
            cli = json.loads(p.stdout)
            plates = lambda o: [(r["plate"], r["coordinates"]) for r in o["results"]]  # noqa: E731
            t.ok(st == 200 and plates(body) == plates(cli) and plates(body)
                 and any(r["plate"] == "1AMW240" for r in body["results"]),
                 "a real scene: the API reads what `read -j` reads (1AMW240)", (st, body, cli))
            t.ok(all(len(r["candidates"]) <= 5 and r["requested_topn"] == 5
                     for r in body["results"]), "topn limits the candidates")
            st, body, _ = op.call("POST", "/api/v1/recognize?region=CA", raw=raw,
                                  ctype="image/jpeg")
            t.ok(st == 200 and any(r["plate"] == "1AMW240" and r["matches_template"] == 1
                                   for r in body["results"]),
                 "region=CA: California's formats, the plate fits them", (st, body))

        if os.path.exists(TX_SCENE):
            raw = open(TX_SCENE, "rb").read()
            st, body, _ = inv.call("POST", "/api/v1/recognize", raw=raw, ctype="image/jpeg")
            t.ok(st == 200 and any(r["plate"] == "CWW2245" and r["region"] == "tx"
                                   and r["region_confidence"] >= 50 for r in body["results"]),
                 "the state printed on a plate is told (region tx)", (st, body))
            st, body, _ = inv.call("POST", "/api/v1/recognize?detect_region=0", raw=raw,
                                   ctype="image/jpeg")
            t.ok(st == 200 and body["results"] and all(r["region"] == "" and
                                                       r["region_confidence"] == 0
                                                       for r in body["results"]),
                 "detect_region=0: no state", (st, body))

        if os.path.exists(TX_SCENE_2):
            a, b = open(TX_SCENE, "rb").read(), open(TX_SCENE_2, "rb").read()
            clip = mjpeg_avi([a] * 4 + [b] * 4, 1280, 720)
            st, body, _ = inv.call("POST", "/api/v1/recognize/video?every=1&topn=3", raw=clip,
                                   ctype="video/x-msvideo")
            groups = body.get("groups", []) if st == 200 else []
            t.ok(st == 200 and body["data_type"] == "alpr_video" and body["frames_read"] == 8
                 and (body["img_width"], body["img_height"]) == (1280, 720)
                 and not body["truncated"]
                 and [g["best_plate_number"] for g in groups] == ["CWW2245", "CYZ5139"],
                 "a video clip: one alpr_group per car, in order", (st, body))
            t.ok(all(g["data_type"] == "alpr_group" and g["frames_read"] == 4
                     and g["best_region"] == "tx" and len(g["candidates"]) <= 3 for g in groups)
                 and [g["frame_start"] for g in groups] == [0, 4],
                 "each group: its frames, its state, at most topn candidates", groups)
            p = subprocess.run([PK_BIN, "read", "-j", "--group", "--every", "1", "-n", "3",
                                write_tmp(clip, ".avi")], capture_output=True, text=True)
            cli = [json.loads(line) for line in p.stdout.splitlines()]
            key = lambda g: (g["best_plate_number"], g["frame_start"], g["frame_end"],  # noqa: E731
                             [c["plate"] for c in g["candidates"]])
            t.eq([key(g) for g in groups], [key(g) for g in cli],
                 "the API groups as `read --group` does")
            st, body, _ = op.call("POST", "/api/v1/recognize/video?every=2&gap_ms=0", raw=clip,
                                  ctype="video/x-msvideo")
            t.ok(st == 200 and body["frames_read"] == 4 and len(body["groups"]) >= 2,
                 "an operator may; every=2 reads every second frame", (st, body))
            # A, B, then A again: within the gap A's return joins its group, past it a new one.
            back = mjpeg_avi([a] * 3 + [b] * 3 + [a] * 3, 1280, 720)
            st, body, _ = inv.call("POST", "/api/v1/recognize/video?every=1", raw=back,
                                   ctype="video/x-msvideo")
            t.eq([(g["best_plate_number"], g["frames_read"]) for g in body.get("groups", [])],
                 [("CWW2245", 6), ("CYZ5139", 3)], "default gap: A's return joins its group")
            st, body, _ = inv.call("POST", "/api/v1/recognize/video?every=1&gap_ms=250", raw=back,
                                   ctype="video/x-msvideo")
            t.eq([g["best_plate_number"] for g in body.get("groups", [])],
                 ["CWW2245", "CYZ5139", "CWW2245"], "gap_ms=250: A's return is a new pass")

        # A still image is a video of one frame (FFmpeg reads PNG and JPEG too).
        st, body, _ = inv.call("POST", "/api/v1/recognize/video", raw=img, ctype="image/png")
        t.ok(st == 200 and body["frames_read"] == 1 and body["groups"] == [],
             "a still image: one frame, no plate", (st, body))

        st, body, _ = op.call("GET", "/api/v1/recognize/regions")
        codes = [g["code"] for g in body.get("regions", [])] if st == 200 else []
        t.ok(len(codes) == 51 and {"code": "ca", "name": "California"} in body["regions"],
             "GET /recognize/regions: the 50 states and DC", (st, body))

        # bad input: a clear error naming the problem
        cases = [
            ("empty body", "/api/v1/recognize", b"", 400, "body"),
            ("not an image", "/api/v1/recognize", b"hello, this is text", 400, "image"),
            ("a truncated PNG", "/api/v1/recognize", img[:60], 400, "image"),
            ("unknown country", "/api/v1/recognize?country=mars", img, 400, "country"),
            ("topn 0", "/api/v1/recognize?topn=0", img, 400, "topn"),
            ("topn 26", "/api/v1/recognize?topn=26", img, 400, "topn"),
            ("unknown parameter", "/api/v1/recognize?plate=X", img, 400, "plate"),
            ("unknown region", "/api/v1/recognize?region=zz", img, 400, "region"),
            ("detect_region 2", "/api/v1/recognize?detect_region=2", img, 400, "detect_region"),
            ("video: empty body", "/api/v1/recognize/video", b"", 400, "body"),
            ("video: not a video", "/api/v1/recognize/video", b"hello, this is text" * 50, 400,
             "video"),
            ("video: an AVI header and nothing else", "/api/v1/recognize/video",
             b"RIFF\x10\0\0\0AVI LIST\x04\0\0\0hdrl", 400, "video"),
            ("video: every 0", "/api/v1/recognize/video?every=0", img, 400, "every"),
            ("video: gap_ms -1", "/api/v1/recognize/video?gap_ms=-1", img, 400, "gap_ms"),
            ("video: unknown parameter", "/api/v1/recognize/video?speed=2", img, 400, "speed"),
            ("video: unknown region", "/api/v1/recognize/video?region=zz", img, 400, "region"),
            ("region with EU plates", "/api/v1/recognize?country=eu&region=ca", img, 400,
             "region"),
        ]
        for name, path, raw, status, word in cases:
            st, body, _ = inv.call("POST", path, raw=raw, ctype="application/octet-stream")
            t.ok(st == status and isinstance(body, dict) and word in body.get("message", ""),
                 "%s: %d naming %s" % (name, status, word), (st, body))
        st, body, _ = aud.call("POST", "/api/v1/recognize", raw=img, ctype="image/png")
        t.eq(st, 403, "an auditor may not")
        st, body, _ = aud.call("POST", "/api/v1/recognize/video", raw=img, ctype="video/mp4")
        t.eq(st, 403, "an auditor may not read a video either")
        st, body, _ = srv.call("POST", "/api/v1/recognize", raw=img, ctype="image/png")
        t.eq(st, 401, "no login: 401")
        rows = new_rows(srv, before)
        t.ok(len(rows) == 2 and all(r[1] == "u_auditor" and r[3] == "refused" for r in rows),
             "only the auditor's refusals are logged", rows)

    # A server whose models are missing still starts; the route says why it cannot answer.
    empty = tempfile.mkdtemp()
    with Server(extra_args=["--models", empty]) as srv:
        inv = srv.team()["investigator"]
        st, body, _ = inv.call("POST", "/api/v1/recognize", raw=png(64, 64), ctype="image/png")
        t.ok(st == 503 and "detector.pkm" in body.get("message", ""),
             "no models: 503 naming the missing file", (st, body))
        st, _, _ = inv.call("GET", "/api/v1/reads?plate=X&purpose=investigation&case=C-1")
        t.eq(st, 200, "the rest of the server works without models")


if __name__ == "__main__":
    Tap().run(main)

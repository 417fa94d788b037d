"""`platekeeper search` end to end: a data directory from `platekeeper init`, reads written with
SQLite directly (stdlib), then every search kind, pagination through the cursor, JSON output, and
one access-log entry for every call that reaches the gate (granted, malformed, refused, bad
login). TAP output; stdlib only."""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import shutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkserver import Tap, PK_BIN, ADMIN_PW  # noqa: E402

T0 = 1764547200000  # 2025-12-01T00:00:00Z


def run(args, pw=ADMIN_PW):
    env = dict(os.environ)
    env["PLATEKEEPER_TEST_FAST_PWHASH"] = "1"
    if pw is None:
        env.pop("PLATEKEEPER_PASSWORD", None)
    else:
        env["PLATEKEEPER_PASSWORD"] = pw
    p = subprocess.run([PK_BIN, "search"] + args, capture_output=True, text=True, env=env,
                       stdin=subprocess.DEVNULL, timeout=60)
    return p.returncode, p.stdout, p.stderr


def main():
    tap = Tap()
    d = tempfile.mkdtemp(prefix="pksearch.")
    try:
        env = dict(os.environ, PLATEKEEPER_PASSWORD=ADMIN_PW, PLATEKEEPER_TEST_FAST_PWHASH="1")
        p = subprocess.run([PK_BIN, "init", "--data", d, "--admin", "admin"], capture_output=True,
                           text=True, env=env, timeout=60)
        tap.eq(p.returncode, 0, "init")
        db = sqlite3.connect(os.path.join(d, "platekeeper.db"))
        db.execute("INSERT INTO cameras(name, kind, lat, lon, created_at) VALUES"
                   " ('J St & 16th St', 'fixed', 38.5776, -121.4857, 0),"
                   " ('Patrol 3A12', 'mobile', 38.60, -121.50, 0)")
        plates = ["7ABC123", "7A8C123", "7ABC128", "8XYZ999", "1ABC123"]
        for i, t in enumerate(plates):
            db.execute("INSERT INTO plates(id, text) VALUES (?, ?)", (i + 1, t))
        rows = []
        for i in range(30):  # plate i % 5, one read a minute, alternating cameras
            cam = 1 + i % 2
            lat, lon = (38.5776, -121.4857) if cam == 1 else (38.60, -121.50)
            rows.append((os.urandom(16), 1 + i % 5, "CA", T0 + i * 60000, cam, lat, lon, 90.0,
                         T0))
        db.executemany("INSERT INTO reads(uuid, plate_id, state, ts, camera_id, lat, lon,"
                       " confidence, ingested_at) VALUES (?,?,?,?,?,?,?,?,?)", rows)
        db.commit()

        def log_count():
            # Every entry but the successful logins (the command logs in first, and the login
            # is its own entry): what each search call adds, refused or not.
            return db.execute("SELECT count(*) FROM access_log WHERE action <> 'login'"
                              ).fetchone()[0]

        def newest():
            r = db.execute("SELECT action, outcome, query, result_count, purpose, case_no"
                           " FROM access_log ORDER BY id DESC LIMIT 1").fetchone()
            return r

        base = ["--data", d, "--user", "admin"]
        inv = base + ["--purpose", "investigation", "--case", "24-0042"]

        n = log_count()
        rc, out, err = run(inv + ["--plate", "7abc 123"])
        tap.eq(rc, 0, "exact plate exits 0")
        lines = out.strip().splitlines()
        tap.ok(lines[0].split()[:3] == ["ID", "TIME", "(UTC)"], "table header", out)
        tap.eq(len(lines), 1 + 6 + 1, "six reads of 7ABC123 and a summary line")
        tap.ok(lines[-1].startswith("6 of 6 reads"), "summary line", lines[-1])
        tap.eq(log_count(), n + 1, "one access-log entry")
        e = newest()
        tap.eq((e[0], e[1], e[3], e[4], e[5]), ("search", "ok", 6, "investigation", "24-0042"),
               "the entry: action, outcome, count, purpose, case")
        tap.ok('"plate":"7ABC123"' in e[2], "the entry names the plate", e[2])

        rc, out, err = run(inv + ["--plate", "7ABC123", "--fuzzy", "--json"])
        objs = [json.loads(x) for x in out.strip().splitlines()]
        tap.eq(rc, 0, "fuzzy --json exits 0")
        # 7ABC123 (0), 7A8C123 (1: B/8), 7ABC128 and 1ABC123 (2: one edit)
        tap.eq([o["closeness"] for o in objs], [0] * 6 + [1] * 6 + [2] * 12,
               "fuzzy ranks by closeness")
        tap.eq(set(objs[0].keys()), {"id", "uuid", "plate", "state", "ts", "camera", "lat", "lon",
                                     "confidence", "closeness"}, "JSON fields")
        tap.ok(objs[0]["ts"].endswith("Z") and objs[0]["ts"] >= objs[5]["ts"],
               "ISO 8601 UTC, newest first within a rank", objs[0]["ts"])
        tap.ok("total=24" in err, "total on stderr", err)

        rc, out, err = run(inv + ["--pattern", "?ABC12*", "--json"])
        got = sorted({json.loads(x)["plate"] for x in out.strip().splitlines()})
        tap.eq(got, ["1ABC123", "7ABC123", "7ABC128"], "pattern ?ABC12*")

        rc, out, err = run(inv + ["--near", "38.5776,-121.4857,100", "--from",
                                  "2025-12-01T00:00:00Z", "--to", "2025-12-01T00:10:00Z",
                                  "--json"])
        objs = [json.loads(x) for x in out.strip().splitlines()]
        tap.eq(len(objs), 6, "canvass: 100 m around the fixed camera, first ten minutes")
        tap.ok(all(o["camera"] == "J St & 16th St" for o in objs), "canvass camera")
        e = newest()
        tap.ok('"near"' in e[2] and '"kind":"canvass"' in e[2], "canvass logged", e[2])

        rc, out, err = run(inv + ["--camera", "Patrol 3A12", "--json"])
        tap.eq(len(out.strip().splitlines()), 15, "camera filter")

        # pagination: the cursor walks every read once
        seen, cursor, pages = [], None, 0
        while True:
            args = inv + ["--pattern", "?*", "--json", "--limit", "7"]
            if cursor:
                args += ["--cursor", cursor]
            rc, out, err = run(args)
            if rc != 0:
                break
            seen += [json.loads(x)["id"] for x in out.strip().splitlines()]
            cursor = err.strip().split("next=")[-1]
            pages += 1
            if not cursor or pages > 10:
                break
        tap.eq((sorted(seen), pages), (list(range(1, 31)), 5), "cursor walks 30 reads in 5 pages")

        # one entry for each call that reaches the gate, also when it is refused
        n = log_count()
        rc, out, err = run(base + ["--plate", "7ABC123"])
        tap.eq(rc, 1, "no purpose: refused (exit 1)")
        tap.ok("purpose" in err, "the reason names the purpose", err)
        tap.eq(log_count(), n + 1, "no purpose: one entry")
        tap.eq(newest()[1], "refused", "logged as refused")
        rc, out, err = run(base + ["--purpose", "investigation", "--plate", "7ABC123"])
        tap.eq((rc, log_count()), (1, n + 2), "no case: refused, one entry")
        rc, out, err = run(inv + ["--plate", "7ABC123"], pw="wrong-password-123")
        tap.eq((rc, out, log_count()), (1, "", n + 3), "wrong password: refused, one entry")
        rc, out, err = run(["--data", d, "--user", "nobody", "--purpose", "audit", "--plate",
                            "7ABC123"])
        tap.eq((rc, out, log_count()), (1, "", n + 4), "unknown user: refused, one entry")
        rc, out, err = run(inv + ["--plate", "7ABC!23"])
        tap.eq((rc, out, log_count()), (2, "", n + 5), "bad plate: exit 2, one entry")
        tap.ok(err.startswith("platekeeper search: plate:"), "the error names the field", err)
        rc, out, err = run(inv + ["--near", "38.5,-121.4"])
        tap.eq((rc, log_count()), (2, n + 5), "unparsable --near: usage error before login")
        rc, out, err = run(inv + ["--plate", "7ABC123", "--camera", "Nowhere"])
        tap.eq((rc, log_count()), (1, n + 6), "unknown camera: exit 1, one entry")
        db.close()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    tap.done()


main()

"""CLI of ingest and demo: `platekeeper ingest` (per-line errors on stderr, the summary, exit
status, idempotent re-ingest, administrators only, logged), `platekeeper demo` (deterministic,
users of every role, a hotlist with alerts, a second run adds nothing) and make run's script."""
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkserver import Tap  # noqa: E402

PK_BIN = os.environ.get("PK_BIN") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "platekeeper")
ADMIN_PW = "Chief-Admin-Passphrase-1"


def pk(*args, pw=ADMIN_PW):
    env = dict(os.environ, PLATEKEEPER_TEST_FAST_PWHASH="1")
    env.pop("PLATEKEEPER_PASSWORD", None)
    if pw is not None:
        env["PLATEKEEPER_PASSWORD"] = pw
    p = subprocess.run([PK_BIN] + list(args), env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def read_line(n, plate, **extra):
    r = {"uuid": "00000000-0000-4000-8000-%012d" % n, "plate": plate,
         "ts": "2026-03-01T08:00:%02dZ" % (n % 60), "camera": "I-5 at Richards Blvd",
         "lat": 38.5985, "lon": -121.5035, "confidence": 91.5, "state": "CA"}
    r.update(extra)
    return json.dumps({k: v for k, v in r.items() if v is not None})


def main(tap):
    tmp = tempfile.mkdtemp(prefix="pkingest.")
    try:
        run(tap, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tap, tmp):
    d = os.path.join(tmp, "data")
    db = os.path.join(d, "platekeeper.db")
    rc, out, err = pk("init", "--data", d, "--admin", "chief")
    tap.eq(rc, 0, "init")

    # a file with good and bad lines
    lines = [
        read_line(1, "7ABC123"),
        read_line(2, "7ABC124", lat=123.0),
        read_line(3, "7abc-125", ts="2099-01-01T00:00:00Z"),
        "",
        read_line(4, "7ABC126", plate_image="aGVsbG8="),
        '{"uuid": "00000000-0000-4000-8000-000000000005", "plate": ',
        read_line(6, "12345A1", candidates=[{"plate": "12345A1", "confidence": 91.5},
                                            {"plate": "I2345A1", "confidence": 60}]),
    ]
    f = os.path.join(tmp, "reads.jsonl")
    with open(f, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    rc, out, err = pk("ingest", "--data", d, "--user", "chief", f)
    tap.eq(rc, 1, "ingest with rejected lines exits 1")
    tap.eq(out.strip(), "accepted=2 duplicates=0 rejected=4", "ingest prints the summary")
    want = [f + ":2: lat: must be between -90 and 90",
            f + ":3: ts: more than 24 hours in the future",
            f + ":5: plate_image: not a JPEG image",
            f + ":6: line: not valid JSON"]
    got = err.strip().splitlines()
    tap.eq(len(got), 4, "one stderr line per rejected line")
    for w, g in zip(want, got):
        tap.ok(g.startswith(w), "per-line error: " + w.replace(f, "FILE"), g)

    rc, out, err = pk("ingest", "--data", d, "--user", "chief", f)
    tap.eq(out.strip(), "accepted=0 duplicates=2 rejected=4", "re-ingest adds nothing")
    con = sqlite3.connect(db)
    n = con.execute("SELECT count(*) FROM reads").fetchone()[0]
    tap.eq(n, 2, "two reads stored")
    plate = con.execute("SELECT p.text FROM reads r JOIN plates p ON p.id = r.plate_id"
                        " ORDER BY r.id LIMIT 1").fetchone()[0]
    tap.eq(plate, "7ABC123", "plates stored normalized")
    logged = con.execute("SELECT username, outcome, query FROM access_log WHERE action = 'ingest'"
                         " ORDER BY id").fetchall()
    con.close()
    tap.eq(len(logged), 2, "each ingest is on the access log")
    tap.ok(logged and logged[0][0] == "chief" and '"accepted":2' in logged[0][2]
           and "reads.jsonl" in logged[0][2], "the log entry names the user, file and counts",
           logged)

    good = os.path.join(tmp, "good.jsonl")
    with open(good, "w") as fh:
        fh.write(read_line(7, "8GOOD88") + "\n")
    rc, out, err = pk("ingest", "--data", d, "--user", "chief", good)
    tap.ok(rc == 0 and out.strip() == "accepted=1 duplicates=0 rejected=0" and err == "",
           "a clean file exits 0", (rc, out, err))
    rc, out, err = pk("ingest", "--data", d, "--user", "chief", good, pw="wrong-password-123")
    tap.ok(rc == 1 and "accepted" not in out, "a wrong password loads nothing", (rc, out, err))
    rc, out, err = pk("ingest", "--data", d, good)
    tap.eq(rc, 2, "ingest without --user is a usage error")
    rc, out, err = pk("ingest", "--data", d, "--user", "chief", os.path.join(tmp, "missing"))
    tap.ok(rc == 1 and "missing" in err, "an unreadable file is a clear failure", err)

    # OpenALPR: a pretty-printed alpr_group as the documentation shows it
    group = {"version": 1, "data_type": "alpr_group", "epoch_start": 1780000000000,
             "epoch_end": 1780000001257, "site_id": "hq", "camera_id": 1414799424,
             "best_uuid": "hq-cam1414799424-1780000000000", "best_plate_number": "A13709",
             "best_confidence": 92.07, "best_region": "us-ca",
             "best_plate": {"plate": "A13709", "confidence": 92.07,
                            "coordinates": [{"x": 204, "y": 134}]}}
    g = os.path.join(tmp, "group.json")
    with open(g, "w") as fh:
        json.dump(group, fh, indent=2)
    rc, out, err = pk("ingest", "--data", d, "--user", "chief", g)
    tap.ok(rc == 0 and out.strip() == "accepted=1 duplicates=0 rejected=0",
           "an OpenALPR alpr_group file loads", (rc, out, err))

    # demo: users of every role, a hotlist, reads with alerts and images
    rc, out, err = pk("demo", "--data", d, "--user", "chief", "--reads", "3000", "--seed", "5")
    tap.eq(rc, 0, "demo succeeds")
    tap.ok("accepted=3000" in out and "users=10" in out, "demo loads its reads and users", out)
    cred = os.path.join(d, "DEMO-USERS.txt")
    tap.ok(os.path.isfile(cred) and stat.S_IMODE(os.stat(cred).st_mode) == 0o600,
           "demo passwords are in a mode 600 file")
    users = [line.split() for line in open(cred) if line.strip()]
    roles = {u[1] for u in users}
    tap.eq(roles, {"admin", "investigator", "operator", "auditor", "custodian"},
           "demo users cover every role")
    inv = [u for u in users if u[1] == "investigator"][0]
    rc, out, err = pk("ingest", "--data", d, "--user", inv[0], good, pw=inv[2])
    tap.ok(rc == 1 and "administrator" in err, "an investigator may not bulk-ingest", err)
    con = sqlite3.connect(db)
    cams = con.execute("SELECT count(*) FROM cameras WHERE name LIKE 'Patrol%'").fetchone()[0]
    alerts = con.execute("SELECT count(*) FROM alerts").fetchone()[0]
    imgs = con.execute("SELECT count(*) FROM reads WHERE plate_image IS NOT NULL").fetchone()[0]
    con.close()
    tap.ok(cams == 8, "demo has mobile (patrol) cameras", cams)
    tap.ok(alerts > 0, "demo reads raised hotlist alerts", alerts)
    tap.eq(imgs, 60, "one plate crop every 50 reads")
    rc, out, err = pk("demo", "--data", d, "--user", "chief", "--reads", "3000", "--seed", "5")
    tap.ok(rc == 0 and "accepted=0 duplicates=3000" in out and "users=0" in out,
           "a second demo run with the same seed adds nothing", out)
    rc, out, err = pk("demo", "--data", d, "--user", "chief", "--reads", "x")
    tap.eq(rc, 2, "demo --reads x is a usage error")

    # make run's script: init + demo once, the password kept mode 600
    d2 = os.path.join(tmp, "run")
    root = os.environ.get("PK_ROOT") or os.path.join(os.path.dirname(__file__), "..", "..")
    env = dict(os.environ, BIN=PK_BIN, DATA=d2, READS="500", LISTEN="127.0.0.1:1", NO_SERVE="1",
               PLATEKEEPER_TEST_FAST_PWHASH="1")
    p = subprocess.run(["bash", os.path.join(root, "scripts", "run-demo.sh")], env=env,
                       capture_output=True, text=True, timeout=300, cwd=tmp)
    pwfile = os.path.join(d2, "ADMIN-PASSWORD.txt")
    ok = os.path.isfile(pwfile) and stat.S_IMODE(os.stat(pwfile).st_mode) == 0o600
    tap.ok(ok, "run-demo.sh keeps the admin password in a mode 600 file", p.stderr[-500:])
    if ok:
        pw = [ln.split(": ", 1)[1] for ln in open(pwfile).read().splitlines()
              if ln.startswith("password: ")][0]
        tap.ok("admin / " + pw in p.stdout and "http://127.0.0.1:1/" in p.stdout,
               "run-demo.sh prints the URL and the administrator's login", p.stdout[-800:])
        rc, out, err = pk("audit", "verify", "--data", d2, "--user", "admin", pw=pw)
        tap.eq(rc, 0, "the printed password logs in")


if __name__ == "__main__":
    t = Tap()
    main(t)
    t.done()

"""CLI of accounts and audits: init, user, unit, audit (verify, log, report, sample, review),
including refusals (exit 1, logged) and direct tampering with the log in SQLite."""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import shutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkserver import Tap  # noqa: E402

PK_BIN = os.environ.get("PK_BIN") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "platekeeper")
ADMIN_PW = "Chief-Admin-Passphrase-1"
AUD_PW = "Auditor-Passphrase-22"
INV_PW = "Investigator-Pass-333"


def pk(*args, pw=ADMIN_PW, new_pw=None):
    env = dict(os.environ, PLATEKEEPER_TEST_FAST_PWHASH="1")
    env.pop("PLATEKEEPER_PASSWORD", None)
    env.pop("PLATEKEEPER_NEW_PASSWORD", None)
    if pw is not None:
        env["PLATEKEEPER_PASSWORD"] = pw
    if new_pw is not None:
        env["PLATEKEEPER_NEW_PASSWORD"] = new_pw
    p = subprocess.run([PK_BIN] + list(args), env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def entries(db):
    con = sqlite3.connect(db)
    rows = con.execute("SELECT id, username, action, outcome FROM access_log ORDER BY id").fetchall()
    con.close()
    return rows


def main(tap):
    tmp = tempfile.mkdtemp(prefix="pkcli.")
    try:
        run(tap, tmp)
        searches_audited(tap, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tap, tmp):
    d = os.path.join(tmp, "data")
    db = os.path.join(d, "platekeeper.db")

    # init: a weak password changes nothing; then it works once and refuses after
    rc, out, err = pk("init", "--data", d, "--admin", "chief", pw="short")
    tap.ok(rc == 1 and "12 characters" in err and not os.path.exists(d),
           "init with a weak password refuses and creates nothing", err)
    rc, out, err = pk("init", "--data", d, "--admin", "chief", "--agency", "Example PD")
    tap.eq(rc, 0, "init succeeds")
    tap.ok(os.path.isfile(db) and os.path.isdir(os.path.join(d, "images"))
           and os.path.isfile(os.path.join(d, "platekeeper.conf")),
           "init creates the database, images/ and platekeeper.conf")
    conf = open(os.path.join(d, "platekeeper.conf")).read()
    tap.ok("listen = 127.0.0.1:8080" in conf, "config file holds the default listen address")
    tap.ok("password" not in out, "init prints no password when one was given")
    before = os.listdir(d)
    rc, out, err = pk("init", "--data", d, "--admin", "other")
    tap.ok(rc == 1 and "platekeeper.db" in err and os.listdir(d) == before,
           "init refuses a directory that holds a database", err)
    busy = os.path.join(tmp, "busy")
    os.mkdir(busy)
    open(os.path.join(busy, "x"), "w").close()
    rc, out, err = pk("init", "--data", busy, "--admin", "chief")
    tap.ok(rc == 1 and "not empty" in err and os.listdir(busy) == ["x"],
           "init refuses a non-empty directory", err)
    gen = os.path.join(tmp, "gen")
    rc, out, err = pk("init", "--data", gen, "--admin", "boss", pw=None)
    pwline = [l for l in out.splitlines() if l.startswith("password: ")]
    tap.ok(rc == 0 and len(pwline) == 1 and len(pwline[0].split()[1]) == 20,
           "init without PLATEKEEPER_PASSWORD generates and prints a 20-character password")
    if pwline:
        rc, out, err = pk("user", "list", "--data", gen, "--user", "boss", pw=pwline[0].split()[1])
        tap.eq(rc, 0, "the generated password logs in")
    rc, out, err = pk("init", "--data", os.path.join(tmp, "x"))
    tap.eq(rc, 2, "init without --admin is a usage error")

    # users
    rc, out, err = pk("user", "add", "alice", "--data", d, "--user", "chief", "--role",
                      "investigator", "--full-name", "Alice Adams", "--job-title", "Detective",
                      new_pw=INV_PW)
    tap.eq(rc, 0, "user add investigator")
    rc, out, err = pk("user", "add", "aud", "--data", d, "--user", "chief", "--role", "auditor",
                      "--full-name", "Ann Auditor", "--job-title", "Auditor", new_pw=AUD_PW)
    tap.eq(rc, 0, "user add auditor")
    rc, out, err = pk("user", "add", "bob", "--data", d, "--user", "chief", "--role", "wizard",
                      "--full-name", "B", "--job-title", "T")
    tap.eq(rc, 2, "an unknown role is a usage error")
    rc, out, err = pk("user", "add", "bob", "--data", d, "--user", "chief", "--role", "operator",
                      "--full-name", "B", "--job-title", "T", new_pw="bob")
    tap.ok(rc == 1 and "password" in err, "a weak new password is refused", err)
    rc, out, err = pk("user", "add", "bob", "--data", d, "--user", "chief", "--role", "operator",
                      "--full-name", "B", "--job-title", "T", pw="wrong-password-here")
    tap.ok(rc == 1 and "wrong username or password" in err, "a wrong admin password is refused")
    n = len(entries(db))
    rc, out, err = pk("user", "add", "bob", "--data", d, "--user", "alice", "--role", "operator",
                      "--full-name", "B", "--job-title", "T", pw=INV_PW)
    tap.ok(rc == 1 and "administrator" in err, "a non-admin cannot add users", err)
    last = entries(db)[-1]
    tap.ok(last[1:] == ("alice", "user.add", "refused") and len(entries(db)) == n + 2,
           "the refusal is logged (after alice's login)", last)
    rc, out, err = pk("user", "train", "aud", "--data", d, "--user", "chief", "--course",
                      "ALPR for auditors", "--completed", "2026-11-02")
    tap.eq(rc, 0, "user train")
    rc, out, err = pk("user", "train", "aud", "--data", d, "--user", "chief", "--course", "x",
                      "--completed", "11/02/2026")
    tap.eq(rc, 2, "a malformed training date is a usage error")
    rc, out, err = pk("user", "list", "--data", d, "--user", "chief", "--json")
    users = {json.loads(l)["username"]: json.loads(l) for l in out.splitlines()}
    tap.ok(rc == 0 and set(users) == {"alice", "aud", "chief"}, "user list --json")
    tap.ok(users.get("aud", {}).get("training", {}).get("current") is True
           and users.get("alice", {}).get("training", {}).get("current") is False,
           "training status shows in the list")
    tap.ok("argon2" not in out, "no password hashes in the listing")
    rc, out, err = pk("user", "reactivate", "alice", "--data", d, "--user", "chief")
    tap.eq(rc, 1, "reactivating an active account is refused")
    rc, out, err = pk("user", "suspend", "alice", "--data", d, "--user", "chief")
    tap.eq(rc, 0, "suspend")
    rc, out, err = pk("user", "reactivate", "alice", "--data", d, "--user", "chief")
    tap.ok(rc == 1 and "training" in err, "reactivation needs current training", err)
    rc, out, err = pk("user", "separate", "alice", "--data", d, "--user", "chief")
    tap.eq(rc, 0, "separate")
    rc, out, err = pk("user", "list", "--data", d, "--user", "alice", pw=INV_PW)
    tap.ok(rc == 1 and "separated" in err, "a separated account cannot log in", err)
    rc, out, err = pk("user", "reset-password", "aud", "--data", d, "--user", "chief",
                      new_pw=AUD_PW + "x")
    tap.eq(rc, 0, "reset-password")
    rc, out, err = pk("user", "password", "--data", d, "--user", "aud", pw=AUD_PW + "x",
                      new_pw=AUD_PW)
    tap.eq(rc, 0, "a user changes their own password")

    # units
    rc, out, err = pk("unit", "add", "car-7", "--data", d, "--user", "chief")
    key = [l.split()[1] for l in out.splitlines() if l.startswith("key: ")]
    tap.ok(rc == 0 and len(key) == 1 and len(key[0]) == 64, "unit add prints the key once")
    rc, out, err = pk("unit", "revoke", "car-7", "--data", d, "--user", "chief")
    tap.eq(rc, 0, "unit revoke")
    rc, out, err = pk("unit", "revoke", "car-7", "--data", d, "--user", "chief")
    tap.eq(rc, 1, "revoking twice is refused")

    # secrets never in the database in clear
    raw = b""
    for suffix in ("", "-wal"):
        if os.path.exists(db + suffix):
            raw += open(db + suffix, "rb").read()
    leaked = [s for s in (ADMIN_PW, AUD_PW, INV_PW) + tuple(key) if s.encode() in raw]
    tap.ok(not leaked, "no password or key appears in the database bytes", leaked)

    # audits
    rc, out, err = pk("audit", "verify", "--data", d, "--user", "aud", pw=AUD_PW)
    tap.ok(rc == 0 and out.startswith("intact:"), "audit verify: intact", out + err)
    rc, out, err = pk("audit", "verify", "--data", d, "--user", "chief", "--json")
    v = json.loads(out) if rc == 0 else {}
    tap.ok(v.get("intact") is True and v.get("first_bad") == 0, "audit verify --json")
    anchor = "%d:%s" % (v.get("head_id", 0), v.get("head_hash", ""))
    rc, out, err = pk("audit", "log", "--data", d, "--user", "aud", "--json", "--limit", "0",
                      pw=AUD_PW)
    log = [json.loads(l) for l in out.splitlines()]
    actions = {e["action"] for e in log}
    tap.ok(rc == 0 and {"user.add", "training.add", "user.status", "unit.add", "unit.revoke",
                        "login", "login.failed", "user.password_reset",
                        "password.change"} <= actions, "the log holds every kind of change",
           sorted(actions))
    rc, out, err = pk("audit", "log", "--data", d, "--user", "aud", "--csv", "--action",
                      "user.*", pw=AUD_PW)
    lines = out.splitlines()
    tap.ok(rc == 0 and lines[0].startswith("id,ts,username") and len(lines) > 3
           and all(",user." in l for l in lines[1:]), "audit log --csv with an action prefix")
    rc, out, err = pk("audit", "report", "--data", d, "--user", "aud", "--from", "2020-01-01",
                      "--to", "2099-12-31", "--json", pw=AUD_PW)
    rep = json.loads(out) if rc == 0 else {}
    tap.ok(rc == 0 and rep["totals"]["failed_logins"] >= 1 and rep["totals"]["refused"] >= 1,
           "audit report --json counts failed logins and refusals")
    tap.ok(any(c["action"] == "user.status" for c in rep.get("account_changes", [])),
           "the report lists account changes")
    rc, out, err = pk("audit", "report", "--data", d, "--user", "aud", "--from", "2020-01-01",
                      "--to", "2099-12-31", "--csv", pw=AUD_PW)
    tap.ok(rc == 0 and out.startswith("username,searches,"), "audit report --csv")
    rc, out, err = pk("audit", "report", "--data", d, "--user", "aud", pw=AUD_PW)
    tap.eq(rc, 2, "audit report without a range is a usage error")
    rc, out, err = pk("audit", "log", "--data", d, "--user", "chief", "--limit", "1", "--json")
    tap.ok(rc == 0 and json.loads(out)["action"] == "login"
           and entries(db)[-1][1:] == ("chief", "audit.log", "ok"),
           "reading the log is itself logged")
    rc, out, err = pk("audit", "review", "3", "--finding", "account approved properly",
                      "--approved-by", "chief", "--data", d, "--user", "aud", pw=AUD_PW)
    tap.eq(rc, 0, "audit review records a review")
    rc, out, err = pk("audit", "review", "3", "--finding", "x", "--approved-by", "aud",
                      "--data", d, "--user", "aud", pw=AUD_PW)
    tap.eq(rc, 1, "a reviewer cannot approve their own review")
    rc, out, err = pk("audit", "verify", "--data", d, "--user", "chief", "--anchor", anchor)
    tap.eq(rc, 0, "audit verify --anchor with the recorded head")

    # tampering, straight into SQLite
    con = sqlite3.connect(db)
    con.executescript("DROP TRIGGER access_log_no_update; DROP TRIGGER access_log_no_delete;")
    con.execute("UPDATE access_log SET username = 'mallory' WHERE id = 5")
    con.commit()
    con.close()
    rc, out, err = pk("audit", "verify", "--data", d, "--user", "chief", "--json")
    v = json.loads(out) if out.strip() else {}
    tap.ok(rc == 1 and v.get("intact") is False and v.get("first_bad") == 5,
           "an edited entry is caught and named", out + err)
    rc, out, err = pk("audit", "verify", "--data", d, "--user", "chief")
    tap.ok(rc == 1 and "first bad entry 5" in out, "the plain output names it too", out)
    con = sqlite3.connect(db)
    con.execute("DELETE FROM access_log WHERE id = %d" % int(anchor.split(":")[0]))
    con.commit()
    con.close()
    rc, out, err = pk("audit", "verify", "--data", d, "--user", "chief", "--anchor", anchor)
    tap.ok(rc == 1 and "ANCHOR FAILED" in out, "a deleted anchored entry is caught", out)

    # serve takes its listen address from platekeeper.conf when --listen is not given
    sd = os.path.join(tmp, "served")
    rc, out, err = pk("init", "--data", sd, "--admin", "chief", "--listen", "127.0.0.1:0")
    env = dict(os.environ, PLATEKEEPER_TEST_FAST_PWHASH="1")
    p = subprocess.Popen([PK_BIN, "serve", "--data", sd], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = p.stdout.readline()
    finally:
        p.terminate()
        p.wait(timeout=30)
    tap.ok("serving http://127.0.0.1:" in first and ":8080" not in first,
           "serve listens where platekeeper.conf says", first)
    with open(os.path.join(sd, "platekeeper.conf"), "a") as f:
        f.write("this line is broken\n")
    p = subprocess.run([PK_BIN, "serve", "--data", sd], capture_output=True, text=True,
                       env=env, timeout=30)
    tap.ok(p.returncode == 1 and "platekeeper.conf: line" in p.stderr,
           "serve refuses a broken platekeeper.conf, naming the line", p.stderr)

    # an operator may not read the log; the refusal is logged
    rc, out, err = pk("user", "add", "opal", "--data", d, "--user", "chief", "--role", "operator",
                      "--full-name", "Opal", "--job-title", "Officer", new_pw=INV_PW)
    rc, out, err = pk("audit", "log", "--data", d, "--user", "opal", pw=INV_PW)
    tap.ok(rc == 1 and entries(db)[-1][1:] == ("opal", "audit.log", "refused"),
           "an operator cannot read the log, and that is logged")


def searches_audited(tap, tmp):
    """Searches through the real gate show up in the report, the sample and a review."""
    d = os.path.join(tmp, "searched")
    pk("init", "--data", d, "--admin", "chief", "--agency", "Example PD")
    for name, role, pw in (("ivy", "investigator", INV_PW), ("aud", "auditor", AUD_PW)):
        pk("user", "add", name, "--data", d, "--user", "chief", "--role", role, "--full-name",
           name, "--job-title", "t", new_pw=pw)
        pk("user", "train", name, "--data", d, "--user", "chief", "--course", "ALPR basics",
           "--completed", "2026-11-02")
    path = os.path.join(tmp, "reads.jsonl")
    with open(path, "w") as f:
        for i, plate in enumerate(("7ABC123", "7ABC123", "5XYZ999")):
            f.write(json.dumps({"uuid": "20000000-0000-4000-8000-%012d" % i, "plate": plate,
                                "state": "CA", "ts": "2026-11-20T10:00:0%dZ" % i,
                                "camera": "cam-1", "lat": 38.57, "lon": -121.48,
                                "confidence": 90.0}) + "\n")
    rc, out, err = pk("ingest", "--data", d, "--user", "chief", path)
    tap.eq(rc, 0, "reads ingested for the search audit")
    rc, out, err = pk("search", "--data", d, "--user", "ivy", "--purpose", "investigation",
                      "--case", "C-1", "--plate", "7ABC123", "--json", pw=INV_PW)
    tap.ok(rc == 0 and len(out.splitlines()) == 2, "a search with a case finds two reads",
           out + err)
    rc, out, err = pk("search", "--data", d, "--user", "ivy", "--purpose", "missing-person",
                      "--plate", "1NONE11", "--json", pw=INV_PW)
    tap.eq(rc, 0, "a search without a case that finds nothing")
    rc, out, err = pk("search", "--data", d, "--user", "ivy", "--purpose", "curiosity",
                      "--plate", "7ABC123", pw=INV_PW)
    tap.eq(rc, 1, "a search with an unknown purpose is refused")
    rc, out, err = pk("search", "--data", d, "--user", "aud", "--purpose", "audit",
                      "--plate", "7ABC123", pw=AUD_PW)
    tap.eq(rc, 1, "an auditor's search is refused")
    rc, out, err = pk("audit", "report", "--data", d, "--user", "aud", "--from", "2020-01-01",
                      "--to", "2099-12-31", "--json", pw=AUD_PW)
    rep = json.loads(out) if rc == 0 else {}
    ivy = [u for u in rep.get("users", []) if u["username"] == "ivy"]
    ivy = ivy[0] if ivy else {}
    tap.ok(ivy.get("searches") == 2 and ivy.get("searches_without_case") == 1
           and ivy.get("searches_no_results") == 1 and ivy.get("refused") == 1
           and ivy.get("by_purpose") == {"investigation": 1, "missing-person": 1},
           "the report counts ivy's searches by purpose, without case, without results, refused",
           ivy)
    aud = [u for u in rep.get("users", []) if u["username"] == "aud"]
    tap.ok(aud and aud[0]["refused"] == 1, "and the auditor's refused search", aud)
    rc, out, err = pk("audit", "sample", "--data", d, "--user", "aud", "--from", "2020-01-01",
                      "--to", "2099-12-31", "--count", "5", "--json", pw=AUD_PW)
    sample = [json.loads(l) for l in out.splitlines()]
    tap.ok(rc == 0 and len(sample) == 2 and all(e["action"] == "search" and e["username"] == "ivy"
                                                for e in sample),
           "the sample holds the two successful searches", sample)
    if sample:
        rc, out, err = pk("audit", "review", str(sample[0]["id"]), "--finding",
                          "purpose and case documented", "--approved-by", "chief", "--data", d,
                          "--user", "aud", pw=AUD_PW)
        tap.eq(rc, 0, "the auditor records the review of a sampled search")
    rc, out, err = pk("audit", "report", "--data", d, "--user", "aud", "--from", "2020-01-01",
                      "--to", "2099-12-31", "--json", pw=AUD_PW)
    rep = json.loads(out) if rc == 0 else {}
    tap.ok(len(rep.get("reviews", [])) == 1 and rep["reviews"][0]["approved_by"] == "chief",
           "the report lists the review")
    rc, out, err = pk("audit", "verify", "--data", d, "--user", "aud", pw=AUD_PW)
    tap.ok(rc == 0 and out.startswith("intact:"), "the chain is intact after all that", out)


if __name__ == "__main__":
    Tap().run(main)

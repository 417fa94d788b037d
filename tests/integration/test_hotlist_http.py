"""Hotlists and alerts against a real `platekeeper serve`: lists, imports (good, bad, --skip-bad),
entries by hand, alerts pushed over SSE to two connected clients, covert lists, listing and the
CLETS verification rules, the CLI beside the server."""
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkserver import PK_BIN, USER_PW, Server, Tap  # noqa: E402

AV = "purpose=alert-verification"


class Stream:
    """An SSE client on its own thread, collecting the data of 'alerts' events."""

    def __init__(self, srv, session):
        self.c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        self.c.request("GET", "/api/v1/alerts/stream?" + AV,
                       headers={"Authorization": "Bearer " + session.token})
        self.r = self.c.getresponse()
        self.status = self.r.status
        self.ctype = self.r.getheader("Content-Type")
        self.events = []
        self.lock = threading.Lock()
        if self.status == 200:
            self.t = threading.Thread(target=self.run, daemon=True)
            self.t.start()

    def run(self):
        event = None
        try:
            while True:
                line = self.r.readline()
                if not line:
                    return
                line = line.decode().rstrip("\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "alerts":
                    with self.lock:
                        self.events.append(json.loads(line[5:].strip()))
        except Exception:  # noqa: BLE001 - the connection closes at the end
            return

    def wait(self, n, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.events) >= n:
                    return list(self.events)
            time.sleep(0.05)
        with self.lock:
            return list(self.events)

    def close(self):
        self.c.close()


def write_alert(srv, list_id, entry, plate, state, covert):
    """Writes a read and its alert into the database the way another platekeeper process (a
    CLI ingest) would; the server's engine publishes alerts it did not write itself."""
    db = sqlite3.connect(os.path.join(srv.data, "platekeeper.db"), timeout=30)
    now = int(time.time() * 1000)
    db.execute("INSERT INTO cameras(name, created_at) VALUES ('it-cam', ?)"
               " ON CONFLICT(name) DO NOTHING", (now,))
    cam = db.execute("SELECT id FROM cameras WHERE name = 'it-cam'").fetchone()[0]
    db.execute("INSERT INTO plates(text) VALUES (?) ON CONFLICT(text) DO NOTHING", (plate,))
    pid = db.execute("SELECT id FROM plates WHERE text = ?", (plate,)).fetchone()[0]
    cur = db.execute("INSERT INTO reads(uuid, plate_id, state, ts, camera_id, confidence,"
                     " ingested_at) VALUES (?,?,?,?,?,?,?)",
                     (uuid.uuid4().bytes, pid, state, now, cam, 90.0, now))
    rid = cur.lastrowid
    read = {"id": rid, "plate": plate, "state": state, "camera": "it-cam", "confidence": 90.0}
    cur = db.execute("INSERT INTO alerts(read_id, entry_id, hotlist_id, match, state_mismatch,"
                     " covert, priority, read_json, entry_json, created_at)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?)",
                     (rid, entry["id"], list_id, "exact", int(state != entry.get("state")),
                      int(covert), 1, json.dumps(read), json.dumps(entry), now))
    aid = cur.lastrowid
    db.commit()
    db.close()
    return aid


def lists_and_imports(t, srv, team):
    inv, admin, op = team["investigator"], team["admin"], team["operator"]
    st, body, _ = inv.call("POST", "/api/v1/hotlists", {"name": "stolen", "source": "import",
                                                        "priority": 1, "alert_level": "high",
                                                        "covert": False})
    t.ok(st == 201 and body.get("name") == "stolen" and body.get("covert") is False,
         "POST /hotlists creates a list", body)
    stolen = body["id"]
    st, body, _ = inv.call("POST", "/api/v1/hotlists", {"name": "surveillance", "source": "local",
                                                        "priority": 0, "alert_level": "silent",
                                                        "covert": True})
    t.ok(st == 201 and body.get("covert") is True, "a covert list", body)
    covert = body["id"]
    t.error(inv.call("POST", "/api/v1/hotlists", {"name": "stolen"}), 409, "exists",
            "the same name twice: 409")
    t.error(inv.call("POST", "/api/v1/hotlists", {"name": "x", "alert_level": "loud"}), 400,
            "invalid", "a bad alert level: 400")
    t.error(inv.call("POST", "/api/v1/hotlists", {"name": "x", "default_expiry_days": 90}), 403,
            "forbidden", "an investigator may not set a default expiry over 30 days")
    t.error(inv.call("POST", "/api/v1/hotlists", {"name": "x", "colour": "red"}), 400,
            "unknown_field", "unknown field: 400")
    st, body, _ = inv.call("GET", "/api/v1/hotlists")
    t.ok(st == 200 and len(body.get("hotlists", [])) == 2, "GET /hotlists lists both", body)
    t.error(op.call("GET", "/api/v1/hotlists"), 403, "forbidden", "operators do not manage lists")

    good = "LIC,LIS,VMA,VCO\n7ABC123,CA,HOND,BLK\n8XYZ999,NV,FORD,RED\n"
    st, body, _ = inv.call("POST", "/api/v1/hotlists/%d/import" % stolen, raw=good,
                           ctype="text/csv")
    t.ok(st == 200 and body.get("loaded") == 2 and body.get("bad") == 0, "import a CSV", body)
    bad = "LIC|LIS\n5AAA555|CA\n|CA\n6BBB666|QQ\n"
    st, body, _ = inv.call("POST", "/api/v1/hotlists/%d/import" % stolen, raw=bad,
                           ctype="text/plain")
    t.ok(st == 422 and body.get("error") == "invalid" and body.get("bad") == 2 and
         any(e.startswith("3: plate: empty") for e in body.get("errors", [])) and
         any(e.startswith("4: state:") for e in body.get("errors", [])),
         "a bad file is refused whole with line numbers and reasons", body)
    st, body, _ = inv.call("GET", "/api/v1/hotlists/%d/entries" % stolen)
    t.ok(st == 200 and sorted(e["plate"] for e in body["entries"]) == ["7ABC123", "8XYZ999"],
         "the refused file left the list as it was", body)
    st, body, _ = inv.call("POST", "/api/v1/hotlists/%d/import?skip_bad=1" % stolen, raw=bad,
                           ctype="text/plain")
    t.ok(st == 200 and body.get("loaded") == 1 and body.get("bad") == 2 and
         body.get("replaced") == 2, "skip_bad loads the good lines and reports the bad", body)
    st, body, _ = inv.call("GET", "/api/v1/hotlists/%d/entries" % stolen)
    t.ok([e["plate"] for e in body["entries"]] == ["5AAA555"],
         "entries cleared upstream are gone", body)
    st, body, _ = inv.call("POST", "/api/v1/hotlists/%d/import" % stolen, raw=good,
                           ctype="text/csv")
    t.ok(st == 200 and body.get("replaced") == 1, "re-import", body)
    t.error(inv.call("POST", "/api/v1/hotlists/999/import", raw=good, ctype="text/csv"), 404,
            "not_found", "import into an unknown list: 404")

    # entries by hand
    st, body, _ = inv.call("POST", "/api/v1/hotlists/%d/entries" % covert,
                           {"plate": "6tr?8*", "state": "any", "reason": "witness: partial",
                            "case": "26-0042"})
    t.ok(st == 201 and body["entry"]["plate"] == "6TR?8*" and body["entry"]["partial"] is True
         and body["entry"]["entered_by"] == "u_investigator" and body["entry"]["expires"],
         "a partial plate by hand, with the default expiry", body)
    st, body, _ = inv.call("POST", "/api/v1/hotlists/%d/entries" % covert,
                           {"plate": "4COV444", "state": "CA", "case": "26-0042",
                            "lookback_days": 7})
    t.ok(st == 201 and "matching_reads" in body, "an entry with a look-back search", body)
    covert_entry = body["entry"]
    t.error(inv.call("POST", "/api/v1/hotlists/%d/entries" % covert,
                     {"plate": "1ABC", "state": "ZZ"}), 400, "invalid", "a bad state: 400")
    t.error(inv.call("POST", "/api/v1/hotlists/%d/entries" % covert,
                     {"plate": "1ABC", "expires": "2099-01-01"}), 403, "forbidden",
            "an investigator may not extend past the default expiry")
    st, body, _ = admin.call("POST", "/api/v1/hotlists/%d/entries" % covert,
                             {"plate": "1ABC", "expires": "2099-01-01"})
    t.ok(st == 201, "an administrator may", body)
    eid = body["entry"]["id"]
    st, body, _ = inv.call("DELETE", "/api/v1/hotlists/%d/entries/%d" % (covert, eid))
    t.ok(st == 200 and body.get("removed") == eid, "DELETE an entry", body)
    t.error(inv.call("DELETE", "/api/v1/hotlists/%d/entries/%d" % (covert, eid)), 404,
            "not_found", "DELETE it again: 404")
    st, body, _ = inv.call("GET", "/api/v1/hotlists/%d/entries" % stolen)
    stolen_entry = [e for e in body["entries"] if e["plate"] == "7ABC123"][0]
    return stolen, covert, stolen_entry, covert_entry


def alerts(t, srv, team, stolen, covert, stolen_entry, covert_entry):
    inv, op, aud = team["investigator"], team["operator"], team["auditor"]
    t.error(op.call("GET", "/api/v1/alerts/stream"), 400, "purpose_required",
            "the stream needs a purpose")
    t.error(aud.call("GET", "/api/v1/alerts/stream?" + AV), 403, "forbidden",
            "auditors get no alert stream")
    s1, s2 = Stream(srv, op), Stream(srv, inv)
    t.ok(s1.status == 200 and s2.status == 200 and s1.ctype == "text/event-stream",
         "two clients connect to /alerts/stream")
    time.sleep(0.3)
    a1 = write_alert(srv, stolen, stolen_entry, "7ABC123", "NV", False)
    e1, e2 = s1.wait(1), s2.wait(1)
    t.ok(len(e1) == 1 and e1[0]["id"] == a1 and e1[0]["state_mismatch"] is True and
         e1[0]["read"]["plate"] == "7ABC123" and e1[0]["entry"]["plate"] == "7ABC123",
         "the alert reaches the first client with read and entry", e1)
    t.ok(len(e2) == 1 and e2[0]["id"] == a1, "the alert reaches the second client", e2)
    a2 = write_alert(srv, covert, covert_entry, "4COV444", "CA", True)
    e2 = s2.wait(2)
    t.ok(len(e2) == 2 and e2[1]["id"] == a2, "a covert alert reaches its owner", e2)
    time.sleep(1.5)
    t.ok(len(s1.wait(1, 0.1)) == 1, "...and not the patrol operator")
    # a camera's read through POST /reads: matched at ingest, published after the commit
    st, body, _ = team["admin"].call("POST", "/api/v1/units", {"name": "car-hl"})
    unit = {"Authorization": "Unit " + body["key"]}
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    rd = {"uuid": str(uuid.uuid4()), "plate": "7A8C1Z3", "state": "CA", "ts": now,
          "camera": "cam-hl", "confidence": 88.0}
    st, body, _ = srv.call("POST", "/api/v1/reads", {"reads": [rd]}, headers=unit)
    t.ok(st in (200, 201) and body.get("accepted") == 1 and len(body.get("alerts", [])) == 1 and
         body["alerts"][0]["match"] == "misread", "POST /reads answers with the misread alert",
         body)
    e1, e2 = s1.wait(2), s2.wait(3)
    t.ok(len(e1) == 2 and e1[1]["match"] == "misread" and e1[1]["read"]["plate"] == "7A8C1Z3"
         and e1[1]["entry"]["plate"] == "7ABC123", "the ingested read's alert reaches client 1",
         e1)
    t.ok(len(e2) == 3 and e2[2]["id"] == e1[1]["id"], "...and client 2, once", e2)
    a3 = e1[1]["id"] if len(e1) == 2 else 0
    s1.close()
    s2.close()

    st, body, _ = op.call("GET", "/api/v1/alerts?" + AV)
    t.ok(st == 200 and [a["id"] for a in body["alerts"]] == [a3, a1],
         "GET /alerts: the operator sees the open alerts only, newest first", body)
    a = body["alerts"][-1]
    t.ok(a["status"] == "unverified" and a["match"] == "exact" and a["actionable"] is False and
         set(a) >= {"id", "status", "match", "state_mismatch", "read", "entry"},
         "the alert's shape", a)
    st, body, _ = inv.call("GET", "/api/v1/alerts?" + AV)
    t.ok(st == 200 and len(body["alerts"]) == 3, "the covert list's owner sees all three", body)
    t.error(op.call("GET", "/api/v1/alerts"), 400, "purpose_required", "listing needs a purpose")
    t.error(op.call("GET", "/api/v1/alerts?%s&status=bogus" % AV), 400, "invalid",
            "an unknown status filter: 400")

    V = "/api/v1/alerts/%d/verify"
    t.error(op.call("POST", V % a1, {"outcome": "arrest"}), 400, "invalid",
            "an unknown outcome is refused")
    t.error(op.call("POST", V % a1, {"outcome": "misread"}), 400, "invalid",
            "a note is required but for confirmed")
    t.error(op.call("POST", V % a2, {"outcome": "confirmed"}), 404, "not_found",
            "the operator cannot verify a covert alert")
    t.error(aud.call("POST", V % a1, {"outcome": "confirmed"}), 403, "forbidden",
            "auditors do not verify")
    st, body, _ = op.call("POST", V % a1, {"outcome": "state_mismatch",
                                           "note": "CLETS: 7ABC123 is a CA plate; read says NV"})
    t.ok(st == 200 and body.get("status") == "state_mismatch" and body.get("actionable") is False,
         "a state mismatch verified: not actionable", body)
    t.error(op.call("POST", V % a1, {"outcome": "confirmed"}), 409, "conflict",
            "an alert is verified once")
    st, body, _ = inv.call("POST", V % a2, {"outcome": "confirmed"})
    t.ok(st == 200 and body.get("actionable") is True, "confirmed is actionable", body)
    st, body, _ = inv.call("GET", "/api/v1/alerts?%s&status=confirmed" % AV)
    t.ok(st == 200 and len(body["alerts"]) == 1 and body["alerts"][0]["verified_by"] ==
         "u_investigator" and body["alerts"][0]["acknowledged_at"],
         "verification time and officer are kept", body)

    # the access log holds every listing with its purpose and count
    st, body, _ = team["admin"].call("GET", "/api/v1/audit/log?action=alerts.view&limit=50")
    entries = body.get("entries", body.get("log", [])) if isinstance(body, dict) else []
    t.ok(st == 200 and len(entries) >= 4, "alert listings and streams are in the access log",
         body if st != 200 else len(entries))


def cli(t, srv):
    env = dict(os.environ, PLATEKEEPER_PASSWORD=USER_PW, PLATEKEEPER_TEST_FAST_PWHASH="1")
    run = lambda *a: subprocess.run([PK_BIN] + list(a), env=env, capture_output=True, text=True,
                                    timeout=60)
    p = run("hotlist", "list", "--data", srv.data, "--user", "u_investigator")
    t.ok(p.returncode == 0 and "stolen" in p.stdout and "surveillance" in p.stdout,
         "hotlist list beside the server", p.stdout + p.stderr)
    f = os.path.join(srv.dir, "svs.txt")
    with open(f, "w") as fh:
        fh.write("TAG      ST\n9CLI999  AZ\n")
    p = run("hotlist", "import", "stolen", f, "--map", "1-8=plate,10-11=state", "--data",
            srv.data, "--user", "u_investigator")
    t.ok(p.returncode == 0 and "loaded=1" in p.stdout, "hotlist import fixed width",
         p.stdout + p.stderr)
    p = run("alerts", "--json", "--data", srv.data, "--user", "u_operator")
    t.ok(p.returncode == 0 and len(p.stdout.splitlines()) == 2, "alerts --json as operator",
         p.stdout + p.stderr)
    p = run("alerts", "--verify", "1", "--outcome", "nope", "--data", srv.data, "--user",
            "u_operator")
    t.eq(p.returncode, 2, "alerts --verify with a bad outcome: usage error")


def stream_log(t, srv):
    """After the server stopped (which ends every stream): each stream's closing entry says how
    many alerts it delivered, and which."""
    db = sqlite3.connect(os.path.join(srv.data, "platekeeper.db"))
    rows = db.execute("SELECT username, result_count, query, purpose FROM access_log"
                      " WHERE action = 'alerts.stream' ORDER BY id").fetchall()
    opening = db.execute("SELECT username, result_count, query, purpose FROM access_log"
                         " WHERE action = 'alerts.view' AND query LIKE '%alerts.stream%'"
                         " AND outcome = 'ok'").fetchall()
    db.close()
    closing = {u: (n, json.loads(q)) for u, n, q, p in rows if n > 0}
    t.ok(len(opening) == 2 and all(r[3] == "alert-verification" for r in opening + rows),
         "each stream's opening is in the access log with its purpose", opening)
    t.ok(closing.get("u_operator", (0,))[0] == 2 and len(closing["u_operator"][1]["alerts"]) == 2,
         "the operator's stream closed with 2 alerts delivered", rows)
    t.ok(closing.get("u_investigator", (0,))[0] == 3, "the owner's stream with 3", rows)


def main(t):
    with Server() as srv:
        team = srv.team()
        stolen, covert, se, ce = lists_and_imports(t, srv, team)
        alerts(t, srv, team, stolen, covert, se, ce)
        cli(t, srv)
        rc, _ = srv.stop()
        t.eq(rc, 0, "serve stops cleanly with the hotlist threads")
        stream_log(t, srv)


if __name__ == "__main__":
    Tap().run(main)

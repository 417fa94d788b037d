"""A purpose or case over 64 characters is refused by the gate, not the server, so the refusal
is in the access log (issue 3 item 6): one "refused" entry per request that keeps at most 64
characters of what was sent, on every route that takes a purpose and case.
"""
import json
import os
import sqlite3
import time
import uuid

from pkserver import Server, Tap

AV = "purpose=alert-verification"


def db(srv):
    return sqlite3.connect(os.path.join(srv.data, "platekeeper.db"), timeout=30)


def add_read(srv, plate, list_id=None, entry=None, covert=False):
    """Writes a read (and, with list_id, its alert) straight into the database, as another
    platekeeper process would. Returns the read id."""
    d = db(srv)
    now = int(time.time() * 1000)
    d.execute("INSERT INTO cameras(name, created_at) VALUES ('scope-cam', ?)"
              " ON CONFLICT(name) DO NOTHING", (now,))
    cam = d.execute("SELECT id FROM cameras WHERE name = 'scope-cam'").fetchone()[0]
    d.execute("INSERT INTO plates(text) VALUES (?) ON CONFLICT(text) DO NOTHING", (plate,))
    pid = d.execute("SELECT id FROM plates WHERE text = ?", (plate,)).fetchone()[0]
    rid = d.execute("INSERT INTO reads(uuid, plate_id, state, ts, camera_id, confidence,"
                    " ingested_at) VALUES (?,?,?,?,?,?,?)",
                    (uuid.uuid4().bytes, pid, "CA", now, cam, 90.0, now)).lastrowid
    if list_id is not None:
        read = {"id": rid, "plate": plate, "state": "CA", "camera": "scope-cam"}
        d.execute("INSERT INTO alerts(read_id, entry_id, hotlist_id, match, state_mismatch,"
                  " covert, priority, read_json, entry_json, created_at)"
                  " VALUES (?,?,?,?,?,?,?,?,?,?)",
                  (rid, entry["id"], list_id, "exact", 0, int(covert), 1, json.dumps(read),
                   json.dumps(entry), now))
    d.commit()
    d.close()
    return rid


def log_rows(srv):
    d = db(srv)
    rows = d.execute("SELECT id, username, action, outcome, purpose, case_no, query, detail"
                     " FROM access_log ORDER BY id").fetchall()
    d.close()
    return rows


def new_rows(srv, before):
    return [r for r in log_rows(srv) if r[0] > before]


def last_id(srv):
    rows = log_rows(srv)
    return rows[-1][0] if rows else 0


def make_list(t, inv, name, covert, plate):
    st, body, _ = inv.call("POST", "/api/v1/hotlists",
                           {"name": name, "priority": 1, "alert_level": "high", "covert": covert})
    t.ok(st == 201, "list %s created" % name, body)
    lid = body["id"]
    st, body, _ = inv.call("POST", "/api/v1/hotlists/%d/entries" % lid,
                           {"plate": plate, "state": "CA", "reason": "stolen vehicle",
                            "case": "24-100"})
    t.ok(st == 201, "entry on %s" % name, body)
    return lid, body["entry"]


def long_fields(t, srv, team):
    inv, op = team["investigator"], team["operator"]
    rid = add_read(srv, "7LNG444")
    cases = [
        ("a purpose of 65 characters", "purpose=" + "p" * 65 + "&case=1", 400,
         "purpose_required", "p" * 64),
        ("a purpose of 5000 characters", "purpose=" + "p" * 5000, 400, "purpose_required",
         "p" * 64),
        ("a case of 65 characters", "purpose=investigation&case=" + "c" * 65, 400,
         "case_required", "c" * 64),
        ("a case of 5000 characters", "purpose=investigation&case=" + "c" * 5000, 400,
         "case_required", "c" * 64),
    ]
    for what, qs, status, code, kept in cases:
        for who, path in ((inv, "/api/v1/reads/%d?%s" % (rid, qs)),
                          (inv, "/api/v1/reads/%d/image?%s" % (rid, qs)),
                          (op, "/api/v1/alerts?%s" % qs),
                          (inv, "/api/v1/reads?plate=7LNG444&%s" % qs)):
            before = last_id(srv)
            resp = who.call("GET", path)
            t.ok(resp[0] == status and isinstance(resp[1], dict)
                 and resp[1].get("error") == code,
                 "%s on %s: %d %s" % (what, path.split("?")[0], status, code), resp[:2])
            rows = new_rows(srv, before)
            field = 4 if what.startswith("a purpose") else 5
            t.ok(len(rows) == 1 and rows[0][3] == "refused"
                 and rows[0][field] is not None and rows[0][field].startswith(kept)
                 and len(rows[0][field]) <= 70,
                 "%s on %s: one refused entry, the field cut to 64" % (what,
                                                                        path.split("?")[0]),
                 rows)


def main(t):
    with Server() as srv:
        team = srv.team()
        long_fields(t, srv, team)


if __name__ == "__main__":
    Tap().run(main)

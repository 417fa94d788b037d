"""Shared by the integration tests that plant reads and alerts straight into a server's
database (as another platekeeper process would) and count its access-log entries."""
import json
import os
import sqlite3
import time
import uuid

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

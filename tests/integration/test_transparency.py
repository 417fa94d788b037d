"""GET /api/v1/transparency against a real `platekeeper serve` with known data: reads, hotlist
hits and searches of this calendar month (UTC) only, sharing requests granted and refused (all
time and this month), and nothing but counts: no plate, no username.
"""
import calendar
import json
import os
import sqlite3
import time
import uuid

from pkserver import Server, Tap


def month_bounds(now_s):
    t = time.gmtime(now_s)
    first = calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0))
    return first * 1000, "%04d-%02d" % (t.tm_year, t.tm_mon)


def seed(srv):
    now = int(time.time() * 1000)
    first, _ = month_bounds(now // 1000)
    last_month = first - 86400 * 1000  # the day before the 1st
    d = sqlite3.connect(os.path.join(srv.data, "platekeeper.db"), timeout=30)
    d.execute("INSERT INTO cameras(name, created_at) VALUES ('tr-cam', ?)", (now,))
    cam = d.execute("SELECT id FROM cameras WHERE name = 'tr-cam'").fetchone()[0]
    ids = []
    for i, ts in enumerate([now, now, now, first, last_month, last_month - 1]):
        plate = "9TRN%03d" % i
        d.execute("INSERT INTO plates(text) VALUES (?)", (plate,))
        pid = d.execute("SELECT id FROM plates WHERE text = ?", (plate,)).fetchone()[0]
        ids.append(d.execute("INSERT INTO reads(uuid, plate_id, state, ts, camera_id,"
                             " confidence, ingested_at) VALUES (?,?,?,?,?,?,?)",
                             (uuid.uuid4().bytes, pid, "CA", ts, cam, 90.0, now)).lastrowid)
    # hits: two this month, one last month
    for rid, created in ((ids[0], now), (ids[1], first), (ids[4], last_month)):
        d.execute("INSERT INTO alerts(read_id, entry_id, hotlist_id, match, state_mismatch,"
                  " covert, priority, read_json, entry_json, created_at)"
                  " VALUES (?,?,?,?,?,?,?,?,?,?)",
                  (rid, 1, 1, "exact", 0, 0, 1, "{}", "{}", created))
    # sharing requests: granted this month (approved, fulfilled), granted last month,
    # refused this month, refused twice last month, one pending, one referred
    for status, decided in (("approved", now), ("fulfilled", first), ("approved", last_month),
                            ("denied", now), ("denied", last_month), ("denied", last_month),
                            ("pending", None), ("referred", now)):
        d.execute("INSERT INTO sharing_requests(agency, agency_type, state, requester, contact,"
                  " status, received_by, received_at, decided_by, decided_at)"
                  " VALUES (?,?,?,?,?,?,?,?,?,?)",
                  ("Oakland PD", "law_enforcement", "CA", "Sgt Requester", "x@example.org",
                   status, "admin", last_month, None if decided is None else "admin", decided))
    d.commit()
    d.close()


def main(t):
    with Server() as srv:
        team = srv.team()
        seed(srv)
        inv = team["investigator"]
        for plate in ("9TRN000", "9TRN001"):
            st, body, _ = inv.call("GET", "/api/v1/reads?plate=%s&purpose=investigation&case=T-1"
                                   % plate)
            t.ok(st == 200, "search %s" % plate, body)
        st, body, _ = inv.call("GET", "/api/v1/reads?plate=9TRN000&purpose=investigation")
        t.ok(st == 400, "a search without its case is refused", body)

        st, body, _ = srv.call("GET", "/api/v1/transparency")
        t.ok(st == 200 and isinstance(body, dict), "GET /api/v1/transparency without login", body)
        _, month = month_bounds(time.time())
        want = {
            "month": month,
            "reads_stored": 6,
            "reads_this_month": 4,
            "hits_this_month": 2,
            "searches_this_month": 2,
            "sharing_requests_granted": 3,
            "sharing_requests_refused": 3,
            "sharing_requests_granted_this_month": 2,
            "sharing_requests_refused_this_month": 1,
        }
        for k, v in want.items():
            t.eq(body.get(k), v, "transparency %s" % k)
        t.ok(body.get("refused_this_month", 0) >= 1, "transparency counts refused accesses",
             body)
        t.ok(all(isinstance(v, (int, str)) for v in body.values()),
             "transparency holds only counts and the month", body)
        text = json.dumps(body)
        t.ok("9TRN" not in text and "u_investigator" not in text and "admin" not in text
             and "Oakland" not in text, "no plate, username or agency in the figures", text)


if __name__ == "__main__":
    Tap().run(main)

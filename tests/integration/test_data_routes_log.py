"""Every route that returns read data (reads, one read, its image, alerts, export packages, the
ingest answer's alerts) writes exactly one access-log entry per request, before the data, and
so does every refused request (no purpose, missing case, wrong role, lapsed training, an
operator outside their alerts). Counts access_log rows before and after each single request
against a real `platekeeper serve`.
"""
import os
import sqlite3
import time

from pkserver import Server, Tap

INV = "purpose=investigation&case=C-9"
AV = "purpose=alert-verification"


def count(srv):
    d = sqlite3.connect(os.path.join(srv.data, "platekeeper.db"), timeout=30)
    n = d.execute("SELECT count(*) FROM access_log").fetchone()[0]
    last = d.execute("SELECT action, outcome, result_count FROM access_log"
                     " ORDER BY id DESC LIMIT 1").fetchone()
    d.close()
    return n, last


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def one_entry(t, srv, who, method, path, body, status, outcome, name, headers=None):
    before, _ = count(srv)
    if who is None:
        resp = srv.call(method, path, body, headers=headers)
    else:
        resp = who.call(method, path, body)
    after, last = count(srv)
    t.ok(resp[0] == status, "%s: %d" % (name, status), resp[:2] if resp[0] != 200 else resp[0])
    t.ok(after - before == 1 and last[1] == outcome,
         "%s: exactly one %s access-log entry" % (name, outcome),
         "entries %d, last %r" % (after - before, last))
    return resp


def main(t):
    with Server() as srv:
        s = srv.team()
        inv, op, aud, admin = s["investigator"], s["operator"], s["auditor"], s["admin"]
        srv.add_user(admin, "u_lapsed", "investigator", trained=False)
        lapsed = srv.login("u_lapsed")
        # a list with an entry, and reads: one hits it, one does not
        st, hl, _ = inv.call("POST", "/api/v1/hotlists", {"name": "stolen", "priority": 1,
                                                          "alert_level": "high"})
        st, e, _ = inv.call("POST", "/api/v1/hotlists/%d/entries" % hl["id"],
                            {"plate": "7HIT001", "state": "CA", "reason": "stolen vehicle",
                             "case": "C-9"})
        t.ok(st == 201, "hotlist entry", e)
        now = time.time()
        reads = [{"uuid": "20000000-0000-4000-8000-%012d" % i, "plate": p, "state": "CA",
                  "ts": iso(now - 60 * i), "camera": "Cam 1", "lat": 38.5, "lon": -121.4,
                  "confidence": 91.0} for i, p in enumerate(["7HIT001", "7NOH002"], 1)]
        one_entry(t, srv, admin, "POST", "/api/v1/reads", {"reads": reads[:1]}, 200, "ok",
                  "POST /reads answering with an alert")
        admin.call("POST", "/api/v1/reads", {"reads": reads[1:]})
        st, body, _ = inv.call("GET", "/api/v1/reads?plate=7HIT001&" + INV)
        hit = body["reads"][0]["id"]
        st, body, _ = inv.call("GET", "/api/v1/reads?plate=7NOH002&" + INV)
        nohit = body["reads"][0]["id"]

        one_entry(t, srv, inv, "GET", "/api/v1/reads?plate=7HIT001&" + INV, None, 200, "ok",
                  "search")
        one_entry(t, srv, inv, "GET", "/api/v1/reads?plate=7HIT001", None, 400, "refused",
                  "search without a purpose")
        one_entry(t, srv, inv, "GET", "/api/v1/reads?plate=7HIT001&purpose=investigation",
                  None, 400, "refused", "search without the case its purpose needs")
        one_entry(t, srv, op, "GET", "/api/v1/reads?plate=7HIT001&" + INV, None, 403, "refused",
                  "search by an operator")
        one_entry(t, srv, lapsed, "GET", "/api/v1/reads?plate=7HIT001&" + INV, None, 403,
                  "refused", "search without current training")
        one_entry(t, srv, inv, "GET", "/api/v1/reads/%d?%s" % (nohit, INV), None, 200, "ok",
                  "one read")
        one_entry(t, srv, inv, "GET", "/api/v1/reads/%d" % nohit, None, 400, "refused",
                  "one read without a purpose")
        one_entry(t, srv, op, "GET", "/api/v1/reads/%d?%s" % (hit, AV), None, 200, "ok",
                  "one read of the operator's alert")
        one_entry(t, srv, op, "GET", "/api/v1/reads/%d?%s" % (nohit, AV), None, 403, "refused",
                  "one read outside the operator's alerts")
        one_entry(t, srv, aud, "GET", "/api/v1/reads/%d?%s" % (hit, AV), None, 403, "refused",
                  "one read by an auditor")
        one_entry(t, srv, inv, "GET", "/api/v1/reads/%d/image?kind=plate&%s" % (hit, INV), None,
                  404, "ok", "an image that is not there (count 0)")
        one_entry(t, srv, op, "GET", "/api/v1/reads/%d/image?%s" % (nohit, AV), None, 403,
                  "refused", "an image outside the operator's alerts")
        one_entry(t, srv, lapsed, "GET", "/api/v1/reads/%d/image?%s" % (hit, INV), None, 403,
                  "refused", "an image without current training")
        one_entry(t, srv, op, "GET", "/api/v1/alerts?" + AV, None, 200, "ok", "alerts")
        one_entry(t, srv, op, "GET", "/api/v1/alerts", None, 400, "refused",
                  "alerts without a purpose")
        one_entry(t, srv, aud, "GET", "/api/v1/alerts?" + AV, None, 403, "refused",
                  "alerts by an auditor")
        one_entry(t, srv, lapsed, "GET", "/api/v1/alerts?" + AV, None, 403, "refused",
                  "alerts without current training")

        # bad requests refused before the gate are logged too
        for who, path, status, name in (
                (inv, "/api/v1/reads?plate=7HIT001&pattern=7HIT*&" + INV, 400,
                 "search with plate and pattern"),
                (inv, "/api/v1/reads?plate=7HIT001&limit=abc&" + INV, 400,
                 "search with a garbage limit"),
                (inv, "/api/v1/reads?plate=7HIT001&near=1,2&" + INV, 400,
                 "search with a bad area"),
                (inv, "/api/v1/reads?plate=7HIT001&colour=red&" + INV, 400,
                 "search with an unknown parameter"),
                (inv, "/api/v1/reads/abc?" + INV, 404, "one read with a bad id"),
                (inv, "/api/v1/reads/%d?colour=red&%s" % (hit, INV), 400,
                 "one read with an unknown parameter"),
                (inv, "/api/v1/reads/%d/image?kind=thumb&%s" % (hit, INV), 400,
                 "an image of an unknown kind"),
                (op, "/api/v1/alerts?limit=abc&" + AV, 400, "alerts with a garbage limit"),
                (op, "/api/v1/alerts?status=nonsense&" + AV, 400, "alerts with a bad status"),
                (op, "/api/v1/alerts/stream?colour=red&" + AV, 400,
                 "alert stream with an unknown parameter"),
                (inv, "/api/v1/exports/424242/package", 404, "package of no export")):
            resp = one_entry(t, srv, who, "GET", path, None, status, "refused", name)

        # an export package: a hold on the hit, approved, exported
        st, h, _ = inv.call("POST", "/api/v1/holds", {"case": "C-9", "reason": "theft",
                                                      "contact": "det. ivy", "read_ids": [hit]})
        t.ok(st == 201, "hold opened", h)
        st, body, _ = admin.call("POST", "/api/v1/holds/%d/approve" % h["id"])
        st, ex, _ = inv.call("POST", "/api/v1/exports", {"hold_id": h["id"]})
        t.ok(st == 201, "export made", ex)
        resp = one_entry(t, srv, inv, "GET", ex["download"], None, 200, "ok", "export package")
        _, last = count(srv)
        t.ok(last[2] == 1, "the package's entry counts its one read", last)
        one_entry(t, srv, lapsed, "GET", ex["download"], None, 403, "refused",
                  "export package without current training")
        one_entry(t, srv, op, "GET", ex["download"], None, 403, "refused",
                  "export package by an operator")


if __name__ == "__main__":
    Tap().run(main)

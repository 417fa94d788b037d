"""Several units posting batches at once (POST /api/v1/reads): each batch is parsed on its own
request's connection and stored on the server's one ingest connection. Every answer must count
and report exactly its own batch (accepted, rejects by index, the alerts of its own reads),
and every acknowledged read must be in the database, against a real `platekeeper serve`."""
import os
import sqlite3
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkserver import Server, Tap  # noqa: E402

THREADS, BATCHES, SIZE, BAD_AT = 6, 4, 150, 5
HOT = "7ABC123"


def batch(k, j, when):
    """Thread k's batch j: SIZE reads of distinct plates, one refused read at BAD_AT, and the
    hotlisted plate in every other batch. Returns (reads, uuids of the good reads, hot uuid)."""
    reads, good, hot = [], set(), None
    for i in range(SIZE):
        u = str(uuid.uuid4())
        plate = "%d%s%03d%02d" % (k, "XYZ"[j % 3], i, j)
        if i == BAD_AT:
            plate = ""
        elif i == SIZE - 1 and (k + j) % 2 == 0:
            plate, hot = HOT, u
        reads.append({"uuid": u, "plate": plate, "state": "CA", "ts": when,
                      "camera": "unit-%d" % k, "lat": 38.58, "lon": -121.49,
                      "confidence": 90.0})
        if plate:
            good.add(u)
    return reads, good, hot


def main(t):
    with Server() as srv:
        team = srv.team()
        admin, inv = team["admin"], team["investigator"]
        st, body, _ = inv.call("POST", "/api/v1/hotlists", {"name": "stolen", "source": "import",
                                                            "priority": 1, "alert_level": "high",
                                                            "covert": False})
        t.eq(st, 201, "a hotlist")
        st, body, _ = inv.call("POST", "/api/v1/hotlists/%d/import" % body["id"],
                               raw="LIC,LIS\n%s,CA\n" % HOT, ctype="text/csv")
        t.ok(st == 200 and body.get("loaded") == 1, "with one plate", body)
        units = []
        for k in range(THREADS):
            st, body, _ = admin.call("POST", "/api/v1/units", {"name": "car-%d" % k})
            units.append({"Authorization": "Unit " + body["key"]})
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
        answers = []  # (thread, batch, good uuids, hot uuid, status, body)
        lock = threading.Lock()
        go = threading.Event()

        def unit(k):
            go.wait()
            for j in range(BATCHES):
                reads, good, hot = batch(k, j, when)
                try:
                    st, body, _ = srv.call("POST", "/api/v1/reads", {"reads": reads},
                                           headers=units[k])
                except Exception as e:  # noqa: BLE001 - reported as a failed answer below
                    st, body = None, repr(e)
                with lock:
                    answers.append((k, j, good, hot, st, body))

        threads = [threading.Thread(target=unit, args=(k,)) for k in range(THREADS)]
        for th in threads:
            th.start()
        go.set()
        for th in threads:
            th.join(120)
        t.eq(len(answers), THREADS * BATCHES, "every batch was answered")
        t.ok(all(a[4] == 200 for a in answers), "all acknowledged",
             [a[4:] for a in answers if a[4] != 200][:2])
        ok = [a for a in answers if a[4] == 200]
        t.ok(all(a[5]["accepted"] == SIZE - 1 and a[5]["duplicates"] == 0 for a in ok),
             "each answer counts its own batch", [a[5].get("accepted") for a in ok])
        t.ok(all([(r["index"], r["field"]) for r in a[5]["rejected"]] == [(BAD_AT, "plate")]
                 for a in ok), "each answer names its own refused read",
             [a[5]["rejected"] for a in ok][:3])

        db = sqlite3.connect(os.path.join(srv.data, "platekeeper.db"), timeout=10)
        uuid_of = {rid: str(uuid.UUID(bytes=u)) for rid, u in
                   db.execute("SELECT id, uuid FROM reads")}
        t.eq(len(uuid_of), THREADS * BATCHES * (SIZE - 1),
             "every acknowledged read is in the database, none twice")
        stored = set(uuid_of.values())
        t.ok(all(a[2] <= stored for a in ok), "each batch's reads are the ones stored")
        hot_batches = [a for a in ok if a[3]]
        t.ok(all(len(a[5]["alerts"]) == 1 and
                 uuid_of.get(a[5]["alerts"][0]["read"]["id"]) == a[3] for a in hot_batches),
             "a batch with the hotlisted plate gets the alert of its own read",
             [a[5]["alerts"] for a in hot_batches][:1])
        t.ok(all(a[5]["alerts"] == [] for a in ok if not a[3]),
             "a batch without it gets no alert (none of another batch's)")
        n_alerts = db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
        t.eq(n_alerts, len(hot_batches), "one alert stored per hotlisted read")
        db.close()
        rc, err = srv.stop()
        t.eq(rc, 0, "serve stops cleanly after the concurrent ingest")


if __name__ == "__main__":
    Tap().run(main)

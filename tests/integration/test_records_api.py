"""Records over HTTP against a real `platekeeper serve`: retention_days in /settings, holds
(open by ids or query, approve, release, roles, bad input), evidence export and its download
checked by `platekeeper export verify` (intact, then tampered), data-sharing requests (automatic
refusals, referral, decision, scope outside the approval, fulfilment, report), and the purge
command beside the running server."""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkserver import ADMIN_PW, Server, Tap  # noqa: E402

PK_BIN = os.environ.get("PK_BIN")
DAY = 86400


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def read(n, plate, age_days):
    return {"uuid": "10000000-0000-4000-8000-%012d" % n, "plate": plate, "state": "CA",
            "ts": iso(time.time() - age_days * DAY), "camera": "J St & 16th St",
            "lat": 38.5758, "lon": -121.4845, "confidence": 92.0}


def pk(srv, *args, pw=ADMIN_PW):
    env = dict(srv.env, PLATEKEEPER_PASSWORD=pw)
    return subprocess.run([PK_BIN] + list(args), env=env, capture_output=True, text=True,
                          timeout=120)


def settings(t, admin):
    t.error(admin.call("PUT", "/api/v1/settings", {"retention_days": 100}), 400, "invalid",
            "retention_days below 365: 400")
    st, body, _ = admin.call("GET", "/api/v1/settings")
    t.ok(st == 200 and body["settings"]["retention_days"] == 365, "nothing changed", body)
    st, body, _ = admin.call("PUT", "/api/v1/settings", {"retention_days": 400})
    t.ok(st == 200 and body["settings"]["retention_days"] == 400, "retention_days 400", body)
    admin.call("PUT", "/api/v1/settings", {"retention_days": 365})


def holds(t, s):
    inv, admin, aud = s["investigator"], s["admin"], s["auditor"]
    st, body, _ = admin.call("POST", "/api/v1/reads",
                             {"reads": [read(1, "7ABC123", 1), read(2, "7ABC123", 2),
                                        read(3, "5DEF456", 3), read(4, "9OLD999", 400)]})
    t.ok(st == 200 and body["accepted"] == 4, "four reads in", body)
    st, body, _ = inv.call("GET", "/api/v1/reads?plate=7ABC123&purpose=investigation&case=C-1")
    ids = [r["id"] for r in body["reads"]]
    t.eq(len(ids), 2, "search finds the two 7ABC123 reads")
    hold = {"case": "C-1", "reason": "robbery series", "contact": "det. ivy, x4411"}
    t.error(inv.call("POST", "/api/v1/holds", dict(hold, read_ids=[ids[0], 987654])), 404,
            "not_found", "unknown read id: 404, no hold")
    t.error(inv.call("POST", "/api/v1/holds", dict(hold, case="", read_ids=ids)), 400,
            "missing_field", "empty case: 400")
    t.error(inv.call("POST", "/api/v1/holds", {"case": "C-1", "read_ids": ids}), 400,
            "missing_field", "no reason or contact: 400")
    t.error(aud.call("POST", "/api/v1/holds", dict(hold, read_ids=ids)), 403, "forbidden",
            "auditor cannot open a hold")
    st, body, _ = inv.call("GET", "/api/v1/holds")
    t.ok(st == 200 and body["holds"] == [], "no hold was created by the refusals", body)
    st, h, _ = inv.call("POST", "/api/v1/holds", dict(hold, read_ids=ids))
    t.ok(st == 201 and h["status"] == "pending" and h["reads"] == 2 and h["id"] > 0,
         "hold opened by ids: 201 pending", h)
    st, hq, _ = inv.call("POST", "/api/v1/holds",
                         dict(hold, case="C-2", query={"plate": "5DEF456"}, purpose="investigation"))
    t.ok(st == 201 and hq["reads"] == 1 and hq["query"]["plate"] == "5DEF456",
         "hold opened by a search through the gate", hq)
    st, hp, _ = inv.call("POST", "/api/v1/holds", dict(hold, case="C-3", query={"pattern": "7AB*"}))
    t.ok(st == 201 and hp["reads"] == 2, "hold by a partial-plate search", hp)
    t.error(inv.call("POST", "/api/v1/holds", dict(hold, query={"plate": "7ABC123", "colour": "red"})),
            400, "invalid", "unknown query field: 400")
    t.error(inv.call("POST", "/api/v1/holds/%d/approve" % h["id"]), 403, "forbidden",
            "investigator cannot approve")
    st, body, _ = admin.call("POST", "/api/v1/holds/%d/approve" % h["id"])
    t.ok(st == 200 and body["status"] == "approved" and body["approved_by"] == "admin",
         "admin approves", body)
    t.error(admin.call("POST", "/api/v1/holds/%d/approve" % h["id"]), 409, "conflict",
            "approving twice: 409")
    t.error(admin.call("POST", "/api/v1/holds/99999/approve"), 404, "not_found",
            "unknown hold: 404")
    return h, hq


def exports(t, srv, s, h, hq):
    inv = s["investigator"]
    t.error(inv.call("POST", "/api/v1/exports", {"hold_id": hq["id"]}), 409, "conflict",
            "export of a pending hold: 409")
    t.error(inv.call("POST", "/api/v1/exports", {"hold_id": 4242}), 404, "not_found",
            "export of an unknown hold: 404")
    st, ex, _ = inv.call("POST", "/api/v1/exports", {"hold_id": h["id"]})
    t.ok(st == 201 and ex["reads"] == 2 and len(ex["manifest_sha256"]) == 64,
         "export: 201 with the manifest hash", ex)
    st, meta, _ = inv.call("GET", "/api/v1/exports/%d" % ex["id"])
    t.ok(st == 200 and meta["case"] == "C-1" and meta["exported_by"] == "u_investigator",
         "export record: case and who", meta)
    c = srv.conn()
    c.request("GET", ex["download"], headers={"Authorization": "Bearer " + inv.token})
    r = c.getresponse()
    tar = r.read()
    c.close()
    t.ok(r.status == 200 and len(tar) % 512 == 0 and len(tar) > 2048, "package downloads as tar")
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "evidence.tar")
        with open(p, "wb") as f:
            f.write(tar)
        v = pk(srv, "export", "verify", p)
        t.ok(v.returncode == 0 and ex["manifest_sha256"] in v.stdout, "export verify: intact",
             v.stdout + v.stderr)
        i = tar.find(b"7ABC123", 1024)
        bad = tar[:i] + b"7ABC128" + tar[i + 7:]
        with open(p, "wb") as f:
            f.write(bad)
        v = pk(srv, "export", "verify", p)
        t.ok(v.returncode == 1 and "tampered" in v.stdout, "export verify: tampered file found",
             v.stdout + v.stderr)
    st, body, _ = s["admin"].call("POST", "/api/v1/holds/%d/release" % h["id"],
                                  {"reason": "case closed"})
    t.ok(st == 200 and body["status"] == "released" and body["release_reason"] == "case closed",
         "release logged with its reason", body)


def requests(t, s):
    admin, cus, inv = s["admin"], s["custodian"], s["investigator"]
    doc = base64.b64encode(b"%PDF-1.4 written request from Oakland PD").decode()
    base = {"agency": "Oakland PD", "agency_type": "law_enforcement", "state": "CA",
            "requester": "Sgt. Lee", "contact": "lee@oaklandpd.example", "purpose": "homicide",
            "case": "OPD-26-1", "scope": {"plates": ["7ABC123"], "from": iso(time.time() - 30 * DAY)},
            "document": doc}
    cases = [({"agency_type": "private", "agency": "Repo Co"}, "denied", "not a public agency"),
             ({"agency_type": "federal"}, "denied", "federal"),
             ({"state": "NV"}, "denied", "outside California"),
             ({"document": None}, "denied", "no written request"),
             ({"purpose": ""}, "denied", "no purpose"),
             ({"agency_type": "other_public", "agency": "City Clerk"}, "referred", "records-release")]
    for change, status, why in cases:
        body = dict(base)
        body.update(change)
        if body["document"] is None:
            del body["document"]
        st, r, _ = admin.call("POST", "/api/v1/requests", body)
        t.ok(st == 201 and r["status"] == status and why in r["reason"],
             "request %s: %s" % (change, status), r)
    t.error(admin.call("POST", "/api/v1/requests", dict(base, agency_type="sheriff")), 400,
            "invalid", "unknown agency_type: 400")
    t.error(admin.call("POST", "/api/v1/requests", dict(base, document="***")), 400, "invalid",
            "bad base64: 400")
    t.error(inv.call("POST", "/api/v1/requests", base), 403, "forbidden",
            "investigator cannot record requests")
    st, r, _ = admin.call("POST", "/api/v1/requests", base)
    t.ok(st == 201 and r["status"] == "pending" and len(r["document_sha256"]) == 64,
         "law enforcement, in state, with document: pending", r)
    rid = r["id"]
    t.error(cus.call("POST", "/api/v1/requests/%d/fulfil" % rid), 409, "conflict",
            "fulfil before approval: 409")
    t.error(admin.call("POST", "/api/v1/requests/%d/decision" % rid, {"decision": "deny"}), 400,
            "invalid", "deny without reason: 400")
    st, r, _ = admin.call("POST", "/api/v1/requests/%d/decision" % rid,
                          {"decision": "approve", "reason": "472.7 criteria met"})
    t.ok(st == 200 and r["status"] == "approved" and "approval_expires" in r, "approved", r)
    t.error(cus.call("POST", "/api/v1/requests/%d/fulfil" % rid, {"scope": {"plate": "5DEF456"}}),
            403, "forbidden", "scope outside the approval: 403")
    st, ex, _ = cus.call("POST", "/api/v1/requests/%d/fulfil" % rid)
    t.ok(st == 201 and ex["reads"] == 2, "fulfilled: exactly the approved scope", ex)
    t.error(cus.call("POST", "/api/v1/requests/%d/fulfil" % rid), 409, "conflict",
            "fulfilled once only")
    st, rep, _ = s["auditor"].call("GET", "/api/v1/requests/report")
    t.ok(st == 200 and len(rep["agencies"]) == 1 and rep["agencies"][0]["agency"] == "Oakland PD"
         and len(rep["agencies"][0]["releases"]) == 1, "sharing report by agency", rep)
    st, lst, _ = admin.call("GET", "/api/v1/requests")
    t.eq(len(lst["requests"]), 7, "every request stays on file")


def body(t):
    with Server() as srv:
        s = srv.team()
        settings(t, s["admin"])
        h, hq = holds(t, s)
        exports(t, srv, s, h, hq)
        requests(t, s)
        st, rep, _ = s["auditor"].call("GET", "/api/v1/audit/report")
        t.ok(st == 200 and rep.get("holds_overdue") == [], "audit report lists overdue holds (none)",
             rep.get("holds_overdue"))
        p = pk(srv, "purge", "--data", srv.data, "--user", "admin", "--json")
        t.ok(p.returncode == 0 and '"reads_deleted":1' in p.stdout,
             "purge beside the running server: the 400-day-old read goes", p.stdout + p.stderr)
        st, pl, _ = s["auditor"].call("GET", "/api/v1/purges")
        t.ok(st == 200 and pl["purges"][0]["reads_deleted"] == 1 and pl["purges"][0]["run_by"] ==
             "admin" and "9OLD999" not in json.dumps(pl), "purge log over the API, no plates", pl)
        t.error(s["investigator"].call("GET", "/api/v1/purges"), 403, "forbidden",
                "investigators do not read the purge log")
        p = pk(srv, "purge", "--data", srv.data, "--user", "admin", "--history")
        t.ok(p.returncode == 0 and "reads 1" in p.stdout, "purge --history", p.stdout + p.stderr)


def daily_purge(t):
    """serve purges by itself once a day (the tick shortened for the test)."""
    srv = Server(env={"PLATEKEEPER_PURGE_TICK_S": "1"})
    # the reads go in before serve starts, so its first look (one tick in) finds the old one
    path = os.path.join(srv.dir, "reads.jsonl")
    with open(path, "w") as f:
        f.write(json.dumps(read(11, "8OLD001", 400)) + "\n" + json.dumps(read(12, "8NEW001", 3)) + "\n")
    p = pk(srv, "ingest", "--data", srv.data, "--user", "admin", path)
    t.ok(p.returncode == 0, "reads in (one 400 days old)", p.stdout + p.stderr)
    with srv:
        s = srv.team()
        q = "/api/v1/reads?plate=%s&purpose=investigation&case=C-9"
        for _ in range(100):
            st, body, _ = s["investigator"].call("GET", q % "8OLD001")
            if st == 200 and body["total"] == 0:
                break
            time.sleep(0.1)
        t.ok(st == 200 and body["total"] == 0, "the daily purge inside serve removed the old read",
             body)
        st, body, _ = s["investigator"].call("GET", q % "8NEW001")
        t.ok(st == 200 and body["total"] == 1, "the recent read stays", body)


def all_tests(t):
    body(t)
    daily_purge(t)


if __name__ == "__main__":
    Tap().run(all_tests)

"""Accounts, the training gate, purposes, settings, the access log and TLS over HTTP against a
real `platekeeper serve`."""
import http.client
import json
import os
import sqlite3
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkserver import ADMIN_PW, USER_PW, Server, Tap  # noqa: E402

TODAY = time.strftime("%Y-%m-%d", time.gmtime())
SEARCH = "/api/v1/reads?plate=7ABC123&purpose=investigation&case=24-001"


def training_gate(t, srv, admin):
    uid = srv.add_user(admin, "fresh", "investigator", trained=False)
    fresh = srv.login("fresh")
    t.ok(fresh.user["username"] == "fresh", "a user without training can log in")
    t.error(fresh.call("GET", SEARCH), 403, "training_required",
            "untrained: data route answers 403 training_required")
    st, _, _ = fresh.call("GET", "/api/v1/session")
    t.eq(st, 200, "untrained: own session still works")
    # A second administrator without training administers, but sees no read data.
    srv.add_user(admin, "admin2", "admin", trained=False)
    admin2 = srv.login("admin2")
    st, body, _ = admin2.call("GET", "/api/v1/users")
    t.eq(st, 200, "untrained admin: lists accounts")
    st, _, _ = admin2.call("PUT", "/api/v1/settings", {"access.session_idle_minutes": 25})
    t.eq(st, 200, "untrained admin: changes settings")
    t.error(admin2.call("GET", SEARCH), 403, "training_required",
            "untrained admin: no read data")
    st, body, _ = admin.call("POST", "/api/v1/users/%d/training" % uid,
                             {"course": "ALPR <b>basics</b>", "completed_on": TODAY})
    t.ok(st == 201 and body["user"]["training"]["current"] is True,
         "training recorded makes it current", body)
    st, body, _ = fresh.call("GET", SEARCH)
    t.ok(st == 200 and body["reads"] == [] and body["total"] == 0,
         "trained: the search runs", body)
    # Purposes and cases.
    t.error(fresh.call("GET", "/api/v1/reads?plate=7ABC123"), 400, "purpose_required",
            "no purpose: 400 purpose_required")
    t.error(fresh.call("GET", "/api/v1/reads?plate=7ABC123&purpose=curiosity"), 400,
            "purpose_required", "unknown purpose: 400")
    t.error(fresh.call("GET", "/api/v1/reads?plate=7ABC123&purpose=investigation"), 400,
            "case_required", "investigation without a case: 400 case_required")
    st, _, _ = fresh.call("GET", "/api/v1/reads?plate=7ABC123&purpose=missing-person")
    t.eq(st, 200, "a purpose without case requirement runs without a case")
    t.error(fresh.call("GET", SEARCH + "&near=91,0,100"), 400, "invalid",
            "latitude out of range: 400 naming near")
    t.error(fresh.call("GET", SEARCH + "&from=yesterday"), 400, "invalid", "bad from: 400")
    t.error(fresh.call("GET", SEARCH + "&limit=0"), 400, "invalid", "limit 0: 400")
    t.error(fresh.call("GET", SEARCH + "&pattern=7AB*"), 400, "invalid",
            "plate and pattern together: 400")
    t.error(fresh.call("GET", SEARCH + "&sort=ts"), 400, "unknown_parameter",
            "unknown query parameter: 400")
    st, body, _ = fresh.call("GET", "/api/v1/reads?pattern=7%27%3B%20DROP&purpose=audit")
    t.ok(st in (200, 400) and isinstance(body, dict), "SQL text in a pattern: answered cleanly",
         (st, body))
    return fresh


def accounts(t, srv, admin, fresh):
    st, body, _ = admin.call("GET", "/api/v1/users")
    names = [u["username"] for u in body["users"]]
    t.ok("admin" in names and "fresh" in names, "GET /users lists the accounts")
    t.ok(all("pw_hash" not in json.dumps(u) and "password" not in u for u in body["users"]),
         "no password hash in the listing")
    n = len(names)
    bad = [
        ({"username": "weak", "full_name": "W", "job_title": "D", "role": "investigator",
          "password": "short"}, 400, "short password"),
        ({"username": "same_as_name_1", "full_name": "W", "job_title": "D",
          "role": "investigator", "password": "same_as_name_1"}, 400, "password = username"),
        ({"username": "common", "full_name": "W", "job_title": "D", "role": "investigator",
          "password": "password1234"}, 400, "common password"),
        ({"username": "fresh", "full_name": "W", "job_title": "D", "role": "investigator",
          "password": USER_PW + "x"}, 409, "duplicate username"),
        ({"username": "r", "full_name": "W", "job_title": "D", "role": "superuser",
          "password": USER_PW}, 400, "unknown role"),
        ({"username": "r", "full_name": "W", "job_title": "D", "role": "admin",
          "password": USER_PW, "is_admin": True}, 400, "unknown field"),
        ({"username": "r", "full_name": 7, "job_title": "D", "role": "admin",
          "password": USER_PW}, 400, "full_name as a number"),
        ({"username": "r" * 200, "full_name": "W", "job_title": "D", "role": "admin",
          "password": USER_PW}, 400, "overlong username"),
    ]
    for body_, status, what in bad:
        st, b, _ = admin.call("POST", "/api/v1/users", body_)
        t.ok(st == status and isinstance(b, dict) and b.get("error") and b.get("message"),
             "POST /users refuses %s with %d" % (what, status), (st, b))
    st, body, _ = admin.call("GET", "/api/v1/users")
    t.eq(len(body["users"]), n, "refused account requests added no account")

    fid = fresh.user["id"]
    for payload, what in [({"course": "X", "completed_on": "2026-13-45"}, "impossible date"),
                          ({"course": "X", "completed_on": "2999-01-01"}, "future date"),
                          ({"course": "", "completed_on": TODAY}, "empty course"),
                          ({"course": "X"}, "missing date")]:
        st, b, _ = admin.call("POST", "/api/v1/users/%d/training" % fid, payload)
        t.ok(st == 400 and b.get("error"), "training with %s: 400" % what, (st, b))
    t.error(admin.call("POST", "/api/v1/users/99999/training",
                       {"course": "X", "completed_on": TODAY}), 404, "not_found",
            "training for a user that does not exist: 404")
    t.error(admin.call("POST", "/api/v1/users/abc/status", {"status": "active"}), 404,
            "not_found", "non-numeric user id: 404")
    t.error(admin.call("POST", "/api/v1/users/%d/status" % fid, {"status": "retired"}), 400,
            "invalid", "unknown status: 400")
    st, body, _ = admin.call("GET", "/api/v1/users/%d" % fid)
    t.ok(st == 200 and body["user"]["courses"] and
         body["user"]["courses"][0]["course"] == "ALPR <b>basics</b>",
         "GET /users/{id} shows the training record verbatim", body)

    st, body, _ = admin.call("POST", "/api/v1/users/%d/status" % fid, {"status": "suspended"})
    t.ok(st == 200 and body["user"]["status"] == "suspended", "suspend an account", body)
    t.error(fresh.call("GET", "/api/v1/session"), 401, "unauthorized",
            "a suspended account's session is dead")
    st, body, _ = srv.call("POST", "/api/v1/session", {"username": "fresh", "password": USER_PW})
    t.ok(st in (401, 403), "a suspended account cannot log in", (st, body))
    st, body, _ = admin.call("POST", "/api/v1/users/%d/status" % fid, {"status": "active"})
    t.ok(st == 200 and body["user"]["status"] == "active", "reactivate (training current)")
    st, _, _ = admin.call("POST", "/api/v1/users/%d/status" % fid, {"status": "separated"})
    t.eq(st, 200, "separate an account")
    st, body, _ = admin.call("POST", "/api/v1/users/%d/status" % fid, {"status": "active"})
    t.ok(st == 409, "a separated account can never be reactivated", (st, body))
    st, body, _ = srv.call("POST", "/api/v1/session", {"username": "fresh", "password": USER_PW})
    t.ok(st in (401, 403), "a separated account cannot log in", (st, body))

    # Password change by the user; reset by the admin.
    uid = srv.add_user(admin, "changer", "operator")
    ch = srv.login("changer")
    t.error(ch.call("POST", "/api/v1/session/password",
                    {"old_password": "wrong-wrong-wrong", "new_password": "Brand-New-Pw-2026"}),
            403, "forbidden", "password change with a wrong old password: 403")
    t.error(ch.call("POST", "/api/v1/session/password",
                    {"old_password": USER_PW, "new_password": "short"}), 400, "invalid",
            "password change to a weak password: 400")
    st, _, _ = ch.call("POST", "/api/v1/session/password",
                       {"old_password": USER_PW, "new_password": "Brand-New-Pw-2026"})
    t.eq(st, 200, "password change")
    st, _, _ = srv.call("POST", "/api/v1/session", {"username": "changer",
                                                   "password": "Brand-New-Pw-2026"})
    t.eq(st, 200, "the new password logs in")
    st, _, _ = admin.call("POST", "/api/v1/users/%d/password" % uid,
                          {"password": "Reset-By-Admin-2026"})
    t.eq(st, 200, "admin resets a password")
    t.error(ch.call("GET", "/api/v1/session"), 401, "unauthorized",
            "a reset ends the user's sessions")

    # Units.
    st, body, _ = admin.call("POST", "/api/v1/units", {"name": "car-12"})
    t.ok(st == 201 and len(body.get("key", "")) >= 32, "POST /units returns a key once", body)
    st, lst, _ = admin.call("GET", "/api/v1/units")
    t.ok(st == 200 and any(u["name"] == "car-12" for u in lst["units"]) and
         "key" not in json.dumps(lst), "GET /units lists units without keys")
    key = body["key"]
    t.error(srv.call("GET", "/api/v1/users", headers={"Authorization": "Unit " + key}), 403,
            "forbidden", "a unit key cannot list users")
    st, _, _ = admin.call("DELETE", "/api/v1/units/car-12")
    t.eq(st, 200, "DELETE /units/{name} revokes")
    t.error(srv.call("GET", "/api/v1/users", headers={"Authorization": "Unit " + key}), 401,
            "unauthorized", "a revoked unit key is refused")


def settings(t, srv, admin):
    st, body, _ = admin.call("GET", "/api/v1/settings")
    t.ok(st == 200 and "access.session_idle_minutes" in body["settings"],
         "GET /settings lists the settings", body)
    before = body["settings"]
    for payload, code, what in [
            ({"access.session_idle_minutes": 10, "no.such.setting": 1}, "unknown_field",
             "an unknown key next to a good one"),
            ({"access.lockout_failures": True}, "wrong_type", "a boolean"),
            ({"access.session_idle_minutes": -5}, "invalid", "a negative idle timeout"),
            ({"audit.log_retention_days": 30}, "invalid", "log retention below a year"),
            ({}, "missing_field", "an empty object")]:
        st, b, _ = admin.call("PUT", "/api/v1/settings", payload)
        t.ok(st == 400 and b.get("error") == code, "PUT /settings refuses %s" % what, (st, b))
    st, body, _ = admin.call("GET", "/api/v1/settings")
    t.eq(body["settings"], before, "refused settings changed nothing")
    purposes = [{"code": "investigation", "label": "Criminal <script>x</script> investigation",
                 "needs_case": True}, {"code": "audit", "label": "Audit & review",
                                       "needs_case": False}]
    st, b, _ = admin.call("PUT", "/api/v1/settings", {"access.purposes": purposes})
    t.eq(st, 200, "purposes are a setting", )
    st, html, _ = srv.call("GET", "/policy")
    t.ok("&lt;script&gt;" in html and "<script>" not in html and "Audit &amp; review" in html,
         "the policy page lists the configured purposes, HTML-escaped")
    with open(os.path.join(srv.data, "policy.html"), "w") as f:
        f.write("<html><body><h1>Our own policy</h1></body></html>")
    st, html, _ = srv.call("GET", "/policy")
    t.ok("Our own policy" in html, "DIR/policy.html replaces the built-in policy")


def audit(t, srv, admin):
    auditor_id = srv.add_user(admin, "aud", "auditor")
    aud = srv.login("aud")
    st, body, _ = aud.call("GET", "/api/v1/audit/log?action=search&limit=5")
    t.ok(st == 200 and body["entries"] and all(e["action"] == "search" for e in body["entries"]),
         "GET /audit/log filters by action", body)
    st, body, _ = aud.call("GET", "/api/v1/audit/log?outcome=refused&limit=50")
    t.ok(st == 200 and body["entries"], "refused attempts are in the log")
    st, body, _ = aud.call("GET", "/api/v1/audit/log?action=login.failed")
    t.ok(st == 200 and body["entries"], "failed logins are in the log")
    t.error(aud.call("GET", "/api/v1/audit/log?limit=5000"), 400, "invalid", "limit too big: 400")
    st, body, _ = aud.call("GET", "/api/v1/audit/report")
    t.ok(st == 200 and isinstance(body, dict), "GET /audit/report", body)
    st, body, _ = aud.call("GET", "/api/v1/audit/sample?n=3&seed=7")
    t.ok(st == 200 and isinstance(body.get("sample"), list), "GET /audit/sample", body)
    if body.get("sample"):
        eid = body["sample"][0]["id"]
        st, b, _ = aud.call("POST", "/api/v1/audit/reviews",
                            {"entry_id": eid, "finding": "proper", "approved_by": "admin"})
        t.eq(st, 201, "POST /audit/reviews records a review")
        t.error(aud.call("POST", "/api/v1/audit/reviews",
                         {"entry_id": eid, "finding": "x", "approved_by": "aud"}), 400, "invalid",
                "a reviewer cannot approve their own review")
    st, body, _ = aud.call("GET", "/api/v1/audit/verify")
    t.ok(st == 200 and body["intact"] is True and body["first_bad"] is None,
         "GET /audit/verify: intact", body)
    # Tamper with one row behind the product's back.
    db = sqlite3.connect(os.path.join(srv.data, "platekeeper.db"), timeout=10)
    db.execute("DROP TRIGGER IF EXISTS access_log_no_update")
    db.execute("UPDATE access_log SET result_count = 99 WHERE id = 3")
    db.commit()
    db.close()
    st, body, _ = aud.call("GET", "/api/v1/audit/verify")
    t.ok(st == 200 and body["intact"] is False and body["first_bad"] == 3,
         "GET /audit/verify names the edited entry", body)
    del auditor_id


def tls(t):
    d = Server(init=True)
    cert, key = os.path.join(d.dir, "cert.pem"), os.path.join(d.dir, "key.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        t.ok(False, "openssl makes a test certificate", p.stderr)
        return
    d.extra_args = ["--tls-cert", cert, "--tls-key", key]
    d.start()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = http.client.HTTPSConnection("127.0.0.1", d.port, context=ctx, timeout=30)
    c.request("POST", "/api/v1/session", body=json.dumps({"username": "admin",
                                                          "password": ADMIN_PW}),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    sc = r.getheader("Set-Cookie") or ""
    t.ok(r.status == 200, "TLS: login over HTTPS")
    t.ok("Secure" in sc and "HttpOnly" in sc, "TLS: the session cookie is Secure", sc)
    t.ok((r.getheader("Strict-Transport-Security") or "").startswith("max-age"),
         "TLS: HSTS header")
    c.close()
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=5)
    try:
        c.request("GET", "/health")
        plain_ok = c.getresponse().status == 200
    except Exception:  # noqa: BLE001 - any failure means plain HTTP was not served
        plain_ok = False
    t.ok(not plain_ok, "TLS: plain HTTP is not answered on the TLS port")
    rc, err = d.stop()
    t.eq(rc, 0, "TLS: graceful stop")
    d.__exit__(None, None, None)
    p = subprocess.run([os.environ.get("PK_BIN", "build/platekeeper"), "serve", "--data", d.data,
                        "--listen", "127.0.0.1:0", "--tls-cert", cert], capture_output=True,
                       text=True)
    t.eq(p.returncode, 2, "--tls-cert without --tls-key: usage error")


def main(t):
    with Server() as srv:
        admin = srv.login("admin")
        fresh = training_gate(t, srv, admin)
        accounts(t, srv, admin, fresh)
        settings(t, srv, admin)
        audit(t, srv, admin)
    tls(t)


if __name__ == "__main__":
    Tap().run(main)

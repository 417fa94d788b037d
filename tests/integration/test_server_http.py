"""The HTTP server against a real `platekeeper serve`: public routes, errors for bad input,
authentication (bearer, cookie + CSRF, unit keys), sessions, live stream, graceful shutdown."""
import http.client
import json
import os
import signal
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkserver import ADMIN_PW, Server, Tap  # noqa: E402

NASTY = "x'); DROP TABLE users; -- <script>alert(1)</script> \" & \\ %s"


def user_count(admin):
    st, body, _ = admin.call("GET", "/api/v1/users")
    return len(body["users"]) if st == 200 else -1


def public_routes(t, srv):
    st, body, h = srv.call("GET", "/health")
    t.ok(st == 200 and body == {"status": "ok"}, "GET /health answers ok")
    st, body, _ = srv.call("GET", "/api/v1/health")
    t.eq(st, 200, "GET /api/v1/health answers 200")
    st, body, _ = srv.call("GET", "/version")
    t.ok(st == 200 and body.get("name") == "platekeeper" and body.get("version"),
         "GET /version names the product and version")
    st, body, h = srv.call("HEAD", "/health")
    t.ok(st == 200 and body == "", "HEAD /health: 200 without a body")
    t.eq(h.get("x-content-type-options"), "nosniff", "answers carry X-Content-Type-Options")
    st, html, h = srv.call("GET", "/policy")
    t.ok(st == 200 and h.get("content-type", "").startswith("text/html"), "GET /policy is HTML")
    for element in ["Authorized purposes", "training", "Monitoring", "Sharing", "Custodian",
                    "Accuracy", "Retention and destruction", "1798.90.51"]:
        t.ok(element in html, "default policy covers: " + element)
    st, body, _ = srv.call("GET", "/api/v1/transparency")
    t.ok(st == 200 and isinstance(body, dict) and "month" in body,
         "GET /api/v1/transparency answers aggregate counts without login")
    t.ok(all(isinstance(v, (int, str, type(None))) for v in body.values()),
         "transparency holds only counts and the period", body)
    t.error(srv.call("GET", "/api/v1/no-such-route"), 404, "not_found", "unknown route: 404")
    t.error(srv.call("GET", "/../../etc/passwd"), 404, "not_found", "path traversal: 404")
    t.error(srv.call("POST", "/health", {}), 405, "method_not_allowed", "wrong method: 405")
    t.error(srv.call("PATCH", "/api/v1/users", {}), 405, "method_not_allowed",
            "unknown method on a known path: 405")


def login_input(t, srv):
    L = "/api/v1/session"
    t.error(srv.call("POST", L, {"username": "admin", "password": "wrong password here"}), 401,
            "unauthorized", "wrong password: 401")
    t.error(srv.call("POST", L, {"username": "nobody", "password": "whatever whatever"}), 401,
            "unauthorized", "unknown user: 401")
    t.error(srv.call("POST", L, {"username": NASTY, "password": NASTY}), 401, "unauthorized",
            "SQL and HTML in the login fields: 401, nothing else")
    t.error(srv.call("POST", L, {"username": "admin"}), 400, "missing_field",
            "missing password: 400 missing_field")
    t.error(srv.call("POST", L, {"username": "admin", "password": 12}), 400, "wrong_type",
            "password as a number: 400 wrong_type")
    t.error(srv.call("POST", L, {"username": ["admin"], "password": "x"}), 400, "wrong_type",
            "username as an array: 400 wrong_type")
    t.error(srv.call("POST", L, {"username": "admin", "password": ADMIN_PW, "role": "admin"}),
            400, "unknown_field", "unknown field: 400 unknown_field")
    t.error(srv.call("POST", L, raw='{"username": "admin", "password": '), 400, "invalid_json",
            "truncated JSON: 400 invalid_json")
    t.error(srv.call("POST", L, raw="{'username': 'admin'}"), 400, "invalid_json",
            "single-quoted pseudo-JSON: 400 invalid_json")
    t.error(srv.call("POST", L, raw='{"username":"a","username":"admin","password":"x"}'), 400,
            "invalid_json", "duplicate keys: 400 invalid_json")
    t.error(srv.call("POST", L, raw='{"username":"ad\\u0000min","password":"x"}'), 400,
            "invalid_json", "NUL inside a string: 400 invalid_json")
    t.error(srv.call("POST", L, raw=b'{"username":"\xff\xfe","password":"x"}'), 400,
            "invalid_json", "invalid UTF-8: 400 invalid_json")
    t.error(srv.call("POST", L, raw="[" * 5000 + "]" * 5000), 400, "too_deep",
            "5000-deep arrays: 400 too_deep")
    t.error(srv.call("POST", L, raw='{"a":' * 40 + "1" + "}" * 40), 400, "too_deep",
            "40-deep objects: 400 too_deep")
    t.error(srv.call("POST", L, raw="[1, 2]"), 400, "invalid_json", "an array body: 400")
    t.error(srv.call("POST", L, raw=""), 400, "invalid_json", "an empty body: 400")
    t.error(srv.call("POST", L, raw="username=admin", ctype="application/x-www-form-urlencoded"),
            415, "unsupported_media_type", "a form body: 415")
    big = '{"username": "admin", "password": "' + "a" * (2 << 20) + '"}'
    t.error(srv.call("POST", L, raw=big), 413, "too_large", "a 2 MiB body: 413 too_large")
    # The same without Content-Length (chunked): caught while reading.
    c = srv.conn()
    c.putrequest("POST", L)
    c.putheader("Content-Type", "application/json")
    c.putheader("Transfer-Encoding", "chunked")
    c.endheaders()
    chunk = b"a" * 65536
    try:
        for _ in range(40):
            c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        c.send(b"0\r\n\r\n")
        r = c.getresponse()
        st, body = r.status, json.loads(r.read() or b"{}")
    except (BrokenPipeError, ConnectionResetError):
        st, body = 413, {"error": "too_large", "message": "closed early"}
    c.close()
    t.ok(st == 413 and body.get("error") == "too_large", "a chunked 2.5 MiB body: 413", body)


def tokens(t, srv, admin):
    S = "/api/v1/session"
    t.error(srv.call("GET", S), 401, "unauthorized", "no credentials: 401")
    t.error(srv.call("GET", S, headers={"Authorization": "Bearer " + "0" * 64}), 401,
            "unauthorized", "made-up bearer token: 401")
    t.error(srv.call("GET", S, headers={"Authorization": "Bearer " + "A" * 5000}), 401,
            "unauthorized", "overlong bearer token: 401")
    t.error(srv.call("GET", S, headers={"Authorization": "Bearer ' OR 1=1 --"}), 401,
            "unauthorized", "SQL in a bearer token: 401")
    t.error(srv.call("GET", S, headers={"Authorization": "Basic YWRtaW46eA=="}), 401,
            "unauthorized", "Basic auth: 401")
    t.error(srv.call("GET", S, headers={"Authorization": "Unit not-a-key"}), 401,
            "unauthorized", "unknown unit key: 401")
    t.error(srv.call("GET", S, headers={"Cookie": "pk_session=" + "f" * 64}), 401,
            "unauthorized", "made-up session cookie: 401")
    st, body, _ = admin.call("GET", S)
    t.ok(st == 200 and body["user"]["username"] == "admin" and body["user"]["role"] == "admin",
         "GET /session names the caller")
    t.ok("password" not in json.dumps(body) and "hash" not in json.dumps(body),
         "no secret in the user object")

    # Logout ends the token.
    s2 = srv.login("admin")
    st, _, _ = s2.call("DELETE", S)
    t.eq(st, 200, "DELETE /session logs out")
    t.error(s2.call("GET", S), 401, "unauthorized", "the token is dead after logout")

    # Expired session: push the session's times into the past directly in SQLite.
    s3 = srv.login("admin")
    db = sqlite3.connect(os.path.join(srv.data, "platekeeper.db"), timeout=10)
    db.execute("UPDATE sessions SET expires_at = 1, last_seen = 1 WHERE ended_at IS NULL AND "
               "id = (SELECT MAX(id) FROM sessions)")
    db.commit()
    db.close()
    t.error(s3.call("GET", S), 401, "unauthorized", "an expired session: 401")


def cookies(t, srv, admin):
    st, body, h = srv.call("POST", "/api/v1/session", {"username": "admin", "password": ADMIN_PW})
    sc = h.get("set-cookie", "")
    t.ok("pk_session=" in sc and "HttpOnly" in sc and "SameSite=Strict" in sc,
         "login sets an HttpOnly SameSite=Strict session cookie", sc)
    t.ok("Secure" not in sc, "no Secure flag on plain HTTP (it is set under TLS)")
    token, csrf = body["token"], body["csrf"]
    ck = {"Cookie": "pk_session=" + token}
    st, body, _ = srv.call("GET", "/api/v1/session", headers=ck)
    t.eq(st, 200, "the cookie authenticates a GET without CSRF token")
    before = user_count(admin)
    newu = {"username": "cookie_user", "full_name": "C U", "job_title": "Analyst",
            "role": "investigator", "password": "Cookie-User-Pw-2026"}
    t.error(srv.call("POST", "/api/v1/users", newu, headers=ck), 403, "csrf_required",
            "cookie POST without X-CSRF-Token: 403 csrf_required")
    t.error(srv.call("POST", "/api/v1/users", newu,
                     headers=dict(ck, **{"X-CSRF-Token": "0" * 64})), 403, "csrf_required",
            "cookie POST with a wrong CSRF token: 403")
    t.error(srv.call("POST", "/api/v1/users", newu,
                     headers=dict(ck, **{"X-CSRF-Token": admin.csrf})), 403, "csrf_required",
            "cookie POST with another session's CSRF token: 403")
    t.error(srv.call("DELETE", "/api/v1/session", headers=ck), 403, "csrf_required",
            "cookie logout without CSRF token: 403")
    t.eq(user_count(admin), before, "refused cookie posts changed nothing")
    st, body, _ = srv.call("POST", "/api/v1/users", newu, headers=dict(ck, **{"X-CSRF-Token": csrf}))
    t.eq(st, 201, "cookie POST with its CSRF token works")
    t.eq(user_count(admin), before + 1, "and created the user")


def nasty_strings(t, srv, admin):
    before = user_count(admin)
    fields = ["username", "full_name", "job_title", "agency", "role", "password"]
    for f in fields:
        u = {"username": "nasty_" + f, "full_name": "N", "job_title": "Detective",
             "agency": "Sacramento PD", "role": "investigator", "password": "Nasty-User-Pw-2026!"}
        u[f] = NASTY % f
        st, body, _ = admin.call("POST", "/api/v1/users", u)
        if st == 201:
            got = body["user"].get(f) if f != "password" else None
            t.ok(f == "password" or got == u[f],
                 "SQL/HTML in %s: stored and returned verbatim as JSON text" % f, body)
        else:
            t.ok(st == 400 and isinstance(body, dict) and body.get("error") and
                 f in body.get("message", "") or st == 400,
                 "SQL/HTML in %s: a clear 400" % f, (st, body))
    st, body, _ = admin.call("GET", "/api/v1/users")
    t.ok(st == 200 and isinstance(body.get("users"), list), "users table intact after SQL text")
    created = [u for u in body["users"] if u["username"].startswith("nasty_")]
    t.ok(user_count(admin) == before + len(created), "only the accepted users were added")


def stream_and_shutdown(t, srv, admin):
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    c.request("GET", "/api/v1/events", headers={"Authorization": "Bearer " + admin.token})
    r = c.getresponse()
    t.ok(r.status == 200 and r.getheader("Content-Type") == "text/event-stream",
         "GET /api/v1/events opens an event stream")
    first = r.readline()
    t.ok(first.startswith(b":"), "the stream opens with a comment", first)
    u = {"username": "streamed", "full_name": "S", "job_title": "Detective",
         "role": "operator", "password": "Streamed-User-Pw-2026"}
    st, _, _ = admin.call("POST", "/api/v1/users", u)
    lines = []
    deadline = time.time() + 5
    while time.time() < deadline:
        line = r.readline()
        if not line:
            break
        lines.append(line.decode())
        if line.startswith(b"data:"):
            break
    t.ok(any(ln.startswith("event: system") for ln in lines) and
         any("user" in ln for ln in lines if ln.startswith("data:")),
         "a published event reaches the stream", lines)
    t.error(srv.call("GET", "/api/v1/events"), 401, "unauthorized", "the stream needs a login")

    # Graceful stop while the stream is open: the stream ends, the process exits 0 and the
    # database is checkpointed (the WAL is empty), nothing acknowledged is lost.
    t0 = time.time()
    rc, err = srv.stop(signal.SIGTERM)
    t.ok(rc == 0, "SIGTERM: serve exits 0", err)
    t.ok(time.time() - t0 < 15, "SIGTERM with an open stream stops promptly")
    t.ok("checkpointed" in err, "shutdown says the database was checkpointed", err)
    try:
        rest = r.read()
        ended = isinstance(rest, bytes)
    except http.client.IncompleteRead:
        ended = False
    t.ok(ended, "the open stream was ended cleanly (final chunk received)")
    c.close()
    wal = os.path.join(srv.data, "platekeeper.db-wal")
    t.ok(not os.path.exists(wal) or os.path.getsize(wal) == 0, "WAL empty after shutdown")
    srv.start()
    admin2 = srv.login("admin")
    st, body, _ = admin2.call("GET", "/api/v1/users")
    t.ok(any(x["username"] == "streamed" for x in body.get("users", [])),
         "a user created before the restart is still there")
    rc, err = srv.stop(signal.SIGINT)
    t.ok(rc == 0, "SIGINT: serve exits 0", err)


def main(t):
    with Server() as srv:
        public_routes(t, srv)
        login_input(t, srv)
        admin = srv.login("admin")
        tokens(t, srv, admin)
        cookies(t, srv, admin)
        nasty_strings(t, srv, admin)
        stream_and_shutdown(t, srv, admin)
    # serve refuses a data directory that does not exist, with a clear message.
    s = Server(init=False)
    p = s.run_cmd("serve", "--data", s.data, "--listen", "127.0.0.1:0", check=False)
    t.ok(p.returncode == 1 and "platekeeper init" in p.stderr,
         "serve without a data directory: exit 1 and a hint", p.stderr)
    p = s.run_cmd("serve", "--data", s.data, "--listen", "nonsense", check=False)
    t.ok(p.returncode in (1, 2) and "listen" in p.stderr, "bad --listen: a clear error", p.stderr)


if __name__ == "__main__":
    Tap().run(main)

"""The role walk: every route the server declares (`serve --print-routes`) called by every role,
by a unit key and without credentials: allowed where the route's table says so, 403 (or 401
without credentials) everywhere else. Also checks the declared roles of the routes DESIGN.md §6
names, so a wrong declaration fails here and not in production."""
import http.client
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkserver import ADMIN_PW, PK_BIN, ROLES, Server, Tap  # noqa: E402

# Who DESIGN.md §6 and issue 3 say may call each route (routes not listed here are still
# walked, against their own declaration).
EXPECTED = {
    ("GET", "/health"): {"public"},
    ("GET", "/version"): {"public"},
    ("GET", "/policy"): {"public"},
    ("GET", "/api/v1/transparency"): {"public"},
    ("POST", "/api/v1/session"): {"public"},
    ("DELETE", "/api/v1/session"): set(ROLES),
    ("POST", "/api/v1/session/password"): set(ROLES),
    ("GET", "/api/v1/users"): {"admin"},
    ("POST", "/api/v1/users"): {"admin"},
    ("POST", "/api/v1/users/{id}/training"): {"admin"},
    ("POST", "/api/v1/users/{id}/status"): {"admin"},
    ("GET", "/api/v1/units"): {"admin"},
    ("POST", "/api/v1/units"): {"admin"},
    ("GET", "/api/v1/reads"): {"investigator", "admin"},
    ("POST", "/api/v1/recognize"): {"admin", "investigator", "operator"},
    ("POST", "/api/v1/reads"): {"admin", "unit"},
    ("GET", "/api/v1/reads/{id}"): {"investigator", "admin", "operator"},
    ("GET", "/api/v1/reads/{id}/image"): {"investigator", "admin", "operator"},
    ("GET", "/api/v1/audit/log"): {"auditor", "admin"},
    ("GET", "/api/v1/audit/verify"): {"auditor", "admin"},
    ("GET", "/api/v1/audit/report"): {"auditor", "admin"},
    ("GET", "/api/v1/settings"): {"admin"},
    ("PUT", "/api/v1/settings"): {"admin"},
}


def status_only(srv, method, path, headers):
    """Status and (for JSON answers) the body, without waiting on event streams."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    body = None
    if method in ("POST", "PUT"):
        body = b"{}"
        headers = dict(headers, **{"Content-Type": "application/json"})
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    parsed = None
    if (r.getheader("Content-Type") or "").startswith("application/json"):
        try:
            parsed = json.loads(r.read())
        except ValueError:
            parsed = None
    c.close()
    return r.status, parsed


def refused_by_role(st, body):
    return st == 403 and isinstance(body, dict) and body.get("error") == "forbidden" and (
        "may not call" in body.get("message", "") or "unit keys" in body.get("message", ""))


def main(t):
    p = subprocess.run([PK_BIN, "serve", "--print-routes"], capture_output=True, text=True)
    t.eq(p.returncode, 0, "serve --print-routes exits 0")
    routes = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    t.ok(len(routes) >= 10, "the route table lists the routes (%d)" % len(routes))
    declared = {(r["method"], r["path"]): set(r["roles"]) for r in routes}
    for key, want in sorted(EXPECTED.items()):
        if key in declared:
            t.eq(declared[key], want, "%s %s is declared for %s" % (key[0], key[1],
                                                                   ",".join(sorted(want))))
    for r in routes:
        t.ok(r["roles"], "%s %s declares who may call it" % (r["method"], r["path"]))

    with Server() as srv:
        sessions = srv.team()
        st, body, _ = sessions["admin"].call("POST", "/api/v1/units", {"name": "walk-car"})
        unit_key = body.get("key") if st == 201 else None
        t.ok(unit_key, "a unit key for the walk", (st, body))
        for r in routes:
            method, path, allowed = r["method"], r["path"], set(r["roles"])
            concrete = path
            while "{" in concrete:
                a = concrete.index("{")
                b = concrete.index("}", a)
                concrete = concrete[:a] + "1" + concrete[b + 1:]
            label = "%s %s" % (method, path)
            if "public" in allowed:
                st, body = status_only(srv, method, concrete, {})
                t.ok(st not in (401, 403), label + ": public, answered without login", (st, body))
                continue
            st, body = status_only(srv, method, concrete, {})
            t.ok(st == 401, label + ": 401 without credentials", (st, body))
            for role in ROLES:
                s = sessions[role]
                if method == "DELETE" and path == "/api/v1/session":
                    s = srv.login(s.user["username"],
                                  ADMIN_PW if role == "admin" else None)  # keep the walk's session
                st, body = status_only(srv, method, concrete, {"Authorization": "Bearer " + s.token})
                if role in allowed:
                    t.ok(not refused_by_role(st, body) and st != 401,
                         "%s: %s allowed" % (label, role), (st, body))
                else:
                    t.ok(refused_by_role(st, body), "%s: %s refused with 403" % (label, role),
                         (st, body))
            if unit_key:
                st, body = status_only(srv, method, concrete, {"Authorization": "Unit " + unit_key})
                if "unit" in allowed:
                    t.ok(not refused_by_role(st, body) and st != 401, label + ": unit allowed",
                         (st, body))
                else:
                    t.ok(refused_by_role(st, body), label + ": unit key refused with 403",
                         (st, body))


if __name__ == "__main__":
    Tap().run(main)

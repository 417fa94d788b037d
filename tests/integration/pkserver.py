"""Integration harness: a real `platekeeper serve` on 127.0.0.1, plain HTTP, TAP output.

    from pkserver import Server, Tap
    tap = Tap()
    with Server() as srv:                      # init + serve in a fresh temp data dir
        st, body, hdrs = srv.call("GET", "/health")
        tap.ok(st == 200, "health answers 200")
        admin = srv.login("admin")             # Session: .token, .csrf, .call(...)
    tap.done()

Server() runs `platekeeper init --data DIR --admin admin` (password ADMIN_PW) and then
`platekeeper serve --data DIR --listen 127.0.0.1:0`; the port comes from the URL serve prints,
so parallel runs never collide. Stdlib only (TEAM.md). PK_BIN names the binary.
"""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

PK_BIN = os.environ.get("PK_BIN") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "platekeeper")
ADMIN_PW = "Integration-Admin-Pw-2026"
USER_PW = "Integration-User-Pw-2026"
ROLES = ["admin", "investigator", "operator", "auditor", "custodian"]


class Tap:
    """Prints `ok N - name` / `not ok N - name` lines and a plan at the end."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=None):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, name))
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, name))
            if detail is not None:
                for line in str(detail).splitlines()[:20]:
                    print("#   " + line)
        sys.stdout.flush()
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, "got %r, want %r" % (got, want))

    def error(self, resp, status, code, name):
        """resp is (status, body, headers): checks a clear JSON error of that status and code."""
        st, body, _ = resp
        good = (st == status and isinstance(body, dict) and body.get("error") == code
                and isinstance(body.get("message"), str) and body["message"] != "")
        return self.ok(good, name, "got %r %r, want %r %r" % (st, body, status, code))

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)

    def run(self, fn):
        """Runs fn(tap); an exception becomes one failed test instead of a lost run."""
        try:
            fn(self)
        except Exception:  # noqa: BLE001 - report, do not hide
            self.ok(False, "test script raised", traceback.format_exc())
        self.done()


class Session:
    def __init__(self, srv, token, csrf, user):
        self.srv, self.token, self.csrf, self.user = srv, token, csrf, user

    def call(self, method, path, body=None, **kw):
        hdrs = dict(kw.pop("headers", {}) or {})
        hdrs.setdefault("Authorization", "Bearer " + self.token)
        return self.srv.call(method, path, body, headers=hdrs, **kw)

    def cookie_call(self, method, path, body=None, csrf=True, **kw):
        hdrs = dict(kw.pop("headers", {}) or {})
        hdrs["Cookie"] = "pk_session=" + self.token
        if csrf:
            hdrs["X-CSRF-Token"] = self.csrf
        return self.srv.call(method, path, body, headers=hdrs, **kw)


class Server:
    def __init__(self, init=True, extra_args=(), env=None):
        self.dir = tempfile.mkdtemp(prefix="pk-it-")
        self.data = os.path.join(self.dir, "data")
        self.env = dict(os.environ)
        self.env["PLATEKEEPER_TEST_FAST_PWHASH"] = "1"
        self.env.update(env or {})
        self.proc = None
        self.host = "127.0.0.1"
        self.port = None
        self.extra_args = list(extra_args)
        if init:
            self.init()

    # --- life cycle ---
    def run_cmd(self, *args, password=None, check=True):
        env = dict(self.env)
        if password is not None:
            env["PLATEKEEPER_PASSWORD"] = password
        p = subprocess.run([PK_BIN] + list(args), env=env, capture_output=True, text=True,
                           timeout=120)
        if check and p.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
        return p

    def init(self):
        self.run_cmd("init", "--data", self.data, "--admin", "admin", password=ADMIN_PW)

    def start(self):
        self.proc = subprocess.Popen(
            [PK_BIN, "serve", "--data", self.data, "--listen", "127.0.0.1:0"] + self.extra_args,
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "serving http" not in line:
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            raise RuntimeError("serve did not start: %r %s" % (line, err))
        url = line.split("serving ")[1].split()[0]
        self.port = int(url.rsplit(":", 1)[1])
        return self

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the server with sig; returns (exit code, stderr)."""
        if not self.proc:
            return None, ""
        self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        rc = self.proc.returncode
        self.proc = None
        return rc, err

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- HTTP ---
    def conn(self, timeout=30):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def call(self, method, path, body=None, headers=None, raw=None, ctype="application/json"):
        """One request on a fresh connection. body: a value sent as JSON; raw: bytes as they
        are. Returns (status, parsed JSON or text, headers dict with lower-case names)."""
        hdrs = dict(headers or {})
        data = None
        if raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode()
        elif body is not None:
            data = json.dumps(body).encode()
        if data is not None and ctype:
            hdrs.setdefault("Content-Type", ctype)
        c = self.conn()
        try:
            c.request(method, path, body=data, headers=hdrs)
            r = c.getresponse()
            payload = r.read()
            rh = {k.lower(): v for k, v in r.getheaders()}
        finally:
            c.close()
        text = payload.decode("utf-8", "replace")
        if rh.get("content-type", "").startswith("application/json"):
            try:
                return r.status, json.loads(text), rh
            except ValueError:
                pass
        return r.status, text, rh

    # --- accounts ---
    def login(self, username, password=None):
        st, body, _ = self.call("POST", "/api/v1/session",
                                {"username": username, "password": password or
                                 (ADMIN_PW if username == "admin" else USER_PW)})
        if st != 200:
            raise RuntimeError("login %s: %s %r" % (username, st, body))
        return Session(self, body["token"], body["csrf"], body["user"])

    def add_user(self, admin, username, role, trained=True, **fields):
        u = {"username": username, "full_name": fields.get("full_name", username.title()),
             "job_title": fields.get("job_title", "Detective"), "role": role,
             "password": fields.get("password", USER_PW)}
        st, body, _ = admin.call("POST", "/api/v1/users", u)
        if st != 201:
            raise RuntimeError("add user %s: %s %r" % (username, st, body))
        uid = body["user"]["id"]
        if trained:
            st, body, _ = admin.call("POST", "/api/v1/users/%d/training" % uid,
                                     {"course": "ALPR basics",
                                      "completed_on": time.strftime("%Y-%m-%d", time.gmtime())})
            if st not in (200, 201):
                raise RuntimeError("train %s: %s %r" % (username, st, body))
        return uid

    def team(self):
        """Logs in the admin, adds and trains one user per other role; returns role -> Session."""
        admin = self.login("admin")
        admin_id = admin.user["id"]
        st, body, _ = admin.call("POST", "/api/v1/users/%d/training" % admin_id,
                                 {"course": "ALPR basics",
                                  "completed_on": time.strftime("%Y-%m-%d", time.gmtime())})
        if st not in (200, 201):
            raise RuntimeError("train admin: %s %r" % (st, body))
        sessions = {"admin": admin}
        for role in ROLES[1:]:
            self.add_user(admin, "u_" + role, role)
            sessions[role] = self.login("u_" + role)
        return sessions

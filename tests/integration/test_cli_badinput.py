"""Bad input on every CLI command: missing option values, garbage and out-of-range numbers,
unknown options and subcommands, very long arguments. Each must end with exit 2 (usage) or 1
(refused) and a clear reason on stderr (the last line names the problem; a refusal is one
line), never a crash (signal), a hang or exit 0, and change nothing (the access log and the
reads keep their counts, so nothing half-done stays behind).
"""
import os
import sqlite3
import subprocess
import tempfile

from pkserver import PK_BIN, ADMIN_PW, Tap

LONG = "A" * 100000
NUMS = ["abc", "-5", "1e99", "99999999999999999999999", "", "0x10", "12abc", "7 "]

# command words -> the options that take numbers, and extra arguments it needs to get that far
NUMERIC = {
    ("alerts",): ["--limit", "--verify", "--ack", "--hotlist"],
    ("audit", "log"): ["--limit"],
    ("audit", "sample"): ["--count", "--seed"],
    ("demo",): ["--reads", "--seed", "--images-every"],
    ("export",): ["--hold"],
    ("hold", "open"): ["--review-days", "--read"],
    ("hold", "list"): [],
    ("hotlist", "create"): ["--priority", "--expiry-days", "--retention-days"],
    ("hotlist", "list"): ["--limit", "--lookback-days"],
    ("ingest",): ["--batch"],
    ("purge",): [],
    ("read",): ["--every", "--max-pixels", "--threshold", "--det-size", "--min-confidence",
                "-n", "--threads"],
    ("retention",): ["--days"],
    ("search",): ["--limit"],
    ("serve",): ["--threads"],
}
COMMANDS = ["alerts", "audit", "demo", "export", "hold", "hotlist", "ingest", "init", "purge",
            "read", "request", "retention", "search", "serve", "unit", "user", "version"]
SUBS = {"audit": ["verify", "log", "report", "sample", "review"],
        "hold": ["open", "approve", "release", "list"],
        "hotlist": ["create", "import", "add", "list", "remove", "expire", "set", "owner"],
        "request": ["add", "list", "decide", "fulfil", "show", "report"],
        "unit": ["add", "revoke", "list"],
        "user": ["add", "list", "train", "suspend", "separate", "reactivate",
                 "reset-password"],
        "export": ["verify"]}


def cases(data):
    """(name, argv) pairs: every one is bad."""
    out = []
    for c in COMMANDS:
        out.append(("%s --no-such-option" % c, [c, "--no-such-option"]))
        out.append(("%s with a long unknown argument" % c, [c, "--" + LONG[:5000]]))
    for c, subs in SUBS.items():
        out.append(("%s with an unknown subcommand" % c, [c, "frobnicate", "--data", data]))
        out.append(("%s with a very long subcommand" % c, [c, LONG, "--data", data]))
        for s in subs:
            out.append(("%s %s --no-such-option" % (c, s), [c, s, "--no-such-option",
                                                            "--data", data]))
    for words, opts in NUMERIC.items():
        base = list(words) + ["--data", data]
        if words[0] not in ("read", "serve", "demo"):
            base += ["--user", "admin"]
        for o in opts:
            out.append(("%s %s (missing value)" % (" ".join(words), o), base + [o]))
            for v in NUMS:
                out.append(("%s %s %r" % (" ".join(words), o, v), base + [o, v]))
    # missing values and very long values on the common options
    for c in ("search", "alerts", "hold", "purge", "ingest", "user", "audit"):
        out.append(("%s --data (missing value)" % c, [c, "--data"]))
        out.append(("%s --user (missing value)" % c, [c, "--data", data, "--user"]))
        out.append(("%s with a very long --user" % c, [c, "--data", data, "--user", LONG]))
    out.append(("search with a very long plate",
                ["search", "--data", data, "--user", "admin", "--purpose", "investigation",
                 "--case", "C-1", "--plate", LONG]))
    out.append(("search with a very long pattern",
                ["search", "--data", data, "--user", "admin", "--purpose", "investigation",
                 "--case", "C-1", "--pattern", "*" * 5000]))
    out.append(("search with a very long purpose",
                ["search", "--data", data, "--user", "admin", "--purpose", LONG, "--case", "x",
                 "--plate", "7ABC123"]))
    out.append(("search with a very long case",
                ["search", "--data", data, "--user", "admin", "--purpose", "investigation",
                 "--case", LONG, "--plate", "7ABC123"]))
    for v in ("abc", "91,0,10", "1,2", "1,2,3,4", "nan,nan,nan", "1e99,1e99,1e99", "0,0,-5"):
        out.append(("search --near %r" % v,
                    ["search", "--data", data, "--user", "admin", "--purpose", "investigation",
                     "--case", "C-1", "--near", v]))
    for v in ("yesterday", "2026-13-45", LONG[:3000], "-1"):
        out.append(("search --from %r" % v[:20],
                    ["search", "--data", data, "--user", "admin", "--purpose", "investigation",
                     "--case", "C-1", "--plate", "7ABC123", "--from", v]))
    out.append(("search --cursor garbage",
                ["search", "--data", data, "--user", "admin", "--purpose", "investigation",
                 "--case", "C-1", "--plate", "7ABC123", "--cursor", "!!garbage!!"]))
    out.append(("user train --completed garbage",
                ["user", "train", "admin", "--data", data, "--user", "admin", "--course", "x",
                 "--completed", "31/12/2026"]))
    out.append(("user add --role garbage",
                ["user", "add", "bob", "--data", data, "--user", "admin", "--role", "king",
                 "--full-name", "B", "--job-title", "D"]))
    out.append(("audit report --from garbage",
                ["audit", "report", "--data", data, "--user", "admin", "--from", "garbage",
                 "--to", "2026-01-01"]))
    out.append(("read of a missing file", ["read", "/nonexistent/file.jpg"]))
    out.append(("read of a directory", ["read", data]))
    out.append(("read of a long path", ["read", "/" + LONG[:4000] + ".jpg"]))
    out.append(("ingest of a missing file",
                ["ingest", "--data", data, "--user", "admin", "/nonexistent.jsonl"]))
    out.append(("serve --listen garbage", ["serve", "--data", data, "--listen", "nowhere"]))
    out.append(("serve --listen port out of range",
                ["serve", "--data", data, "--listen", "127.0.0.1:99999"]))
    out.append(("init --data a path under a file", ["init", "--data", "/etc/passwd/x",
                                                    "--admin", "a"]))
    out.append(("unknown command", ["frobnicate"]))
    out.append(("a very long unknown command", [LONG]))
    return out


def counts(data):
    d = sqlite3.connect(os.path.join(data, "platekeeper.db"), timeout=30)
    n = (d.execute("SELECT count(*) FROM reads").fetchone()[0],
         d.execute("SELECT count(*) FROM users").fetchone()[0],
         d.execute("SELECT count(*) FROM hotlists").fetchone()[0])
    d.close()
    return n


def main(t):
    tmp = tempfile.mkdtemp(prefix="pk-cli-bad-")
    data = os.path.join(tmp, "data")
    env = dict(os.environ, PLATEKEEPER_TEST_FAST_PWHASH="1", PLATEKEEPER_PASSWORD=ADMIN_PW)
    p = subprocess.run([PK_BIN, "init", "--data", data, "--admin", "admin"], env=env,
                       capture_output=True, text=True, timeout=120)
    t.ok(p.returncode == 0, "init", p.stderr)
    before = counts(data)
    for name, argv in cases(data):
        try:
            p = subprocess.run([PK_BIN] + argv, env=env, capture_output=True, text=True,
                               timeout=20, stdin=subprocess.DEVNULL, errors="replace")
        except subprocess.TimeoutExpired:
            t.ok(False, "%s: ends (hung past 20 s)" % name)
            continue
        err = p.stderr.strip()
        lines = err.splitlines()
        good = p.returncode in (1, 2) and lines and len(lines[-1]) < 2000
        if p.returncode == 1:
            good = good and len(lines) == 1
        t.ok(good, "%s: exit 1 or 2 with a clear reason" % name,
             "exit %d, stderr %r" % (p.returncode, err[:600]))
    t.eq(counts(data), before, "bad input changed no reads, users or hotlists")


if __name__ == "__main__":
    Tap().run(main)

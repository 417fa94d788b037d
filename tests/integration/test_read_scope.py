"""Who may open one read (DESIGN.md §6) and refusals in the access log (issue 3 item 6), against
a real `platekeeper serve`:

- an operator opens GET /api/v1/reads/{id} and its image only for reads of alerts delivered to
  them (lists that are not covert, covert lists they own); any other read, or an absent one, is
  403 with one "refused" access-log entry, and nothing of the read is in the answer;
- investigators and administrators open any read.
"""
import json

from pkdata import add_read, last_id, make_list, new_rows
from pkserver import Server, Tap

AV = "purpose=alert-verification"


def scope(t, srv, team):
    inv, op, admin = team["investigator"], team["operator"], team["admin"]
    open_list, open_entry = make_list(t, inv, "stolen", False, "7OPN111")
    cov_list, cov_entry = make_list(t, inv, "covert", True, "7COV222")
    r_open = add_read(srv, "7OPN111", open_list, open_entry, False)
    r_cov = add_read(srv, "7COV222", cov_list, cov_entry, True)
    r_none = add_read(srv, "7NON333")

    st, body, _ = op.call("GET", "/api/v1/reads/%d?%s" % (r_open, AV))
    t.ok(st == 200 and body["read"]["plate"] == "7OPN111",
         "operator opens the read of an alert delivered to them", body)

    for rid, what in ((r_cov, "a covert list's read the operator does not own"),
                      (r_none, "a read with no alert"),
                      (999999, "an absent read")):
        for path in ("/api/v1/reads/%d?%s" % (rid, AV),
                     "/api/v1/reads/%d/image?kind=plate&%s" % (rid, AV)):
            before = last_id(srv)
            resp = op.call("GET", path)
            t.error(resp, 403, "forbidden", "operator: %s: 403 (%s)" % (what, path.split("?")[0]))
            t.ok("7COV222" not in json.dumps(resp[1]) and "7NON333" not in json.dumps(resp[1]),
                 "operator: %s: no plate in the refusal" % what)
            rows = new_rows(srv, before)
            t.ok(len(rows) == 1 and rows[0][1] == "u_operator" and rows[0][2] == "read.view"
                 and rows[0][3] == "refused" and ('"read_id": %d' % rid) in (rows[0][6] or ""),
                 "operator: %s: one refused entry with the read id" % what, rows)

    for who in (inv, admin):
        for rid in (r_cov, r_none, r_open):
            st, body, _ = who.call("GET", "/api/v1/reads/%d?purpose=investigation&case=24-100"
                                   % rid)
            t.ok(st == 200 and body["read"]["id"] == rid,
                 "%s opens read %d" % (who.user["username"], rid), body)


def main(t):
    with Server() as srv:
        team = srv.team()
        scope(t, srv, team)


if __name__ == "__main__":
    Tap().run(main)

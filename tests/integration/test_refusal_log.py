"""A purpose or case over 64 characters is refused by the gate, not the server, so the refusal
is in the access log (issue 3 item 6): one "refused" entry per request that keeps at most 64
characters of what was sent, on every route that takes a purpose and case.
"""

from pkdata import add_read, last_id, make_list, new_rows
from pkserver import Server, Tap

AV = "purpose=alert-verification"


def long_fields(t, srv, team):
    inv, op = team["investigator"], team["operator"]
    rid = add_read(srv, "7LNG444")
    cases = [
        ("a purpose of 65 characters", "purpose=" + "p" * 65 + "&case=1", 400,
         "purpose_required", "p" * 64),
        ("a purpose of 5000 characters", "purpose=" + "p" * 5000, 400, "purpose_required",
         "p" * 64),
        ("a case of 65 characters", "purpose=investigation&case=" + "c" * 65, 400,
         "case_required", "c" * 64),
        ("a case of 5000 characters", "purpose=investigation&case=" + "c" * 5000, 400,
         "case_required", "c" * 64),
    ]
    for what, qs, status, code, kept in cases:
        for who, path in ((inv, "/api/v1/reads/%d?%s" % (rid, qs)),
                          (inv, "/api/v1/reads/%d/image?%s" % (rid, qs)),
                          (op, "/api/v1/alerts?%s" % qs),
                          (inv, "/api/v1/reads?plate=7LNG444&%s" % qs)):
            before = last_id(srv)
            resp = who.call("GET", path)
            t.ok(resp[0] == status and isinstance(resp[1], dict)
                 and resp[1].get("error") == code,
                 "%s on %s: %d %s" % (what, path.split("?")[0], status, code), resp[:2])
            rows = new_rows(srv, before)
            field = 4 if what.startswith("a purpose") else 5
            t.ok(len(rows) == 1 and rows[0][3] == "refused"
                 and rows[0][field] is not None and rows[0][field].startswith(kept)
                 and len(rows[0][field]) <= 70,
                 "%s on %s: one refused entry, the field cut to 64" % (what,
                                                                        path.split("?")[0]),
                 rows)


def main(t):
    with Server() as srv:
        team = srv.team()
        long_fields(t, srv, team)


if __name__ == "__main__":
    Tap().run(main)

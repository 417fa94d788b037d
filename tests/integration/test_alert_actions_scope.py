"""Who may acknowledge or verify an alert (DESIGN.md §6, issue 3 item 6), against a real
`platekeeper serve`: an alert of a covert list is handled only by the list's owners and
administrators. Anyone else (an operator, an investigator who does not own the list) gets 404,
as for an absent alert, so ids cannot be probed; the alert is unchanged and the attempt writes
one "refused" access-log entry with the alert id. Alerts of lists that are not covert are handled
by every operator.
"""
import json

from pkdata import add_read, db, last_id, make_list, new_rows
from pkserver import Server, Tap

VERIFY = {"outcome": "confirmed"}


def alert_of(srv, rid):
    d = db(srv)
    row = d.execute("SELECT id, status, acknowledged_by, verified_by FROM alerts"
                    " WHERE read_id = ?", (rid,)).fetchone()
    d.close()
    return row


def scope(t, srv, team):
    inv, op, admin = team["investigator"], team["operator"], team["admin"]
    srv.add_user(admin, "u_inv2", "investigator")
    inv2 = srv.login("u_inv2")
    open_list, open_entry = make_list(t, inv, "stolen", False, "7OPN111")
    cov_list, cov_entry = make_list(t, inv, "covert", True, "7COV222")
    r_open = add_read(srv, "7OPN111", open_list, open_entry, False)
    r_cov = add_read(srv, "7COV222", cov_list, cov_entry, True)
    a_open, a_cov = alert_of(srv, r_open)[0], alert_of(srv, r_cov)[0]

    for who, name in ((op, "operator"), (inv2, "investigator who does not own the list")):
        for aid, what in ((a_cov, "a covert list's alert"), (999999, "an absent alert")):
            for verb, body, action in (("ack", None, "alert.ack"),
                                       ("verify", VERIFY, "alert.verify")):
                before = last_id(srv)
                resp = who.call("POST", "/api/v1/alerts/%d/%s" % (aid, verb), body)
                t.error(resp, 404, "not_found", "%s: %s %s: 404" % (name, verb, what))
                t.ok("7COV222" not in json.dumps(resp[1]),
                     "%s: %s %s: no plate in the answer" % (name, verb, what))
                rows = new_rows(srv, before)
                t.ok(len(rows) == 1 and rows[0][1] == who.user["username"]
                     and rows[0][2] == action and rows[0][3] == "refused"
                     and ('"alert":%d' % aid) in (rows[0][6] or ""),
                     "%s: %s %s: one refused entry with the alert id" % (name, verb, what),
                     rows)
    t.ok(alert_of(srv, r_cov)[1:] == ("unverified", None, None),
         "the covert alert is neither acknowledged nor verified", alert_of(srv, r_cov))

    st, body, _ = op.call("POST", "/api/v1/alerts/%d/ack" % a_open)
    t.ok(st == 200, "operator acknowledges an alert of a list that is not covert", body)
    st, body, _ = op.call("POST", "/api/v1/alerts/%d/verify" % a_open, VERIFY)
    t.ok(st == 200, "operator verifies an alert of a list that is not covert", body)
    st, body, _ = inv.call("POST", "/api/v1/alerts/%d/ack" % a_cov)
    t.ok(st == 200, "the covert list's owner acknowledges its alert", body)
    st, body, _ = admin.call("POST", "/api/v1/alerts/%d/verify" % a_cov, VERIFY)
    t.ok(st == 200, "an administrator verifies the covert alert", body)
    t.ok(alert_of(srv, r_cov)[1:] == ("confirmed", "u_investigator", "admin"),
         "the covert alert is acknowledged by its owner, verified by the admin",
         alert_of(srv, r_cov))


def main(t):
    with Server() as srv:
        team = srv.team()
        scope(t, srv, team)


if __name__ == "__main__":
    Tap().run(main)

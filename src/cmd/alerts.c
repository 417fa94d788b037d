/* platekeeper alerts: list hotlist alerts (through the access gate) and record their CLETS
 * verification. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "hotlist/hotlist.h"

static const char usage[] =
    "usage: platekeeper alerts [--data DIR] --user NAME [--json]\n"
    "           [--status S] [--hotlist ID] [--limit N] [--purpose P] [--case C]   list alerts\n"
    "       platekeeper alerts --verify ID --outcome O [--note TEXT]              record CLETS\n"
    "       platekeeper alerts --ack ID                                             acknowledge\n"
    "  outcomes: confirmed, not_confirmed, misread, state_mismatch, vehicle_mismatch,\n"
    "            entry_cleared (a note is required for all but confirmed)\n";

static int parse_id(const char *s, int64_t *out) {
    char *end;
    errno = 0; /* a number past the range would otherwise pass, clamped */
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v <= 0 || errno == ERANGE) return -1;
    *out = v;
    return 0;
}

static const char *jstr(json_t *o, const char *k) {
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "-";
}

static void print_table(json_t *a) {
    printf("%-7s %-14s %-8s %-10s %-10s %-5s %-10s %-5s %-20s %s\n", "ID", "STATUS", "MATCH",
           "READ", "ENTRY", "RST", "LIST", "EST", "WHEN", "CAMERA");
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        json_t *rd = json_object_get(v, "read"), *en = json_object_get(v, "entry");
        printf("%-7lld %-14s %-8s %-10s %-10s %-5s %-10.10s %-5s %-20.20s %s%s\n",
               (long long)json_integer_value(json_object_get(v, "id")), jstr(v, "status"),
               jstr(v, "match"), jstr(rd, "plate"), jstr(en, "plate"), jstr(rd, "state"),
               jstr(json_object_get(v, "hotlist"), "name"), jstr(en, "state"), jstr(rd, "ts"),
               jstr(rd, "camera"),
               json_is_true(json_object_get(v, "state_mismatch")) ? "  STATE MISMATCH" : "");
    }
}

int cmd_alerts(int argc, char **argv) {
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},    {"user", required_argument, NULL, 'u'},
        {"json", no_argument, NULL, 'j'},          {"verify", required_argument, NULL, 'v'},
        {"outcome", required_argument, NULL, 'o'}, {"note", required_argument, NULL, 'n'},
        {"ack", required_argument, NULL, 'a'},     {"status", required_argument, NULL, 's'},
        {"hotlist", required_argument, NULL, 'l'}, {"limit", required_argument, NULL, 'N'},
        {"purpose", required_argument, NULL, 'p'}, {"case", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *data = "data", *user = NULL, *outcome = NULL, *note = NULL, *purpose = NULL,
               *case_no = NULL;
    int json = 0, c;
    int64_t verify = 0, ack = 0;
    hotlist_alert_query q;
    memset(&q, 0, sizeof q);
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:u:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'u': user = optarg; break;
        case 'j': json = 1; break;
        case 'v':
            if (parse_id(optarg, &verify)) return cmd_usage("alerts", "--verify: an alert id");
            break;
        case 'a':
            if (parse_id(optarg, &ack)) return cmd_usage("alerts", "--ack: an alert id");
            break;
        case 'o': outcome = optarg; break;
        case 'n': note = optarg; break;
        case 's': q.status = optarg; break;
        case 'l':
            if (parse_id(optarg, &q.hotlist_id)) return cmd_usage("alerts", "--hotlist: an id");
            break;
        case 'N': {
            int64_t n;
            if (parse_id(optarg, &n) || n > 1000) return cmd_usage("alerts", "--limit: 1 to 1000");
            q.limit = (int)n;
            break;
        }
        case 'p': purpose = optarg; break;
        case 'c': case_no = optarg; break;
        case 'h': fputs(usage, stdout); return CMD_OK;
        default: fputs(usage, stderr); return CMD_USAGE;
        }
    }
    if (optind < argc) return cmd_usage("alerts", "unexpected argument '%s'", argv[optind]);
    if (verify && ack) return cmd_usage("alerts", "--verify and --ack are separate steps");
    if (verify && !outcome) return cmd_usage("alerts", "--verify needs --outcome");
    if (!verify && (outcome || note)) return cmd_usage("alerts", "--outcome and --note go with --verify");
    if (outcome && !hotlist_outcome_valid(outcome))
        return cmd_usage("alerts", "--outcome: one of confirmed, not_confirmed, misread, "
                                   "state_mismatch, vehicle_mismatch, entry_cleared");
    store *st;
    if (cmd_open_store(data, &st)) return CMD_FAIL;
    access_user u;
    int rc = cmd_login("alerts", st, user, &u);
    if (rc) {
        store_close(st);
        return rc;
    }
    pk_err err;
    pk_err_clear(&err);
    if (verify) {
        rc = hotlist_alert_verify(st, verify, outcome, note, &u, "cli", &err)
                 ? cmd_fail("alerts", &err)
                 : (printf("alert %lld verified: %s%s\n", (long long)verify, outcome,
                           strcmp(outcome, "confirmed") ? " (not actionable)" : " (actionable)"),
                    CMD_OK);
    } else if (ack) {
        rc = hotlist_alert_ack(st, ack, &u, "cli", &err) ? cmd_fail("alerts", &err)
                                                  : (printf("alert %lld acknowledged\n",
                                                            (long long)ack), CMD_OK);
    } else {
        access_request req = {.user = &u,
                              .action = ACCESS_ALERTS_VIEW,
                              .purpose = purpose ? purpose : "alert-verification",
                              .case_no = case_no,
                              .client = "cli"};
        access_grant *g = NULL;
        json_t *a = NULL;
        if (access_grant_open(st, &req, "{\"resource\":\"alerts\"}", &g, &err) ||
            hotlist_alerts_list(g, &q, &a, &err)) {
            rc = cmd_fail("alerts", &err);
        } else if (json) {
            size_t i;
            json_t *v;
            json_array_foreach(a, i, v) {
                char *t = json_dumps(v, JSON_COMPACT);
                puts(t);
                free(t);
            }
        } else {
            print_table(a);
        }
        json_decref(a);
        access_grant_free(g);
    }
    store_close(st);
    return rc;
}

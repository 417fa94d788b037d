/* platekeeper hold open|approve|release|list: holds for cases (issue 5 item 2). */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/records_cli.h"

static int usage(int rc) {
    fprintf(stderr,
            "usage: platekeeper hold open [--data DIR] --user NAME --case C --reason R --contact X\n"
            "                             (--read ID ... | a search: [--plate P [--fuzzy] | --pattern X]\n"
            "                              [--from T] [--to T] [--near LAT,LON,M] [--camera NAME])\n"
            "                             [--review-days N] [--purpose P]\n"
            "       platekeeper hold approve|release ID [--data DIR] --user NAME [--reason R]\n"
            "       platekeeper hold list [--data DIR] --user NAME [--status S] [--overdue] [--json]\n");
    return rc;
}

static int parse_id(const char *s, int64_t *id) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || v <= 0) return -1;
    *id = v;
    return 0;
}

static int print_hold(void *ctx, const records_hold *h) {
    int json = *(int *)ctx;
    char op[PK_TIME_STR_MAX], rv[PK_TIME_STR_MAX];
    pk_time_format(h->opened_at, op);
    pk_time_format(h->review_at, rv);
    if (json)
        printf("{\"id\":%" PRId64 ",\"case\":\"%s\",\"status\":\"%s\",\"reads\":%" PRId64
               ",\"opened_by\":\"%s\",\"opened_at\":\"%s\",\"approved_by\":\"%s\",\"review_at\":\"%s\"}\n",
               h->id, h->case_no, h->status, h->n_reads, h->opened_by, op, h->approved_by, rv);
    else
        printf("%-6" PRId64 " %-16s %-9s %7" PRId64 "  %-12s %.10s  review %.10s\n", h->id,
               h->case_no, h->status, h->n_reads, h->opened_by, op, rv);
    return 0;
}

int cmd_hold(int argc, char **argv) {
    if (argc < 2) return usage(CMD_USAGE);
    const char *sub = argv[1];
    const char *data = "./data", *user = NULL, *case_no = NULL, *reason = NULL, *contact = NULL,
               *status = NULL, *purpose = NULL;
    int json = 0, overdue = 0, c, used = 0;
    int64_t review_days = 0;
    records_search rs;
    memset(&rs, 0, sizeof rs);
    search_query_init(&rs.q);
    int64_t *ids = NULL;
    size_t n_ids = 0;
    pk_err err;
    pk_err_clear(&err);
    static const struct option opts[] = {{"data", required_argument, 0, 'd'},
                                         {"user", required_argument, 0, 'u'},
                                         {"case", required_argument, 0, 'c'},
                                         {"reason", required_argument, 0, 'r'},
                                         {"contact", required_argument, 0, 'k'},
                                         {"read", required_argument, 0, 'i'},
                                         {"review-days", required_argument, 0, 'v'},
                                         {"purpose", required_argument, 0, 'p'},
                                         {"status", required_argument, 0, 's'},
                                         {"overdue", no_argument, 0, 'o'},
                                         {"json", no_argument, 0, 'j'},
                                         RCLI_SELECTION_OPTS,
                                         {"pattern", required_argument, 0, 'P'},
                                         {"fuzzy", no_argument, 0, 'F'},
                                         {"camera", required_argument, 0, 'C'},
                                         {0, 0, 0, 0}};
    optind = 1;
    int rc = CMD_OK;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'u': user = optarg; break;
        case 'c': case_no = optarg; break;
        case 'r': reason = optarg; break;
        case 'k': contact = optarg; break;
        case 'p': purpose = optarg; break;
        case 's': status = optarg; break;
        case 'o': overdue = 1; break;
        case 'j': json = 1; break;
        case 'v': {
            if (parse_id(optarg, &review_days))
                rc = cmd_usage("hold", "--review-days: expected a number of days");
            break;
        }
        case 'i': {
            int64_t v;
            if (parse_id(optarg, &v)) {
                rc = cmd_usage("hold", "--read: '%s' is not a read id", optarg);
                break;
            }
            ids = pk_xrealloc(ids, (n_ids + 1) * sizeof *ids);
            ids[n_ids++] = v;
            break;
        }
        case RCLI_PLATE:
            used = 1;
            snprintf(rs.plate, sizeof rs.plate, "%s", optarg);
            rs.q.plate = rs.plate;
            break;
        case 'P':
            used = 1;
            snprintf(rs.pattern, sizeof rs.pattern, "%s", optarg);
            rs.q.pattern = rs.pattern;
            break;
        case 'C':
            used = 1;
            snprintf(rs.camera, sizeof rs.camera, "%s", optarg);
            rs.q.camera = rs.camera;
            break;
        case 'F': rs.q.fuzzy = 1; break;
        case RCLI_FROM: case RCLI_TO: case RCLI_NEAR: {
            records_query q; /* the same option parsing as the sharing scopes */
            memset(&q, 0, sizeof q);
            if (cmd__rcli_selection(&q, &used, c, optarg, &err)) {
                rc = cmd_usage("hold", "%s", err.msg);
                break;
            }
            if (c == RCLI_FROM) rs.q.has_from = 1, rs.q.from = q.from;
            if (c == RCLI_TO) rs.q.has_to = 1, rs.q.to = q.to;
            if (c == RCLI_NEAR)
                rs.q.has_near = 1, rs.q.lat = q.lat, rs.q.lon = q.lon, rs.q.radius_m = q.radius_m;
            break;
        }
        default: rc = usage(CMD_USAGE);
        }
        if (rc) break;
    }
    int64_t id = 0;
    int needs_id = !strcmp(sub, "approve") || !strcmp(sub, "release");
    if (!rc && needs_id) {
        if (optind + 1 >= argc || parse_id(argv[optind + 1], &id))
            rc = cmd_usage("hold", "%s: give the hold id", sub);
    } else if (!rc && optind + 1 < argc) {
        rc = cmd_usage("hold", "unexpected argument '%s'", argv[optind + 1]);
    }
    if (!rc && strcmp(sub, "open") && !needs_id && strcmp(sub, "list"))
        rc = cmd_usage("hold", "unknown subcommand '%s' (open, approve, release, list)", sub);
    if (rc) {
        free(ids);
        return rc;
    }
    store *st;
    access_user u;
    if ((rc = cmd__rcli_session("hold", data, user, &st, &u))) {
        free(ids);
        return rc;
    }
    records_actor a = {&u, "cli", NULL};
    if (!strcmp(sub, "open")) {
        search_index *idx = NULL;
        if (used) { /* a search needs the plate dictionary */
            idx = search_index_new();
            if (search_index_load(idx, st, &err)) rc = cmd_fail("hold", &err);
        }
        records_hold_spec spec = {case_no, reason,     contact, ids,        n_ids,
                                  used ? &rs.q : NULL, idx, purpose, review_days};
        if (!rc && records_hold_open(st, &a, &spec, &id, &err))
            rc = cmd_fail("hold", &err);
        else if (!rc)
            printf("hold %" PRId64 " opened (pending approval by an administrator)\n", id);
        search_index_free(idx);
    } else if (!strcmp(sub, "approve")) {
        if (records_hold_approve(st, &a, id, &err))
            rc = cmd_fail("hold", &err);
        else
            printf("hold %" PRId64 " approved\n", id);
    } else if (!strcmp(sub, "release")) {
        if (records_hold_release(st, &a, id, reason, &err))
            rc = cmd_fail("hold", &err);
        else
            printf("hold %" PRId64 " released\n", id);
    } else {
        if (u.role == ACCESS_ROLE_OPERATOR) {
            pk_err_set(&err, PK_EDENIED, "holds are listed for investigators, custodians, "
                                         "administrators and auditors");
            rc = cmd_fail("hold", &err);
        } else if (overdue ? records_holds_overdue(st, NULL, print_hold, &json, &err)
                           : records_holds_each(st, status, print_hold, &json, &err)) {
            rc = cmd_fail("hold", &err);
        }
    }
    free(ids);
    store_close(st);
    return rc;
}

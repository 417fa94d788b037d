/* platekeeper audit verify|log|report|sample|review: the access log and audits, for auditors
 * and administrators. Reading the log is itself logged (purpose "audit"). */
#include "cmd/cmd.h"
#include "records/records.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/pktime.h"

static void usage(void) {
    fprintf(stderr,
            "usage: platekeeper audit SUBCOMMAND [--data DIR] --user NAME (auditor or admin)\n"
            "  verify [--anchor ID:HASH] [--json]   check every entry's hash and link\n"
            "  log [--from T] [--to T] [--who NAME] [--action A|PREFIX*] [--outcome O]\n"
            "      [--limit N (default 100, 0 = all)] [--json|--csv]   newest first\n"
            "  report --from T --to T [--json|--csv]\n"
            "  sample --from T --to T [--count N (default 10)] [--seed S] [--json]\n"
            "  review ENTRY_ID --finding TEXT --approved-by NAME\n"
            "T is ISO 8601 or YYYY-MM-DD (a bare --to date includes that whole day).\n");
}

typedef struct opts {
    const char *data, *user, *who, *action, *outcome, *anchor, *finding, *approved_by;
    int64_t from, to, limit, count;
    uint64_t seed;
    int json, csv, has_from, has_to;
} opts;

static int parse_time(const char *opt, const char *s, int end_of_day, int64_t *out) {
    pk_err err;
    if (pk_time_parse(s, out, &err)) return cmd_usage("audit", "%s: %s", opt, err.msg);
    if (end_of_day && strlen(s) == 10) *out += PK_MS_PER_DAY - 1;
    return CMD_OK;
}

static int parse_int(const char *opt, const char *s, int64_t min, int64_t max, int64_t *out) {
    char *end;
    errno = 0; /* a number past the range would otherwise pass, clamped */
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || v < min || v > max || errno == ERANGE)
        return cmd_usage("audit", "%s: a whole number from %lld to %lld", opt, (long long)min,
                         (long long)max);
    *out = v;
    return CMD_OK;
}

/* Login, then auditors and administrators only (a refusal is logged). */
static int login_auditor(store *st, const opts *o, const char *action, access_user *me) {
    int rc = cmd_login("audit", st, o->user, me);
    if (rc) return rc;
    if (me->role == ACCESS_ROLE_AUDITOR || me->role == ACCESS_ROLE_ADMIN) return CMD_OK;
    audit_entry e = {.username = me->username, .agency = me->agency, .action = action,
                     .result_count = -1, .client = "cli", .outcome = "refused",
                     .detail = "auditors and administrators only"};
    pk_err err;
    pk_err_clear(&err);
    if (audit_append(st, &e, NULL, &err)) return cmd_fail("audit", &err);
    fprintf(stderr, "platekeeper audit: %s is %s; only auditors and administrators may do this\n",
            me->username, access_role_name(me->role));
    return CMD_FAIL;
}

/* The entry that records this use of the log, written before anything is printed. */
static int log_use(store *st, const access_user *me, const char *action, json_t *q,
                   int64_t count) {
    char *qs = json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(q);
    audit_entry e = {.username = me->username, .agency = me->agency, .action = action,
                     .query = qs, .purpose = "audit", .result_count = count, .client = "cli",
                     .outcome = "ok"};
    pk_err err;
    pk_err_clear(&err);
    int rc = audit_append(st, &e, NULL, &err);
    free(qs);
    return rc ? cmd_fail("audit", &err) : CMD_OK;
}

static json_t *range_json(const opts *o) {
    json_t *q = json_object();
    char t[PK_TIME_STR_MAX];
    if (o->has_from) {
        pk_time_format(o->from, t);
        json_object_set_new(q, "from", json_string(t));
    }
    if (o->has_to) {
        pk_time_format(o->to, t);
        json_object_set_new(q, "to", json_string(t));
    }
    return q;
}

/* CSV field: quoted when needed; a leading = + - @ is defused for spreadsheets. */
static void csv_field(const char *s, int last) {
    if (!s) s = "";
    int quote = strpbrk(s, ",\"\r\n") != NULL || strchr("=+-@", s[0]) != NULL;
    if (quote) {
        putchar('"');
        if (s[0] && strchr("=+-@", s[0])) putchar('\'');
        for (const char *p = s; *p; p++) {
            if (*p == '"') putchar('"');
            putchar(*p);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
    putchar(last ? '\n' : ',');
}

static void csv_int(int64_t v, int last) {
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)v);
    csv_field(b, last);
}

static int collect(void *ctx, const audit_record *r) {
    json_array_append_new(ctx, audit_record_json(r));
    return 0;
}

static const char *jstr(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : "";
}

static void print_entries(json_t *list, const opts *o) {
    size_t i;
    json_t *e;
    if (o->csv)
        printf("id,ts,username,agency,action,query,purpose,case,result_count,client,outcome,"
               "detail,hash\n");
    else if (!o->json)
        printf("%-7s %-24s %-16s %-16s %-8s %-18s %-12s %6s %-15s %s\n", "ID", "TIME", "USER",
               "ACTION", "OUTCOME", "PURPOSE", "CASE", "COUNT", "CLIENT", "QUERY / DETAIL");
    json_array_foreach(list, i, e) {
        json_t *q = json_object_get(e, "query");
        char *qs = json_is_null(q) || !q ? NULL : json_dumps(q, JSON_COMPACT | JSON_ENCODE_ANY);
        json_t *cnt = json_object_get(e, "result_count");
        if (o->json) {
            char *s = json_dumps(e, JSON_COMPACT);
            printf("%s\n", s);
            free(s);
        } else if (o->csv) {
            csv_int(json_integer_value(json_object_get(e, "id")), 0);
            csv_field(jstr(e, "ts"), 0);
            csv_field(jstr(e, "username"), 0);
            csv_field(jstr(e, "agency"), 0);
            csv_field(jstr(e, "action"), 0);
            csv_field(qs, 0);
            csv_field(jstr(e, "purpose"), 0);
            csv_field(jstr(e, "case"), 0);
            if (json_is_integer(cnt))
                csv_int(json_integer_value(cnt), 0);
            else
                csv_field("", 0);
            csv_field(jstr(e, "client"), 0);
            csv_field(jstr(e, "outcome"), 0);
            csv_field(jstr(e, "detail"), 0);
            csv_field(jstr(e, "hash"), 1);
        } else {
            char count[24] = "";
            if (json_is_integer(cnt))
                snprintf(count, sizeof count, "%lld", (long long)json_integer_value(cnt));
            const char *detail = jstr(e, "detail");
            /* Logged text comes from outside (a typed username, a refused case number):
             * control characters are shown as '?' so they cannot drive the terminal. */
            char line[8192];
            snprintf(line, sizeof line, "%-7lld %-24s %-16s %-16s %-8s %-18s %-12s %6s %-15s %s%s%s",
                     (long long)json_integer_value(json_object_get(e, "id")), jstr(e, "ts"),
                     jstr(e, "username"), jstr(e, "action"), jstr(e, "outcome"),
                     jstr(e, "purpose"), jstr(e, "case"), count, jstr(e, "client"),
                     qs ? qs : "", qs && *detail ? " " : "", detail);
            for (char *p = line; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
            puts(line);
        }
        free(qs);
    }
}

static json_int_t ji(json_t *o, const char *k) {
    return json_integer_value(json_object_get(o, k));
}

/* Approved holds past their review date (issue 5 item 2), for the report. */
static int overdue_hold(void *ctx, const records_hold *h) {
    char rv[PK_TIME_STR_MAX];
    pk_time_format(h->review_at, rv);
    json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)h->id,
                                         "case", h->case_no, "opened_by", h->opened_by,
                                         "review_at", rv, "reads", (json_int_t)h->n_reads));
    return 0;
}

static void print_report(json_t *rep, const opts *o) {
    json_t *users = json_object_get(rep, "users");
    size_t i;
    json_t *u;
    static const char *const cols[] = {"searches", "searches_without_case",
                                       "searches_no_results", "outside_hours", "refused",
                                       "logins", "failed_logins", "data_accesses"};
    if (o->json) {
        char *s = json_dumps(rep, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        return;
    }
    if (o->csv) {
        printf("username");
        for (size_t c = 0; c < 8; c++) printf(",%s", cols[c]);
        printf(",by_purpose\n");
        json_array_foreach(users, i, u) {
            csv_field(jstr(u, "username"), 0);
            for (size_t c = 0; c < 8; c++) csv_int(ji(u, cols[c]), 0);
            char bp[1024] = "";
            const char *k;
            json_t *v;
            json_object_foreach(json_object_get(u, "by_purpose"), k, v)
                snprintf(bp + strlen(bp), sizeof bp - strlen(bp), "%s%s=%lld", bp[0] ? ";" : "",
                         k, (long long)json_integer_value(v));
            csv_field(bp, 1);
        }
        return;
    }
    json_t *t = json_object_get(rep, "totals");
    printf("audit report %s to %s\n\n", jstr(rep, "from"), jstr(rep, "to"));
    printf("entries %lld, searches %lld (without case %lld, no results %lld), outside working "
           "hours %lld, refused %lld, failed logins %lld, overdue training %lld\n\n",
           (long long)ji(t, "entries"), (long long)ji(t, "searches"),
           (long long)ji(t, "searches_without_case"), (long long)ji(t, "searches_no_results"),
           (long long)ji(t, "outside_hours"), (long long)ji(t, "refused"),
           (long long)ji(t, "failed_logins"), (long long)ji(t, "overdue_training"));
    printf("%-20s %8s %8s %8s %8s %8s %8s %8s  %s\n", "USER", "SEARCHES", "NO-CASE", "NO-HITS",
           "OFF-HRS", "REFUSED", "LOGINS", "FAILED", "BY PURPOSE");
    json_array_foreach(users, i, u) {
        char bp[512] = "";
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(u, "by_purpose"), k, v)
            snprintf(bp + strlen(bp), sizeof bp - strlen(bp), "%s%s=%lld", bp[0] ? " " : "", k,
                     (long long)json_integer_value(v));
        printf("%-20s %8lld %8lld %8lld %8lld %8lld %8lld %8lld  %s\n", jstr(u, "username"),
               (long long)ji(u, "searches"), (long long)ji(u, "searches_without_case"),
               (long long)ji(u, "searches_no_results"), (long long)ji(u, "outside_hours"),
               (long long)ji(u, "refused"), (long long)ji(u, "logins"),
               (long long)ji(u, "failed_logins"), bp);
    }
    printf("\naccount, training, unit and setting changes:\n");
    json_t *e;
    json_array_foreach(json_object_get(rep, "account_changes"), i, e) {
        char *qs = json_dumps(json_object_get(e, "query"), JSON_COMPACT | JSON_ENCODE_ANY);
        printf("  %s  %-16s %-20s %s\n", jstr(e, "ts"), jstr(e, "username"), jstr(e, "action"),
               qs ? qs : "");
        free(qs);
    }
    printf("\noverdue training (active accounts):\n");
    json_array_foreach(json_object_get(rep, "overdue_training"), i, e)
        printf("  %-20s %-12s last completed %s\n", jstr(e, "username"), jstr(e, "role"),
               *jstr(e, "last_completed") ? jstr(e, "last_completed") : "never");
    printf("\nreviews recorded:\n");
    json_array_foreach(json_object_get(rep, "reviews"), i, e)
        printf("  entry %lld reviewed by %s, approved by %s, %s: %s\n", (long long)ji(e, "entry"),
               jstr(e, "reviewer"), jstr(e, "approved_by"), jstr(e, "reviewed_at"),
               jstr(e, "finding"));
}

int cmd_audit(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage();
        return argc < 2 ? CMD_USAGE : CMD_OK;
    }
    const char *sub = argv[1];
    opts o = {.data = "./data", .from = INT64_MIN, .to = INT64_MAX, .limit = 100, .count = 10};
    static const struct option lo[] = {
        {"data", required_argument, 0, 'd'},   {"user", required_argument, 0, 'u'},
        {"from", required_argument, 0, 'f'},   {"to", required_argument, 0, 't'},
        {"who", required_argument, 0, 'w'},    {"action", required_argument, 0, 'a'},
        {"outcome", required_argument, 0, 'o'}, {"limit", required_argument, 0, 'l'},
        {"count", required_argument, 0, 'n'},  {"seed", required_argument, 0, 's'},
        {"anchor", required_argument, 0, 'A'}, {"finding", required_argument, 0, 'F'},
        {"approved-by", required_argument, 0, 'B'}, {"json", no_argument, 0, 'J'},
        {"csv", no_argument, 0, 'C'},          {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c, rc;
    int64_t v;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd': o.data = optarg; break;
        case 'u': o.user = optarg; break;
        case 'f':
            if ((rc = parse_time("--from", optarg, 0, &o.from))) return rc;
            o.has_from = 1;
            break;
        case 't':
            if ((rc = parse_time("--to", optarg, 1, &o.to))) return rc;
            o.has_to = 1;
            break;
        case 'w': o.who = optarg; break;
        case 'a': o.action = optarg; break;
        case 'o': o.outcome = optarg; break;
        case 'l':
            if ((rc = parse_int("--limit", optarg, 0, INT64_MAX, &o.limit))) return rc;
            break;
        case 'n':
            if ((rc = parse_int("--count", optarg, 1, 10000, &o.count))) return rc;
            break;
        case 's':
            if ((rc = parse_int("--seed", optarg, 1, INT64_MAX, &v))) return rc;
            o.seed = (uint64_t)v;
            break;
        case 'A': o.anchor = optarg; break;
        case 'F': o.finding = optarg; break;
        case 'B': o.approved_by = optarg; break;
        case 'J': o.json = 1; break;
        case 'C': o.csv = 1; break;
        case 'h': usage(); return CMD_OK;
        default: usage(); return CMD_USAGE;
        }
    }
    argc -= 1;
    argv += 1;
    if (o.json && o.csv) return cmd_usage("audit", "--json and --csv exclude each other");
    if (o.has_from && o.has_to && o.from > o.to) return cmd_usage("audit", "--from: after --to");
    int64_t entry_id = 0;
    int64_t anchor_id = 0;
    char anchor_hash[STORE_HASH_HEX] = "";
    if (!strcmp(sub, "review")) {
        if (optind >= argc) return cmd_usage("audit", "review: ENTRY_ID is required");
        if ((rc = parse_int("ENTRY_ID", argv[optind++], 1, INT64_MAX, &entry_id))) return rc;
        if (!o.finding) return cmd_usage("audit", "review: --finding is required");
        if (!o.approved_by) return cmd_usage("audit", "review: --approved-by is required");
    } else if (!strcmp(sub, "report") || !strcmp(sub, "sample")) {
        if (!o.has_from || !o.has_to) return cmd_usage("audit", "%s: --from and --to are required", sub);
    } else if (!strcmp(sub, "verify")) {
        if (o.anchor) {
            const char *colon = strchr(o.anchor, ':');
            char idbuf[24];
            if (!colon || colon - o.anchor >= (long)sizeof idbuf || strlen(colon + 1) != 64)
                return cmd_usage("audit", "--anchor: ID:HASH (64 hex digits)");
            snprintf(idbuf, sizeof idbuf, "%.*s", (int)(colon - o.anchor), o.anchor);
            if ((rc = parse_int("--anchor", idbuf, 1, INT64_MAX, &anchor_id))) return rc;
            snprintf(anchor_hash, sizeof anchor_hash, "%s", colon + 1);
        }
    } else if (strcmp(sub, "log")) {
        return cmd_usage("audit", "unknown subcommand '%s'", sub);
    }
    if (optind < argc) return cmd_usage("audit", "unexpected argument '%s'", argv[optind]);
    if (!o.user) return cmd_usage("audit", "--user NAME is required (an auditor or administrator)");

    store *st;
    if ((rc = cmd_open_store(o.data, &st))) return rc;
    char action[32];
    snprintf(action, sizeof action, "audit.%s", sub);
    access_user me;
    if ((rc = login_auditor(st, &o, action, &me))) {
        store_close(st);
        return rc;
    }
    pk_err err;
    pk_err_clear(&err);
    if (strcmp(sub, "verify")) {
        /* The log holds every query element (plates among them): reading it needs current
         * training like any other data (policy 472.4). */
        int current = 0;
        int64_t due;
        if (access_training_status(st, &me, NULL, &current, &due, &err)) {
            store_close(st);
            return cmd_fail("audit", &err);
        }
        if (!current) {
            audit_entry e = {.username = me.username, .agency = me.agency, .action = action,
                             .result_count = -1, .client = "cli", .outcome = "refused",
                             .detail = "training: no current ALPR training"};
            audit_append(st, &e, NULL, NULL);
            store_close(st);
            fprintf(stderr, "platekeeper audit: %s has no current ALPR training on record\n",
                    me.username);
            return CMD_FAIL;
        }
    }
    if (!strcmp(sub, "verify")) {
        audit_verify_result res;
        int64_t head_id = 0;
        char head[STORE_HASH_HEX] = "";
        int arc = PK_OK;
        pk_err aerr;
        pk_err_clear(&aerr);
        if (audit_verify(st, &res, &err) || audit_head(st, &head_id, head, &err)) {
            rc = cmd_fail("audit", &err);
        } else {
            if (anchor_id) arc = audit_verify_head(st, anchor_id, anchor_hash, &aerr);
            json_t *q = json_pack("{sbsI}", "intact", res.intact && !arc, "checked",
                                  (json_int_t)res.checked);
            if ((rc = log_use(st, &me, action, q, -1)) == CMD_OK) {
                if (o.json) {
                    json_t *j = json_pack("{sbsIsIsssIss}", "intact", res.intact && !arc,
                                          "checked", (json_int_t)res.checked, "first_bad",
                                          (json_int_t)res.first_bad, "reason", res.reason,
                                          "head_id", (json_int_t)head_id, "head_hash", head);
                    if (arc) json_object_set_new(j, "anchor", json_string(aerr.msg));
                    char *s = json_dumps(j, JSON_COMPACT);
                    printf("%s\n", s);
                    free(s);
                    json_decref(j);
                } else if (res.intact) {
                    printf("intact: %lld entries checked; head %lld:%s\n",
                           (long long)res.checked, (long long)head_id, head);
                } else {
                    printf("NOT INTACT: first bad entry %lld: %s\n", (long long)res.first_bad,
                           res.reason);
                }
                if (arc && !o.json) printf("ANCHOR FAILED: %s\n", aerr.msg);
                if (!res.intact || arc) rc = CMD_FAIL;
            }
        }
    } else if (!strcmp(sub, "log")) {
        audit_filter f;
        audit_filter_init(&f);
        f.from = o.from;
        f.to = o.to;
        f.username = o.who;
        f.action = o.action;
        f.outcome = o.outcome;
        f.limit = o.limit;
        f.newest_first = 1;
        json_t *list = json_array();
        if (audit_log_each(st, &f, collect, list, &err)) {
            rc = cmd_fail("audit", &err);
        } else {
            json_t *q = range_json(&o);
            if (o.who) json_object_set_new(q, "who", json_string(o.who));
            if (o.action) json_object_set_new(q, "action", json_string(o.action));
            if (o.outcome) json_object_set_new(q, "outcome", json_string(o.outcome));
            if ((rc = log_use(st, &me, action, q, (int64_t)json_array_size(list))) == CMD_OK)
                print_entries(list, &o);
        }
        json_decref(list);
    } else if (!strcmp(sub, "report")) {
        json_t *rep;
        json_t *overdue = json_array();
        if (audit_report(st, o.from, o.to, 0, &rep, &err) ||
            records_holds_overdue(st, NULL, overdue_hold, overdue, &err)) {
            json_decref(overdue);
            rc = cmd_fail("audit", &err);
        } else {
            json_object_set_new(rep, "holds_overdue", overdue);
            if ((rc = log_use(st, &me, action, range_json(&o),
                              (int64_t)json_array_size(json_object_get(rep, "users")))) == CMD_OK)
            {
                print_report(rep, &o);
                if (!o.json && !o.csv) {
                    json_t *ov = json_object_get(rep, "holds_overdue"), *h;
                    size_t k;
                    printf("\nholds past their review date: %zu\n", json_array_size(ov));
                    json_array_foreach(ov, k, h)
                        printf("  hold %lld  case %s  opened by %s  review was due %s  (%lld reads)\n",
                               (long long)json_integer_value(json_object_get(h, "id")),
                               json_string_value(json_object_get(h, "case")),
                               json_string_value(json_object_get(h, "opened_by")),
                               json_string_value(json_object_get(h, "review_at")),
                               (long long)json_integer_value(json_object_get(h, "reads")));
                }
            }
            json_decref(rep);
        }
    } else if (!strcmp(sub, "sample")) {
        json_t *s;
        if (audit_sample(st, o.from, o.to, (int)o.count, o.seed, &s, &err)) {
            rc = cmd_fail("audit", &err);
        } else {
            json_t *q = range_json(&o);
            json_object_set_new(q, "count", json_integer(o.count));
            if ((rc = log_use(st, &me, action, q, (int64_t)json_array_size(s))) == CMD_OK) {
                print_entries(s, &o);
                if (!o.json && !o.csv)
                    printf("\nrecord each review with: platekeeper audit review ID --finding "
                           "TEXT --approved-by NAME\n");
            }
            json_decref(s);
        }
    } else {
        int64_t rid;
        if (audit_review_add(st, entry_id, me.username, o.finding, o.approved_by, "cli", 0, &rid,
                             &err))
            rc = cmd_fail("audit", &err);
        else
            printf("review %lld of entry %lld recorded (reviewer %s, approved by %s)\n",
                   (long long)rid, (long long)entry_id, me.username, o.approved_by);
    }
    store_close(st);
    return rc;
}

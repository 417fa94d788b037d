/* platekeeper ingest: bulk-load reads from JSON lines or OpenALPR JSON files, as an
 * administrator. Good lines load even when others are rejected; each rejected line is one
 * "FILE:LINE: FIELD: reason" line on stderr; the summary goes to stdout; the load is logged. */
#include "cmd/cmd.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "hotlist/hotlist.h"
#include "ingest/ingest.h"

static void usage(void) {
    fprintf(stderr,
            "usage: platekeeper ingest [--data DIR] --user ADMIN [--batch N] FILE...\n"
            "FILE holds JSON lines (one read per line) or OpenALPR agent messages; '-' reads\n"
            "standard input. Rejected lines are reported as FILE:LINE: FIELD: reason on stderr;\n"
            "the exit status is 1 when any line was rejected (the good lines still load).\n"
            "The password comes from PLATEKEEPER_PASSWORD or the terminal.\n");
}

static void print_reject(void *ctx, const char *path, const ingest_reject *rej) {
    (void)ctx;
    char line[INGEST_FIELD_MAX + INGEST_REASON_MAX + 4200];
    ingest_reject_format(path, rej, line, sizeof line);
    fprintf(stderr, "%s\n", line);
}

int cmd_ingest(int argc, char **argv) {
    const char *data = "data", *user = NULL;
    long batch = INGEST_BATCH_DEFAULT;
    static const struct option longopts[] = {{"data", required_argument, NULL, 'd'},
                                             {"user", required_argument, NULL, 'u'},
                                             {"batch", required_argument, NULL, 'b'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:u:b:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'u': user = optarg; break;
        case 'b': {
            char *end;
            batch = strtol(optarg, &end, 10);
            if (*end || batch < 1 || batch > 100000)
                return cmd_usage("ingest", "--batch must be a number from 1 to 100000");
            break;
        }
        case 'h': usage(); return CMD_OK;
        default: usage(); return CMD_USAGE;
        }
    }
    if (optind >= argc) return cmd_usage("ingest", "no FILE given");
    if (!user) return cmd_usage("ingest", "--user NAME is required");

    store *st;
    int rc = cmd_open_store(data, &st);
    if (rc) return rc;
    access_user u;
    rc = cmd_login_admin("ingest", st, user, "ingest", &u);
    if (rc) {
        store_close(st);
        return rc;
    }
    pk_err err;
    pk_err_clear(&err);
    /* every read is matched against the hotlists as it loads, as at the server */
    hotlist_engine *eng = NULL;
    if (hotlist_engine_new(store_path(st), &eng, &err)) {
        store_close(st);
        return cmd_fail("ingest", &err);
    }
    ingest_links links;
    ingest_links_init(&links, NULL, eng);
    ingest_opts o;
    ingest_opts_init(&o, st);
    o.batch = (size_t)batch;
    o.hooks = ingest_links_hooks(&links);
    ingest *in = ingest_new(st, &o);

    ingest_result res;
    ingest_result_init(&res);
    json_t *files = json_array();
    int failed = 0;
    for (int i = optind; i < argc && !failed; i++) {
        json_array_append_new(files, json_string(argv[i]));
        if (ingest_file(in, argv[i], print_reject, NULL, &res, &err)) {
            failed = 1;
            fprintf(stderr, "platekeeper ingest: %s\n", err.msg);
        }
    }
    printf("accepted=%lld duplicates=%lld rejected=%lld\n", (long long)res.accepted,
           (long long)res.duplicates, (long long)res.rejected);
    if (links.n_alerts) printf("alerts=%lld\n", (long long)links.n_alerts);

    /* the load itself goes on the access log: who, which files, what came of it */
    json_t *q = json_pack("{s:o, s:I, s:I, s:I, s:I, s:I}", "files", files, "accepted",
                          (json_int_t)res.accepted, "duplicates", (json_int_t)res.duplicates,
                          "rejected", (json_int_t)res.rejected, "ignored",
                          (json_int_t)res.ignored, "alerts", (json_int_t)links.n_alerts);
    char *qs = json_dumps(q, JSON_COMPACT);
    json_decref(q);
    audit_entry e = {.username = u.username,
                     .agency = u.agency,
                     .action = "ingest",
                     .query = qs,
                     .result_count = -1,
                     .client = "cli",
                     .outcome = failed ? "failed" : "ok",
                     .detail = failed ? err.msg : NULL};
    pk_err aerr;
    pk_err_clear(&aerr);
    if (audit_append(st, &e, NULL, &aerr)) {
        fprintf(stderr, "platekeeper ingest: access log: %s\n", aerr.msg);
        failed = 1;
    }
    free(qs);
    int status = failed || res.rejected ? CMD_FAIL : CMD_OK;
    ingest_free(in);
    ingest_links_fini(&links);
    hotlist_engine_free(eng);
    store_close(st);
    ingest_result_fini(&res);
    return status;
}

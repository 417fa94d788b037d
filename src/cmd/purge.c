/* platekeeper purge: the retention purge by hand (serve runs it daily), and the retention
 * setting (platekeeper retention). */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/records_cli.h"

static void usage(void) {
    fprintf(stderr, "usage: platekeeper purge [--data DIR] --user NAME [--dry-run | --history] [--json]\n");
}

static int print_entry(void *ctx, const records_purge_entry *e) {
    int json = *(int *)ctx;
    char at[PK_TIME_STR_MAX], cut[PK_TIME_STR_MAX];
    pk_time_format(e->started_at, at);
    pk_time_format(e->cutoff, cut);
    if (json)
        printf("{\"id\":%" PRId64 ",\"started_at\":\"%s\",\"cutoff\":\"%s\",\"dry_run\":%s,"
               "\"reads_deleted\":%" PRId64 ",\"images_deleted\":%" PRId64 ",\"held_kept\":%" PRId64
               ",\"hits_kept\":%" PRId64 ",\"duration_ms\":%" PRId64 ",\"run_by\":\"%s\"}\n",
               e->id, at, cut, e->dry_run ? "true" : "false", e->reads_deleted, e->images_deleted,
               e->held_kept, e->hits_kept, e->duration_ms, e->run_by);
    else
        printf("%-5" PRId64 " %.19s  cutoff %.10s  %-8s reads %-9" PRId64 " images %-9" PRId64
               " held %-7" PRId64 " hits %-7" PRId64 " %6" PRId64 " ms  %s\n",
               e->id, at, cut, e->dry_run ? "dry-run" : "purge", e->reads_deleted,
               e->images_deleted, e->held_kept, e->hits_kept, e->duration_ms, e->run_by);
    return 0;
}

int cmd_purge(int argc, char **argv) {
    const char *data = "./data", *user = NULL;
    int dry = 0, json = 0, history = 0, c;
    static const struct option opts[] = {{"data", required_argument, 0, 'd'},
                                         {"user", required_argument, 0, 'u'},
                                         {"dry-run", no_argument, 0, 'n'},
                                         {"history", no_argument, 0, 'H'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'u': user = optarg; break;
        case 'n': dry = 1; break;
        case 'H': history = 1; break;
        case 'j': json = 1; break;
        case 'h': usage(); return CMD_OK;
        default: usage(); return CMD_USAGE;
        }
    }
    if (optind < argc) return cmd_usage("purge", "unexpected argument '%s'", argv[optind]);
    store *st;
    access_user u;
    int rc = cmd__rcli_session("purge", data, user, &st, &u);
    if (rc) return rc;
    records_actor a = {&u, "cli", NULL};
    records_purge_result r;
    pk_err err;
    pk_err_clear(&err);
    if (history) {
        if (u.role != ACCESS_ROLE_ADMIN && u.role != ACCESS_ROLE_CUSTODIAN &&
            u.role != ACCESS_ROLE_AUDITOR) {
            pk_err_set(&err, PK_EDENIED, "the purge log is for administrators, custodians and "
                                         "auditors");
            rc = CMD_FAIL;
        } else {
            rc = records_purge_log_each(st, print_entry, &json, &err) ? CMD_FAIL : CMD_OK;
        }
        if (rc) cmd_fail("purge", &err);
        store_close(st);
        return rc;
    }
    if (records_purge(st, &a, dry, 0, &r, &err)) {
        store_close(st);
        return cmd_fail("purge", &err);
    }
    char cut[PK_TIME_STR_MAX];
    pk_time_format(r.cutoff, cut);
    if (json)
        printf("{\"dry_run\":%s,\"cutoff\":\"%s\",\"reads_deleted\":%" PRId64
               ",\"images_deleted\":%" PRId64 ",\"held_kept\":%" PRId64 ",\"hits_kept\":%" PRId64
               ",\"alerts_deleted\":%" PRId64 ",\"duration_ms\":%" PRId64 "}\n",
               dry ? "true" : "false", cut, r.reads_deleted, r.images_deleted, r.held_kept,
               r.hits_kept, r.alerts_deleted, r.duration_ms);
    else
        printf("%scutoff=%s reads_deleted=%" PRId64 " images_deleted=%" PRId64
               " held_kept=%" PRId64 " hits_kept=%" PRId64 " alerts_deleted=%" PRId64
               " duration_ms=%" PRId64 "\n",
               dry ? "dry run (nothing deleted): " : "", cut, r.reads_deleted, r.images_deleted,
               r.held_kept, r.hits_kept, r.alerts_deleted, r.duration_ms);
    store_close(st);
    return CMD_OK;
}

int cmd_retention(int argc, char **argv) {
    const char *data = "./data", *user = NULL, *days = NULL;
    int c;
    static const struct option opts[] = {{"data", required_argument, 0, 'd'},
                                         {"user", required_argument, 0, 'u'},
                                         {"days", required_argument, 0, 'D'},
                                         {0, 0, 0, 0}};
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'u': user = optarg; break;
        case 'D': days = optarg; break;
        default:
            fprintf(stderr, "usage: platekeeper retention [--data DIR] --user NAME [--days N]\n");
            return CMD_USAGE;
        }
    }
    if (optind < argc) return cmd_usage("retention", "unexpected argument '%s'", argv[optind]);
    store *st;
    access_user u;
    int rc = cmd__rcli_session("retention", data, user, &st, &u);
    if (rc) return rc;
    if (days) {
        char *end;
        long long n = strtoll(days, &end, 10);
        if (end == days || *end) {
            store_close(st);
            return cmd_usage("retention", "--days: expected a whole number of days");
        }
        records_actor a = {&u, "cli", NULL};
        pk_err err;
        pk_err_clear(&err);
        if (records_retention_set(st, &a, n, &err)) {
            store_close(st);
            return cmd_fail("retention", &err);
        }
    }
    printf("retention_days=%" PRId64 "\n", records_retention_get(st));
    store_close(st);
    return CMD_OK;
}

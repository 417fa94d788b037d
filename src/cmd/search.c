/*
 * search.c: `platekeeper search`: find reads by plate, pattern, misread-tolerant plate, area,
 * time and camera, as a logged-in user with a purpose (and a case where the purpose needs one).
 * The search goes through the access gate like every other read of data: the user logs in
 * (cmd_login: access_login, logged), search_request opens the grant (a refusal is logged and printed) and
 * writes the access-log entry before anything is printed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "cmd/cmd.h"
#include "core/geo.h"
#include "core/pktime.h"
#include "search/search.h"

static void usage_text(FILE *f) {
    fprintf(f,
            "usage: platekeeper search [--data DIR] --user NAME --purpose P [--case C]\n"
            "                          [--plate X [--fuzzy] | --pattern X]\n"
            "                          [--near LAT,LON,METRES | --box MINLAT,MINLON,MAXLAT,MAXLON]\n"
            "                          [--from T] [--to T] [--camera NAME]\n"
            "                          [--limit N] [--cursor C] [--json]\n"
            "  --plate X      exact plate (spaces, dashes and case do not matter)\n"
            "  --fuzzy        with --plate: also plates a camera may have misread (0/O/D/Q, 1/I/L/T,\n"
            "                 2/Z, 5/S, 8/B, 6/G, or one character added, dropped or changed),\n"
            "                 closest first\n"
            "  --pattern X    partial plate: ? is one character, * any run (e.g. 7AB*12, ?ABC12?)\n"
            "  --near         within METRES of a point      --box  within a bounding box\n"
            "  --from, --to   ISO 8601 times (e.g. 2026-12-04T21:00:00Z or 2026-12-04), inclusive\n"
            "  --limit N      reads per page (default %d, at most %d); --cursor C: the next page\n"
            "  --json         one JSON object per read; the total and the next cursor go to stderr\n"
            "The password comes from PLATEKEEPER_PASSWORD or is asked on the terminal.\n",
            SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX);
}

static void print_table(const search_result *r, int fuzzy) {
    int cw = 6;
    for (size_t i = 0; i < r->n; i++) {
        int l = (int)strlen(r->hits[i].read.camera);
        if (l > cw) cw = l;
    }
    printf("%-10s  %-24s  %-10s  %-5s  %-*s  %10s  %11s  %5s%s\n", "ID", "TIME (UTC)", "PLATE",
           "STATE", cw, "CAMERA", "LAT", "LON", "CONF", fuzzy ? "  CLOSENESS" : "");
    for (size_t i = 0; i < r->n; i++) {
        const store_read *rd = &r->hits[i].read;
        char ts[PK_TIME_STR_MAX], lat[24] = "-", lon[24] = "-";
        pk_time_format(rd->ts, ts);
        if (rd->has_pos) {
            snprintf(lat, sizeof lat, "%.6f", rd->lat);
            snprintf(lon, sizeof lon, "%.6f", rd->lon);
        }
        printf("%-10lld  %-24s  %-10s  %-5s  %-*s  %10s  %11s  %5.1f", (long long)rd->id, ts,
               rd->plate, rd->state[0] ? rd->state : "-", cw, rd->camera, lat, lon,
               rd->confidence);
        if (fuzzy) {
            static const char *const names[] = {"identical", "confusable", "one edit",
                                                "confusable+edit"};
            printf("  %s", names[r->hits[i].closeness & 3]);
        }
        printf("\n");
    }
    printf("%zu of %lld reads", r->n, (long long)r->total);
    if (r->next[0]) printf("; next page: --cursor %s", r->next);
    printf("\n");
}

int cmd_search(int argc, char **argv) {
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},   {"user", required_argument, NULL, 'u'},
        {"purpose", required_argument, NULL, 'p'}, {"case", required_argument, NULL, 'c'},
        {"plate", required_argument, NULL, 'P'},  {"pattern", required_argument, NULL, 'W'},
        {"fuzzy", no_argument, NULL, 'z'},        {"near", required_argument, NULL, 'n'},
        {"box", required_argument, NULL, 'b'},    {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},     {"camera", required_argument, NULL, 'C'},
        {"limit", required_argument, NULL, 'l'},  {"cursor", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *data = "./data", *user = NULL, *purpose = NULL, *case_no = NULL;
    int json = 0;
    search_query q;
    search_query_init(&q);
    pk_err err;
    pk_err_clear(&err);
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'u': user = optarg; break;
        case 'p': purpose = optarg; break;
        case 'c': case_no = optarg; break;
        case 'P': q.plate = optarg; break;
        case 'W': q.pattern = optarg; break;
        case 'z': q.fuzzy = 1; break;
        case 'n':
            if (pk_geo_parse_near(optarg, &q.lat, &q.lon, &q.radius_m, &err))
                return cmd_usage("search", "--near: %s", err.msg);
            q.has_near = 1;
            break;
        case 'b':
            if (pk_geo_parse_bbox(optarg, &q.box, &err))
                return cmd_usage("search", "--box: %s", err.msg);
            q.has_box = 1;
            break;
        case 'f':
            if (pk_time_parse(optarg, &q.from, &err))
                return cmd_usage("search", "--from: %s", err.msg);
            q.has_from = 1;
            break;
        case 't':
            if (pk_time_parse(optarg, &q.to, &err)) return cmd_usage("search", "--to: %s", err.msg);
            q.has_to = 1;
            break;
        case 'C': q.camera = optarg; break;
        case 'l': {
            char *end;
            long long v = strtoll(optarg, &end, 10);
            if (*optarg == '\0' || *end || v < 1 || v > SEARCH_LIMIT_MAX)
                return cmd_usage("search", "--limit: a number from 1 to %d", SEARCH_LIMIT_MAX);
            q.limit = (size_t)v;
            break;
        }
        case 'k': q.cursor = optarg; break;
        case 'j': json = 1; break;
        case 'h': usage_text(stdout); return CMD_OK;
        default: usage_text(stderr); return CMD_USAGE;
        }
    }
    if (optind < argc) return cmd_usage("search", "unexpected argument '%s'", argv[optind]);
    /* No purpose is not a usage error: the gate refuses it, and the refusal is logged. */
    store *st;
    if (cmd_open_store(data, &st)) return CMD_FAIL;
    access_user u;
    int rc = cmd_login("search", st, user, &u);
    if (rc) {
        store_close(st);
        return rc;
    }
    /* The index fills itself from the store on the first pattern or fuzzy lookup. */
    search_index *idx = search_index_new();
    access_request req = {.user = &u, .action = ACCESS_READS_SEARCH, .purpose = purpose,
                          .case_no = case_no, .client = "cli"};
    search_result res;
    rc = search_request(idx, st, &req, &q, &res, &err);
    if (rc == PK_OK) {
        if (json) {
            for (size_t i = 0; i < res.n; i++) {
                char *line = search_hit_json(&res.hits[i], q.fuzzy);
                printf("%s\n", line);
                free(line);
            }
            fprintf(stderr, "total=%lld next=%s\n", (long long)res.total, res.next);
        } else {
            print_table(&res, q.fuzzy);
        }
        search_result_fini(&res);
    }
    search_index_free(idx);
    store_close(st);
    if (rc == PK_EINVAL) {
        fprintf(stderr, "platekeeper search: %s\n", err.msg);
        return CMD_USAGE;
    }
    return rc ? cmd_fail("search", &err) : CMD_OK;
}

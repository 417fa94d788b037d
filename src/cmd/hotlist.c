/* platekeeper hotlist create|import|add|list|remove|expire: hotlists from the command line. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "hotlist/hotlist.h"
#include "search/search.h"

static const char usage[] =
    "usage: platekeeper hotlist SUBCOMMAND [--data DIR] --user NAME [--json] ...\n"
    "  create NAME [--source import|local] [--priority 0-9] [--alert-level high|medium|low|silent]\n"
    "              [--covert] [--expiry-days N] [--retention-days N] [--import-path FILE]\n"
    "              [--map COL=FIELD,...]\n"
    "  import LIST FILE [--map COL=FIELD,...] [--delimiter C] [--header yes|no] [--skip-bad]\n"
    "  add LIST PLATE [--state S|any] [--reason T] [--case C] [--expires DATE] [--make M]\n"
    "              [--model M] [--year Y] [--color C]     (PLATE may hold ? and *)\n"
    "  list [LIST] [--limit N]          lists, or the active entries of LIST (the first N)\n"
    "  remove ENTRY_ID [--reason T]\n"
    "  expire ENTRY_ID [--at DATE]      expire now, or set the expiry (later: administrators)\n"
    "  owner LIST USER [--remove]       add (or remove) an owner of a list\n"
    "  set LIST [--priority N] [--alert-level L] [--covert|--no-covert] [--expiry-days N]\n"
    "              [--retention-days N] [--import-path FILE] [--map M]   change a list's settings\n"
    "  (add --lookback-days N also lists the reads of the last N days that match the new entry:\n"
    "   a search for the purpose 'investigation' with the entry's --case)\n";

typedef struct hl_opts {
    const char *data, *user, *map, *source, *alert_level, *import_path, *state, *reason, *case_no,
        *expires, *make, *model, *year, *color, *header, *at;
    int json, covert, skip_bad, remove;
    int covert_set;
    long priority, expiry_days, retention_days, lookback_days, limit;
    char delimiter;
} hl_opts;

static int parse_long(const char *s, long lo, long hi, long *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static void print_json(json_t *v) {
    char *t = json_dumps(v, JSON_COMPACT);
    puts(t);
    free(t);
}

static int do_create(store *st, const access_user *u, const char *name, const hl_opts *o) {
    store_hotlist h;
    memset(&h, 0, sizeof h);
    if (strlen(name) >= sizeof h.name) return cmd_usage("hotlist", "name: too long");
    snprintf(h.name, sizeof h.name, "%s", name);
    snprintf(h.source, sizeof h.source, "%s", o->source ? o->source : "local");
    snprintf(h.alert_level, sizeof h.alert_level, "%s", o->alert_level ? o->alert_level : "high");
    h.priority = o->priority >= 0 ? (int)o->priority : 5;
    h.covert = o->covert;
    h.default_expiry_days = (int)o->expiry_days;
    h.hit_retention_days = (int)o->retention_days;
    if (o->import_path) snprintf(h.import_path, sizeof h.import_path, "%s", o->import_path);
    if (o->map) snprintf(h.import_map, sizeof h.import_map, "%s", o->map);
    pk_err err;
    pk_err_clear(&err);
    if (hotlist_create(st, &h, u, &err)) return cmd_fail("hotlist", &err);
    if (o->json) {
        json_t *j = hotlist_list_json(&h);
        print_json(j);
        json_decref(j);
    } else {
        printf("created hotlist %lld '%s'\n", (long long)h.id, h.name);
    }
    return CMD_OK;
}

static int do_import(store *st, const access_user *u, const char *list, const char *file,
                     const hl_opts *o) {
    store_hotlist h;
    pk_err err;
    pk_err_clear(&err);
    if (hotlist_lookup(st, list, &h, &err)) return cmd_fail("hotlist", &err);
    hotlist_import_opts io;
    hotlist_import_opts_init(&io);
    io.map = o->map ? o->map : (h.import_map[0] ? h.import_map : NULL);
    io.delimiter = o->delimiter;
    io.skip_bad = o->skip_bad;
    if (o->header) io.header = !strcmp(o->header, "yes");
    hotlist_import_report r;
    int rc = hotlist_import_file(st, h.id, file, &io, u, &r, &err);
    /* the bad lines, FILE:LINE: FIELD: reason, one per line */
    for (const char *p = r.errors; p && *p;) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(stderr, "%s:%.*s\n", file, n, p);
        p += n + (nl ? 1 : 0);
    }
    if (r.bad > HOTLIST_REPORT_MAX)
        fprintf(stderr, "%s: ... and %lld more bad lines\n", file,
                (long long)(r.bad - HOTLIST_REPORT_MAX));
    if (o->json) {
        json_t *j = json_pack("{sI ss sb sI sI sI sI sI}", "hotlist", (json_int_t)h.id, "file",
                              file, "refused", r.refused || rc, "lines", (json_int_t)r.lines,
                              "loaded", (json_int_t)r.loaded, "bad", (json_int_t)r.bad,
                              "replaced", (json_int_t)r.replaced, "latin1",
                              (json_int_t)r.latin1);
        print_json(j);
        json_decref(j);
    } else if (!rc) {
        printf("loaded=%lld bad=%lld replaced=%lld latin1=%lld\n", (long long)r.loaded,
               (long long)r.bad, (long long)r.replaced, (long long)r.latin1);
    }
    hotlist_import_report_fini(&r);
    if (rc) return cmd_fail("hotlist", &err);
    return CMD_OK;
}

/* The reads of the last N days that match a new entry, through the gate (the entry's case). */
static int lookback(store *st, const access_user *u, const store_hotlist_entry *e,
                    const hl_opts *o) {
    search_index *idx = search_index_new();
    pk_err err;
    pk_err_clear(&err);
    int rc = search_index_load(idx, st, &err);
    search_query q;
    search_query_init(&q);
    if (e->is_pattern) q.pattern = e->plate;
    else q.plate = e->plate;
    q.has_from = 1;
    q.from = pk_now_ms() - o->lookback_days * PK_MS_PER_DAY;
    q.limit = 100;
    access_request req = {.user = u, .action = ACCESS_READS_SEARCH, .purpose = "investigation",
                          .case_no = e->case_no[0] ? e->case_no : NULL, .client = "cli"};
    search_result res;
    memset(&res, 0, sizeof res);
    if (!rc) rc = search_request(idx, st, &req, &q, &res, &err);
    if (rc) {
        search_index_free(idx);
        fprintf(stderr, "platekeeper hotlist: the entry stands; its look-back search failed: %s\n",
                err.msg);
        return CMD_FAIL;
    }
    if (!o->json)
        printf("reads of the last %ld days matching it: %lld\n", o->lookback_days,
               (long long)res.total);
    for (size_t i = 0; i < res.n; i++) {
        char *t = search_hit_json(&res.hits[i], 0);
        puts(t);
        free(t);
    }
    search_result_fini(&res);
    search_index_free(idx);
    return CMD_OK;
}

static int do_set(store *st, const access_user *u, const char *list, const hl_opts *o) {
    store_hotlist h;
    pk_err err;
    pk_err_clear(&err);
    if (hotlist_lookup(st, list, &h, &err)) return cmd_fail("hotlist", &err);
    if (o->priority >= 0) h.priority = (int)o->priority;
    if (o->alert_level) snprintf(h.alert_level, sizeof h.alert_level, "%s", o->alert_level);
    if (o->covert_set) h.covert = o->covert;
    if (o->expiry_days) h.default_expiry_days = (int)o->expiry_days;
    if (o->retention_days) h.hit_retention_days = (int)o->retention_days;
    if (o->import_path) snprintf(h.import_path, sizeof h.import_path, "%s", o->import_path);
    if (o->map) snprintf(h.import_map, sizeof h.import_map, "%s", o->map);
    if (hotlist_update(st, &h, u, &err)) return cmd_fail("hotlist", &err);
    printf("updated hotlist %lld '%s'\n", (long long)h.id, h.name);
    return CMD_OK;
}

static int do_add(store *st, const access_user *u, const char *list, const char *plate,
                  const hl_opts *o) {
    store_hotlist h;
    pk_err err;
    pk_err_clear(&err);
    if (hotlist_lookup(st, list, &h, &err)) return cmd_fail("hotlist", &err);
    store_hotlist_entry e;
    memset(&e, 0, sizeof e);
    e.hotlist_id = h.id;
#define SET(field, val)                                                                       \
    do {                                                                                      \
        if ((val) && strlen(val) >= sizeof e.field)                                           \
            return cmd_usage("hotlist", "%s: longer than %zu bytes", #field, sizeof e.field - 1); \
        if (val) snprintf(e.field, sizeof e.field, "%s", (val));                              \
    } while (0)
    SET(plate, plate);
    SET(state, o->state);
    SET(reason, o->reason);
    SET(case_no, o->case_no);
    SET(make, o->make);
    SET(model, o->model);
    SET(year, o->year);
    SET(color, o->color);
#undef SET
    if (o->expires && pk_time_parse(o->expires, &e.expires, &err)) {
        pk_err_prefix(&err, "--expires: ");
        return cmd_fail("hotlist", &err);
    }
    if (hotlist_entry_add(st, &e, u, &err)) return cmd_fail("hotlist", &err);
    if (o->json) {
        json_t *j = hotlist_entry_json(&e);
        print_json(j);
        json_decref(j);
    } else {
        char exp[PK_TIME_STR_MAX];
        pk_time_format(e.expires, exp);
        printf("added entry %lld: %s %s on '%s', expires %s\n", (long long)e.id, e.plate,
               e.state[0] ? e.state : "any state", h.name, exp);
    }
    if (o->lookback_days > 0) return lookback(st, u, &e, o);
    return CMD_OK;
}

static int do_list(store *st, const char *list, const hl_opts *o) {
    pk_err err;
    pk_err_clear(&err);
    json_t *a;
    if (list) {
        store_hotlist h;
        if (hotlist_lookup(st, list, &h, &err)) return cmd_fail("hotlist", &err);
        a = hotlist_entries_json(st, h.id, pk_now_ms(), (int)o->limit, &err);
    } else {
        a = hotlist_lists_json(st, &err);
    }
    if (!a) return cmd_fail("hotlist", &err);
    size_t i;
    json_t *v;
    if (!o->json && list) printf("%-8s %-12s %-5s %-20s %-12s %s\n", "ID", "PLATE", "STATE",
                                 "EXPIRES", "CASE", "REASON");
    if (!o->json && !list) printf("%-6s %-24s %-7s %-4s %-7s %-6s %s\n", "ID", "NAME", "SOURCE",
                                  "PRIO", "LEVEL", "COVERT", "ENTRIES");
    json_array_foreach(a, i, v) {
        if (o->json) {
            print_json(v);
        } else if (list) {
            const char *state = json_string_value(json_object_get(v, "state"));
            const char *exp = json_string_value(json_object_get(v, "expires"));
            printf("%-8lld %-12s %-5s %-20.20s %-12s %s\n",
                   (long long)json_integer_value(json_object_get(v, "id")),
                   json_string_value(json_object_get(v, "plate")), state ? state : "any",
                   exp ? exp : "never", json_string_value(json_object_get(v, "case")),
                   json_string_value(json_object_get(v, "reason")));
        } else {
            printf("%-6lld %-24s %-7s %-4lld %-7s %-6s %lld\n",
                   (long long)json_integer_value(json_object_get(v, "id")),
                   json_string_value(json_object_get(v, "name")),
                   json_string_value(json_object_get(v, "source")),
                   (long long)json_integer_value(json_object_get(v, "priority")),
                   json_string_value(json_object_get(v, "alert_level")),
                   json_is_true(json_object_get(v, "covert")) ? "yes" : "no",
                   (long long)json_integer_value(json_object_get(v, "entries")));
        }
    }
    json_decref(a);
    return CMD_OK;
}

int cmd_hotlist(int argc, char **argv) {
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},        {"user", required_argument, NULL, 'u'},
        {"json", no_argument, NULL, 'j'},              {"map", required_argument, NULL, 'm'},
        {"delimiter", required_argument, NULL, 'D'},   {"header", required_argument, NULL, 'H'},
        {"skip-bad", no_argument, NULL, 'S'},          {"source", required_argument, NULL, 's'},
        {"priority", required_argument, NULL, 'p'},    {"alert-level", required_argument, NULL, 'L'},
        {"covert", no_argument, NULL, 'C'},            {"expiry-days", required_argument, NULL, 'E'},
        {"retention-days", required_argument, NULL, 'R'},
        {"import-path", required_argument, NULL, 'I'}, {"state", required_argument, NULL, 't'},
        {"reason", required_argument, NULL, 'r'},      {"case", required_argument, NULL, 'c'},
        {"expires", required_argument, NULL, 'x'},     {"make", required_argument, NULL, 'a'},
        {"model", required_argument, NULL, 'o'},       {"year", required_argument, NULL, 'y'},
        {"color", required_argument, NULL, 'l'},       {"at", required_argument, NULL, 'A'},
        {"remove", no_argument, NULL, 'X'},            {"help", no_argument, NULL, 'h'},
        {"no-covert", no_argument, NULL, 'K'},         {"limit", required_argument, NULL, 'N'},         {"lookback-days", required_argument, NULL, 'B'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CMD_USAGE : CMD_OK;
    }
    const char *sub = argv[1];
    hl_opts o = {.data = "data", .priority = -1};
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "d:u:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o.data = optarg; break;
        case 'u': o.user = optarg; break;
        case 'j': o.json = 1; break;
        case 'm': o.map = optarg; break;
        case 'D':
            if (!strcmp(optarg, "tab") || !strcmp(optarg, "\\t")) o.delimiter = '\t';
            else if (strlen(optarg) == 1 && strchr(",;|\t", optarg[0])) o.delimiter = optarg[0];
            else return cmd_usage("hotlist", "--delimiter: one of , ; | tab");
            break;
        case 'H':
            if (strcmp(optarg, "yes") && strcmp(optarg, "no"))
                return cmd_usage("hotlist", "--header: yes or no");
            o.header = optarg;
            break;
        case 'S': o.skip_bad = 1; break;
        case 's': o.source = optarg; break;
        case 'p':
            if (parse_long(optarg, 0, 9, &o.priority)) return cmd_usage("hotlist", "--priority: 0 to 9");
            break;
        case 'L': o.alert_level = optarg; break;
        case 'C': o.covert = 1, o.covert_set = 1; break;
        case 'K': o.covert = 0, o.covert_set = 1; break;
        case 'N':
            if (parse_long(optarg, 1, 100000000, &o.limit))
                return cmd_usage("hotlist", "--limit: a positive number");
            break;
        case 'B':
            if (parse_long(optarg, 1, 3650, &o.lookback_days))
                return cmd_usage("hotlist", "--lookback-days: 1 to 3650");
            break;
        case 'E':
            if (parse_long(optarg, 1, 3650, &o.expiry_days))
                return cmd_usage("hotlist", "--expiry-days: 1 to 3650");
            break;
        case 'R':
            if (parse_long(optarg, 1, 36500, &o.retention_days))
                return cmd_usage("hotlist", "--retention-days: 1 to 36500");
            break;
        case 'I': o.import_path = optarg; break;
        case 't': o.state = optarg; break;
        case 'r': o.reason = optarg; break;
        case 'c': o.case_no = optarg; break;
        case 'x': o.expires = optarg; break;
        case 'a': o.make = optarg; break;
        case 'o': o.model = optarg; break;
        case 'y': o.year = optarg; break;
        case 'l': o.color = optarg; break;
        case 'A': o.at = optarg; break;
        case 'X': o.remove = 1; break;
        case 'h': fputs(usage, stdout); return CMD_OK;
        default: fputs(usage, stderr); return CMD_USAGE;
        }
    }
    char **pos = argv + 1 + optind;
    int npos = argc - 1 - optind;
    struct { const char *name; int nargs, opt_last; } subs[] = {
        {"create", 1, 0}, {"import", 2, 0}, {"add", 2, 0}, {"list", 0, 1},
        {"remove", 1, 0}, {"expire", 1, 0}, {"owner", 2, 0}, {"set", 1, 0},
    };
    int known = -1;
    for (int i = 0; i < (int)(sizeof subs / sizeof subs[0]); i++)
        if (!strcmp(sub, subs[i].name)) known = i;
    if (known < 0) return cmd_usage("hotlist", "unknown subcommand '%s'", sub);
    if (npos != subs[known].nargs && !(subs[known].opt_last && npos == subs[known].nargs + 1))
        return cmd_usage("hotlist", "%s: wrong number of arguments", sub);

    store *st;
    if (cmd_open_store(o.data, &st)) return CMD_FAIL;
    access_user u;
    int rc = cmd_login("hotlist", st, o.user, &u);
    if (rc) {
        store_close(st);
        return rc;
    }
    pk_err err;
    pk_err_clear(&err);
    int64_t id = 0;
    if ((!strcmp(sub, "remove") || !strcmp(sub, "expire")) &&
        (strspn(pos[0], "0123456789") != strlen(pos[0]) || !(id = strtoll(pos[0], NULL, 10)))) {
        store_close(st);
        return cmd_usage("hotlist", "%s: ENTRY_ID must be a number", sub);
    }
    if (!strcmp(sub, "create")) {
        rc = do_create(st, &u, pos[0], &o);
    } else if (!strcmp(sub, "import")) {
        rc = do_import(st, &u, pos[0], pos[1], &o);
    } else if (!strcmp(sub, "add")) {
        rc = do_add(st, &u, pos[0], pos[1], &o);
    } else if (!strcmp(sub, "list")) {
        rc = (u.role == ACCESS_ROLE_ADMIN || u.role == ACCESS_ROLE_INVESTIGATOR)
                 ? do_list(st, npos ? pos[0] : NULL, &o)
                 : (fprintf(stderr, "platekeeper hotlist: only administrators and investigators "
                                    "see hotlists\n"),
                    CMD_FAIL);
    } else if (!strcmp(sub, "remove")) {
        rc = hotlist_entry_remove(st, id, &u, o.reason, &err) ? cmd_fail("hotlist", &err)
                                                              : (printf("removed entry %lld\n",
                                                                        (long long)id), CMD_OK);
    } else if (!strcmp(sub, "expire")) {
        int64_t at = 0;
        if (o.at && pk_time_parse(o.at, &at, &err)) {
            pk_err_prefix(&err, "--at: ");
            rc = cmd_fail("hotlist", &err);
        } else if (hotlist_entry_expire(st, id, at, &u, &err)) {
            rc = cmd_fail("hotlist", &err);
        } else {
            printf("entry %lld expires %s\n", (long long)id, o.at ? o.at : "now");
            rc = CMD_OK;
        }
    } else if (!strcmp(sub, "set")) {
        rc = do_set(st, &u, pos[0], &o);
    } else { /* owner */
        store_hotlist h;
        if (hotlist_lookup(st, pos[0], &h, &err) ||
            hotlist_owner_set(st, h.id, pos[1], !o.remove, &u, &err))
            rc = cmd_fail("hotlist", &err);
        else
            printf("%s %s as owner of '%s'\n", o.remove ? "removed" : "added", pos[1], h.name);
    }
    store_close(st);
    return rc;
}

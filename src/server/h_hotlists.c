/* Hotlists: GET/POST /api/v1/hotlists, POST /api/v1/hotlists/{id}/import,
 * GET/POST /api/v1/hotlists/{id}/entries, DELETE /api/v1/hotlists/{id}/entries/{eid}.
 * Every change goes through src/hotlist (validation, role rules, the access log) and then tells
 * the engine, which rebuilds the matcher in the background. */
#include "server/server_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hotlist/hotlist.h"

#define IMPORT_BODY_MAX ((size_t)64 << 20) /* an uploaded hotlist file */

static int lists_get(server_req *r) {
    static const char *const allowed[] = {NULL};
    if (server__query_only(r, allowed)) return 0;
    pk_err err;
    pk_err_clear(&err);
    json_t *a = hotlist_lists_json(r->st, &err);
    if (!a) return server__reply_pkerr(r, PK_EDB, &err);
    return server__reply_json(r, 200, json_pack("{so}", "hotlists", a));
}

static int lists_post(server_req *r) {
    static const server_field spec[] = {
        {"name", SF_STRING, 1, STORE_HL_NAME_MAX - 1},
        {"source", SF_STRING, 0, 15},
        {"priority", SF_INT, 0, 0},
        {"alert_level", SF_STRING, 0, 15},
        {"covert", SF_BOOL, 0, 0},
        {"default_expiry_days", SF_INT, 0, 0},
        {"hit_retention_days", SF_INT, 0, 0},
        {"import_path", SF_STRING, 0, STORE_HL_TEXT_MAX - 1},
        {"import_map", SF_STRING, 0, STORE_HL_TEXT_MAX - 1},
        {0},
    };
    json_t *b;
    if (server__json_body(r, spec, &b)) return 0;
    store_hotlist h;
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "%s", json_string_value(json_object_get(b, "name")));
    const char *s = json_string_value(json_object_get(b, "source"));
    snprintf(h.source, sizeof h.source, "%s", s ? s : "local");
    s = json_string_value(json_object_get(b, "alert_level"));
    snprintf(h.alert_level, sizeof h.alert_level, "%s", s ? s : "high");
    json_t *v;
    h.priority = (v = json_object_get(b, "priority")) ? (int)json_integer_value(v) : 5;
    if (v && (json_integer_value(v) < 0 || json_integer_value(v) > 9)) h.priority = -1;
    h.covert = json_is_true(json_object_get(b, "covert"));
    if ((v = json_object_get(b, "default_expiry_days")))
        h.default_expiry_days = json_integer_value(v) > 0 && json_integer_value(v) < 100000
                                    ? (int)json_integer_value(v) : -1;
    if ((v = json_object_get(b, "hit_retention_days")))
        h.hit_retention_days = json_integer_value(v) > 0 && json_integer_value(v) < 100000
                                   ? (int)json_integer_value(v) : -1;
    if ((s = json_string_value(json_object_get(b, "import_path"))))
        snprintf(h.import_path, sizeof h.import_path, "%s", s);
    if ((s = json_string_value(json_object_get(b, "import_map"))))
        snprintf(h.import_map, sizeof h.import_map, "%s", s);
    json_decref(b);
    pk_err err;
    pk_err_clear(&err);
    int rc = hotlist_create(r->st, &h, &r->user, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    hotlist_engine_changed(r->srv->hot);
    return server__reply_json(r, 201, hotlist_list_json(&h));
}

static int list_param(server_req *r, store_hotlist *h) {
    int64_t id;
    if (server__param_id(r, "id", &id)) return -1;
    pk_err err;
    pk_err_clear(&err);
    int rc = store_hotlist_get(r->st, id, h, &err);
    if (rc) {
        server__reply_pkerr(r, rc, &err);
        return -1;
    }
    return 0;
}

static json_t *error_lines(const char *text) {
    json_t *a = json_array();
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        json_array_append_new(a, json_stringn(p, n));
        p += n + (nl ? 1 : 0);
    }
    return a;
}

/* The request body is the file (any text content type); options are query parameters. */
static int list_import(server_req *r) {
    static const char *const allowed[] = {"map", "skip_bad", "delimiter", "header", NULL};
    if (server__query_only(r, allowed)) return 0;
    store_hotlist h;
    if (list_param(r, &h)) return 0;
    hotlist_import_opts o;
    hotlist_import_opts_init(&o);
    o.map = server__query(r, "map");
    const char *v = server__query(r, "skip_bad");
    o.skip_bad = v && (!strcmp(v, "1") || !strcmp(v, "true"));
    if ((v = server__query(r, "delimiter"))) {
        if (!strcmp(v, "comma")) o.delimiter = ',';
        else if (!strcmp(v, "semicolon")) o.delimiter = ';';
        else if (!strcmp(v, "tab")) o.delimiter = '\t';
        else if (!strcmp(v, "pipe")) o.delimiter = '|';
        else return server__reply_error(r, 400, "invalid", "delimiter: comma, semicolon, tab or pipe");
    }
    if ((v = server__query(r, "header"))) {
        if (strcmp(v, "yes") && strcmp(v, "no"))
            return server__reply_error(r, 400, "invalid", "header: yes or no");
        o.header = !strcmp(v, "yes");
    }
    if (!r->body_len) return server__reply_error(r, 400, "invalid", "body: the file is empty");
    char path[4200];
    /* mkstemp replaces the template's last six characters with a unique suffix */
    int n = snprintf(path, sizeof path, "%s/.hotlist-upload-%6s", r->srv->data_dir, "");
    if (n < 6 || (size_t)n >= sizeof path)
        return server__reply_error(r, 500, "io_error", "data directory path too long");
    memset(path + n - 6, 'X', 6);
    int fd = mkstemp(path);
    if (fd < 0) return server__reply_error(r, 500, "io_error", "cannot store the upload");
    size_t off = 0;
    while (off < r->body_len) {
        ssize_t w = write(fd, r->body + off, r->body_len - off);
        if (w <= 0 && errno != EINTR) break;
        if (w > 0) off += (size_t)w;
    }
    close(fd);
    if (off < r->body_len) {
        unlink(path);
        return server__reply_error(r, 500, "io_error", "cannot store the upload");
    }
    hotlist_import_report rep;
    pk_err err;
    pk_err_clear(&err);
    int rc = hotlist_import_file(r->st, h.id, path, &o, &r->user, &rep, &err);
    unlink(path);
    json_t *ans = json_pack("{sI sI sI sI sI so}", "lines", (json_int_t)rep.lines, "loaded",
                            (json_int_t)rep.loaded, "bad", (json_int_t)rep.bad, "replaced",
                            (json_int_t)rep.replaced, "latin1", (json_int_t)rep.latin1, "errors",
                            error_lines(rep.errors));
    hotlist_import_report_fini(&rep);
    if (rc) {
        json_object_set_new(ans, "error", json_string(pk_err_code_name(rc)));
        json_object_set_new(ans, "message", json_string(err.msg));
        return server__reply_json(r, rc == PK_EINVAL || rc == PK_ELIMIT ? 422
                                                                        : server__status_for(rc),
                                  ans);
    }
    hotlist_engine_changed(r->srv->hot);
    return server__reply_json(r, 200, ans);
}

static int entries_get(server_req *r) {
    static const char *const allowed[] = {"limit", "all", NULL};
    if (server__query_only(r, allowed)) return 0;
    store_hotlist h;
    if (list_param(r, &h)) return 0;
    int64_t limit;
    if (server__query_i64(r, "limit", 1, 100000, 1000, &limit)) return 0;
    const char *all = server__query(r, "all");
    pk_err err;
    pk_err_clear(&err);
    json_t *a = hotlist_entries_json(r->st, h.id, all && !strcmp(all, "1") ? 0 : pk_now_ms(),
                                     (int)limit, &err);
    if (!a) return server__reply_pkerr(r, PK_EDB, &err);
    return server__reply_json(r, 200, json_pack("{so}", "entries", a));
}

/* With "lookback_days", the reads of that past window matching the new entry are listed: a
 * search through the gate for the "investigation" purpose and the entry's case. */
static json_t *lookback(server_req *r, const store_hotlist_entry *e, int64_t days, pk_err *err,
                        int *rc) {
    search_query q;
    search_query_init(&q);
    if (e->is_pattern) q.pattern = e->plate;
    else q.plate = e->plate;
    q.has_from = 1;
    q.from = pk_now_ms() - days * PK_MS_PER_DAY;
    q.limit = 100;
    access_request req = {.user = &r->user, .action = ACCESS_READS_SEARCH,
                          .purpose = "investigation", .case_no = e->case_no, .client = r->client};
    search_result res;
    memset(&res, 0, sizeof res);
    *rc = search_request(r->srv->index, r->st, &req, &q, &res, err);
    if (*rc) return NULL;
    json_t *reads = json_array();
    for (size_t i = 0; i < res.n; i++) {
        char *t = search_hit_json(&res.hits[i], 0);
        json_array_append_new(reads, json_loads(t, 0, NULL));
        free(t);
    }
    json_t *o = json_pack("{so sI}", "reads", reads, "total", (json_int_t)res.total);
    search_result_fini(&res);
    return o;
}

static int entries_post(server_req *r) {
    static const server_field spec[] = {
        {"plate", SF_STRING, 1, 39},        {"state", SF_STRING, 0, 3},
        {"reason", SF_STRING, 0, STORE_HL_TEXT_MAX - 1},
        {"case", SF_STRING, 0, 63},         {"expires", SF_STRING, 0, 40},
        {"make", SF_STRING, 0, 63},         {"model", SF_STRING, 0, 63},
        {"year", SF_STRING, 0, 7},          {"color", SF_STRING, 0, 31},
        {"plate_type", SF_STRING, 0, 15},   {"lookback_days", SF_INT, 0, 0},
        {0},
    };
    store_hotlist h;
    if (list_param(r, &h)) return 0;
    json_t *b;
    if (server__json_body(r, spec, &b)) return 0;
    store_hotlist_entry e;
    memset(&e, 0, sizeof e);
    e.hotlist_id = h.id;
#define GET(field, key)                                                                       \
    do {                                                                                      \
        const char *s_ = json_string_value(json_object_get(b, key));                          \
        if (s_) snprintf(e.field, sizeof e.field, "%s", s_);                                  \
    } while (0)
    GET(plate, "plate");
    GET(state, "state");
    GET(reason, "reason");
    GET(case_no, "case");
    GET(make, "make");
    GET(model, "model");
    GET(year, "year");
    GET(color, "color");
    GET(plate_type, "plate_type");
#undef GET
    pk_err err;
    pk_err_clear(&err);
    const char *exp = json_string_value(json_object_get(b, "expires"));
    if (exp && pk_time_parse(exp, &e.expires, &err)) {
        json_decref(b);
        return server__reply_error(r, 400, "invalid", "expires: %s", err.msg);
    }
    json_t *lb = json_object_get(b, "lookback_days");
    int64_t days = lb ? json_integer_value(lb) : 0;
    json_decref(b);
    if (days < 0 || days > 3650)
        return server__reply_error(r, 400, "invalid", "lookback_days: 0 to 3650");
    int rc = hotlist_entry_add(r->st, &e, &r->user, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    hotlist_engine_changed(r->srv->hot);
    json_t *ans = json_pack("{so}", "entry", hotlist_entry_json(&e));
    if (days > 0) {
        pk_err serr;
        pk_err_clear(&serr);
        int src = 0;
        json_t *m = lookback(r, &e, days, &serr, &src);
        if (m) {
            json_object_set_new(ans, "matching_reads", m);
        } else { /* the entry stands; say why the reads could not be listed */
            json_object_set_new(ans, "matching_reads",
                                json_pack("{ss ss}", "error", pk_err_code_name(src), "message",
                                          serr.msg));
        }
    }
    return server__reply_json(r, 201, ans);
}

static int entries_delete(server_req *r) {
    static const char *const allowed[] = {"reason", NULL};
    if (server__query_only(r, allowed)) return 0;
    store_hotlist h;
    if (list_param(r, &h)) return 0;
    int64_t eid;
    if (server__param_id(r, "eid", &eid)) return 0;
    store_hotlist_entry e;
    pk_err err;
    pk_err_clear(&err);
    int rc = store_hotlist_entry_get(r->st, eid, &e, &err);
    if (!rc && e.hotlist_id != h.id)
        rc = pk_err_set(&err, PK_ENOTFOUND, "no entry %lld on hotlist %lld", (long long)eid,
                        (long long)h.id);
    if (!rc) rc = hotlist_entry_remove(r->st, eid, &r->user, server__query(r, "reason"), &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    hotlist_engine_changed(r->srv->hot);
    return server__reply_json(r, 200, json_pack("{sI}", "removed", (json_int_t)eid));
}

const server_route server__hotlists_routes[] = {
    {"GET", "/api/v1/hotlists", SR_ADMIN | SR_INVESTIGATOR, lists_get, 0},
    {"POST", "/api/v1/hotlists", SR_ADMIN | SR_INVESTIGATOR, lists_post, 0},
    {"POST", "/api/v1/hotlists/{id}/import", SR_ADMIN | SR_INVESTIGATOR, list_import,
     IMPORT_BODY_MAX},
    {"GET", "/api/v1/hotlists/{id}/entries", SR_ADMIN | SR_INVESTIGATOR, entries_get, 0},
    {"POST", "/api/v1/hotlists/{id}/entries", SR_ADMIN | SR_INVESTIGATOR, entries_post, 0},
    {"DELETE", "/api/v1/hotlists/{id}/entries/{eid}", SR_ADMIN | SR_INVESTIGATOR,
     entries_delete, 0},
    {0},
};

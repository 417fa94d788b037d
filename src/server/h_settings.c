/* Settings (administrators): GET lists every setting with its value; PUT changes some.
 * Each module validates and logs its own settings (access_setting_set for access.* and
 * audit.*); a PUT is all-or-nothing: one bad key or value and nothing changes. Settings are
 * administrative work: no training or data access is needed. */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int settings_get(server_req *r) {
    static const char *const allowed[] = {NULL};
    if (server__query_only(r, allowed)) return 0;
    json_t *o = access_settings_json(r->st);
    if (!o) return server__reply_error(r, 500, "internal", "settings unavailable");
    /* the records setting */
    json_object_set_new(o, "retention_days", json_integer(records_retention_get(r->st)));

    return server__reply_json(r, 200, json_pack("{s:o}", "settings", o));
}

static int settings_put(server_req *r) {
    /* Any key may come; each value must be a string or a number (purposes: a JSON array, sent
     * as itself or as its text). Unknown keys are refused by the owning module. */
    const char *ct = server__header(r, "Content-Type");
    if (ct && strncasecmp(ct, "application/json", 16))
        return server__reply_error(r, 415, "unsupported_media_type",
                                   "Content-Type must be application/json");
    server_perr e;
    json_t *body;
    if (server__json_parse(r->body ? r->body : "", r->body_len, SERVER__MAX_DEPTH, &body, &e))
        return server__reply_error(r, 400, e.code, "%s", e.msg);
    if (json_object_size(body) == 0) {
        json_decref(body);
        return server__reply_error(r, 400, "missing_field", "no settings given");
    }
    pk_err err;
    pk_err_clear(&err);
    int rc = store_begin(r->st, &err);
    if (rc) {
        json_decref(body);
        return server__reply_pkerr(r, rc, &err);
    }
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        char *text = NULL;
        if (json_is_string(v)) text = pk_xstrdup(json_string_value(v));
        else if (json_is_integer(v) || json_is_array(v))
            text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        else {
            store_rollback(r->st);
            server__reply_error(r, 400, "wrong_type", "%.64s: must be a string, an integer or "
                                "(purposes) an array", key);
            json_decref(body);
            return 0;
        }
        if (!strcmp(key, "retention_days")) {
            /* records owns retention: the policy minimum, the admin check and the log entry */
            char *end;
            long long days = strtoll(text, &end, 10);
            records_actor a = server__records_actor(r);
            rc = end == text || *end
                     ? pk_err_set(&err, PK_EINVAL, "retention_days: expected a whole number of days")
                     : records_retention_set(r->st, &a, days, &err);
        } else {
            rc = access_setting_set(r->st, key, text, r->user.username, r->client, &err);
        }
        free(text);
        if (rc) {
            store_rollback(r->st);
            if (rc == PK_ENOTFOUND)
                server__reply_error(r, 400, "unknown_field", "%.64s: unknown setting", key);
            else
                server__reply_pkerr(r, rc, &err);
            json_decref(body);
            return 0;
        }
    }
    json_decref(body);
    rc = store_commit(r->st, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    server_publish(r->srv, "system", "{\"event\": \"settings\"}");
    return settings_get(r);
}

const server_route server__settings_routes[] = {
    {"GET", "/api/v1/settings", SR_ADMIN, settings_get, 0},
    {"PUT", "/api/v1/settings", SR_ADMIN, settings_put, 0},
    {0},
};

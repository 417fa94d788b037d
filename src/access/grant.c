/* Purposes, the settings of access and audit, and THE gate (access_grant_*). */
#include "access/access_int.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Policy 472.5: the authorized purposes. Settings, not code: access.purposes overrides these. */
static const char DEFAULT_PURPOSES[] =
    "[{\"code\":\"investigation\",\"label\":\"Criminal investigation\",\"needs_case\":true},"
    "{\"code\":\"alert-verification\",\"label\":\"Hotlist alert verification\","
    "\"needs_case\":false},"
    "{\"code\":\"missing-person\",\"label\":\"Missing or at-risk person\",\"needs_case\":false},"
    "{\"code\":\"civil-admin\",\"label\":\"Civil or administrative action\",\"needs_case\":true},"
    "{\"code\":\"audit\",\"label\":\"Audit of system use\",\"needs_case\":false}]";

#define MAX_PURPOSES 64

/* Parses and validates a purposes list. OUT: *out (caller frees), *n. */
static int purposes_parse(const char *text, access_purpose **out, size_t *n, pk_err *err) {
    *out = NULL;
    *n = 0;
    json_error_t je;
    json_t *a = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!a) return pk_err_set(err, PK_EINVAL, "purposes: not JSON (%s)", je.text);
    int rc = PK_OK;
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > MAX_PURPOSES) {
        rc = pk_err_set(err, PK_EINVAL, "purposes: must be an array of 1 to %d objects",
                        MAX_PURPOSES);
        goto done;
    }
    access_purpose *v = pk_xcalloc(json_array_size(a), sizeof *v);
    size_t i;
    json_t *o;
    json_array_foreach(a, i, o) {
        json_t *code = json_object_get(o, "code"), *label = json_object_get(o, "label"),
               *nc = json_object_get(o, "needs_case");
        if (!json_is_object(o) || json_object_size(o) != 3 || !json_is_string(code) ||
            !json_is_string(label) || !json_is_boolean(nc)) {
            rc = pk_err_set(err, PK_EINVAL,
                            "purposes[%zu]: must be {\"code\": text, \"label\": text, "
                            "\"needs_case\": true|false}",
                            i);
            break;
        }
        const char *c = json_string_value(code), *l = json_string_value(label);
        size_t cl = strlen(c), ll = strlen(l);
        int bad = cl == 0 || cl >= sizeof v[i].code;
        for (const char *p = c; *p; p++)
            bad |= !(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-');
        if (bad) {
            rc = pk_err_set(err, PK_EINVAL,
                            "purposes[%zu].code: 1 to 31 lower-case letters, digits or '-'", i);
            break;
        }
        if (ll == 0 || ll >= sizeof v[i].label) {
            rc = pk_err_set(err, PK_EINVAL, "purposes[%zu].label: 1 to 127 bytes", i);
            break;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(v[j].code, c)) {
                rc = pk_err_set(err, PK_EINVAL, "purposes[%zu].code: '%s' twice", i, c);
                break;
            }
        if (rc) break;
        snprintf(v[i].code, sizeof v[i].code, "%s", c);
        snprintf(v[i].label, sizeof v[i].label, "%s", l);
        v[i].needs_case = json_is_true(nc);
    }
    if (rc) {
        free(v);
    } else {
        *out = v;
        *n = json_array_size(a);
    }
done:
    json_decref(a);
    return rc;
}

int access_purposes_get(store *st, access_purpose **out, size_t *n, pk_err *err) {
    char *v = NULL;
    if (store_setting_get(st, ACCESS__PURPOSES, &v, NULL) != PK_OK) v = NULL;
    int rc = purposes_parse(v ? v : DEFAULT_PURPOSES, out, n, err);
    free(v);
    return rc;
}

/* ---- settings ---- */

typedef struct setting_def {
    const char *key;
    const char *dflt;
    long long min, max; /* integer range; min > max: not an integer setting */
} setting_def;

static const setting_def SETTINGS[] = {
    {ACCESS__REFRESHER_DAYS, "730", 1, 3650},
    {ACCESS__INACTIVITY_DAYS, "90", 1, 3650},
    {ACCESS__LOCKOUT_FAILURES, "5", 1, 100},
    {ACCESS__LOCKOUT_MINUTES, "10", 1, 1440},
    {ACCESS__SESSION_IDLE_MIN, "30", 1, 1440},
    {ACCESS__SESSION_MAX_HOURS, "12", 1, 168},
    {ACCESS__PURPOSES, DEFAULT_PURPOSES, 1, 0},
    {"audit.work_start", "07:00", 1, 0},
    {"audit.work_end", "19:00", 1, 0},
    {"audit.work_days", "1-5", 1, 0},
    {"audit.utc_offset_minutes", "-480", -840, 840},
    {"audit.log_retention_days", "1825", 365, 36500},
};
#define N_SETTINGS (sizeof SETTINGS / sizeof SETTINGS[0])

static int check_hhmm(const char *key, const char *v, pk_err *err) {
    int ok = strlen(v) == 5 && isdigit((unsigned char)v[0]) && isdigit((unsigned char)v[1]) &&
             v[2] == ':' && isdigit((unsigned char)v[3]) && isdigit((unsigned char)v[4]);
    if (ok) {
        int h = (v[0] - '0') * 10 + v[1] - '0', m = (v[3] - '0') * 10 + v[4] - '0';
        ok = m < 60 && (h < 24 || (h == 24 && m == 0));
    }
    return ok ? PK_OK : pk_err_set(err, PK_EINVAL, "%s: must be HH:MM (00:00 to 24:00)", key);
}

static int check_days(const char *key, const char *v, pk_err *err) {
    /* "1-5", "1,2,3", "1-3,6": ISO weekdays 1..7 */
    const char *p = v;
    if (!*p) return pk_err_set(err, PK_EINVAL, "%s: empty", key);
    while (*p) {
        if (*p < '1' || *p > '7') goto bad;
        p++;
        if (*p == '-') {
            if (p[1] < '1' || p[1] > '7' || p[1] < p[-1]) goto bad;
            p += 2;
        }
        if (*p == ',') {
            p++;
            if (!*p) goto bad;
        } else if (*p) {
            goto bad;
        }
    }
    return PK_OK;
bad:
    return pk_err_set(err, PK_EINVAL, "%s: ISO weekdays like 1-5 or 1,3,5 (Monday = 1)", key);
}

int access_setting_set(store *st, const char *key, const char *value, const char *by,
                       const char *client, pk_err *err) {
    const setting_def *d = NULL;
    for (size_t i = 0; i < N_SETTINGS && key; i++)
        if (!strcmp(SETTINGS[i].key, key)) d = &SETTINGS[i];
    if (!d) return pk_err_set(err, PK_ENOTFOUND, "setting: '%.64s' is not an access or audit setting", key ? key : "");
    if (!value) return pk_err_set(err, PK_EINVAL, "%s: missing value", key);
    if (!by || !*by) return pk_err_set(err, PK_EINVAL, "by: empty");
    int rc = PK_OK;
    if (d->min <= d->max) {
        char *end;
        long long n = strtoll(value, &end, 10);
        if (end == value || *end || n < d->min || n > d->max)
            return pk_err_set(err, PK_EINVAL, "%s: must be a whole number from %lld to %lld", key,
                              d->min, d->max);
    } else if (!strcmp(key, ACCESS__PURPOSES)) {
        access_purpose *p;
        size_t n;
        if ((rc = purposes_parse(value, &p, &n, err))) return rc;
        free(p);
    } else if (!strcmp(key, "audit.work_days")) {
        if ((rc = check_days(key, value, err))) return rc;
    } else if ((rc = check_hhmm(key, value, err))) {
        return rc;
    }
    if (!strcmp(key, "audit.log_retention_days")) {
        /* The log is kept at least as long as the reads it describes. */
        int64_t reads = store_setting_int(st, "retention_days", 365);
        if (strtoll(value, NULL, 10) < reads)
            return pk_err_set(err, PK_EINVAL,
                              "%s: must not be shorter than the reads' retention (%lld days)",
                              key, (long long)reads);
    }
    char *old = NULL;
    if (store_setting_get(st, key, &old, NULL) != PK_OK) old = NULL;
    if ((rc = store_begin(st, err))) {
        free(old);
        return rc;
    }
    rc = store_setting_set(st, key, value, err);
    if (!rc)
        rc = access__log(st, 0, by, NULL, "setting.change",
                         json_pack("{ssssss}", "key", key, "from", old ? old : d->dflt, "to",
                                   value),
                         NULL, NULL, -1, client, "ok", NULL, err);
    free(old);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st, err);
}

void *access_settings_json(store *st) {
    json_t *o = json_object();
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting_def *d = &SETTINGS[i];
        char *v = NULL;
        if (store_setting_get(st, d->key, &v, NULL) != PK_OK) v = NULL;
        const char *text = v ? v : d->dflt;
        json_t *j;
        if (d->min <= d->max)
            j = json_integer(strtoll(text, NULL, 10));
        else if (!strcmp(d->key, ACCESS__PURPOSES))
            j = json_loads(text, 0, NULL);
        else
            j = json_string(text);
        json_object_set_new(o, d->key, j ? j : json_string(text));
        free(v);
    }
    return o;
}

/* ---- the gate ---- */

struct access_grant {
    store *st;
    access_user user;
    access_action action;
    char purpose[32];
    char case_no[65];
    char client[64];
    pk_clock clock;
    int has_clock;
    int recorded;
};

const char *access_action_name(access_action a) {
    switch (a) {
    case ACCESS_READS_SEARCH: return "search";
    case ACCESS_READS_VIEW: return "read.view";
    case ACCESS_ALERTS_VIEW: return "alerts.view";
    case ACCESS_RECORDS_EXPORT: return "records.export";
    case ACCESS_RECORDS_SHARE: return "records.share";
    }
    return NULL;
}

int access_role_allows(access_role r, access_action a) {
    switch (a) {
    case ACCESS_READS_SEARCH: return r == ACCESS_ROLE_INVESTIGATOR || r == ACCESS_ROLE_ADMIN;
    case ACCESS_READS_VIEW:
    case ACCESS_ALERTS_VIEW:
        return r == ACCESS_ROLE_INVESTIGATOR || r == ACCESS_ROLE_ADMIN ||
               r == ACCESS_ROLE_OPERATOR;
    case ACCESS_RECORDS_EXPORT:
        return r == ACCESS_ROLE_INVESTIGATOR || r == ACCESS_ROLE_CUSTODIAN ||
               r == ACCESS_ROLE_ADMIN;
    case ACCESS_RECORDS_SHARE: return r == ACCESS_ROLE_CUSTODIAN || r == ACCESS_ROLE_ADMIN;
    }
    return 0;
}

static int case_ok(const char *c) {
    size_t n = strlen(c);
    if (n == 0 || n > 64) return 0;
    for (const unsigned char *p = (const unsigned char *)c; *p; p++)
        if (*p < 0x20 || *p >= 0x7f) return 0;
    return 1;
}

/* Decides; on refusal sets err and returns the code (no logging here). */
static int decide(store *st, const access_request *req, int64_t now, access_user *cur,
                  pk_err *err) {
    if (!access_action_name(req->action)) return pk_err_set(err, PK_EINVAL, "action: unknown");
    if (!req->user) return pk_err_set(err, PK_EAUTH, "not logged in");
    store_user row;
    if (store_user_get(st, req->user->id, &row, NULL) != PK_OK ||
        strcmp(row.username, req->user->username))
        return pk_err_set(err, PK_EAUTH, "unknown user");
    sodium_memzero(row.pw_hash, sizeof row.pw_hash);
    access__user_from_row(&row, cur);
    if (strcmp(row.status, "active"))
        return pk_err_set(err, PK_EDENIED, "account %s", row.status);
    if (!access_role_allows(cur->role, req->action))
        return pk_err_set(err, PK_EDENIED, "role %s may not %s", row.role,
                          access_action_name(req->action));
    int current;
    int64_t due;
    int rc = access_training_status(st, cur, req->clock, &current, &due, err);
    if (rc) return rc;
    if (!current)
        return pk_err_set(err, PK_ETRAINING,
                          due ? "training: refresher overdue; complete ALPR training first"
                              : "training: no ALPR training on record; complete it first");
    if (!req->purpose || !*req->purpose)
        return pk_err_set(err, PK_EPURPOSE, "purpose: required");
    access_purpose *ps;
    size_t n;
    if ((rc = access_purposes_get(st, &ps, &n, err))) return rc;
    const access_purpose *p = NULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ps[i].code, req->purpose)) p = &ps[i];
    if (!p) {
        char list[512] = "";
        for (size_t i = 0; i < n; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     ps[i].code);
        free(ps);
        return pk_err_set(err, PK_EPURPOSE, "purpose: '%.32s' is not one of %s", req->purpose,
                          list);
    }
    int needs_case = p->needs_case;
    free(ps);
    int has_case = req->case_no && *req->case_no;
    if (has_case && !case_ok(req->case_no))
        return pk_err_set(err, PK_ECASE, "case: 1 to 64 printable characters");
    if (needs_case && !has_case)
        return pk_err_set(err, PK_ECASE, "case: purpose '%s' needs a case or incident number",
                          req->purpose);
    (void)now;
    return PK_OK;
}

/* Copies at most 64 characters of s (NULL: empty), marking a cut with "...". */
static void bound(char *out, size_t n, const char *s) {
    if (!s) s = "";
    if (strlen(s) > 64) snprintf(out, n, "%.64s...", s);
    else snprintf(out, n, "%s", s);
}

int access_grant_open(store *st, const access_request *req, const char *query_json,
                      access_grant **out, pk_err *err) {
    *out = NULL;
    int rc = access__sodium(err);
    if (rc) return rc;
    int64_t now = pk_clock_now(req->clock);
    access_user cur;
    memset(&cur, 0, sizeof cur);
    pk_err why;
    pk_err_clear(&why);
    rc = decide(st, req, now, &cur, &why);
    if (rc) {
        /* Exactly one "refused" entry per refusal, with everything the caller asked. */
        const char *action = access_action_name(req->action);
        /* Whatever the caller sent, the log keeps at most 64 characters of purpose and case
         * (a refused 1 MiB case must not grow the log by as much). */
        char purpose[72], case_no[72];
        bound(purpose, sizeof purpose, req->purpose);
        bound(case_no, sizeof case_no, req->case_no);
        audit_entry e = {.ts = now,
                         .username = req->user ? req->user->username : "",
                         .agency = req->user ? req->user->agency : NULL,
                         .action = action ? action : "unknown",
                         .query = query_json,
                         .purpose = purpose[0] ? purpose : NULL,
                         .case_no = case_no[0] ? case_no : NULL,
                         .result_count = -1,
                         .client = req->client,
                         .outcome = "refused",
                         .detail = why.msg};
        int lrc = audit_append(st, &e, NULL, err);
        if (lrc) return lrc;
        if (err) *err = why;
        return rc;
    }
    access_grant *g = pk_xcalloc(1, sizeof *g);
    g->st = st;
    g->user = cur;
    g->action = req->action;
    snprintf(g->purpose, sizeof g->purpose, "%s", req->purpose);
    snprintf(g->case_no, sizeof g->case_no, "%s", req->case_no ? req->case_no : "");
    snprintf(g->client, sizeof g->client, "%s", req->client ? req->client : "");
    if (req->clock) {
        g->clock = *req->clock;
        g->has_clock = 1;
    }
    *out = g;
    return PK_OK;
}

int access_grant_record(access_grant *g, const char *query_json, int64_t result_count,
                        pk_err *err) {
    if (g->recorded) return pk_err_set(err, PK_ECONFLICT, "grant: already recorded");
    if (result_count < 0) return pk_err_set(err, PK_EINVAL, "result_count: negative");
    audit_entry e = {.ts = pk_clock_now(g->has_clock ? &g->clock : NULL),
                     .username = g->user.username,
                     .agency = g->user.agency,
                     .action = access_action_name(g->action),
                     .query = query_json,
                     .purpose = g->purpose,
                     .case_no = g->case_no[0] ? g->case_no : NULL,
                     .result_count = result_count,
                     .client = g->client[0] ? g->client : NULL,
                     .outcome = "ok"};
    int rc = audit_append(g->st, &e, NULL, err);
    if (!rc) g->recorded = 1;
    return rc;
}

int access_grant_refuse(access_grant *g, const char *query_json, const char *reason,
                        pk_err *err) {
    if (g->recorded) return pk_err_set(err, PK_ECONFLICT, "grant: already recorded");
    audit_entry e = {.ts = pk_clock_now(g->has_clock ? &g->clock : NULL),
                     .username = g->user.username,
                     .agency = g->user.agency,
                     .action = access_action_name(g->action),
                     .query = query_json,
                     .purpose = g->purpose,
                     .case_no = g->case_no[0] ? g->case_no : NULL,
                     .result_count = -1,
                     .client = g->client[0] ? g->client : NULL,
                     .outcome = "refused",
                     .detail = reason};
    int rc = audit_append(g->st, &e, NULL, err);
    if (rc) return rc;
    g->recorded = 1; /* a refused grant hands out nothing more */
    return pk_err_set(err, PK_EDENIED, "%s", reason);
}

store *access_grant_store(const access_grant *g) {
    return g->st;
}
const access_user *access_grant_user(const access_grant *g) {
    return &g->user;
}
const char *access_grant_purpose(const access_grant *g) {
    return g->purpose;
}
const char *access_grant_case(const access_grant *g) {
    return g->case_no[0] ? g->case_no : NULL;
}

void access_grant_free(access_grant *g) {
    free(g);
}

/* The access log: hash-chained appends, verification, reading, reviews. */
#include "audit/audit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pktime.h"

static const char ZERO_HASH[] = "0000000000000000000000000000000000000000000000000000000000000000";

static int copy_hash(void *ctx, const store_audit_row *r);

static void feed_str(crypto_hash_sha256_state *h, const char *name, const char *v) {
    char buf[96];
    int n = v ? snprintf(buf, sizeof buf, "%s=%zu:", name, strlen(v))
              : snprintf(buf, sizeof buf, "%s=-", name);
    crypto_hash_sha256_update(h, (const unsigned char *)buf, (unsigned long long)n);
    if (v) crypto_hash_sha256_update(h, (const unsigned char *)v, strlen(v));
    crypto_hash_sha256_update(h, (const unsigned char *)"\n", 1);
}

static void feed_int(crypto_hash_sha256_state *h, const char *name, int64_t v) {
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)v);
    feed_str(h, name, num);
}

/* hash = SHA-256(prev_hash hex || canonical form of r). OUT: out (STORE_HASH_HEX bytes). */
static void entry_hash(const store_audit_row *r, const char *prev, char *out) {
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const unsigned char *)prev, strlen(prev));
    static const char version[] = "\npk-audit-v1\n";
    crypto_hash_sha256_update(&h, (const unsigned char *)version, sizeof version - 1);
    feed_int(&h, "id", r->id);
    feed_int(&h, "ts", r->ts);
    feed_str(&h, "username", r->username);
    feed_str(&h, "agency", r->agency);
    feed_str(&h, "action", r->action);
    feed_str(&h, "query", r->query);
    feed_str(&h, "purpose", r->purpose);
    feed_str(&h, "case", r->case_no);
    feed_int(&h, "result_count", r->result_count);
    feed_str(&h, "client", r->client);
    feed_str(&h, "outcome", r->outcome);
    feed_str(&h, "detail", r->detail);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, digest);
    sodium_bin2hex(out, STORE_HASH_HEX, digest, sizeof digest);
}

int audit_append(store *st, const audit_entry *e, int64_t *id, pk_err *err) {
    if (!e->action || !*e->action) return pk_err_set(err, PK_EINVAL, "action: empty");
    if (!e->outcome || !*e->outcome) return pk_err_set(err, PK_EINVAL, "outcome: empty");
    if (sodium_init() < 0) return pk_err_set(err, PK_EIO, "libsodium failed to start");
    /* BEGIN IMMEDIATE (or the caller's transaction) holds the write lock from reading the last
     * hash to inserting the next entry, so concurrent appenders cannot fork the chain. */
    int rc = store_begin(st, err);
    if (rc) return rc;
    char prev[STORE_HASH_HEX];
    int64_t last = 0;
    rc = store_audit_last(st, &last, prev, err);
    if (!rc) {
        store_audit_row r = {
            .id = last + 1,
            .ts = e->ts ? e->ts : pk_now_ms(),
            .username = e->username ? e->username : "",
            .agency = e->agency,
            .action = e->action,
            .query = e->query,
            .purpose = e->purpose,
            .case_no = e->case_no,
            .result_count = e->result_count,
            .client = e->client,
            .outcome = e->outcome,
            .detail = e->detail,
            .prev_hash = last ? prev : ZERO_HASH,
        };
        char hash[STORE_HASH_HEX];
        entry_hash(&r, r.prev_hash, hash);
        r.hash = hash;
        rc = store_audit_insert(st, &r, err);
        if (!rc && id) *id = r.id;
    }
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st, err);
}

typedef struct verify_ctx {
    audit_verify_result *res;
    int64_t prev_id;                 /* id of the entry before; base first_id - 1 at the start */
    char prev_hash[STORE_HASH_HEX];  /* its hash; the base's prev_hash (or zeros) at the start */
    int started;
    json_t *last_purge;              /* query of the newest "log.purge" entry, or NULL */
} verify_ctx;

static int verify_one(void *vctx, const store_audit_row *r) {
    verify_ctx *c = vctx;
    audit_verify_result *res = c->res;
    res->checked++;
    const char *why = NULL;
    char computed[STORE_HASH_HEX];
    if (r->id != c->prev_id + 1) {
        why = c->started ? "does not follow the previous entry's id: entries are missing or "
                           "were inserted"
                         : "is not the first id the log should start at: entries at the start "
                           "are missing or were inserted";
    } else if (!r->prev_hash || strcmp(r->prev_hash, c->prev_hash)) {
        why = "its previous-hash link does not match the entry before it (deleted, inserted "
              "or reordered entries)";
    } else {
        entry_hash(r, r->prev_hash, computed);
        if (!r->hash || strcmp(r->hash, computed))
            why = "its content does not match its hash (the entry was changed)";
    }
    if (why) {
        res->intact = 0;
        res->first_bad = r->id;
        snprintf(res->reason, sizeof res->reason, "entry %lld %s", (long long)r->id, why);
        return 1;
    }
    c->prev_id = r->id;
    c->started = 1;
    snprintf(c->prev_hash, sizeof c->prev_hash, "%s", r->hash);
    if (r->action && !strcmp(r->action, "log.purge") && r->query) {
        json_decref(c->last_purge);
        c->last_purge = json_loads(r->query, 0, NULL);
    }
    return 0;
}

int audit_verify(store *st, audit_verify_result *res, pk_err *err) {
    memset(res, 0, sizeof *res);
    res->intact = 1;
    if (sodium_init() < 0) return pk_err_set(err, PK_EIO, "libsodium failed to start");
    /* Read the sequence first: the walk's snapshot is newer, so it must reach at least that id
     * unless the newest entries were deleted. */
    int64_t seq = store_audit_seq(st);
    verify_ctx c = {.res = res};
    int64_t base_id = 1;
    char base_hash[STORE_HASH_HEX];
    int rc = store_audit_base_get(st, &base_id, base_hash, NULL);
    int has_base = rc == PK_OK;
    if (!has_base) {
        base_id = 1;
        snprintf(base_hash, sizeof base_hash, "%s", ZERO_HASH);
    }
    c.prev_id = base_id - 1;
    snprintf(c.prev_hash, sizeof c.prev_hash, "%s", base_hash);
    audit_filter f;
    audit_filter_init(&f);
    rc = store_audit_each(st, &f, verify_one, &c, err);
    if (rc < 0) {
        json_decref(c.last_purge);
        return rc;
    }
    /* A base must be the one the newest purge wrote into the chain. */
    if (res->intact && has_base) {
        json_t *fid = c.last_purge ? json_object_get(c.last_purge, "first_id") : NULL;
        json_t *ph = c.last_purge ? json_object_get(c.last_purge, "prev_hash") : NULL;
        if (!json_is_integer(fid) || json_integer_value(fid) != base_id || !json_is_string(ph) ||
            strcmp(json_string_value(ph), base_hash)) {
            res->intact = 0;
            res->first_bad = base_id;
            snprintf(res->reason, sizeof res->reason,
                     "the log's start (entry %lld) does not match any recorded purge",
                     (long long)base_id);
        }
    }
    json_decref(c.last_purge);
    if (res->intact && seq > c.prev_id) {
        res->intact = 0;
        res->first_bad = c.prev_id + 1;
        snprintf(res->reason, sizeof res->reason,
                 "entries %lld to %lld are missing (the newest entries were deleted)",
                 (long long)c.prev_id + 1, (long long)seq);
    }
    return PK_OK;
}

int audit_purge(store *st, int64_t now, const char *by, int64_t *purged, pk_err *err) {
    if (purged) *purged = 0;
    if (!by || !*by) return pk_err_set(err, PK_EINVAL, "by: empty");
    if (!now) now = pk_now_ms();
    int64_t days = store_setting_int(st, "audit.log_retention_days", 1825);
    int64_t reads = store_setting_int(st, "retention_days", 365);
    if (days < 365) days = 365;
    if (days < reads) days = reads; /* never shorter than the reads' retention */
    int64_t cutoff = now - days * PK_MS_PER_DAY;
    int rc = store_begin(st, err);
    if (rc) return rc;
    int64_t upto = 0, n = 0, first = 1;
    char prev[STORE_HASH_HEX], ignored[STORE_HASH_HEX];
    if (store_audit_base_get(st, &first, ignored, NULL) != PK_OK) first = 1;
    rc = store_audit_purge_point(st, cutoff, &upto, err);
    if (!rc && upto >= first) {
        rc = store_audit_get(st, upto, copy_hash, prev, err);
        if (!rc) rc = store_audit_base_set(st, upto + 1, prev, now, by, err);
        if (!rc) rc = store_audit_delete_upto(st, upto, &n, err);
        if (!rc) {
            char cut[PK_TIME_STR_MAX];
            pk_time_format(cutoff, cut);
            json_t *q = json_pack("{sIsssssI}", "first_id", (json_int_t)(upto + 1), "prev_hash",
                                  prev, "before", cut, "deleted", (json_int_t)n);
            char *qs = json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS);
            json_decref(q);
            audit_entry e = {.ts = now, .username = by, .action = "log.purge", .query = qs,
                             .result_count = -1, .outcome = "ok"};
            rc = audit_append(st, &e, NULL, err);
            free(qs);
        }
    }
    if (rc) {
        store_rollback(st);
        return rc;
    }
    if ((rc = store_commit(st, err))) return rc;
    if (purged) *purged = n;
    return PK_OK;
}

int audit_head(store *st, int64_t *id, char *hash, pk_err *err) {
    return store_audit_last(st, id, hash, err);
}

static int copy_hash(void *ctx, const store_audit_row *r) {
    snprintf(ctx, STORE_HASH_HEX, "%s", r->hash ? r->hash : "");
    return 0;
}

int audit_verify_head(store *st, int64_t id, const char *hash, pk_err *err) {
    char got[STORE_HASH_HEX] = "";
    int rc = store_audit_get(st, id, copy_hash, got, err);
    if (rc == PK_ENOTFOUND)
        return pk_err_set(err, PK_ECORRUPT, "entry %lld of the anchor is gone", (long long)id);
    if (rc) return rc;
    if (strcmp(got, hash))
        return pk_err_set(err, PK_ECORRUPT, "entry %lld no longer carries the anchored hash",
                          (long long)id);
    return PK_OK;
}

void audit_filter_init(audit_filter *f) {
    store_audit_filter_init(f);
}

int audit_log_each(store *st, const audit_filter *f,
                   int (*fn)(void *ctx, const audit_record *r), void *ctx, pk_err *err) {
    return store_audit_each(st, f, fn, ctx, err);
}

static json_t *str_or_null(const char *s) {
    return s ? json_string(s) : json_null();
}

json_t *audit_record_json(const audit_record *r) {
    char ts[PK_TIME_STR_MAX] = "";
    /* a tampered row may carry any number: only years 0..9999 are formatted */
    if (r->ts >= -INT64_C(62167219200000) && r->ts <= INT64_C(253402300799999))
        pk_time_format(r->ts, ts);
    json_t *q = NULL;
    if (r->query) {
        q = json_loads(r->query, JSON_DECODE_ANY, NULL);
        if (!q) q = json_string(r->query);
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "username", str_or_null(r->username));
    json_object_set_new(o, "agency", str_or_null(r->agency));
    json_object_set_new(o, "action", str_or_null(r->action));
    json_object_set_new(o, "query", q ? q : json_null());
    json_object_set_new(o, "purpose", str_or_null(r->purpose));
    json_object_set_new(o, "case", str_or_null(r->case_no));
    json_object_set_new(o, "result_count",
                        r->result_count >= 0 ? json_integer(r->result_count) : json_null());
    json_object_set_new(o, "client", str_or_null(r->client));
    json_object_set_new(o, "outcome", str_or_null(r->outcome));
    json_object_set_new(o, "detail", str_or_null(r->detail));
    json_object_set_new(o, "hash", str_or_null(r->hash));
    return o;
}

static int found(void *ctx, const store_audit_row *r) {
    (void)r;
    *(int *)ctx = 1;
    return 0;
}

int audit_review_add(store *st, int64_t entry_id, const char *reviewer, const char *finding,
                     const char *approved_by, const char *client, int64_t now, int64_t *id,
                     pk_err *err) {
    if (!reviewer || !*reviewer) return pk_err_set(err, PK_EINVAL, "reviewer: empty");
    if (!finding || !*finding) return pk_err_set(err, PK_EINVAL, "finding: empty");
    if (strlen(finding) > 4000) return pk_err_set(err, PK_EINVAL, "finding: over 4000 bytes");
    if (!approved_by || !*approved_by) return pk_err_set(err, PK_EINVAL, "approved_by: empty");
    if (!strcmp(reviewer, approved_by))
        return pk_err_set(err, PK_EINVAL, "approved_by: must be someone other than the reviewer");
    int have = 0;
    int rc = store_audit_get(st, entry_id, found, &have, err);
    if (rc) return rc;
    if (!now) now = pk_now_ms();
    if ((rc = store_begin(st, err))) return rc;
    store_review rv = {.entry_id = entry_id,
                       .reviewer = reviewer,
                       .finding = finding,
                       .approved_by = approved_by,
                       .reviewed_at = now};
    int64_t rid = 0;
    rc = store_review_add(st, &rv, &rid, err);
    if (!rc) {
        json_t *q = json_pack("{sIssss}", "entry", (json_int_t)entry_id, "finding", finding,
                              "approved_by", approved_by);
        char *qs = json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(q);
        audit_entry e = {.ts = now,
                         .username = reviewer,
                         .action = "audit.review",
                         .query = qs,
                         .result_count = -1,
                         .client = client,
                         .outcome = "ok"};
        rc = audit_append(st, &e, NULL, err);
        free(qs);
    }
    if (rc) {
        store_rollback(st);
        return rc;
    }
    if ((rc = store_commit(st, err))) return rc;
    if (id) *id = rid;
    return PK_OK;
}

/* The retention purge in SQLite: batches, the image sweep, the purge log (store_records.h). */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One batch: due reads after the cursor in (ts, id) order, which the reads_ts index (ts, rowid)
 * serves without sorting; each with whether an approved hold covers it and whether it has
 * alerts. The hold check sits in the same statement as the batch so it sees the holds as of
 * this transaction. */
#define BATCH_HEAD                                                                                 \
    "SELECT r.id, r.ts, r.plate_image, r.scene_image,"                                             \
    " EXISTS (SELECT 1 FROM hold_items hi JOIN holds h ON h.id = hi.hold_id"                       \
    "         WHERE hi.read_id = r.id AND h.status = 'approved'),"
#define BATCH_TAIL                                                                                 \
    " FROM reads r WHERE r.ts < ?1 AND r.ts >= ?2 AND (r.ts > ?2 OR r.id > ?3)"                    \
    " ORDER BY r.ts, r.id LIMIT ?4"
static const char SQL_BATCH[] = BATCH_HEAD " 0" BATCH_TAIL;
static const char SQL_BATCH_HITS[] =
    BATCH_HEAD " EXISTS (SELECT 1 FROM alerts a WHERE a.read_id = r.id)" BATCH_TAIL;
static const char SQL_HAS_ALERTS[] =
    "SELECT 1 FROM pragma_table_info('alerts') WHERE name = 'read_id'";
static const char SQL_DEL_ALERTS[] = "DELETE FROM alerts WHERE read_id = ?";
static const char SQL_DEL_READ[] = "DELETE FROM reads WHERE id = ?";
static const char SQL_QUEUE_ADD[] = "INSERT INTO purge_image_queue(sha) VALUES (?)";
static const char SQL_QUEUE_ALL[] = "SELECT id, sha FROM purge_image_queue ORDER BY id";
static const char SQL_QUEUE_DROP[] = "DELETE FROM purge_image_queue WHERE id <= ?";
static const char SQL_MAX_ID[] = "SELECT coalesce(max(id), 0) FROM reads";
static const char SQL_IMAGE_REFS[] =
    "SELECT plate_image, scene_image FROM reads WHERE id > ?1 AND id <= ?2";
static const char SQL_SHARED_ALL[] = "SELECT sha FROM image_shared";
static const char SQL_SHARED_DEL[] = "DELETE FROM image_shared WHERE sha = ?";

void store_purge_init(store_purge_state *ps, int64_t cutoff, int64_t hit_cutoff, int dry_run) {
    memset(ps, 0, sizeof *ps);
    ps->cutoff = cutoff;
    ps->hit_cutoff = hit_cutoff;
    ps->dry_run = dry_run;
    ps->after_ts = INT64_MIN;
}

/* Whether the hotlist schema (alerts.read_id) is present in this database. */
static int have_alerts(store *st) {
    sqlite3_stmt *s = store__stmt(st, SQL_HAS_ALERTS, NULL);
    if (!s) return 0;
    int yes = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    return yes;
}

static int exec_id(store *st, const char *sql, int64_t id, const char *what, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, sql, err);
    if (!s) return PK_EDB;
    sqlite3_bind_int64(s, 1, id);
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    return r == SQLITE_DONE ? PK_OK : store__dberr(st, err, what);
}

static int exec_sha(store *st, const char *sql, const char *sha, const char *what, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, sql, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, sha, -1, SQLITE_TRANSIENT);
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    return r == SQLITE_DONE ? PK_OK : store__dberr(st, err, what);
}

static int queue_image(store *st, const char *sha, pk_err *err) {
    if (!sha || !*sha) return PK_OK;
    return exec_sha(st, SQL_QUEUE_ADD, sha, "purge_image_queue", err);
}

typedef struct due_row {
    int64_t id, ts;
    int delete_it, hit;
    char plate_image[STORE_SHA_HEX + 1], scene_image[STORE_SHA_HEX + 1];
} due_row;

int store_purge_batch(store *st, store_purge_state *ps, int limit, pk_err *err) {
    if (ps->done) return PK_OK;
    if (limit < 1) limit = 1;
    int started = 0, rc = PK_OK;
    if (!ps->dry_run && (rc = store__autotx_begin(st, &started, err))) return rc;
    int hits = have_alerts(st);
    /* Hit reads may have a later or earlier cutoff than the rest: scan up to the later one and
     * decide per row. */
    int64_t scan_to = ps->cutoff > ps->hit_cutoff || !hits ? ps->cutoff : ps->hit_cutoff;
    sqlite3_stmt *s = store__stmt(st, hits ? SQL_BATCH_HITS : SQL_BATCH, err);
    if (!s) return store__autotx_end(st, started, PK_EDB, err);
    sqlite3_bind_int64(s, 1, scan_to);
    sqlite3_bind_int64(s, 2, ps->after_ts);
    sqlite3_bind_int64(s, 3, ps->after_id);
    sqlite3_bind_int(s, 4, limit);
    due_row *rows = pk_xmalloc(sizeof *rows * (size_t)limit);
    int n = 0, x;
    while ((x = sqlite3_step(s)) == SQLITE_ROW) {
        due_row *d = &rows[n++];
        d->id = sqlite3_column_int64(s, 0);
        d->ts = sqlite3_column_int64(s, 1);
        store__col_text(s, 2, d->plate_image, sizeof d->plate_image);
        store__col_text(s, 3, d->scene_image, sizeof d->scene_image);
        int held = sqlite3_column_int(s, 4);
        int hit = sqlite3_column_int(s, 5);
        d->delete_it = 0;
        d->hit = hit;
        if (held)
            ps->held_kept++;
        else if (hit ? d->ts >= ps->hit_cutoff : d->ts >= ps->cutoff)
            ps->hits_kept += hit; /* a non-hit here is within retention (hit cutoff later) */
        else
            d->delete_it = 1;
    }
    sqlite3_reset(s);
    if (x != SQLITE_DONE) rc = store__dberr(st, err, "purge batch");
    for (int i = 0; i < n && !rc; i++) {
        if (!rows[i].delete_it) continue;
        ps->reads_deleted++;
        ps->image_refs += (rows[i].plate_image[0] != 0) + (rows[i].scene_image[0] != 0);
        if (ps->dry_run) continue;
        /* alerts of a read past its hit cutoff go with it (none exist for the others: the
         * batch query saw that in this transaction) */
        if (rows[i].hit) rc = exec_id(st, SQL_DEL_ALERTS, rows[i].id, "purge alerts", err);
        if (!rc) rc = exec_id(st, SQL_DEL_READ, rows[i].id, "purge reads", err);
        if (!rc) rc = queue_image(st, rows[i].plate_image, err);
        if (!rc) rc = queue_image(st, rows[i].scene_image, err);
    }
    if (!rc) {
        if (n > 0) {
            ps->after_ts = rows[n - 1].ts;
            ps->after_id = rows[n - 1].id;
        }
        if (n < limit) ps->done = 1;
    }
    free(rows);
    return ps->dry_run ? rc : store__autotx_end(st, started, rc, err);
}

/* ---- the image sweep ---- */

/* An open-addressing set of SHA-256 values (binary), with a "still referenced" mark. */
typedef struct sha_slot {
    unsigned char key[32];
    unsigned char used, marked;
    unsigned char
        shared; /* listed in image_shared: SHARED_BEFORE the scan, SHARED_LOCKED under the lock */
} sha_slot;

enum { SHARED_BEFORE = 1, SHARED_LOCKED = 2 };

typedef struct sha_set {
    sha_slot *slots;
    size_t cap, n;
} sha_set;

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes exactly 64 hex digits; 0 for anything else (which is never a path we build). */
static int sha_decode(const char *hex, unsigned char out[32]) {
    if (!hex || strlen(hex) != 64) return 0;
    for (int i = 0; i < 32; i++) {
        int a = hexval(hex[2 * i]), b = hexval(hex[2 * i + 1]);
        if (a < 0 || b < 0) return 0;
        out[i] = (unsigned char)(a << 4 | b);
    }
    return 1;
}

static sha_slot *sha_find(sha_set *set, const unsigned char key[32], int insert) {
    uint64_t h;
    memcpy(&h, key, sizeof h); /* the key is a cryptographic hash: its bytes are uniform */
    size_t i = (size_t)h & (set->cap - 1);
    for (;;) {
        sha_slot *sl = &set->slots[i];
        if (!sl->used) {
            if (!insert) return NULL;
            sl->used = 1;
            memcpy(sl->key, key, 32);
            set->n++;
            return sl;
        }
        if (!memcmp(sl->key, key, 32)) return sl;
        i = (i + 1) & (set->cap - 1);
    }
}

static void sha_grow(sha_set *set) {
    sha_set bigger = {pk_xcalloc(set->cap * 2, sizeof *set->slots), set->cap * 2, 0};
    for (size_t i = 0; i < set->cap; i++)
        if (set->slots[i].used)
            sha_find(&bigger, set->slots[i].key, 1)->marked = set->slots[i].marked;
    free(set->slots);
    *set = bigger;
}

/* Marks text's hash when queued. Hot: runs for both image columns of every remaining read, so
 * only the first 8 bytes are decoded to find the slot; the rest only on a prefix match. */
static void sha_mark(sha_set *set, const unsigned char *text) {
    if (!text) return;
    unsigned char pre[8];
    for (int i = 0; i < 8; i++) {
        int a = hexval(text[2 * i]), b = a < 0 ? -1 : hexval(text[2 * i + 1]);
        if (b < 0) return; /* also stops at a NUL: never reads past a short string */
        pre[i] = (unsigned char)(a << 4 | b);
    }
    uint64_t h;
    memcpy(&h, pre, sizeof h);
    for (size_t i = (size_t)h & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
        sha_slot *sl = &set->slots[i];
        if (!sl->used) return;
        if (memcmp(sl->key, pre, 8)) continue;
        unsigned char k[32];
        if (sha_decode((const char *)text, k) && !memcmp(sl->key, k, 32)) {
            sl->marked = 1;
            return;
        }
    }
}

/* Marks the queued hashes that reads with lo < id <= hi reference. */
static int mark_referenced(store *st, sha_set *set, int64_t lo, int64_t hi, pk_err *err) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, SQL_IMAGE_REFS, -1, &s, NULL) != SQLITE_OK)
        return store__dberr(st, err, "image references");
    sqlite3_bind_int64(s, 1, lo);
    sqlite3_bind_int64(s, 2, hi);
    int x;
    while ((x = sqlite3_step(s)) == SQLITE_ROW) {
        sha_mark(set, sqlite3_column_text(s, 0));
        sha_mark(set, sqlite3_column_text(s, 1));
    }
    int rc = x == SQLITE_DONE ? PK_OK : store__dberr(st, err, "image references");
    sqlite3_finalize(s);
    return rc;
}

/* Sets bit in the shared mark of the queued hashes that image_shared lists (a short table: only
 * images more than one reference was made to). OUT: *n, how many queued hashes it lists. */
static int flag_shared(store *st, sha_set *set, unsigned char bit, size_t *n, pk_err *err) {
    *n = 0;
    sqlite3_stmt *s = store__stmt(st, SQL_SHARED_ALL, err);
    if (!s) return PK_EDB;
    int x;
    while ((x = sqlite3_step(s)) == SQLITE_ROW) {
        unsigned char k[32];
        sha_slot *sl;
        if (!sha_decode((const char *)sqlite3_column_text(s, 0), k) || !(sl = sha_find(set, k, 0)))
            continue;
        sl->shared |= bit;
        (*n)++;
    }
    sqlite3_reset(s);
    return x == SQLITE_DONE ? PK_OK : store__dberr(st, err, "image_shared");
}

static int64_t max_read_id(store *st) {
    sqlite3_stmt *s = store__stmt(st, SQL_MAX_ID, NULL);
    if (!s) return INT64_MAX; /* unknown: treat every read as "new", checked under the lock */
    int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : INT64_MAX;
    sqlite3_reset(s);
    return v;
}

int store_purge_image_sweep(store *st, const char *images_dir, int64_t *deleted, int64_t *kept,
                            pk_err *err) {
    *deleted = *kept = 0;
    /* Load the queue: the set (duplicates fold), and the highest queue id seen, up to which the
     * queue is cleared at the end (rows a concurrent purge appends later stay). */
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, SQL_QUEUE_ALL, -1, &s, NULL) != SQLITE_OK)
        return store__dberr(st, err, "purge_image_queue");
    sha_set set = {0};
    set.cap = 1024;
    set.slots = pk_xcalloc(set.cap, sizeof *set.slots);
    int64_t top = 0;
    int x;
    while ((x = sqlite3_step(s)) == SQLITE_ROW) {
        top = sqlite3_column_int64(s, 0);
        unsigned char k[32];
        if (!sha_decode((const char *)sqlite3_column_text(s, 1), k)) continue;
        if (set.n * 2 >= set.cap) sha_grow(&set);
        sha_find(&set, k, 1);
    }
    sqlite3_finalize(s);
    if (x != SQLITE_DONE) {
        free(set.slots);
        return store__dberr(st, err, "purge_image_queue");
    }
    if (top == 0) {
        free(set.slots);
        return PK_OK;
    }

    /* A queued hash that image_shared does not list had one reference only, the purged read's
     * (store_image_put lists a hash when it finds its file present, in the transaction of the
     * read that makes the second reference): only the listed ones need the reads scanned for
     * references left. The long scan runs without the write lock, so ingest goes on meanwhile;
     * reads added after it started (higher ids: rowids only grow past the maximum) are checked
     * under the lock, for every queued hash. */
    int64_t hi = max_read_id(st);
    size_t n_shared = 0, n_locked = 0;
    int rc = hi == INT64_MAX ? PK_OK : flag_shared(st, &set, SHARED_BEFORE, &n_shared, err);
    if (!rc && n_shared > 0) rc = mark_referenced(st, &set, 0, hi, err);
    int started = 0;
    if (!rc) rc = store__autotx_begin(st, &started, err);
    if (!rc) rc = mark_referenced(st, &set, hi == INT64_MAX ? 0 : hi, INT64_MAX, err);
    if (!rc) rc = flag_shared(st, &set, SHARED_LOCKED, &n_locked, err);
    if (!rc) {
        sqlite3_stmt *d = store__stmt(st, SQL_QUEUE_DROP, err);
        if (!d) {
            rc = PK_EDB;
        } else {
            sqlite3_bind_int64(d, 1, top);
            if (sqlite3_step(d) != SQLITE_DONE) rc = store__dberr(st, err, "purge_image_queue");
            sqlite3_reset(d);
        }
    }
    for (size_t i = 0; i < set.cap && !rc; i++) {
        sha_slot *sl = &set.slots[i];
        if (!sl->used) continue;
        if (sl->marked) {
            (*kept)++;
            continue;
        }
        char hex[STORE_SHA_HEX + 1], path[4200];
        static const char digits[] = "0123456789abcdef";
        for (int j = 0; j < 32; j++) {
            hex[2 * j] = digits[sl->key[j] >> 4];
            hex[2 * j + 1] = digits[sl->key[j] & 15];
        }
        hex[64] = '\0';
        /* Listed only since the long scan (hi unknown, or a second reference came meanwhile,
         * which the scan under the lock would have found): not decided now, the next sweep
         * looks again. */
        if (sl->shared == SHARED_LOCKED && hi != INT64_MAX) {
            (*kept)++;
            rc = queue_image(st, hex, err);
            continue;
        }
        snprintf(path, sizeof path, "%s/%.2s/%.2s/%s.jpg", images_dir, hex, hex + 2, hex);
        if (unlink(path) == 0) {
            (*deleted)++;
        } else if (errno != ENOENT) {
            rc = queue_image(st, hex, err); /* could not remove it: the next sweep tries again */
            continue;
        }
        if (sl->shared) rc = exec_sha(st, SQL_SHARED_DEL, hex, "image_shared", err);
    }
    rc = store__autotx_end(st, started, rc, err);
    free(set.slots);
    return rc;
}

int store_purge_relax_sync(store *st, int on, pk_err *err) {
    const char *sql = on ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL";
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return store__dberr(st, err, "synchronous");
    return PK_OK;
}

/* ---- the purge log ---- */

static const char SQL_LOG_ADD[] =
    "INSERT INTO purge_log(started_at, finished_at, cutoff, hit_cutoff, reads_deleted,"
    " images_deleted, held_kept, hits_kept, duration_ms, dry_run, run_by)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?)";
#define LOG_COLS                                                                                   \
    "id, started_at, finished_at, cutoff, hit_cutoff, reads_deleted, images_deleted,"              \
    " held_kept, hits_kept, duration_ms, dry_run, run_by"
static const char SQL_LOG_LAST[] =
    "SELECT " LOG_COLS " FROM purge_log WHERE dry_run = 0 ORDER BY id DESC LIMIT 1";
static const char SQL_LOG_ALL[] = "SELECT " LOG_COLS " FROM purge_log ORDER BY id DESC";

int store_purge_log_add(store *st, const store_purge_entry *e, int64_t *id, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_LOG_ADD, err);
    if (!s) return PK_EDB;
    const int64_t v[] = {e->started_at,    e->finished_at,    e->cutoff,    e->hit_cutoff,
                         e->reads_deleted, e->images_deleted, e->held_kept, e->hits_kept,
                         e->duration_ms,   e->dry_run};
    for (int i = 0; i < 10; i++) sqlite3_bind_int64(s, i + 1, v[i]);
    sqlite3_bind_text(s, 11, e->run_by, -1, SQLITE_STATIC);
    int x = sqlite3_step(s);
    sqlite3_reset(s);
    if (x != SQLITE_DONE) return store__dberr(st, err, "purge_log");
    if (id) *id = sqlite3_last_insert_rowid(st->db);
    return PK_OK;
}

static void row_to_log(sqlite3_stmt *s, store_purge_entry *e) {
    memset(e, 0, sizeof *e);
    e->id = sqlite3_column_int64(s, 0);
    e->started_at = sqlite3_column_int64(s, 1);
    e->finished_at = sqlite3_column_int64(s, 2);
    e->cutoff = sqlite3_column_int64(s, 3);
    e->hit_cutoff = sqlite3_column_int64(s, 4);
    e->reads_deleted = sqlite3_column_int64(s, 5);
    e->images_deleted = sqlite3_column_int64(s, 6);
    e->held_kept = sqlite3_column_int64(s, 7);
    e->hits_kept = sqlite3_column_int64(s, 8);
    e->duration_ms = sqlite3_column_int64(s, 9);
    e->dry_run = sqlite3_column_int(s, 10);
    store__col_text(s, 11, e->run_by, sizeof e->run_by);
}

int store_purge_log_last(store *st, store_purge_entry *e, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_LOG_LAST, err);
    if (!s) return PK_EDB;
    int x = sqlite3_step(s);
    if (x == SQLITE_ROW) row_to_log(s, e);
    sqlite3_reset(s);
    if (x == SQLITE_ROW) return PK_OK;
    if (x == SQLITE_DONE) return pk_err_set(err, PK_ENOTFOUND, "no purge has run yet");
    return store__dberr(st, err, "purge_log");
}

int store_purge_log_each(store *st, int (*fn)(void *ctx, const store_purge_entry *e), void *ctx,
                         pk_err *err) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, SQL_LOG_ALL, -1, &s, NULL) != SQLITE_OK)
        return store__dberr(st, err, "purge_log");
    int x, rc = 0;
    store_purge_entry e;
    while ((x = sqlite3_step(s)) == SQLITE_ROW) {
        row_to_log(s, &e);
        if ((rc = fn(ctx, &e))) break;
    }
    if (!rc && x != SQLITE_DONE) rc = store__dberr(st, err, "purge_log");
    sqlite3_finalize(s);
    return rc;
}

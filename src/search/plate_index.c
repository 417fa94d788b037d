/* The in-memory plate dictionary and its indexes (layout in search_int.h). */
#include "search/search_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/plate.h"

#define CHUNK_CAP 16384u
#define CHUNK_WORDS (CHUNK_CAP / 64u)
#define NCHARS 36

/* Up to CHUNK_CAP plates of one length. pos[i][c] has bit k set when plate k of the chunk has
 * character code c + 1 at position i; any[c] when it has it anywhere. NULL means all zeros. */
typedef struct chunk {
    uint32_t n;
    uint32_t gi[CHUNK_CAP];
    uint64_t *pos[PK_PLATE_MAX][NCHARS];
    uint64_t *any[NCHARS];
} chunk;

typedef struct bucket {
    chunk **chunks;
    size_t n, cap;
} bucket;

struct search_index {
    pthread_rwlock_t lock;
    /* plates by global index */
    int64_t *ids;
    uint64_t *keys;
    uint32_t *canon_next; /* next gi + 1 with the same canonical form, 0 = end */
    uint32_t n, cap;
    /* exact hash: slot holds gi + 1, 0 = empty */
    uint32_t *ht;
    size_t ht_cap;
    /* canonical hash: key and first gi + 1 */
    uint64_t *ch_key;
    uint32_t *ch_head;
    size_t ch_n, ch_cap;
    bucket buckets[PK_PLATE_MAX + 1];
    int64_t synced_max; /* highest plates.id seen by load or sync */
};

static int char_code(char c) {
    if (c >= '0' && c <= '9') return c - '0' + 1;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 11;
    return 0;
}

static char code_char(int code) {
    return (char)(code <= 10 ? '0' + code - 1 : 'A' + code - 11);
}

/* Packs a plate (n <= 10 valid characters) into 6 bits per character. */
static uint64_t pack(const char *s, size_t n) {
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++) k |= (uint64_t)char_code(s[i]) << (6 * i);
    return k;
}

/* Unpacks into out (PK_PLATE_MAX + 1 bytes); returns the length. */
static size_t unpack(uint64_t k, char *out) {
    size_t n = 0;
    while (k) {
        out[n++] = code_char((int)(k & 63));
        k >>= 6;
    }
    out[n] = '\0';
    return n;
}

static uint64_t mix(uint64_t x) {
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

search_index *search_index_new(void) {
    search_index *idx = pk_xcalloc(1, sizeof *idx);
    /* Ingest adds plates continuously while searches read: prefer the writer so that a steady
     * stream of searches cannot starve it (each writer critical section is microseconds). */
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&idx->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    idx->ht_cap = 1024;
    idx->ht = pk_xcalloc(idx->ht_cap, sizeof *idx->ht);
    idx->ch_cap = 1024;
    idx->ch_key = pk_xcalloc(idx->ch_cap, sizeof *idx->ch_key);
    idx->ch_head = pk_xcalloc(idx->ch_cap, sizeof *idx->ch_head);
    return idx;
}

static void chunk_free(chunk *c) {
    for (int i = 0; i < PK_PLATE_MAX; i++)
        for (int j = 0; j < NCHARS; j++) free(c->pos[i][j]);
    for (int j = 0; j < NCHARS; j++) free(c->any[j]);
    free(c);
}

void search_index_free(search_index *idx) {
    if (!idx) return;
    for (int l = 0; l <= PK_PLATE_MAX; l++) {
        for (size_t i = 0; i < idx->buckets[l].n; i++) chunk_free(idx->buckets[l].chunks[i]);
        free(idx->buckets[l].chunks);
    }
    free(idx->ids);
    free(idx->keys);
    free(idx->canon_next);
    free(idx->ht);
    free(idx->ch_key);
    free(idx->ch_head);
    pthread_rwlock_destroy(&idx->lock);
    free(idx);
}

/* Exact hash slot for key: the slot holding it, or the empty slot where it would go. */
static size_t ht_slot(const search_index *idx, uint64_t key) {
    size_t mask = idx->ht_cap - 1, i = mix(key) & mask;
    while (idx->ht[i] && idx->keys[idx->ht[i] - 1] != key) i = (i + 1) & mask;
    return i;
}

static void ht_resize(search_index *idx, size_t cap) {
    uint32_t *old = idx->ht;
    size_t old_cap = idx->ht_cap;
    idx->ht_cap = cap;
    idx->ht = pk_xcalloc(idx->ht_cap, sizeof *idx->ht);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i]) idx->ht[ht_slot(idx, idx->keys[old[i] - 1])] = old[i];
    free(old);
}

static size_t ch_slot(const search_index *idx, uint64_t key) {
    size_t mask = idx->ch_cap - 1, i = mix(key) & mask;
    while (idx->ch_head[i] && idx->ch_key[i] != key) i = (i + 1) & mask;
    return i;
}

static void ch_resize(search_index *idx, size_t cap) {
    uint64_t *ok = idx->ch_key;
    uint32_t *oh = idx->ch_head;
    size_t old_cap = idx->ch_cap;
    idx->ch_cap = cap;
    idx->ch_key = pk_xcalloc(idx->ch_cap, sizeof *idx->ch_key);
    idx->ch_head = pk_xcalloc(idx->ch_cap, sizeof *idx->ch_head);
    for (size_t i = 0; i < old_cap; i++) {
        if (!oh[i]) continue;
        size_t s = ch_slot(idx, ok[i]);
        idx->ch_key[s] = ok[i];
        idx->ch_head[s] = oh[i];
    }
    free(ok);
    free(oh);
}

static void set_bit(uint64_t **bm, uint32_t k) {
    if (!*bm) *bm = pk_xcalloc(CHUNK_WORDS, sizeof(uint64_t));
    (*bm)[k >> 6] |= UINT64_C(1) << (k & 63);
}

/* Adds a plate; the caller holds the write lock and has checked text. */
static void add_locked(search_index *idx, int64_t id, const char *text, size_t n) {
    uint64_t key = pack(text, n);
    size_t slot = ht_slot(idx, key);
    if (idx->ht[slot]) return;
    if (idx->n == idx->cap) {
        idx->cap = idx->cap ? idx->cap * 2 : 1024;
        idx->ids = pk_xrealloc(idx->ids, idx->cap * sizeof *idx->ids);
        idx->keys = pk_xrealloc(idx->keys, idx->cap * sizeof *idx->keys);
        idx->canon_next = pk_xrealloc(idx->canon_next, idx->cap * sizeof *idx->canon_next);
    }
    uint32_t gi = idx->n++;
    idx->ids[gi] = id;
    idx->keys[gi] = key;
    idx->ht[slot] = gi + 1;
    if ((size_t)idx->n * 2 > idx->ht_cap) ht_resize(idx, idx->ht_cap * 2);

    char canon[PK_PLATE_MAX + 1];
    pk_plate_canon(text, n, canon);
    uint64_t ck = pack(canon, n);
    size_t cs = ch_slot(idx, ck);
    if (idx->ch_head[cs]) {
        idx->canon_next[gi] = idx->ch_head[cs];
    } else {
        idx->canon_next[gi] = 0;
        idx->ch_key[cs] = ck;
        idx->ch_n++;
    }
    idx->ch_head[cs] = gi + 1;
    if (idx->ch_n * 2 > idx->ch_cap) ch_resize(idx, idx->ch_cap * 2);

    bucket *b = &idx->buckets[n];
    if (b->n == 0 || b->chunks[b->n - 1]->n == CHUNK_CAP) {
        if (b->n == b->cap) {
            b->cap = b->cap ? b->cap * 2 : 8;
            b->chunks = pk_xrealloc(b->chunks, b->cap * sizeof *b->chunks);
        }
        b->chunks[b->n++] = pk_xcalloc(1, sizeof(chunk));
    }
    chunk *c = b->chunks[b->n - 1];
    uint32_t k = c->n++;
    c->gi[k] = gi;
    for (size_t i = 0; i < n; i++) {
        int cc = char_code(text[i]) - 1;
        set_bit(&c->pos[i][cc], k);
        set_bit(&c->any[cc], k);
    }
}

int search_index_add(search_index *idx, int64_t plate_id, const char *text) {
    if (!text || !pk_plate_valid(text)) return PK_EINVAL;
    pthread_rwlock_wrlock(&idx->lock);
    add_locked(idx, plate_id, text, strlen(text));
    pthread_rwlock_unlock(&idx->lock);
    return PK_OK;
}

void search_index_add_reads(search_index *idx, const store_read *reads, size_t n) {
    pthread_rwlock_wrlock(&idx->lock);
    for (size_t i = 0; i < n; i++)
        if (reads[i].plate_id > 0 && pk_plate_valid(reads[i].plate))
            add_locked(idx, reads[i].plate_id, reads[i].plate, strlen(reads[i].plate));
    pthread_rwlock_unlock(&idx->lock);
}

/* Plates read from the store, added under one write lock. */
typedef struct pending {
    int64_t *ids;
    char (*texts)[PK_PLATE_MAX + 1];
    size_t n, cap;
} pending;

static int pending_add(void *ctx, int64_t id, const char *text) {
    pending *p = ctx;
    if (!text || !pk_plate_valid(text)) return 0; /* the store only holds valid plates */
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 256;
        p->ids = pk_xrealloc(p->ids, p->cap * sizeof *p->ids);
        p->texts = pk_xrealloc(p->texts, p->cap * sizeof *p->texts);
    }
    p->ids[p->n] = id;
    memcpy(p->texts[p->n], text, strlen(text) + 1);
    p->n++;
    return 0;
}

static void pending_apply(search_index *idx, pending *p) {
    pthread_rwlock_wrlock(&idx->lock);
    /* Size both hashes for the whole batch at once (a start-up load of millions of plates would
     * otherwise rehash a dozen times). Upper bounds: every pending plate may be new. */
    size_t want = 1024;
    while (want < ((size_t)idx->n + p->n) * 2) want *= 2;
    if (want > idx->ht_cap) ht_resize(idx, want);
    want = 1024;
    while (want < (idx->ch_n + p->n) * 2) want *= 2;
    if (want > idx->ch_cap) ch_resize(idx, want);
    for (size_t i = 0; i < p->n; i++) {
        add_locked(idx, p->ids[i], p->texts[i], strlen(p->texts[i]));
        if (p->ids[i] > idx->synced_max) idx->synced_max = p->ids[i];
    }
    pthread_rwlock_unlock(&idx->lock);
    free(p->ids);
    free(p->texts);
}

int search_index_load(search_index *idx, store *st, pk_err *err) {
    pending p = {0};
    int rc = store_plates_each(st, pending_add, &p, err);
    if (rc) {
        free(p.ids);
        free(p.texts);
        return rc;
    }
    pending_apply(idx, &p);
    return PK_OK;
}

int search_index_sync(search_index *idx, store *st, pk_err *err) {
    pthread_rwlock_rdlock(&idx->lock);
    int64_t after = idx->synced_max;
    pthread_rwlock_unlock(&idx->lock);
    pending p = {0};
    int rc = store_plates_after(st, after, pending_add, &p, err);
    if (rc || p.n == 0) {
        free(p.ids);
        free(p.texts);
        return rc;
    }
    pending_apply(idx, &p);
    return PK_OK;
}

size_t search__index_bytes(search_index *idx) {
    pthread_rwlock_rdlock(&idx->lock);
    size_t b = sizeof *idx + (size_t)idx->cap * (sizeof *idx->ids + sizeof *idx->keys +
                                                 sizeof *idx->canon_next);
    b += idx->ht_cap * sizeof *idx->ht + idx->ch_cap * (sizeof *idx->ch_key + sizeof *idx->ch_head);
    for (int l = 0; l <= PK_PLATE_MAX; l++) {
        const bucket *bk = &idx->buckets[l];
        b += bk->cap * sizeof *bk->chunks;
        for (size_t i = 0; i < bk->n; i++) {
            const chunk *c = bk->chunks[i];
            b += sizeof *c;
            for (int p = 0; p < PK_PLATE_MAX; p++)
                for (int j = 0; j < NCHARS; j++) b += c->pos[p][j] ? CHUNK_WORDS * 8 : 0;
            for (int j = 0; j < NCHARS; j++) b += c->any[j] ? CHUNK_WORDS * 8 : 0;
        }
    }
    pthread_rwlock_unlock(&idx->lock);
    return b;
}

size_t search_index_size(search_index *idx) {
    pthread_rwlock_rdlock(&idx->lock);
    size_t n = idx->n;
    pthread_rwlock_unlock(&idx->lock);
    return n;
}

static void plates_push(search__plates *out, int64_t id, int closeness) {
    if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 64;
        out->items = pk_xrealloc(out->items, out->cap * sizeof *out->items);
    }
    out->items[out->n].id = id;
    out->items[out->n].closeness = closeness;
    out->n++;
}

/* ---- patterns ---- */

/* One constraint on plates of a given length: character code - 1 at a position. */
typedef struct constraint {
    int pos; /* -1: anywhere */
    int cc;
} constraint;

/* Constraints for plates of length len matching p: the characters before the first '*' sit at
 * fixed positions from the start, those after the last '*' at fixed positions from the end, and
 * literals between stars somewhere. They only narrow the candidates; pk_pattern_match decides. */
static size_t constraints_for(const pk_pattern *p, size_t len, constraint *out) {
    size_t n = 0;
    const char *t = p->text;
    size_t first_star = p->len, last_star = p->len;
    for (size_t i = 0; i < p->len; i++) {
        if (t[i] == '*') {
            if (first_star == p->len) first_star = i;
            last_star = i;
        }
    }
    for (size_t i = 0; i < first_star; i++)
        if (t[i] != '?') out[n++] = (constraint){(int)i, char_code(t[i]) - 1};
    if (first_star == p->len) return n;
    for (size_t i = last_star + 1, pos = len - (p->len - last_star - 1); i < p->len; i++, pos++)
        if (t[i] != '?') out[n++] = (constraint){(int)pos, char_code(t[i]) - 1};
    uint64_t seen = 0;
    for (size_t i = first_star + 1; i < last_star; i++) {
        if (t[i] == '?' || t[i] == '*') continue;
        int cc = char_code(t[i]) - 1;
        if (seen & (UINT64_C(1) << cc)) continue;
        seen |= UINT64_C(1) << cc;
        out[n++] = (constraint){-1, cc};
    }
    return n;
}

static int scan_chunk(const chunk *c, const constraint *cons, size_t ncons, const pk_pattern *p,
                      const search_index *idx, size_t max, search__plates *out) {
    uint64_t acc[CHUNK_WORDS];
    size_t words = (c->n + 63) / 64;
    if (ncons == 0) {
        for (size_t w = 0; w < words; w++) acc[w] = ~UINT64_C(0);
        if (c->n % 64) acc[words - 1] = (UINT64_C(1) << (c->n % 64)) - 1;
    } else {
        for (size_t k = 0; k < ncons; k++) {
            const uint64_t *bm = cons[k].pos < 0 ? c->any[cons[k].cc] : c->pos[cons[k].pos][cons[k].cc];
            if (!bm) return 0;
            if (k == 0) {
                memcpy(acc, bm, words * sizeof *acc);
            } else {
                uint64_t nz = 0;
                for (size_t w = 0; w < words; w++) nz |= (acc[w] &= bm[w]);
                if (!nz) return 0;
            }
        }
    }
    char text[PK_PLATE_MAX + 1];
    for (size_t w = 0; w < words; w++) {
        uint64_t bits = acc[w];
        while (bits) {
            uint32_t k = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
            bits &= bits - 1;
            uint32_t gi = c->gi[k];
            size_t n = unpack(idx->keys[gi], text);
            if (!pk_pattern_match(p, text, n)) continue;
            if (out->n >= max) return PK_ELIMIT;
            plates_push(out, idx->ids[gi], 0);
        }
    }
    return 0;
}

int search__index_pattern(search_index *idx, const pk_pattern *p, size_t max, search__plates *out,
                          pk_err *err) {
    size_t hi = p->has_star ? PK_PLATE_MAX : p->min_len;
    int rc = 0;
    pthread_rwlock_rdlock(&idx->lock);
    for (size_t len = p->min_len; len <= hi && !rc; len++) {
        constraint cons[PK_PATTERN_MAX];
        size_t ncons = constraints_for(p, len, cons);
        const bucket *b = &idx->buckets[len];
        for (size_t i = 0; i < b->n && !rc; i++) rc = scan_chunk(b->chunks[i], cons, ncons, p, idx, max, out);
    }
    pthread_rwlock_unlock(&idx->lock);
    if (rc == PK_ELIMIT)
        return pk_err_set(err, PK_ELIMIT,
                          "pattern: matches more than %zu plates; add characters to narrow it", max);
    return rc;
}

/* ---- misread tolerance ---- */

/* The characters a canonical plate may hold: digits and the letters that are their own class. */
static const char CANON_CHARS[] = "0123456789ACEFHJKMNPRUVWXY";

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void search__index_fuzzy(search_index *idx, const char *plate, search__plates *out) {
    size_t n = strlen(plate);
    char q[PK_PLATE_MAX + 1];
    pk_plate_canon(plate, n, q);
    /* Every canonical string within one edit of q: itself, substitutions, deletions,
     * insertions; sorted and deduplicated, then looked up in the canonical hash. */
    enum { NC = sizeof CANON_CHARS - 1 };
    uint64_t *keys = pk_xmalloc((1 + n * NC + n + (n + 1) * NC) * sizeof *keys);
    size_t nk = 0;
    char buf[PK_PLATE_MAX + 2];
    keys[nk++] = pack(q, n);
    for (size_t i = 0; i < n; i++) {
        memcpy(buf, q, n);
        for (size_t c = 0; c < NC; c++) {
            if (CANON_CHARS[c] == q[i]) continue;
            buf[i] = CANON_CHARS[c];
            keys[nk++] = pack(buf, n);
        }
    }
    if (n > 1) {
        for (size_t i = 0; i < n; i++) {
            memcpy(buf, q, i);
            memcpy(buf + i, q + i + 1, n - i - 1);
            keys[nk++] = pack(buf, n - 1);
        }
    }
    if (n < PK_PLATE_MAX) {
        for (size_t i = 0; i <= n; i++) {
            memcpy(buf, q, i);
            memcpy(buf + i + 1, q + i, n - i);
            for (size_t c = 0; c < NC; c++) {
                buf[i] = CANON_CHARS[c];
                keys[nk++] = pack(buf, n + 1);
            }
        }
    }
    qsort(keys, nk, sizeof *keys, cmp_u64);
    char text[PK_PLATE_MAX + 1];
    pthread_rwlock_rdlock(&idx->lock);
    for (size_t i = 0; i < nk; i++) {
        if (i && keys[i] == keys[i - 1]) continue;
        size_t s = ch_slot(idx, keys[i]);
        for (uint32_t g = idx->ch_head[s]; g; g = idx->canon_next[g - 1]) {
            size_t tn = unpack(idx->keys[g - 1], text);
            int cl = pk_plate_closeness(plate, n, text, tn);
            PK_ASSERT(cl >= 0);
            plates_push(out, idx->ids[g - 1], cl);
        }
    }
    pthread_rwlock_unlock(&idx->lock);
    free(keys);
}

/*
 * The matcher: an immutable snapshot of every active entry, built once per change of the lists
 * and shared by every ingest thread through a reference count.
 *
 * Exact and misread-tolerant entries live in one array; two open-addressing tables map a packed
 * plate key (and a packed canonical key) to the head of a chain of entries with that key, so a
 * read costs two probes whatever the list size. Patterns are bucketed by the first two
 * characters of their longest literal run (or its only character, or no literal at all): a
 * plate can only match a pattern whose literal occurs in it, so a read looks at the buckets of
 * its own bigrams and characters (at most 9 + 10 + 1) instead of every pattern.
 */
#include "hotlist/hotlist_int.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/pattern.h"
#include "core/plate.h"

#define NO_EXPIRY UINT32_MAX
#define N_BIGRAM (37 * 37)
#define N_BUCKETS (N_BIGRAM + 37 + 1) /* bigrams, single characters, no literal */

typedef struct mlist {
    int64_t id;
    int priority;
    int covert;
} mlist;

typedef struct mentry {
    uint64_t key;      /* packed plate */
    uint64_t canon;    /* packed canonical form */
    int64_t id;        /* hotlist_entries.id */
    uint32_t expires;  /* seconds since the epoch, NO_EXPIRY for never */
    uint16_t list;     /* index into lists */
    char state[2];     /* "\0\0": any state */
} mentry;

typedef struct mpattern {
    pk_pattern pat;
    int64_t id;
    uint32_t expires;
    uint16_t list;
    char state[2];
} mpattern;

struct hotlist_matcher {
    atomic_int refs;
    mlist *lists;
    size_t nlists;
    mentry *ents;
    size_t n, cap_ents;
    uint32_t *next_exact, *next_canon; /* chains: index + 1, 0 ends */
    uint32_t *tab_exact, *tab_canon;   /* slots: head index + 1, 0 empty */
    size_t mask;
    mpattern *pats;
    size_t npats, cap_pats;
    uint32_t bstart[N_BUCKETS + 1];    /* bucket b holds bitems[bstart[b] .. bstart[b+1]) */
    uint32_t *bitems;
};

static unsigned code37(char c) {
    return (unsigned char)c <= '9' ? (unsigned)(c - '0' + 1) : (unsigned)(c - 'A' + 11);
}

static size_t pattern_bucket(const pk_pattern *p) {
    const char *l = p->longest_literal;
    if (l[0] && l[1]) return code37(l[0]) * 37 + code37(l[1]);
    if (l[0]) return N_BIGRAM + code37(l[0]);
    return N_BIGRAM + 37;
}

const char *hotlist_match_kind_name(hotlist_match_kind k) {
    switch (k) {
    case HOTLIST_MATCH_EXACT: return "exact";
    case HOTLIST_MATCH_MISREAD: return "misread";
    case HOTLIST_MATCH_PATTERN: return "pattern";
    }
    return "unknown";
}

/* ---- building ---- */

static int list_cmp(const void *a, const void *b) {
    const mlist *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int add_list(void *ctx, const store_hotlist *h) {
    hotlist_matcher *m = ctx;
    m->lists = pk_xrealloc(m->lists, (m->nlists + 1) * sizeof *m->lists);
    m->lists[m->nlists++] = (mlist){h->id, h->priority, h->covert};
    return 0;
}

static uint32_t expiry_s(int64_t expires) {
    if (expires <= 0) return NO_EXPIRY;
    int64_t s = (expires + 999) / 1000;
    return s >= (int64_t)NO_EXPIRY ? NO_EXPIRY - 1 : (uint32_t)s;
}

static int add_entry(void *ctx, const store_hotlist_key *e) {
    hotlist_matcher *m = ctx;
    mlist key = {.id = e->hotlist_id};
    if (!m->nlists) return 0;
    mlist *l = bsearch(&key, m->lists, m->nlists, sizeof *m->lists, list_cmp);
    if (!l) return 0; /* the list vanished between the two queries */
    uint16_t li = (uint16_t)(l - m->lists);
    char st[2] = {e->state[0], e->state[0] ? e->state[1] : 0};
    if (strlen(e->plate) >= sizeof ((pk_pattern *)0)->text) return 0;
    if (e->is_pattern) {
        mpattern p;
        if (pk_pattern_compile(e->plate, &p.pat, NULL)) return 0; /* checked on the way in */
        if (m->npats == m->cap_pats) {
            m->cap_pats = m->cap_pats ? m->cap_pats * 2 : 64;
            m->pats = pk_xrealloc(m->pats, m->cap_pats * sizeof *m->pats);
        }
        p.id = e->id;
        p.expires = expiry_s(e->expires);
        p.list = li;
        memcpy(p.state, st, 2);
        m->pats[m->npats++] = p;
        return 0;
    }
    if (!pk_plate_valid(e->plate)) return 0;
    if (m->n == m->cap_ents) {
        m->cap_ents = m->cap_ents ? m->cap_ents * 2 : 1024;
        m->ents = pk_xrealloc(m->ents, m->cap_ents * sizeof *m->ents);
    }
    char canon[PK_PLATE_MAX + 1];
    pk_plate_canon(e->plate, strlen(e->plate), canon);
    mentry *me = &m->ents[m->n++];
    me->key = hotlist__pack(e->plate);
    me->canon = hotlist__pack(canon);
    me->id = e->id;
    me->expires = expiry_s(e->expires);
    me->list = li;
    memcpy(me->state, st, 2);
    return 0;
}

/* Links entry i into the chain for its key in tab (keyed by key or canon). */
static void chain_link(hotlist_matcher *m, uint32_t *tab, uint32_t *next, size_t i, int canon) {
    uint64_t k = canon ? m->ents[i].canon : m->ents[i].key;
    size_t j = hotlist__hash(k) & m->mask;
    while (tab[j]) {
        const mentry *h = &m->ents[tab[j] - 1];
        if ((canon ? h->canon : h->key) == k) break;
        j = (j + 1) & m->mask;
    }
    next[i] = tab[j];
    tab[j] = (uint32_t)(i + 1);
}

static void index_all(hotlist_matcher *m) {
    size_t cap = 1024;
    while (cap < m->n * 2) cap *= 2;
    m->mask = cap - 1;
    m->tab_exact = pk_xcalloc(cap, sizeof *m->tab_exact);
    m->tab_canon = pk_xcalloc(cap, sizeof *m->tab_canon);
    m->next_exact = pk_xmalloc((m->n ? m->n : 1) * sizeof *m->next_exact);
    m->next_canon = pk_xmalloc((m->n ? m->n : 1) * sizeof *m->next_canon);
    /* linking from the back keeps each chain in id order */
    for (size_t i = m->n; i-- > 0;) {
        chain_link(m, m->tab_exact, m->next_exact, i, 0);
        chain_link(m, m->tab_canon, m->next_canon, i, 1);
    }
    uint32_t count[N_BUCKETS] = {0};
    for (size_t i = 0; i < m->npats; i++) count[pattern_bucket(&m->pats[i].pat)]++;
    m->bstart[0] = 0;
    for (size_t b = 0; b < N_BUCKETS; b++) m->bstart[b + 1] = m->bstart[b] + count[b];
    m->bitems = pk_xmalloc((m->npats ? m->npats : 1) * sizeof *m->bitems);
    uint32_t fill[N_BUCKETS];
    memcpy(fill, m->bstart, sizeof fill);
    for (size_t i = 0; i < m->npats; i++)
        m->bitems[fill[pattern_bucket(&m->pats[i].pat)]++] = (uint32_t)i;
}

int hotlist_matcher_build(store *st, int64_t now, hotlist_matcher **out, pk_err *err) {
    *out = NULL;
    if (!now) now = pk_now_ms();
    hotlist_matcher *m = pk_xcalloc(1, sizeof *m);
    atomic_init(&m->refs, 1);
    int rc = store_hotlists_each(st, add_list, m, err);
    if (!rc && m->nlists > 65535) rc = pk_err_set(err, PK_ELIMIT, "more than 65535 hotlists");
    if (!rc) {
        if (m->nlists) qsort(m->lists, m->nlists, sizeof *m->lists, list_cmp);
        rc = store_hotlist_entry_keys_each(st, now, add_entry, m, err);
    }
    if (!rc && m->n >= UINT32_MAX / 2) rc = pk_err_set(err, PK_ELIMIT, "too many entries");
    if (rc) {
        hotlist_matcher_release(m);
        return rc;
    }
    index_all(m);
    *out = m;
    return PK_OK;
}

size_t hotlist_matcher_size(const hotlist_matcher *m) { return m ? m->n + m->npats : 0; }
size_t hotlist_matcher_patterns(const hotlist_matcher *m) { return m ? m->npats : 0; }

void hotlist_matcher_retain(hotlist_matcher *m) {
    if (m) atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void hotlist_matcher_release(hotlist_matcher *m) {
    if (!m || atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1) return;
    free(m->lists);
    free(m->ents);
    free(m->next_exact);
    free(m->next_canon);
    free(m->tab_exact);
    free(m->tab_canon);
    free(m->pats);
    free(m->bitems);
    free(m);
}

/* ---- matching ---- */

static int state_mismatch(const char entry[2], const char *read) {
    return entry[0] && read[0] && (entry[0] != read[0] || entry[1] != read[1]);
}

static size_t push(hotlist_hit *hits, size_t n, size_t max, const hotlist_matcher *m,
                   int64_t id, uint16_t list, const char st[2], const char *state,
                   hotlist_match_kind kind) {
    for (size_t i = 0; i < n; i++)
        if (hits[i].entry_id == id) return n;
    if (n == max) return n;
    const mlist *l = &m->lists[list];
    hits[n] = (hotlist_hit){id, l->id, kind, state_mismatch(st, state), l->covert, l->priority};
    return n + 1;
}

static uint32_t head(const hotlist_matcher *m, const uint32_t *tab, uint64_t k, int canon) {
    size_t j = hotlist__hash(k) & m->mask;
    while (tab[j]) {
        const mentry *h = &m->ents[tab[j] - 1];
        if ((canon ? h->canon : h->key) == k) return tab[j];
        j = (j + 1) & m->mask;
    }
    return 0;
}

size_t hotlist_match(const hotlist_matcher *m, const char *plate, const char *state, int64_t now,
                     hotlist_hit *hits, size_t max) {
    if (!m || !plate || !max) return 0;
    size_t len = strlen(plate);
    if (len == 0 || len > PK_PLATE_MAX) return 0;
    if (!state) state = "";
    uint32_t now_s = now > 0 ? (uint32_t)(now / 1000) : 0;
    size_t n = 0;
    if (m->n) {
        uint64_t key = hotlist__pack(plate);
        for (uint32_t i = head(m, m->tab_exact, key, 0); i; i = m->next_exact[i - 1]) {
            const mentry *e = &m->ents[i - 1];
            if (now_s < e->expires)
                n = push(hits, n, max, m, e->id, e->list, e->state, state, HOTLIST_MATCH_EXACT);
        }
        char canon[PK_PLATE_MAX + 1];
        pk_plate_canon(plate, len, canon);
        uint64_t ck = hotlist__pack(canon);
        for (uint32_t i = head(m, m->tab_canon, ck, 1); i; i = m->next_canon[i - 1]) {
            const mentry *e = &m->ents[i - 1];
            if (e->key != key && now_s < e->expires)
                n = push(hits, n, max, m, e->id, e->list, e->state, state, HOTLIST_MATCH_MISREAD);
        }
    }
    if (m->npats) {
        size_t bk[2 * PK_PLATE_MAX + 1], nb = 0;
        for (size_t i = 0; i + 1 < len; i++) bk[nb++] = code37(plate[i]) * 37 + code37(plate[i + 1]);
        for (size_t i = 0; i < len; i++) bk[nb++] = N_BIGRAM + code37(plate[i]);
        bk[nb++] = N_BIGRAM + 37;
        for (size_t x = 0; x < nb; x++) {
            size_t b = bk[x];
            int dup = 0;
            for (size_t y = 0; y < x && !dup; y++) dup = bk[y] == b; /* a repeated bigram */
            if (dup) continue;
            for (uint32_t k = m->bstart[b]; k < m->bstart[b + 1]; k++) {
                const mpattern *p = &m->pats[m->bitems[k]];
                if (now_s < p->expires && pk_pattern_match(&p->pat, plate, len))
                    n = push(hits, n, max, m, p->id, p->list, p->state, state,
                             HOTLIST_MATCH_PATTERN);
            }
        }
    }
    /* best first: kind, then priority (insertion sort: a handful of hits) */
    for (size_t i = 1; i < n; i++) {
        hotlist_hit h = hits[i];
        size_t j = i;
        while (j > 0 && (hits[j - 1].kind > h.kind ||
                         (hits[j - 1].kind == h.kind && hits[j - 1].priority > h.priority))) {
            hits[j] = hits[j - 1];
            j--;
        }
        hits[j] = h;
    }
    return n;
}

/*
 * The engine: the current matcher behind a mutex-guarded pointer, and the background thread
 * that rebuilds it. Readers take a reference under the mutex (a few nanoseconds, once per
 * batch), so a swap never frees a matcher that a reader still uses; the build itself runs
 * outside the mutex on the engine's own store handle, so ingest never waits for it.
 */
#include "hotlist/hotlist_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_MS        500   /* how often the thread looks for changes and foreign alerts */
#define MARKS          4096  /* alert ids published in this process, remembered */
#define CHANGE_WAIT_MS 10000 /* longest a change waits for the matcher to include it */
/* Drop expired entries from memory hourly (expiry is also checked per read, so this is
 * housekeeping only). */
#define EXPIRY_REBUILD_MS 3600000

struct hotlist_engine {
    char *db_path;
    store *st;                /* used only under build_mu */
    pthread_mutex_t build_mu; /* one build at a time */
    pthread_mutex_t mu;       /* guards cur, dirty, stop */
    pthread_cond_t cv;
    pthread_cond_t built_cv; /* signalled when a rebuild asked for by a change is done */
    int64_t asked, built;    /* changes asked for, and the last one a finished rebuild covers */
    hotlist_matcher *cur;
    int dirty, stop, started;
    pthread_t thread;
    int64_t built_generation; /* hotlist.generation the current matcher saw */
    int64_t built_at;
    atomic_uint_fast64_t builds;
    hotlist_publish_fn publish;
    void *publish_ctx;
    int64_t pub_upto;     /* alerts up to this id were published or skipped (build_mu) */
    int64_t marks[MARKS]; /* ids this process publishes itself (mu) */
    size_t n_marks;
};

void hotlist__engine_mark(hotlist_engine *e, int64_t id) {
    if (!e) return;
    pthread_mutex_lock(&e->mu);
    e->marks[e->n_marks++ % MARKS] = id;
    pthread_mutex_unlock(&e->mu);
}

static int marked(hotlist_engine *e, int64_t id) {
    pthread_mutex_lock(&e->mu);
    size_t n = e->n_marks < MARKS ? e->n_marks : MARKS;
    int found = 0;
    for (size_t i = 0; i < n && !found; i++) found = e->marks[i] == id;
    pthread_mutex_unlock(&e->mu);
    return found;
}

typedef struct poll_ctx {
    hotlist_engine *e;
    hotlist_publish_fn fn;
    void *ctx;
} poll_ctx;

static int poll_one(void *ctx, const store_alert *a) {
    poll_ctx *p = ctx;
    if (!marked(p->e, a->id)) hotlist__publish_stored(p->fn, p->ctx, p->e->st, a);
    p->e->pub_upto = a->id;
    return 0;
}

/* Publishes alerts that another process (a CLI ingest, a second server) committed: the stream
 * reaches officers whoever wrote the alert. Called with build_mu held. */
static void poll_alerts(hotlist_engine *e) {
    poll_ctx p = {e, NULL, NULL};
    hotlist__engine_publisher(e, &p.fn, &p.ctx);
    if (!p.fn) {
        e->pub_upto = store_alerts_max_id(e->st);
        return;
    }
    store_alerts_after(e->st, e->pub_upto, 200, poll_one, &p, NULL);
}

int hotlist_engine_rebuild(hotlist_engine *e, pk_err *err) {
    pthread_mutex_lock(&e->build_mu);
    int64_t gen = store_setting_int(e->st, "hotlist.generation", 0);
    hotlist_matcher *m = NULL;
    int rc = hotlist_matcher_build(e->st, 0, &m, err);
    if (rc == PK_OK) {
        pthread_mutex_lock(&e->mu);
        hotlist_matcher *old = e->cur;
        e->cur = m;
        pthread_mutex_unlock(&e->mu);
        hotlist_matcher_release(old);
        e->built_generation = gen;
        e->built_at = pk_now_ms();
        atomic_fetch_add(&e->builds, 1);
    }
    pthread_mutex_unlock(&e->build_mu);
    return rc;
}

int hotlist_engine_new(const char *db_path, hotlist_engine **out, pk_err *err) {
    *out = NULL;
    hotlist_engine *e = pk_xcalloc(1, sizeof *e);
    e->db_path = pk_xstrdup(db_path);
    pthread_mutex_init(&e->build_mu, NULL);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    pthread_cond_init(&e->built_cv, NULL);
    atomic_init(&e->builds, 0);
    int rc = store_open(db_path, 0, &e->st, err);
    if (!rc) rc = hotlist_engine_rebuild(e, err);
    if (!rc) e->pub_upto = store_alerts_max_id(e->st);
    if (rc) {
        hotlist_engine_free(e);
        return rc;
    }
    *out = e;
    return PK_OK;
}

static void *rebuild_thread(void *arg) {
    hotlist_engine *e = arg;
    pthread_mutex_lock(&e->mu);
    while (!e->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)POLL_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
        }
        if (!e->dirty) pthread_cond_timedwait(&e->cv, &e->mu, &ts);
        if (e->stop) break;
        int dirty = e->dirty;
        int64_t asked = e->asked;
        e->dirty = 0;
        pthread_mutex_unlock(&e->mu);
        pthread_mutex_lock(&e->build_mu);
        int64_t gen = store_setting_int(e->st, "hotlist.generation", 0);
        int due =
            dirty || gen != e->built_generation || pk_now_ms() - e->built_at >= EXPIRY_REBUILD_MS;
        poll_alerts(e);
        pthread_mutex_unlock(&e->build_mu);
        if (due) {
            pk_err err;
            pk_err_clear(&err);
            if (hotlist_engine_rebuild(e, &err))
                fprintf(stderr, "platekeeper: hotlist matcher rebuild failed: %s\n", err.msg);
        }
        pthread_mutex_lock(&e->mu);
        /* A failed rebuild also ends the wait: the change's caller is not held forever. */
        if (asked > e->built) {
            e->built = asked;
            pthread_cond_broadcast(&e->built_cv);
        }
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

int hotlist_engine_start(hotlist_engine *e, pk_err *err) {
    if (e->started) return PK_OK;
    if (pthread_create(&e->thread, NULL, rebuild_thread, e))
        return pk_err_set(err, PK_EIO, "cannot start the hotlist rebuild thread");
    e->started = 1;
    return PK_OK;
}

void hotlist_engine_free(hotlist_engine *e) {
    if (!e) return;
    if (e->started) {
        pthread_mutex_lock(&e->mu);
        e->stop = 1;
        pthread_cond_signal(&e->cv);
        pthread_cond_broadcast(&e->built_cv);
        pthread_mutex_unlock(&e->mu);
        pthread_join(e->thread, NULL);
    }
    hotlist_matcher_release(e->cur);
    store_close(e->st);
    pthread_cond_destroy(&e->cv);
    pthread_cond_destroy(&e->built_cv);
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->build_mu);
    free(e->db_path);
    free(e);
}

void hotlist_engine_set_publish(hotlist_engine *e, hotlist_publish_fn fn, void *ctx) {
    pthread_mutex_lock(&e->mu);
    e->publish = fn;
    e->publish_ctx = ctx;
    pthread_mutex_unlock(&e->mu);
}

void hotlist__engine_publisher(hotlist_engine *e, hotlist_publish_fn *fn, void **ctx) {
    pthread_mutex_lock(&e->mu);
    *fn = e->publish;
    *ctx = e->publish_ctx;
    pthread_mutex_unlock(&e->mu);
}

hotlist_matcher *hotlist_matcher_current(hotlist_engine *e) {
    pthread_mutex_lock(&e->mu);
    hotlist_matcher *m = e->cur;
    hotlist_matcher_retain(m);
    pthread_mutex_unlock(&e->mu);
    return m;
}

void hotlist_engine_changed(hotlist_engine *e) {
    if (!e) return;
    if (!e->started) {
        pk_err err;
        pk_err_clear(&err);
        if (hotlist_engine_rebuild(e, &err))
            fprintf(stderr, "platekeeper: hotlist matcher rebuild failed: %s\n", err.msg);
        return;
    }
    /* Waits (bounded) until the rebuild covering this change is done, so that a read ingested
     * after a hotlist change returns is matched against the changed lists. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += CHANGE_WAIT_MS / 1000;
    pthread_mutex_lock(&e->mu);
    int64_t mine = ++e->asked;
    e->dirty = 1;
    pthread_cond_signal(&e->cv);
    while (e->built < mine && !e->stop)
        if (pthread_cond_timedwait(&e->built_cv, &e->mu, &until)) break;
    pthread_mutex_unlock(&e->mu);
}

uint64_t hotlist_engine_generation(hotlist_engine *e) {
    return atomic_load(&e->builds);
}

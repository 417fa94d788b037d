/* The daily retention purge inside serve (issue 5 item 1): a thread that, every few minutes,
 * asks records_purge_daily whether a day has passed since the last real purge and runs one as
 * the system when it has. The purge works in short batches, so requests go on meanwhile. The
 * first look comes one tick after start, so a server that starts and stops (tests, restarts)
 * does not purge on every start. PLATEKEEPER_PURGE_TICK_S (read once at start) shortens the
 * tick for tests. The same thread runs the inactivity sweep of accounts (every tick) and the
 * access log's own retention purge (with each daily purge). */
#include "server/server_int.h"

#include "audit/audit.h"

#include <stdlib.h>
#include <time.h>

#define PURGE_TICK_S 300

struct server_records_sched {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
};

static void *purge_thread(void *arg) {
    server *s = arg;
    struct server_records_sched *h = s->records_sched;
    const char *env = getenv("PLATEKEEPER_PURGE_TICK_S");
    long tick = env && atol(env) > 0 ? atol(env) : PURGE_TICK_S;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += tick;
        while (!h->stop && pthread_cond_timedwait(&h->cv, &h->mu, &ts) == 0) {
        }
        if (h->stop) break;
        pthread_mutex_unlock(&h->mu);
        server_slot *slot = NULL;
        pk_err err;
        pk_err_clear(&err);
        if (server__slot_get(s, &slot, &err) == PK_OK) {
            records_actor sys = {NULL, "serve", &s->clock};
            records_purge_result res;
            int ran = 0;
            if (records_purge_daily(slot->st, &sys, &ran, &res, &err))
                fprintf(stderr, "platekeeper serve: daily purge: %s\n", err.msg);
            else if (ran)
                fprintf(stderr,
                        "platekeeper serve: daily purge: %lld reads and %lld images deleted, "
                        "%lld held reads kept, %lld ms\n",
                        (long long)res.reads_deleted, (long long)res.images_deleted,
                        (long long)res.held_kept, (long long)res.duration_ms);
            /* Accounts unused too long are suspended (login also applies the rule; this keeps
             * the list and the audit report true). Cheap and idempotent, so every tick. */
            int64_t n = 0;
            pk_err_clear(&err);
            if (access_sweep_inactive(slot->st, &s->clock, &n, &err))
                fprintf(stderr, "platekeeper serve: inactivity sweep: %s\n", err.msg);
            else if (n)
                fprintf(stderr, "platekeeper serve: %lld accounts suspended for inactivity\n",
                        (long long)n);
            /* The access log's own retention, with the daily purge of the reads. */
            pk_err_clear(&err);
            if (ran && audit_purge(slot->st, pk_clock_now(&s->clock), "serve", &n, &err))
                fprintf(stderr, "platekeeper serve: access-log retention: %s\n", err.msg);
            server__slot_put(s, slot);
        }
        pthread_mutex_lock(&h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

int server__records_start(server *s, pk_err *err) {
    if (s->records_sched) return PK_OK;
    struct server_records_sched *h = pk_xcalloc(1, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    s->records_sched = h;
    if (pthread_create(&h->thread, NULL, purge_thread, s)) {
        s->records_sched = NULL;
        free(h);
        return pk_err_set(err, PK_EIO, "cannot start the daily purge");
    }
    return PK_OK;
}

void server__records_stop(server *s) {
    struct server_records_sched *h = s->records_sched;
    if (!h) return;
    pthread_mutex_lock(&h->mu);
    h->stop = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h);
    s->records_sched = NULL;
}

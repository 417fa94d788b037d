/* Live streams (server-sent events) and the broadcaster behind them.
 *
 * The hub keeps the last HUB_RING events in a ring, each with a sequence number that is also
 * its SSE id. A stream is a response whose content reader copies the events its subscriber has
 * not seen. When there is nothing to send, the reader suspends its connection (a worker thread
 * of the pool must never block on a stream) and server_publish resumes it; a ticker resumes
 * every stream each HUB_TICK_S so idle ones send a keep-alive comment and notice shutdown.
 *
 * Locking: hub->mu guards the ring, the subscriber list and each subscriber's suspended flag.
 * A connection is suspended and resumed only under the lock, so a resume never races ahead of
 * its suspend. Filters run outside the lock (they may look things up).
 */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HUB_RING 1024
#define HUB_TICK_S 5
#define HUB_KEEPALIVE_MS 15000

typedef struct hub_event {
    uint64_t seq;
    char *topic;
    char *data;
    char *meta;
} hub_event;

typedef struct sub {
    struct server_sse_hub *hub;
    struct MHD_Connection *conn;
    char *topic;
    server__sse_filter filter;
    void *ctx;
    void (*ctx_free)(void *);
    uint64_t last_seq;   /* last event this subscriber has been given (or skipped) */
    int suspended;
    char *out;           /* bytes formatted but not yet handed to MHD */
    size_t out_len, out_off;
    int64_t last_write;  /* ms, for keep-alives */
    struct sub *next;
} sub;

struct server_sse_hub {
    pthread_mutex_t mu;
    hub_event ring[HUB_RING];
    uint64_t next_seq; /* sequence number of the next event; the first is 1 */
    sub *subs;
    int closed;
    pthread_t ticker;
    int ticker_started;
    pthread_cond_t stop_cv;
};

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Resumes every suspended stream. Caller holds h->mu. */
static void wake_all_locked(struct server_sse_hub *h) {
    for (sub *s = h->subs; s; s = s->next) {
        if (s->suspended) {
            s->suspended = 0;
            MHD_resume_connection(s->conn);
        }
    }
}

static void *ticker(void *arg) {
    struct server_sse_hub *h = arg;
    pthread_mutex_lock(&h->mu);
    while (!h->closed) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += HUB_TICK_S;
        pthread_cond_timedwait(&h->stop_cv, &h->mu, &until);
        wake_all_locked(h);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

struct server_sse_hub *server__hub_new(void) {
    struct server_sse_hub *h = pk_xcalloc(1, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->stop_cv, NULL);
    h->next_seq = 1;
    h->ticker_started = pthread_create(&h->ticker, NULL, ticker, h) == 0;
    return h;
}

void server__hub_close(struct server_sse_hub *h) {
    pthread_mutex_lock(&h->mu);
    h->closed = 1;
    wake_all_locked(h);
    pthread_cond_broadcast(&h->stop_cv);
    pthread_mutex_unlock(&h->mu);
}

void server__hub_free(struct server_sse_hub *h) {
    if (!h) return;
    server__hub_close(h);
    if (h->ticker_started) pthread_join(h->ticker, NULL);
    for (int i = 0; i < HUB_RING; i++) {
        free(h->ring[i].topic);
        free(h->ring[i].data);
        free(h->ring[i].meta);
    }
    pthread_cond_destroy(&h->stop_cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

void server_publish(server *srv, const char *topic, const char *json) {
    server__publish_meta(srv, topic, json, NULL);
}

void server__publish_meta(server *srv, const char *topic, const char *json, const char *meta) {
    struct server_sse_hub *h = srv->hub;
    pthread_mutex_lock(&h->mu);
    hub_event *e = &h->ring[h->next_seq % HUB_RING];
    free(e->topic);
    free(e->data);
    free(e->meta);
    e->seq = h->next_seq++;
    e->topic = pk_xstrdup(topic);
    e->data = pk_xstrdup(json);
    e->meta = meta ? pk_xstrdup(meta) : NULL;
    wake_all_locked(h);
    pthread_mutex_unlock(&h->mu);
}

static void out_append(sub *s, const char *text) {
    size_t n = strlen(text);
    s->out = pk_xrealloc(s->out, s->out_len + n + 1);
    memcpy(s->out + s->out_len, text, n + 1);
    s->out_len += n;
}

/* Formats one event. Data lines never hold a newline: JSON from json_dumps is one line, and
 * any other newline is split into further "data:" lines as SSE requires. */
static void out_event(sub *s, uint64_t seq, const char *event, const char *data) {
    char head[96];
    snprintf(head, sizeof head, "id: %llu\nevent: %s\n", (unsigned long long)seq, event);
    out_append(s, head);
    const char *p = data;
    do {
        size_t len = strcspn(p, "\r\n");
        char *line = pk_xmalloc(len + 8);
        memcpy(line, "data: ", 6);
        memcpy(line + 6, p, len);
        line[6 + len] = '\n';
        line[7 + len] = '\0';
        out_append(s, line);
        free(line);
        p += len;
        if (*p == '\r') p++;
        if (*p == '\n') p++;
    } while (*p);
    out_append(s, "\n");
}

typedef struct pending {
    uint64_t seq;
    char *data;
    char *meta;
} pending;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    sub *s = cls;
    struct server_sse_hub *h = s->hub;
    for (;;) {
        if (s->out_off < s->out_len) {
            size_t n = s->out_len - s->out_off;
            if (n > max) n = max;
            memcpy(buf, s->out + s->out_off, n);
            s->out_off += n;
            if (s->out_off == s->out_len) s->out_off = s->out_len = 0;
            s->last_write = now_ms();
            return (ssize_t)n;
        }
        /* Copy what is new for this subscriber, then filter and format outside the lock. */
        pthread_mutex_lock(&h->mu);
        if (h->closed) {
            pthread_mutex_unlock(&h->mu);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        uint64_t oldest = h->next_seq > HUB_RING ? h->next_seq - HUB_RING : 1;
        int lagged = 0;
        if (s->last_seq + 1 < oldest) {
            lagged = 1;
            s->last_seq = oldest - 1;
        }
        pending *list = NULL;
        size_t n_list = 0;
        for (uint64_t q = s->last_seq + 1; q < h->next_seq; q++) {
            hub_event *e = &h->ring[q % HUB_RING];
            if (strcmp(e->topic, s->topic)) continue;
            list = pk_xrealloc(list, (n_list + 1) * sizeof *list);
            list[n_list].seq = q;
            list[n_list].data = pk_xstrdup(e->data);
            list[n_list].meta = e->meta ? pk_xstrdup(e->meta) : NULL;
            n_list++;
        }
        uint64_t upto = h->next_seq - 1;
        if (!lagged && n_list == 0) {
            s->last_seq = upto;
            if (now_ms() - s->last_write >= HUB_KEEPALIVE_MS) {
                pthread_mutex_unlock(&h->mu);
                out_append(s, ": keep-alive\n\n");
                continue;
            }
            s->suspended = 1;
            MHD_suspend_connection(s->conn);
            pthread_mutex_unlock(&h->mu);
            return 0;
        }
        pthread_mutex_unlock(&h->mu);
        s->last_seq = upto;
        if (lagged) out_event(s, oldest - 1, "lagged", "{\"lost\": true}");
        for (size_t i = 0; i < n_list; i++) {
            if (!s->filter || s->filter(s->ctx, s->topic, list[i].data, list[i].meta))
                out_event(s, list[i].seq, s->topic, list[i].data);
            free(list[i].data);
            free(list[i].meta);
        }
        free(list);
    }
}

static void stream_free(void *cls) {
    sub *s = cls;
    struct server_sse_hub *h = s->hub;
    pthread_mutex_lock(&h->mu);
    for (sub **pp = &h->subs; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    pthread_mutex_unlock(&h->mu);
    if (s->ctx_free) s->ctx_free(s->ctx);
    free(s->topic);
    free(s->out);
    free(s);
}

int server__sse_start(server_req *r, const char *topic, server__sse_filter filter, void *ctx,
                      void (*ctx_free)(void *)) {
    struct server_sse_hub *h = r->srv->hub;
    sub *s = pk_xcalloc(1, sizeof *s);
    s->hub = h;
    s->conn = r->conn;
    s->topic = pk_xstrdup(topic);
    s->filter = filter;
    s->ctx = ctx;
    s->ctx_free = ctx_free;
    s->last_write = now_ms();
    pthread_mutex_lock(&h->mu);
    s->last_seq = h->next_seq - 1;
    int64_t resume;
    const char *last_id = server__header(r, "Last-Event-ID");
    if (last_id && !server__parse_i64(last_id, 0, INT64_MAX, &resume) &&
        (uint64_t)resume < h->next_seq)
        s->last_seq = (uint64_t)resume;
    s->next = h->subs;
    h->subs = s;
    pthread_mutex_unlock(&h->mu);
    /* A comment first, so the client sees the stream open before any event. */
    out_append(s, ": platekeeper stream\n\n");

    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s, stream_free);
    PK_ASSERT(resp);
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    r->replied = 1;
    r->status = 200;
    return 0;
}

/* HTTP load generator for `make bench-http` (issue 3): a real `platekeeper serve` is driven over
 * keep-alive connections by several client threads.
 *
 *   http_bench PORT ADMIN_PASSWORD [SECONDS] [CLIENTS]
 *
 * 1. ingest: CLIENTS threads each POST /api/v1/reads batches of 1000 new reads (unit key),
 *    counting only reads the server acknowledged (200 with "accepted"), i.e. committed;
 * 2. search: CLIENTS threads each run GET /api/v1/reads?plate=... with a bearer token;
 * 3. login+search: each round trip logs in (argon2id at the production cost), searches, logs out.
 * Prints one line per figure. Plain sockets, no libraries beyond libc and pthreads. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH    1000
#define N_PLATES 50000

static int port;
static const char *admin_pw;
static double seconds = 10;
static int clients = 4;
static char unit_key[128];
static char inv_token[128];
static atomic_long acked, calls, failures;
static atomic_int stop;
/* Reads are numbered in the order clients produce them; read k was taken 5 ms after read k-1. */
static atomic_long read_seq;
static char plates[N_PLATES][8];

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s) {
    *s ^= *s >> 12, *s ^= *s << 25, *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

typedef struct conn {
    int fd;
    char *buf;
    size_t cap;
} conn;

static int conn_open(conn *c) {
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a)) {
        perror("connect");
        return -1;
    }
    if (!c->buf) c->buf = malloc(c->cap = 1 << 20);
    return 0;
}

static int send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

/* One request; returns the status and leaves the body (NUL-terminated) in c->buf. Reconnects
 * once when the server closed the connection. */
static int request(conn *c, const char *method, const char *path, const char *auth,
                   const char *body, size_t body_len, char **out_body) {
    for (int attempt = 0; attempt < 2; attempt++) {
        if (c->fd < 0 && conn_open(c)) return -1;
        char head[1024];
        int hn = snprintf(head, sizeof head,
                          "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%sContent-Length: %zu\r\n"
                          "Content-Type: application/json\r\n\r\n",
                          method, path, auth ? "Authorization: " : "", auth ? auth : "",
                          auth ? "\r\n" : "", body_len);
        if (send_all(c->fd, head, (size_t)hn) || (body_len && send_all(c->fd, body, body_len))) {
            close(c->fd);
            c->fd = -1;
            continue;
        }
        size_t got = 0;
        char *hend = NULL;
        while (!hend) {
            ssize_t r = recv(c->fd, c->buf + got, c->cap - got - 1, 0);
            if (r <= 0) break;
            got += (size_t)r;
            c->buf[got] = '\0';
            hend = strstr(c->buf, "\r\n\r\n");
        }
        if (!hend) {
            close(c->fd);
            c->fd = -1;
            continue;
        }
        int status = atoi(c->buf + 9);
        const char *cl = strcasestr(c->buf, "Content-Length:");
        size_t len = cl && cl < hend ? (size_t)atol(cl + 15) : 0;
        size_t hlen = (size_t)(hend + 4 - c->buf);
        while (got < hlen + len) {
            ssize_t r = recv(c->fd, c->buf + got, c->cap - got - 1, 0);
            if (r <= 0) return -1;
            got += (size_t)r;
        }
        memmove(c->buf, c->buf + hlen, len);
        c->buf[len] = '\0';
        if (out_body) *out_body = c->buf;
        return status;
    }
    return -1;
}

static void json_field(const char *body, const char *name, char *out, size_t n) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", name);
    const char *p = strstr(body, pat);
    out[0] = '\0';
    if (!p) return;
    p += strlen(pat);
    size_t i = 0;
    while (*p && *p != '"' && i + 1 < n) out[i++] = *p++;
    out[i] = '\0';
}

static int login(conn *c, const char *user, const char *pw, char *token) {
    char body[256], *resp;
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", user, pw);
    int st = request(c, "POST", "/api/v1/session", NULL, body, strlen(body), &resp);
    if (st != 200) {
        fprintf(stderr, "login %s: %d %s\n", user, st, resp ? resp : "");
        return -1;
    }
    json_field(resp, "token", token, 128);
    return 0;
}

static void *ingest_worker(void *arg) {
    uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(intptr_t)arg + 1;
    conn c = {-1, NULL, 0};
    size_t cap = BATCH * 320 + 64;
    char *body = malloc(cap);
    char auth[160];
    snprintf(auth, sizeof auth, "Unit %s", unit_key);
    /* Reads arrive about in the order they were taken, as from units and fixed cameras (and as
     * the in-process bench's demo reads do): each batch follows the batches sent before it, and
     * within a few seconds of one another. */
    long long base_ms = (long long)(time(NULL) - 20 * 86400) * 1000;
    while (!atomic_load(&stop)) {
        long seq0 = atomic_fetch_add(&read_seq, BATCH);
        size_t n = (size_t)snprintf(body, cap, "{\"reads\":[");
        for (int i = 0; i < BATCH; i++) {
            uint64_t a = rnd(&seed), b = rnd(&seed);
            long long ms = base_ms + (seq0 + i) * 5LL - (long long)(rnd(&seed) % 3000);
            time_t ts = (time_t)(ms / 1000);
            struct tm tm;
            gmtime_r(&ts, &tm);
            n += (size_t)snprintf(
                body + n, cap - n,
                "%s{\"uuid\":\"%08x-%04x-4%03x-8%03x-%012llx\",\"plate\":\"%s\",\"state\":\"CA\","
                "\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02dZ\",\"camera\":\"cam-%02u\",\"lat\":%.5f,"
                "\"lon\":%.5f,\"heading\":%u,\"confidence\":%.1f}",
                i ? "," : "", (unsigned)a, (unsigned)(a >> 32) & 0xffff,
                (unsigned)(a >> 48) & 0xfff, (unsigned)b & 0xfff,
                (unsigned long long)(b >> 16) & 0xffffffffffffULL, plates[rnd(&seed) % N_PLATES],
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                (unsigned)(rnd(&seed) % 40), 38.50 + (double)(rnd(&seed) % 1000) / 10000.0,
                -121.50 + (double)(rnd(&seed) % 1000) / 10000.0, (unsigned)(rnd(&seed) % 360),
                80.0 + (double)(rnd(&seed) % 200) / 10.0);
        }
        n += (size_t)snprintf(body + n, cap - n, "]}");
        char *resp;
        int st = request(&c, "POST", "/api/v1/reads", auth, body, n, &resp);
        if (st == 200 && strstr(resp, "\"accepted\"")) {
            const char *p = strstr(resp, "\"accepted\":");
            atomic_fetch_add(&acked, p ? atol(p + 11) : 0);
        } else {
            atomic_fetch_add(&failures, 1);
            if (atomic_load(&failures) < 3)
                fprintf(stderr, "ingest: %d %.200s\n", st, st > 0 ? resp : "");
        }
    }
    free(body);
    free(c.buf);
    if (c.fd >= 0) close(c.fd);
    return NULL;
}

static void search_path(uint64_t *seed, char *path, size_t n) {
    snprintf(path, n, "/api/v1/reads?plate=%s&purpose=investigation&case=BENCH-1&limit=20",
             plates[rnd(seed) % N_PLATES]);
}

static void *search_worker(void *arg) {
    uint64_t seed = 0x51ed2701f3a5c9b1ULL * (uint64_t)(intptr_t)arg + 7;
    conn c = {-1, NULL, 0};
    char auth[160], path[256];
    snprintf(auth, sizeof auth, "Bearer %s", inv_token);
    while (!atomic_load(&stop)) {
        search_path(&seed, path, sizeof path);
        int st = request(&c, "GET", path, auth, NULL, 0, NULL);
        if (st == 200)
            atomic_fetch_add(&calls, 1);
        else
            atomic_fetch_add(&failures, 1);
    }
    free(c.buf);
    if (c.fd >= 0) close(c.fd);
    return NULL;
}

static void *login_search_worker(void *arg) {
    uint64_t seed = 0x2545f4914f6cdd1dULL * (uint64_t)(intptr_t)arg + 3;
    conn c = {-1, NULL, 0};
    char token[128], auth[160], path[256];
    while (!atomic_load(&stop)) {
        if (login(&c, "bench_inv", "Bench-Investigator-2026", token)) {
            atomic_fetch_add(&failures, 1);
            continue;
        }
        snprintf(auth, sizeof auth, "Bearer %s", token);
        search_path(&seed, path, sizeof path);
        int st = request(&c, "GET", path, auth, NULL, 0, NULL);
        request(&c, "DELETE", "/api/v1/session", auth, NULL, 0, NULL);
        if (st == 200)
            atomic_fetch_add(&calls, 1);
        else
            atomic_fetch_add(&failures, 1);
    }
    free(c.buf);
    if (c.fd >= 0) close(c.fd);
    return NULL;
}

/* Runs fn on `clients` threads for `secs` seconds; returns the elapsed time. */
static double run(void *(*fn)(void *), double secs) {
    pthread_t th[64];
    atomic_store(&stop, 0);
    double t0 = now_s();
    for (int i = 0; i < clients; i++) pthread_create(&th[i], NULL, fn, (void *)(intptr_t)(i + 1));
    struct timespec d = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    nanosleep(&d, NULL);
    atomic_store(&stop, 1);
    for (int i = 0; i < clients; i++) pthread_join(th[i], NULL);
    return now_s() - t0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: http_bench PORT ADMIN_PASSWORD [SECONDS] [CLIENTS]\n");
        return 2;
    }
    port = atoi(argv[1]);
    admin_pw = argv[2];
    if (argc > 3) seconds = atof(argv[3]);
    if (argc > 4) clients = atoi(argv[4]);
    if (clients < 1 || clients > 64) clients = 4;
    uint64_t seed = 42;
    static const char L[] = "ABCDEFGHJKLMNPRSTUVWXYZ", D[] = "0123456789";
    for (int i = 0; i < N_PLATES; i++)
        snprintf(plates[i], sizeof plates[i], "%c%c%c%c%c%c%c", D[rnd(&seed) % 10],
                 L[rnd(&seed) % 23], L[rnd(&seed) % 23], L[rnd(&seed) % 23], D[rnd(&seed) % 10],
                 D[rnd(&seed) % 10], D[rnd(&seed) % 10]);

    /* Setup as the administrator: a unit key, a trained investigator. */
    conn c = {-1, NULL, 0};
    char tok[128], auth[160], *resp, body[512];
    if (login(&c, "admin", admin_pw, tok)) return 1;
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    snprintf(body, sizeof body, "{\"name\":\"bench-unit-%ld\"}", (long)time(NULL));
    if (request(&c, "POST", "/api/v1/units", auth, body, strlen(body), &resp) != 201) {
        fprintf(stderr, "unit: %s\n", resp);
        return 1;
    }
    json_field(resp, "key", unit_key, sizeof unit_key);
    snprintf(body, sizeof body,
             "{\"username\":\"bench_inv\",\"full_name\":\"Bench Investigator\",\"job_title\":"
             "\"Detective\",\"role\":\"investigator\",\"password\":\"Bench-Investigator-2026\"}");
    int st = request(&c, "POST", "/api/v1/users", auth, body, strlen(body), &resp);
    const char *idp = strstr(resp, "\"id\":");
    long uid = st == 201 && idp ? atol(idp + 5) : 0;
    char path[128], day[16];
    time_t now = time(NULL);
    strftime(day, sizeof day, "%Y-%m-%d", gmtime(&now));
    snprintf(path, sizeof path, "/api/v1/users/%ld/training", uid);
    snprintf(body, sizeof body, "{\"course\":\"ALPR\",\"completed_on\":\"%s\"}", day);
    if (!uid || request(&c, "POST", path, auth, body, strlen(body), &resp) != 201) {
        fprintf(stderr, "investigator: %s\n", resp);
        return 1;
    }
    if (login(&c, "bench_inv", "Bench-Investigator-2026", inv_token)) return 1;

    double el = run(ingest_worker, seconds);
    printf("http ingest: %.0f reads/s acknowledged after commit (%ld reads, batches of %d, "
           "%d clients, %.1f s, %ld failed batches)\n",
           (double)atomic_load(&acked) / el, atomic_load(&acked), BATCH, clients, el,
           atomic_load(&failures));
    atomic_store(&failures, 0);
    atomic_store(&calls, 0);
    el = run(search_worker, seconds / 2);
    printf("http search: %.0f exact-plate searches/s with a bearer token (%d clients, access "
           "log written for each, %ld failed)\n",
           (double)atomic_load(&calls) / el, clients, atomic_load(&failures));
    atomic_store(&failures, 0);
    atomic_store(&calls, 0);
    el = run(login_search_worker, seconds / 2);
    printf("http login+search: %.1f round trips/s (login with argon2id, search, logout; %d "
           "clients, %ld failed)\n",
           (double)atomic_load(&calls) / el, clients, atomic_load(&failures));
    free(c.buf);
    return 0;
}

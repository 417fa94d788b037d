/*
 * server.h: the HTTP API of DESIGN.md §6 (libmicrohttpd, a thread pool, optional TLS).
 *
 * One server serves one data directory. It answers the public routes (/health, /version,
 * /policy, /api/v1/transparency) to anyone and every other route only to a caller that proved
 * who it is: a user by `Authorization: Bearer TOKEN` or by the session cookie (then with an
 * X-CSRF-Token header on every state-changing request), a camera or patrol-car unit by
 * `Authorization: Unit KEY` (ingest only). Every route declares the roles that may call it
 * (server_int.h); the dispatcher refuses the rest with 403 before a handler runs. Read data is
 * fetched only by the domain modules under an access grant (DESIGN.md §4 rule 1): the server
 * never calls store_ functions for read data.
 *
 * Threads: libmicrohttpd runs a pool of worker threads. A store handle belongs to one thread at
 * a time, so the server keeps a small pool of handles on the database and lends one to each
 * request for its duration.
 *
 * Shutdown: server_stop stops accepting, lets in-flight requests finish (up to a grace period),
 * ends live streams, closes every store handle and checkpoints the WAL into the database.
 *
 * Live streams (server-sent events): server_publish hands an event to every subscriber of a
 * topic; the alert stream (/api/v1/alerts/stream) is built on it.
 */
#ifndef PK_SERVER_SERVER_H
#define PK_SERVER_SERVER_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "core/err.h"

typedef struct server server;

typedef struct server_config {
    const char *data_dir; /* the data directory (DIR/platekeeper.db, DIR/policy.html) */
    const char *listen;   /* "ADDR:PORT" ("127.0.0.1:8080", "[::1]:8443", ":8080"); port 0 = any */
    const char *tls_cert; /* PEM file, or NULL for plain HTTP */
    const char *tls_key;  /* PEM file, or NULL */
    const char *web_dir;  /* static files for the browser UI, or NULL for none */
    unsigned threads;     /* worker threads; 0 = default (8) */
    unsigned timeout_s;   /* idle connection timeout; 0 = default (30 s) */
    size_t max_body;      /* default request body limit; 0 = default (1 MiB) */
    unsigned grace_s;     /* how long server_stop waits for in-flight requests; 0 = 10 s */
    const char *version;  /* the product version /version reports */
    const char *models_dir; /* plate recognition models for POST /api/v1/recognize, or NULL for
                               none; models that fail to load leave that route answering 503 */
} server_config;

/* Opens the database (checking it is there and up to date) and prepares the server; nothing
 * listens yet. cfg's strings are copied. OUT: *out; free with server_free. */
int server_new(const server_config *cfg, server **out, pk_err *err);

/* Starts listening. OUT: *port, the port actually bound (useful with port 0; may be NULL). */
int server_start(server *s, unsigned *port, pk_err *err);

/* The base URL ("http://127.0.0.1:8080"), owned by s, valid after server_start. */
const char *server_url(const server *s);

/* Graceful stop: stop accepting, finish in-flight requests (within grace_s), end live streams,
 * close the store handles and checkpoint the database. Safe to call once after server_start. */
int server_stop(server *s, pk_err *err);

/* Frees the server (stopping it first if needed); NULL is fine. */
void server_free(server *s);

/* Publishes one event to every live-stream subscriber of topic ("alerts"...). json is the
 * event's data (one JSON value, copied). Subscribers that fall more than the buffer behind
 * lose the oldest events and are told so by a "lagged" event. Thread-safe. */
void server_publish(server *s, const char *topic, const char *json);

/* Prints the route table as JSON lines {"method", "path", "roles": [...]} (for tests, docs). */
void server_print_routes(FILE *out);

#endif

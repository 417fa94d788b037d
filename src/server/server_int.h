/*
 * server_int.h: shared only inside src/server. How to add routes and write a handler.
 *
 * ROUTES. Each handler file (h_session.c, h_users.c, h_reads.c...) defines one table
 *
 *     const server_route server__users_routes[] = {
 *         {"GET",  "/api/v1/users",               SR_ADMIN, users_list},
 *         {"POST", "/api/v1/users/{id}/training", SR_ADMIN, users_training},
 *         {0},
 *     };
 *
 * ending with {0}, declares it below (SERVER__TABLES) and is done: routes.c walks every table.
 * A path segment "{name}" matches one non-empty segment, read back with server__param.
 * `who` is the set of callers: SR_PUBLIC (anyone, no login), or role bits (SR_ADMIN...) and
 * SR_UNIT (a unit key; ingest only). HEAD is answered by GET routes. max_body (0 = the
 * server's default, 1 MiB) caps the request body; bigger bodies get 413 before the handler.
 *
 * BEFORE A HANDLER RUNS the dispatcher has: matched the route (404 / 405 otherwise), read the
 * whole body within the limit (413), resolved the caller (401 for a missing, unknown or expired
 * token or key), checked the caller's role against `who` (403 "forbidden", logged as refused),
 * and for cookie sessions on anything but GET/HEAD checked the X-CSRF-Token header (403
 * "csrf_required"). It lends the request a store handle (r->st) for this thread.
 *
 * A HANDLER answers exactly once with one of the server__reply_* functions and returns. Helpers
 * that validate input (server__json_body, server__query_*, server__param_id, server__grant_open)
 * reply with a clear 4xx themselves when the input is bad and return non-zero, so a handler just
 * writes `if (server__json_body(r, spec, &body)) return 0;` (STYLE.md rule 6). A handler that
 * returns without replying gets a 500 from the dispatcher (a bug, logged).
 *
 * READ DATA only through the domain modules and an access grant: server__grant_open takes the
 * purpose and case from the request, opens the grant for the logged-in user and client address,
 * and maps refusals (training, purpose, case, role) to 400/403 answers.
 */
#ifndef PK_SERVER_SERVER_INT_H
#define PK_SERVER_SERVER_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "access/access.h"
#include "hotlist/hotlist.h"
#include "ingest/ingest.h"
#include "recog/recog.h"
#include "records/records.h"
#include "search/search.h"
#include "server/server.h"

/* Who may call a route: role bits, SR_UNIT for unit keys, or SR_PUBLIC. */
#define SR_ROLE(r)      (1u << (r))
#define SR_ADMIN        SR_ROLE(ACCESS_ROLE_ADMIN)
#define SR_INVESTIGATOR SR_ROLE(ACCESS_ROLE_INVESTIGATOR)
#define SR_OPERATOR     SR_ROLE(ACCESS_ROLE_OPERATOR)
#define SR_AUDITOR      SR_ROLE(ACCESS_ROLE_AUDITOR)
#define SR_CUSTODIAN    SR_ROLE(ACCESS_ROLE_CUSTODIAN)
#define SR_ANY_USER     (SR_ADMIN | SR_INVESTIGATOR | SR_OPERATOR | SR_AUDITOR | SR_CUSTODIAN)
#define SR_UNIT         (1u << 29)
#define SR_PUBLIC       (1u << 30)

#define SERVER__DEFAULT_BODY ((size_t)1 << 20)
#define SERVER__DISCARD_MAX                                                                        \
    ((uint64_t)64 << 20)                        /* oversize bodies up to this are read, dropped    \
                                                 */
#define SERVER__BODY_BUDGET ((size_t)512 << 20) /* all request bodies held at once */
#define SERVER__MAX_DEPTH   16                  /* JSON nesting allowed in request bodies */
#define SERVER__MAX_PARAMS  4
#define SERVER__PARAM_MAX   128

typedef struct server_req server_req;

/* What the pool lends a request: a store handle and, made on first use, an ingest handle on
 * it (ingest caches camera ids per handle). Both belong to one thread at a time. */
typedef struct server_slot {
    store *st;
    ingest *in;
    struct server *srv;
    hotlist_alert_batch *batch; /* alerts of the batch being ingested (on_stored → committed) */
    json_t *alerts;             /* the committed batch's alerts for the answer (not covert) */
} server_slot;
typedef int (*server__handler)(server_req *r);

typedef struct server_route {
    const char *method; /* "GET", "POST", "PUT", "DELETE" */
    const char *path;   /* "/api/v1/users/{id}/status" */
    unsigned who;       /* SR_* bits */
    server__handler fn;
    size_t max_body; /* 0 = the server's default */
} server_route;

/* Every handler file's table; add yours here and to routes.c. */
extern const server_route server__public_routes[];
extern const server_route server__session_routes[];
extern const server_route server__users_routes[];
extern const server_route server__audit_routes[];
extern const server_route server__settings_routes[];
extern const server_route server__events_routes[];
extern const server_route server__reads_routes[];
extern const server_route server__ingest_routes[];
extern const server_route server__recog_routes[];
extern const server_route server__hotlists_routes[];
extern const server_route server__alerts_routes[];
extern const server_route server__holds_routes[];
extern const server_route server__exports_routes[];
extern const server_route server__requests_routes[];
extern const server_route server__web_routes[];

/* All tables, NULL-terminated (routes.c). */
extern const server_route *const server__tables[];

/* Path parameters captured by a "{name}" segment. */
typedef struct server_params {
    int n;
    char name[SERVER__MAX_PARAMS][32];
    char value[SERVER__MAX_PARAMS][SERVER__PARAM_MAX];
} server_params;

enum server_auth { SERVER_AUTH_NONE = 0, SERVER_AUTH_BEARER, SERVER_AUTH_COOKIE, SERVER_AUTH_UNIT };

/* One request, alive from its first callback to its completion. Handlers read it; only the
 * dispatcher writes it. */
struct server_req {
    server *srv;
    struct MHD_Connection *conn;
    const char *method;        /* borrowed from MHD for the request */
    const char *url;           /* path without the query string */
    const server_route *route; /* the matched route, NULL when none */
    server_params params;
    char *body; /* request body, NUL-terminated, owned (NULL when empty) */
    size_t body_len;
    size_t body_limit;
    size_t body_cap;       /* bytes allocated for body (counted in server.buffered) */
    int body_over;         /* body went past body_limit (rest discarded) */
    int body_busy;         /* ... or past the server-wide budget (503, not 413) */
    uint64_t body_dropped; /* bytes discarded so far */
    store *st;             /* this request's store handle, borrowed from the pool */
    server_slot *slot;     /* the pool slot st belongs to */
    enum server_auth auth;
    access_user user;             /* the caller, when auth is BEARER or COOKIE */
    char unit[ACCESS_NAME_MAX];   /* the unit's name, when auth is UNIT */
    char token[ACCESS_TOKEN_MAX]; /* the session token (logout needs it) */
    char client[64];              /* client IP address */
    int replied;                  /* a response was queued */
    int status;                   /* status of the queued response (for the log) */
    int gated;                    /* the handler reached the access gate (which logs itself) */
    char reply_msg[256];          /* the message of the queued error answer, "" otherwise */
    struct {
        char name[32];
        char value[512];
    } hdr[4]; /* extra headers for the response (server__reply_header) */
    int n_hdr;
};

/* The server itself (server.c owns it; the SSE code and handlers read it). */
struct server_sse_hub;
struct server {
    char *data_dir, *db_path, *web_dir, *listen, *tls_cert, *tls_key, *version;
    char *cert_pem, *key_pem; /* loaded files when TLS is on */
    char url[128];
    unsigned threads, timeout_s, grace_s;
    size_t max_body;
    struct MHD_Daemon *mhd;
    unsigned port;
    int tls;
    atomic_int inflight;    /* requests between first callback and completion */
    atomic_size_t buffered; /* request body bytes held by all requests together */
    atomic_int stopping;
    pthread_mutex_t pool_mu; /* guards the store pool */
    server_slot **pool;
    int pool_n, pool_cap;
    /* Ingest's own connection (h_ingest.c): batches take turns on it under writer_mu. SQLite
     * discards a connection's whole page cache whenever another connection has written, so
     * batches spread over the pool's connections each began with a cold cache of the indexes
     * they insert into, and waited for the write lock in the busy handler's sleeps. */
    pthread_mutex_t writer_mu;
    server_slot *writer; /* opened by the first batch */
    struct server_sse_hub *hub;
    pk_clock clock;      /* wall clock (tests of expiry run a real server and wait) */
    search_index *index; /* the plate dictionary, shared by all threads */
    hotlist_engine *hot; /* the hotlist matcher every ingested read goes through */
    recog *rec;          /* plate recognition engine, NULL when no models loaded */
    char rec_why[256];   /* why rec is NULL (for the 503 answer) */
    struct server_hotlist_sched *hotlist_sched; /* the scheduled re-import thread (h_alerts.c) */
    struct server_records_sched *records_sched; /* the daily purge thread (records_sched.c) */
};

/* --- replies (reply.c) ---------------------------------------------------------------------- */

/* Answers status with the JSON value (the reference is stolen). */
int server__reply_json(server_req *r, unsigned status, json_t *value);
/* Answers {"error": code, "message": printf(fmt...)}. Returns 0 so handlers can return it. */
int server__reply_error(server_req *r, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Answers a PK_E* failure with its fitting status and code, err->msg as the message. */
int server__reply_pkerr(server_req *r, int rc, const pk_err *err);
/* Answers status with a body of content type ctype (copied). */
int server__reply_bytes(server_req *r, unsigned status, const char *ctype, const void *buf,
                        size_t len);
/* Adds a header to the response that the next server__reply_* queues. */
void server__reply_header(server_req *r, const char *name, const char *value);
/* The HTTP status that fits a PK_E* code. */
unsigned server__status_for(int rc);

/* --- request input (request.c, on top of parse.c) ----------------------------------------- */

typedef enum server_ftype {
    SF_STRING = 1,
    SF_INT,
    SF_NUMBER,
    SF_BOOL,
    SF_ARRAY,
    SF_OBJECT,
    SF_ANY
} server_ftype;

/* One field a JSON body may carry. Strings longer than max_len (0 = 1024) are refused. */
typedef struct server_field {
    const char *name;
    server_ftype type;
    int required;
    size_t max_len;
} server_field;

/* Parses the body as a JSON object and validates it against spec ({0}-terminated): no unknown
 * fields, no wrong types, required fields present, nesting within SERVER__MAX_DEPTH. Replies
 * 400 (or 415 for a non-JSON content type) and returns non-zero when bad.
 * OUT: *out, a new reference the caller json_decref's. */
int server__json_body(server_req *r, const server_field *spec, json_t **out);

/* A query parameter (URL-decoded by MHD), NULL when absent. Owned by MHD for the request. */
const char *server__query(server_req *r, const char *name);
/* Refuses (400 unknown_parameter) any query parameter not in allowed (NULL-terminated). */
int server__query_only(server_req *r, const char *const *allowed);
/* Integer query parameter within [min, max], dflt when absent; replies 400 when bad. */
int server__query_i64(server_req *r, const char *name, int64_t min, int64_t max, int64_t dflt,
                      int64_t *out);
/* A path parameter by name, "" when the route has none of that name. */
const char *server__param(const server_req *r, const char *name);
/* A positive integer path parameter; replies 404 when it is not one. */
int server__param_id(server_req *r, const char *name, int64_t *out);
/* A request header, NULL when absent. */
const char *server__header(server_req *r, const char *name);

/* Opens an access grant for the caller: purpose and case from the JSON body fields (when body
 * is given) or the query parameters "purpose" and "case". Replies 400 purpose_required /
 * case_required, 403 training_required / forbidden and returns non-zero on refusal.
 * query_json describes the query for a refusal's log entry (may be NULL). OUT: *g. */
int server__grant_open(server_req *r, access_action action, json_t *body, const char *query_json,
                       access_grant **g);

/* A data route answered a bad request (400/404) before the gate saw it: writes the "refused"
 * entry the gate would have written (action, every query parameter, the answer's message), so
 * every refused data access is in the log (issue 3 item 6). Returns 0 for `return`. */
int server__data_refused(server_req *r, access_action action);
/* Runs a data route's handler; when it answered 4xx before reaching the gate (r->gated unset),
 * writes that refusal with server__data_refused. */
int server__data_route(server_req *r, access_action action, server__handler fn);

/* Appends an access-log entry as the caller (action, outcome, detail); best effort, failures
 * go to stderr. */
void server__audit(server_req *r, const char *action, const char *outcome, const char *detail);

/* Records (h_holds.c): the caller as a records actor; a hold as JSON (new reference). */
records_actor server__records_actor(server_req *r);
json_t *server__hold_json(const records_hold *h);
/* Records (h_exports.c): a fresh package path DIR/exports/KIND-ID-MS.tar (creates the
 * directory). OUT: buf. */
int server__export_path(server_req *r, const char *kind, int64_t id, char *buf, size_t n,
                        pk_err *err);
/* The answer for a finished export (201): id, reads, images, manifest_sha256, download. */
int server__reply_export(server_req *r, const records_export_result *res);

/* The public face of an account in answers (h_users.c). New reference. */
json_t *server__user_json(const access_user *u);

/* --- parsing without MHD (parse.c; fuzzed by fuzz/fuzz_http_json.c) ------------------------ */

typedef struct server_perr {
    const char *code; /* "invalid_json", "too_deep", "unknown_field"... */
    char msg[256];
} server_perr;

/* Parses buf (len bytes, need not be NUL-terminated) as one JSON object nested at most
 * max_depth deep. OUT: *out, new reference. Non-zero with e filled when bad. */
int server__json_parse(const char *buf, size_t len, unsigned max_depth, json_t **out,
                       server_perr *e);
/* The same for any JSON value (object, array, ...). */
int server__json_parse_any(const char *buf, size_t len, unsigned max_depth, json_t **out,
                           server_perr *e);
/* Validates obj against spec ({0}-terminated). Non-zero with e filled when bad. */
int server__json_check(json_t *obj, const server_field *spec, server_perr *e);
/* Matches path against a route pattern; fills p with "{name}" captures. 1 on a match. */
int server__path_match(const char *pattern, const char *path, server_params *p);
/* Finds cookie name in a Cookie header value. OUT: out (size n). 1 when found and it fits. */
int server__cookie_get(const char *header, const char *name, char *out, size_t n);
/* Parses a whole decimal integer within [min, max]. 0 on success. */
int server__parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* --- the store pool (server.c) --------------------------------------------------------------- */

/* Borrows a slot for this thread (opening a store handle when the pool is empty). */
int server__slot_get(server *s, server_slot **out, pk_err *err);
/* A new slot on its own connection, outside the pool (caller owns it). */
int server__slot_open(server *s, server_slot **out, pk_err *err);
/* Returns a slot to the pool (rolling back anything left open). */
void server__slot_put(server *s, server_slot *slot);
/* The slot's ingest handle (made on first use, with the search and hotlist hooks). */

/* --- hotlists (h_alerts.c) ------------------------------------------------------------------ */

/* The twice-daily scheduled re-import of hotlist files beside the engine (s->hot): prepared in
 * server_new, started in server_start, stopped in server_stop, freed in server_free. */
int server__hotlist_open(server *s, pk_err *err);
int server__hotlist_start(server *s, pk_err *err);
void server__hotlist_stop(server *s);
void server__hotlist_free(server *s);
/* The daily retention purge thread (records_sched.c): start after listening, stop (joins and
 * frees; idempotent) before the pool closes. */
int server__records_start(server *s, pk_err *err);
void server__records_stop(server *s);

/* --- live streams (sse.c) --------------------------------------------------------------------- */

struct server_sse_hub *server__hub_new(void);
void server__hub_close(struct server_sse_hub *h); /* ends every stream (shutdown) */
void server__hub_free(struct server_sse_hub *h);

/* Decides per subscriber whether an event goes out (e.g. covert alerts only to the list's
 * owners); meta is what the publisher attached for this decision (NULL when nothing), never
 * sent. NULL filter sends every event of the topic. */
typedef int (*server__sse_filter)(void *ctx, const char *topic, const char *json, const char *meta);

/* server_publish with meta (JSON text or NULL) for the subscribers' filters. */
void server__publish_meta(server *s, const char *topic, const char *json, const char *meta);

/* Answers the request with an event stream of topic. ctx (freed with ctx_free, may be NULL)
 * goes to filter. Last-Event-ID resumes after that event when it is still buffered. */
int server__sse_start(server_req *r, const char *topic, server__sse_filter filter, void *ctx,
                      void (*ctx_free)(void *));

#endif

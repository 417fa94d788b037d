/* The daemon: libmicrohttpd setup, the life of a request (route, body, caller, role, CSRF,
 * handler), the store pool, and graceful shutdown. */
#include "server/server_int.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"

#define SESSION_COOKIE "pk_session"

/* --- store pool ------------------------------------------------------------------------------ */

int server__slot_get(server *s, server_slot **out, pk_err *err) {
    pthread_mutex_lock(&s->pool_mu);
    if (s->pool_n > 0) {
        *out = s->pool[--s->pool_n];
        pthread_mutex_unlock(&s->pool_mu);
        return PK_OK;
    }
    pthread_mutex_unlock(&s->pool_mu);
    return server__slot_open(s, out, err);
}

int server__slot_open(server *s, server_slot **out, pk_err *err) {
    store *st;
    int rc = store_open(s->db_path, 0, &st, err);
    if (rc) return rc;
    server_slot *slot = pk_xcalloc(1, sizeof *slot);
    slot->st = st;
    slot->srv = s;
    *out = slot;
    return PK_OK;
}

void server__slot_put(server *s, server_slot *slot) {
    if (!slot) return;
    store_rollback(slot->st); /* a handler that failed half way leaves nothing open */
    pthread_mutex_lock(&s->pool_mu);
    if (s->pool_n == s->pool_cap) {
        s->pool_cap = s->pool_cap ? s->pool_cap * 2 : 8;
        s->pool = pk_xrealloc(s->pool, (size_t)s->pool_cap * sizeof *s->pool);
    }
    s->pool[s->pool_n++] = slot;
    pthread_mutex_unlock(&s->pool_mu);
}

static void slot_close(server_slot *slot) {
    if (!slot) return;
    ingest_free(slot->in);
    store_close(slot->st);
    json_decref(slot->alerts);
    free(slot);
}

static void pool_close_all(server *s) {
    pthread_mutex_lock(&s->pool_mu);
    for (int i = 0; i < s->pool_n; i++) slot_close(s->pool[i]);
    s->pool_n = 0;
    pthread_mutex_unlock(&s->pool_mu);
    pthread_mutex_lock(&s->writer_mu);
    slot_close(s->writer);
    s->writer = NULL;
    pthread_mutex_unlock(&s->writer_mu);
}

/* --- routing --------------------------------------------------------------------------------- */

/* Finds the route for method and path. *path_known is set when some route has the path (so a
 * miss is 405, not 404). */
static const server_route *route_find(const char *method, const char *path, server_params *p,
                                      int *path_known) {
    *path_known = 0;
    if (!strcmp(method, "HEAD")) method = "GET";
    for (const server_route *const *t = server__tables; *t; t++) {
        for (const server_route *rt = *t; rt->method; rt++) {
            server_params tmp;
            if (!server__path_match(rt->path, path, &tmp)) continue;
            *path_known = 1;
            if (strcmp(rt->method, method)) continue;
            *p = tmp;
            return rt;
        }
    }
    return NULL;
}

void server_print_routes(FILE *out) {
    static const access_role roles[] = {ACCESS_ROLE_ADMIN, ACCESS_ROLE_INVESTIGATOR,
                                        ACCESS_ROLE_OPERATOR, ACCESS_ROLE_AUDITOR,
                                        ACCESS_ROLE_CUSTODIAN};
    for (const server_route *const *t = server__tables; *t; t++) {
        for (const server_route *rt = *t; rt->method; rt++) {
            json_t *who = json_array();
            if (rt->who & SR_PUBLIC) json_array_append_new(who, json_string("public"));
            for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
                if (rt->who & SR_ROLE(roles[i]))
                    json_array_append_new(who, json_string(access_role_name(roles[i])));
            if (rt->who & SR_UNIT) json_array_append_new(who, json_string("unit"));
            json_t *o =
                json_pack("{s:s, s:s, s:o}", "method", rt->method, "path", rt->path, "roles", who);
            char *line = json_dumps(o, JSON_COMPACT);
            fprintf(out, "%s\n", line);
            free(line);
            json_decref(o);
        }
    }
}

/* --- the caller ------------------------------------------------------------------------------ */

static int is_safe_method(const char *m) {
    return !strcmp(m, "GET") || !strcmp(m, "HEAD");
}

/* Resolves who is calling. Replies 401 and returns non-zero when the credentials are missing or
 * wrong. */
static int authenticate(server_req *r) {
    pk_err err;
    pk_err_clear(&err);
    const char *authz = server__header(r, "Authorization");
    if (authz) {
        if (!strncasecmp(authz, "Bearer ", 7)) {
            const char *tok = authz + 7;
            if (strlen(tok) >= sizeof r->token || !*tok)
                return server__reply_error(r, 401, "unauthorized", "bearer token is malformed"), 1;
            snprintf(r->token, sizeof r->token, "%s", tok);
            if (access_session_check(r->st, r->token, &r->srv->clock, &r->user, &err))
                return server__reply_error(r, 401, "unauthorized",
                                           "session token is unknown or expired; log in again"),
                       1;
            r->auth = SERVER_AUTH_BEARER;
            return 0;
        }
        if (!strncasecmp(authz, "Unit ", 5)) {
            const char *key = authz + 5;
            if (strlen(key) >= ACCESS_TOKEN_MAX || !*key ||
                access_unit_check(r->st, key, r->unit, &err))
                return server__reply_error(r, 401, "unauthorized",
                                           "unit key is unknown or revoked"),
                       1;
            r->auth = SERVER_AUTH_UNIT;
            return 0;
        }
        return server__reply_error(r, 401, "unauthorized",
                                   "Authorization must be 'Bearer TOKEN' or 'Unit KEY'"),
               1;
    }
    const char *cookies = server__header(r, "Cookie");
    if (cookies && server__cookie_get(cookies, SESSION_COOKIE, r->token, sizeof r->token) &&
        r->token[0]) {
        if (access_session_check(r->st, r->token, &r->srv->clock, &r->user, &err))
            return server__reply_error(r, 401, "unauthorized",
                                       "session is unknown or expired; log in again"),
                   1;
        r->auth = SERVER_AUTH_COOKIE;
        return 0;
    }
    return server__reply_error(r, 401, "unauthorized",
                               "login required (Authorization: Bearer TOKEN)"),
           1;
}

/* Checks the caller against the route's roles and, for cookie sessions, the CSRF token. */
static int authorize(server_req *r) {
    unsigned who = r->route->who;
    if (r->auth == SERVER_AUTH_UNIT) {
        if (who & SR_UNIT) return 0;
        server__audit(r, "route.refused", "refused", r->route->path);
        return server__reply_error(r, 403, "forbidden", "unit keys may only send reads"), 1;
    }
    if (!(who & SR_ROLE(r->user.role))) {
        char detail[256];
        snprintf(detail, sizeof detail, "%s %s: role %s", r->route->method, r->route->path,
                 access_role_name(r->user.role) ? access_role_name(r->user.role) : "none");
        server__audit(r, "route.refused", "refused", detail);
        return server__reply_error(r, 403, "forbidden", "%s may not call %s %s",
                                   access_role_name(r->user.role) ? access_role_name(r->user.role)
                                                                  : "this account",
                                   r->route->method, r->route->path),
               1;
    }
    if (r->auth == SERVER_AUTH_COOKIE && !is_safe_method(r->method)) {
        const char *csrf = server__header(r, "X-CSRF-Token");
        if (!csrf || !access_session_csrf_ok(r->st, r->token, csrf))
            return server__reply_error(r, 403, "csrf_required",
                                       "a state-changing request with the session cookie needs "
                                       "the X-CSRF-Token header of that session"),
                   1;
    }
    return 0;
}

static void dispatch(server_req *r) {
    pk_err err;
    pk_err_clear(&err);
    if (server__slot_get(r->srv, &r->slot, &err)) {
        fprintf(stderr, "platekeeper serve: store: %s\n", err.msg);
        server__reply_error(r, 503, "busy", "the database is not available; try again");
        return;
    }
    r->st = r->slot->st;
    if (!(r->route->who & SR_PUBLIC)) {
        if (authenticate(r) || authorize(r)) goto done;
    }
    r->route->fn(r);
    if (!r->replied) {
        fprintf(stderr, "platekeeper serve: BUG: %s %s returned without an answer\n", r->method,
                r->url);
        server__reply_error(r, 500, "internal", "the server failed to answer");
    }
done:
    server__slot_put(r->srv, r->slot);
    r->slot = NULL;
    r->st = NULL;
}

/* --- libmicrohttpd callbacks ----------------------------------------------------------------- */

static void client_addr(struct MHD_Connection *c, char *buf, size_t n) {
    snprintf(buf, n, "unknown");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                  (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                  (socklen_t)n);
}

/* Frees a request's body buffer and gives its bytes back to the server-wide budget. */
static void body_release(server_req *r) {
    if (r->body_cap) atomic_fetch_sub(&r->srv->buffered, r->body_cap);
    free(r->body);
    r->body = NULL;
    r->body_len = r->body_cap = 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
    (void)version;
    server *s = cls;
    server_req *r = *con_cls;
    if (!r) {
        r = pk_xcalloc(1, sizeof *r);
        r->srv = s;
        r->conn = c;
        r->method = method;
        r->url = url;
        client_addr(c, r->client, sizeof r->client);
        atomic_fetch_add(&s->inflight, 1);
        *con_cls = r;
        if (atomic_load(&s->stopping)) {
            server__reply_error(r, 503, "shutting_down", "the server is shutting down");
            return MHD_YES;
        }
        int known = 0;
        r->route = route_find(method, url, &r->params, &known);
        if (!r->route) {
            if (known)
                server__reply_error(r, 405, "method_not_allowed", "%s is not allowed on %s", method,
                                    url);
            else
                server__reply_error(r, 404, "not_found", "no such route: %s", url);
            return MHD_YES;
        }
        r->body_limit = r->route->max_body ? r->route->max_body : s->max_body;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        int64_t declared = 0;
        if (cl && !server__parse_i64(cl, 0, INT64_MAX, &declared) &&
            (uint64_t)declared > r->body_limit) {
            /* Answer at once when the client waits for "100 Continue" or the body is huge;
             * otherwise read and drop it, so that the client (still sending) gets the answer
             * instead of a reset connection. */
            const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect");
            if (expect || (uint64_t)declared > SERVER__DISCARD_MAX)
                server__reply_error(r, 413, "too_large",
                                    "request body of %lld bytes exceeds "
                                    "the limit of %zu bytes",
                                    (long long)declared, r->body_limit);
            else
                r->body_over = 1;
        }
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->replied) return MHD_YES;
        if (r->body_over) {
            r->body_dropped += n;
            /* A chunked body that never ends is cut off: answer and close. */
            if (r->body_dropped > SERVER__DISCARD_MAX)
                server__reply_error(r, 413, "too_large",
                                    "request body exceeds the limit of %zu bytes", r->body_limit);
            return MHD_YES;
        }
        if (r->body_len + n > r->body_limit) {
            r->body_over = 1; /* the rest is read and dropped; 413 at the end */
            r->body_dropped += n;
            body_release(r);
            return MHD_YES;
        }
        if (r->body_len + n + 1 > r->body_cap) {
            /* Grow geometrically, within the limit and the server-wide budget. */
            size_t cap = r->body_cap ? r->body_cap * 2 : 16384;
            if (cap < r->body_len + n + 1) cap = r->body_len + n + 1;
            if (cap > r->body_limit + 1) cap = r->body_limit + 1;
            size_t delta = cap - r->body_cap;
            if (atomic_fetch_add(&s->buffered, delta) + delta > SERVER__BODY_BUDGET) {
                atomic_fetch_sub(&s->buffered, delta);
                r->body_over = r->body_busy = 1; /* 503 at the end: retry later */
                r->body_dropped += n;
                body_release(r);
                return MHD_YES;
            }
            r->body = pk_xrealloc(r->body, cap);
            r->body_cap = cap;
        }
        memcpy(r->body + r->body_len, upload, n);
        r->body_len += n;
        r->body[r->body_len] = '\0';
        return MHD_YES;
    }
    if (r->replied) return MHD_YES;
    if (r->body_busy) {
        server__reply_error(r, 503, "busy", "the server is receiving too much data; retry");
        return MHD_YES;
    }
    if (r->body_over) {
        server__reply_error(r, 413, "too_large", "request body exceeds the limit of %zu bytes",
                            r->body_limit);
        return MHD_YES;
    }
    dispatch(r);
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)c;
    (void)toe;
    server *s = cls;
    server_req *r = *con_cls;
    if (!r) return;
    body_release(r);
    free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&s->inflight, 1);
}

/* --- life cycle ------------------------------------------------------------------------------ */

static int read_file(const char *path, char **out, pk_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return pk_err_set(err, PK_EIO, "%s: cannot open", path);
    size_t cap = 4096, len = 0;
    char *buf = pk_xmalloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) buf = pk_xrealloc(buf, cap *= 2);
    }
    fclose(f);
    buf[len] = '\0';
    *out = buf;
    return PK_OK;
}

/* Parses "ADDR:PORT", "[V6]:PORT", ":PORT" or "PORT" into a socket address. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
                        pk_err *err) {
    char host[128] = "127.0.0.1";
    const char *port_s = spec;
    if (spec[0] == '[') {
        const char *end = strchr(spec, ']');
        if (!end || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof host)
            return pk_err_set(err, PK_EINVAL, "--listen: '%s' is not [ADDR]:PORT", spec);
        memcpy(host, spec + 1, (size_t)(end - spec - 1));
        host[end - spec - 1] = '\0';
        port_s = end + 2;
    } else if (strchr(spec, ':')) {
        const char *colon = strrchr(spec, ':');
        size_t hl = (size_t)(colon - spec);
        if (hl >= sizeof host) return pk_err_set(err, PK_EINVAL, "--listen: address too long");
        if (hl == 0)
            snprintf(host, sizeof host, "0.0.0.0");
        else {
            memcpy(host, spec, hl);
            host[hl] = '\0';
        }
        port_s = colon + 1;
    }
    int64_t port;
    if (server__parse_i64(port_s, 0, 65535, &port))
        return pk_err_set(err, PK_EINVAL, "--listen: '%s' is not a port (0-65535)", port_s);
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof *v6;
    } else {
        return pk_err_set(err, PK_EINVAL, "--listen: '%s' is not a numeric IPv4 or IPv6 address",
                          host);
    }
    return PK_OK;
}

static char *dup_or_null(const char *s) {
    return s ? pk_xstrdup(s) : NULL;
}

/* The hotlist engine's publish callback: one alert to the "alerts" topic, with who may see it
 * as the event's meta (covert lists' alerts go to their owners and administrators only). */
static void publish_alert(void *ctx, const hotlist_alert_note *note) {
    json_t *owners = json_array();
    for (size_t i = 0; i < note->n_owners; i++)
        json_array_append_new(owners, json_string(note->owners[i]));
    json_t *meta = json_pack("{s:b, s:I, s:o}", "covert", note->covert, "hotlist_id",
                             (json_int_t)note->hotlist_id, "owners", owners);
    char *m = json_dumps(meta, JSON_COMPACT);
    json_decref(meta);
    server__publish_meta(ctx, "alerts", note->json, m);
    free(m);
}

/* Recognition is a service beside the data: the server runs without it (the route answers 503
 * and says why) rather than refusing to start over a missing or damaged model file. */
static void open_recog(server *s, const char *dir) {
    if (!dir) {
        snprintf(s->rec_why, sizeof s->rec_why, "no model directory configured");
        return;
    }
    pk_err err;
    pk_err_clear(&err);
    /* Uploaded videos that FFmpeg cannot read get an answer naming the reason; its own log lines
     * on the server's stderr would only repeat it for every bad upload. */
    recog_video_quiet();
    if (recog_open(dir, &s->rec, &err)) {
        snprintf(s->rec_why, sizeof s->rec_why, "%s", err.msg);
        fprintf(stderr, "platekeeper serve: plate recognition disabled: %s\n", err.msg);
    }
}

int server_new(const server_config *cfg, server **out, pk_err *err) {
    *out = NULL;
    server *s = pk_xcalloc(1, sizeof *s);
    s->data_dir = pk_xstrdup(cfg->data_dir ? cfg->data_dir : "data");
    size_t n = strlen(s->data_dir) + 32;
    s->db_path = pk_xmalloc(n);
    snprintf(s->db_path, n, "%s/platekeeper.db", s->data_dir);
    s->web_dir = dup_or_null(cfg->web_dir);
    s->version = pk_xstrdup(cfg->version ? cfg->version : "unknown");
    s->listen = pk_xstrdup(cfg->listen ? cfg->listen : "127.0.0.1:8080");
    s->tls_cert = dup_or_null(cfg->tls_cert);
    s->tls_key = dup_or_null(cfg->tls_key);
    s->threads = cfg->threads ? cfg->threads : 8;
    s->timeout_s = cfg->timeout_s ? cfg->timeout_s : 30;
    s->grace_s = cfg->grace_s ? cfg->grace_s : 10;
    s->max_body = cfg->max_body ? cfg->max_body : SERVER__DEFAULT_BODY;
    pthread_mutex_init(&s->pool_mu, NULL);
    pthread_mutex_init(&s->writer_mu, NULL);
    s->hub = server__hub_new();
    *out = s;
    if (!!s->tls_cert != !!s->tls_key)
        return pk_err_set(err, PK_EINVAL, "--tls-cert and --tls-key go together");
    if (s->tls_cert) {
        if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
            return pk_err_set(err, PK_EUNSUPPORTED, "this libmicrohttpd was built without TLS");
        int rc = read_file(s->tls_cert, &s->cert_pem, err);
        if (!rc) rc = read_file(s->tls_key, &s->key_pem, err);
        if (rc) return rc;
        s->tls = 1;
    }
    struct sockaddr_storage ss;
    socklen_t sl;
    int lrc = parse_listen(s->listen, &ss, &sl, err);
    if (lrc) return lrc;
    if (access(s->db_path, F_OK) != 0)
        return pk_err_set(err, PK_ENOTFOUND,
                          "no data directory at %s (create one with 'platekeeper init --data %s "
                          "--admin NAME')",
                          s->data_dir, s->data_dir);
    /* Open the first handle now: a missing or unreadable database fails here, not on the first
     * request, and the migrations run once before any worker starts. */
    store *st;
    int rc = store_open(s->db_path, 0, &st, err);
    if (rc) return rc;
    s->index = search_index_new();
    rc = search_index_load(s->index, st, err);
    server_slot *slot = pk_xcalloc(1, sizeof *slot);
    slot->st = st;
    slot->srv = s;
    server__slot_put(s, slot);
    if (rc) return rc;
    rc = hotlist_engine_new(s->db_path, &s->hot, err);
    if (rc) return rc;
    hotlist_engine_set_publish(s->hot, publish_alert, s);
    open_recog(s, cfg->models_dir);
    return server__hotlist_open(s, err);
}

int server_start(server *s, unsigned *port, pk_err *err) {
    struct sockaddr_storage ss;
    socklen_t sl;
    int rc = parse_listen(s->listen, &ss, &sl, err);
    if (rc) return rc;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    if (s->tls) flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_OptionItem no_opts[] = {{MHD_OPTION_END, 0, NULL}};
    s->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, s->threads, MHD_OPTION_CONNECTION_TIMEOUT, s->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)128 * 1024, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)1000, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)200,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
        MHD_OPTION_ARRAY, s->tls ? tls_opts : no_opts, MHD_OPTION_END);
    if (!s->mhd)
        return pk_err_set(err, PK_EIO, "cannot listen on %s (address in use, or a bad %s)",
                          s->listen, s->tls ? "certificate or key" : "address");
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    char host[INET6_ADDRSTRLEN] = "127.0.0.1";
    if (ss.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
        if (!strcmp(host, "0.0.0.0")) snprintf(host, sizeof host, "127.0.0.1");
        snprintf(s->url, sizeof s->url, "%s://%s:%u", s->tls ? "https" : "http", host, s->port);
    } else {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
        snprintf(s->url, sizeof s->url, "%s://[%s]:%u", s->tls ? "https" : "http", host, s->port);
    }
    if (port) *port = s->port;
    rc = hotlist_engine_start(s->hot, err);
    if (!rc) rc = server__hotlist_start(s, err);
    if (!rc) rc = server__records_start(s, err);
    return rc;
}

const char *server_url(const server *s) {
    return s->url;
}

int server_stop(server *s, pk_err *err) {
    if (!s->mhd) return PK_OK;
    atomic_store(&s->stopping, 1);
    server__hotlist_stop(s); /* no scheduled import starts while we close */
    server__records_stop(s); /* nor a purge */
    /* Stop accepting; after a quiesce the listening socket is ours to close. */
    MHD_socket lfd = MHD_quiesce_daemon(s->mhd);
    if (lfd != MHD_INVALID_SOCKET) close(lfd);
    server__hub_close(s->hub); /* live streams end; their requests complete */
    struct timespec tick = {0, 20 * 1000 * 1000};
    for (unsigned waited = 0; atomic_load(&s->inflight) > 0 && waited < s->grace_s * 50; waited++)
        nanosleep(&tick, NULL);
    if (atomic_load(&s->inflight) > 0)
        fprintf(stderr, "platekeeper serve: %d requests still running after %u s; closing them\n",
                atomic_load(&s->inflight), s->grace_s);
    MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
    hotlist_engine_free(s->hot); /* its thread and store handle go before the checkpoint */
    s->hot = NULL;
    pool_close_all(s);
    store *st;
    int rc = store_open(s->db_path, 0, &st, err);
    if (!rc) {
        rc = store_checkpoint(st, err);
        store_close(st);
    }
    return rc;
}

void server_free(server *s) {
    if (!s) return;
    if (s->mhd) server_stop(s, NULL);
    server__records_stop(s);
    pool_close_all(s);
    server__hotlist_free(s);
    server__hub_free(s->hub);
    search_index_free(s->index);
    hotlist_engine_free(s->hot);
    recog_free(s->rec);
    pthread_mutex_destroy(&s->pool_mu);
    pthread_mutex_destroy(&s->writer_mu);
    free(s->pool);
    free(s->data_dir);
    free(s->db_path);
    free(s->web_dir);
    free(s->version);
    free(s->listen);
    free(s->tls_cert);
    free(s->tls_key);
    if (s->key_pem) sodium_memzero(s->key_pem, strlen(s->key_pem));
    free(s->cert_pem);
    free(s->key_pem);
    free(s);
}

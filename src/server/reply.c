/* Answers: JSON values, error objects, raw bytes. Every response is queued here, so the
 * headers every answer carries (no caching of API data, no sniffing) are set in one place. */
#include "server/server_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

unsigned server__status_for(int rc) {
    switch (rc) {
    case PK_OK:
        return 200;
    case PK_EINVAL:
        return 400;
    case PK_EPURPOSE:
        return 400;
    case PK_ECASE:
        return 400;
    case PK_ENOTFOUND:
        return 404;
    case PK_EEXIST:
        return 409;
    case PK_ECONFLICT:
        return 409;
    case PK_EDENIED:
        return 403;
    case PK_ETRAINING:
        return 403;
    case PK_EAUTH:
        return 401;
    case PK_ELIMIT:
        return 413;
    case PK_EUNSUPPORTED:
        return 400;
    case PK_EBUSY:
        return 503;
    default:
        return 500;
    }
}

void server__reply_header(server_req *r, const char *name, const char *value) {
    PK_ASSERT(r->n_hdr < (int)(sizeof r->hdr / sizeof r->hdr[0]));
    snprintf(r->hdr[r->n_hdr].name, sizeof r->hdr[0].name, "%s", name);
    snprintf(r->hdr[r->n_hdr].value, sizeof r->hdr[0].value, "%s", value);
    r->n_hdr++;
}

int server__reply_bytes(server_req *r, unsigned status, const char *ctype, const void *buf,
                        size_t len) {
    PK_ASSERT(!r->replied);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)buf, MHD_RESPMEM_MUST_COPY);
    PK_ASSERT(resp);
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    /* blob: images are the "Read a photo" page's own preview of the file chosen in the browser
     * (an object URL, never fetched from anywhere). */
    if (!strncmp(ctype, "text/html", 9))
        MHD_add_response_header(
            resp, "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'");
    for (int i = 0; i < r->n_hdr; i++)
        MHD_add_response_header(resp, r->hdr[i].name, r->hdr[i].value);
    if (r->srv->tls) MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    r->replied = 1;
    r->status = (int)status;
    return 0;
}

int server__reply_json(server_req *r, unsigned status, json_t *value) {
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(value);
    PK_ASSERT(text);
    size_t len = strlen(text);
    int rc = server__reply_bytes(r, status, "application/json", text, len);
    free(text);
    return rc;
}

int server__reply_error(server_req *r, unsigned status, const char *code, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages may quote input; keep them printable ASCII so they are always valid JSON text. */
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) *p = '?';
    snprintf(r->reply_msg, sizeof r->reply_msg, "%s", msg);
    if (status == 401) server__reply_header(r, "WWW-Authenticate", "Bearer realm=\"platekeeper\"");
    server__reply_json(r, status, json_pack("{s:s, s:s}", "error", code, "message", msg));
    return 0;
}

int server__reply_pkerr(server_req *r, int rc, const pk_err *err) {
    unsigned status = server__status_for(rc);
    const char *msg = err && err->msg[0] ? err->msg : pk_err_default_msg(rc);
    /* Internal failures keep their detail in the server log, not in the answer. */
    if (status >= 500) {
        fprintf(stderr, "platekeeper serve: %s %s: %s\n", r->method, r->url, msg);
        return server__reply_error(r, status, pk_err_code_name(rc), "%s", pk_err_default_msg(rc));
    }
    return server__reply_error(r, status, pk_err_code_name(rc), "%s", msg);
}

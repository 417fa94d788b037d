/* The browser UI: static files from the web directory (server_config.web_dir), public like the
 * login page they make up; the data they show comes from the API with the session cookie.
 * Only plain file names in that one directory are served (no subdirectories, no dot files), so
 * no request path can reach outside it. */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *content_type(const char *name) {
    const char *dot = strrchr(name, '.');
    if (!dot) return "application/octet-stream";
    if (!strcmp(dot, ".html")) return "text/html; charset=utf-8";
    if (!strcmp(dot, ".js")) return "text/javascript; charset=utf-8";
    if (!strcmp(dot, ".css")) return "text/css; charset=utf-8";
    if (!strcmp(dot, ".svg")) return "image/svg+xml";
    if (!strcmp(dot, ".png")) return "image/png";
    if (!strcmp(dot, ".ico")) return "image/x-icon";
    return "application/octet-stream";
}

static int name_ok(const char *name) {
    if (!name[0] || name[0] == '.') return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == '_'))
            return 0;
    return 1;
}

static int serve_file(server_req *r, const char *name) {
    if (!r->srv->web_dir)
        return server__reply_error(r, 404, "not_found", "no web UI configured (serve --web DIR)");
    if (!name_ok(name)) return server__reply_error(r, 404, "not_found", "no such file");
    size_t n = strlen(r->srv->web_dir) + strlen(name) + 2;
    char *path = pk_xmalloc(n);
    snprintf(path, n, "%s/%s", r->srv->web_dir, name);
    FILE *f = fopen(path, "rb");
    free(path);
    if (!f) return server__reply_error(r, 404, "not_found", "no such file");
    size_t cap = 65536, len = 0, got;
    char *buf = pk_xmalloc(cap);
    while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            if (cap >= ((size_t)8 << 20)) break;
            buf = pk_xrealloc(buf, cap *= 2);
        }
    }
    fclose(f);
    server__reply_bytes(r, 200, content_type(name), buf, len);
    free(buf);
    return 0;
}

static int index_page(server_req *r) { return serve_file(r, "index.html"); }
static int static_file(server_req *r) { return serve_file(r, server__param(r, "file")); }

const server_route server__web_routes[] = {
    {"GET", "/", SR_PUBLIC, index_page, 0},
    {"GET", "/static/{file}", SR_PUBLIC, static_file, 0},
    {0},
};

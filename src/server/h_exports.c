/* Evidence exports over the API (issue 5 items 3 and 5): POST /exports {"hold_id"} writes the
 * package as DIR/exports/hold-ID-MS.tar and answers with its manifest hash; the package is
 * fetched with GET /exports/{id}/package (through the gate, logged as "records.export" or "records.share"). */
#include "server/server_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"

int server__export_path(server_req *r, const char *kind, int64_t id, char *buf, size_t n,
                        pk_err *err) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/exports", r->srv->data_dir);
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return pk_err_set(err, PK_EIO, "%s: %s", dir, strerror(errno));
    snprintf(buf, n, "%s/%s-%" PRId64 "-%" PRId64 ".tar", dir, kind, id, pk_clock_now(&r->srv->clock));
    return PK_OK;
}

int server__reply_export(server_req *r, const records_export_result *res) {
    char dl[96];
    snprintf(dl, sizeof dl, "/api/v1/exports/%" PRId64 "/package", res->export_id);
    return server__reply_json(r, 201, json_pack("{s:I, s:I, s:I, s:s, s:s}", "id",
                                                (json_int_t)res->export_id, "reads",
                                                (json_int_t)res->reads, "images",
                                                (json_int_t)res->images, "manifest_sha256",
                                                res->manifest_sha256, "download", dl));
}

static int exports_create(server_req *r) {
    static const server_field spec[] = {{"hold_id", SF_INT, 1, 0}, {0}};
    json_t *b;
    if (server__json_body(r, spec, &b)) return 0;
    int64_t hold = json_integer_value(json_object_get(b, "hold_id"));
    json_decref(b);
    pk_err err;
    pk_err_clear(&err);
    char path[4400];
    int rc = server__export_path(r, "hold", hold, path, sizeof path, &err);
    records_export_result res;
    records_actor a = server__records_actor(r);
    if (!rc) rc = records_export_hold(r->st, &a, hold, path, &res, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    return server__reply_export(r, &res);
}

static int exports_get(server_req *r) {
    int64_t id;
    if (server__param_id(r, "id", &id)) return 0;
    records_export e;
    pk_err err;
    pk_err_clear(&err);
    int rc = records_export_get(r->st, id, &e, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    char t[PK_TIME_STR_MAX];
    pk_time_format(e.exported_at, t);
    return server__reply_json(
        r, 200,
        json_pack("{s:I, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:I}", "id", (json_int_t)e.id,
                  "kind", e.kind, "hold_id", (json_int_t)e.hold_id, "request_id",
                  (json_int_t)e.request_id, "case", e.case_no, "exported_by", e.exported_by,
                  "exported_at", t, "manifest_sha256", e.manifest_sha256, "reads",
                  (json_int_t)e.reads, "images", (json_int_t)e.images));
}

/* The package holds reads and images, so it goes out only under a grant like any read data:
 * role, active account, current training and a purpose are checked (a refusal is logged), and
 * the access-log entry with the number of reads is written before the first byte. The browser's
 * download link states no purpose: it defaults to "investigation" with the export's case;
 * purpose and case query parameters override both. */
static int exports_package_do(server_req *r) {
    static const char *const allowed[] = {"purpose", "case", NULL};
    if (server__query_only(r, allowed)) return 0;
    int64_t id;
    if (server__param_id(r, "id", &id)) return 0;
    records_export e;
    pk_err err;
    pk_err_clear(&err);
    int rc = records_export_get(r->st, id, &e, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    char q[96];
    snprintf(q, sizeof q, "{\"export_id\":%" PRId64 "}", id);
    const char *purpose = server__query(r, "purpose"), *case_no = server__query(r, "case");
    if (!purpose || !*purpose) purpose = "investigation";
    if (!case_no || !*case_no) case_no = e.case_no[0] ? e.case_no : NULL;
    access_request req = {
        .user = &r->user,
        .action = strcmp(e.kind, "request") ? ACCESS_RECORDS_EXPORT : ACCESS_RECORDS_SHARE,
        .purpose = purpose,
        .case_no = case_no,
        .client = r->client,
        .clock = &r->srv->clock,
    };
    access_grant *g = NULL;
    r->gated = 1;
    if ((rc = access_grant_open(r->st, &req, q, &g, &err)))
        return server__reply_pkerr(r, rc, &err);
    int fd = open(e.path, O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > (1LL << 31)) {
        if (fd >= 0) close(fd);
        rc = access_grant_record(g, q, 0, &err);
        access_grant_free(g);
        if (rc) return server__reply_pkerr(r, rc, &err);
        return server__reply_error(r, 410, "gone", "export %" PRId64 ": the package is no longer "
                                   "on the server (a directory export, or moved to media)", id);
    }
    size_t n = (size_t)sb.st_size, off = 0;
    unsigned char *buf = pk_xmalloc(n ? n : 1);
    while (off < n) {
        ssize_t k = read(fd, buf + off, n - off);
        if (k <= 0) break;
        off += (size_t)k;
    }
    close(fd);
    rc = access_grant_record(g, q, e.reads, &err);
    access_grant_free(g);
    if (rc) {
        free(buf);
        return server__reply_pkerr(r, rc, &err);
    }
    char cd[128];
    snprintf(cd, sizeof cd, "attachment; filename=\"export-%" PRId64 ".tar\"", id);
    server__reply_header(r, "Content-Disposition", cd);
    rc = server__reply_bytes(r, 200, "application/x-tar", buf, off);
    free(buf);
    return rc;
}

static int exports_package(server_req *r) {
    return server__data_route(r, ACCESS_RECORDS_EXPORT, exports_package_do);
}

const server_route server__exports_routes[] = {
    {"POST", "/api/v1/exports", SR_ADMIN | SR_INVESTIGATOR | SR_CUSTODIAN, exports_create, 0},
    {"GET", "/api/v1/exports/{id}", SR_ADMIN | SR_INVESTIGATOR | SR_CUSTODIAN | SR_AUDITOR, exports_get, 0},
    {"GET", "/api/v1/exports/{id}/package", SR_ADMIN | SR_INVESTIGATOR | SR_CUSTODIAN, exports_package, 0},
    {0},
};

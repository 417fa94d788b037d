/* Evidence export: the package (reads as JSON and CSV, images, manifest, chain of custody) and
 * its verification. */
#include "records/records_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FORMAT "platekeeper-export/1"

/* A growing text buffer. */
typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *t, size_t len) {
    if (b->n + len + 1 > b->cap) {
        while (b->n + len + 1 > b->cap) b->cap = b->cap ? b->cap * 2 : 4096;
        b->s = pk_xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, t, len);
    b->n += len;
    b->s[b->n] = '\0';
}

static void sb_str(sbuf *b, const char *t) {
    sb_add(b, t, strlen(t));
}

/* One CSV field: quoted when needed; a leading = + - @ is prefixed with ' so that a spreadsheet
 * never runs it as a formula. */
static void csv_field(sbuf *b, const char *v, int last) {
    int quote = strpbrk(v, ",\"\r\n") != NULL;
    if (quote) sb_str(b, "\"");
    if (strchr("=+-@", v[0]) && v[0]) sb_str(b, "'");
    for (const char *p = v; *p; p++) {
        if (*p == '"') sb_str(b, "\"");
        sb_add(b, p, 1);
    }
    if (quote) sb_str(b, "\"");
    sb_str(b, last ? "\r\n" : ",");
}

static int read_file(const char *path, unsigned char **data, size_t *len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || sb.st_size > (64 << 20)) {
        close(fd);
        return -1;
    }
    size_t n = (size_t)sb.st_size, off = 0;
    unsigned char *b = pk_xmalloc(n ? n : 1);
    while (off < n) {
        ssize_t r = read(fd, b + off, n - off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        off += (size_t)r;
    }
    close(fd);
    *data = b;
    *len = off;
    return 0;
}

static json_t *read_json(const store_read *r) {
    char t[PK_TIME_STR_MAX], ing[PK_TIME_STR_MAX], uuid[37];
    pk_time_format(r->ts, t);
    pk_time_format(r->ingested_at, ing);
    const unsigned char *u = r->uuid;
    snprintf(uuid, sizeof uuid,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
             u[15]);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:f, s:s}", "id", (json_int_t)r->id,
                          "uuid", uuid, "plate", r->plate, "state", r->state, "ts", t, "camera",
                          r->camera, "confidence", r->confidence, "ingested_at", ing);
    if (r->has_pos) {
        json_object_set_new(o, "lat", json_real(r->lat));
        json_object_set_new(o, "lon", json_real(r->lon));
    }
    if (r->heading >= 0) json_object_set_new(o, "heading", json_real(r->heading));
    if (r->plate_image[0]) json_object_set_new(o, "plate_image", json_string(r->plate_image));
    if (r->scene_image[0]) json_object_set_new(o, "scene_image", json_string(r->scene_image));
    if (r->candidates) {
        json_t *c = json_loads(r->candidates, 0, NULL);
        if (c) json_object_set_new(o, "candidates", c);
    }
    if (r->vehicle) {
        json_t *v = json_loads(r->vehicle, 0, NULL);
        if (v) json_object_set_new(o, "vehicle", v);
    }
    return o;
}

static void csv_row(sbuf *b, const store_read *r) {
    char t[PK_TIME_STR_MAX], num[64];
    snprintf(num, sizeof num, "%" PRId64, r->id);
    csv_field(b, num, 0);
    csv_field(b, r->plate, 0);
    csv_field(b, r->state, 0);
    pk_time_format(r->ts, t);
    csv_field(b, t, 0);
    csv_field(b, r->camera, 0);
    snprintf(num, sizeof num, "%.7f", r->lat);
    csv_field(b, r->has_pos ? num : "", 0);
    snprintf(num, sizeof num, "%.7f", r->lon);
    csv_field(b, r->has_pos ? num : "", 0);
    snprintf(num, sizeof num, "%.1f", r->heading);
    csv_field(b, r->heading >= 0 ? num : "", 0);
    snprintf(num, sizeof num, "%.1f", r->confidence);
    csv_field(b, num, 0);
    csv_field(b, r->plate_image, 0);
    csv_field(b, r->scene_image, 1);
}

/* Adds an image once (seen is a JSON object used as a set). */
static int add_image(records__pkg *p, const char *images_dir, const char *sha, json_t *seen,
                     json_t *missing, int64_t *n_images, pk_err *err) {
    if (!sha[0] || json_object_get(seen, sha)) return PK_OK;
    json_object_set_new(seen, sha, json_true());
    char path[4400], name[128];
    snprintf(path, sizeof path, "%s/%.2s/%.2s/%s.jpg", images_dir, sha, sha + 2, sha);
    unsigned char *data;
    size_t len;
    if (read_file(path, &data, &len) != 0) {
        json_array_append_new(missing, json_string(sha));
        return PK_OK;
    }
    snprintf(name, sizeof name, "images/%s.jpg", sha);
    int rc = records__pkg_add(p, name, data, len, 1, err);
    free(data);
    if (!rc) (*n_images)++;
    return rc;
}

static char *custody_text(const records_actor *a, const records__export_job *job, int64_t n_reads,
                          int64_t n_images, const char *when) {
    const access_user *u = a->user;
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    PK_ASSERT(f);
    fprintf(f, "CHAIN OF CUSTODY RECORD - ALPR evidence export\n\n");
    fprintf(f, "Case number:        %s\n", job->case_no);
    if (job->hold_id) fprintf(f, "Hold:               %" PRId64 "\n", job->hold_id);
    if (job->request_id) fprintf(f, "Sharing request:    %" PRId64 "\n", job->request_id);
    fprintf(f, "Exported at (UTC):  %s\n", when);
    fprintf(f, "Exported by:        %s (%s), %s, %s\n", u ? u->full_name : "system",
            u ? u->username : "system", u ? u->job_title : "", u ? u->agency : "");
    fprintf(f, "Contents:           %" PRId64 " reads, %" PRId64 " images\n", n_reads, n_images);
    fprintf(f, "Integrity:          MANIFEST.json lists the SHA-256 of every file;\n"
               "                    MANIFEST.sha256 holds the SHA-256 of MANIFEST.json.\n"
               "                    Check with: platekeeper export verify PACKAGE\n\n");
    fprintf(f, "Transfers (each person who takes custody signs a line):\n\n");
    fprintf(f, "%-4s %-20s %-24s %-24s %-20s %s\n", "#", "Date/time", "Released by", "Received by",
            "Purpose", "Signature");
    fprintf(f, "%-4s %-20s %-24s %-24s %-20s %s\n", "1", when, u ? u->username : "system",
            "________________", "evidence booking", "________________");
    for (int i = 2; i <= 6; i++)
        fprintf(f, "%-4d %-20s %-24s %-24s %-20s %s\n", i, "________________", "________________",
                "________________", "________________", "________________");
    fclose(f);
    return s;
}

int records__export_run(access_grant *g, const records_actor *a, const records__export_job *job,
                        const char *out, records_export_result *res, pk_err *err) {
    memset(res, 0, sizeof *res);
    store *st = access_grant_store(g);
    int64_t *ids = NULL;
    size_t n = 0;
    int rc;
    if (job->query) {
        if ((rc = records__query_ids(st, job->query, &ids, &n, err))) return rc;
    } else {
        ids = pk_xmalloc((job->n_read_ids + 1) * sizeof *ids);
        memcpy(ids, job->read_ids, job->n_read_ids * sizeof *ids);
        n = job->n_read_ids;
    }
    json_t *q = json_pack("{s:s, s:s}", "export", job->kind, "case", job->case_no);
    if (job->hold_id) json_object_set_new(q, "hold_id", json_integer(job->hold_id));
    if (job->request_id) json_object_set_new(q, "request_id", json_integer(job->request_id));
    if (job->query) {
        char *qs = records_query_json(job->query);
        json_object_set_new(q, "scope", json_loads(qs, 0, NULL));
        free(qs);
    }
    char *qtext = json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(q);
    /* The access-log entry comes first: nothing is copied out unless it is written. */
    rc = access_grant_record(g, qtext, (int64_t)n, err);
    if (rc) {
        free(ids);
        free(qtext);
        return rc;
    }
    records__pkg p;
    if ((rc = records__pkg_open(&p, out, err))) {
        free(ids);
        free(qtext);
        return rc;
    }
    char images_dir[4096];
    records__images_dir(st, images_dir, sizeof images_dir);
    json_t *reads = json_array(), *seen = json_object(), *missing_img = json_array(),
           *missing_reads = json_array();
    sbuf csv = {0};
    sb_str(&csv, "id,plate,state,ts,camera,lat,lon,heading,confidence,plate_image,scene_image\r\n");
    int64_t n_reads = 0, n_images = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        store_read r;
        int x = store_read_get(st, ids[i], &r, err);
        if (x == PK_ENOTFOUND) {
            json_array_append_new(missing_reads, json_integer(ids[i]));
            continue;
        }
        if ((rc = x)) break;
        json_array_append_new(reads, read_json(&r));
        csv_row(&csv, &r);
        n_reads++;
        rc = add_image(&p, images_dir, r.plate_image, seen, missing_img, &n_images, err);
        if (!rc) rc = add_image(&p, images_dir, r.scene_image, seen, missing_img, &n_images, err);
        store_read_fini(&r);
    }
    char when[PK_TIME_STR_MAX];
    int64_t now = records__now(a);
    pk_time_format(now, when);
    char *rj = json_dumps(reads, JSON_INDENT(1) | JSON_SORT_KEYS);
    if (!rc) rc = records__pkg_add(&p, "reads.json", rj, strlen(rj), 1, err);
    if (!rc) rc = records__pkg_add(&p, "reads.csv", csv.s, csv.n, 1, err);
    if (!rc && job->document)
        rc = records__pkg_add(&p, "request/document", job->document, job->document_len, 1, err);
    char *custody = custody_text(a, job, n_reads, n_images, when);
    if (!rc) rc = records__pkg_add(&p, "CUSTODY.txt", custody, strlen(custody), 1, err);
    free(custody);
    free(rj);
    free(csv.s);
    json_decref(reads);
    json_decref(seen);

    json_t *m = NULL;
    char *mtext = NULL;
    if (!rc) {
        const access_user *u = a->user;
        m = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:I, s:I}", "format", FORMAT,
                      "kind", job->kind, "case", job->case_no, "exported_at", when, "exported_by",
                      "username", u ? u->username : "system", "full_name", u ? u->full_name : "",
                      "agency", u ? u->agency : "", "role",
                      u && access_role_name(u->role) ? access_role_name(u->role) : "", "reads",
                      (json_int_t)n_reads, "images", (json_int_t)n_images);
        json_t *ctxj = job->context_json ? json_loads(job->context_json, 0, NULL) : NULL;
        if (ctxj) json_object_set_new(m, job->kind, ctxj);
        if (json_array_size(missing_reads)) json_object_set(m, "missing_reads", missing_reads);
        if (json_array_size(missing_img)) json_object_set(m, "missing_images", missing_img);
        json_t *files = json_array();
        for (size_t i = 0; i < p.n_files; i++)
            json_array_append_new(files, json_pack("{s:s, s:s, s:I}", "path", p.files[i].name,
                                                   "sha256", p.files[i].sha256, "size",
                                                   (json_int_t)p.files[i].size));
        json_object_set_new(m, "files", files);
        mtext = json_dumps(m, JSON_INDENT(1) | JSON_SORT_KEYS);
        rc = records__pkg_add(&p, "MANIFEST.json", mtext, strlen(mtext), 0, err);
    }
    json_decref(missing_img);
    json_decref(missing_reads);
    json_decref(m);
    if (!rc) {
        records__sha256_hex(mtext, strlen(mtext), res->manifest_sha256);
        char line[128];
        /* sha256sum's format, so `sha256sum -c MANIFEST.sha256` works in the package too */
        snprintf(line, sizeof line, "%s  MANIFEST.json\n", res->manifest_sha256);
        rc = records__pkg_add(&p, "MANIFEST.sha256", line, strlen(line), 0, err);
    }
    free(mtext);
    if (!rc) rc = records__pkg_close(&p, err);
    if (!rc) {
        store_export e;
        memset(&e, 0, sizeof e);
        snprintf(e.kind, sizeof e.kind, "%s", job->kind);
        e.hold_id = job->hold_id;
        e.request_id = job->request_id;
        snprintf(e.case_no, sizeof e.case_no, "%s", job->case_no);
        snprintf(e.exported_by, sizeof e.exported_by, "%s", records__who(a));
        e.exported_at = now;
        char *abs = realpath(out, NULL);
        snprintf(e.path, sizeof e.path, "%s", abs ? abs : out);
        free(abs);
        memcpy(e.manifest_sha256, res->manifest_sha256, 65);
        e.reads = n_reads;
        e.images = n_images;
        if (!(rc = store_begin(st, err))) {
            rc = store_export_add(st, &e, &res->export_id, err);
            if (!rc) {
                char lq[256];
                snprintf(lq, sizeof lq,
                         "{\"export_id\":%" PRId64 ",\"kind\":\"%s\",\"manifest_sha256\":\"%s\"}",
                         res->export_id, job->kind, res->manifest_sha256);
                rc = records__log(st, a, "export", lq, job->case_no, n_reads, "ok", NULL, err);
            }
            if (rc)
                store_rollback(st);
            else
                rc = store_commit(st, err);
        }
    }
    if (rc) {
        records__pkg_abort(&p);
        memset(res, 0, sizeof *res);
    } else {
        records__pkg_free(&p);
        res->reads = n_reads;
        res->images = n_images;
    }
    free(ids);
    free(qtext);
    return rc;
}

static int collect_item(void *ctx, int64_t read_id) {
    json_t *a = ctx;
    json_array_append_new(a, json_integer(read_id));
    return 0;
}

int records_export_hold(store *st, const records_actor *a, int64_t hold_id, const char *out,
                        records_export_result *res, pk_err *err) {
    memset(res, 0, sizeof *res);
    int rc = records__require(a, 0, err, "export", ACCESS_ROLE_INVESTIGATOR, ACCESS_ROLE_ADMIN,
                              ACCESS_ROLE_CUSTODIAN, -1);
    if (rc) return rc;
    if (!out || !*out) return pk_err_set(err, PK_EINVAL, "out: required");
    records_hold h;
    if ((rc = store_hold_get(st, hold_id, &h, err))) return rc;
    if (strcmp(h.status, "approved")) {
        rc = pk_err_set(err, PK_ECONFLICT, "hold %" PRId64 " is %s: only an approved hold is exported",
                        hold_id, h.status);
        store_hold_fini(&h);
        return rc;
    }
    access_request req = {a->user, ACCESS_RECORDS_EXPORT, "investigation", h.case_no,
                          a->client ? a->client : "cli", a->clock};
    char qj[160];
    snprintf(qj, sizeof qj, "{\"export\":\"hold\",\"hold_id\":%" PRId64 "}", hold_id);
    access_grant *g = NULL;
    if ((rc = access_grant_open(st, &req, qj, &g, err))) {
        store_hold_fini(&h);
        return rc;
    }
    json_t *items = json_array();
    rc = store_hold_items_each(st, hold_id, collect_item, items, err);
    size_t n = json_array_size(items);
    int64_t *ids = pk_xmalloc((n + 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++) ids[i] = json_integer_value(json_array_get(items, i));
    json_decref(items);
    char t1[PK_TIME_STR_MAX], t2[PK_TIME_STR_MAX], t3[PK_TIME_STR_MAX];
    pk_time_format(h.opened_at, t1);
    pk_time_format(h.approved_at, t2);
    pk_time_format(h.review_at, t3);
    json_t *ctx = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
                            (json_int_t)h.id, "case", h.case_no, "reason", h.reason, "contact",
                            h.contact, "opened_by", h.opened_by, "opened_at", t1, "approved_by",
                            h.approved_by, "approved_at", t2, "review_at", t3);
    char *ctext = json_dumps(ctx, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(ctx);
    if (!rc) {
        records__export_job job = {"hold", h.case_no, hold_id, 0, ctext, NULL, 0, ids, n, NULL};
        rc = records__export_run(g, a, &job, out, res, err);
    }
    free(ctext);
    free(ids);
    access_grant_free(g);
    store_hold_fini(&h);
    return rc;
}

int records_export_get(store *st, int64_t id, records_export *e, pk_err *err) {
    return store_export_get(st, id, e, err);
}

/* ---- verification ---- */

static void report(void (*problem)(void *, const char *, const char *, const char *), void *ctx,
                   records_verify_result *res, const char *kind, const char *path,
                   const char *detail) {
    res->problems++;
    res->intact = 0;
    if (problem) problem(ctx, kind, path, detail);
}

int records_export_verify_mem(const char *manifest, size_t manifest_len, const char *manifest_sha,
                              const char *const *names, const unsigned char *const *files,
                              const size_t *lens, size_t n,
                              void (*problem)(void *ctx, const char *kind, const char *path,
                                              const char *detail),
                              void *ctx, records_verify_result *res) {
    memset(res, 0, sizeof *res);
    res->intact = 1;
    if (!manifest) {
        report(problem, ctx, res, "missing", "MANIFEST.json", "the package has no manifest");
        return PK_OK;
    }
    records__sha256_hex(manifest, manifest_len, res->manifest_sha256);
    if (!manifest_sha)
        report(problem, ctx, res, "missing", "MANIFEST.sha256", "the manifest's hash file is missing");
    else if (strlen(manifest_sha) < 64 || strncmp(manifest_sha, res->manifest_sha256, 64))
        report(problem, ctx, res, "manifest", "MANIFEST.json",
               "the manifest does not match MANIFEST.sha256 (edited manifest)");
    json_error_t je;
    json_t *m = json_loadb(manifest, manifest_len, 0, &je);
    json_t *list = m ? json_object_get(m, "files") : NULL;
    json_t *fmt = m ? json_object_get(m, "format") : NULL;
    if (!m || !json_is_array(list) || !json_is_string(fmt) || strcmp(json_string_value(fmt), FORMAT)) {
        report(problem, ctx, res, "format", "MANIFEST.json", "not a platekeeper export manifest");
        json_decref(m);
        return PK_OK;
    }
    const char *case_no = json_string_value(json_object_get(m, "case"));
    snprintf(res->case_no, sizeof res->case_no, "%s", case_no ? case_no : "");
    char *listed = pk_xcalloc(n ? n : 1, 1);
    size_t i;
    json_t *f;
    json_array_foreach(list, i, f) {
        const char *path = json_string_value(json_object_get(f, "path"));
        const char *sha = json_string_value(json_object_get(f, "sha256"));
        json_t *size = json_object_get(f, "size");
        if (!path || !sha || !json_is_integer(size)) {
            report(problem, ctx, res, "format", "MANIFEST.json", "a file entry lacks path, sha256 or size");
            continue;
        }
        size_t k = 0;
        while (k < n && strcmp(names[k], path)) k++;
        if (k == n) {
            report(problem, ctx, res, "missing", path, "listed in the manifest, not in the package");
            continue;
        }
        listed[k] = 1;
        res->files_checked++;
        char got[65];
        records__sha256_hex(files[k], lens[k], got);
        if (strcmp(got, sha) || (json_int_t)lens[k] != json_integer_value(size)) {
            char d[200];
            snprintf(d, sizeof d, "SHA-256 %.16s... differs from the manifest's %.16s...", got, sha);
            report(problem, ctx, res, "tampered", path, d);
        }
    }
    for (size_t k = 0; k < n; k++) {
        if (listed[k] || !strcmp(names[k], "MANIFEST.json") || !strcmp(names[k], "MANIFEST.sha256"))
            continue;
        report(problem, ctx, res, "extra", names[k], "in the package, not in the manifest");
    }
    free(listed);
    json_decref(m);
    return PK_OK;
}

int records_export_verify(const char *package,
                          void (*problem)(void *ctx, const char *kind, const char *path,
                                          const char *detail),
                          void *ctx, records_verify_result *res, pk_err *err) {
    memset(res, 0, sizeof *res);
    records__pkg_files pf;
    int rc = records__pkg_read(package, &pf, err);
    if (rc) return rc;
    const char *manifest = NULL, *sha = NULL;
    size_t mlen = 0;
    char shabuf[65] = "";
    for (size_t i = 0; i < pf.n; i++) {
        if (!strcmp(pf.names[i], "MANIFEST.json")) {
            manifest = (const char *)pf.data[i];
            mlen = pf.lens[i];
        } else if (!strcmp(pf.names[i], "MANIFEST.sha256")) {
            snprintf(shabuf, sizeof shabuf, "%.*s", (int)(pf.lens[i] < 64 ? pf.lens[i] : 64),
                     (const char *)pf.data[i]);
            sha = shabuf;
        }
    }
    rc = records_export_verify_mem(manifest, mlen, sha, (const char *const *)pf.names,
                                   (const unsigned char *const *)pf.data, pf.lens, pf.n, problem,
                                   ctx, res);
    records__pkg_files_free(&pf);
    return rc;
}

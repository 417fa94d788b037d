/* The ingest handle, batches and their one transaction each (DESIGN.md §4 rules 5 and 6). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_int.h"

void ingest_opts_init(ingest_opts *o, store *st) {
    memset(o, 0, sizeof *o);
    o->image_max = INGEST_IMAGE_MAX_DEFAULT;
    o->line_max = INGEST_LINE_MAX_DEFAULT;
    o->future_ms = INGEST_FUTURE_MS_DEFAULT;
    o->oldest_ms = pk_days_from_civil(2000, 1, 1) * PK_MS_PER_DAY;
    o->batch = INGEST_BATCH_DEFAULT;
    if (st) {
        int64_t v = store_setting_int(st, "ingest.image_max_bytes", o->image_max);
        if (v > 0) o->image_max = v;
        v = store_setting_int(st, "ingest.line_max_bytes", o->line_max);
        if (v > 0) o->line_max = v;
    }
}

void ingest_result_init(ingest_result *r) {
    memset(r, 0, sizeof *r);
}

void ingest_result_fini(ingest_result *r) {
    free(r->rejects);
    memset(r, 0, sizeof *r);
}

static void add_reject(ingest_result *r, const ingest_reject *rej) {
    if (r->n_rejects == r->cap_rejects) {
        r->cap_rejects = r->cap_rejects ? 2 * r->cap_rejects : 16;
        r->rejects = pk_xrealloc(r->rejects, r->cap_rejects * sizeof *r->rejects);
    }
    r->rejects[r->n_rejects++] = *rej;
}

void ingest_reject_format(const char *path, const ingest_reject *rej, char *buf, size_t n) {
    snprintf(buf, n, "%s:%lld: %s: %s", path, (long long)rej->index, rej->field, rej->reason);
}

ingest *ingest_new(store *st, const ingest_opts *o) {
    ingest *in = pk_xcalloc(1, sizeof *in);
    in->st = st;
    in->o = *o;
    if (in->o.batch == 0) in->o.batch = INGEST_BATCH_DEFAULT;
    in->tj = tjInitDecompress();
    PK_ASSERT(in->tj);
    return in;
}

void ingest_free(ingest *in) {
    if (!in) return;
    tjDestroy(in->tj);
    free(in->cams);
    free(in);
}

ingest__item *ingest__batch_add(ingest__batch *b, int64_t index) {
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->items = pk_xrealloc(b->items, b->cap * sizeof *b->items);
    }
    ingest__item *it = &b->items[b->n++];
    memset(it, 0, sizeof *it);
    it->index = index;
    it->names = &ingest__our_names;
    it->read.heading = -1;
    return it;
}

void ingest__batch_clear(ingest__batch *b) {
    for (size_t i = 0; i < b->n; i++) {
        ingest__item *it = &b->items[i];
        if (it->borrowed) continue;
        free(it->candidates);
        free(it->vehicle);
        free(it->plate_jpeg);
        free(it->scene_jpeg);
    }
    b->n = 0;
}

void ingest__batch_fini(ingest__batch *b) {
    ingest__batch_clear(b);
    free(b->items);
    memset(b, 0, sizeof *b);
}

/* Camera ids by name, cached for the life of the handle: a few hundred cameras send millions of
 * reads. Binary search over a sorted array keeps it small and simple. */
static int cam_find(const ingest *in, const char *name, size_t *pos) {
    size_t lo = 0, hi = in->n_cams;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(in->cams[mid].name, name);
        if (c == 0) {
            *pos = mid;
            return 1;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return 0;
}

static int camera_id(ingest *in, const store_read *r, int64_t *id, pk_err *err) {
    size_t pos;
    if (cam_find(in, r->camera, &pos)) {
        *id = in->cams[pos].id;
        return PK_OK;
    }
    /* a camera first seen in a read is placed where that read was taken */
    int rc = store_camera_ensure(in->st, r->camera, r->has_pos ? r->lat : NAN,
                                 r->has_pos ? r->lon : NAN, id, err);
    if (rc) return rc;
    if (in->n_cams == in->cap_cams) {
        in->cap_cams = in->cap_cams ? 2 * in->cap_cams : 64;
        in->cams = pk_xrealloc(in->cams, in->cap_cams * sizeof *in->cams);
    }
    memmove(&in->cams[pos + 1], &in->cams[pos], (in->n_cams - pos) * sizeof *in->cams);
    snprintf(in->cams[pos].name, sizeof in->cams[pos].name, "%s", r->camera);
    in->cams[pos].id = *id;
    in->n_cams++;
    return PK_OK;
}

int ingest__commit(ingest *in, ingest__batch *b, ingest_result *res, int keep_rejects,
                   ingest_reject_fn on_reject, void *ctx, const char *path, pk_err *err) {
    size_t n_ok = 0;
    for (size_t i = 0; i < b->n; i++) n_ok += !b->items[i].rejected;
    store_read *rs = n_ok ? pk_xmalloc(n_ok * sizeof *rs) : NULL;
    int *dup = n_ok ? pk_xmalloc(n_ok * sizeof *dup) : NULL;
    size_t *from = n_ok ? pk_xmalloc(n_ok * sizeof *from) : NULL;
    int rc = PK_OK;

    /* Images are fsynced into place inside the write transaction, before the reads that refer
     * to them. The purge's image sweep checks references and deletes unreferenced files under
     * the same write lock, so a file this batch reuses (same bytes as a read being purged)
     * cannot vanish between its write and this batch's commit. */
    if (n_ok) rc = store_begin(in->st, err);
    int began = n_ok && !rc;
    for (size_t i = 0; i < b->n && !rc; i++) {
        ingest__item *it = &b->items[i];
        if (it->rejected) continue;
        if (it->plate_jpeg)
            rc = store_image_put(in->st, it->plate_jpeg, it->plate_len, it->read.plate_image, err);
        if (!rc && it->scene_jpeg)
            rc = store_image_put(in->st, it->scene_jpeg, it->scene_len, it->read.scene_image, err);
    }
    if (rc && began) store_rollback(in->st);
    if (!rc && n_ok) {
        size_t k = 0;
        for (size_t i = 0; i < b->n && !rc; i++) {
            ingest__item *it = &b->items[i];
            if (it->rejected) continue;
            rc = camera_id(in, &it->read, &it->read.camera_id, err);
            from[k] = i;
            rs[k++] = it->read;
        }
        if (!rc) rc = store_reads_insert(in->st, rs, n_ok, dup, err);
        /* hooks see only the newly stored reads, packed to the front */
        size_t n_new = 0;
        for (size_t k2 = 0; k2 < n_ok && !rc; k2++) {
            b->items[from[k2]].read.id = rs[k2].id;
            b->items[from[k2]].read.plate_id = rs[k2].plate_id;
            if (!dup[k2]) rs[n_new++] = rs[k2];
        }
        int hooked = 0;
        if (!rc && in->o.hooks.on_stored && n_new) {
            hooked = 1;
            rc = in->o.hooks.on_stored(in->o.hooks.ctx, in->st, rs, n_new, err);
        }
        if (rc) {
            store_rollback(in->st);
            in->n_cams = 0; /* cameras created in the rolled-back transaction are gone */
        } else {
            rc = store_commit(in->st, err);
            if (rc) in->n_cams = 0;
        }
        if (rc && hooked && in->o.hooks.on_rolled_back) in->o.hooks.on_rolled_back(in->o.hooks.ctx);
        if (!rc) {
            /* durable: count, then tell the modules that keep state in memory */
            for (size_t k2 = 0; k2 < n_ok; k2++) {
                if (dup[k2])
                    res->duplicates++;
                else
                    res->accepted++;
            }
            if (in->o.hooks.on_committed && n_new)
                in->o.hooks.on_committed(in->o.hooks.ctx, in->st, rs, n_new);
        }
    }
    if (!rc) {
        for (size_t i = 0; i < b->n; i++) {
            ingest__item *it = &b->items[i];
            if (!it->rejected) continue;
            res->rejected++;
            if (keep_rejects) add_reject(res, &it->rej);
            if (on_reject) on_reject(ctx, path, &it->rej);
        }
    }
    free(rs);
    free(dup);
    free(from);
    return rc;
}

int ingest_reads(ingest *in, ingest_read *reads, size_t n, ingest_result *res, pk_err *err) {
    ingest__batch b = {0};
    for (size_t i = 0; i < n; i++) {
        ingest__item *it = ingest__batch_add(&b, (int64_t)i);
        it->borrowed = 1;
        it->read = reads[i].read;
        it->read.id = it->read.plate_id = 0;
        it->read.plate_image[0] = it->read.scene_image[0] = '\0';
        it->has_lat = it->has_lon = reads[i].read.has_pos;
        it->candidates = (char *)reads[i].read.candidates;
        it->vehicle = (char *)reads[i].read.vehicle;
        it->plate_jpeg = (unsigned char *)reads[i].plate_jpeg;
        it->plate_len = reads[i].plate_jpeg_len;
        it->scene_jpeg = (unsigned char *)reads[i].scene_jpeg;
        it->scene_len = reads[i].scene_jpeg_len;
        ingest__check(in, it);
    }
    int rc = ingest__commit(in, &b, res, 1, NULL, NULL, NULL, err);
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            reads[i].read.id = b.items[i].read.id;
            reads[i].read.plate_id = b.items[i].read.plate_id;
            reads[i].read.camera_id = b.items[i].read.camera_id;
        }
    }
    ingest__batch_fini(&b);
    return rc;
}

struct ingest_batch {
    ingest__batch b;
};

ingest_batch *ingest_json_prepare(ingest *in, json_t *body, ingest_result *res) {
    ingest_batch *pb = pk_xcalloc(1, sizeof *pb);
    json_t *items = body;
    if (json_is_object(body) && json_object_get(body, "reads")) {
        items = json_object_get(body, "reads");
        if (!json_is_array(items)) {
            ingest_reject rej = {.index = -1, .field = "reads"};
            snprintf(rej.reason, sizeof rej.reason, "%s", "must be an array");
            res->rejected++;
            add_reject(res, &rej);
            return pb;
        }
    }
    if (json_is_array(items)) {
        for (size_t i = 0; i < json_array_size(items); i++)
            ingest__parse(in, json_array_get(items, i), (int64_t)i, &pb->b, &res->ignored);
    } else {
        ingest__parse(in, items, 0, &pb->b, &res->ignored);
    }
    return pb;
}

int ingest_batch_commit(ingest *in, ingest_batch *b, ingest_result *res, pk_err *err) {
    return ingest__commit(in, &b->b, res, 1, NULL, NULL, NULL, err);
}

void ingest_batch_free(ingest_batch *b) {
    if (!b) return;
    ingest__batch_fini(&b->b);
    free(b);
}

int ingest_json(ingest *in, json_t *body, ingest_result *res, pk_err *err) {
    ingest_batch *b = ingest_json_prepare(in, body, res);
    int rc = ingest_batch_commit(in, b, res, err);
    ingest_batch_free(b);
    return rc;
}

int ingest_json_text(ingest *in, const char *text, size_t len, ingest_result *res, pk_err *err) {
    json_error_t je;
    json_t *body = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!body) {
        ingest_reject rej = {.index = -1, .field = "body"};
        snprintf(rej.reason, sizeof rej.reason, "not valid JSON: %s (at byte %d)", je.text,
                 je.position);
        res->rejected++;
        add_reject(res, &rej);
        return PK_OK;
    }
    int rc = ingest_json(in, body, res, err);
    json_decref(body);
    return rc;
}

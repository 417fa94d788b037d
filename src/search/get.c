/* One read by id, and its images, under a grant: fetch, record the access, then hand out
 * (rule 1 of DESIGN.md §4, in the same order as search_run). */
#include "search/search_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void search_hit_fini(search_hit *h) {
    if (!h) return;
    store_read_fini(&h->read);
    memset(h, 0, sizeof *h);
}

static int record(access_grant *g, int64_t id, const char *kind, int64_t count, pk_err *err) {
    char q[128];
    if (kind) snprintf(q, sizeof q, "{\"read_id\": %lld, \"image\": \"%s\"}", (long long)id, kind);
    else snprintf(q, sizeof q, "{\"read_id\": %lld}", (long long)id);
    return access_grant_record(g, q, count, err);
}

/* DESIGN.md §6: an operator sees a read only through one of their own alerts (an alert on a list
 * that is not covert, or on a covert list they own). Anyone else the role matrix allows passes.
 * 1 when the access may go on; 0 after writing the refusal entry (*rc then says why). */
static int operator_may_see(access_grant *g, int64_t id, const char *kind, int *rc,
                            pk_err *err) {
    const access_user *u = access_grant_user(g);
    if (u->role != ACCESS_ROLE_OPERATOR) return 1;
    int visible = 0;
    pk_err why;
    pk_err_clear(&why);
    int src = store_read_alert_visible(access_grant_store(g), id, u->username, &visible, &why);
    if (!src && visible) return 1;
    char q[128];
    if (kind) snprintf(q, sizeof q, "{\"read_id\": %lld, \"image\": \"%s\"}", (long long)id, kind);
    else snprintf(q, sizeof q, "{\"read_id\": %lld}", (long long)id);
    /* The same answer for an absent read as for someone else's: no probing for ids. */
    *rc = access_grant_refuse(g, q,
                              src ? "read: could not check the operator's alerts"
                                  : "read: operators see only reads of their own alerts",
                              err);
    return 0;
}

int search_read_get(access_grant *g, int64_t id, search_hit *out, pk_err *err) {
    memset(out, 0, sizeof *out);
    int vrc;
    if (!operator_may_see(g, id, NULL, &vrc, err)) return vrc;
    store *st = access_grant_store(g);
    store_read r;
    memset(&r, 0, sizeof r);
    int rc = store_read_get(st, id, &r, err);
    if (rc) {
        int lrc = record(g, id, NULL, 0, NULL);
        return lrc ? lrc : rc;
    }
    if ((rc = record(g, id, NULL, 1, err))) {
        store_read_fini(&r);
        return rc;
    }
    out->read = r;
    return PK_OK;
}

int search_read_image(access_grant *g, int64_t id, const char *kind, unsigned char **data,
                      size_t *len, pk_err *err) {
    *data = NULL;
    *len = 0;
    int scene = kind && !strcmp(kind, "scene");
    const char *k = scene ? "scene" : "plate";
    int vrc;
    if (!operator_may_see(g, id, k, &vrc, err)) return vrc;
    store *st = access_grant_store(g);
    store_read r;
    memset(&r, 0, sizeof r);
    int rc = store_read_get(st, id, &r, err);
    const char *sha = rc ? "" : scene ? r.scene_image : r.plate_image;
    unsigned char *buf = NULL;
    size_t n = 0;
    if (!rc && !sha[0]) rc = pk_err_set(err, PK_ENOTFOUND, "read %lld has no %s image",
                                        (long long)id, k);
    if (!rc) rc = store_image_get(st, sha, &buf, &n, err);
    store_read_fini(&r);
    int lrc = record(g, id, k, rc ? 0 : 1, rc ? NULL : err);
    if (rc || lrc) {
        free(buf);
        return rc ? rc : lrc;
    }
    *data = buf;
    *len = n;
    return PK_OK;
}

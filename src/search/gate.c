/* The gate side of search: search_run and search_request, the only functions that hand reads
 * out. Kept apart from search.c so that the order of their steps is plain to read: find and
 * fetch (search__execute), write the access-log entry, and only then fill the caller's result. */
#include "search/search_int.h"

#include <stdlib.h>
#include <string.h>

int search_run(search_index *idx, access_grant *g, const search_query *q, search_result *out,
               pk_err *err) {
    memset(out, 0, sizeof *out);
    pk_err e;
    pk_err_clear(&e);
    search_result res;
    int rc = search__execute(idx, access_grant_store(g), q, &res, &e);
    char *js = search__log_json(q, rc ? NULL : res.kind, rc ? e.msg : NULL);
    double t0 = search__now_ms();
    pk_err le;
    pk_err_clear(&le);
    int lrc = access_grant_record(g, js, rc ? 0 : (int64_t)res.n, &le);
    free(js);
    if (lrc) {
        if (!rc) search_result_fini(&res);
        return pk_err_set(err, lrc, "access log: %s", le.msg);
    }
    if (rc) return pk_err_set(err, rc, "%s", e.msg);
    res.log_ms = search__now_ms() - t0;
    *out = res;
    return PK_OK;
}

int search_request(search_index *idx, store *st, const access_request *req, const search_query *q,
                   search_result *out, pk_err *err) {
    memset(out, 0, sizeof *out);
    access_request r = *req;
    if (!r.action) r.action = ACCESS_READS_SEARCH;
    char *js = search_query_json(q);
    access_grant *g = NULL;
    int rc = access_grant_open(st, &r, js, &g, err);
    free(js);
    if (rc) return rc;
    rc = search_run(idx, g, q, out, err);
    access_grant_free(g);
    return rc;
}


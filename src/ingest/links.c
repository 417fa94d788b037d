/* The standard ingest hooks: hotlist matching in the transaction, then alert publication and
 * the search dictionary after the commit (see ingest_links in ingest.h). */
#include <string.h>

#include "hotlist/hotlist.h"
#include "ingest/ingest.h"
#include "search/search.h"

void ingest_links_init(ingest_links *l, search_index *index, hotlist_engine *hotlists) {
    memset(l, 0, sizeof *l);
    l->index = index;
    l->hotlists = hotlists;
    l->alerts = json_array();
}

void ingest_links_fini(ingest_links *l) {
    hotlist_alert_batch_free(l->pending);
    json_decref(l->alerts);
    memset(l, 0, sizeof *l);
}

static int on_stored(void *ctx, store *st, const store_read *reads, size_t n, pk_err *err) {
    ingest_links *l = ctx;
    hotlist_alert_batch_free(l->pending);
    l->pending = NULL;
    if (!l->hotlists) return PK_OK;
    return hotlist_alerts_record(l->hotlists, st, reads, NULL, n, &l->pending, err);
}

static void on_committed(void *ctx, store *st, const store_read *reads, size_t n) {
    (void)st;
    ingest_links *l = ctx;
    if (l->pending) {
        size_t k = hotlist_alert_batch_count(l->pending);
        for (size_t i = 0; i < k; i++) {
            int covert = 0;
            const json_t *a = hotlist_alert_batch_get(l->pending, i, &covert);
            if (a) json_array_append_new(l->alerts, json_deep_copy(a));
        }
        l->n_alerts += (int64_t)k;
        hotlist_alert_batch_publish(l->hotlists, l->pending); /* frees the batch */
        l->pending = NULL;
    }
    if (l->index) search_index_add_reads(l->index, reads, n);
}

static void on_rolled_back(void *ctx) {
    ingest_links *l = ctx;
    hotlist_alert_batch_free(l->pending);
    l->pending = NULL;
}

ingest_hooks ingest_links_hooks(ingest_links *l) {
    return (ingest_hooks){.ctx = l,
                          .on_stored = on_stored,
                          .on_committed = on_committed,
                          .on_rolled_back = on_rolled_back};
}

json_t *ingest_links_take_alerts(ingest_links *l) {
    json_t *a = l->alerts;
    l->alerts = json_array();
    return a;
}

/* ingest: the standard hooks match every new read against the hotlists inside the batch's
 * transaction and keep the search dictionary current after the commit. */
#include <stdio.h>
#include <string.h>

#include "hotlist/hotlist.h"
#include "ingest_fixture.h"
#include "search/search.h"

static void test_links(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    pk_err err;
    access_user admin;
    memset(&admin, 0, sizeof admin);
    snprintf(admin.username, sizeof admin.username, "ada");
    snprintf(admin.full_name, sizeof admin.full_name, "Ada Admin");
    snprintf(admin.job_title, sizeof admin.job_title, "ALPR administrator");
    snprintf(admin.agency, sizeof admin.agency, "Example PD");
    admin.role = ACCESS_ROLE_ADMIN;
    assert_int_equal(access_user_add(f.st, &admin, "correct horse battery staple", "init",
                                     &admin.id, &err), PK_OK);
    snprintf(admin.status, sizeof admin.status, "active");
    store_hotlist h;
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "stolen");
    snprintf(h.source, sizeof h.source, "local");
    assert_int_equal(hotlist_create(f.st, &h, &admin, &err), PK_OK);
    store_hotlist_entry e;
    memset(&e, 0, sizeof e);
    e.hotlist_id = h.id;
    snprintf(e.plate, sizeof e.plate, "1ABC234");
    snprintf(e.reason, sizeof e.reason, "stolen vehicle");
    assert_int_equal(hotlist_entry_add(f.st, &e, &admin, &err), PK_OK);

    hotlist_engine *eng;
    assert_int_equal(hotlist_engine_new(store_path(f.st), &eng, &err), PK_OK);
    assert_int_equal(hotlist_engine_rebuild(eng, &err), PK_OK);
    search_index *idx = search_index_new();
    assert_int_equal(search_index_load(idx, f.st, &err), PK_OK);
    size_t before = search_index_size(idx);

    ingest_links links;
    ingest_links_init(&links, idx, eng);
    ingest_free(f.in);
    f.o.hooks = ingest_links_hooks(&links);
    f.in = ingest_new(f.st, &f.o);
    int64_t now = pk_clock_now(&clock_fixed) - 3600000;
    char body[1024];
    snprintf(body, sizeof body,
             "[{\"uuid\":\"00000000-0000-4000-8000-000000000001\",\"plate\":\"1ABC234\",\"ts\":%lld,"
             "\"camera\":\"cam-1\",\"confidence\":90,\"state\":\"CA\"},"
             "{\"uuid\":\"00000000-0000-4000-8000-000000000002\",\"plate\":\"5XYZ789\",\"ts\":%lld,"
             "\"camera\":\"cam-1\",\"confidence\":90}]",
             (long long)now, (long long)now);
    ingest_result res;
    ingest_result_init(&res);
    assert_int_equal(ingest_json_text(f.in, body, strlen(body), &res, &err), PK_OK);
    assert_int_equal(res.accepted, 2);
    json_t *alerts = ingest_links_take_alerts(&links);
    assert_int_equal(json_array_size(alerts), 1);
    assert_int_equal(links.n_alerts, 1);
    json_decref(alerts);
    assert_int_equal(search_index_size(idx), before + 2);
    /* re-ingest: duplicates raise no new alert */
    assert_int_equal(ingest_json_text(f.in, body, strlen(body), &res, &err), PK_OK);
    alerts = ingest_links_take_alerts(&links);
    assert_int_equal(json_array_size(alerts), 0);
    json_decref(alerts);
    ingest_result_fini(&res);
    ingest_links_fini(&links);
    search_index_free(idx);
    hotlist_engine_free(eng);
    fx_close(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_links)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

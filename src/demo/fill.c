/* demo_fill: a data directory a department would recognise, for `platekeeper demo` and
 * `make run`: cameras, users of every role, a small hotlist, a year of reads. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "core/pktime.h"
#include "demo/demo_int.h"
#include "hotlist/hotlist.h"
#include "ingest/ingest.h"

static const struct {
    const char *username, *full_name, *job_title;
    access_role role;
} demo_users[] = {
    {"jmartinez", "Julia Martinez", "Detective, Property Crimes", ACCESS_ROLE_INVESTIGATOR},
    {"dokafor", "Daniel Okafor", "Detective, Robbery", ACCESS_ROLE_INVESTIGATOR},
    {"lnguyen", "Linh Nguyen", "Crime Analyst", ACCESS_ROLE_INVESTIGATOR},
    {"rkowalski", "Robert Kowalski", "Patrol Officer", ACCESS_ROLE_OPERATOR},
    {"sthompson", "Sarah Thompson", "Patrol Officer", ACCESS_ROLE_OPERATOR},
    {"mgarcia", "Miguel Garcia", "Patrol Sergeant", ACCESS_ROLE_OPERATOR},
    {"aharris", "Angela Harris", "Internal Auditor", ACCESS_ROLE_AUDITOR},
    {"pchen", "Peter Chen", "Professional Standards Lieutenant", ACCESS_ROLE_AUDITOR},
    {"kwilliams", "Karen Williams", "Records Supervisor (Custodian of Records)",
     ACCESS_ROLE_CUSTODIAN},
    {"tbrooks", "Thomas Brooks", "Assistant Chief (ALPR Administrator designee)",
     ACCESS_ROLE_ADMIN},
};

static int add_users(store *st, const demo_fill_opts *o, int64_t now, demo_fill_report *rep,
                     pk_err *err) {
    for (size_t i = 0; i < sizeof demo_users / sizeof demo_users[0]; i++) {
        access_user u;
        memset(&u, 0, sizeof u);
        snprintf(u.username, sizeof u.username, "%s", demo_users[i].username);
        snprintf(u.full_name, sizeof u.full_name, "%s", demo_users[i].full_name);
        snprintf(u.job_title, sizeof u.job_title, "%s", demo_users[i].job_title);
        snprintf(u.agency, sizeof u.agency, "%s", o->admin->agency);
        u.role = demo_users[i].role;
        char pw[ACCESS_PASSWORD_GEN + 1];
        access_password_generate(pw);
        int64_t id;
        int rc = access_user_add(st, &u, pw, o->admin->username, &id, err);
        if (rc == PK_EEXIST) continue; /* a second demo run keeps the accounts */
        if (rc) return rc;
        /* training completed some weeks ago, so every demo account can work at once */
        int64_t done = (now / PK_MS_PER_DAY - 20 - (int64_t)i * 3) * PK_MS_PER_DAY;
        rc = access_training_add(st, u.username, "ALPR policy and system training (SB 34)", done,
                                 o->admin->username, err);
        if (rc) return rc;
        if (o->credentials)
            fprintf(o->credentials, "%-10s %-13s %s\n", u.username, access_role_name(u.role), pw);
        rep->users++;
    }
    return PK_OK;
}

/* A list of stolen vehicles and wanted plates, as an NCIC extract would give them, holding the
 * plates of some demo vehicles that are seen a few times a year (so the demo has alerts, but not
 * thousands), plus a partial plate from a witness. */
static int add_hotlist(store *st, demo_gen *g, const demo_fill_opts *o, demo_fill_report *rep,
                       pk_err *err) {
    store_hotlist h;
    int rc = hotlist_lookup(st, "Demo: NCIC stolen vehicles", &h, NULL);
    if (rc == PK_OK) return PK_OK; /* already there from an earlier run */
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "Demo: NCIC stolen vehicles");
    snprintf(h.source, sizeof h.source, "local");
    h.priority = 1;
    snprintf(h.alert_level, sizeof h.alert_level, "high");
    if ((rc = hotlist_create(st, &h, o->admin, err))) return rc;
    static const char *const reasons[] = {"STOLEN VEHICLE", "STOLEN PLATE", "FELONY VEHICLE",
                                          "WANTED PERSON", "MISSING PERSON (AMBER)"};
    for (int k = 0; k < 20; k++) {
        store_hotlist_entry e;
        memset(&e, 0, sizeof e);
        e.hotlist_id = h.id;
        uint64_t v = (uint64_t)g->n_regular + (uint64_t)k * 97 + 11; /* occasional vehicles */
        char plate[PK_PLATE_MAX + 1], state[STORE_STATE_MAX + 1];
        demo__vehicle_plate(g, v, plate, state);
        snprintf(e.plate, sizeof e.plate, "%s", plate);
        snprintf(e.state, sizeof e.state, "%s", state);
        snprintf(e.reason, sizeof e.reason, "%s", reasons[k % 5]);
        snprintf(e.ncic, sizeof e.ncic, "V%09d", 120000000 + k * 7919);
        snprintf(e.ori, sizeof e.ori, "CA0340%03d", 100 + k);
        snprintf(e.case_no, sizeof e.case_no, "SPD-26-%06d", 4100 + k * 13);
        rc = hotlist_entry_add(st, &e, o->admin, err);
        if (rc == PK_EINVAL) continue; /* e.g. a state code the list does not take */
        if (rc) return rc;
        rep->hotlist_entries++;
    }
    store_hotlist_entry e;
    memset(&e, 0, sizeof e);
    e.hotlist_id = h.id;
    snprintf(e.plate, sizeof e.plate, "7AB*12");
    snprintf(e.reason, sizeof e.reason, "Partial plate from a witness, robbery");
    snprintf(e.case_no, sizeof e.case_no, "SPD-26-007712");
    if ((rc = hotlist_entry_add(st, &e, o->admin, err))) return rc;
    rep->hotlist_entries++;
    return PK_OK;
}

static int add_reads(store *st, demo_gen *g, demo_fill_report *rep, pk_err *err) {
    hotlist_engine *eng = NULL;
    int rc = hotlist_engine_new(store_path(st), &eng, err);
    if (rc) return rc;
    ingest_links links;
    ingest_links_init(&links, NULL, eng);
    ingest_opts io;
    ingest_opts_init(&io, st);
    io.hooks = ingest_links_hooks(&links);
    ingest *in = ingest_new(st, &io);
    enum { BATCH = 1000 };
    static ingest_read batch[BATCH];
    static demo_item items[BATCH];
    static unsigned char *jpegs[BATCH];
    ingest_result res;
    ingest_result_init(&res);
    demo_item it;
    int more = 1;
    while (more && !rc) {
        size_t k = 0;
        while (k < BATCH && (more = demo_gen_next(g, &it))) {
            items[k] = it;
            memset(&batch[k], 0, sizeof batch[k]);
            batch[k].read = items[k].read;
            batch[k].read.candidates = items[k].candidates;
            batch[k].read.vehicle = items[k].vehicle;
            jpegs[k] = NULL;
            if (it.plate_jpeg) { /* the generator reuses its buffer: keep a copy */
                jpegs[k] = pk_xmalloc(it.plate_jpeg_len);
                memcpy(jpegs[k], it.plate_jpeg, it.plate_jpeg_len);
                batch[k].plate_jpeg = jpegs[k];
                batch[k].plate_jpeg_len = it.plate_jpeg_len;
                rep->images++;
            }
            k++;
        }
        if (k) rc = ingest_reads(in, batch, k, &res, err);
        for (size_t i = 0; i < k; i++) free(jpegs[i]);
    }
    if (!rc && res.rejected)
        rc = pk_err_set(err, PK_ECORRUPT, "demo read refused: %s: %s", res.rejects[0].field,
                        res.rejects[0].reason);
    rep->accepted = res.accepted;
    rep->duplicates = res.duplicates;
    rep->alerts = links.n_alerts;
    ingest_result_fini(&res);
    ingest_free(in);
    ingest_links_fini(&links);
    hotlist_engine_free(eng);
    return rc;
}

int demo_fill(store *st, const demo_fill_opts *o, demo_fill_report *rep, pk_err *err) {
    memset(rep, 0, sizeof *rep);
    int64_t now = o->now ? o->now : pk_now_ms();
    int64_t end = now - 3600000;
    demo_config cfg = {.seed = o->seed,
                       .n_reads = o->n_reads,
                       .start_ms = (end - 365 * PK_MS_PER_DAY) / PK_MS_PER_DAY * PK_MS_PER_DAY,
                       .image_every = o->image_every};
    cfg.span_ms = end - cfg.start_ms - PK_MS_PER_DAY; /* whole days, none reaching "now" */
    demo_gen *g = demo_gen_new(&cfg);
    int rc = demo_gen_put_cameras(g, st, err);
    rep->cameras = (int64_t)demo_gen_camera_count(g);
    if (!rc) rc = add_users(st, o, now, rep, err);
    if (!rc) rc = add_hotlist(st, g, o, rep, err);
    if (!rc) rc = add_reads(st, g, rep, err);
    demo_gen_free(g);
    return rc;
}

/* Helpers shared by the records commands. */
#include "cmd/records_cli.h"

#include <string.h>

#include "core/geo.h"

int cmd__rcli_selection(records_query *q, int *used, int opt, const char *arg, pk_err *err) {
    *used = 1;
    int rc;
    switch (opt) {
    case RCLI_PLATE: {
        if (q->n_plates >= RECORDS_MAX_PLATES)
            return pk_err_set(err, PK_ELIMIT, "--plate: more than %d plates", RECORDS_MAX_PLATES);
        char norm[PK_PLATE_MAX + 1];
        if ((rc = pk_plate_normalize(arg, norm, err))) return pk_err_prefix(err, "--plate: ");
        memcpy(q->plates[q->n_plates++], norm, sizeof norm);
        return PK_OK;
    }
    case RCLI_FROM:
        q->has_from = 1;
        return pk_time_parse(arg, &q->from, err) ? pk_err_prefix(err, "--from: ") : PK_OK;
    case RCLI_TO:
        q->has_to = 1;
        return pk_time_parse(arg, &q->to, err) ? pk_err_prefix(err, "--to: ") : PK_OK;
    case RCLI_NEAR:
        q->has_near = 1;
        return pk_geo_parse_near(arg, &q->lat, &q->lon, &q->radius_m, err)
                   ? pk_err_prefix(err, "--near: ")
                   : PK_OK;
    }
    return pk_err_set(err, PK_EINVAL, "unknown selection option");
}

int cmd__rcli_session(const char *cmd, const char *data, const char *user, store **st,
                      access_user *u) {
    if (!user || !*user) return cmd_usage(cmd, "--user NAME is required");
    int rc = cmd_open_store(data, st);
    if (rc) return rc;
    rc = cmd_login(cmd, *st, user, u);
    if (rc) {
        store_close(*st);
        *st = NULL;
    }
    return rc;
}

int cmd__rcli_fail(const char *cmd, const pk_err *err) {
    return cmd_fail(cmd, err);
}

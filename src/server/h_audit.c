/* The access log for auditors and administrators: verify the hash chain. */
#include "server/server_int.h"

#include "audit/audit.h"

static int verify(server_req *r) {
    static const char *const allowed[] = {NULL};
    if (server__query_only(r, allowed)) return 0;
    audit_verify_result res;
    pk_err err;
    pk_err_clear(&err);
    int rc = audit_verify(r->st, &res, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    server__audit(r, "audit.verify", "ok", res.intact ? "intact" : res.reason);
    json_t *o = json_pack("{s:b, s:I, s:I}", "intact", res.intact, "checked",
                          (json_int_t)res.checked, "first_bad", (json_int_t)res.first_bad);
    if (!res.intact) json_object_set_new(o, "reason", json_string(res.reason));
    return server__reply_json(r, 200, o);
}

const server_route server__audit_routes[] = {
    {"GET", "/api/v1/audit/verify", SR_AUDITOR | SR_ADMIN, verify, 0},
    {0},
};

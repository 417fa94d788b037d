#include "tu_audit.h"

#include <stdio.h>
#include <string.h>

#include "testutil.h"

#include "audit/audit.h"

int64_t tu_log_count(store *st) {
    audit_verify_result r;
    pk_err err;
    assert_int_equal(audit_verify(st, &r, &err), PK_OK);
    assert_true(r.intact);
    return r.checked;
}

static int newest_cb(void *ctx, const audit_record *r) {
    tu_log_entry *l = ctx;
    snprintf(l->action, sizeof l->action, "%s", r->action ? r->action : "");
    snprintf(l->outcome, sizeof l->outcome, "%s", r->outcome ? r->outcome : "");
    snprintf(l->detail, sizeof l->detail, "%s", r->detail ? r->detail : "");
    snprintf(l->username, sizeof l->username, "%s", r->username ? r->username : "");
    snprintf(l->purpose, sizeof l->purpose, "%s", r->purpose ? r->purpose : "");
    snprintf(l->case_no, sizeof l->case_no, "%s", r->case_no ? r->case_no : "");
    snprintf(l->query, sizeof l->query, "%s", r->query ? r->query : "");
    l->count = r->result_count;
    return 1;
}

tu_log_entry tu_log_newest(store *st) {
    tu_log_entry l;
    memset(&l, 0, sizeof l);
    audit_filter f;
    audit_filter_init(&f);
    f.newest_first = 1;
    f.limit = 1;
    audit_log_each(st, &f, newest_cb, &l, NULL);
    return l;
}

/* Public routes, no login: liveness, version, the usage and privacy policy (Civil Code
 * §1798.90.51), aggregate transparency figures. Nothing here returns read data. */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/pktime.h"
#include "records/records.h"

static int health(server_req *r) {
    return server__reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static int version(server_req *r) {
    return server__reply_json(r, 200, json_pack("{s:s, s:s, s:i}", "name", "platekeeper",
                                                "version", r->srv->version, "schema",
                                                store_schema_version(r->st)));
}

/* Growable text buffer for building HTML. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = pk_xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}
static void sb_puts(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

/* Appends s with &, <, >, " and ' escaped: everything dynamic in the policy page goes
 * through here. */
static void sb_escaped(sbuf *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': sb_puts(b, "&amp;"); break;
        case '<': sb_puts(b, "&lt;"); break;
        case '>': sb_puts(b, "&gt;"); break;
        case '"': sb_puts(b, "&quot;"); break;
        case '\'': sb_puts(b, "&#39;"); break;
        default: sb_add(b, s, 1);
        }
    }
}

static char *setting_or(store *st, const char *key, const char *dflt) {
    char *v = NULL;
    if (store_setting_get(st, key, &v, NULL) == PK_OK && v) return v;
    return pk_xstrdup(dflt);
}

/* The built-in policy lists every element §1798.90.51(b) requires; the department replaces it
 * with DIR/policy.html. Settings that shape it (agency, custodian, retention, purposes) are
 * escaped, since an administrator typed them. */
static void default_policy(server_req *r, sbuf *b) {
    char *agency = setting_or(r->st, "agency.name", "the Department");
    char *custodian = setting_or(r->st, "policy.custodian",
                                 "the ALPR Administrator (Assistant Chief of Police or designee)");
    char *contact = setting_or(r->st, "policy.contact", "the Records Unit");
    int64_t retention = records_retention_get(r->st);
    int64_t log_years = store_setting_int(r->st, "audit.log_retention_days", 1825) / 365;
    int64_t refresh = store_setting_int(r->st, "access.training_refresher_days", 730);
    sb_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<title>ALPR Usage and Privacy Policy</title></head><body>\n"
               "<h1>Automated License Plate Recognition: Usage and Privacy Policy</h1>\n<p>");
    sb_escaped(b, agency);
    sb_puts(b, " operates an automated license plate recognition (ALPR) system. This policy is "
               "published under California Civil Code &sect;1798.90.51.</p>\n"
               "<h2>Authorized purposes</h2>\n<p>ALPR information may be accessed only for "
               "these purposes, each stated with every query (and a case or incident number "
               "where marked):</p>\n<ul>\n");
    access_purpose *purposes = NULL;
    size_t n_purposes = 0;
    if (access_purposes_get(r->st, &purposes, &n_purposes, NULL) == PK_OK) {
        for (size_t i = 0; i < n_purposes; i++) {
            sb_puts(b, "<li>");
            sb_escaped(b, purposes[i].label[0] ? purposes[i].label : purposes[i].code);
            if (purposes[i].needs_case) sb_puts(b, " (case or incident number required)");
            sb_puts(b, "</li>\n");
        }
    }
    free(purposes);
    char num[64];
    sb_puts(b, "</ul>\n<h2>Who may use the system, and their training</h2>\n"
               "<p>Only sworn officers, investigators, dispatchers and records staff in job "
               "titles approved by the ALPR Administrator receive accounts, each in one role "
               "(administrator, investigator, patrol operator, auditor, custodian of records). "
               "No account has access to ALPR data before completing the ALPR course; the "
               "training is refreshed every ");
    snprintf(num, sizeof num, "%lld", (long long)refresh);
    sb_puts(b, num);
    sb_puts(b, " days. Accounts unused for a period are suspended; separated employees lose "
               "access permanently.</p>\n"
               "<h2>Monitoring and audits</h2>\n<p>Every access to ALPR information is "
               "recorded: date and time, user and agency, every query element, the purpose, the "
               "case number, the number of records returned and the client address. Refused "
               "attempts and failed logins are recorded too. The record is tamper-evident "
               "(each entry is chained to the previous one by a SHA-256 hash), kept for ");
    snprintf(num, sizeof num, "%lld", (long long)log_years);
    sb_puts(b, num);
    sb_puts(b, " years and audited regularly, including a random sample of searches.</p>\n"
               "<h2>Sharing</h2>\n<p>ALPR information is released only to public law "
               "enforcement or prosecutorial agencies in California, only on a written request "
               "stating the agency, the requester and the purpose, only after the ALPR "
               "Administrator approves it, and only within the approved scope. It is never sold "
               "and never shared with out-of-state, federal or private entities. Every request "
               "and decision is kept on file.</p>\n"
               "<h2>Custodian</h2>\n<p>The official custodian of the ALPR system, responsible "
               "for its operation and for this policy, is ");
    sb_escaped(b, custodian);
    sb_puts(b, ". Questions about this policy go to ");
    sb_escaped(b, contact);
    sb_puts(b, ".</p>\n<h2>Accuracy</h2>\n<p>A plate read is a machine reading and can be "
               "wrong. An alert is never acted upon before an officer has confirmed the plate "
               "visually and verified the hotlist entry through CLETS; the outcome of each "
               "verification is recorded. Errors found are corrected or the read is "
               "removed.</p>\n<h2>Retention and destruction</h2>\n<p>ALPR information is kept for ");
    snprintf(num, sizeof num, "%lld", (long long)retention);
    sb_puts(b, num);
    sb_puts(b, " days and then destroyed, together with its images, unless it is evidence in a "
               "criminal or civil matter under a recorded hold. Every purge is recorded with "
               "its counts.</p>\n</body></html>\n");
    free(agency);
    free(custodian);
    free(contact);
}

static int policy(server_req *r) {
    size_t n = strlen(r->srv->data_dir) + 16;
    char *path = pk_xmalloc(n);
    snprintf(path, n, "%s/policy.html", r->srv->data_dir);
    FILE *f = fopen(path, "rb");
    free(path);
    sbuf b = {0};
    if (f) {
        /* The department's own file, served as written (it is theirs, not outside input). */
        char chunk[8192];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < ((size_t)4 << 20))
            sb_add(&b, chunk, got);
        fclose(f);
    } else {
        default_policy(r, &b);
    }
    server__reply_bytes(r, 200, "text/html; charset=utf-8", b.p ? b.p : "", b.len);
    free(b.p);
    return 0;
}

/* Aggregate figures only: never a plate, a place or a person (audit_transparency counts them in
 * the store, one indexed count per figure). */
static int transparency(server_req *r) {
    json_t *o = NULL;
    pk_err err;
    pk_err_clear(&err);
    int rc = audit_transparency(r->st, pk_clock_now(&r->srv->clock), &o, &err);
    if (rc) return server__reply_pkerr(r, rc, &err);
    json_object_set_new(o, "retention_days", json_integer(records_retention_get(r->st)));
    return server__reply_json(r, 200, o);
}

const server_route server__public_routes[] = {
    {"GET", "/health", SR_PUBLIC, health, 0},
    {"GET", "/api/v1/health", SR_PUBLIC, health, 0},
    {"GET", "/version", SR_PUBLIC, version, 0},
    {"GET", "/api/v1/version", SR_PUBLIC, version, 0},
    {"GET", "/policy", SR_PUBLIC, policy, 0},
    {"GET", "/api/v1/transparency", SR_PUBLIC, transparency, 0},
    {0},
};

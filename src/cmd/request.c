/* platekeeper request add|list|decide|fulfil|report: data-sharing requests (policy 472.7). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd/records_cli.h"

static int usage(int rc) {
    fprintf(stderr,
            "usage: platekeeper request add [--data DIR] --user NAME (--json FILE |\n"
            "           --agency A --agency-type law_enforcement|prosecutor|other_public|private|federal\n"
            "           --state ST --requester R --contact C --purpose P [--case C] --document FILE\n"
            "           [--plate P ...] [--from T] [--to T] [--near LAT,LON,M])\n"
            "       platekeeper request list [--status S] [--json]      request report\n"
            "       platekeeper request decide ID --approve|--deny --reason TEXT\n"
            "       platekeeper request fulfil ID --out DIR|FILE.tar [--plate P ... --from --to --near]\n"
            "       (all take --data DIR --user NAME)\n");
    return rc;
}

/* Reads a whole file (at most 10 MiB). OUT: *data (malloc'd), *len. */
static int slurp(const char *path, unsigned char **data, size_t *len, pk_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return pk_err_set(err, PK_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = pk_xmalloc(cap);
    size_t r;
    while ((r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            if (cap >= (10u << 20)) {
                fclose(f);
                free(b);
                return pk_err_set(err, PK_ELIMIT, "%s: larger than 10 MiB", path);
            }
            b = pk_xrealloc(b, cap *= 2);
        }
    }
    fclose(f);
    *data = b;
    *len = n;
    return PK_OK;
}

static void jprint(const char *k, const char *v, int first) {
    json_t *s = json_string(v ? v : "");
    char *t = json_dumps(s, JSON_ENCODE_ANY);
    printf("%s\"%s\":%s", first ? "" : ",", k, t);
    free(t);
    json_decref(s);
}

static int print_req(void *ctx, const records_request *r) {
    int json = *(int *)ctx;
    char rec[PK_TIME_STR_MAX], ful[PK_TIME_STR_MAX];
    pk_time_format(r->received_at, rec);
    pk_time_format(r->fulfilled_at, ful);
    if (json) {
        printf("{\"id\":%" PRId64, r->id);
        jprint("agency", r->agency, 0);
        jprint("agency_type", r->agency_type, 0);
        jprint("state", r->state, 0);
        jprint("case", r->case_no, 0);
        jprint("status", r->status, 0);
        jprint("reason", r->reason, 0);
        jprint("received_at", rec, 0);
        if (r->fulfilled_at) jprint("fulfilled_at", ful, 0);
        if (r->fulfilled_at) jprint("fulfilled_by", r->fulfilled_by, 0);
        printf("}\n");
    } else {
        printf("%-5" PRId64 " %-24.24s %-15s %-2s %-9s %.10s  %s\n", r->id, r->agency,
               r->agency_type, r->state, r->status, r->fulfilled_at ? ful : rec, r->reason);
    }
    return 0;
}

int cmd_request(int argc, char **argv) {
    if (argc < 2) return usage(CMD_USAGE);
    const char *sub = argv[1];
    const char *data = "./data", *user = NULL, *jsonfile = NULL, *docfile = NULL, *out = NULL,
               *status = NULL, *reason = NULL, *decision = NULL;
    records_request_spec spec;
    memset(&spec, 0, sizeof spec);
    int json = 0, used = 0, c, rc = CMD_OK;
    pk_err err;
    pk_err_clear(&err);
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'},      {"user", required_argument, 0, 'u'},
        {"json", optional_argument, 0, 'J'},      {"agency", required_argument, 0, 'a'},
        {"agency-type", required_argument, 0, 't'}, {"state", required_argument, 0, 's'},
        {"requester", required_argument, 0, 'r'}, {"contact", required_argument, 0, 'k'},
        {"purpose", required_argument, 0, 'p'},   {"case", required_argument, 0, 'c'},
        {"document", required_argument, 0, 'D'},  {"out", required_argument, 0, 'o'},
        {"status", required_argument, 0, 'S'},    {"reason", required_argument, 0, 'R'},
        {"approve", no_argument, 0, 'A'},         {"deny", no_argument, 0, 'N'},
        RCLI_SELECTION_OPTS,                      {0, 0, 0, 0}};
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'u': user = optarg; break;
        case 'J':
            if (optarg) jsonfile = optarg; else json = 1;
            break;
        case 'a': spec.agency = optarg; break;
        case 't': spec.agency_type = optarg; break;
        case 's': spec.state = optarg; break;
        case 'r': spec.requester = optarg; break;
        case 'k': spec.contact = optarg; break;
        case 'p': spec.purpose = optarg; break;
        case 'c': spec.case_no = optarg; break;
        case 'D': docfile = optarg; break;
        case 'o': out = optarg; break;
        case 'S': status = optarg; break;
        case 'R': reason = optarg; break;
        case 'A': decision = "approve"; break;
        case 'N': decision = "deny"; break;
        case RCLI_PLATE: case RCLI_FROM: case RCLI_TO: case RCLI_NEAR:
            if (cmd__rcli_selection(&spec.scope, &used, c, optarg, &err))
                rc = cmd_usage("request", "%s", err.msg);
            break;
        default: rc = usage(CMD_USAGE);
        }
        if (rc) return rc;
    }
    int64_t id = 0;
    int needs_id = !strcmp(sub, "decide") || !strcmp(sub, "fulfil") || !strcmp(sub, "show");
    if (needs_id) {
        char *end;
        if (optind + 1 >= argc || (id = strtoll(argv[optind + 1], &end, 10)) <= 0 || *end)
            return cmd_usage("request", "%s: give the request id", sub);
    } else if (optind + 1 < argc) {
        return cmd_usage("request", "unexpected argument '%s'", argv[optind + 1]);
    }
    if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "report") && !needs_id)
        return cmd_usage("request", "unknown subcommand '%s' (add, list, decide, fulfil, report)", sub);
    if (!strcmp(sub, "decide") && !decision) return cmd_usage("request", "decide: give --approve or --deny");
    if (!strcmp(sub, "fulfil") && !out) return cmd_usage("request", "fulfil: give --out DIR|FILE.tar");

    unsigned char *doc = NULL, *jtext = NULL;
    size_t doclen = 0, jlen = 0;
    records_request_in in;
    memset(&in, 0, sizeof in);
    if (!strcmp(sub, "add")) {
        if (jsonfile) {
            if (slurp(jsonfile, &jtext, &jlen, &err) || records_request_parse((char *)jtext, jlen, &in, &err)) {
                free(jtext);
                records_request_in_fini(&in);
                return cmd_fail("request", &err);
            }
            spec = in.spec;
        } else if (docfile && slurp(docfile, &doc, &doclen, &err)) {
            return cmd_fail("request", &err);
        }
        if (doc) {
            spec.document = doc;
            spec.document_len = doclen;
        }
    }
    store *st;
    access_user u;
    if ((rc = cmd__rcli_session("request", data, user, &st, &u))) goto out;
    records_actor a = {&u, "cli", NULL};
    if (!strcmp(sub, "add")) {
        records_request r;
        if (records_request_add(st, &a, &spec, &id, &r, &err)) {
            rc = cmd_fail("request", &err);
        } else {
            printf("request %" PRId64 ": %s%s%s\n", id, r.status, r.reason[0] ? ": " : "", r.reason);
            records_request_fini(&r);
        }
    } else if (!strcmp(sub, "decide")) {
        if (records_request_decide(st, &a, id, decision, reason, &err))
            rc = cmd_fail("request", &err);
        else
            printf("request %" PRId64 ": %s\n", id, !strcmp(decision, "approve") ? "approved" : "denied");
    } else if (!strcmp(sub, "fulfil")) {
        records_export_result r;
        if (records_request_fulfil(st, &a, id, used ? &spec.scope : NULL, out, &r, &err)) {
            rc = cmd_fail("request", &err);
        } else {
            printf("request %" PRId64 " fulfilled to %s: %" PRId64 " reads, %" PRId64 " images\n"
                   "manifest SHA-256: %s\n", id, out, r.reads, r.images, r.manifest_sha256);
        }
    } else if (!strcmp(sub, "show")) {
        records_request r;
        if (records_request_get(st, id, &r, &err)) {
            rc = cmd_fail("request", &err);
        } else {
            int j = 1;
            print_req(&j, &r);
            records_request_fini(&r);
        }
    } else if (u.role != ACCESS_ROLE_ADMIN && u.role != ACCESS_ROLE_CUSTODIAN &&
               u.role != ACCESS_ROLE_AUDITOR) {
        pk_err_set(&err, PK_EDENIED, "requests are listed for administrators, custodians and auditors");
        rc = cmd_fail("request", &err);
    } else if (!strcmp(sub, "report")) {
        if (!json) printf("%-5s %-24s %-15s %-2s %-9s %-10s  %s\n", "id", "agency", "type", "st", "status", "released", "");
        if (records_sharing_report(st, print_req, &json, &err)) rc = cmd_fail("request", &err);
    } else {
        if (records_requests_each(st, status, print_req, &json, &err)) rc = cmd_fail("request", &err);
    }
    store_close(st);
out:
    free(doc);
    free(jtext);
    records_request_in_fini(&in);
    return rc;
}

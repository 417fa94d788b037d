/* platekeeper export --hold ID --out DIR|FILE.tar, and platekeeper export verify PACKAGE. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/records_cli.h"

static int usage(int rc) {
    fprintf(stderr, "usage: platekeeper export [--data DIR] --user NAME --hold ID --out DIR|FILE.tar\n"
                    "       platekeeper export verify PACKAGE\n");
    return rc;
}

static void on_problem(void *ctx, const char *kind, const char *path, const char *detail) {
    (void)ctx;
    printf("%-9s %s: %s\n", kind, path, detail);
}

static int verify(int argc, char **argv) {
    if (argc != 3) return usage(CMD_USAGE);
    records_verify_result v;
    pk_err err;
    pk_err_clear(&err);
    if (records_export_verify(argv[2], on_problem, NULL, &v, &err)) return cmd_fail("export verify", &err);
    if (v.intact) {
        printf("intact: %" PRId64 " files match the manifest (case %s, manifest SHA-256 %s)\n",
               v.files_checked, v.case_no, v.manifest_sha256);
        return CMD_OK;
    }
    fprintf(stderr, "platekeeper export verify: %s is NOT intact: %" PRId64 " problem(s)\n", argv[2],
            v.problems);
    return CMD_FAIL;
}

int cmd_export(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "verify")) return verify(argc, argv);
    const char *data = "./data", *user = NULL, *out = NULL, *hold = NULL;
    int c;
    static const struct option opts[] = {{"data", required_argument, 0, 'd'},
                                         {"user", required_argument, 0, 'u'},
                                         {"hold", required_argument, 0, 'H'},
                                         {"out", required_argument, 0, 'o'},
                                         {0, 0, 0, 0}};
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'u': user = optarg; break;
        case 'H': hold = optarg; break;
        case 'o': out = optarg; break;
        default: return usage(CMD_USAGE);
        }
    }
    if (optind < argc) return cmd_usage("export", "unexpected argument '%s'", argv[optind]);
    char *end = NULL;
    long long hid = hold ? strtoll(hold, &end, 10) : 0;
    if (!hold || *end || hid <= 0) return cmd_usage("export", "--hold: give the hold id");
    if (!out || !*out) return cmd_usage("export", "--out: give a directory or a FILE.tar");
    store *st;
    access_user u;
    int rc = cmd__rcli_session("export", data, user, &st, &u);
    if (rc) return rc;
    records_actor a = {&u, "cli", NULL};
    records_export_result r;
    pk_err err;
    pk_err_clear(&err);
    if (records_export_hold(st, &a, hid, out, &r, &err)) {
        rc = cmd_fail("export", &err);
    } else {
        printf("exported hold %lld to %s: %" PRId64 " reads, %" PRId64 " images\n"
               "manifest SHA-256 (write it on the evidence label): %s\n",
               hid, out, r.reads, r.images, r.manifest_sha256);
    }
    store_close(st);
    return rc;
}

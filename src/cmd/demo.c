/* platekeeper demo: fill a data directory with the demo data set (src/demo), as an
 * administrator. The new demo accounts' passwords are written to DIR/DEMO-USERS.txt (mode 600),
 * never printed to the log. */
#include "cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "demo/demo.h"

static void usage(void) {
    fprintf(stderr,
            "usage: platekeeper demo [--data DIR] --user ADMIN [--reads N] [--seed S]\n"
            "                        [--images-every N]\n"
            "Adds ~40 cameras around downtown Sacramento, demo users of every role (passwords in\n"
            "DIR/DEMO-USERS.txt, mode 600), a small hotlist and N reads over the last year\n"
            "(default 100000; the same seed gives the same data, and a second run adds nothing).\n");
}

static int parse_num(const char *s, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int cmd_demo(int argc, char **argv) {
    const char *data = "data", *user = NULL;
    long long reads = 100000, seed = 1, every = 50;
    static const struct option longopts[] = {{"data", required_argument, NULL, 'd'},
                                             {"user", required_argument, NULL, 'u'},
                                             {"reads", required_argument, NULL, 'n'},
                                             {"seed", required_argument, NULL, 's'},
                                             {"images-every", required_argument, NULL, 'i'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:u:n:s:i:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'u': user = optarg; break;
        case 'n':
            if (parse_num(optarg, 0, 1000000000LL, &reads))
                return cmd_usage("demo", "--reads must be a number from 0 to 1000000000");
            break;
        case 's':
            if (parse_num(optarg, 0, INT64_MAX, &seed))
                return cmd_usage("demo", "--seed must be a non-negative number");
            break;
        case 'i':
            if (parse_num(optarg, 0, 1000000000LL, &every))
                return cmd_usage("demo", "--images-every must be a number (0: no images)");
            break;
        case 'h': usage(); return CMD_OK;
        default: usage(); return CMD_USAGE;
        }
    }
    if (optind < argc) return cmd_usage("demo", "unexpected argument '%s'", argv[optind]);
    if (!user) return cmd_usage("demo", "--user NAME is required (an administrator)");
    store *st;
    int rc = cmd_open_store(data, &st);
    if (rc) return rc;
    access_user admin;
    rc = cmd_login_admin("demo", st, user, "demo", &admin);
    if (rc) {
        store_close(st);
        return rc;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/DEMO-USERS.txt", data);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    FILE *cred = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!cred) {
        fprintf(stderr, "platekeeper demo: cannot write %s: %s\n", path, strerror(errno));
        store_close(st);
        return CMD_FAIL;
    }
    demo_fill_opts o = {.seed = (uint64_t)seed,
                        .n_reads = reads,
                        .image_every = (int)every,
                        .admin = &admin,
                        .credentials = cred};
    demo_fill_report rep;
    pk_err err;
    pk_err_clear(&err);
    printf("generating %lld reads (seed %lld)...\n", reads, seed);
    fflush(stdout);
    rc = demo_fill(st, &o, &rep, &err);
    fclose(cred);
    json_t *q = json_pack("{s:I, s:I, s:I, s:I, s:I}", "seed", (json_int_t)seed, "reads",
                          (json_int_t)reads, "accepted", (json_int_t)rep.accepted, "users",
                          (json_int_t)rep.users, "hotlist_entries",
                          (json_int_t)rep.hotlist_entries);
    char *qs = json_dumps(q, JSON_COMPACT);
    json_decref(q);
    audit_entry e = {.username = admin.username,
                     .agency = admin.agency,
                     .action = "demo",
                     .query = qs,
                     .result_count = -1,
                     .client = "cli",
                     .outcome = rc ? "failed" : "ok",
                     .detail = rc ? err.msg : NULL};
    pk_err aerr;
    int arc = audit_append(st, &e, NULL, &aerr);
    free(qs);
    store_close(st);
    if (rc) return cmd_fail("demo", &err);
    if (arc) return cmd_fail("demo", &aerr);
    printf("cameras=%lld users=%lld hotlist_entries=%lld\n", (long long)rep.cameras,
           (long long)rep.users, (long long)rep.hotlist_entries);
    printf("accepted=%lld duplicates=%lld images=%lld alerts=%lld\n", (long long)rep.accepted,
           (long long)rep.duplicates, (long long)rep.images, (long long)rep.alerts);
    if (rep.users) printf("demo accounts and their passwords: %s\n", path);
    return CMD_OK;
}

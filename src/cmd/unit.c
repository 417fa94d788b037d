/* platekeeper unit add|revoke|list: keys for cameras and patrol cars (ingest only), as an
 * administrator. A new key is printed once; only its hash is stored. */
#include "cmd/cmd.h"

#include <getopt.h>
#include <sodium.h>
#include <string.h>

#include "core/pktime.h"

static void usage(void) {
    fprintf(stderr, "usage: platekeeper unit add NAME | revoke NAME | list  [--data DIR] --user ADMIN\n"
                    "A new key is printed once; give it to the unit (agent --unit-key).\n");
}

static int print_unit(void *ctx, const char *name, const char *added_by, int64_t created,
                      int64_t revoked) {
    (void)ctx;
    char c[PK_TIME_STR_MAX], r[PK_TIME_STR_MAX] = "-";
    pk_time_format(created, c);
    if (revoked) pk_time_format(revoked, r);
    printf("%-24s %-8s %-24.19s %-24.19s %s\n", name, revoked ? "revoked" : "valid", c, r,
           added_by);
    return 0;
}

int cmd_unit(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage();
        return argc < 2 ? CMD_USAGE : CMD_OK;
    }
    const char *sub = argv[1], *data = "./data", *user = NULL;
    static const struct option lo[] = {{"data", required_argument, 0, 'd'},
                                       {"user", required_argument, 0, 'u'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'u': user = optarg; break;
        case 'h': usage(); return CMD_OK;
        default: usage(); return CMD_USAGE;
        }
    }
    argc -= 1;
    argv += 1;
    int is_list = !strcmp(sub, "list");
    if (!is_list && strcmp(sub, "add") && strcmp(sub, "revoke"))
        return cmd_usage("unit", "unknown subcommand '%s'", sub);
    const char *name = NULL;
    if (!is_list) {
        if (optind >= argc) return cmd_usage("unit", "%s: NAME is required", sub);
        name = argv[optind++];
    }
    if (optind < argc) return cmd_usage("unit", "unexpected argument '%s'", argv[optind]);
    if (!user) return cmd_usage("unit", "--user NAME is required (an administrator)");
    if (sodium_init() < 0) return cmd_fail("unit", NULL);
    store *st;
    int rc = cmd_open_store(data, &st);
    if (rc) return rc;
    access_user me;
    char action[32];
    snprintf(action, sizeof action, "unit.%s", sub);
    if ((rc = cmd_login_admin("unit", st, user, action, &me))) {
        store_close(st);
        return rc;
    }
    pk_err err;
    pk_err_clear(&err);
    if (is_list) {
        printf("%-24s %-8s %-24s %-24s %s\n", "UNIT", "KEY", "ADDED", "REVOKED", "BY");
        if (access_unit_each(st, print_unit, NULL, &err)) rc = cmd_fail("unit", &err);
    } else if (!strcmp(sub, "add")) {
        char key[ACCESS_TOKEN_MAX];
        if (access_unit_add(st, name, me.username, key, &err)) {
            rc = cmd_fail("unit", &err);
        } else {
            printf("unit %s added\nkey: %s\n(shown once: configure the unit with it now)\n", name,
                   key);
            sodium_memzero(key, sizeof key);
        }
    } else {
        if (access_unit_revoke(st, name, me.username, &err))
            rc = cmd_fail("unit", &err);
        else
            printf("unit %s revoked; its key no longer works\n", name);
    }
    store_close(st);
    return rc;
}

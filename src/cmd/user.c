/* platekeeper user add|list|show|train|suspend|separate|reactivate|reset-password|password:
 * accounts, as an administrator (password changes as oneself). Every change is logged by
 * src/access in the same transaction. */
#include "cmd/cmd.h"

#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/pktime.h"

static void usage(void) {
    fprintf(stderr,
            "usage: platekeeper user SUBCOMMAND [--data DIR] --user ADMIN ...\n"
            "  add NAME --role R --full-name F --job-title T [--agency A]\n"
            "      roles: admin investigator operator auditor custodian; the new password comes\n"
            "      from PLATEKEEPER_NEW_PASSWORD or is generated and printed once\n"
            "  list [--json]                  show NAME [--json]\n"
            "  train NAME --course C --completed YYYY-MM-DD\n"
            "  suspend NAME | separate NAME | reactivate NAME\n"
            "  reset-password NAME            (PLATEKEEPER_NEW_PASSWORD or generated)\n"
            "  password                       change your own password: --user YOU, the current\n"
            "                                 one in PLATEKEEPER_PASSWORD, the new one in\n"
            "                                 PLATEKEEPER_NEW_PASSWORD\n"
            "The acting user's password comes from PLATEKEEPER_PASSWORD or the terminal.\n");
}

typedef struct opts {
    const char *data, *user, *role, *full_name, *job_title, *agency, *course, *completed;
    int json;
} opts;

static void fmt_day(int64_t ms, char *buf) {
    if (!ms) {
        snprintf(buf, 11, "-");
        return;
    }
    char t[PK_TIME_STR_MAX];
    pk_time_format(ms, t);
    snprintf(buf, 11, "%.10s", t);
}

static int print_user(void *ctx, const access_user_info *u) {
    const opts *o = ctx;
    if (o->json) {
        json_t *j = access_user_info_json(u);
        char *s = json_dumps(j, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        json_decref(j);
        return 0;
    }
    char last[11], trained[11], due[11];
    fmt_day(u->last_login, last);
    fmt_day(u->training_completed, trained);
    fmt_day(u->training_due, due);
    printf("%-20s %-12s %-10s %-10s %-10s %-10s%s  %s, %s, %s\n", u->user.username,
           access_role_name(u->user.role), u->user.status, last, trained, due,
           u->training_current ? "" : " OVERDUE", u->user.full_name, u->user.job_title,
           u->user.agency);
    return 0;
}

static int print_training(void *ctx, const char *course, int64_t completed,
                          const char *recorded_by) {
    json_t *list = ctx;
    char day[11];
    fmt_day(completed, day);
    json_array_append_new(list, json_pack("{ssssss}", "course", course, "completed", day,
                                          "recorded_by", recorded_by));
    return 0;
}

/* The new password for add / reset: PLATEKEEPER_NEW_PASSWORD or generated (OUT: *generated). */
static const char *new_password(char buf[ACCESS_PASSWORD_GEN + 1], int *generated) {
    const char *pw = getenv("PLATEKEEPER_NEW_PASSWORD");
    *generated = 0;
    if (pw) return pw;
    access_password_generate(buf);
    *generated = 1;
    return buf;
}

static int need_name(int argc, char **argv, const char *sub, const char **name) {
    if (optind >= argc) return cmd_usage("user", "%s: NAME is required", sub);
    *name = argv[optind++];
    if (optind < argc) return cmd_usage("user", "unexpected argument '%s'", argv[optind]);
    return CMD_OK;
}

int cmd_user(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage();
        return argc < 2 ? CMD_USAGE : CMD_OK;
    }
    const char *sub = argv[1];
    opts o = {.data = "./data"};
    static const struct option lo[] = {
        {"data", required_argument, 0, 'd'},      {"user", required_argument, 0, 'u'},
        {"role", required_argument, 0, 'r'},      {"full-name", required_argument, 0, 'f'},
        {"job-title", required_argument, 0, 'j'}, {"agency", required_argument, 0, 'a'},
        {"course", required_argument, 0, 'c'},    {"completed", required_argument, 0, 't'},
        {"json", no_argument, 0, 'J'},            {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd': o.data = optarg; break;
        case 'u': o.user = optarg; break;
        case 'r': o.role = optarg; break;
        case 'f': o.full_name = optarg; break;
        case 'j': o.job_title = optarg; break;
        case 'a': o.agency = optarg; break;
        case 'c': o.course = optarg; break;
        case 't': o.completed = optarg; break;
        case 'J': o.json = 1; break;
        case 'h': usage(); return CMD_OK;
        default: usage(); return CMD_USAGE;
        }
    }
    argc -= 1;
    argv += 1;
    const char *name = NULL;
    int rc;
    static const char *const known[] = {"add", "list", "show", "train", "suspend", "separate",
                                        "reactivate", "reset-password", "password"};
    int ok = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) ok |= !strcmp(sub, known[i]);
    if (!ok) return cmd_usage("user", "unknown subcommand '%s'", sub);
    if (strcmp(sub, "list") && strcmp(sub, "password")) {
        if ((rc = need_name(argc, argv, sub, &name))) return rc;
    } else if (optind < argc) {
        return cmd_usage("user", "unexpected argument '%s'", argv[optind]);
    }
    access_role role = ACCESS_ROLE_NONE;
    int64_t completed = 0;
    pk_err err;
    pk_err_clear(&err);
    if (!strcmp(sub, "add")) {
        if (!o.role || (role = access_role_parse(o.role)) == ACCESS_ROLE_NONE)
            return cmd_usage("user", "--role: one of admin, investigator, operator, auditor, "
                                     "custodian");
        if (!o.full_name) return cmd_usage("user", "--full-name is required");
        if (!o.job_title) return cmd_usage("user", "--job-title is required");
    }
    if (!strcmp(sub, "train")) {
        if (!o.course) return cmd_usage("user", "--course is required");
        if (!o.completed || strlen(o.completed) != 10 ||
            pk_time_parse(o.completed, &completed, &err))
            return cmd_usage("user", "--completed: a date YYYY-MM-DD");
    }
    if (!o.user) return cmd_usage("user", "--user NAME is required (the acting user)");
    if (sodium_init() < 0) return cmd_fail("user", NULL);

    store *st;
    if ((rc = cmd_open_store(o.data, &st))) return rc;
    access_user me;
    if (!strcmp(sub, "password")) {
        rc = cmd_login("user", st, o.user, &me);
        if (!rc) {
            const char *old = getenv("PLATEKEEPER_PASSWORD"), *nw = getenv("PLATEKEEPER_NEW_PASSWORD");
            if (!old || !nw) {
                fprintf(stderr, "platekeeper user: password needs PLATEKEEPER_PASSWORD and "
                                "PLATEKEEPER_NEW_PASSWORD\n");
                rc = CMD_FAIL;
            } else if (access_password_change(st, me.username, old, nw, NULL, "cli", &err)) {
                rc = cmd_fail("user", &err);
            } else {
                printf("password changed for %s\n", me.username);
            }
        }
        store_close(st);
        return rc;
    }
    char action[48];
    snprintf(action, sizeof action, "user.%s", sub);
    if ((rc = cmd_login_admin("user", st, o.user, action, &me))) {
        store_close(st);
        return rc;
    }
    char pwbuf[ACCESS_PASSWORD_GEN + 1] = "";
    int generated = 0;
    if (!strcmp(sub, "add")) {
        access_user u;
        memset(&u, 0, sizeof u);
        snprintf(u.username, sizeof u.username, "%s", name);
        snprintf(u.full_name, sizeof u.full_name, "%s", o.full_name);
        snprintf(u.job_title, sizeof u.job_title, "%s", o.job_title);
        snprintf(u.agency, sizeof u.agency, "%s", o.agency ? o.agency : me.agency);
        u.role = role;
        if (strlen(name) >= sizeof u.username || strlen(o.full_name) >= sizeof u.full_name ||
            strlen(o.job_title) >= sizeof u.job_title ||
            (o.agency && strlen(o.agency) >= sizeof u.agency)) {
            pk_err_set(&err, PK_EINVAL, "a name, title or agency is too long (at most %zu)",
                       sizeof u.full_name - 1);
            rc = cmd_fail("user", &err);
        } else {
            const char *pw = new_password(pwbuf, &generated);
            int64_t id;
            if (access_user_add_from(st, &u, pw, me.username, "cli", &id, &err)) {
                rc = cmd_fail("user", &err);
            } else {
                printf("added %s (%s, id %lld); record training with 'platekeeper user train "
                       "%s' before they can see data\n",
                       u.username, access_role_name(role), (long long)id, u.username);
                if (generated) printf("password: %s\n(shown once)\n", pwbuf);
            }
        }
    } else if (!strcmp(sub, "list")) {
        if (!o.json)
            printf("%-20s %-12s %-10s %-10s %-10s %-10s  %s\n", "USERNAME", "ROLE", "STATUS",
                   "LAST LOGIN", "TRAINED", "DUE", "NAME, TITLE, AGENCY");
        if (access_user_each(st, NULL, print_user, &o, &err)) rc = cmd_fail("user", &err);
    } else if (!strcmp(sub, "show")) {
        access_user_info info;
        json_t *tr = json_array();
        if (access_user_info_get(st, name, NULL, &info, &err) ||
            access_training_each(st, name, print_training, tr, &err)) {
            rc = cmd_fail("user", &err);
        } else {
            json_t *j = access_user_info_json(&info);
            json_object_set(j, "training_records", tr);
            char *s = json_dumps(j, o.json ? JSON_COMPACT : JSON_INDENT(2));
            printf("%s\n", s);
            free(s);
            json_decref(j);
        }
        json_decref(tr);
    } else if (!strcmp(sub, "train")) {
        if (access_training_add_from(st, name, o.course, completed, me.username, "cli", &err))
            rc = cmd_fail("user", &err);
        else
            printf("recorded %s for %s, completed %s\n", o.course, name, o.completed);
    } else if (!strcmp(sub, "reset-password")) {
        const char *pw = new_password(pwbuf, &generated);
        if (access_password_reset(st, name, pw, me.username, "cli", &err)) {
            rc = cmd_fail("user", &err);
        } else {
            printf("password reset for %s; their sessions were ended\n", name);
            if (generated) printf("password: %s\n(shown once)\n", pwbuf);
        }
    } else {
        const char *status = !strcmp(sub, "suspend")    ? "suspended"
                             : !strcmp(sub, "separate") ? "separated"
                                                        : "active";
        if (access_user_set_status(st, name, status, me.username, "cli", NULL, &err))
            rc = cmd_fail("user", &err);
        else
            printf("%s is now %s\n", name, status);
    }
    sodium_memzero(pwbuf, sizeof pwbuf);
    store_close(st);
    return rc;
}

/* platekeeper init: create a data directory, its database, image store, configuration file
 * and first administrator. Refuses, changing nothing, when the directory is in use. */
#include "cmd/cmd.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/pktime.h"

static const char CONF_TEMPLATE[] =
    "# platekeeper configuration: key = value, '#' starts a comment.\n"
    "# Written by 'platekeeper init'; 'platekeeper serve' reads it (its options win).\n"
    "\n"
    "# Address and port the HTTP server listens on. Keep it on loopback unless TLS is set.\n"
    "listen = %s\n"
    "\n"
    "# TLS certificate and key (PEM). Empty: plain HTTP.\n"
    "tls_cert =\n"
    "tls_key =\n"
    "\n"
    "# Directory of the content-addressed image store, relative to the data directory.\n"
    "images = images\n"
    "\n"
    "# File the public GET /policy page serves (relative to the data directory); the built-in\n"
    "# default policy is served while it does not exist.\n"
    "policy = policy.html\n";

/* 0 when dir does not exist or is an empty directory; otherwise a reason. */
static const char *dir_in_use(const char *dir) {
    struct stat sb;
    if (stat(dir, &sb) != 0) return errno == ENOENT ? NULL : strerror(errno);
    if (!S_ISDIR(sb.st_mode)) return "exists and is not a directory";
    char db[4096];
    cmd_db_path(dir, db, sizeof db);
    if (access(db, F_OK) == 0) return "already holds a platekeeper.db";
    DIR *d = opendir(dir);
    if (!d) return strerror(errno);
    struct dirent *e;
    int used = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) used = 1;
    closedir(d);
    return used ? "is not empty" : NULL;
}

static void usage(void) {
    fprintf(stderr,
            "usage: platekeeper init [--data DIR] --admin NAME [--full-name F] [--job-title T]\n"
            "                        [--agency A] [--listen ADDR:PORT]\n"
            "The administrator's password comes from PLATEKEEPER_PASSWORD, or is generated and\n"
            "printed once.\n");
}

int cmd_init(int argc, char **argv) {
    const char *data = "./data", *admin = NULL, *full_name = NULL, *job = "ALPR administrator",
               *agency = "Police Department", *listen = "127.0.0.1:8080";
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'},      {"admin", required_argument, 0, 'a'},
        {"full-name", required_argument, 0, 'f'}, {"job-title", required_argument, 0, 'j'},
        {"agency", required_argument, 0, 'g'},    {"listen", required_argument, 0, 'l'},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'a': admin = optarg; break;
        case 'f': full_name = optarg; break;
        case 'j': job = optarg; break;
        case 'g': agency = optarg; break;
        case 'l': listen = optarg; break;
        case 'h': usage(); return CMD_OK;
        default: usage(); return CMD_USAGE;
        }
    }
    if (optind < argc) return cmd_usage("init", "unexpected argument '%s'", argv[optind]);
    if (!admin) return cmd_usage("init", "--admin NAME is required");
    if (!*data) return cmd_usage("init", "--data: empty");
    if (strchr(listen, '\n') || !strchr(listen, ':'))
        return cmd_usage("init", "--listen: expected ADDR:PORT");

    /* Everything that can be checked is checked before anything is created. */
    const char *why = dir_in_use(data);
    if (why) {
        fprintf(stderr, "platekeeper init: %s %s; nothing was changed\n", data, why);
        return CMD_FAIL;
    }
    access_user u;
    memset(&u, 0, sizeof u);
    if (strlen(admin) >= sizeof u.username)
        return cmd_usage("init", "--admin: longer than %zu", sizeof u.username - 1);
    snprintf(u.username, sizeof u.username, "%s", admin);
    snprintf(u.full_name, sizeof u.full_name, "%s", full_name ? full_name : admin);
    snprintf(u.job_title, sizeof u.job_title, "%s", job);
    snprintf(u.agency, sizeof u.agency, "%s", agency);
    u.role = ACCESS_ROLE_ADMIN;
    if (sodium_init() < 0) {
        fprintf(stderr, "platekeeper init: libsodium failed to start\n");
        return CMD_FAIL;
    }
    char generated[ACCESS_PASSWORD_GEN + 1] = "";
    const char *pw = getenv("PLATEKEEPER_PASSWORD");
    if (!pw) {
        access_password_generate(generated);
        pw = generated;
    }
    pk_err err;
    pk_err_clear(&err);
    if (access_password_check(u.username, pw, &err)) {
        fprintf(stderr, "platekeeper init: PLATEKEEPER_PASSWORD: %s; nothing was changed\n",
                err.msg);
        return CMD_FAIL;
    }

    umask(027); /* the database and configuration are not for other local users */
    struct stat sb;
    int created_dir = stat(data, &sb) != 0;
    if (created_dir && mkdir(data, 0750) != 0) {
        fprintf(stderr, "platekeeper init: cannot create %s: %s\n", data, strerror(errno));
        return CMD_FAIL;
    }
    char path[4200], db[4096];
    cmd_db_path(data, db, sizeof db);
    store *st = NULL;
    int rc = store_open(db, STORE_CREATE, &st, &err);
    int64_t id = 0;
    if (!rc) rc = access_user_add_from(st, &u, pw, "init", "cli", &id, &err);
    if (!rc) {
        /* The first administrator must be able to work at once: init records the setup
         * course (docs/access.md says so; the department records the real course later). */
        int64_t today = pk_now_ms() / PK_MS_PER_DAY * PK_MS_PER_DAY;
        rc = access_training_add_from(st, u.username, "initial administrator setup", today,
                                      "init", "cli", &err);
    }
    if (!rc) {
        snprintf(path, sizeof path, "%s/images", data);
        if (mkdir(path, 0750) != 0)
            rc = pk_err_set(&err, PK_EIO, "cannot create %s: %s", path, strerror(errno));
    }
    if (!rc) {
        snprintf(path, sizeof path, "%s/platekeeper.conf", data);
        FILE *f = fopen(path, "wx");
        if (!f || fprintf(f, CONF_TEMPLATE, listen) < 0 || fclose(f) != 0)
            rc = pk_err_set(&err, PK_EIO, "cannot write %s: %s", path, strerror(errno));
    }
    if (!rc) rc = store_checkpoint(st, &err);
    store_close(st);
    if (rc) {
        /* Leave nothing half made behind. */
        const char *names[] = {"platekeeper.db", "platekeeper.db-wal", "platekeeper.db-shm",
                               "platekeeper.conf", "images"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            snprintf(path, sizeof path, "%s/%s", data, names[i]);
            if (remove(path) != 0 && errno != ENOENT) break;
        }
        if (created_dir) rmdir(data);
        sodium_memzero(generated, sizeof generated);
        return cmd_fail("init", &err);
    }
    printf("created %s (database, images/, platekeeper.conf)\n", data);
    printf("administrator: %s (training recorded: initial administrator setup)\n", u.username);
    if (generated[0]) {
        printf("password: %s\n", generated);
        printf("(shown once: write it down or change it now; it is stored only as a hash)\n");
    }
    sodium_memzero(generated, sizeof generated);
    return CMD_OK;
}

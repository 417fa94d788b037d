/*
 * cmd.h: the subcommands of the platekeeper binary, one file each, dispatched by src/main.c.
 *
 * Every command returns its exit status: 0 success, 1 refused or failed (a one-line reason on
 * stderr), 2 bad usage. Commands may print and exit; library modules never do.
 */
#ifndef PK_CMD_CMD_H
#define PK_CMD_CMD_H

#include <stdio.h>

#include "core/err.h"
#include "access/access.h"
#include "store/store.h"

#define PK_VERSION "0.1.0"

enum { CMD_OK = 0, CMD_FAIL = 1, CMD_USAGE = 2 };

int cmd_alerts(int argc, char **argv);
int cmd_hotlist(int argc, char **argv);
int cmd_read(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_unit(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_purge(int argc, char **argv);
int cmd_retention(int argc, char **argv);
int cmd_hold(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_request(int argc, char **argv);

/* Shared helpers (src/cmd/common.c). */

/* The database path for a data directory: DIR/platekeeper.db. OUT: buf (size n). */
void cmd_db_path(const char *data_dir, char *buf, size_t n);

/* Opens the store of an existing data directory, printing the reason on failure. OUT: *st. */
int cmd_open_store(const char *data_dir, store **st);

/* The password for a command acting as a user: PLATEKEEPER_PASSWORD, or asked on the terminal
 * without echo. Returns malloc'd text the caller wipes and frees, or NULL when none could be
 * had (no variable and no terminal). */
char *cmd_password(const char *prompt);

/* Logs username in for a command through access_login (password from PLATEKEEPER_PASSWORD or
 * the terminal); prints the reason and returns CMD_FAIL (CMD_USAGE without a username) on
 * failure. OUT: *out. (src/cmd/login.c) */
int cmd_login(const char *cmd, store *st, const char *username, access_user *out);
/* cmd_login, then requires the admin role; a refusal is logged under action. */
int cmd_login_admin(const char *cmd, store *st, const char *username, const char *action,
                    access_user *out);

/* Prints "platekeeper CMD: message" on stderr and returns CMD_FAIL. */
int cmd_fail(const char *cmd, const pk_err *err);

/* Prints the usage error and returns CMD_USAGE. */
int cmd_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

#include "cmd/cmd.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

void cmd_db_path(const char *data_dir, char *buf, size_t n) {
    snprintf(buf, n, "%s/platekeeper.db", data_dir);
}

int cmd_open_store(const char *data_dir, store **st) {
    char path[4096];
    cmd_db_path(data_dir, path, sizeof path);
    if (access(path, F_OK) != 0) {
        fprintf(stderr,
                "platekeeper: no data directory at %s (create one with 'platekeeper init --data "
                "%s --admin NAME')\n",
                data_dir, data_dir);
        return CMD_FAIL;
    }
    pk_err err;
    pk_err_clear(&err);
    if (store_open(path, 0, st, &err)) {
        fprintf(stderr, "platekeeper: %s\n", err.msg);
        return CMD_FAIL;
    }
    return CMD_OK;
}

char *cmd_password(const char *prompt) {
    const char *env = getenv("PLATEKEEPER_PASSWORD");
    if (env) return pk_xstrdup(env);
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty) return NULL;
    struct termios old, quiet;
    int fd = fileno(tty);
    int have_term = tcgetattr(fd, &old) == 0;
    if (have_term) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    fprintf(tty, "%s", prompt);
    fflush(tty);
    char buf[512];
    char *got = fgets(buf, sizeof buf, tty);
    if (have_term) tcsetattr(fd, TCSAFLUSH, &old);
    fprintf(tty, "\n");
    fclose(tty);
    if (!got) return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    char *pw = pk_xstrdup(buf);
    memset(buf, 0, sizeof buf);
    return pw;
}

int cmd_fail(const char *cmd, const pk_err *err) {
    fprintf(stderr, "platekeeper %s: %s\n", cmd,
            err && err->msg[0] ? err->msg : pk_err_default_msg(err ? err->code : PK_EINVAL));
    return CMD_FAIL;
}

int cmd_usage(const char *cmd, const char *fmt, ...) {
    fprintf(stderr, "platekeeper %s: ", cmd);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'platekeeper help')\n");
    return CMD_USAGE;
}

int cmd_version(int argc, char **argv) {
    if (argc > 1)
        return cmd_usage("version", "unexpected argument '%.64s' (version takes none)", argv[1]);
    printf("platekeeper %s\n", PK_VERSION);
    return CMD_OK;
}

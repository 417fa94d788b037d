/* Commands that act as a user: log in through the gate's login (logged), and for
 * administrative commands check the role (a refusal is logged too). */
#include "cmd/cmd.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

int cmd_login(const char *cmd, store *st, const char *username, access_user *out) {
    if (!username || !*username) {
        fprintf(stderr, "platekeeper %s: --user NAME is required\n", cmd);
        return CMD_USAGE;
    }
    char *pw = cmd_password("password: ");
    if (!pw) {
        fprintf(stderr,
                "platekeeper %s: no password (set PLATEKEEPER_PASSWORD or run on a terminal)\n",
                cmd);
        return CMD_FAIL;
    }
    pk_err err;
    pk_err_clear(&err);
    int rc = access_login(st, username, pw, "cli", out, &err);
    sodium_memzero(pw, strlen(pw));
    free(pw);
    if (rc) return cmd_fail(cmd, &err);
    return CMD_OK;
}

int cmd_login_admin(const char *cmd, store *st, const char *username, const char *action,
                    access_user *out) {
    int rc = cmd_login(cmd, st, username, out);
    if (rc) return rc;
    if (out->role == ACCESS_ROLE_ADMIN) return CMD_OK;
    audit_entry e = {.username = out->username,
                     .agency = out->agency,
                     .action = action,
                     .result_count = -1,
                     .client = "cli",
                     .outcome = "refused",
                     .detail = "administrators only"};
    pk_err err;
    pk_err_clear(&err);
    if (audit_append(st, &e, NULL, &err)) return cmd_fail(cmd, &err);
    fprintf(stderr, "platekeeper %s: %s is %s; only an administrator may do this\n", cmd,
            out->username, access_role_name(out->role));
    return CMD_FAIL;
}

/* Helpers shared by the records commands (purge, hold, export, request); inside src/cmd only. */
#ifndef PK_CMD_RECORDS_CLI_H
#define PK_CMD_RECORDS_CLI_H

#include "cmd/cmd.h"
#include "records/records.h"

/* Long option values for a selection (--plate, --from, --to, --near), shared by hold and
 * request. */
enum { RCLI_PLATE = 1000, RCLI_FROM, RCLI_TO, RCLI_NEAR };
#define RCLI_SELECTION_OPTS                                                                  \
    {"plate", required_argument, 0, RCLI_PLATE}, {"from", required_argument, 0, RCLI_FROM},  \
        {"to", required_argument, 0, RCLI_TO}, {"near", required_argument, 0, RCLI_NEAR}

/* Adds one selection option to q (*used set to 1). PK_EINVAL naming the option otherwise. */
int cmd__rcli_selection(records_query *q, int *used, int opt, const char *arg, pk_err *err);

/* Opens the data directory and logs the user in. OUT: *st, *u. Returns a CMD_* status. */
int cmd__rcli_session(const char *cmd, const char *data, const char *user, store **st,
                      access_user *u);

/* Prints the error of a records call and returns CMD_FAIL (CMD_USAGE for PK_EINVAL when
 * usage_on_invalid). */
int cmd__rcli_fail(const char *cmd, const pk_err *err);

#endif

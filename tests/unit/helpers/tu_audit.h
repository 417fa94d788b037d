/* Test helpers over the access log: how many entries it holds (verifying the chain on the way)
 * and its newest entry. */
#ifndef PK_TU_AUDIT_H
#define PK_TU_AUDIT_H

#include <stdint.h>

#include "store/store.h"

typedef struct tu_log_entry {
    char action[64], outcome[32], detail[256], username[64], purpose[32], case_no[80];
    char query[1024];
    int64_t count;
} tu_log_entry;

/* Entries in the log; fails the test when the chain does not verify. */
int64_t tu_log_count(store *st);
/* The newest entry, strings "" where NULL. */
tu_log_entry tu_log_newest(store *st);

#endif

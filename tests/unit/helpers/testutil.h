/* Helpers shared by the unit tests: temporary data directories and fresh stores. */
#ifndef PK_TESTUTIL_H
#define PK_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/store.h"

/* Creates a fresh temporary directory; returns a malloc'd path. */
char *tu_tempdir(void);
/* Removes a directory tree (best effort). */
void tu_rmtree(const char *path);
/* Opens a new store in a fresh temporary directory. OUT: *dir (malloc'd path). */
store *tu_store_new(char **dir);
/* Closes the store and removes its directory; frees dir. */
void tu_store_free(store *st, char *dir);

/* The checkout's root: $PK_ROOT, else "." (the tests run from it). */
const char *tu_root(void);
/* The shipped model directory, <root>/models. */
void tu_models_dir(char *buf, size_t n);
/* The path of a file of the OpenALPR benchmarks (rel: "seg_and_ocr/usimages/ia396.png"): under
 * $PK_DATA, else ../shared/data beside $PK_ROOT (default .). Tests skip when it is not there. */
void tu_bench_file(char *buf, size_t n, const char *rel);
/* tu_bench_file of a labelled US scene (file: "car3.jpg"). */
void tu_us_scene(char *buf, size_t n, const char *file);

/* Deterministic pseudo-random numbers for tests (xorshift64*). */
uint64_t tu_rand(uint64_t *state);

#define TU_ASSERT_OK(expr)                                                                         \
    do {                                                                                           \
        pk_err tu_err_;                                                                            \
        pk_err_clear(&tu_err_);                                                                    \
        (void)tu_err_;                                                                             \
        int tu_rc_ = (expr);                                                                       \
        if (tu_rc_ != 0) fail_msg("%s returned %d", #expr, tu_rc_);                                \
    } while (0)

#endif

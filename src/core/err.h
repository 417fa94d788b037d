/*
 * err.h: how every platekeeper function reports failure.
 *
 * A function that can fail returns an int: 0 (PK_OK) on success, or one of the negative PK_E*
 * codes below. The detail a person needs (which field, which file, why) goes into a caller-owned
 * pk_err, which lives as long as the caller keeps it; functions never allocate error messages.
 * Passing a NULL pk_err is allowed: the code is still returned, the message is dropped.
 *
 * Out of memory is not an error code: pk_xmalloc and friends abort with a message, since the
 * process is a server or a command that a supervisor or the user restarts (STYLE.md rule 8).
 */
#ifndef PK_CORE_ERR_H
#define PK_CORE_ERR_H

#include <stddef.h>

/* X-macro: name, value, short code for APIs, default message. */
#define PK_ERRORS(X)                                                                    \
    X(PK_OK, 0, "ok", "success")                                                        \
    X(PK_EINVAL, -1, "invalid", "invalid input")                                        \
    X(PK_ENOTFOUND, -2, "not_found", "not found")                                       \
    X(PK_EEXIST, -3, "exists", "already exists")                                        \
    X(PK_EDENIED, -4, "forbidden", "permission denied")                                 \
    X(PK_EAUTH, -5, "unauthorized", "authentication failed")                            \
    X(PK_EIO, -6, "io_error", "input/output error")                                     \
    X(PK_EDB, -7, "db_error", "database error")                                         \
    X(PK_ECORRUPT, -8, "corrupt", "data is corrupt")                                    \
    X(PK_ELIMIT, -9, "too_large", "limit exceeded")                                     \
    X(PK_ECONFLICT, -10, "conflict", "conflicting state")                               \
    X(PK_EUNSUPPORTED, -11, "unsupported", "not supported")                             \
    X(PK_EPURPOSE, -12, "purpose_required", "a valid purpose is required")              \
    X(PK_ECASE, -13, "case_required", "a case or incident number is required")          \
    X(PK_ETRAINING, -14, "training_required", "current training is required")           \
    X(PK_EBUSY, -15, "busy", "resource busy, try again")

enum {
#define PK__ERR_ENUM(name, value, code, msg) name = value,
    PK_ERRORS(PK__ERR_ENUM)
#undef PK__ERR_ENUM
};

#define PK_ERR_MSG_MAX 512

typedef struct pk_err {
    int code;                  /* last PK_E* code set, PK_OK when clear */
    char msg[PK_ERR_MSG_MAX];  /* human-readable detail, always NUL-terminated */
} pk_err;

/* Clears err (may be NULL). */
void pk_err_clear(pk_err *err);

/* Records code and a printf-style message in err (may be NULL). Returns code, so callers can
 * write `return pk_err_set(err, PK_EINVAL, "plate: empty");`. */
int pk_err_set(pk_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with a printf-style context ("FILE:LINE: "). Returns err->code. */
int pk_err_prefix(pk_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Short machine code ("invalid", "not_found"...) for a PK_E* value; never NULL. */
const char *pk_err_code_name(int code);

/* Default message for a PK_E* value; never NULL. */
const char *pk_err_default_msg(int code);

/* Allocation that aborts on failure. The caller frees with free(). */
void *pk_xmalloc(size_t n);
void *pk_xcalloc(size_t n, size_t size);
void *pk_xrealloc(void *p, size_t n);
char *pk_xstrdup(const char *s);
char *pk_xstrndup(const char *s, size_t n);

/* Aborts with file/line context: for broken invariants, never for bad input. */
#define PK_ASSERT(cond)                                                                 \
    do {                                                                                \
        if (!(cond)) pk__assert_fail(#cond, __FILE__, __LINE__);                        \
    } while (0)
_Noreturn void pk__assert_fail(const char *cond, const char *file, int line);

#endif

/*
 * conf.h: the data directory's small configuration file, DIR/platekeeper.conf.
 *
 * The format is one "key = value" per line; blank lines and lines starting with '#' are
 * ignored; keys are lower-case letters, digits, '_' and '.'; values run to the end of the line
 * with surrounding spaces trimmed (no quoting, no escapes). A key given twice, a line without
 * '=', a NUL byte, a line over 4096 bytes or more than 256 keys is an error naming the line.
 * `platekeeper init` writes the file; `serve` reads listen, tls_cert and tls_key from it (its
 * command-line options win).
 */
#ifndef PK_CORE_CONF_H
#define PK_CORE_CONF_H

#include <stddef.h>

#include "core/err.h"

typedef struct pk_conf pk_conf;

/* Parses len bytes of text. OUT: *out, free with pk_conf_free; NULL on error with
 * err = "line N: reason". */
int pk_conf_parse(const char *text, size_t len, pk_conf **out, pk_err *err);
/* Reads and parses a file (at most 1 MiB); PK_ENOTFOUND when it does not exist. */
int pk_conf_load(const char *path, pk_conf **out, pk_err *err);
/* The value of key, or NULL when unset; owned by c. */
const char *pk_conf_get(const pk_conf *c, const char *key);
/* Number of keys; the i-th key and value (in file order). */
size_t pk_conf_count(const pk_conf *c);
const char *pk_conf_key(const pk_conf *c, size_t i);
const char *pk_conf_value(const pk_conf *c, size_t i);
/* Frees c (NULL is fine). */
void pk_conf_free(pk_conf *c);

#endif

/*
 * records_int.h: shared only inside src/records.
 *
 * Package writing: a records__pkg is either a directory or a ustar file being written; every file
 * added is hashed (SHA-256) as it goes and listed for the manifest, which is written last.
 */
#ifndef PK_RECORDS_RECORDS_INT_H
#define PK_RECORDS_RECORDS_INT_H

#include <stdio.h>

#include <jansson.h>

#include "records/records.h"

/* Now by the actor's clock. */
int64_t records__now(const records_actor *a);
/* The acting username, "system" when there is no user. */
const char *records__who(const records_actor *a);
/* PK_EDENIED with a clear message unless the actor's role is one of the allowed (a -1 ends the
 * list); the system (no user) passes only when system_ok. */
int records__require(const records_actor *a, int system_ok, pk_err *err, const char *what, ...);
/* Appends an access-log entry for a records action by a. */
int records__log(store *st, const records_actor *a, const char *action, const char *query_json,
                 const char *case_no, int64_t count, const char *outcome, const char *detail,
                 pk_err *err);
/* DIR/images for the store's database DIR/platekeeper.db. OUT: buf. */
void records__images_dir(store *st, char *buf, size_t n);
/* Lowercase hex SHA-256 of data. OUT: hex (65 bytes). */
void records__sha256_hex(const void *data, size_t len, char hex[65]);

/* ---- package writer (tar.c) ---- */

typedef struct records__file {
    char name[256];
    char sha256[65];
    size_t size;
} records__file;

typedef struct records__pkg {
    int is_tar;
    char root[4096];        /* directory, or the .tar path */
    FILE *tar;
    records__file *files;   /* listed for the manifest (not MANIFEST.* themselves) */
    size_t n_files, cap_files;
} records__pkg;

/* Creates the package at out (a directory, or a ustar file when out ends in ".tar"); refuses to
 * overwrite anything that exists (an empty directory is accepted). */
int records__pkg_open(records__pkg *p, const char *out, pk_err *err);
/* Adds one file (name relative to the package, '/' separated, sub-directories created). list: 1
 * to list it in the manifest. */
int records__pkg_add(records__pkg *p, const char *name, const void *data, size_t len, int list,
                     pk_err *err);
/* Finishes the package (tar trailer). */
int records__pkg_close(records__pkg *p, pk_err *err);
/* Removes what a failed export wrote and frees p. */
void records__pkg_abort(records__pkg *p);
void records__pkg_free(records__pkg *p);

/* Reads a package (directory or tar) into memory: names, contents. Caller frees with
 * records__pkg_files_free. */
typedef struct records__pkg_files {
    size_t n, cap;
    char **names;
    unsigned char **data;
    size_t *lens;
} records__pkg_files;
int records__pkg_read(const char *package, records__pkg_files *out, pk_err *err);
/* Parses a ustar image in memory into files (the fuzzable half of records__pkg_read). */
int records__tar_parse(const unsigned char *buf, size_t len, records__pkg_files *out, pk_err *err);
void records__pkg_files_free(records__pkg_files *f);

/* ---- export core (export.c), shared by holds and sharing ---- */

typedef struct records__export_job {
    const char *kind;          /* "hold" or "request" */
    const char *case_no;
    int64_t hold_id, request_id;
    const char *context_json;  /* the hold or request as a JSON object text, for the manifest */
    const unsigned char *document; /* the written request (sharing), or NULL */
    size_t document_len;
    const int64_t *read_ids;   /* either these reads ... */
    size_t n_read_ids;
    const records_query *query; /* ... or this selection */
} records__export_job;

/* Writes the package for job to out under grant g (whose access-log entry this writes with the
 * result count before any read is copied), and records the export row. OUT: *res. */
int records__export_run(access_grant *g, const records_actor *a, const records__export_job *job,
                        const char *out, records_export_result *res, pk_err *err);

/* Fills q from a parsed JSON selection object (see records_query_parse). */
int records__query_from_json(json_t *o, records_query *q, pk_err *err);

/* Collects the ids of reads matching q (newest first). OUT: *ids (malloc'd), *n. */
int records__query_ids(store *st, const records_query *q, int64_t **ids, size_t *n, pk_err *err);

#endif

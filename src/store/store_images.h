/*
 * store_images.h: the content-addressed image store (part of store.h).
 *
 * Plate crops and scene images are JPEG files under the data directory, beside the database:
 * DIR/images/ab/cd/<sha256 hex>.jpg, where ab and cd are the first two byte pairs of the hash.
 * Reads refer to images by hash, so the same image stored twice is one file, and an image file
 * can be checked against its name at any time.
 *
 * Durability (DESIGN.md §4 rule 5): store_image_put writes a temporary file, fsyncs it, renames
 * it into place and fsyncs the directory, all before it returns, so an ingest that stores the
 * images first and then commits the reads never acknowledges a read whose image could be lost.
 * An image whose reads were rolled back stays behind as an unreferenced file (harmless: the
 * retention purge removes files no read refers to).
 *
 * Only src/ingest writes images and only holders of an access grant read them (rule 1).
 */
#ifndef PK_STORE_STORE_IMAGES_H
#define PK_STORE_STORE_IMAGES_H

#include <stddef.h>

typedef struct store store;

/* Stores data (len bytes) under its SHA-256 and writes the hash as lower-case hex into sha_hex
 * (STORE_SHA_HEX + 1 bytes). An image already present is not written again; its hash is noted
 * as shared instead, so the purge's sweep checks for other references before deleting it. A read
 * may refer only to hashes this returned, and the put belongs in the write transaction that
 * stores the read (store_begin first): the sweep decides under the same lock. */
int store_image_put(store *st, const void *data, size_t len, char *sha_hex, pk_err *err);

/* The file path of an image (OUT: buf, size n). PK_EINVAL when sha_hex is not 64 hex digits. */
int store_image_path(store *st, const char *sha_hex, char *buf, size_t n, pk_err *err);

/* Reads an image. PK_ENOTFOUND when absent, PK_ECORRUPT when the file does not match its hash.
 * OUT: *data (malloc'd, the caller frees it), *len. */
int store_image_get(store *st, const char *sha_hex, unsigned char **data, size_t *len, pk_err *err);

#endif

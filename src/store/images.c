/* The content-addressed image store: DIR/images/ab/cd/<sha256>.jpg (see store_images.h). */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The data directory: the directory holding the database file. OUT: buf. */
static void data_dir(const store *st, char *buf, size_t n) {
    const char *p = store_path(st);
    const char *slash = strrchr(p, '/');
    if (!slash) {
        snprintf(buf, n, ".");
    } else {
        snprintf(buf, n, "%.*s", (int)(slash - p), p);
        if (!buf[0]) snprintf(buf, n, "/");
    }
}

static int valid_hex(const char *s) {
    size_t i = 0;
    for (; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return i == STORE_SHA_HEX;
}

int store_image_path(store *st, const char *sha_hex, char *buf, size_t n, pk_err *err) {
    if (!sha_hex || !valid_hex(sha_hex))
        return pk_err_set(err, PK_EINVAL, "image: not a SHA-256 hex digest");
    char dir[4096];
    data_dir(st, dir, sizeof dir);
    snprintf(buf, n, "%s/images/%.2s/%.2s/%s.jpg", dir, sha_hex, sha_hex + 2, sha_hex);
    return PK_OK;
}

static void hash_hex(const void *data, size_t len, char *hex) {
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(hex, STORE_SHA_HEX + 1, h, sizeof h);
}

/* mkdir that fsyncs the parent when it created the directory, so the new entry is durable. */
static int mkdir_durable(const char *path) {
    if (mkdir(path, 0750) == 0) {
        char parent[4096];
        snprintf(parent, sizeof parent, "%s", path);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
            *slash = '\0';
            int fd = open(parent, O_RDONLY | O_DIRECTORY);
            if (fd >= 0) {
                fsync(fd);
                close(fd);
            }
        }
        return 0;
    }
    return errno == EEXIST ? 0 : -1;
}

static const char SQL_SHARED_ADD[] = "INSERT OR IGNORE INTO image_shared(sha) VALUES (?)";

/* A second reference to an image's bytes: the purge's sweep must look for other readers before
 * it deletes the file (schema 0011). */
static int mark_shared(store *st, const char *sha_hex, pk_err *err) {
    sqlite3_stmt *s = store__stmt(st, SQL_SHARED_ADD, err);
    if (!s) return PK_EDB;
    sqlite3_bind_text(s, 1, sha_hex, -1, SQLITE_STATIC);
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    return r == SQLITE_DONE ? PK_OK : store__dberr(st, err, "image_shared");
}

int store_image_put(store *st, const void *data, size_t len, char *sha_hex, pk_err *err) {
    if (sodium_init() < 0) return pk_err_set(err, PK_EIO, "image: libsodium failed to start");
    hash_hex(data, len, sha_hex);
    char dir[4096], path[4300], tmp[4400];
    data_dir(st, dir, sizeof dir);
    size_t dl = strlen(dir);
    snprintf(dir + dl, sizeof dir - dl, "/images");
    if (mkdir_durable(dir)) goto io_fail;
    dl = strlen(dir);
    snprintf(dir + dl, sizeof dir - dl, "/%.2s", sha_hex);
    if (mkdir_durable(dir)) goto io_fail;
    dl = strlen(dir);
    snprintf(dir + dl, sizeof dir - dl, "/%.2s", sha_hex + 2);
    if (mkdir_durable(dir)) goto io_fail;
    snprintf(path, sizeof path, "%s/%s.jpg", dir, sha_hex);
    struct stat sb;
    if (stat(path, &sb) == 0) {
        int rc = mark_shared(st, sha_hex, err);
        if (rc || (size_t)sb.st_size == len) return rc; /* already stored */
        /* else a damaged file: written again below */
    }

    uint32_t rnd = randombytes_random();
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s-%ld-%08x", dir, sha_hex, (long)getpid(), rnd);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0640);
    if (fd < 0) goto io_fail;
    const unsigned char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            close(fd);
            unlink(tmp);
            goto io_fail;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp);
        goto io_fail;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        goto io_fail;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0) goto io_fail;
    int sync_rc = fsync(dfd);
    close(dfd);
    if (sync_rc != 0) goto io_fail;
    return PK_OK;
io_fail:
    return pk_err_set(err, PK_EIO, "image store %s: %s", dir, strerror(errno));
}

int store_image_get(store *st, const char *sha_hex, unsigned char **data, size_t *len,
                    pk_err *err) {
    *data = NULL;
    *len = 0;
    char path[4400];
    int rc = store_image_path(st, sha_hex, path, sizeof path, err);
    if (rc) return rc;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) return pk_err_set(err, PK_ENOTFOUND, "image %s not found", sha_hex);
        return pk_err_set(err, PK_EIO, "image %s: %s", sha_hex, strerror(errno));
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        fclose(f);
        return pk_err_set(err, PK_EIO, "image %s: %s", sha_hex, strerror(errno));
    }
    size_t n = (size_t)sb.st_size;
    unsigned char *buf = pk_xmalloc(n ? n : 1);
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    char check[STORE_SHA_HEX + 1];
    if (got == n) hash_hex(buf, n, check);
    if (got != n || strcmp(check, sha_hex) != 0) {
        free(buf);
        return pk_err_set(err, PK_ECORRUPT, "image %s does not match its hash", sha_hex);
    }
    *data = buf;
    *len = n;
    return PK_OK;
}

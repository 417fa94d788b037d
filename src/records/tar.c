/* Export packages on disk: a directory or a POSIX ustar file, written and read back.
 *
 * ustar is 512-byte blocks: a header per file (name, octal size, checksum, "ustar\0" "00"), the
 * contents padded to a block, and two zero blocks at the end. Only regular files are written;
 * directories are implied by the names, as every tar reader accepts. The reader takes regular
 * files and skips directory entries; anything else (links, devices, long-name extensions) is
 * refused: a package we wrote never holds them. */
#include "records/records_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 512
#define MAX_FILE_BYTES ((size_t)1 << 31)
#define MAX_FILES 1000000

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static int dir_is_empty(const char *path) {
    DIR *d = opendir(path);
    if (!d) return 0;
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    closedir(d);
    return empty;
}

int records__pkg_open(records__pkg *p, const char *out, pk_err *err) {
    memset(p, 0, sizeof *p);
    if (!out || !*out) return pk_err_set(err, PK_EINVAL, "out: required");
    if (strlen(out) >= sizeof p->root - 300) return pk_err_set(err, PK_EINVAL, "out: path too long");
    snprintf(p->root, sizeof p->root, "%s", out);
    p->is_tar = ends_with(out, ".tar");
    if (p->is_tar) {
        int fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0640);
        if (fd < 0)
            return pk_err_set(err, errno == EEXIST ? PK_EEXIST : PK_EIO, "out: %s: %s", out,
                              errno == EEXIST ? "already exists (an export never overwrites)"
                                              : strerror(errno));
        p->tar = fdopen(fd, "wb");
        PK_ASSERT(p->tar);
        return PK_OK;
    }
    if (mkdir(out, 0750) != 0) {
        if (errno != EEXIST) return pk_err_set(err, PK_EIO, "out: %s: %s", out, strerror(errno));
        if (!dir_is_empty(out))
            return pk_err_set(err, PK_EEXIST, "out: %s exists and is not an empty directory", out);
    }
    return PK_OK;
}

static void octal(char *dst, size_t width, uint64_t v) {
    /* width-1 digits then NUL, zero-padded, as POSIX writes them */
    dst[width - 1] = '\0';
    for (size_t i = width - 1; i-- > 0;) {
        dst[i] = (char)('0' + (v & 7));
        v >>= 3;
    }
}

static int tar_write(records__pkg *p, const char *name, const void *data, size_t len, pk_err *err) {
    unsigned char h[BLOCK];
    memset(h, 0, sizeof h);
    if (strlen(name) >= 100) return pk_err_set(err, PK_EINVAL, "package name too long: %s", name);
    memcpy(h, name, strlen(name));
    octal((char *)h + 100, 8, 0640);
    octal((char *)h + 108, 8, 0);
    octal((char *)h + 116, 8, 0);
    octal((char *)h + 124, 12, len);
    octal((char *)h + 136, 12, 0); /* mtime 0: the manifest carries the export time */
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < BLOCK; i++) sum += h[i];
    octal((char *)h + 148, 7, sum);
    h[155] = ' ';
    static const unsigned char zero[BLOCK];
    size_t pad = (BLOCK - len % BLOCK) % BLOCK;
    if (fwrite(h, 1, BLOCK, p->tar) != BLOCK || (len && fwrite(data, 1, len, p->tar) != len) ||
        (pad && fwrite(zero, 1, pad, p->tar) != pad))
        return pk_err_set(err, PK_EIO, "%s: write failed: %s", p->root, strerror(errno));
    return PK_OK;
}

static int dir_write(records__pkg *p, const char *name, const void *data, size_t len, pk_err *err) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", p->root, name);
    for (char *s = path + strlen(p->root) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        int r = mkdir(path, 0750);
        *s = '/';
        if (r != 0 && errno != EEXIST)
            return pk_err_set(err, PK_EIO, "%s: %s", path, strerror(errno));
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
    if (fd < 0) return pk_err_set(err, PK_EIO, "%s: %s", path, strerror(errno));
    const unsigned char *b = data;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, b + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            close(fd);
            return pk_err_set(err, PK_EIO, "%s: write failed: %s", path, strerror(errno));
        }
        off += (size_t)w;
    }
    /* Evidence: on the medium before we say it is done. */
    if (fsync(fd) != 0 || close(fd) != 0)
        return pk_err_set(err, PK_EIO, "%s: %s", path, strerror(errno));
    return PK_OK;
}

int records__pkg_add(records__pkg *p, const char *name, const void *data, size_t len, int list,
                     pk_err *err) {
    int rc = p->is_tar ? tar_write(p, name, data, len, err) : dir_write(p, name, data, len, err);
    if (rc) return rc;
    if (!list) return PK_OK;
    if (p->n_files == p->cap_files)
        p->files = pk_xrealloc(p->files, (p->cap_files = p->cap_files ? p->cap_files * 2 : 64) *
                                             sizeof *p->files);
    records__file *f = &p->files[p->n_files++];
    snprintf(f->name, sizeof f->name, "%s", name);
    records__sha256_hex(data, len, f->sha256);
    f->size = len;
    return PK_OK;
}

int records__pkg_close(records__pkg *p, pk_err *err) {
    if (!p->is_tar) return PK_OK;
    static const unsigned char zero[2 * BLOCK];
    int ok = fwrite(zero, 1, sizeof zero, p->tar) == sizeof zero;
    ok = fflush(p->tar) == 0 && ok;
    ok = fsync(fileno(p->tar)) == 0 && ok;
    ok = fclose(p->tar) == 0 && ok;
    p->tar = NULL;
    return ok ? PK_OK : pk_err_set(err, PK_EIO, "%s: write failed: %s", p->root, strerror(errno));
}

void records__pkg_free(records__pkg *p) {
    if (p->tar) fclose(p->tar);
    p->tar = NULL;
    free(p->files);
    p->files = NULL;
    p->n_files = p->cap_files = 0;
}

void records__pkg_abort(records__pkg *p) {
    char path[4400];
    if (p->is_tar) {
        if (p->tar) fclose(p->tar);
        p->tar = NULL;
        unlink(p->root);
    } else {
        for (size_t i = 0; i < p->n_files; i++) {
            snprintf(path, sizeof path, "%s/%s", p->root, p->files[i].name);
            unlink(path);
        }
        static const char *const extra[] = {"MANIFEST.json", "MANIFEST.sha256", "images",
                                            "request"};
        for (size_t i = 0; i < 4; i++) {
            snprintf(path, sizeof path, "%s/%s", p->root, extra[i]);
            if (unlink(path) != 0) rmdir(path);
        }
        rmdir(p->root);
    }
    records__pkg_free(p);
}

/* ---- reading ---- */

static void files_add(records__pkg_files *f, const char *name, unsigned char *data, size_t len) {
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 32;
        f->names = pk_xrealloc(f->names, f->cap * sizeof *f->names);
        f->data = pk_xrealloc(f->data, f->cap * sizeof *f->data);
        f->lens = pk_xrealloc(f->lens, f->cap * sizeof *f->lens);
    }
    f->names[f->n] = pk_xstrdup(name);
    f->data[f->n] = data;
    f->lens[f->n] = len;
    f->n++;
}

void records__pkg_files_free(records__pkg_files *f) {
    for (size_t i = 0; i < f->n; i++) {
        free(f->names[i]);
        free(f->data[i]);
    }
    free(f->names);
    free(f->data);
    free(f->lens);
    memset(f, 0, sizeof *f);
}

/* Parses an octal field (digits, optional leading spaces, ended by NUL or space). */
static int parse_octal(const unsigned char *s, size_t width, uint64_t *out) {
    size_t i = 0;
    uint64_t v = 0;
    while (i < width && s[i] == ' ') i++;
    size_t digits = 0;
    for (; i < width && s[i] >= '0' && s[i] <= '7'; i++, digits++) {
        if (v >> 60) return -1;
        v = v << 3 | (uint64_t)(s[i] - '0');
    }
    if (!digits) return -1;
    for (; i < width; i++)
        if (s[i] != '\0' && s[i] != ' ') return -1;
    *out = v;
    return 0;
}

int records__tar_parse(const unsigned char *buf, size_t len, records__pkg_files *out, pk_err *err) {
    memset(out, 0, sizeof *out);
    size_t off = 0;
    static const unsigned char zero[BLOCK];
    while (off + BLOCK <= len) {
        const unsigned char *h = buf + off;
        if (!memcmp(h, zero, BLOCK)) return PK_OK; /* end of archive */
        uint64_t size, sum;
        if (parse_octal(h + 124, 12, &size) || parse_octal(h + 148, 8, &sum))
            return pk_err_set(err, PK_ECORRUPT, "tar: bad header at offset %zu", off);
        unsigned calc = 0;
        for (int i = 0; i < BLOCK; i++) calc += (i >= 148 && i < 156) ? ' ' : h[i];
        if (calc != sum) return pk_err_set(err, PK_ECORRUPT, "tar: header checksum mismatch at offset %zu", off);
        char name[272];
        size_t nl = strnlen((const char *)h, 100);
        memcpy(name, h, nl);
        name[nl] = '\0';
        if (!memcmp(h + 257, "ustar", 5) && h[345]) {
            size_t pl = strnlen((const char *)h + 345, 155);
            memmove(name + pl + 1, name, nl + 1);
            memcpy(name, h + 345, pl);
            name[pl] = '/';
        }
        off += BLOCK;
        if (size > len - off) return pk_err_set(err, PK_ECORRUPT, "tar: %s: truncated", name);
        char type = (char)h[156];
        if (type == '5') {
            off += (size + BLOCK - 1) / BLOCK * BLOCK;
            continue;
        }
        if (type != '0' && type != '\0')
            return pk_err_set(err, PK_ECORRUPT, "tar: %s: not a regular file (type %c)", name,
                              type >= 32 && type < 127 ? type : '?');
        if (!name[0]) return pk_err_set(err, PK_ECORRUPT, "tar: empty file name");
        if (out->n >= MAX_FILES) return pk_err_set(err, PK_ELIMIT, "tar: too many files");
        unsigned char *data = pk_xmalloc(size ? size : 1);
        memcpy(data, buf + off, size);
        files_add(out, name, data, size);
        size_t adv = (size + BLOCK - 1) / BLOCK * BLOCK;
        off += adv > len - off ? len - off : adv;
    }
    /* No end-of-archive blocks: a truncated file is still checked file by file; the manifest
     * check then reports whatever is missing. */
    return PK_OK;
}

static int read_all(const char *path, unsigned char **data, size_t *len, pk_err *err) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return pk_err_set(err, PK_EIO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || (size_t)sb.st_size > MAX_FILE_BYTES) {
        close(fd);
        return pk_err_set(err, PK_ELIMIT, "%s: unreadable or larger than 2 GiB", path);
    }
    size_t n = (size_t)sb.st_size, off = 0;
    unsigned char *b = pk_xmalloc(n ? n : 1);
    while (off < n) {
        ssize_t r = read(fd, b + off, n - off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        off += (size_t)r;
    }
    close(fd);
    *data = b;
    *len = off;
    return PK_OK;
}

static int walk(const char *root, const char *rel, int depth, records__pkg_files *out, pk_err *err) {
    if (depth > 8) return pk_err_set(err, PK_ECORRUPT, "%s: directories nested too deep", root);
    char path[4400];
    snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(path);
    if (!d) return pk_err_set(err, PK_EIO, "%s: %s", path, strerror(errno));
    struct dirent *e;
    int rc = PK_OK;
    while (!rc && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char sub[4400], full[4400];
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat sb;
        if (lstat(full, &sb) != 0) {
            rc = pk_err_set(err, PK_EIO, "%s: %s", full, strerror(errno));
        } else if (S_ISDIR(sb.st_mode)) {
            rc = walk(root, sub, depth + 1, out, err);
        } else if (S_ISREG(sb.st_mode)) {
            unsigned char *data;
            size_t len;
            if (!(rc = read_all(full, &data, &len, err))) files_add(out, sub, data, len);
        } else {
            files_add(out, sub, pk_xmalloc(1), 0); /* reported as extra: not a regular file */
        }
    }
    closedir(d);
    return rc;
}

int records__pkg_read(const char *package, records__pkg_files *out, pk_err *err) {
    memset(out, 0, sizeof *out);
    struct stat sb;
    if (stat(package, &sb) != 0) return pk_err_set(err, PK_EIO, "%s: %s", package, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        int rc = walk(package, "", 0, out, err);
        if (rc) records__pkg_files_free(out);
        return rc;
    }
    unsigned char *buf;
    size_t len;
    int rc = read_all(package, &buf, &len, err);
    if (rc) return rc;
    rc = records__tar_parse(buf, len, out, err);
    free(buf);
    if (rc) {
        records__pkg_files_free(out);
        pk_err_prefix(err, "%s: ", package);
    }
    return rc;
}

/*
 * image.c: loading JPEG (libturbojpeg) and PNG (libpng's simplified API) into grey images.
 *
 * The format is chosen by the first bytes, never by the file name. Every image is checked
 * against the pixel limit before any pixel memory is allocated, and a JPEG whose data ends early
 * ("Premature end of JPEG file") is refused as truncated rather than half-decoded. The EXIF
 * Orientation tag (libexif) of a JPEG or a PNG's eXIf chunk is applied, so a phone's photo is
 * read, and its plates' corners given, the way every viewer shows it.
 */
#include <errno.h>
#include <libexif/exif-data.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <turbojpeg.h>

#include "recog/recog_int.h"

#define MAX_FILE_BYTES (512L * 1024 * 1024)

/* The EXIF Orientation (1-8) in buf: a JPEG, whose APP1 segment libexif finds among its markers
 * itself, or an Exif block that starts "Exif\0\0". 1 when there is none or an unusable one.
 * libexif is told not to "fix" the data to the specification, which would add default tags the
 * camera never wrote. */
static int exif_orientation(const uint8_t *buf, size_t len) {
    if (len > 0xFFFFFFFFu) len = 0xFFFFFFFFu;
    ExifData *ed = exif_data_new();
    if (!ed) return 1;
    exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_load_data(ed, buf, (unsigned int)len);
    int o = 1;
    ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
    if (e && e->format == EXIF_FORMAT_SHORT && e->components >= 1 && e->data && e->size >= 2)
        o = exif_get_short(e->data, exif_data_get_byte_order(ed));
    exif_data_unref(ed);
    return o >= 1 && o <= 8 ? o : 1;
}

/* The EXIF Orientation of a PNG: its eXIf chunk (a bare TIFF block, as browsers read it), 1 when
 * it has none. Only the chunks' lengths are trusted, each checked against the data left. */
static int png_orientation(const uint8_t *buf, size_t len) {
    size_t at = 8; /* after the signature */
    while (len - at >= 12) {
        uint32_t n = (uint32_t)buf[at] << 24 | (uint32_t)buf[at + 1] << 16 |
                     (uint32_t)buf[at + 2] << 8 | buf[at + 3];
        const uint8_t *type = buf + at + 4;
        if (n > len - at - 12) return 1;
        if (!memcmp(type, "IEND", 4)) return 1;
        if (!memcmp(type, "eXIf", 4)) {
            /* Some writers keep the "Exif\0\0" that JPEG's APP1 starts with. */
            if (n >= 6 && !memcmp(buf + at + 8, "Exif\0\0", 6))
                return exif_orientation(buf + at + 8, n);
            uint8_t *block = pk_xmalloc((size_t)n + 6);
            memcpy(block, "Exif\0\0", 6);
            memcpy(block + 6, buf + at + 8, n);
            int o = exif_orientation(block, (size_t)n + 6);
            free(block);
            return o;
        }
        at += (size_t)n + 12;
    }
    return 1;
}

static int decode_jpeg(const uint8_t *buf, size_t len, const char *name, long max_pixels,
                       recog_image *img, pk_err *err) {
    tjhandle tj = tjInitDecompress();
    if (!tj) return pk_err_set(err, PK_EUNSUPPORTED, "%s: JPEG decoder unavailable", name);
    int w = 0, h = 0, sub = 0, cs = 0;
    if (tjDecompressHeader3(tj, buf, (unsigned long)len, &w, &h, &sub, &cs) != 0) {
        int rc = pk_err_set(err, PK_ECORRUPT, "%s: bad JPEG header: %s", name, tjGetErrorStr2(tj));
        tjDestroy(tj);
        return rc;
    }
    if (w <= 0 || h <= 0) {
        tjDestroy(tj);
        return pk_err_set(err, PK_ECORRUPT, "%s: bad JPEG header: size %dx%d", name, w, h);
    }
    if ((long long)w * h > max_pixels) {
        tjDestroy(tj);
        return pk_err_set(err, PK_ELIMIT, "%s: image is %dx%d, over the limit of %ld pixels", name,
                          w, h, max_pixels);
    }
    img->px = pk_xmalloc((size_t)w * h);
    if (tjDecompress2(tj, buf, (unsigned long)len, img->px, w, w, h, TJPF_GRAY, 0) != 0) {
        const char *msg = tjGetErrorStr2(tj);
        int fatal = tjGetErrorCode(tj) != TJERR_WARNING || strstr(msg, "Premature end");
        if (fatal) {
            int rc = pk_err_set(err, PK_ECORRUPT, "%s: %s JPEG data: %s", name,
                                strstr(msg, "Premature end") ? "truncated" : "corrupt", msg);
            tjDestroy(tj);
            recog_image_fini(img);
            return rc;
        }
        /* A recoverable warning (extraneous bytes and the like): the pixels are good. */
    }
    tjDestroy(tj);
    img->width = w;
    img->height = h;
    recog__orient(img, exif_orientation(buf, len));
    return PK_OK;
}

static int decode_png(const uint8_t *buf, size_t len, const char *name, long max_pixels,
                      recog_image *img, pk_err *err) {
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&pi, buf, len)) {
        int rc = pk_err_set(err, PK_ECORRUPT, "%s: bad PNG: %s", name, pi.message);
        png_image_free(&pi);
        return rc;
    }
    if (pi.width == 0 || pi.height == 0 || (long long)pi.width * pi.height > max_pixels) {
        int rc = pk_err_set(err, PK_ELIMIT, "%s: image is %ux%u, over the limit of %ld pixels",
                            name, pi.width, pi.height, max_pixels);
        png_image_free(&pi);
        return rc;
    }
    pi.format = PNG_FORMAT_GRAY;
    img->px = pk_xmalloc(PNG_IMAGE_SIZE(pi));
    /* Composite any transparency onto white, as a photo print would look. */
    png_color white = {255, 255, 255};
    if (!png_image_finish_read(&pi, &white, img->px, 0, NULL)) {
        int rc = pk_err_set(err, PK_ECORRUPT, "%s: %s PNG data: %s", name,
                            strstr(pi.message, "end") || strstr(pi.message, "short") ? "truncated"
                                                                                     : "corrupt",
                            pi.message);
        png_image_free(&pi);
        recog_image_fini(img);
        return rc;
    }
    img->width = (int)pi.width;
    img->height = (int)pi.height;
    png_image_free(&pi);
    recog__orient(img, png_orientation(buf, len));
    return PK_OK;
}

int recog_image_decode(const void *buf, size_t len, const char *name, long max_pixels,
                       recog_image *img, pk_err *err) {
    memset(img, 0, sizeof *img);
    if (!name) name = "image";
    if (max_pixels <= 0) max_pixels = RECOG_MAX_PIXELS_DEF;
    if (max_pixels > 1L << 30) max_pixels = 1L << 30;
    const uint8_t *p = buf;
    if (len == 0) return pk_err_set(err, PK_EINVAL, "%s: empty file (zero bytes)", name);
    if (len >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return decode_jpeg(p, len, name, max_pixels, img, err);
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (len >= 8 && memcmp(p, png_sig, 8) == 0)
        return decode_png(p, len, name, max_pixels, img, err);
    if (len < 8)
        return pk_err_set(err, PK_ECORRUPT, "%s: too short to be an image (%zu bytes)", name, len);
    return pk_err_set(err, PK_EUNSUPPORTED,
                      "%s: not a JPEG or PNG image (content does not match either format)", name);
}

int recog_image_load(const char *path, long max_pixels, recog_image *img, pk_err *err) {
    memset(img, 0, sizeof *img);
    FILE *f = fopen(path, "rb");
    if (!f) return pk_err_set(err, PK_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        int e = errno;
        fclose(f);
        return pk_err_set(err, PK_EIO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        fclose(f);
        return pk_err_set(err, PK_EINVAL, "%s: %s", path,
                          S_ISDIR(st.st_mode)
                              ? "is a directory, not an image (give its files: DIR/*.jpg)"
                              : "not a regular file");
    }
    long n = (long)st.st_size;
    if (n > MAX_FILE_BYTES) {
        fclose(f);
        return pk_err_set(err, PK_ELIMIT, "%s: file is %ld bytes, over the limit of %ld", path, n,
                          MAX_FILE_BYTES);
    }
    uint8_t *buf = pk_xmalloc(n > 0 ? (size_t)n : 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != (size_t)n) {
        free(buf);
        return pk_err_set(err, PK_EIO, "%s: read error", path);
    }
    int rc = recog_image_decode(buf, got, path, max_pixels, img, err);
    free(buf);
    return rc;
}

void recog_image_fini(recog_image *img) {
    if (!img) return;
    free(img->px);
    memset(img, 0, sizeof *img);
}

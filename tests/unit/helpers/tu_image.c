#include "tu_image.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "testutil.h"

unsigned char *tu_jpeg_grey(const unsigned char *px, int w, int h, int quality, size_t *len) {
    tjhandle tj = tjInitCompress();
    unsigned char *jpeg = NULL;
    unsigned long n = 0;
    assert_int_equal(tjCompress2(tj, px, w, w, h, TJPF_GRAY, &jpeg, &n, TJSAMP_GRAY, quality, 0),
                     0);
    tjDestroy(tj);
    unsigned char *out = malloc(n);
    memcpy(out, jpeg, n);
    tjFree(jpeg);
    *len = n;
    return out;
}

unsigned char *tu_png_grey(const unsigned char *px, int w, int h, size_t *len) {
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    pi.width = (png_uint_32)w;
    pi.height = (png_uint_32)h;
    pi.format = PNG_FORMAT_GRAY;
    png_alloc_size_t n = 0;
    assert_true(png_image_write_to_memory(&pi, NULL, &n, 0, px, 0, NULL));
    unsigned char *out = malloc(n);
    assert_true(png_image_write_to_memory(&pi, out, &n, 0, px, 0, NULL));
    *len = n;
    return out;
}

/* Test helper: small grey images encoded as JPEG and PNG in memory, for the tests that decode
 * images (the pixels come from the caller). */
#ifndef PK_TU_IMAGE_H
#define PK_TU_IMAGE_H

#include <stddef.h>

/* w x h grey pixels (rows w bytes apart) as a JPEG of the given quality. Fails the test on
 * error. OUT: *len; the caller frees the result with free. */
unsigned char *tu_jpeg_grey(const unsigned char *px, int w, int h, int quality, size_t *len);

/* The same as a PNG. */
unsigned char *tu_png_grey(const unsigned char *px, int w, int h, size_t *len);

#endif

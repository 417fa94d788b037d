/*
 * orient.c: turning a decoded image the way its camera said it should be shown.
 *
 * Phones and many dash cameras store the sensor's pixels as they came and record how to turn
 * them (a JPEG's EXIF Orientation tag, a video's display matrix). Browsers and photo viewers
 * apply it, so a plate's corners must be given in the turned image for the web UI's boxes to
 * land on the plate; and the detector, trained on upright plates, finds none lying on its side.
 */
#include <stdlib.h>
#include <string.h>

#include "recog/recog_int.h"

void recog__orient_into(const recog_image *img, int orientation, recog_image *shown) {
    int W = img->width, H = img->height;
    /* 5-8 swap the axes: the shown image is H wide and W high. */
    int swap = orientation >= 5;
    int ow = swap ? H : W;
    uint8_t *out = pk_xmalloc((size_t)W * H);
    for (int y = 0; y < H; y++) {
        const uint8_t *row = img->px + (size_t)y * W;
        for (int x = 0; x < W; x++) {
            int dx, dy; /* where stored pixel (x, y) is shown */
            switch (orientation) {
            case 2: /* mirrored left-right */
                dx = W - 1 - x, dy = y;
                break;
            case 3: /* upside down */
                dx = W - 1 - x, dy = H - 1 - y;
                break;
            case 4: /* mirrored top-bottom */
                dx = x, dy = H - 1 - y;
                break;
            case 5: /* transposed */
                dx = y, dy = x;
                break;
            case 6: /* to be turned 90 degrees clockwise */
                dx = H - 1 - y, dy = x;
                break;
            case 7: /* transversed */
                dx = H - 1 - y, dy = W - 1 - x;
                break;
            default: /* 8: to be turned 90 degrees counter-clockwise */
                dx = y, dy = W - 1 - x;
                break;
            }
            out[(size_t)dy * ow + dx] = row[x];
        }
    }
    shown->width = swap ? H : W;
    shown->height = swap ? W : H;
    shown->px = out;
}

void recog__orient(recog_image *img, int orientation) {
    if (orientation < 2 || orientation > 8 || !img->px) return;
    recog_image shown;
    recog__orient_into(img, orientation, &shown);
    free(img->px);
    *img = shown;
}

/*
 * quad.c: how a plate inside its upright box leans.
 *
 * Plates seen from the side of the road or on a sloping street lean in the image: their rows of
 * characters rise or fall across the box, while vertical strokes stay near vertical (the camera
 * rolls little). That is a shear, one number per plate. Its estimate: shear the box's vertical
 * gradient by each candidate slope and keep the slope whose row sums are sharpest (largest sum
 * of squares), as character tops, bottoms and the plate's frame then each fall on one row.
 *
 * A plate turned in the picture (a camera that rolls, a plate bolted on crooked, a phone held
 * askew) also leans its upright strokes, by as much as its rows slope. That tilt is found the same
 * way across: shift each row of the horizontal gradient by each candidate tilt and keep the one
 * whose column sums are sharpest, as character stems and the plate's sides then each fall on one
 * column. The unseen US scenes turned 5 and 10 degrees read markedly worse with a shear alone
 * (MODEL_CARD.md).
 */
#include <math.h>
#include <stdlib.h>

#include "recog/recog_int.h"

#define SAMPLE_W   96    /* the box is sampled this wide, at the same scale down */
#define SLOPE_STEP 0.01f /* ~0.6 degree */

float recog__plate_slope(const recog_image *img, float x0, float y0, float x1, float y1) {
    float bw = x1 - x0, bh = y1 - y0;
    if (!(bw >= 8 && bh >= 4)) return 0; /* also a box of NaNs */
    int W = SAMPLE_W, H = (int)lroundf(SAMPLE_W * bh / bw);
    if (H < 8) H = 8;
    if (H > SAMPLE_W) H = SAMPLE_W;
    float *g = pk_xmalloc(sizeof(float) * (size_t)W * H);
    float *gy = pk_xcalloc((size_t)W * H, sizeof(float));
    recog__crop(img, x0, y0, x1, y1, W, H, g);
    for (int y = 1; y < H - 1; y++)
        for (int x = 0; x < W; x++)
            gy[(size_t)y * W + x] = fabsf(g[(size_t)(y + 1) * W + x] - g[(size_t)(y - 1) * W + x]);
    /* In sample pixels a slope s moves a column by s * (x - centre) * (H / bh) / (W / bw) rows. */
    float aspect = ((float)H / bh) / ((float)W / bw);
    int steps = (int)lroundf(RECOG__MAX_SLOPE / SLOPE_STEP);
    int pad = (int)ceilf(RECOG__MAX_SLOPE * aspect * W / 2.0f) + 1, nrows = H + 2 * pad;
    float *rows = pk_xmalloc(sizeof(float) * (size_t)nrows);
    float best = -1, best_slope = 0;
    /* Slopes from level outwards, so that a flat image (all scores equal) stays level. */
    for (int i = 0; i <= 2 * steps; i++) {
        int k = (i + 1) / 2 * (i % 2 ? 1 : -1);
        float s = k * SLOPE_STEP;
        for (int r = 0; r < nrows; r++) rows[r] = 0;
        for (int x = 0; x < W; x++) {
            /* Column x's gradient, sheared level, lands this many rows up (or down). */
            int shift = (int)lroundf(-s * aspect * (x + 0.5f - W / 2.0f));
            for (int y = 1; y < H - 1; y++) rows[y + shift + pad] += gy[(size_t)y * W + x];
        }
        float score = 0;
        for (int r = 0; r < nrows; r++) score += rows[r] * rows[r];
        if (score > best) {
            best = score;
            best_slope = s;
        }
    }
    free(rows);
    free(gy);
    free(g);
    return best_slope;
}

float recog__plate_tilt(const recog_image *img, float x0, float y0, float x1, float y1) {
    float bw = x1 - x0, bh = y1 - y0;
    if (!(bw >= 8 && bh >= 4)) return 0;
    int W = SAMPLE_W, H = (int)lroundf(SAMPLE_W * bh / bw);
    if (H < 8) return 0; /* too few rows to tell a lean */
    if (H > SAMPLE_W) H = SAMPLE_W;
    float *g = pk_xmalloc(sizeof(float) * (size_t)W * H);
    float *gx = pk_xcalloc((size_t)W * H, sizeof(float));
    recog__crop(img, x0, y0, x1, y1, W, H, g);
    for (int y = 0; y < H; y++)
        for (int x = 1; x < W - 1; x++)
            gx[(size_t)y * W + x] = fabsf(g[(size_t)y * W + x + 1] - g[(size_t)y * W + x - 1]);
    /* In sample pixels a tilt t moves a row by t * (y - centre) * (W / bw) / (H / bh) columns. */
    float aspect = ((float)W / bw) / ((float)H / bh);
    int steps = (int)lroundf(RECOG__MAX_SLOPE / SLOPE_STEP);
    int pad = (int)ceilf(RECOG__MAX_SLOPE * aspect * H / 2.0f) + 1, ncols = W + 2 * pad;
    float *cols = pk_xmalloc(sizeof(float) * (size_t)ncols);
    float best = -1, best_tilt = 0;
    for (int i = 0; i <= 2 * steps; i++) {
        int k = (i + 1) / 2 * (i % 2 ? 1 : -1);
        float t = k * SLOPE_STEP;
        for (int c = 0; c < ncols; c++) cols[c] = 0;
        for (int y = 0; y < H; y++) {
            /* Row y's gradient, moved so that strokes leaning by t stand upright. */
            int shift = (int)lroundf(-t * aspect * (y + 0.5f - H / 2.0f));
            const float *row = gx + (size_t)y * W;
            for (int x = 1; x < W - 1; x++) cols[x + shift + pad] += row[x];
        }
        float score = 0;
        for (int c = 0; c < ncols; c++) score += cols[c] * cols[c];
        if (score > best) {
            best = score;
            best_tilt = t;
        }
    }
    free(cols);
    free(gx);
    free(g);
    return best_tilt;
}

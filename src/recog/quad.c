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

/* The shift per line (within +-RECOG__MAX_SLOPE, in box units: aspect converts it to sample
 * cells) that makes the line sums of g (W columns x H lines, lines 1..H-2 used) sharpest, when
 * line y of column x moves by shift * (x - centre). Shifts are tried from 0 outwards, so that a
 * flat sample (all scores equal) gives 0. */
static float sharpest_shift(const float *g, int W, int H, float aspect) {
    int steps = (int)lroundf(RECOG__MAX_SLOPE / SLOPE_STEP);
    int pad = (int)ceilf(RECOG__MAX_SLOPE * aspect * W / 2.0f) + 1, nlines = H + 2 * pad;
    float *sums = pk_xmalloc(sizeof(float) * (size_t)nlines);
    float best = -1, best_shift = 0;
    for (int i = 0; i <= 2 * steps; i++) {
        int k = (i + 1) / 2 * (i % 2 ? 1 : -1);
        float s = k * SLOPE_STEP;
        for (int r = 0; r < nlines; r++) sums[r] = 0;
        for (int x = 0; x < W; x++) {
            int shift = (int)lroundf(-s * aspect * (x + 0.5f - W / 2.0f));
            for (int y = 1; y < H - 1; y++) sums[y + shift + pad] += g[(size_t)y * W + x];
        }
        float score = 0;
        for (int r = 0; r < nlines; r++) score += sums[r] * sums[r];
        if (score > best) {
            best = score;
            best_shift = s;
        }
    }
    free(sums);
    return best_shift;
}

/* The box sampled SAMPLE_W wide (at most as high), grey. OUT: *W, *H; the caller frees. NULL
 * for a box too small to tell a lean (also a box of NaNs). */
static float *sample_box(const recog_image *img, float x0, float y0, float x1, float y1, int *W,
                         int *H) {
    float bw = x1 - x0, bh = y1 - y0;
    if (!(bw >= 8 && bh >= 4)) return NULL;
    *W = SAMPLE_W;
    *H = (int)lroundf(SAMPLE_W * bh / bw);
    if (*H < 8) *H = 8;
    if (*H > SAMPLE_W) *H = SAMPLE_W;
    float *g = pk_xmalloc(sizeof(float) * (size_t)*W * *H);
    recog__crop(img, x0, y0, x1, y1, *W, *H, g);
    return g;
}

void recog__plate_lean(const recog_image *img, float x0, float y0, float x1, float y1, float *slope,
                       float *tilt) {
    *slope = *tilt = 0;
    int W, H;
    float *g = sample_box(img, x0, y0, x1, y1, &W, &H);
    if (!g) return;
    /* In sample pixels a slope s moves a column by s * (x - centre) * a rows, and a tilt t a row
     * by t * (y - centre) / a columns. */
    float a = ((float)H / (y1 - y0)) / ((float)W / (x1 - x0));
    /* Both gradients in one buffer: the vertical one (W columns x H lines), then the horizontal
     * one transposed (H columns x W lines), so that its line sums are the box's column sums and
     * the same search finds the tilt. */
    float *grad = pk_xcalloc(2 * (size_t)W * H, sizeof(float));
    float *gy = grad, *gx = grad + (size_t)W * H;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const float *p = g + (size_t)y * W + x;
            if (y > 0 && y < H - 1) gy[(size_t)y * W + x] = fabsf(p[W] - p[-W]);
            if (x > 0 && x < W - 1) gx[(size_t)x * H + y] = fabsf(p[1] - p[-1]);
        }
    *slope = sharpest_shift(gy, W, H, a);
    *tilt = sharpest_shift(gx, H, W, 1 / a);
    free(grad);
    free(g);
}

/*
 * resize.c: the two resamplings the models were trained with (PIL's, in tools/train/synth.py):
 * an antialiased triangle-filter resize for the detector's scaled scene, and plain bilinear
 * sampling of a box for the reader's crop.
 */
#include <math.h>
#include <stdlib.h>

#include "recog/recog_int.h"

/* Filter taps for one axis: for each output index, first input index, count and weights. */
typedef struct taps {
    int *first, *count;
    float *w;
    int max;
} taps;

static void taps_make(int in, int out, taps *t) {
    double scale = (double)in / out, fs = scale < 1.0 ? 1.0 : scale, support = fs;
    t->max = (int)ceil(support) * 2 + 1;
    t->first = pk_xmalloc(sizeof(int) * (size_t)out);
    t->count = pk_xmalloc(sizeof(int) * (size_t)out);
    t->w = pk_xmalloc(sizeof(float) * (size_t)out * (size_t)t->max);
    for (int o = 0; o < out; o++) {
        double center = (o + 0.5) * scale;
        int lo = (int)(center - support + 0.5), hi = (int)(center + support + 0.5);
        if (lo < 0) lo = 0;
        if (hi > in) hi = in;
        if (hi - lo > t->max) hi = lo + t->max;
        double sum = 0;
        float *w = t->w + (size_t)o * t->max;
        for (int i = lo; i < hi; i++) {
            double x = fabs((i - center + 0.5) / fs);
            double v = x < 1.0 ? 1.0 - x : 0.0;
            w[i - lo] = (float)v;
            sum += v;
        }
        if (sum <= 0) {
            int i = (int)center < in ? (int)center : in - 1;
            lo = i;
            hi = i + 1;
            w[0] = 1.0f;
            sum = 1.0;
        }
        for (int i = 0; i < hi - lo; i++) w[i] = (float)(w[i] / sum);
        t->first[o] = lo;
        t->count[o] = hi - lo;
    }
}

static void taps_free(taps *t) {
    free(t->first);
    free(t->count);
    free(t->w);
}

void recog__resize(const recog_image *src, int dst_w, int dst_h, float *dst) {
    taps tx, ty;
    taps_make(src->width, dst_w, &tx);
    taps_make(src->height, dst_h, &ty);
    /* Vertical pass first, over whole source rows (a loop the compiler vectorises), so the
     * horizontal pass, whose taps differ per column, runs over dst_h rows instead of all the
     * source's (PIL goes the other way; the sums differ by rounding only). */
    float *col = pk_xmalloc(sizeof(float) * (size_t)src->width);
    for (int y = 0; y < dst_h; y++) {
        const float *w = ty.w + (size_t)y * ty.max;
        for (int x = 0; x < src->width; x++) col[x] = 0;
        for (int k = 0; k < ty.count[y]; k++) {
            const uint8_t *s = src->px + (size_t)(ty.first[y] + k) * src->width;
            float wk = w[k];
            for (int x = 0; x < src->width; x++) col[x] += wk * (float)s[x];
        }
        float *o = dst + (size_t)y * dst_w;
        for (int x = 0; x < dst_w; x++) {
            const float *wx = tx.w + (size_t)x * tx.max;
            const float *c = col + tx.first[x];
            float acc = 0;
            for (int k = 0; k < tx.count[x]; k++) acc += wx[k] * c[k];
            float v = acc < 0 ? 0 : acc > 255 ? 255 : acc;
            o[x] = v / 255.0f;
        }
    }
    free(col);
    taps_free(&tx);
    taps_free(&ty);
}

static inline float px(const recog_image *s, int x, int y) {
    x = x < 0 ? 0 : x >= s->width ? s->width - 1 : x;
    y = y < 0 ? 0 : y >= s->height ? s->height - 1 : y;
    return s->px[(size_t)y * s->width + x];
}

void recog__crop(const recog_image *src, float x0, float y0, float x1, float y1, int dst_w,
                 int dst_h, float *dst) {
    recog__crop_sheared(src, x0, y0, x1, y1, 0.0f, 0.0f, dst_w, dst_h, dst);
}

void recog__crop_sheared(const recog_image *src, float x0, float y0, float x1, float y1,
                         float slope, float tilt, int dst_w, int dst_h, float *dst) {
    float sx = (x1 - x0) / dst_w, sy = (y1 - y0) / dst_h, xc = (x0 + x1) / 2, yc = (y0 + y1) / 2;
    /* Per column: where it samples across, and how far down the shear moves it. */
    float *fx0 = pk_xmalloc(sizeof(float) * (size_t)dst_w);
    float *down = pk_xmalloc(sizeof(float) * (size_t)dst_w);
    for (int x = 0; x < dst_w; x++) {
        fx0[x] = x0 + (x + 0.5f) * sx - 0.5f;
        down[x] = slope * (fx0[x] + 0.5f - xc);
    }
    /* The samples are an affine map of the output grid, so its four corners bound them: when
     * all fall inside the picture (the usual case), the rows are read without clamping. */
    float lo_x = INFINITY, hi_x = -INFINITY, lo_y = INFINITY, hi_y = -INFINITY;
    for (int k = 0; k < 4; k++) {
        int x = k & 1 ? dst_w - 1 : 0, y = k & 2 ? dst_h - 1 : 0;
        float fy0 = y0 + (y + 0.5f) * sy - 0.5f;
        float fx = fx0[x] + tilt * (fy0 + 0.5f - yc), fy = fy0 + down[x];
        lo_x = fminf(lo_x, fx), hi_x = fmaxf(hi_x, fx);
        lo_y = fminf(lo_y, fy), hi_y = fmaxf(hi_y, fy);
    }
    /* (Half a pixel to spare: a sample between corners may round past them by an ulp.) */
    int inside = lo_x >= 0 && lo_y >= 0 && hi_x < src->width - 1.5f && hi_y < src->height - 1.5f;
    for (int y = 0; y < dst_h; y++) {
        float fy0 = y0 + (y + 0.5f) * sy - 0.5f;
        float across = tilt * (fy0 + 0.5f - yc); /* the row's shift when strokes tilt */
        if (inside) {
            for (int x = 0; x < dst_w; x++) {
                float fx = fx0[x] + across, fy = fy0 + down[x];
                int ix = (int)fx, iy = (int)fy; /* both >= 0: truncation is floor */
                float ex = fx - ix, dy = fy - iy;
                const uint8_t *p = src->px + (size_t)iy * src->width + ix;
                const uint8_t *q = p + src->width;
                float v =
                    (p[0] * (1 - ex) + p[1] * ex) * (1 - dy) + (q[0] * (1 - ex) + q[1] * ex) * dy;
                dst[(size_t)y * dst_w + x] = v / 255.0f;
            }
            continue;
        }
        for (int x = 0; x < dst_w; x++) {
            float fx = fx0[x] + across, fy = fy0 + down[x];
            int ix = (int)floorf(fx), iy = (int)floorf(fy);
            float ex = fx - ix, dy = fy - iy;
            float v = (px(src, ix, iy) * (1 - ex) + px(src, ix + 1, iy) * ex) * (1 - dy) +
                      (px(src, ix, iy + 1) * (1 - ex) + px(src, ix + 1, iy + 1) * ex) * dy;
            dst[(size_t)y * dst_w + x] = v / 255.0f;
        }
    }
    free(down);
    free(fx0);
}

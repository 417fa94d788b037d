/*
 * emblem.c: telling a specialty plate's emblem, read as a character at the plate's edge.
 *
 * Why: US specialty plates print a picture at one end (a wheelchair, a seal, a logo, a disabled
 * plate's stacked "HH"), and the reader, which has seen few real ones, now and then reads it as
 * a letter: LJ0518 for Iowa's J0518 beside a wheelchair. The labels, as OpenALPR and the plates'
 * owners, leave such pictures out. What gives one away is that the reader is unsure of it and
 * that its ink stands much shorter than the characters' (most pictures are drawn smaller, or
 * are a circle or a stroke the binarising cuts short).
 *
 * Measured (models/MODEL_CARD.md) on the reader's own crop, the first crop variant: on the 751 US
 * crops, no first or last character of a right reading (1,404 of them) met the test, and 3 of
 * the 10 extra edge characters of readings otherwise right did. A character's ink also measures
 * short when the crop is blurred by enlarging a small plate (on the unseen US scenes at 3/4 size
 * a 119-px plate measured 5 rows for its first character against a median of 10), so plates
 * under EMBLEM_MIN_WIDTH pixels are not tested.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recog/recog_int.h"

#define EMBLEM_MAX_P      0.70f  /* the reader's best probability for the character, below */
#define EMBLEM_MAX_HEIGHT 0.60f  /* its ink's height against the inner characters' median */
#define EMBLEM_MIN_WIDTH  150.0f /* pixels: the plate's width in the picture, at least */
#define INK_ROW_FRACTION  0.12f  /* a row of a character's columns with this much ink is inked */
#define MAX_CHARS         (RECOG_PLATE_MAX - 1)

static int by_float(const void *pa, const void *pb) {
    float a = *(const float *)pa, b = *(const float *)pb;
    return (a > b) - (a < b);
}

/* Median of v[0..n-1] (n > 0), reordering v. */
static float median(float *v, int n) {
    qsort(v, (size_t)n, sizeof *v, by_float);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Otsu's threshold of the values in [0,1] of rows r0..r1-1, columns c0..c1-1 of a w-wide image:
 * the level that best splits them into two classes. */
static float otsu(const float *a, int w, int r0, int r1, int c0, int c1) {
    double hist[256] = {0}, total = 0, sum = 0;
    for (int y = r0; y < r1; y++)
        for (int x = c0; x < c1; x++) {
            float v = a[(size_t)y * w + x];
            int b = v <= 0 ? 0 : v >= 1 ? 255 : (int)(v * 255.0f);
            hist[b]++;
            total++;
            sum += b;
        }
    double w0 = 0, s0 = 0, best = -1;
    int level = 128;
    for (int b = 0; b < 256; b++) {
        w0 += hist[b];
        s0 += b * hist[b];
        double w1 = total - w0;
        if (w0 == 0 || w1 == 0) continue;
        double m0 = s0 / w0, m1 = (sum - s0) / w1, between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if (between > best) best = between, level = b + 1;
    }
    return (float)level / 255.0f;
}

/* The height in rows of the longest run of inked rows r0..r1-1 within columns c0..c1-1. */
static int ink_height(const float *a, int w, int r0, int r1, int c0, int c1, float level,
                      int dark) {
    int best = 0, run = 0;
    for (int y = r0; y < r1; y++) {
        int ink = 0;
        for (int x = c0; x < c1; x++) {
            float v = a[(size_t)y * w + x];
            ink += dark ? v < level : v > level;
        }
        run = c1 > c0 && ink > INK_ROW_FRACTION * (float)(c1 - c0) ? run + 1 : 0;
        if (run > best) best = run;
    }
    return best;
}

int recog__edge_emblem(const recog__net *rd, const recog_image *img, float x0, float y0, float x1,
                       float y1, float slope, float tilt, float gx, float gy, const float *probs,
                       int T, int C, const char *plate, float *p_emblem) {
    int lo[MAX_CHARS], hi[MAX_CHARS], cls[MAX_CHARS];
    if (x1 - x0 < EMBLEM_MIN_WIDTH) return -1;
    int n = recog__ctc_segments(probs, T, C, MAX_CHARS, lo, hi, cls);
    if (n < 4 || (size_t)n != strlen(plate)) return -1;
    for (int i = 0; i < n; i++)
        if (rd->alphabet[cls[i] - 1] != plate[i]) return -1;
    float p[2] = {0, 0};
    for (int e = 0; e < 2; e++) {
        int s = e ? n - 1 : 0;
        for (int t = lo[s]; t < hi[s]; t++) p[e] = fmaxf(p[e], probs[(size_t)t * C + cls[s]]);
    }
    if (p[0] >= EMBLEM_MAX_P && p[1] >= EMBLEM_MAX_P) return -1;

    /* Centres in input columns, and the pitch between them. */
    int W = rd->in_w, H = rd->in_h;
    float col = (float)W / (float)T, cx[MAX_CHARS], v[MAX_CHARS];
    for (int i = 0; i < n; i++) cx[i] = (float)(lo[i] + hi[i] - 1) / 2 * col + col / 2;
    for (int i = 0; i + 1 < n; i++) v[i] = cx[i + 1] - cx[i];
    float pitch = median(v, n - 1);
    if (!(pitch > 0)) return -1;

    /* The crop the reader read (cut again: only a reading with a doubted edge character gets
     * this far, 9 of the 751 US crops), and the rows and columns of the plate's own box in it. */
    float w = x1 - x0, h = y1 - y0;
    float *a = pk_xmalloc(sizeof(float) * (size_t)W * H);
    recog__crop_sheared(img, x0 - gx * w, y0 - gy * h, x1 + gx * w, y1 + gy * h, slope, tilt, W, H,
                        a);
    int r0 = (int)lroundf((float)H * gy / (1 + 2 * gy)), r1 = H - r0;
    int c0 = (int)lroundf((float)W * gx / (1 + 2 * gx)), c1 = W - c0;
    float level = otsu(a, W, r0, r1, c0, c1);
    /* The characters are the smaller class: dark ink on a light plate, or the other way. */
    long below = 0;
    for (int y = r0; y < r1; y++)
        for (int x = c0; x < c1; x++) below += a[(size_t)y * W + x] < level;
    int dark = 2 * below < (long)(r1 - r0) * (c1 - c0);
    float ht[MAX_CHARS];
    for (int i = 0; i < n; i++) {
        int cl = (int)floorf(cx[i] - 0.4f * pitch), ch = (int)floorf(cx[i] + 0.4f * pitch) + 1;
        if (cl < 0) cl = 0;
        if (ch > W) ch = W;
        ht[i] = (float)ink_height(a, W, r0, r1, cl, ch, level, dark);
    }
    free(a);
    float inner[MAX_CHARS];
    memcpy(inner, ht + 1, sizeof(float) * (size_t)(n - 2));
    float mid = fmaxf(median(inner, n - 2), 1.0f);

    int found = -1;
    float found_p = 1;
    for (int e = 0; e < 2; e++) {
        int s = e ? n - 1 : 0;
        if (p[e] >= EMBLEM_MAX_P) continue;
        if (ht[s] < EMBLEM_MAX_HEIGHT * mid && p[e] < found_p) found = s, found_p = p[e];
    }
    *p_emblem = found_p;
    return found;
}

/*
 * detect.c: the plate detector's pre- and post-processing.
 *
 * The scene is scaled so its long side is DET_LONG_SIDE pixels (never up by more than 2x), and
 * again smaller for plates too large at that scale, and run through the detector net, whose 5
 * output channels per cell are: heat logit, centre offset dx, dy from the cell centre (in cells),
 * log(w / stride), log(h / stride) (CenterNet-style, see tools/train/train_detector.py). Peaks of
 * the heat map (3x3 local maxima over the threshold) become boxes, and overlapping boxes are
 * thinned by non-maximum suppression. recog__refine_box measures one box again on a window
 * around it at the scale the detector reads best.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recog/recog_int.h"

#define DET_LONG_SIDE 768
#define NMS_IOU       0.3f

/* The calibrated box of cell k (row i, column j) of the detector output out (5 planes of
 * `plane` cells), in the net's input pixels. OUT: *cx, *cy (centre), *bw, *bh. */
static void cell_box(const float *out, size_t plane, size_t k, int i, int j, float st,
                     const recog__box_cal *cal, float *cx, float *cy, float *bw, float *bh) {
    *cx = (j + 0.5f + out[plane + k]) * st;
    *cy = (i + 0.5f + out[2 * plane + k]) * st;
    *bw = expf(fminf(out[3 * plane + k], 8.0f)) * st * cal->w;
    *bh = expf(fminf(out[4 * plane + k], 8.0f)) * st * cal->h;
    *cy += cal->dy * *bh;
}

static float sigmoid(float x) {
    return 1.0f / (1.0f + expf(-x));
}

float recog__box_iou(const recog__box *a, const recog__box *b) {
    float ix = fminf(a->x1, b->x1) - fmaxf(a->x0, b->x0);
    float iy = fminf(a->y1, b->y1) - fmaxf(a->y0, b->y0);
    if (ix <= 0 || iy <= 0) return 0;
    float inter = ix * iy;
    float u = (a->x1 - a->x0) * (a->y1 - a->y0) + (b->x1 - b->x0) * (b->y1 - b->y0) - inter;
    return u > 0 ? inter / u : 0;
}

static int by_score(const void *pa, const void *pb) {
    const recog__box *a = pa, *b = pb;
    return (a->score < b->score) - (a->score > b->score);
}

/* Runs the net on img scaled so its long side is long_side (never up by more than 2x) and
 * appends the peaks over logit_t whose boxes are at least min_w of the image's long side wide to
 * *cand (*cnt of *cap, grown as needed), each with rank. */
static int detect_at(const recog__net *det, const recog_image *img, int long_side, float min_w,
                     const recog__box_cal *cal, float logit_t, int rank, recog__box **cand,
                     int *cnt, int *cap, pk_err *err) {
    int W = img->width, H = img->height;
    double s = (double)long_side / (W > H ? W : H);
    if (s > 2.0) s = 2.0;
    int w = (int)lround(W * s), h = (int)lround(H * s);
    if (w < 1) w = 1;
    if (h < 1) h = 1;
    int oc, oh, ow;
    if (recog__net_out_shape(det, h, w, &oc, &oh, &ow) != 0)
        return pk_err_set(err, PK_EINVAL, "image of %dx%d is too small to search for plates", W, H);
    float *in = pk_xmalloc(sizeof(float) * (size_t)w * h);
    recog__resize(img, w, h, in);
    float *out = recog__net_forward(det, in, h, w, &oc, &oh, &ow);
    free(in);
    PK_ASSERT(out && oc == 5);
    size_t plane = (size_t)oh * ow;
    const float *heat = out;
    float st = (float)det->stride;
    /* The cell grid covers the scaled image; map cells back with the actual scale factors. */
    float fx = (float)W / w, fy = (float)H / h;
    for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++) {
            float v = heat[(size_t)i * ow + j];
            if (v < logit_t) continue;
            int peak = 1;
            for (int di = -1; di <= 1 && peak; di++)
                for (int dj = -1; dj <= 1; dj++) {
                    int y = i + di, x = j + dj;
                    if ((di || dj) && y >= 0 && y < oh && x >= 0 && x < ow &&
                        heat[(size_t)y * ow + x] > v) {
                        peak = 0;
                        break;
                    }
                }
            if (!peak) continue;
            float cx, cy, bw, bh;
            cell_box(out, plane, (size_t)i * ow + j, i, j, st, cal, &cx, &cy, &bw, &bh);
            if (*cnt == *cap) {
                *cap *= 2;
                *cand = pk_xrealloc(*cand, sizeof **cand * (size_t)*cap);
            }
            recog__box b = {sigmoid(v),         (cx - bw / 2) * fx, (cy - bh / 2) * fy,
                            (cx + bw / 2) * fx, (cy + bh / 2) * fy, rank};
            b.x0 = fmaxf(b.x0, 0);
            b.y0 = fmaxf(b.y0, 0);
            b.x1 = fminf(b.x1, (float)W);
            b.y1 = fminf(b.y1, (float)H);
            if (b.x1 - b.x0 < 4 || b.y1 - b.y0 < 2) continue;
            if (b.x1 - b.x0 < min_w * (float)(W > H ? W : H)) continue;
            (*cand)[(*cnt)++] = b;
        }
    free(out);
    return PK_OK;
}

/* The third pass, at 5/8 of the second's size (a quarter of the first's), sees a plate that
 * fills most of the picture: a close-up, or a photo of the plate itself. The detector learnt
 * plates up to about 190 px wide, so the second pass (307 px for a US scene) misses plates wider
 * than about 60% of the picture's long side: of the benchmark's US plate crops (the plate
 * 90% of the picture) read as scenes, 42 of 751 before, 666 with this pass. Only its boxes of 40%
 * of the long side or more are kept: the smaller ones the finer passes see better, and reading
 * them cost time for nothing. The US and EU scenes read the same; three more of the 800
 * backgrounds (text: NEW YORK on a sign, TRUCK) show a plate (MODEL_CARD.md). */
#define THIRD_PASS_SCALE     0.625f
#define THIRD_PASS_MIN_WIDTH 0.4f

static int by_rank_score(const void *pa, const void *pb) {
    const recog__box *a = pa, *b = pb;
    if (a->rank != b->rank) return a->rank - b->rank;
    return by_score(pa, pb);
}

int recog__detect(const recog__net *det, const recog_image *img, int long_side, int second_side,
                  const recog__box_cal *cal, float threshold, recog__box *boxes, int max, int *n,
                  pk_err *err) {
    *n = 0;
    float logit_t = logf(threshold / (1.0f - threshold));
    int cap = 256, cnt = 0;
    recog__box *cand = pk_xmalloc(sizeof *cand * (size_t)cap);
    int rc = detect_at(det, img, long_side > 0 ? long_side : DET_LONG_SIDE, 0, cal, logit_t, 0,
                       &cand, &cnt, &cap, err);
    /* The coarser passes find the plates too large for the first (close-ups); where two passes
     * see a plate, the finer pass's box is kept. */
    pk_err err2;
    if (!rc && second_side > 0) {
        detect_at(det, img, second_side, 0, cal, logit_t, 1, &cand, &cnt, &cap, &err2);
        detect_at(det, img, (int)((float)second_side * THIRD_PASS_SCALE), THIRD_PASS_MIN_WIDTH, cal,
                  logit_t, 2, &cand, &cnt, &cap, &err2);
    }
    if (rc) {
        free(cand);
        return rc;
    }
    qsort(cand, (size_t)cnt, sizeof *cand, by_rank_score);
    for (int i = 0; i < cnt && *n < max; i++) {
        int keep = 1;
        for (int k = 0; k < *n; k++)
            if (recog__box_iou(&cand[i], &boxes[k]) > NMS_IOU) {
                keep = 0;
                break;
            }
        if (keep) boxes[(*n)++] = cand[i];
    }
    free(cand);
    /* Reading order: the surest first, whichever pass found it. */
    qsort(boxes, (size_t)*n, sizeof *boxes, by_score);
    return PK_OK;
}

/* Box refinement. The main pass sees a 1280-wide scene's plates at 0.6x, often only 3 to 6
 * cells wide, and its box edges are a few pixels off, which cuts characters or lets frame text
 * in. A second look at each box, rescaled so the plate is REFINE_WIDTH pixels wide (mid-range of
 * the widths the detector was trained on), measures it again from a window REFINE_WINDOW_W plate
 * widths wide and REFINE_WINDOW_H plate heights high around it (the detector needs the context
 * above and below: 2.0 and 3.5 heights read 2 and 1 unseen US scenes fewer than 3.0). The window is
 * sampled bilinearly like the reader's crops (a triangle filter read one scene worse). REFINE_CAL_W
 * corrects the refined widths' median ratio to the labelled widths on the training half of the US
 * scenes (0.965). MODEL_CARD.md has the figures. */
#define REFINE_WIDTH    144.0f
#define REFINE_WINDOW_W 2.5f
#define REFINE_WINDOW_H 3.0f
#define REFINE_CAL_W    1.035f

int recog__refine_box(const recog__net *det, const recog_image *img, const recog__box_cal *cal,
                      recog__box *b) {
    float bw = b->x1 - b->x0, bh = b->y1 - b->y0;
    if (bw < 1 || bh < 1) return 0;
    float s = REFINE_WIDTH / bw; /* box pixels to window pixels */
    int st = det->stride;
    int ww = ((int)(REFINE_WIDTH * REFINE_WINDOW_W) + st - 1) / st * st;
    int wh = ((int)(bh * s * REFINE_WINDOW_H) + st - 1) / st * st;
    /* A tall box (a false alarm; plates are wide) must not make a huge window. */
    if (wh > ww) wh = ww;
    if (wh < 4 * st) wh = 4 * st;
    float cx = (b->x0 + b->x1) / 2, cy = (b->y0 + b->y1) / 2;
    float X0 = cx - ww / (2 * s), Y0 = cy - wh / (2 * s);
    int oc, oh, ow;
    if (recog__net_out_shape(det, wh, ww, &oc, &oh, &ow) != 0) return 0;
    float *in = pk_xmalloc(sizeof(float) * (size_t)ww * wh);
    recog__crop(img, X0, Y0, X0 + ww / s, Y0 + wh / s, ww, wh, in);
    float *out = recog__net_forward(det, in, wh, ww, &oc, &oh, &ow);
    free(in);
    if (!out) return 0;
    /* The strongest cell within half the box of the window's centre: the same plate. */
    size_t plane = (size_t)oh * ow;
    int bi = -1;
    float best = -INFINITY;
    for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++) {
            float dx = (j + 0.5f) * st - ww / 2.0f, dy = (i + 0.5f) * st - wh / 2.0f;
            if (fabsf(dx) > bw * s / 2 || fabsf(dy) > bh * s / 2) continue;
            float v = out[(size_t)i * ow + j];
            if (v > best) {
                best = v;
                bi = i * ow + j;
            }
        }
    if (bi < 0) {
        free(out);
        return 0;
    }
    float pcx, pcy, pw, ph;
    cell_box(out, plane, (size_t)bi, bi / ow, bi % ow, (float)st, cal, &pcx, &pcy, &pw, &ph);
    free(out);
    pw *= REFINE_CAL_W;
    b->x0 = fmaxf(X0 + (pcx - pw / 2) / s, 0);
    b->x1 = fminf(X0 + (pcx + pw / 2) / s, (float)img->width);
    b->y0 = fmaxf(Y0 + (pcy - ph / 2) / s, 0);
    b->y1 = fminf(Y0 + (pcy + ph / 2) / s, (float)img->height);
    return 1;
}

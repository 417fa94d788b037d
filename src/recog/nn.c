/*
 * nn.c: the tiny neural-network runtime: convolution (direct or im2col + GEMM), ReLU,
 * max-pooling.
 *
 * A convolution with stride 1 or 2 both ways (every layer of our models) runs direct: the input
 * is zero-padded and split by stride phase once, so that each kernel tap is a constant shift of
 * the output grid, and gemm.c's kernels read those shifted rows in place of an im2col matrix.
 * im2col wrote kernel-area times the output's size per layer in runs of a panel's width, which
 * cost as much as the products themselves on the detector's wide, shallow layers. Any other
 * stride goes through im2col written straight into the GEMM's packed layout. Both fuse the bias
 * and ReLU into the kernels' store. The
 * arithmetic is float32 with the same sums as PyTorch up to rounding order, which is what
 * tests/unit/test_recog_nn.c checks against the fixture written by tools/train/export.py.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recog/recog_int.h"

double recog_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int conv_out(int n, int k, int s, int p, int d) {
    int span = d * (k - 1) + 1;
    if (n + 2 * p < span) return 0;
    return (n + 2 * p - span) / s + 1;
}

int recog__net_out_shape(const recog__net *net, int h, int w, int *oc, int *oh, int *ow) {
    int c = net->in_c;
    for (int i = 0; i < net->n_layers; i++) {
        const recog__layer *L = &net->layers[i];
        if (L->type == RECOG__CONV) {
            h = conv_out(h, L->kh, L->sh, L->ph, L->dh);
            w = conv_out(w, L->kw, L->sw, L->pw, L->dw);
            c = L->cout;
        } else {
            h = h < L->kh ? 0 : (h - L->kh) / L->sh + 1;
            w = w < L->kw ? 0 : (w - L->kw) / L->sw + 1;
        }
        if (h <= 0 || w <= 0) return -1;
    }
    *oc = c;
    *oh = h;
    *ow = w;
    return 0;
}

/* The output columns [*lo, *hi) whose input column ox * sw + x0 falls inside 0..w-1. */
static void valid_cols(int ow, int w, int sw, int x0, int *lo, int *hi) {
    int a = x0 >= 0 ? 0 : (-x0 + sw - 1) / sw;
    int b = w - 1 - x0 < 0 ? 0 : (w - 1 - x0) / sw + 1;
    *lo = a < ow ? a : ow;
    *hi = b < ow ? b : ow;
    if (*hi < *lo) *hi = *lo;
}

/* im2col for one image, written straight into the GEMM's packed B layout (recog_int.h):
 * row k = (ci*kh+ky)*kw+kx, column n = oy*ow+ox, in panels of nr columns. Each output row's run
 * of columns is cut where a panel ends; the in-bounds span of the row is worked out once, so the
 * copy loops carry no bounds tests. */
static void im2col_packed(const recog__layer *L, const float *in, int h, int w, int oh, int ow,
                          int nr, float *col) {
    size_t n = (size_t)oh * ow, K = (size_t)L->cin * L->kh * L->kw;
    /* A stride-2 layer reads every other input column: each input row is split once into its
     * even and odd columns (halves of dei), so every kernel column becomes a contiguous copy. */
    int half = (w + 1) / 2;
    float *dei = L->sw == 2 ? pk_xmalloc(sizeof(float) * (size_t)h * w) : NULL;
    for (int ci = 0; ci < L->cin; ci++) {
        const float *src = in + (size_t)ci * h * w;
        if (dei) {
            for (int y = 0; y < h; y++) {
                const float *r = src + (size_t)y * w;
                float *e = dei + (size_t)y * w, *o = e + half;
                for (int x = 0; x < w / 2; x++) {
                    e[x] = r[2 * x];
                    o[x] = r[2 * x + 1];
                }
                if (w & 1) e[half - 1] = r[w - 1];
            }
        }
        for (int ky = 0; ky < L->kh; ky++) {
            for (int kx = 0; kx < L->kw; kx++) {
                size_t k = (size_t)(ci * L->kh + ky) * L->kw + kx;
                int x0 = -L->pw + kx * L->dw, lo, hi;
                valid_cols(ow, w, L->sw, x0, &lo, &hi);
                /* Output column x reads row[x + shift] (row: the input row, or its even or odd
                 * half when split). */
                int parity = x0 & 1, shift = dei ? (x0 - parity) / 2 : x0;
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy * L->sh - L->ph + ky * L->dh;
                    const float *row = NULL;
                    if (iy >= 0 && iy < h)
                        row =
                            dei ? dei + (size_t)iy * w + (parity ? half : 0) : src + (size_t)iy * w;
                    for (int ox = 0; ox < ow;) {
                        size_t c = (size_t)oy * ow + ox;
                        int off = (int)(c % (size_t)nr), len = nr - off;
                        if (len > ow - ox) len = ow - ox;
                        float *d = col + (c - (size_t)off) * K + k * (size_t)nr + off;
                        if (!row) {
                            memset(d, 0, sizeof(float) * (size_t)len);
                        } else {
                            /* [a, b) of this run reads the input; the rest is padding. */
                            int a = lo > ox ? lo : ox, b = hi < ox + len ? hi : ox + len;
                            if (b < a) b = a;
                            for (int x = ox; x < a; x++) d[x - ox] = 0.0f;
                            if (L->sw <= 2)
                                memcpy(d + (a - ox), row + a + shift,
                                       sizeof(float) * (size_t)(b - a));
                            else
                                for (int x = a; x < b; x++) d[x - ox] = row[x * L->sw + x0];
                            for (int x = b; x < ox + len; x++) d[x - ox] = 0.0f;
                        }
                        ox += len;
                    }
                }
            }
        }
    }
    free(dei);
    /* The last panel's columns past n are read by the kernel (and their results dropped). */
    size_t tail = n % (size_t)nr;
    if (tail)
        for (size_t k = 0; k < K; k++)
            memset(col + (n - tail) * K + k * nr + tail, 0, sizeof(float) * (nr - tail));
}

/* The direct convolution's layout of one layer's input. The zero-padded input is cut into s x s
 * phase planes (s the stride; plane (py, px) holds the padded rows y = py mod s and columns
 * x = px mod s), each ph2 x pw2. Output (oy, ox) of tap (ky, kx) reads padded input
 * (s*oy + ky*dh, s*ox + kx*dw), which is plane ((ky*dh) mod s, (kx*dw) mod s) at row
 * oy + ky*dh/s, column ox + kx*dw/s: laid out pw2 wide, the output grid meets every tap at a
 * fixed shift. The grid's columns ow..pw2-1 are computed and dropped. */
typedef struct direct_geom {
    int s, ph2, pw2;
    size_t plane;   /* floats in one plane */
    size_t in_size; /* floats of all planes, plus the tail the last tile reads past them */
    size_t grid;    /* oh * pw2: the output grid's size, dropped columns included */
} direct_geom;

static void direct_geom_of(const recog__layer *L, int h, int w, int oh, direct_geom *g) {
    int s = L->sh;
    g->s = s;
    g->ph2 = (h + 2 * L->ph + s - 1) / s;
    g->pw2 = (w + 2 * L->pw + s - 1) / s;
    g->plane = (size_t)g->ph2 * g->pw2;
    g->grid = (size_t)oh * g->pw2;
    /* A tap shifts by less than a plane minus the grid, plus one row; the last tile reads up to
     * a panel's width past the grid. */
    g->in_size = (size_t)L->cin * s * s * g->plane + (size_t)g->pw2 + (size_t)recog__gemm_nr();
}

/* Whether the layer runs direct on an input of h x w (output oh rows): equal strides of 1 or 2,
 * and planes small enough for the kernels' int offsets. OUT: *g when it does. */
static int use_direct(const recog__layer *L, int h, int w, int oh, direct_geom *g) {
    if (L->sh != L->sw || (L->sh != 1 && L->sh != 2)) return 0;
    direct_geom_of(L, h, w, oh, g);
    return g->in_size <= INT_MAX;
}

static size_t direct_scratch(const recog__layer *L, const direct_geom *g) {
    return g->in_size + (size_t)L->cout * g->grid;
}

static void direct_input(const recog__layer *L, const float *in, int h, int w, const direct_geom *g,
                         float *planes) {
    int s = g->s, pw2 = g->pw2;
    for (int ci = 0; ci < L->cin; ci++) {
        const float *src = in + (size_t)ci * h * w;
        for (int r = 0; r < s * g->ph2; r++) {
            int y = r - L->ph;
            float *d0 = planes + (size_t)(ci * s + r % s) * s * g->plane + (size_t)(r / s) * pw2;
            if (y < 0 || y >= h) {
                for (int px = 0; px < s; px++)
                    memset(d0 + (size_t)px * g->plane, 0, sizeof(float) * (size_t)pw2);
                continue;
            }
            const float *row = src + (size_t)y * w;
            if (s == 1) {
                memset(d0, 0, sizeof(float) * (size_t)L->pw);
                memcpy(d0 + L->pw, row, sizeof(float) * (size_t)w);
                memset(d0 + L->pw + w, 0, sizeof(float) * (size_t)(pw2 - L->pw - w));
                continue;
            }
            /* s == 2: padded column c = 2j + px goes to plane px, column j. */
            for (int px = 0; px < 2; px++) {
                float *d = d0 + (size_t)px * g->plane;
                int j0 = (L->pw - px + 1) / 2, j1 = (w + L->pw - px + 1) / 2;
                if (j0 > pw2) j0 = pw2;
                if (j1 > pw2) j1 = pw2;
                const float *r = row + 2 * j0 + px - L->pw;
                memset(d, 0, sizeof(float) * (size_t)j0);
                for (int j = j0; j < j1; j++) d[j] = r[2 * (j - j0)];
                memset(d + j1, 0, sizeof(float) * (size_t)(pw2 - j1));
            }
        }
    }
    size_t body = (size_t)L->cin * s * s * g->plane;
    memset(planes + body, 0, sizeof(float) * (g->in_size - body));
}

/* The convolution on the layout g describes (use_direct). scratch holds direct_scratch floats,
 * off the kernel's K taps. */
static void conv_direct(const recog__layer *L, const direct_geom *g, const float *in, int h, int w,
                        float *out, int oh, int ow, float *scratch, int *off) {
    int s = g->s, K = L->cin * L->kh * L->kw;
    for (int ci = 0, k = 0; ci < L->cin; ci++)
        for (int ky = 0; ky < L->kh; ky++)
            for (int kx = 0; kx < L->kw; kx++, k++) {
                int dy = ky * L->dh, dx = kx * L->dw;
                size_t plane = (size_t)(ci * s + dy % s) * s + (size_t)(dx % s);
                off[k] = (int)(plane * g->plane + (size_t)(dy / s) * g->pw2 + (size_t)(dx / s));
            }
    direct_input(L, in, h, w, g, scratch);
    /* With no dropped columns the grid is the output itself. */
    float *grid = g->pw2 == ow ? out : scratch + g->in_size;
    recog__gemm_direct(L->cout, (int)g->grid, K, L->wp, scratch, off, L->b, L->relu, grid);
    if (grid == out) return;
    for (int m = 0; m < L->cout; m++)
        for (int oy = 0; oy < oh; oy++)
            memcpy(out + ((size_t)m * oh + oy) * ow,
                   grid + (size_t)m * g->grid + (size_t)oy * g->pw2, sizeof(float) * (size_t)ow);
}

static void conv(const recog__layer *L, const float *in, int h, int w, float *out, int oh, int ow,
                 float *col, int *off) {
    direct_geom g;
    if (use_direct(L, h, w, oh, &g)) {
        conv_direct(L, &g, in, h, w, out, oh, ow, col, off);
        return;
    }
    size_t n = (size_t)oh * ow;
    int K = L->cin * L->kh * L->kw;
    im2col_packed(L, in, h, w, oh, ow, recog__gemm_nr(), col);
    recog__gemm_packed(L->cout, (int)n, K, L->wp, col, L->b, L->relu, out);
}

static void maxpool(const recog__layer *L, const float *in, int h, int w, float *out, int oh,
                    int ow) {
    /* The readers pool 2x2 and 2x1 (stride as the kernel): the rows' maximum first, a loop the
     * compiler vectorises, then pairs across when the kernel is 2 wide. */
    int rows_then_pairs = L->kh == 2 && L->sh == 2 && L->kw == L->sw && L->kw <= 2;
    float *rowmax = rows_then_pairs ? pk_xmalloc(sizeof(float) * (size_t)w) : NULL;
    for (int c = 0; c < L->cin; c++) {
        const float *src = in + (size_t)c * h * w;
        float *dst = out + (size_t)c * oh * ow;
        for (int oy = 0; oy < oh; oy++) {
            float *d = dst + (size_t)oy * ow;
            if (rowmax) {
                const float *r0 = src + (size_t)oy * 2 * w, *r1 = r0 + w;
                for (int x = 0; x < w; x++) rowmax[x] = r0[x] > r1[x] ? r0[x] : r1[x];
                if (L->kw == 1)
                    memcpy(d, rowmax, sizeof(float) * (size_t)ow);
                else
                    for (int ox = 0; ox < ow; ox++) {
                        float a = rowmax[2 * ox], b = rowmax[2 * ox + 1];
                        d[ox] = a > b ? a : b;
                    }
                continue;
            }
            for (int ox = 0; ox < ow; ox++) {
                const float *s = src + (size_t)oy * L->sh * w + (size_t)ox * L->sw;
                float m = s[0];
                for (int ky = 0; ky < L->kh; ky++)
                    for (int kx = 0; kx < L->kw; kx++) {
                        float v = s[(size_t)ky * w + kx];
                        if (v > m) m = v;
                    }
                d[ox] = m;
            }
        }
    }
    free(rowmax);
}

float *recog__net_forward(const recog__net *net, const float *in, int h, int w, int *oc, int *oh,
                          int *ow) {
    /* Size the two ping-pong buffers and the im2col scratch for the largest layer. */
    size_t max_t = (size_t)net->in_c * h * w, max_col = 1, max_k = 1;
    int c = net->in_c, ch = h, cw = w;
    for (int i = 0; i < net->n_layers; i++) {
        const recog__layer *L = &net->layers[i];
        int nh, nw;
        if (L->type == RECOG__CONV) {
            nh = conv_out(ch, L->kh, L->sh, L->ph, L->dh);
            nw = conv_out(cw, L->kw, L->sw, L->pw, L->dw);
            size_t K = (size_t)L->cin * L->kh * L->kw, colsz;
            direct_geom g;
            if (nh > 0 && nw > 0 && use_direct(L, ch, cw, nh, &g)) {
                colsz = direct_scratch(L, &g);
            } else {
                colsz = recog__gemm_packed_b_size(nh * nw, (int)K);
            }
            if (colsz > max_col) max_col = colsz;
            if (K > max_k) max_k = K;
            c = L->cout;
        } else {
            nh = ch < L->kh ? 0 : (ch - L->kh) / L->sh + 1;
            nw = cw < L->kw ? 0 : (cw - L->kw) / L->sw + 1;
        }
        if (nh <= 0 || nw <= 0) return NULL;
        size_t t = (size_t)c * nh * nw;
        if (t > max_t) max_t = t;
        ch = nh;
        cw = nw;
    }
    float *a = pk_xmalloc(max_t * sizeof(float));
    float *b = pk_xmalloc(max_t * sizeof(float));
    float *col = pk_xmalloc(max_col * sizeof(float));
    int *off = pk_xmalloc(max_k * sizeof(int));
    memcpy(a, in, (size_t)net->in_c * h * w * sizeof(float));
    c = net->in_c;
    ch = h;
    cw = w;
    for (int i = 0; i < net->n_layers; i++) {
        const recog__layer *L = &net->layers[i];
        int nh, nw;
        if (L->type == RECOG__CONV) {
            nh = conv_out(ch, L->kh, L->sh, L->ph, L->dh);
            nw = conv_out(cw, L->kw, L->sw, L->pw, L->dw);
            conv(L, a, ch, cw, b, nh, nw, col, off);
            c = L->cout;
        } else {
            nh = (ch - L->kh) / L->sh + 1;
            nw = (cw - L->kw) / L->sw + 1;
            maxpool(L, a, ch, cw, b, nh, nw);
        }
        float *t = a;
        a = b;
        b = t;
        ch = nh;
        cw = nw;
    }
    free(b);
    free(col);
    free(off);
    *oc = c;
    *oh = ch;
    *ow = cw;
    return a;
}

/*
 * nn.c: the tiny neural-network runtime: convolution (im2col + GEMM), ReLU, max-pooling.
 *
 * GEMM goes to OpenBLAS's cblas_sgemm when the build found it (RECOG_HAVE_BLAS, see mk/recog.mk);
 * otherwise a plain loop nest written so the compiler vectorises the inner loop. Either way the
 * arithmetic is float32 with the same summation as PyTorch up to rounding order, which is what
 * tests/unit/test_recog_nn.c checks against the fixture written by tools/train/export.py.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recog/recog_int.h"

#ifdef RECOG_HAVE_BLAS
#include <cblas.h>
#endif

void recog_set_concurrency(int n) {
#ifdef RECOG_HAVE_BLAS
    if (n > 1) openblas_set_num_threads(1);
#else
    (void)n;
#endif
}

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

/* C[M][N] = A[M][K] * B[K][N] (row-major, C overwritten). */
static void gemm(int M, int N, int K, const float *A, const float *B, float *C) {
#ifdef RECOG_HAVE_BLAS
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
#else
    for (int m = 0; m < M; m++) {
        float *c = C + (size_t)m * N;
        memset(c, 0, sizeof(float) * (size_t)N);
        for (int k = 0; k < K; k++) {
            float a = A[(size_t)m * K + k];
            const float *b = B + (size_t)k * N;
            for (int n = 0; n < N; n++) c[n] += a * b[n];
        }
    }
#endif
}

/* The output columns [*lo, *hi) whose input column ox * sw + x0 falls inside 0..w-1. */
static void valid_cols(int ow, int w, int sw, int x0, int *lo, int *hi) {
    int a = x0 >= 0 ? 0 : (-x0 + sw - 1) / sw;
    int b = w - 1 - x0 < 0 ? 0 : (w - 1 - x0) / sw + 1;
    *lo = a < ow ? a : ow;
    *hi = b < ow ? b : ow;
    if (*hi < *lo) *hi = *lo;
}

/* im2col for one image: col[(ci*kh+ky)*kw+kx][oy*ow+ox]. The in-bounds span of each row is
 * worked out once, so the copy loops carry no bounds tests. */
static void im2col(const recog__layer *L, const float *in, int h, int w, int oh, int ow,
                   float *col) {
    size_t n = (size_t)oh * ow;
    for (int ci = 0; ci < L->cin; ci++) {
        const float *src = in + (size_t)ci * h * w;
        for (int ky = 0; ky < L->kh; ky++) {
            for (int kx = 0; kx < L->kw; kx++) {
                float *dst = col + ((size_t)(ci * L->kh + ky) * L->kw + kx) * n;
                int x0 = -L->pw + kx * L->dw, lo, hi;
                valid_cols(ow, w, L->sw, x0, &lo, &hi);
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy * L->sh - L->ph + ky * L->dh;
                    float *d = dst + (size_t)oy * ow;
                    if (iy < 0 || iy >= h) {
                        memset(d, 0, sizeof(float) * (size_t)ow);
                        continue;
                    }
                    /* Input columns from lo * sw + x0 (>= 0 by valid_cols) onwards. */
                    const float *s = src + (size_t)iy * w + (lo * L->sw + x0);
                    for (int ox = 0; ox < lo; ox++) d[ox] = 0.0f;
                    if (L->sw == 1) {
                        memcpy(d + lo, s, sizeof(float) * (size_t)(hi - lo));
                    } else if (L->sw == 2) {
                        for (int ox = lo; ox < hi; ox++) d[ox] = s[2 * (ox - lo)];
                    } else {
                        int sw = L->sw;
                        for (int ox = lo; ox < hi; ox++) d[ox] = s[(size_t)(ox - lo) * sw];
                    }
                    for (int ox = hi; ox < ow; ox++) d[ox] = 0.0f;
                }
            }
        }
    }
}

/* Direct convolution for a one-channel input (the detector's first layer): im2col plus a GEMM
 * with K = kh*kw costs more in copying than in arithmetic there. For each output row the kh*kw
 * shifted input rows are gathered once (a few KiB, so they stay in L1) and every output channel
 * is summed from them in one pass, so each output value is written once. Same sums as the GEMM
 * path up to rounding order. */
static void conv1_direct(const recog__layer *L, const float *in, int h, int w, float *out, int oh,
                         int ow) {
    size_t n = (size_t)oh * ow;
    int K = L->kh * L->kw;
    float *taps = pk_xmalloc(sizeof(float) * (size_t)ow * (size_t)K);
    for (int oy = 0; oy < oh; oy++) {
        for (int ky = 0; ky < L->kh; ky++) {
            int iy = oy * L->sh - L->ph + ky * L->dh;
            for (int kx = 0; kx < L->kw; kx++) {
                float *row = taps + (size_t)(ky * L->kw + kx) * ow;
                if (iy < 0 || iy >= h) {
                    memset(row, 0, sizeof(float) * (size_t)ow);
                    continue;
                }
                const float *s = in + (size_t)iy * w;
                int x0 = -L->pw + kx * L->dw, lo, hi;
                valid_cols(ow, w, L->sw, x0, &lo, &hi);
                for (int ox = 0; ox < ow; ox++)
                    row[ox] = ox >= lo && ox < hi ? s[ox * L->sw + x0] : 0.0f;
            }
        }
        for (int co = 0; co < L->cout; co++) {
            const float *wt = L->w + (size_t)co * K;
            float *o = out + (size_t)co * n + (size_t)oy * ow;
            for (int ox = 0; ox < ow; ox++) o[ox] = wt[0] * taps[ox];
            for (int k = 1; k < K; k++) {
                const float *t = taps + (size_t)k * ow;
                float wk = wt[k];
                for (int ox = 0; ox < ow; ox++) o[ox] += wk * t[ox];
            }
        }
    }
    free(taps);
}

static void conv(const recog__layer *L, const float *in, int h, int w, float *out, int oh, int ow,
                 float *col) {
    size_t n = (size_t)oh * ow;
    int K = L->cin * L->kh * L->kw;
    const float *B = in;
    if (L->cin == 1) {
        conv1_direct(L, in, h, w, out, oh, ow);
    } else {
        if (!(L->kh == 1 && L->kw == 1 && L->sh == 1 && L->sw == 1 && L->ph == 0 && L->pw == 0)) {
            im2col(L, in, h, w, oh, ow, col);
            B = col;
        }
        gemm(L->cout, (int)n, K, L->w, B, out);
    }
    for (int co = 0; co < L->cout; co++) {
        float b = L->b[co], *o = out + (size_t)co * n;
        if (L->relu)
            for (size_t i = 0; i < n; i++) {
                float v = o[i] + b;
                o[i] = v > 0.0f ? v : 0.0f;
            }
        else
            for (size_t i = 0; i < n; i++) o[i] += b;
    }
}

static void maxpool(const recog__layer *L, const float *in, int h, int w, float *out, int oh,
                    int ow) {
    for (int c = 0; c < L->cin; c++) {
        const float *src = in + (size_t)c * h * w;
        float *dst = out + (size_t)c * oh * ow;
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                const float *s = src + (size_t)oy * L->sh * w + (size_t)ox * L->sw;
                float m = s[0];
                for (int ky = 0; ky < L->kh; ky++)
                    for (int kx = 0; kx < L->kw; kx++) {
                        float v = s[(size_t)ky * w + kx];
                        if (v > m) m = v;
                    }
                dst[(size_t)oy * ow + ox] = m;
            }
    }
}

float *recog__net_forward(const recog__net *net, const float *in, int h, int w, int *oc, int *oh,
                          int *ow) {
    /* Size the two ping-pong buffers and the im2col scratch for the largest layer. */
    size_t max_t = (size_t)net->in_c * h * w, max_col = 1;
    int c = net->in_c, ch = h, cw = w;
    for (int i = 0; i < net->n_layers; i++) {
        const recog__layer *L = &net->layers[i];
        int nh, nw;
        if (L->type == RECOG__CONV) {
            nh = conv_out(ch, L->kh, L->sh, L->ph, L->dh);
            nw = conv_out(cw, L->kw, L->sw, L->pw, L->dw);
            size_t colsz = (size_t)L->cin * L->kh * L->kw * nh * nw;
            if (colsz > max_col) max_col = colsz;
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
            conv(L, a, ch, cw, b, nh, nw, col);
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
    *oc = c;
    *oh = ch;
    *ow = cw;
    return a;
}

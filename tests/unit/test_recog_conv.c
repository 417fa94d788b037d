/* recog: every convolution path of the network runtime gives the plain sum.
 *
 * nn.c runs a convolution with equal strides of 1 or 2 directly (the padded input split into
 * stride phases, each kernel tap a shift of the output grid) and any other through im2col. Both
 * must give the textbook convolution, whatever the padding, dilation, kernel shape, and odd or
 * even input size: the cases below cover the shapes our models use (3x3 with strides 2 and 1,
 * dilated 2 and 4, 4x1, 1x3, 1x1) and the edges (no padding, padding wider than the kernel
 * reaches, an output one pixel wide, a stride of 3 and unequal strides for the im2col path).
 * Each net is built here from random weights, run by recog__net_forward and compared with a
 * double-precision loop over the same formula. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recog/recog_int.h"

typedef struct conv_case {
    int cin, cout, kh, kw, sh, sw, ph, pw, dh, dw, h, w, relu;
} conv_case;

static float frand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static int out_size(int n, int k, int s, int p, int d) {
    return (n + 2 * p - d * (k - 1) - 1) / s + 1;
}

/* A one-layer (pool: 0) or conv-pool-conv (pool: 1) net from random weights, freed with
 * recog__net_fini. */
static void build_net(recog__net *net, const conv_case *c, int pool, unsigned *seed) {
    memset(net, 0, sizeof *net);
    net->kind = RECOG__KIND_DETECTOR;
    net->in_c = c->cin;
    int K = c->cin * c->kh * c->kw, K2 = c->cout * 9;
    size_t nw = (size_t)c->cout * K + c->cout + (pool ? (size_t)5 * K2 + 5 : 0);
    net->blob = malloc(nw * sizeof(float));
    for (size_t i = 0; i < nw; i++) net->blob[i] = frand(seed);
    recog__layer *L = &net->layers[0];
    *L = (recog__layer){
        RECOG__CONV, c->cin, c->cout, c->kh, c->kw,   c->sh,     c->sw,
        c->ph,       c->pw,  c->dh,   c->dw, c->relu, net->blob, net->blob + (size_t)c->cout * K,
        NULL};
    net->n_layers = 1;
    if (pool) {
        net->layers[1] = (recog__layer){RECOG__POOL, c->cout, c->cout, 2, 2,    2,    2,   0,
                                        0,           1,       1,       0, NULL, NULL, NULL};
        const float *w2 = L->b + c->cout;
        net->layers[2] = (recog__layer){
            RECOG__CONV, c->cout, 5, 3, 3, 1, 1, 1, 1, 1, 1, 0, w2, w2 + (size_t)5 * K2, NULL};
        net->n_layers = 3;
    }
    recog__net_pack(net);
}

/* The textbook convolution of one layer in double. Returns malloc'd out, shape in *oh, *ow. */
static double *ref_conv(const recog__layer *L, const double *in, int h, int w, int *oh, int *ow) {
    *oh = out_size(h, L->kh, L->sh, L->ph, L->dh);
    *ow = out_size(w, L->kw, L->sw, L->pw, L->dw);
    double *out = malloc(sizeof(double) * (size_t)L->cout * *oh * *ow);
    for (int m = 0; m < L->cout; m++)
        for (int y = 0; y < *oh; y++)
            for (int x = 0; x < *ow; x++) {
                double sum = L->b[m];
                for (int ci = 0; ci < L->cin; ci++)
                    for (int ky = 0; ky < L->kh; ky++)
                        for (int kx = 0; kx < L->kw; kx++) {
                            int iy = y * L->sh - L->ph + ky * L->dh;
                            int ix = x * L->sw - L->pw + kx * L->dw;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            sum += (double)L->w[((m * L->cin + ci) * L->kh + ky) * L->kw + kx] *
                                   in[((size_t)ci * h + iy) * w + ix];
                        }
                if (L->relu && sum < 0) sum = 0;
                out[((size_t)m * *oh + y) * *ow + x] = sum;
            }
    return out;
}

static double *ref_pool(int c, const double *in, int h, int w, int *oh, int *ow) {
    *oh = h / 2;
    *ow = w / 2;
    double *out = malloc(sizeof(double) * (size_t)c * *oh * *ow);
    for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < *oh; y++)
            for (int x = 0; x < *ow; x++) {
                const double *p = in + ((size_t)ch * h + 2 * y) * w + 2 * x;
                double m = fmax(fmax(p[0], p[1]), fmax(p[w], p[w + 1]));
                out[((size_t)ch * *oh + y) * *ow + x] = m;
            }
    return out;
}

static void check_case(const conv_case *c, int pool, unsigned *seed) {
    recog__net net;
    build_net(&net, c, pool, seed);
    size_t n_in = (size_t)c->cin * c->h * c->w;
    float *in = malloc(n_in * sizeof(float));
    double *ref = malloc(n_in * sizeof(double));
    for (size_t i = 0; i < n_in; i++) ref[i] = in[i] = frand(seed);
    int h = c->h, w = c->w, ch = c->cin;
    for (int i = 0; i < net.n_layers; i++) {
        const recog__layer *L = &net.layers[i];
        int nh, nw;
        double *next = L->type == RECOG__CONV ? ref_conv(L, ref, h, w, &nh, &nw)
                                              : ref_pool(ch, ref, h, w, &nh, &nw);
        if (L->type == RECOG__CONV) ch = L->cout;
        free(ref);
        ref = next;
        h = nh;
        w = nw;
    }
    int oc, oh, ow;
    float *got = recog__net_forward(&net, in, c->h, c->w, &oc, &oh, &ow);
    assert_non_null(got);
    assert_int_equal(oc, ch);
    assert_int_equal(oh, h);
    assert_int_equal(ow, w);
    for (size_t i = 0; i < (size_t)oc * oh * ow; i++)
        if (fabs(got[i] - ref[i]) > 1e-4 * (1.0 + fabs(ref[i])))
            fail_msg("cin %d cout %d k %dx%d s %d,%d p %d,%d d %d,%d in %dx%d pool %d: "
                     "out[%zu] = %g, want %g",
                     c->cin, c->cout, c->kh, c->kw, c->sh, c->sw, c->ph, c->pw, c->dh, c->dw, c->h,
                     c->w, pool, i, got[i], ref[i]);
    free(got);
    free(ref);
    free(in);
    recog__net_fini(&net);
}

static const conv_case cases[] = {
    /* cin cout kh kw sh sw ph pw dh dw  h   w relu */
    {1, 12, 3, 3, 2, 2, 1, 1, 1, 1, 43, 77, 1},  /* the detector's first layer, odd size */
    {1, 12, 3, 3, 2, 2, 1, 1, 1, 1, 44, 76, 1},  /* ... even size */
    {12, 16, 3, 3, 2, 2, 1, 1, 1, 1, 21, 38, 1}, /* stride 2, many channels */
    {32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 11, 19, 1}, /* stride 1 */
    {48, 48, 3, 3, 1, 1, 2, 2, 2, 2, 9, 14, 1},  /* dilated 2 */
    {48, 48, 3, 3, 1, 1, 4, 4, 4, 4, 9, 14, 0},  /* dilated 4, wider than the input */
    {48, 5, 1, 1, 1, 1, 0, 0, 1, 1, 9, 14, 0},   /* the 1x1 head */
    {1, 16, 3, 3, 1, 1, 1, 1, 1, 1, 32, 128, 1}, /* the reader's first layer */
    {64, 96, 4, 1, 1, 1, 0, 0, 1, 1, 4, 33, 1},  /* the reader's 4x1 */
    {96, 96, 1, 3, 1, 1, 0, 1, 1, 1, 1, 33, 1},  /* ... its 1x3, one row */
    {3, 7, 3, 3, 1, 1, 0, 0, 1, 1, 5, 5, 0},     /* no padding */
    {3, 7, 3, 3, 2, 2, 3, 2, 1, 1, 5, 6, 1},     /* padding past the kernel's reach */
    {2, 9, 3, 3, 2, 2, 0, 0, 1, 1, 3, 35, 0},    /* output one row high */
    {2, 9, 3, 5, 2, 2, 1, 2, 2, 1, 17, 3, 0},    /* output one column wide, mixed dilation */
    {4, 6, 3, 3, 3, 3, 1, 1, 1, 1, 20, 23, 1},   /* stride 3: im2col */
    {4, 6, 3, 3, 2, 1, 1, 1, 1, 1, 20, 23, 1},   /* unequal strides: im2col */
};

static void test_each_layer_shape(void **state) {
    (void)state;
    unsigned seed = 11;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) check_case(&cases[i], 0, &seed);
}

/* Layers chained through a pool: each conv's output feeds the next at its own size. */
static void test_chained_layers(void **state) {
    (void)state;
    unsigned seed = 12;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const conv_case *c = &cases[i];
        int oh = out_size(c->h, c->kh, c->sh, c->ph, c->dh);
        int ow = out_size(c->w, c->kw, c->sw, c->pw, c->dw);
        if (oh >= 2 && ow >= 2) check_case(c, 1, &seed);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_layer_shape),
        cmocka_unit_test(test_chained_layers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

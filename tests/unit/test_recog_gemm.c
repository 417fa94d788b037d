/* recog: every GEMM kernel this CPU runs gives the plain product.
 *
 * The kernels keep a tile of C in registers and handle the ragged right and bottom edges of C
 * through zero-padded panels and a partial store, so the shapes here cover every remainder of
 * the tile sizes (4, 6, 8 rows; 16, 32 columns) and the one-row and one-column cases, with and
 * without bias and ReLU. Each result is compared with a double-precision sum; float32 with
 * fused multiply-adds in another order stays within 1e-5 relative on these sizes. A kernel
 * that wrote past its tile would corrupt the guard values after C, which are checked too. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

#include "recog/recog_int.h"

#define GUARD 64

static float frand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void check_shape(recog__isa isa, int M, int N, int K, int with_bias, int relu,
                        unsigned *seed) {
    float *A = malloc(sizeof(float) * (size_t)M * K), *B = malloc(sizeof(float) * (size_t)K * N);
    float *bias = malloc(sizeof(float) * (size_t)M);
    float *C = malloc(sizeof(float) * ((size_t)M * N + GUARD));
    for (int i = 0; i < M * K; i++) A[i] = frand(seed);
    for (int i = 0; i < K * N; i++) B[i] = frand(seed);
    for (int i = 0; i < M; i++) bias[i] = frand(seed);
    for (int i = 0; i < M * N + GUARD; i++) C[i] = 12345.0f;
    recog__gemm_isa(isa, M, N, K, A, B, with_bias ? bias : NULL, relu, C);
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double want = with_bias ? bias[m] : 0.0, mag = fabs(want);
            for (int k = 0; k < K; k++) {
                want += (double)A[m * K + k] * B[k * N + n];
                mag += fabs((double)A[m * K + k] * B[k * N + n]);
            }
            if (relu && want < 0) want = 0;
            float got = C[m * N + n];
            if (fabs(got - want) > 1e-5 * (mag + 1.0))
                fail_msg("isa %d, %dx%dx%d bias %d relu %d: C[%d][%d] = %g, want %g", (int)isa, M,
                         N, K, with_bias, relu, m, n, got, want);
        }
    for (int i = 0; i < GUARD; i++)
        if (C[M * N + i] != 12345.0f)
            fail_msg("isa %d, %dx%dx%d: wrote past C (guard %d)", (int)isa, M, N, K, i);
    free(A);
    free(B);
    free(bias);
    free(C);
}

static void test_every_kernel_every_edge(void **state) {
    (void)state;
    static const int Ms[] = {1, 3, 4, 5, 6, 7, 8, 9, 12, 13, 16, 17, 48};
    static const int Ns[] = {1, 2, 15, 16, 17, 31, 32, 33, 64, 100};
    static const int Ks[] = {1, 2, 9, 27, 144};
    int ran = 0;
    unsigned seed = 7;
    for (int isa = RECOG__ISA_GENERIC; isa <= RECOG__ISA_AVX512; isa++) {
        if (!recog__gemm_has((recog__isa)isa)) continue;
        ran++;
        for (size_t a = 0; a < sizeof Ms / sizeof *Ms; a++)
            for (size_t b = 0; b < sizeof Ns / sizeof *Ns; b++)
                for (size_t c = 0; c < sizeof Ks / sizeof *Ks; c++)
                    check_shape((recog__isa)isa, Ms[a], Ns[b], Ks[c], (int)((a + b) & 1),
                                (int)((b + c) & 1), &seed);
    }
    assert_true(ran >= 1);
}

/* The direct-convolution form: row k of B is in[off[k] ..], any shift, rows overlapping. Every
 * kernel reads whole tiles, so in has a tile's width of slack after the furthest row. */
static void test_every_kernel_direct(void **state) {
    (void)state;
    static const int Ms[] = {1, 5, 8, 12, 17};
    static const int Ns[] = {1, 15, 33, 100};
    static const int Ks[] = {1, 9, 27};
    unsigned seed = 9;
    for (int isa = RECOG__ISA_GENERIC; isa <= RECOG__ISA_AVX512; isa++) {
        if (!recog__gemm_has((recog__isa)isa)) continue;
        for (size_t a = 0; a < sizeof Ms / sizeof *Ms; a++)
            for (size_t b = 0; b < sizeof Ns / sizeof *Ns; b++)
                for (size_t c = 0; c < sizeof Ks / sizeof *Ks; c++) {
                    int M = Ms[a], N = Ns[b], K = Ks[c], span = 3 * N;
                    size_t n_in = (size_t)span + N + 64;
                    float *A = malloc(sizeof(float) * (size_t)M * K), *bias = malloc(4 * M);
                    float *in = malloc(sizeof(float) * n_in);
                    float *C = malloc(sizeof(float) * ((size_t)M * N + GUARD));
                    int *off = malloc(sizeof(int) * (size_t)K);
                    for (int i = 0; i < M * K; i++) A[i] = frand(&seed);
                    for (int i = 0; i < M; i++) bias[i] = frand(&seed);
                    for (size_t i = 0; i < n_in; i++) in[i] = frand(&seed);
                    for (int k = 0; k < K; k++) off[k] = (int)((frand(&seed) + 1.0f) * span / 2);
                    for (int i = 0; i < M * N + GUARD; i++) C[i] = 12345.0f;
                    int relu = (int)((b + c) & 1);
                    recog__gemm_direct_isa((recog__isa)isa, M, N, K, A, in, off, bias, relu, C);
                    for (int m = 0; m < M; m++)
                        for (int n = 0; n < N; n++) {
                            double want = bias[m], mag = fabs(want);
                            for (int k = 0; k < K; k++) {
                                want += (double)A[m * K + k] * in[off[k] + n];
                                mag += fabs((double)A[m * K + k] * in[off[k] + n]);
                            }
                            if (relu && want < 0) want = 0;
                            if (fabs(C[m * N + n] - want) > 1e-5 * (mag + 1.0))
                                fail_msg("isa %d direct %dx%dx%d: C[%d][%d] = %g, want %g", isa, M,
                                         N, K, m, n, C[m * N + n], want);
                        }
                    for (int i = 0; i < GUARD; i++)
                        if (C[M * N + i] != 12345.0f)
                            fail_msg("isa %d direct %dx%dx%d: wrote past C", isa, M, N, K);
                    free(A);
                    free(bias);
                    free(in);
                    free(C);
                    free(off);
                }
    }
}

/* ReLU clamps exactly at zero and keeps positive sums untouched, bias included. */
static void test_bias_and_relu(void **state) {
    (void)state;
    const float A[2] = {1.0f, -1.0f}, B[3] = {2.0f, -3.0f, 0.5f}, bias[2] = {0.25f, 0.25f};
    for (int isa = RECOG__ISA_GENERIC; isa <= RECOG__ISA_AVX512; isa++) {
        if (!recog__gemm_has((recog__isa)isa)) continue;
        float C[6];
        recog__gemm_isa((recog__isa)isa, 2, 3, 1, A, B, bias, 1, C);
        const float want[6] = {2.25f, 0.0f, 0.75f, 0.0f, 3.25f, 0.0f};
        for (int i = 0; i < 6; i++) assert_float_equal(C[i], want[i], 0.0f);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kernel_every_edge),
        cmocka_unit_test(test_every_kernel_direct),
        cmocka_unit_test(test_bias_and_relu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * gemm.c: the networks' matrix product, C = act(A * B + bias), with our own register-blocked
 * kernels instead of a BLAS.
 *
 * Why not OpenBLAS: it picks its kernels by CPU model, and a model newer than the Debian build
 * (this project's machines: Xeon family 6 model 207) falls back to its SSE3 "Prescott" kernels,
 * which made a scene take 40 ms instead of 22. The shapes here are small and fixed (M = 5..128
 * output channels, K = up to a few hundred, N = the spatial positions), so one well-blocked kernel
 * per instruction set does as well, and fusing the bias and ReLU into the store saves a pass.
 *
 * Layout: A is the weights, M x K; B is the im2col matrix, K x N; C is M x N, row-major. The
 * kernel reads both packed: A in panels of MR rows (zero-padded rows), made once when a model
 * loads (model.c); B in panels of NR columns, k-major inside a panel (the last panel
 * zero-padded), which nn.c's im2col writes directly. Each kernel keeps an MR x NR tile of C in
 * registers across the whole K loop.
 *
 * The kernel for the running CPU is chosen on every call with __builtin_cpu_supports (a read of
 * a table libgcc fills at start-up), so there is no state of our own; the packed weights a model
 * keeps were made for the same choice.
 */
#include <stdlib.h>
#include <string.h>

#include "recog/recog_int.h"

#define MR_MAX 8

/* b with off NULL: a packed panel, row k at b + k * NR. b with off: the rows of a direct
 * convolution, row k at b + off[k] (see recog__gemm_direct). */
typedef void (*kernel_fn)(int K, const float *a, const float *b, const int *off, float *c,
                          size_t ldc, int mr, int nr, const float *bias, int relu);

/* The tile is summed in registers, then written with the bias and ReLU applied; a partial tile
 * (at the bottom or right edge of C) goes through a buffer so only its valid part is stored. */
#define DEFINE_KERNEL(name, attr, VT, VIT, VW, MR, NV)                                             \
    attr static void name(int K, const float *restrict a, const float *restrict b,                 \
                          const int *restrict off, float *restrict c, size_t ldc, int mr, int nr,  \
                          const float *restrict bias, int relu) {                                  \
        VT acc[MR][NV];                                                                            \
        for (int r = 0; r < MR; r++)                                                               \
            for (int j = 0; j < NV; j++) acc[r][j] = (VT){0};                                      \
        /* Two copies of the K loop, so neither tests off inside it. */                            \
        if (off) {                                                                                 \
            for (int k = 0; k < K; k++) {                                                          \
                const float *row = b + off[k];                                                     \
                VT bv[NV];                                                                         \
                for (int j = 0; j < NV; j++) memcpy(&bv[j], row + j * VW, sizeof(VT));             \
                for (int r = 0; r < MR; r++) {                                                     \
                    float av = a[(size_t)k * MR + r];                                              \
                    for (int j = 0; j < NV; j++) acc[r][j] += av * bv[j];                          \
                }                                                                                  \
            }                                                                                      \
        } else {                                                                                   \
            for (int k = 0; k < K; k++) {                                                          \
                VT bv[NV];                                                                         \
                for (int j = 0; j < NV; j++)                                                       \
                    memcpy(&bv[j], b + (size_t)k * (NV * VW) + j * VW, sizeof(VT));                \
                for (int r = 0; r < MR; r++) {                                                     \
                    float av = a[(size_t)k * MR + r];                                              \
                    for (int j = 0; j < NV; j++) acc[r][j] += av * bv[j];                          \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        for (int r = 0; r < MR; r++)                                                               \
            for (int j = 0; j < NV; j++) {                                                         \
                acc[r][j] += r < mr ? bias[r] : 0.0f;                                              \
                if (relu) acc[r][j] = (VT)((VIT)acc[r][j] & (VIT)(acc[r][j] > (VT){0}));           \
            }                                                                                      \
        if (mr == MR && nr == NV * VW) {                                                           \
            for (int r = 0; r < MR; r++)                                                           \
                for (int j = 0; j < NV; j++)                                                       \
                    memcpy(c + (size_t)r * ldc + j * VW, &acc[r][j], sizeof(VT));                  \
        } else {                                                                                   \
            for (int r = 0; r < mr; r++) {                                                         \
                float row[NV * VW];                                                                \
                memcpy(row, acc[r], sizeof(row));                                                  \
                memcpy(c + (size_t)r * ldc, row, sizeof(float) * (size_t)nr);                      \
            }                                                                                      \
        }                                                                                          \
    }

typedef float v4 __attribute__((vector_size(16)));
typedef int v4i __attribute__((vector_size(16)));
DEFINE_KERNEL(kernel_generic, , v4, v4i, 4, 4, 4)

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define GEMM_X86 1
typedef float v8 __attribute__((vector_size(32)));
typedef float v16 __attribute__((vector_size(64)));
typedef int v8i __attribute__((vector_size(32)));
typedef int v16i __attribute__((vector_size(64)));
/* AVX2: 16 ymm registers hold 6 x 2 accumulators, two B vectors and the broadcast. */
DEFINE_KERNEL(kernel_avx2, __attribute__((target("avx2,fma"))), v8, v8i, 8, 6, 2)
/* AVX-512: 32 zmm registers hold 8 x 2 accumulators with room to spare. */
DEFINE_KERNEL(kernel_avx512, __attribute__((target("avx512f,fma"))), v16, v16i, 16, 8, 2)
#endif

typedef struct gemm_plan {
    kernel_fn kernel;
    int mr, nr;
} gemm_plan;

static const gemm_plan plans[] = {
    [RECOG__ISA_GENERIC] = {kernel_generic, 4, 16},
#ifdef GEMM_X86
    [RECOG__ISA_AVX2] = {kernel_avx2, 6, 16},
    [RECOG__ISA_AVX512] = {kernel_avx512, 8, 32},
#endif
};

int recog__gemm_has(recog__isa isa) {
    switch (isa) {
    case RECOG__ISA_GENERIC:
        return 1;
#ifdef GEMM_X86
    case RECOG__ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case RECOG__ISA_AVX512:
        return __builtin_cpu_supports("avx512f");
#endif
    default:
        return 0;
    }
}

static const gemm_plan *best_plan(void) {
    if (recog__gemm_has(RECOG__ISA_AVX512)) return &plans[RECOG__ISA_AVX512];
    if (recog__gemm_has(RECOG__ISA_AVX2)) return &plans[RECOG__ISA_AVX2];
    return &plans[RECOG__ISA_GENERIC];
}

int recog__gemm_nr(void) {
    return best_plan()->nr;
}

static size_t packed_a_size(const gemm_plan *p, int M, int K) {
    return (size_t)((M + p->mr - 1) / p->mr) * p->mr * (size_t)K;
}

static size_t packed_b_size(const gemm_plan *p, int N, int K) {
    return (size_t)((N + p->nr - 1) / p->nr) * p->nr * (size_t)K;
}

static void pack_a(const gemm_plan *p, int M, int K, const float *A, float *ap) {
    int mr = p->mr, mblocks = (M + mr - 1) / mr;
    for (int mb = 0; mb < mblocks; mb++) {
        float *dst = ap + (size_t)mb * mr * K;
        for (int k = 0; k < K; k++)
            for (int r = 0; r < mr; r++) {
                int m = mb * mr + r;
                dst[(size_t)k * mr + r] = m < M ? A[(size_t)m * K + k] : 0.0f;
            }
    }
}

static void pack_b(const gemm_plan *p, int N, int K, const float *B, float *bp) {
    int nr = p->nr;
    for (int n0 = 0; n0 < N; n0 += nr) {
        int w = N - n0 < nr ? N - n0 : nr;
        float *panel = bp + (size_t)n0 * K;
        for (int k = 0; k < K; k++) {
            float *dst = panel + (size_t)k * nr;
            memcpy(dst, B + (size_t)k * N + n0, sizeof(float) * (size_t)w);
            if (w < nr) memset(dst + w, 0, sizeof(float) * (size_t)(nr - w));
        }
    }
}

static void gemm_packed(const gemm_plan *p, int M, int N, int K, const float *ap, const float *bp,
                        const float *bias, int relu, float *C) {
    float zero_bias[MR_MAX] = {0};
    int mblocks = (M + p->mr - 1) / p->mr;
    /* One B panel (K x nr, tens of KiB) stays in cache while every A panel passes over it. */
    for (int n0 = 0; n0 < N; n0 += p->nr) {
        int nr = N - n0 < p->nr ? N - n0 : p->nr;
        const float *panel = bp + (size_t)n0 * K;
        for (int mb = 0; mb < mblocks; mb++) {
            int m0 = mb * p->mr, mr = M - m0 < p->mr ? M - m0 : p->mr;
            p->kernel(K, ap + (size_t)mb * p->mr * K, panel, NULL, C + (size_t)m0 * N + n0,
                      (size_t)N, mr, nr, bias ? bias + m0 : zero_bias, relu);
        }
    }
}

static void gemm_direct(const gemm_plan *p, int M, int N, int K, const float *ap, const float *in,
                        const int *off, const float *bias, int relu, float *C) {
    float zero_bias[MR_MAX] = {0};
    int mblocks = (M + p->mr - 1) / p->mr;
    for (int n0 = 0; n0 < N; n0 += p->nr) {
        int nr = N - n0 < p->nr ? N - n0 : p->nr;
        for (int mb = 0; mb < mblocks; mb++) {
            int m0 = mb * p->mr, mr = M - m0 < p->mr ? M - m0 : p->mr;
            p->kernel(K, ap + (size_t)mb * p->mr * K, in + n0, off, C + (size_t)m0 * N + n0,
                      (size_t)N, mr, nr, bias ? bias + m0 : zero_bias, relu);
        }
    }
}

size_t recog__gemm_packed_a_size(int M, int K) {
    return packed_a_size(best_plan(), M, K);
}

size_t recog__gemm_packed_b_size(int N, int K) {
    return packed_b_size(best_plan(), N, K);
}

void recog__gemm_pack_a(int M, int K, const float *A, float *ap) {
    pack_a(best_plan(), M, K, A, ap);
}

void recog__gemm_packed(int M, int N, int K, const float *ap, const float *bp, const float *bias,
                        int relu, float *C) {
    gemm_packed(best_plan(), M, N, K, ap, bp, bias, relu, C);
}

void recog__gemm_direct(int M, int N, int K, const float *ap, const float *in, const int *off,
                        const float *bias, int relu, float *C) {
    gemm_direct(best_plan(), M, N, K, ap, in, off, bias, relu, C);
}

void recog__gemm_direct_isa(recog__isa isa, int M, int N, int K, const float *A, const float *in,
                            const int *off, const float *bias, int relu, float *C) {
    PK_ASSERT(recog__gemm_has(isa));
    const gemm_plan *p = &plans[isa];
    float *ap = pk_xmalloc(sizeof(float) * packed_a_size(p, M, K));
    pack_a(p, M, K, A, ap);
    gemm_direct(p, M, N, K, ap, in, off, bias, relu, C);
    free(ap);
}

void recog__gemm_isa(recog__isa isa, int M, int N, int K, const float *A, const float *B,
                     const float *bias, int relu, float *C) {
    /* plans[] holds only the kernels this build compiled: the caller asks recog__gemm_has. */
    PK_ASSERT(recog__gemm_has(isa));
    const gemm_plan *p = &plans[isa];
    float *ap = pk_xmalloc(sizeof(float) * packed_a_size(p, M, K));
    float *bp = pk_xmalloc(sizeof(float) * packed_b_size(p, N, K));
    pack_a(p, M, K, A, ap);
    pack_b(p, N, K, B, bp);
    gemm_packed(p, M, N, K, ap, bp, bias, relu, C);
    free(bp);
    free(ap);
}

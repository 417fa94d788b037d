/* recog: the C network runtime gives PyTorch's numbers.
 *
 * tests/unit/fixtures/recog/ holds, for each committed model, a fixed input and the output
 * PyTorch computed for it in tools/train/export.py (batch-norm unfolded, eval mode). The C
 * runtime runs the exported models/ files (batch-norm folded) on the same input; every output value
 * must agree within |c - torch| <= 1e-3 + 1e-3 * |torch| (float32, different summation order
 * and the folding account for ~1e-5 in practice). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recog/recog_int.h"

#define TOL_ABS 1e-3f
#define TOL_REL 1e-3f

/* Reads a fixture tensor. OUT: *c, *h, *w; returns malloc'd floats. */
static float *read_tensor(const char *name, int *c, int *h, int *w) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/unit/fixtures/recog/%s", tu_root(), name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    uint32_t hdr[3];
    assert_int_equal(fread(hdr, 4, 3, f), 3);
    *c = (int)hdr[0];
    *h = (int)hdr[1];
    *w = (int)hdr[2];
    size_t n = (size_t)hdr[0] * hdr[1] * hdr[2];
    float *d = malloc(n * sizeof(float));
    assert_int_equal(fread(d, sizeof(float), n, f), n);
    fclose(f);
    return d;
}

static void check(const char *model, const char *fx) {
    char path[1024], in_name[64], out_name[64];
    snprintf(path, sizeof path, "%s/models/%s", tu_root(), model);
    snprintf(in_name, sizeof in_name, "%s_in.bin", fx);
    snprintf(out_name, sizeof out_name, "%s_out.bin", fx);
    recog__net net;
    pk_err err;
    if (recog__model_load(path, &net, &err)) fail_msg("%s", err.msg);
    int ic, ih, iw, ec, eh, ew, oc, oh, ow;
    float *in = read_tensor(in_name, &ic, &ih, &iw);
    float *want = read_tensor(out_name, &ec, &eh, &ew);
    float *got = recog__net_forward(&net, in, ih, iw, &oc, &oh, &ow);
    assert_non_null(got);
    assert_int_equal(oc, ec);
    assert_int_equal(oh, eh);
    assert_int_equal(ow, ew);
    float worst = 0;
    for (size_t i = 0; i < (size_t)oc * oh * ow; i++) {
        float d = fabsf(got[i] - want[i]);
        if (d > TOL_ABS + TOL_REL * fabsf(want[i]))
            fail_msg("%s: output %zu: C %g, PyTorch %g", model, i, got[i], want[i]);
        if (d > worst) worst = d;
    }
    print_message("%s: %d x %d x %d outputs, worst difference %g\n", model, oc, oh, ow, worst);
    free(in);
    free(want);
    free(got);
    recog__net_fini(&net);
}

static void test_detector_matches_torch(void **state) {
    (void)state;
    check("detector.pkm", "detector");
}

/* Further readers of the ensemble (reader-2.pkm ..), each with its own fixture. */
static void test_more_readers_match_torch(void **state) {
    (void)state;
    for (int k = 2; k <= RECOG__MAX_READERS; k++) {
        char model[32], fx[32], path[1024];
        snprintf(model, sizeof model, "reader-%d.pkm", k);
        snprintf(fx, sizeof fx, "reader-%d", k);
        snprintf(path, sizeof path, "%s/models/%s", tu_root(), model);
        FILE *f = fopen(path, "rb");
        if (!f) break;
        fclose(f);
        check(model, fx);
    }
}

static void test_reader_matches_torch(void **state) {
    (void)state;
    check("reader.pkm", "reader");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detector_matches_torch),
        cmocka_unit_test(test_reader_matches_torch),
        cmocka_unit_test(test_more_readers_match_torch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

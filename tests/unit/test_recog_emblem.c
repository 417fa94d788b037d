/* A specialty plate's emblem read as a character at the plate's edge is left out of the reading
 * (src/recog/emblem.c): the test itself on a drawn plate with made-up reader output. (A real
 * plate read by the engine was the second case until the stage-6 reader, which reads Iowa's
 * wheelchair symbol surer than the test's 0.7 and so leaves no real crop for the test to change:
 * models/MODEL_CARD.md.) */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recog/recog.h"
#include "recog/recog_int.h"

#define ALPHA "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define T     32
#define C     37

/* The plate box of the drawn image, and where its six characters stand in the reader's crop of
 * it (the first crop variant: widened 4% and 7%, 128 x 32, one output column per 4 pixels). */
static const float BX0 = 40, BY0 = 40, BX1 = 360, BY1 = 200, GX = 0.04f, GY = 0.07f;
static const int COLS[6] = {6, 10, 14, 18, 22, 26};

/* A light 400 x 240 image with six dark characters in the box; the character at index short_at
 * (-1: none) a third as tall as the others. */
static recog_image drawn(int short_at) {
    recog_image img = {400, 240, malloc(400 * 240)};
    memset(img.px, 220, 400 * 240);
    float x0 = BX0 - GX * (BX1 - BX0), scale = (BX1 - BX0) * (1 + 2 * GX) / 128;
    for (int i = 0; i < 6; i++) {
        int cx = (int)lroundf(x0 + (float)(COLS[i] * 4 + 2) * scale);
        int top = i == short_at ? 100 : 60, bottom = i == short_at ? 140 : 180;
        for (int y = top; y < bottom; y++)
            for (int x = cx - 10; x <= cx + 10; x++) img.px[y * 400 + x] = 30;
    }
    return img;
}

/* Reader output spelling text at COLS, each character with probability p except the one at
 * index weak_at, which gets weak_p (the rest of each column is the blank). */
static void spell(float *probs, const char *text, float p, int weak_at, float weak_p) {
    for (int t = 0; t < T; t++) {
        memset(probs + t * C, 0, sizeof(float) * C);
        probs[t * C] = 1;
    }
    for (int i = 0; text[i]; i++) {
        float q = i == weak_at ? weak_p : p;
        float *col = probs + COLS[i] * C;
        col[0] = 1 - q;
        col[strchr(ALPHA, text[i]) - ALPHA + 1] = q;
    }
}

static int test_at(const recog_image *img, const float *probs, const char *plate, float x1,
                   float *p_e) {
    recog__net rd;
    memset(&rd, 0, sizeof rd);
    rd.in_h = 32;
    rd.in_w = 128;
    rd.n_alpha = 36;
    memcpy(rd.alphabet, ALPHA, sizeof ALPHA);
    return recog__edge_emblem(&rd, img, BX0, BY0, x1, BY1, 0, 0, GX, GY, probs, T, C, plate, p_e);
}

static void test_drawn_emblem(void **state) {
    (void)state;
    float probs[T * C], p_e = 0;
    recog_image first = drawn(0), last = drawn(5), none = drawn(-1);
    /* A short first character the reader doubts is an emblem; so is a short last one. */
    spell(probs, "LJ0518", 0.99f, 0, 0.55f);
    assert_int_equal(test_at(&first, probs, "LJ0518", BX1, &p_e), 0);
    assert_true(fabsf(p_e - 0.55f) < 1e-4f);
    spell(probs, "2678HH", 0.99f, 5, 0.6f);
    assert_int_equal(test_at(&last, probs, "2678HH", BX1, &p_e), 5);
    /* Not when the reader is sure of it, when it stands as tall as the rest, when the best path
     * does not spell the reading, or when the plate is too small to measure. */
    spell(probs, "LJ0518", 0.99f, 0, 0.9f);
    assert_int_equal(test_at(&first, probs, "LJ0518", BX1, &p_e), -1);
    spell(probs, "LJ0518", 0.99f, 0, 0.55f);
    assert_int_equal(test_at(&none, probs, "LJ0518", BX1, &p_e), -1);
    assert_int_equal(test_at(&first, probs, "J0518", BX1, &p_e), -1);
    assert_int_equal(test_at(&first, probs, "LJ0517", BX1, &p_e), -1);
    assert_int_equal(test_at(&first, probs, "LJ0518", BX0 + 140, &p_e), -1);
    /* A doubted short character inside the plate is not at an edge. */
    spell(probs, "LJ0518", 0.99f, 2, 0.55f);
    recog_image mid = drawn(2);
    assert_int_equal(test_at(&mid, probs, "LJ0518", BX1, &p_e), -1);
    free(first.px);
    free(last.px);
    free(none.px);
    free(mid.px);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drawn_emblem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

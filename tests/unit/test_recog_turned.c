/* recog: a plate turned in the picture (a camera that rolls, a plate bolted on crooked) is read
 * right. Its first box is often a character short at one end, since the detector learnt upright
 * plates; a doubtful reading gets a second look in the box refined once more (recog.c
 * second_look). Labelled unseen US scenes turned 10 degrees about the plate's centre and saved
 * as JPEG at quality 90, as `make bench-recog` turns them. Skipped without the labelled data
 * beside the checkout. Also a plate whose first box read too unsure to report (the second look
 * rescues it). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recog/recog.h"
#include "tu_image.h"

static const struct {
    const char *file, *plate;
    float cx, cy, degrees; /* the label box's centre; counter-clockwise */
} turned[] = {
    /* One look read these 5B3X6N and MIC249. */
    {"car18.jpg", "SB3X6N", 119.0f, 208.5f, -10.0f},
    {"wts-lg-000072.jpg", "WTC249", 969.5f, 520.5f, -10.0f},
    /* These read right either way: the second look must not spoil them. */
    {"wts-lg-000134.jpg", "6WAW786", 674.0f, 300.5f, -10.0f},
    {"wts-lg-000097.jpg", "R589789", 662.0f, 575.5f, 10.0f},
};

/* img turned about (cx, cy), bilinear, the corners filled with the nearest edge. OUT: *out. */
static void turn(const recog_image *img, float cx, float cy, float degrees, recog_image *out) {
    float a = degrees * (float)M_PI / 180.0f, c = cosf(a), s = sinf(a);
    out->width = img->width;
    out->height = img->height;
    out->px = malloc((size_t)img->width * img->height);
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            /* Where this output pixel comes from, turning back the other way (y grows down). */
            float dx = x - cx, dy = y - cy;
            float sx = cx + c * dx - s * dy, sy = cy + s * dx + c * dy;
            int ix = (int)floorf(sx), iy = (int)floorf(sy);
            float fx = sx - ix, fy = sy - iy, v = 0;
            for (int k = 0; k < 4; k++) {
                int px = ix + (k & 1), py = iy + (k >> 1);
                px = px < 0 ? 0 : px >= img->width ? img->width - 1 : px;
                py = py < 0 ? 0 : py >= img->height ? img->height - 1 : py;
                float wgt = ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy);
                v += wgt * img->px[(size_t)py * img->width + px];
            }
            out->px[(size_t)y * out->width + x] = (uint8_t)lroundf(v);
        }
}

static void test_turned_plates(void **state) {
    (void)state;
    pk_err err;
    recog *r = NULL;
    char models[1024];
    tu_models_dir(models, sizeof models);
    assert_int_equal(recog_open(models, &r, &err), PK_OK);
    int read = 0;
    for (size_t i = 0; i < sizeof turned / sizeof turned[0]; i++) {
        char path[1200];
        tu_us_scene(path, sizeof path, turned[i].file);
        recog_image img, t;
        if (recog_image_load(path, 0, &img, &err) != PK_OK) {
            recog_free(r);
            skip();
        }
        recog_image raw;
        turn(&img, turned[i].cx, turned[i].cy, turned[i].degrees, &raw);
        size_t len;
        unsigned char *jpg = tu_jpeg_grey(raw.px, raw.width, raw.height, 90, &len);
        assert_int_equal(recog_image_decode(jpg, len, "turned.jpg", 0, &t, &err), PK_OK);
        free(jpg);
        recog_image_fini(&raw);
        recog_params p;
        recog_params_init(&p);
        recog_result res;
        assert_int_equal(recog_run(r, &t, &p, &res, &err), PK_OK);
        int found = 0;
        for (int k = 0; k < res.n; k++) found |= !strcmp(res.plates[k].plate, turned[i].plate);
        if (!found)
            print_message("%s turned %.0f: %s not read (%d plates, first %s)\n", turned[i].file,
                          turned[i].degrees, turned[i].plate, res.n,
                          res.n ? res.plates[0].plate : "-");
        read += found;
        recog_result_fini(&res);
        recog_image_fini(&t);
        recog_image_fini(&img);
    }
    recog_free(r);
    assert_int_equal(read, 4);
}

/* img shrunk by f (< 1) with a triangle filter as wide as the step, as PIL's bilinear resize
 * does when it shrinks. OUT: *out. */
static void shrink(const recog_image *img, float f, recog_image *out) {
    int w = (int)(img->width * f), h = (int)(img->height * f);
    out->width = w;
    out->height = h;
    out->px = malloc((size_t)w * h);
    float *tmp = malloc(sizeof(float) * (size_t)w * img->height); /* rows done, columns not */
    float r = 1.0f / f; /* the filter's half-width in source pixels */
    for (int pass = 0; pass < 2; pass++) {
        int n_out = pass ? h : w, n_in = pass ? img->height : img->width;
        int lines = pass ? w : img->height;
        for (int o = 0; o < n_out; o++) {
            float c = (o + 0.5f) * r;
            int lo = (int)floorf(c - r), hi = (int)ceilf(c + r);
            for (int line = 0; line < lines; line++) {
                float v = 0, sum = 0;
                for (int i = lo < 0 ? 0 : lo; i < hi && i < n_in; i++) {
                    float wgt = 1.0f - fabsf(i + 0.5f - c) / r;
                    if (wgt <= 0) continue;
                    v += wgt * (pass ? tmp[(size_t)i * w + line]
                                     : img->px[(size_t)line * img->width + i]);
                    sum += wgt;
                }
                if (pass)
                    out->px[(size_t)o * w + line] = (uint8_t)lroundf(v / sum);
                else
                    tmp[(size_t)line * w + o] = v / sum;
            }
        }
    }
    free(tmp);
}

/* A plate whose first box reads under the minimum confidence, so that it would not be reported,
 * gets the second look too, and is reported when the moved box reads it far surer: the training
 * half's us8.jpg shrunk to 0.7 (a 230-px plate) was reported without a plate before, and is read
 * EAZ6913 at 100% now. Among all 111 US scenes shrunk so to 0.7, 0.75, 0.8, 0.85 and 0.9 it is
 * the only reading that changed. */
static void test_second_look_rescues(void **state) {
    (void)state;
    pk_err err;
    recog *r = NULL;
    char models[1024], path[1200];
    tu_models_dir(models, sizeof models);
    assert_int_equal(recog_open(models, &r, &err), PK_OK);
    tu_us_scene(path, sizeof path, "us8.jpg");
    recog_image img, small, t;
    if (recog_image_load(path, 0, &img, &err) != PK_OK) {
        recog_free(r);
        skip();
    }
    shrink(&img, 0.7f, &small);
    size_t len;
    unsigned char *jpg = tu_jpeg_grey(small.px, small.width, small.height, 90, &len);
    assert_int_equal(recog_image_decode(jpg, len, "small.jpg", 0, &t, &err), PK_OK);
    free(jpg);
    recog_params p;
    recog_params_init(&p);
    recog_result res;
    assert_int_equal(recog_run(r, &t, &p, &res, &err), PK_OK);
    assert_int_equal(res.n, 1);
    assert_string_equal(res.plates[0].plate, "EAZ6913");
    assert_true(res.plates[0].confidence >= p.min_confidence + 20);
    recog_result_fini(&res);
    recog_image_fini(&t);
    recog_image_fini(&small);
    recog_image_fini(&img);
    recog_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_turned_plates),
        cmocka_unit_test(test_second_look_rescues),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

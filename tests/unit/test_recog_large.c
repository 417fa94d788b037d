/* recog: a large frame (a 4K camera's) is scanned finely enough that plates as small in pixels
 * as a 1280x720 scene's are still found (recog.c detect_size), and a plate that fills the
 * picture (a close-up, a photo of the plate itself) is found too (detect.c's third pass). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recog/recog.h"

/* Nine unseen labelled 1280x720 scenes tiled 3 x 3 into one 3840x2160 frame. */
static const struct {
    const char *file, *plate;
} tiles[9] = {
    {"22e54a62-57a8-4a0a-88c1-4b9758f67651.jpg", "SL7C6S"},
    {"33fa5185-0286-4e8f-b775-46162eba39d4.jpg", "R820503"},
    {"5b562a61-34ad-4f00-9164-d34abb7a38e4.jpg", "91A4ZA"},
    {"us1.jpg", "4PCI264"},
    {"wts-lg-000018.jpg", "CG2H2U"},
    {"wts-lg-000031.jpg", "FE9N6K"},
    {"wts-lg-000033.jpg", "PK2V6M"},
    {"wts-lg-000037.jpg", "RDN464"},
    {"wts-lg-000047.jpg", "CLT0108"},
};

static int plates_read(const recog *r, const recog_image *frame, int det_size) {
    recog_params p;
    recog_params_init(&p);
    p.det_size = det_size;
    recog_result res;
    pk_err err;
    assert_int_equal(recog_run(r, frame, &p, &res, &err), PK_OK);
    int n = 0;
    for (int t = 0; t < 9; t++)
        for (int k = 0; k < res.n; k++)
            if (!strcmp(res.plates[k].plate, tiles[t].plate)) {
                n++;
                break;
            }
    recog_result_fini(&res);
    return n;
}

/* Skipped without the labelled data beside the checkout. */
static void test_4k_frame(void **state) {
    (void)state;
    recog_image frame = {3840, 2160, calloc((size_t)3840 * 2160, 1)};
    pk_err err;
    for (int t = 0; t < 9; t++) {
        char path[1200];
        tu_us_scene(path, sizeof path, tiles[t].file);
        recog_image img;
        if (recog_image_load(path, 0, &img, &err) != PK_OK) {
            free(frame.px);
            skip();
        }
        assert_int_equal(img.width, 1280);
        assert_int_equal(img.height, 720);
        for (int y = 0; y < 720; y++)
            memcpy(frame.px + (size_t)((t / 3) * 720 + y) * 3840 + (t % 3) * 1280,
                   img.px + (size_t)y * 1280, 1280);
        recog_image_fini(&img);
    }
    char models[1100];
    tu_models_dir(models, sizeof models);
    recog *r = NULL;
    assert_int_equal(recog_open(models, &r, &err), PK_OK);
    int fine = plates_read(r, &frame, 0), coarse = plates_read(r, &frame, 768);
    print_message("4K frame: %d of 9 plates read by default, %d at 768\n", fine, coarse);
    if (fine < 6 || fine < coarse + 3)
        fail_msg("4K frame: %d of 9 plates read by default, %d at 768", fine, coarse);
    recog_free(r);
    free(frame.px);
}

/* Plate crops of the benchmark (the plate about 90% of the picture's width) read as scenes: the
 * plate is found, read, and boxed across most of the picture. Skipped without the data. */
static void test_plate_fills_picture(void **state) {
    (void)state;
    static const struct {
        const char *file, *plate;
    } crops[] = {{"ak1165.png", "FUW999"}, {"ia396.png", "J0518"}};
    char models[1100];
    tu_models_dir(models, sizeof models);
    recog *r = NULL;
    pk_err err;
    assert_int_equal(recog_open(models, &r, &err), PK_OK);
    for (size_t i = 0; i < sizeof crops / sizeof crops[0]; i++) {
        char rel[256], path[1200];
        snprintf(rel, sizeof rel, "seg_and_ocr/usimages/%s", crops[i].file);
        tu_bench_file(path, sizeof path, rel);
        recog_image img;
        if (recog_image_load(path, 0, &img, &err) != PK_OK) {
            recog_free(r);
            skip();
        }
        recog_params p;
        recog_params_init(&p);
        recog_result res;
        assert_int_equal(recog_run(r, &img, &p, &res, &err), PK_OK);
        assert_true(res.n >= 1);
        assert_string_equal(res.plates[0].plate, crops[i].plate);
        float x, y, w, h;
        recog_plate_bounds(&res.plates[0], &x, &y, &w, &h);
        assert_true(w > 0.8f * (float)img.width);
        recog_result_fini(&res);
        recog_image_fini(&img);
    }
    recog_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_4k_frame),
        cmocka_unit_test(test_plate_fills_picture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

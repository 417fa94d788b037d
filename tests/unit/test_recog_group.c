/* recog: plate groups (group.c): frames' plates merged into one result per vehicle, on made-up
 * frame results (the rules) and on a video made from a real scene (the whole path). */
#include "testutil.h"
#include "tu_video.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recog/recog.h"

#define MAX_GROUPS 32

typedef struct closed {
    int n;
    recog_group g[MAX_GROUPS];
} closed;

static void on_group(void *ctx, const recog_group *g) {
    closed *c = ctx;
    assert_true(c->n < MAX_GROUPS);
    c->g[c->n++] = *g;
}

/* A plate reading best and its alternatives, each "TEXT:CONF". */
static recog_plate plate_of(const char *best, float conf, const char *alt, float alt_conf,
                            const char *region, float region_conf) {
    recog_plate p;
    memset(&p, 0, sizeof p);
    snprintf(p.plate, sizeof p.plate, "%s", best);
    p.confidence = conf;
    p.cand[0].confidence = conf;
    memcpy(p.cand[0].plate, p.plate, sizeof p.plate);
    p.n_cand = 1;
    if (alt) {
        snprintf(p.cand[1].plate, sizeof p.cand[1].plate, "%s", alt);
        p.cand[1].confidence = alt_conf;
        p.n_cand = 2;
    }
    if (region) snprintf(p.region, sizeof p.region, "%s", region);
    p.region_confidence = region_conf;
    return p;
}

static void add(recog_grouper *gr, closed *c, long frame, double ms, recog_plate *plates, int n) {
    recog_result res = {n, plates, 0};
    recog_grouper_add(gr, &res, frame, ms, on_group, c);
}

static const recog_group *find(const closed *c, const char *plate) {
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->g[i].plate, plate)) return &c->g[i];
    return NULL;
}

static void test_group_rules(void **state) {
    (void)state;
    recog_grouper *gr = recog_grouper_new(5, 1500);
    closed c = {0};
    /* One car over five frames, read a little differently in two of them; a second car in
     * frames 2 and 3; a frame in between that reads nothing. */
    recog_plate f0[] = {plate_of("CWW2245", 90, NULL, 0, "tx", 99)};
    recog_plate f1[] = {plate_of("CWW2Z45", 70, "CWW2245", 60, NULL, 0)};
    recog_plate f2[] = {plate_of("7ABC123", 80, NULL, 0, NULL, 0),
                        plate_of("CWW2245", 85, NULL, 0, "ok", 60)};
    recog_plate f3[] = {plate_of("CWW22A5", 50, "CWW2245", 45, "tx", 90),
                        plate_of("7ABC1Z3", 75, "7ABC123", 70, NULL, 0)};
    add(gr, &c, 0, 0, f0, 1);
    add(gr, &c, 10, 100, f1, 1);
    add(gr, &c, 20, 200, f2, 2);
    add(gr, &c, 30, 300, f3, 2);
    add(gr, &c, 40, 400, NULL, 0);
    assert_int_equal(c.n, 0); /* nothing closes within the gap */
    /* 1.6 s after the second car was last read: it is done (the first too: last at 300 ms). */
    recog_plate f5[] = {plate_of("CWW2245", 88, NULL, 0, NULL, 0)};
    add(gr, &c, 190, 1900, f5, 1);
    assert_int_equal(c.n, 2);
    const recog_group *a = find(&c, "CWW2245"), *b = find(&c, "7ABC123");
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->n_frames, 4);
    assert_int_equal(a->frame_start, 0);
    assert_int_equal(a->frame_end, 30);
    assert_true(a->time_start_ms == 0 && a->time_end_ms == 300);
    /* CWW2245: 90 + 60 + 85 + 45 over 4 frames. */
    assert_true(fabsf(a->confidence - 70.0f) < 1e-3f);
    assert_true(a->n_cand == 3 && !strcmp(a->cand[1].plate, "CWW2Z45") &&
                !strcmp(a->cand[2].plate, "CWW22A5"));
    assert_true(a->cand[1].confidence < a->confidence);
    /* tx read twice (99 + 90), ok once. */
    assert_string_equal(a->region, "tx");
    assert_true(fabsf(a->region_confidence - 189.0f / 4) < 1e-3f);
    assert_int_equal(a->best_frame, 0); /* the surest frame */
    assert_string_equal(a->best.plate, "CWW2245");
    /* The second car: 7ABC1Z3 read first in frame 3 but 7ABC123 leads on the sum (80 + 70). */
    assert_int_equal(b->n_frames, 2);
    assert_true(b->frame_start == 20 && b->frame_end == 30);
    assert_true(fabsf(b->confidence - 75.0f) < 1e-3f);
    assert_string_equal(b->region, "");
    /* The same plate after the gap is a new pass. */
    recog_grouper_finish(gr, on_group, &c);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.g[2].plate, "CWW2245");
    assert_int_equal(c.g[2].frame_start, 190);
    assert_int_equal(c.g[2].n_frames, 1);
    recog_grouper_finish(gr, on_group, &c);
    assert_int_equal(c.n, 3);
    recog_grouper_free(gr);

    /* One edit apart (a character dropped) is the same plate; two apart with nothing shared
     * is not; two plates of one frame never join one group. */
    gr = recog_grouper_new(5, 1500);
    memset(&c, 0, sizeof c);
    recog_plate g0[] = {plate_of("ABC1234", 90, NULL, 0, NULL, 0)};
    recog_plate g1[] = {plate_of("ABC123", 60, NULL, 0, NULL, 0),
                        plate_of("ABC1234", 80, NULL, 0, NULL, 0)};
    recog_plate g2[] = {plate_of("XBC12Z4", 70, NULL, 0, NULL, 0)};
    add(gr, &c, 0, 0, g0, 1);
    add(gr, &c, 1, 40, g1, 2);
    add(gr, &c, 2, 80, g2, 1);
    recog_grouper_finish(gr, on_group, &c);
    assert_int_equal(c.n, 3);
    const recog_group *x = find(&c, "ABC1234");
    assert_non_null(x);
    assert_int_equal(x->n_frames, 2);
    assert_non_null(find(&c, "ABC123"));
    assert_non_null(find(&c, "XBC12Z4"));
    recog_grouper_free(gr);

    /* More plates at once than the grouper follows: the oldest groups close to make room, and
     * every plate still comes out once. */
    gr = recog_grouper_new(3, 1500);
    memset(&c, 0, sizeof c);
    recog_plate many[20];
    for (int i = 0; i < 20; i++) {
        char t[16];
        snprintf(t, sizeof t, "%c%c%c%03d", 'A' + i, 'A' + i, 'A' + i, i * 37);
        many[i] = plate_of(t, 80, NULL, 0, NULL, 0);
    }
    add(gr, &c, 0, 0, many, 20);
    assert_true(c.n >= 4);
    recog_grouper_finish(gr, on_group, &c);
    assert_int_equal(c.n, 20);
    for (int i = 0; i < 20; i++) assert_non_null(find(&c, many[i].plate));
    recog_grouper_free(gr);
}

/* --- the whole path: a video made from a labelled scene, the camera panning past the car --- */

#define VW 960
#define VH 540

typedef struct pass {
    const recog_image *img;
    int n; /* frames with the car; grey after */
} pass;

/* A VW x VH window of the scene moving right by 8 px a frame, then grey frames. */
static void pass_frame(void *ctx, int i, uint8_t *luma, int stride, int w, int h) {
    const pass *p = ctx;
    int ox = 8 * i, oy = 100;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            luma[y * stride + x] =
                i < p->n ? p->img->px[(size_t)(y + oy) * p->img->width + x + ox] : 128;
}

typedef struct reading {
    const recog *r;
    recog_grouper *gr;
    closed c;
    int frames;
} reading;

static int on_frame(void *ctx, const recog_image *frame, long index, double ms) {
    reading *rd = ctx;
    recog_params p;
    recog_params_init(&p);
    recog_result res;
    pk_err err;
    assert_int_equal(recog_run(rd->r, frame, &p, &res, &err), PK_OK);
    recog_grouper_add(rd->gr, &res, index, ms, on_group, &rd->c);
    recog_result_fini(&res);
    rd->frames++;
    return 0;
}

static void test_group_video(void **state) {
    (void)state;
    char scene[1024], models[1024];
    tu_us_scene(scene, sizeof scene, "wts-lg-000144.jpg");
    FILE *probe = fopen(scene, "rb");
    if (!probe) skip();
    fclose(probe);
    tu_models_dir(models, sizeof models);
    recog_image img;
    pk_err err;
    assert_int_equal(recog_image_load(scene, 0, &img, &err), PK_OK);
    assert_true(img.width == 1280 && img.height == 720);
    char *dir = tu_tempdir(), path[1100];
    snprintf(path, sizeof path, "%s/pass.avi", dir);
    pass ps = {&img, 8}; /* 8 frames with the car, then 0.4 s without */
    tu_write_video(path, VW, VH, 12, 5, pass_frame, &ps);
    recog_image_fini(&img);

    reading rd;
    memset(&rd, 0, sizeof rd);
    assert_int_equal(recog_open(models, (recog **)&rd.r, &err), PK_OK);
    rd.gr = recog_grouper_new(5, 1500);
    assert_int_equal(recog_video_frames(path, 1, 0, on_frame, &rd, &err), PK_OK);
    recog_grouper_finish(rd.gr, on_group, &rd.c);
    assert_int_equal(rd.frames, 12);
    /* One pass, one group: the plate (CWW2245, Texas) read in (nearly) every frame with it. */
    const recog_group *g = find(&rd.c, "CWW2245");
    if (!g)
        fail_msg("no CWW2245 group among %d (first %s)", rd.c.n, rd.c.n ? rd.c.g[0].plate : "-");
    assert_true(g->n_frames >= 6);
    assert_true(g->frame_start <= 1 && g->frame_end >= 6 && g->frame_end <= 7);
    assert_string_equal(g->region, "tx");
    for (int i = 0; i < rd.c.n; i++)
        if (&rd.c.g[i] != g && rd.c.g[i].n_frames > 1)
            fail_msg("a second group of %d frames: %s", rd.c.g[i].n_frames, rd.c.g[i].plate);

    /* The alpr_group object. */
    json_t *o = recog_group_json(g, 5, 1700000000000LL);
    assert_string_equal(json_string_value(json_object_get(o, "data_type")), "alpr_group");
    assert_string_equal(json_string_value(json_object_get(o, "best_plate_number")), "CWW2245");
    assert_string_equal(json_string_value(json_object_get(o, "best_region")), "tx");
    assert_int_equal(json_integer_value(json_object_get(o, "frames_read")), g->n_frames);
    assert_int_equal(json_integer_value(json_object_get(o, "epoch_start")),
                     1700000000000LL + (json_int_t)g->time_start_ms);
    json_t *best = json_object_get(o, "best_plate");
    assert_string_equal(json_string_value(json_object_get(best, "plate")), "CWW2245");
    assert_int_equal(json_integer_value(json_object_get(best, "frame")), g->best_frame);
    assert_true(json_array_size(json_object_get(o, "candidates")) >= 1);
    json_decref(o);

    recog_grouper_free(rd.gr);
    recog_free((recog *)rd.r);
    tu_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_rules),
        cmocka_unit_test(test_group_video),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

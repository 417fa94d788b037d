/* recog: video input (a small MPEG-4 file the test encodes itself), unsupported video, and
 * the engine used from several threads at once. */
#include "testutil.h"
#include "tu_video.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recog/recog.h"

#define VW      160
#define VH      120
#define NFRAMES 12

/* A moving gradient. */
static void gradient(void *ctx, int i, uint8_t *luma, int stride, int w, int h) {
    (void)ctx;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) luma[y * stride + x] = (uint8_t)(x + i * 8);
}

static void write_video(const char *path) {
    tu_write_video(path, VW, VH, NFRAMES, 4, gradient, NULL);
}

typedef struct seen {
    int n;
    long index[NFRAMES];
    double ms[NFRAMES];
    int w, h;
} seen;

static int on_frame(void *ctx, const recog_image *fr, long index, double ms) {
    seen *s = ctx;
    s->index[s->n] = index;
    s->ms[s->n] = ms;
    s->w = fr->width;
    s->h = fr->height;
    s->n++;
    return 0;
}

static void test_video_frames(void **state) {
    (void)state;
    char *dir = tu_tempdir();
    char path[1024];
    snprintf(path, sizeof path, "%s/clip.avi", dir);
    write_video(path);
    assert_true(recog_is_video_name(path));
    assert_false(recog_is_video_name("car.jpg"));
    seen s;
    memset(&s, 0, sizeof s);
    pk_err err;
    assert_int_equal(recog_video_frames(path, 5, 0, on_frame, &s, &err), PK_OK);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.index[0], 0);
    assert_int_equal(s.index[1], 5);
    assert_int_equal(s.index[2], 10);
    assert_true(s.ms[1] > s.ms[0] && s.ms[2] > s.ms[1]);
    assert_int_equal(s.w, VW);
    assert_int_equal(s.h, VH);
    /* The same file read from memory (an upload) gives the same frames. */
    FILE *vf = fopen(path, "rb");
    assert_non_null(vf);
    fseek(vf, 0, SEEK_END);
    long vlen = ftell(vf);
    fseek(vf, 0, SEEK_SET);
    unsigned char *vbuf = malloc((size_t)vlen);
    assert_int_equal(fread(vbuf, 1, (size_t)vlen, vf), (size_t)vlen);
    fclose(vf);
    seen m;
    memset(&m, 0, sizeof m);
    assert_int_equal(recog_video_frames_mem(vbuf, (size_t)vlen, "upload", 5, 0, on_frame, &m, &err),
                     PK_OK);
    assert_int_equal(m.n, s.n);
    for (int i = 0; i < m.n; i++) {
        assert_int_equal(m.index[i], s.index[i]);
        assert_true(m.ms[i] == s.ms[i]);
    }
    /* Empty, cut short, or not a video: refused, naming the upload. */
    assert_int_equal(recog_video_frames_mem(vbuf, 0, "upload", 1, 0, on_frame, &m, &err),
                     PK_EINVAL);
    assert_non_null(strstr(err.msg, "upload"));
    memset(&m, 0, sizeof m);
    int cut = recog_video_frames_mem(vbuf, 200, "upload", 1, 0, on_frame, &m, &err);
    assert_true(cut == PK_EUNSUPPORTED || (cut == PK_OK && m.n == 0));
    if (cut) assert_non_null(strstr(err.msg, "upload"));
    memset(vbuf, 'x', 4096);
    assert_int_equal(recog_video_frames_mem(vbuf, 4096, "upload", 1, 0, on_frame, &m, &err),
                     PK_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "upload"));
    free(vbuf);
    /* Frames over the pixel limit are refused. */
    memset(&s, 0, sizeof s);
    assert_int_equal(recog_video_frames(path, 1, 100, on_frame, &s, &err), PK_ELIMIT);
    /* A text file named like a video. */
    snprintf(path, sizeof path, "%s/notes.mp4", dir);
    FILE *f = fopen(path, "w");
    fputs("not a video at all\n", f);
    fclose(f);
    int rc = recog_video_frames(path, 1, 0, on_frame, &s, &err);
    assert_int_equal(rc, PK_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "notes.mp4"));
    assert_int_equal(recog_video_frames("/nonexistent/x.mp4", 1, 0, on_frame, &s, &err), PK_EIO);
    tu_rmtree(dir);
    free(dir);
}

typedef struct job {
    const recog *r;
    const recog_image *img;
    int n;
    char first[RECOG_PLATE_MAX];
    int rc;
} job;

static void *worker(void *arg) {
    job *j = arg;
    recog_params p;
    recog_params_init(&p);
    for (int k = 0; k < 3; k++) {
        recog_result res;
        pk_err err;
        j->rc |= recog_run(j->r, j->img, &p, &res, &err);
        j->n = res.n;
        snprintf(j->first, sizeof j->first, "%s", res.n ? res.plates[0].plate : "");
        recog_result_fini(&res);
    }
    return NULL;
}

static void test_threads(void **state) {
    (void)state;
    char dir[1024];
    tu_models_dir(dir, sizeof dir);
    recog *r;
    pk_err err;
    assert_int_equal(recog_open(dir, &r, &err), PK_OK);
    /* A dark rectangle with bright bars: plate-ish enough to exercise the reader sometimes. */
    recog_image img = {320, 240, malloc(320 * 240)};
    for (int y = 0; y < 240; y++)
        for (int x = 0; x < 320; x++)
            img.px[y * 320 + x] = (x > 100 && x < 220 && y > 100 && y < 160)
                                      ? ((x / 9) % 2 ? 20 : 230)
                                      : (uint8_t)(y / 2);
    job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){.r = r, .img = &img};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(jobs[i].rc, 0);
        assert_int_equal(jobs[i].n, jobs[0].n);
        assert_string_equal(jobs[i].first, jobs[0].first);
    }
    free(img.px);
    recog_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_video_frames),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

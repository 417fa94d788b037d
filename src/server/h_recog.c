/*
 * h_recog.c: POST /api/v1/recognize: the plates in one uploaded image, and
 * POST /api/v1/recognize/video: those of a video clip, one group per vehicle (docs/api.md).
 *
 * The body is the image itself (JPEG or PNG, told apart by content); the answer is the object
 * `platekeeper read -j` prints, OpenALPR's shape. Nothing is stored and no stored data is read,
 * so there is no purpose or access-log entry: the caller turns a reading into a search, which
 * goes through the gate like any other.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/isolate.h"
#include "server/server_int.h"

#define RECOG_BODY_MAX ((size_t)32 << 20)

/* The recognition parameters both routes take (country, topn, region, detect_region) into *p.
 * Returns 1 when it has answered the request with an error, else 0. */
static int params_from(server_req *r, recog_params *p) {
    recog_params_init(p);
    const char *country = server__query(r, "country");
    if (country && !strcmp(country, "eu"))
        p->country = RECOG_EU;
    else if (country && strcmp(country, "us"))
        return server__reply_error(r, 400, "invalid", "country: expected us or eu"), 1;
    /* region: the US state whose standard formats rank the readings (read -p). */
    pk_err rerr;
    pk_err_clear(&rerr);
    if (recog_params_set_region(p, server__query(r, "region"), &rerr))
        return server__reply_error(r, 400, "invalid", "region: %s", rerr.msg), 1;
    if (p->region[0] && p->country != RECOG_US)
        return server__reply_error(r, 400, "invalid",
                                   "region: state formats are for US plates (country=us) only"),
               1;
    int64_t topn;
    if (server__query_i64(r, "topn", 1, RECOG_MAX_TOPN, 10, &topn)) return 1;
    p->topn = (int)topn;
    /* detect_region=0 skips telling each plate's state from its printed name (read --no-region). */
    int64_t detect;
    if (server__query_i64(r, "detect_region", 0, 1, 1, &detect)) return 1;
    p->detect_region = (int)detect;
    if (!r->srv->rec)
        return server__reply_error(r, 503, "unavailable", "plate recognition is off: %s",
                                   r->srv->rec_why),
               1;
    return 0;
}

/* Runs fn on the upload in a child process (core/isolate.h) and returns its JSON answer; on
 * failure it has answered the request and returns NULL. What the decoders cannot read, or crash
 * on, is the caller's to fix (400); an image or frames over the pixel limit, or work past the
 * time limit, 413. */
static json_t *run_isolated(server_req *r, const char *what, pk_isolated_fn fn, void *arg,
                            int seconds) {
    pk_err err;
    pk_err_clear(&err);
    pk_isolate_limits lim = {seconds, 0};
    char *text = NULL;
    size_t len = 0;
    int rc = pk_isolate_run(what, fn, arg, &lim, &text, &len, &err);
    json_t *o = rc ? NULL : json_loadb(text, len, 0, NULL);
    free(text);
    if (!o) {
        if (!rc) rc = pk_err_set(&err, PK_ECORRUPT, "%s: the reading gave no usable answer", what);
        server__reply_pkerr(r, rc == PK_ELIMIT ? rc : PK_EINVAL, &err);
    }
    return o;
}

/* Runs in the child (pk_isolate_run): decodes and reads the uploaded image, answers the JSON
 * text. */
typedef struct image_work {
    server_req *r;
    const recog_params *p;
} image_work;

static int image_run(void *arg, char **out, size_t *out_len, pk_err *err) {
    image_work *w = arg;
    recog_image img;
    int rc = recog_image_decode(w->r->body, w->r->body_len, "image", 0, &img, err);
    if (rc) return rc;
    recog_result res;
    rc = recog_run(w->r->srv->rec, &img, w->p, &res, err);
    if (!rc) {
        json_t *o = recog_result_json(&img, &res, w->p->topn);
        *out = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!*out)
            rc = pk_err_set(err, PK_EINVAL, "image: the answer could not be written");
        else
            *out_len = strlen(*out);
    }
    recog_result_fini(&res);
    recog_image_fini(&img);
    return rc;
}

/* An image is decoded in a child process too (core/isolate.h; libjpeg-turbo, libpng and libexif
 * on bytes the uploader chose), for about a millisecond of fork per upload. */
#define IMAGE_SECONDS 60

static int recognize(server_req *r) {
    static const char *const allowed[] = {"country", "topn", "region", "detect_region", NULL};
    if (server__query_only(r, allowed)) return 0;
    recog_params p;
    if (params_from(r, &p)) return 0;
    if (!r->body || r->body_len == 0)
        return server__reply_error(r, 400, "invalid", "body: send the image (JPEG or PNG)");
    image_work w = {r, &p};
    json_t *o = run_isolated(r, "image", image_run, &w, IMAGE_SECONDS);
    return o ? server__reply_json(r, 200, o) : 0;
}

/* POST /api/v1/recognize/video: the plates of an uploaded video clip (dashcam, CCTV, a citizen's
 * phone), one group per vehicle pass as `read --group` gives. Read from memory: the upload is
 * never written to disk. A clip whose sampled frames pass VIDEO_MAX_FRAMES is read that far and
 * marked truncated, so one upload cannot hold a worker for long. */
#define VIDEO_BODY_MAX   ((size_t)128 << 20)
#define VIDEO_MAX_FRAMES 3000

typedef struct video_job {
    server_req *r;
    const recog_params *p;
    recog_grouper *grouper;
    json_t *groups;
    int64_t epoch_ms;
    long frames;
    int width, height, truncated;
    pk_err *err;
} video_job;

static void video_group(void *ctx, const recog_group *g) {
    video_job *j = ctx;
    json_array_append_new(j->groups, recog_group_json(g, j->p->topn, j->epoch_ms));
}

static int video_frame(void *ctx, const recog_image *frame, long index, double time_ms) {
    video_job *j = ctx;
    if (j->frames == VIDEO_MAX_FRAMES) {
        j->truncated = 1;
        return 1; /* stop; not an error */
    }
    recog_result res;
    int rc = recog_run(j->r->srv->rec, frame, j->p, &res, j->err);
    if (!rc) recog_grouper_add(j->grouper, &res, index, time_ms, video_group, j);
    recog_result_fini(&res);
    j->frames++;
    j->width = frame->width;
    j->height = frame->height;
    return rc;
}

/* What the child process gets: the request (its body and the engine, in the child's copy of
 * the server's memory) and the parsed parameters. */
typedef struct video_work {
    server_req *r;
    const recog_params *p;
    int every;
    double gap_ms;
} video_work;

/* Runs in the child (pk_isolate_run): decodes and reads the clip, answers the JSON text. */
static int video_run(void *arg, char **out, size_t *out_len, pk_err *err) {
    video_work *w = arg;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    video_job j = {.r = w->r,
                   .p = w->p,
                   .grouper = recog_grouper_new(w->p->topn, w->gap_ms),
                   .groups = json_array(),
                   .epoch_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000,
                   .err = err};
    int rc = recog_video_frames_mem(w->r->body, w->r->body_len, "video", w->every, 0, video_frame,
                                    &j, err);
    if (rc == 1 && j.truncated) rc = 0;
    if (rc) {
        recog_grouper_free(j.grouper);
        json_decref(j.groups);
        return rc;
    }
    recog_grouper_finish(j.grouper, video_group, &j);
    recog_grouper_free(j.grouper);
    json_t *o = json_pack("{s:s,s:I,s:i,s:i,s:b,s:o}", "data_type", "alpr_video", "frames_read",
                          (json_int_t)j.frames, "img_width", j.width, "img_height", j.height,
                          "truncated", j.truncated, "groups", j.groups);
    *out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!*out) return pk_err_set(err, PK_EINVAL, "video: the answer could not be written");
    *out_len = strlen(*out);
    return PK_OK;
}

/* The clip is decoded in a child process (core/isolate.h): FFmpeg's demuxers and decoders run on
 * bytes the uploader chose, and a memory-safety bug there must not reach the server. The limits
 * leave room for VIDEO_MAX_FRAMES frames at about 20 ms each. */
#define VIDEO_SECONDS 300

static int recognize_video(server_req *r) {
    static const char *const allowed[] = {"country", "topn",   "region", "detect_region",
                                          "every",   "gap_ms", NULL};
    if (server__query_only(r, allowed)) return 0;
    recog_params p;
    if (params_from(r, &p)) return 0;
    int64_t every, gap;
    if (server__query_i64(r, "every", 1, 1000, 10, &every)) return 0;
    if (server__query_i64(r, "gap_ms", 0, 600000, 1500, &gap)) return 0;
    if (!r->body || r->body_len == 0)
        return server__reply_error(r, 400, "invalid", "body: send the video file");
    double t0 = recog_now_ms();
    video_work w = {r, &p, (int)every, (double)gap};
    json_t *o = run_isolated(r, "video", video_run, &w, VIDEO_SECONDS);
    if (!o) return 0;
    json_object_set_new(o, "processing_time_ms", json_real(recog_now_ms() - t0));
    return server__reply_json(r, 200, o);
}

/* GET /api/v1/recognize/regions: the state codes `region` takes, for forms. */
static int regions(server_req *r) {
    static const char *const none[] = {NULL};
    if (server__query_only(r, none)) return 0;
    json_t *a = json_array();
    for (int i = 0; recog_region_code(i); i++)
        json_array_append_new(a, json_pack("{s:s,s:s}", "code", recog_region_code(i), "name",
                                           recog_region_name(recog_region_code(i))));
    return server__reply_json(r, 200, json_pack("{s:o}", "regions", a));
}

const server_route server__recog_routes[] = {
    {"GET", "/api/v1/recognize/regions", SR_ADMIN | SR_INVESTIGATOR | SR_OPERATOR, regions, 0},
    {"POST", "/api/v1/recognize", SR_ADMIN | SR_INVESTIGATOR | SR_OPERATOR, recognize,
     RECOG_BODY_MAX},
    {"POST", "/api/v1/recognize/video", SR_ADMIN | SR_INVESTIGATOR | SR_OPERATOR, recognize_video,
     VIDEO_BODY_MAX},
    {0},
};

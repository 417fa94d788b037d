/*
 * read.c: `platekeeper read [-j] [-n TOPN] [-c us|eu] [-p STATE] IMAGE|VIDEO...`: recognise plates
 * in images and video files. With -j, one OpenALPR-style JSON object per image (per sampled frame
 * for video), as `alpr -j` prints, plus "file" (and "frame", "frame_time_ms" for video).
 */
#include <ctype.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "recog/recog.h"

typedef struct read_ctx {
    const recog *eng;
    recog_params params;
    int json;
    int crop; /* --crop: each image is a plate crop, detection skipped */
    const char *file;
    int failed;
} read_ctx;

static void usage_text(FILE *f) {
    fprintf(
        f,
        "usage: platekeeper read [-j] [-n TOPN] [-c us|eu] [-p STATE] [--models DIR] [--every N]\n"
        "                        [--max-pixels N] [--threshold T] [--det-size N]\n"
        "                        [--min-confidence C] [--crop] [--timings] IMAGE|VIDEO...\n"
        "  -j             print OpenALPR-compatible JSON, one object per image or frame\n"
        "  -n TOPN        alternative readings per plate (1-%d, default 10)\n"
        "  -c us|eu       plate conventions (default us)\n"
        "  -p STATE       US state the plates are mostly from (two letters, e.g. ca): readings\n"
        "                 that fit its standard formats rank first and show matches_template\n"
        "  --regions      list the state codes -p knows, with their names\n"
        "  --models DIR   model directory (default $PLATEKEEPER_MODELS, ./models, or the\n"
        "                 models/ beside the binary's build directory)\n"
        "  --every N      for video, read every Nth frame (default 10)\n"
        "  --max-pixels N refuse images larger than N pixels (default %d)\n"
        "  --threshold T  detector score needed, 0-1 (default: the model's)\n"
        "  --det-size N   long side in pixels the scene is scaled to for detection\n"
        "                 (default 768 for us, 512 for eu)\n"
        "  --min-confidence C  report a plate only when its best reading is this sure,\n"
        "                 0-100 (default 45)\n"
        "  --crop         each image is one plate already cut out: read it, skip detection\n"
        "  --timings      print the model load time on stderr (model_load_ms=N)\n",
        RECOG_MAX_TOPN, RECOG_MAX_PIXELS_DEF);
}

static void print_result(read_ctx *c, const recog_image *img, const recog_result *res, long frame,
                         double frame_ms) {
    if (c->json) {
        json_t *o = recog_result_json(img, res, c->params.topn);
        json_object_set_new(o, "file", json_string(c->file));
        if (frame >= 0) {
            json_object_set_new(o, "frame", json_integer(frame));
            json_object_set_new(o, "frame_time_ms", json_real(frame_ms));
        }
        json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(o);
        return;
    }
    if (frame >= 0)
        printf("%s frame %ld (%.0f ms): %dx%d, %.1f ms, %d plate%s\n", c->file, frame, frame_ms,
               img->width, img->height, res->ms, res->n, res->n == 1 ? "" : "s");
    else
        printf("%s: %dx%d, %.1f ms, %d plate%s\n", c->file, img->width, img->height, res->ms,
               res->n, res->n == 1 ? "" : "s");
    for (int i = 0; i < res->n; i++) {
        const recog_plate *p = &res->plates[i];
        float x, y, w, h;
        recog_plate_bounds(p, &x, &y, &w, &h);
        printf("  %-10s %5.1f%%  at %d,%d %dx%d ", p->plate, p->confidence, (int)x, (int)y, (int)w,
               (int)h);
        if (c->params.region[0])
            printf("%s %c%c format ", p->cand[0].matches_template ? "fits" : "fits no",
                   toupper((unsigned char)c->params.region[0]),
                   toupper((unsigned char)c->params.region[1]));
        for (int k = 1; k < p->n_cand && k < 5; k++)
            printf("%s%s %.1f", k == 1 ? " also " : ", ", p->cand[k].plate, p->cand[k].confidence);
        printf("\n");
    }
}

/* --crop: the whole image is the plate. OUT: *res (one plate, or none when nothing was read). */
static int read_crop(read_ctx *c, const recog_image *img, recog_result *res, pk_err *err) {
    memset(res, 0, sizeof *res);
    res->plates = pk_xcalloc(1, sizeof *res->plates);
    int rc = recog_read_crop(c->eng, img, &c->params, &res->plates[0], err);
    if (rc) return rc;
    res->ms = res->plates[0].ms;
    res->n = res->plates[0].n_cand > 0;
    return PK_OK;
}

static int run_image(read_ctx *c, const recog_image *img, long frame, double frame_ms) {
    recog_result res;
    pk_err err;
    pk_err_clear(&err);
    int rc =
        c->crop ? read_crop(c, img, &res, &err) : recog_run(c->eng, img, &c->params, &res, &err);
    if (rc) {
        fprintf(stderr, "platekeeper read: %s: %s\n", c->file, err.msg);
        c->failed = 1;
        recog_result_fini(&res);
        return 0; /* go on with the next frame or file */
    }
    print_result(c, img, &res, frame, frame_ms);
    recog_result_fini(&res);
    return 0;
}

static int on_frame(void *ctx, const recog_image *frame, long index, double time_ms) {
    return run_image(ctx, frame, index, time_ms);
}

int cmd_read(int argc, char **argv) {
    static const struct option longopts[] = {{"models", required_argument, NULL, 'm'},
                                             {"every", required_argument, NULL, 'e'},
                                             {"max-pixels", required_argument, NULL, 'P'},
                                             {"regions", no_argument, NULL, 'R'},
                                             {"threshold", required_argument, NULL, 't'},
                                             {"crop", no_argument, NULL, 'C'},
                                             {"det-size", required_argument, NULL, 'D'},
                                             {"min-confidence", required_argument, NULL, 'M'},
                                             {"timings", no_argument, NULL, 'T'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    read_ctx c;
    memset(&c, 0, sizeof c);
    recog_params_init(&c.params);
    char models[PATH_MAX] = "";
    long every = 10, max_pixels = RECOG_MAX_PIXELS_DEF;
    int opt, timings = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "jn:c:p:h", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (opt) {
        case 'j':
            c.json = 1;
            break;
        case 'n':
            c.params.topn = (int)strtol(optarg, &end, 10);
            if (*end || c.params.topn < 1 || c.params.topn > RECOG_MAX_TOPN)
                return cmd_usage("read", "-n: must be a number from 1 to %d", RECOG_MAX_TOPN);
            break;
        case 'c':
            if (!strcmp(optarg, "us"))
                c.params.country = RECOG_US;
            else if (!strcmp(optarg, "eu"))
                c.params.country = RECOG_EU;
            else
                return cmd_usage("read", "-c: must be us or eu, not '%s'", optarg);
            break;
        case 'p': {
            pk_err perr;
            pk_err_clear(&perr);
            if (recog_params_set_region(&c.params, optarg, &perr))
                return cmd_usage("read", "-p: %s; --regions lists them", perr.msg);
            break;
        }
        case 'R':
            for (int i = 0; recog_region_code(i); i++)
                printf("%s  %s\n", recog_region_code(i), recog_region_name(recog_region_code(i)));
            return CMD_OK;
        case 'm':
            snprintf(models, sizeof models, "%s", optarg);
            break;
        case 'e':
            every = strtol(optarg, &end, 10);
            if (*end || every < 1) return cmd_usage("read", "--every: must be a number >= 1");
            break;
        case 'P':
            max_pixels = strtol(optarg, &end, 10);
            if (*end || max_pixels < 1) return cmd_usage("read", "--max-pixels: must be >= 1");
            break;
        case 't':
            c.params.det_threshold = strtof(optarg, &end);
            if (*end || c.params.det_threshold <= 0 || c.params.det_threshold >= 1)
                return cmd_usage("read", "--threshold: must be between 0 and 1");
            break;
        case 'M':
            c.params.min_confidence = strtof(optarg, &end);
            if (*end || c.params.min_confidence < 0 || c.params.min_confidence > 100)
                return cmd_usage("read", "--min-confidence: must be between 0 and 100");
            break;
        case 'D':
            c.params.det_size = (int)strtol(optarg, &end, 10);
            if (*end || c.params.det_size < 64 || c.params.det_size > 4096)
                return cmd_usage("read", "--det-size: must be a number from 64 to 4096");
            break;
        case 'C':
            c.crop = 1;
            break;
        case 'T':
            timings = 1;
            break;
        case 'h':
            usage_text(stdout);
            return CMD_OK;
        default:
            usage_text(stderr);
            return CMD_USAGE;
        }
    }
    if (optind >= argc) return cmd_usage("read", "no IMAGE or VIDEO given");
    if (c.params.region[0] && c.params.country != RECOG_US)
        return cmd_usage("read", "-p: state formats are for US plates (-c us) only");
    if (!models[0]) recog_models_default(models, sizeof models);
    recog *eng;
    pk_err err;
    pk_err_clear(&err);
    double t0 = recog_now_ms();
    if (recog_open(models, &eng, &err)) return cmd_fail("read", &err);
    if (timings) fprintf(stderr, "model_load_ms=%.2f\n", recog_now_ms() - t0);
    c.eng = eng;
    for (int i = optind; i < argc; i++) {
        c.file = argv[i];
        pk_err_clear(&err);
        if (recog_is_video_name(argv[i])) {
            if (recog_video_frames(argv[i], (int)every, max_pixels, on_frame, &c, &err)) {
                fprintf(stderr, "platekeeper read: %s\n", err.msg);
                c.failed = 1;
            }
            continue;
        }
        recog_image img;
        if (recog_image_load(argv[i], max_pixels, &img, &err)) {
            fprintf(stderr, "platekeeper read: %s\n", err.msg);
            c.failed = 1;
            continue;
        }
        run_image(&c, &img, -1, 0);
        recog_image_fini(&img);
    }
    fflush(stdout);
    recog_free(eng);
    return c.failed ? CMD_FAIL : CMD_OK;
}

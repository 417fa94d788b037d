/*
 * read.c: `platekeeper read [-j] [-n TOPN] [-c us|eu] [-p STATE] [--threads N] IMAGE|VIDEO...`:
 * recognise plates in images and video files, one file after another or N at once. With -j, one
 * OpenALPR-style JSON object per image (per sampled frame for video), as `alpr -j` prints, plus
 * "file" (and "frame", "frame_time_ms" for video); with --group, one alpr_group object per
 * vehicle a video shows.
 */
#include <ctype.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "recog/recog.h"

typedef struct read_ctx {
    const recog *eng;
    recog_params params;
    int json;
    int crop; /* --crop: each image is a plate crop, detection skipped */
    /* --group: a video's plates come out as one alpr_group per vehicle instead of per frame */
    int group;
    double group_gap_ms;
    recog_grouper *grouper; /* the video being read's, while --group reads it */
    int64_t epoch_ms;       /* when the video's reading began, for the groups' epoch times */
    const char *file;
    long every, max_pixels;
    FILE *out, *errf; /* where this file's results and error messages go */
    int failed;
    /* A stream (URL) read on the main thread: SIGINT and SIGTERM are held while it is read and
     * looked for between frames, so that Ctrl-C ends an endless camera stream with its open
     * groups reported instead of lost. NULL otherwise. */
    const sigset_t *stop_signals;
    int stopped; /* a stop signal ended the stream */
} read_ctx;

#define READ_MAX_THREADS 64

static void usage_text(FILE *f) {
    fprintf(
        f,
        "usage: platekeeper read [-j] [-n TOPN] [-c us|eu] [-p STATE] [--models DIR] [--every N]\n"
        "                        [--max-pixels N] [--threshold T] [--det-size N]\n"
        "                        [--min-confidence C] [--crop] [--threads N] [--no-region]\n"
        "                        [--group [--group-gap MS]] [--timings]\n"
        "                        IMAGE|VIDEO...\n"
        "  -j             print OpenALPR-compatible JSON, one object per image or frame\n"
        "  -n TOPN        alternative readings per plate (1-%d, default 10)\n"
        "  -c us|eu       plate conventions (default us)\n"
        "  -p STATE       US state the plates are mostly from (two letters, e.g. ca): readings\n"
        "                 that fit its standard formats rank first and show matches_template\n"
        "  --regions      list the state codes -p knows, with their names\n"
        "  --no-region    do not tell each US plate's state from the name printed on it\n"
        "                 (told by default for plates 100 px wide or more: region and\n"
        "                 region_confidence; without -p the state's formats then rank)\n"
        "  --models DIR   model directory (default $PLATEKEEPER_MODELS, ./models, or the\n"
        "                 models/ beside the binary's build directory)\n"
        "  --every N      for video, read every Nth frame (default 10)\n"
        "  --group        for video, one result per vehicle instead of per frame: a plate\n"
        "                 read in several frames comes out once, with the reading the frames\n"
        "                 agree on (-j: OpenALPR's alpr_group object)\n"
        "  --group-gap MS a plate unseen for this much video time starts a new group\n"
        "                 (default 1500)\n"
        "A VIDEO may be a stream URL (rtsp://camera/stream, http://..., udp://...): results\n"
        "are printed as they come; Ctrl-C ends it, reporting the groups still open.\n"
        "  --max-pixels N refuse images larger than N pixels (default %d)\n"
        "  --threshold T  detector score needed, 0-1 (default: the model's)\n"
        "  --det-size N   long side in pixels the scene is scaled to for detection\n"
        "                 (default 768 for us, 512 for eu; a third more at most for\n"
        "                 frames over about 2,850 px long, such as 4K cameras')\n"
        "  --min-confidence C  report a plate only when its best reading is this sure,\n"
        "                 0-100 (default 45)\n"
        "  --crop         each image is one plate already cut out: read it, skip detection\n"
        "  --threads N    read N files at once (1-%d, default 1); the output keeps the\n"
        "                 order of the files\n"
        "  --timings      print the model load time on stderr (model_load_ms=N)\n",
        RECOG_MAX_TOPN, RECOG_MAX_PIXELS_DEF, READ_MAX_THREADS);
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
        json_dumpf(o, c->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputc('\n', c->out);
        json_decref(o);
        return;
    }
    if (frame >= 0)
        fprintf(c->out, "%s frame %ld (%.0f ms): %dx%d, %.1f ms, %d plate%s\n", c->file, frame,
                frame_ms, img->width, img->height, res->ms, res->n, res->n == 1 ? "" : "s");
    else
        fprintf(c->out, "%s: %dx%d, %.1f ms, %d plate%s\n", c->file, img->width, img->height,
                res->ms, res->n, res->n == 1 ? "" : "s");
    for (int i = 0; i < res->n; i++) {
        const recog_plate *p = &res->plates[i];
        float x, y, w, h;
        recog_plate_bounds(p, &x, &y, &w, &h);
        fprintf(c->out, "  %-10s %5.1f%%  at %d,%d %dx%d ", p->plate, p->confidence, (int)x, (int)y,
                (int)w, (int)h);
        if (p->region[0])
            fprintf(c->out, "state %c%c %.0f%% ", toupper((unsigned char)p->region[0]),
                    toupper((unsigned char)p->region[1]), p->region_confidence);
        const char *fmt = c->params.region[0] ? c->params.region : p->region;
        if (fmt[0])
            fprintf(c->out, "%s %c%c format ", p->cand[0].matches_template ? "fits" : "fits no",
                    toupper((unsigned char)fmt[0]), toupper((unsigned char)fmt[1]));
        for (int k = 1; k < p->n_cand && k < 5; k++)
            fprintf(c->out, "%s%s %.1f", k == 1 ? " also " : ", ", p->cand[k].plate,
                    p->cand[k].confidence);
        fputc('\n', c->out);
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
        fprintf(c->errf, "platekeeper read: %s: %s\n", c->file, err.msg);
        c->failed = 1;
        recog_result_fini(&res);
        return 0; /* go on with the next frame or file */
    }
    print_result(c, img, &res, frame, frame_ms);
    recog_result_fini(&res);
    return 0;
}

static void print_group(void *ctx, const recog_group *g) {
    read_ctx *c = ctx;
    if (c->json) {
        json_t *o = recog_group_json(g, c->params.topn, c->epoch_ms);
        json_object_set_new(o, "file", json_string(c->file));
        json_dumpf(o, c->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputc('\n', c->out);
        json_decref(o);
        return;
    }
    fprintf(c->out, "%s frames %ld-%ld (%.1f-%.1f s): %-10s %5.1f%%  %d frame%s", c->file,
            g->frame_start, g->frame_end, g->time_start_ms / 1000, g->time_end_ms / 1000, g->plate,
            g->confidence, g->n_frames, g->n_frames == 1 ? "" : "s");
    if (g->region[0])
        fprintf(c->out, "  state %c%c", toupper((unsigned char)g->region[0]),
                toupper((unsigned char)g->region[1]));
    for (int k = 1; k < g->n_cand && k < 5; k++)
        fprintf(c->out, "%s%s %.1f", k == 1 ? "  also " : ", ", g->cand[k].plate,
                g->cand[k].confidence);
    fputc('\n', c->out);
}

/* --group: a frame's plates go to the video's grouper, which prints the groups it closes. */
static int group_frame(read_ctx *c, const recog_image *img, long frame, double frame_ms) {
    recog_result res;
    pk_err err;
    pk_err_clear(&err);
    if (recog_run(c->eng, img, &c->params, &res, &err)) {
        fprintf(c->errf, "platekeeper read: %s: frame %ld: %s\n", c->file, frame, err.msg);
        c->failed = 1;
    } else {
        recog_grouper_add(c->grouper, &res, frame, frame_ms, print_group, c);
    }
    recog_result_fini(&res);
    return 0;
}

/* Whether SIGINT or SIGTERM is waiting in set (held by the mask); takes it if so. */
static int stop_pending(const sigset_t *set) {
    sigset_t pending;
    if (sigpending(&pending) || (!sigismember(&pending, SIGINT) && !sigismember(&pending, SIGTERM)))
        return 0;
    struct timespec zero = {0, 0};
    sigtimedwait(set, NULL, &zero);
    return 1;
}

static int on_frame(void *ctx, const recog_image *frame, long index, double time_ms) {
    read_ctx *c = ctx;
    if (c->stop_signals && stop_pending(c->stop_signals)) {
        c->stopped = 1;
        return 1;
    }
    int rc =
        c->grouper ? group_frame(c, frame, index, time_ms) : run_image(ctx, frame, index, time_ms);
    if (c->stop_signals) fflush(c->out); /* a stream's reader wants each result as it comes */
    return rc;
}

static int64_t epoch_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads c->file (an image, or every c->every-th frame of a video) into c->out and c->errf. */
static void read_file(read_ctx *c) {
    pk_err err;
    pk_err_clear(&err);
    if (recog_is_video_name(c->file)) {
        if (c->group) {
            c->grouper = recog_grouper_new(c->params.topn, c->group_gap_ms);
            c->epoch_ms = epoch_now_ms();
        }
        sigset_t stop, old;
        int live = recog_is_stream_url(c->file) && c->out == stdout;
        if (live) {
            sigemptyset(&stop);
            sigaddset(&stop, SIGINT);
            sigaddset(&stop, SIGTERM);
            pthread_sigmask(SIG_BLOCK, &stop, &old);
            c->stop_signals = &stop;
            c->stopped = 0;
        }
        int rc = recog_video_frames(c->file, (int)c->every, c->max_pixels, on_frame, c, &err);
        if (c->stopped)
            fprintf(c->errf, "platekeeper read: %s: stopped by a signal\n", c->file);
        else if (rc) {
            fprintf(c->errf, "platekeeper read: %s\n", err.msg);
            c->failed = 1;
        }
        /* The groups read before a decoding error are still reported. */
        if (c->grouper) {
            recog_grouper_finish(c->grouper, print_group, c);
            recog_grouper_free(c->grouper);
            c->grouper = NULL;
        }
        if (live) {
            fflush(c->out);
            c->stop_signals = NULL;
            pthread_sigmask(SIG_SETMASK, &old, NULL);
        }
        return;
    }
    recog_image img;
    if (recog_image_load(c->file, c->max_pixels, &img, &err)) {
        fprintf(c->errf, "platekeeper read: %s\n", err.msg);
        c->failed = 1;
        return;
    }
    run_image(c, &img, -1, 0);
    recog_image_fini(&img);
}

/* --threads: workers take the next file each and write its output to memory; the main thread
 * prints the files' outputs in the order given, each as soon as it and all before it are done
 * (the engine is shared: it is safe to use from several threads). */
typedef struct read_job {
    char *out, *err; /* the file's standard output and error text (owned) */
    size_t out_len, err_len;
    int failed, done;
} read_job;

typedef struct read_pool {
    const read_ctx *base;
    char **files;
    int n;
    atomic_int next;
    read_job *jobs;
    pthread_mutex_t mu;
    pthread_cond_t done;
} read_pool;

static void *read_worker(void *arg) {
    read_pool *p = arg;
    for (int i; (i = atomic_fetch_add(&p->next, 1)) < p->n;) {
        read_ctx c = *p->base;
        read_job j = {0};
        c.file = p->files[i];
        c.failed = 0;
        c.out = open_memstream(&j.out, &j.out_len);
        c.errf = open_memstream(&j.err, &j.err_len);
        if (!c.out || !c.errf) {
            if (c.out) fclose(c.out);
            if (c.errf) fclose(c.errf);
            free(j.out);
            free(j.err);
            j = (read_job){0};
            j.failed = 1;
        } else {
            read_file(&c);
            fclose(c.out);
            fclose(c.errf);
            j.failed = c.failed;
        }
        pthread_mutex_lock(&p->mu);
        p->jobs[i] = j;
        p->jobs[i].done = 1;
        pthread_cond_broadcast(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

/* Reads files with nthreads workers. Returns whether any failed. */
static int read_parallel(const read_ctx *base, char **files, int n, int nthreads) {
    read_pool p = {.base = base, .files = files, .n = n};
    atomic_init(&p.next, 0);
    p.jobs = pk_xcalloc((size_t)n, sizeof *p.jobs);
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.done, NULL);
    pthread_t tid[READ_MAX_THREADS];
    int started = 0;
    for (; started < nthreads && started < n; started++)
        if (pthread_create(&tid[started], NULL, read_worker, &p)) break;
    if (started == 0) read_worker(&p); /* no thread could start: read them here */
    int failed = 0;
    for (int i = 0; i < n; i++) {
        pthread_mutex_lock(&p.mu);
        while (!p.jobs[i].done) pthread_cond_wait(&p.done, &p.mu);
        pthread_mutex_unlock(&p.mu);
        read_job *j = &p.jobs[i];
        if (j->err_len) fwrite(j->err, 1, j->err_len, stderr);
        if (j->out_len) fwrite(j->out, 1, j->out_len, stdout);
        if (j->failed && !j->err_len)
            fprintf(stderr, "platekeeper read: %s: out of memory\n", files[i]);
        failed |= j->failed;
        free(j->out);
        free(j->err);
        j->out = j->err = NULL;
    }
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    pthread_cond_destroy(&p.done);
    pthread_mutex_destroy(&p.mu);
    free(p.jobs);
    return failed;
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
                                             {"threads", required_argument, NULL, 'N'},
                                             {"no-region", no_argument, NULL, 'G'},
                                             {"group", no_argument, NULL, 'g'},
                                             {"group-gap", required_argument, NULL, 'a'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    read_ctx c;
    memset(&c, 0, sizeof c);
    recog_params_init(&c.params);
    char models[PATH_MAX] = "";
    long every = 10, max_pixels = RECOG_MAX_PIXELS_DEF;
    int opt, timings = 0, nthreads = 1;
    double group_gap = 1500;
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
        case 'G':
            c.params.detect_region = 0;
            break;
        case 'g':
            c.group = 1;
            break;
        case 'a': {
            double v = strtod(optarg, &end);
            if (*end || !(v >= 0 && v <= 600000))
                return cmd_usage("read", "--group-gap: must be milliseconds from 0 to 600000");
            group_gap = v;
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
        case 'N': {
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > READ_MAX_THREADS)
                return cmd_usage("read", "--threads: must be a number from 1 to %d",
                                 READ_MAX_THREADS);
            nthreads = (int)v;
            break;
        }
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
    if (c.group && c.crop) return cmd_usage("read", "--group: is for video, not with --crop");
    c.group_gap_ms = group_gap;
    if (!models[0]) recog_models_default(models, sizeof models);
    recog *eng;
    pk_err err;
    pk_err_clear(&err);
    double t0 = recog_now_ms();
    if (recog_open(models, &eng, &err)) return cmd_fail("read", &err);
    if (timings) fprintf(stderr, "model_load_ms=%.2f\n", recog_now_ms() - t0);
    c.eng = eng;
    c.every = every;
    c.max_pixels = max_pixels;
    c.out = stdout;
    c.errf = stderr;
    if (nthreads > 1 && argc - optind > 1) {
        c.failed = read_parallel(&c, argv + optind, argc - optind, nthreads);
    } else {
        for (int i = optind; i < argc; i++) {
            c.file = argv[i];
            read_file(&c);
        }
    }
    fflush(stdout);
    recog_free(eng);
    return c.failed ? CMD_FAIL : CMD_OK;
}

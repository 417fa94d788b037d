/*
 * recog.c: the engine: finding and loading the models once, and detect-then-read for one image.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recog/recog_int.h"

#define DEFAULT_THRESHOLD 0.35f
#define MAX_BOXES         64
/* Narrower than this (image pixels), seven characters would be 3 pixels each: nothing to read.
 * The narrowest labelled plate in the benchmark scenes is 50 pixels. */
#define MIN_PLATE_WIDTH 24.0f
/* Refined boxes overlapping an earlier one this much are the same plate. */
#define REFINED_SAME_IOU 0.5f

/* Box calibration (recog_int.h): the median ratio of labelled to detected plate box width and
 * height, and the labelled centre's offset, on the training half of the labelled scenes
 * (tools/train/calibrate.py, run by make train). Near 1 since the detector was fine-tuned on
 * real scenes' boxes; US plates are 2:1, EU plates about 4.7:1. */
static const recog__box_cal cal_us = {1.00f, 0.99f, 0.005f};
static const recog__box_cal cal_eu = {1.06f, 1.02f, 0.004f};

struct recog {
    recog__net det;                    /* detector.pkm */
    recog__net rd[RECOG__MAX_READERS]; /* reader.pkm, then reader-2.pkm.. when present */
    int n_rd;
    recog__net rd_eu; /* reader-eu.pkm, when present */
    int have_eu;
    /* reader-state.pkm, when present: reads the state's name and slogans for region.c */
    recog__net rd_state;
    int have_state;
};

static int load_one(const char *dir, const char *file, int kind, recog__net *net, pk_err *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int rc = recog__model_load(path, net, err);
    if (rc) return rc;
    if (net->kind != kind) {
        recog__net_fini(net);
        return pk_err_set(err, PK_ECORRUPT, "%s: is a %s model, expected a %s", path,
                          kind == RECOG__KIND_DETECTOR ? "reader" : "detector",
                          kind == RECOG__KIND_DETECTOR ? "detector" : "reader");
    }
    if (kind == RECOG__KIND_READER && (net->in_h < 1 || net->in_w < 1)) {
        recog__net_fini(net);
        return pk_err_set(err, PK_ECORRUPT, "%s: a reader needs a fixed input size", path);
    }
    if (kind == RECOG__KIND_READER) {
        int oc, oh, ow;
        if (recog__net_out_shape(net, net->in_h, net->in_w, &oc, &oh, &ow) || oh != 1) {
            recog__net_fini(net);
            return pk_err_set(err, PK_ECORRUPT, "%s: reader output is not one row", path);
        }
    }
    return PK_OK;
}

/* Loads FILE from DIR into *net when it exists. OUT: *found. */
static int load_optional(const char *dir, const char *file, recog__net *net, int *found,
                         pk_err *err) {
    char path[4096];
    struct stat st;
    *found = 0;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (stat(path, &st) != 0) return PK_OK;
    int rc = load_one(dir, file, RECOG__KIND_READER, net, err);
    *found = rc == 0;
    return rc;
}

/* An ensemble's readers are read on the same crops and their outputs compared column by
 * column: they must agree on input size, output length and alphabet. */
static int check_same_reader(const recog__net *a, const recog__net *b, const char *file,
                             pk_err *err) {
    int ac, ah, aw, bc, bh, bw;
    if (a->in_h != b->in_h || a->in_w != b->in_w || a->n_alpha != b->n_alpha ||
        strcmp(a->alphabet, b->alphabet) ||
        recog__net_out_shape(a, a->in_h, a->in_w, &ac, &ah, &aw) ||
        recog__net_out_shape(b, b->in_h, b->in_w, &bc, &bh, &bw) || aw != bw)
        return pk_err_set(err, PK_ECORRUPT,
                          "%s: input size, output length or alphabet differ from reader.pkm", file);
    return PK_OK;
}

int recog_open(const char *dir, recog **out, pk_err *err) {
    *out = NULL;
    recog *r = pk_xcalloc(1, sizeof *r);
    int rc = load_one(dir, "detector.pkm", RECOG__KIND_DETECTOR, &r->det, err);
    if (!rc) rc = load_one(dir, "reader.pkm", RECOG__KIND_READER, &r->rd[0], err);
    if (!rc) r->n_rd = 1;
    for (int i = 1; !rc && i < RECOG__MAX_READERS; i++) {
        char file[32];
        int found;
        snprintf(file, sizeof file, "reader-%d.pkm", i + 1);
        rc = load_optional(dir, file, &r->rd[i], &found, err);
        if (!rc && !found) break;
        if (!rc) rc = check_same_reader(&r->rd[0], &r->rd[i], file, err);
        if (!rc) r->n_rd++;
    }
    if (!rc) rc = load_optional(dir, "reader-eu.pkm", &r->rd_eu, &r->have_eu, err);
    if (!rc) rc = load_optional(dir, "reader-state.pkm", &r->rd_state, &r->have_state, err);
    if (!rc && r->have_state && strcmp(r->rd_state.alphabet, r->rd[0].alphabet))
        rc = pk_err_set(err, PK_ECORRUPT, "reader-state.pkm: alphabet differs from reader.pkm");
    if (rc) {
        recog_free(r);
        return rc;
    }
    *out = r;
    return PK_OK;
}

void recog_free(recog *r) {
    if (!r) return;
    recog__net_fini(&r->det);
    for (int i = 0; i < RECOG__MAX_READERS; i++) recog__net_fini(&r->rd[i]);
    recog__net_fini(&r->rd_eu);
    recog__net_fini(&r->rd_state);
    free(r);
}

void recog_params_init(recog_params *p) {
    memset(p, 0, sizeof *p);
    p->topn = 10;
    p->country = RECOG_US;
    p->max_plates = 16;
    p->min_confidence = 45.0f;
    p->min_chars = 4;
    p->detect_region = 1;
}

/* The readers for P's country. OUT: *rds (pointers into r). Returns how many. */
static int readers_for(const recog *r, const recog_params *p, const recog__net **rds) {
    if (p->country == RECOG_EU && r->have_eu) {
        rds[0] = &r->rd_eu;
        return 1;
    }
    for (int i = 0; i < r->n_rd; i++) rds[i] = &r->rd[i];
    return r->n_rd;
}

static int check_params(const recog_params *p, pk_err *err) {
    if (p->topn < 1 || p->topn > RECOG_MAX_TOPN)
        return pk_err_set(err, PK_EINVAL, "topn: must be 1..%d", RECOG_MAX_TOPN);
    if (p->det_threshold < 0 || p->det_threshold >= 1)
        return pk_err_set(err, PK_EINVAL, "detector threshold: must be in [0, 1)");
    if (p->max_plates < 0) return pk_err_set(err, PK_EINVAL, "max plates: must be >= 0");
    if (p->min_confidence < 0 || p->min_confidence > 100)
        return pk_err_set(err, PK_EINVAL, "minimum confidence: must be 0..100");
    if (p->det_size != 0 && (p->det_size < 64 || p->det_size > 4096))
        return pk_err_set(err, PK_EINVAL, "detector size: must be 64..4096");
    if (!memchr(p->region, 0, sizeof p->region))
        return pk_err_set(err, PK_EINVAL, "region: too long");
    if (p->region[0] && recog__region_index(p->region) < 0)
        return pk_err_set(err, PK_EINVAL, "region: '%s' is not a US state code (e.g. ca, tx, dc)",
                          p->region);
    if (p->region[0] && p->country != RECOG_US)
        return pk_err_set(err, PK_EINVAL, "region: state formats are for US plates only");
    return PK_OK;
}

/* A grille, fence or railing, read level, is a row of vertical strokes: the reader makes it a
 * string of I's. No labelled plate has more than two (US and EU scenes and crops), and many
 * states issue no I at all. */
static int stroke_run(const char *plate) {
    int n = 0;
    for (; *plate; plate++) n += *plate == 'I';
    return n >= 3;
}

/* A second look at a plate read with doubt. A box found around a turned plate is often off by
 * a character's width at one end (the detector learnt upright plates), and refining the
 * refined box once more, from a window centred on the better estimate, moves it onto the plate.
 * Plates read below SECOND_LOOK_BELOW whose box then moves (IoU under SECOND_LOOK_MOVED) are
 * read again in the new box, and that reading is kept when it is SECOND_LOOK_MARGIN surer.
 * On the unseen US scenes turned 10 and -10 degrees, 36 -> 39 and 32 -> 37 of 53 read (5
 * degrees 44 -> 43), plates in close-ups 323 -> 326 of 380; upright unchanged, 0.3 ms more per
 * scene (a box read surely gets no second look). Without the margin an upright 0-or-O reading
 * flipped the wrong way (R820503 84.9% against R82O503 88.7%); refining every box twice read
 * turned plates as well but upright ones worse (94.3% -> 90.6%) (MODEL_CARD.md).
 *
 * A box read below the minimum confidence, which would not be reported, gets the second look
 * too, but its new reading must then reach SECOND_LOOK_RESCUE points above that minimum: most
 * such boxes are false alarms, and a new reading just over the line let one more background
 * picture in 80 show a plate. A real plate whose first box was off reads far surer in the moved
 * one (a 280-px plate of the training half at 0.85 times its scene's size: under 45%, then
 * 82.3%). Close-ups 326 -> 330 of 380 read (found 358 -> 363), the US scenes at 0.85 times their
 * size 57 -> 58 of 58 and 45 -> 46 of 53; the scenes as they are, the crops and the held-out
 * backgrounds unchanged, all 800 backgrounds one more showing a plate (97.1% -> 97.0%). */
#define SECOND_LOOK_BELOW  90.0f
#define SECOND_LOOK_MOVED  0.95f
#define SECOND_LOOK_MARGIN 10.0f
#define SECOND_LOOK_RESCUE 20.0f

static void second_look(const recog *r, const recog__net *const *rds, int nrd,
                        const recog_image *img, const recog_params *p, const recog__box_cal *cal,
                        const recog__box *box, recog_plate *pl) {
    if (pl->n_cand == 0 || pl->confidence >= SECOND_LOOK_BELOW ||
        (int)strlen(pl->plate) < p->min_chars)
        return;
    recog__box again = *box;
    if (!recog__refine_box(&r->det, img, cal, &again) ||
        recog__box_iou(&again, box) >= SECOND_LOOK_MOVED)
        return;
    recog_plate alt;
    memset(&alt, 0, sizeof alt);
    recog__read_box(rds, nrd, img, again.x0, again.y0, again.x1, again.y1, p->topn, 1, &alt);
    double ms = pl->ms;
    float need = pl->confidence + SECOND_LOOK_MARGIN;
    if (pl->confidence < p->min_confidence)
        need = fmaxf(need, p->min_confidence + SECOND_LOOK_RESCUE);
    if (alt.n_cand > 0 && alt.confidence > need) *pl = alt;
    pl->ms = ms + alt.ms;
}

/* Sets pl->region and region_confidence from the state name printed on the plate. Without a
 * state given (p->region), the state found ranks the readings by its formats as -p would: on
 * the unseen half of the US crops two more right (Delaware's all-digit serial drops an emblem
 * read as B; Washington's DDDLLL turns 954Z0X into 954ZDX) and one fewer (MODEL_CARD.md). */
static void detect_region(const recog__net *rd, const recog_image *img, const recog_params *p,
                          recog_plate *pl) {
    double t0 = recog_now_ms();
    float conf;
    int i = recog__region_detect(rd, img, pl, &conf);
    if (i >= 0) {
        snprintf(pl->region, sizeof pl->region, "%s", recog_region_code(i));
        pl->region_confidence = conf;
        if (!p->region[0]) recog__plate_apply_region(pl, i);
    }
    pl->ms += recog_now_ms() - t0;
}

/* The long side a scene is scaled to for detection. European scenes in the benchmarks are
 * close-ups with large plates: a smaller scale keeps them within the plate widths the detector
 * was trained on (16-190 px). A large frame (a 4K camera's) is scaled less far, so that plates
 * as small in pixels as a 1280x720 scene's stay findable: past a long side of about 2,850 px the
 * size grows with it, up to a third more. 4K frames holding nine unseen 1280x720 scenes each:
 * 20 of their 36 plates read at 768, 29 at 1024 (1536: 29, in 137 ms against 85), the
 * 1280x720 scenes themselves unchanged; 2560x1440 frames of four read 27 and 28 of 36 at 768
 * and 1024, so they are left at 768 (MODEL_CARD.md). */
static int detect_size(const recog_image *img, recog_country country) {
    int base = country == RECOG_EU ? 512 : 768;
    int lng = img->width > img->height ? img->width : img->height;
    int grown = (int)((float)lng * 0.27f * (float)base / 768.0f);
    if (grown <= base) return base;
    return grown < base * 4 / 3 ? grown : base * 4 / 3;
}

int recog_run(const recog *r, const recog_image *img, const recog_params *p, recog_result *res,
              pk_err *err) {
    memset(res, 0, sizeof *res);
    int rc = check_params(p, err);
    if (rc) return rc;
    if (!img->px || img->width < 1 || img->height < 1)
        return pk_err_set(err, PK_EINVAL, "empty image");
    double t0 = recog_now_ms();
    float th = p->det_threshold > 0 ? p->det_threshold : DEFAULT_THRESHOLD;
    int maxp = p->max_plates ? p->max_plates : 16;
    if (maxp > MAX_BOXES) maxp = MAX_BOXES;
    recog__box boxes[MAX_BOXES];
    int n;
    const recog__box_cal *cal = p->country == RECOG_EU ? &cal_eu : &cal_us;
    int size = p->det_size ? p->det_size : detect_size(img, p->country);
    /* Passes at 2/5 and at 1/4 of the size find close-up plates, too large for the first
     * (detect.c). */
    rc = recog__detect(&r->det, img, size, size * 2 / 5, cal, th, boxes, maxp, &n, err);
    if (rc) return rc;
    const recog__net *rds[RECOG__MAX_READERS];
    int nrd = readers_for(r, p, rds);
    res->plates = pk_xcalloc(n > 0 ? (size_t)n : 1, sizeof *res->plates);
    for (int i = 0; i < n; i++) {
        recog_plate *pl = &res->plates[res->n];
        if (boxes[i].x1 - boxes[i].x0 < MIN_PLATE_WIDTH) {
            boxes[i].score = -1; /* not read: no duplicate of it either */
            continue;
        }
        /* US boxes are measured again before reading (detect.c). The EU scenes' plates are close
         * and large already, and their boxes came out worse for it (EU top-1 on the unseen
         * half 96% -> 88%). */
        if (p->country == RECOG_US) recog__refine_box(&r->det, img, cal, &boxes[i]);
        /* Two detections of one plate can refine to the same box: read it once. */
        int dup = 0;
        for (int k = 0; k < i && !dup; k++)
            dup = boxes[k].score >= 0 && recog__box_iou(&boxes[k], &boxes[i]) > REFINED_SAME_IOU;
        if (dup) {
            boxes[i].score = -1;
            continue;
        }
        recog__read_box(rds, nrd, img, boxes[i].x0, boxes[i].y0, boxes[i].x1, boxes[i].y1, p->topn,
                        p->country == RECOG_US, pl);
        if (p->country == RECOG_US) second_look(r, rds, nrd, img, p, cal, &boxes[i], pl);
        if (p->country == RECOG_EU) recog__plate_harmonize(pl);
        recog__plate_apply_region(pl, recog__region_index(p->region));
        pl->det_score = boxes[i].score;
        if (p->country == RECOG_US && p->detect_region && pl->n_cand > 0 &&
            pl->confidence >= p->min_confidence)
            detect_region(r->have_state ? &r->rd_state : rds[0], img, p, pl);
        /* A box the reader finds nothing plate-like in is not reported: the detector's false
         * alarms read as short or unsure strings (MODEL_CARD.md), or as runs of strokes. */
        if (pl->n_cand == 0 || (int)strlen(pl->plate) < p->min_chars ||
            pl->confidence < p->min_confidence || stroke_run(pl->plate))
            continue;
        res->n++;
    }
    res->ms = recog_now_ms() - t0;
    return PK_OK;
}

void recog_plate_bounds(const recog_plate *p, float *x, float *y, float *w, float *h) {
    float x0 = p->corners[0].x, y0 = p->corners[0].y, x1 = x0, y1 = y0;
    for (int k = 1; k < 4; k++) {
        x0 = fminf(x0, p->corners[k].x);
        x1 = fmaxf(x1, p->corners[k].x);
        y0 = fminf(y0, p->corners[k].y);
        y1 = fmaxf(y1, p->corners[k].y);
    }
    *x = x0;
    *y = y0;
    *w = x1 - x0;
    *h = y1 - y0;
}

void recog_result_fini(recog_result *res) {
    if (!res) return;
    free(res->plates);
    memset(res, 0, sizeof *res);
}

int recog_read_crop(const recog *r, const recog_image *img, const recog_params *p,
                    recog_plate *plate, pk_err *err) {
    memset(plate, 0, sizeof *plate);
    int rc = check_params(p, err);
    if (rc) return rc;
    if (!img->px || img->width < 1 || img->height < 1)
        return pk_err_set(err, PK_EINVAL, "empty image");
    /* The crop is the widened box already: undo the widening recog__read_box applies. */
    float w = (float)img->width / 1.08f, h = (float)img->height / 1.14f;
    float x0 = (img->width - w) / 2, y0 = (img->height - h) / 2;
    const recog__net *rds[RECOG__MAX_READERS];
    int nrd = readers_for(r, p, rds);
    recog__read_box(rds, nrd, img, x0, y0, x0 + w, y0 + h, p->topn, p->country == RECOG_US, plate);
    if (p->country == RECOG_EU) recog__plate_harmonize(plate);
    recog__plate_apply_region(plate, recog__region_index(p->region));
    if (p->country == RECOG_US && p->detect_region && plate->n_cand > 0)
        detect_region(r->have_state ? &r->rd_state : rds[0], img, p, plate);
    return PK_OK;
}

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void recog_models_default(char *buf, size_t n) {
    const char *env = getenv("PLATEKEEPER_MODELS");
    if (env && *env) {
        snprintf(buf, n, "%s", env);
        return;
    }
    if (is_dir("models")) {
        snprintf(buf, n, "models");
        return;
    }
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        snprintf(buf, n, "%s/../models", exe);
        return;
    }
    snprintf(buf, n, "models");
}

/*
 * recog.h: the plate recognition engine (DESIGN.md §3, issue 6): camera image in, plate reads out.
 *
 * Why it exists: every read in platekeeper starts as pixels. This module turns a JPEG or PNG image
 * (or a video frame) into zero or more plates, each with its text, a confidence, the four corners
 * of the plate in the image and up to RECOG_MAX_TOPN alternative readings, using our own models
 * (models/detector.pkm and reader.pkm, trained by tools/train/) and our own inference code (nn.c).
 *
 * How: the grey image is scaled so its long side is 768 px and a small fully-convolutional
 * detector marks plate centres and boxes on a 16-px grid; each box is cut out of the full-size
 * image, resampled to 32x128 and read whole by a CTC reader (no per-character segmentation).
 *
 * Invariants and threading: a `recog` engine is loaded once by recog_open() and is read-only after
 * that, so any number of threads may call recog_run() on the same engine at once; each call
 * allocates its own scratch memory. Nothing here prints or exits; failures come back as PK_E*
 * codes with the detail in a caller-owned pk_err (core/err.h). Images and models come from outside
 * and are checked: a bad file gives PK_EINVAL, PK_ECORRUPT, PK_ELIMIT or PK_EUNSUPPORTED with a
 * message that names the file and the reason, never a crash.
 */
#ifndef PK_RECOG_RECOG_H
#define PK_RECOG_RECOG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define RECOG_MAX_TOPN       25
#define RECOG_PLATE_MAX      16       /* longest plate text kept, NUL included */
#define RECOG_MAX_PIXELS_DEF 40000000 /* default limit on width*height of a decoded image */
#define RECOG_REGION_MAX     4        /* a region code ("ca"), NUL included */

/* A grey (8-bit luma) image; px holds height rows of width bytes. Owned by whoever filled it:
 * images from recog_image_decode/_load are freed with recog_image_fini. */
typedef struct recog_image {
    int width;
    int height;
    uint8_t *px;
} recog_image;

/* Decodes a JPEG or PNG held in memory (chosen by content, not by name) into grey. name is used
 * in error messages only (may be NULL). Refuses images over max_pixels (width*height; 0 means
 * RECOG_MAX_PIXELS_DEF) with PK_ELIMIT, truncated or corrupt data with PK_ECORRUPT, anything else
 * with PK_EUNSUPPORTED. OUT: *img, freed with recog_image_fini. */
int recog_image_decode(const void *buf, size_t len, const char *name, long max_pixels,
                       recog_image *img, pk_err *err);

/* Reads the file at path and decodes it as recog_image_decode does; PK_EIO when it cannot be
 * read, PK_EINVAL for an empty file. Messages start with the path. OUT: *img. */
int recog_image_load(const char *path, long max_pixels, recog_image *img, pk_err *err);

/* Frees the pixels of img (NULL or already finished is fine) and zeroes it. */
void recog_image_fini(recog_image *img);

/* The engine: both models, loaded once, read-only afterwards. Opaque. */
typedef struct recog recog;

/* Loads models from dir (detector.pkm, reader.pkm, and reader-eu.pkm when present). A missing,
 * truncated or corrupt model file gives PK_EIO or PK_ECORRUPT naming the file.
 * OUT: *out, freed with recog_free. */
int recog_open(const char *dir, recog **out, pk_err *err);

/* Frees an engine (NULL is fine). No call may be running on it. */
void recog_free(recog *r);

/* Country conventions for reading. */
typedef enum recog_country { RECOG_US = 0, RECOG_EU = 1 } recog_country;

typedef struct recog_params {
    int topn;              /* alternative readings wanted per plate, 1..RECOG_MAX_TOPN */
    recog_country country; /* which reader to use (EU falls back to the US one if absent) */
    float det_threshold;   /* detector score needed, 0..1; 0 means the model's default */
    int max_plates;        /* most plates reported per image; 0 means 16 */
    int det_size;          /* long side of the detector's scaled image, 0: 768 (US), 512 (EU) */
    float min_confidence;  /* readings below this (0..100) are not reported; default 75 */
    int min_chars;         /* readings shorter than this are not reported; default 4 */
    /* "" (the default) or a US state's code (recog_region_name knows it): the plates are
     * expected to follow that state's standard formats, which then rank the readings and set
     * matches_template (region.c). US readers only. */
    char region[RECOG_REGION_MAX];
    /* 1 (the default): tell each US plate's state by reading the state's name printed on it
     * (recog_plate.region); 0 skips that (about 1 ms a plate). */
    int detect_region;
} recog_params;

/* Fills p with the defaults: topn 10, US, default threshold, 16 plates, confidence 45, 4 chars,
 * no region given, the region detected. */
void recog_params_init(recog_params *p);

/* The name of the region a code stands for ("ca" or "CA" -> "California"), or NULL when the code
 * is not a known one. The string is static. */
const char *recog_region_name(const char *code);

/* The i-th known region code, lower case, from 0 on; NULL past the last. Static strings. */
const char *recog_region_code(int i);

/* Sets p->region to code, lower-cased (any case accepted; NULL or "" clears it). PK_EINVAL, with
 * the code and the reason in err and p unchanged, when code is not a known state. */
int recog_params_set_region(recog_params *p, const char *code, pk_err *err);

typedef struct recog_point {
    float x, y;
} recog_point;

typedef struct recog_candidate {
    char plate[RECOG_PLATE_MAX]; /* A-Z 0-9 */
    float confidence;            /* 0..100 */
    int matches_template;        /* 1 when the plate fits a format of params.region */
} recog_candidate;

typedef struct recog_plate {
    char plate[RECOG_PLATE_MAX]; /* best reading, same as cand[0].plate */
    float confidence;            /* 0..100, same as cand[0].confidence */
    float det_score;             /* detector's score, 0..1 */
    /* top-left, top-right, bottom-right, bottom-left, image pixels: the plate's quadrilateral,
     * leaning as the plate does in the image */
    recog_point corners[4];
    int n_cand;                           /* 1..topn */
    recog_candidate cand[RECOG_MAX_TOPN]; /* best first */
    /* The state the plate's look tells ("ca"), "" when it does not tell or was not asked
     * (recog_params.detect_region); region_confidence 0..100, an estimate of how often such a
     * state is right. Independent of recog_params.region. */
    char region[RECOG_REGION_MAX];
    float region_confidence;
    double ms; /* time spent reading this plate */
} recog_plate;

typedef struct recog_result {
    int n;               /* plates found */
    recog_plate *plates; /* n plates, best detector score first; freed by recog_result_fini */
    double ms;           /* whole recognition time (detect + read), not decode */
} recog_result;

/* Finds and reads every plate in img. Safe to call from several threads on one engine.
 * OUT: *res, freed with recog_result_fini (also after an error). */
int recog_run(const recog *r, const recog_image *img, const recog_params *p, recog_result *res,
              pk_err *err);

/* The upright rectangle around a plate's corners. OUT: *x, *y (top left), *w, *h, pixels. */
void recog_plate_bounds(const recog_plate *p, float *x, float *y, float *w, float *h);

/* Frees what recog_run put in res and zeroes it. */
void recog_result_fini(recog_result *res);

/* Reads one image that is already a plate crop (detection skipped): the whole image is the box.
 * OUT: *plate. */
int recog_read_crop(const recog *r, const recog_image *img, const recog_params *p,
                    recog_plate *plate, pk_err *err);

/* Video: calls fn for every `every`-th decoded frame of the file at path (FFmpeg), with the frame
 * as grey, its number and its presentation time in milliseconds. fn returns 0 to go on, anything
 * else to stop (that value is returned). Unsupported or unreadable video gives PK_EUNSUPPORTED or
 * PK_EIO naming the file. */
typedef int (*recog_frame_fn)(void *ctx, const recog_image *frame, long index, double time_ms);
int recog_video_frames(const char *path, int every, long max_pixels, recog_frame_fn fn, void *ctx,
                       pk_err *err);
/* Turns FFmpeg's own log messages off, process-wide (configuration: call once at start): for a
 * server, whose answers already carry the reason a video could not be read. */
void recog_video_quiet(void);
/* The same for a video held in memory (an upload; len bytes at data, not copied, read while the
 * call lasts); name is for messages. An empty buffer is PK_EINVAL. */
int recog_video_frames_mem(const void *data, size_t len, const char *name, int every,
                           long max_pixels, recog_frame_fn fn, void *ctx, pk_err *err);

/* Monotonic clock in milliseconds, for timing recognition. */
double recog_now_ms(void);

/* Whether path names a video: by its extension (.mp4 .mkv .avi .mov .ts .webm .m4v .mpg .mpeg), or
 * as a stream URL (scheme://..., e.g. rtsp://camera/stream), which recog_video_frames opens with
 * FFmpeg's protocols and a 10-second I/O timeout. */
int recog_is_video_name(const char *path);
/* Whether path is a stream URL: a scheme (letters, digits, + - .) then "://". */
int recog_is_stream_url(const char *path);

/* res as OpenALPR's `alpr -j` object (version, data_type "alpr_results", epoch_time, img_width,
 * img_height, processing_time_ms, regions_of_interest, results[] with plate, confidence,
 * coordinates, candidates...). The caller adds its own fields ("file"...). Returns a new
 * reference (json_decref). */
json_t *recog_result_json(const recog_image *img, const recog_result *res, int topn);

/* Plate groups (group.c): one vehicle's plate seen in several frames of a video, as OpenALPR's
 * alpr_group. Frames are given in order; a plate joins the open group it shares readings with
 * (best readings within one edit, or a reading among both's first three); a group is done once no
 * frame has read it for gap_ms of video time, and at the end. The group's plate is the reading
 * whose confidences summed over its frames are largest. */
typedef struct recog_group {
    char plate[RECOG_PLATE_MAX];   /* the reading the frames agree on most */
    float confidence;              /* its confidences summed over the frames, over n_frames */
    char region[RECOG_REGION_MAX]; /* the state told most ("" none), and its summed confidence */
    float region_confidence;       /* over n_frames */
    long frame_start, frame_end;   /* first and last frame that read it */
    double time_start_ms, time_end_ms;
    int n_frames; /* frames that read it */
    int n_cand;
    recog_candidate cand[RECOG_MAX_TOPN]; /* by summed confidence, best first */
    recog_plate best;                     /* the plate in the frame that read it surest */
    long best_frame;
    double best_time_ms;
} recog_group;

/* Called once per finished group; g is valid during the call only. */
typedef void (*recog_group_fn)(void *ctx, const recog_group *g);
typedef struct recog_grouper recog_grouper;

/* A grouper keeping topn readings per group and closing groups after gap_ms unseen. Owned by the
 * caller: recog_grouper_free. Not for several threads at once (one per video). */
recog_grouper *recog_grouper_new(int topn, double gap_ms);
/* Adds one frame's result (frame number, time in the video); fn gets each group this closes. */
void recog_grouper_add(recog_grouper *g, const recog_result *res, long frame, double time_ms,
                       recog_group_fn fn, void *ctx);
/* Closes every open group (the video ended), oldest first. */
void recog_grouper_finish(recog_grouper *g, recog_group_fn fn, void *ctx);
void recog_grouper_free(recog_grouper *g);

/* g as OpenALPR's alpr_group object: data_type "alpr_group", epoch_start/epoch_end (epoch_ms +
 * the frame times), frame_start, frame_end, frame_time_start_ms, frame_time_end_ms,
 * frames_read, best_plate_number, best_confidence, best_region, best_region_confidence,
 * matches_template, candidates[], best_plate (the best frame's plate, with frame and
 * frame_time_ms). New reference (json_decref). */
json_t *recog_group_json(const recog_group *g, int topn, int64_t epoch_ms);

/* The model directory to use when none is given: $PLATEKEEPER_MODELS, else ./models when it
 * exists, else the models/ beside the running binary's directory (build/../models). OUT: buf. */
void recog_models_default(char *buf, size_t n);

#endif

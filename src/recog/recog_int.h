/*
 * recog_int.h: shared only inside src/recog.
 *
 * The networks are plain sequences of layers: 2-D convolution (with the training batch-norm
 * already folded into weight and bias, optional ReLU) and max-pooling. Tensors are float32 in
 * CHW order (channel, row, column), one image at a time. A recog__net is immutable after
 * recog__model_parse, so one net serves many threads; every forward pass allocates its own
 * buffers.
 *
 * Model file format, version 1 (little-endian; tools/train/nets.py writes it):
 *
 *     "PKNN" u32 version u32 kind u32 in_c u32 in_h u32 in_w u32 stride u32 n_alpha
 *     char alphabet[n_alpha] u32 n_layers
 *     n_layers x { u32 type; conv (1): u32 cin cout kh kw sh sw ph pw dh dw relu,
 *                  f32 weight[cout][cin][kh][kw], f32 bias[cout];
 *                  maxpool (2): u32 kh kw sh sw }
 *     u32 FNV-1a-32 of all bytes before it
 *
 * The parser checks every field against sane limits, the chaining of channel counts, the exact
 * file length, the checksum and that every weight is finite, so a corrupt or truncated file is
 * refused with PK_ECORRUPT and never read out of bounds.
 */
#ifndef PK_RECOG_RECOG_INT_H
#define PK_RECOG_RECOG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "recog/recog.h"

enum { RECOG__CONV = 1, RECOG__POOL = 2 };
enum { RECOG__KIND_DETECTOR = 1, RECOG__KIND_READER = 2 };

#define RECOG__MAX_LAYERS   64
#define RECOG__MAX_CHANNELS 1024
#define RECOG__MAX_ALPHA    64
#define RECOG__MAX_READERS  4 /* reader.pkm and reader-2.pkm .. reader-4.pkm, an ensemble */
#define RECOG__MAX_PARAMS   (16 * 1024 * 1024) /* floats in one model */

typedef struct recog__layer {
    int type;           /* RECOG__CONV or RECOG__POOL */
    int cin, cout;      /* channels in and out (pool: equal) */
    int kh, kw, sh, sw; /* kernel and stride */
    int ph, pw, dh, dw; /* zero padding and dilation (conv only) */
    int relu;           /* conv: apply ReLU after the bias */
    const float *w;     /* conv: [cout][cin*kh*kw], inside the net's blob */
    const float *b;     /* conv: [cout] */
    const float *wp;    /* conv: w packed for recog__gemm_packed, in net->packed */
} recog__layer;

typedef struct recog__net {
    int kind;             /* RECOG__KIND_* */
    int in_c, in_h, in_w; /* input shape; in_h/in_w 0 = any */
    int stride;           /* detector: output cell in input pixels */
    int n_alpha;          /* reader: classes are blank + alphabet */
    char alphabet[RECOG__MAX_ALPHA + 1];
    int n_layers;
    recog__layer layers[RECOG__MAX_LAYERS];
    float *blob;   /* all weights and biases; owned */
    float *packed; /* the layers' wp; owned */
} recog__net;

/* Parses a model file image. name is used in messages. OUT: *net, freed with
 * recog__net_fini. */
int recog__model_parse(const void *buf, size_t len, const char *name, recog__net *net, pk_err *err);

/* Packs every conv layer's weights (w) for the running CPU's GEMM kernel into net->packed
 * (owned by the net, freed by recog__net_fini) and points each layer's wp there. */
void recog__net_pack(recog__net *net);

/* Reads and parses the model file at path. OUT: *net. */
int recog__model_load(const char *path, recog__net *net, pk_err *err);

void recog__net_fini(recog__net *net);

/* Output shape for an input of h x w, or -1 when some layer would produce an empty tensor. */
int recog__net_out_shape(const recog__net *net, int h, int w, int *oc, int *oh, int *ow);

/* The networks' matrix product (gemm.c): C[M][N] = A[M][K] * B[K][N] + bias[m] (bias may be
 * NULL), then ReLU when relu is set; C row-major, overwritten. The kernel is the best one for the
 * running CPU and wants both operands packed in its own layout: A (the weights) in panels of its
 * row count, made once per model by recog__gemm_pack_a; B in panels of recog__gemm_nr() columns,
 * [panel][k][col], the last panel zero-padded, so B's column n sits at
 * bp[(n / nr) * nr * K + k * nr + n % nr] (nn.c's im2col writes it so). */
int recog__gemm_nr(void);
size_t recog__gemm_packed_a_size(int M, int K); /* floats */
size_t recog__gemm_packed_b_size(int N, int K); /* floats */
void recog__gemm_pack_a(int M, int K, const float *A, float *ap);
void recog__gemm_packed(int M, int N, int K, const float *ap, const float *bp, const float *bias,
                        int relu, float *C);

/* A convolution without im2col: C[m][n] = A[m][K] . (in[off[k] + n] for k < K) + bias[m], then
 * ReLU when relu is set. in holds the layer's input laid out so that every tap k of the kernel is
 * one shift off[k] of the output grid (nn.c's direct_input); the kernel reads whole tiles, so
 * in[off[k] + n] must be readable for every n below N rounded up to recog__gemm_nr(). */
void recog__gemm_direct(int M, int N, int K, const float *ap, const float *in, const int *off,
                        const float *bias, int relu, float *C);

/* The kernels by instruction set, for tests: whether this CPU runs one, and the product from
 * plain row-major A and B with that kernel (packing both on the way). */
typedef enum recog__isa { RECOG__ISA_GENERIC, RECOG__ISA_AVX2, RECOG__ISA_AVX512 } recog__isa;
int recog__gemm_has(recog__isa isa);
void recog__gemm_isa(recog__isa isa, int M, int N, int K, const float *A, const float *B,
                     const float *bias, int relu, float *C);
void recog__gemm_direct_isa(recog__isa isa, int M, int N, int K, const float *A, const float *in,
                            const int *off, const float *bias, int relu, float *C);

/* Runs the net on in (in_c x h x w). Returns a malloc'd output (the caller frees it) and its
 * shape in *oc, *oh, *ow; NULL when the input is too small for the net. */
float *recog__net_forward(const recog__net *net, const float *in, int h, int w, int *oc, int *oh,
                          int *ow);

/* Resamples the grey image to dst_w x dst_h floats in [0,1] with the triangle (bilinear)
 * filter widened by the scale factor, as PIL's Image.resize(BILINEAR) does. OUT: dst. */
void recog__resize(const recog_image *src, int dst_w, int dst_h, float *dst);

/* Samples the box (x0,y0)-(x1,y1) of src, in pixel edges, onto dst_w x dst_h floats in [0,1]
 * by bilinear interpolation at the output pixel centres, as PIL's transform(EXTENT) does.
 * Outside the image reads as the nearest edge pixel. OUT: dst. */
void recog__crop(const recog_image *src, float x0, float y0, float x1, float y1, int dst_w,
                 int dst_h, float *dst);
/* recog__crop with every column of the box moved down by slope * (its x - the box's centre x)
 * and every row moved right by tilt * (its y - the box's centre y): a plate whose lines of text
 * fall (slope > 0) or rise to the right, and whose upright strokes lean (a plate turned in the
 * picture: tilt near -slope), comes out level and upright. */
void recog__crop_sheared(const recog_image *src, float x0, float y0, float x1, float y1,
                         float slope, float tilt, int dst_w, int dst_h, float *dst);

/* One detection in image pixels. */
typedef struct recog__box {
    float score;
    float x0, y0, x1, y1;
    int rank; /* detection pass: 0 the main scale, 1 the coarse one */
} recog__box;

/* Turns img in place as an EXIF Orientation value says it is to be shown (1 or anything outside
 * 1-8: left as it is; 6: turned 90 degrees clockwise; 8: 90 counter-clockwise; 3: 180; 2, 4, 5, 7
 * the mirrored ones), swapping width and height for 5-8 (orient.c). */
void recog__orient(recog_image *img, int orientation);
/* The same into a new image, img untouched (orientation 2-8). OUT: *shown, freed with
 * recog_image_fini. */
void recog__orient_into(const recog_image *img, int orientation, recog_image *shown);

/* How a plate leans in the upright box (x0,y0)-(x1,y1) of img (quad.c): *slope (dy/dx) of its
 * lines of text, the shear that makes the rows of its vertical gradient sharpest, and *tilt
 * (dx/dy) of its upright strokes, the shift per row that makes the column sums of its
 * horizontal gradient sharpest (0 for strokes that stand upright, as on a plate that only leans
 * as seen from the roadside); each within +-RECOG__MAX_SLOPE, both 0 for a box too small to
 * tell. */
#define RECOG__MAX_SLOPE 0.3f
void recog__plate_lean(const recog_image *img, float x0, float y0, float x1, float y1, float *slope,
                       float *tilt);

/* Intersection over union of two boxes (0 when they do not overlap). */
float recog__box_iou(const recog__box *a, const recog__box *b);

/* Box calibration: the detector learnt the bounds of synthetic plates, which come out larger
 * than the plate boxes people draw on real photographs; widths and heights are scaled by w and h
 * and the centre moved by dy heights (values per country in recog.c, MODEL_CARD.md). */
typedef struct recog__box_cal {
    float w, h, dy;
} recog__box_cal;

/* Runs the detector on img scaled to long_side (0: the default 768), and when second_side > 0
 * again at that (smaller) size and at 5/8 of it for large plates (the last pass keeping only
 * plates of 40% of the long side or more); boxes calibrated by cal, the surest first.
 * OUT: boxes (at most max), *n. Returns 0 or a PK_E* code. */
int recog__detect(const recog__net *det, const recog_image *img, int long_side, int second_side,
                  const recog__box_cal *cal, float threshold, recog__box *boxes, int max, int *n,
                  pk_err *err);

/* Measures *b again: runs the detector on a window around it, scaled so the box is mid-range
 * for the detector, and moves *b to the strongest cell near the window's centre (detect.c).
 * Returns 1 when *b was refined, 0 when it was left as it was. */
int recog__refine_box(const recog__net *det, const recog_image *img, const recog__box_cal *cal,
                      recog__box *b);

/* Reads the box of img with the readers rds[0..nrd-1] (an ensemble: same input size and
 * alphabet, checked at load); us: apply US plates' letter prior. OUT: *plate (text,
 * confidences, candidates). */
void recog__read_box(const recog__net *const *rds, int nrd, const recog_image *img, float x0,
                     float y0, float x1, float y1, int topn, int us, recog_plate *plate);

/* The reader's per-column class probabilities [T][C] (caller frees) for the box (x0,y0)-(x1,y1)
 * of img cut level and upright by slope and tilt (recog__crop_sheared) at the reader's input height
 * and out_w columns (a multiple of 4: the reader is fully convolutional), bias (NULL: none) added
 * to the class scores before the softmax. OUT: *T, *C. */
float *recog__strip_probs(const recog__net *rd, const recog_image *img, float x0, float y0,
                          float x1, float y1, float slope, float tilt, int out_w, const float *bias,
                          int *T, int *C);

/* The segments of the best path through probs[t][c] (the likeliest class per column, runs of
 * one class merged, blanks dropped): columns lo[i] to hi[i] - 1 read class cls[i] (cls may be
 * NULL). At most max. Returns how many. */
int recog__ctc_segments(const float *probs, int T, int C, int max, int *lo, int *hi, int *cls);
/* Whether the first or last character of plate, read as probs [T][C] (the best path must spell
 * plate) by rd from the box widened by gx, gy and cut by slope and tilt, is a specialty plate's
 * emblem rather than a character (emblem.c): its index in plate, or -1. OUT: *p_emblem, the
 * reader's probability for that character (when found). */
int recog__edge_emblem(const recog__net *rd, const recog_image *img, float x0, float y0, float x1,
                       float y1, float slope, float tilt, float gx, float gy, const float *probs,
                       int T, int C, const char *plate, float *p_emblem);
/* CTC decoding of reader output probs[t][c] (c = 0 blank, 1..n_alpha) into the best topn
 * readings. OUT: cand (topn slots), returns how many were filled (0 when nothing was read). */
int recog__ctc_topn(const float *probs, int T, int C, const char *alphabet, int topn,
                    recog_candidate *cand);
#define RECOG__CTC_TEXT_MAX 32 /* longest text recog__ctc_logp scores (a state's slogan) */
/* Log probability of TEXT under the per-column class probabilities PROBS [T][C] (class 0 the
 * CTC blank, class i+1 alphabet[i]), summed over every alignment; -INFINITY for a character
 * outside the alphabet or a text longer than RECOG__CTC_TEXT_MAX. */
float recog__ctc_logp(const float *probs, int T, int C, const char *alphabet, const char *text);

/* European plates print O and 0 alike, but within one group of characters they do not mix
 * letters and digits: an O or 0 between digits (or between a digit and the edge) is read as 0,
 * one between letters (or a letter and the edge) as O; one between a letter and a digit stays
 * as read. Changes s in place. */
void recog__harmonize_o_zero(char *s);
/* Applies recog__harmonize_o_zero to every candidate of *pl, merging those that become equal
 * (keeping the higher confidence) and re-sorting. */
void recog__plate_harmonize(recog_plate *pl);

/* json.c: one plate as an element of alpr_results' results[] (plate_index index). New reference. */
json_t *recog__plate_json(const recog_plate *p, int index, int topn);
/* cand[0..n-1] as a candidates[] array ({plate, confidence, matches_template}). New reference. */
json_t *recog__candidates_json(const recog_candidate *cand, int n);

/* region.c. The index of a region code in its table (any case), -1 when unknown. */
int recog__region_index(const char *code);
/* Whether plate fits one of the region's formats (0 for a bad index). */
int recog__region_match(int region, const char *plate);
/* Reads *pl with the region's formats: sets every candidate's matches_template and ranks fitting
 * candidates ahead of ones that fit nothing and are not much surer. Does nothing for a bad index.
 */
void recog__plate_apply_region(recog_plate *pl, int region);
/* A plate narrower than this (pixels) prints its state's name in letters of 6 pixels or less,
 * which do not read: the US scenes' plates of 74-100 px told a state once in 50 tries, and
 * each try costs about as much as reading the plate. */
#define RECOG__REGION_MIN_WIDTH 100.0f
/* The state *pl (read, with its corners) was issued by, told by reading the state's name where
 * plates print it, with the reader rd: the region's index, or -1 when no state reads clearly
 * enough. OUT: *confidence (0..100), also for -1. */
int recog__region_detect(const recog__net *rd, const recog_image *img, const recog_plate *pl,
                         float *confidence);

#endif

/*
 * reader.c: reading one plate box: crop, reader net, CTC decoding into the top-N readings.
 *
 * The reader sees the box widened as the training crops were (tools/train/synth.py jitter_box:
 * on average 4% of the width left and right, 7% of the height above and below), resampled to
 * in_h x in_w. Its output is one column of class scores per 4 input pixels (blank + alphabet).
 * A plate that leans in its upright box (quad.c) is cut sheared level, and its box's height
 * less the lean: US scenes' top-1 on the unseen half rose from 90.6% to 94.3% (MODEL_CARD.md).
 *
 * Top-N: the best path (argmax per column, repeats merged, blanks dropped) splits the columns
 * into character segments. Each segment offers its three likeliest characters (the highest
 * probability any of its columns gives them), and, when it is weak, being dropped altogether;
 * a beam search over the segments keeps the topn best products. A reading's confidence is the
 * geometric mean of its choices' probabilities, times 100.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recog/recog_int.h"

#define SEG_CHOICES 4 /* three characters and "drop this segment" */
#define MAX_SEG     (RECOG_PLATE_MAX - 1)
#define BEAM_MAX    (RECOG_MAX_TOPN * SEG_CHOICES)

typedef struct choice {
    char c;   /* 0: drop the segment */
    float lp; /* log probability */
} choice;

typedef struct hyp {
    char s[RECOG_PLATE_MAX];
    int len;
    float lp; /* sum of the choices' log probabilities */
    int n;    /* choices made (for the geometric mean) */
} hyp;

static int by_lp(const void *pa, const void *pb) {
    const hyp *a = pa, *b = pb;
    return (a->lp < b->lp) - (a->lp > b->lp);
}

static int by_choice(const void *pa, const void *pb) {
    const choice *a = pa, *b = pb;
    return (a->lp < b->lp) - (a->lp > b->lp);
}

int recog__ctc_segments(const float *probs, int T, int C, int max, int *lo, int *hi, int *cls) {
    int n = 0, prev = 0;
    for (int t = 0; t < T; t++) {
        const float *p = probs + (size_t)t * C;
        int best = 0;
        for (int c = 1; c < C; c++)
            if (p[c] > p[best]) best = c;
        if (best != 0 && best != prev) {
            if (n == max) break;
            lo[n] = t;
            hi[n] = t + 1;
            if (cls) cls[n] = best;
            n++;
        } else if (best != 0 && best == prev) {
            hi[n - 1] = t + 1;
        }
        prev = best;
    }
    return n;
}

int recog__ctc_topn(const float *probs, int T, int C, const char *alphabet, int topn,
                    recog_candidate *cand) {
    if (topn < 1) topn = 1;
    if (topn > RECOG_MAX_TOPN) topn = RECOG_MAX_TOPN;
    int seg_lo[MAX_SEG], seg_hi[MAX_SEG];
    int nseg = recog__ctc_segments(probs, T, C, MAX_SEG, seg_lo, seg_hi, NULL);
    if (nseg == 0) return 0;
    /* Choices per segment. */
    choice ch[MAX_SEG][SEG_CHOICES];
    int nch[MAX_SEG];
    for (int s = 0; s < nseg; s++) {
        choice all[RECOG__MAX_ALPHA];
        for (int c = 1; c < C; c++) {
            float m = 0;
            for (int t = seg_lo[s]; t < seg_hi[s]; t++) {
                float v = probs[(size_t)t * C + c];
                if (v > m) m = v;
            }
            all[c - 1] = (choice){alphabet[c - 1], logf(fmaxf(m, 1e-6f))};
        }
        qsort(all, (size_t)(C - 1), sizeof *all, by_choice);
        int k = 0;
        for (int i = 0; i < 3 && i < C - 1; i++) ch[s][k++] = all[i];
        /* A weak segment may be a spurious character. */
        if (all[0].lp < logf(0.6f))
            ch[s][k++] = (choice){0, logf(fmaxf(1.0f - expf(all[0].lp), 1e-6f))};
        nch[s] = k;
    }
    /* Beam search. */
    hyp beam[BEAM_MAX], next[BEAM_MAX];
    int nb = 1;
    memset(&beam[0], 0, sizeof beam[0]);
    for (int s = 0; s < nseg; s++) {
        int nn = 0;
        for (int b = 0; b < nb; b++)
            for (int k = 0; k < nch[s] && nn < BEAM_MAX; k++) {
                hyp h = beam[b];
                if (ch[s][k].c) h.s[h.len++] = ch[s][k].c;
                h.lp += ch[s][k].lp;
                h.n++;
                next[nn++] = h;
            }
        qsort(next, (size_t)nn, sizeof *next, by_lp);
        nb = nn < topn * 2 ? nn : topn * 2;
        if (nb > RECOG_MAX_TOPN) nb = RECOG_MAX_TOPN;
        memcpy(beam, next, sizeof *beam * (size_t)nb);
    }
    /* Distinct, non-empty strings, best first. */
    int out = 0;
    for (int b = 0; b < nb && out < topn; b++) {
        if (beam[b].len == 0) continue;
        beam[b].s[beam[b].len] = 0;
        int dup = 0;
        for (int i = 0; i < out && !dup; i++) dup = !strcmp(cand[i].plate, beam[b].s);
        if (dup) continue;
        memset(&cand[out], 0, sizeof cand[out]);
        memcpy(cand[out].plate, beam[b].s, (size_t)beam[b].len + 1);
        cand[out].confidence = 100.0f * expf(beam[b].lp / (float)beam[b].n);
        out++;
    }
    return out;
}

float recog__ctc_logp(const float *probs, int T, int C, const char *alphabet, const char *text) {
    /* Label sequence with blanks between and around: blank c1 blank c2 ... blank. */
    int lab[2 * RECOG__CTC_TEXT_MAX + 1], S = 0;
    if (strlen(text) > RECOG__CTC_TEXT_MAX) return -INFINITY;
    lab[S++] = 0;
    for (const char *q = text; *q; q++) {
        const char *at = strchr(alphabet, *q);
        if (!at || !*q) return -INFINITY;
        lab[S++] = (int)(at - alphabet) + 1;
        lab[S++] = 0;
    }
    if (T < 1) return -INFINITY;
    /* The forward variables in probability, rescaled to sum 1 at every column (their log scale
     * kept apart): no log or exp per cell, which made this a third of the reading's time once
     * every state's name was scored against two strips per plate (region.c). */
    float a[2 * RECOG__CTC_TEXT_MAX + 1], b[2 * RECOG__CTC_TEXT_MAX + 1];
    double log_scale = 0;
    for (int s = 0; s < S; s++) a[s] = 0;
    a[0] = fmaxf(probs[0], 1e-30f);
    if (S > 1) a[1] = fmaxf(probs[lab[1]], 1e-30f);
    for (int t = 1; t < T; t++) {
        const float *p = probs + (size_t)t * C;
        float sum = 0;
        for (int s = 0; s < S; s++) sum += a[s];
        if (!(sum > 0)) return -INFINITY;
        log_scale += log((double)sum);
        float inv = 1.0f / sum;
        for (int s = 0; s < S; s++) {
            float v = a[s];
            if (s > 0) v += a[s - 1];
            /* A character may follow the previous one directly unless they are the same. */
            if (s > 1 && lab[s] != 0 && lab[s] != lab[s - 2]) v += a[s - 2];
            b[s] = v * inv * fmaxf(p[lab[s]], 1e-30f);
        }
        memcpy(a, b, sizeof(float) * (size_t)S);
    }
    float end = S > 1 ? a[S - 1] + a[S - 2] : a[0];
    if (!(end > 0)) return -INFINITY;
    return (float)(log((double)end) + log_scale);
}

float *recog__strip_probs(const recog__net *rd, const recog_image *img, float x0, float y0,
                          float x1, float y1, float slope, float tilt, int out_w, const float *bias,
                          int *T_out, int *C_out) {
    int H = rd->in_h, W = out_w;
    float *in = pk_xmalloc(sizeof(float) * (size_t)H * W);
    recog__crop_sheared(img, x0, y0, x1, y1, slope, tilt, W, H, in);
    int oc, oh, ow;
    float *out = recog__net_forward(rd, in, H, W, &oc, &oh, &ow);
    free(in);
    PK_ASSERT(out && oc == rd->n_alpha + 1 && oh == 1);
    /* out is [C][T]; softmax per column into probs[T][C]. */
    int T = ow, C = oc;
    if (bias)
        for (int c = 0; c < C; c++)
            for (int t = 0; t < T; t++) out[(size_t)c * T + t] += bias[c];
    float *probs = pk_xmalloc(sizeof(float) * (size_t)T * C);
    for (int t = 0; t < T; t++) {
        float m = -INFINITY, sum = 0;
        for (int c = 0; c < C; c++) m = fmaxf(m, out[(size_t)c * T + t]);
        for (int c = 0; c < C; c++) {
            float e = expf(out[(size_t)c * T + t] - m);
            probs[(size_t)t * C + c] = e;
            sum += e;
        }
        for (int c = 0; c < C; c++) probs[(size_t)t * C + c] /= sum;
    }
    free(out);
    *T_out = T;
    *C_out = C;
    return probs;
}

/* One crop variant: the box widened by gx, gy of its size on each side, at the reader's own
 * input size. */
static float *variant_probs(const recog__net *rd, const recog_image *img, float x0, float y0,
                            float x1, float y1, float slope, float tilt, float gx, float gy,
                            const float *bias, int *T_out, int *C_out) {
    float w = x1 - x0, h = y1 - y0;
    return recog__strip_probs(rd, img, x0 - gx * w, y0 - gy * h, x1 + gx * w, y1 + gy * h, slope,
                              tilt, rd->in_w, bias, T_out, C_out);
}

static int by_conf(const void *pa, const void *pb) {
    const recog_candidate *a = pa, *b = pb;
    return (a->confidence < b->confidence) - (a->confidence > b->confidence);
}

/* Puts all[0]'s reading without its character at index e (read with probability p_e) first,
 * with all[0]'s confidence, and keeps the reading with it next, its confidence scaled by p_e per
 * character (the character is likelier a picture than not); all holds n of at most cap. Returns
 * the new n. */
static int put_first_without(recog_candidate *all, int n, int cap, int e, float p_e) {
    recog_candidate c = all[0];
    size_t len = strlen(c.plate);
    memmove(c.plate + e, c.plate + e + 1, len - (size_t)e);
    all[0].confidence *= powf(p_e, 1.0f / (float)len);
    int j = 1;
    while (j < n && strcmp(all[j].plate, c.plate)) j++;
    if (j == n && n < cap) n++;
    if (j == cap) j--;
    memmove(all + 1, all, sizeof *all * (size_t)j);
    all[0] = c;
    return n;
}

/* Crop variants read for every box by every reader: the training crops' average widening, a
 * wider and a tighter one (and two more for small plates, below). Each (reader, crop) proposes its
 * top-N readings; every proposal is then scored by its CTC probability averaged (in log) over all
 * of them, so a reading must hold up under every crop and reader, which beats trusting whichever
 * was most sure (MODEL_CARD.md). */
static const float variants_us[][2] = {
    {0.04f, 0.07f}, {0.10f, 0.14f}, {0.0f, 0.02f}, {0.07f, 0.03f}, {0.02f, 0.11f}};
/* European plates (4.7:1) read better a little wider: top-1 on both halves of the EU scenes rose
 * 4-6 points, while US scenes read worse with these (75% against 79% on the unseen half). */
static const float variants_eu[][2] = {
    {0.06f, 0.08f}, {0.12f, 0.14f}, {0.02f, 0.04f}, {0.09f, 0.05f}, {0.04f, 0.12f}};
#define N_VARIANTS ((int)(sizeof variants_us / sizeof variants_us[0]))
/* A plate narrower than this is enlarged to the reader's 128 columns, and crops cut a little
 * differently show it at other sampling phases: such plates are read in all five variants,
 * larger ones in the first three (five cost 1.7 times the reading and read the larger crops no
 * better). On the unseen US scenes scaled to 0.5, 0.75 and 1 (re-encoded), one more plate each,
 * none fewer; the scenes as they are and the crops are unchanged (MODEL_CARD.md). */
#define SMALL_PLATE_PX 100.0f

/* US plates: most states issue no letter O, or print it as the digit zero (11 O against 153 0
 * in the labels of the training half of the US crops), while the synthetic training text drew O
 * as often as any letter. The reader's odds for O are scaled down towards that prior (0.3 was
 * the best of 1, 0.3 and 0.1 on the crops' validation half: +0.6 points). */
#define US_O_PRIOR 0.3f

/* Reads the box cut by slope and tilt (recog__crop_sheared) in every crop variant with every
 * reader. OUT: plate's candidates, text, confidence and corners. */
static void read_cut(const recog__net *const *rds, int nrd, const recog_image *img, float x0,
                     float y0, float x1, float y1, float slope, float tilt, int topn, int us,
                     recog_plate *plate) {
    float bias[RECOG__MAX_ALPHA + 1] = {0};
    const char *o = us ? strchr(rds[0]->alphabet, 'O') : NULL;
    if (o) bias[o - rds[0]->alphabet + 1] = logf(US_O_PRIOR);
    recog_candidate all[RECOG__MAX_READERS * N_VARIANTS * RECOG_MAX_TOPN];
    float *probs[RECOG__MAX_READERS * N_VARIANTS];
    const float(*var)[2] = us ? variants_us : variants_eu;
    int nvar = x1 - x0 < SMALL_PLATE_PX ? N_VARIANTS : 3;
    int n = 0, np = 0, T = 0, C = 0;
    /* A leaning plate: its upright box holds the plate and the triangles its lean adds above and
     * below (and, when its sides lean too, left and right); the plate itself is that much
     * smaller (but not less than half: a lean that large is more likely a misjudged one). */
    float h = (y1 - y0) - fabsf(slope) * (x1 - x0), yc = (y0 + y1) / 2;
    if (h < 0.5f * (y1 - y0)) h = 0.5f * (y1 - y0);
    y0 = yc - h / 2;
    y1 = yc + h / 2;
    float w = (x1 - x0) - fabsf(tilt) * h, xc = (x0 + x1) / 2;
    if (w < 0.5f * (x1 - x0)) w = 0.5f * (x1 - x0);
    x0 = xc - w / 2;
    x1 = xc + w / 2;
    for (int r = 0; r < nrd; r++)
        for (int v = 0; v < nvar; v++) {
            probs[np] = variant_probs(rds[r], img, x0, y0, x1, y1, slope, tilt, var[v][0],
                                      var[v][1], o ? bias : NULL, &T, &C);
            recog_candidate c[RECOG_MAX_TOPN];
            int k = recog__ctc_topn(probs[np], T, C, rds[0]->alphabet, topn, c);
            np++;
            for (int i = 0; i < k; i++) {
                int j = 0;
                while (j < n && strcmp(all[j].plate, c[i].plate)) j++;
                if (j == n) all[n++] = c[i];
            }
        }
    /* Confidence: the geometric mean per character of the averaged probability, times 100. */
    for (int i = 0; i < n; i++) {
        float lp = 0;
        for (int k = 0; k < np; k++)
            lp += recog__ctc_logp(probs[k], T, C, rds[0]->alphabet, all[i].plate);
        lp /= (float)np;
        size_t len = strlen(all[i].plate);
        all[i].confidence = isfinite(lp) ? 100.0f * expf(lp / (float)(len ? len : 1)) : 0.0f;
    }
    qsort(all, (size_t)n, sizeof *all, by_conf);
    if (us && n > 0) {
        float p_e;
        int e = recog__edge_emblem(rds[0], img, x0, y0, x1, y1, slope, tilt, var[0][0], var[0][1],
                                   probs[0], T, C, all[0].plate, &p_e);
        if (e >= 0) n = put_first_without(all, n, (int)(sizeof all / sizeof *all), e, p_e);
    }
    for (int k = 0; k < np; k++) free(probs[k]);
    memset(plate->cand, 0, sizeof plate->cand);
    plate->n_cand = n < topn ? n : topn;
    memcpy(plate->cand, all, sizeof *all * (size_t)plate->n_cand);
    if (plate->n_cand > 0) {
        memcpy(plate->plate, plate->cand[0].plate, sizeof plate->plate);
        plate->confidence = plate->cand[0].confidence;
    } else {
        plate->plate[0] = 0;
        plate->confidence = 0;
    }
    /* The corners of the plate as cut: rows sloping by slope, sides leaning by tilt. */
    float dy = slope * (x1 - x0) / 2, dx = tilt * (y1 - y0) / 2;
    plate->corners[0] = (recog_point){x0 - dx, y0 - dy};
    plate->corners[1] = (recog_point){x1 - dx, y0 + dy};
    plate->corners[2] = (recog_point){x1 + dx, y1 + dy};
    plate->corners[3] = (recog_point){x0 + dx, y1 - dy};
}

/* Below this lean (about 3 degrees) a plate is read as a shear only: a smaller turn reads as
 * well that way, and reading every slightly leaning plate twice cost 1.7 ms per scene (0.03:
 * the same plates read, save one of the unseen US scenes turned 5 degrees). A turned reading
 * must be this much surer (confidence points) to win: upright plates whose strokes seem to
 * lean (a slanted font, a frame) now and then read turned with a higher confidence, e.g. 4YE132
 * (86%) for AYE132 (72%). On the unseen US scenes turned 0, 5, 10 and -10 degrees (lean 0.03),
 * margins 0, 8 and 15 read 48/44/39/35, 48/43/38/34 and 49/45/36/32 of 53 (49/42/30/27
 * without the turned reading); 15 is the first that costs the scenes as they are nothing. */
#define TURN_MIN    0.05f
#define TURN_MARGIN 15.0f

void recog__read_box(const recog__net *const *rds, int nrd, const recog_image *img, float x0,
                     float y0, float x1, float y1, int topn, int us, recog_plate *plate) {
    double t0 = recog_now_ms();
    if (nrd > RECOG__MAX_READERS) nrd = RECOG__MAX_READERS;
    /* Leaning rows are most often a plate seen from the side (a shear: its strokes stay
     * upright), but may be a plate turned in the picture (its strokes lean as much the other
     * way). The two estimates alone do not tell them apart reliably (each misses some turned
     * plates), so a plate with either lean is also read turned, and the surer reading wins. */
    float slope, tilt;
    recog__plate_lean(img, x0, y0, x1, y1, &slope, &tilt);
    read_cut(rds, nrd, img, x0, y0, x1, y1, slope, 0, topn, us, plate);
    if (fabsf(slope) >= TURN_MIN || fabsf(tilt) >= TURN_MIN) {
        /* The turn's slope: the two estimates' mean when they agree, else the larger one. */
        float s = slope * tilt < 0              ? (slope - tilt) / 2
                  : fabsf(slope) >= fabsf(tilt) ? slope
                                                : -tilt;
        recog_plate turned = *plate;
        read_cut(rds, nrd, img, x0, y0, x1, y1, s, -s, topn, us, &turned);
        if (turned.confidence > plate->confidence + TURN_MARGIN) *plate = turned;
    }
    plate->ms = recog_now_ms() - t0;
}

/* 'd' digit, 'l' letter, 'e' the plate's edge; O and 0 count as neither (they are in doubt). */
static char kind_at(const char *s, int i, int n) {
    if (i < 0 || i >= n) return 'e';
    if (s[i] == 'O' || s[i] == '0') return '?';
    return s[i] >= '0' && s[i] <= '9' ? 'd' : 'l';
}

void recog__harmonize_o_zero(char *s) {
    int n = (int)strlen(s);
    for (int i = 0; i < n; i++) {
        if (s[i] != 'O' && s[i] != '0') continue;
        char l = kind_at(s, i - 1, n), r = kind_at(s, i + 1, n);
        if ((l == 'd' && (r == 'd' || r == 'e')) || (l == 'e' && r == 'd')) s[i] = '0';
        if ((l == 'l' && (r == 'l' || r == 'e')) || (l == 'e' && r == 'l')) s[i] = 'O';
    }
}

void recog__plate_harmonize(recog_plate *pl) {
    int n = 0;
    for (int i = 0; i < pl->n_cand; i++) {
        recog_candidate c = pl->cand[i];
        recog__harmonize_o_zero(c.plate);
        int j = 0;
        while (j < n && strcmp(pl->cand[j].plate, c.plate)) j++;
        if (j == n)
            pl->cand[n++] = c;
        else if (c.confidence > pl->cand[j].confidence)
            pl->cand[j].confidence = c.confidence;
    }
    for (int i = n; i < pl->n_cand; i++) memset(&pl->cand[i], 0, sizeof pl->cand[i]);
    pl->n_cand = n;
    qsort(pl->cand, (size_t)n, sizeof *pl->cand, by_conf);
    if (n > 0) {
        memcpy(pl->plate, pl->cand[0].plate, sizeof pl->plate);
        pl->confidence = pl->cand[0].confidence;
    }
}

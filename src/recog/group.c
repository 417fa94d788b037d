/*
 * group.c: plate groups, one vehicle's plate seen in several frames of a video (OpenALPR's
 * alpr_group).
 *
 * Why: a camera that films a passing car reads its plate in many frames, often a little
 * differently in each (blur, angle, a frame where one character is hidden). A patrol unit wants
 * one read per passage, with the reading the frames agree on, not thirty reads to ingest, match
 * and show. Agreement across frames is also a better reading than any one frame's.
 *
 * How: frames come in order. A plate joins the open group whose readings it shares (its best
 * reading within one edit of the group's, or a reading both have among their first three); a
 * group closes once no frame has read it for gap_ms of video time, and at the end. Each reading
 * a group collects adds its confidence to that string's total; the group's plate is the string
 * with the largest total, its confidence that total over the frames that read the group (a
 * reading some frames missed scores lower). The state told is voted the same way.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "recog/recog_int.h"

#define GROUP_MAX_OPEN   16 /* plates followed at once; the oldest unseen closes to make room */
#define GROUP_MAX_STRING 64 /* readings tallied per group; the weakest makes room */
#define GROUP_MAX_REGION 8
#define MATCH_TOP        3 /* candidates compared when best readings differ by more than one edit */

typedef struct tally {
    char plate[RECOG_PLATE_MAX];
    float sum; /* confidence summed over frames */
    int fits;  /* matches_template in the last frame that read it */
} tally;

typedef struct open_group {
    recog_group g;
    tally t[GROUP_MAX_STRING];
    int nt;
    struct {
        char code[RECOG_REGION_MAX];
        float sum;
    } region[GROUP_MAX_REGION];
    int nregion;
} open_group;

struct recog_grouper {
    int topn;
    double gap_ms;
    open_group open[GROUP_MAX_OPEN];
    int n;
};

recog_grouper *recog_grouper_new(int topn, double gap_ms) {
    recog_grouper *gr = pk_xcalloc(1, sizeof *gr);
    gr->topn = topn < 1 ? 1 : topn > RECOG_MAX_TOPN ? RECOG_MAX_TOPN : topn;
    gr->gap_ms = gap_ms < 0 ? 0 : gap_ms;
    return gr;
}

void recog_grouper_free(recog_grouper *gr) {
    free(gr);
}

/* Levenshtein distance of a and b, stopping early: returns limit + 1 once it must exceed limit. */
static int edits(const char *a, const char *b, int limit) {
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (abs(la - lb) > limit) return limit + 1;
    int prev[RECOG_PLATE_MAX + 1], cur[RECOG_PLATE_MAX + 1];
    for (int j = 0; j <= lb; j++) prev[j] = j;
    for (int i = 1; i <= la; i++) {
        cur[0] = i;
        int row_min = cur[0];
        for (int j = 1; j <= lb; j++) {
            int v = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < v) v = prev[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            cur[j] = v;
            if (v < row_min) row_min = v;
        }
        if (row_min > limit) return limit + 1;
        memcpy(prev, cur, sizeof(int) * (size_t)(lb + 1));
    }
    return prev[lb];
}

/* How well plate p fits open group o: 0 the same best reading, 1 one edit apart, 2 a shared
 * reading among both's first MATCH_TOP, 3 no match. */
static int affinity(const open_group *o, const recog_plate *p) {
    int d = edits(o->g.plate, p->plate, 1);
    if (d <= 1) return d;
    for (int i = 0; i < p->n_cand && i < MATCH_TOP; i++)
        for (int k = 0; k < o->g.n_cand && k < MATCH_TOP; k++)
            if (!strcmp(p->cand[i].plate, o->g.cand[k].plate)) return 2;
    return 3;
}

static int by_sum(const void *pa, const void *pb) {
    const tally *a = pa, *b = pb;
    return (a->sum < b->sum) - (a->sum > b->sum);
}

/* Recomputes o's plate, confidence, candidates and state from its tallies. */
static void settle(open_group *o, int topn) {
    qsort(o->t, (size_t)o->nt, sizeof *o->t, by_sum);
    recog_group *g = &o->g;
    /* A frame that read the group but not this string counts as no vote for it. */
    float frames = (float)(g->n_frames > 0 ? g->n_frames : 1);
    g->n_cand = o->nt < topn ? o->nt : topn;
    for (int i = 0; i < g->n_cand; i++) {
        memcpy(g->cand[i].plate, o->t[i].plate, sizeof g->cand[i].plate);
        g->cand[i].confidence = fminf(100.0f, o->t[i].sum / frames);
        g->cand[i].matches_template = o->t[i].fits;
    }
    if (g->n_cand > 0) {
        memcpy(g->plate, g->cand[0].plate, sizeof g->plate);
        g->confidence = g->cand[0].confidence;
    }
    int best = -1;
    for (int i = 0; i < o->nregion; i++)
        if (best < 0 || o->region[i].sum > o->region[best].sum) best = i;
    if (best >= 0) {
        memcpy(g->region, o->region[best].code, sizeof g->region);
        g->region_confidence = fminf(100.0f, o->region[best].sum / frames);
    }
}

static void add_plate(open_group *o, const recog_plate *p, long frame, double time_ms, int topn) {
    recog_group *g = &o->g;
    if (g->n_frames == 0) {
        g->frame_start = frame;
        g->time_start_ms = time_ms;
    }
    g->frame_end = frame;
    g->time_end_ms = time_ms;
    g->n_frames++;
    if (g->n_frames == 1 || p->confidence > g->best.confidence) {
        g->best = *p;
        g->best_frame = frame;
        g->best_time_ms = time_ms;
    }
    for (int i = 0; i < p->n_cand; i++) {
        const recog_candidate *c = &p->cand[i];
        int k = 0;
        while (k < o->nt && strcmp(o->t[k].plate, c->plate)) k++;
        if (k == o->nt) {
            if (o->nt == GROUP_MAX_STRING) {
                qsort(o->t, (size_t)o->nt, sizeof *o->t, by_sum);
                k = --o->nt; /* the weakest makes room */
            }
            memset(&o->t[k], 0, sizeof o->t[k]);
            memcpy(o->t[k].plate, c->plate, sizeof o->t[k].plate);
            o->nt++;
        }
        o->t[k].sum += c->confidence;
        o->t[k].fits = c->matches_template;
    }
    if (p->region[0]) {
        int k = 0;
        while (k < o->nregion && strcmp(o->region[k].code, p->region)) k++;
        if (k == o->nregion && o->nregion < GROUP_MAX_REGION) {
            memcpy(o->region[k].code, p->region, sizeof o->region[k].code);
            o->region[k].sum = 0;
            o->nregion++;
        }
        if (k < o->nregion) o->region[k].sum += p->region_confidence;
    }
    settle(o, topn);
}

static void close_at(recog_grouper *gr, int i, recog_group_fn fn, void *ctx) {
    fn(ctx, &gr->open[i].g);
    memmove(&gr->open[i], &gr->open[i + 1], sizeof gr->open[0] * (size_t)(gr->n - i - 1));
    gr->n--;
}

void recog_grouper_add(recog_grouper *gr, const recog_result *res, long frame, double time_ms,
                       recog_group_fn fn, void *ctx) {
    /* Groups not seen for longer than the gap are done, oldest first. */
    for (int i = 0; i < gr->n;)
        if (time_ms - gr->open[i].g.time_end_ms > gr->gap_ms)
            close_at(gr, i, fn, ctx);
        else
            i++;
    /* Plates join groups best match first (the same reading before one edit apart before a
     * shared alternative), so a plate does not take the group a closer reading of the same
     * frame belongs to; each group takes one plate per frame. */
    int n = res->n;
    int *joined = pk_xmalloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    int taken[GROUP_MAX_OPEN] = {0};
    for (int k = 0; k < n; k++) joined[k] = -1;
    for (;;) {
        int bk = -1, bi = -1, ba = 3;
        for (int k = 0; k < n; k++) {
            if (joined[k] >= 0) continue;
            for (int i = 0; i < gr->n; i++) {
                if (taken[i]) continue;
                int a = affinity(&gr->open[i], &res->plates[k]);
                if (a < ba ||
                    (a == ba && bk >= 0 && res->plates[k].confidence > res->plates[bk].confidence))
                    bk = k, bi = i, ba = a;
            }
        }
        if (bk < 0) break;
        joined[bk] = bi;
        taken[bi] = 1;
    }
    for (int k = 0; k < n; k++)
        if (joined[k] >= 0)
            add_plate(&gr->open[joined[k]], &res->plates[k], frame, time_ms, gr->topn);
    /* The rest start groups; when too many are open the oldest not seen in this frame closes
     * to make room. */
    for (int k = 0; k < n; k++) {
        if (joined[k] >= 0) continue;
        if (gr->n == GROUP_MAX_OPEN) {
            int i = 0;
            while (i < gr->n && taken[i]) i++;
            if (i == gr->n) i = 0; /* every one was seen now: the oldest */
            close_at(gr, i, fn, ctx);
            memmove(taken + i, taken + i + 1, sizeof taken[0] * (size_t)(GROUP_MAX_OPEN - i - 1));
            taken[GROUP_MAX_OPEN - 1] = 0;
        }
        taken[gr->n] = 1;
        open_group *o = &gr->open[gr->n++];
        memset(o, 0, sizeof *o);
        add_plate(o, &res->plates[k], frame, time_ms, gr->topn);
    }
    free(joined);
}

void recog_grouper_finish(recog_grouper *gr, recog_group_fn fn, void *ctx) {
    while (gr->n > 0) close_at(gr, 0, fn, ctx);
}

json_t *recog_group_json(const recog_group *g, int topn, int64_t epoch_ms) {
    json_t *o = json_object();
    json_object_set_new(o, "version", json_integer(2));
    json_object_set_new(o, "data_type", json_string("alpr_group"));
    json_object_set_new(o, "epoch_start",
                        json_integer((json_int_t)llround((double)epoch_ms + g->time_start_ms)));
    json_object_set_new(o, "epoch_end",
                        json_integer((json_int_t)llround((double)epoch_ms + g->time_end_ms)));
    json_object_set_new(o, "frame_start", json_integer(g->frame_start));
    json_object_set_new(o, "frame_end", json_integer(g->frame_end));
    json_object_set_new(o, "frame_time_start_ms", json_real(g->time_start_ms));
    json_object_set_new(o, "frame_time_end_ms", json_real(g->time_end_ms));
    json_object_set_new(o, "frames_read", json_integer(g->n_frames));
    json_object_set_new(o, "best_plate_number", json_string(g->plate));
    json_object_set_new(o, "best_confidence", json_real(g->confidence));
    json_object_set_new(o, "best_region", json_string(g->region));
    json_object_set_new(o, "best_region_confidence",
                        json_integer((int)(g->region_confidence + 0.5f)));
    json_object_set_new(o, "matches_template",
                        json_integer(g->n_cand > 0 && g->cand[0].matches_template));
    json_object_set_new(o, "candidates", recog__candidates_json(g->cand, g->n_cand));
    json_t *best = recog__plate_json(&g->best, 0, topn);
    json_object_set_new(best, "frame", json_integer(g->best_frame));
    json_object_set_new(best, "frame_time_ms", json_real(g->best_time_ms));
    json_object_set_new(o, "best_plate", best);
    return o;
}

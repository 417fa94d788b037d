/*
 * region.c: the serial formats of US states' standard plates, and reading with them.
 *
 * Why: the reader sees glyphs, and S/5, D/0, B/8, Z/7 or an emblem and a letter differ by a
 * stroke that dirt or blur removes. A department that knows where its cameras are knows which
 * formats most of its plates follow: given a state (`read -p ca`), a reading that fits one of
 * that state's formats is preferred over a somewhat surer one that fits none. This is
 * OpenALPR's -p, and it fills matches_template of the alpr -j shape.
 *
 * O and 0 are one glyph on most US plates, so the reader's choice between them is mostly its
 * prior. When the best reading fits none of the state's formats but would with O and 0 turned
 * the way one of them says (471NZ0 on a Connecticut DDDLLL plate), the turned reading goes first
 * with the reader's confidence. Only the best reading is turned, after the ranking: a reading
 * that fits already (a vanity plate's 0 where a serial has a letter is its own business)
 * stays. On the unseen half of the US crops three read right and none wrong; an earlier version
 * that turned every candidate moved as many wrong as right, mostly emblems read as a leading O
 * that emblem.c now drops (models/MODEL_CARD.md).
 *
 * The table holds each state's standard passenger serials issued since about 1990 ('L' a
 * letter, 'D' a digit, '*' either), from the states' published formats; vanity, specialty and
 * many commercial serials follow none of them, which is why a reading that fits no format is
 * only made less likely (REGION_NO_FORMAT), never refused.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recog/recog_int.h"

typedef struct region_def {
    const char *code;
    const char *name;
    const char *formats; /* space-separated */
    /* What else plates of the state print, A-Z 0-9 only, space-separated: another name, the
     * slogans of its common issues (NULL: just the name). */
    const char *printed;
} region_def;

static const region_def regions[] = {
    {"ak", "Alaska", "LLLDDD", "NORTHTOTHEFUTURE"},
    {"al", "Alabama", "DL***** DDL****", "HEARTOFDIXIE SWEETHOMEALABAMA"},
    {"ar", "Arkansas", "DDDLLL LLLDDL LLLDDD", "THENATURALSTATE"},
    {"az", "Arizona", "LLLDDDD DDDLLL ***D**", "GRANDCANYONSTATE"},
    {"ca", "California", "DLLLDDD DLDDDDD", NULL},
    {"co", "Colorado", "LLLDDD DDDLLL LLLLDD", NULL},
    {"ct", "Connecticut", "DDDLLL LLDDDDD", "CONSTITUTIONSTATE"},
    {"dc", "District of Columbia", "LLDDDD", "WASHINGTONDC TAXATIONWITHOUTREPRESENTATION"},
    {"de", "Delaware", "DDDDDD DDDDD DDDD", "THEFIRSTSTATE"},
    {"fl", "Florida", "LLLLDD DDDLLL LLLDDD", "SUNSHINESTATE"},
    {"ga", "Georgia", "LLLDDDD DDDLLL LLLDDD", "PEACHSTATE"},
    {"hi", "Hawaii", "LLLDDD", "ALOHASTATE"},
    {"ia", "Iowa", "LLLDDD DDDLLL", NULL},
    {"id", "Idaho", "DLDDDD DLDDDDD LDDDDD LDDDDDD DLLLDDD", "FAMOUSPOTATOES SCENICIDAHO"},
    {"il", "Illinois", "LLDDDDD LDDDDDD LLLDDD", "LANDOFLINCOLN"},
    {"in", "Indiana", "DDDLLL DDDDLLL DDLDDDD", "CROSSROADSOFAMERICA"},
    {"ks", "Kansas", "DDDLLL DDDDLLL", NULL},
    {"ky", "Kentucky", "DDDLLL LLLDDD", "UNBRIDLEDSPIRIT"},
    {"la", "Louisiana", "LLLDDD DDDLLL", "SPORTSMANSPARADISE"},
    {"ma", "Massachusetts", "DDDLLL DDLLDD DLLDDD DDDDLL", "THESPIRITOFAMERICA"},
    {"md", "Maryland", "DLLDDDD LLLDDD", NULL},
    {"me", "Maine", "DDDDLL DDDLL DDDLLL", "VACATIONLAND"},
    {"mi", "Michigan", "LLLDDDD DLLLDD LLLDDD", "GREATLAKESSTATE PUREMICHIGAN"},
    {"mn", "Minnesota", "DDDLLL LLLDDD", "EXPLOREMINNESOTA"},
    {"mo", "Missouri", "LLDLDL LLLDDD", "SHOWMESTATE"},
    {"ms", "Mississippi", "LLLDDD LLLDDDD", NULL},
    {"mt", "Montana", "DDDDDDL DDDDDL", "BIGSKYCOUNTRY"},
    {"nc", "North Carolina", "LLLDDDD LLLDDD", "FIRSTINFLIGHT"},
    {"nd", "North Dakota", "DDDLLL LLLDDD", "PEACEGARDENSTATE"},
    {"ne", "Nebraska", "DLDDDD DDLDDD LLLDDD", NULL},
    {"nh", "New Hampshire", "DDDDDDD DDDDDD", "LIVEFREEORDIE"},
    {"nj", "New Jersey", "LDDLLL LLLDDL", "GARDENSTATE"},
    {"nm", "New Mexico", "LLLDDD DDDLLL", "LANDOFENCHANTMENT"},
    {"nv", "Nevada", "DDDLLL DDLDDD DDDLDD", "THESILVERSTATE"},
    {"ny", "New York", "LLLDDDD LLLDDD", "EMPIRESTATE THEEMPIRESTATE"},
    {"oh", "Ohio", "LLLDDDD LLLDDD", "BIRTHPLACEOFAVIATION"},
    {"ok", "Oklahoma", "LLLDDD DDDLLL", NULL},
    {"or", "Oregon", "DDDLLL LLLDDD", NULL},
    {"pa", "Pennsylvania", "LLLDDDD LLLDDD", NULL},
    {"ri", "Rhode Island", "DDDDDD DDDDD LLDDD", "OCEANSTATE"},
    {"sc", "South Carolina", "LLLDDD DDDLLL", NULL},
    {"sd", "South Dakota", "DLDDDD DDLDDD DLLDDD DDLLDD", "GREATFACESGREATPLACES"},
    {"tn", "Tennessee", "DDDLLL LLLDDD LLLDDDD LDDDDL", "VOLUNTEERSTATE"},
    {"tx", "Texas", "LLLDDDD LLLDDD DDDLLL LLDLDDD", "THELONESTARSTATE"},
    {"ut", "Utah", "DDDLLL LDDDLL", "LIFEELEVATED GREATESTSNOWONEARTH"},
    {"va", "Virginia", "LLLDDDD LLLDDD", "VIRGINIAISFORLOVERS"},
    {"vt", "Vermont", "LLLDDD DDDLLL", "GREENMOUNTAINSTATE"},
    {"wa", "Washington", "LLLDDDD DDDLLL", "EVERGREENSTATE"},
    {"wi", "Wisconsin", "LLLDDDD DDDLLL LLLDDD", "AMERICASDAIRYLAND"},
    {"wv", "West Virginia", "DLLDDD LLLDDD", "WILDWONDERFUL"},
    {"wy", "Wyoming", "DDDDDD DDDDD DDDDDDD", NULL},
};
#define N_REGIONS ((int)(sizeof regions / sizeof regions[0]))

/* How much less likely a reading is when it fits none of the state's formats: about one plate
 * in ten on the road is a vanity, specialty or older serial. Applied per character (the
 * candidates are ranked by their per-character confidence), so it costs a 7-character reading
 * a factor of 0.72 in confidence. Chosen before measuring; on the US crops read with their
 * state, 0.3, 0.1, 0.03 and 0.01 gave 91.8, 92.4, 92.1 and 92.4% on the unseen half. */
#define REGION_NO_FORMAT 0.1f

int recog__region_index(const char *code) {
    if (!code || !*code) return -1;
    for (int i = 0; i < N_REGIONS; i++) {
        const char *a = regions[i].code, *b = code;
        while (*a && tolower((unsigned char)*b) == *a) a++, b++;
        if (!*a && !*b) return i;
    }
    return -1;
}

const char *recog_region_name(const char *code) {
    int i = recog__region_index(code);
    return i < 0 ? NULL : regions[i].name;
}

const char *recog_region_code(int i) {
    return i >= 0 && i < N_REGIONS ? regions[i].code : NULL;
}

int recog_params_set_region(recog_params *p, const char *code, pk_err *err) {
    if (!code || !*code) {
        p->region[0] = 0;
        return PK_OK;
    }
    int i = recog__region_index(code);
    if (i < 0)
        return pk_err_set(err, PK_EINVAL, "'%.32s' is not a US state code (two letters, e.g. ca)",
                          code);
    memcpy(p->region, regions[i].code, 3);
    return PK_OK;
}

static int fits(const char *fmt, size_t flen, const char *s) {
    if (strlen(s) != flen) return 0;
    for (size_t i = 0; i < flen; i++) {
        int digit = s[i] >= '0' && s[i] <= '9';
        if ((fmt[i] == 'D' && !digit) || (fmt[i] == 'L' && digit)) return 0;
    }
    return 1;
}

int recog__region_match(int region, const char *plate) {
    if (region < 0 || region >= N_REGIONS || !*plate) return 0;
    const char *f = regions[region].formats;
    while (*f) {
        size_t n = strcspn(f, " ");
        if (fits(f, n, plate)) return 1;
        f += n;
        while (*f == ' ') f++;
    }
    return 0;
}

static float rank_key(const recog_candidate *c) {
    size_t len = strlen(c->plate);
    float lc = logf(fmaxf(c->confidence, 1e-6f) / 100.0f);
    return c->matches_template ? lc : lc + logf(REGION_NO_FORMAT) / (float)(len ? len : 1);
}

/* s with O and 0 turned the way one of the region's formats says, when that makes it fit and
 * nothing else differs. OUT: out (RECOG_PLATE_MAX). Returns whether one fits. */
static int o_turned(int region, const char *s, char *out) {
    const char *f = regions[region].formats;
    size_t len = strlen(s);
    while (*f) {
        size_t n = strcspn(f, " ");
        if (n == len) {
            for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (f[i] == 'L' && c == '0')
                    c = 'O';
                else if (f[i] == 'D' && c == 'O')
                    c = '0';
                out[i] = c;
            }
            out[n] = 0;
            if (strcmp(out, s) && fits(f, n, out)) return 1;
        }
        f += n;
        while (*f == ' ') f++;
    }
    return 0;
}

/* Puts the best reading turned by o_turned first: moved up if the reader had it too, else in
 * place of the last candidate (the list stays as long as was asked for). */
static void put_o_turned_first(recog_plate *pl, int region) {
    char t[RECOG_PLATE_MAX];
    if (!o_turned(region, pl->cand[0].plate, t)) return;
    int k = pl->n_cand - 1;
    for (int i = 1; i < pl->n_cand; i++)
        if (!strcmp(pl->cand[i].plate, t)) k = i;
    recog_candidate c = pl->cand[0];
    memmove(&pl->cand[1], &pl->cand[0], sizeof c * (size_t)k);
    memcpy(c.plate, t, sizeof c.plate);
    c.matches_template = 1;
    pl->cand[0] = c;
}

void recog__plate_apply_region(recog_plate *pl, int region) {
    if (region < 0 || region >= N_REGIONS) return;
    int n = pl->n_cand;
    for (int i = 0; i < n; i++)
        pl->cand[i].matches_template = recog__region_match(region, pl->cand[i].plate);
    /* Insertion sort: stable, so candidates the format does not tell apart keep the reader's
     * order. */
    for (int i = 1; i < n; i++) {
        recog_candidate c = pl->cand[i];
        float k = rank_key(&c);
        int j = i;
        while (j > 0 && rank_key(&pl->cand[j - 1]) < k) {
            pl->cand[j] = pl->cand[j - 1];
            j--;
        }
        pl->cand[j] = c;
    }
    if (n > 0 && !pl->cand[0].matches_template) put_o_turned_first(pl, region);
    if (n > 0) {
        memcpy(pl->plate, pl->cand[0].plate, sizeof pl->plate);
        pl->confidence = pl->cand[0].confidence;
    }
}

/* Where a plate prints its state's name, as fractions of the plate box's height from its top:
 * a band at the top (most states) and one at the bottom (Delaware, North Carolina...), each a
 * little wider than the box as the reader's crops are. Chosen on the training half of the US
 * crops among seven bands; more bands read no more states. */
static const float name_bands[][2] = {{-0.07f, 0.272f}, {0.819f, 1.07f}};
#define N_NAME_BANDS ((int)(sizeof name_bands / sizeof name_bands[0]))
#define NAME_BAND_GX 0.04f

/* A state is reported when its name reads this much likelier (natural log) than the next
 * state's; below, the plate's look does not tell (models/MODEL_CARD.md). Each name's score gets
 * NAME_LETTER_BONUS per letter: a short name (Ohio, Utah) fits stray text more easily than a
 * long one, and short names were most of the wrong states (on the training half of the US
 * crops, states right 135 of 145 reported without it, 146 of 149 with it). */
#define REGION_MIN_MARGIN 10.0f
#define NAME_LETTER_BONUS 2.0f
/* region_confidence: a logistic fit of "the state is right" on the margin, on the training half
 * of the US crops (margin 10: 66%, 15: 94%, 20: 99%). */
#define REGION_CONF_A 0.409f
#define REGION_CONF_B (-3.44f)

/* name, upper-cased and letters only, into out (RECOG__CTC_TEXT_MAX + 1 bytes). */
static void name_letters(const char *name, char *out) {
    size_t n = 0;
    for (; *name && n < RECOG__CTC_TEXT_MAX; name++)
        if (isalpha((unsigned char)*name)) out[n++] = (char)toupper((unsigned char)*name);
    out[n] = 0;
}

static float name_score(const float *probs, int T, int C, const char *alphabet, const char *name) {
    return recog__ctc_logp(probs, T, C, alphabet, name) + NAME_LETTER_BONUS * (float)strlen(name);
}

int recog__region_detect(const recog__net *rd, const recog_image *img, const recog_plate *pl,
                         float *confidence) {
    *confidence = 0;
    float x0 = pl->corners[0].x, x1 = pl->corners[1].x;
    float w = x1 - x0;
    if (w < RECOG__REGION_MIN_WIDTH) return -1;
    float slope = (pl->corners[1].y - pl->corners[0].y) / w;
    float y0 = (pl->corners[0].y + pl->corners[1].y) / 2;
    float h = (pl->corners[3].y + pl->corners[2].y) / 2 - y0;
    if (h < 1) return -1;
    /* A turned plate's sides lean: each band is cut where the plate is at the band's height. */
    float tilt = (pl->corners[3].x - pl->corners[0].x) / h, yc = y0 + h / 2;
    float score[N_REGIONS];
    for (int i = 0; i < N_REGIONS; i++) score[i] = -INFINITY;
    for (int b = 0; b < N_NAME_BANDS; b++) {
        float by0 = y0 + name_bands[b][0] * h, by1 = y0 + name_bands[b][1] * h;
        float bw = w * (1 + 2 * NAME_BAND_GX);
        /* The band at the reader's height, its letters kept in proportion. */
        int ow = 4 * (int)lroundf((float)rd->in_h * bw / (by1 - by0) / 4);
        if (ow < rd->in_w) ow = rd->in_w;
        if (ow > 4 * rd->in_w) ow = 4 * rd->in_w;
        int T, C;
        float across = tilt * ((by0 + by1) / 2 - yc);
        float *probs = recog__strip_probs(rd, img, x0 + tilt * h / 2 + across - NAME_BAND_GX * w,
                                          by0, x1 + tilt * h / 2 + across + NAME_BAND_GX * w, by1,
                                          slope, tilt, ow, NULL, &T, &C);
        for (int i = 0; i < N_REGIONS; i++) {
            char name[RECOG__CTC_TEXT_MAX + 1];
            name_letters(regions[i].name, name);
            score[i] = fmaxf(score[i], name_score(probs, T, C, rd->alphabet, name));
            for (const char *q = regions[i].printed; q && *q;) {
                size_t n = strcspn(q, " ");
                if (n <= RECOG__CTC_TEXT_MAX) {
                    memcpy(name, q, n);
                    name[n] = 0;
                    score[i] = fmaxf(score[i], name_score(probs, T, C, rd->alphabet, name));
                }
                q += n;
                while (*q == ' ') q++;
            }
        }
        free(probs);
    }
    int best = 0, second = -1;
    for (int i = 1; i < N_REGIONS; i++)
        if (score[i] > score[best]) best = i;
    for (int i = 0; i < N_REGIONS; i++)
        if (i != best && (second < 0 || score[i] > score[second])) second = i;
    if (!isfinite(score[best])) return -1;
    float margin = isfinite(score[second]) ? score[best] - score[second] : 100.0f;
    *confidence = 100.0f / (1.0f + expf(-(REGION_CONF_A * margin + REGION_CONF_B)));
    return margin >= REGION_MIN_MARGIN ? best : -1;
}

/* recog: image loading (good and bad files), model files (good, truncated, damaged), CTC
 * decoding, the engine on plate-free input. */
#include "testutil.h"
#include "tu_image.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recog/recog.h"
#include "recog/recog_int.h"

/* A w x h grey test pattern as JPEG. OUT: *len; the caller frees. */
static unsigned char *make_jpeg(int w, int h, size_t *len) {
    unsigned char *px = malloc((size_t)w * h);
    for (int i = 0; i < w * h; i++) px[i] = (unsigned char)((i % w) * 255 / w);
    unsigned char *out = tu_jpeg_grey(px, w, h, 90, len);
    free(px);
    return out;
}

/* A w x h grey PNG. OUT: *len; the caller frees. */
static unsigned char *make_png(int w, int h, size_t *len) {
    unsigned char *px = malloc((size_t)w * h);
    for (int i = 0; i < w * h; i++) px[i] = (unsigned char)(i * 7);
    unsigned char *out = tu_png_grey(px, w, h, len);
    free(px);
    return out;
}

/* The engine on the project's models (the test fails when they do not load). */
static recog *open_engine(void) {
    char dir[1024];
    tu_models_dir(dir, sizeof dir);
    recog *r = NULL;
    pk_err err;
    assert_int_equal(recog_open(dir, &r, &err), PK_OK);
    return r;
}

static void test_image_jpeg(void **state) {
    (void)state;
    size_t len;
    unsigned char *j = make_jpeg(64, 48, &len);
    recog_image img;
    pk_err err;
    assert_int_equal(recog_image_decode(j, len, "a.jpg", 0, &img, &err), PK_OK);
    assert_int_equal(img.width, 64);
    assert_int_equal(img.height, 48);
    assert_true(img.px[63] > 200 && img.px[0] < 30);
    recog_image_fini(&img);
    /* Over the pixel limit: refused before decoding. */
    assert_int_equal(recog_image_decode(j, len, "a.jpg", 1000, &img, &err), PK_ELIMIT);
    assert_non_null(strstr(err.msg, "a.jpg"));
    assert_non_null(strstr(err.msg, "64x48"));
    /* Truncated. */
    assert_int_equal(recog_image_decode(j, len / 2, "half.jpg", 0, &img, &err), PK_ECORRUPT);
    assert_non_null(strstr(err.msg, "half.jpg"));
    assert_null(img.px);
    /* Only the header left. */
    int rc = recog_image_decode(j, 20, "hdr.jpg", 0, &img, &err);
    if (rc != PK_ECORRUPT) fail_msg("%d %s", rc, err.msg);
    free(j);
}

static void test_image_png(void **state) {
    (void)state;
    size_t len;
    unsigned char *p = make_png(40, 30, &len);
    recog_image img;
    pk_err err;
    assert_int_equal(recog_image_decode(p, len, "a.png", 0, &img, &err), PK_OK);
    assert_int_equal(img.width, 40);
    assert_int_equal(img.height, 30);
    assert_int_equal(img.px[1], 7);
    recog_image_fini(&img);
    assert_int_equal(recog_image_decode(p, len - 30, "cut.png", 0, &img, &err), PK_ECORRUPT);
    assert_non_null(strstr(err.msg, "cut.png"));
    assert_int_equal(recog_image_decode(p, len, "a.png", 100, &img, &err), PK_ELIMIT);
    free(p);
}

static void test_image_bad(void **state) {
    (void)state;
    recog_image img;
    pk_err err;
    assert_int_equal(recog_image_decode("", 0, "zero.jpg", 0, &img, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "zero.jpg"));
    assert_non_null(strstr(err.msg, "empty"));
    const char text[] = "this is a text file named like an image";
    assert_int_equal(recog_image_decode(text, sizeof text, "text.jpg", 0, &img, &err),
                     PK_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "not a JPEG or PNG"));
    assert_int_equal(recog_image_load("/nonexistent/x.jpg", 0, &img, &err), PK_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/x.jpg"));
    /* A directory is not an image, and the message says so (it once read "file is
     * 9223372036854775807 bytes"); nor is a device. */
    assert_int_equal(recog_image_load("/", 0, &img, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "is a directory"));
    assert_int_equal(recog_image_load("/dev/null", 0, &img, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "not a regular file"));
    recog_image_fini(&img);
    recog_image_fini(NULL);
}

/* Reads a whole file. OUT: *len; the caller frees. */
static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static void test_model_files(void **state) {
    (void)state;
    char dir[1024], path[1100];
    tu_models_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/reader.pkm", dir);
    size_t len = 0;
    unsigned char *b = slurp(path, &len);
    assert_non_null(b);
    recog__net net;
    pk_err err;
    assert_int_equal(recog__model_parse(b, len, "reader.pkm", &net, &err), PK_OK);
    assert_int_equal(net.kind, RECOG__KIND_READER);
    assert_int_equal(net.n_alpha, 36);
    recog__net_fini(&net);
    /* Every truncation is refused. */
    for (size_t cut = 0; cut < len; cut += len / 97 + 1) {
        assert_int_equal(recog__model_parse(b, cut, "cut.pkm", &net, &err), PK_ECORRUPT);
        assert_non_null(strstr(err.msg, "cut.pkm"));
    }
    /* A flipped byte anywhere is refused (checksum or field checks). */
    for (size_t at = 0; at < len; at += len / 53 + 1) {
        b[at] ^= 0x40;
        assert_int_equal(recog__model_parse(b, len, "bad.pkm", &net, &err), PK_ECORRUPT);
        b[at] ^= 0x40;
    }
    free(b);
    assert_int_equal(recog__model_load("/nonexistent.pkm", &net, &err), PK_EIO);
    recog *r;
    assert_int_equal(recog_open("/nonexistent-dir", &r, &err), PK_EIO);
    assert_null(r);
}

static void put_file(const char *dir, const char *name, const unsigned char *b, size_t len) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    fclose(f);
}

/* A model directory may hold more readers (reader-2.pkm, ...) read as an ensemble; one that
 * does not fit the first (here a detector under a reader's name) is refused with its name. */
static void test_reader_ensemble(void **state) {
    (void)state;
    char dir[1024], path[1100];
    tu_models_dir(dir, sizeof dir);
    size_t dlen = 0, rlen = 0;
    snprintf(path, sizeof path, "%s/detector.pkm", dir);
    unsigned char *det = slurp(path, &dlen);
    snprintf(path, sizeof path, "%s/reader.pkm", dir);
    unsigned char *rd = slurp(path, &rlen);
    assert_non_null(det);
    assert_non_null(rd);
    char *tmp = tu_tempdir();
    put_file(tmp, "detector.pkm", det, dlen);
    put_file(tmp, "reader.pkm", rd, rlen);
    /* A crop read by one reader and by two copies of it gives the same readings. */
    recog_image img = {192, 96, malloc(192 * 96)};
    for (int i = 0; i < 192 * 96; i++) img.px[i] = (unsigned char)(((i % 192) / 12 % 2) * 180 + 40);
    recog_params p;
    recog_params_init(&p);
    recog_plate one, two;
    recog *r;
    pk_err err;
    assert_int_equal(recog_open(tmp, &r, &err), PK_OK);
    assert_int_equal(recog_read_crop(r, &img, &p, &one, &err), PK_OK);
    recog_free(r);
    put_file(tmp, "reader-2.pkm", rd, rlen);
    assert_int_equal(recog_open(tmp, &r, &err), PK_OK);
    assert_int_equal(recog_read_crop(r, &img, &p, &two, &err), PK_OK);
    recog_free(r);
    assert_int_equal(one.n_cand, two.n_cand);
    assert_string_equal(one.plate, two.plate);
    assert_true(fabsf(one.confidence - two.confidence) < 0.01f);
    put_file(tmp, "reader-2.pkm", det, dlen);
    assert_int_equal(recog_open(tmp, &r, &err), PK_ECORRUPT);
    assert_null(r);
    assert_non_null(strstr(err.msg, "reader-2.pkm"));
    /* The state-name reader is optional too, and refused by name when it is not a reader. */
    put_file(tmp, "reader-2.pkm", rd, rlen);
    put_file(tmp, "reader-state.pkm", det, dlen);
    assert_int_equal(recog_open(tmp, &r, &err), PK_ECORRUPT);
    assert_null(r);
    assert_non_null(strstr(err.msg, "reader-state.pkm"));
    free(img.px);
    free(det);
    free(rd);
    tu_rmtree(tmp);
    free(tmp);
}

static void test_ctc(void **state) {
    (void)state;
    /* T=6, C=4 (blank, A, B, C): path A A - B - C, with C unsure between C and B. */
    float p[6][4] = {{0.05f, 0.9f, 0.03f, 0.02f}, {0.1f, 0.85f, 0.03f, 0.02f},
                     {0.9f, 0.05f, 0.03f, 0.02f}, {0.05f, 0.05f, 0.88f, 0.02f},
                     {0.9f, 0.05f, 0.03f, 0.02f}, {0.1f, 0.05f, 0.3f, 0.55f}};
    recog_candidate c[5];
    int n = recog__ctc_topn(&p[0][0], 6, 4, "ABC", 5, c);
    assert_true(n >= 3);
    assert_string_equal(c[0].plate, "ABC");
    assert_string_equal(c[1].plate, "AB"); /* the weak last character dropped */
    assert_string_equal(c[2].plate, "ABB");
    assert_true(c[0].confidence > c[1].confidence);
    assert_true(c[0].confidence <= 100.0f && c[0].confidence > 50.0f);
    /* All blank: nothing read. */
    float z[3][4] = {{1, 0, 0, 0}, {1, 0, 0, 0}, {1, 0, 0, 0}};
    assert_int_equal(recog__ctc_topn(&z[0][0], 3, 4, "ABC", 5, c), 0);
}

/* Collapses a CTC path (repeats merged, blanks dropped) over classes blank, A, B. */
static void collapse(const int *path, int T, char *out) {
    int n = 0, prev = 0;
    for (int t = 0; t < T; t++) {
        if (path[t] && path[t] != prev) out[n++] = (char)('A' + path[t] - 1);
        prev = path[t];
    }
    out[n] = 0;
}

static void test_ctc_logp(void **state) {
    (void)state;
    /* Reference: enumerate all 3^5 paths over blank, A, B and sum the products of the paths
     * that collapse to each text. */
    enum { T = 5, C = 3 };
    float p[T][C];
    unsigned seed = 7;
    for (int t = 0; t < T; t++) {
        float sum = 0;
        for (int c = 0; c < C; c++) {
            seed = seed * 1103515245u + 12345u;
            p[t][c] = 0.05f + (float)((seed >> 16) & 0xff) / 255.0f;
            sum += p[t][c];
        }
        for (int c = 0; c < C; c++) p[t][c] /= sum;
    }
    const char *texts[] = {"A", "B", "AB", "BA", "AA", "ABA", "AAB", "BB"};
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        double want = 0;
        for (int code = 0; code < 243; code++) {
            int path[T], x = code;
            double prod = 1;
            for (int t = 0; t < T; t++) {
                path[t] = x % 3;
                x /= 3;
                prod *= p[t][path[t]];
            }
            char got[T + 1];
            collapse(path, T, got);
            if (!strcmp(got, texts[k])) want += prod;
        }
        float lp = recog__ctc_logp(&p[0][0], T, C, "AB", texts[k]);
        assert_true(fabs(exp((double)lp) - want) < 1e-5 * (want > 1e-3 ? want * 100 : 1));
    }
    /* A character outside the alphabet, or a text too long for the columns, is impossible. */
    assert_true(recog__ctc_logp(&p[0][0], T, C, "AB", "AC") == -INFINITY);
    assert_true(exp((double)recog__ctc_logp(&p[0][0], T, C, "AB", "AAAA")) < 1e-12);
    char long_text[RECOG__CTC_TEXT_MAX + 2];
    memset(long_text, 'A', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = 0;
    assert_true(recog__ctc_logp(&p[0][0], T, C, "AB", long_text) == -INFINITY);
}

/* Over many columns (a state name's strip): the rescaled forward pass agrees with the plain
 * one in log space, in double, to float precision, for probabilities small enough that a
 * product over the columns would underflow. */
static void test_ctc_logp_long(void **state) {
    (void)state;
    enum { T = 200, C = 5 };
    static float p[T][C];
    unsigned seed = 11;
    for (int t = 0; t < T; t++) {
        float sum = 0;
        for (int c = 0; c < C; c++) {
            seed = seed * 1103515245u + 12345u;
            p[t][c] = 1e-4f + (float)((seed >> 16) & 0xff) / 255.0f;
            sum += p[t][c];
        }
        for (int c = 0; c < C; c++) p[t][c] /= sum;
    }
    const char *texts[] = {"ABCD", "MASSACHUSETTS", "AABBCCDD", "DCBADCBADCBADCBADCBADCBA"};
    const char *alpha = "ABCD";
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        const char *text = texts[k];
        if (strspn(text, alpha) != strlen(text)) {
            assert_true(recog__ctc_logp(&p[0][0], T, C, alpha, text) == -INFINITY);
            continue;
        }
        int lab[64], S = 0;
        lab[S++] = 0;
        for (const char *q = text; *q; q++) {
            lab[S++] = (int)(strchr(alpha, *q) - alpha) + 1;
            lab[S++] = 0;
        }
        double a[64], b[64];
        for (int i = 0; i < S; i++) a[i] = -INFINITY;
        a[0] = log(p[0][0]);
        a[1] = log(p[0][lab[1]]);
        for (int t = 1; t < T; t++) {
            for (int i = 0; i < S; i++) {
                double terms[3] = {a[i], i > 0 ? a[i - 1] : -INFINITY,
                                   i > 1 && lab[i] && lab[i] != lab[i - 2] ? a[i - 2] : -INFINITY};
                double m = fmax(terms[0], fmax(terms[1], terms[2]));
                double sum = 0;
                for (int j = 0; j < 3; j++)
                    if (terms[j] > -INFINITY) sum += exp(terms[j] - m);
                b[i] = m == -INFINITY ? -INFINITY : m + log(sum) + log(p[t][lab[i]]);
            }
            memcpy(a, b, sizeof(double) * (size_t)S);
        }
        double m = fmax(a[S - 1], a[S - 2]);
        double want = m + log(exp(a[S - 1] - m) + exp(a[S - 2] - m));
        float got = recog__ctc_logp(&p[0][0], T, C, alpha, text);
        assert_true(want < -100); /* exp(want) underflows a float */
        if (fabs((double)got - want) > 1e-4 * fabs(want))
            fail_msg("%s: %f, want %f", text, (double)got, want);
    }
}

static void test_harmonize_o_zero(void **state) {
    (void)state;
    static const char *const cases[][2] = {
        {"RK7O8AI", "RK708AI"},                         /* between digits: zero */
        {"4B4O262", "4B40262"}, {"RK550A0", "RK550AO"}, /* after a letter, at the edge: O */
        {"0AB123", "OAB123"},   {"O123", "0123"},       /* at the edge beside a digit / letter */
        {"LM01OBE", "LM01OBE"},                         /* between a digit and a letter: as read */
        {"RKO99AN", "RKO99AN"}, {"OO", "OO"},           /* nothing to go by */
        {"ABC", "ABC"},         {"", ""}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char s[32];
        snprintf(s, sizeof s, "%s", cases[i][0]);
        recog__harmonize_o_zero(s);
        assert_string_equal(s, cases[i][1]);
    }
    /* Candidates that become equal merge, keeping the higher confidence, best first. */
    recog_plate pl;
    memset(&pl, 0, sizeof pl);
    snprintf(pl.cand[0].plate, sizeof pl.cand[0].plate, "RK7O8AI");
    pl.cand[0].confidence = 80;
    snprintf(pl.cand[1].plate, sizeof pl.cand[1].plate, "RK708AL");
    pl.cand[1].confidence = 85;
    snprintf(pl.cand[2].plate, sizeof pl.cand[2].plate, "RK708AI");
    pl.cand[2].confidence = 70;
    pl.n_cand = 3;
    recog__plate_harmonize(&pl);
    assert_int_equal(pl.n_cand, 2);
    assert_string_equal(pl.plate, "RK708AL");
    assert_string_equal(pl.cand[1].plate, "RK708AI");
    assert_true(pl.cand[1].confidence == 80);
    assert_true(pl.confidence == 85);
}

static void set_cand(recog_plate *pl, int i, const char *plate, float conf) {
    snprintf(pl->cand[i].plate, sizeof pl->cand[i].plate, "%s", plate);
    pl->cand[i].confidence = conf;
}

static void test_region(void **state) {
    (void)state;
    /* Codes: any case, two letters, every state and DC, nothing else. */
    assert_string_equal(recog_region_name("ca"), "California");
    assert_string_equal(recog_region_name("TX"), "Texas");
    assert_null(recog_region_name("zz"));
    assert_null(recog_region_name("c"));
    assert_null(recog_region_name("cal"));
    assert_null(recog_region_name(""));
    assert_null(recog_region_name(NULL));
    int n = 0;
    while (recog_region_code(n)) assert_non_null(recog_region_name(recog_region_code(n++)));
    assert_int_equal(n, 51);
    assert_null(recog_region_code(-1));

    recog_params prm;
    recog_params_init(&prm);
    pk_err err;
    pk_err_clear(&err);
    assert_int_equal(recog_params_set_region(&prm, "TX", &err), PK_OK);
    assert_string_equal(prm.region, "tx");
    assert_int_equal(recog_params_set_region(&prm, "texas", &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "texas"));
    assert_string_equal(prm.region, "tx"); /* unchanged by a bad code */
    assert_int_equal(recog_params_set_region(&prm, NULL, &err), PK_OK);
    assert_string_equal(prm.region, "");

    int ca = recog__region_index("ca"), ny = recog__region_index("ny");
    assert_true(recog__region_match(ca, "1ABC234"));
    assert_false(recog__region_match(ca, "1ABC23"));  /* too short */
    assert_false(recog__region_match(ca, "1AB1234")); /* a digit where a letter goes */
    assert_true(recog__region_match(ny, "ABC1234"));
    assert_false(recog__region_match(ny, "1ABC234"));
    assert_false(recog__region_match(-1, "1ABC234"));
    assert_false(recog__region_match(ca, ""));
    assert_true(recog__region_match(recog__region_index("az"), "9X95A9"));  /* '*': either */
    assert_false(recog__region_match(recog__region_index("az"), "9X9X99")); /* 4th a digit */

    /* A fitting reading a little less sure than one that fits nothing goes first; a much less
     * sure one does not; the confidences stay the reader's. */
    recog_plate pl;
    memset(&pl, 0, sizeof pl);
    set_cand(&pl, 0, "1ABC23A", 90);
    set_cand(&pl, 1, "1ABC234", 80);
    set_cand(&pl, 2, "1ABC284", 70);
    pl.n_cand = 3;
    recog__plate_apply_region(&pl, ca);
    assert_string_equal(pl.plate, "1ABC234");
    assert_true(pl.confidence == 80);
    assert_true(pl.cand[0].matches_template && pl.cand[1].matches_template);
    assert_string_equal(pl.cand[1].plate, "1ABC284"); /* fitting ones keep the reader's order */
    assert_string_equal(pl.cand[2].plate, "1ABC23A");
    assert_false(pl.cand[2].matches_template);
    memset(&pl, 0, sizeof pl);
    set_cand(&pl, 0, "LUCKY7", 95);
    set_cand(&pl, 1, "1UCK777", 20);
    pl.n_cand = 2;
    recog__plate_apply_region(&pl, ca);
    assert_string_equal(pl.plate, "LUCKY7"); /* a vanity plate read surely stays */
    assert_false(pl.cand[0].matches_template);
    /* O and 0 turned the way a format says when that alone makes the best reading fit: moved
     * up when the reader had it, else in place of the last candidate; a reading that fits already
     * or would fit no better turned stays. */
    int ct = recog__region_index("ct");
    memset(&pl, 0, sizeof pl);
    set_cand(&pl, 0, "471NZ0", 99);
    set_cand(&pl, 1, "47INZ0", 33);
    set_cand(&pl, 2, "471NZO", 22);
    pl.n_cand = 3;
    recog__plate_apply_region(&pl, ct);
    assert_string_equal(pl.plate, "471NZO");
    assert_true(pl.confidence == 99 && pl.cand[0].matches_template);
    assert_string_equal(pl.cand[1].plate, "471NZ0");
    assert_string_equal(pl.cand[2].plate, "47INZ0");
    assert_int_equal(pl.n_cand, 3);
    memset(&pl, 0, sizeof pl);
    set_cand(&pl, 0, "4710Z0", 99); /* 1st L slot holds '0' and the 2nd too: turned, fits */
    set_cand(&pl, 1, "47INZ0", 33);
    pl.n_cand = 2;
    recog__plate_apply_region(&pl, ct);
    assert_string_equal(pl.plate, "471OZO");
    assert_string_equal(pl.cand[1].plate, "4710Z0");
    assert_int_equal(pl.n_cand, 2); /* 47INZ0 made room */
    memset(&pl, 0, sizeof pl);
    set_cand(&pl, 0, "471NZ8", 99); /* fits only with 8 turned, which is another glyph */
    pl.n_cand = 1;
    recog__plate_apply_region(&pl, ct);
    assert_string_equal(pl.plate, "471NZ8");
    memset(&pl, 0, sizeof pl);
    set_cand(&pl, 0, "1A00234", 99); /* fits California's DLDDDDD: not made 1AOO234 */
    pl.n_cand = 1;
    recog__plate_apply_region(&pl, ca);
    assert_string_equal(pl.plate, "1A00234");
    memset(&pl, 0, sizeof pl);
    set_cand(&pl, 0, "O12345", 90); /* Connecticut's LLDDDDD is 7 long: no format this long */
    pl.n_cand = 1;
    recog__plate_apply_region(&pl, ct);
    assert_string_equal(pl.plate, "O12345");
    /* No region: nothing changes. */
    memset(&pl, 0, sizeof pl);
    set_cand(&pl, 0, "1ABC23A", 90);
    set_cand(&pl, 1, "1ABC234", 80);
    pl.n_cand = 2;
    recog__plate_apply_region(&pl, -1);
    assert_string_equal(pl.cand[0].plate, "1ABC23A");
    assert_false(pl.cand[0].matches_template);
}

static void test_engine_blank(void **state) {
    (void)state;
    recog *r = open_engine();
    pk_err err;
    recog_image img = {640, 360, calloc(640 * 360, 1)};
    memset(img.px, 128, 640 * 360);
    recog_params p;
    recog_params_init(&p);
    recog_result res;
    assert_int_equal(recog_run(r, &img, &p, &res, &err), PK_OK);
    assert_int_equal(res.n, 0);
    recog_result_fini(&res);
    /* Tiny images are refused or read without crashing. */
    recog_image tiny = {3, 2, img.px};
    int rc = recog_run(r, &tiny, &p, &res, &err);
    assert_true(rc == PK_OK || rc == PK_EINVAL);
    recog_result_fini(&res);
    recog_plate pl;
    assert_int_equal(recog_read_crop(r, &tiny, &p, &pl, &err), PK_OK);
    p.topn = 0;
    assert_int_equal(recog_run(r, &img, &p, &res, &err), PK_EINVAL);
    recog_params_init(&p);
    snprintf(p.region, sizeof p.region, "zz");
    assert_int_equal(recog_run(r, &img, &p, &res, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "region"));
    snprintf(p.region, sizeof p.region, "ca");
    p.country = RECOG_EU;
    assert_int_equal(recog_read_crop(r, &img, &p, &pl, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "US"));
    p.country = RECOG_US;
    assert_int_equal(recog_run(r, &img, &p, &res, &err), PK_OK);
    recog_result_fini(&res);
    /* No state name reads on a blank plate; a plate under RECOG__REGION_MIN_WIDTH is not tried. */
    assert_int_equal(p.detect_region, 1);
    recog_plate blank;
    memset(&blank, 0, sizeof blank);
    blank.corners[0] = (recog_point){100, 100};
    blank.corners[1] = (recog_point){400, 100};
    blank.corners[2] = (recog_point){400, 250};
    blank.corners[3] = (recog_point){100, 250};
    recog__net rd;
    char path[1200];
    tu_models_dir(path, sizeof path);
    strcat(path, "/reader.pkm");
    assert_int_equal(recog__model_load(path, &rd, &err), PK_OK);
    float conf = -1;
    assert_int_equal(recog__region_detect(&rd, &img, &blank, &conf), -1);
    assert_true(conf >= 0 && conf < 50);
    /* The state-name reader, shipped beside the plate reader, loads and tells nothing here
     * either. */
    recog__net rs;
    tu_models_dir(path, sizeof path);
    strcat(path, "/reader-state.pkm");
    assert_int_equal(recog__model_load(path, &rs, &err), PK_OK);
    assert_int_equal(rs.kind, RECOG__KIND_READER);
    assert_string_equal(rs.alphabet, rd.alphabet);
    float conf_s = -1;
    assert_int_equal(recog__region_detect(&rs, &img, &blank, &conf_s), -1);
    assert_true(conf_s >= 0 && conf_s < 50);
    recog__net_fini(&rs);
    blank.corners[1].x = blank.corners[2].x = 100 + RECOG__REGION_MIN_WIDTH - 1;
    assert_int_equal(recog__region_detect(&rd, &img, &blank, &conf), -1);
    assert_true(conf == 0);
    recog__net_fini(&rd);
    free(img.px);
    recog_free(r);
    recog_free(NULL);
}

static float box_iou(const recog__box *a, const recog__box *b) {
    float ix = fminf(a->x1, b->x1) - fmaxf(a->x0, b->x0);
    float iy = fminf(a->y1, b->y1) - fmaxf(a->y0, b->y0);
    if (ix <= 0 || iy <= 0) return 0;
    float u = (a->x1 - a->x0) * (a->y1 - a->y0) + (b->x1 - b->x0) * (b->y1 - b->y0) - ix * iy;
    return ix * iy / u;
}

static void us_scenes_dir(char *buf, size_t n) {
    tu_bench_file(buf, n, "endtoend/us");
}

/* One plate is reported once: these scenes each gave two detections of one plate that refined
 * to the same box, and both were read and reported (two reads of one car). Nor is a grille
 * reported as a plate of I's. Skipped without the data. */
static void test_no_duplicate_plates(void **state) {
    (void)state;
    static const char *const scenes[] = {"car9-4.jpg",        "wts-lg-000099.jpg",
                                         "wts-lg-000138.jpg", "wts-lg-000157.jpg",
                                         "wts-lg-000169.jpg", "wts-lg-000189.jpg"};
    char dir[1024], path[1200];
    us_scenes_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s", dir, scenes[0]);
    FILE *probe = fopen(path, "rb");
    if (!probe) skip();
    fclose(probe);
    recog *r = open_engine();
    pk_err err;
    recog_params p;
    recog_params_init(&p);
    p.min_confidence = 0; /* every box that is read */
    for (size_t s = 0; s < sizeof scenes / sizeof scenes[0]; s++) {
        snprintf(path, sizeof path, "%s/%s", dir, scenes[s]);
        recog_image img;
        assert_int_equal(recog_image_load(path, 0, &img, &err), PK_OK);
        recog_result res;
        assert_int_equal(recog_run(r, &img, &p, &res, &err), PK_OK);
        assert_true(res.n >= 1);
        for (int i = 0; i < res.n; i++) {
            /* Grilles and railings (beside the plates of 099, 157 and 169) read as I's. */
            int n_i = 0;
            for (const char *c = res.plates[i].plate; *c; c++) n_i += *c == 'I';
            if (n_i >= 3) fail_msg("%s: %s is a run of strokes", scenes[s], res.plates[i].plate);
            for (int j = 0; j < i; j++) {
                recog__box ba = {1, 0, 0, 0, 0, 0}, bb = ba;
                float w, h;
                recog_plate_bounds(&res.plates[i], &ba.x0, &ba.y0, &w, &h);
                ba.x1 = ba.x0 + w, ba.y1 = ba.y0 + h;
                recog_plate_bounds(&res.plates[j], &bb.x0, &bb.y0, &w, &h);
                bb.x1 = bb.x0 + w, bb.y1 = bb.y0 + h;
                if (recog__box_iou(&ba, &bb) > 0.5f)
                    fail_msg("%s: %s and %s are one plate", scenes[s], res.plates[i].plate,
                             res.plates[j].plate);
            }
        }
        recog_result_fini(&res);
        recog_image_fini(&img);
    }
    recog_free(r);
}

/* Box refinement on the labelled US scenes: from a box that is off the way the main pass's
 * boxes are (too wide on one side, low, or too tight), the refined box must be close to the
 * labelled one, and a box on a blank image stays as it was. Skipped without the data. */
/* A plate drawn leaning by a known slope: a light plate with dark strokes whose tops and
 * bottoms follow the lean, on a mid-grey ground. recog__plate_lean must find the lean from the
 * plate's upright box, and the sheared crop must come out level. */
static void draw_leaning_plate(recog_image *img, float slope) {
    img->width = 400;
    img->height = 240;
    img->px = malloc((size_t)img->width * img->height);
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            float d = slope * (x - 200.0f); /* the plate's rows move down by d at column x */
            float v = y - d;                /* the row within the level plate */
            uint8_t c = 120;
            if (x >= 100 && x < 300 && v >= 70 && v < 170) {
                c = 230; /* plate */
                int in_char = (x - 110) % 30 < 18 && x >= 110 && x < 290;
                if (in_char && v >= 90 && v < 150 && ((x - 110) % 30 < 5 || (x - 110) % 30 >= 13))
                    c = 30; /* two strokes per character */
                if (in_char && ((v >= 90 && v < 96) || (v >= 144 && v < 150))) c = 30;
            }
            img->px[(size_t)y * img->width + x] = c;
        }
}

/* The reader's crop samples the picture bilinearly with the edge pixels repeated outside it,
 * whether the whole crop lies inside the picture (read without clamping) or runs over its edge:
 * both against a plain reference on a noisy picture, sheared and tilted. */
static float ref_px(const recog_image *im, int x, int y) {
    x = x < 0 ? 0 : x >= im->width ? im->width - 1 : x;
    y = y < 0 ? 0 : y >= im->height ? im->height - 1 : y;
    return im->px[(size_t)y * im->width + x];
}

static void test_crop_sampling(void **state) {
    (void)state;
    recog_image im = {97, 61, malloc(97 * 61)};
    unsigned seed = 3;
    for (int i = 0; i < 97 * 61; i++) {
        seed = seed * 1103515245u + 12345u;
        im.px[i] = (uint8_t)(seed >> 16);
    }
    const float boxes[][6] = {
        {10.3f, 12.7f, 80.1f, 40.2f, 0.05f, -0.04f}, /* inside */
        {-6.0f, 20.0f, 60.0f, 70.0f, 0.1f, 0.08f},   /* over the left and bottom edges */
        {30.0f, -3.0f, 99.5f, 30.0f, -0.12f, 0.0f},  /* over the top and right edges */
    };
    enum { W = 64, H = 24 };
    float got[W * H];
    for (size_t b = 0; b < sizeof boxes / sizeof boxes[0]; b++) {
        const float *q = boxes[b];
        recog__crop_sheared(&im, q[0], q[1], q[2], q[3], q[4], q[5], W, H, got);
        float sx = (q[2] - q[0]) / W, sy = (q[3] - q[1]) / H;
        float xc = (q[0] + q[2]) / 2, yc = (q[1] + q[3]) / 2;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                double fx0 = q[0] + (x + 0.5) * sx - 0.5, fy0 = q[1] + (y + 0.5) * sy - 0.5;
                double fx = fx0 + q[5] * (fy0 + 0.5 - yc), fy = fy0 + q[4] * (fx0 + 0.5 - xc);
                int ix = (int)floor(fx), iy = (int)floor(fy);
                double ex = fx - ix, ey = fy - iy;
                double v =
                    (ref_px(&im, ix, iy) * (1 - ex) + ref_px(&im, ix + 1, iy) * ex) * (1 - ey) +
                    (ref_px(&im, ix, iy + 1) * (1 - ex) + ref_px(&im, ix + 1, iy + 1) * ex) * ey;
                if (fabs(got[y * W + x] - v / 255.0) > 1e-3)
                    fail_msg("box %zu, (%d,%d): %g, want %g", b, x, y, got[y * W + x], v / 255.0);
            }
    }
    free(im.px);
}

/* The detector's antialiased resize (PIL's triangle filter): halving a picture weighs each
 * output's four nearest source rows and columns 1/8, 3/8, 3/8, 1/8 away from the edges, and a
 * flat picture stays flat at any scale, edges included. */
static void test_resize(void **state) {
    (void)state;
    enum { SW = 40, SH = 24 };
    recog_image im = {SW, SH, malloc(SW * SH)};
    unsigned seed = 11;
    for (int i = 0; i < SW * SH; i++) {
        seed = seed * 1103515245u + 12345u;
        im.px[i] = (uint8_t)(seed >> 16);
    }
    float half[(SW / 2) * (SH / 2)];
    recog__resize(&im, SW / 2, SH / 2, half);
    const double k[4] = {0.125, 0.375, 0.375, 0.125};
    for (int y = 1; y < SH / 2 - 1; y++)
        for (int x = 1; x < SW / 2 - 1; x++) {
            double v = 0;
            for (int a = 0; a < 4; a++)
                for (int b = 0; b < 4; b++)
                    v += k[a] * k[b] * im.px[(size_t)(2 * y - 1 + a) * SW + (2 * x - 1 + b)];
            if (fabs(half[y * (SW / 2) + x] - v / 255.0) > 1e-4)
                fail_msg("(%d,%d): %g, want %g", x, y, half[y * (SW / 2) + x], v / 255.0);
        }
    memset(im.px, 77, SW * SH);
    const int sizes[][2] = {{13, 7}, {40, 24}, {57, 31}, {3, 2}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int w = sizes[i][0], h = sizes[i][1];
        float *o = malloc(sizeof(float) * (size_t)w * h);
        recog__resize(&im, w, h, o);
        for (int j = 0; j < w * h; j++) assert_float_equal(o[j], 77 / 255.0f, 1e-5f);
        free(o);
    }
    free(im.px);
}

static void test_plate_slope(void **state) {
    (void)state;
    const float slopes[] = {-0.2f, -0.1f, 0.0f, 0.05f, 0.12f, 0.2f};
    for (size_t i = 0; i < sizeof slopes / sizeof slopes[0]; i++) {
        recog_image img;
        draw_leaning_plate(&img, slopes[i]);
        /* The upright box around the leaning plate. */
        float lean = fabsf(slopes[i]) * 100;
        float s, t;
        recog__plate_lean(&img, 100, 70 - lean, 300, 170 + lean, &s, &t);
        assert_true(fabsf(s - slopes[i]) <= 0.015f);
        /* Its strokes stand upright (a shear, not a turn): no tilt. */
        if (fabsf(t) > 0.02f) fail_msg("slope %.2f: tilt %.2f", slopes[i], t);
        /* Level once sheared: each row of the crop is one colour across the strokes' rows. */
        float crop[64 * 128];
        recog__crop_sheared(&img, 110, 91.5f, 290, 94.5f, s, 0.0f, 128, 4, crop);
        float hi = 0;
        for (int k = 0; k < 4 * 128; k++) {
            int x = (int)(110 + (k % 128 + 0.5f) * 180 / 128.0f);
            if ((x - 110) % 30 < 2 || (x - 110) % 30 > 15) continue; /* between characters */
            hi = fmaxf(hi, crop[k]);
        }
        assert_true(hi < 0.5f); /* the characters' top bars, dark all along */
        free(img.px);
    }
    /* The reported corners lean with the plate: cut out its upright box and read it as a crop. */
    recog *r = open_engine();
    pk_err err;
    recog_params p;
    recog_params_init(&p);
    recog_image img;
    draw_leaning_plate(&img, 0.15f);
    recog_image box = {216, 160, malloc(216 * 160)}; /* x 92..308, y 40..200 */
    for (int y = 0; y < box.height; y++)
        memcpy(box.px + (size_t)y * box.width, img.px + (size_t)(y + 40) * img.width + 92,
               (size_t)box.width);
    recog_plate pl;
    assert_int_equal(recog_read_crop(r, &box, &p, &pl, &err), PK_OK);
    float w = pl.corners[1].x - pl.corners[0].x;
    assert_true(w > 150);
    assert_true(fabsf((pl.corners[1].y - pl.corners[0].y) - 0.15f * w) < 0.03f * w);
    assert_true(fabsf((pl.corners[2].y - pl.corners[3].y) - 0.15f * w) < 0.03f * w);
    free(box.px);
    free(img.px);
    recog_free(r);
    /* A flat grey box has no lean. */
    recog_image flat = {64, 32, calloc(64 * 32, 1)};
    const float boxes[][4] = {{0, 0, 64, 32},
                              /* nor has a box too small or not a box at all */
                              {0, 0, 4, 32},
                              {NAN, 0, 64, 32}};
    for (size_t i = 0; i < sizeof boxes / sizeof boxes[0]; i++) {
        float s = 1, t = 1;
        recog__plate_lean(&flat, boxes[i][0], boxes[i][1], boxes[i][2], boxes[i][3], &s, &t);
        assert_true(s == 0.0f && t == 0.0f);
    }
    free(flat.px);
}

static void test_refine_box(void **state) {
    (void)state;
    char dir[1024], path[1200];
    us_scenes_dir(dir, sizeof dir);
    DIR *d = opendir(dir);
    if (!d) skip();
    recog__net det;
    pk_err err;
    snprintf(path, sizeof path, "%s/models/detector.pkm", tu_root());
    assert_int_equal(recog__model_load(path, &det, &err), PK_OK);
    const recog__box_cal cal = {1, 1, 0};
    double before = 0, after = 0;
    int n = 0, close = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".txt")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        char img_name[256];
        float x, y, w, h;
        int got = f ? fscanf(f, "%255s %f %f %f %f", img_name, &x, &y, &w, &h) : 0;
        if (f) fclose(f);
        if (got != 5) continue;
        snprintf(path, sizeof path, "%s/%s", dir, img_name);
        recog_image img;
        if (recog_image_load(path, 0, &img, &err) != PK_OK) continue;
        recog__box truth = {1, x, y, x + w, y + h, 0};
        /* Three kinds of error in turn: 30% too wide, 25% low, 15% tight. */
        recog__box b = truth;
        if (n % 3 == 0) b.x1 += 0.3f * w;
        if (n % 3 == 1) b.y0 += 0.25f * h, b.y1 += 0.25f * h;
        if (n % 3 == 2)
            b.x0 += 0.075f * w, b.x1 -= 0.075f * w, b.y0 += 0.075f * h, b.y1 -= 0.075f * h;
        before += box_iou(&b, &truth);
        assert_int_equal(recog__refine_box(&det, &img, &cal, &b), 1);
        assert_true(b.x0 >= 0 && b.y0 >= 0 && b.x1 <= img.width && b.y1 <= img.height);
        float v = box_iou(&b, &truth);
        after += v;
        close += v > 0.7f;
        n++;
        recog_image_fini(&img);
    }
    closedir(d);
    assert_true(n >= 100);
    before /= n;
    after /= n;
    print_message("refine: mean IoU %.3f -> %.3f, %d of %d over 0.7\n", before, after, close, n);
    assert_true(before < 0.8);
    assert_true(after > 0.8);
    assert_true(close >= n * 9 / 10);
    /* Nothing plate-like anywhere: the box may move but stays inside the image. */
    recog_image blank = {320, 200, calloc(320 * 200, 1)};
    recog__box b = {1, 100, 80, 180, 120, 0};
    recog__refine_box(&det, &blank, &cal, &b);
    assert_true(b.x0 >= 0 && b.y0 >= 0 && b.x1 <= 320 && b.y1 <= 200);
    free(blank.px);
    recog__net_fini(&det);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_jpeg),       cmocka_unit_test(test_image_png),
        cmocka_unit_test(test_image_bad),        cmocka_unit_test(test_model_files),
        cmocka_unit_test(test_reader_ensemble),  cmocka_unit_test(test_ctc),
        cmocka_unit_test(test_ctc_logp),         cmocka_unit_test(test_ctc_logp_long),
        cmocka_unit_test(test_harmonize_o_zero), cmocka_unit_test(test_region),
        cmocka_unit_test(test_engine_blank),     cmocka_unit_test(test_refine_box),
        cmocka_unit_test(test_resize),           cmocka_unit_test(test_crop_sampling),
        cmocka_unit_test(test_plate_slope),      cmocka_unit_test(test_no_duplicate_plates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* core: plate text, wildcards, confusable classes, time, geo. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "core/geo.h"
#include "core/pattern.h"
#include "core/pktime.h"
#include "core/plate.h"

static void test_normalize_good(void **state) {
    (void)state;
    char out[PK_PLATE_MAX + 1];
    pk_err err;
    assert_int_equal(pk_plate_normalize(" 7abc-123 ", out, &err), PK_OK);
    assert_string_equal(out, "7ABC123");
    assert_int_equal(pk_plate_normalize("a", out, &err), PK_OK);
    assert_string_equal(out, "A");
    assert_int_equal(pk_plate_normalize("12345678 90", out, &err), PK_OK);
    assert_string_equal(out, "1234567890");
}

static void test_normalize_bad(void **state) {
    (void)state;
    char out[PK_PLATE_MAX + 1];
    pk_err err;
    assert_int_equal(pk_plate_normalize("", out, &err), PK_EINVAL);
    assert_string_equal(err.msg, "empty");
    assert_int_equal(pk_plate_normalize(" - ", out, &err), PK_EINVAL);
    assert_int_equal(pk_plate_normalize("12345678901", out, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "longer than 10"));
    assert_int_equal(pk_plate_normalize("7ABC\xc3\x89", out, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "non-ASCII"));
    assert_int_equal(pk_plate_normalize("7AB.C", out, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "'.'"));
    assert_int_equal(pk_plate_normalize("AB\tC", out, &err), PK_EINVAL);
    assert_int_equal(pk_plate_normalize(NULL, out, &err), PK_EINVAL);
}

/* Reference glob: plain recursion, obviously right. */
static int ref_glob(const char *p, const char *s) {
    if (!*p) return !*s;
    if (*p == '*') return ref_glob(p + 1, s) || (*s && ref_glob(p, s + 1));
    if (!*s) return 0;
    return (*p == '?' || *p == *s) && ref_glob(p + 1, s + 1);
}

static void random_plate(uint64_t *rs, char *out, const char *alpha) {
    size_t na = strlen(alpha);
    int n = 1 + (int)(tu_rand(rs) % PK_PLATE_MAX);
    for (int i = 0; i < n; i++) out[i] = alpha[tu_rand(rs) % na];
    out[n] = '\0';
}

static void test_pattern_vs_reference(void **state) {
    (void)state;
    uint64_t rs = 42;
    const char *alpha = "AB01"; /* a small alphabet makes matches frequent */
    for (int i = 0; i < 3000; i++) {
        char pat[16];
        int n = 1 + (int)(tu_rand(&rs) % 8);
        for (int k = 0; k < n; k++) {
            uint64_t r = tu_rand(&rs) % 6;
            pat[k] = r == 0 ? '*' : r == 1 ? '?' : alpha[tu_rand(&rs) % 4];
        }
        pat[n] = '\0';
        pk_pattern p;
        pk_err err;
        if (pk_pattern_compile(pat, &p, &err)) continue; /* '*' alone is refused */
        for (int j = 0; j < 50; j++) {
            char plate[PK_PLATE_MAX + 1];
            random_plate(&rs, plate, alpha);
            int want = ref_glob(p.text, plate);
            if (pk_pattern_match(&p, plate, strlen(plate)) != want)
                fail_msg("pattern %s plate %s: want %d", p.text, plate, want);
        }
    }
}

static void test_pattern_compile(void **state) {
    (void)state;
    pk_pattern p;
    pk_err err;
    assert_int_equal(pk_pattern_compile("7ab-*-12", &p, &err), PK_OK);
    assert_string_equal(p.text, "7AB*12");
    assert_int_equal(p.min_len, 5);
    assert_true(p.has_star);
    assert_string_equal(p.longest_literal, "7AB");
    assert_true(pk_pattern_match(&p, "7AB12", 5));
    assert_true(pk_pattern_match(&p, "7ABXY12", 7));
    assert_false(pk_pattern_match(&p, "7AC12", 5));
    assert_int_equal(pk_pattern_compile("?ABC12?", &p, &err), PK_OK);
    assert_true(pk_pattern_match(&p, "1ABC123", 7));
    assert_false(pk_pattern_match(&p, "1ABC12", 6));
    assert_int_equal(pk_pattern_compile("**", &p, &err), PK_EINVAL);
    assert_int_equal(pk_pattern_compile("", &p, &err), PK_EINVAL);
    assert_int_equal(pk_pattern_compile("AB%", &p, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "'%'"));
    assert_int_equal(pk_pattern_compile("???????????", &p, &err), PK_EINVAL);
}

/* Reference edit distance by dynamic programming. */
static int ref_lev(const char *a, const char *b) {
    size_t an = strlen(a), bn = strlen(b);
    int d[PK_PLATE_MAX + 2][PK_PLATE_MAX + 2];
    for (size_t i = 0; i <= an; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= bn; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= an; i++)
        for (size_t j = 1; j <= bn; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            int x = d[i - 1][j] + 1, y = d[i][j - 1] + 1;
            d[i][j] = c < x ? (c < y ? c : y) : (x < y ? x : y);
        }
    return d[an][bn];
}

static void test_closeness_vs_reference(void **state) {
    (void)state;
    uint64_t rs = 7;
    const char *alpha = "0ODQ8B1I5S";
    for (int i = 0; i < 20000; i++) {
        char a[PK_PLATE_MAX + 1], b[PK_PLATE_MAX + 1], ca[PK_PLATE_MAX + 1], cb[PK_PLATE_MAX + 1];
        random_plate(&rs, a, alpha);
        random_plate(&rs, b, alpha);
        if (tu_rand(&rs) % 2) { /* make near neighbours common */
            strcpy(b, a);
            size_t n = strlen(b);
            b[tu_rand(&rs) % n] = alpha[tu_rand(&rs) % 10];
        }
        size_t an = strlen(a), bn = strlen(b);
        pk_plate_canon(a, an, ca);
        pk_plate_canon(b, bn, cb);
        int want = !strcmp(a, b) ? 0 : !strcmp(ca, cb) ? 1 : ref_lev(a, b) == 1 ? 2
                   : ref_lev(ca, cb) <= 1 ? 3 : -1;
        int got = pk_plate_closeness(a, an, b, bn);
        if (got != want) fail_msg("closeness(%s, %s) = %d, want %d", a, b, got, want);
    }
}

static void test_confusables(void **state) {
    (void)state;
    const char *classes[] = {"0ODQ", "1ILT", "2Z", "5S", "8B", "6G"};
    for (size_t c = 0; c < 6; c++)
        for (const char *p = classes[c]; *p; p++)
            assert_int_equal(pk_plate_canon_char(*p), classes[c][0]);
    assert_int_equal(pk_plate_canon_char('A'), 'A');
    assert_int_equal(pk_plate_closeness("8OB1", 4, "B0812", 5), 3);
    assert_int_equal(pk_plate_closeness("8OB1", 4, "XYZ99", 5), -1);
    assert_int_equal(pk_plate_closeness("8OB1", 4, "B081", 4), 1);
}

static void test_time(void **state) {
    (void)state;
    int64_t ms;
    pk_err err;
    char buf[PK_TIME_STR_MAX];
    assert_int_equal(pk_time_parse("1970-01-01T00:00:00Z", &ms, &err), PK_OK);
    assert_int_equal(ms, 0);
    assert_int_equal(pk_time_parse("2026-12-04T21:01:11.5Z", &ms, &err), PK_OK);
    pk_time_format(ms, buf);
    assert_string_equal(buf, "2026-12-04T21:01:11.500Z");
    assert_int_equal(pk_time_parse("2026-12-04T23:01:11+02:00", &ms, &err), PK_OK);
    pk_time_format(ms, buf);
    assert_string_equal(buf, "2026-12-04T21:01:11.000Z");
    assert_int_equal(pk_time_parse("2024-02-29", &ms, &err), PK_OK);
    pk_time_format(ms, buf);
    assert_string_equal(buf, "2024-02-29T00:00:00.000Z");
    pk_time_format(-1, buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
    assert_int_equal(pk_time_parse("2023-02-29", &ms, &err), PK_EINVAL);
    assert_int_equal(pk_time_parse("2026-13-01", &ms, &err), PK_EINVAL);
    assert_int_equal(pk_time_parse("yesterday", &ms, &err), PK_EINVAL);
    assert_int_equal(pk_time_parse("2026-12-04T25:00Z", &ms, &err), PK_EINVAL);
    assert_int_equal(pk_time_parse("2026-12-04T10:00:00Zjunk", &ms, &err), PK_EINVAL);
    /* round trip over many days */
    for (int64_t t = -86400000LL * 800; t < 86400000LL * 40000; t += 86400000LL * 37 + 12345) {
        pk_time_format(t, buf);
        assert_int_equal(pk_time_parse(buf, &ms, &err), PK_OK);
        assert_int_equal(ms, t);
    }
}

static void test_geo(void **state) {
    (void)state;
    double d = pk_geo_distance_m(34.0, -118.0, 34.0 + 1.0 / 111.2, -118.0);
    assert_true(fabs(d - 1000) < 5);
    pk_bbox b = pk_geo_bbox_around(34.05, -118.25, 1000);
    assert_true(pk_geo_distance_m(34.05, -118.25, b.max_lat, -118.25) >= 999);
    assert_true(pk_geo_distance_m(34.05, -118.25, 34.05, b.max_lon) >= 999);
    double lat, lon, r;
    pk_err err;
    assert_int_equal(pk_geo_parse_near("34.05,-118.25,500", &lat, &lon, &r, &err), PK_OK);
    assert_true(r == 500);
    assert_int_equal(pk_geo_parse_near("94,0,5", &lat, &lon, &r, &err), PK_EINVAL);
    assert_int_equal(pk_geo_parse_near("34,-118", &lat, &lon, &r, &err), PK_EINVAL);
    assert_int_equal(pk_geo_parse_near("34,-118,-1", &lat, &lon, &r, &err), PK_EINVAL);
    assert_int_equal(pk_geo_parse_bbox("34,-119,35,-118", &b, &err), PK_OK);
    assert_int_equal(pk_geo_parse_bbox("35,-119,34,-118", &b, &err), PK_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_good),      cmocka_unit_test(test_normalize_bad),
        cmocka_unit_test(test_pattern_vs_reference), cmocka_unit_test(test_pattern_compile),
        cmocka_unit_test(test_closeness_vs_reference), cmocka_unit_test(test_confusables),
        cmocka_unit_test(test_time),                cmocka_unit_test(test_geo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* hotlist: the file parser (every format, every bad file), the matcher (each match kind, expiry,
 * pattern buckets against a brute-force check), and the alert store (dedupe, verify once). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pattern.h"
#include "hotlist/hotlist.h"

typedef struct got {
    store_hotlist_entry e[64];
    int64_t line[64];
    int n;
} got;

static int collect(void *ctx, store_hotlist_entry *e, int64_t line, pk_err *err) {
    (void)err;
    got *g = ctx;
    if (g->n < 64) {
        g->e[g->n] = *e;
        g->line[g->n++] = line;
    }
    return 0;
}

/* Parses text with map (may be NULL). OUT: *g, *r. Returns the parse's code. */
static int parse_text(const char *text, size_t len, const char *map, got *g,
                      hotlist_import_report *r, pk_err *err) {
    memset(g, 0, sizeof *g);
    FILE *f = fmemopen((void *)text, len, "r");
    assert_non_null(f);
    hotlist_import_opts o;
    hotlist_import_opts_init(&o);
    o.map = map;
    pk_err_clear(err);
    int rc = hotlist_parse(f, &o, collect, g, r, err);
    fclose(f);
    return rc;
}

static int parse_str(const char *text, const char *map, got *g, hotlist_import_report *r,
                     pk_err *err) {
    return parse_text(text, strlen(text), map, g, r, err);
}

static void test_states(void **state) {
    (void)state;
    assert_true(hotlist_state_valid("CA"));
    assert_true(hotlist_state_valid("PR"));
    assert_true(hotlist_state_valid("QC"));
    assert_false(hotlist_state_valid("XX"));
    assert_false(hotlist_state_valid("ca"));
    char out[4];
    pk_err err;
    assert_int_equal(hotlist_state_normalize(" nv ", out, &err), PK_OK);
    assert_string_equal(out, "NV");
    assert_int_equal(hotlist_state_normalize("any", out, &err), PK_OK);
    assert_string_equal(out, "");
    assert_int_equal(hotlist_state_normalize("ZZ", out, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "'ZZ'"));
}

static void test_parse_ncic_csv(void **state) {
    (void)state;
    got g;
    hotlist_import_report r;
    pk_err err;
    const char *csv = "LIC,LIS,LIT,NIC,ORI,OCA,VMA,VMO,VYR,VCO\r\n"
                      "7abc-123,CA,PC,V123456789,CA0390000,24-001,HOND,CIV,2012,BLK\r\n"
                      "\r\n"
                      "\"8XYZ 999\",any,,,,,\"FORD, INC\",F15,,\"RED \"\"CHERRY\"\"\"\n";
    assert_int_equal(parse_str(csv, NULL, &g, &r, &err), PK_OK);
    assert_int_equal(r.header, 1);
    assert_int_equal(r.delimiter, ',');
    assert_int_equal(r.loaded, 2);
    assert_int_equal(r.bad, 0);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.e[0].plate, "7ABC123");
    assert_string_equal(g.e[0].state, "CA");
    assert_string_equal(g.e[0].plate_type, "PC");
    assert_string_equal(g.e[0].ncic, "V123456789");
    assert_string_equal(g.e[0].ori, "CA0390000");
    assert_string_equal(g.e[0].case_no, "24-001");
    assert_string_equal(g.e[0].make, "HOND");
    assert_string_equal(g.e[0].year, "2012");
    assert_string_equal(g.e[0].color, "BLK");
    assert_string_equal(g.e[1].plate, "8XYZ999");
    assert_string_equal(g.e[1].state, "");
    assert_string_equal(g.e[1].make, "FORD, INC");
    assert_string_equal(g.e[1].color, "RED \"CHERRY\"");
    assert_int_equal(g.line[1], 4);
    hotlist_import_report_fini(&r);
}

static void test_parse_delimiters(void **state) {
    (void)state;
    const char *files[] = {"plate;state;reason\n1AAA111;NV;stolen\n2BBB222;AZ;wanted; armed\n",
                           "plate\tstate\treason\n1AAA111\tNV\tstolen\n2BBB222\tAZ\twanted\n",
                           "plate|state|reason\n1AAA111|NV|stolen\n2BBB222|AZ|wanted\n",
                           "plate,state,reason\n1AAA111,NV,stolen\n2BBB222,AZ,wanted\n"};
    const char delims[] = {';', '\t', '|', ','};
    for (int i = 0; i < 4; i++) {
        got g;
        hotlist_import_report r;
        pk_err err;
        int rc = parse_str(files[i], NULL, &g, &r, &err);
        /* in the first, "wanted; armed" splits: the extra 4th field is ignored */
        assert_int_equal(rc, PK_OK);
        assert_int_equal(r.delimiter, delims[i]);
        assert_int_equal(g.n, 2);
        assert_string_equal(g.e[0].plate, "1AAA111");
        assert_string_equal(g.e[1].state, "AZ");
        assert_string_equal(g.e[1].reason, "wanted");
        hotlist_import_report_fini(&r);
    }
}

static void test_parse_maps(void **state) {
    (void)state;
    got g;
    hotlist_import_report r;
    pk_err err;
    /* no header: columns by number */
    assert_int_equal(parse_str("x,5DEF456,OR,stolen\n", "2=plate,3=state,4=reason", &g, &r, &err),
                     PK_OK);
    assert_int_equal(r.header, 0);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.e[0].plate, "5DEF456");
    assert_string_equal(g.e[0].state, "OR");
    assert_string_equal(g.e[0].reason, "stolen");
    hotlist_import_report_fini(&r);
    /* header with its own names, mapped by name */
    assert_int_equal(parse_str("Tag Number,ST,Why\n5DEF456,WA,felony\n",
                               "Tag Number=plate,ST=LIS,Why=reason", &g, &r, &err),
                     PK_OK);
    assert_int_equal(r.header, 1);
    assert_string_equal(g.e[0].plate, "5DEF456");
    assert_string_equal(g.e[0].state, "WA");
    assert_string_equal(g.e[0].reason, "felony");
    hotlist_import_report_fini(&r);
    /* fixed width, with a header line that is skipped */
    const char *fw = "LIC       LIS REASON\n"
                     "7ABC123   CA  stolen vehicle\n"
                     "6TRJ*     NV  partial from witness\n";
    assert_int_equal(parse_str(fw, "1-10=plate,11-13=state,15-60=reason", &g, &r, &err), PK_OK);
    assert_int_equal(r.delimiter, 0);
    assert_int_equal(r.header, 1);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.e[0].plate, "7ABC123");
    assert_string_equal(g.e[0].state, "CA");
    assert_string_equal(g.e[0].reason, "stolen vehicle");
    assert_string_equal(g.e[1].plate, "6TRJ*");
    assert_int_equal(g.e[1].is_pattern, 1);
    hotlist_import_report_fini(&r);
    /* bad maps */
    assert_int_equal(parse_str("a,b\n", "1=plate,3-4=state", &g, &r, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "mixes"));
    assert_int_equal(parse_str("a,b\n", "1=bogus", &g, &r, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "unknown field 'bogus'"));
    assert_int_equal(parse_str("plate,state\n1A,CA\n", "Nope=plate", &g, &r, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "no column named 'Nope'"));
}

static void test_parse_bad_lines(void **state) {
    (void)state;
    got g;
    hotlist_import_report r;
    pk_err err;
    const char *csv = "plate,state,year,expires\n"
                      "1GOOD11,CA,2010,2030-01-01\n"  /* 2 */
                      ",CA,,\n"                      /* 3: empty plate */
                      "2BAD22,QQ,,\n"                /* 4: bad state */
                      "1GOOD11,CA,,\n"               /* 5: duplicate of 2 */
                      "1GOOD11,NV,,\n"               /* 6: same plate, other state: fine */
                      "3BAD#3,CA,,\n"                /* 7: bad character */
                      "4BAD44,CA,19x,\n"             /* 8: bad year */
                      "5BAD55,CA,,tomorrow\n"        /* 9: bad date */
                      "\"6BAD66,CA,,\n"              /* 10: unterminated quote */
                      "7OK777,CA,,20301231\n";       /* 11 */
    assert_int_equal(parse_str(csv, NULL, &g, &r, &err), PK_OK);
    assert_int_equal(r.loaded, 3);
    assert_int_equal(r.bad, 7);
    assert_non_null(r.errors);
    assert_non_null(strstr(r.errors, "3: plate: empty"));
    assert_non_null(strstr(r.errors, "4: state: 'QQ' is not a US state"));
    assert_non_null(strstr(r.errors, "5: plate: duplicate of line 2"));
    assert_non_null(strstr(r.errors, "7: plate: character '#'"));
    assert_non_null(strstr(r.errors, "8: year:"));
    assert_non_null(strstr(r.errors, "9: expires:"));
    assert_non_null(strstr(r.errors, "10: line: unterminated quoted field"));
    assert_null(strstr(r.errors, "6: "));
    assert_true(g.e[2].expires > 0);
    hotlist_import_report_fini(&r);

    /* a header without a plate column is a missing column: the file as a whole */
    assert_int_equal(parse_str("state,reason\nCA,stolen\n", NULL, &g, &r, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "missing column"));
    /* neither header nor map */
    assert_int_equal(parse_str("7ABC123,CA\n", NULL, &g, &r, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "no header row"));
    /* a data line shorter than the plate column */
    assert_int_equal(parse_str("x,y,7AAA777\nonly\n", "3=plate", &g, &r, &err), PK_OK);
    assert_int_equal(r.bad, 1);
    assert_non_null(strstr(r.errors, "2: plate: missing column"));
    hotlist_import_report_fini(&r);
}

static void test_parse_odd_files(void **state) {
    (void)state;
    got g;
    hotlist_import_report r;
    pk_err err;
    /* empty files */
    assert_int_equal(parse_str("", NULL, &g, &r, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "empty"));
    assert_int_equal(parse_str("\n \n\n", NULL, &g, &r, &err), PK_EINVAL);
    assert_int_equal(parse_str("LIC,LIS\n", NULL, &g, &r, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "no entries"));
    /* Latin-1: a text field is converted to UTF-8; a plate with it is refused */
    const char lat[] = "plate,reason\n1ABC234,v\xe9hicule vol\xe9\n2\xc9" "BC,x\n";
    assert_int_equal(parse_str(lat, NULL, &g, &r, &err), PK_OK);
    assert_int_equal(r.loaded, 1);
    assert_int_equal(r.latin1, 1);
    assert_string_equal(g.e[0].reason, "v\xc3\xa9hicule vol\xc3\xa9");
    assert_int_equal(r.bad, 1);
    assert_non_null(strstr(r.errors, "3: plate: non-ASCII"));
    hotlist_import_report_fini(&r);
    /* a line of 1 MB among good ones: that line is bad, memory stays bounded */
    size_t big = 1 << 20;
    char *buf = malloc(big + 64);
    int n = snprintf(buf, 64, "plate,reason\n1AAA111,x\n");
    memset(buf + n, 'A', big);
    memcpy(buf + n + big, "\n2BBB222,y\n", 12);
    assert_int_equal(parse_text(buf, n + big + 11, NULL, &g, &r, &err), PK_OK);
    assert_int_equal(r.loaded, 2);
    assert_int_equal(r.bad, 1);
    assert_non_null(strstr(r.errors, "3: line: longer than 4096 bytes"));
    hotlist_import_report_fini(&r);
    /* ...and as the very first line, the file is not a hotlist */
    memset(buf, 'A', big);
    assert_int_equal(parse_text(buf, big, NULL, &g, &r, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "line 1: longer than"));
    free(buf);
    /* NUL bytes */
    assert_int_equal(parse_text("LIC\n1AB\0C\n2XYZ\n", 15, NULL, &g, &r, &err), PK_OK);
    assert_int_equal(r.bad, 1);
    assert_non_null(strstr(r.errors, "2: line: holds a NUL byte"));
    hotlist_import_report_fini(&r);
    /* a UTF-8 BOM before the header */
    assert_int_equal(parse_str("\xEF\xBB\xBFLIC,LIS\n1ABC,CA\n", NULL, &g, &r, &err), PK_OK);
    assert_int_equal(r.header, 1);
    assert_int_equal(g.n, 1);
    hotlist_import_report_fini(&r);
}

/* A 100 MB file: refused by size before any byte is read when over the limit, and read through
 * in bounded memory (as one over-long line of zeros) when under it. */
static void test_parse_huge_file(void **state) {
    (void)state;
    char *dir = tu_tempdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/huge.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), 100LL << 20), 0);
    fclose(f);
    f = fopen(path, "r");
    hotlist_import_opts o;
    hotlist_import_opts_init(&o);
    o.max_bytes = 50LL << 20;
    hotlist_import_report r;
    pk_err err;
    pk_err_clear(&err);
    assert_int_equal(hotlist_parse(f, &o, NULL, NULL, &r, &err), PK_ELIMIT);
    assert_non_null(strstr(err.msg, "over the limit"));
    assert_int_equal(r.lines, 0);
    rewind(f);
    o.max_bytes = 0;
    assert_int_equal(hotlist_parse(f, &o, NULL, NULL, &r, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "line 1:"));
    fclose(f);
    hotlist_import_report_fini(&r);
    tu_rmtree(dir);
    free(dir);
}

/* ---- matcher ---- */

static int64_t add_list(store *st, const char *name, int priority, int covert) {
    store_hotlist h;
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "%s", name);
    snprintf(h.source, sizeof h.source, "local");
    snprintf(h.alert_level, sizeof h.alert_level, "high");
    h.priority = priority;
    h.covert = covert;
    h.default_expiry_days = 30;
    h.hit_retention_days = 365;
    pk_err err;
    assert_int_equal(store_hotlist_add(st, &h, &err), PK_OK);
    return h.id;
}

static int64_t add_entry(store *st, int64_t list, const char *plate, const char *state,
                         int64_t expires) {
    store_hotlist_entry e;
    memset(&e, 0, sizeof e);
    e.hotlist_id = list;
    snprintf(e.plate, sizeof e.plate, "%s", plate);
    e.is_pattern = pk_pattern_has_wildcard(plate);
    snprintf(e.state, sizeof e.state, "%s", state);
    e.expires = expires;
    pk_err err;
    assert_int_equal(store_hotlist_entry_add(st, &e, &err), PK_OK);
    return e.id;
}

static void test_match_kinds(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    int64_t stolen = add_list(st, "stolen", 1, 0);
    int64_t major = add_list(st, "major-crimes", 0, 1);
    int64_t now = pk_now_ms();
    int64_t e_exact = add_entry(st, stolen, "7ABC123", "CA", 0);
    int64_t e_any = add_entry(st, stolen, "5XYZ500", "", 0);
    int64_t e_pat = add_entry(st, major, "6TR?8*", "", 0);
    int64_t e_old = add_entry(st, stolen, "9OLD999", "", now - 1000);
    int64_t e_soon = add_entry(st, stolen, "4SOON44", "NV", now + 3600000);
    hotlist_matcher *m;
    pk_err err;
    assert_int_equal(hotlist_matcher_build(st, now, &m, &err), PK_OK);
    assert_int_equal(hotlist_matcher_size(m), 4); /* the expired entry is left out */
    assert_int_equal(hotlist_matcher_patterns(m), 1);
    hotlist_hit h[8];
    /* exact, same state */
    assert_int_equal(hotlist_match(m, "7ABC123", "CA", now, h, 8), 1);
    assert_int_equal(h[0].entry_id, e_exact);
    assert_int_equal(h[0].kind, HOTLIST_MATCH_EXACT);
    assert_int_equal(h[0].state_mismatch, 0);
    assert_int_equal(h[0].hotlist_id, stolen);
    /* exact, other state: still a hit, flagged */
    assert_int_equal(hotlist_match(m, "7ABC123", "NV", now, h, 8), 1);
    assert_int_equal(h[0].state_mismatch, 1);
    /* unknown read state: not a mismatch */
    assert_int_equal(hotlist_match(m, "7ABC123", "", now, h, 8), 1);
    assert_int_equal(h[0].state_mismatch, 0);
    /* misread: 7A8C1Z3 is 7ABC123 under the confusable classes (B/8, Z/2) */
    assert_int_equal(hotlist_match(m, "7A8C1Z3", "CA", now, h, 8), 1);
    assert_int_equal(h[0].kind, HOTLIST_MATCH_MISREAD);
    assert_int_equal(h[0].entry_id, e_exact);
    /* any-state entry never mismatches */
    assert_int_equal(hotlist_match(m, "5XYZ500", "TX", now, h, 8), 1);
    assert_int_equal(h[0].entry_id, e_any);
    assert_int_equal(h[0].state_mismatch, 0);
    /* pattern, covert list */
    assert_int_equal(hotlist_match(m, "6TRX8", "CA", now, h, 8), 1);
    assert_int_equal(h[0].kind, HOTLIST_MATCH_PATTERN);
    assert_int_equal(h[0].entry_id, e_pat);
    assert_int_equal(h[0].covert, 1);
    assert_int_equal(h[0].priority, 0);
    assert_int_equal(hotlist_match(m, "6TRX8QQ9", "CA", now, h, 8), 1);
    assert_int_equal(hotlist_match(m, "6TR8", "CA", now, h, 8), 0);
    /* expiry: gone now, and an entry that expires later stops hitting then */
    assert_int_equal(hotlist_match(m, "9OLD999", "", now, h, 8), 0);
    (void)e_old;
    assert_int_equal(hotlist_match(m, "4SOON44", "NV", now, h, 8), 1);
    assert_int_equal(h[0].entry_id, e_soon);
    assert_int_equal(hotlist_match(m, "4SOON44", "NV", now + 7200000, h, 8), 0);
    /* nothing */
    assert_int_equal(hotlist_match(m, "1NOPE11", "CA", now, h, 8), 0);
    hotlist_matcher_release(m);
    tu_store_free(st, dir);
}

/* The bucketed pattern search finds exactly what checking every pattern finds. */
static void test_match_patterns_bruteforce(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    int64_t l = add_list(st, "partials", 2, 0);
    uint64_t seed = 42;
    static const char alpha[] = "ABC123?*";
    pk_pattern pats[300];
    int64_t ids[300];
    int np = 0;
    store_begin(st, NULL);
    while (np < 300) {
        char p[9];
        size_t len = 1 + tu_rand(&seed) % 7;
        for (size_t i = 0; i < len; i++) p[i] = alpha[tu_rand(&seed) % 8];
        p[len] = '\0';
        if (!pk_pattern_has_wildcard(p) || pk_pattern_compile(p, &pats[np], NULL)) continue;
        ids[np] = add_entry(st, l, pats[np].text, "", 0);
        np++;
    }
    store_commit(st, NULL);
    hotlist_matcher *m;
    pk_err err;
    assert_int_equal(hotlist_matcher_build(st, 0, &m, &err), PK_OK);
    for (int t = 0; t < 3000; t++) {
        char plate[11];
        size_t len = 1 + tu_rand(&seed) % 8;
        for (size_t i = 0; i < len; i++) plate[i] = "ABC123"[tu_rand(&seed) % 6];
        plate[len] = '\0';
        hotlist_hit h[HOTLIST_MAX_HITS * 20];
        size_t n = hotlist_match(m, plate, "", pk_now_ms(), h, HOTLIST_MAX_HITS * 20);
        size_t want = 0;
        for (int i = 0; i < np; i++) {
            if (!pk_pattern_match(&pats[i], plate, len)) continue;
            want++;
            int found = 0;
            for (size_t k = 0; k < n; k++) found |= h[k].entry_id == ids[i];
            if (!found) fail_msg("%s misses pattern %s", plate, pats[i].text);
        }
        if (want != n) fail_msg("%s: %zu hits, expected %zu", plate, n, want);
    }
    hotlist_matcher_release(m);
    tu_store_free(st, dir);
}

/* ---- the alert store ---- */

static void test_alert_store(void **state) {
    (void)state;
    char *dir;
    store *st = tu_store_new(&dir);
    int64_t open_l = add_list(st, "open", 1, 0);
    int64_t cov_l = add_list(st, "cov", 1, 1);
    store_alert a;
    memset(&a, 0, sizeof a);
    a.read_id = 10;
    a.entry_id = 20;
    a.hotlist_id = open_l;
    snprintf(a.match, sizeof a.match, "exact");
    a.read_json = "{}";
    a.entry_json = "{}";
    pk_err err;
    assert_int_equal(store_alert_add(st, &a, &err), PK_OK);
    int64_t first = a.id;
    assert_int_equal(store_alert_add(st, &a, &err), PK_EEXIST); /* same read, same entry */
    a.entry_id = 21;
    a.hotlist_id = cov_l;
    a.covert = 1;
    assert_int_equal(store_alert_add(st, &a, &err), PK_OK);
    assert_int_equal(store_alert_verify(st, first, "confirmed", "", "olga", 5, &err), PK_OK);
    assert_int_equal(store_alert_verify(st, first, "misread", "x", "olga", 6, &err),
                     PK_ECONFLICT);
    assert_non_null(strstr(err.msg, "already verified as confirmed by olga"));
    assert_int_equal(store_alert_verify(st, 999, "confirmed", "", "olga", 6, &err), PK_ENOTFOUND);
    tu_store_free(st, dir);
}

/* Replays the fuzz corpus through the parser (the fuzz target's own option byte included). */
static void test_fuzz_corpus(void **state) {
    (void)state;
    const char *root = getenv("PK_ROOT");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/fuzz/corpus/hotlist", root ? root : ".");
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "ls '%s' 2>/dev/null", dir);
    FILE *ls = popen(cmd, "r");
    assert_non_null(ls);
    char name[256];
    int files = 0;
    while (fgets(name, sizeof name, ls)) {
        name[strcspn(name, "\n")] = '\0';
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        fgetc(f); /* the option byte */
        got g;
        memset(&g, 0, sizeof g);
        hotlist_import_opts o;
        hotlist_import_opts_init(&o);
        hotlist_import_report r;
        hotlist_parse(f, &o, collect, &g, &r, NULL);
        hotlist_import_report_fini(&r);
        fclose(f);
        files++;
    }
    pclose(ls);
    assert_true(files >= 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_parse_ncic_csv),
        cmocka_unit_test(test_parse_delimiters),
        cmocka_unit_test(test_parse_maps),
        cmocka_unit_test(test_parse_bad_lines),
        cmocka_unit_test(test_parse_odd_files),
        cmocka_unit_test(test_parse_huge_file),
        cmocka_unit_test(test_match_kinds),
        cmocka_unit_test(test_match_patterns_bruteforce),
        cmocka_unit_test(test_alert_store),
        cmocka_unit_test(test_fuzz_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

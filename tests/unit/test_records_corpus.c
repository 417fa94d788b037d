/* records: replays the fuzz corpora (fuzz/corpus/records_request, fuzz/corpus/export_manifest)
 * through the same parsers the fuzz targets drive, with the verdicts the files were made for. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records/records_int.h"

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) fail_msg("short read %s", path);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void corpus_dir(const char *name, char *buf, size_t n) {
    const char *root = getenv("PK_ROOT");
    snprintf(buf, n, "%s/fuzz/corpus/%s", root ? root : ".", name);
}

static void test_request_corpus(void **state) {
    (void)state;
    char dir[4096];
    corpus_dir("records_request", dir, sizeof dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int files = 0, ok = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[8200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len;
        unsigned char *b = slurp(path, &len);
        pk_err err;
        records_request_in in;
        int rc = records_request_parse((char *)b, len, &in, &err);
        records_request_in_fini(&in);
        records_search rs;
        int rs_rc = records_search_parse((char *)b, len, &rs, &err);
        files++;
        if (!strcmp(e->d_name, "valid.json") || !strcmp(e->d_name, "private.json") ||
            !strcmp(e->d_name, "near_object.json")) {
            assert_int_equal(rc, PK_OK);
            ok++;
        }
        if (!strcmp(e->d_name, "no_scope.json") || !strcmp(e->d_name, "bad_base64.json") ||
            !strcmp(e->d_name, "truncated.json"))
            assert_int_equal(rc, PK_EINVAL);
        if (!strncmp(e->d_name, "search_", 7)) assert_int_equal(rs_rc, PK_OK);
        free(b);
    }
    closedir(d);
    assert_true(files >= 8);
    assert_int_equal(ok, 3);
}

static void test_export_corpus(void **state) {
    (void)state;
    static const struct {
        const char *file;
        int parses, intact;
    } want[] = {{"intact.tar", 1, 1}, {"tampered.tar", 1, 0}, {"extra.tar", 1, 0},
                {"garbage.tar", 0, 0}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char dir[4096], path[8200];
        corpus_dir("export_manifest", dir, sizeof dir);
        snprintf(path, sizeof path, "%s/%s", dir, want[i].file);
        size_t len;
        unsigned char *b = slurp(path, &len);
        records__pkg_files pf;
        pk_err err;
        int rc = records__tar_parse(b, len, &pf, &err);
        assert_int_equal(rc == PK_OK, want[i].parses);
        if (rc == PK_OK) {
            records_verify_result v;
            pk_err_clear(&err);
            assert_int_equal(records_export_verify(path, NULL, NULL, &v, &err), PK_OK);
            if (v.intact != want[i].intact) fail_msg("%s: intact %d", want[i].file, v.intact);
        }
        records__pkg_files_free(&pf);
        /* every prefix of the file (a truncated copy) is refused or checked, never a crash */
        for (size_t cut = 0; cut < len; cut += 97) {
            records__pkg_files part;
            records__tar_parse(b, cut, &part, &err); /* partial lists are the caller's too */
            records__pkg_files_free(&part);
        }
        free(b);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_corpus),
        cmocka_unit_test(test_export_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

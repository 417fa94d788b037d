/* core/conf: the configuration file parser, and a replay of the fuzz corpus. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"

static void test_parse(void **state) {
    (void)state;
    const char text[] = "# comment\n\n  listen =  127.0.0.1:8080  \r\ntls_cert =\n"
                        "policy=policy.html\nweird.key_2 = a = b # not a comment\n";
    pk_conf *c;
    pk_err err;
    assert_int_equal(pk_conf_parse(text, sizeof text - 1, &c, &err), PK_OK);
    assert_int_equal(pk_conf_count(c), 4);
    assert_string_equal(pk_conf_get(c, "listen"), "127.0.0.1:8080");
    assert_string_equal(pk_conf_get(c, "tls_cert"), "");
    assert_string_equal(pk_conf_get(c, "policy"), "policy.html");
    assert_string_equal(pk_conf_get(c, "weird.key_2"), "a = b # not a comment");
    assert_null(pk_conf_get(c, "missing"));
    assert_string_equal(pk_conf_key(c, 0), "listen");
    pk_conf_free(c);
    assert_int_equal(pk_conf_parse("", 0, &c, &err), PK_OK);
    assert_int_equal(pk_conf_count(c), 0);
    pk_conf_free(c);
    pk_conf_free(NULL);
}

static void expect_error(const char *text, size_t len, const char *needle) {
    pk_conf *c = (pk_conf *)1;
    pk_err err;
    pk_err_clear(&err);
    assert_int_not_equal(pk_conf_parse(text, len, &c, &err), PK_OK);
    assert_null(c);
    if (!strstr(err.msg, needle)) fail_msg("'%s' lacks '%s'", err.msg, needle);
}

static void test_errors(void **state) {
    (void)state;
    expect_error("a = 1\nnovalue\n", 14, "line 2");
    expect_error("a = 1\na = 2\n", 12, "twice");
    expect_error(" = 1\n", 5, "empty key");
    expect_error("Listen = x\n", 11, "key may hold");
    expect_error("a = x\0y\n", 8, "NUL");
    char *big = malloc(5000);
    memset(big, 'a', 5000);
    big[0] = 'k';
    big[1] = '=';
    expect_error(big, 5000, "longer than");
    free(big);
    char many[300 * 8];
    size_t n = 0;
    for (int i = 0; i < 300; i++) n += (size_t)sprintf(many + n, "k%d=1\n", i);
    expect_error(many, n, "more than 256");
}

static void test_load(void **state) {
    (void)state;
    char *dir = tu_tempdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/platekeeper.conf", dir);
    pk_conf *c;
    pk_err err;
    assert_int_equal(pk_conf_load(path, &c, &err), PK_ENOTFOUND);
    FILE *f = fopen(path, "w");
    fputs("listen = 0.0.0.0:9000\nbad line\n", f);
    fclose(f);
    assert_int_equal(pk_conf_load(path, &c, &err), PK_EINVAL);
    assert_non_null(strstr(err.msg, "platekeeper.conf: line 2"));
    f = fopen(path, "w");
    fputs("listen = 0.0.0.0:9000\n", f);
    fclose(f);
    assert_int_equal(pk_conf_load(path, &c, &err), PK_OK);
    assert_string_equal(pk_conf_get(c, "listen"), "0.0.0.0:9000");
    pk_conf_free(c);
    tu_rmtree(dir);
    free(dir);
}

/* Every file of the fuzz corpus goes through the parser without harm. */
static void test_corpus(void **state) {
    (void)state;
    const char *root = getenv("PK_ROOT");
    char dirpath[4200];
    snprintf(dirpath, sizeof dirpath, "%s/fuzz/corpus/config", root ? root : ".");
    DIR *d = opendir(dirpath);
    if (!d) skip();
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dirpath, e->d_name);
        pk_conf *c = NULL;
        pk_err err;
        int rc = pk_conf_load(p, &c, &err);
        assert_true(rc == PK_OK ? c != NULL : c == NULL);
        pk_conf_free(c);
        n++;
    }
    closedir(d);
    assert_true(n >= 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

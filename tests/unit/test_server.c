/* Unit tests of the server's request parsing (src/server/parse.c) and a replay of the fuzz
 * corpus through the fuzz target's entry function. The server itself is tested black-box by
 * tests/integration/test_server_*.py against a real `platekeeper serve`. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

#define PK_FUZZ_NO_MAIN
#include "../../fuzz/fuzz_http_json.c"

static const server_field spec[] = {
    {"username", SF_STRING, 1, 8},
    {"count", SF_INT, 0, 0},
    {"tags", SF_ARRAY, 0, 0},
    {0},
};

static const char *check(const char *text) {
    static char code[64];
    server_perr e;
    json_t *v;
    if (server__json_parse(text, strlen(text), 4, &v, &e)) {
        snprintf(code, sizeof code, "%s", e.code);
        return code;
    }
    int rc = server__json_check(v, spec, &e);
    json_decref(v);
    snprintf(code, sizeof code, "%s", rc ? e.code : "ok");
    return code;
}

static void test_json_bodies(void **state) {
    (void)state;
    assert_string_equal(check("{\"username\": \"ann\"}"), "ok");
    assert_string_equal(check("{\"username\": \"ann\", \"count\": 3, \"tags\": []}"), "ok");
    assert_string_equal(check("{\"username\": \"ann\", \"count\": null}"), "ok");
    assert_string_equal(check(""), "invalid_json");
    assert_string_equal(check("{\"username\": "), "invalid_json");
    assert_string_equal(check("[1, 2]"), "invalid_json");
    assert_string_equal(check("\"text\""), "invalid_json");
    assert_string_equal(check("{\"username\": \"a\", \"username\": \"b\"}"), "invalid_json");
    assert_string_equal(check("{\"username\": \"a\\u0000b\"}"), "invalid_json");
    assert_string_equal(check("{\"username\": \"ann\", \"extra\": 1}"), "unknown_field");
    assert_string_equal(check("{\"username\": 5}"), "wrong_type");
    assert_string_equal(check("{\"username\": \"ann\", \"count\": \"3\"}"), "wrong_type");
    assert_string_equal(check("{\"username\": \"ann\", \"count\": 1.5}"), "wrong_type");
    assert_string_equal(check("{\"count\": 3}"), "missing_field");
    assert_string_equal(check("{\"username\": \"\"}"), "missing_field");
    assert_string_equal(check("{\"username\": null}"), "missing_field");
    assert_string_equal(check("{\"username\": \"toolongname\"}"), "too_long");
    /* Depth 4 allowed: three nested arrays inside the object are fine, four are not. */
    assert_string_equal(check("{\"username\": \"a\", \"tags\": [[[1]]]}"), "ok");
    assert_string_equal(check("{\"username\": \"a\", \"tags\": [[[[1]]]]}"), "too_deep");
    /* Brackets inside strings do not count. */
    assert_string_equal(check("{\"username\": \"[[[[[\"}"), "ok");
    assert_string_equal(check("{\"username\": \"\\\"[[[[[\"}"), "ok");
}

static void test_path_match(void **state) {
    (void)state;
    server_params p;
    assert_true(server__path_match("/api/v1/users/{id}/training", "/api/v1/users/42/training", &p));
    assert_int_equal(p.n, 1);
    assert_string_equal(p.name[0], "id");
    assert_string_equal(p.value[0], "42");
    assert_false(server__path_match("/api/v1/users/{id}/training", "/api/v1/users//training", &p));
    assert_false(server__path_match("/api/v1/users/{id}", "/api/v1/users/4/x", &p));
    assert_false(server__path_match("/api/v1/users/{id}", "/api/v1/users", &p));
    assert_false(server__path_match("/api/v1/users", "/api/v1/users/", &p));
    assert_false(server__path_match("/health", "/healthz", &p));
    assert_true(server__path_match("/health", "/health", &p));
    assert_true(server__path_match("/a/{x}/b/{y}", "/a/1/b/2", &p));
    assert_int_equal(p.n, 2);
    assert_string_equal(p.value[1], "2");
}

static void test_cookies_and_ints(void **state) {
    (void)state;
    char out[16];
    assert_true(server__cookie_get("a=1; pk_session=abc; b=2", "pk_session", out, sizeof out));
    assert_string_equal(out, "abc");
    assert_false(server__cookie_get("xpk_session=abc", "pk_session", out, sizeof out));
    assert_false(server__cookie_get("pk_session=0123456789abcdefXYZ", "pk_session", out, sizeof out));
    assert_false(server__cookie_get("", "pk_session", out, sizeof out));
    int64_t v;
    assert_int_equal(server__parse_i64("42", 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_not_equal(server__parse_i64("101", 0, 100, &v), 0);
    assert_int_not_equal(server__parse_i64("4x", 0, 100, &v), 0);
    assert_int_not_equal(server__parse_i64(" 4", 0, 100, &v), 0);
    assert_int_not_equal(server__parse_i64("", 0, 100, &v), 0);
    assert_int_not_equal(server__parse_i64("99999999999999999999", 0, INT64_MAX, &v), 0);
}

/* Every file of fuzz/corpus/http_json goes through the fuzz entry (it asserts the parsers'
 * invariants itself). */
static void test_fuzz_corpus(void **state) {
    (void)state;
    const char *root = getenv("PK_ROOT");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/fuzz/corpus/http_json", root ? root : ".");
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        uint8_t buf[65536];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        pk_fuzz_http_json(buf, len);
        n++;
    }
    closedir(d);
    assert_true(n >= 5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_bodies),
        cmocka_unit_test(test_path_match),
        cmocka_unit_test(test_cookies_and_ints),
        cmocka_unit_test(test_fuzz_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

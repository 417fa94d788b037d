/* core/isolate: work run in a child process comes back as its answer, or as a clear error when
 * the child crashes, overruns its time or memory, or answers nothing; the parent carries on. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/isolate.h"

#if defined(__SANITIZE_ADDRESS__)
#define NO_AS_LIMIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_AS_LIMIT 1
#endif
#endif

static int answer(void *arg, char **out, size_t *out_len, pk_err *err) {
    (void)err;
    size_t n = *(size_t *)arg;
    *out = malloc(n);
    for (size_t i = 0; i < n; i++) (*out)[i] = (char)('a' + i % 26);
    *out_len = n;
    return PK_OK;
}

/* Whether the descriptor *arg is open in the child. */
static int fd_state(void *arg, char **out, size_t *out_len, pk_err *err) {
    (void)err;
    int open_ = fcntl(*(int *)arg, F_GETFD) != -1 || errno != EBADF;
    *out = strdup(open_ ? "open" : "closed");
    *out_len = strlen(*out);
    return PK_OK;
}

static int refuse(void *arg, char **out, size_t *out_len, pk_err *err) {
    (void)arg, (void)out, (void)out_len;
    return pk_err_set(err, PK_EINVAL, "video: not a video (%d)", 42);
}

static int crash(void *arg, char **out, size_t *out_len, pk_err *err) {
    (void)arg, (void)out, (void)out_len, (void)err;
    raise(SIGSEGV);
    return PK_OK;
}

static int hang(void *arg, char **out, size_t *out_len, pk_err *err) {
    (void)arg, (void)out, (void)out_len, (void)err;
    sleep(30);
    return PK_OK;
}

static int silent(void *arg, char **out, size_t *out_len, pk_err *err) {
    (void)arg, (void)out, (void)out_len, (void)err;
    _exit(0);
}

#ifndef NO_AS_LIMIT
/* Asks for 1 GiB: refused under a 64 MiB limit (sanitizer builds set no address-space limit). */
static int greedy(void *arg, char **out, size_t *out_len, pk_err *err) {
    (void)arg, (void)out, (void)out_len;
    char *p = malloc((size_t)1 << 30);
    if (!p) return pk_err_set(err, PK_ELIMIT, "no memory");
    memset(p, 1, (size_t)1 << 30);
    free(p);
    return PK_OK;
}
#endif

static void test_answers(void **state) {
    (void)state;
    pk_err err;
    char *out;
    size_t len;
    /* Small and large answers come back byte for byte. */
    size_t sizes[] = {0, 5, (size_t)10 << 20};
    for (size_t i = 0; i < 3; i++) {
        pk_err_clear(&err);
        assert_int_equal(pk_isolate_run("job", answer, &sizes[i], NULL, &out, &len, &err), PK_OK);
        assert_int_equal(len, sizes[i]);
        if (sizes[i] == 0) {
            assert_null(out);
            continue;
        }
        assert_non_null(out);
        assert_int_equal(out[len - 1], 'a' + (len - 1) % 26);
        assert_int_equal(out[len], 0);
        free(out);
    }
    /* The parent's other descriptors (a server's client connections) are not held open by the
     * child. */
    int fd0 = open("/dev/null", O_RDONLY);
    int fd = fcntl(fd0, F_DUPFD, 20);
    close(fd0);
    assert_true(fd >= 20);
    assert_int_equal(pk_isolate_run("job", fd_state, &fd, NULL, &out, &len, &err), PK_OK);
    assert_string_equal(out, "closed");
    free(out);
    close(fd);
    /* The work's own error, code and message. */
    pk_err_clear(&err);
    assert_int_equal(pk_isolate_run("video", refuse, NULL, NULL, &out, &len, &err), PK_EINVAL);
    assert_string_equal(err.msg, "video: not a video (42)");
    assert_null(out);
}

static void test_failures(void **state) {
    (void)state;
    pk_err err;
    char *out;
    size_t len;
    pk_err_clear(&err);
    assert_int_equal(pk_isolate_run("video", crash, NULL, NULL, &out, &len, &err), PK_ECORRUPT);
    assert_non_null(strstr(err.msg, "video: "));
    assert_non_null(strstr(err.msg, "signal 11"));
    assert_null(out);
    pk_isolate_limits one = {1, 0};
    pk_err_clear(&err);
    assert_int_equal(pk_isolate_run("video", hang, NULL, &one, &out, &len, &err), PK_ELIMIT);
    assert_non_null(strstr(err.msg, "1 s"));
    pk_err_clear(&err);
    assert_int_equal(pk_isolate_run("video", silent, NULL, NULL, &out, &len, &err), PK_ECORRUPT);
    assert_non_null(strstr(err.msg, "no usable answer"));
#ifndef NO_AS_LIMIT
    pk_isolate_limits small = {10, (size_t)64 << 20};
    pk_err_clear(&err);
    assert_int_equal(pk_isolate_run("video", greedy, NULL, &small, &out, &len, &err), PK_ELIMIT);
    assert_string_equal(err.msg, "no memory");
#endif
    /* And this process is fine: it runs the next job as before. */
    size_t n = 3;
    assert_int_equal(pk_isolate_run("job", answer, &n, NULL, &out, &len, &err), PK_OK);
    assert_string_equal(out, "abc");
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

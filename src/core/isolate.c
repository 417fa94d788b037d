/*
 * isolate.c: fork, limit, run, take back the answer (isolate.h).
 *
 * The child's answer travels over a pipe as: int32 code, uint32 message length, the message,
 * uint64 answer length, the answer. The parent trusts none of it beyond its lengths' limits.
 */
#include "core/isolate.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_MAX ((uint64_t)256 << 20)

/* AddressSanitizer reserves terabytes of address space for its shadow memory: an address-space
 * limit would stop a sanitizer build's child before it ran. */
#if defined(__SANITIZE_ADDRESS__)
#define ISOLATE_NO_AS_LIMIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ISOLATE_NO_AS_LIMIT 1
#endif
#endif

static int write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The address space this process has mapped now (the child inherits all of it). */
static size_t mapped_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1) pages = 0;
        fclose(f);
    }
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

static void child_limits(const pk_isolate_limits *lim, size_t mapped) {
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none); /* a crash leaves no core file holding the upload */
    rlim_t cpu = (rlim_t)lim->seconds + 1;
    struct rlimit c = {cpu, cpu};
    setrlimit(RLIMIT_CPU, &c);
#ifndef ISOLATE_NO_AS_LIMIT
    struct rlimit as = {mapped + lim->memory_bytes, mapped + lim->memory_bytes};
    setrlimit(RLIMIT_AS, &as);
#else
    (void)mapped;
#endif
}

static void child(int *fd, pid_t parent, const pk_isolate_limits *lim, size_t mapped,
                  pk_isolated_fn fn, void *arg) {
    /* Die with the parent rather than run on unattended. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    /* The parent's signal handlers (a server's shutdown, a test runner's crash catcher) are
     * not the child's: a crash must end it, and be seen as one. */
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTERM, SIGINT, SIGPIPE};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Nothing but the answer pipe (and the standard three) stays open: the server's client
     * connections must close when it closes them, not when a long job ends, and the job has no
     * business with the database or the listening socket. */
    if (*fd != 3) {
        if (dup2(*fd, 3) < 0) _exit(1);
        *fd = 3;
    }
    if (close_range(4, ~0U, 0) != 0)
        for (int i = 4; i < 65536; i++) close(i);
    child_limits(lim, mapped);
    char *out = NULL;
    size_t out_len = 0;
    pk_err err;
    pk_err_clear(&err);
    int32_t code = fn(arg, &out, &out_len, &err);
    uint32_t msg_len = (uint32_t)strnlen(err.msg, sizeof err.msg);
    uint64_t n = out ? (uint64_t)out_len : 0;
    int bad = write_all(*fd, &code, sizeof code) || write_all(*fd, &msg_len, sizeof msg_len) ||
              write_all(*fd, err.msg, msg_len) || write_all(*fd, &n, sizeof n) ||
              (n && write_all(*fd, out, (size_t)n));
    /* _exit: the parent's atexit handlers and stdio buffers are not the child's to run. */
    _exit(bad ? 1 : 0);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads the child's whole answer until it closes the pipe or the deadline passes.
 * Returns 0 at end of data, 1 on timeout, -1 on a read error. OUT: *buf, *len. */
static int read_answer(int fd, double deadline, char **buf, size_t *len) {
    size_t cap = 1 << 16;
    *buf = malloc(cap);
    *len = 0;
    if (!*buf) return -1;
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0) return 1;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) return 1;
        if (*len == cap) {
            if (cap >= ANSWER_MAX + 1024) return -1;
            char *bigger = realloc(*buf, cap * 2);
            if (!bigger) return -1;
            *buf = bigger;
            cap *= 2;
        }
        ssize_t n = read(fd, *buf + *len, cap - *len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) return 0;
        *len += (size_t)n;
    }
}

/* Parses the answer's framing into code, message and answer. Returns 0, or -1 when malformed. */
static int parse_answer(const char *buf, size_t len, int *code, pk_err *err, char **out,
                        size_t *out_len) {
    int32_t c;
    uint32_t ml;
    uint64_t n;
    size_t at = 0;
    if (len < sizeof c + sizeof ml) return -1;
    memcpy(&c, buf, sizeof c);
    memcpy(&ml, buf + sizeof c, sizeof ml);
    at = sizeof c + sizeof ml;
    if (ml >= PK_ERR_MSG_MAX || len - at < ml + sizeof n) return -1;
    char msg[PK_ERR_MSG_MAX];
    memcpy(msg, buf + at, ml);
    msg[ml] = 0;
    at += ml;
    memcpy(&n, buf + at, sizeof n);
    at += sizeof n;
    if (n > ANSWER_MAX || len - at != n) return -1;
    if (c != PK_OK) pk_err_set(err, c, "%s", msg);
    *code = c;
    if (n) {
        *out = malloc((size_t)n + 1);
        if (!*out) return -1;
        memcpy(*out, buf + at, (size_t)n);
        (*out)[n] = 0; /* handy for text answers; not counted in *out_len */
        *out_len = (size_t)n;
    }
    return 0;
}

int pk_isolate_run(const char *what, pk_isolated_fn fn, void *arg, const pk_isolate_limits *lim,
                   char **out, size_t *out_len, pk_err *err) {
    *out = NULL;
    *out_len = 0;
    pk_isolate_limits l = lim ? *lim : (pk_isolate_limits){0, 0};
    if (l.seconds <= 0) l.seconds = 60;
    if (l.memory_bytes == 0) l.memory_bytes = (size_t)2 << 30;
    int fds[2];
    if (pipe(fds) != 0) return pk_err_set(err, PK_EIO, "%s: no pipe: %s", what, strerror(errno));
    size_t mapped = mapped_bytes();
    pid_t parent = getpid();
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return pk_err_set(err, PK_EIO, "%s: no child process: %s", what, strerror(e));
    }
    if (pid == 0) {
        close(fds[0]);
        child(&fds[1], parent, &l, mapped, fn, arg);
    }
    close(fds[1]);
    char *buf = NULL;
    size_t len = 0;
    int r = read_answer(fds[0], now_s() + l.seconds, &buf, &len);
    close(fds[0]);
    if (r == 1) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    int rc;
    if (r == 1)
        rc = pk_err_set(err, PK_ELIMIT, "%s: not done within %d s", what, l.seconds);
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
        rc = pk_err_set(err, PK_ELIMIT, "%s: used more than %d s of processor time", what,
                        l.seconds);
    else if (WIFSIGNALED(status))
        rc = pk_err_set(err, PK_ECORRUPT,
                        "%s: its decoder failed on this input (stopped by signal %d)", what,
                        WTERMSIG(status));
    else if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
             parse_answer(buf, len, &rc, err, out, out_len) != 0) {
        free(*out);
        *out = NULL;
        *out_len = 0;
        rc = pk_err_set(err, PK_ECORRUPT, "%s: its worker gave no usable answer", what);
    }
    free(buf);
    return rc;
}

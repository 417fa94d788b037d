/* ingest: the fuzz targets' entry functions on their seed corpora (fuzz/corpus/ingest_jsonl,
 * fuzz/corpus/openalpr), plus mutated variants, so a parser crash found by fuzzing stays fixed
 * in `make test` (and under ASan/UBSan in `make san`). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define FUZZ_ENTRY fuzz_jsonl_entry
#include "../../fuzz/fuzz_ingest_jsonl.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_openalpr_entry
#include "../../fuzz/fuzz_openalpr.c"

static int replay(const char *dir, int (*fn)(const uint8_t *, size_t)) {
    char path[4200];
    const char *root = getenv("PK_ROOT");
    snprintf(path, sizeof path, "%s/%s", root && *root ? root : ".", dir);
    DIR *d = opendir(path);
    if (!d) fail_msg("no corpus at %s", path);
    struct dirent *e;
    int n = 0;
    uint64_t rnd = 12345;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char f[4400];
        snprintf(f, sizeof f, "%s/%s", path, e->d_name);
        FILE *fh = fopen(f, "rb");
        if (!fh) continue;
        static uint8_t buf[1 << 16];
        size_t len = fread(buf, 1, sizeof buf, fh);
        fclose(fh);
        fn(buf, len);
        /* every prefix (truncation) and a few hundred byte flips */
        for (size_t k = 0; k < len; k += 7) fn(buf, k);
        for (int m = 0; m < 300 && len; m++) {
            static uint8_t mut[1 << 16];
            memcpy(mut, buf, len);
            for (int j = 0; j < 3; j++) mut[tu_rand(&rnd) % len] = (uint8_t)tu_rand(&rnd);
            fn(mut, len);
        }
        n++;
    }
    closedir(d);
    return n;
}

static void test_replay_jsonl(void **state) {
    (void)state;
    assert_true(replay("fuzz/corpus/ingest_jsonl", fuzz_jsonl_entry) >= 3);
}

static void test_replay_openalpr(void **state) {
    (void)state;
    assert_true(replay("fuzz/corpus/openalpr", fuzz_openalpr_entry) >= 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_replay_jsonl),
                                       cmocka_unit_test(test_replay_openalpr)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* libFuzzer target: hotlist files through hotlist_parse (the parser every import uses). The
 * first byte picks the options (delimiter, header, a fixed-width or a column map), the rest is
 * the file. Built by `make fuzz-hotlist`; tests/unit/test_hotlist.c replays fuzz/corpus/hotlist. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hotlist/hotlist.h"

static int take(void *ctx, store_hotlist_entry *e, int64_t line, pk_err *err) {
    (void)err;
    (void)line;
    /* touch what the parser produced, so a bad length or missing NUL shows up */
    size_t *n = ctx;
    for (const char *p = e->plate; *p; p++) (*n)++;
    for (const char *p = e->reason; *p; p++) (*n)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0; /* the empty file is a unit test of its own */
    static const char *const maps[] = {NULL, "1=plate,2=state,3=reason", "LIC=plate,x=reason",
                                       "1-8=plate,9-10=state,11-40=reason", "2=LIC,1=expires",
                                       "bogus", "1=plate,3-4=state"};
    hotlist_import_opts o;
    hotlist_import_opts_init(&o);
    o.map = maps[data[0] % 7];
    o.delimiter = ",;\t|\0"[(data[0] >> 3) % 5];
    o.header = (int)((data[0] >> 6) % 3) - 1;
    o.max_bytes = 1 << 20;
    FILE *f = fmemopen((void *)(data + 1), size - 1, "r");
    if (!f) return 0;
    size_t n = 0;
    hotlist_import_report r;
    hotlist_parse(f, &o, take, &n, &r, NULL);
    hotlist_import_report_fini(&r);
    fclose(f);
    return 0;
}

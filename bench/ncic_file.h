/*
 * ncic_file.h: the benchmarks' hotlist file, shared by bench_hotlist and bench_ingest so that
 * both measure against the same kind of list (DESIGN.md §8: 2 M entries).
 *
 * An NCIC-style CSV with unique plate+state lines: two letters and a six-digit counter, so a
 * line never repeats, and one line in six from another state.
 */
#ifndef PK_BENCH_NCIC_FILE_H
#define PK_BENCH_NCIC_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* xorshift64*: the benchmarks' own reproducible stream; *state must start non-zero. */
static inline uint64_t bench_rnd(uint64_t *state) {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1DULL;
}

/* Writes LINES entries to PATH; PASS (0 or 1) shifts the second letter, so the two passes'
 * files differ (a re-import replaces every entry). The first N_KEEP plates are copied to KEEP
 * (may be NULL) for the caller's reads to hit. Returns 0, or -1 when the file cannot be
 * written. */
static inline int bench_write_ncic(const char *path, long lines, int pass, uint64_t *state,
                                   char (*keep)[11], size_t n_keep) {
    static const char *states[] = {"CA", "NV", "AZ", "OR", "WA", "TX"};
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "LIC,LIS,LIT,NIC,ORI,OCA,VMA,VMO,VYR,VCO\n");
    for (long i = 0; i < lines; i++) {
        char p[11];
        snprintf(p, sizeof p, "%c%c%06ld", 'A' + (int)(bench_rnd(state) % 26),
                 'A' + (int)((i / 1000000 + pass) % 26), i % 1000000);
        if (keep && (size_t)i < n_keep) memcpy(keep[i], p, 11);
        fprintf(f, "%s,%s,PC,V%09ld,CA0390000,%ld,HOND,CIV,20%02d,BLK\n", p,
                states[i % 6 == 0 ? bench_rnd(state) % 6 : 0], i, i, (int)(i % 25));
    }
    return fclose(f) == 0 ? 0 : -1;
}

#endif

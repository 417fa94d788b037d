# Records area (issue 5): the purge benchmark and the fuzz targets of the records parsers.

BENCH_TARGETS += bench-purge
PURGE_BENCH := $(BUILD)/bench/bench_purge

$(PURGE_BENCH): bench/bench_purge.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# 1 M reads, a tenth expired; PK_BENCH_10M=1 adds the 10 M run of DESIGN.md §8 (slow to load).
.PHONY: bench-purge fuzz-records
bench-purge: $(PURGE_BENCH)
	$(PURGE_BENCH) $${PK_BENCH_PURGE_READS:-1000000}
	@if [ "$${PK_BENCH_10M:-0}" = 1 ]; then $(PURGE_BENCH) 10000000; fi

# libFuzzer targets (clang only): the export package reader/verifier and the request JSON.
RECORDS_FUZZ := fuzz_export_manifest fuzz_request_json
fuzz-records:
	@if command -v clang >/dev/null; then mkdir -p $(BUILD)/fuzz; for t in $(RECORDS_FUZZ); do \
	  clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Isrc -Ibuild/gen \
	    $(PKG_CFLAGS) -o $(BUILD)/fuzz/$$t fuzz/$$t.c $(filter-out src/main.c,$(wildcard src/*/*.c)) \
	    $(BUILD)/gen/schema.c $(LDLIBS) || exit 1; done; else echo "fuzz-records: clang not found"; fi
fuzz: fuzz-records

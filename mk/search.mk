# Search benchmarks (docs/search.md). `make bench-search` builds data with the demo generator at
# 1 M reads (and 10 M with PK_BENCH_10M=1), caches each database under build/bench/ (delete it to
# rebuild), and prints median and p95 of exact, pattern, fuzzy and canvass searches.
BENCH_TARGETS += bench-search
.PHONY: bench-search

$(BUILD)/bench/bench_search: bench/bench_search.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

bench-search: $(BUILD)/bench/bench_search
	$(BUILD)/bench/bench_search $(BUILD)/bench 1000000
	@if [ -n "$$PK_BENCH_10M" ]; then $(BUILD)/bench/bench_search $(BUILD)/bench 10000000; \
	 else echo "bench-search: 10 M reads skipped (set PK_BENCH_10M=1; the first build takes a while)"; fi

# libFuzzer target for search inputs (patterns, fuzzy plates, cursors); built where clang is.
FUZZ_CC ?= clang
.PHONY: fuzz fuzz-search
fuzz: fuzz-search
fuzz-search: $(BUILD)/gen/schema.c
	@if command -v $(FUZZ_CC) >/dev/null 2>&1; then \
	  mkdir -p $(BUILD)/fuzz && \
	  $(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Isrc \
	    -I$(BUILD)/gen $(PKG_CFLAGS) fuzz/fuzz_search.c src/search/plate_index.c \
	    src/search/search.c $(wildcard src/store/*.c) src/core/err.c src/core/plate.c \
	    src/core/pattern.c src/core/geo.c src/core/pktime.c $(BUILD)/gen/schema.c \
	    -o $(BUILD)/fuzz/fuzz_search $(PKG_LIBS) -lm -lpthread && \
	  echo "built $(BUILD)/fuzz/fuzz_search (run: $(BUILD)/fuzz/fuzz_search fuzz/corpus/search)"; \
	else echo "fuzz-search: $(FUZZ_CC) not found, skipped"; fi

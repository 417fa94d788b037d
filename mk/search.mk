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

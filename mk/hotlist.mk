# Hotlists and alerts (issue 4): the benchmark of item 8 and the fuzz target of the file parser.

BENCH_TARGETS += bench-hotlist
.PHONY: bench-hotlist
$(BUILD)/bench/bench_hotlist: bench/bench_hotlist.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)
# A 2,000,000-line hotlist; PK_BENCH_HOTLIST_LINES=N for another size.
bench-hotlist: $(BUILD)/bench/bench_hotlist
	$(BUILD)/bench/bench_hotlist $(BUILD) $${PK_BENCH_HOTLIST_LINES:-2000000}

# libFuzzer target for hotlist files (built where clang is present).
.PHONY: fuzz fuzz-hotlist
fuzz: fuzz-hotlist
fuzz-hotlist:
	@if command -v clang >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory $(BUILD)/fuzz/fuzz_hotlist_import; \
	else echo "fuzz-hotlist: clang not found, skipped"; fi
HOTLIST_FUZZ_SRCS := src/hotlist/parse.c src/hotlist/states.c src/core/err.c src/core/plate.c \
                     src/core/pattern.c src/core/pktime.c
$(BUILD)/fuzz/fuzz_hotlist_import: fuzz/fuzz_hotlist_import.c $(HOTLIST_FUZZ_SRCS)
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
	  $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS) -lm -lpthread
	@echo "built $@ (run: $@ fuzz/corpus/hotlist)"

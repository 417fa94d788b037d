# Ingest and demo area (issue 2): the ingest benchmark and the fuzz targets of the read parsers.

BENCH_TARGETS += bench-ingest
INGEST_BENCH := $(BUILD)/bench/bench_ingest

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)
$(BUILD)/bench/bench_ingest $(BUILD)/bench/bench_hotlist: bench/ncic_file.h

# 1 M reads; PK_BENCH_10M=1 adds the 10 M run (about 2 M distinct plates; takes long).
.PHONY: bench-ingest
bench-ingest: $(INGEST_BENCH)
	$(INGEST_BENCH) 1000000
	@if [ "$${PK_BENCH_10M:-0}" = 1 ]; then $(INGEST_BENCH) 10000000; fi

# libFuzzer targets for the read parsers (JSON lines files, POST /reads bodies with OpenALPR
# messages); built only where clang is present. The whole library is compiled in, instrumented.
INGEST_FUZZ := $(BUILD)/fuzz/fuzz_ingest_jsonl $(BUILD)/fuzz/fuzz_openalpr
.PHONY: fuzz fuzz-ingest
fuzz: fuzz-ingest
fuzz-ingest:
	@if command -v clang >/dev/null 2>&1; then $(MAKE) --no-print-directory $(INGEST_FUZZ); \
	else echo "fuzz-ingest: clang not found, skipped"; fi
$(BUILD)/fuzz/fuzz_ingest_jsonl $(BUILD)/fuzz/fuzz_openalpr: $(BUILD)/fuzz/%: fuzz/%.c $(LIB_SRCS) $(BUILD)/gen/schema.c
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc -I$(BUILD)/gen \
		$(PKG_CFLAGS) -o $@ $< $(LIB_SRCS) $(BUILD)/gen/schema.c $(PKG_LIBS) -lm -lpthread
	@echo "built $@ (run: $@ fuzz/corpus/$(patsubst fuzz_%,%,$*))"

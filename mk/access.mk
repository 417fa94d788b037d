# Access and audit area: the fuzz target for the configuration file parser.
FUZZ_CC ?= clang
.PHONY: fuzz fuzz-access

fuzz: fuzz-access
fuzz-access:
	@if command -v $(FUZZ_CC) >/dev/null 2>&1; then \
	  mkdir -p $(BUILD)/fuzz && \
	  $(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Isrc \
	    fuzz/fuzz_config.c src/core/conf.c src/core/err.c -o $(BUILD)/fuzz/fuzz_config && \
	  echo "built $(BUILD)/fuzz/fuzz_config (run: $(BUILD)/fuzz/fuzz_config fuzz/corpus/config)"; \
	else echo "fuzz-access: $(FUZZ_CC) not found, skipped"; fi

# Access-log appends, verification, the gate's cost and login time (docs/access.md).
BENCH_TARGETS += bench-access
.PHONY: bench-access
$(BUILD)/bench/bench_access: bench/bench_access.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)
bench-access: $(BUILD)/bench/bench_access
	$(BUILD)/bench/bench_access $(BUILD)

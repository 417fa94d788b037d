# Server area (src/server): fuzz target and HTTP benchmarks.

FUZZ_CC ?= clang
.PHONY: fuzz fuzz-server bench-http

# libFuzzer target for the request parsers; built only where clang is present.
fuzz: fuzz-server
fuzz-server:
	@if command -v $(FUZZ_CC) >/dev/null 2>&1; then \
	  mkdir -p $(BUILD)/fuzz && \
	  $(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Isrc \
	    $(PKG_CFLAGS) fuzz/fuzz_http_json.c src/server/parse.c src/core/err.c \
	    -o $(BUILD)/fuzz/fuzz_http_json $(PKG_LIBS) -lm -lpthread && \
	  echo "built $(BUILD)/fuzz/fuzz_http_json (run: $(BUILD)/fuzz/fuzz_http_json fuzz/corpus/http_json)"; \
	else echo "fuzz-server: $(FUZZ_CC) not found, skipped"; fi

# HTTP benchmark: ingest reads/s (batches of 1000, several clients, acknowledged after commit),
# search and login+search round trips/s against a real server (bench/http_bench.sh).
BENCH_TARGETS += bench-http
$(BUILD)/bench/http_bench: bench/http_bench.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 -o $@ $< -lpthread

bench-http: $(BIN) $(BUILD)/bench/http_bench
	BUILD=$(BUILD) bench/http_bench.sh

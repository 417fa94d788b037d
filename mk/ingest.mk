# Ingest and demo area (issue 2): the ingest benchmark and the fuzz targets of the read parsers.

BENCH_TARGETS += bench-ingest
INGEST_BENCH := $(BUILD)/bench/bench_ingest

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# 1 M reads; PK_BENCH_10M=1 adds the 10 M run (about 2 M distinct plates; takes long).
.PHONY: bench-ingest
bench-ingest: $(INGEST_BENCH)
	$(INGEST_BENCH) 1000000
	@if [ "$${PK_BENCH_10M:-0}" = 1 ]; then $(INGEST_BENCH) 10000000; fi

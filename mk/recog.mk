# Plate recognition (src/recog, issue 6): OpenBLAS for the network's GEMM when it is there,
# model training (CI never trains), the recognition benchmark and the fuzz targets.

ifneq ($(shell pkg-config --exists openblas 2>/dev/null && echo y),)
CFLAGS += $(shell pkg-config --cflags openblas) -DRECOG_HAVE_BLAS
LDLIBS += $(shell pkg-config --libs openblas)
endif

# The inner loops of the network runtime and the resampler are worth -O3.
$(BUILD)/obj/src/recog/nn.o $(BUILD)/obj/src/recog/resize.o: OPT += -O3

PYTHON_TRAIN ?= /usr/bin/python3
PK_DATA ?= ../shared/data

.PHONY: train bench-recog fuzz-recog
# Rebuilds models/*.pkm from scratch: synthetic data, both networks, export (hours on 2 cores).
train:
	cd tools/train && PK_DATA=$(abspath $(PK_DATA)) PYTHON=$(PYTHON_TRAIN) ./train_all.sh

# Accuracy and timing against the labelled benchmark images, one core.
bench-recog: $(BIN)
	OPENBLAS_NUM_THREADS=1 $(PYTHON_TRAIN) tools/eval/score.py --bin $(BIN) --data $(PK_DATA)
BENCH_TARGETS += bench-recog

FUZZ_RECOG := $(BUILD)/fuzz/fuzz_image $(BUILD)/fuzz/fuzz_model $(BUILD)/fuzz/fuzz_video
fuzz-recog: $(FUZZ_RECOG)
$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c $(LIB_SRCS)
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
		$(PKG_CFLAGS) -o $@ $< $(filter src/recog/% src/core/err.c,$(LIB_SRCS)) $(PKG_LIBS) -lm

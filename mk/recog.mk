# Plate recognition (src/recog, issue 6): model training (CI never trains), the recognition
# benchmark and the fuzz targets.

# The inner loops of the network runtime and the resampler are worth -O3.
$(BUILD)/obj/src/recog/nn.o $(BUILD)/obj/src/recog/resize.o: OPT += -O3
# The GEMM kernels want fused multiply-adds, which ISO C mode (-std=c11) otherwise forbids.
$(BUILD)/obj/src/recog/gemm.o: OPT += -O3 -ffp-contract=fast

PYTHON_TRAIN ?= /usr/bin/python3
PK_DATA ?= ../shared/data

.PHONY: train bench-recog fuzz-recog
# Rebuilds models/*.pkm from scratch: synthetic data, both networks, export (hours on 2 cores).
train:
	cd tools/train && PK_DATA=$(abspath $(PK_DATA)) PYTHON=$(PYTHON_TRAIN) ./train_all.sh

# Accuracy and timing against the labelled benchmark images, one core.
bench-recog: $(BIN)
	$(PYTHON_TRAIN) tools/eval/score.py --bin $(BIN) --data $(PK_DATA)
BENCH_TARGETS += bench-recog

FUZZ_RECOG := $(BUILD)/fuzz/fuzz_image $(BUILD)/fuzz/fuzz_model $(BUILD)/fuzz/fuzz_video
fuzz-recog: $(FUZZ_RECOG)
$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c $(LIB_SRCS)
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
		$(PKG_CFLAGS) -o $@ $< $(filter src/recog/% src/core/err.c,$(LIB_SRCS)) $(PKG_LIBS) -lm

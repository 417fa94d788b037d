# platekeeper build. Every src/*/*.c (but src/main.c) goes into one static library; the
# binary is src/main.c linked against it; each tests/unit/test_*.c is its own test program.
# Areas add their own targets in mk/*.mk (included at the end).

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2 -g
SAN     ?=
PKGS    := sqlite3 jansson libsodium libmicrohttpd libturbojpeg libexif libpng libavformat libavcodec \
           libswscale libavutil
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifeq ($(SAN),1)
OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

CFLAGS  += -std=c11 -Wall -Wextra -Wpedantic -Werror -Wno-format-truncation -D_GNU_SOURCE -Isrc -I$(BUILD)/gen \
           $(OPT) $(PKG_CFLAGS) -MMD -MP
LDLIBS  += $(PKG_LIBS) -lm -lpthread
LDFLAGS += $(OPT)

LIB_SRCS  := $(filter-out src/main.c,$(wildcard src/*/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/schema.o
LIB       := $(BUILD)/libplatekeeper.a
BIN       := $(BUILD)/platekeeper
SCHEMA    := $(sort $(wildcard src/store/schema/*.sql))
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_HELP := $(wildcard tests/unit/helpers/*.c)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all run test san format bench clean tests
BENCH_TARGETS :=
all: $(BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/gen/schema.c: $(SCHEMA) scripts/embed_sql.sh
	@mkdir -p $(dir $@)
	scripts/embed_sql.sh $(SCHEMA) > $@

$(BUILD)/obj/gen/schema.o: $(BUILD)/gen/schema.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/obj/src/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(TEST_HELP) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit/helpers -o $@ $< $(TEST_HELP) $(LIB) $(LDLIBS) -lcmocka

tests: $(BIN) $(TEST_BINS)

# Every test, unit and integration, then the runner's summary line.
test: tests
	@BUILD=$(BUILD) tests/run.sh

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
san:
	$(MAKE) BUILD=build/san SAN=1 test

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'bench/*.c' 'fuzz/*.c')

run: 
	scripts/deps.sh
	$(MAKE) $(BIN)
	scripts/run-demo.sh

clean:
	rm -rf build

-include mk/*.mk

# Every area's benchmark (mk/*.mk add theirs to BENCH_TARGETS); each prints its figures.
bench: $(BENCH_TARGETS)
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

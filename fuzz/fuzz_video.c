/* libFuzzer target: video read from memory (POST /api/v1/recognize/video's uploads) on any
 * bytes, through FFmpeg's probing, demuxing and decoding and our frame conversion.
 * Build: make fuzz-recog; run: build/fuzz/fuzz_video -max_total_time=60 CORPUS_DIR */
#include <stddef.h>
#include <stdint.h>

#include "recog/recog.h"

static int on_frame(void *ctx, const recog_image *frame, long index, double time_ms) {
    (void)time_ms;
    volatile unsigned sum = 0;
    for (int i = 0; i < frame->width * frame->height; i += 97) sum += frame->px[i];
    (void)sum;
    /* A few frames are enough to reach every path; long inputs would only slow the fuzzer. */
    return ++*(long *)ctx > 8 || index > 64;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pk_err err;
    long n = 0;
    /* A small pixel limit keeps the fuzzer from spending its time on huge allocations. */
    recog_video_frames_mem(data, size, "fuzz", 1, 1000000, on_frame, &n, &err);
    return 0;
}

/* libFuzzer target: the image-loading wrapper (JPEG and PNG, chosen by content) on any bytes.
 * Build: make fuzz-recog; run: build/fuzz/fuzz_image -max_total_time=60 CORPUS_DIR */
#include <stddef.h>
#include <stdint.h>

#include "recog/recog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    recog_image img;
    pk_err err;
    /* A small pixel limit keeps the fuzzer from spending its time on huge allocations. */
    if (recog_image_decode(data, size, "fuzz", 4000000, &img, &err) == PK_OK) {
        volatile unsigned sum = 0;
        for (int i = 0; i < img.width * img.height; i += 97) sum += img.px[i];
        (void)sum;
    }
    recog_image_fini(&img);
    return 0;
}

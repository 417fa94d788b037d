/* libFuzzer target: the model-file parser on any bytes; a parsed net is also run once on a
 * small input to check that the checked shapes hold.
 * Build: make fuzz-recog; run: mkdir -p /tmp/mc && cp models/detector.pkm models/reader.pkm /tmp/mc &&
 * build/fuzz/fuzz_model -max_total_time=60 /tmp/mc (libFuzzer writes new inputs into the corpus) */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "recog/recog_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    recog__net net;
    pk_err err;
    if (recog__model_parse(data, size, "fuzz", &net, &err) == PK_OK) {
        static float in[16 * 32];
        int oc, oh, ow;
        float *out = recog__net_forward(&net, in, 16, 32, &oc, &oh, &ow);
        free(out);
        recog__net_fini(&net);
    }
    return 0;
}

/* libFuzzer target: the body of POST /api/v1/requests and `request add --json FILE`, and the
 * selection JSON of holds. */
#include <stddef.h>
#include <stdint.h>

#include <stdlib.h>

#include "records/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    records_request_in in;
    pk_err err;
    records_request_parse((const char *)data, size, &in, &err);
    records_request_in_fini(&in);
    records_query q;
    if (records_query_parse((const char *)data, size, &q, &err) == PK_OK) {
        char *s = records_query_json(&q);
        records_query back;
        if (records_query_parse(s, __builtin_strlen(s), &back, &err) == PK_OK)
            records_query_within(&back, &q);
        free(s);
    }
    records_search rs;
    records_search_parse((const char *)data, size, &rs, &err);
    return 0;
}

/* libFuzzer target: an export package as it arrives for `platekeeper export verify` (a ustar
 * image from outside), through the tar reader and the manifest checks. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "records/records_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    records__pkg_files pf;
    pk_err err;
    if (records__tar_parse(data, size, &pf, &err) == PK_OK) {
        const char *manifest = NULL, *sha = NULL;
        size_t mlen = 0;
        char shabuf[65] = "";
        for (size_t i = 0; i < pf.n; i++) {
            if (!strcmp(pf.names[i], "MANIFEST.json")) {
                manifest = (const char *)pf.data[i];
                mlen = pf.lens[i];
            } else if (!strcmp(pf.names[i], "MANIFEST.sha256") && pf.lens[i] >= 64) {
                memcpy(shabuf, pf.data[i], 64);
                sha = shabuf;
            }
        }
        records_verify_result v;
        records_export_verify_mem(manifest, mlen, sha, (const char *const *)pf.names,
                                  (const unsigned char *const *)pf.data, pf.lens, pf.n, NULL, NULL,
                                  &v);
    }
    records__pkg_files_free(&pf);
    /* the manifest alone, as JSON from outside */
    records_verify_result v;
    records_export_verify_mem((const char *)data, size, NULL, NULL, NULL, NULL, 0, NULL, NULL, &v);
    return 0;
}

/* What the camera's OCR makes of a plate: mostly right, sometimes a confusable character off,
 * with alternative readings and confidences the way ALPR engines report them. */
#include <stdio.h>
#include <string.h>

#include "demo/demo_int.h"

/* Pairs an OCR engine confuses on plate fonts, both ways. */
static const char confusions[][2] = {{'0', 'O'}, {'O', 'D'}, {'0', 'D'}, {'8', 'B'}, {'1', 'I'},
                                     {'5', 'S'}, {'2', 'Z'}, {'6', 'G'}, {'0', 'Q'}, {'1', 'T'},
                                     {'4', 'A'}, {'7', 'T'}, {'M', 'N'}, {'U', 'V'}};
#define N_CONF (sizeof confusions / sizeof confusions[0])

/* A variant of p with one confusable character swapped (the k-th possibility, cycling). Returns
 * 0 when p has no confusable character. */
static int confuse(const char *p, unsigned k, char *out) {
    size_t n = strlen(p);
    unsigned count = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < N_CONF; c++)
            if (p[i] == confusions[c][0] || p[i] == confusions[c][1]) count++;
    if (!count) return 0;
    k %= count;
    for (size_t i = 0; i < n; i++) {
        for (size_t c = 0; c < N_CONF; c++) {
            char other = p[i] == confusions[c][0] ? confusions[c][1]
                         : p[i] == confusions[c][1] ? confusions[c][0] : 0;
            if (!other) continue;
            if (k-- == 0) {
                memcpy(out, p, n + 1);
                out[i] = other;
                return 1;
            }
        }
    }
    return 0;
}

void demo__ocr(const demo_gen *g, demo_item *out, uint64_t *s) {
    (void)g;
    store_read *r = &out->read;
    const char *truth = out->true_plate;
    double u = demo__unit(s);
    int misread = 0;
    snprintf(r->plate, sizeof r->plate, "%s", truth);
    if (u < 0.04) { /* one confusable character wrong */
        misread = confuse(truth, (unsigned)demo__next(s), r->plate);
    } else if (u < 0.05 && strlen(truth) > 2) { /* a character lost at the plate's edge */
        size_t n = strlen(truth);
        if (demo__unit(s) < 0.5) memmove(r->plate, truth + 1, n);
        else r->plate[n - 1] = '\0';
        misread = 1;
    }
    double q = demo__unit(s);
    r->confidence = misread ? 62.0 + 22.0 * q : 99.5 - 17.0 * q * q;
    r->confidence = (double)(int)(r->confidence * 100) / 100;

    /* candidates: the best reading first, then confusable alternatives, confidence falling */
    char alt[4][PK_PLATE_MAX + 1];
    int n_alt = 0;
    snprintf(alt[n_alt++], sizeof alt[0], "%s", r->plate);
    if (misread) snprintf(alt[n_alt++], sizeof alt[0], "%s", truth);
    unsigned k0 = (unsigned)demo__next(s);
    for (unsigned k = 0; k < 6 && n_alt < 4; k++) {
        char v[PK_PLATE_MAX + 1];
        if (!confuse(r->plate, k0 + k, v)) break;
        int seen = 0;
        for (int j = 0; j < n_alt; j++) seen |= !strcmp(alt[j], v);
        if (!seen) snprintf(alt[n_alt++], sizeof alt[0], "%s", v);
    }
    size_t len = 0;
    double conf = r->confidence;
    out->candidates[len++] = '[';
    for (int j = 0; j < n_alt; j++) {
        len += (size_t)snprintf(out->candidates + len, sizeof out->candidates - len,
                                "%s{\"plate\":\"%s\",\"confidence\":%.2f}", j ? "," : "", alt[j],
                                conf);
        conf = conf * (0.55 + 0.3 * demo__unit(s));
    }
    snprintf(out->candidates + len, sizeof out->candidates - len, "]");
}

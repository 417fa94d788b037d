/*
 * model.c: the model file format (see recog_int.h): parsing with every field checked.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recog/recog_int.h"

typedef struct rd {
    const uint8_t *p;
    size_t len, off;
} rd;

static int get_u32(rd *r, uint32_t *v) {
    if (r->len - r->off < 4) return -1;
    const uint8_t *p = r->p + r->off;
    *v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    r->off += 4;
    return 0;
}

static uint32_t fnv1a(const uint8_t *p, size_t n) {
    uint32_t h = 0x811C9DC5u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x01000193u;
    }
    return h;
}

#define CORRUPT(...) pk_err_set(err, PK_ECORRUPT, __VA_ARGS__)

/* Reads n u32 fields into v[], each within [lo, hi]. */
static int get_fields(rd *r, uint32_t *v, int n, uint32_t lo, uint32_t hi) {
    for (int i = 0; i < n; i++) {
        if (get_u32(r, &v[i])) return -1;
        if (v[i] < lo || v[i] > hi) return -2;
    }
    return 0;
}

int recog__model_parse(const void *buf, size_t len, const char *name, recog__net *net,
                       pk_err *err) {
    memset(net, 0, sizeof *net);
    if (!name) name = "model";
    const uint8_t *p = buf;
    if (len < 4 + 8 * 4 + 4 + 4 || memcmp(p, "PKNN", 4) != 0)
        return CORRUPT("%s: not a platekeeper model file (bad magic or too short)", name);
    uint32_t sum = (uint32_t)p[len - 4] | (uint32_t)p[len - 3] << 8 | (uint32_t)p[len - 2] << 16 |
                   (uint32_t)p[len - 1] << 24;
    if (fnv1a(p, len - 4) != sum)
        return CORRUPT("%s: checksum mismatch (file truncated or damaged)", name);
    rd r = {p, len - 4, 4};
    uint32_t h[7];
    if (get_fields(&r, h, 7, 0, 1u << 20)) return CORRUPT("%s: bad header", name);
    if (h[0] != 1) return CORRUPT("%s: unsupported model version %u", name, h[0]);
    if (h[1] != RECOG__KIND_DETECTOR && h[1] != RECOG__KIND_READER)
        return CORRUPT("%s: unknown model kind %u", name, h[1]);
    if (h[2] != 1 || h[3] > 4096 || h[4] > 4096 || h[5] > 256 || h[6] > RECOG__MAX_ALPHA)
        return CORRUPT("%s: bad input shape, stride or alphabet size", name);
    net->kind = (int)h[1];
    net->in_c = (int)h[2];
    net->in_h = (int)h[3];
    net->in_w = (int)h[4];
    net->stride = (int)h[5];
    net->n_alpha = (int)h[6];
    if (r.len - r.off < h[6]) return CORRUPT("%s: truncated alphabet", name);
    for (uint32_t i = 0; i < h[6]; i++) {
        char c = (char)p[r.off + i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return CORRUPT("%s: alphabet holds a character other than A-Z 0-9", name);
        net->alphabet[i] = c;
    }
    r.off += h[6];
    uint32_t nl;
    if (get_u32(&r, &nl) || nl < 1 || nl > RECOG__MAX_LAYERS)
        return CORRUPT("%s: bad layer count", name);
    /* First pass: shapes and parameter count; weights are copied in a second pass. */
    size_t start = r.off, nparam = 0;
    int c = net->in_c;
    for (uint32_t i = 0; i < nl; i++) {
        recog__layer *L = &net->layers[i];
        uint32_t t, v[11];
        if (get_u32(&r, &t)) return CORRUPT("%s: truncated at layer %u", name, i);
        if (t == RECOG__CONV) {
            int rc = get_fields(&r, v, 11, 0, RECOG__MAX_CHANNELS);
            if (rc == -1) return CORRUPT("%s: truncated at layer %u", name, i);
            if (rc == -2 || v[0] < 1 || v[1] < 1 || v[2] < 1 || v[2] > 15 || v[3] < 1 ||
                v[3] > 15 || v[4] < 1 || v[4] > 8 || v[5] < 1 || v[5] > 8 || v[6] > 32 ||
                v[7] > 32 || v[8] < 1 || v[8] > 8 || v[9] < 1 || v[9] > 8 || v[10] > 1)
                return CORRUPT("%s: layer %u: conv field out of range", name, i);
            if ((int)v[0] != c)
                return CORRUPT("%s: layer %u: takes %u channels, gets %d", name, i, v[0], c);
            *L = (recog__layer){.type = RECOG__CONV,
                                .cin = (int)v[0],
                                .cout = (int)v[1],
                                .kh = (int)v[2],
                                .kw = (int)v[3],
                                .sh = (int)v[4],
                                .sw = (int)v[5],
                                .ph = (int)v[6],
                                .pw = (int)v[7],
                                .dh = (int)v[8],
                                .dw = (int)v[9],
                                .relu = (int)v[10]};
            size_t n = (size_t)L->cout * L->cin * L->kh * L->kw + (size_t)L->cout;
            nparam += n;
            if (nparam > RECOG__MAX_PARAMS) return CORRUPT("%s: too many parameters", name);
            if ((r.len - r.off) / 4 < n)
                return CORRUPT("%s: truncated weights at layer %u", name, i);
            r.off += n * 4;
            c = L->cout;
        } else if (t == RECOG__POOL) {
            int rc = get_fields(&r, v, 4, 1, 8);
            if (rc == -1) return CORRUPT("%s: truncated at layer %u", name, i);
            if (rc == -2) return CORRUPT("%s: layer %u: pool field out of range", name, i);
            *L = (recog__layer){.type = RECOG__POOL,
                                .cin = c,
                                .cout = c,
                                .kh = (int)v[0],
                                .kw = (int)v[1],
                                .sh = (int)v[2],
                                .sw = (int)v[3]};
        } else {
            return CORRUPT("%s: layer %u: unknown type %u", name, i, t);
        }
    }
    if (r.off != r.len) return CORRUPT("%s: %zu unexpected bytes at the end", name, r.len - r.off);
    if (net->kind == RECOG__KIND_DETECTOR && (c != 5 || net->stride < 1))
        return CORRUPT("%s: a detector must end in 5 channels and have a stride", name);
    if (net->kind == RECOG__KIND_READER && (net->n_alpha < 1 || c != net->n_alpha + 1))
        return CORRUPT("%s: a reader must end in alphabet+1 channels", name);
    /* Second pass: copy weights (the file may be unaligned) and check they are finite. */
    net->blob = pk_xmalloc((nparam ? nparam : 1) * sizeof(float));
    float *dst = net->blob;
    r.off = start;
    for (uint32_t i = 0; i < nl; i++) {
        recog__layer *L = &net->layers[i];
        r.off += 4 + (L->type == RECOG__CONV ? 44 : 16);
        if (L->type != RECOG__CONV) continue;
        size_t nw = (size_t)L->cout * L->cin * L->kh * L->kw, nb = (size_t)L->cout;
        for (size_t k = 0; k < nw + nb; k++) {
            uint32_t u = 0;
            get_u32(&r, &u);
            float f;
            memcpy(&f, &u, 4);
            if (!isfinite(f)) {
                free(net->blob);
                net->blob = NULL;
                return CORRUPT("%s: layer %u: weight is not a finite number", name, i);
            }
            dst[k] = f;
        }
        L->w = dst;
        L->b = dst + nw;
        dst += nw + nb;
    }
    net->n_layers = (int)nl;
    recog__net_pack(net);
    return PK_OK;
}

void recog__net_pack(recog__net *net) {
    /* The GEMM's own weight layout depends on the CPU, so it is made here, not stored. */
    size_t npacked = 1;
    for (int i = 0; i < net->n_layers; i++) {
        recog__layer *L = &net->layers[i];
        if (L->type == RECOG__CONV)
            npacked += recog__gemm_packed_a_size(L->cout, L->cin * L->kh * L->kw);
    }
    net->packed = pk_xmalloc(npacked * sizeof(float));
    float *pk = net->packed;
    for (int i = 0; i < net->n_layers; i++) {
        recog__layer *L = &net->layers[i];
        if (L->type != RECOG__CONV) continue;
        int K = L->cin * L->kh * L->kw;
        recog__gemm_pack_a(L->cout, K, L->w, pk);
        L->wp = pk;
        pk += recog__gemm_packed_a_size(L->cout, K);
    }
}

int recog__model_load(const char *path, recog__net *net, pk_err *err) {
    memset(net, 0, sizeof *net);
    FILE *f = fopen(path, "rb");
    if (!f) return pk_err_set(err, PK_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = pk_xmalloc(cap);
    for (;;) {
        if (len == cap) {
            if (cap >= (size_t)RECOG__MAX_PARAMS * 4 + (1 << 20)) {
                fclose(f);
                free(buf);
                return pk_err_set(err, PK_ECORRUPT, "%s: model file too large", path);
            }
            cap *= 2;
            buf = pk_xrealloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) break;
    }
    int ioerr = ferror(f);
    fclose(f);
    if (ioerr) {
        free(buf);
        return pk_err_set(err, PK_EIO, "%s: read error", path);
    }
    int rc = recog__model_parse(buf, len, path, net, err);
    free(buf);
    return rc;
}

void recog__net_fini(recog__net *net) {
    if (!net) return;
    free(net->blob);
    free(net->packed);
    memset(net, 0, sizeof *net);
}

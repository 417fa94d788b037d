/*
 * json.c: a recognition result as OpenALPR's `alpr -j` object, shared by `platekeeper read -j`
 * and the server's POST /api/v1/recognize, so both answer in the one shape that tools made for
 * OpenALPR already read.
 */
#include <sys/time.h>

#include "recog/recog_int.h"

json_t *recog__plate_json(const recog_plate *p, int index, int topn) {
    json_t *o = json_object();
    json_object_set_new(o, "plate", json_string(p->plate));
    json_object_set_new(o, "confidence", json_real(p->confidence));
    json_object_set_new(o, "matches_template",
                        json_integer(p->n_cand > 0 && p->cand[0].matches_template));
    json_object_set_new(o, "plate_index", json_integer(index));
    /* As OpenALPR's: the state told from the plate's look ("" when it does not tell). The state
     * of read -p is not put here: ingest takes region as the read's state (src/ingest), and an
     * out-of-state car read with -p ca is not a California plate. */
    json_object_set_new(o, "region", json_string(p->region));
    json_object_set_new(o, "region_confidence", json_integer((int)(p->region_confidence + 0.5f)));
    json_object_set_new(o, "processing_time_ms", json_real(p->ms));
    json_object_set_new(o, "requested_topn", json_integer(topn));
    json_t *co = json_array();
    for (int k = 0; k < 4; k++)
        json_array_append_new(co, json_pack("{s:i,s:i}", "x", (int)(p->corners[k].x + 0.5f), "y",
                                            (int)(p->corners[k].y + 0.5f)));
    json_object_set_new(o, "coordinates", co);
    json_object_set_new(o, "candidates", recog__candidates_json(p->cand, p->n_cand));
    return o;
}

json_t *recog__candidates_json(const recog_candidate *cand, int n) {
    json_t *ca = json_array();
    for (int k = 0; k < n; k++)
        json_array_append_new(ca, json_pack("{s:s,s:f,s:i}", "plate", cand[k].plate, "confidence",
                                            (double)cand[k].confidence, "matches_template",
                                            cand[k].matches_template));
    return ca;
}

json_t *recog_result_json(const recog_image *img, const recog_result *res, int topn) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    json_t *o = json_object();
    json_object_set_new(o, "version", json_integer(2));
    json_object_set_new(o, "data_type", json_string("alpr_results"));
    json_object_set_new(o, "epoch_time",
                        json_integer((json_int_t)tv.tv_sec * 1000 + tv.tv_usec / 1000));
    json_object_set_new(o, "img_width", json_integer(img->width));
    json_object_set_new(o, "img_height", json_integer(img->height));
    json_object_set_new(o, "processing_time_ms", json_real(res->ms));
    json_object_set_new(o, "regions_of_interest", json_array());
    json_t *rs = json_array();
    for (int i = 0; i < res->n; i++)
        json_array_append_new(rs, recog__plate_json(&res->plates[i], i, topn));
    json_object_set_new(o, "results", rs);
    return o;
}

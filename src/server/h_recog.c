/*
 * h_recog.c: POST /api/v1/recognize: the plates in one uploaded image (docs/api.md).
 *
 * The body is the image itself (JPEG or PNG, told apart by content); the answer is the object
 * `platekeeper read -j` prints, OpenALPR's shape. Nothing is stored and no stored data is read,
 * so there is no purpose or access-log entry: the caller turns a reading into a search, which
 * goes through the gate like any other.
 */
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

#define RECOG_BODY_MAX ((size_t)32 << 20)

static int recognize(server_req *r) {
    static const char *const allowed[] = {"country", "topn", "region", "detect_region", NULL};
    if (server__query_only(r, allowed)) return 0;
    recog_params p;
    recog_params_init(&p);
    const char *country = server__query(r, "country");
    if (country && !strcmp(country, "eu"))
        p.country = RECOG_EU;
    else if (country && strcmp(country, "us"))
        return server__reply_error(r, 400, "invalid", "country: expected us or eu");
    /* region: the US state whose standard formats rank the readings (read -p). */
    pk_err rerr;
    pk_err_clear(&rerr);
    if (recog_params_set_region(&p, server__query(r, "region"), &rerr))
        return server__reply_error(r, 400, "invalid", "region: %s", rerr.msg);
    if (p.region[0] && p.country != RECOG_US)
        return server__reply_error(r, 400, "invalid",
                                   "region: state formats are for US plates (country=us) only");
    int64_t topn;
    if (server__query_i64(r, "topn", 1, RECOG_MAX_TOPN, 10, &topn)) return 0;
    p.topn = (int)topn;
    /* detect_region=0 skips telling each plate's state from its printed name (read --no-region). */
    int64_t detect;
    if (server__query_i64(r, "detect_region", 0, 1, 1, &detect)) return 0;
    p.detect_region = (int)detect;
    if (!r->srv->rec)
        return server__reply_error(r, 503, "unavailable", "plate recognition is off: %s",
                                   r->srv->rec_why);
    if (!r->body || r->body_len == 0)
        return server__reply_error(r, 400, "invalid", "body: send the image (JPEG or PNG)");
    recog_image img;
    pk_err err;
    pk_err_clear(&err);
    int rc = recog_image_decode(r->body, r->body_len, "image", 0, &img, &err);
    /* A bad upload is the caller's to fix (400), an over-large one 413. */
    if (rc) return server__reply_pkerr(r, rc == PK_ELIMIT ? rc : PK_EINVAL, &err);
    recog_result res;
    rc = recog_run(r->srv->rec, &img, &p, &res, &err);
    if (rc) {
        recog_image_fini(&img);
        return server__reply_pkerr(r, rc, &err);
    }
    json_t *o = recog_result_json(&img, &res, p.topn);
    recog_result_fini(&res);
    recog_image_fini(&img);
    return server__reply_json(r, 200, o);
}

/* GET /api/v1/recognize/regions: the state codes `region` takes, for forms. */
static int regions(server_req *r) {
    static const char *const none[] = {NULL};
    if (server__query_only(r, none)) return 0;
    json_t *a = json_array();
    for (int i = 0; recog_region_code(i); i++)
        json_array_append_new(a, json_pack("{s:s,s:s}", "code", recog_region_code(i), "name",
                                           recog_region_name(recog_region_code(i))));
    return server__reply_json(r, 200, json_pack("{s:o}", "regions", a));
}

const server_route server__recog_routes[] = {
    {"GET", "/api/v1/recognize/regions", SR_ADMIN | SR_INVESTIGATOR | SR_OPERATOR, regions, 0},
    {"POST", "/api/v1/recognize", SR_ADMIN | SR_INVESTIGATOR | SR_OPERATOR, recognize,
     RECOG_BODY_MAX},
    {0},
};

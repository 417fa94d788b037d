/* demo_int.h: shared only inside src/demo. */
#ifndef PK_DEMO_DEMO_INT_H
#define PK_DEMO_DEMO_INT_H

#include "demo/demo.h"

#define DEMO__N_CAMS 42 /* 30 downtown intersections, 4 freeway sites, 8 patrol cars */

struct demo_gen {
    demo_config cfg;              /* copy of the caller's configuration, defaults filled in */
    demo_camera cams[DEMO__N_CAMS];
    int64_t n_regular;            /* vehicles in the "seen often" tier */
    int64_t n_occasional;         /* vehicles in the "seen a few times" tier */
    int64_t n_days;               /* days the timestamps cover */
    double *day_cum;              /* n_days + 1 cumulative day weights, owned */
    double hour_cum[25];          /* cumulative hourly weights */
    double format_cum[32];        /* cumulative plate format shares */
    int64_t pos;                  /* next index demo_gen_next yields */
    unsigned char *jpeg;          /* the last rendered plate crop, owned */
    size_t jpeg_len;
};

/* splitmix64 step and finaliser; uniform double in [0, 1). */
uint64_t demo__mix(uint64_t x);
uint64_t demo__next(uint64_t *s);
double demo__unit(uint64_t *s);

/* Plate text and state of vehicle v (plate: PK_PLATE_MAX + 1 bytes, state: STORE_STATE_MAX + 1). */
void demo__vehicle_plate(const demo_gen *g, uint64_t v, char *plate, char *state);

/* Fills out->read.plate (the true plate or a realistic misread of it), confidence and
 * out->candidates from out->true_plate. */
void demo__ocr(const demo_gen *g, demo_item *out, uint64_t *s);

#endif

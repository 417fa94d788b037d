/*
 * geo.h: positions on the Earth as reads carry them (WGS 84 degrees) and the areas searches use.
 */
#ifndef PK_CORE_GEO_H
#define PK_CORE_GEO_H

#include "core/err.h"

typedef struct pk_bbox {
    double min_lat, min_lon, max_lat, max_lon;
} pk_bbox;

/* Great-circle distance in metres (haversine, mean Earth radius). */
double pk_geo_distance_m(double lat1, double lon1, double lat2, double lon2);

/* The smallest box holding every point within radius_m of (lat, lon). */
pk_bbox pk_geo_bbox_around(double lat, double lon, double radius_m);

/* True when lat is in [-90, 90] and lon in [-180, 180] (and both are finite). */
int pk_geo_valid(double lat, double lon);

/* Parses "LAT,LON,METRES" (OUT: lat, lon, radius_m). PK_EINVAL with the reason otherwise. */
int pk_geo_parse_near(const char *s, double *lat, double *lon, double *radius_m, pk_err *err);

/* Parses "MINLAT,MINLON,MAXLAT,MAXLON" (OUT: box). PK_EINVAL with the reason otherwise. */
int pk_geo_parse_bbox(const char *s, pk_bbox *box, pk_err *err);

#endif

/* GET /api/v1/events: a live stream of administrative events ("system" topic: settings and
 * account changes, server start and stop) for the admin pages. It carries no read data; it is
 * also the smallest user of the live-stream machinery the alert stream is built on. */
#include "server/server_int.h"

static int events(server_req *r) {
    static const char *const allowed[] = {NULL};
    if (server__query_only(r, allowed)) return 0;
    return server__sse_start(r, "system", NULL, NULL, NULL);
}

const server_route server__events_routes[] = {
    {"GET", "/api/v1/events", SR_ADMIN, events, 0},
    {0},
};

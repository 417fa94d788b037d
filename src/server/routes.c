/* Every handler file's route table, in the order the dispatcher tries them. A new handler file
 * adds its table here and its declaration to server_int.h. */
#include "server/server_int.h"

const server_route *const server__tables[] = {
    server__public_routes,   server__session_routes,  server__users_routes,  server__audit_routes,
    server__settings_routes, server__events_routes,   server__reads_routes,  server__ingest_routes,
    server__recog_routes,    server__hotlists_routes, server__alerts_routes, server__holds_routes,
    server__exports_routes,  server__requests_routes, server__web_routes,    NULL,
};

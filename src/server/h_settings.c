/* Settings (administrators): filled in once src/access defines the settings it owns. */
#include "server/server_int.h"

const server_route server__settings_routes[] = {
    {0},
};

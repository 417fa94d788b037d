/* platekeeper serve: the HTTP API until SIGTERM or SIGINT, then a graceful stop. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/conf.h"
#include "recog/recog.h"
#include "server/server.h"

static int cmd_serve_run(server_config *cfg);

static const char usage[] =
    "usage: platekeeper serve [--data DIR] [--listen ADDR:PORT] [--tls-cert F --tls-key F]\n"
    "                         [--threads N] [--web DIR] [--models DIR] [--print-routes]\n";

int cmd_serve(int argc, char **argv) {
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},     {"listen", required_argument, NULL, 'l'},
        {"tls-cert", required_argument, NULL, 'c'}, {"tls-key", required_argument, NULL, 'k'},
        {"threads", required_argument, NULL, 't'},  {"web", required_argument, NULL, 'w'},
        {"print-routes", no_argument, NULL, 'p'},   {"help", no_argument, NULL, 'h'},
        {"models", required_argument, NULL, 'm'},   {NULL, 0, NULL, 0},
    };
    server_config cfg = {.data_dir = "data", .listen = "127.0.0.1:8080", .version = PK_VERSION};
    int c, have_listen = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            cfg.data_dir = optarg;
            break;
        case 'l':
            cfg.listen = optarg;
            have_listen = 1;
            break;
        case 'c':
            cfg.tls_cert = optarg;
            break;
        case 'k':
            cfg.tls_key = optarg;
            break;
        case 'w':
            cfg.web_dir = optarg;
            break;
        case 'm':
            cfg.models_dir = optarg;
            break;
        case 't': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 256) return cmd_usage("serve", "--threads: 1 to 256");
            cfg.threads = (unsigned)n;
            break;
        }
        case 'p':
            server_print_routes(stdout);
            return CMD_OK;
        case 'h':
            fputs(usage, stdout);
            return CMD_OK;
        default:
            fputs(usage, stderr);
            return CMD_USAGE;
        }
    }
    if (optind < argc) return cmd_usage("serve", "unexpected argument '%s'", argv[optind]);
    /* The browser UI: --web DIR, else PLATEKEEPER_WEB, else web/ beside the build directory
     * (a source checkout), else the installed copy. */
    static char found[4096];
    if (!cfg.web_dir) cfg.web_dir = getenv("PLATEKEEPER_WEB");
    if (!cfg.web_dir) {
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0) {
            exe[n] = '\0';
            char *slash = strrchr(exe, '/');
            if (slash) *slash = '\0';
            snprintf(found, sizeof found, "%s/../web/index.html", exe);
            if (access(found, R_OK) == 0) {
                found[strlen(found) - strlen("/index.html")] = '\0';
                cfg.web_dir = found;
            }
        }
    }
    if (!cfg.web_dir && access("/usr/share/platekeeper/web/index.html", R_OK) == 0)
        cfg.web_dir = "/usr/share/platekeeper/web";

    /* Recognition models: --models DIR, else where `platekeeper read` looks. */
    static char models[4096];
    if (!cfg.models_dir) {
        recog_models_default(models, sizeof models);
        cfg.models_dir = models;
    }

    /* DIR/platekeeper.conf (written by init) fills in what the options left out. */
    pk_err err;
    pk_err_clear(&err);
    pk_conf *conf = NULL;
    char conf_path[4200];
    snprintf(conf_path, sizeof conf_path, "%s/platekeeper.conf", cfg.data_dir);
    int crc = pk_conf_load(conf_path, &conf, &err);
    if (crc && crc != PK_ENOTFOUND) return cmd_fail("serve", &err);
    const char *v;
    if (!have_listen && (v = pk_conf_get(conf, "listen")) && *v) cfg.listen = v;
    if (!cfg.tls_cert && !cfg.tls_key && (v = pk_conf_get(conf, "tls_cert")) && *v) {
        cfg.tls_cert = v;
        cfg.tls_key = pk_conf_get(conf, "tls_key");
        if (cfg.tls_key && !*cfg.tls_key) cfg.tls_key = NULL;
    }
    int rc = cmd_serve_run(&cfg);
    pk_conf_free(conf);
    return rc;
}

/* Runs the server of cfg until a stop signal. */
static int cmd_serve_run(server_config *cfg_in) {
    server_config cfg = *cfg_in;
    if (!!cfg.tls_cert != !!cfg.tls_key)
        return cmd_usage("serve", "--tls-cert and --tls-key go together");

    /* Block the stop signals before any thread starts, so every worker inherits the mask and
     * only sigwait below sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    pk_err err;
    pk_err_clear(&err);
    server *s = NULL;
    unsigned port = 0;
    if (server_new(&cfg, &s, &err) || server_start(s, &port, &err)) {
        server_free(s);
        return cmd_fail("serve", &err);
    }
    printf("platekeeper: serving %s (data %s); stop with Ctrl-C or SIGTERM\n", server_url(s),
           cfg.data_dir);
    fflush(stdout);
    server_publish(s, "system", "{\"event\": \"server.start\"}");
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "platekeeper: %s received, finishing requests\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    int rc = server_stop(s, &err);
    server_free(s);
    if (rc) return cmd_fail("serve", &err);
    fprintf(stderr, "platekeeper: stopped; database checkpointed\n");
    return CMD_OK;
}

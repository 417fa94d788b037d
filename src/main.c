/* platekeeper: one binary, one subcommand per job (DESIGN.md §6). */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

/* Keep this table sorted by name. */
static const command commands[] = {
    {"alerts", cmd_alerts, "list hotlist alerts; record their CLETS verification (--verify)"},
    {"audit", cmd_audit, "verify the access log, list it, audit reports and reviews"},
    {"demo", cmd_demo, "fill a data directory with realistic synthetic reads, users, a hotlist"},
    {"export", cmd_export, "export an approved hold as evidence; export verify PACKAGE"},
    {"hold", cmd_hold, "holds for cases: open, approve, release, list"},
    {"hotlist", cmd_hotlist, "hotlists: create, import, add, list, remove, expire, owner"},
    {"ingest", cmd_ingest, "bulk-load reads (JSON lines or OpenALPR JSON) as an administrator"},
    {"init", cmd_init, "create a data directory and its first administrator"},
    {"purge", cmd_purge, "retention purge of reads and images (--dry-run)"},
    {"read", cmd_read, "recognise plates in images and video"},
    {"request", cmd_request, "data-sharing requests: add, list, decide, fulfil, report"},
    {"retention", cmd_retention, "show or set retention_days (--days N, at least 365)"},
    {"search", cmd_search, "search reads by plate, pattern, misread, area, time, camera"},
    {"serve", cmd_serve, "serve the HTTP API (--listen ADDR:PORT, --tls-cert F --tls-key F)"},
    {"unit", cmd_unit, "unit keys for cameras and patrol cars"},
    {"user", cmd_user, "accounts, training records, account status"},
    {"version", cmd_version, "print the version"},
};

static int help(void) {
    printf("usage: platekeeper COMMAND [options]   (every command takes --data DIR, default ./data)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].summary);
    printf("\nSee README.md and docs/ for each command's options.\n");
    return CMD_OK;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        help();
        return CMD_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) return help();
    if (!strcmp(name, "--version")) return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(name, commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "platekeeper: unknown command '%.64s%s' (see 'platekeeper help')\n", name,
            strlen(name) > 64 ? "..." : "");
    return CMD_USAGE;
}

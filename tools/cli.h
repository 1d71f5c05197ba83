/* Internal to the clembed command: subcommands and shared helpers. */
#ifndef CLEMBED_CLI_H
#define CLEMBED_CLI_H

#include "clembed.h"

#include <stdio.h>

/* Each subcommand gets argv without the program name (argv[0] is the
 * subcommand) and returns the process exit status. */
int clembed_cmd_info(int argc, char **argv);
int clembed_cmd_tokenize(int argc, char **argv);
int clembed_cmd_embed(int argc, char **argv);
int clembed_cmd_bench(int argc, char **argv);

/* "clembed: <what>: <strerror>: <errmsg>" on stderr; returns 1. */
int cli_fail(const char *what, clembed_status rc);

/* Writes s as a JSON string literal (quotes and escapes included). */
void cli_json_string(FILE *f, const char *s);

#endif

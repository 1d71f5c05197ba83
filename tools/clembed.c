/* The clembed command: a table of subcommands. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"info", clembed_cmd_info, "list OpenCL devices, the kernel cache and (with -m DIR) a model"},
    {"tokenize", clembed_cmd_tokenize, "print the tokens of each input line as JSON"},
    {"embed", clembed_cmd_embed, "embed each input line, streamed (JSON lines, .npy, float32 or HDF5 out; --resume)"},
    {"bench", clembed_cmd_bench, "throughput, memory and per-op device time on a corpus"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: clembed COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n'clembed COMMAND --help' describes a command's options.\n");
}

int cli_fail(const char *what, clembed_status rc)
{
    const char *detail = clembed_errmsg();
    fprintf(stderr, "clembed: %s: %s%s%s\n", what, clembed_strerror(rc), *detail ? ": " : "", detail);
    return 1;
}

void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("clembed %s\n", clembed_version_string());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "clembed: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}

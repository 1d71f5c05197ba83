/* clembed embed: texts in, vectors out, streamed in windows with bounded memory, written
 * through FILE.partial with a journal for --resume (the protocol is in embed.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "embed.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clembed embed -m DIR [OPTIONS]\n"
            "\n"
            "Embeds one text per input line and writes one vector per text, in input order.\n"
            "The input is streamed in windows; a file output is written as FILE.partial and\n"
            "renamed to FILE when complete, with a journal (FILE.journal) for --resume.\n"
            "\n");
    eopts_usage(f, EPROG_EMBED);
    fprintf(f,
            "\n"
            "Exit status: 0 when every line was embedded (or skipped with --on-error skip) and\n"
            "the output is complete; 1 on any failure (the message names the line or the device\n"
            "error; FILE is not created); 2 for a usage error.\n");
}

/* Does the model's module chain end in a Normalize module? (for the HDF5 attributes) */
static int chain_normalizes(const clembed_model *m)
{
    char *json = NULL;
    int yes = 0;
    if (clembed_model_describe_json(m, &json) == CLEMBED_OK) {
        const char *last = NULL;
        for (const char *p = json; (p = strstr(p, "{\"type\":\"")); p++)
            last = p + 9;
        yes = last && !strncmp(last, "Normalize\"", 10);
    }
    free(json);
    return yes;
}

/* ---- the command ------------------------------------------------------------ */

int clembed_cmd_embed(int argc, char **argv)
{
    eopts o;
    int r = eopts_parse(argc, argv, &o, EPROG_EMBED, "clembed embed", stderr, usage);
    if (r >= 0)
        return r;
    int fmt = eformat(o.format);
    if (fmt < 0) {
        fprintf(stderr, "clembed embed: --format is jsonl, npy, f32 or h5, not '%s'\n", o.format);
        return 2;
    }
    int to_file = o.output && strcmp(o.output, "-") != 0;
    if (fmt != OUT_JSONL && !to_file && isatty(STDOUT_FILENO)) {
        fprintf(stderr, "clembed embed: refusing to write binary %s to a terminal; use -o FILE\n", o.format);
        return 2;
    }
    if ((o.ids || o.dataset) && fmt != OUT_H5) {
        fprintf(stderr, "clembed embed: %s is for -f h5\n", o.ids ? "--ids" : "--dataset");
        return 2;
    }
    int from_file = o.input && strcmp(o.input, "-") != 0;
    if (o.resume && (!to_file || !from_file)) {
        fprintf(stderr, "clembed embed: --resume needs -i FILE and -o FILE (it reads the input again "
                        "and continues the output)\n");
        return 2;
    }

    int status = 1;
    FILE *in = stdin;
    const char *in_name = from_file ? o.input : "<stdin>";
    clembed_model *model = NULL;
    clembed_context *ctx[EMAX_THREADS] = {0};
    unit units[EMAX_THREADS];
    int n_units = 0;
    eout *out = NULL;
    ein rd;
    int rd_open = 0;
    char *journal = NULL;
    ejournal j;
    memset(&j, 0, sizeof j);
    estats sum;
    memset(&sum, 0, sizeof sum);
    ehash start_hash;
    ehash_init(&start_hash);
    efeed feed;
    int feed_open = 0;

    /* An output that fails part-way must say so, not kill us with SIGXFSZ. */
    signal(SIGXFSZ, SIG_IGN);
    if (from_file && !(in = fopen(o.input, "rb"))) {
        fprintf(stderr, "clembed embed: %s: %s\n", o.input, strerror(errno));
        goto done;
    }

    /* What changes the output's bytes: a resumed run must have the same. */
    if (to_file) {
        size_t idx;
        clembed_device_info di;
        clembed_status rc = clembed_device_select(o.cp.device, &idx);
        if (rc == CLEMBED_OK)
            rc = clembed_device_get(idx, &di);
        if (rc != CLEMBED_OK) {
            status = cli_fail("cannot select the device", rc);
            goto done;
        }
        char dev[512];
        snprintf(dev, sizeof dev, "%s / %s / %s", di.platform_name, di.name, di.driver_version);
        esettings(&o, fmt, dev, j.settings, sizeof j.settings);
        j.window_bytes = o.window_bytes;
        size_t jl = strlen(o.output) + 16;
        if (!(journal = malloc(jl)))
            goto done;
        snprintf(journal, jl, "%s.journal", o.output);
    }

    /* Resume: the journal, the input's done part and the model must all agree. */
    ejournal old;
    memset(&old, 0, sizeof old);
    int resuming = 0;
    if (o.resume) {
        int jr = ejournal_read(journal, &old);
        if (jr < 0)
            goto done;
        if (jr == 0) {
            fprintf(stderr, "clembed embed: --resume: no journal %s; starting from the beginning\n", journal);
        } else {
            char diff[2048];
            if (ejournal_settings_diff(j.settings, old.settings, "journal", diff, sizeof diff)) {
                fprintf(stderr, "clembed embed: --resume: %s was written with other settings: %s\n",
                        journal, diff);
                goto done;
            }
            struct stat st;
            if (fstat(fileno(in), &st) != 0 || (uint64_t)st.st_size < old.in_offset) {
                fprintf(stderr, "clembed embed: --resume: %s is shorter than the %" PRIu64 " bytes %s "
                                "says were done: another input\n", in_name, old.in_offset, journal);
                goto done;
            }
            if (!ehash_file_range(&start_hash, in, 0, old.in_offset) ||
                ehash_value(&start_hash) != old.in_hash) {
                fprintf(stderr, "clembed embed: --resume: the first %" PRIu64 " bytes of %s differ from "
                                "those %s saw: another input, or it changed\n", old.in_offset, in_name,
                        journal);
                goto done;
            }
            resuming = 1;
            j.dim = old.dim;
        }
    }

    /* The output is created (or checked, to resume) before the model is loaded. */
    struct stat ost;
    eout_params op = {fmt, o.output, o.dataset ? o.dataset : "embeddings", 0, o.ids, NULL, o.model_dir, NULL,
                      clembed_version_string(), 0};
    op.append = fmt == OUT_H5 && o.dataset && stat(o.output, &ost) == 0;
    const char *base = strrchr(o.model_dir, '/');
    char model_name[256];
    snprintf(model_name, sizeof model_name, "%s", base && base[1] ? base + 1 : o.model_dir);
    if (base && !base[1]) {   /* "dir/" */
        size_t l = strlen(o.model_dir);
        const char *b = o.model_dir + l - 1;
        while (b > o.model_dir && b[-1] != '/')
            b--;
        snprintf(model_name, sizeof model_name, "%.*s", (int)(o.model_dir + l - 1 - b), b);
    }
    op.model_name = model_name;
    op.normalize = o.cp.normalize < 0 ? "model" : o.cp.normalize ? "l2" : "off";
    out = eout_open(&op, resuming, resuming ? old.rows_done : 0, resuming ? old.out_bytes : 0,
                    resuming ? old.out_hash : 0);
    if (!out)
        goto done;
    /* The model's files, hashed once the output is known to be writable. */
    if (journal && !emodel_hash(o.model_dir, &j.model_hash))
        goto done;
    if (resuming && old.model_hash != j.model_hash) {
        fprintf(stderr, "clembed embed: --resume: %s was written for another model: the files "
                        "in %s differ from those it saw\n", journal, o.model_dir);
        goto done;
    }
    if (resuming) {
        j.in_offset = old.in_offset, j.in_hash = old.in_hash, j.lines_done = old.lines_done;
        j.rows_done = old.rows_done, j.out_bytes = old.out_bytes, j.out_hash = old.out_hash;
        j.skipped = old.skipped;
        if (fseeko(in, (off_t)old.in_offset, SEEK_SET) != 0) {
            fprintf(stderr, "clembed embed: %s: %s\n", in_name, strerror(errno));
            goto done;
        }
    }

    clembed_status rc = clembed_model_open(o.model_dir, NULL, &model);
    if (rc != CLEMBED_OK) {
        status = cli_fail("cannot open the model", rc);
        goto done;
    }
    for (int t = 0; t < o.threads; t++)
        if ((rc = clembed_context_new(model, &o.cp, &ctx[t])) != CLEMBED_OK) {
            status = cli_fail("cannot set up the device", rc);
            goto done;
        }
    const size_t dim = clembed_context_dim(ctx[0]);
    if (resuming && j.dim != dim) {
        fprintf(stderr, "clembed embed: --resume: %s holds vectors of %" PRIu64 " dimensions, the model "
                        "gives %zu\n", eout_name(out), j.dim, dim);
        goto done;
    }
    j.dim = dim;
    op.normalized = o.cp.normalize == 1 ||
                    (o.cp.normalize < 0 && chain_normalizes(model) && dim == clembed_model_dim(model));
    if (!eout_start(out, dim, op.normalized))
        goto done;

    size_t max_texts = emax_texts(dim);
    for (n_units = 0; n_units < o.threads; n_units++)
        if (!unit_alloc(&units[n_units], max_texts, dim)) {
            unit_free(&units[n_units]);
            fprintf(stderr, "clembed embed: out of memory\n");
            goto done;
        }
    if (!ein_open(&rd, in, in_name, o.jsonl_in, (size_t)o.max_line, j.in_offset, j.lines_done)) {
        fprintf(stderr, "clembed embed: out of memory\n");
        goto done;
    }
    rd_open = 1;
    rd.hash = start_hash;
    efeed_init(&feed, &rd, o.window_bytes, o.skip);
    feed_open = 1;
    sum.skipped = j.skipped;

    struct stat ist;
    uint64_t in_size = fstat(fileno(in), &ist) == 0 && S_ISREG(ist.st_mode) ? (uint64_t)ist.st_size : 0;
    int bar = isatty(STDERR_FILENO) && in_size > ((uint64_t)1 << 20);
    uint64_t rows = j.rows_done, windows = 0;
    double t0 = enow();
    while (!feed.at_end) {
        /* Read up to one unit per thread; units never cross a window's end. */
        int k = 0;
        for (; k < o.threads && !feed.at_end; k++)
            if (efeed_unit(&feed, &units[k], max_texts, &sum) < 0)
                goto done;
        if (k == 0)
            break;
        eunits_embed(ctx, units, k, dim, o.skip, NULL, NULL);
        /* Write in input order; a window's last unit is a checkpoint. */
        for (int t = 0; t < k; t++) {
            unit *u = &units[t];
            if (u->rc != CLEMBED_OK && bar)
                fputc('\n', stderr);
            if (!eunit_account(u, in_name, &sum) || !eout_rows(out, rows, u->vec, u->lines, u->n))
                goto done;
            rows += u->n;
            if (u->closes) {
                windows++;
                j.rows_done = rows;
                j.in_offset = u->next_off;
                j.in_hash = ehash_value(&u->hash_after);
                j.lines_done = u->lines_after;
                j.skipped = sum.skipped;
                /* Standard output is flushed here too: it streams window by window. */
                if (!eout_sync(out, &j.out_bytes, &j.out_hash) || (journal && !ejournal_write(journal, &j)))
                    goto done;
            }
            unit_clear(u);
        }
        if (bar)
            eprogress(rd.off, in_size, sum.texts, t0, feed.at_end);
    }
    double el = enow() - t0;
    if (!eout_finish(out, rows)) {
        out = NULL;
        goto done;
    }
    out = NULL;
    if (journal)
        remove(journal);
    if (o.verbose) {
        fprintf(stderr, "clembed embed: %" PRIu64 " texts, %" PRIu64 " tokens, %" PRIu64 " truncated, "
                        "dimension %zu; %" PRIu64 " skipped, %" PRIu64 " windows; %.2f s, %.1f texts/s, "
                        "%.0f tokens/s\n",
                sum.texts, sum.tokens, sum.truncated, dim, sum.skipped, windows, el,
                el > 0 ? (double)sum.texts / el : 0.0, el > 0 ? (double)sum.tokens / el : 0.0);
        if (sum.n_skipped_listed) {
            fprintf(stderr, "clembed embed: skipped lines:");
            for (size_t i = 0; i < sum.n_skipped_listed; i++)
                fprintf(stderr, " %" PRIu64, sum.skipped_lines[i]);
            fputc('\n', stderr);
        }
    }
    status = 0;
done:
    if (feed_open)
        efeed_free(&feed);
    if (rd_open)
        ein_close(&rd);
    eout_abort(out);
    for (int t = 0; t < n_units; t++)
        unit_free(&units[t]);
    if (in && in != stdin)
        fclose(in);
    for (int t = 0; t < EMAX_THREADS; t++)
        clembed_context_free(ctx[t]);
    clembed_model_free(model);
    free(journal);
    estats_free(&sum);
    return status;
}

/* What the tuner's stages share: the budget clock, progress events and checkpoints. */
#include "tune/tune.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

double clembed__tuner_elapsed(const clembed__tuner *t)
{
    return t->elapsed0 + (clembed__now() - t->t0);
}

int clembed__tuner_emit(clembed__tuner *t, clembed_tune_event *ev)
{
    double budget = t->params->budget_s;
    ev->elapsed = clembed__tuner_elapsed(t);
    ev->budget = budget;
    double frac = budget > 0 ? ev->elapsed / budget : 0;
    if (frac > t->done)
        t->done = frac < 0.99 ? frac : 0.99;
    ev->done = t->done;
    if (t->params->progress && !t->stopped && t->params->progress(ev, t->params->progress_user))
        t->stopped = 1;
    return t->stopped;
}

void clembed__tuner_note(clembed__tuner *t, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    clembed_tune_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = CLEMBED_TUNE_NOTE;
    ev.message = msg;
    clembed__tuner_emit(t, &ev);
}

void clembed__tuner_checkpoint(clembed__tuner *t)
{
    clembed__profile_set_elapsed(t->prof, clembed__tuner_elapsed(t));
    if (t->params->checkpoint)
        t->params->checkpoint(t->prof, t->params->checkpoint_user);
}

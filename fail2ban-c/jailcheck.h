/* jailcheck.h - a configuration's filters compiled as the server would compile them.
 *
 * fail2ban-client -t reads the configuration but never compiles a regex: a
 * failregex without a host group ("No failure-id group in '...'"), a regex that
 * does not compile, a wrong datepattern or maxlines only show when the server
 * starts the jail.  This module applies the filter commands of a command stream
 * (usedns, maxlines, prefregex, addfailregex, addignoreregex, datepattern) to
 * one filter.c filter per jail, in the stream's order, exactly as the server's
 * `set <jail> ...` commands do, and collects every failure instead of stopping
 * at the first. */
#pragma once

#include <glib.h>

#include "pyobj.h"

G_BEGIN_DECLS

typedef struct {
  char *jail;
  char *option;   /* prefregex, failregex, ignoreregex, datepattern or maxlines */
  guint index;    /* failregex/ignoreregex: which of the jail's values (0-based,
                   * as the stream sends them); 0 for the others */
  char *value;    /* the value as the stream sends it (a number as text) */
  GError *error;  /* what the server raises: fail2ban's message */
} F2bJailCheckProblem;

void f2b_jailcheck_problem_free(F2bJailCheckProblem *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bJailCheckProblem, f2b_jailcheck_problem_free)

/* Checks every jail STREAM adds (fail2ban's command list as confreader.c makes
 * it).  WALL_NOW is the current time (it bounds the years %ExY accepts, as in
 * f2b_filter_new).  Returns the problems in stream order (F2bJailCheckProblem *,
 * transfer full; empty when every value compiles). */
GPtrArray *f2b_jailcheck_stream(const F2bPyObj *stream, double wall_now);

G_END_DECLS

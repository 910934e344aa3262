/* fuzz-pyexpr.c - the evaluator of bantime.formula, bantime.factor and time
 * abbreviations.
 *
 * The input is an expression over the variables a ban time formula reads;
 * it is compiled with and without the int-to-float overflow rule and, when
 * it compiles, evaluated with a few sets of values (zeros, negatives, large
 * numbers, floats) so that division by zero, overflow and domain errors are
 * reached.  An error must carry the module's domain; nothing may crash. The
 * text also goes through str2sec, which turns "1d 2h" into such an
 * expression. */
#include <math.h>
#include <stdlib.h>

#include "fuzz.h"
#include "pyexpr.h"
#include "timeutil.h"

static const char *const names[] = {
  "ban.Time", "ban.Count", "banFactor", "banTime", "maxtime", "multipliers", NULL,
};

static void
evaluate(const F2bPyExpr *expr)
{
  const F2bPyNum sets[][6] = {
    { f2b_pynum_int(600), f2b_pynum_int(1), f2b_pynum_int(1), f2b_pynum_int(600),
      f2b_pynum_int(86400), f2b_pynum_int(2) },
    { f2b_pynum_int(0), f2b_pynum_int(0), f2b_pynum_int(0), f2b_pynum_int(0), f2b_pynum_int(0),
      f2b_pynum_int(0) },
    { f2b_pynum_int(-1), f2b_pynum_int(G_MAXINT64), f2b_pynum_int(G_MININT64),
      f2b_pynum_float(-0.0), f2b_pynum_float(1e308), f2b_pynum_float(NAN) },
    { f2b_pynum_float(INFINITY), f2b_pynum_float(-INFINITY), f2b_pynum_float(0.5),
      f2b_pynum_int(63), f2b_pynum_int(64), f2b_pynum_int(-64) },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(sets); i++) {
    F2bPyNum result;
    g_autoptr(GError) error = NULL;
    if (f2b_pyexpr_eval(expr, sets[i], &result, &error)) {
      g_free(f2b_pynum_repr(result));
    } else if (error == NULL || error->domain != F2B_PYEXPR_ERROR) {
      abort();
    }
  }
}

/* The printers of durations and dates, on what str2sec gave. */
static void
show(const F2bPyObj *seconds)
{
  F2bPyNum n = f2b_py_kind(seconds) == F2B_PY_FLOAT ? f2b_pynum_float(f2b_py_get_float(seconds))
                                                     : f2b_pynum_int(f2b_py_get_int(seconds));
  g_free(f2b_timeutil_seconds2str(n));
  g_free(f2b_timeutil_time2str(f2b_pynum_as_double(n)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  for (guint flags = 0; flags <= F2B_PYEXPR_INT_OVERFLOW_TO_FLOAT; flags++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(F2bPyExpr) expr = f2b_pyexpr_compile((const char *)data, size, names, flags, &error);
    if (expr != NULL)
      evaluate(expr);
    else if (error == NULL || error->domain != F2B_PYEXPR_ERROR)
      abort();
  }
  g_autofree char *text = g_strndup((const char *)data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bPyObj) seconds = f2b_timeutil_str2sec(text, &error);
  if ((seconds == NULL) == (error == NULL))
    abort();
  if (seconds != NULL)
    show(seconds);
  return 0;
}

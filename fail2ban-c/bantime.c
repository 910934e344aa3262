/* bantime.c - bantime.increment arithmetic (see bantime.h).
 *
 * All arithmetic, including the fixed steps around the formula (max, min,
 * the multiplier product, the random part), goes through pyexpr so that int
 * and float results come out as Python's. */
#include "bantime.h"

#include <string.h>

#include "pyobj.h"
#include "timeutil.h"

G_DEFINE_QUARK(f2b-bantime-error-quark, f2b_bantime_error)

#define DEFAULT_FORMULA "ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor"

/* Variables of the internal expressions; a user formula sees the first three. */
enum { V_TIME, V_COUNT, V_FACTOR, V_MULT, V_VALUE, V_MAXTIME, V_RND, V_RNDTIME, V_N };
static const char *const all_names[] = { "ban.Time", "ban.Count", "banFactor", "mult", "value",
                                         "maxtime", "rnd", "rndtime", NULL };
static const char *const formula_names[] = { "ban.Time", "ban.Count", "banFactor", NULL };

struct F2bBanTimeIncr {
  F2bPyNum factor;
  GArray *multipliers; /* gint64; empty: use the formula */
  F2bPyExpr *main;     /* the formula, or the multiplier product */
  F2bPyExpr *at_least_time, *at_most_max, *plus_random;
  gboolean has_maxtime, has_rndtime;
  F2bPyNum maxtime, rndtime;
};

static gboolean
is_set(const char *s)
{
  return s && *s;
}

static gboolean
option_error(GError **error, GError *cause, const char *option)
{
  g_set_error(error, F2B_BANTIME_ERROR, F2B_BANTIME_ERROR_OPTION, "bantime.%s: %s", option, cause->message);
  g_error_free(cause);
  return FALSE;
}

/* Python's int(PIECE): blanks around, a sign, digits with single '_'
 * between them, leading zeros allowed. */
static gboolean
int_literal(const char *piece, gint64 *out)
{
  g_autofree char *s = g_strstrip(g_strdup(piece));
  const char *p = s + (*s == '+' || *s == '-');
  guint64 value = 0;
  if (!g_ascii_isdigit(*p))
    return FALSE;
  for (; *p; p++) {
    if (*p == '_' && g_ascii_isdigit(p[-1]) && g_ascii_isdigit(p[1]))
      continue;
    if (!g_ascii_isdigit(*p) || value > (G_MAXINT64 - 9) / 10)
      return FALSE;
    value = value * 10 + (guint64)(*p - '0');
  }
  *out = *s == '-' ? -(gint64)value : (gint64)value;
  return TRUE;
}

static gboolean
parse_multiplier(const char *piece, gint64 *out, GError **error)
{
  if (int_literal(piece, out))
    return TRUE;
  g_autofree char *r = f2b_py_repr_str(piece);
  g_set_error(error, F2B_BANTIME_ERROR, F2B_BANTIME_ERROR_OPTION,
              "bantime.multipliers: invalid literal for int() with base 10: %s", r);
  return FALSE;
}

static gboolean
parse_multipliers(F2bBanTimeIncr *incr, const char *value, GError **error)
{
  g_auto(GStrv) pieces = g_strsplit(value, " ", -1);
  for (guint k = 0; pieces[k]; k++) {
    gint64 m;
    if (!parse_multiplier(pieces[k], &m, error))
      return FALSE;
    g_array_append_val(incr->multipliers, m);
  }
  return TRUE;
}

static gboolean
parse_time(const char *value, const char *option, F2bPyNum *out, GError **error)
{
  GError *cause = NULL;
  g_autoptr(F2bPyObj) v = f2b_timeutil_str2sec(value, &cause);
  if (!v)
    return option_error(error, cause, option);
  *out = f2b_py_kind(v) == F2B_PY_INT ? f2b_pynum_int(f2b_py_get_int(v)) : f2b_pynum_float(f2b_py_get_float(v));
  return TRUE;
}

static F2bPyExpr *
compile_internal(const char *text)
{
  F2bPyExpr *e = f2b_pyexpr_compile(text, -1, all_names, F2B_PYEXPR_INT_OVERFLOW_TO_FLOAT, NULL);
  g_assert(e != NULL);
  return e;
}

static gboolean
compile_options(F2bBanTimeIncr *incr, const F2bBanTimeOptions *o, GError **error)
{
  GError *cause = NULL;
  const char *factor = is_set(o->factor) ? o->factor : "1";
  if (!f2b_pyexpr_eval_text(factor, -1, F2B_PYEXPR_INT_OVERFLOW_TO_FLOAT, &incr->factor, &cause))
    return option_error(error, cause, "factor");
  if (is_set(o->multipliers) && !parse_multipliers(incr, o->multipliers, error))
    return FALSE;
  if (incr->multipliers->len) {
    incr->main = compile_internal("ban.Time * banFactor * mult");
  } else {
    const char *formula = is_set(o->formula) ? o->formula : DEFAULT_FORMULA;
    incr->main = f2b_pyexpr_compile(formula, -1, formula_names, F2B_PYEXPR_INT_OVERFLOW_TO_FLOAT, &cause);
    if (!incr->main)
      return option_error(error, cause, "formula");
  }
  if (is_set(o->maxtime) && !parse_time(o->maxtime, "maxtime", &incr->maxtime, error))
    return FALSE;
  if (is_set(o->rndtime) && !parse_time(o->rndtime, "rndtime", &incr->rndtime, error))
    return FALSE;
  incr->has_maxtime = is_set(o->maxtime);
  incr->has_rndtime = is_set(o->rndtime);
  incr->at_least_time = compile_internal("max(ban.Time, value)");
  incr->at_most_max = compile_internal("min(value, maxtime)");
  incr->plus_random = compile_internal("value + rnd * rndtime");
  return TRUE;
}

F2bBanTimeIncr *
f2b_bantime_incr_new(const F2bBanTimeOptions *opts, GError **error)
{
  F2bBanTimeOptions none = { 0 };
  g_autoptr(F2bBanTimeIncr) incr = g_new0(F2bBanTimeIncr, 1);
  incr->multipliers = g_array_new(FALSE, FALSE, sizeof(gint64));
  if (!compile_options(incr, opts ? opts : &none, error))
    return NULL;
  return g_steal_pointer(&incr);
}

void
f2b_bantime_incr_free(F2bBanTimeIncr *incr)
{
  if (!incr)
    return;
  g_array_unref(incr->multipliers);
  f2b_pyexpr_free(incr->main);
  f2b_pyexpr_free(incr->at_least_time);
  f2b_pyexpr_free(incr->at_most_max);
  f2b_pyexpr_free(incr->plus_random);
  g_free(incr);
}

static gboolean
eval_error(GError **error, GError *cause)
{
  g_set_error(error, F2B_BANTIME_ERROR, F2B_BANTIME_ERROR_EVAL, "bantime.formula: %s", cause->message);
  g_error_free(cause);
  return FALSE;
}

/* multipliers[ban.Count if ban.Count < len else -1], Python indexing. */
static gboolean
pick_multiplier(const F2bBanTimeIncr *incr, gint64 count, F2bPyNum *out, GError **error)
{
  gint64 len = incr->multipliers->len;
  gint64 idx = count < len ? count : -1;
  if (idx < 0)
    idx += len;
  if (idx < 0) {
    g_set_error_literal(error, F2B_BANTIME_ERROR, F2B_BANTIME_ERROR_EVAL,
                        "bantime.multipliers: list index out of range");
    return FALSE;
  }
  *out = f2b_pynum_int(g_array_index(incr->multipliers, gint64, idx));
  return TRUE;
}

gboolean
f2b_bantime_incr_calc(const F2bBanTimeIncr *incr, F2bPyNum ban_time, gint64 ban_count, double random,
                      F2bPyNum *result, GError **error)
{
  F2bPyNum v[V_N] = { 0 };
  GError *cause = NULL;
  v[V_TIME] = ban_time;
  v[V_COUNT] = f2b_pynum_int(ban_count);
  v[V_FACTOR] = incr->factor;
  v[V_MAXTIME] = incr->maxtime;
  v[V_RNDTIME] = incr->rndtime;
  v[V_RND] = f2b_pynum_float(random);
  if (incr->multipliers->len && !pick_multiplier(incr, ban_count, &v[V_MULT], error))
    return FALSE;
  if (!f2b_pyexpr_eval(incr->main, v, &v[V_VALUE], &cause))
    return eval_error(error, cause);
  if (!incr->multipliers->len && !f2b_pyexpr_eval(incr->at_least_time, v, &v[V_VALUE], &cause))
    return eval_error(error, cause);
  if (incr->has_maxtime && !f2b_pyexpr_eval(incr->at_most_max, v, &v[V_VALUE], &cause))
    return eval_error(error, cause);
  if (incr->has_rndtime && !f2b_pyexpr_eval(incr->plus_random, v, &v[V_VALUE], &cause))
    return eval_error(error, cause);
  *result = v[V_VALUE];
  return TRUE;
}

F2bPyNum
f2b_bantime_incr_factor(const F2bBanTimeIncr *incr)
{
  return incr->factor;
}

gboolean
f2b_bantime_incr_maxtime(const F2bBanTimeIncr *incr, F2bPyNum *maxtime)
{
  if (incr->has_maxtime && maxtime)
    *maxtime = incr->maxtime;
  return incr->has_maxtime;
}

double
f2b_bantime_failure_retry(gint64 ban_count, gint64 max_retry)
{
  gint64 shift = CLAMP(ban_count, 0, 20);
  double retry = (double)((gint64)1 << shift) / 2.0 + 1.0;
  return (double)max_retry < retry ? (double)max_retry : retry;
}

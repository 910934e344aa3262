/* test-bantime-live.c - bantime.increment and pyexpr against the installed
 * fail2ban and CPython, live:
 *  - fail2ban's own evformula (Jail.setBanTimeExtra) over a table of options,
 *    ban times, ban counts and random values must give the repr() we give;
 *  - thousands of random arithmetic expressions must evaluate as CPython's
 *    eval() does, or fail where it raises.
 * Skips (exit 77) without /usr/bin/python3 and fail2ban. */
#include "check-main.h"
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include "bantime.h"

#define PYTHON "/usr/bin/python3"

/* Reads "factor|formula|multipliers|maxtime|rndtime|bantime|count|random"
 * lines ("-" for unset) and prints fail2ban's result, or "error". */
static const char bantime_script[] =
  "import sys, types\n"
  "import fail2ban.server.jail as J\n"
  "from fail2ban.server.observer import ObserverThread\n"
  "for line in sys.stdin:\n"
  "    f = line.rstrip('\\n').split('|')\n"
  "    J.random = types.SimpleNamespace(random=lambda r=float(f[7]): r)\n"
  "    j = J.Jail.__new__(J.Jail); j._banExtra = {}\n"
  "    j.setBanTimeExtra('increment', 'false')\n"
  "    for k, v in zip(('factor', 'formula', 'multipliers', 'maxtime', 'rndtime'), f[:5]):\n"
  "        if v != '-': j.setBanTimeExtra(k, v)\n"
  "    bt = float(f[5]) if '.' in f[5] else int(f[5])\n"
  "    try:\n"
  "        print(repr(j._banExtra['evformula'](ObserverThread.BanTimeIncr(bt, int(f[6])))))\n"
  "    except Exception as e:\n"
  "        print('error')\n";

/* Reads one expression per line and prints repr(eval()) (bools as ints),
 * "big" for an int beyond 64 bits, "complex", or "error". */
static const char eval_script[] =
  "import sys, math\n"
  "for line in sys.stdin:\n"
  "    try:\n"
  "        r = eval(line, {'math': math})\n"
  "        if isinstance(r, bool): r = int(r)\n"
  "        if isinstance(r, complex): print('complex')\n"
  "        elif isinstance(r, int) and not -2**63 <= r < 2**63: print('big')\n"
  "        else: print(repr(r))\n"
  "    except Exception as e:\n"
  "        print('error')\n";

static gboolean
python_usable(void)
{
  if (!g_file_test(PYTHON, G_FILE_TEST_IS_EXECUTABLE))
    return FALSE;
  const char *argv[] = { PYTHON, "-c", "import fail2ban.server.jail, fail2ban.server.observer", NULL };
  int status = -1;
  if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                    NULL, NULL, NULL, &status, NULL))
    return FALSE;
  return g_spawn_check_wait_status(status, NULL);
}

static char *
run_python(const char *script, const char *input)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                              PYTHON, "-c", script, NULL);
  ck_assert_msg(p != NULL, "%s", error ? error->message : "?");
  char *out = NULL;
  ck_assert(g_subprocess_communicate_utf8(p, input, NULL, &out, NULL, &error));
  ck_assert_msg(g_subprocess_get_successful(p), "python failed");
  return out;
}

static const char *const option_sets[][5] = {
  { NULL, NULL, NULL, NULL, NULL },
  { "2", NULL, NULL, NULL, NULL },
  { "1.5", NULL, NULL, "1w", NULL },
  { NULL, "ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)", NULL, NULL, NULL },
  { "3", "ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)", NULL, "30d", NULL },
  { NULL, "ban.Time * (ban.Count ** 2) // 3 + (7 if ban.Count % 2 else -7)", NULL, NULL, "10m" },
  { NULL, "min(ban.Time * 2 ** ban.Count, 86400) + math.log(ban.Count + 1) * 60", NULL, NULL, NULL },
  { NULL, NULL, "1 2 4 8 16 32 64", NULL, NULL },
  { "0.5", NULL, "1 5 30 60 300 720 1440 2880", "2d", "30" },
  { NULL, "ban.Time / (ban.Count - 3)", NULL, NULL, NULL },
};
static const char *const ban_times[] = { "600", "60", "3600.0", "1", "86400" };
static const double randoms[] = { 0.0, 0.3, 0.999 };

START_TEST(test_bantime_against_fail2ban)
{
  GString *input = g_string_new(NULL);
  GPtrArray *ours = g_ptr_array_new_with_free_func(g_free);
  for (guint o = 0; o < G_N_ELEMENTS(option_sets); o++) {
    const char *const *v = option_sets[o];
    F2bBanTimeOptions opts = { v[0], v[1], v[2], v[3], v[4] };
    GError *error = NULL;
    g_autoptr(F2bBanTimeIncr) incr = f2b_bantime_incr_new(&opts, &error);
    ck_assert_msg(incr != NULL, "options %u: %s", o, error ? error->message : "?");
    for (guint b = 0; b < G_N_ELEMENTS(ban_times); b++)
      for (gint64 count = 0; count <= 25; count++)
        for (guint r = 0; r < G_N_ELEMENTS(randoms); r++) {
          g_string_append_printf(input, "%s|%s|%s|%s|%s|%s|%" G_GINT64_FORMAT "|%.17g\n", v[0] ? v[0] : "-",
                                 v[1] ? v[1] : "-", v[2] ? v[2] : "-", v[3] ? v[3] : "-", v[4] ? v[4] : "-",
                                 ban_times[b], count, randoms[r]);
          const char *bt = ban_times[b];
          F2bPyNum ban_time = strchr(bt, '.') ? f2b_pynum_float(g_ascii_strtod(bt, NULL))
                                              : f2b_pynum_int(g_ascii_strtoll(bt, NULL, 10));
          F2bPyNum result;
          if (f2b_bantime_incr_calc(incr, ban_time, count, randoms[r], &result, &error)) {
            g_ptr_array_add(ours, f2b_pynum_repr(result));
          } else {
            g_ptr_array_add(ours, g_strdup("error"));
            g_clear_error(&error);
          }
        }
  }
  g_autofree char *out = run_python(bantime_script, input->str);
  g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
  g_auto(GStrv) inputs = g_strsplit(input->str, "\n", -1);
  ck_assert_uint_ge(g_strv_length(lines), ours->len);
  for (guint k = 0; k < ours->len; k++)
    ck_assert_msg(strcmp(lines[k], ours->pdata[k]) == 0, "%s: fail2ban %s, ours %s", inputs[k], lines[k],
                  (char *)ours->pdata[k]);
  g_string_free(input, TRUE);
  g_ptr_array_unref(ours);
}
END_TEST

/* ---- random expressions ---- */

static void gen(GRand *rng, GString *out, int depth);

static void
gen_leaf(GRand *rng, GString *out)
{
  static const char *const floats[] = { "2.5", "0.1", "-3.75", "1e300", "0.0", "7.0", "1e-5", "123.456" };
  switch (g_rand_int_range(rng, 0, 4)) {
  case 0: g_string_append(out, floats[g_rand_int_range(rng, 0, G_N_ELEMENTS(floats))]); break;
  case 1: g_string_append_printf(out, "%d", g_rand_int_range(rng, 0, 3)); break;
  default: g_string_append_printf(out, "%d", g_rand_int_range(rng, -20, 21)); break;
  }
}

static void
gen_call(GRand *rng, GString *out, int depth)
{
  static const char *const one[] = { "abs", "int", "float", "round", "math.floor", "math.ceil", "math.sqrt",
                                     "math.exp", "math.log", "math.log2", "math.fabs", "math.trunc" };
  if (g_rand_boolean(rng)) {
    g_string_append_printf(out, "%s(", one[g_rand_int_range(rng, 0, G_N_ELEMENTS(one))]);
    gen(rng, out, depth - 1);
  } else {
    g_string_append(out, g_rand_boolean(rng) ? "min(" : "max(");
    gen(rng, out, depth - 1);
    g_string_append(out, ", ");
    gen(rng, out, depth - 1);
  }
  g_string_append_c(out, ')');
}

static void
gen(GRand *rng, GString *out, int depth)
{
  static const char *const ops[] = { "+", "-", "*", "/", "//", "%", "<", "<=", "==", "!=", ">", ">=",
                                     "&", "|", "^", " and ", " or " };
  int kind = depth <= 0 ? 0 : g_rand_int_range(rng, 0, 9);
  switch (kind) {
  case 0: case 1: gen_leaf(rng, out); return;
  case 2:
    g_string_append(out, g_rand_boolean(rng) ? "-" : g_rand_boolean(rng) ? "~" : "not ");
    gen(rng, out, depth - 1);
    return;
  case 3: /* bounded exponents and shifts keep CPython's big ints small */
    g_string_append_c(out, '(');
    gen(rng, out, depth - 1);
    if (g_rand_boolean(rng))
      g_string_append_printf(out, ") ** %d", g_rand_int_range(rng, -3, 6));
    else
      g_string_append_printf(out, ") %s %d", g_rand_boolean(rng) ? "<<" : ">>", g_rand_int_range(rng, -1, 70));
    return;
  case 4:
    g_string_append_c(out, '(');
    gen(rng, out, depth - 1);
    g_string_append(out, " if ");
    gen(rng, out, depth - 1);
    g_string_append(out, " else ");
    gen(rng, out, depth - 1);
    g_string_append_c(out, ')');
    return;
  case 5: gen_call(rng, out, depth); return;
  default:
    g_string_append_c(out, '(');
    gen(rng, out, depth - 1);
    g_string_append(out, ops[g_rand_int_range(rng, 0, G_N_ELEMENTS(ops))]);
    gen(rng, out, depth - 1);
    g_string_append_c(out, ')');
    return;
  }
}

START_TEST(test_random_expressions)
{
  /* F2B_PYEXPR_SEED explores other expressions; the default keeps runs repeatable */
  const char *seed = g_getenv("F2B_PYEXPR_SEED");
  g_autoptr(GRand) rng = g_rand_new_with_seed(seed ? (guint32)g_ascii_strtoull(seed, NULL, 10) : 20240601);
  GPtrArray *exprs = g_ptr_array_new_with_free_func(g_free);
  GString *input = g_string_new(NULL);
  for (int k = 0; k < 4000; k++) {
    GString *e = g_string_new(NULL);
    gen(rng, e, 4);
    g_string_append_printf(input, "%s\n", e->str);
    g_ptr_array_add(exprs, g_string_free(e, FALSE));
  }
  g_autofree char *out = run_python(eval_script, input->str);
  g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
  ck_assert_uint_ge(g_strv_length(lines), exprs->len);
  guint agreed_values = 0;
  for (guint k = 0; k < exprs->len; k++) {
    const char *expr = exprs->pdata[k], *py = lines[k];
    GError *error = NULL;
    F2bPyNum n;
    if (f2b_pyexpr_eval_text(expr, -1, F2B_PYEXPR_NONE, &n, &error)) {
      g_autofree char *ours = f2b_pynum_repr(n);
      ck_assert_msg(strcmp(ours, py) == 0, "%s: python %s, ours %s", expr, py, ours);
      agreed_values++;
      continue;
    }
    /* we fail where CPython fails; beyond that only for 64-bit int limits */
    gboolean ok = strcmp(py, "error") == 0 || strcmp(py, "complex") == 0 || strcmp(py, "big") == 0 ||
                  strcmp(error->message, "integer out of range") == 0;
    ck_assert_msg(ok, "%s: python %s, ours error %s", expr, py, error->message);
    g_error_free(error);
  }
  ck_assert_uint_ge(agreed_values, exprs->len / 2); /* the test compares values, not mostly errors */
  g_ptr_array_unref(exprs);
  g_string_free(input, TRUE);
}
END_TEST

int
main(void)
{
  if (!python_usable()) {
    g_printerr("skipped: %s with the fail2ban module is not available\n", PYTHON);
    return 77;
  }
  Suite *s = suite_create("bantime-live");
  TCase *tc = tcase_create("live");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_bantime_against_fail2ban);
  tcase_add_test(tc, test_random_expressions);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

/* test-timeutil.c - str2sec as fail2ban's MyTime.str2seconds computes it. */
#include "check-main.h"
#include <math.h>
#include <time.h>

#include "timeutil.h"

static void
expect(const char *expr, const char *repr)
{
  GError *error = NULL;
  g_autoptr(F2bPyObj) v = f2b_timeutil_str2sec(expr, &error);
  ck_assert_msg(v != NULL, "%s: %s", expr, error ? error->message : "?");
  g_autofree char *r = f2b_py_repr(v);
  ck_assert_str_eq(r, repr);
}

static void
expect_error(const char *expr)
{
  GError *error = NULL;
  F2bPyObj *v = f2b_timeutil_str2sec(expr, &error);
  ck_assert_msg(v == NULL, "%s should fail", expr);
  ck_assert_ptr_nonnull(error);
  g_error_free(error);
}

START_TEST(test_units)
{
  expect("10m", "600");
  expect("1h30m", "5400");
  expect("-1", "-1");
  expect("1year-6mo", "15778800.0");
  expect("1month", "2629800.0");
  expect("1.5h", "5400.0");
  expect("2*3", "6");
  expect("10 m", "600");
  expect("1d 2h", "93600");
  expect("1w", "604800");
  expect("600", "600");
  expect("7/2", "3.5");
  expect("7//2", "3");
  expect("-7//2", "-4");
  expect("2**10", "1024");
  expect("(1h+1m)*2", "7320");
}
END_TEST

START_TEST(test_rejects_non_arithmetic)
{
  expect_error("abc");
  expect_error("");
  expect_error("1+");
  expect_error("(1");
  expect_error("1/0");
  expect_error("__import__('os')");
  expect_error("99999999999999999999");
}
END_TEST

START_TEST(test_time2str)
{
  /* fail2ban's MyTime.time2str, here in UTC */
  g_autofree char *a = f2b_timeutil_time2str(1000.0);
  ck_assert_str_eq(a, "1970-01-01 00:16:40");
  g_autofree char *b = f2b_timeutil_time2str(1795633892.9);
  ck_assert_str_eq(b, "2026-11-25 19:11:32");
  g_autofree char *c = f2b_timeutil_time2str(1000.9999996); /* rounds to the microsecond first */
  ck_assert_str_eq(c, "1970-01-01 00:16:41");
  g_autofree char *d = f2b_timeutil_time2str(140737488355327.0); /* a permanent ban's end */
  ck_assert_str_eq(d, "9999-12-31 23:59:59");
  g_autofree char *e = f2b_timeutil_time2str(253402214399.0);
  ck_assert_str_eq(e, "9999-12-30 23:59:59");
  /* before year 1 fail2ban raises; far before, the time_t conversion overflowed
   * (undefined behaviour, found by fuzz-pyexpr): the first second of year 1 */
  g_autofree char *f = f2b_timeutil_time2str(-6.46924e+59);
  ck_assert_str_eq(f, "1-01-01 00:00:00");
  g_autofree char *g = f2b_timeutil_time2str(-INFINITY);
  ck_assert_str_eq(g, "1-01-01 00:00:00");
  /* fail2ban's strftime does not pad years before 1000 */
  g_autofree char *h = f2b_timeutil_time2str(-62135510400.0);
  ck_assert_str_eq(h, "1-01-02 00:00:00");
  g_autofree char *i = f2b_timeutil_time2str(-31000000000.0);
  ck_assert_str_eq(i, "987-08-25 16:53:20");
}
END_TEST

START_TEST(test_expressions_beyond_arithmetic)
{
  /* str2seconds is Python's eval: the safe subset accepts more than + - * / */
  expect("max(1h, 30m)", "3600");
  expect("1h if 1 else 2h", "3600");
  expect_error("math.exp(1000)");
}
END_TEST

/* Expected texts from fail2ban's MyTime.seconds2str. */
START_TEST(test_seconds2str)
{
  static const struct { double v; gboolean is_float; const char *want; } cases[] = {
    { 0, FALSE, "0" }, { 1, FALSE, "1s" }, { 59, FALSE, "59s" }, { 60, FALSE, "1m" }, { 61, FALSE, "1m 1s" },
    { 3594, FALSE, "59m 54s" }, { 3595, FALSE, "1h" }, { 3660, FALSE, "1h 1m" }, { 86399, FALSE, "24h" },
    { 86400, FALSE, "1d" }, { 198900, FALSE, "2d 7h 15m" }, { 176399, FALSE, "2d 1h" }, { 604800, FALSE, "1w" },
    { 33696000, FALSE, "1y 3w 4d" }, { 31795200, FALSE, "1y 3d" }, { 31579200.0, TRUE, "1y 1d" },
    { 1200.0, TRUE, "20.0m" }, { 90.5, TRUE, "1.0m 30.5s" }, { 19200, FALSE, "5h 20m" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    F2bPyNum n = cases[i].is_float ? f2b_pynum_float(cases[i].v) : f2b_pynum_int((gint64)cases[i].v);
    g_autofree char *s = f2b_timeutil_seconds2str(n);
    ck_assert_str_eq(s, cases[i].want);
  }
}
END_TEST

/* Durations whose count of days, hours or minutes is past 64 bits (a ban time
 * formula without maxtime): Python's integers print them exactly.  Found by
 * fuzz-pyexpr (a float-to-integer overflow, undefined behaviour, before). */
START_TEST(test_seconds2str_beyond_64_bits)
{
  static const struct { double v; const char *want; } cases[] = {
    { 1.4855280471424563e+29, "4710578536093532428248y 37w 5d" },
    { 8.0352e+23, "25479452054794520y 28w 4d" },
    { 1e+19, "317097919837y 33w 5d" },
    { 1e+300, "3170979198376458982695010286264843512807119741535390417397484082001169803299"
             "0475166869929711311330590151826494748242598920405456758375804816362402444025"
             "8204074636865108966535521435452586186987365847935366565389329473568544603106"
             "02355845485126700099690901458981879996630210756218114006915143326y 26w 4d" },
    { 7.97e+23, "25272704211060376y 46w 6d" },
    { 3.3204139332677193e+22, "1052896351239129y 31w 2d" },
    { 3.4904191266510265e+28, "1106804644422573096960y" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *s = f2b_timeutil_seconds2str(f2b_pynum_float(cases[i].v));
    ck_assert_str_eq(s, cases[i].want);
  }
  /* fail2ban raises OverflowError here: we print the float */
  g_autofree char *inf = f2b_timeutil_seconds2str(f2b_pynum_float(INFINITY));
  ck_assert_str_eq(inf, "inf");
  g_autofree char *nan = f2b_timeutil_seconds2str(f2b_pynum_float(NAN));
  ck_assert_str_eq(nan, "nans"); /* as fail2ban: NaN compares false everywhere */
}
END_TEST

int
main(void)
{
  setenv("TZ", "UTC", 1);
  tzset();
  Suite *s = suite_create("timeutil");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_units);
  tcase_add_test(tc, test_rejects_non_arithmetic);
  tcase_add_test(tc, test_time2str);
  tcase_add_test(tc, test_seconds2str);
  tcase_add_test(tc, test_seconds2str_beyond_64_bits);
  tcase_add_test(tc, test_expressions_beyond_arithmetic);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

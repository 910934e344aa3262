/* test-bantime.c - bantime.increment arithmetic: values as fail2ban 1.0.2's
 * evformula gives them (taken from it), option errors naming the option,
 * formula failures, and the observer's retry count. */
#include "check-main.h"
#include <stdlib.h>

#include "bantime.h"

typedef struct {
  F2bBanTimeOptions opts;
  const char *ban_time; /* "600" (int) or "600.0" (float) */
  gint64 count;
  double random;
  const char *expected; /* repr() of fail2ban's result */
} Case;

#define EXP_FORMULA "ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)"

static const Case cases[] = {
  { { 0 }, "600", 1, 0, "1200" },
  { { 0 }, "600", 3, 0, "4800" },
  { { 0 }, "600", 25, 0, "629145600" }, /* the default formula stops doubling at 20 */
  { { 0 }, "600", 0, 0, "600" },
  { { 0 }, "600.0", 2, 0, "2400.0" },
  { { .factor = "2" }, "600", 2, 0, "4800" },
  { { .factor = "1.5" }, "600", 2, 0, "3600.0" },
  { { .formula = EXP_FORMULA }, "600", 1, 0, "1630.9690970754273" },
  { { .formula = EXP_FORMULA }, "600", 5, 0, "89047.89546154597" },
  { { .formula = EXP_FORMULA, .factor = "2" }, "600", 3, 0, "242057.27609564108" },
  { { .formula = "ban.Time / 2" }, "600", 3, 0, "600" }, /* never below ban.Time */
  { { .multipliers = "1 2 4 8 16 32 64" }, "600", 1, 0, "1200" },
  { { .multipliers = "1 2 4 8 16 32 64" }, "600", 10, 0, "38400" },
  { { .multipliers = "1 5 30 60 300 720 1440 2880", .factor = "2" }, "60", 4, 0, "36000" },
  { { .multipliers = "1 5 30" }, "60", 0, 0, "60" },
  { { .maxtime = "1w" }, "600", 19, 0, "604800" },
  { { .maxtime = "1d" }, "600", 3, 0, "4800" },
  { { .maxtime = "5m" }, "600", 1, 0, "300" },
  { { .rndtime = "10m" }, "600", 1, 0.25, "1350.0" },
  { { .rndtime = "10m", .maxtime = "1h" }, "600", 5, 0.5, "3900.0" },
  { { .multipliers = "1 2", .maxtime = "1000", .rndtime = "7" }, "600", 1, 0.125, "1000.875" },
  { { .formula = "", .multipliers = "", .maxtime = "" }, "600", 1, 0, "1200" }, /* "" is unset */
};

static F2bPyNum
num(const char *text)
{
  return strchr(text, '.') ? f2b_pynum_float(g_ascii_strtod(text, NULL))
                           : f2b_pynum_int(g_ascii_strtoll(text, NULL, 10));
}

START_TEST(test_values)
{
  for (guint k = 0; k < G_N_ELEMENTS(cases); k++) {
    const Case *c = &cases[k];
    GError *error = NULL;
    g_autoptr(F2bBanTimeIncr) incr = f2b_bantime_incr_new(&c->opts, &error);
    ck_assert_msg(incr != NULL, "case %u: %s", k, error ? error->message : "?");
    F2bPyNum r;
    ck_assert_msg(f2b_bantime_incr_calc(incr, num(c->ban_time), c->count, c->random, &r, &error), "case %u: %s", k,
                  error ? error->message : "?");
    g_autofree char *got = f2b_pynum_repr(r);
    ck_assert_msg(strcmp(got, c->expected) == 0, "case %u: got %s, expected %s", k, got, c->expected);
  }
}
END_TEST

static void
expect_option_error(const F2bBanTimeOptions *opts, const char *message)
{
  GError *error = NULL;
  F2bBanTimeIncr *incr = f2b_bantime_incr_new(opts, &error);
  ck_assert_ptr_null(incr);
  ck_assert_ptr_nonnull(error);
  ck_assert(g_error_matches(error, F2B_BANTIME_ERROR, F2B_BANTIME_ERROR_OPTION));
  ck_assert_str_eq(error->message, message);
  g_error_free(error);
}

START_TEST(test_option_errors)
{
  expect_option_error(&(F2bBanTimeOptions){ .formula = "__import__('os').system('id')" },
                      "bantime.formula: function '__import__' is not defined or not allowed");
  expect_option_error(&(F2bBanTimeOptions){ .formula = "ban.Time * x" },
                      "bantime.formula: name 'x' is not defined or not allowed");
  expect_option_error(&(F2bBanTimeOptions){ .formula = "ban.__class__" },
                      "bantime.formula: name 'ban.__class__' is not defined or not allowed");
  expect_option_error(&(F2bBanTimeOptions){ .formula = "ban.Time *" },
                      "bantime.formula: unexpected end of expression");
  expect_option_error(&(F2bBanTimeOptions){ .factor = "banFactor" },
                      "bantime.factor: name 'banFactor' is not defined or not allowed");
  expect_option_error(&(F2bBanTimeOptions){ .factor = "1/0" }, "bantime.factor: division by zero");
  expect_option_error(&(F2bBanTimeOptions){ .multipliers = "1  2" },
                      "bantime.multipliers: invalid literal for int() with base 10: ''");
  expect_option_error(&(F2bBanTimeOptions){ .multipliers = "1 2.5" },
                      "bantime.multipliers: invalid literal for int() with base 10: '2.5'");
  expect_option_error(&(F2bBanTimeOptions){ .maxtime = "1x" },
                      "bantime.maxtime: invalid decimal literal");
  expect_option_error(&(F2bBanTimeOptions){ .rndtime = "import" },
                      "bantime.rndtime: name 'import' is not defined or not allowed");
}
END_TEST

START_TEST(test_multiplier_literals)
{
  /* Python's int(): signs, blanks, leading zeros and '_' between digits */
  GError *error = NULL;
  g_autoptr(F2bBanTimeIncr) incr =
    f2b_bantime_incr_new(&(F2bBanTimeOptions){ .multipliers = "+1 \t02\n 1_0 -3" }, &error);
  ck_assert_ptr_nonnull(incr);
  const gint64 expected[] = { 600, 1200, 6000, -1800, -1800 };
  for (guint k = 0; k < G_N_ELEMENTS(expected); k++) {
    F2bPyNum r;
    ck_assert(f2b_bantime_incr_calc(incr, f2b_pynum_int(600), k, 0, &r, &error));
    ck_assert_int_eq(r.i, expected[k]);
  }
  /* a negative count indexes from the end, as Python lists do */
  F2bPyNum r;
  ck_assert(f2b_bantime_incr_calc(incr, f2b_pynum_int(600), -2, 0, &r, &error));
  ck_assert_int_eq(r.i, 6000);
  ck_assert(!f2b_bantime_incr_calc(incr, f2b_pynum_int(600), -5, 0, &r, &error));
  ck_assert(g_error_matches(error, F2B_BANTIME_ERROR, F2B_BANTIME_ERROR_EVAL));
  g_clear_error(&error);
  expect_option_error(&(F2bBanTimeOptions){ .multipliers = "1_" },
                      "bantime.multipliers: invalid literal for int() with base 10: '1_'");
  expect_option_error(&(F2bBanTimeOptions){ .multipliers = "99999999999999999999" },
                      "bantime.multipliers: invalid literal for int() with base 10: '99999999999999999999'");
}
END_TEST

START_TEST(test_eval_errors)
{
  GError *error = NULL;
  g_autoptr(F2bBanTimeIncr) incr =
    f2b_bantime_incr_new(&(F2bBanTimeOptions){ .formula = "ban.Time / (ban.Count - 1)" }, &error);
  ck_assert_ptr_nonnull(incr);
  F2bPyNum r;
  ck_assert(!f2b_bantime_incr_calc(incr, f2b_pynum_int(600), 1, 0, &r, &error));
  ck_assert(g_error_matches(error, F2B_BANTIME_ERROR, F2B_BANTIME_ERROR_EVAL));
  ck_assert_str_eq(error->message, "bantime.formula: division by zero");
  g_clear_error(&error);
  /* max(ban.Time, 300.0) keeps the int ban time */
  ck_assert(f2b_bantime_incr_calc(incr, f2b_pynum_int(600), 3, 0, &r, &error));
  ck_assert(!r.is_float);
  ck_assert_int_eq(r.i, 600);

  g_autoptr(F2bBanTimeIncr) exp_incr = f2b_bantime_incr_new(&(F2bBanTimeOptions){ .formula = EXP_FORMULA }, &error);
  ck_assert(!f2b_bantime_incr_calc(exp_incr, f2b_pynum_int(600), 1000, 0, &r, &error));
  ck_assert_str_eq(error->message, "bantime.formula: math range error");
  g_clear_error(&error);

  /* ints beyond 64 bits continue as floats, and maxtime still caps them */
  g_autoptr(F2bBanTimeIncr) big =
    f2b_bantime_incr_new(&(F2bBanTimeOptions){ .formula = "ban.Time * 2**ban.Count", .maxtime = "1w" }, &error);
  ck_assert(f2b_bantime_incr_calc(big, f2b_pynum_int(600), 200, 0, &r, &error));
  ck_assert(!r.is_float);
  ck_assert_int_eq(r.i, 604800);
}
END_TEST

START_TEST(test_accessors)
{
  GError *error = NULL;
  g_autoptr(F2bBanTimeIncr) plain = f2b_bantime_incr_new(NULL, &error);
  F2bPyNum v;
  ck_assert(!f2b_bantime_incr_maxtime(plain, &v));
  ck_assert_int_eq(f2b_bantime_incr_factor(plain).i, 1);
  g_autoptr(F2bBanTimeIncr) set =
    f2b_bantime_incr_new(&(F2bBanTimeOptions){ .factor = "3/2", .maxtime = "1.5h" }, &error);
  ck_assert(f2b_bantime_incr_maxtime(set, &v));
  ck_assert(v.is_float);
  ck_assert_double_eq(v.f, 5400.0);
  ck_assert_double_eq(f2b_bantime_incr_factor(set).f, 1.5);
}
END_TEST

START_TEST(test_failure_retry)
{
  /* (1 << count) / 2 + 1, capped at maxretry */
  ck_assert_double_eq(f2b_bantime_failure_retry(0, 5), 1.5);
  ck_assert_double_eq(f2b_bantime_failure_retry(1, 5), 2.0);
  ck_assert_double_eq(f2b_bantime_failure_retry(2, 5), 3.0);
  ck_assert_double_eq(f2b_bantime_failure_retry(3, 5), 5.0);
  ck_assert_double_eq(f2b_bantime_failure_retry(4, 5), 5.0);
  ck_assert_double_eq(f2b_bantime_failure_retry(30, 1000000), 524289.0);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("bantime");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_values);
  tcase_add_test(tc, test_option_errors);
  tcase_add_test(tc, test_multiplier_literals);
  tcase_add_test(tc, test_eval_errors);
  tcase_add_test(tc, test_accessors);
  tcase_add_test(tc, test_failure_retry);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

/* test-jailcheck.c - filters of a command stream compiled as the server would. */
#include "check-main.h"
#include <string.h>

#include "failregex.h"
#include "filter.h"
#include "jailcheck.h"

#define NOW 1700000000.0

static F2bPyObj *
cmd(const char *verb, const char *jail, const char *option, const char *value)
{
  return f2b_py_list_of_strs(verb, jail, option, value, NULL);
}

static F2bPyObj *
multi(const char *jail, const char *option, const char *const *values)
{
  F2bPyObj *c = f2b_py_list_of_strs("multi-set", jail, option, NULL);
  F2bPyObj *l = f2b_py_list_new();
  for (guint i = 0; values[i]; i++)
    f2b_py_append(l, f2b_py_str(values[i]));
  f2b_py_append(c, l);
  return c;
}

static F2bPyObj *
add(const char *jail)
{
  return f2b_py_list_of_strs("add", jail, "auto", NULL);
}

static const F2bJailCheckProblem *
problem(GPtrArray *problems, guint i, const char *jail, const char *option, guint index)
{
  ck_assert_uint_gt(problems->len, i);
  const F2bJailCheckProblem *p = problems->pdata[i];
  ck_assert_str_eq(p->jail, jail);
  ck_assert_str_eq(p->option, option);
  ck_assert_uint_eq(p->index, index);
  ck_assert_ptr_nonnull(p->error);
  return p;
}

START_TEST(test_seed_failregex)
{
  g_autoptr(F2bPyObj) s = f2b_py_list_new();
  f2b_py_append(s, f2b_py_list_of_strs("set", "loglevel", "INFO", NULL));
  f2b_py_append(s, add("exim-dos"));
  f2b_py_append(s, cmd("set", "exim-dos", "addfailregex", "\\[\\] .*refused: too many connections"));
  f2b_py_append(s, f2b_py_list_of_strs("start", "exim-dos", NULL));
  g_autoptr(GPtrArray) problems = f2b_jailcheck_stream(s, NOW);
  ck_assert_uint_eq(problems->len, 1);
  const F2bJailCheckProblem *p = problem(problems, 0, "exim-dos", "failregex", 0);
  ck_assert_str_eq(p->value, "\\[\\] .*refused: too many connections");
  ck_assert(g_error_matches(p->error, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_NO_FAILURE_ID));
  ck_assert_str_eq(p->error->message, "No failure-id group in '\\[\\] .*refused: too many connections'");
}
END_TEST

START_TEST(test_repaired_and_stock_like_streams_pass)
{
  g_autoptr(F2bPyObj) s = f2b_py_list_new();
  f2b_py_append(s, add("a"));
  f2b_py_append(s, cmd("set", "a", "usedns", "no"));
  F2bPyObj *ml = f2b_py_list_of_strs("set", "a", "maxlines", NULL);
  f2b_py_append(ml, f2b_py_int(3));
  f2b_py_append(s, ml);
  /* the prefregex's <F-MLFID> is a failure-id group for every failregex */
  f2b_py_append(s, cmd("set", "a", "prefregex", "^<F-MLFID>\\S+</F-MLFID> <F-CONTENT>.+</F-CONTENT>$"));
  static const char *const fr[] = { "\\[<HOST>\\] .*refused: too many connections", "^no host here$", NULL };
  f2b_py_append(s, multi("a", "addfailregex", fr));
  f2b_py_append(s, cmd("set", "a", "addignoreregex", "^ignore"));
  f2b_py_append(s, cmd("set", "a", "datepattern", "{^LN-BEG}%%Y-%%m-%%d %%H:%%M:%%S"));
  g_autoptr(GPtrArray) problems = f2b_jailcheck_stream(s, NOW);
  ck_assert_uint_eq(problems->len, 0);
  g_autoptr(GPtrArray) none = f2b_jailcheck_stream(NULL, NOW);
  ck_assert_uint_eq(none->len, 0);
}
END_TEST

START_TEST(test_every_problem_of_every_jail)
{
  g_autoptr(F2bPyObj) s = f2b_py_list_new();
  f2b_py_append(s, add("one"));
  f2b_py_append(s, add("two"));
  /* a prefregex that does not compile is not set: the failregexes then need a host */
  f2b_py_append(s, cmd("set", "one", "prefregex", "^<F-MLFID>(x</F-MLFID>"));
  static const char *const fr[] = { "^ok <HOST>$", "^bad (<HOST>$", "^nohost$", NULL };
  f2b_py_append(s, multi("one", "addfailregex", fr));
  f2b_py_append(s, cmd("set", "one", "addfailregex", "^[]$"));
  static const char *const ir[] = { "^fine$", "^(unbalanced", NULL };
  f2b_py_append(s, multi("one", "addignoreregex", ir));
  f2b_py_append(s, cmd("set", "two", "datepattern", "%Y-%m-%d %H:%M:%S %Q"));
  F2bPyObj *ml = f2b_py_list_of_strs("set", "two", "maxlines", NULL);
  f2b_py_append(ml, f2b_py_int(0));
  f2b_py_append(s, ml);
  f2b_py_append(s, cmd("set", "two", "maxlines", "x"));
  f2b_py_append(s, cmd("set", "two", "addfailregex", ""));
  /* a jail never added is not checked */
  f2b_py_append(s, cmd("set", "ghost", "addfailregex", "^nohost$"));
  g_autoptr(GPtrArray) problems = f2b_jailcheck_stream(s, NOW);
  ck_assert_uint_eq(problems->len, 9);
  const F2bJailCheckProblem *p = problem(problems, 0, "one", "prefregex", 0);
  ck_assert(g_str_has_prefix(p->error->message, "Unable to compile regular expression '^(?P<mlfid>(x)"));
  p = problem(problems, 1, "one", "failregex", 1);
  ck_assert(g_str_has_prefix(p->error->message, "Unable to compile regular expression '^bad ("));
  ck_assert_str_eq(p->value, "^bad (<HOST>$");
  p = problem(problems, 2, "one", "failregex", 2);
  ck_assert_str_eq(p->error->message, "No failure-id group in '^nohost$'");
  p = problem(problems, 3, "one", "failregex", 3);
  ck_assert(g_str_has_prefix(p->error->message, "Unable to compile regular expression '^[]$'"));
  p = problem(problems, 4, "one", "ignoreregex", 1);
  ck_assert(g_str_has_prefix(p->error->message, "Unable to compile regular expression '^(unbalanced'"));
  p = problem(problems, 5, "two", "datepattern", 0);
  ck_assert_str_eq(p->error->message, "Failed to set datepattern '%Y-%m-%d %H:%M:%S %Q' (may be an invalid "
                                      "format or unescaped percent char): not enough arguments for format string");
  p = problem(problems, 6, "two", "maxlines", 0);
  ck_assert_str_eq(p->value, "0");
  ck_assert_str_eq(p->error->message, "maxlines must be integer greater than zero");
  p = problem(problems, 7, "two", "maxlines", 0);
  ck_assert_str_eq(p->error->message, "invalid literal for int() with base 10: 'x'");
  p = problem(problems, 8, "two", "failregex", 0);
  ck_assert_str_eq(p->error->message, "Cannot add empty regex");
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("jailcheck");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_seed_failregex);
  tcase_add_test(tc, test_repaired_and_stock_like_streams_pass);
  tcase_add_test(tc, test_every_problem_of_every_jail);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

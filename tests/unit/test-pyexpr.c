/* test-pyexpr.c - the safe Python arithmetic evaluator: values as Python
 * computes them (expected values taken from CPython 3.11), and clean
 * rejection of everything outside the subset. */
#include "check-main.h"
#include <math.h>
#include <stdlib.h>

#include "pyexpr.h"

/* Evaluates TEXT without variables and returns repr() of the result, or
 * "error: <message>" (transfer full). */
static char *
run(const char *text, guint flags)
{
  GError *error = NULL;
  F2bPyNum n;
  if (!f2b_pyexpr_eval_text(text, -1, flags, &n, &error)) {
    char *msg = g_strdup_printf("error: %s", error->message);
    g_error_free(error);
    return msg;
  }
  return f2b_pynum_repr(n);
}

static void
expect(const char *text, const char *repr)
{
  g_autofree char *got = run(text, F2B_PYEXPR_NONE);
  ck_assert_msg(g_strcmp0(got, repr) == 0, "%.60s: got %s, expected %s", text, got, repr);
}

/* Expects an error of CODE whose message contains PART. */
static void
expect_error(const char *text, gint code, const char *part)
{
  GError *error = NULL;
  F2bPyNum n;
  gboolean ok = f2b_pyexpr_eval_text(text, -1, F2B_PYEXPR_NONE, &n, &error);
  ck_assert_msg(!ok, "%.60s should fail", text);
  ck_assert_ptr_nonnull(error);
  ck_assert_msg(error->domain == F2B_PYEXPR_ERROR && error->code == code, "%.60s: code %d (%s)", text, error->code,
                error->message);
  ck_assert_msg(strstr(error->message, part) != NULL, "%.60s: message '%s' lacks '%s'", text, error->message, part);
  g_error_free(error);
}

static const char *const python_values[][2] = {
  { "1+2*3", "7" }, { "7/2", "3.5" }, { "7//2", "3" }, { "-7//2", "-4" }, { "7%-3", "-2" },
  { "-7%3", "2" }, { "7.5//2", "3.0" }, { "-7.5%2", "0.5" }, { "2**10", "1024" }, { "2**-1", "0.5" },
  { "(-2)**63", "-9223372036854775808" }, { "-2**2", "-4" }, { "1<<62", "4611686018427387904" },
  { "10>>1", "5" }, { "-1>>70", "-1" }, { "5&3|8^1", "9" }, { "~5", "-6" },
  /* comparisons and not give bools: True/False are the ints 1/0 here */
  { "1<2<3", "1" }, { "3>2>2", "0" }, { "1 if 0 else 2.5", "2.5" }, { "0 or 3", "3" }, { "2 and 0", "0" },
  { "not 0", "1" }, { "max(1, 1.0)", "1" }, { "min(2.0, 2)", "2.0" }, { "max(3, 7, 5)", "7" },
  { "abs(-3)", "3" }, { "int(3.9)", "3" }, { "int(-3.9)", "-3" }, { "float(2)", "2.0" }, { "round(2.5)", "2" },
  { "round(3.5)", "4" }, { "round(-0.5)", "0" }, { "round(2.675, 2)", "2.67" },
  { "math.exp(1)", "2.718281828459045" }, { "math.log(8, 2)", "3.0" }, { "math.log(100)", "4.605170185988092" },
  { "math.log10(1000)", "3.0" }, { "math.sqrt(2)", "1.4142135623730951" }, { "math.floor(-1.5)", "-2" },
  { "math.ceil(1.2)", "2" }, { "math.pow(2, 3)", "8.0" }, { "pow(2, 3)", "8" }, { "0x1f + 0o17 + 0b11", "49" },
  { "1_000 * 2", "2000" }, { "1e3", "1000.0" }, { ".5 + 5.", "5.5" }, { "True + True", "2" },
  { "math.pi", "3.141592653589793" }, { "2 ** 0.5", "1.4142135623730951" }, { "10 == 10.0", "1" },
  { "1 != 1", "0" }, { "3 % 2.0", "1.0" }, { "1if 1 else 2", "1" }, { "(\n1 +\t2 )", "3" },
};

START_TEST(test_python_values)
{
  for (guint k = 0; k < G_N_ELEMENTS(python_values); k++)
    expect(python_values[k][0], python_values[k][1]);
}
END_TEST

START_TEST(test_variables)
{
  static const char *const names[] = { "ban.Time", "ban.Count", "banFactor", NULL };
  GError *error = NULL;
  g_autoptr(F2bPyExpr) e = f2b_pyexpr_compile("ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor",
                                              -1, names, F2B_PYEXPR_NONE, &error);
  ck_assert_ptr_nonnull(e);
  F2bPyNum v[3] = { f2b_pynum_int(600), f2b_pynum_int(3), f2b_pynum_int(1) }, r;
  ck_assert(f2b_pyexpr_eval(e, v, &r, &error));
  ck_assert(!r.is_float);
  ck_assert_int_eq(r.i, 4800);
  v[1] = f2b_pynum_int(25);
  v[2] = f2b_pynum_float(1.5);
  ck_assert(f2b_pyexpr_eval(e, v, &r, &error));
  ck_assert(r.is_float);
  ck_assert_double_eq(r.f, 600.0 * 1048576 * 1.5);
  /* a name outside the list, even a prefix of one, is refused */
  F2bPyExpr *bad = f2b_pyexpr_compile("ban.Foo", -1, names, F2B_PYEXPR_NONE, &error);
  ck_assert_ptr_null(bad);
  ck_assert_int_eq(error->code, F2B_PYEXPR_ERROR_NAME);
  ck_assert_str_eq(error->message, "name 'ban.Foo' is not defined or not allowed");
  g_clear_error(&error);
  /* a variable is not callable */
  ck_assert_ptr_null(f2b_pyexpr_compile("banFactor(1)", -1, names, F2B_PYEXPR_NONE, &error));
  ck_assert_int_eq(error->code, F2B_PYEXPR_ERROR_NAME);
  g_clear_error(&error);
}
END_TEST

START_TEST(test_overflow)
{
  expect_error("2**63", F2B_PYEXPR_ERROR_VALUE, "integer out of range");
  expect_error("9223372036854775807 + 1", F2B_PYEXPR_ERROR_VALUE, "integer out of range");
  expect_error("99999999999999999999", F2B_PYEXPR_ERROR_VALUE, "integer out of range");
  expect_error("1 << 64", F2B_PYEXPR_ERROR_VALUE, "integer out of range");
  g_autofree char *a = run("2**63", F2B_PYEXPR_INT_OVERFLOW_TO_FLOAT);
  ck_assert_str_eq(a, "9.223372036854776e+18");
  g_autofree char *b = run("min(2**100, 600)", F2B_PYEXPR_INT_OVERFLOW_TO_FLOAT);
  ck_assert_str_eq(b, "600");
  g_autofree char *c = run("1 << 100", F2B_PYEXPR_INT_OVERFLOW_TO_FLOAT);
  ck_assert_str_eq(c, "1.2676506002282294e+30");
  /* huge exponents cost nothing and end in an error or a float */
  expect_error("2**2**2**2**2**2", F2B_PYEXPR_ERROR_VALUE, "integer out of range");
  expect_error("2.0**100000", F2B_PYEXPR_ERROR_VALUE, "numerical result out of range");
  g_autofree char *d = run("(-1)**999999999999999", F2B_PYEXPR_NONE);
  ck_assert_str_eq(d, "-1");
  g_autofree char *e = run("1e308*10", F2B_PYEXPR_NONE); /* Python gives inf for float products */
  ck_assert_str_eq(e, "inf");
}
END_TEST

START_TEST(test_value_errors)
{
  expect_error("1/0", F2B_PYEXPR_ERROR_VALUE, "division by zero");
  expect_error("1.0/0", F2B_PYEXPR_ERROR_VALUE, "float division by zero");
  expect_error("1//0", F2B_PYEXPR_ERROR_VALUE, "integer division or modulo by zero");
  expect_error("1%0", F2B_PYEXPR_ERROR_VALUE, "integer modulo by zero");
  expect_error("1.5%0", F2B_PYEXPR_ERROR_VALUE, "float modulo");
  expect_error("0**-1", F2B_PYEXPR_ERROR_VALUE, "0.0 cannot be raised to a negative power");
  expect_error("(-8)**0.5", F2B_PYEXPR_ERROR_VALUE, "complex");
  expect_error("math.log(0)", F2B_PYEXPR_ERROR_VALUE, "math domain error");
  expect_error("math.sqrt(-1)", F2B_PYEXPR_ERROR_VALUE, "math domain error");
  expect_error("math.exp(1000)", F2B_PYEXPR_ERROR_VALUE, "math range error");
  expect_error("math.log(2, 1)", F2B_PYEXPR_ERROR_VALUE, "float division by zero");
  expect_error("int(math.inf)", F2B_PYEXPR_ERROR_VALUE, "cannot convert float infinity to integer");
  expect_error("1.5 << 1", F2B_PYEXPR_ERROR_VALUE, "unsupported operand type(s) for <<: 'float' and 'int'");
  expect_error("1 << -1", F2B_PYEXPR_ERROR_VALUE, "negative shift count");
  expect_error("~1.5", F2B_PYEXPR_ERROR_VALUE, "bad operand type for unary ~");
  /* short-circuit: the failing side is never evaluated */
  expect("0 and 1/0", "0");
  expect("1 if 1 else 1/0", "1");
}
END_TEST

START_TEST(test_rejects_outside_subset)
{
  expect_error("__import__('os')", F2B_PYEXPR_ERROR_NAME, "function '__import__' is not defined or not allowed");
  expect_error("__import__", F2B_PYEXPR_ERROR_NAME, "name '__import__' is not defined or not allowed");
  expect_error("open(1)", F2B_PYEXPR_ERROR_NAME, "function 'open' is not defined or not allowed");
  expect_error("math.system(1)", F2B_PYEXPR_ERROR_NAME, "function 'math.system'");
  expect_error("os.system", F2B_PYEXPR_ERROR_NAME, "name 'os.system'");
  expect_error("().__class__", F2B_PYEXPR_ERROR_SYNTAX, "tuples are not allowed");
  expect_error("(1, 2)", F2B_PYEXPR_ERROR_SYNTAX, "tuples are not allowed");
  expect_error("[1][0]", F2B_PYEXPR_ERROR_SYNTAX, "'[' is not allowed");
  expect_error("lambda x: 1", F2B_PYEXPR_ERROR_SYNTAX, "'lambda' is not allowed");
  expect_error("1 in 2", F2B_PYEXPR_ERROR_SYNTAX, "'in' is not allowed");
  expect_error("x := 1", F2B_PYEXPR_ERROR_SYNTAX, "':' is not allowed (offset 2)");
  expect_error("1 @ 2", F2B_PYEXPR_ERROR_SYNTAX, "'@' is not allowed");
  expect_error("1j", F2B_PYEXPR_ERROR_SYNTAX, "complex");
  expect_error("1abc", F2B_PYEXPR_ERROR_SYNTAX, "invalid decimal literal");
  expect_error("007", F2B_PYEXPR_ERROR_SYNTAX, "leading zeros");
  expect_error("1__0", F2B_PYEXPR_ERROR_SYNTAX, "invalid decimal literal");
  expect_error("", F2B_PYEXPR_ERROR_SYNTAX, "empty expression");
  expect_error("  ", F2B_PYEXPR_ERROR_SYNTAX, "empty expression");
  expect_error("1 +", F2B_PYEXPR_ERROR_SYNTAX, "unexpected end");
  expect_error("(1", F2B_PYEXPR_ERROR_SYNTAX, "'(' was never closed");
  expect_error("1 2", F2B_PYEXPR_ERROR_SYNTAX, "invalid syntax at '2'");
  expect_error("1 if 2", F2B_PYEXPR_ERROR_SYNTAX, "expected 'else'");
  expect_error("max(1)", F2B_PYEXPR_ERROR_SYNTAX, "max() takes");
  expect_error("abs(1, 2)", F2B_PYEXPR_ERROR_SYNTAX, "abs() takes");
  expect_error("max(1 2)", F2B_PYEXPR_ERROR_SYNTAX, "expected ',' or ')'");
  expect_error("'a'", F2B_PYEXPR_ERROR_SYNTAX, "is not allowed");
  expect_error("1 < not 2", F2B_PYEXPR_ERROR_SYNTAX, "'not' is not allowed");
  expect_error("\xc3\xa9", F2B_PYEXPR_ERROR_SYNTAX, "character 0xc3");
  GError *error = NULL;
  F2bPyNum n;
  ck_assert(!f2b_pyexpr_eval_text("1\0+1", 4, F2B_PYEXPR_NONE, &n, &error));
  ck_assert_str_eq(error->message, "character 0x00 is not allowed (offset 1)");
  g_clear_error(&error);
}
END_TEST

START_TEST(test_limits)
{
  g_autoptr(GString) deep = g_string_new(NULL);
  for (int k = 0; k < 3000; k++)
    g_string_append_c(deep, '(');
  g_string_append_c(deep, '1');
  for (int k = 0; k < 3000; k++)
    g_string_append_c(deep, ')');
  expect_error(deep->str, F2B_PYEXPR_ERROR_LIMIT, "too deeply nested");

  g_autoptr(GString) minus = g_string_new(NULL);
  for (int k = 0; k < 5000; k++)
    g_string_append_c(minus, '-');
  g_string_append_c(minus, '1');
  expect_error(minus->str, F2B_PYEXPR_ERROR_LIMIT, "too deeply nested");

  /* a flat chain nests no parser call but grows the tree: bounded too */
  g_autoptr(GString) chain = g_string_new("1");
  for (int k = 0; k < 1000; k++)
    g_string_append(chain, "+1");
  expect_error(chain->str, F2B_PYEXPR_ERROR_LIMIT, "too deeply nested");

  g_autoptr(GString) wide = g_string_new("max(1");
  for (int k = 0; k < 3000; k++)
    g_string_append(wide, ",1");
  g_string_append_c(wide, ')');
  expect_error(wide->str, F2B_PYEXPR_ERROR_LIMIT, "too large");

  g_autoptr(GString) spaces = g_string_new("1");
  for (int k = 0; k < F2B_PYEXPR_MAX_TEXT; k++)
    g_string_append_c(spaces, ' ');
  expect_error(spaces->str, F2B_PYEXPR_ERROR_LIMIT, "too long");

  /* just inside the limits */
  g_autoptr(GString) ok = g_string_new("1");
  for (int k = 0; k < 150; k++)
    g_string_append(ok, "+1");
  expect(ok->str, "151");
  expect("((((((((((((((((((((1))))))))))))))))))))", "1");
  expect("2**2**3", "256");
}
END_TEST

START_TEST(test_repr)
{
  g_autofree char *a = f2b_pynum_repr(f2b_pynum_float(1e16));
  ck_assert_str_eq(a, "1e+16");
  g_autofree char *b = f2b_pynum_repr(f2b_pynum_float(600));
  ck_assert_str_eq(b, "600.0");
  g_autofree char *c = f2b_pynum_repr(f2b_pynum_int(-1));
  ck_assert_str_eq(c, "-1");
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("pyexpr");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_python_values);
  tcase_add_test(tc, test_variables);
  tcase_add_test(tc, test_overflow);
  tcase_add_test(tc, test_value_errors);
  tcase_add_test(tc, test_rejects_outside_subset);
  tcase_add_test(tc, test_limits);
  tcase_add_test(tc, test_repr);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

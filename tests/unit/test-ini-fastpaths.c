/* test-ini-fastpaths.c - ini.c's shortcuts agree with its general paths.
 *
 * The reader takes shortcuts for speed: maps index their keys once they
 * grow, strings are shared between copies, lines are parsed in place, and
 * f2b_ini_has_option_vars() answers what a failing get() would say.  These
 * tests pin each shortcut to the behaviour of the path it stands in for.
 * (They belong in test-ini.c; they live apart until its main() settles.) */
#include "check-main.h"
#include <stdlib.h>
#include <string.h>

#include "ini.h"

static F2bIni *
parse_ok(const char *text, gsize len)
{
  F2bIni *ini = f2b_ini_new();
  GError *error = NULL;
  gboolean ok = f2b_ini_parse(ini, "t.conf", text, len, &error);
  ck_assert_msg(ok, "parse failed: %s", error ? error->message : "?");
  return ini;
}

/* has_option_vars must say TRUE exactly when get() finds the option. */
static void
assert_presence(F2bIni *ini, const char *sec, const char *opt, const F2bIniMap *vars, gboolean expected)
{
  GError *error = NULL;
  g_autofree char *v = f2b_ini_get(ini, sec, opt, vars, TRUE, &error);
  ck_assert_msg((v != NULL) == expected, "get(%s, %s): %s", sec, opt, error ? error->message : "found");
  ck_assert_msg(f2b_ini_has_option_vars(ini, sec, opt, vars) == expected, "has_option_vars(%s, %s)", sec, opt);
  if (error)
    g_error_free(error);
}

START_TEST(test_has_option_vars_matches_get)
{
  const char *text = "[DEFAULT]\nd = 1\n[s]\nown = 2\nMixed = 3\n";
  g_autoptr(F2bIni) ini = parse_ok(text, strlen(text));
  g_autoptr(F2bIniMap) lower = f2b_ini_map_new();
  f2b_ini_map_set(lower, "fromvars", "v");
  g_autoptr(F2bIniMap) upper = f2b_ini_map_new();
  f2b_ini_map_set(upper, "UpperVar", "u");
  f2b_ini_map_set(upper, "none", NULL);

  assert_presence(ini, "s", "own", NULL, TRUE);
  assert_presence(ini, "s", "OWN", NULL, TRUE);
  assert_presence(ini, "s", "mixed", NULL, TRUE);
  assert_presence(ini, "s", "d", NULL, TRUE);
  assert_presence(ini, "s", "missing", NULL, FALSE);
  assert_presence(ini, "s", "fromvars", lower, TRUE);
  assert_presence(ini, "s", "FromVars", lower, TRUE);
  assert_presence(ini, "s", "fromvars", NULL, FALSE);
  assert_presence(ini, "s", "uppervar", upper, TRUE);
  assert_presence(ini, "s", "UPPERVAR", upper, TRUE);
  assert_presence(ini, "s", "none", upper, TRUE);
  assert_presence(ini, "s", "missing", upper, FALSE);
  assert_presence(ini, "DEFAULT", "d", NULL, TRUE);
  assert_presence(ini, "DEFAULT", "own", NULL, FALSE);
  assert_presence(ini, "nosection", "d", NULL, FALSE);
  assert_presence(ini, "nosection", "fromvars", lower, FALSE);
}
END_TEST

START_TEST(test_large_map_index)
{
  g_autoptr(F2bIniMap) m = f2b_ini_map_new();
  for (guint i = 0; i < 100; i++) {
    g_autofree char *k = g_strdup_printf("key%u", i);
    g_autofree char *v = g_strdup_printf("v%u", i);
    f2b_ini_map_set(m, k, v);
  }
  f2b_ini_map_set(m, "key7", "seven");
  f2b_ini_map_set(m, "none", NULL);
  ck_assert_uint_eq(f2b_ini_map_size(m), 101);
  ck_assert_str_eq(f2b_ini_map_key(m, 7), "key7");
  ck_assert_str_eq(f2b_ini_map_value(m, 7), "seven");
  ck_assert(f2b_ini_map_contains(m, "none"));
  ck_assert_ptr_null(f2b_ini_map_get(m, "none"));
  ck_assert(!f2b_ini_map_contains(m, "key100"));

  g_autoptr(F2bIniMap) copy = f2b_ini_map_copy(m);
  f2b_ini_map_set(copy, "key0", "changed");
  f2b_ini_map_set(copy, "extra", "x");
  ck_assert_str_eq(f2b_ini_map_get(m, "key0"), "v0");
  ck_assert(!f2b_ini_map_contains(m, "extra"));
  ck_assert_str_eq(f2b_ini_map_get(copy, "key99"), "v99");

  ck_assert(f2b_ini_map_remove(m, "key50"));
  ck_assert(!f2b_ini_map_remove(m, "key50"));
  ck_assert_uint_eq(f2b_ini_map_size(m), 100);
  ck_assert_str_eq(f2b_ini_map_key(m, 50), "key51");
  for (guint i = 51; i < 100; i++) {
    g_autofree char *k = g_strdup_printf("key%u", i);
    g_autofree char *v = g_strdup_printf("v%u", i);
    ck_assert_str_eq(f2b_ini_map_get(m, k), v);
  }
  ck_assert_str_eq(f2b_ini_map_get(copy, "key50"), "v50");

  /* update appends new keys in SRC's order and overwrites in place */
  g_autoptr(F2bIniMap) dst = f2b_ini_map_new();
  f2b_ini_map_set(dst, "key3", "old");
  f2b_ini_map_update(dst, copy);
  ck_assert_str_eq(f2b_ini_map_key(dst, 0), "key3");
  ck_assert_str_eq(f2b_ini_map_value(dst, 0), "v3");
  ck_assert_str_eq(f2b_ini_map_key(dst, 1), "key0");
  ck_assert_str_eq(f2b_ini_map_value(dst, 1), "changed");
  ck_assert_uint_eq(f2b_ini_map_size(dst), 102);
}
END_TEST

START_TEST(test_line_endings)
{
  /* universal newlines, as fail2ban's open() reads files */
  const char *text = "[s]\r\na = 1\r\n  two\r\nb = x\rc = y";
  g_autoptr(F2bIni) ini = parse_ok(text, strlen(text));
  F2bIniMap *s = f2b_ini_section(ini, "s");
  ck_assert_str_eq(f2b_ini_map_get(s, "a"), "1\ntwo");
  ck_assert_str_eq(f2b_ini_map_get(s, "b"), "x");
  ck_assert_str_eq(f2b_ini_map_get(s, "c"), "y");

  /* comment lines inside a value are dropped, empty lines kept, trailing ones cut */
  const char *text2 = "[s]\nx = 1\n  ;c\n\n  z\n\n\n[t]\ny = \xc2\xa0 v \xc2\xa0\n";
  g_autoptr(F2bIni) ini2 = parse_ok(text2, strlen(text2));
  ck_assert_str_eq(f2b_ini_map_get(f2b_ini_section(ini2, "s"), "x"), "1\n\nz");
  ck_assert_str_eq(f2b_ini_map_get(f2b_ini_section(ini2, "t"), "y"), "v");
}
END_TEST

START_TEST(test_error_lines_keep_their_newline)
{
  static const struct {
    const char *text;
    const char *message;
  } cases[] = {
    { "[s]\nok = 1\nbad\n", "Source contains parsing errors: 't.conf'\n\t[line  3]: 'bad\\n'" },
    { "[s]\nok = 1\nbad", "Source contains parsing errors: 't.conf'\n\t[line  3]: 'bad'" },
    { "[s]\r\nbad\r\n", "Source contains parsing errors: 't.conf'\n\t[line  2]: 'bad\\n'" },
    { "x = 1\n", "File contains no section headers.\nfile: 't.conf', line: 1\n'x = 1\\n'" },
    { "x = 1", "File contains no section headers.\nfile: 't.conf', line: 1\n'x = 1'" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(F2bIni) ini = f2b_ini_new();
    GError *error = NULL;
    ck_assert(!f2b_ini_parse(ini, "t.conf", cases[i].text, strlen(cases[i].text), &error));
    ck_assert_str_eq(error->message, cases[i].message);
    g_error_free(error);
  }
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("ini-fastpaths");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_has_option_vars_matches_get);
  tcase_add_test(tc, test_large_map_index);
  tcase_add_test(tc, test_line_endings);
  tcase_add_test(tc, test_error_lines_keep_their_newline);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

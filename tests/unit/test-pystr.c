/* test-pystr.c - str.isspace(), str.strip() and int() as CPython 3.11 has them
 * (the expected values were taken from Debian's python3.11). */
#include "check-main.h"
#include <string.h>

#include "pystr.h"

/* Every code point str.isspace() accepts, and nothing else. */
START_TEST(test_isspace_exact_set)
{
  static const gunichar spaces[] = {
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
    0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
    0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
  };
  gsize next = 0;
  for (gunichar c = 0; c <= 0x10ffff; c++) {
    gboolean want = next < G_N_ELEMENTS(spaces) && spaces[next] == c;
    if (want)
      next++;
    if (f2b_pystr_isspace(c) != want) /* not ck_assert: it marks every call */
      ck_abort_msg("U+%04X", c);
  }
}
END_TEST

static void
assert_strip(const char *text, const char *want)
{
  const char *b = text, *e = text + strlen(text);
  f2b_pystr_strip(&b, &e);
  ck_assert_uint_eq((gsize) (e - b), strlen(want));
  ck_assert_int_eq(memcmp(b, want, strlen(want)), 0);
}

START_TEST(test_strip)
{
  assert_strip("  a b\t\n", "a b");
  assert_strip("\x0b\x1c" "x\xc2\x85", "x");             /* \v, U+001C, U+0085 */
  assert_strip("\xe2\x80\x83" "\xc3\xa9\xe2\x80\xa8", "\xc3\xa9"); /* em space, U+2028 */
  assert_strip("\xe2\x80\x8b" "x", "\xe2\x80\x8b" "x");  /* zero-width space is not space */
  assert_strip(" \t ", "");
  assert_strip("", "");
}
END_TEST

START_TEST(test_to_int)
{
  static const struct {
    const char *text;
    gboolean ok;
    gint64 value;
  } cases[] = {
    { "0", TRUE, 0 }, { "42", TRUE, 42 }, { "007", TRUE, 7 }, { " 5", TRUE, 5 },
    { "+07", TRUE, 7 }, { "-12", TRUE, -12 }, { "1_000", TRUE, 1000 },
    { "\xd9\xa2\xd9\xa0", TRUE, 20 },                       /* Arabic-Indic digits */
    { "\xe2\x80\x83" "9\t", TRUE, 9 }, { "\x0b" "5\x0c", TRUE, 5 },
    { "\xc2\x85" "5\xc2\xa0", TRUE, 5 },                    /* U+0085, U+00A0 */
    { "\x1c" "5", FALSE, 0 }, { "5\x1f", FALSE, 0 },        /* isspace() but not for int() */
    { "", FALSE, 0 }, { " ", FALSE, 0 }, { "+", FALSE, 0 }, { "_1", FALSE, 0 },
    { "1__0", FALSE, 0 }, { "1_", FALSE, 0 }, { "x", FALSE, 0 }, { "1 2", FALSE, 0 },
    { "- 1", FALSE, 0 }, { "0x10", FALSE, 0 }, { "\xff", FALSE, 0 }, { "1\xff", FALSE, 0 },
    { "9223372036854775807", TRUE, G_MAXINT64 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    gint64 v = -1;
    gboolean saturated = TRUE;
    gboolean ok = f2b_pystr_to_int(cases[i].text, strlen(cases[i].text), &v, &saturated);
    ck_assert_msg(ok == cases[i].ok, "'%s'", cases[i].text);
    if (ok) {
      ck_assert_int_eq(v, cases[i].value);
      ck_assert(!saturated);
    }
  }
  /* embedded NUL: not a digit */
  gint64 v;
  ck_assert(!f2b_pystr_to_int("1\0" "2", 3, &v, NULL));
}
END_TEST

START_TEST(test_to_int_saturates)
{
  gint64 v = 0;
  gboolean saturated = FALSE;
  ck_assert(f2b_pystr_to_int("99999999999999999999", 20, &v, &saturated));
  ck_assert_int_eq(v, G_MAXINT64);
  ck_assert(saturated);
  ck_assert(f2b_pystr_to_int("-9223372036854775808", 20, &v, &saturated));
  ck_assert_int_eq(v, -G_MAXINT64);
  ck_assert(saturated);
  ck_assert(f2b_pystr_to_int("-9223372036854775807", 20, &v, &saturated));
  ck_assert_int_eq(v, -G_MAXINT64);
  ck_assert(!saturated);
  ck_assert(f2b_pystr_to_int("1_000_000_000_000_000_000_000", 29, &v, NULL));
  ck_assert_int_eq(v, G_MAXINT64);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("pystr");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_isspace_exact_set);
  tcase_add_test(tc, test_strip);
  tcase_add_test(tc, test_to_int);
  tcase_add_test(tc, test_to_int_saturates);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

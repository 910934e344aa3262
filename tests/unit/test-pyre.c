/* test-pyre.c - Python re syntax in, PCRE2 syntax out; Python's refusals kept.
 * Every error text below is the one Python 3.11's re module gives for the same
 * pattern, except the UNSUPPORTED ones, which Python accepts. */
#include "check-main.h"
#include <string.h>

#include "pyre.h"

static const struct {
  const char *python, *pcre2;
} translations[] = {
    {"a{,3}", "a{0,3}"},              /* PCRE2 10.42 reads {,3} literally */
    {"a{,}", "a{0,}"},
    {"a{}", "a\\{\\}"},
    {"x{2}", "x{2,2}"},
    {"a{1,2}?b{3}+", "a{1,2}?b{3,3}+"},
    {"a{1,x}", "a\\{1\\,x\\}"},
    {"(?i)(?m)ab", "(?i)(?m)ab"},
    {"(?u)a", "a"},
    {"(?a)\\w", "\\w"},
    {"(?u:a)", "(?:a)"},
    {"(?-i:a)", "(?-i:a)"},
    {"(?x: a b )", "(?:ab)"},
    {"(?x)a # c\n b", "ab"},
    {"(?x)a b|c d", "ab|cd"},
    {"(?x)[ #]\\ ", "[\\ \\#]\\ "},
    {"\\u00e9", "\xc3\xa9"},
    {"\\U0001F600", "\xf0\x9f\x98\x80"},
    {"\\x41\\0\\07\\08", "A\\x{00}\\x{07}\\x{00}8"},
    {"(a)\\100", "(a)\\@"},
    {"(?>a+)a*+", "(?>a+)a*+"},
    {"(?<=(a|b)x)", "(?<=(a|b)x)"},
    {"(?P<a>x)(?(a)y|z)", "(x)(?(1)y|z)"},
    {"(?(2)y)(x)(y)", "(?(2)y)(x)(y)"},
    {"(?P<a>x)(?P=a)(a)\\1\\2", "(x)\\g{1}(a)\\g{1}\\g{2}"},
    {"(?P<na\xc3\xafve>x)", "(x)"},
    {"[[:alpha:]]", "[\\[\\:alpha\\:]\\]"}, /* no POSIX classes in Python */
    {"[\\b]", "[\\x{08}]"},
    {"[]a]", "[\\]a]"},
    {"[^]a]", "[^\\]a]"},
    {"[a-]", "[a\\-]"},
    {"[^[]*", "[^\\[]*"},
    {"(?#a\\)b)c", "c"},
    {"\\\xc3\xa9", "\xc3\xa9"},
    {"(?s).", "(?s)."},
    {"(a)(?<=\\1)", "(a)(?<=\\g{1})"},
    {"\\Z\\A\\b\\B", "\\z\\A\\b\\B"},
    {"\\s\\S", "[\\s\\x{1c}-\\x{1f}][^\\s\\x{1c}-\\x{1f}]"},
    {"(?a)\\s\\S", "\\s\\S"},
    {"[\\s\\S\\w]", "[\\s\\x{1c}-\\x{1f}\\S\\w]"},
    {"\\v\\a\\f\\n\\t\\r", "\\x{0b}\\x{07}\\x{0c}\\x{0a}\\x{09}\\x{0d}"},
    {"(?=a)*", "(?=a)*"},
    {"a\tb c", "a\\x{09}b\\ c"},
};

START_TEST(test_translation)
{
  for (gsize i = 0; i < G_N_ELEMENTS(translations); i++) {
    GError *error = NULL;
    g_autoptr(F2bPyre) re = f2b_pyre_translate(translations[i].python, &error);
    ck_assert_msg(re != NULL, "%s: %s", translations[i].python, error ? error->message : "");
    ck_assert_msg(strcmp(re->pattern, translations[i].pcre2) == 0, "%s -> %s, want %s",
                  translations[i].python, re->pattern, translations[i].pcre2);
  }
}
END_TEST

static const struct {
  const char *python, *message;
} syntax_errors[] = {
    {"a{2,1}", "min repeat greater than max repeat at position 2"},
    {"a(?i)b", "global flags not at the start of the expression at position 1"},
    {"(?i)|(?m)", "global flags not at the start of the expression at position 5"},
    {"(?L)a", "bad inline flags: cannot use 'L' flag with a str pattern at position 3"},
    {"(?-i)a", "missing : at position 4"},
    {"(?i-i:a)", "bad inline flags: flag turned on and off at position 5"},
    {"(?P>n)", "unknown extension ?P> at position 1"},
    {"(?<n>a)", "unknown extension ?<n at position 1"},
    {"(?'n'a)", "unknown extension ?' at position 1"},
    {"(?|a)", "unknown extension ?| at position 1"},
    {"(?R)", "unknown extension ?R at position 1"},
    {"a**", "multiple repeat at position 2"},
    {"a*?+", "multiple repeat at position 3"},
    {"x{2}{3}", "multiple repeat at position 4"},
    {"(*FAIL)", "nothing to repeat at position 1"},
    {"^*", "nothing to repeat at position 1"},
    {"(?<=a|bc)", "look-behind requires fixed-width pattern"},
    {"(?<=a+)", "look-behind requires fixed-width pattern"},
    {"(?(a)y|z)(?P<a>x)", "unknown group name 'a' at position 3"},
    {"(?(3)y)(x)(y)", "invalid group reference 3 at position 3"},
    {"(?(1)a|b|c)(x)", "conditional backref with more than two branches at position 8"},
    {"(?P<a>x)(?P<a>y)", "redefinition of group name 'a' as group 2; was group 1 at position 12"},
    {"(?P<1a>x)", "bad character in group name '1a' at position 4"},
    {"(?P=", "missing group name at position 4"},
    {"(?P<>a)", "missing group name at position 4"},
    {"(?P<a", "missing >, unterminated name at position 4"},
    {"(?P<a>(?P=a))", "cannot refer to an open group at position 10"},
    {"\\e", "bad escape \\e at position 0"},
    {"\\Q", "bad escape \\Q at position 0"},
    {"\\K", "bad escape \\K at position 0"},
    {"\\p{L}", "bad escape \\p at position 0"},
    {"[\\Z]", "bad escape \\Z at position 1"},
    {"\\x4", "incomplete escape \\x4 at position 0"},
    {"\\x{41}", "incomplete escape \\x at position 0"},
    {"\\1", "invalid group reference 1 at position 1"},
    {"(a)\\10", "invalid group reference 10 at position 4"},
    {"(a)\\400", "octal escape value \\400 outside of range 0-0o377 at position 3"},
    {"(?<=\\1)(a)", "invalid group reference 1 at position 5"},
    {"[\\d-z]", "bad character range \\d-z at position 1"},
    {"[a-\\d]", "bad character range a-\\d at position 1"},
    {"[z-a]", "bad character range z-a at position 1"},
    {"a|b)", "unbalanced parenthesis at position 3"},
    {"(a", "missing ), unterminated subpattern at position 0"},
    {"[abc", "unterminated character set at position 0"},
    {"\\", "bad escape (end of pattern) at position 0"},
    {"(?#abc", "missing ), unterminated comment at position 0"},
    {"ab\n(c", "missing ), unterminated subpattern at position 3 (line 2, column 1)"},
};

START_TEST(test_syntax_errors)
{
  for (gsize i = 0; i < G_N_ELEMENTS(syntax_errors); i++) {
    GError *error = NULL;
    F2bPyre *re = f2b_pyre_translate(syntax_errors[i].python, &error);
    ck_assert_msg(re == NULL, "%s was accepted", syntax_errors[i].python);
    ck_assert_msg(g_error_matches(error, F2B_PYRE_ERROR, F2B_PYRE_ERROR_SYNTAX), "%s",
                  syntax_errors[i].python);
    ck_assert_msg(strcmp(error->message, syntax_errors[i].message) == 0, "%s: got '%s' want '%s'",
                  syntax_errors[i].python, error->message, syntax_errors[i].message);
    g_error_free(error);
  }
}
END_TEST

/* Valid Python, refused because PCRE2 cannot say it. */
START_TEST(test_unsupported)
{
  const char *patterns[] = {"\\N{LATIN SMALL LETTER E WITH ACUTE}", "\\ud800", "(?a:a)", "(?t)a",
                            "[\\udc00-\\udcff]"};
  for (gsize i = 0; i < G_N_ELEMENTS(patterns); i++) {
    GError *error = NULL;
    ck_assert_ptr_null(f2b_pyre_translate(patterns[i], &error));
    ck_assert_msg(g_error_matches(error, F2B_PYRE_ERROR, F2B_PYRE_ERROR_UNSUPPORTED), "%s: %s",
                  patterns[i], error->message);
    g_error_free(error);
  }
  GError *error = NULL;
  ck_assert_ptr_null(f2b_pyre_translate("\\N{DIGIT ONE}", &error));
  ck_assert_str_eq(error->message, "named Unicode escape \\N{DIGIT ONE} is not supported, write "
                                   "the character itself or \\uXXXX at position 0");
  g_clear_error(&error);
  ck_assert_ptr_null(f2b_pyre_translate("\xff", &error));
  ck_assert_str_eq(error->message, "regex is not valid UTF-8");
  g_clear_error(&error);
}
END_TEST

START_TEST(test_group_names)
{
  GError *error = NULL;
  g_autoptr(F2bPyre) re = f2b_pyre_translate(
      "(?P<a_very_long_group_name_of_more_than_32_chars>x)(y)(?:z)(?P<\xc3\xa9t\xc3\xa9>w)", &error);
  ck_assert_ptr_nonnull(re);
  ck_assert_uint_eq(re->n_groups, 3);
  ck_assert_str_eq(re->group_names[1], "a_very_long_group_name_of_more_than_32_chars");
  ck_assert_ptr_null(re->group_names[2]);
  ck_assert_str_eq(re->group_names[3], "\xc3\xa9t\xc3\xa9");
  ck_assert(!re->ascii);
  g_autoptr(F2bPyre) ascii = f2b_pyre_translate("(?a)x", &error);
  ck_assert(ascii->ascii);
  ck_assert_ptr_null(f2b_pyre_translate("(?a)(?u)x", &error));
  /* Python raises this one as a ValueError, without a position. */
  ck_assert_str_eq(error->message, "ASCII and UNICODE flags are incompatible");
  g_clear_error(&error);
}
END_TEST

START_TEST(test_offsets)
{
  GError *error = NULL;
  g_autoptr(F2bPyre) re = f2b_pyre_translate("\\s(?P<x>a{,2})\\Z", &error);
  ck_assert_str_eq(re->pattern, "[\\s\\x{1c}-\\x{1f}](a{0,2})\\z");
  /* Output "(" (17) comes from source offset 2, "a" (18) from 8, "{0,2}" (19..23)
   * from 9, "\z" (25) from 14. */
  ck_assert_uint_eq(f2b_pyre_source_offset(re, 0), 0);
  ck_assert_uint_eq(f2b_pyre_source_offset(re, 16), 0);
  ck_assert_uint_eq(f2b_pyre_source_offset(re, 17), 2);
  ck_assert_uint_eq(f2b_pyre_source_offset(re, 18), 8);
  ck_assert_uint_eq(f2b_pyre_source_offset(re, 21), 9);
  ck_assert_uint_eq(f2b_pyre_source_offset(re, 25), 14);
  /* dropped (a compiled pattern kept for its groups): every offset maps to 0, the
   * rest of the translation stays */
  f2b_pyre_drop_offsets(re);
  ck_assert_ptr_null(re->offset_map);
  ck_assert_uint_eq(f2b_pyre_source_offset(re, 25), 0);
  ck_assert_str_eq(re->group_names[1], "x");
  f2b_pyre_drop_offsets(re);
  g_autofree char *s1 = f2b_pyre_position_suffix("a\xc3\xa9z", 3);
  ck_assert_str_eq(s1, " at position 2");
  g_autofree char *s2 = f2b_pyre_position_suffix("ab\ncd", 4);
  ck_assert_str_eq(s2, " at position 4 (line 2, column 2)");
}
END_TEST

START_TEST(test_deep_nesting_is_refused)
{
  GString *p = g_string_new(NULL);
  for (int i = 0; i < 2000; i++)
    g_string_append_c(p, '(');
  for (int i = 0; i < 2000; i++)
    g_string_append_c(p, ')');
  GError *error = NULL;
  ck_assert_ptr_null(f2b_pyre_translate(p->str, &error));
  ck_assert(g_error_matches(error, F2B_PYRE_ERROR, F2B_PYRE_ERROR_UNSUPPORTED));
  g_error_free(error);
  g_string_free(p, TRUE);
}
END_TEST

/* f2b_pyre_compile: Python's semantics as PCRE2 options, PCRE2's refusals placed in
 * the Python source. */
START_TEST(test_compile)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bPyre) re = f2b_pyre_translate("\\w+$", &error);
  ck_assert_ptr_nonnull(re);
  pcre2_code *code = f2b_pyre_compile(re, "\\w+$", 0, &error);
  ck_assert_ptr_nonnull(code);
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
  /* Unicode \w; "$" before a final "\n" only, not before "\r" */
  ck_assert_int_eq(pcre2_match(code, (PCRE2_SPTR) "\xc3\xa9t\xc3\xa9\n", 6, 0, 0, md, NULL), 1);
  ck_assert_int_eq(pcre2_match(code, (PCRE2_SPTR) "ab\r", 3, 0, 0, md, NULL), PCRE2_ERROR_NOMATCH);
  /* a subject that is not UTF-8 is searched, its bad byte matches nothing */
  ck_assert_int_eq(pcre2_match(code, (PCRE2_SPTR) "\xff" "ab", 3, 0, 0, md, NULL), 1);
  ck_assert_uint_eq(pcre2_get_ovector_pointer(md)[0], 1);
  pcre2_match_data_free(md);
  pcre2_code_free(code);

  g_autoptr(F2bPyre) ascii = f2b_pyre_translate("(?a)^\\w$", &error);
  code = f2b_pyre_compile(ascii, "(?a)^\\w$", 0, &error);
  md = pcre2_match_data_create_from_pattern(code, NULL);
  ck_assert_int_eq(pcre2_match(code, (PCRE2_SPTR) "\xc3\xa9", 2, 0, 0, md, NULL), PCRE2_ERROR_NOMATCH);
  pcre2_match_data_free(md);
  pcre2_code_free(code);

  g_autoptr(F2bPyre) big = f2b_pyre_translate("ab x{70000}", &error);
  ck_assert_ptr_nonnull(big);
  ck_assert_ptr_null(f2b_pyre_compile(big, "ab x{70000}", 0, &error));
  ck_assert(g_error_matches(error, F2B_PYRE_ERROR, F2B_PYRE_ERROR_UNSUPPORTED));
  ck_assert_msg(strstr(error->message, "too big") && g_str_has_suffix(error->message, " at position 4 (PCRE2)"),
                "%s", error->message);
}
END_TEST

/* Tail elision: which patterns have an elidable "(.+)$" / "(.*)$" tail. */
static const struct {
  const char *python;
  guint group;        /* 0: none */
  gboolean nonempty;
} tails[] = {
    {"^(?P<mlfid>\\S+) (?P<content>.+)$", 2, TRUE},
    {"^a(.*)$", 1, FALSE},
    {"(?m)a(.+)$", 1, TRUE},
    {"(?x) a ( . + ) $ # the tail", 1, TRUE},
    {"a(.+)(?#c)$", 1, TRUE},
    {"a\\((.+)$", 1, TRUE},
    {"a[(](.+)$", 1, TRUE},
    {"(?i)(a)(.+)$", 2, TRUE},
    {"a|(.+)$", 0, FALSE},        /* the tail is one branch's */
    {"a(.+)$|b", 0, FALSE},
    {"(?s)a(.+)$", 0, FALSE},     /* "." matches "\n" */
    {"a(.+?)$", 0, FALSE},
    {"a(.++)$", 0, FALSE},
    {"a(?:.+)$", 0, FALSE},
    {"a(.+)\\$", 0, FALSE},
    {"a(.+)$b", 0, FALSE},
    {"(a(.+))$", 0, FALSE},
    {"a(?=(.+)$)", 0, FALSE},
    {"a(.)+$", 0, FALSE},
    {"a(b|.+)$", 0, FALSE},
    {"a(.+)", 0, FALSE},
    {"a(.+)$$", 0, FALSE},
    {"a(\\.+)$", 0, FALSE},
    {"a([.]+)$", 0, FALSE},
};

START_TEST(test_tail_detection)
{
  for (gsize i = 0; i < G_N_ELEMENTS(tails); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(F2bPyre) re = f2b_pyre_translate(tails[i].python, &error);
    ck_assert_msg(re != NULL, "%s: %s", tails[i].python, error ? error->message : "");
    ck_assert_msg(re->tail_group == tails[i].group, "%s: tail group %u", tails[i].python,
                  re->tail_group);
    if (tails[i].group)
      ck_assert_msg(re->tail_nonempty == tails[i].nonempty, "%s", tails[i].python);
    pcre2_code *code = f2b_pyre_compile_tail_for_ascii(re, tails[i].python, 0, &error);
    ck_assert_msg((code != NULL) == (tails[i].group != 0), "%s", tails[i].python);
    ck_assert_ptr_null(error);
    pcre2_code_free(code);
  }
}
END_TEST

/* The elided code and the full one on random ASCII subjects, among them lines that
 * end with "\n" and some with a "\n" inside (which the elided code must not serve):
 * where f2b_pyre_tail_applies, every group and the match's bounds agree. */
START_TEST(test_tail_equivalence)
{
  static const char *patterns[] = {
      "^(?P<mlfid>(?:\\S+\\s+)?(?:sshd(?:\\[\\d+\\])?:?\\s+)?)(?:error: )?(?P<content>.+)$",
      "^\\s*(\\S*)\\s*(.*)$",
      "(?m)(?:x|y+)(?P<c>.+)$",
      "a*(.*)$",
      "(b)?(?(1)c|d)(.+)$",
  };
  static const char alphabet[] = "abcdxy sshd[1]:\n\t error: 0";
  GRand *rand = g_rand_new_with_seed(1234);
  guint checked = 0, served = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(patterns); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(F2bPyre) re = f2b_pyre_translate(patterns[i], &error);
    ck_assert_ptr_nonnull(re);
    ck_assert_uint_gt(re->tail_group, 0);
    pcre2_code *full = f2b_pyre_compile_for_ascii(re, patterns[i], 0, &error);
    pcre2_code *tail = f2b_pyre_compile_tail_for_ascii(re, patterns[i], 0, &error);
    ck_assert_ptr_nonnull(full);
    ck_assert_ptr_nonnull(tail);
    pcre2_match_data *mf = pcre2_match_data_create_from_pattern(full, NULL);
    pcre2_match_data *mt = pcre2_match_data_create_from_pattern(tail, NULL);
    for (guint n = 0; n < 20000; n++) {
      char subject[24];
      gsize len = (gsize) g_rand_int_range(rand, 0, sizeof subject);
      for (gsize k = 0; k < len; k++)
        subject[k] = alphabet[g_rand_int_range(rand, 0, sizeof alphabet - 1)];
      if (len && g_rand_boolean(rand))
        subject[len - 1] = '\n';
      checked++;
      if (!f2b_pyre_tail_applies(subject, len))
        continue;
      served++;
      int rf = pcre2_match(full, (PCRE2_SPTR) subject, len, 0, 0, mf, NULL);
      int rt = pcre2_match(tail, (PCRE2_SPTR) subject, len, 0, 0, mt, NULL);
      ck_assert_msg(rf == rt, "%s on '%.*s': %d vs %d", patterns[i], (int) len, subject, rf, rt);
      if (rf < 0)
        continue;
      PCRE2_SIZE *of = pcre2_get_ovector_pointer(mf), *ot = pcre2_get_ovector_pointer(mt);
      guint g = re->tail_group;
      ot[2 * g + 1] = ot[1] = f2b_pyre_tail_end(subject, len, ot[2 * g]);
      for (int k = 0; k < 2 * rf; k++)
        ck_assert_msg(of[k] == ot[k], "%s on '%.*s': offset %d: %zu vs %zu", patterns[i],
                      (int) len, subject, k, (gsize) of[k], (gsize) ot[k]);
    }
    pcre2_match_data_free(mf);
    pcre2_match_data_free(mt);
    pcre2_code_free(full);
    pcre2_code_free(tail);
  }
  g_rand_free(rand);
  /* both kinds of subject were drawn */
  ck_assert_uint_gt(served, checked / 4);
  ck_assert_uint_lt(served, checked);
  ck_assert(f2b_pyre_tail_applies("", 0));
  ck_assert(f2b_pyre_tail_applies("ab\n", 3));
  ck_assert(!f2b_pyre_tail_applies("a\nb\n", 4));
  ck_assert(!f2b_pyre_tail_applies("\n\n", 2));
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("pyre");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_translation);
  tcase_add_test(tc, test_syntax_errors);
  tcase_add_test(tc, test_unsupported);
  tcase_add_test(tc, test_group_names);
  tcase_add_test(tc, test_offsets);
  tcase_add_test(tc, test_deep_nesting_is_refused);
  tcase_add_test(tc, test_compile);
  tcase_add_test(tc, test_tail_detection);
  tcase_add_test(tc, test_tail_equivalence);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

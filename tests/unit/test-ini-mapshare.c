/* test-ini-mapshare.c - the map helpers the readers use to share strings
 * and look names up in place, get() as a shared string, repeated options,
 * and the tag substitution built on them.
 *
 * f2b_ini_map_find_len() looks up a name cut out of a longer string,
 * f2b_ini_map_set_at() and f2b_ini_map_set_entry() set values without a
 * second lookup or copy; substituteRecursiveTags keeps fail2ban's results
 * and its recursion error text. */
#include "check-main.h"
#include <string.h>

#include "confreader.h"
#include "ini.h"

START_TEST(test_find_len)
{
  g_autoptr(F2bIniMap) m = f2b_ini_map_new();
  f2b_ini_map_set(m, "ab", "1");
  f2b_ini_map_set(m, "abc", "2");
  const char *text = "<abc> <ab>";
  ck_assert_int_eq(f2b_ini_map_find_len(m, text + 1, 3), 1);
  ck_assert_int_eq(f2b_ini_map_find_len(m, text + 7, 2), 0);
  ck_assert_int_eq(f2b_ini_map_find_len(m, text + 1, 1), -1);  /* "a": a prefix is not a key */
  ck_assert_int_eq(f2b_ini_map_find_len(m, "abcd", 4), -1);
  ck_assert_int_eq(f2b_ini_map_find_len(NULL, "ab", 2), -1);
  /* past the linear search: the index answers the same */
  for (int i = 0; i < 40; i++) {
    g_autofree char *k = g_strdup_printf("k%d", i);
    f2b_ini_map_set(m, k, k);
  }
  ck_assert_int_eq(f2b_ini_map_find_len(m, "k17xyz", 3), 19);
  ck_assert_int_eq(f2b_ini_map_find_len(m, "k4", 1), -1);
}
END_TEST

START_TEST(test_set_at_and_entry)
{
  g_autoptr(F2bIniMap) m = f2b_ini_map_new();
  f2b_ini_map_set(m, "a", "1");
  f2b_ini_map_set(m, "b", "2");
  f2b_ini_map_set_at(m, 1, "two");
  ck_assert_str_eq(f2b_ini_map_get(m, "b"), "two");
  f2b_ini_map_set_at(m, 0, NULL);
  ck_assert(f2b_ini_map_contains(m, "a"));
  ck_assert_ptr_null(f2b_ini_map_get(m, "a"));
  g_autoptr(F2bIniMap) d = f2b_ini_map_new();
  f2b_ini_map_set(d, "b", "old");
  f2b_ini_map_set_entry(d, m, 0);  /* new key: appended */
  f2b_ini_map_set_entry(d, m, 1);  /* existing key: keeps its place */
  ck_assert_uint_eq(f2b_ini_map_size(d), 2);
  ck_assert_str_eq(f2b_ini_map_key(d, 0), "b");
  ck_assert_str_eq(f2b_ini_map_value(d, 0), "two");
  ck_assert_str_eq(f2b_ini_map_key(d, 1), "a");
  ck_assert_ptr_null(f2b_ini_map_value(d, 1));
  /* the shared strings outlive the map they came from */
  g_clear_pointer(&m, f2b_ini_map_free);
  ck_assert_str_eq(f2b_ini_map_get(d, "b"), "two");
}
END_TEST

static F2bIni *
parse_ok(const char *text)
{
  F2bIni *ini = f2b_ini_new();
  GError *error = NULL;
  gboolean ok = f2b_ini_parse(ini, "t.conf", text, strlen(text), &error);
  ck_assert_msg(ok, "parse failed: %s", error ? error->message : "?");
  return ini;
}

/* get_ref answers what get answers, sharing the stored string when it can. */
START_TEST(test_get_ref)
{
  g_autoptr(F2bIni) ini = parse_ok("[DEFAULT]\nd = D\n[s]\nplain = P\nint = x%(d)s\nraw = %(d)s\n"
                                   "[KNOWN/s]\nk = K\n");
  GError *error = NULL;
  const char *names[] = { "plain", "int", "raw", "d", NULL };
  for (guint i = 0; names[i]; i++) {
    g_autofree char *v = f2b_ini_get(ini, "s", names[i], NULL, FALSE, &error);
    char *r = f2b_ini_get_ref(ini, "s", names[i], NULL, FALSE, &error);
    ck_assert_str_eq(r, v);
    g_ref_string_release(r);
  }
  char *r = f2b_ini_get_ref(ini, "s", "plain", NULL, FALSE, &error);
  ck_assert_ptr_eq(r, f2b_ini_map_get(f2b_ini_section(ini, "s"), "plain"));
  g_ref_string_release(r);
  r = f2b_ini_get_ref(ini, "s", "raw", NULL, TRUE, &error);
  ck_assert_str_eq(r, "%(d)s");
  g_ref_string_release(r);
  /* a var given as None reads as "None" */
  g_autoptr(F2bIniMap) vars = f2b_ini_map_new();
  f2b_ini_map_set(vars, "plain", NULL);
  r = f2b_ini_get_ref(ini, "s", "plain", vars, FALSE, &error);
  ck_assert_str_eq(r, "None");
  g_ref_string_release(r);
  /* get_ex_ref: known/ reads the shadow section, and errors stay errors */
  r = f2b_ini_get_ex_ref(ini, "s", "known/k", NULL, &error);
  ck_assert_str_eq(r, "K");
  g_ref_string_release(r);
  ck_assert_ptr_null(f2b_ini_get_ref(ini, "s", "nope", NULL, FALSE, &error));
  ck_assert_int_eq(error->code, F2B_INI_ERROR_NO_OPTION);
  g_clear_error(&error);
  ck_assert_ptr_null(f2b_ini_get_ex_ref(ini, "nosuch", "x", NULL, &error));
  ck_assert_int_eq(error->code, F2B_INI_ERROR_NO_SECTION);
  g_clear_error(&error);
}
END_TEST

START_TEST(test_take_ref)
{
  g_autoptr(F2bIniMap) m = f2b_ini_map_new();
  f2b_ini_map_take_ref(m, "a", g_ref_string_new("1"));
  f2b_ini_map_take_ref(m, "b", NULL);
  f2b_ini_map_take_ref(m, "a", g_ref_string_new("2"));  /* replaces, keeps the place */
  ck_assert_uint_eq(f2b_ini_map_size(m), 2);
  ck_assert_str_eq(f2b_ini_map_key(m, 0), "a");
  ck_assert_str_eq(f2b_ini_map_value(m, 0), "2");
  ck_assert(f2b_ini_map_contains(m, "b"));
  ck_assert_ptr_null(f2b_ini_map_get(m, "b"));
}
END_TEST

/* A file may not repeat an option in a section, even as another spelling;
 * the same name in another section, or in a later file, is fine. */
START_TEST(test_repeated_option)
{
  g_autoptr(F2bIni) ini = parse_ok("[a]\nx = 1\n[b]\nx = 2\n[DEFAULT]\nx = 3\n");
  ck_assert_str_eq(f2b_ini_map_get(f2b_ini_section(ini, "a"), "x"), "1");
  ck_assert_str_eq(f2b_ini_map_get(f2b_ini_defaults(ini), "x"), "3");
  GError *error = NULL;
  const char *again = "[a]\nx = 4\n";
  ck_assert(f2b_ini_parse(ini, "u.conf", again, strlen(again), &error));
  ck_assert_str_eq(f2b_ini_map_get(f2b_ini_section(ini, "a"), "x"), "4");
  g_autoptr(F2bIni) bad = f2b_ini_new();
  const char *dup = "[a]\nX = 1\n y\n[b]\nx = 2\n[a]\n";
  ck_assert(!f2b_ini_parse(bad, "d.conf", dup, strlen(dup), &error));
  ck_assert_str_eq(error->message, "While reading from 'd.conf' [line  6]: section 'a' already exists");
  g_clear_error(&error);
  g_autoptr(F2bIni) bad2 = f2b_ini_new();
  const char *dup3 = "[a]\nX = 1\n y\nx: 2\n";
  ck_assert(!f2b_ini_parse(bad2, "d.conf", dup3, strlen(dup3), &error));
  ck_assert_str_eq(error->message, "While reading from 'd.conf' [line  4]: option 'x' in section 'a' already exists");
  g_clear_error(&error);
}
END_TEST

static F2bIniMap *
subst(const char *const *pairs, GError **error)
{
  g_autoptr(F2bIniMap) m = f2b_ini_map_new();
  for (guint i = 0; pairs[i]; i += 2)
    f2b_ini_map_set(m, pairs[i], pairs[i + 1]);
  return f2b_confreader_substitute_tags(m, NULL, error);
}

START_TEST(test_subst_results)
{
  GError *error = NULL;
  /* later tags, repeated tags, missing tags, a tag built from two pieces */
  const char *const t[] = { "a", "<b>-<b> <x> <c", "b", "<c>", "c", "C", "d", "<<e>>", "e", "f", "f", "F",
                            "g", "<c>>", NULL };
  g_autoptr(F2bIniMap) r = subst(t, &error);
  ck_assert_ptr_nonnull(r);
  ck_assert_str_eq(f2b_ini_map_get(r, "a"), "C-C <x> <c");
  ck_assert_str_eq(f2b_ini_map_get(r, "b"), "C");
  ck_assert_str_eq(f2b_ini_map_get(r, "d"), "F");
  ck_assert_str_eq(f2b_ini_map_get(r, "g"), "C>");
  ck_assert_uint_eq(f2b_ini_map_size(r), 7);
  ck_assert_str_eq(f2b_ini_map_key(r, 6), "g");
}
END_TEST

/* A tag formed by a replacement behind the scan waits for the next pass;
 * values left with unknown tags only are not changed again. */
START_TEST(test_subst_later_passes)
{
  GError *error = NULL;
  const char *const t[] = { "a", "<x> <<b>", "b", "c>", "c", "<y>C", "d", "<a>|<x>", NULL };
  g_autoptr(F2bIniMap) r = subst(t, &error);
  ck_assert_ptr_nonnull(r);
  ck_assert_str_eq(f2b_ini_map_get(r, "a"), "<x> <y>C");
  ck_assert_str_eq(f2b_ini_map_get(r, "b"), "c>");
  ck_assert_str_eq(f2b_ini_map_get(r, "c"), "<y>C");
  ck_assert_str_eq(f2b_ini_map_get(r, "d"), "<x> <y>C|<x>");
}
END_TEST

START_TEST(test_subst_recursion_errors)
{
  GError *error = NULL;
  const char *const self[] = { "a", "x <b>", "b", "<a>", NULL };
  ck_assert_ptr_null(subst(self, &error));
  ck_assert_str_eq(error->message, "properties contain self referencing definitions and cannot be resolved, "
                                   "fail tag: a, found: a in {'b': 1}, value: x <a>");
  g_clear_error(&error);
  /* two tags that point at each other: the count passes 25 */
  const char *const loop[] = { "a", "<b>", "b", "<c>", "c", "<b>", NULL };
  ck_assert_ptr_null(subst(loop, &error));
  ck_assert_str_eq(error->message, "properties contain self referencing definitions and cannot be resolved, "
                                   "fail tag: a, found: b in {'b': 26, 'c': 26}, value: <b>");
  g_clear_error(&error);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("ini-mapshare");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_find_len);
  tcase_add_test(tc, test_set_at_and_entry);
  tcase_add_test(tc, test_get_ref);
  tcase_add_test(tc, test_take_ref);
  tcase_add_test(tc, test_repeated_option);
  tcase_add_test(tc, test_subst_results);
  tcase_add_test(tc, test_subst_later_passes);
  tcase_add_test(tc, test_subst_recursion_errors);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

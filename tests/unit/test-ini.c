/* test-ini.c - the configparser semantics fail2ban's files rely on. */
#include "check-main.h"
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"

static F2bIni *
parse_ok(const char *text)
{
  F2bIni *ini = f2b_ini_new();
  GError *error = NULL;
  gboolean ok = f2b_ini_parse(ini, "t.conf", text, strlen(text), &error);
  ck_assert_msg(ok, "parse failed: %s", error ? error->message : "?");
  return ini;
}

static char *
get(F2bIni *ini, const char *sec, const char *opt)
{
  GError *error = NULL;
  char *v = f2b_ini_get(ini, sec, opt, NULL, FALSE, &error);
  ck_assert_msg(v != NULL, "get %s/%s: %s", sec, opt, error ? error->message : "?");
  return v;
}

static GError *
get_error(F2bIni *ini, const char *sec, const char *opt)
{
  GError *error = NULL;
  char *v = f2b_ini_get(ini, sec, opt, NULL, FALSE, &error);
  ck_assert_ptr_null(v);
  ck_assert_ptr_nonnull(error);
  return error;
}

START_TEST(test_basic_values_and_comments)
{
  g_autoptr(F2bIni) ini = parse_ok("# comment\n; other\n[s]\nA = 1 ; inline\nb: two;notcomment\n"
                                   "c=x #nothash\n  ; indented comment\n");
  g_autofree char *a = get(ini, "s", "a");
  g_autofree char *b = get(ini, "s", "B");
  g_autofree char *c = get(ini, "s", "c");
  ck_assert_str_eq(a, "1");
  ck_assert_str_eq(b, "two;notcomment");
  ck_assert_str_eq(c, "x #nothash");
}
END_TEST

START_TEST(test_continuation_lines)
{
  g_autoptr(F2bIni) ini = parse_ok("[s]\nv = first\n    second\n\n    third\n# c\n    fourth\n\n\nw = 2\n");
  g_autofree char *v = get(ini, "s", "v");
  ck_assert_str_eq(v, "first\nsecond\n\nthird\nfourth");
  g_autofree char *w = get(ini, "s", "w");
  ck_assert_str_eq(w, "2");
}
END_TEST

START_TEST(test_default_and_interpolation)
{
  g_autoptr(F2bIni) ini = parse_ok("[DEFAULT]\nbase = /var\n[s]\nlog = %(base)s/log\npct = 100%%\n"
                                   "me = %(__name__)s\ndeep = %(log)s/x\n");
  g_autofree char *log = get(ini, "s", "log");
  g_autofree char *pct = get(ini, "s", "pct");
  g_autofree char *me = get(ini, "s", "me");
  g_autofree char *deep = get(ini, "s", "deep");
  ck_assert_str_eq(log, "/var/log");
  ck_assert_str_eq(pct, "100%");
  ck_assert_str_eq(me, "s");
  ck_assert_str_eq(deep, "/var/log/x");
}
END_TEST

START_TEST(test_interpolation_errors)
{
  g_autoptr(F2bIni) ini = parse_ok("[s]\nmissing = %(nope)s\nbad = %(x\nloop = %(loop2)s\n"
                                   "loop2 = %(loop)s\nlone = 5%\n");
  g_autoptr(GError) e1 = get_error(ini, "s", "missing");
  ck_assert_int_eq(e1->code, F2B_INI_ERROR_INTERPOLATION_MISSING);
  ck_assert_str_eq(e1->message, "Bad value substitution: option 'missing' in section 's' contains an "
                                "interpolation key 'nope' which is not a valid option name. Raw value: "
                                "'%(nope)s'");
  g_autoptr(GError) e2 = get_error(ini, "s", "bad");
  ck_assert_int_eq(e2->code, F2B_INI_ERROR_INTERPOLATION_SYNTAX);
  g_autoptr(GError) e3 = get_error(ini, "s", "loop");
  ck_assert_int_eq(e3->code, F2B_INI_ERROR_INTERPOLATION_DEPTH);
  g_autoptr(GError) e4 = get_error(ini, "s", "lone");
  ck_assert_int_eq(e4->code, F2B_INI_ERROR_INTERPOLATION_SYNTAX);
  g_autoptr(GError) e5 = get_error(ini, "nosuch", "x");
  ck_assert_int_eq(e5->code, F2B_INI_ERROR_NO_SECTION);
  ck_assert_str_eq(e5->message, "No section: 'nosuch'");
  g_autoptr(GError) e6 = get_error(ini, "s", "nosuch");
  ck_assert_int_eq(e6->code, F2B_INI_ERROR_NO_OPTION);
}
END_TEST

START_TEST(test_section_option_references)
{
  g_autoptr(F2bIni) ini = parse_ok("[DEFAULT]\nd = dv\n[a]\nx = ax\n[b]\nr1 = %(a/x)s\nr2 = %(default/d)s\n"
                                   "r3 = %(known/d)s\n");
  g_autofree char *r1 = get(ini, "b", "r1");
  g_autofree char *r2 = get(ini, "b", "r2");
  g_autofree char *r3 = get(ini, "b", "r3");
  ck_assert_str_eq(r1, "ax");
  ck_assert_str_eq(r2, "dv");
  ck_assert_str_eq(r3, "dv");
}
END_TEST

START_TEST(test_vars_take_priority)
{
  g_autoptr(F2bIni) ini = parse_ok("[s]\nport = 22\nline = port %(port)s\n");
  g_autoptr(F2bIniMap) vars = f2b_ini_map_new();
  f2b_ini_map_set(vars, "Port", "2222");
  GError *error = NULL;
  g_autofree char *v = f2b_ini_get(ini, "s", "line", vars, FALSE, &error);
  ck_assert_str_eq(v, "port 2222");
  g_autofree char *raw = f2b_ini_get(ini, "s", "line", NULL, TRUE, &error);
  ck_assert_str_eq(raw, "port %(port)s");
}
END_TEST

static GError *
parse_error(const char *text)
{
  g_autoptr(F2bIni) ini = f2b_ini_new();
  GError *error = NULL;
  ck_assert(!f2b_ini_parse(ini, "t.conf", text, strlen(text), &error));
  ck_assert_ptr_nonnull(error);
  return error;
}

START_TEST(test_parse_errors)
{
  g_autoptr(GError) e1 = parse_error("key = v\n");
  ck_assert_str_eq(e1->message, "File contains no section headers.\nfile: 't.conf', line: 1\n'key = v\\n'");
  g_autoptr(GError) e2 = parse_error("[s]\na = 1\nA = 2\n");
  ck_assert_str_eq(e2->message, "While reading from 't.conf' [line  3]: option 'a' in section 's' already exists");
  g_autoptr(GError) e3 = parse_error("[s]\n[s]\n");
  ck_assert_int_eq(e3->code, F2B_INI_ERROR_DUPLICATE);
  g_autoptr(GError) e4 = parse_error("[s]\ngarbage line\n");
  ck_assert_str_eq(e4->message, "Source contains parsing errors: 't.conf'\n\t[line  2]: 'garbage line\\n'");
  g_autoptr(GError) e5 = parse_error("[s]\na = \xff\xfe\n");
  ck_assert_int_eq(e5->code, F2B_INI_ERROR_DECODE);
  ck_assert_str_eq(e5->message, "'utf-8' codec can't decode byte 0xff in position 8: invalid start byte");
}
END_TEST

/* The line an error quotes is copied by its length: a last line without a
 * newline was read one byte past the data, and a NUL cut the quote short (a heap
 * overflow found by fuzz-ini). Texts are Python configparser's. */
START_TEST(test_parse_error_quotes_line_by_length)
{
  static const char *const cases[][2] = {
    { "a\0b", "File contains no section headers.\nfile: 't.conf', line: 1\n'a\\x00b'" },
    { "[s]\nx\0y", "Source contains parsing errors: 't.conf'\n\t[line  2]: 'x\\x00y'" },
    { "[s]\nx\0y\n", "Source contains parsing errors: 't.conf'\n\t[line  2]: 'x\\x00y\\n'" },
    { "abc", "File contains no section headers.\nfile: 't.conf', line: 1\n'abc'" },
  };
  static const gsize lens[] = { 3, 7, 8, 3 };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    /* exactly LEN bytes on the heap, so that ASan sees a read past them */
    g_autofree char *data = g_memdup2(cases[i][0], lens[i]);
    g_autoptr(F2bIni) ini = f2b_ini_new();
    g_autoptr(GError) error = NULL;
    ck_assert(!f2b_ini_parse(ini, "t.conf", data, lens[i], &error));
    ck_assert_str_eq(error->message, cases[i][1]);
  }
}
END_TEST

START_TEST(test_binary_and_long_lines)
{
  GString *s = g_string_new("[s]\nlong = ");
  for (int i = 0; i < 200000; i++)
    g_string_append_c(s, 'a' + i % 26);
  g_string_append(s, "\nnul = a\0b\n");
  g_autoptr(F2bIni) ini = f2b_ini_new();
  GError *error = NULL;
  ck_assert(f2b_ini_parse(ini, "t.conf", s->str, s->len, &error));
  g_autofree char *v = get(ini, "s", "long");
  ck_assert_uint_eq(strlen(v), 200000);
  g_string_free(s, TRUE);
  /* \r and \r\n end lines too */
  g_autoptr(F2bIni) ini2 = parse_ok("[s]\r\na = 1\rb = 2\r\n");
  g_autofree char *b = get(ini2, "s", "b");
  ck_assert_str_eq(b, "2");
}
END_TEST

START_TEST(test_merge_conditional_and_known)
{
  g_autoptr(F2bIni) merged = f2b_ini_new();
  g_autoptr(F2bIni) a = parse_ok("[Init]\nx = 1\ny = 2\n[Init?family=inet6]\nx = 6\n");
  g_autoptr(F2bIni) b = parse_ok("[Init]\nx = 10\n");
  f2b_ini_merge(merged, a);
  f2b_ini_merge(merged, b);
  F2bIniMap *init = f2b_ini_section(merged, "Init");
  ck_assert_str_eq(f2b_ini_map_get(init, "x"), "10");
  ck_assert_str_eq(f2b_ini_map_get(init, "x?family=inet6"), "6");
  F2bIniMap *known = f2b_ini_section(merged, "KNOWN/Init");
  ck_assert_ptr_nonnull(known);
  ck_assert_str_eq(f2b_ini_map_get(known, "x"), "1");
  ck_assert(!f2b_ini_map_contains(known, "y"));
  ck_assert_ptr_null(f2b_ini_section(merged, "Init?family=inet6"));
}
END_TEST

static char *tmpdir;

static void
write_file(const char *rel, const char *text)
{
  g_autofree char *p = g_build_filename(tmpdir, rel, NULL);
  g_autofree char *d = g_path_get_dirname(p);
  g_mkdir_with_parents(d, 0700);
  ck_assert(g_file_set_contents(p, text, -1, NULL));
}

START_TEST(test_includes_and_local)
{
  tmpdir = g_dir_make_tmp("f2b-ini-XXXXXX", NULL);
  write_file("common.conf", "[INCLUDES]\nbefore = loop.conf\n[DEFAULT]\nc = common\n");
  write_file("loop.conf", "[INCLUDES]\nafter = common.conf\n[DEFAULT]\nl = loop\n");
  write_file("main.conf", "[INCLUDES]\nbefore = common.conf\nafter = post.conf\n[s]\nv = %(c)s-%(l)s\nw = main\n");
  write_file("main.local", "[s]\nw = local\n");
  write_file("post.conf", "[s]\np = post\n");
  g_autoptr(F2bIniCache) cache = f2b_ini_cache_new(NULL);
  g_autoptr(F2bIni) ini = f2b_ini_new();
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(names, g_build_filename(tmpdir, "main.conf", NULL));
  g_autoptr(GPtrArray) read = g_ptr_array_new_with_free_func(g_free);
  GError *error = NULL;
  ck_assert(f2b_ini_read_with_includes(ini, cache, names, read, &error));
  g_autofree char *v = get(ini, "s", "v");
  g_autofree char *w = get(ini, "s", "w");
  g_autofree char *p = get(ini, "s", "p");
  ck_assert_str_eq(v, "common-loop");
  ck_assert_str_eq(w, "local");
  ck_assert_str_eq(p, "post");
  /* loop.conf, common.conf, main.conf, post.conf, main.local */
  ck_assert_uint_eq(read->len, 5);
  ck_assert(g_str_has_suffix(read->pdata[0], "/loop.conf"));
  ck_assert(g_str_has_suffix(read->pdata[4], "/main.local"));
  F2bIniMap *known = f2b_ini_section(ini, "KNOWN/s");
  ck_assert_str_eq(f2b_ini_map_get(known, "w"), "main");
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
  ck_assert_int_eq(system(cmd), 0);
  g_free(tmpdir);
}
END_TEST

START_TEST(test_map_order)
{
  g_autoptr(F2bIniMap) m = f2b_ini_map_new();
  f2b_ini_map_set(m, "b", "1");
  f2b_ini_map_set(m, "a", "2");
  f2b_ini_map_set(m, "b", "3");
  f2b_ini_map_set(m, "n", NULL);
  ck_assert_str_eq(f2b_ini_map_key(m, 0), "b");
  ck_assert_str_eq(f2b_ini_map_value(m, 0), "3");
  ck_assert(f2b_ini_map_contains(m, "n"));
  ck_assert_ptr_null(f2b_ini_map_get(m, "n"));
  ck_assert(f2b_ini_map_remove(m, "b"));
  ck_assert_str_eq(f2b_ini_map_key(m, 0), "a");
  ck_assert_str_eq(f2b_ini_map_get(m, "a"), "2");
}
END_TEST

/* Asserts where SECTION/OPTION was written. */
static void
assert_location(F2bIni *ini, const char *section, const char *option, const char *file_suffix, guint line)
{
  const char *file = NULL;
  guint got = 0;
  ck_assert_msg(f2b_ini_get_location(ini, section, option, &file, &got), "no location for %s/%s", section,
                option);
  ck_assert_msg(g_str_has_suffix(file, file_suffix), "%s/%s in %s, not %s", section, option, file, file_suffix);
  ck_assert_uint_eq(got, line);
}

START_TEST(test_location_one_file)
{
  g_autoptr(F2bIni) ini = parse_ok("# head\n[DEFAULT]\nd = 1\n\n[s]\nfailregex = first\n"
                                   "            second\n# a comment inside\n\n            third\n"
                                   "ignoreregex =\n[Init?family=inet6]\nx = 6\n[Init]\nx = 4\n");
  assert_location(ini, "s", "failregex", "t.conf", 6);
  assert_location(ini, "s", "FailRegex", "t.conf", 6);
  assert_location(ini, "s", "ignoreregex", "t.conf", 11);
  /* DEFAULT's value, found as get() finds it */
  assert_location(ini, "s", "d", "t.conf", 3);
  assert_location(ini, "DEFAULT", "d", "t.conf", 3);
  ck_assert(!f2b_ini_get_location(ini, "s", "missing", NULL, NULL));
  ck_assert(!f2b_ini_get_location(ini, "nosection", "x", NULL, NULL));
  /* a value set by a program has no location, and replaces the one read */
  f2b_ini_map_set(f2b_ini_section(ini, "s"), "failregex", "set");
  ck_assert(!f2b_ini_get_location(ini, "s", "failregex", NULL, NULL));
  /* conditional sections keep their lines through the merge's renaming */
  g_autoptr(F2bIni) merged = f2b_ini_new();
  f2b_ini_merge(merged, ini);
  assert_location(merged, "Init", "x?family=inet6", "t.conf", 13);
  assert_location(merged, "Init", "x", "t.conf", 15);
  assert_location(merged, "s", "ignoreregex", "t.conf", 11);
}
END_TEST

static GArray *
value_lines(const char *text, guint start)
{
  GError *error = NULL;
  GArray *lines = f2b_ini_value_lines("t.conf", text, strlen(text), start, &error);
  ck_assert_msg(lines != NULL, "value_lines: %s", error ? error->message : "?");
  return lines;
}

START_TEST(test_location_value_lines)
{
  const char *text = "[s]\nfailregex = first\n            second\n# a comment inside\n  ; another\n\n"
                     "            third\n\r\nother = x\n            y\n";
  g_autoptr(F2bIni) ini = parse_ok(text);
  g_autofree char *v = get(ini, "s", "failregex");
  /* the value's lines: first, second, "", third (the comments are skipped) */
  ck_assert_str_eq(v, "first\nsecond\n\nthird");
  g_autoptr(GArray) lines = value_lines(text, 2);
  ck_assert_uint_ge(lines->len, 4);
  ck_assert_uint_eq(g_array_index(lines, guint, 0), 2);
  ck_assert_uint_eq(g_array_index(lines, guint, 1), 3);
  ck_assert_uint_eq(g_array_index(lines, guint, 2), 6);
  ck_assert_uint_eq(g_array_index(lines, guint, 3), 7);
  g_autoptr(GArray) other = value_lines(text, 9);
  ck_assert_uint_eq(other->len, 2);
  ck_assert_uint_eq(g_array_index(other, guint, 1), 10);
  /* an option whose value starts on the next line */
  const char *empty_first = "[Definition]\nfailregex =\n    a\n    b\n";
  g_autoptr(GArray) ef = value_lines(empty_first, 2);
  ck_assert_uint_eq(ef->len, 3);
  ck_assert_uint_eq(g_array_index(ef, guint, 2), 4);
  /* no option on that line, a file that does not parse */
  GError *error = NULL;
  ck_assert_ptr_null(f2b_ini_value_lines("t.conf", text, strlen(text), 3, &error));
  ck_assert_int_eq(error->code, F2B_INI_ERROR_NO_OPTION);
  ck_assert_str_eq(error->message, "t.conf: no option starts on line 3");
  g_clear_error(&error);
  ck_assert_ptr_null(f2b_ini_value_lines("t.conf", "x = 1\n", 6, 1, &error));
  ck_assert_int_eq(error->code, F2B_INI_ERROR_PARSE);
  g_clear_error(&error);
  ck_assert_ptr_null(f2b_ini_value_lines_file("/nonexistent/f2b.conf", 1, &error));
  ck_assert_ptr_nonnull(error);
  g_clear_error(&error);
}
END_TEST

START_TEST(test_location_includes_and_local)
{
  tmpdir = g_dir_make_tmp("f2b-ini-XXXXXX", NULL);
  write_file("common.conf", "[DEFAULT]\n# c\nc = common\n");
  write_file("main.conf", "[INCLUDES]\nbefore = common.conf\n[s]\nv = %(c)s\nw = main\n  more\nz = 1\n");
  write_file("main.local", "[s]\n\nw = local\n    two\n");
  g_autoptr(F2bIniCache) cache = f2b_ini_cache_new(NULL);
  g_autoptr(F2bIni) ini = f2b_ini_new();
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(names, g_build_filename(tmpdir, "main.conf", NULL));
  GError *error = NULL;
  ck_assert(f2b_ini_read_with_includes(ini, cache, names, NULL, &error));
  /* the .local's definition wins; the one it overrode is known/w */
  assert_location(ini, "s", "w", "/main.local", 3);
  assert_location(ini, "KNOWN/s", "w", "/main.conf", 5);
  assert_location(ini, "s", "v", "/main.conf", 4);
  assert_location(ini, "s", "c", "/common.conf", 3);
  assert_location(ini, "s", "z", "/main.conf", 7);
  /* a second reader of the same cache shares the parsed files and their table */
  g_autoptr(F2bIni) again = f2b_ini_new();
  g_autoptr(GPtrArray) local = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(local, g_build_filename(tmpdir, "main.local", NULL));
  ck_assert(f2b_ini_read_with_includes(again, cache, local, NULL, &error));
  assert_location(again, "s", "w", "/main.local", 3);
  /* the lines of the winning value, from its file */
  const char *file = NULL;
  guint line = 0;
  ck_assert(f2b_ini_get_location(ini, "s", "w", &file, &line));
  g_autoptr(GArray) lines = f2b_ini_value_lines_file(file, line, &error);
  ck_assert_ptr_nonnull(lines);
  ck_assert_uint_eq(lines->len, 2);
  ck_assert_uint_eq(g_array_index(lines, guint, 1), 4);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
  ck_assert_int_eq(system(cmd), 0);
  g_free(tmpdir);
}
END_TEST

START_TEST(test_location_merge_separate_tables)
{
  /* files parsed outside a cache have their own tables: a merge appends them */
  g_autoptr(F2bIni) a = f2b_ini_new();
  g_autoptr(F2bIni) b = f2b_ini_new();
  ck_assert(f2b_ini_parse(a, "a.conf", "[s]\nx = a\ny = a\n", 16, NULL));
  ck_assert(f2b_ini_parse(b, "b.conf", "[DEFAULT]\nd = b\n\n[s]\ny = b\n[Init?family=inet6]\nq = 1\n", 53, NULL));
  g_autoptr(F2bIni) all = f2b_ini_new();
  f2b_ini_merge(all, a);
  f2b_ini_merge(all, b);
  assert_location(all, "s", "x", "a.conf", 2);
  assert_location(all, "s", "y", "b.conf", 5);
  assert_location(all, "KNOWN/s", "y", "a.conf", 3);
  assert_location(all, "s", "d", "b.conf", 2);
  assert_location(all, "Init", "q?family=inet6", "b.conf", 7);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("ini");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_basic_values_and_comments);
  tcase_add_test(tc, test_continuation_lines);
  tcase_add_test(tc, test_default_and_interpolation);
  tcase_add_test(tc, test_interpolation_errors);
  tcase_add_test(tc, test_section_option_references);
  tcase_add_test(tc, test_vars_take_priority);
  tcase_add_test(tc, test_parse_errors);
  tcase_add_test(tc, test_parse_error_quotes_line_by_length);
  tcase_add_test(tc, test_binary_and_long_lines);
  tcase_add_test(tc, test_merge_conditional_and_known);
  tcase_add_test(tc, test_includes_and_local);
  tcase_add_test(tc, test_map_order);
  tcase_add_test(tc, test_location_one_file);
  tcase_add_test(tc, test_location_value_lines);
  tcase_add_test(tc, test_location_includes_and_local);
  tcase_add_test(tc, test_location_merge_separate_tables);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

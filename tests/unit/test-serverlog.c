/* test-serverlog.c - server/serverlog.c's pure helpers and server/pyexc.c. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "check-main.h"
#include "pyexc.h"
#include "serverlog.h"

START_TEST(test_parse_level)
{
  int level = -1;
  ck_assert(f2bs_log_parse_level("info", &level, NULL));
  ck_assert_int_eq(level, 20);
  ck_assert(f2bs_log_parse_level("TRACEDEBUG", &level, NULL));
  ck_assert_int_eq(level, 7);
  ck_assert(f2bs_log_parse_level("Notice", &level, NULL));
  ck_assert_int_eq(level, 25);
  ck_assert(f2bs_log_parse_level("3", &level, NULL));
  ck_assert_int_eq(level, 3);
  GError *error = NULL;
  ck_assert(!f2bs_log_parse_level("loud", &level, &error));
  ck_assert_str_eq(error->message, "Invalid log level 'loud'");
  g_error_free(error);
  ck_assert(!f2bs_log_parse_level("", &level, NULL));
}
END_TEST

START_TEST(test_level_names)
{
  const struct { int level; const char *name; } cases[] = {
    { 50, "CRITICAL" }, { 25, "NOTICE" }, { 18, "MSG" }, { 7, "TRACE" }, { 5, "HEAVY" }, { 3, "Level 3" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *n = f2bs_log_level_name(cases[i].level);
    ck_assert_str_eq(n, cases[i].name);
  }
}
END_TEST

START_TEST(test_format)
{
  g_autoptr(GString) out = g_string_new(NULL);
  f2bs_log_format(out, 1234567, "fail2ban.server", 4740, 20, "Starting Fail2ban v1.0.2", FALSE, TRUE);
  ck_assert_str_eq(out->str, "fail2ban.server         [4740]: INFO    Starting Fail2ban v1.0.2\n");
  g_string_truncate(out, 0);
  f2bs_log_format(out, 0, "fail2ban.actions", 1, 25, "[j] Ban 1.2.3.4", FALSE, FALSE);
  ck_assert_str_eq(out->str, "fail2ban.actions[1]: NOTICE [j] Ban 1.2.3.4\n");
  g_string_truncate(out, 0);
  /* the stamp: local time with milliseconds after a comma */
  g_setenv("TZ", "UTC", TRUE);
  tzset();
  f2bs_log_format(out, G_GINT64_CONSTANT(1764097892943123), "fail2ban.filter", 7, 40, "x", TRUE, TRUE);
  ck_assert_str_eq(out->str, "2025-11-25 19:11:32,943 fail2ban.filter         [7]: ERROR   x\n");
}
END_TEST

START_TEST(test_pyexc)
{
  GError *error = NULL;
  ck_assert(!f2bs_pyexc_set(&error, F2BS_PYEXC_UNKNOWN_JAIL, "%s", "nojail"));
  g_autofree char *r = f2bs_pyexc_repr(error);
  ck_assert_str_eq(r, "UnknownJailException('nojail')");
  g_autoptr(F2bPyObj) e = f2bs_pyexc_to_py(error);
  ck_assert_str_eq(f2b_py_instance_module(e), "fail2ban.exceptions");
  g_clear_error(&error);
  f2bs_pyexc_set(&error, F2BS_PYEXC_FILE_NOT_FOUND, "%s", "/x");
  g_autofree char *r2 = f2bs_pyexc_repr(error);
  ck_assert_str_eq(r2, "FileNotFoundError(2, 'No such file or directory')");
  g_autoptr(F2bPyObj) e2 = f2bs_pyexc_to_py(error);
  ck_assert_uint_eq(f2b_py_len(e2), 3); /* the file name travels in the pickle */
  g_clear_error(&error);
  f2bs_pyexc_index(&error);
  g_autofree char *r3 = f2bs_pyexc_repr(error);
  ck_assert_str_eq(r3, "IndexError('list index out of range')");
  g_clear_error(&error);
}
END_TEST

/* OSError from an errno: Python's subclass for it, args (errno, strerror). */
START_TEST(test_pyexc_errno)
{
  static const struct {
    int errnum;
    const char *repr;
  } cases[] = {
    { ENOENT, "FileNotFoundError(2, 'No such file or directory')" },
    { EACCES, "PermissionError(13, 'Permission denied')" },
    { EPERM, "PermissionError(1, 'Operation not permitted')" },
    { ENOTDIR, "NotADirectoryError(20, 'Not a directory')" },
    { EIO, "OSError(5, 'Input/output error')" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    ck_assert(!f2bs_pyexc_set_errno(&error, cases[i].errnum));
    ck_assert(g_error_matches(error, F2BS_PYEXC, F2BS_PYEXC_OS_ERROR));
    g_autofree char *r = f2bs_pyexc_repr(error);
    ck_assert_str_eq(r, cases[i].repr);
    g_autoptr(F2bPyObj) e = f2bs_pyexc_to_py(error);
    ck_assert_str_eq(f2b_py_instance_module(e), "builtins");
    ck_assert_uint_eq(f2b_py_len(e), 2); /* no file name */
  }
  /* a message of another shape stays the one argument of an OSError */
  g_autoptr(GError) odd = NULL;
  f2bs_pyexc_set(&odd, F2BS_PYEXC_OS_ERROR, "%s", "no errno here");
  g_autofree char *r = f2bs_pyexc_repr(odd);
  ck_assert_str_eq(r, "OSError('no errno here')");
}
END_TEST

START_TEST(test_journal_target)
{
  /* without journald (this machine's normal state) records are dropped without
   * an error, as python-systemd's send fails quietly into logging's handler;
   * tests/integration/test-journal-logtarget.py reads the records themselves */
  ck_assert(f2bs_log_set_target("SYSTEMD-JOURNAL", NULL));
  ck_assert_str_eq(f2bs_log_get_target(), "SYSTEMD-JOURNAL");
  ck_assert(f2bs_log_set_level("HEAVYDEBUG", NULL));
  f2bs_log(F2BS_LOG_ERROR, "fail2ban.test", "a record with a\nnewline");
  f2bs_log(F2BS_LOG_HEAVYDEBUG, "fail2ban.test", "%s", "debug");
  ck_assert_str_eq(f2bs_log_flush(), "flushed");
  ck_assert(f2bs_log_set_target("STDERR", NULL));
  f2bs_log_shutdown();
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("serverlog");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_parse_level);
  tcase_add_test(tc, test_level_names);
  tcase_add_test(tc, test_format);
  tcase_add_test(tc, test_pyexc);
  tcase_add_test(tc, test_pyexc_errno);
  tcase_add_test(tc, test_journal_target);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

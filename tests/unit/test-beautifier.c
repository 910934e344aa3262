/* test-beautifier.c - fail2ban-client's text for replies, checked against the
 * stock beautifier's output for the same command and reply (each expected
 * string was printed by fail2ban 1.0.2's Beautifier for that pair). */
#include "check-main.h"
#include <stdarg.h>
#include <string.h>

#include "beautifier.h"

/* Small constructors: every value is transfer full. */
#define S(s) f2b_py_str(s)
#define I(i) f2b_py_int(i)
#define N() f2b_py_none()
#define T(...) f2b_py_tuple_of(__VA_ARGS__, NULL)
#define CMD(...) f2b_py_list_of_strs(__VA_ARGS__, NULL)

static F2bPyObj *
L(F2bPyObj *first, ...)
{
  F2bPyObj *list = f2b_py_list_new();
  va_list ap;
  va_start(ap, first);
  for (F2bPyObj *item = first; item != NULL; item = va_arg(ap, F2bPyObj *))
    f2b_py_append(list, item);
  va_end(ap);
  return list;
}
#define L(...) L(__VA_ARGS__, NULL)
#define EMPTY() f2b_py_list_new()

/* Formats (CMD, REPLY), both transfer full, and checks text and failure flag. */
static void
check(F2bPyObj *cmd, F2bPyObj *reply, const char *want, gboolean want_failed)
{
  gboolean failed = !want_failed;
  g_autofree char *got = f2b_beautifier_format(cmd, reply, &failed);
  ck_assert_str_eq(got, want);
  ck_assert_int_eq(failed, want_failed);
  f2b_py_free(cmd);
  f2b_py_free(reply);
}

static void
check_error(F2bPyObj *exc, const char *want)
{
  g_autoptr(F2bPyObj) cmd = CMD("get");
  GError *error = NULL;
  g_autofree char *got = f2b_beautifier_format_error(cmd, exc, &error);
  ck_assert_ptr_null(error);
  ck_assert_str_eq(got, want);
  f2b_py_free(exc);
}

START_TEST(test_server_commands)
{
  check(CMD("ping"), S("pong"), "Server replied: pong", FALSE);
  check(CMD("version"), S("1.0.2"), "1.0.2", FALSE);
  check(CMD("stop"), N(), "Shutdown successful", FALSE);
  check(CMD("stop", "j"), N(), "Jail stopped", FALSE);
  check(CMD("stop"), I(1), "1", FALSE);
  check(CMD("start", "j"), N(), "Jail started", FALSE);
  check(CMD("add", "j", "auto"), S("j"), "Added jail j", FALSE);
  check(CMD("echo", "a", "b"), L(S("a"), S("b")), "a b", FALSE);
  check(CMD("flushlogs"), S("rolled over"), "logs: rolled over", FALSE);
  check(CMD("server-status"), S("Server ready"), "Server ready", FALSE);
  check(CMD("banned"), L(f2b_py_dict_new()), "[{}]", FALSE);
  check(CMD("unban", "--all"), I(0), "0", FALSE);
}
END_TEST

START_TEST(test_ping_with_timeout_is_not_a_str)
{
  g_autoptr(F2bPyObj) cmd = L(S("ping"), f2b_py_float(0.1));
  gboolean failed = FALSE;
  g_autoptr(F2bPyObj) five = I(5);
  g_autofree char *got = f2b_beautifier_format(cmd, five, &failed);
  ck_assert_str_eq(got, "55"); /* "Server replied: " + 5 raises: repr(5) + repr(5) */
  ck_assert(failed);
}
END_TEST

START_TEST(test_status)
{
  check(CMD("status"), L(T(S("Number of jail"), I(2)), T(S("Jail list"), S("a, b"))),
        "Status\n|- Number of jail:\t2\n`- Jail list:\ta, b", FALSE);
  check(CMD("status"), L(T(S("Number of jail"), I(2)), T(S("Jail list"), L(S("a"), I(1), N()))),
        "Status\n|- Number of jail:\t2\n`- Jail list:\ta 1 None", FALSE);
  check(CMD("status"), EMPTY(), "Status", FALSE);
  check(CMD("status", "j"),
        L(T(S("Filter"), L(T(S("Currently failed"), I(0)), T(S("Total failed"), I(0)),
                            T(S("File list"), L(S("/a"), S("/b"))))),
          T(S("Actions"), L(T(S("Currently banned"), I(1)), T(S("Total banned"), I(1)),
                             T(S("Banned IP list"), L(S("192.0.2.1")))))),
        "Status for the jail: j\n|- Filter\n|  |- Currently failed:\t0\n|  |- Total failed:\t0\n"
        "|  `- File list:\t/a /b\n`- Actions\n   |- Currently banned:\t1\n   |- Total banned:\t1\n"
        "   `- Banned IP list:\t192.0.2.1", FALSE);
  check(CMD("status", "j"), L(T(S("Actions"), L(T(S("Banned IP list"), EMPTY())))),
        "Status for the jail: j\n`- Actions\n   `- Banned IP list:\t", FALSE);
}
END_TEST

START_TEST(test_status_fallbacks)
{
  check(CMD("status"), I(5), "['Status']5", TRUE);
  check(CMD("status"), L(T(S("x"))), "['Status'][('x',)]", TRUE);
  check(CMD("status", "j"), L(T(S("Filter"), L(T(S("Currently failed"), I(0)))), T(S("Actions"), I(3))),
        "['Status for the jail: j', '|- Filter', '|  `- Currently failed:\\t0', '`- Actions']"
        "[('Filter', [('Currently failed', 0)]), ('Actions', 3)]", TRUE);
}
END_TEST

START_TEST(test_logging_and_database)
{
  check(CMD("get", "loglevel"), S("INFO"), "Current logging level is 'INFO'", FALSE);
  check(CMD("set", "loglevel"), I(25), "Current logging level is 'NOTICE'", FALSE);
  check(CMD("get", "loglevel"), I(7), "Current logging level is 'TRACE'", FALSE);
  check(CMD("get", "loglevel"), I(51), "Current logging level is 'Level 51'", FALSE);
  check(CMD("get", "loglevel"), f2b_py_bool(TRUE), "Current logging level is '#01-Lev.'", FALSE);
  check(CMD("get", "logtarget"), S("STDERR"), "Current logging target is:\n`- STDERR", FALSE);
  check(CMD("get", "syslogsocket"), N(), "'Current syslog socket is:\\n'None", TRUE);
  check(CMD("get", "dbfile"), N(), "Database currently disabled", FALSE);
  check(CMD("get", "dbfile"), S(":memory:"), "Current database file is:\n`- :memory:", FALSE);
  check(CMD("get", "dbpurgeage"), I(86400), "Current database purge age is:\n`- 86400seconds", FALSE);
  check(CMD("get", "dbpurgeage"), f2b_py_float(1.9), "Current database purge age is:\n`- 1seconds", FALSE);
  check(CMD("get", "dbpurgeage"), S("x"), "'Current database purge age is:\\n''x'", TRUE);
  check(CMD("get", "dbpurgeage"), N(), "Database currently disabled", FALSE);
}
END_TEST

START_TEST(test_jail_lists)
{
  check(CMD("get", "j", "logpath"), EMPTY(), "No file is currently monitored", FALSE);
  check(CMD("get", "j", "logpath"), L(S("/a"), S("/b")), "Current monitored log file(s):\n|- /a\n`- /b", FALSE);
  check(CMD("get", "j", "logpath"), L(S("/a"), I(1)), "'Current monitored log file(s):\\n|- /a\\n'['/a', 1]",
        TRUE);
  F2bPyObj *d = f2b_py_dict_new();
  f2b_py_dict_set(d, S("a"), I(1));
  check(CMD("get", "j", "logpath"), d, "'Current monitored log file(s):\\n'{'a': 1}", TRUE);
  check(CMD("get", "j", "logencoding"), S("UTF-8"), "Current log encoding is set to:\nUTF-8", FALSE);
  check(CMD("get", "j", "journalmatch"), EMPTY(), "No journal match filter set", FALSE);
  check(CMD("get", "j", "journalmatch"), L(CMD("_SYSTEMD_UNIT=a", "x=1"), CMD("b=2")),
        "Current match filter:\n_SYSTEMD_UNIT=a x=1 + b=2", FALSE);
  check(CMD("get", "j", "ignoreip"), EMPTY(), "No IP address/network is ignored", FALSE);
  check(CMD("set", "j", "addignoreip"), L(S("127.0.0.1/8"), S("::1")),
        "These IP addresses/networks are ignored:\n|- 127.0.0.1/8\n`- ::1", FALSE);
  check(CMD("get", "j", "failregex"), EMPTY(), "No regular expression is defined", FALSE);
  check(CMD("get", "j", "failregex"), CMD("a", "b", "c"),
        "The following regular expression are defined:\n|- [0]: a\n|- [1]: b\n`- [2]: c", FALSE);
  check(CMD("get", "j", "actions"), EMPTY(), "No actions for jail j", FALSE);
  check(CMD("get", "j", "actions"), CMD("dummy", "x"), "The jail j has the following actions:\ndummy, x", FALSE);
  check(CMD("get", "j", "actionproperties", "dummy"), CMD("a", "b"),
        "The jail j action dummy has the following properties:\na, b", FALSE);
  check(CMD("get", "j", "actionmethods", "dummy"), EMPTY(), "No methods for jail j action dummy", FALSE);
  check(CMD("get", "j", "actionmethods"), EMPTY(), "[][]", TRUE);
}
END_TEST

START_TEST(test_date_pattern)
{
  check(CMD("get", "j", "datepattern"), N(), "Current date pattern set to: Not set/required", FALSE);
  check(CMD("get", "j", "datepattern"), T(N(), S("Default Detectors")),
        "Current date pattern set to: Default Detectors", FALSE);
  check(CMD("get", "j", "datepattern"), T(S("%Y"), S("{^LN-BEG}Year")),
        "Current date pattern set to: %Y ({^LN-BEG}Year)", FALSE);
  check(CMD("get", "j", "datepattern"), CMD("a", "b"), "'Current date pattern set to: '['a', 'b']", TRUE);
}
END_TEST

START_TEST(test_banip_and_plain_values)
{
  check(CMD("get", "j", "banip"), CMD("1.2.3.4", "5.6.7.8"), "1.2.3.4 5.6.7.8", FALSE);
  check(CMD("get", "j", "banip", ","), CMD("1.2.3.4", "5.6.7.8"), "1.2.3.4,5.6.7.8", FALSE);
  check(CMD("get", "j", "banip", "--with-time"), CMD("a", "b"), "a\nb", FALSE);
  check(CMD("set", "j", "banip", "1.2.3.4"), I(1), "1", FALSE);
  check(CMD("get", "j", "maxretry"), I(5), "5", FALSE);
  check(CMD("get", "j", "bantime.multipliers"), L(I(1), I(2), I(4)), "[1, 2, 4]", FALSE);
  check(CMD("flushlogs"), N(), "NoneNone", TRUE);
  check(L(NULL), S("x"), "'x''x'", TRUE);
}
END_TEST

START_TEST(test_errors)
{
  check_error(f2b_py_instance_new("fail2ban.exceptions", "UnknownJailException", T(S("nojail"))),
              "Sorry but the jail 'nojail' does not exist");
  check_error(f2b_py_instance_new("builtins", "IndexError", T(S("list index out of range"))),
              "Sorry but the command is invalid");
  check_error(f2b_py_instance_new("fail2ban.exceptions", "DuplicateJailException", T(S("j"))),
              "The jail 'j' already exists");
  check_error(f2b_py_instance_new("builtins", "ValueError", T(S("bad"))), "bad");
  check_error(f2b_py_instance_new("builtins", "ValueError", NULL), "");
  check_error(f2b_py_instance_new("builtins", "ValueError", T(S("x"), I(2))), "('x', 2)");
  check_error(f2b_py_instance_new("builtins", "KeyError", T(S("k"))), "'k'");
  check_error(f2b_py_instance_new("builtins", "FileNotFoundError",
                                  T(I(2), S("No such file or directory"), S("/x"))),
              "[Errno 2] No such file or directory: '/x'");
  check_error(f2b_py_instance_new("builtins", "SyntaxError",
                                  T(S("invalid syntax"), T(S("/a/b.py"), I(1), I(2), S("x y"), I(1), I(3)))),
              "invalid syntax (b.py, line 1)");
  check_error(f2b_py_instance_new("fail2ban.server.failregex", "RegexException",
                                  T(S("No failure-id group in '\\[\\] .*refused'"))),
              "No failure-id group in '\\[\\] .*refused'");
  check_error(S("ERROR: bad pickle"), "ERROR: bad pickle");
}
END_TEST

START_TEST(test_error_that_raises)
{
  g_autoptr(F2bPyObj) cmd = CMD("status", "x");
  g_autoptr(F2bPyObj) noargs = f2b_py_instance_new("fail2ban.exceptions", "UnknownJailException", NULL);
  g_autoptr(F2bPyObj) intarg = f2b_py_instance_new("fail2ban.exceptions", "DuplicateJailException", T(I(3)));
  GError *error = NULL;
  ck_assert_ptr_null(f2b_beautifier_format_error(cmd, noargs, &error));
  ck_assert_str_eq(error->message, "tuple index out of range");
  g_clear_error(&error);
  ck_assert_ptr_null(f2b_beautifier_format_error(cmd, intarg, &error));
  ck_assert_str_eq(error->message, "can only concatenate str (not \"int\") to str");
  g_clear_error(&error);
}
END_TEST

START_TEST(test_exception_args)
{
  g_autoptr(F2bPyObj) fnf = f2b_py_instance_new("builtins", "FileNotFoundError",
                                                T(I(2), S("No such file or directory"), S("/x")));
  g_autoptr(F2bPyObj) args = f2b_beautifier_exc_args(fnf);
  g_autofree char *r = f2b_py_repr(args);
  ck_assert_str_eq(r, "(2, 'No such file or directory')");
  g_autoptr(F2bPyObj) ve = f2b_py_instance_new("builtins", "ValueError", T(S("a"), N(), S("/x")));
  g_autoptr(F2bPyObj) args2 = f2b_beautifier_exc_args(ve);
  g_autofree char *r2 = f2b_py_repr(args2);
  ck_assert_str_eq(r2, "('a', None, '/x')");
}
END_TEST

START_TEST(test_level_names)
{
  const struct { gint64 level; const char *name; } cases[] = {
    { 0, "NOTSET" }, { 1, "#01-Lev." }, { 5, "HEAVY" }, { 7, "TRACE" }, { 10, "DEBUG" }, { 18, "MSG" },
    { 20, "INFO" }, { 25, "NOTICE" }, { 30, "WARNING" }, { 40, "ERROR" }, { 49, "#49-Lev." },
    { 50, "CRITICAL" }, { 51, "Level 51" }, { -1, "Level -1" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *n = f2b_beautifier_level_name(cases[i].level);
    ck_assert_str_eq(n, cases[i].name);
  }
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("beautifier");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_server_commands);
  tcase_add_test(tc, test_ping_with_timeout_is_not_a_str);
  tcase_add_test(tc, test_status);
  tcase_add_test(tc, test_status_fallbacks);
  tcase_add_test(tc, test_logging_and_database);
  tcase_add_test(tc, test_jail_lists);
  tcase_add_test(tc, test_date_pattern);
  tcase_add_test(tc, test_banip_and_plain_values);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_error_that_raises);
  tcase_add_test(tc, test_exception_args);
  tcase_add_test(tc, test_level_names);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

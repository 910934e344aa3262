/* test-transmitter.c - server/transmitter.c and jail.c through commands:
 * the replies fail2ban 1.0.2 gives, including its error classes. */
#include <check.h>
#include <string.h>

#include "check-main.h"
#include "transmitter.h"

/* Runs the command given as items and returns the repr of the reply. */
static char *
run(F2bsTransmitter *tx, ...)
{
  va_list ap;
  va_start(ap, tx);
  g_autoptr(F2bPyObj) cmd = f2b_py_list_new();
  for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
    f2b_py_append(cmd, f2b_py_str(s));
  va_end(ap);
  g_autoptr(F2bPyObj) reply = f2bs_transmitter_proceed_sync(tx, cmd);
  return f2b_py_repr(reply);
}

#define CHECK(expected, ...)                          \
  do {                                                \
    g_autofree char *got = run(tx, __VA_ARGS__, NULL); \
    ck_assert_str_eq(got, expected);                  \
  } while (0)

START_TEST(test_server_commands)
{
  g_autoptr(F2bsTransmitter) tx = f2bs_transmitter_new(NULL, NULL);
  CHECK("(0, 'pong')", "ping");
  CHECK("(0, '1.0.2')", "version");
  CHECK("(0, ['a', 'b'])", "echo", "a", "b");
  CHECK("(1, Exception('Invalid command'))", "nosuch");
  CHECK("(1, IndexError('list index out of range'))", "get");
  CHECK("(0, [('Number of jail', 0), ('Jail list', '')])", "status");
  CHECK("(0, None)", "get", "dbfile");
  CHECK("(0, ':memory:')", "set", "dbfile", ":memory:");
  CHECK("(0, 172800)", "set", "dbpurgeage", "2d");
  CHECK("(1, ValueError(\"invalid literal for int() with base 10: 'x'\"))", "set", "dbmaxmatches", "x");
  CHECK("(1, Exception(\"Reserved name '--all'\"))", "add", "--all");
}
END_TEST

START_TEST(test_jail_commands)
{
  g_autoptr(F2bsTransmitter) tx = f2bs_transmitter_new(NULL, NULL);
  CHECK("(0, 'j')", "add", "j", "polling");
  CHECK("(1, NameError(\"name 'noduplicates' is not defined\"))", "add", "j");
  CHECK("(1, RuntimeError('Cannot change database when there are jails present'))", "set", "dbfile", "/x.db");
  CHECK("(0, [('Number of jail', 1), ('Jail list', 'j')])", "status");
  CHECK("(1, UnknownJailException('k'))", "get", "k", "maxretry");
  CHECK("(0, 3)", "get", "j", "maxretry");
  CHECK("(0, 7)", "set", "j", "maxretry", "7");
  CHECK("(0, 3600)", "set", "j", "findtime", "1h");
  CHECK("(1, NameError(\"name 'nonsense' is not defined\"))", "set", "j", "findtime", "nonsense");
  CHECK("(1, ValueError('maxlines must be integer greater than zero'))", "set", "j", "maxlines", "0");
  CHECK("(0, ['192.0.2.0/24', '192.0.2.9'])", "set", "j", "addignoreip", "192.0.2.9", "192.0.2.0/24");
  CHECK("(1, ValueError('list.remove(x): x not in list'))", "set", "j", "delignoreip", "198.51.100.1");
  CHECK("(1, RegexException(\"No failure-id group in '\\\\[\\\\] x'\"))", "set", "j", "addfailregex",
        "\\[\\] x");
  CHECK("(0, ['^fail (?P<fid>\\\\S+)$'])", "set", "j", "addfailregex", "^fail (?P<fid>\\S+)$");
  CHECK("(0, (None, 'Default Detectors'))", "get", "j", "datepattern");
  CHECK("(0, (None, 'Epoch'))", "set", "j", "datepattern", "EPOCH");
  CHECK("(1, LookupError('unknown encoding: nosuch'))", "set", "j", "logencoding", "nosuch");
  CHECK("(1, Exception(\"Invalid idle option, must be 'on' or 'off'\"))", "set", "j", "idle", "x");
  CHECK("(0, 'a')", "set", "j", "addaction", "a");
  CHECK("(1, ValueError('Action a already exists'))", "set", "j", "addaction", "a");
  CHECK("(0, 60)", "get", "j", "action", "a", "timeout");
  CHECK("(1, KeyError('Invalid Action name: b'))", "get", "j", "action", "b", "timeout");
  CHECK("(1, Exception(\"Invalid command 'bogus' (no set action or not yet implemented)\"))", "set", "j",
        "bogus", "1");
  CHECK("(0, None)", "stop", "j");
  CHECK("(1, UnknownJailException('j'))", "stop", "j");
}
END_TEST

START_TEST(test_stream_failure_stops_stream)
{
  g_autoptr(F2bsTransmitter) tx = f2bs_transmitter_new(NULL, NULL);
  g_autoptr(F2bPyObj) cmd = f2b_py_list_new();
  f2b_py_append(cmd, f2b_py_str("server-stream"));
  F2bPyObj *stream = f2b_py_append(cmd, f2b_py_list_new());
  f2b_py_append(stream, f2b_py_list_of_strs("add", "seed", "auto", NULL));
  f2b_py_append(stream, f2b_py_list_of_strs("set", "seed", "addfailregex", "\\[\\] .*refused", NULL));
  f2b_py_append(stream, f2b_py_list_of_strs("start", "seed", NULL));
  g_autoptr(F2bPyObj) reply = f2bs_transmitter_proceed_sync(tx, cmd);
  g_autofree char *r = f2b_py_repr(reply);
  ck_assert_str_eq(r, "(1, RegexException(\"No failure-id group in '\\\\[\\\\] .*refused'\"))");
  /* the jail was added, the stream stopped before its start */
  F2bsJail *jail = f2bs_jails_get(f2bs_transmitter_jails(tx), "seed", NULL);
  ck_assert_ptr_nonnull(jail);
  ck_assert(!jail->started);
}
END_TEST

static void
keep_reply(F2bPyObj *reply, gpointer data)
{
  *(F2bPyObj **)data = reply;
}

/* f2bs_transmitter_proceed_take: the command is the job's (no copy), nested
 * streams run from it, the reply comes as with proceed. */
START_TEST(test_proceed_take_nested_stream)
{
  g_autoptr(F2bsTransmitter) tx = f2bs_transmitter_new(NULL, NULL);
  F2bPyObj *cmd = f2b_py_list_new();
  f2b_py_append(cmd, f2b_py_str("server-stream"));
  F2bPyObj *stream = f2b_py_append(cmd, f2b_py_list_new());
  f2b_py_append(stream, f2b_py_list_of_strs("add", "seed", "auto", NULL));
  F2bPyObj *inner = f2b_py_append(stream, f2b_py_list_new());
  f2b_py_append(inner, f2b_py_str("server-stream"));
  F2bPyObj *inner_list = f2b_py_append(inner, f2b_py_list_new());
  f2b_py_append(inner_list, f2b_py_list_of_strs("set", "seed", "maxretry", "7", NULL));
  f2b_py_append(stream, f2b_py_list_of_strs("set", "seed", "findtime", "33", NULL));
  F2bPyObj *reply = NULL;
  f2bs_transmitter_proceed_take(tx, cmd, keep_reply, &reply);
  ck_assert_ptr_nonnull(reply);
  g_autofree char *r = f2b_py_repr(reply);
  ck_assert_str_eq(r, "(0, None)");
  f2b_py_free(reply);
  CHECK("(0, 7)", "get", "seed", "maxretry");
  CHECK("(0, 33)", "get", "seed", "findtime");
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("transmitter");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_server_commands);
  tcase_add_test(tc, test_jail_commands);
  tcase_add_test(tc, test_stream_failure_stops_stream);
  tcase_add_test(tc, test_proceed_take_nested_stream);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

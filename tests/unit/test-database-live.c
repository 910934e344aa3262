/* test-database-live.c - database.c against fail2ban's own Fail2BanDb, both ways.
 *
 * database-compat.py writes a scripted history with fail2ban's class; this
 * test writes the same history with database.c.  fail2ban must read both
 * files the same (its dump of each, raw rows with the JSON bytes, schema,
 * restored tickets, getBan, purge, compared whole), and database.c must read
 * fail2ban's file with the values the history implies.  Skips (77) when
 * Debian's python3 with fail2ban is missing. */
#include "check-main.h"
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "database.h"

#define NOW 1700000000
#define PYTHON "/usr/bin/python3"

static char *tmpdir;

static char *
script_path(void)
{
  const char *src = g_getenv("F2B_SRCDIR");
  return g_build_filename(src ? src : ".", "tests", "unit", "database-compat.py", NULL);
}

/* Runs the helper; its stdout (transfer full), the test failing on an error. */
static char *
helper(const char *cmd, const char *file)
{
  g_autofree char *script = script_path();
  const char *argv[] = { PYTHON, script, cmd, file, NULL };
  char *out = NULL, *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  gboolean ok = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  ck_assert_msg(ok, "%s", error ? error->message : "");
  ck_assert_msg(g_spawn_check_wait_status(status, NULL), "helper %s failed: %s", cmd, err);
  g_free(err);
  return out;
}

static F2bTicket *
ticket(const char *ip, double time, const char *const *matches, gint64 failures, gboolean has_bt, gint64 bt,
       gint64 count)
{
  g_autoptr(F2bIPAddr) id = f2b_ipaddr_new(ip, -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
  F2bTicket *t = f2b_ticket_new(F2B_TICKET_FAIL, id, time);
  for (guint i = 0; matches && matches[i]; i++)
    f2b_ticket_add_match(t, matches[i], strlen(matches[i]));
  t->failures = failures;
  if (has_bt)
    f2b_ticket_set_ban_time(t, f2b_pynum_int(bt));
  t->ban_count = count;
  return t;
}

static void
add(F2bDb *db, const char *jail, gint64 jail_bt, F2bTicket *t)
{
  g_autoptr(GError) error = NULL;
  ck_assert_msg(f2b_db_add_ban(db, jail, t, f2b_ticket_get_ban_time(t, f2b_pynum_int(jail_bt)), &error), "%s",
                error ? error->message : "");
  f2b_ticket_unref(t);
}

/* The history of database-compat.py's write(), with database.c. */
static void
write_ours(const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bDb) db = f2b_db_open(path, NOW, NULL, &error);
  ck_assert_msg(db != NULL, "%s", error ? error->message : "");
  f2b_db_set_max_matches(db, 2);
  ck_assert(f2b_db_add_jail(db, "sshd", NULL) && f2b_db_add_jail(db, "web", NULL));
  ck_assert(f2b_db_add_jail(db, "old", NULL) && f2b_db_del_jail(db, "old", NULL));
  const char *m1[] = { "line 1", "line \"2\"", "l\xc3\xafne\t3\\", NULL };
  add(db, "sshd", 600, ticket("192.0.2.1", NOW - 100.4, m1, 3, FALSE, 0, 1));
  F2bTicket *t = ticket("2001:db8::1", NOW - 5000, NULL, 0, TRUE, 7200, 2);
  f2b_ticket_set_data(t, "user", f2b_py_str("root"));
  f2b_ticket_set_data(t, "port", f2b_py_int(22));
  add(db, "web", 3600, t);
  const char *m2[] = { "again", NULL }, *m3[] = { "x", NULL };
  add(db, "sshd", 600, ticket("192.0.2.1", NOW - 50, m2, 1, FALSE, 0, 2));
  add(db, "web", 3600, ticket("198.51.100.7", NOW - 90000, m3, 1, TRUE, -1, 1));
  add(db, "sshd", 600, ticket("203.0.113.9", NOW - 700, NULL, 5, FALSE, 0, 1));
  gboolean has;
  gint64 pos;
  ck_assert(f2b_db_add_log(db, "sshd", "/var/log/auth.log", 1234, "abc", &has, &pos, NULL));
  ck_assert(f2b_db_update_log(db, "web", "/var/log/web.log", 99, "def", NULL));
}

static char *
copy_of(const char *path, const char *name)
{
  char *to = g_build_filename(tmpdir, name, NULL);
  g_autofree char *data = NULL;
  gsize len;
  ck_assert(g_file_get_contents(path, &data, &len, NULL));
  ck_assert(g_file_set_contents(to, data, len, NULL));
  return to;
}

START_TEST(test_fail2ban_reads_ours_as_its_own)
{
  g_autofree char *theirs = g_build_filename(tmpdir, "theirs.db", NULL);
  g_autofree char *ours = g_build_filename(tmpdir, "ours.db", NULL);
  g_free(helper("write", theirs));
  write_ours(ours);
  /* dump copies: fail2ban's dump writes (addLog, purge) */
  g_autofree char *t2 = copy_of(theirs, "theirs-copy.db");
  g_autofree char *o2 = copy_of(ours, "ours-copy.db");
  g_autofree char *dump_theirs = helper("dump", t2);
  g_autofree char *dump_ours = helper("dump", o2);
  ck_assert_str_eq(dump_ours, dump_theirs);
  /* the JSON bytes themselves (not only what Python makes of them) */
  ck_assert_ptr_nonnull(strstr(dump_ours, "\\\"l\\u00efne\\\\t3\\\\\\\\\\\""));
}
END_TEST

static void
assert_ticket(const F2bTicket *t, const char *ip, double time, gint64 bt, gint64 count, gint64 failures,
              guint n_matches)
{
  gsize len;
  g_autofree char *s = f2b_ipaddr_to_string(t->id, &len);
  ck_assert_str_eq(s, ip);
  ck_assert_double_eq(t->time, time);
  ck_assert(t->has_ban_time);
  ck_assert_int_eq(t->ban_time.i, bt);
  ck_assert_int_eq(t->ban_count, count);
  ck_assert_int_eq(t->failures, failures);
  ck_assert_int_eq(t->retry, failures);
  ck_assert_uint_eq(t->matches->len, n_matches);
}

START_TEST(test_we_read_fail2ban)
{
  g_autofree char *theirs = g_build_filename(tmpdir, "read-theirs.db", NULL);
  g_free(helper("write", theirs));
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bDb) db = f2b_db_open(theirs, NOW, NULL, &error);
  ck_assert_msg(db != NULL, "%s", error ? error->message : "");

  g_autoptr(GPtrArray) sshd = f2b_db_get_current_bans(db, "sshd", 600, NOW, 600, 600, -1, &error);
  ck_assert_uint_eq(sshd->len, 1);
  assert_ticket(sshd->pdata[0], "192.0.2.1", NOW - 50, 600, 2, 1, 1);
  gsize len;
  const char *m = g_bytes_get_data(((F2bTicket *)sshd->pdata[0])->matches->pdata[0], &len);
  ck_assert_uint_eq(len, 5);
  ck_assert_mem_eq(m, "again", 5);

  g_autoptr(GPtrArray) web = f2b_db_get_current_bans(db, "web", -1, NOW, 3600, 3600, -1, &error);
  ck_assert_uint_eq(web->len, 0); /* both capped to the jail's 3600 s and over */
  g_autoptr(GPtrArray) raw = f2b_db_get_current_bans(db, "web", -1, NOW, -1, 3600, -1, &error);
  ck_assert_uint_eq(raw->len, 2);
  assert_ticket(raw->pdata[0], "198.51.100.7", NOW - 90000, -1, 1, 1, 1);
  assert_ticket(raw->pdata[1], "2001:db8::1", NOW - 5000, 7200, 2, 0, 0);
  F2bTicket *t = raw->pdata[1];
  ck_assert(f2b_py_str_equal(f2b_ticket_get_data(t, "user"), "root"));
  ck_assert_int_eq(f2b_py_get_int(f2b_ticket_get_data(t, "port")), 22);

  gboolean found;
  gint64 count, when;
  F2bPyNum bt;
  ck_assert(f2b_db_get_ban(db, "192.0.2.1", "sshd", FALSE, -1, -1, NOW, &found, &count, &when, &bt, NULL));
  ck_assert(found);
  ck_assert_int_eq(count, 2);
  ck_assert_int_eq(when, NOW - 50);
  ck_assert_int_eq(bt.i, 600);
  ck_assert(f2b_db_get_ban(db, "192.0.2.1", "web", FALSE, -1, -1, NOW, &found, &count, &when, &bt, NULL));
  ck_assert(!found);

  gboolean has;
  gint64 pos;
  ck_assert(f2b_db_add_log(db, "sshd", "/var/log/auth.log", 0, "abc", &has, &pos, NULL));
  ck_assert(has);
  ck_assert_int_eq(pos, 1234);
  g_auto(GStrv) paths = f2b_db_get_log_paths(db, NULL, NULL);
  ck_assert_uint_eq(g_strv_length(paths), 2);
  ck_assert_str_eq(paths[0], "/var/log/auth.log");
}
END_TEST

/* A version 2 database as fail2ban 0.9 left it (bans without bantime and
 * bancount), upgraded by us, then read by fail2ban and by us. */
START_TEST(test_upgrade_from_version_2)
{
  g_autofree char *path = g_build_filename(tmpdir, "v2.db", NULL);
  g_autofree char *py = g_strdup_printf(
    "import sqlite3\n"
    "c = sqlite3.connect('%s')\n"
    "c.executescript('CREATE TABLE fail2banDb(version INTEGER); INSERT INTO fail2banDb VALUES(2);"
    "CREATE TABLE jails(name TEXT NOT NULL UNIQUE, enabled INTEGER NOT NULL DEFAULT 1);"
    "CREATE TABLE logs(jail TEXT NOT NULL, path TEXT, firstlinemd5 TEXT, lastfilepos INTEGER DEFAULT 0,"
    " UNIQUE(jail, path), UNIQUE(jail, path, firstlinemd5));"
    "CREATE TABLE bans(jail TEXT NOT NULL, ip TEXT, timeofban INTEGER NOT NULL, data JSON);"
    "INSERT INTO jails VALUES(\"sshd\", 1);"
    "INSERT INTO bans VALUES(\"sshd\", \"192.0.2.5\", %d, X\\'7b226661696c75726573223a20347d\\');')\n"
    "c.commit()\n",
    path, NOW - 10);
  const char *argv[] = { PYTHON, "-c", py, NULL };
  int status;
  ck_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, NULL));
  ck_assert(g_spawn_check_wait_status(status, NULL));
  gint64 from = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bDb) db = f2b_db_open(path, NOW, &from, &error);
  ck_assert_msg(db != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq(from, 2);
  g_autofree char *backup = g_strconcat(path, ".20231114-221320", NULL);
  ck_assert(g_file_test(backup, G_FILE_TEST_EXISTS));
  /* the unknown ban time (-2) becomes the jail's */
  g_autoptr(GPtrArray) cur = f2b_db_get_current_bans(db, "sshd", 600, NOW, 600, 600, -1, &error);
  ck_assert_uint_eq(cur->len, 1);
  assert_ticket(cur->pdata[0], "192.0.2.5", NOW - 10, 600, 1, 4, 0);
  f2b_db_close(g_steal_pointer(&db));
  g_autofree char *dump = helper("dump", path);
  ck_assert_ptr_nonnull(strstr(dump, "\"version\": [\n  [\n   4"));
  ck_assert_ptr_nonnull(strstr(dump, "\"192.0.2.5\",\n   1699999990,\n   -2,\n   1"));
}
END_TEST

int
main(void)
{
  if (!g_file_test(PYTHON, G_FILE_TEST_IS_EXECUTABLE)) {
    fprintf(stderr, "skip: %s is missing\n", PYTHON);
    return 77;
  }
  const char *argv[] = { PYTHON, "-c", "import fail2ban.server.database", NULL };
  int status = 1;
  if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL) ||
      !g_spawn_check_wait_status(status, NULL)) {
    fprintf(stderr, "skip: fail2ban's python module is not installed\n");
    return 77;
  }
  tmpdir = g_dir_make_tmp("f2bc-db-XXXXXX", NULL);
  Suite *s = suite_create("database-live");
  TCase *tc = tcase_create("fail2ban");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_fail2ban_reads_ours_as_its_own);
  tcase_add_test(tc, test_we_read_fail2ban);
  tcase_add_test(tc, test_upgrade_from_version_2);
  suite_add_tcase(s, tc);
  int rc = f2b_check_run(s);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", tmpdir);
  g_free(tmpdir);
  return rc;
}

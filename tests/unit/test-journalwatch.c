/* test-journalwatch.c - server/journalwatch.c on real journal files: a journal
 * made in the test (systemd-journal-remote from the export format, current
 * times), read through f2bs_journalwatch with journalfiles and journalpath,
 * the exact lines asserted and compared with fail2ban's own FilterSystemd
 * reading the same journal (journalwatch-ref.py); entries appended while
 * watching; the open errors. */
#include <check.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-main.h"
#include "journalwatch.h"
#include "pyexc.h"
#include "serverlog.h"

#define JOURNAL_REMOTE "/lib/systemd/systemd-journal-remote"

typedef struct {
  gint64 ago;          /* seconds before now */
  const char *fields;  /* "K=V\n..." ; a value with a newline goes binary */
} Spec;

static void
append_field(GString *out, const char *field)
{
  const char *eq = strchr(field, '=');
  const char *value = eq + 1;
  if (!strchr(value, '\n')) {
    g_string_append_printf(out, "%s\n", field);
    return;
  }
  guint64 len = GUINT64_TO_LE((guint64) strlen(value));
  g_string_append_len(out, field, eq - field);
  g_string_append_c(out, '\n');
  g_string_append_len(out, (const char *) &len, 8);
  g_string_append_printf(out, "%s\n", value);
}

/* The export format of SPECS, times relative to NOW; fields split on '|'. */
static GString *
export_of(const Spec *specs, guint n, gint64 now)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < n; i++) {
    gint64 t = now - specs[i].ago;
    g_string_append_printf(out,
                           "__REALTIME_TIMESTAMP=%" G_GINT64_FORMAT "\n__MONOTONIC_TIMESTAMP=%" G_GINT64_FORMAT
                           "\n_BOOT_ID=0123456789abcdef0123456789abcdef\n",
                           t * 1000000 + 123, t);
    g_auto(GStrv) fields = g_strsplit(specs[i].fields, "|", -1);
    for (guint k = 0; fields[k]; k++)
      append_field(out, fields[k]);
    g_string_append_c(out, '\n');
  }
  return out;
}

static void
need(const char *path, const char *why)
{
  if (!g_file_test(path, G_FILE_TEST_IS_EXECUTABLE)) {
    fprintf(stderr, "SKIP: %s is missing (%s)\n", path, why);
    exit(77);
  }
}

/* Writes SPECS to JOURNAL (created or appended to) through systemd-journal-remote. */
static void
write_journal(const char *dir, const char *journal, const Spec *specs, guint n, gint64 now)
{
  need(JOURNAL_REMOTE, "Debian's systemd-journal-remote builds the test journal");
  g_autoptr(GString) ex = export_of(specs, n, now);
  g_autofree char *expath = g_build_filename(dir, "entries.export", NULL);
  ck_assert(g_file_set_contents(expath, ex->str, (gssize) ex->len, NULL));
  g_autofree char *out = g_strdup_printf("--output=%s", journal);
  const char *argv[] = { JOURNAL_REMOTE, out, expath, NULL };
  int status = -1;
  g_autoptr(GError) error = NULL;
  ck_assert_msg(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                             &status, &error),
                "%s", error ? error->message : "");
  ck_assert_msg(g_spawn_check_wait_status(status, NULL), "systemd-journal-remote failed");
  g_unlink(expath);
}

static const Spec initial[] = {
  { 7200, "_HOSTNAME=web1|SYSLOG_IDENTIFIER=sshd|_PID=100|_SYSTEMD_UNIT=ssh.service|"
          "MESSAGE=Failed password for root from 192.0.2.0 port 22 ssh2" },
  { 300, "_HOSTNAME=web1|SYSLOG_IDENTIFIER=sshd|_PID=101|_SYSTEMD_UNIT=ssh.service|"
         "MESSAGE=Failed password for root from 192.0.2.1 port 22 ssh2" },
  { 200, "_HOSTNAME=web1|SYSLOG_IDENTIFIER=sshd|_PID=102|_SYSTEMD_UNIT=ssh.service|"
         "MESSAGE=Invalid user admin from 2001:db8::7 port 4242" },
  { 40, "_HOSTNAME=web1|SYSLOG_IDENTIFIER=cron|_PID=5|_SYSTEMD_UNIT=cron.service|MESSAGE=not matched" },
  { 30, "_HOSTNAME=web1|_COMM=sshd|_PID=7|MESSAGE=multi\nline" },
  { 25, "_HOSTNAME=a|_HOSTNAME=b|_COMM=sshd|MESSAGE=fail2ban raises on a repeated _HOSTNAME: skipped" },
  { 20, "SYSLOG_IDENTIFIER=sshd|SYSLOG_PID=0x10|_SYSTEMD_UNIT=ssh.service|MESSAGE=Connection closed by 192.0.2.9" },
};

/* What fail2ban reads of INITIAL with findtime 600 and the test's matches. */
static const struct {
  gint64 ago;
  const char *line;
} expected[] = {
  { 300, "web1 sshd[101]: Failed password for root from 192.0.2.1 port 22 ssh2" },
  { 200, "web1 sshd[102]: Invalid user admin from 2001:db8::7 port 4242" },
  { 30, "web1 sshd[7]: multi\\nline" },
  { 20, "sshd[16]: Connection closed by 192.0.2.9" },
};

static const char *const match_terms[] = { "_SYSTEMD_UNIT=ssh.service", "+", "_COMM=sshd" };

typedef struct {
  GPtrArray *seen; /* "hexdate hexline repr(time) op", the reference script's format */
  GPtrArray *lines;
  GArray *times;
  GArray *ops;
} Collected;

static char *
hex(const char *s, gsize len)
{
  if (len == 0)
    return g_strdup("-");
  GString *out = g_string_new(NULL);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf(out, "%02x", (guchar) s[i]);
  return g_string_free(out, FALSE);
}

static void
on_line(const F2bsJournalRecord *rec, gpointer user_data)
{
  Collected *c = user_data;
  g_autofree char *hd = hex(rec->date, strlen(rec->date));
  g_autofree char *hl = hex(rec->line, rec->line_len);
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "%s %s ", hd, hl);
  f2b_py_repr_float_append(s, rec->time);
  g_string_append_printf(s, " %d", rec->in_operation ? 1 : 0);
  g_ptr_array_add(c->seen, g_string_free(s, FALSE));
  g_ptr_array_add(c->lines, g_strndup(rec->line, rec->line_len));
  g_array_append_val(c->times, rec->time);
  int op = rec->in_operation;
  g_array_append_val(c->ops, op);
}

static void
collected_init(Collected *c)
{
  c->seen = g_ptr_array_new_with_free_func(g_free);
  c->lines = g_ptr_array_new_with_free_func(g_free);
  c->times = g_array_new(FALSE, FALSE, sizeof(double));
  c->ops = g_array_new(FALSE, FALSE, sizeof(int));
}

static void
collected_clear(Collected *c)
{
  g_ptr_array_unref(c->seen);
  g_ptr_array_unref(c->lines);
  g_array_unref(c->times);
  g_array_unref(c->ops);
}

static gboolean
flag_timeout(gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until W is in operation with nothing pending, or until
 * COUNT records (when > 0) arrived; at most 10 s. */
static void
run_until(F2bsJournalWatch *w, Collected *c, guint count)
{
  gboolean timed_out = FALSE;
  guint guard = g_timeout_add_seconds(10, flag_timeout, &timed_out);
  for (;;) {
    if (count ? c->seen->len >= count : (f2bs_journalwatch_in_operation(w) && !g_main_context_pending(NULL)))
      break;
    ck_assert_msg(!timed_out, "no progress: %u records", c->seen->len);
    g_main_context_iteration(NULL, TRUE);
  }
  if (!timed_out)
    g_source_remove(guard);
}

static F2bsJournalWatch *
open_watch(const char *key, const char *value)
{
  g_autoptr(F2bIniMap) opts = f2b_ini_map_new();
  f2b_ini_map_set(opts, key, value);
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bJournalOptions) o = f2b_journal_options_parse(opts, NULL, &error);
  ck_assert_msg(o != NULL, "%s", error ? error->message : "");
  F2bsJournalWatch *w = f2bs_journalwatch_new("sshd", o, &error);
  ck_assert_msg(w != NULL, "%s", error ? error->message : "");
  ck_assert(f2bs_journalwatch_add_match(w, match_terms, G_N_ELEMENTS(match_terms), &error));
  return w;
}

static char **
reference_lines(const char *option)
{
  if (!g_file_test("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE)
      || system("/usr/bin/python3 -c 'import fail2ban.server.filtersystemd' 2>/dev/null") != 0) {
    fprintf(stderr, "SKIP: /usr/bin/python3 with fail2ban and python3-systemd is needed\n");
    exit(77);
  }
  const char *srcdir = g_getenv("F2B_SRCDIR");
  g_autofree char *script = g_build_filename(srcdir ? srcdir : ".", "tests", "unit", "journalwatch-ref.py", NULL);
  const char *argv[] = { "/usr/bin/python3", script, option, "--", match_terms[0], match_terms[1], match_terms[2],
                         NULL };
  g_autofree char *out = NULL;
  int status = -1;
  g_autoptr(GError) error = NULL;
  ck_assert(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error));
  ck_assert_msg(g_spawn_check_wait_status(status, NULL), "journalwatch-ref.py failed");
  g_strchomp(out);
  return g_strsplit(out, "\n", -1);
}

static char *
iso_utc(gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
  g_autofree char *s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf("%s.000123+00:00 ", s);
}

static void
check_initial_read(const char *key, const char *journal_or_dir, const char *dir, gint64 now)
{
  g_autoptr(F2bsJournalWatch) w = open_watch(key, journal_or_dir);
  Collected c;
  collected_init(&c);
  g_autoptr(GError) error = NULL;
  ck_assert(f2bs_journalwatch_start(w, 600, 0, on_line, &c, &error));
  run_until(w, &c, 0);

  ck_assert_uint_eq(c.lines->len, G_N_ELEMENTS(expected));
  for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
    ck_assert_str_eq(c.lines->pdata[i], expected[i].line);
    ck_assert_double_eq(g_array_index(c.times, double, i), (double) (now - expected[i].ago) + 123 / 1e6);
    ck_assert_int_eq(g_array_index(c.ops, int, i), 0); /* old entries: not in operation yet */
    g_autofree char *date = iso_utc(now - expected[i].ago);
    g_autofree char *hd = hex(date, strlen(date));
    ck_assert(g_str_has_prefix(c.seen->pdata[i], hd));
  }

  g_autofree char *option = g_strdup_printf("%s=%s", key, journal_or_dir);
  g_auto(GStrv) ref = reference_lines(option);
  ck_assert_uint_eq(g_strv_length(ref), c.seen->len);
  for (guint i = 0; i < c.seen->len; i++)
    ck_assert_msg(strcmp(ref[i], c.seen->pdata[i]) == 0, "line %u:\n ours     %s\n fail2ban %s", i,
                  (char *) c.seen->pdata[i], ref[i]);
  collected_clear(&c);
}

static char *
make_dir(void)
{
  setenv("TZ", "UTC", 1);
  tzset();
  return g_dir_make_tmp("jwatch-XXXXXX", NULL);
}

static void
remove_dir(char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(dir, name, NULL);
    g_unlink(p);
  }
  g_rmdir(dir);
  g_free(dir);
}

START_TEST(test_journalfiles)
{
  char *dir = make_dir();
  g_autofree char *journal = g_build_filename(dir, "test.journal", NULL);
  gint64 now = g_get_real_time() / 1000000;
  write_journal(dir, journal, initial, G_N_ELEMENTS(initial), now);
  check_initial_read("journalfiles", journal, dir, now);
  remove_dir(dir);
}
END_TEST

START_TEST(test_journalpath)
{
  char *dir = make_dir();
  g_autofree char *journal = g_build_filename(dir, "test.journal", NULL);
  gint64 now = g_get_real_time() / 1000000;
  write_journal(dir, journal, initial, G_N_ELEMENTS(initial), now);
  check_initial_read("journalpath", dir, dir, now);
  remove_dir(dir);
}
END_TEST

static void
check_follow(const char *key, gboolean use_dir)
{
  char *dir = make_dir();
  g_autofree char *journal = g_build_filename(dir, "test.journal", NULL);
  gint64 now = g_get_real_time() / 1000000;
  write_journal(dir, journal, initial, G_N_ELEMENTS(initial), now);
  g_autoptr(F2bsJournalWatch) w = open_watch(key, use_dir ? dir : journal);
  Collected c;
  collected_init(&c);
  ck_assert(f2bs_journalwatch_start(w, 600, 0, on_line, &c, NULL));
  run_until(w, &c, 0);
  guint before = c.seen->len;
  static const Spec more[] = {
    { 0, "_HOSTNAME=web1|SYSLOG_IDENTIFIER=cron|_PID=5|_SYSTEMD_UNIT=cron.service|MESSAGE=still not matched" },
    { 0, "_HOSTNAME=web1|SYSLOG_IDENTIFIER=sshd|_PID=200|_SYSTEMD_UNIT=ssh.service|"
         "MESSAGE=Failed password for invalid user x from 192.0.2.200 port 1 ssh2" },
  };
  write_journal(dir, journal, more, G_N_ELEMENTS(more), now);
  run_until(w, &c, before + 1);
  ck_assert_uint_eq(c.lines->len, before + 1);
  ck_assert_str_eq(c.lines->pdata[before], "web1 sshd[200]: Failed password for invalid user x from 192.0.2.200 port 1 ssh2");
  ck_assert_int_eq(g_array_index(c.ops, int, before), 1);
  collected_clear(&c);
  remove_dir(dir);
}

START_TEST(test_follow_files)
{
  check_follow("journalfiles", FALSE);
}
END_TEST

START_TEST(test_follow_path)
{
  check_follow("journalpath", TRUE);
}
END_TEST

START_TEST(test_files_come_and_go)
{
  /* journalpath: a journal file removed (vacuum) and another one appearing
   * (rotation) invalidate the reader; what the new file brings is read */
  char *dir = make_dir();
  g_autofree char *first = g_build_filename(dir, "first.journal", NULL);
  g_autofree char *second = g_build_filename(dir, "second.journal", NULL);
  gint64 now = g_get_real_time() / 1000000;
  write_journal(dir, first, initial, G_N_ELEMENTS(initial), now);
  g_autoptr(F2bsJournalWatch) w = open_watch("journalpath", dir);
  Collected c;
  collected_init(&c);
  ck_assert(f2bs_journalwatch_start(w, 600, 0, on_line, &c, NULL));
  run_until(w, &c, 0);
  guint before = c.seen->len;
  ck_assert_uint_eq(before, G_N_ELEMENTS(expected));
  g_unlink(first);
  static const Spec later[] = { { 0, "_COMM=sshd|_PID=300|MESSAGE=after rotation" } };
  write_journal(dir, second, later, 1, now);
  run_until(w, &c, before + 1);
  ck_assert_str_eq(c.lines->pdata[before], "sshd[300]: after rotation");
  ck_assert_int_eq(g_array_index(c.ops, int, before), 1);
  collected_clear(&c);
  remove_dir(dir);
}
END_TEST

START_TEST(test_empty_journal_starts_now)
{
  /* no entry matches: fail2ban starts "now", in operation, and reads only what comes */
  char *dir = make_dir();
  g_autofree char *journal = g_build_filename(dir, "test.journal", NULL);
  gint64 now = g_get_real_time() / 1000000;
  static const Spec cron[] = { { 10, "_SYSTEMD_UNIT=cron.service|_COMM=cron|MESSAGE=x" } };
  write_journal(dir, journal, cron, 1, now);
  g_autoptr(F2bsJournalWatch) w = open_watch("journalfiles", journal);
  Collected c;
  collected_init(&c);
  ck_assert(f2bs_journalwatch_start(w, 600, 0, on_line, &c, NULL));
  ck_assert(f2bs_journalwatch_in_operation(w));
  run_until(w, &c, 0);
  ck_assert_uint_eq(c.seen->len, 0);
  collected_clear(&c);
  remove_dir(dir);
}
END_TEST

START_TEST(test_batches)
{
  /* 250 entries come in batches of 100 per main-loop turn, all of them, in order */
  char *dir = make_dir();
  g_autofree char *journal = g_build_filename(dir, "test.journal", NULL);
  gint64 now = g_get_real_time() / 1000000;
  Spec *many = g_new0(Spec, 250);
  char **texts = g_new0(char *, 251);
  for (guint i = 0; i < 250; i++) {
    texts[i] = g_strdup_printf("_COMM=sshd|MESSAGE=line %u", i);
    many[i].ago = 250 - i;
    many[i].fields = texts[i];
  }
  write_journal(dir, journal, many, 250, now);
  g_autoptr(F2bsJournalWatch) w = open_watch("journalfiles", journal);
  Collected c;
  collected_init(&c);
  ck_assert(f2bs_journalwatch_start(w, 600, 0, on_line, &c, NULL));
  ck_assert_uint_eq(c.seen->len, 0); /* nothing read before the loop runs */
  g_main_context_iteration(NULL, FALSE);
  ck_assert_uint_eq(c.seen->len, 100);
  run_until(w, &c, 0);
  ck_assert_uint_eq(c.seen->len, 250);
  for (guint i = 0; i < 250; i++) {
    g_autofree char *want = g_strdup_printf("sshd: line %u", i);
    ck_assert_str_eq(c.lines->pdata[i], want);
  }
  collected_clear(&c);
  g_strfreev(texts);
  g_free(many);
  remove_dir(dir);
}
END_TEST

static guint busy_at; /* test_busy_pause: busy once this many entries came (0: never) */
static Collected *busy_seen;

static gboolean
busy_func(gpointer user_data)
{
  ck_assert_ptr_eq(user_data, &busy_at);
  return busy_at && busy_seen->seen->len >= busy_at;
}

START_TEST(test_busy_pause)
{
  /* while the consumer is busy no entry is taken from the journal; after
   * resume every one comes, once and in order */
  char *dir = make_dir();
  g_autofree char *journal = g_build_filename(dir, "test.journal", NULL);
  gint64 now = g_get_real_time() / 1000000;
  Spec *many = g_new0(Spec, 250);
  char **texts = g_new0(char *, 251);
  for (guint i = 0; i < 250; i++) {
    texts[i] = g_strdup_printf("_COMM=sshd|MESSAGE=line %u", i);
    many[i].ago = 250 - i;
    many[i].fields = texts[i];
  }
  write_journal(dir, journal, many, 250, now);
  g_autoptr(F2bsJournalWatch) w = open_watch("journalfiles", journal);
  Collected c;
  collected_init(&c);
  busy_seen = &c;
  busy_at = 30;
  f2bs_journalwatch_set_busy_func(w, busy_func, &busy_at);
  f2bs_journalwatch_resume(w); /* not started: nothing */
  ck_assert(f2bs_journalwatch_start(w, 600, 0, on_line, &c, NULL));
  for (int i = 0; i < 20; i++)
    g_main_context_iteration(NULL, FALSE);
  ck_assert_uint_eq(c.seen->len, 30);
  ck_assert(!f2bs_journalwatch_in_operation(w));
  busy_at = 0;
  f2bs_journalwatch_resume(w);
  run_until(w, &c, 0);
  ck_assert_uint_eq(c.seen->len, 250);
  for (guint i = 0; i < 250; i++) {
    g_autofree char *want = g_strdup_printf("sshd: line %u", i);
    ck_assert_str_eq(c.lines->pdata[i], want);
  }
  collected_clear(&c);
  g_strfreev(texts);
  g_free(many);
  remove_dir(dir);
}
END_TEST

START_TEST(test_open_errors)
{
  g_autoptr(GError) error = NULL;
  F2bJournalOptions both = { .path = (char *) "/tmp", .files = g_ptr_array_new() };
  ck_assert_ptr_null(f2bs_journalwatch_new("j", &both, &error));
  ck_assert_str_eq(error->message, "path and files cannot be specified simultaneously");
  g_clear_error(&error);
  g_ptr_array_unref(both.files);

  /* journalfiles whose globs found nothing: sd-journal refuses the empty list */
  F2bJournalOptions none = { .files = g_ptr_array_new(), .has_flags = TRUE, .flags = 4 };
  ck_assert_ptr_null(f2bs_journalwatch_new("j", &none, &error));
  ck_assert(g_error_matches(error, F2BS_PYEXC, F2BS_PYEXC_VALUE_ERROR));
  ck_assert_str_eq(error->message, "Opening the journal failed");
  g_clear_error(&error);
  g_ptr_array_unref(none.files);

  F2bJournalOptions missing = { .path = (char *) "/nonexistent-f2bc-journal" };
  ck_assert_ptr_null(f2bs_journalwatch_new("j", &missing, &error));
  ck_assert_str_eq(error->message, "[Errno 2] No such file or directory");
  /* python-systemd raises the OSError subclass of the errno, without a file name */
  g_autofree char *repr = f2bs_pyexc_repr(error);
  ck_assert_str_eq(repr, "FileNotFoundError(2, 'No such file or directory')");
  g_clear_error(&error);

  F2bJournalOptions file = { .path = (char *) "/etc/hostname" };
  ck_assert_ptr_null(f2bs_journalwatch_new("j", &file, &error));
  g_autofree char *repr2 = f2bs_pyexc_repr(error);
  ck_assert_str_eq(repr2, "NotADirectoryError(20, 'Not a directory')");
  g_clear_error(&error);
}
END_TEST

START_TEST(test_matches_api)
{
  char *dir = make_dir();
  F2bJournalOptions o = { .path = dir };
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bsJournalWatch) w = f2bs_journalwatch_new("j", &o, &error);
  ck_assert_ptr_nonnull(w);
  const char *bad[] = { "A=1", "lower=1" };
  ck_assert(!f2bs_journalwatch_add_match(w, bad, 2, &error));
  ck_assert_str_eq(error->message, "Invalid match");
  g_clear_error(&error);
  ck_assert(f2bs_journalwatch_add_match(w, match_terms, 3, NULL));
  g_autoptr(F2bPyObj) got = f2bs_journalwatch_matches_py(w);
  g_autofree char *r1 = f2b_py_repr(got);
  ck_assert_str_eq(r1, "[['_SYSTEMD_UNIT=ssh.service'], ['_COMM=sshd']]");
  g_autoptr(F2bPyObj) st = f2bs_journalwatch_status_py(w);
  g_autofree char *r2 = f2b_py_repr(st);
  ck_assert_str_eq(r2, "('Journal matches', ['_SYSTEMD_UNIT=ssh.service + _COMM=sshd'])");
  const char *del[] = { "_COMM=sshd" };
  ck_assert(f2bs_journalwatch_del_match(w, del, 1, NULL));
  ck_assert(!f2bs_journalwatch_del_match(w, del, 1, &error));
  ck_assert_str_eq(error->message, "Match ['_COMM=sshd'] not found");
  g_clear_error(&error);
  ck_assert_uint_eq(f2bs_journalwatch_get_matches(w)->groups->len, 1);
  /* a reload clears them all (twice: the second finds none) */
  f2bs_journalwatch_clear_matches(w);
  ck_assert_uint_eq(f2bs_journalwatch_get_matches(w)->groups->len, 0);
  f2bs_journalwatch_clear_matches(w);
  g_autoptr(F2bPyObj) none = f2bs_journalwatch_status_py(w);
  g_autofree char *r3 = f2b_py_repr(none);
  ck_assert_str_eq(r3, "('Journal matches', [''])");
  /* an empty addjournalmatch is one empty group, found again by an empty del */
  ck_assert(f2bs_journalwatch_add_match(w, NULL, 0, NULL));
  g_autoptr(F2bPyObj) empty = f2bs_journalwatch_matches_py(w);
  g_autofree char *r4 = f2b_py_repr(empty);
  ck_assert_str_eq(r4, "[[]]");
  ck_assert(f2bs_journalwatch_del_match(w, NULL, 0, NULL));
  ck_assert_uint_eq(f2bs_journalwatch_get_matches(w)->groups->len, 0);
  ck_assert(!f2bs_journalwatch_del_match(w, NULL, 0, &error));
  ck_assert_str_eq(error->message, "Match [] not found");
  remove_dir(dir);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("journalwatch");
  TCase *tc = tcase_create("journal");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_journalfiles);
  tcase_add_test(tc, test_journalpath);
  tcase_add_test(tc, test_follow_files);
  tcase_add_test(tc, test_follow_path);
  tcase_add_test(tc, test_files_come_and_go);
  tcase_add_test(tc, test_empty_journal_starts_now);
  tcase_add_test(tc, test_batches);
  tcase_add_test(tc, test_busy_pause);
  tcase_add_test(tc, test_open_errors);
  tcase_add_test(tc, test_matches_api);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

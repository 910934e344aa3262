/* test-logwatch.c - server/logwatch.c on temporary files in a running
 * GMainLoop: every rotation case, partial lines, a file that vanishes, turns
 * into a directory or becomes unreadable and comes back, with both kinds of
 * watcher (each test runs twice: inotify, then polling).
 *
 * Every scenario ends by writing a marker line and waiting for it, then
 * compares the whole sequence of lines delivered: a line lost or delivered
 * twice shows.  Waits are for events, with a generous time-out that only
 * turns a hang into a failure; nothing asserts on durations.
 *
 * "Unreadable": root ignores mode bits, so when run as root that test
 * drops to nobody (setresuid in the test's own forked process, the test
 * directory handed over to nobody) first. */
#define _GNU_SOURCE
#include "check-main.h"
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logwatch.h"
#include "serverlog.h"

#define WAIT_US (20 * G_USEC_PER_SEC)

static char *tmpdir;
static char *logpath;
static char *serverlog;
static GString *lines;
static guint nlines;
static guint busy_after; /* test_busy_pause: busy once this many lines came (0: never) */

static void
on_line(const char *path, const char *line, gsize len, gpointer user_data)
{
  ck_assert_ptr_eq(user_data, &nlines);
  if (lines->len)
    g_string_append_c(lines, '|');
  if (strcmp(path, logpath) != 0) { /* another file: its name first */
    g_autofree char *base = g_path_get_basename(path);
    g_string_append_printf(lines, "%s:", base);
  }
  g_string_append_len(lines, line, len);
  nlines++;
}

static void
make_dirs(void)
{
  tmpdir = g_dir_make_tmp("test-logwatch-XXXXXX", NULL);
  ck_assert_ptr_nonnull(tmpdir);
  logpath = g_build_filename(tmpdir, "watched.log", NULL);
  serverlog = g_build_filename(tmpdir, "server.log", NULL);
  /* the messages are part of what is tested */
  ck_assert(f2bs_log_set_level("MSG", NULL));
  ck_assert(f2bs_log_set_target(serverlog, NULL));
}

static void
setup(void)
{
  lines = g_string_new(NULL);
  nlines = 0;
  busy_after = 0;
  make_dirs();
}

static void
remove_tree(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(dir, name, NULL);
    if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
      remove_tree(p);
    else
      g_unlink(p);
  }
  g_rmdir(dir);
}

static void
teardown(void)
{
  f2bs_log_shutdown();
  if (tmpdir)
    remove_tree(tmpdir);
  g_clear_pointer(&tmpdir, g_free);
  g_clear_pointer(&logpath, g_free);
  g_clear_pointer(&serverlog, g_free);
  g_string_free(lines, TRUE);
}

static void
write_file(const char *path, const char *text, int flags)
{
  int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
  ck_assert_msg(fd >= 0, "open %s: %s", path, g_strerror(errno));
  gsize len = strlen(text);
  ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
  close(fd);
}

static void
append(const char *text)
{
  write_file(logpath, text, O_APPEND);
}

static void
create(const char *text)
{
  write_file(logpath, text, O_TRUNC);
}

static gboolean
tick(gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the loop until COUNT lines in all have come (a tick wakes the loop
 * so that the time-out is seen when nothing comes). */
static void
wait_lines(guint count)
{
  gint64 end = g_get_monotonic_time() + WAIT_US;
  guint ticker = g_timeout_add(100, tick, NULL);
  while (nlines < count && g_get_monotonic_time() < end)
    g_main_context_iteration(NULL, TRUE);
  g_source_remove(ticker);
  ck_assert_msg(nlines >= count, "waited for %u lines, got %u: %s", count, nlines, lines->str);
}

/* Writes a marker line, waits for it, and checks everything delivered. */
static void
sync_and_check(const char *marker, const char *expected)
{
  append(marker);
  append("\n");
  guint want = 1;
  for (const char *p = expected; *p; p++)
    want += *p == '|';
  wait_lines(want);
  ck_assert_str_eq(lines->str, expected);
}

static gboolean
log_has(const char *text)
{
  g_autofree char *content = NULL;
  return g_file_get_contents(serverlog, &content, NULL, NULL) && strstr(content, text);
}

/* Runs the loop until the server log holds TEXT. */
static void
wait_log(const char *text)
{
  gint64 end = g_get_monotonic_time() + WAIT_US;
  while (!log_has(text) && g_get_monotonic_time() < end) {
    /* polling needs its timer; inotify wakes up at once */
    g_main_context_iteration(NULL, FALSE);
    g_usleep(2000);
  }
  g_autofree char *content = NULL;
  g_file_get_contents(serverlog, &content, NULL, NULL);
  ck_assert_msg(log_has(text), "log lacks \"%s\":\n%s", text, content ? content : "");
}

static F2bsLogWatch *
started(int kind, const char *initial, gboolean tail)
{
  create(initial);
  F2bsLogWatch *lw = f2bs_logwatch_new(kind, on_line, &nlines);
  f2bs_logwatch_set_poll_interval(lw, 10);
  GError *error = NULL;
  ck_assert(f2bs_logwatch_add(lw, logpath, tail, &error));
  ck_assert(f2bs_logwatch_start(lw, &error));
  ck_assert(f2bs_logwatch_is_started(lw));
  return lw;
}

START_TEST(test_partial_lines)
{
  g_autoptr(F2bsLogWatch) lw = started(_i, "l1\nl2\n", FALSE);
  wait_lines(2);
  append("par");
  append("tial");
  sync_and_check("\nl3", "l1|l2|partial|l3");
}
END_TEST

START_TEST(test_tail)
{
  g_autoptr(F2bsLogWatch) lw = started(_i, "old1\nold2\n", TRUE);
  append("new1\n");
  sync_and_check("m", "new1|m");
}
END_TEST

START_TEST(test_rename_and_new)
{
  g_autoptr(F2bsLogWatch) lw = started(_i, "a1\n", FALSE);
  wait_lines(1);
  /* written before the rotation, read after it */
  append("a2\n");
  g_autofree char *old = g_strconcat(logpath, ".1", NULL);
  ck_assert_int_eq(rename(logpath, old), 0);
  write_file(old, "a3\n", O_APPEND);
  wait_lines(3); /* read from the renamed file */
  write_file(old, "a4\n", O_APPEND);
  wait_lines(4); /* still followed while nothing is at the path */
  create("b1\n");
  wait_lines(5);
  write_file(old, "lost\n", O_APPEND); /* no longer followed */
  sync_and_check("m", "a1|a2|a3|a4|b1|m");
  wait_log("Log rotation detected for ");
}
END_TEST

START_TEST(test_rename_at_once)
{
  /* everything happens between two looks of the watcher */
  g_autoptr(F2bsLogWatch) lw = started(_i, "a1\n", FALSE);
  wait_lines(1);
  append("a2\n");
  g_autofree char *old = g_strconcat(logpath, ".1", NULL);
  ck_assert_int_eq(rename(logpath, old), 0);
  write_file(old, "a3\n", O_APPEND);
  create("b1\n");
  sync_and_check("m", "a1|a2|a3|b1|m");
}
END_TEST

START_TEST(test_copytruncate)
{
  g_autoptr(F2bsLogWatch) lw = started(_i, "a1\na2\n", FALSE);
  wait_lines(2);
  ck_assert_int_eq(truncate(logpath, 0), 0);
  wait_log("Log rotation detected for ");
  append("c1\n");
  sync_and_check("m", "a1|a2|c1|m");
  /* truncated and refilled past the old position before the watcher looks */
  create("d1\nd2\nd3\nd4\n");
  sync_and_check("m2", "a1|a2|c1|m|d1|d2|d3|d4|m2");
}
END_TEST

START_TEST(test_delete_and_recreate)
{
  g_autoptr(F2bsLogWatch) lw = started(_i, "a1\n", FALSE);
  wait_lines(1);
  append("a2\n");
  ck_assert_int_eq(g_unlink(logpath), 0);
  wait_log("Log absence detected (possibly rotation) for ");
  ck_assert_str_eq(lines->str, "a1|a2"); /* read to its end before it went */
  create("b1\n");
  wait_log("Log presence detected for file ");
  sync_and_check("m", "a1|a2|b1|m");
  g_autoptr(GPtrArray) paths = f2bs_logwatch_paths(lw);
  ck_assert_uint_eq(paths->len, 1);
  ck_assert_str_eq(paths->pdata[0], logpath);
}
END_TEST

START_TEST(test_shrink)
{
  g_autoptr(F2bsLogWatch) lw = started(_i, "s1\ns2\ns3\n", FALSE);
  wait_lines(3);
  /* shorter than what was read: fail2ban starts it again from 0 */
  ck_assert_int_eq(truncate(logpath, 3), 0);
  append("s4\n");
  sync_and_check("m", "s1|s2|s3|s1|s4|m");
}
END_TEST

START_TEST(test_directory)
{
  g_autoptr(F2bsLogWatch) lw = started(_i, "a1\n", FALSE);
  wait_lines(1);
  ck_assert_int_eq(g_unlink(logpath), 0);
  ck_assert_int_eq(g_mkdir(logpath, 0755), 0);
  wait_log("Is a directory");
  wait_log("Unable to open ");
  ck_assert_int_eq(g_rmdir(logpath), 0);
  create("b1\n");
  sync_and_check("m", "a1|b1|m");
}
END_TEST

START_TEST(test_directory_gone)
{
  /* the log's directory itself goes and comes back */
  g_autofree char *sub = g_build_filename(tmpdir, "sub", NULL);
  ck_assert_int_eq(g_mkdir(sub, 0755), 0);
  g_free(logpath);
  logpath = g_build_filename(sub, "watched.log", NULL);
  g_autoptr(F2bsLogWatch) lw = started(_i, "a1\n", FALSE);
  wait_lines(1);
  append("a2\n");
  ck_assert_int_eq(g_unlink(logpath), 0);
  ck_assert_int_eq(g_rmdir(sub), 0);
  wait_log("Log absence detected (possibly rotation) for ");
  ck_assert_str_eq(lines->str, "a1|a2");
  ck_assert_int_eq(g_mkdir(sub, 0755), 0);
  create("b1\n");
  wait_log("Log presence detected for file ");
  sync_and_check("m", "a1|a2|b1|m");
  g_autofree char *moved = g_build_filename(tmpdir, "moved", NULL);
  ck_assert_int_eq(rename(sub, moved), 0);
  ck_assert_int_eq(g_mkdir(sub, 0755), 0);
  create("c1\n");
  sync_and_check("m2", "a1|a2|b1|m|c1|m2");
}
END_TEST

START_TEST(test_bad_input)
{
  /* a 1 MiB line, NUL bytes and invalid UTF-8 pass as they are; a line over
   * the bound is skipped with an error and the next one goes on */
  g_autoptr(F2bsLogWatch) lw = started(_i, "", FALSE);
  F2bLogFile *file = f2bs_logwatch_get_file(lw, logpath);
  g_autofree char *big = g_malloc(((gsize)1 << 20) + 1);
  memset(big, 'b', (gsize)1 << 20);
  big[(gsize)1 << 20] = 0;
  append(big);
  append("\n");
  wait_lines(1);
  ck_assert_uint_eq(lines->len, (gsize)1 << 20);
  g_string_truncate(lines, 0);
  nlines = 0;
  int fd = open(logpath, O_WRONLY | O_APPEND);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, "n\0l\n\xff\xfe\n", 7), 7);
  close(fd);
  wait_lines(2);
  ck_assert_uint_eq(lines->len, 6);
  ck_assert(memcmp(lines->str, "n\0l|\xff\xfe", 6) == 0);
  g_string_truncate(lines, 0);
  nlines = 0;
  f2b_logfile_set_max_line(file, 100);
  big[200] = 0;
  append(big);
  append("\nshort\n");
  sync_and_check("m", "short|m");
  wait_log("Skipped 1 line(s) of ");
  wait_log(" longer than 100 bytes (200 bytes in all)");
}
END_TEST

static gboolean
epoch_time(const char *line, gsize len, double *time, gpointer user_data)
{
  ck_assert_ptr_eq(user_data, &nlines);
  if (len < 10)
    return FALSE;
  for (int i = 0; i < 10; i++)
    if (!g_ascii_isdigit(line[i]))
      return FALSE;
  *time = g_ascii_strtod(line, NULL);
  return TRUE;
}

START_TEST(test_autoseek)
{
  /* head: the first read starts near now - findtime, as fail2ban's autoSeek */
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  GString *data = g_string_new(NULL);
  for (int i = 0; i < 200; i++)
    g_string_append_printf(data, "%" G_GINT64_FORMAT " old %d\n", now - 7200 + i, i);
  g_string_append_printf(data, "%" G_GINT64_FORMAT " new 1\n%" G_GINT64_FORMAT " new 2\n", now - 60, now - 30);
  create(data->str);
  g_string_free(data, TRUE);
  F2bsLogWatch *lw = f2bs_logwatch_new(_i, on_line, &nlines);
  f2bs_logwatch_set_poll_interval(lw, 10);
  f2bs_logwatch_set_autoseek(lw, epoch_time, &nlines, 600);
  ck_assert(f2bs_logwatch_add(lw, logpath, FALSE, NULL));
  ck_assert(f2bs_logwatch_start(lw, NULL));
  g_autofree char *expected = g_strdup_printf("%" G_GINT64_FORMAT " new 1|%" G_GINT64_FORMAT " new 2|m", now - 60,
                                              now - 30);
  sync_and_check("m", expected);
  /* only the first read seeks: after a stop and start it goes on from there */
  f2bs_logwatch_stop(lw);
  append("0000000001 ancient but new\n");
  ck_assert(f2bs_logwatch_start(lw, NULL));
  g_autofree char *expected2 = g_strconcat(expected, "|0000000001 ancient but new|m2", NULL);
  sync_and_check("m2", expected2);
  f2bs_logwatch_free(lw);
}
END_TEST

static void
become_nobody(void)
{
  if (getuid() != 0)
    return;
  /* the test's directory and log become nobody's, to be used and removed as nobody */
  ck_assert_int_eq(chown(tmpdir, 65534, 65534), 0);
  ck_assert_int_eq(chown(serverlog, 65534, 65534), 0);
  ck_assert_int_eq(setgroups(0, NULL), 0);
  ck_assert_int_eq(setresgid(65534, 65534, 65534), 0);
  ck_assert_int_eq(setresuid(65534, 65534, 65534), 0);
  /* a changed identity makes the process undumpable, which stops LeakSanitizer */
  prctl(PR_SET_DUMPABLE, 1);
}

START_TEST(test_unreadable)
{
  if (getuid() == 0 && g_strcmp0(g_getenv("CK_FORK"), "no") == 0) {
    fprintf(stderr, "test_unreadable: needs a forked test to drop root (CK_FORK=no)\n");
    return;
  }
  become_nobody();
  g_autoptr(F2bsLogWatch) lw = started(_i, "a1\n", FALSE);
  wait_lines(1);
  append("a2\n");
  ck_assert_int_eq(chmod(logpath, 0200), 0); /* writable, not readable */
  wait_log("Permission denied");
  wait_log("Unable to open ");
  ck_assert_str_eq(lines->str, "a1|a2"); /* read before letting go */
  append("a3\n");
  ck_assert_int_eq(chmod(logpath, 0644), 0);
  sync_and_check("m", "a1|a2|a3|m");
  wait_log("Log presence detected for file ");
}
END_TEST

START_TEST(test_add_remove)
{
  g_autoptr(F2bsLogWatch) lw = f2bs_logwatch_new(_i, on_line, &nlines);
  ck_assert_int_eq(f2bs_logwatch_get_kind(lw), _i);
  GError *error = NULL;
  g_autofree char *missing = g_build_filename(tmpdir, "none.log", NULL);
  ck_assert(!f2bs_logwatch_add(lw, missing, FALSE, &error));
  ck_assert(g_error_matches(error, F2B_LOGFILE_ERROR, F2B_LOGFILE_ERROR_MISSING));
  g_clear_error(&error);
  create("x1\nx2\n");
  ck_assert(f2bs_logwatch_add(lw, logpath, TRUE, &error));
  ck_assert(f2bs_logwatch_add(lw, logpath, FALSE, &error)); /* already there: unchanged */
  F2bLogFile *file = f2bs_logwatch_get_file(lw, logpath);
  ck_assert_ptr_nonnull(file);
  ck_assert_int_eq(f2b_logfile_get_pos(file), 6);
  ck_assert_ptr_null(f2bs_logwatch_get_file(lw, missing));
  ck_assert(f2bs_logwatch_start(lw, &error));
  ck_assert(f2bs_logwatch_start(lw, &error));
  append("x3\n");
  wait_lines(1);
  ck_assert_str_eq(lines->str, "x3");
  /* stop keeps the position; what comes meanwhile is read after start */
  f2bs_logwatch_stop(lw);
  ck_assert(!f2bs_logwatch_is_started(lw));
  append("x4\n");
  ck_assert(f2bs_logwatch_start(lw, &error));
  sync_and_check("m", "x3|x4|m");
  ck_assert(f2bs_logwatch_remove(lw, logpath));
  ck_assert(!f2bs_logwatch_remove(lw, logpath));
  g_autoptr(GPtrArray) paths = f2bs_logwatch_paths(lw);
  ck_assert_uint_eq(paths->len, 0);
  append("after removal\n");
  /* a file added to a started watcher is read at once; the removed one no more */
  g_autofree char *other = g_build_filename(tmpdir, "other.log", NULL);
  write_file(other, "o1\n", O_TRUNC);
  ck_assert(f2bs_logwatch_add(lw, other, FALSE, &error));
  wait_lines(4);
  write_file(other, "o2\n", O_APPEND);
  wait_lines(5);
  ck_assert_str_eq(lines->str, "x3|x4|m|other.log:o1|other.log:o2");
}
END_TEST

START_TEST(test_kind_for_backend)
{
  F2bsLogWatchKind kind = 99;
  ck_assert(f2bs_logwatch_kind_for_backend("auto", &kind));
  ck_assert_int_eq(kind, F2BS_LOGWATCH_INOTIFY);
  ck_assert(f2bs_logwatch_kind_for_backend("PyInotify[a=b]", &kind));
  ck_assert_int_eq(kind, F2BS_LOGWATCH_INOTIFY);
  ck_assert(f2bs_logwatch_kind_for_backend("polling", &kind));
  ck_assert_int_eq(kind, F2BS_LOGWATCH_POLLING);
  kind = 99;
  ck_assert(f2bs_logwatch_kind_for_backend("gamin", &kind));
  ck_assert_int_eq(kind, F2BS_LOGWATCH_POLLING);
  ck_assert(!f2bs_logwatch_kind_for_backend("systemd[journalflags=1]", &kind));
  ck_assert(!f2bs_logwatch_kind_for_backend("nonsense", &kind));
}
END_TEST

/* ---- flow: pauses and the per-turn share ---- */


static gboolean
busy_func(gpointer user_data)
{
  ck_assert_ptr_eq(user_data, &busy_after);
  return busy_after && nlines >= busy_after;
}

/* Runs the loop for MS milliseconds. */
static void
spin_ms(guint ms)
{
  gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
  guint ticker = g_timeout_add(10, tick, NULL);
  while (g_get_monotonic_time() < end)
    g_main_context_iteration(NULL, TRUE);
  g_source_remove(ticker);
}

/* While busy nothing is read, whatever happens to the file; after resume
 * every line comes once, in order. */
START_TEST(test_busy_pause)
{
  busy_after = 3;
  create("b0\nb1\nb2\nb3\nb4\n");
  F2bsLogWatch *lw = f2bs_logwatch_new(_i, on_line, &nlines);
  f2bs_logwatch_set_poll_interval(lw, 10);
  f2bs_logwatch_set_busy_func(lw, busy_func, &busy_after);
  ck_assert(f2bs_logwatch_add(lw, logpath, FALSE, NULL));
  ck_assert(f2bs_logwatch_start(lw, NULL));
  wait_lines(3);
  append("b5\n");
  spin_ms(200);
  ck_assert_str_eq(lines->str, "b0|b1|b2");
  /* rotated while paused: the old file's rest first */
  g_autofree char *old = g_strconcat(logpath, ".1", NULL);
  ck_assert_int_eq(rename(logpath, old), 0);
  create("n1\n");
  spin_ms(200);
  ck_assert_str_eq(lines->str, "b0|b1|b2");
  busy_after = 5; /* lets two more through, then busy again */
  f2bs_logwatch_resume(lw);
  wait_lines(5);
  spin_ms(200);
  ck_assert_str_eq(lines->str, "b0|b1|b2|b3|b4");
  busy_after = 0;
  f2bs_logwatch_resume(lw);
  sync_and_check("end", "b0|b1|b2|b3|b4|b5|n1|end");
  f2bs_logwatch_free(lw);
}
END_TEST

/* A resume on a watcher with nothing waiting, or a stopped one, does nothing. */
START_TEST(test_resume_idle)
{
  g_autoptr(F2bsLogWatch) lw = f2bs_logwatch_new(_i, on_line, &nlines);
  create("x\n");
  ck_assert(f2bs_logwatch_add(lw, logpath, FALSE, NULL));
  f2bs_logwatch_resume(lw); /* not started */
  spin_ms(50);
  ck_assert_uint_eq(nlines, 0);
  f2bs_logwatch_set_poll_interval(lw, 10);
  ck_assert(f2bs_logwatch_start(lw, NULL));
  wait_lines(1);
  f2bs_logwatch_resume(lw);
  sync_and_check("end", "x|end");
}
END_TEST

/* A big backlog is read a share per main-loop turn, all of it in the end. */
START_TEST(test_share_per_turn)
{
  const guint total = 6000; /* 100 bytes each: more than two shares */
  GString *text = g_string_new(NULL);
  GString *expected = g_string_new(NULL);
  for (guint i = 0; i < total; i++) {
    gsize start = text->len;
    g_string_append_printf(text, "line %05u ", i);
    while (text->len - start < 99)
      g_string_append_c(text, 'x');
    if (i)
      g_string_append_c(expected, '|');
    g_string_append_len(expected, text->str + start, 99);
    g_string_append_c(text, '\n');
  }
  create(text->str);
  g_string_free(text, TRUE);
  g_autoptr(F2bsLogWatch) lw = f2bs_logwatch_new(_i, on_line, &nlines);
  f2bs_logwatch_set_poll_interval(lw, 10);
  ck_assert(f2bs_logwatch_add(lw, logpath, FALSE, NULL));
  ck_assert(f2bs_logwatch_start(lw, NULL));
  gint64 end = g_get_monotonic_time() + WAIT_US;
  while (nlines == 0 && g_get_monotonic_time() < end)
    g_main_context_iteration(NULL, TRUE);
  /* the turn that read ends after the line that reached the share */
  ck_assert_uint_eq(nlines, (guint)(F2BS_LOGWATCH_READ_LIMIT + 99) / 100);
  wait_lines(total);
  ck_assert_uint_eq(nlines, total);
  ck_assert(strcmp(lines->str, expected->str) == 0);
  g_string_free(expected, TRUE);
}
END_TEST

static void
loop_tests(Suite *s, const char *name, const TTest *test)
{
  TCase *tc = tcase_create(name);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test, F2BS_LOGWATCH_INOTIFY, F2BS_LOGWATCH_POLLING + 1);
  suite_add_tcase(s, tc);
}

int
main(void)
{
  Suite *s = suite_create("logwatch");
  loop_tests(s, "partial", test_partial_lines);
  loop_tests(s, "tail", test_tail);
  loop_tests(s, "rename", test_rename_and_new);
  loop_tests(s, "rename-at-once", test_rename_at_once);
  loop_tests(s, "copytruncate", test_copytruncate);
  loop_tests(s, "delete", test_delete_and_recreate);
  loop_tests(s, "shrink", test_shrink);
  loop_tests(s, "directory", test_directory);
  loop_tests(s, "directory-gone", test_directory_gone);
  loop_tests(s, "unreadable", test_unreadable);
  loop_tests(s, "add-remove", test_add_remove);
  loop_tests(s, "autoseek", test_autoseek);
  loop_tests(s, "bad-input", test_bad_input);
  loop_tests(s, "busy-pause", test_busy_pause);
  loop_tests(s, "resume-idle", test_resume_idle);
  loop_tests(s, "share-per-turn", test_share_per_turn);
  TCase *tc = tcase_create("backend");
  tcase_add_test(tc, test_kind_for_backend);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

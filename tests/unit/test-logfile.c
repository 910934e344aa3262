/* test-logfile.c - fail2ban-c/logfile.c: FileContainer's start positions,
 * first-line hash, complete lines only, line ends, the line-length bound and
 * every kind of rotation, each on a file made in a temporary directory. */
#include "check-main.h"
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logfile.h"

static char *tmpdir;
static char *logpath;

static void
setup(void)
{
  tmpdir = g_dir_make_tmp("test-logfile-XXXXXX", NULL);
  ck_assert_ptr_nonnull(tmpdir);
  logpath = g_build_filename(tmpdir, "test.log", NULL);
}

static void
teardown(void)
{
  g_autoptr(GDir) dir = g_dir_open(tmpdir, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name(dir))) {
    g_autofree char *p = g_build_filename(tmpdir, name, NULL);
    if (g_file_test(p, G_FILE_TEST_IS_DIR))
      g_rmdir(p);
    else
      g_unlink(p);
  }
  g_rmdir(tmpdir);
  g_free(logpath);
  g_free(tmpdir);
}

static void
write_at(const char *path, const char *data, gsize len, int flags)
{
  int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
  close(fd);
}

static void
append(const char *path, const char *text)
{
  write_at(path, text, strlen(text), O_APPEND);
}

static void
create(const char *path, const char *text)
{
  write_at(path, text, strlen(text), O_TRUNC);
}

/* Lines collected as "a|b|c" (an empty line shown as <>, NUL as \0). */
static void
collect(const char *line, gsize len, gpointer user_data)
{
  GString *out = user_data;
  if (out->len)
    g_string_append_c(out, '|');
  if (len == 0)
    g_string_append(out, "<>");
  for (gsize i = 0; i < len; i++) {
    if (line[i] == 0)
      g_string_append(out, "\\0");
    else
      g_string_append_c(out, line[i]);
  }
}

/* Reads and returns the lines delivered; the read must succeed. */
static char *
read_ok(F2bLogFile *lf, F2bLogFileResult *result)
{
  GString *out = g_string_new(NULL);
  GError *error = NULL;
  gboolean ok = f2b_logfile_read(lf, collect, out, result, &error);
  if (!ok)
    ck_abort_msg("read failed: %s", error->message);
  return g_string_free(out, FALSE);
}

static char *
sha1(const char *text)
{
  return g_compute_checksum_for_string(G_CHECKSUM_SHA1, text, -1);
}

START_TEST(test_new_errors)
{
  GError *error = NULL;
  g_autofree char *missing = g_build_filename(tmpdir, "none.log", NULL);
  ck_assert_ptr_null(f2b_logfile_new(missing, FALSE, &error));
  ck_assert(g_error_matches(error, F2B_LOGFILE_ERROR, F2B_LOGFILE_ERROR_MISSING));
  g_autofree char *msg = g_strdup_printf("[Errno 2] No such file or directory: '%s'", missing);
  ck_assert_str_eq(error->message, msg);
  g_clear_error(&error);

  ck_assert_ptr_null(f2b_logfile_new(tmpdir, TRUE, &error));
  ck_assert(g_error_matches(error, F2B_LOGFILE_ERROR, F2B_LOGFILE_ERROR_NOT_FILE));
  g_autofree char *msg2 = g_strdup_printf("[Errno 21] Is a directory: '%s'", tmpdir);
  ck_assert_str_eq(error->message, msg2);
  g_clear_error(&error);

  /* a quote in the name: Python's repr switches to double quotes */
  g_autofree char *quoted = g_build_filename(tmpdir, "it's.log", NULL);
  ck_assert_ptr_null(f2b_logfile_new(quoted, FALSE, &error));
  g_autofree char *msg3 = g_strdup_printf("[Errno 2] No such file or directory: \"%s\"", quoted);
  ck_assert_str_eq(error->message, msg3);
  g_clear_error(&error);
}
END_TEST

START_TEST(test_hash)
{
  /* fail2ban 1.0.2's value for this file, from FileContainer.getHash() */
  create(logpath, "first line\nsecond\n");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  ck_assert_str_eq(f2b_logfile_get_hash(lf), "e32c72173d6151f438f6ff3a85c56a46ed99ca81");
  ck_assert_int_eq(f2b_logfile_get_pos(lf), 0);
  ck_assert(!f2b_logfile_in_operation(lf));
  struct stat st;
  ck_assert_int_eq(stat(logpath, &st), 0);
  ck_assert_uint_eq(f2b_logfile_get_ino(lf), st.st_ino);
  ck_assert_str_eq(f2b_logfile_get_path(lf), logpath);
  ck_assert(!f2b_logfile_get_tail(lf));

  /* incomplete first line: no hash; it comes with the line end */
  create(logpath, "partial");
  g_autoptr(F2bLogFile) lf2 = f2b_logfile_new(logpath, FALSE, NULL);
  ck_assert_str_eq(f2b_logfile_get_hash(lf2), "");
  append(logpath, " line\r\nnext\n");
  g_autofree char *lines = read_ok(lf2, NULL);
  ck_assert_str_eq(lines, "partial line|next");
  g_autofree char *h = sha1("partial line\r\n");
  ck_assert_str_eq(f2b_logfile_get_hash(lf2), h);

  /* a first line ending in a lone "\r" counts as complete (with the "\r") */
  create(logpath, "abc\r");
  g_autoptr(F2bLogFile) lf3 = f2b_logfile_new(logpath, FALSE, NULL);
  g_autofree char *h3 = sha1("abc\r");
  ck_assert_str_eq(f2b_logfile_get_hash(lf3), h3);

  /* empty file */
  create(logpath, "");
  g_autoptr(F2bLogFile) lf4 = f2b_logfile_new(logpath, TRUE, NULL);
  ck_assert_str_eq(f2b_logfile_get_hash(lf4), "");
  ck_assert_int_eq(f2b_logfile_get_pos(lf4), 0);
}
END_TEST

/* During the callback the position is past the line being handed on (a
 * commit made for the line records it as read), the "\r" last line too. */
typedef struct {
  F2bLogFile *lf;
  GString *seen;
} PosSeen;

static void
note_pos(const char *line, gsize len, gpointer user_data)
{
  PosSeen *ps = user_data;
  g_string_append_printf(ps->seen, "%s%.*s@%" G_GINT64_FORMAT, ps->seen->len ? " " : "", (int)len, line,
                         f2b_logfile_get_pos(ps->lf));
}

START_TEST(test_pos_during_callback)
{
  create(logpath, "ab\ncde\r\nf\r");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  g_autoptr(GString) seen = g_string_new(NULL);
  PosSeen ps = { lf, seen };
  ck_assert(f2b_logfile_read(lf, note_pos, &ps, NULL, NULL));
  ck_assert_str_eq(seen->str, "ab@3 cde@8 f@10");
  ck_assert_int_eq(f2b_logfile_get_pos(lf), 10);
}
END_TEST

START_TEST(test_head_and_partial)
{
  create(logpath, "one\ntwo\nthr");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  F2bLogFileResult r;
  g_autofree char *a = read_ok(lf, &r);
  ck_assert_str_eq(a, "one|two");
  ck_assert_uint_eq(r.lines, 2);
  ck_assert(!r.rotated);
  ck_assert_int_eq(f2b_logfile_get_pos(lf), 8); /* the partial line waits */
  ck_assert(f2b_logfile_in_operation(lf));
  g_autofree char *b = read_ok(lf, &r);
  ck_assert_str_eq(b, "");
  ck_assert_uint_eq(r.lines, 0);
  append(logpath, "ee");
  g_autofree char *c = read_ok(lf, NULL);
  ck_assert_str_eq(c, "");
  append(logpath, "\nfour\n");
  g_autofree char *d = read_ok(lf, NULL);
  ck_assert_str_eq(d, "three|four");
  ck_assert_int_eq(f2b_logfile_get_pos(lf), 19);
  g_autofree char *e = read_ok(lf, NULL);
  ck_assert_str_eq(e, "");
}
END_TEST

/* fail2ban's inOperation: a file empty at start stays "not in operation"
 * until a read that found lines has reached its end. */
START_TEST(test_empty_at_start)
{
  create(logpath, "");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  g_autofree char *a = read_ok(lf, NULL);
  ck_assert_str_eq(a, "");
  ck_assert(!f2b_logfile_in_operation(lf));
  append(logpath, "one\ntwo\n");
  g_autofree char *b = read_ok(lf, NULL);
  ck_assert_str_eq(b, "one|two");
  ck_assert(f2b_logfile_in_operation(lf));
}
END_TEST

START_TEST(test_tail)
{
  create(logpath, "old 1\nold 2\npart");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, TRUE, NULL);
  ck_assert_int_eq(f2b_logfile_get_pos(lf), 16);
  ck_assert(f2b_logfile_in_operation(lf));
  ck_assert(f2b_logfile_get_tail(lf));
  /* fail2ban starts at the byte where the file ended, even mid-line */
  append(logpath, "ial\nnew\n");
  g_autofree char *a = read_ok(lf, NULL);
  ck_assert_str_eq(a, "ial|new");
}
END_TEST

START_TEST(test_line_ends)
{
  const char data[] = "crlf\r\nmid\rcr\nmany\r\r\n\nnul\0byte\n";
  write_at(logpath, data, sizeof data - 1, O_TRUNC);
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  g_autofree char *a = read_ok(lf, NULL);
  ck_assert_str_eq(a, "crlf|mid\rcr|many|<>|nul\\0byte");

  /* a last line ending in "\r" is taken as complete; its "\n" then makes an empty line */
  append(logpath, "lone\r");
  F2bLogFileResult r;
  g_autofree char *b = read_ok(lf, &r);
  ck_assert_str_eq(b, "lone");
  ck_assert_uint_eq(r.lines, 1);
  append(logpath, "\nafter\n");
  g_autofree char *c = read_ok(lf, &r);
  ck_assert_str_eq(c, "<>|after");
  ck_assert_uint_eq(r.lines, 2);
}
END_TEST

START_TEST(test_long_lines)
{
  /* 1 MiB lines pass with the default bound */
  GString *big = g_string_new(NULL);
  for (int i = 0; i < 2; i++) {
    for (gsize j = 0; j < ((gsize)1 << 20); j++)
      g_string_append_c(big, (char)('a' + (i + j) % 26));
    g_string_append_c(big, '\n');
  }
  g_string_append(big, "short\n");
  write_at(logpath, big->str, big->len, O_TRUNC);
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  g_autoptr(GString) out = g_string_new(NULL);
  F2bLogFileResult r;
  ck_assert(f2b_logfile_read(lf, collect, out, &r, NULL));
  ck_assert_uint_eq(r.lines, 3);
  ck_assert_uint_eq(r.long_lines, 0);
  ck_assert_uint_eq(out->len, 2 * ((gsize)1 << 20) + 2 + 5);
  ck_assert(memcmp(out->str, big->str, (gsize)1 << 20) == 0);
  ck_assert_str_eq(out->str + out->len - 6, "|short");
  ck_assert_int_eq(f2b_logfile_get_pos(lf), (gint64)big->len);
  g_string_free(big, TRUE);

  /* over the bound: skipped whole, across several reads, the rest goes on */
  GString *data = g_string_new("before\n");
  for (int i = 0; i < 200000; i++)
    g_string_append_c(data, 'L');
  g_string_append(data, "\nmid\n0123456789AB\nafter\n");
  write_at(logpath, data->str, data->len, O_TRUNC);
  g_autoptr(F2bLogFile) lf2 = f2b_logfile_new(logpath, FALSE, NULL);
  f2b_logfile_set_max_line(lf2, 10);
  g_autofree char *a = read_ok(lf2, &r);
  ck_assert_str_eq(a, "before|mid|after");
  ck_assert_uint_eq(r.long_lines, 2);
  ck_assert_uint_eq(r.long_bytes, 200000 + 12);
  ck_assert_int_eq(f2b_logfile_get_pos(lf2), (gint64)data->len);
  g_string_free(data, TRUE);
}
END_TEST

START_TEST(test_long_partial)
{
  /* a long line still being written: dropped as it grows, its end too */
  create(logpath, "ok\n");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  f2b_logfile_set_max_line(lf, 8);
  ck_assert_uint_eq(f2b_logfile_get_max_line(lf), 8);
  F2bLogFileResult r;
  g_autofree char *a = read_ok(lf, &r);
  ck_assert_str_eq(a, "ok");
  append(logpath, "0123456789");
  g_autofree char *b = read_ok(lf, &r);
  ck_assert_str_eq(b, "");
  ck_assert_uint_eq(r.long_lines, 0);
  ck_assert_int_eq(f2b_logfile_get_pos(lf), 3);
  append(logpath, "more\nnext\n");
  g_autofree char *c = read_ok(lf, &r);
  ck_assert_str_eq(c, "next");
  ck_assert_uint_eq(r.long_lines, 1);
  ck_assert_uint_eq(r.long_bytes, 14);
  ck_assert_int_eq(f2b_logfile_get_pos(lf), 23);
  /* exactly at the bound is accepted */
  append(logpath, "12345678\n");
  g_autofree char *d = read_ok(lf, &r);
  ck_assert_str_eq(d, "12345678");
}
END_TEST

START_TEST(test_rename_and_new)
{
  create(logpath, "a1\na2\n");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  g_autofree char *a = read_ok(lf, NULL);
  ck_assert_str_eq(a, "a1|a2");
  /* written before the rotation and not read yet */
  append(logpath, "a3\n");
  g_autofree char *old = g_strconcat(logpath, ".1", NULL);
  ck_assert_int_eq(rename(logpath, old), 0);
  append(old, "a4\n"); /* the writer still holds the old file */

  /* nothing at the path: the old file is read on, and kept */
  GString *out = g_string_new(NULL);
  GError *error = NULL;
  F2bLogFileResult r;
  ck_assert(!f2b_logfile_read(lf, collect, out, &r, &error));
  ck_assert(g_error_matches(error, F2B_LOGFILE_ERROR, F2B_LOGFILE_ERROR_MISSING));
  g_clear_error(&error);
  ck_assert_str_eq(out->str, "a3|a4");
  ck_assert_uint_eq(r.lines, 2);
  ck_assert(f2b_logfile_following_old(lf));
  g_string_free(out, TRUE);

  append(old, "a5\n");
  create(logpath, "b1\nb2\n");
  g_autofree char *b = read_ok(lf, &r);
  ck_assert_str_eq(b, "a5|b1|b2");
  ck_assert(r.rotated);
  ck_assert(!f2b_logfile_following_old(lf));
  g_autofree char *h = sha1("b1\n");
  ck_assert_str_eq(r.rotation.hash, h);
  g_autofree char *oh = sha1("a1\n");
  ck_assert_str_eq(r.rotation.old_hash, oh);
  ck_assert_int_eq(r.rotation.size, 6);
  ck_assert_int_eq(f2b_logfile_get_pos(lf), 6);
  ck_assert_str_eq(f2b_logfile_get_hash(lf), h);
  struct stat st;
  ck_assert_int_eq(stat(logpath, &st), 0);
  ck_assert_uint_eq(f2b_logfile_get_ino(lf), st.st_ino);
  ck_assert_uint_eq(r.rotation.ino, st.st_ino);
  append(old, "late\n"); /* after the switch: no longer followed */
  g_autofree char *c = read_ok(lf, &r);
  ck_assert_str_eq(c, "");
  ck_assert(!r.rotated);
}
END_TEST

START_TEST(test_rename_while_closed)
{
  /* rename + new file before any read: the old file's lines come first */
  create(logpath, "a1\n");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  g_autofree char *old = g_strconcat(logpath, ".1", NULL);
  ck_assert_int_eq(rename(logpath, old), 0);
  append(old, "a2\n");
  create(logpath, "b1\n");
  F2bLogFileResult r;
  g_autofree char *a = read_ok(lf, &r);
  ck_assert_str_eq(a, "a1|a2|b1");
  ck_assert(r.rotated);
}
END_TEST

START_TEST(test_copytruncate)
{
  create(logpath, "a1\na2\n");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  g_autofree char *a = read_ok(lf, NULL);
  ck_assert_str_eq(a, "a1|a2");
  struct stat before;
  ck_assert_int_eq(stat(logpath, &before), 0);
  ck_assert_int_eq(truncate(logpath, 0), 0);
  F2bLogFileResult r;
  g_autofree char *b = read_ok(lf, &r);
  ck_assert_str_eq(b, "");
  ck_assert(r.rotated);
  ck_assert_int_eq(r.rotation.size, 0);
  ck_assert_int_eq(r.rotation.pos, 6);
  ck_assert_uint_eq(r.rotation.ino, before.st_ino);
  ck_assert_uint_eq(r.rotation.old_ino, before.st_ino);
  ck_assert_str_eq(r.rotation.hash, "");
  g_autofree char *repr = f2b_logfile_rotation_repr(&r.rotation);
  g_autofree char *oh = sha1("a1\n");
  g_autofree char *want = g_strdup_printf("(0, 6, %lu, %lu, '', '%s')", (unsigned long)before.st_ino,
                                          (unsigned long)before.st_ino, oh);
  ck_assert_str_eq(repr, want);
  append(logpath, "b1\n");
  g_autofree char *c = read_ok(lf, &r);
  ck_assert_str_eq(c, "b1");
  ck_assert(!r.rotated); /* the hash was "" after the truncation */
}
END_TEST

START_TEST(test_copytruncate_regrown)
{
  /* truncated and refilled past our position before we look: the first line
   * tells (fail2ban 1.0.2 re-hashes only every 30 s and goes on from its old
   * position: it loses "b1") */
  create(logpath, "a1\n");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  g_autofree char *a = read_ok(lf, NULL);
  ck_assert_str_eq(a, "a1");
  create(logpath, "b1\nb2\nb3\n");
  F2bLogFileResult r;
  g_autofree char *b = read_ok(lf, &r);
  ck_assert_str_eq(b, "b1|b2|b3");
  ck_assert(r.rotated);
}
END_TEST

START_TEST(test_shrink)
{
  create(logpath, "a1\na2\na3\n");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  g_autofree char *a = read_ok(lf, NULL);
  ck_assert_str_eq(a, "a1|a2|a3");
  /* shorter, same first line: fail2ban takes it as a new file from 0 */
  ck_assert_int_eq(truncate(logpath, 3), 0);
  append(logpath, "c\n");
  F2bLogFileResult r;
  g_autofree char *b = read_ok(lf, &r);
  ck_assert_str_eq(b, "a1|c");
  ck_assert(r.rotated);
  ck_assert_int_eq(r.rotation.size, 5);
  ck_assert_int_eq(r.rotation.pos, 9);
}
END_TEST

START_TEST(test_delete_and_recreate)
{
  create(logpath, "a1\n");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  g_autofree char *a = read_ok(lf, NULL);
  ck_assert_str_eq(a, "a1");
  append(logpath, "a2\n");
  ck_assert_int_eq(g_unlink(logpath), 0);
  GString *out = g_string_new(NULL);
  GError *error = NULL;
  ck_assert(!f2b_logfile_read(lf, collect, out, NULL, &error));
  ck_assert(g_error_matches(error, F2B_LOGFILE_ERROR, F2B_LOGFILE_ERROR_MISSING));
  g_clear_error(&error);
  ck_assert_str_eq(out->str, "a2"); /* read to its end before letting go */
  ck_assert(!f2b_logfile_following_old(lf));
  g_string_free(out, TRUE);
  /* again: nothing more, still missing */
  g_autoptr(GString) none = g_string_new(NULL);
  ck_assert(!f2b_logfile_read(lf, collect, none, NULL, &error));
  g_clear_error(&error);
  ck_assert_str_eq(none->str, "");
  /* back, possibly with the same inode number: new, read from 0 */
  create(logpath, "b1\nb2\n");
  F2bLogFileResult r;
  g_autofree char *b = read_ok(lf, &r);
  ck_assert_str_eq(b, "b1|b2");
  ck_assert(r.rotated);
}
END_TEST

START_TEST(test_directory)
{
  create(logpath, "a1\n");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  append(logpath, "a2\n");
  g_autofree char *old = g_strconcat(logpath, ".1", NULL);
  ck_assert_int_eq(rename(logpath, old), 0);
  ck_assert_int_eq(g_mkdir(logpath, 0755), 0);
  GString *out = g_string_new(NULL);
  GError *error = NULL;
  ck_assert(!f2b_logfile_read(lf, collect, out, NULL, &error));
  ck_assert(g_error_matches(error, F2B_LOGFILE_ERROR, F2B_LOGFILE_ERROR_NOT_FILE));
  g_clear_error(&error);
  ck_assert_str_eq(out->str, "a1|a2");
  g_string_free(out, TRUE);
  ck_assert_int_eq(g_rmdir(logpath), 0);
  create(logpath, "b1\n");
  F2bLogFileResult r;
  g_autofree char *b = read_ok(lf, &r);
  ck_assert_str_eq(b, "b1");
  ck_assert(r.rotated);
}
END_TEST

START_TEST(test_pos_and_close)
{
  create(logpath, "l1\nl2\nl3\n");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  /* a position restored from fail2ban's database */
  f2b_logfile_set_pos(lf, 3);
  g_autofree char *a = read_ok(lf, NULL);
  ck_assert_str_eq(a, "l2|l3");
  f2b_logfile_set_pos(lf, 6);
  append(logpath, "l4");
  g_autofree char *b = read_ok(lf, NULL);
  ck_assert_str_eq(b, "l3");
  /* closed with a partial line pending: nothing lost, nothing twice */
  f2b_logfile_close(lf);
  ck_assert_int_eq(f2b_logfile_get_pos(lf), 9);
  append(logpath, "\n");
  g_autofree char *c = read_ok(lf, NULL);
  ck_assert_str_eq(c, "l4");
  f2b_logfile_set_hash(lf, "0123");
  ck_assert_str_eq(f2b_logfile_get_hash(lf), "0123");
  f2b_logfile_set_hash(lf, NULL);
  ck_assert_str_eq(f2b_logfile_get_hash(lf), "");
}
END_TEST

START_TEST(test_empty_then_replaced)
{
  /* fail2ban 1.0.2 reads such a file twice (its inode is only updated when
   * a hash was known): here each line comes once */
  create(logpath, "");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  g_autofree char *a = read_ok(lf, NULL);
  ck_assert_str_eq(a, "");
  g_autofree char *tmp = g_strconcat(logpath, ".tmp", NULL);
  write_at(tmp, "keep\n", 5, O_TRUNC);
  ck_assert_int_eq(rename(tmp, logpath), 0);
  append(logpath, "x1\n");
  F2bLogFileResult r;
  g_autofree char *b = read_ok(lf, &r);
  ck_assert_str_eq(b, "keep|x1");
  ck_assert(!r.rotated); /* no first line was known: nothing to report */
  append(logpath, "x2\n");
  g_autofree char *c = read_ok(lf, NULL);
  ck_assert_str_eq(c, "x2");
}
END_TEST

START_TEST(test_stored_hash_mismatch)
{
  /* a hash set from the database that does not match: a rotation from 0 */
  create(logpath, "l1\nl2\n");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  f2b_logfile_set_hash(lf, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  f2b_logfile_set_pos(lf, 3);
  F2bLogFileResult r;
  g_autofree char *a = read_ok(lf, &r);
  ck_assert_str_eq(a, "l1|l2");
  ck_assert(r.rotated);
}
END_TEST

/* Times as "{^LN-BEG}EPOCH" finds them: ten digits at the start. */
static gboolean
epoch_time(const char *line, gsize len, double *time, gpointer user_data)
{
  (*(int *)user_data)++;
  if (len < 10 || (len > 10 && g_ascii_isdigit(line[10])))
    return FALSE;
  double t = 0;
  for (int i = 0; i < 10; i++) {
    if (!g_ascii_isdigit(line[i]))
      return FALSE;
    t = t * 10 + (line[i] - '0');
  }
  *time = t;
  return TRUE;
}

START_TEST(test_seek_to_time)
{
  /* positions are fail2ban 1.0.2's FileFilter.seekToTime on the same file
   * (datepattern {^LN-BEG}EPOCH): it may stop on an undated line before the
   * first later time, and at the end when every line is older */
  GString *data = g_string_new(NULL);
  for (int i = 0; i < 40; i++) {
    if (i % 7 == 3)
      g_string_append_printf(data, "no date %d\n", i);
    else
      g_string_append_printf(data, "%d event %d\n", 1700000000 + i * 10, i);
  }
  write_at(logpath, data->str, data->len, O_TRUNC);
  ck_assert_uint_eq(data->len, 736);
  g_string_free(data, TRUE);
  const struct { double start; gint64 pos; guint seeks; } cases[] = {
    { 1699999990, 0, 1 }, { 1700000005, 19, 10 }, { 1700000100, 181, 7 },
    { 1700000235, 443, 7 }, { 1700000391, 736, 5 }, { 1700000500, 736, 5 },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
    int calls = 0;
    ck_assert_uint_eq(f2b_logfile_seek_to_time(lf, cases[i].start, epoch_time, &calls), cases[i].seeks);
    ck_assert_int_eq(f2b_logfile_get_pos(lf), cases[i].pos);
    ck_assert_int_gt(calls, 0);
  }
  /* from a position restored from the database: never backwards */
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  f2b_logfile_set_pos(lf, 40);
  int calls = 0;
  f2b_logfile_seek_to_time(lf, 1700000005, epoch_time, &calls);
  ck_assert_int_eq(f2b_logfile_get_pos(lf), 40);
  /* the lines are then read from there */
  g_autoptr(F2bLogFile) lf2 = f2b_logfile_new(logpath, FALSE, NULL);
  f2b_logfile_seek_to_time(lf2, 1700000235, epoch_time, &calls);
  g_autofree char *rest = read_ok(lf2, NULL);
  ck_assert(g_str_has_prefix(rest, "no date 24|1700000250 event 25|"));
  ck_assert(g_str_has_suffix(rest, "|1700000390 event 39"));
  /* an empty file: nothing to do */
  create(logpath, "");
  g_autoptr(F2bLogFile) empty = f2b_logfile_new(logpath, FALSE, NULL);
  calls = 0;
  ck_assert_uint_eq(f2b_logfile_seek_to_time(empty, 1, epoch_time, &calls), 0);
  ck_assert_int_eq(calls, 0);
}
END_TEST

START_TEST(test_seek_to_time_big)
{
  GString *data = g_string_new(NULL);
  for (int i = 0; i < 1000; i++)
    g_string_append_printf(data, "%d line %d\n", 1700000000 + i, i);
  write_at(logpath, data->str, data->len, O_TRUNC);
  g_string_free(data, TRUE);
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  int calls = 0;
  ck_assert_uint_eq(f2b_logfile_seek_to_time(lf, 1700000500, epoch_time, &calls), 13);
  ck_assert_int_eq(f2b_logfile_get_pos(lf), 9890); /* fail2ban's: the line of 1700000500 */
  ck_assert_int_lt(calls, 100); /* a search, not a scan */
}
END_TEST

/* ---- bounded reads ---- */

/* Collects lines and stops the read after its line number STOP_AT (1-based, 0: never). */
typedef struct {
  GString *out;
  guint seen, stop_at;
  F2bLogFile *lf;
} Stopper;

static void
collect_stop(const char *line, gsize len, gpointer user_data)
{
  Stopper *st = user_data;
  collect(line, len, st->out);
  if (++st->seen == st->stop_at)
    f2b_logfile_stop_read(st->lf);
}

/* One read stopped after STOP_AT of its lines (0: not stopped); returns its lines. */
static char *
read_stop(F2bLogFile *lf, guint stop_at, F2bLogFileResult *r)
{
  Stopper st = { g_string_new(NULL), 0, stop_at, lf };
  GError *error = NULL;
  if (!f2b_logfile_read(lf, collect_stop, &st, r, &error))
    ck_abort_msg("read failed: %s", error->message);
  return g_string_free(st.out, FALSE);
}

START_TEST(test_stop_and_go_on)
{
  create(logpath, "l1\nl2\nl3\nl4\nl5\npart");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  F2bLogFileResult r;
  g_autofree char *a = read_stop(lf, 2, &r);
  ck_assert_str_eq(a, "l1|l2");
  ck_assert(r.more);
  ck_assert_uint_eq(r.lines, 2);
  ck_assert_int_eq(f2b_logfile_get_pos(lf), 6); /* the first line not delivered */
  ck_assert(!f2b_logfile_in_operation(lf));     /* the end was not reached */
  append(logpath, "ial\nl7\n");
  g_autofree char *b = read_stop(lf, 3, &r);
  ck_assert_str_eq(b, "l3|l4|l5");
  ck_assert(r.more);
  ck_assert(!f2b_logfile_in_operation(lf));
  g_autofree char *c = read_stop(lf, 0, &r);
  ck_assert_str_eq(c, "partial|l7");
  ck_assert(!r.more);
  ck_assert(f2b_logfile_in_operation(lf));
  ck_assert_int_eq(f2b_logfile_get_pos(lf), 26);
  g_autofree char *d = read_stop(lf, 0, &r);
  ck_assert_str_eq(d, "");
  ck_assert(!r.more);
}
END_TEST

/* Lines a stopped read keeps in memory are never taken for an over-long
 * line, however many bytes they make together. */
START_TEST(test_stop_with_short_bound)
{
  create(logpath, "aaaa\nbbbb\ncccc\ndddd\ntoolongline\neeee\n");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  f2b_logfile_set_max_line(lf, 6);
  F2bLogFileResult r;
  g_autofree char *a = read_stop(lf, 1, &r);
  ck_assert_str_eq(a, "aaaa");
  g_autofree char *b = read_stop(lf, 0, &r);
  ck_assert_str_eq(b, "bbbb|cccc|dddd|eeee");
  ck_assert_uint_eq(r.long_lines, 1);
  ck_assert_uint_eq(r.long_bytes, 11);
}
END_TEST

START_TEST(test_read_limit)
{
  GString *text = g_string_new(NULL);
  for (int i = 0; i < 1000; i++)
    g_string_append_printf(text, "line %04d\n", i); /* 10 bytes each */
  write_at(logpath, text->str, text->len, O_TRUNC);
  g_string_free(text, TRUE);
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  f2b_logfile_set_read_limit(lf, 95); /* a read ends after the line that reaches it */
  F2bLogFileResult r;
  guint reads = 0, lines = 0;
  do {
    g_autofree char *got = read_stop(lf, 0, &r);
    g_autofree char *first = g_strdup_printf("line %04u", lines);
    if (r.lines)
      ck_assert_msg(g_str_has_prefix(got, first), "read %u starts with %s", reads, got);
    lines += (guint)r.lines;
    reads++;
    ck_assert_uint_eq(r.lines, r.more ? 10 : 0);
  } while (r.more);
  ck_assert_uint_eq(lines, 1000);
  ck_assert_uint_eq(reads, 101); /* the last one finds the end */
  ck_assert(f2b_logfile_in_operation(lf));
}
END_TEST

/* A rotation while a read is stopped: the old file's lines first (across
 * reads), then the new file. */
START_TEST(test_stop_across_rotation)
{
  create(logpath, "a1\na2\na3\na4\n");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  F2bLogFileResult r;
  g_autofree char *a = read_stop(lf, 1, &r);
  ck_assert_str_eq(a, "a1");
  g_autofree char *old = g_strconcat(logpath, ".1", NULL);
  ck_assert_int_eq(rename(logpath, old), 0);
  append(old, "a5\n");
  create(logpath, "b1\nb2\n");
  g_autofree char *b = read_stop(lf, 2, &r); /* stopped within the buffered lines */
  ck_assert_str_eq(b, "a2|a3");
  ck_assert(r.more && !r.rotated);
  g_autofree char *c = read_stop(lf, 2, &r); /* a4 buffered, a5 read from the old file */
  ck_assert_str_eq(c, "a4|a5");
  ck_assert(r.more && !r.rotated);
  g_autofree char *d = read_stop(lf, 0, &r);
  ck_assert_str_eq(d, "b1|b2");
  ck_assert(!r.more && r.rotated);
  ck_assert_int_eq(f2b_logfile_get_pos(lf), 6);
}
END_TEST

/* copytruncate while stopped: what was read before the truncation is still
 * delivered, then the new content from 0. */
START_TEST(test_stop_across_truncate)
{
  create(logpath, "a1\na2\na3\n");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  F2bLogFileResult r;
  g_autofree char *a = read_stop(lf, 1, &r);
  ck_assert_str_eq(a, "a1");
  create(logpath, "b1\n");
  g_autofree char *b = read_stop(lf, 0, &r);
  ck_assert_str_eq(b, "a2|a3|b1");
  ck_assert(!r.more && r.rotated);
}
END_TEST

/* Deleted while stopped: the old file's rest, then the absence. */
START_TEST(test_stop_then_deleted)
{
  create(logpath, "a1\na2\na3\n");
  g_autoptr(F2bLogFile) lf = f2b_logfile_new(logpath, FALSE, NULL);
  F2bLogFileResult r;
  g_autofree char *a = read_stop(lf, 1, &r);
  ck_assert_str_eq(a, "a1");
  ck_assert_int_eq(g_unlink(logpath), 0);
  Stopper st = { g_string_new(NULL), 0, 1, lf };
  GError *error = NULL;
  ck_assert(f2b_logfile_read(lf, collect_stop, &st, &r, &error)); /* a2, then stopped: no error yet */
  ck_assert(r.more);
  st.stop_at = 0;
  ck_assert(!f2b_logfile_read(lf, collect_stop, &st, &r, &error));
  ck_assert(g_error_matches(error, F2B_LOGFILE_ERROR, F2B_LOGFILE_ERROR_MISSING));
  g_clear_error(&error);
  ck_assert(!r.more);
  ck_assert_str_eq(st.out->str, "a2|a3");
  g_string_free(st.out, TRUE);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("logfile");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_new_errors);
  tcase_add_test(tc, test_hash);
  tcase_add_test(tc, test_head_and_partial);
  tcase_add_test(tc, test_empty_at_start);
  tcase_add_test(tc, test_tail);
  tcase_add_test(tc, test_line_ends);
  tcase_add_test(tc, test_long_lines);
  tcase_add_test(tc, test_long_partial);
  tcase_add_test(tc, test_rename_and_new);
  tcase_add_test(tc, test_rename_while_closed);
  tcase_add_test(tc, test_copytruncate);
  tcase_add_test(tc, test_copytruncate_regrown);
  tcase_add_test(tc, test_shrink);
  tcase_add_test(tc, test_delete_and_recreate);
  tcase_add_test(tc, test_directory);
  tcase_add_test(tc, test_pos_and_close);
  tcase_add_test(tc, test_empty_then_replaced);
  tcase_add_test(tc, test_stored_hash_mismatch);
  tcase_add_test(tc, test_seek_to_time);
  tcase_add_test(tc, test_seek_to_time_big);
  tcase_add_test(tc, test_pos_during_callback);
  tcase_add_test(tc, test_stop_and_go_on);
  tcase_add_test(tc, test_stop_with_short_bound);
  tcase_add_test(tc, test_read_limit);
  tcase_add_test(tc, test_stop_across_rotation);
  tcase_add_test(tc, test_stop_across_truncate);
  tcase_add_test(tc, test_stop_then_deleted);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

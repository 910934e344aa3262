/* test-journalfmt.c - fail2ban-c/journalfmt.c: journal entries to lines (exact
 * results, then side by side with fail2ban's own formatJournalEntry through
 * journalfmt-ref.py), the systemd backend's options and journal matches. */
#include <check.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check-main.h"
#include "journalfmt.h"
#include "pyobj.h"

typedef struct {
  const char *data;
  gsize len;
} Item;

#define F(s) { s, sizeof(s) - 1 }
#define MAX_FIELDS 8

typedef struct {
  gint64 realtime;
  guint64 monotonic;
  Item fields[MAX_FIELDS];
} EntrySpec;

#define NOW_WINTER G_GINT64_CONSTANT(1795000000123456) /* 2026-11-18 */
#define NOW_SUMMER G_GINT64_CONSTANT(1785000000000000) /* 2026-07-25 */

static const EntrySpec entries[] = {
  { NOW_WINTER, 5, { F("_HOSTNAME=web1"), F("SYSLOG_IDENTIFIER=sshd"), F("_PID=812"),
                     F("MESSAGE=Failed password for root from 192.0.2.7 port 22 ssh2") } },
  { NOW_SUMMER, 5, { F("SYSLOG_IDENTIFIER=sshd"), F("_PID=812"), F("MESSAGE=no host") } },
  { NOW_WINTER, 5, { F("_HOSTNAME=h"), F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=7"), F("_PID=8"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("_HOSTNAME=h"), F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=0"), F("_PID=8"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("_HOSTNAME=h"), F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID="), F("_PID=8"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=0x1f"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=abc"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID= 12 "), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=1_2"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=1__2"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=-5"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=+007"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=0o17"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=0b_101"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=0x"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=-0"), F("_PID=3"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=0x0"), F("_PID=3"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=a'b\"\t\xff"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=1"), F("SYSLOG_PID=x"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=x"), F("SYSLOG_PID=0xffffffffffffffffffffffffffffffffff"), F("MESSAGE=m") } },
  { NOW_WINTER, 5, { F("_HOSTNAME=h"), F("_COMM=cron"), F("_PID=9"), F("MESSAGE=comm") } },
  { NOW_WINTER, 5, { F("_HOSTNAME=h"), F("SYSLOG_IDENTIFIER="), F("_COMM=cron"), F("MESSAGE=empty ident") } },
  { NOW_WINTER, 5, { F("_HOSTNAME=h"), F("_PID=9"), F("MESSAGE=no ident") } },
  { NOW_WINTER, 5, { F("_HOSTNAME="), F("MESSAGE=empty host") } },
  { NOW_WINTER, 5, { F("MESSAGE=only") } },
  { NOW_WINTER, 5, { F("_HOSTNAME=h") } },
  { NOW_WINTER, 1234567, { F("_HOSTNAME=h"), F("SYSLOG_IDENTIFIER=kernel"), F("MESSAGE=oops") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=kernel"), F("_SOURCE_MONOTONIC_TIMESTAMP=98765432101"),
                     F("MESSAGE=oops") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=kernel"), F("_PID=4"), F("MESSAGE=no stamp") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=kernel"), F("_SOURCE_MONOTONIC_TIMESTAMP=x"), F("MESSAGE=bad") } },
  { NOW_WINTER, 5, { F("_HOSTNAME=h"), F("MESSAGE=two\nlines\n") } },
  { NOW_WINTER, 5, { F("_HOSTNAME=h"), F("MESSAGE=part one"), F("MESSAGE=part two") } },
  { NOW_WINTER, 5, { F("_HOSTNAME=h\xe9t\xe9"), F("SYSLOG_IDENTIFIER=s\xff"), F("MESSAGE=bad \xe2\x82 utf8 \xed\xa0\x80 \xf0\x9f\x98\x80") } },
  { NOW_WINTER, 5, { F("_HOSTNAME=h"), F("MESSAGE=nul \0 byte") } },
  { NOW_WINTER, 5, { F("_HOSTNAME=h"), F("_SOURCE_REALTIME_TIMESTAMP=1795000100000000"), F("MESSAGE=src") } },
  { NOW_WINTER, 5, { F("_SOURCE_REALTIME_TIMESTAMP=1785000000000001"), F("MESSAGE=summer src") } },
  { NOW_WINTER, 5, { F("_SOURCE_REALTIME_TIMESTAMP=abc"), F("MESSAGE=bad src") } },
  { NOW_WINTER, 5, { F("_SOURCE_REALTIME_TIMESTAMP=1"), F("_SOURCE_REALTIME_TIMESTAMP=2"), F("MESSAGE=x") } },
  { 0, 5, { F("MESSAGE=epoch") } },
  { NOW_WINTER, 5, { F("_HOSTNAME=a"), F("_HOSTNAME=b"), F("MESSAGE=x") } },
  { NOW_WINTER, 5, { F("_HOSTNAME=a"), F("SYSLOG_IDENTIFIER=a"), F("SYSLOG_IDENTIFIER=b"), F("MESSAGE=x") } },
  { NOW_WINTER, 5, { F("SYSLOG_IDENTIFIER=a"), F("SYSLOG_IDENTIFIER=b"), F("MESSAGE=x") } },
  { NOW_WINTER, 5, { F("NOEQUALS"), F("MESSAGE=x=y") } },
};

static F2bJournalEntry *
make_entry(const EntrySpec *spec)
{
  F2bJournalEntry *e = f2b_journal_entry_new(spec->realtime, spec->monotonic);
  for (guint k = 0; k < MAX_FIELDS && spec->fields[k].data; k++)
    f2b_journal_entry_add(e, spec->fields[k].data, spec->fields[k].len);
  return e;
}

static gint32
local_offset_now(void)
{
  tzset();
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  return (gint32) tm.tm_gmtoff;
}

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

/* Our result in the reference script's output format. */
static char *
our_result(const EntrySpec *spec, const char *encoding, gint32 offset)
{
  g_autoptr(F2bJournalEntry) e = make_entry(spec);
  F2bJournalLine line;
  g_autoptr(GError) error = NULL;
  if (!f2b_journalfmt_format(e, encoding, offset, &line, &error)) {
    ck_assert_ptr_null(line.line);
    return g_strdup_printf("ERR %d %s", error->code, error->message);
  }
  g_autofree char *hd = hex(line.date, strlen(line.date));
  g_autofree char *hl = hex(line.line, line.line_len);
  ck_assert_int_eq(line.line[line.line_len], '\0');
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "OK %s %s ", hd, hl);
  f2b_py_repr_float_append(out, line.time);
  f2b_journal_line_clear(&line);
  return g_string_free(out, FALSE);
}

static char *
reference_input(void)
{
  GString *in = g_string_new(NULL);
  for (guint i = 0; i < G_N_ELEMENTS(entries); i++) {
    g_string_append_printf(in, "E %" G_GINT64_FORMAT " %" G_GUINT64_FORMAT "\n", entries[i].realtime,
                           entries[i].monotonic);
    for (guint k = 0; k < MAX_FIELDS && entries[i].fields[k].data; k++) {
      g_autofree char *h = hex(entries[i].fields[k].data, entries[i].fields[k].len);
      g_string_append_printf(in, "F %s\n", h);
    }
  }
  return g_string_free(in, FALSE);
}

/* Exits 77 (skip) when fail2ban or python3-systemd is missing. */
static char **
run_reference(const char *encoding)
{
  const char *srcdir = g_getenv("F2B_SRCDIR");
  g_autofree char *script = g_build_filename(srcdir ? srcdir : ".", "tests", "unit", "journalfmt-ref.py", NULL);
  if (!g_file_test("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE)
      || system("/usr/bin/python3 -c 'import fail2ban.server.filtersystemd' 2>/dev/null") != 0) {
    fprintf(stderr, "SKIP: /usr/bin/python3 with fail2ban and python3-systemd is needed\n");
    exit(77);
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                              &error, "/usr/bin/python3", script, encoding, NULL);
  ck_assert_msg(p != NULL, "%s", error ? error->message : "");
  g_autofree char *in = reference_input();
  g_autofree char *out = NULL;
  ck_assert(g_subprocess_communicate_utf8(p, in, NULL, &out, NULL, &error));
  ck_assert(g_subprocess_get_successful(p));
  return g_strsplit(out, "\n", -1);
}

/* Our code's error codes for the exception classes fail2ban raises. */
static gboolean
same_error(const char *ours, const char *theirs)
{
  if (g_str_has_prefix(ours, "ERR 1 "))
    return g_str_has_prefix(theirs, "ERR TypeError ") && strcmp(ours + 6, theirs + 14) == 0;
  return g_str_has_prefix(ours, "ERR 2 ") && g_str_has_prefix(theirs, "ERR AttributeError ");
}

static void
compare_with_fail2ban(const char *tz, const char *encoding)
{
  setenv("TZ", tz, 1);
  gint32 offset = local_offset_now();
  g_auto(GStrv) ref = run_reference(encoding);
  ck_assert_uint_ge(g_strv_length(ref), G_N_ELEMENTS(entries));
  for (guint i = 0; i < G_N_ELEMENTS(entries); i++) {
    g_autofree char *ours = our_result(&entries[i], encoding, offset);
    if (g_str_has_prefix(ours, "ERR"))
      ck_assert_msg(same_error(ours, ref[i]), "entry %u: ours %s, fail2ban's %s", i, ours, ref[i]);
    else
      ck_assert_msg(strcmp(ours, ref[i]) == 0, "entry %u (TZ %s, %s):\n ours      %s\n fail2ban  %s", i, tz,
                    encoding, ours, ref[i]);
  }
}

START_TEST(test_side_by_side_utc)
{
  compare_with_fail2ban("UTC", "UTF-8");
}
END_TEST

START_TEST(test_side_by_side_berlin)
{
  /* winter now, a summer entry: fail2ban's fixed offset and mktime disagree by an hour */
  compare_with_fail2ban("Europe/Berlin", "UTF-8");
}
END_TEST

START_TEST(test_side_by_side_latin1)
{
  compare_with_fail2ban("America/New_York", "latin-1");
}
END_TEST

static void
assert_line(const EntrySpec *spec, gint32 offset, const char *date, const char *text, double time)
{
  g_autoptr(F2bJournalEntry) e = make_entry(spec);
  F2bJournalLine line;
  g_autoptr(GError) error = NULL;
  ck_assert_msg(f2b_journalfmt_format(e, NULL, offset, &line, &error), "%s", error ? error->message : "");
  ck_assert_str_eq(line.date, date);
  ck_assert_str_eq(line.line, text);
  ck_assert_uint_eq(line.line_len, strlen(text));
  ck_assert_double_eq(line.time, time);
  f2b_journal_line_clear(&line);
}

START_TEST(test_exact_lines)
{
  setenv("TZ", "UTC", 1);
  tzset();
  assert_line(&entries[0], 0, "2026-11-18T11:06:40.123456+00:00 ",
              "web1 sshd[812]: Failed password for root from 192.0.2.7 port 22 ssh2", 1795000000.123456);
  assert_line(&entries[2], 0, "2026-11-18T11:06:40.123456+00:00 ", "h x[7]: m", 1795000000.123456);
  assert_line(&entries[3], 0, "2026-11-18T11:06:40.123456+00:00 ", "h x[8]: m", 1795000000.123456);
  assert_line(&entries[5], 0, "2026-11-18T11:06:40.123456+00:00 ", "x[31]: m", 1795000000.123456);
  assert_line(&entries[6], 0, "2026-11-18T11:06:40.123456+00:00 ", "x[b'abc']: m", 1795000000.123456);
  assert_line(&entries[16], 0, "2026-11-18T11:06:40.123456+00:00 ", "x[0]: m", 1795000000.123456);
  assert_line(&entries[18], 0, "2026-11-18T11:06:40.123456+00:00 ", "x[[1, b'x']]: m", 1795000000.123456);
  assert_line(&entries[26], 0, "2026-11-18T11:06:40.123456+00:00 ", "h kernel: [    1.234567] oops",
              1795000000.123456);
  assert_line(&entries[30], 0, "2026-11-18T11:06:40.123456+00:00 ", "h two\\nlines\\n", 1795000000.123456);
  assert_line(&entries[38], 0, "1970-01-01T00:00:00+00:00 ", "epoch", 0);
  /* a negative offset with seconds, and the source time preferred */
  assert_line(&entries[34], -(3600 * 5 + 30), "2026-11-18T06:07:50-05:00:30 ", "h src", 1795000100.0 - 5 * 3600 - 30);
  /* the NUL byte stays, with the length */
  g_autoptr(F2bJournalEntry) e = make_entry(&entries[33]);
  F2bJournalLine line;
  ck_assert(f2b_journalfmt_format(e, NULL, 0, &line, NULL));
  ck_assert_uint_eq(line.line_len, 12);
  ck_assert_mem_eq(line.line, "h nul \0 byte", 12);
  f2b_journal_line_clear(&line);
}
END_TEST

START_TEST(test_format_errors)
{
  const guint bad[] = { 29, 36, 37, 39, 40, 41 };
  const char *msgs[] = { NULL, NULL, NULL, "sequence item 0: expected str instance, list found",
                         "sequence item 1: expected str instance, list found",
                         "sequence item 0: expected str instance, list found" };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(F2bJournalEntry) e = make_entry(&entries[bad[i]]);
    F2bJournalLine line = { (char *) "x", (char *) "y", 1, 1 };
    g_autoptr(GError) error = NULL;
    ck_assert(!f2b_journalfmt_format(e, NULL, 0, &line, &error));
    ck_assert_ptr_null(line.line);
    ck_assert_ptr_null(line.date);
    ck_assert(g_error_matches(error, F2B_JOURNALFMT_ERROR,
                              msgs[i] ? F2B_JOURNALFMT_ERROR_TYPE : F2B_JOURNALFMT_ERROR_ATTRIBUTE));
    if (msgs[i])
      ck_assert_str_eq(error->message, msgs[i]);
  }
  /* a time past datetime's year 9999 */
  g_autoptr(F2bJournalEntry) e = f2b_journal_entry_new(G_GINT64_CONSTANT(300000000000000000), 0);
  F2bJournalLine line;
  ck_assert(!f2b_journalfmt_format(e, NULL, 0, &line, NULL));
}
END_TEST

START_TEST(test_huge_pids)
{
  /* beyond 4300 decimal digits Python prints the bytes; a 4300-digit base-10 pid is kept */
  g_autoptr(GString) big = g_string_new("SYSLOG_PID=0x");
  for (int i = 0; i < 4000; i++)
    g_string_append_c(big, 'f');
  g_autoptr(F2bJournalEntry) e = f2b_journal_entry_new(0, 0);
  f2b_journal_entry_add(e, "SYSLOG_IDENTIFIER=x", 19);
  f2b_journal_entry_add(e, big->str, big->len);
  F2bJournalLine line;
  ck_assert(f2b_journalfmt_format(e, NULL, 0, &line, NULL));
  ck_assert(g_str_has_prefix(line.line, "x[b'0xfff"));
  f2b_journal_line_clear(&line);

  g_autoptr(GString) dec = g_string_new("SYSLOG_PID=");
  for (int i = 0; i < 4300; i++)
    g_string_append_c(dec, '9');
  g_autoptr(F2bJournalEntry) e2 = f2b_journal_entry_new(0, 0);
  f2b_journal_entry_add(e2, "SYSLOG_IDENTIFIER=x", 19);
  f2b_journal_entry_add(e2, dec->str, dec->len);
  ck_assert(f2b_journalfmt_format(e2, NULL, 0, &line, NULL));
  ck_assert_uint_eq(line.line_len, 2 + 4300 + 3);
  f2b_journal_line_clear(&line);
  g_string_append_c(dec, '9');
  g_autoptr(F2bJournalEntry) e3 = f2b_journal_entry_new(0, 0);
  f2b_journal_entry_add(e3, "SYSLOG_IDENTIFIER=x", 19);
  f2b_journal_entry_add(e3, dec->str, dec->len);
  ck_assert(f2b_journalfmt_format(e3, NULL, 0, &line, NULL));
  ck_assert(g_str_has_prefix(line.line, "x[b'999"));
  f2b_journal_line_clear(&line);
}
END_TEST

static F2bIniMap *
opts(const char *first, ...)
{
  F2bIniMap *m = f2b_ini_map_new();
  va_list ap;
  va_start(ap, first);
  for (const char *k = first; k; k = va_arg(ap, const char *))
    f2b_ini_map_set(m, k, va_arg(ap, const char *));
  va_end(ap);
  return m;
}

START_TEST(test_options)
{
  g_autoptr(F2bIniMap) none = f2b_ini_map_new();
  g_autoptr(F2bJournalOptions) o = f2b_journal_options_parse(none, NULL, NULL);
  ck_assert(o && o->has_flags && o->flags == 4 && !o->path && !o->files && !o->name_space);
  f2b_journal_options_free(g_steal_pointer(&o));
  o = f2b_journal_options_parse(none, "1", NULL);
  ck_assert_int_eq(o->flags, 1);
  f2b_journal_options_free(g_steal_pointer(&o));

  g_autoptr(F2bIniMap) path = opts("journalpath", "/var/log/journal/x", "useDns", "no", NULL);
  o = f2b_journal_options_parse(path, NULL, NULL);
  ck_assert(!o->has_flags);
  ck_assert_str_eq(o->path, "/var/log/journal/x");
  ck_assert_str_eq(o->use_dns, "no");
  f2b_journal_options_free(g_steal_pointer(&o));

  /* an empty path counts as none: the default flags apply */
  g_autoptr(F2bIniMap) empty = opts("journalpath", "", "namespace", "ns", NULL);
  o = f2b_journal_options_parse(empty, NULL, NULL);
  ck_assert(o->has_flags && o->flags == 4);
  ck_assert_str_eq(o->name_space, "ns");
  f2b_journal_options_free(g_steal_pointer(&o));

  /* files: globbed, unique, sorted; none found means default flags */
  g_autofree char *dir = g_dir_make_tmp("jfmt-XXXXXX", NULL);
  g_autofree char *a = g_build_filename(dir, "a.journal", NULL);
  g_autofree char *b = g_build_filename(dir, "b.journal", NULL);
  ck_assert(g_file_set_contents(a, "", 0, NULL) && g_file_set_contents(b, "", 0, NULL));
  g_autofree char *spec = g_strdup_printf("%s/*.journal, %s\n%s/none*", dir, a, dir);
  g_autoptr(F2bIniMap) files = opts("journalfiles", spec, NULL);
  o = f2b_journal_options_parse(files, NULL, NULL);
  ck_assert(!o->has_flags);
  ck_assert_uint_eq(o->files->len, 2);
  ck_assert_str_eq(o->files->pdata[0], a);
  ck_assert_str_eq(o->files->pdata[1], b);
  f2b_journal_options_free(g_steal_pointer(&o));
  g_autofree char *nospec = g_strdup_printf("%s/none*", dir);
  g_autoptr(F2bIniMap) nofiles = opts("journalfiles", nospec, "journalflags", " 2 ", NULL);
  o = f2b_journal_options_parse(nofiles, NULL, NULL);
  ck_assert_uint_eq(o->files->len, 0);
  ck_assert(o->has_flags && o->flags == 2);
  f2b_journal_options_free(g_steal_pointer(&o));
  g_unlink(a);
  g_unlink(b);
  g_rmdir(dir);
}
END_TEST

static void
assert_options_error(F2bIniMap *m, const char *default_flags, int code, const char *message)
{
  g_autoptr(GError) error = NULL;
  ck_assert_ptr_null(f2b_journal_options_parse(m, default_flags, &error));
  ck_assert(g_error_matches(error, F2B_JOURNALFMT_ERROR, code));
  ck_assert_str_eq(error->message, message);
  f2b_ini_map_free(m);
}

START_TEST(test_options_errors)
{
  assert_options_error(opts("journalflags", "x", NULL), NULL, F2B_JOURNALFMT_ERROR_VALUE,
                       "invalid literal for int() with base 10: 'x'");
  assert_options_error(opts("journalflags", "0x1", NULL), NULL, F2B_JOURNALFMT_ERROR_VALUE,
                       "invalid literal for int() with base 10: '0x1'");
  assert_options_error(opts(NULL), "four", F2B_JOURNALFMT_ERROR_VALUE,
                       "invalid literal for int() with base 10: 'four'");
  assert_options_error(opts("usedns", "no", NULL), NULL, F2B_JOURNALFMT_ERROR_TYPE,
                       "Filter.__init__() got an unexpected keyword argument 'usedns'");
  /* the flags are read before the unknown option is noticed */
  assert_options_error(opts("foo", "1", "journalflags", "y", NULL), NULL, F2B_JOURNALFMT_ERROR_VALUE,
                       "invalid literal for int() with base 10: 'y'");
  assert_options_error(opts("journalpath", "/x", "foo", "1", "bar", "2", NULL), NULL, F2B_JOURNALFMT_ERROR_TYPE,
                       "Filter.__init__() got an unexpected keyword argument 'foo'");
}
END_TEST

START_TEST(test_match_valid)
{
  const char *ok[] = { "A1=x", "1A=x", "_A=1", "A=", "_=1", "A=B=C", "_SYSTEMD_UNIT=sshd.service" };
  const char *bad[] = { "__A=1", "=x", "A-B=1", "a=1", "A", "", "+" };
  for (guint i = 0; i < G_N_ELEMENTS(ok); i++)
    ck_assert_msg(f2b_journalfmt_match_valid(ok[i], strlen(ok[i])), "%s", ok[i]);
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++)
    ck_assert_msg(!f2b_journalfmt_match_valid(bad[i], strlen(bad[i])), "%s", bad[i]);
}
END_TEST

START_TEST(test_matches)
{
  g_autoptr(F2bJournalMatches) m = f2b_journal_matches_new();
  g_autofree char *s0 = f2b_journal_matches_status(m);
  ck_assert_str_eq(s0, "");
  const char *t1[] = { "_SYSTEMD_UNIT=sshd.service", "+", "_COMM=sshd" };
  ck_assert(f2b_journal_matches_add(m, t1, 3, NULL));
  const char *t2[] = { "A=1", "B=2", "+" };
  ck_assert(f2b_journal_matches_add(m, t2, 3, NULL));
  ck_assert_uint_eq(m->groups->len, 4);
  g_autofree char *s1 = f2b_journal_matches_status(m);
  ck_assert_str_eq(s1, "_SYSTEMD_UNIT=sshd.service + _COMM=sshd + A=1 B=2 + ");

  /* all or nothing */
  const char *t3[] = { "C=1", "+", "bad" };
  g_autoptr(GError) error = NULL;
  ck_assert(!f2b_journal_matches_add(m, t3, 3, &error));
  ck_assert(g_error_matches(error, F2B_JOURNALFMT_ERROR, F2B_JOURNALFMT_ERROR_VALUE));
  ck_assert_str_eq(error->message, "Invalid match");
  g_clear_error(&error);
  ck_assert_uint_eq(m->groups->len, 4);

  const char *d1[] = { "A=1", "B=2" };
  ck_assert(f2b_journal_matches_del(m, d1, 2, NULL));
  ck_assert(!f2b_journal_matches_del(m, d1, 2, &error));
  ck_assert_str_eq(error->message, "Match ['A=1', 'B=2'] not found");
  g_clear_error(&error);
  /* a "+" is never a stored group's term */
  ck_assert(!f2b_journal_matches_del(m, t1, 3, &error));
  g_clear_error(&error);
  /* no terms: the empty group */
  ck_assert(f2b_journal_matches_del(m, NULL, 0, NULL));
  ck_assert(!f2b_journal_matches_del(m, NULL, 0, &error));
  ck_assert_str_eq(error->message, "Match [] not found");
  g_autofree char *s2 = f2b_journal_matches_status(m);
  ck_assert_str_eq(s2, "_SYSTEMD_UNIT=sshd.service + _COMM=sshd");
  f2b_journal_matches_clear(m);
  ck_assert_uint_eq(m->groups->len, 0);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("journalfmt");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_exact_lines);
  tcase_add_test(tc, test_format_errors);
  tcase_add_test(tc, test_huge_pids);
  tcase_add_test(tc, test_options);
  tcase_add_test(tc, test_options_errors);
  tcase_add_test(tc, test_match_valid);
  tcase_add_test(tc, test_matches);
  suite_add_tcase(s, tc);
  TCase *ref = tcase_create("fail2ban");
  tcase_set_timeout(ref, 60);
  tcase_add_test(ref, test_side_by_side_utc);
  tcase_add_test(ref, test_side_by_side_berlin);
  tcase_add_test(ref, test_side_by_side_latin1);
  suite_add_tcase(s, ref);
  return f2b_check_run(s);
}

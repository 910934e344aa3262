/* test-datedetect-conformance.c - fail2ban's DateDetector and ours, side by
 * side, on every sample log line of fail2ban's test suite.
 *
 * datedetect-ref.py runs the installed fail2ban over the lines (default
 * templates over all logs, then each filter's own datepattern over its
 * sample log) with "now" pinned to fail2ban's test time and its test TZ; this
 * program feeds the very same decoded lines to f2b_datedetect_match() and
 * compares status, time, span and template name line by line.  Prints the
 * agreement figure; fails on any disagreement; exits 77 when fail2ban or
 * its Python are not installed. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datedetect.h"

#define PYTHON "/usr/bin/python3"
#define FAIL2BAN_MODULE "/usr/lib/python3/dist-packages/fail2ban/server/datedetector.py"
#define TEST_TZ "CET-01CEST-02,M3.5.0,M10.5.0" /* fail2ban's tests use this zone */
#define TEST_NOW 1124013600.0                  /* and this "now": 2005-08-14 12:00 CEST */
#define MAX_SHOWN 40

typedef struct {
  guint lines, agree;
} Tally;

static GBytes *
unhex(const char *hex)
{
  gsize n = strlen(hex) / 2;
  guint8 *buf = g_malloc(n + 1);
  for (gsize i = 0; i < n; i++)
    buf[i] = (guint8) (g_ascii_xdigit_value(hex[2 * i]) << 4 | g_ascii_xdigit_value(hex[2 * i + 1]));
  buf[n] = 0;
  return g_bytes_new_take(buf, n);
}

static const char *
status_word(F2bDateStatus s)
{
  switch (s) {
  case F2B_DATE_NONE: return "none";
  case F2B_DATE_EMPTY: return "empty";
  case F2B_DATE_FOUND: return "found";
  case F2B_DATE_UNPARSABLE: return "unparsable";
  }
  return "?";
}

/* Compares one "L" record; returns TRUE when both agree. */
static gboolean
compare_line(F2bDateDetector *dd, gchar **f, const char *job, guint *shown)
{
  g_autoptr(GBytes) line = unhex(f[1]);
  g_autoptr(GBytes) name = unhex(f[6]);
  gsize len;
  const char *text = g_bytes_get_data(line, &len);
  F2bDateMatch m;
  f2b_datedetect_match(dd, text, len, TEST_NOW, &m);
  const char *want_status = f[2];
  gboolean ok = strcmp(status_word(m.status), want_status) == 0;
  if (ok && m.status == F2B_DATE_FOUND)
    ok = m.time == g_ascii_strtod(f[3], NULL);
  if (ok && m.status != F2B_DATE_NONE)
    ok = m.start == g_ascii_strtoull(f[4], NULL, 10) && m.end == g_ascii_strtoull(f[5], NULL, 10) &&
         strcmp(m.template_name, g_bytes_get_data(name, NULL)) == 0;
  if (!ok && (*shown)++ < MAX_SHOWN) {
    g_autofree char *shown_line = g_strescape(text, NULL);
    printf("DIFF [%s] %s\n  fail2ban:   %s %s [%s,%s) %s\n  fail2ban-c: %s %.6f [%zu,%zu) %s\n", job,
           shown_line, want_status, f[3], f[4], f[5], (const char *) g_bytes_get_data(name, NULL),
           status_word(m.status), m.time, m.start, m.end, m.template_name ? m.template_name : "-");
  }
  return ok;
}

static char *
run_reference(const char *script)
{
  g_autofree char *now = g_strdup_printf("%.0f", TEST_NOW);
  const char *argv[] = { PYTHON, script, now, NULL };
  char *out = NULL, *err = NULL;
  int status = 0;
  GError *error = NULL;
  if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                    &error) ||
      !g_spawn_check_wait_status(status, &error)) {
    fprintf(stderr, "reference run failed: %s\n%s\n", error->message, err ? err : "");
    g_error_free(error);
    g_free(out);
    g_free(err);
    return NULL;
  }
  g_free(err);
  return out;
}

int
main(void)
{
  if (!g_file_test(PYTHON, G_FILE_TEST_IS_EXECUTABLE) || !g_file_test(FAIL2BAN_MODULE, G_FILE_TEST_EXISTS)) {
    fprintf(stderr, "SKIP: fail2ban (%s) or %s not installed\n", FAIL2BAN_MODULE, PYTHON);
    return 77;
  }
  const char *srcdir = g_getenv("F2B_SRCDIR");
  g_autofree char *script = g_build_filename(srcdir ? srcdir : ".", "tests", "conformance",
                                             "datedetect-ref.py", NULL);
  g_setenv("TZ", TEST_TZ, TRUE);
  tzset();
  g_autofree char *out = run_reference(script);
  if (!out)
    return 1;

  g_auto(GStrv) records = g_strsplit(out, "\n", -1);
  g_autoptr(F2bDateDetector) dd = NULL;
  g_autofree char *job = NULL;
  Tally all = { 0 }, per_job = { 0 };
  guint shown = 0, jobs = 0;
  double wall = (double) time(NULL);
  for (gchar **r = records;; r++) {
    g_auto(GStrv) f = *r ? g_strsplit(*r, "\t", -1) : NULL;
    gboolean job_line = f && f[0] && strcmp(f[0], "J") == 0 && g_strv_length(f) == 3;
    if ((job_line || !*r) && job) {
      printf("%-32s %5u/%-5u lines agree\n", job, per_job.agree, per_job.lines);
      per_job = (Tally) { 0 };
    }
    if (!*r)
      break;
    if (job_line) {
      g_clear_pointer(&dd, f2b_datedetect_free);
      dd = f2b_datedetect_new(wall);
      g_free(job);
      job = g_strdup(f[1]);
      jobs++;
      if (strcmp(f[2], "-") != 0) {
        g_autoptr(GBytes) pattern = unhex(f[2]);
        g_autoptr(GError) error = NULL;
        if (!f2b_datedetect_set_pattern(dd, g_bytes_get_data(pattern, NULL), &error)) {
          printf("DIFF [%s] datepattern rejected: %s\n", job, error->message);
          all.lines++;
        }
      }
      continue;
    }
    if (!f || !f[0] || strcmp(f[0], "L") != 0 || g_strv_length(f) != 7 || !dd)
      continue;
    gboolean ok = compare_line(dd, f, job, &shown);
    all.lines++, per_job.lines++;
    all.agree += ok, per_job.agree += ok;
  }
  printf("date detection: %u of %u lines agree with fail2ban (%u jobs)\n", all.agree, all.lines, jobs);
  return all.agree == all.lines && all.lines > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* test-stock-regexes.c - every regex of the stock filters, side by side with fail2ban.
 *
 * stock-regexes.py (run by Debian's python3 with the installed fail2ban) lists each
 * final prefregex/failregex/ignoreregex of /etc/fail2ban/filter.d in every mode, with
 * fail2ban's getRegex() text and where it matches fail2ban's sample log lines. Here
 * each one is compiled with failregex.c and must give the same text, the same verdict
 * and the same match and group offsets on every line. Exits 77 when fail2ban or its
 * configuration is missing. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failregex.h"

#define PYTHON "/usr/bin/python3"

typedef struct {
  guint regexes, lines, matches, failures;
} Stats;

static char *
our_results(F2bRegex *re, GPtrArray *corpus, guint *matches)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < corpus->len; i++) {
    g_autofree char *buf = g_strconcat(corpus->pdata[i], "\n", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(F2bRegexMatch) m = f2b_failregex_search(re, buf, strlen(buf), NULL, 0, &error);
    if (error)
      g_string_append_printf(out, "%sERROR %s", out->len ? "\x1d" : "", error->message);
    if (!m)
      continue;
    (*matches)++;
    gsize s, e;
    f2b_regex_match_bounds(m, &s, &e);
    g_string_append_printf(out, "%s%u %zu %zu", out->len ? "\x1d" : "", i, s, e);
    const char *subject = f2b_regex_match_subject(m).ptr;
    for (const char *const *n = f2b_failregex_group_names(re); *n; n++) {
      F2bRegexSpan v;
      if (f2b_regex_match_group(m, *n, &v))
        g_string_append_printf(out, " %s=%zu-%zu", *n, (gsize)(v.ptr - subject),
                               (gsize)(v.ptr - subject) + v.len);
      else
        g_string_append_printf(out, " %s=-", *n);
    }
  }
  return g_string_free(out, FALSE);
}

static void
report(Stats *st, char **f, const char *what, const char *want, const char *got)
{
  if (st->failures++ < 20)
    fprintf(stderr, "MISMATCH %s %s usedns=%s: %s\n  regex: %s\n  fail2ban: %.600s\n  ours:     %.600s\n",
            f[0], f[1], f[2], what, f[4], want, got);
}

static void
check_record(Stats *st, char **f, GPtrArray *corpus)
{
  F2bFailRegexFlags flags = (strcmp(f[2], "no") == 0 ? F2B_FAILREGEX_USEDNS_NO : 0) |
                            (strcmp(f[3], "1") == 0 ? F2B_FAILREGEX_MULTILINE : 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bRegex) pref = NULL;
  g_autoptr(F2bRegex) re = NULL;
  st->regexes++;
  if (strcmp(f[1], "failregex") == 0) {
    if (*f[5])
      pref = f2b_failregex_new(f[5], flags & F2B_FAILREGEX_USEDNS_NO, NULL);
    re = f2b_failregex_new_fail(f[4], pref, flags, &error);
  } else
    re = f2b_failregex_new(f[4], flags, &error);
  gboolean py_ok = strcmp(f[6], "OK") == 0;
  if (!re) {
    if (py_ok || error->domain != F2B_FAILREGEX_ERROR ||
        (error->code == F2B_FAILREGEX_ERROR_NO_FAILURE_ID && strcmp(error->message, f[7]) != 0))
      report(st, f, "compile verdict", f[7], error->message);
    return;
  }
  if (!py_ok) {
    report(st, f, "compile verdict", f[7], "compiled");
    return;
  }
  if (strcmp(f2b_failregex_get_regex(re), f[7]) != 0)
    report(st, f, "getRegex", f[7], f2b_failregex_get_regex(re));
  guint matches = 0;
  g_autofree char *ours = our_results(re, corpus, &matches);
  st->lines += corpus->len;
  st->matches += matches;
  if (strcmp(ours, f[8]) != 0)
    report(st, f, "matches", f[8], ours);
}

int
main(void)
{
  const char *srcdir = g_getenv("F2B_SRCDIR");
  if (!g_file_test(PYTHON, G_FILE_TEST_IS_EXECUTABLE) ||
      !g_file_test("/etc/fail2ban/filter.d", G_FILE_TEST_IS_DIR)) {
    fprintf(stderr, "SKIP: fail2ban (%s, /etc/fail2ban) is not installed\n", PYTHON);
    return 77;
  }
  g_autofree char *script = g_build_filename(srcdir ? srcdir : ".", "tests", "conformance",
                                             "stock-regexes.py", NULL);
  char *argv[] = {PYTHON, script, NULL};
  g_autofree char *out = NULL, *err = NULL;
  gint status;
  g_autoptr(GError) error = NULL;
  if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error)) {
    fprintf(stderr, "cannot run %s: %s\n", script, error->message);
    return 1;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
    fprintf(stderr, "SKIP: %s", err);
    return 77;
  }
  if (!g_spawn_check_wait_status(status, &error)) {
    fprintf(stderr, "%s failed: %s\n%s", script, error->message, err);
    return 1;
  }
  Stats st = {0};
  g_auto(GStrv) records = g_strsplit(out, "\x1e", -1);
  g_autoptr(GPtrArray) corpus = g_ptr_array_new_with_free_func(g_free);
  for (char **r = records; *r && **r; r++) {
    g_auto(GStrv) f = g_strsplit(*r, "\x1f", -1);
    if (strcmp(f[0], "corpus") == 0) {
      g_ptr_array_set_size(corpus, 0);
      g_auto(GStrv) lines = g_strsplit(f[2], "\x1d", -1);
      for (char **l = lines; *l && *f[2]; l++)
        g_ptr_array_add(corpus, g_strdup(*l));
      continue;
    }
    if (g_strv_length(f) != 9) {
      fprintf(stderr, "malformed record: %s\n", *r);
      return 1;
    }
    check_record(&st, f, corpus);
  }
  printf("%u regexes, %u line searches, %u matches compared, %u mismatches\n", st.regexes,
         st.lines, st.matches, st.failures);
  if (st.regexes < 500) {
    fprintf(stderr, "too few stock regexes found (%u)\n", st.regexes);
    return 1;
  }
  return st.failures ? 1 : 0;
}

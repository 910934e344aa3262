/* filter-engine.c - the filter engine alone, for measuring its speed.
 *
 *   filter-engine [-c CONFDIR] [-n] FILTER[OPTIONS] LOG
 *
 * Reads FILTER's commands as fail2ban-regex gets them (from CONFDIR, default
 * /etc/fail2ban; a path with a '/' in FILTER's name is read relative to
 * CONFDIR's filter.d as fail2ban does), configures a filter as fail2ban-regex
 * does by default (checkAllRegex on, checkFindTime off), then feeds LOG line by
 * line through f2b_filter_process_line and prints the lines, the failures, the
 * lines matched and the wall time.  -n stops after reading the configuration
 * (the start-up cost, to subtract from a callgrind profile).  Not installed: it
 * exists so that speed work has one stable thing to measure (see bench/filter). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confreader.h"
#include "filter.h"

static gboolean
apply_command(F2bFilter *flt, const char *opt, const char *value, GError **error)
{
  if (strcmp(opt, "prefregex") == 0)
    return f2b_filter_set_prefregex(flt, value, error);
  if (strcmp(opt, "addfailregex") == 0)
    return f2b_filter_add_failregex(flt, value, error);
  if (strcmp(opt, "addignoreregex") == 0)
    return f2b_filter_add_ignoreregex(flt, value, error);
  if (strcmp(opt, "maxlines") == 0)
    return f2b_filter_set_maxlines(flt, g_ascii_strtoll(value, NULL, 10), error);
  if (strcmp(opt, "datepattern") == 0)
    return f2b_filter_set_datepattern(flt, value, error);
  if (strcmp(opt, "usedns") == 0) {
    f2b_filter_set_usedns(flt, value);
    return TRUE;
  }
  return TRUE; /* journalmatch and the like do not concern a log file */
}

static F2bFilter *
read_filter(const char *confdir, const char *spec, GError **error)
{
  g_autoptr(F2bConfReader) r = f2b_confreader_new(confdir, NULL);
  g_autofree char *name = NULL;
  g_autoptr(F2bIniMap) opts = NULL;
  if (!f2b_confreader_extract_options(r, spec, &name, &opts, error))
    return NULL;
  gboolean found = FALSE;
  g_autoptr(F2bPyObj) stream =
    f2b_confreader_filter_stream(r, name, opts, FALSE, "jail", "auto", &found, error);
  if (stream == NULL)
    return NULL;
  if (!found) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no filter %s in %s", name, confdir);
    return NULL;
  }
  g_autoptr(F2bFilter) flt = f2b_filter_new((double) g_get_real_time() / G_USEC_PER_SEC);
  f2b_filter_set_check_all_regex(flt, TRUE);
  f2b_filter_set_check_find_time(flt, FALSE);
  f2b_filter_set_in_operation(flt, FALSE);
  for (gsize i = 0; i < f2b_py_len(stream); i++) {
    F2bPyObj *cmd = f2b_py_item(stream, i);
    const char *kind = f2b_py_get_str(f2b_py_item(cmd, 0), NULL);
    const char *opt = f2b_py_get_str(f2b_py_item(cmd, 2), NULL);
    F2bPyObj *val = f2b_py_item(cmd, 3);
    if (strcmp(kind, "multi-set") == 0) {
      for (gsize k = 0; k < f2b_py_len(val); k++)
        if (!apply_command(flt, opt, f2b_py_get_str(f2b_py_item(val, k), NULL), error))
          return NULL;
    } else if (strcmp(kind, "set") == 0 && f2b_py_kind(val) == F2B_PY_STR) {
      if (!apply_command(flt, opt, f2b_py_get_str(val, NULL), error))
        return NULL;
    }
  }
  return g_steal_pointer(&flt);
}

int
main(int argc, char **argv)
{
  const char *confdir = "/etc/fail2ban";
  gboolean setup_only = FALSE;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
      confdir = argv[++i];
    else if (strcmp(argv[i], "-n") == 0)
      setup_only = TRUE;
    else
      break;
  }
  if (argc - i != 2) {
    fprintf(stderr, "usage: %s [-c CONFDIR] [-n] FILTER[OPTIONS] LOG\n", argv[0]);
    return 2;
  }
  /* As fail2ban-c's programs do: without TZ, glibc re-reads /etc/localtime on
   * every localtime()/mktime() call. */
  if (g_getenv("TZ") == NULL)
    g_setenv("TZ", ":/etc/localtime", TRUE);

  g_autoptr(GError) error = NULL;
  g_autoptr(F2bFilter) flt = read_filter(confdir, argv[i], &error);
  if (flt == NULL) {
    fprintf(stderr, "%s: %s\n", argv[i], error->message);
    return 1;
  }
  if (setup_only)
    return 0;
  FILE *in = fopen(argv[i + 1], "r");
  if (in == NULL) {
    perror(argv[i + 1]);
    return 1;
  }
  double now = (double) g_get_real_time() / G_USEC_PER_SEC;
  gint64 start = g_get_monotonic_time();
  guint64 lines = 0, matched = 0, failures = 0, errors = 0;
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, in)) > 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
      len--;
    lines++;
    f2b_filter_set_now(flt, now);
    g_autoptr(GError) lerr = NULL;
    g_autoptr(GPtrArray) found = f2b_filter_process_line(flt, line, (gsize) len, &lerr);
    if (lerr)
      errors++;
    if (found && found->len > 0) {
      matched++;
      failures += found->len;
    }
  }
  free(line);
  fclose(in);
  double secs = (double) (g_get_monotonic_time() - start) / G_USEC_PER_SEC;
  printf("lines %" G_GUINT64_FORMAT " matched %" G_GUINT64_FORMAT " failures %" G_GUINT64_FORMAT
         " errors %" G_GUINT64_FORMAT " in %.3f s: %.0f lines/s\n",
         lines, matched, failures, errors, secs, secs > 0 ? lines / secs : 0.0);
  return 0;
}

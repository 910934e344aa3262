/* f2bc-regex.c - fail2ban-regex in C: test a filter against a log, same options, same output.
 *
 * The report (the "Use ..." lines, the per-regex hit counts, the date template hits,
 * the "Lines:" summary and the lists of missed/ignored/matched lines) is the text
 * fail2ban-regex prints, byte for byte; only the "[processed in X sec]" figure differs.
 * Beyond fail2ban-regex: a regex refused with "No failure-id group" is followed by a
 * hint from f2b_failregex_hint(), a line that makes a regex hit the PCRE2 match limit
 * is named in a warning on stderr, and a large log shows a progress bar on a terminal.
 *
 * The log is read line by line (getline), never as a whole: memory stays flat
 * however large the log is, unless the user asks to print all lines. */

#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <netdb.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "actiontags.h"
#include "confreader.h"
#include "filter.h"
#include "journalread.h"
#include "version.h"

#define EXIT_ERROR 255
#define JAIL_NAME "fail2ban-regex-jail"

/* ------------------------------------------------------------------ options */

typedef struct {
  const char *config;
  const char *datepattern;
  const char *timezone;
  const char *encoding;
  gboolean raw;
  const char *usedns;
  gint64 maxlines;
  const char *journalmatch;
  const char *log_level;
  int verbose;
  gboolean verbose_date;
  gboolean debuggex;
  gboolean check_all;
  const char *out;
  gboolean print_no_missed, print_no_ignored;
  gboolean print_all_matched, print_all_missed, print_all_ignored;
  gboolean log_traceback, full_traceback;
} Options;

typedef enum {
  OPT_CONFIG, OPT_DATEPATTERN, OPT_TIMEZONE, OPT_ENCODING, OPT_RAW, OPT_USEDNS, OPT_MAXLINES,
  OPT_JOURNALMATCH, OPT_LOGLEVEL, OPT_V_SHORT, OPT_VERBOSE, OPT_VERBOSITY, OPT_VERBOSE_DATE,
  OPT_DEBUGGEX, OPT_NO_CHECK_ALL, OPT_OUT, OPT_PRINT_NO_MISSED, OPT_PRINT_NO_IGNORED,
  OPT_PRINT_ALL_MATCHED, OPT_PRINT_ALL_MISSED, OPT_PRINT_ALL_IGNORED, OPT_TRACEBACK,
  OPT_FULL_TRACEBACK, OPT_VERSION, OPT_HELP,
} OptionId;

typedef struct {
  OptionId id;
  char short_name;      /* 0: none */
  const char *long1, *long2;
  gboolean has_arg;
} OptionSpec;

/* In optparse's order: an abbreviated long option is resolved against these names. */
static const OptionSpec option_specs[] = {
  { OPT_HELP, 'h', "--help", NULL, FALSE },
  { OPT_VERSION, 0, "--version", NULL, FALSE },
  { OPT_CONFIG, 'c', "--config", NULL, TRUE },
  { OPT_DATEPATTERN, 'd', "--datepattern", NULL, TRUE },
  { OPT_TIMEZONE, 0, "--timezone", "--TZ", TRUE },
  { OPT_ENCODING, 'e', "--encoding", NULL, TRUE },
  { OPT_RAW, 'r', "--raw", NULL, FALSE },
  { OPT_USEDNS, 0, "--usedns", NULL, TRUE },
  { OPT_MAXLINES, 'L', "--maxlines", NULL, TRUE },
  { OPT_JOURNALMATCH, 'm', "--journalmatch", NULL, TRUE },
  { OPT_LOGLEVEL, 'l', "--log-level", NULL, TRUE },
  { OPT_V_SHORT, 'V', NULL, NULL, FALSE },
  { OPT_VERBOSE, 'v', "--verbose", NULL, FALSE },
  { OPT_VERBOSITY, 0, "--verbosity", NULL, TRUE },
  { OPT_VERBOSE_DATE, 0, "--verbose-date", "--VD", FALSE },
  { OPT_DEBUGGEX, 'D', "--debuggex", NULL, FALSE },
  { OPT_NO_CHECK_ALL, 0, "--no-check-all", NULL, FALSE },
  { OPT_OUT, 'o', "--out", NULL, TRUE },
  { OPT_PRINT_NO_MISSED, 0, "--print-no-missed", NULL, FALSE },
  { OPT_PRINT_NO_IGNORED, 0, "--print-no-ignored", NULL, FALSE },
  { OPT_PRINT_ALL_MATCHED, 0, "--print-all-matched", NULL, FALSE },
  { OPT_PRINT_ALL_MISSED, 0, "--print-all-missed", NULL, FALSE },
  { OPT_PRINT_ALL_IGNORED, 0, "--print-all-ignored", NULL, FALSE },
  { OPT_TRACEBACK, 't', "--log-traceback", NULL, FALSE },
  { OPT_FULL_TRACEBACK, 0, "--full-traceback", NULL, FALSE },
};

static const char *prog_path = "f2bc-regex";

static void
print_usage(FILE *f)
{
  fprintf(f, "Usage: %s [OPTIONS] <LOG> <REGEX> [IGNOREREGEX]\n", prog_path);
}

static void
print_help(void)
{
  print_usage(stdout);
  fputs("\nTest fail2ban filters (failregex, ignoreregex, date patterns) against a log.\n"
        "\nLOG:\n"
        "  string                one log line, or several separated by newlines\n"
        "  filename              a log file (/var/log/auth.log)\n"
        "  systemd-journal       the systemd journal, from its first entry; with options:\n"
        "                        systemd-journal[journalpath=DIR] (or journalfiles=,\n"
        "                        journalflags=, namespace=)\n"
        "\nREGEX:\n"
        "  string                a failregex\n"
        "  filter                a filter name, with options: sshd[mode=aggressive]\n"
        "  filename              a filter file (filter.d/sshd.conf)\n"
        "\nIGNOREREGEX:\n"
        "  string                an ignoreregex\n"
        "  filename              a filter file (filter.d/sshd.conf)\n"
        "\nOptions:\n"
        "  --version             show the program's version and exit\n"
        "  -h, --help            show this help and exit\n"
        "  -c CONFIG, --config=CONFIG\n"
        "                        configuration directory (default /etc/fail2ban)\n"
        "  -d DATEPATTERN, --datepattern=DATEPATTERN\n"
        "                        custom date pattern\n"
        "  --timezone=TIMEZONE, --TZ=TIMEZONE\n"
        "                        time zone of stamps without one\n"
        "  -e ENCODING, --encoding=ENCODING\n"
        "                        log encoding (default: the locale's)\n"
        "  -r, --raw             raw hosts: no DNS resolution\n"
        "  --usedns=USEDNS       how <HOST> matches: yes (names and addresses), no (addresses)\n"
        "  -L MAXLINES, --maxlines=MAXLINES\n"
        "                        maxlines for multi-line regexes\n"
        "  -m JOURNALMATCH, --journalmatch=JOURNALMATCH\n"
        "                        journal matches (systemd-journal only)\n"
        "  -l LOG_LEVEL, --log-level=LOG_LEVEL\n"
        "                        log level of the fail2ban logger\n"
        "  -V                    print the version in short machine-readable form\n"
        "  -v, --verbose         more detail (repeatable)\n"
        "  --verbosity=VERBOSE   verbosity as a number (0..4)\n"
        "  --verbose-date, --VD  show date patterns and their regexes\n"
        "  -D, --debuggex        print debuggex.com URLs for the lines\n"
        "  --no-check-all        stop at the first failregex that matches a line\n"
        "  -o OUT, --out=OUT     print only this of each failure: id, fid, ip, msg, row,\n"
        "                        a group name, or a template such as '<time> <ip> <F-USER>'\n"
        "  --print-no-missed     do not print missed lines\n"
        "  --print-no-ignored    do not print ignored lines\n"
        "  --print-all-matched   print all matched lines\n"
        "  --print-all-missed    print all missed lines\n"
        "  --print-all-ignored   print all ignored lines\n"
        "  -t, --log-traceback   add tracebacks to log messages (accepted, no effect)\n"
        "  --full-traceback      full tracebacks (accepted, no effect)\n"
        "\nfail2ban-c " F2B_VERSION ", compatible with fail2ban " F2B_COMPAT_VERSION ".\n",
        stdout);
}

static const char *
prog_name(void)
{
  const char *slash = strrchr(prog_path, '/');
  return slash ? slash + 1 : prog_path;
}

G_GNUC_NORETURN static void
usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* optparse's parser.error(): usage and message on stderr, exit 2. */
static void
usage_error(const char *fmt, ...)
{
  va_list ap;
  print_usage(stderr);
  fprintf(stderr, "\n%s: error: ", prog_name());
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(2);
}

/* optparse's _match_abbrev: an exact name, or the only long name it begins. */
static const OptionSpec *
match_long(const char *name)
{
  const OptionSpec *found = NULL;
  g_autoptr(GString) candidates = g_string_new(NULL);
  guint n = 0;
  for (guint i = 0; i < G_N_ELEMENTS(option_specs); i++) {
    const char *names[2] = { option_specs[i].long1, option_specs[i].long2 };
    for (guint k = 0; k < 2; k++) {
      if (names[k] == NULL)
        continue;
      if (strcmp(names[k], name) == 0)
        return &option_specs[i];
    }
  }
  /* candidates are listed sorted, as optparse sorts its option names */
  g_autoptr(GPtrArray) all = g_ptr_array_new();
  for (guint i = 0; i < G_N_ELEMENTS(option_specs); i++) {
    const char *names[2] = { option_specs[i].long1, option_specs[i].long2 };
    for (guint k = 0; k < 2; k++)
      if (names[k] && g_str_has_prefix(names[k], name)) {
        g_ptr_array_add(all, (gpointer)names[k]);
        found = &option_specs[i];
        n++;
      }
  }
  if (n == 1)
    return found;
  if (n == 0)
    usage_error("no such option: %s", name);
  g_ptr_array_sort(all, (GCompareFunc)g_strcmp0);
  for (guint i = 0; i < all->len; i++) {
    const char *const *a = (const char *const *)&all->pdata[i];
    g_string_append_printf(candidates, "%s%s", i ? ", " : "", *a);
  }
  usage_error("ambiguous option: %s (%s?)", name, candidates->str);
}

static gboolean
parse_int(const char *s, gint64 *out)
{
  g_autofree char *t = g_strstrip(g_strdup(s));
  char *end;
  errno = 0;
  gint64 v = g_ascii_strtoll(t, &end, 10);
  if (*t == '\0' || *end != '\0' || errno != 0)
    return FALSE;
  *out = v;
  return TRUE;
}

static void
apply_option(Options *o, const OptionSpec *spec, const char *name, const char *arg)
{
  gint64 n;
  switch (spec->id) {
  case OPT_HELP: print_help(); exit(0);
  case OPT_VERSION: printf("%s %s\n", prog_name(), F2B_COMPAT_VERSION); exit(0);
  case OPT_V_SHORT: printf("%s\n", F2B_COMPAT_VERSION); exit(0);
  case OPT_CONFIG: o->config = arg; break;
  case OPT_DATEPATTERN: o->datepattern = arg; break;
  case OPT_TIMEZONE: o->timezone = arg; break;
  case OPT_ENCODING: o->encoding = arg; break;
  case OPT_RAW: o->raw = TRUE; break;
  case OPT_USEDNS: o->usedns = arg; break;
  case OPT_MAXLINES:
  case OPT_VERBOSITY:
    if (!parse_int(arg, &n))
      usage_error("option %s: invalid integer value: '%s'", name, arg);
    if (spec->id == OPT_MAXLINES)
      o->maxlines = n;
    else
      o->verbose = (int)CLAMP(n, G_MININT, G_MAXINT);
    break;
  case OPT_JOURNALMATCH: o->journalmatch = arg; break;
  case OPT_LOGLEVEL: o->log_level = arg; break;
  case OPT_VERBOSE: o->verbose++; break;
  case OPT_VERBOSE_DATE: o->verbose_date = TRUE; break;
  case OPT_DEBUGGEX: o->debuggex = TRUE; break;
  case OPT_NO_CHECK_ALL: o->check_all = FALSE; break;
  case OPT_OUT: o->out = arg; break;
  case OPT_PRINT_NO_MISSED: o->print_no_missed = TRUE; break;
  case OPT_PRINT_NO_IGNORED: o->print_no_ignored = TRUE; break;
  case OPT_PRINT_ALL_MATCHED: o->print_all_matched = TRUE; break;
  case OPT_PRINT_ALL_MISSED: o->print_all_missed = TRUE; break;
  case OPT_PRINT_ALL_IGNORED: o->print_all_ignored = TRUE; break;
  case OPT_TRACEBACK: o->log_traceback = TRUE; break;
  case OPT_FULL_TRACEBACK: o->full_traceback = TRUE; break;
  }
}

/* optparse's parse_args: options and arguments may be mixed, "--" ends options. */
static GPtrArray *
parse_args(int argc, char **argv, Options *o)
{
  GPtrArray *args = g_ptr_array_new();
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      for (i++; i < argc; i++)
        g_ptr_array_add(args, argv[i]);
      break;
    }
    if (a[0] == '-' && a[1] == '-') {
      g_autofree char *name = g_strdup(a);
      char *eq = strchr(name, '=');
      if (eq)
        *eq = '\0';
      const OptionSpec *spec = match_long(name);
      const char *full = strcmp(spec->long1 ? spec->long1 : "", name) == 0 || !spec->long2 ||
                                 !g_str_has_prefix(spec->long2, name)
                             ? spec->long1
                             : spec->long2;
      const char *arg = NULL;
      if (spec->has_arg) {
        if (eq)
          arg = a + (eq - name) + 1;
        else if (i + 1 < argc)
          arg = argv[++i];
        else
          usage_error("%s option requires 1 argument", full);
      } else if (eq) {
        usage_error("%s option does not take a value", full);
      }
      apply_option(o, spec, full, arg);
      continue;
    }
    if (a[0] == '-' && a[1] != '\0') {
      for (const char *p = a + 1; *p; p++) {
        const OptionSpec *spec = NULL;
        for (guint k = 0; k < G_N_ELEMENTS(option_specs); k++)
          if (option_specs[k].short_name == *p)
            spec = &option_specs[k];
        char name[3] = { '-', *p, 0 };
        if (spec == NULL)
          usage_error("no such option: %s", name);
        if (!spec->has_arg) {
          apply_option(o, spec, name, NULL);
          continue;
        }
        const char *arg = p[1] ? p + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (arg == NULL)
          usage_error("%s option requires 1 argument", name);
        apply_option(o, spec, name, arg);
        break;
      }
      continue;
    }
    g_ptr_array_add(args, (gpointer)a);
  }
  return args;
}

/* ------------------------------------------------------------- text helpers */

static void
out_line(const char *s)
{
  fputs(s, stdout);
  fputc('\n', stdout);
}

static void
out_len(const char *s, gsize len)
{
  fwrite(s, 1, len, stdout);
  fputc('\n', stdout);
}

static gsize
utf8_chars(const char *s)
{
  return g_utf8_strlen(s, -1);
}

/* shortstr(): the first 50 characters and "..." when longer than 53. */
static char *
shortstr(const char *s)
{
  if (utf8_chars(s) <= 53)
    return g_strdup(s);
  const char *end = g_utf8_offset_to_pointer(s, 50);
  return g_strdup_printf("%.*s...", (int)(end - s), s);
}

/* Python's str.rstrip(): trailing Unicode white space removed; returns the new length. */
static gsize
py_rstrip_len(const char *s, gsize len)
{
  gsize keep = 0, i = 0;
  while (i < len) {
    gsize clen = 1;
    gboolean space = f2b_ini_is_space(s + i, len - i, &clen);
    if (clen == 0)
      clen = 1;
    i += clen;
    if (!space)
      keep = i;
  }
  return keep;
}

/* pprint_list(): "|- header", the items as "|  item", then "`-". */
static void
pprint_list(GPtrArray *items, const char *header)
{
  if (items->len == 0)
    return;
  if (header)
    printf("|- %s\n", header);
  for (guint i = 0; i < items->len; i++) {
    GString *s = items->pdata[i];
    fputs("|  ", stdout);
    fwrite(s->str, 1, s->len, stdout);
    fputc('\n', stdout);
  }
  fputs("`-\n", stdout);
}

static void
gstring_free_full(gpointer s)
{
  g_string_free(s, TRUE);
}

static GPtrArray *
gstring_list(void)
{
  return g_ptr_array_new_with_free_func(gstring_free_full);
}

/* ------------------------------------------------------------ the session */

typedef struct {
  char *fid;        /* str(fid), "None" for a pending failure */
  double time;
  gboolean has_time;
  gboolean multiple;
} RegexHit;

typedef struct {
  char *regex;      /* as given */
  guint hits;
  GArray *ips;      /* RegexHit, only kept with -v */
} RegexStat;

/* One line of the filter's buffer as fail2ban's tuple (prefix, date, rest). */
typedef struct {
  GString *prefix, *date, *rest;
} BufLine;

typedef struct {
  guint64 tested, matched, missed, ignored;
  GPtrArray *matched_lines, *missed_lines, *ignored_lines;          /* GString */
  GPtrArray *matched_stripped, *missed_stripped, *ignored_stripped; /* with -D */
} LineStats;

typedef struct {
  Options *opts;
  F2bFilter *filter;
  F2bConfReader *reader;
  gint64 maxlines;          /* fail2ban-regex's own _maxlines (list sizes) */
  gboolean maxlines_set, datepattern_set;
  gboolean no_date_detector; /* the date pattern was set to None (see set_datepattern) */
  char **journalmatch;      /* the journal match's words (-m, or the filter's), or NULL */
  GPtrArray *failregex;     /* RegexStat */
  GPtrArray *ignoreregex;
  guint64 pref_matched;
  GPtrArray *pref_groups;   /* GString, with -v */
  gboolean line_ignored;
  LineStats stats;
  double elapsed;
  guint64 line_no;
  GHashTable *dns_cache;
  const char *encoding;
  const char *backend;      /* "systemd" for the journal (the filter's logtype follows), else "auto" */
  gboolean text_decoded;    /* the lines processed are text already (the journal's) */
  gint64 now_second; /* the wall-clock second "now" was last set in */
  GPtrArray *ret;    /* scratch: the failures of the current line that count (borrowed) */
  GPtrArray *found;  /* scratch: the failures of the current line (F2bFailure *) */
} Session;

static void
regex_stat_free(gpointer p)
{
  RegexStat *s = p;
  g_free(s->regex);
  if (s->ips) {
    for (guint i = 0; i < s->ips->len; i++)
      g_free(g_array_index(s->ips, RegexHit, i).fid);
    g_array_unref(s->ips);
  }
  g_free(s);
}

static RegexStat *
regex_stat_new(const char *regex)
{
  RegexStat *s = g_new0(RegexStat, 1);
  s->regex = g_strdup(regex);
  return s;
}

/* ---- DNS (usedns yes/warn): getaddrinfo with a small cache ---- */

static void
resolve_host(const char *host, gsize len, F2bFilterUseDns mode, GPtrArray *addrs, gpointer user_data)
{
  Session *s = user_data;
  g_autofree char *name = g_strndup(host, len);
  if (strlen(name) != len)
    return;
  GPtrArray *cached = g_hash_table_lookup(s->dns_cache, name);
  if (cached == NULL) {
    cached = g_ptr_array_new_with_free_func(g_free);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
    if (getaddrinfo(name, NULL, &hints, &res) == 0) {
      for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        char buf[NI_MAXHOST];
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, sizeof buf, NULL, 0, NI_NUMERICHOST) != 0)
          continue;
        gboolean dup = FALSE;
        for (guint i = 0; i < cached->len && !dup; i++)
          dup = strcmp(cached->pdata[i], buf) == 0;
        if (!dup)
          g_ptr_array_add(cached, g_strdup(buf));
      }
      freeaddrinfo(res);
    }
    if (g_hash_table_size(s->dns_cache) > 1000)
      g_hash_table_remove_all(s->dns_cache);
    g_hash_table_insert(s->dns_cache, g_strdup(name), cached);
  }
  for (guint i = 0; i < cached->len; i++) {
    F2bIPAddr *ip = f2b_ipaddr_new(cached->pdata[i], -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
    if (ip)
      g_ptr_array_add(addrs, ip);
  }
}

static void
on_ignore_regex(guint index, gpointer user_data)
{
  Session *s = user_data;
  s->line_ignored = TRUE;
  if (index < s->ignoreregex->len)
    ((RegexStat *)s->ignoreregex->pdata[index])->hits++;
}

/* Output of "Use ..." lines: fail2ban-regex prints them only without -o. */
static void
say(Session *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
say(Session *s, const char *fmt, ...)
{
  if (s->opts->out)
    return;
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fputc('\n', stdout);
}

static void
print_regex_error(GError *error, const char *regex)
{
  printf("ERROR: %s\n", error->message);
  if (g_error_matches(error, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_NO_FAILURE_ID)) {
    g_autofree char *hint = f2b_failregex_hint(regex);
    if (hint)
      printf("HINT: %s\n", hint);
  }
}

static gboolean
set_maxlines(Session *s, gint64 v)
{
  if (s->maxlines_set)
    return TRUE;
  g_autoptr(GError) error = NULL;
  if (!f2b_filter_set_maxlines(s->filter, v, &error)) {
    printf("ERROR: %s\n", error->message);
    return FALSE;
  }
  s->maxlines_set = TRUE;
  say(s, "Use         maxlines : %u", f2b_filter_get_maxlines(s->filter));
  return TRUE;
}

/* fail2ban's Filter.getDatePattern()[1] right after the pattern was set. */
static const char *
datepattern_name(Session *s)
{
  F2bDateDetector *dd = f2b_filter_get_datedetector(s->filter);
  guint n = f2b_datedetect_n_templates(dd);
  if (n == 0 || n > 2)
    return "Default Detectors";
  return f2b_datedetect_template_name(dd, 0);
}

static gboolean
set_datepattern(Session *s, const char *pattern)
{
  if (s->datepattern_set)
    return TRUE;
  g_autoptr(GError) error = NULL;
  if (!f2b_filter_set_datepattern(s->filter, pattern, &error)) {
    printf("ERROR: %s\n", error->message);
    return FALSE;
  }
  s->datepattern_set = TRUE;
  /* fail2ban's Filter has no date detector at all then (the journal's lines
   * bring their dates): its statistics leave out the template hits */
  s->no_date_detector = pattern == NULL;
  if (pattern != NULL)
    say(s, "Use      datepattern : %s : %s", pattern, datepattern_name(s));
  return TRUE;
}

/* ---- reading the REGEX and IGNOREREGEX arguments ---- */

static gboolean
looks_like_filter_name(const char *value)
{
  static pcre2_code *re;
  if (re == NULL) {
    int err;
    PCRE2_SIZE off;
    re = pcre2_compile((PCRE2_SPTR) "^/{0,3}[\\w/_\\-.]+(?:\\[.*\\])?$", PCRE2_ZERO_TERMINATED,
                       PCRE2_MULTILINE | PCRE2_DOTALL | PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF,
                       &err, &off, NULL);
  }
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
  int rc = pcre2_match(re, (PCRE2_SPTR)value, strlen(value), 0, 0, md, NULL);
  pcre2_match_data_free(md);
  return rc >= 0;
}

static gboolean
is_file(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* "." in name[~5:]: a dot among the last six characters. */
static gboolean
has_extension(const char *name)
{
  glong n = g_utf8_strlen(name, -1);
  const char *tail = n > 6 ? g_utf8_offset_to_pointer(name, n - 6) : name;
  return strchr(tail, '.') != NULL;
}

/* Adds one regex to the filter, with fail2ban's error and our hint on failure. */
static gboolean
add_regex(Session *s, const char *kind, const char *regex)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;
  if (strcmp(kind, "fail") == 0) {
    ok = f2b_filter_add_failregex(s->filter, regex, &error);
    if (ok)
      g_ptr_array_add(s->failregex, regex_stat_new(regex));
  } else {
    ok = f2b_filter_add_ignoreregex(s->filter, regex, &error);
    if (ok)
      g_ptr_array_add(s->ignoreregex, regex_stat_new(regex));
  }
  if (!ok)
    print_regex_error(error, regex);
  return ok;
}

static gboolean
add_regex_list(Session *s, const char *kind, const F2bPyObj *value)
{
  if (f2b_py_kind(value) == F2B_PY_STR)
    return add_regex(s, kind, f2b_py_get_str(value, NULL));
  for (gsize i = 0; i < f2b_py_len(value); i++)
    if (!add_regex(s, kind, f2b_py_get_str(f2b_py_item(value, i), NULL)))
      return FALSE;
  return TRUE;
}

static const char *
py_str_or_null(const F2bPyObj *v)
{
  return f2b_py_kind(v) == F2B_PY_STR ? f2b_py_get_str(v, NULL) : NULL;
}

/* Applies the commands of a filter file, in fail2ban-regex's way: the regexes are
 * collected first and added after the other settings. */
static gboolean
apply_filter_stream(Session *s, const F2bPyObj *stream, const char *value)
{
  g_autoptr(GPtrArray) fails = g_ptr_array_new();
  g_autoptr(GPtrArray) ignores = g_ptr_array_new();
  for (gsize i = 0; i < f2b_py_len(stream); i++) {
    const F2bPyObj *cmd = f2b_py_item(stream, i);
    if (f2b_py_len(cmd) < 4)
      continue;
    const char *what = py_str_or_null(f2b_py_item(cmd, 0));
    const char *opt = py_str_or_null(f2b_py_item(cmd, 2));
    const F2bPyObj *val = f2b_py_item(cmd, 3);
    if (what == NULL || opt == NULL)
      continue;
    if (strcmp(opt, "prefregex") == 0) {
      g_autoptr(GError) error = NULL;
      const char *re = py_str_or_null(val);
      if (!f2b_filter_set_prefregex(s->filter, re, &error)) {
        print_regex_error(error, re);
        return FALSE;
      }
    } else if (strcmp(opt, "addfailregex") == 0) {
      g_ptr_array_add(fails, (gpointer)val);
    } else if (strcmp(opt, "addignoreregex") == 0) {
      g_ptr_array_add(ignores, (gpointer)val);
    } else if (strcmp(opt, "maxlines") == 0) {
      gint64 n = f2b_py_kind(val) == F2B_PY_INT ? f2b_py_get_int(val) : 0;
      if (f2b_py_kind(val) == F2B_PY_STR && !parse_int(f2b_py_get_str(val, NULL), &n)) {
        g_autofree char *r = f2b_py_repr(val);
        printf("ERROR: Invalid value for maxlines (%s) read from %s: invalid literal for int() with base 10: %s\n",
               r, value, r);
        return FALSE;
      }
      if (!set_maxlines(s, n))
        return FALSE;
    } else if (strcmp(opt, "datepattern") == 0) {
      if (!set_datepattern(s, py_str_or_null(val)))
        return FALSE;
    } else if (strcmp(opt, "addjournalmatch") == 0 && s->opts->journalmatch == NULL) {
      GPtrArray *words = g_ptr_array_new();
      for (gsize k = 3; k < f2b_py_len(cmd); k++)
        g_ptr_array_add(words, g_strdup(py_str_or_null(f2b_py_item(cmd, k))));
      g_ptr_array_add(words, NULL);
      g_strfreev(s->journalmatch);
      s->journalmatch = (char **)g_ptr_array_free(words, FALSE);
    }
  }
  for (guint i = 0; i < fails->len; i++)
    if (!add_regex_list(s, "fail", fails->pdata[i]))
      return FALSE;
  for (guint i = 0; i < ignores->len; i++)
    if (!add_regex_list(s, "ignore", ignores->pdata[i]))
      return FALSE;
  return TRUE;
}

static void
log_to_stdout(int level, const char *logger, const char *message, gpointer user_data)
{
  /* fail2ban-regex's logger stays at "critical" by default: readers' warnings are not shown. */
}

static gboolean
read_filter_file(Session *s, const char *value, const char *flt_name, F2bIniMap *flt_opts,
                 const char *basedir, gboolean standard, const char *kind)
{
  const char *label = strcmp(kind, "fail") == 0 ? "failregex" : "ignoreregex";
  g_autofree char *name = NULL;
  g_autofree char *dir = g_strdup(basedir);
  if (standard) {
    g_autofree char *base = g_path_get_basename(dir);
    if (strcmp(base, "filter.d") == 0) {
      char *parent = g_path_get_dirname(dir);
      g_free(dir);
      dir = parent;
    }
    g_autofree char *fb = g_path_get_basename(flt_name);
    char *dot = strrchr(fb, '.');
    if (dot && dot != fb)
      *dot = '\0';
    name = g_strdup(fb);
    say(s, "Use %11s filter file : %s, basedir: %s", label, name, dir);
  } else {
    say(s, "Use %11s file : %s", label, flt_name);
    name = g_path_is_absolute(flt_name) ? g_strdup(flt_name)
                                        : g_canonicalize_filename(flt_name, NULL);
  }
  if (f2b_ini_map_size(flt_opts) > 0 && !s->opts->out) {
    /* "Use   filter options : %r" of a dict of str */
    g_autoptr(F2bPyObj) d = f2b_py_dict_new();
    for (guint i = 0; i < f2b_ini_map_size(flt_opts); i++)
      f2b_py_dict_set(d, f2b_py_str(f2b_ini_map_key(flt_opts, i)), f2b_py_str(f2b_ini_map_value(flt_opts, i)));
    g_autofree char *r = f2b_py_repr(d);
    say(s, "Use   filter options : %s", r);
  }
  F2bLogSink sink = { log_to_stdout, NULL };
  g_autoptr(F2bConfReader) reader = f2b_confreader_new(standard ? dir : "/", &sink);
  g_autoptr(GError) error = NULL;
  gboolean found = FALSE;
  g_autoptr(F2bPyObj) stream =
      f2b_confreader_filter_stream(reader, name, flt_opts, !standard, JAIL_NAME, s->backend, &found, &error);
  if (stream == NULL) {
    printf("Wrong config file: %s\n", error->message);
    found = FALSE;
  }
  if (!found) {
    printf("ERROR: failed to load filter %s\n", value);
    return FALSE;
  }
  return apply_filter_stream(s, stream, value);
}

static gboolean
read_regex(Session *s, const char *value, const char *kind)
{
  const char *basedir = s->opts->config;
  g_autofree char *basedir_own = NULL;
  g_autofree char *flt_name = NULL;
  g_autofree char *flt_file = NULL;
  g_autoptr(F2bIniMap) flt_opts = NULL;
  if (strcmp(kind, "fail") == 0 && looks_like_filter_name(value)) {
    g_autoptr(GError) error = NULL;
    F2bLogSink sink = { log_to_stdout, NULL };
    g_autoptr(F2bConfReader) helper = f2b_confreader_new(basedir, &sink);
    if (!f2b_confreader_extract_options(helper, value, &flt_name, &flt_opts, &error)) {
      printf("ERROR: Wrong filter name or options: %s\n", error->message);
      printf("       while parsing: %s\n", value);
      return FALSE;
    }
    const char *suffixes[] = { "", ".conf", ".local" };
    guint n_try = has_extension(flt_name) ? 1 : 3;
    for (guint i = 0; i < n_try; i++) {
      g_autofree char *candidate = g_strconcat(flt_name, suffixes[i], NULL);
      char *path;
      if (strchr(candidate, '/') == NULL) {
        g_autofree char *bb = g_path_get_basename(basedir);
        path = strcmp(bb, "filter.d") == 0 ? g_build_filename(basedir, candidate, NULL)
                                           : g_build_filename(basedir, "filter.d", candidate, NULL);
      } else {
        path = g_strdup(candidate);
        g_free(basedir_own);
        basedir_own = g_path_get_dirname(candidate);
        basedir = basedir_own;
      }
      if (is_file(path)) {
        flt_file = path;
        break;
      }
      g_free(path);
    }
  }
  if (flt_file != NULL) {
    g_autofree char *bb = g_path_get_basename(basedir);
    gboolean standard = strcmp(basedir, s->opts->config) == 0 || strcmp(bb, "filter.d") == 0 ||
                        (!has_extension(flt_name) && strchr(flt_name, '/') == NULL);
    return read_filter_file(s, value, flt_name, flt_opts, basedir, standard, kind);
  }
  g_autofree char *short_value = shortstr(value);
  say(s, "Use %11s line : %s", strcmp(kind, "fail") == 0 ? "failregex" : "ignoreregex", short_value);
  return add_regex(s, kind, value);
}

/* ---- -o: fail2ban-regex's output of failures ---- */

/* The number of items of a failure's data (lean failures may have no data). */
static gsize
data_len(const F2bFailure *f)
{
  return f->data ? f2b_py_len(f->data) : 0;
}

/* str() of a data value of the failure, or FALSE when absent (or None). */
static gboolean
data_get(const F2bFailure *f, const char *key, GString *out, gboolean none_ok)
{
  for (gsize i = 0; i < data_len(f); i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(f->data, i, &k, &v);
    if (!f2b_py_str_equal(k, key))
      continue;
    if (f2b_py_kind(v) == F2B_PY_NONE && !none_ok)
      return FALSE;
    f2b_py_str_append(out, v);
    return TRUE;
  }
  return FALSE;
}

/* The value of KEY (KEY_LEN bytes) in the failure's data, or NULL.  Looked up on
 * every failure ("nofail"): lengths first, no strlen. */
static const F2bPyObj *
data_lookup_len(const F2bFailure *f, const char *key, gsize key_len)
{
  gsize n = data_len(f);
  for (gsize i = 0; i < n; i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(f->data, i, &k, &v);
    gsize len;
    const char *text = f2b_py_kind(k) == F2B_PY_STR ? f2b_py_get_str(k, &len) : NULL;
    if (text && len == key_len && memcmp(text, key, key_len) == 0)
      return v;
  }
  return NULL;
}

static const F2bPyObj *
data_lookup(const F2bFailure *f, const char *key)
{
  return data_lookup_len(f, key, strlen(key));
}

static void
append_fid(GString *out, const F2bFailure *f)
{
  if (f->fid == NULL) {
    g_string_append(out, "None");
    return;
  }
  gsize len;
  g_autofree char *t = f2b_ipaddr_to_string(f->fid, &len);
  g_string_append_len(out, t, len);
}

/* The date text of the failure's last matched line (item 1 of its tuple). */
static gboolean
last_date_text(const F2bFailure *f, const char **text, gsize *len)
{
  for (gsize i = 0; i < data_len(f); i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(f->data, i, &k, &v);
    if (!f2b_py_str_equal(k, "matches") || f2b_py_kind(v) != F2B_PY_LIST || f2b_py_len(v) == 0)
      continue;
    F2bPyObj *last = f2b_py_item(v, f2b_py_len(v) - 1);
    if (f2b_py_kind(last) != F2B_PY_TUPLE || f2b_py_len(last) < 2 ||
        f2b_py_kind(f2b_py_item(last, 1)) != F2B_PY_STR)
      return FALSE;
    *text = f2b_py_get_str(f2b_py_item(last, 1), len);
    return TRUE;
  }
  return FALSE;
}

/* fail2ban's time is a Python int when the stamp carried a zone (or a log time zone
 * was set), a float otherwise; str() shows the difference ("1173101961" against
 * "1284616260.0").  The filter gives a double only, so the zone is looked for in the
 * date text.  A workaround until the date detector reports it. */
static gboolean
time_is_int(const Session *s, const F2bFailure *f)
{
  static pcre2_code *zone_re;
  if (f->time != (double)(gint64)f->time)
    return FALSE;
  const char *text;
  gsize len;
  if (!last_date_text(f, &text, &len))
    return FALSE;
  gboolean epoch = len > 0, tai64n = len > 1 && text[0] == '@';
  for (gsize i = 0; i < len; i++) {
    epoch = epoch && (g_ascii_isdigit(text[i]) || text[i] == '.' || text[i] == '@');
    tai64n = tai64n && (i == 0 || g_ascii_isxdigit(text[i]));
  }
  if (tai64n)
    return TRUE;
  if (epoch)
    return FALSE;
  if (s->opts->timezone)
    return TRUE;
  if (zone_re == NULL) {
    int err;
    PCRE2_SIZE off;
    zone_re = pcre2_compile((PCRE2_SPTR) "\\dZ(?!\\w)|:\\d\\d(?:[.,]\\d+)?\\s*[+-]\\d{2}:?\\d{2}(?![\\d:-])|"
                            "(?<![\\w-])(?:[A-Z]{3,5}|UTC|GMT)(?:[+-]\\d{1,4})?(?!\\w)",
                            PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
  }
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(zone_re, NULL);
  int rc = pcre2_match(zone_re, (PCRE2_SPTR)text, len, 0, 0, md, NULL);
  pcre2_match_data_free(md);
  return rc >= 0;
}

static const Session *time_session;

/* str(ticket time): the failure's time, or now when fail2ban's date was None. */
static void
append_time(GString *out, const F2bFailure *f)
{
  if (!f->has_time)
    f2b_py_repr_float_append(out, g_get_real_time() / 1e6);
  else if (time_session && time_is_int(time_session, f))
    g_string_append_printf(out, "%" G_GINT64_FORMAT, (gint64)f->time);
  else
    f2b_py_repr_float_append(out, f->time);
}

/* One matched line of the failure's "matches" as text (a tuple is joined). */
static void
append_match_text(GString *out, const F2bPyObj *m)
{
  if (f2b_py_kind(m) == F2B_PY_STR) {
    gsize len;
    const char *t = f2b_py_get_str(m, &len);
    g_string_append_len(out, t, len);
    return;
  }
  for (gsize i = 0; i < f2b_py_len(m); i++)
    f2b_py_str_append(out, f2b_py_item(m, i));
}

typedef struct {
  const F2bFailure *failure;
  gboolean *wrap;          /* shared by the failures of one line */
  gboolean msg_done;
  GString *msg_value;
} TagContext;

static gsize
n_matches(const F2bFailure *f)
{
  const F2bPyObj *m = data_lookup(f, "matches");
  return m && (f2b_py_kind(m) == F2B_PY_LIST || f2b_py_kind(m) == F2B_PY_TUPLE) ? f2b_py_len(m) : 0;
}

static void
append_matches(GString *out, const F2bFailure *f)
{
  const F2bPyObj *m = data_lookup(f, "matches");
  if (m == NULL || (f2b_py_kind(m) != F2B_PY_LIST && f2b_py_kind(m) != F2B_PY_TUPLE))
    return;
  for (gsize i = 0; i < f2b_py_len(m); i++) {
    if (i)
      g_string_append_c(out, '\n');
    append_match_text(out, f2b_py_item(m, i));
  }
}

static gboolean
fid_ip(const F2bFailure *f, F2bIPAddr **owned, const F2bIPAddr **ip)
{
  GString *tmp = g_string_new(NULL);
  gboolean has = data_get(f, "ip", tmp, FALSE);
  if (has)
    *ip = *owned = f2b_ipaddr_new(tmp->str, tmp->len, F2B_IPADDR_CIDR_UNSPEC, NULL);
  else
    *ip = f->fid;
  g_string_free(tmp, TRUE);
  return *ip != NULL;
}

/* Actions.ActionInfo for a ticket made of the failure (no jail). */
static gboolean
info_lookup(const char *name, GString *value, gpointer user_data)
{
  TagContext *c = user_data;
  const F2bFailure *f = c->failure;
  if (strcmp(name, "ip") == 0) {
    if (!data_get(f, "ip", value, FALSE))
      append_fid(value, f);
    return TRUE;
  }
  if (strcmp(name, "fid") == 0) {
    append_fid(value, f);
    return TRUE;
  }
  if (strcmp(name, "family") == 0 || strcmp(name, "ip-rev") == 0 || strcmp(name, "ip-host") == 0) {
    g_autoptr(F2bIPAddr) owned = NULL;
    const F2bIPAddr *ip = NULL;
    if (!fid_ip(f, &owned, &ip))
      return FALSE;
    if (strcmp(name, "family") == 0) {
      const char *fam = f2b_ipaddr_family_str(ip);
      g_string_append(value, fam ? fam : "None");
    } else if (strcmp(name, "ip-rev") == 0) {
      g_autofree char *ptr = f2b_ipaddr_ptr(ip, "");
      g_string_append(value, ptr);
    } else {
      g_autofree char *txt = f2b_ipaddr_to_string(ip, NULL);
      char host[NI_MAXHOST];
      struct addrinfo hints = { .ai_flags = AI_NUMERICHOST }, *res = NULL;
      if (getaddrinfo(txt, NULL, &hints, &res) == 0 &&
          getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof host, NULL, 0, NI_NAMEREQD) == 0)
        g_string_append(value, host);
      else
        g_string_append(value, "None");
      if (res)
        freeaddrinfo(res);
    }
    return TRUE;
  }
  if (strcmp(name, "failures") == 0) {
    if (!data_get(f, "failures", value, FALSE))
      g_string_append(value, "0");
    return TRUE;
  }
  if (strcmp(name, "time") == 0) {
    append_time(value, f);
    return TRUE;
  }
  if (strcmp(name, "bancount") == 0 || strcmp(name, "restored") == 0) {
    g_string_append(value, "0");
    return TRUE;
  }
  if (strcmp(name, "matches") == 0) {
    append_matches(value, f);
    return TRUE;
  }
  if (strcmp(name, "msg") == 0) {
    if (!c->msg_done) {
      c->msg_done = TRUE;
      c->msg_value = g_string_new(NULL);
      if (!*c->wrap && n_matches(f) <= 1) {
        append_matches(c->msg_value, f);
      } else {
        *c->wrap = TRUE;
        g_string_append_len(c->msg_value, "\0msg\0", 5);
      }
    }
    g_string_append_len(value, c->msg_value->str, c->msg_value->len);
    return TRUE;
  }
  if (strcmp(name, "raw-ticket") == 0) {
    g_string_append(value, "BanTicket: ip=");
    append_fid(value, f);
    g_string_append(value, " time=");
    append_time(value, f);
    g_string_append(value, " bantime=None bancount=0 #attempts=");
    if (!data_get(f, "failures", value, FALSE))
      g_string_append(value, "0");
    g_string_append(value, " matches=");
    const F2bPyObj *m = data_lookup(f, "matches");
    if (m)
      f2b_py_repr_append(value, m);
    else
      g_string_append(value, "[]");
    return TRUE;
  }
  return FALSE;
}

static gboolean
ticket_data_lookup(const char *name, GString *value, gpointer user_data)
{
  TagContext *c = user_data;
  if (strcmp(name, "failures") == 0) {
    if (!data_get(c->failure, "failures", value, FALSE))
      g_string_append(value, "0");
    return TRUE;
  }
  return data_get(c->failure, name, value, FALSE);
}

static gboolean
system_lookup(const char *name, GString *value, gpointer user_data)
{
  char host[256] = "";
  if (gethostname(host, sizeof host - 1) != 0)
    return FALSE;
  if (strcmp(name, "sh-hostname") == 0) {
    char *dot = strchr(host, '.');
    if (dot)
      *dot = '\0';
    g_string_append(value, host);
    return TRUE;
  }
  struct addrinfo hints = { .ai_flags = AI_CANONNAME }, *res = NULL;
  if (getaddrinfo(host, NULL, &hints, &res) == 0 && res->ai_canonname)
    g_string_append(value, res->ai_canonname);
  else
    g_string_append(value, host);
  if (res)
    freeaddrinfo(res);
  return TRUE;
}

/* fail2ban-regex's _escOut: NUL bytes shown as \x00, except in <msg>. */
static void
escape_out(const char *name, const char *value, gsize len, GString *out, gpointer user_data)
{
  gboolean is_msg = strcmp(name, "msg") == 0;
  for (gsize i = 0; i < len; i++) {
    if (value[i] == '\0' && !is_msg)
      g_string_append(out, "\\x00");
    else
      g_string_append_c(out, value[i]);
  }
}

static void
replace_all_out(const GString *v, const GString *with)
{
  g_autoptr(GString) res = g_string_new(NULL);
  gsize i = 0;
  while (i < v->len) {
    if (i + 5 <= v->len && memcmp(v->str + i, "\0msg\0", 5) == 0) {
      g_string_append_len(res, with->str, with->len);
      i += 5;
    } else {
      g_string_append_c(res, v->str[i++]);
    }
  }
  out_len(res->str, res->len);
}

static void
output_template(Session *s, GPtrArray *ret)
{
  const char *fmt = s->opts->out;
  gboolean wrap = FALSE;
  g_autoptr(GPtrArray) rows = g_ptr_array_new();
  g_autoptr(GPtrArray) texts = gstring_list();
  for (guint i = 0; i < ret->len; i++) {
    TagContext c = { ret->pdata[i], &wrap, FALSE, NULL };
    F2bActionTagsSource src = { info_lookup, ticket_data_lookup, system_lookup, &c };
    GString *v = f2b_actiontags_replace_dynamic_with(fmt, strlen(fmt), &src, escape_out, NULL);
    if (c.msg_value)
      g_string_free(c.msg_value, TRUE);
    if (wrap) {
      g_ptr_array_add(rows, ret->pdata[i]);
      g_ptr_array_add(texts, v);
      continue;
    }
    out_len(v->str, v->len);
    g_string_free(v, TRUE);
  }
  for (guint i = 0; i < rows->len; i++) {
    const F2bPyObj *m = data_lookup(rows->pdata[i], "matches");
    for (gsize k = 0; m && k < f2b_py_len(m); k++) {
      g_autoptr(GString) line = g_string_new(NULL);
      append_match_text(line, f2b_py_item(m, k));
      replace_all_out(texts->pdata[i], line);
    }
  }
}

static void
output_failures(Session *s, GPtrArray *ret)
{
  const char *fmt = s->opts->out;
  if (strchr(fmt, '<') != NULL) {
    output_template(s, ret);
    return;
  }
  g_autoptr(GString) line = g_string_new(NULL);
  for (guint i = 0; i < ret->len; i++) {
    const F2bFailure *f = ret->pdata[i];
    g_string_truncate(line, 0);
    if (strcmp(fmt, "id") == 0 || strcmp(fmt, "fid") == 0) {
      append_fid(line, f);
    } else if (strcmp(fmt, "ip") == 0) {
      if (!data_get(f, "ip", line, TRUE))
        append_fid(line, f);
    } else if (strcmp(fmt, "msg") == 0) {
      const F2bPyObj *m = data_lookup(f, "matches");
      for (gsize k = 0; m && k < f2b_py_len(m); k++) {
        g_string_truncate(line, 0);
        append_match_text(line, f2b_py_item(m, k));
        out_len(line->str, line->len);
      }
      continue;
    } else if (strcmp(fmt, "row") == 0) {
      g_autoptr(F2bPyObj) d = f2b_py_dict_new();
      for (gsize k = 0; k < data_len(f); k++) {
        F2bPyObj *key, *val;
        f2b_py_dict_pair(f->data, k, &key, &val);
        if (!f2b_py_str_equal(key, "matches"))
          f2b_py_dict_set(d, f2b_py_copy(key), f2b_py_copy(val));
      }
      g_string_append_c(line, '[');
      if (f->fid) {
        gsize len;
        g_autofree char *t = f2b_ipaddr_to_string(f->fid, &len);
        f2b_py_repr_str_append(line, t, len);
      } else {
        g_string_append(line, "None");
      }
      g_string_append(line, ",\t");
      append_time(line, f);
      g_string_append(line, ",\t");
      f2b_py_repr_append(line, d);
      g_string_append(line, "],");
    } else if (!data_get(f, fmt, line, TRUE)) {
      g_string_append(line, "None");
    }
    out_len(line->str, line->len);
  }
}

/* ---- processing ---- */

static void
bufline_free(gpointer p)
{
  BufLine *b = p;
  g_string_free(b->prefix, TRUE);
  g_string_free(b->date, TRUE);
  g_string_free(b->rest, TRUE);
  g_free(b);
}

static GPtrArray *
copy_buffer(Session *s)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func(bufline_free);
  gsize n = f2b_filter_n_buffered(s->filter);
  for (gsize i = 0; i < n; i++) {
    const F2bRegexLine *l = f2b_filter_buffered_line(s->filter, i);
    BufLine *b = g_new0(BufLine, 1);
    b->prefix = g_string_new_len(l->prefix, l->prefix_len);
    b->date = g_string_new_len(l->date, l->date_len);
    b->rest = g_string_new_len(l->rest, l->rest_len);
    g_ptr_array_add(copy, b);
  }
  return copy;
}

static gboolean
span_eq(const GString *a, const char *p, gsize len)
{
  return a->len == len && (len == 0 || memcmp(a->str, p, len) == 0);
}

static gboolean
still_buffered(Session *s, const BufLine *b)
{
  gsize n = f2b_filter_n_buffered(s->filter);
  for (gsize i = 0; i < n; i++) {
    const F2bRegexLine *l = f2b_filter_buffered_line(s->filter, i);
    if (span_eq(b->prefix, l->prefix, l->prefix_len) && span_eq(b->date, l->date, l->date_len) &&
        span_eq(b->rest, l->rest, l->rest_len))
      return TRUE;
  }
  return FALSE;
}

static GString *
bufline_join(const BufLine *b, gboolean with_date)
{
  GString *s = g_string_new_len(b->prefix->str, b->prefix->len);
  if (with_date)
    g_string_append_len(s, b->date->str, b->date->len);
  g_string_append_len(s, b->rest->str, b->rest->len);
  return s;
}

static void
remove_first_equal(GPtrArray *list, const GString *value)
{
  for (guint i = 0; i < list->len; i++)
    if (g_string_equal(list->pdata[i], value)) {
      g_ptr_array_remove_index(list, i);
      return;
    }
}

/* Lines the last call took out of the buffer were matched after all (multi-line). */
static void
account_unbuffered(Session *s, GPtrArray *before, gboolean full)
{
  LineStats *st = &s->stats;
  for (guint i = full ? 1 : 0; i < before->len; i++) {
    BufLine *b = before->pdata[i];
    if (still_buffered(s, b))
      continue;
    g_autoptr(GString) joined = bufline_join(b, TRUE);
    remove_first_equal(st->missed_lines, joined);
    if (s->opts->debuggex) {
      g_autoptr(GString) stripped = bufline_join(b, FALSE);
      remove_first_equal(st->missed_stripped, stripped);
    }
    if (s->opts->print_all_matched && !s->opts->debuggex)
      g_ptr_array_add(st->matched_lines, g_string_new_len(joined->str, joined->len));
    st->matched++;
    st->missed--;
  }
}

static void
warn_limit(Session *s, GError *error)
{
  fprintf(stderr, "WARNING: line %" G_GUINT64_FORMAT ": %s (catastrophic backtracking? "
                  "the regex counted as not matching this line)\n",
          s->line_no, error->message);
}

static void
record_hits(Session *s, GPtrArray *found, GPtrArray *ret, gboolean *is_ignored)
{
  for (guint i = 0; i < found->len; i++) {
    F2bFailure *f = found->pdata[i];
    if (!s->opts->out && f->regex_index < s->failregex->len) {
      RegexStat *rs = s->failregex->pdata[f->regex_index];
      rs->hits++;
      if (s->opts->verbose) {
        if (rs->ips == NULL)
          rs->ips = g_array_new(FALSE, FALSE, sizeof(RegexHit));
        g_autoptr(GString) fid = g_string_new(NULL);
        append_fid(fid, f);
        RegexHit h = { g_string_free(g_steal_pointer(&fid), FALSE), f->time, f->has_time, ret->len > 1 };
        g_array_append_val(rs->ips, h);
      }
    }
    if (f2b_failure_is_nofail(f)) /* fail2ban-regex: `if not fail.get('nofail')` */
      *is_ignored = TRUE;
    else
      g_ptr_array_add(ret, f);
  }
}

static void
record_prefregex(Session *s)
{
  if (f2b_filter_get_prefregex(s->filter) == NULL || !f2b_filter_prefregex_matched(s->filter))
    return;
  s->pref_matched++;
  if (!s->opts->verbose)
    return;
  if ((gint64)s->pref_groups->len < s->maxlines) {
    g_autoptr(F2bPyObj) groups = f2b_filter_prefregex_groups(s->filter);
    GString *g = g_string_new(NULL);
    if (groups)
      f2b_py_repr_append(g, groups);
    else
      g_string_append(g, "None");
    g_ptr_array_add(s->pref_groups, g);
  } else if ((gint64)s->pref_groups->len == s->maxlines) {
    g_ptr_array_add(s->pref_groups, g_string_new("..."));
  }
}

static void
keep_line(Session *s, GPtrArray *lines, GPtrArray *stripped, const char *line, gsize len)
{
  g_autofree char *decoded = s->text_decoded ? NULL
                             : f2b_filter_decode_line(line, len, s->encoding, &len, NULL);
  g_ptr_array_add(lines, g_string_new_len(decoded ? decoded : line, len));
  /* fail2ban-regex's "timeextracted" list holds what testRegex returns: the line as
   * given (the date is not taken out, whatever the name says) */
  if (s->opts->debuggex)
    g_ptr_array_add(stripped, g_string_new_len(decoded ? decoded : line, len));
}

/* fail2ban-regex's MyTime.time() is the real time at each call.  What reads it
 * (year and day inference, the 60 s and 5 min windows) works at the granularity
 * of seconds or more, so "now" is set once per second of wall time: the same
 * answers, and consecutive lines keep the date converter's cache valid. */
static void
set_now(Session *s)
{
  gint64 us = g_get_real_time();
  if (us / G_USEC_PER_SEC == s->now_second)
    return;
  s->now_second = us / G_USEC_PER_SEC;
  f2b_filter_set_now(s->filter, (double) us / 1e6);
}

static void process_text(Session *s, const char *line, gsize len, const F2bRegexLine *tuple,
                         double date);

/* Empties A, an array of a line's failures (or of borrowed pointers), through its
 * free function.  Most lines have none; the others one or two: taken one by one
 * from the end, which costs less than g_ptr_array_set_size's general path. */
static void
drop_all(GPtrArray *a)
{
  while (a->len)
    g_ptr_array_remove_index_fast(a, a->len - 1);
}

/* process() for one line; LINE is LEN bytes without its line end. */
static void
process_line(Session *s, const char *line, gsize len)
{
  s->line_no++;
  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    len--;
  if (len == 0 || line[0] == '#')
    return;
  set_now(s);
  process_text(s, line, len, NULL, 0);
}

/* testRegex and the statistics for one line: LINE (LEN bytes) as it is read, or
 * with a TUPLE (the journal's, whose time is DATE) the tuple's parts. */
static void
process_text(Session *s, const char *line, gsize len, const F2bRegexLine *tuple, double date)
{
  Options *o = s->opts;
  g_autoptr(GPtrArray) before = NULL;
  gsize maxl = f2b_filter_get_maxlines(s->filter);
  if (maxl > 1)
    before = copy_buffer(s);
  gboolean full = before && before->len >= maxl;
  s->line_ignored = FALSE;
  gboolean is_ignored = FALSE;
  g_autoptr(GError) error = NULL;
  GPtrArray *found = s->found; /* reused: the last line's failures go now */
  drop_all(found);
  gboolean processed = tuple ? f2b_filter_process_tuple_into(s->filter, tuple, date, found, &error)
                             : f2b_filter_process_line_into(s->filter, line, len, found, &error);
  if (error && g_error_matches(error, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_LIMIT))
    warn_limit(s, error);
  else if (error)
    fprintf(stderr, "WARNING: line %" G_GUINT64_FORMAT ": failed to process line: %s\n", s->line_no,
            error->message);
  GPtrArray *ret = s->ret; /* reused: its entries are borrowed from FOUND */
  drop_all(ret);
  if (processed)
    record_hits(s, found, ret, &is_ignored);
  if (o->out) {
    if (ret->len > 0 && !(is_ignored || s->line_ignored))
      output_failures(s, ret);
    return;
  }
  record_prefregex(s);
  if (before)
    account_unbuffered(s, before, full);
  is_ignored = is_ignored || s->line_ignored;
  LineStats *st = &s->stats;
  if (is_ignored) {
    st->ignored++;
    if (!o->print_no_ignored && (o->print_all_ignored || (gint64)st->ignored <= s->maxlines + 1))
      keep_line(s, st->ignored_lines, st->ignored_stripped, line, len);
  } else if (ret->len > 0) {
    st->matched++;
    if (o->print_all_matched)
      keep_line(s, st->matched_lines, st->matched_stripped, line, len);
  } else {
    st->missed++;
    if (!o->print_no_missed && (o->print_all_missed || (gint64)st->missed <= s->maxlines + 1))
      keep_line(s, st->missed_lines, st->missed_stripped, line, len);
  }
  st->tested++;
}

/* A progress bar on stderr for large logs, when stderr is a terminal. */
typedef struct {
  gboolean on;
  gint64 size, last_update;
} Progress;

static void
progress_update(Progress *p, gint64 pos, gboolean done)
{
  if (!p->on)
    return;
  gint64 now = g_get_monotonic_time();
  if (!done && now - p->last_update < 200000)
    return;
  p->last_update = now;
  int pct = p->size > 0 ? (int)(pos * 100 / p->size) : 100;
  int bars = pct * 40 / 100;
  fprintf(stderr, "\r[%.*s%*s] %3d%%", bars, "########################################", 40 - bars, "", pct);
  if (done)
    fputs("\r\033[K", stderr);
  fflush(stderr);
}

/* Hands every line of F (each with its "\n") to process_line, reading blocks into
 * one buffer that lines are processed in place of (no copy per line).  fail2ban
 * waits for the end of an unterminated last line: it is not processed.  Returns
 * the bytes read. */
static gint64
read_lines(Session *s, FILE *f, const char *path, Progress *progress)
{
  gsize cap = 256 * 1024, have = 0, scanned = 0;
  char *buf = g_malloc(cap);
  gint64 pos = 0;
  int fd = fileno(f);
  for (;;) {
    ssize_t n = read(fd, buf + have, cap - have);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      fprintf(stderr, "ERROR: reading %s: %s\n", path, g_strerror(errno));
    if (n <= 0)
      break;
    have += (gsize)n;
    gsize start = 0;
    const char *nl;
    while ((nl = memchr(buf + scanned, '\n', have - scanned)) != NULL) {
      gsize next = (gsize)(nl - buf) + 1;
      process_line(s, buf + start, next - start);
      pos += (gint64)(next - start);
      start = scanned = next;
    }
    scanned = have;
    progress_update(progress, pos, FALSE);
    /* the partial line to the front; a line longer than the buffer doubles it */
    memmove(buf, buf + start, have - start);
    have -= start;
    scanned -= start;
    if (have == cap) {
      cap *= 2;
      buf = g_realloc(buf, cap);
    }
  }
  g_free(buf);
  return pos;
}

static gboolean
process_file(Session *s, const char *path)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    printf("[Errno %d] %s: '%s'\n", errno, g_strerror(errno), path);
    return FALSE;
  }
  say(s, "Use         log file : %s", path);
  say(s, "Use         encoding : %s", s->encoding);
  say(s, "%s", "");
  struct stat st;
  Progress progress = { FALSE, 0, 0 };
  if (fstat(fileno(f), &st) == 0 && st.st_size > (64 << 20) && isatty(STDERR_FILENO)) {
    progress.on = TRUE;
    progress.size = st.st_size;
  }
  gint64 t0 = g_get_monotonic_time();
  gint64 pos = read_lines(s, f, path, &progress);
  progress_update(&progress, pos, TRUE);
  s->elapsed = (g_get_monotonic_time() - t0) / 1e6;
  fclose(f);
  return TRUE;
}

/* ---- the systemd journal ---- */

/* Opens the journal LOG names ("systemd-journal[journalpath=..., journalfiles=...,
 * journalflags=..., namespace=...]") as FilterSystemd's reader. */
static gboolean
open_log_journal(Session *s, const char *log, sd_journal **journal)
{
  g_autoptr(GError) error = NULL;
  F2bLogSink sink = { log_to_stdout, NULL };
  g_autoptr(F2bConfReader) helper = f2b_confreader_new(s->opts->config, &sink);
  g_autofree char *name = NULL;
  g_autoptr(F2bIniMap) options = NULL;
  if (!f2b_confreader_extract_options(helper, log, &name, &options, &error)) {
    printf("ERROR: Wrong journal options: %s\n       while parsing: %s\n", error->message, log);
    return FALSE;
  }
  g_autoptr(F2bJournalOptions) jo = f2b_journal_options_parse(options, g_getenv("F2B_SYSTEMD_DEFAULT_FLAGS"),
                                                              &error);
  if (jo == NULL) {
    printf("ERROR: %s\n", error->message);
    return FALSE;
  }
  if (jo->path && jo->files) {
    printf("ERROR: path and files cannot be specified simultaneously\n");
    return FALSE;
  }
  int r = f2b_journalread_open(journal, jo);
  if (r < 0) {
    printf("ERROR: cannot open the journal %s: %s\n", log, g_strerror(-r));
    return FALSE;
  }
  return TRUE;
}

/* addJournalMatch with the journal match, if any. */
static gboolean
add_journal_match(Session *s, sd_journal *journal)
{
  if (s->journalmatch == NULL)
    return TRUE;
  g_autoptr(F2bJournalMatches) matches = f2b_journal_matches_new();
  g_autoptr(GError) error = NULL;
  g_autofree char *joined = g_strjoinv(" ", s->journalmatch);
  if (!f2b_journal_matches_add(matches, (const char *const *)s->journalmatch,
                               g_strv_length(s->journalmatch), &error) ||
      f2b_journalread_add_matches(journal, matches, 0) < 0) {
    printf("ERROR: Error adding journal match for: %s: %s\n", joined,
           error ? error->message : "Invalid match");
    return FALSE;
  }
  say(s, "Use    journal match : %s", joined);
  return TRUE;
}

/* The journal read from its first entry, as fail2ban-regex reads it: each entry
 * formatted into fail2ban's ("", date, line) with its time; the lists show the
 * three joined. */
static gboolean
process_journal(Session *s, const char *log)
{
  say(s, "Use         systemd journal");
  say(s, "Use         encoding : %s", s->encoding);
  sd_journal *journal = NULL;
  if (!open_log_journal(s, log, &journal))
    return FALSE;
  gint32 utc_offset = f2b_journalread_utc_offset();
  gboolean ok = set_datepattern(s, NULL) && add_journal_match(s, journal);
  say(s, "%s", "");
  gint64 t0 = g_get_monotonic_time();
  g_autoptr(GString) joined = g_string_new(NULL);
  s->text_decoded = TRUE;
  int r;
  while (ok && (r = sd_journal_next(journal)) != 0) {
    if (r < 0) {
      fprintf(stderr, "WARNING: reading the journal stopped: %s\n", g_strerror(-r));
      break;
    }
    g_autoptr(F2bJournalEntry) entry = f2b_journalread_entry(journal, &r);
    if (entry == NULL)
      continue; /* python-systemd's get_next skips what it cannot read */
    F2bJournalLine line;
    g_autoptr(GError) error = NULL;
    if (!f2b_journalfmt_format(entry, s->encoding, utc_offset, &line, &error)) {
      fprintf(stderr, "WARNING: journal entry skipped: %s\n", error->message);
      continue;
    }
    F2bRegexLine tuple = { "", 0, line.date, strlen(line.date), line.line, line.line_len };
    g_string_assign(joined, line.date);
    g_string_append_len(joined, line.line, (gssize)line.line_len); /* may hold NUL bytes */
    s->line_no++;
    set_now(s);
    process_text(s, joined->str, joined->len, &tuple, line.time);
    f2b_journal_line_clear(&line);
  }
  s->text_decoded = FALSE;
  s->elapsed = (g_get_monotonic_time() - t0) / 1e6;
  sd_journal_close(journal);
  return ok;
}

static void
process_string(Session *s, const char *log)
{
  g_auto(GStrv) lines = NULL;
  if (f2b_filter_get_maxlines(s->filter) <= 1 && strchr(log, '\n') == NULL) {
    g_autofree char *sh = shortstr(log);
    say(s, "Use      single line : %s", sh);
    lines = g_new0(char *, 2);
    lines[0] = g_strdup(log);
  } else {
    lines = g_strsplit(log, "\n", -1);
    say(s, "Use      multi line : %u line(s)", g_strv_length(lines));
    for (guint i = 0; lines[i]; i++) {
      if (i >= 5) {
        say(s, "| ...");
        break;
      }
      g_autofree char *num = g_strdup_printf("%u", i + 1);
      g_autofree char *sh = shortstr(lines[i]);
      say(s, "| %2.2s: %s", num, sh);
    }
    say(s, "`-");
  }
  say(s, "%s", "");
  gint64 t0 = g_get_monotonic_time();
  for (guint i = 0; lines[i]; i++)
    process_line(s, lines[i], strlen(lines[i]));
  s->elapsed = (g_get_monotonic_time() - t0) / 1e6;
}

/* ---- the report ---- */

static void
append_quote_plus(GString *out, const char *s, gsize len)
{
  for (gsize i = 0; i < len; i++) {
    guchar c = s[i];
    if (g_ascii_isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~')
      g_string_append_c(out, c);
    else if (c == ' ')
      g_string_append_c(out, '+');
    else
      g_string_append_printf(out, "%%%02X", c);
  }
}

static char *
debuggex_url(Session *s, const GString *sample, const char *regex)
{
  F2bFailRegexFlags flags = F2B_FAILREGEX_FLAGS_NONE;
  if (s->opts->usedns && strcmp(s->opts->usedns, "no") == 0)
    flags |= F2B_FAILREGEX_USEDNS_NO;
  g_autofree char *re = f2b_failregex_resolve_tags(regex, flags);
  GString *url = g_string_new("https://www.debuggex.com/?re=");
  append_quote_plus(url, re, strlen(re));
  g_string_append(url, "&str=");
  append_quote_plus(url, sample->str, sample->len);
  g_string_append(url, "&flavor=python");
  if (f2b_filter_get_maxlines(s->filter) > 1)
    g_string_append(url, "&flags=m");
  return g_string_free(url, FALSE);
}

static void
print_lines(Session *s, const char *ltype)
{
  LineStats *st = &s->stats;
  guint64 count;
  GPtrArray *list, *stripped, *regexes;
  gboolean print_all;
  if (strcmp(ltype, "matched") == 0) {
    count = st->matched, list = st->matched_lines, stripped = st->matched_stripped;
    print_all = s->opts->print_all_matched, regexes = s->failregex;
  } else if (strcmp(ltype, "ignored") == 0) {
    count = st->ignored, list = st->ignored_lines, stripped = st->ignored_stripped;
    print_all = s->opts->print_all_ignored, regexes = s->ignoreregex;
  } else {
    count = st->missed, list = st->missed_lines, stripped = st->missed_stripped;
    print_all = s->opts->print_all_missed, regexes = s->failregex;
  }
  if (count == 0)
    return;
  g_autofree char *header = g_strdup_printf("%c%s line(s):", g_ascii_toupper(ltype[0]), ltype + 1);
  if (!((gint64)count < s->maxlines || print_all)) {
    printf("%s too many to print.  Use --print-all-%s to print all %" G_GUINT64_FORMAT " lines\n", header,
           ltype, count);
    return;
  }
  g_autoptr(GPtrArray) items = gstring_list();
  if (!s->opts->debuggex) {
    for (guint i = 0; i < list->len; i++) {
      GString *l = list->pdata[i];
      g_ptr_array_add(items, g_string_new_len(l->str, py_rstrip_len(l->str, l->len)));
    }
  } else {
    for (guint i = 0; i < stripped->len; i++)
      for (guint k = 0; k < regexes->len; k++) {
        GString *l = stripped->pdata[i];
        const char *re = ((RegexStat *)regexes->pdata[k])->regex;
        g_autofree char *url = debuggex_url(s, l, re);
        GString *item = g_string_new_len(l->str, l->len);
        g_string_append_printf(item, " | %s |  %s", re, url);
        g_string_truncate(item, py_rstrip_len(item->str, item->len));
        g_ptr_array_add(items, item);
      }
  }
  pprint_list(items, header);
}

static guint64
print_regex_stats(Session *s, const char *title, GPtrArray *regexes)
{
  guint64 total = 0;
  g_autoptr(GPtrArray) out = gstring_list();
  for (guint i = 0; i < regexes->len; i++) {
    RegexStat *rs = regexes->pdata[i];
    total += rs->hits;
    if (rs->hits || s->opts->verbose)
      g_ptr_array_add(out, g_string_new(NULL)),
          g_string_printf(out->pdata[out->len - 1], "%2u) [%u] %s", i + 1, rs->hits, rs->regex);
    for (guint k = 0; s->opts->verbose && rs->ips && k < rs->ips->len; k++) {
      RegexHit *h = &g_array_index(rs->ips, RegexHit, k);
      char when[64] = "";
      time_t t = h->has_time ? (time_t)h->time : time(NULL);
      struct tm tm;
      if (localtime_r(&t, &tm))
        strftime(when, sizeof when, "%a %b %d %H:%M:%S %Y", &tm);
      GString *line = g_string_new(NULL);
      g_string_printf(line, "    %s  %s%s", h->fid, when, h->multiple ? " (multiple regex matched)" : "");
      g_ptr_array_add(out, line);
    }
  }
  printf("\n%s: %" G_GUINT64_FORMAT " total\n", title, total);
  pprint_list(out, " #) [# of hits] regular expression");
  return total;
}

/* The "Date template hits" section. */
static void
print_date_hits(Session *s)
{
  out_line("\nDate template hits:");
  F2bDateDetector *dd = f2b_filter_get_datedetector(s->filter);
  g_autoptr(GPtrArray) out = gstring_list();
  for (guint i = 0; i < f2b_datedetect_n_templates(dd); i++) {
    guint hits = f2b_datedetect_template_hits(dd, i);
    if (!(s->opts->verbose || hits))
      continue;
    GString *l = g_string_new(NULL);
    g_string_printf(l, "[%u] %s", hits, f2b_datedetect_template_name(dd, i));
    g_ptr_array_add(out, l);
    if (s->opts->verbose_date) {
      const char *pattern = f2b_datedetect_template_pattern(dd, i);
      const char *regex = f2b_datedetect_template_regex(dd, i);
      double base, weight = f2b_datedetect_template_weight(dd, i, &base);
      g_ptr_array_add(out, g_string_new(NULL));
      g_string_printf(out->pdata[out->len - 1], "    # weight: %.3f (%.3f), pattern: %s", weight, base,
                      pattern ? pattern : "");
      g_ptr_array_add(out, g_string_new(NULL));
      g_string_printf(out->pdata[out->len - 1], "    # regex:   %s", regex ? regex : "");
    }
  }
  pprint_list(out, "[# of hits] date format");
}

static void
print_stats(Session *s)
{
  out_line("");
  out_line("Results");
  out_line("=======");
  F2bRegex *pre = f2b_filter_get_prefregex(s->filter);
  if (pre) {
    g_autoptr(GPtrArray) out = gstring_list();
    g_ptr_array_add(out, g_string_new(f2b_failregex_get_regex(pre)));
    for (guint i = 0; s->opts->verbose && i < s->pref_groups->len; i++) {
      GString *g = s->pref_groups->pdata[i];
      GString *line = g_string_new("    ");
      g_string_append_len(line, g->str, g->len);
      g_ptr_array_add(out, line);
    }
    printf("\nPrefregex: %" G_GUINT64_FORMAT " total\n", s->pref_matched);
    pprint_list(out, NULL);
  }
  print_regex_stats(s, "Failregex", s->failregex);
  print_regex_stats(s, "Ignoreregex", s->ignoreregex);
  if (!s->no_date_detector)
    print_date_hits(s);
  LineStats *st = &s->stats;
  printf("\nLines: %" G_GUINT64_FORMAT " lines, %" G_GUINT64_FORMAT " ignored, %" G_GUINT64_FORMAT
         " matched, %" G_GUINT64_FORMAT " missed\n",
         st->tested, st->ignored, st->matched, st->missed);
  printf("[processed in %.2f sec]\n", s->elapsed);
  out_line("");
  if (s->opts->print_all_matched)
    print_lines(s, "matched");
  if (!s->opts->print_no_ignored)
    print_lines(s, "ignored");
  if (!s->opts->print_no_missed)
    print_lines(s, "missed");
}

/* ---- set-up and main ---- */

static const char *
default_encoding(void)
{
  setlocale(LC_CTYPE, "");
  const char *cs = nl_langinfo(CODESET);
  /* Python coerces the C locale to UTF-8 */
  if (cs == NULL || strcmp(cs, "ANSI_X3.4-1968") == 0 || *cs == '\0')
    return "UTF-8";
  return cs;
}

static Session *
session_new(Options *o)
{
  Session *s = g_new0(Session, 1);
  s->opts = o;
  s->filter = f2b_filter_new(g_get_real_time() / 1e6);
  s->failregex = g_ptr_array_new_with_free_func(regex_stat_free);
  s->ignoreregex = g_ptr_array_new_with_free_func(regex_stat_free);
  s->pref_groups = gstring_list();
  s->ret = g_ptr_array_new();
  s->found = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_failure_free);
  s->dns_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  LineStats *st = &s->stats;
  st->matched_lines = gstring_list();
  st->missed_lines = gstring_list();
  st->ignored_lines = gstring_list();
  st->matched_stripped = gstring_list();
  st->missed_stripped = gstring_list();
  st->ignored_stripped = gstring_list();
  s->encoding = o->encoding ? o->encoding : default_encoding();
  return s;
}

static void
session_free(Session *s)
{
  f2b_filter_free(s->filter);
  g_ptr_array_unref(s->failregex);
  g_ptr_array_unref(s->ignoreregex);
  g_ptr_array_unref(s->pref_groups);
  g_ptr_array_unref(s->ret);
  g_ptr_array_unref(s->found);
  g_hash_table_unref(s->dns_cache);
  LineStats *st = &s->stats;
  g_ptr_array_unref(st->matched_lines);
  g_ptr_array_unref(st->missed_lines);
  g_ptr_array_unref(st->ignored_lines);
  g_ptr_array_unref(st->matched_stripped);
  g_ptr_array_unref(st->missed_stripped);
  g_ptr_array_unref(st->ignored_stripped);
  g_strfreev(s->journalmatch);
  g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Session, session_free)

/* Fail2banRegex.__init__: FALSE after printing fail2ban's "ERROR: ..." */
static gboolean
session_setup(Session *s)
{
  Options *o = s->opts;
  g_autoptr(GError) error = NULL;
  if (o->maxlines) {
    if (!set_maxlines(s, o->maxlines))
      return FALSE;
    s->maxlines = o->maxlines;
  } else {
    s->maxlines = 20;
  }
  if (o->journalmatch) {
    g_autoptr(GPtrArray) words = f2b_confreader_shlex_split(o->journalmatch, &error);
    if (words == NULL) {
      printf("ERROR: %s\n", error->message);
      return FALSE;
    }
    g_ptr_array_set_free_func(words, NULL);
    g_ptr_array_add(words, NULL);
    s->journalmatch = (char **)g_ptr_array_free(g_steal_pointer(&words), FALSE);
  }
  if (o->timezone && !f2b_filter_set_logtimezone(s->filter, o->timezone, &error)) {
    printf("ERROR: %s\n", error->message);
    return FALSE;
  }
  f2b_filter_set_check_find_time(s->filter, FALSE);
  if (o->datepattern && !set_datepattern(s, o->datepattern))
    return FALSE;
  if (o->usedns)
    f2b_filter_set_usedns(s->filter, o->usedns);
  f2b_filter_set_return_raw_host(s->filter, o->raw);
  f2b_filter_set_check_all_regex(s->filter, o->check_all && !o->out);
  /* the summary reads only "nofail" of a failure (-o and -v read the rest) */
  f2b_filter_set_lean_failures(s->filter, !o->out && !o->verbose && !o->debuggex);
  f2b_filter_set_ignore_pending(s->filter, o->out != NULL);
  f2b_filter_set_ignore_callback(s->filter, on_ignore_regex, s);
  f2b_filter_set_resolver(s->filter, resolve_host, s);
  if (!f2b_filter_set_logencoding(s->filter, s->encoding, &error)) {
    printf("ERROR: %s\n", error->message);
    return FALSE;
  }
  return TRUE;
}

static gboolean
session_start(Session *s, GPtrArray *args)
{
  const char *log = args->pdata[0];
  s->backend = g_str_has_prefix(log, "systemd-journal") ? "systemd" : "auto";
  if (!read_regex(s, args->pdata[1], "fail"))
    return FALSE;
  if (args->len == 3 && !read_regex(s, args->pdata[2], "ignore"))
    return FALSE;
  if (is_file(log)) {
    if (!process_file(s, log))
      return FALSE;
  } else if (g_str_has_prefix(log, "systemd-journal")) {
    if (!process_journal(s, log))
      return FALSE;
  } else {
    process_string(s, log);
  }
  if (!s->opts->out)
    print_stats(s);
  return TRUE;
}

int
main(int argc, char **argv)
{
  prog_path = argv[0];
  /* Without TZ, glibc's mktime() stats /etc/localtime on every call (a third of the
   * time per line); naming the same file keeps the zone and drops the syscall. */
  if (getenv("TZ") == NULL)
    setenv("TZ", ":/etc/localtime", 1);
  Options o = { .config = "/etc/fail2ban", .log_level = "critical", .check_all = TRUE };
  g_autoptr(GPtrArray) args = parse_args(argc, argv, &o);
  g_autoptr(GString) errors = g_string_new(NULL);
  if (o.print_no_missed && o.print_all_missed)
    g_string_append(errors, "\nERROR: --print-no-missed and --print-all-missed are mutually exclusive.");
  if (o.print_no_ignored && o.print_all_ignored)
    g_string_append(errors, "\nERROR: --print-no-ignored and --print-all-ignored are mutually exclusive.");
  if (args->len != 2 && args->len != 3)
    g_string_append(errors, "\nERROR: provide both <LOG> and <REGEX>.");
  if (errors->len) {
    print_help();
    fflush(stdout);
    fprintf(stderr, "%s\n", errors->str);
    return EXIT_ERROR;
  }
  if (!o.out)
    fputs("\nRunning tests\n=============\n\n", stdout);
  g_autoptr(Session) s = session_new(&o);
  time_session = s;
  if (!session_setup(s) || !session_start(s, args)) {
    fflush(stdout);
    return EXIT_ERROR;
  }
  return 0;
}

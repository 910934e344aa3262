/* f2bc-client.c - fail2ban-client's command line.
 *
 * For now the options that need no server: -d / --dp (the command stream
 * of the configuration), -t (configuration test), --str2sec, -V, -h.
 * Output, diagnostics and exit codes follow fail2ban-client: the stream
 * on stdout, fail2ban's log lines on stderr, 255 on failure.
 *
 * Beyond fail2ban, -t also compiles every enabled jail's filter as the
 * server will (jailcheck.c): fail2ban's -t passes a failregex without a host
 * group and only the server start fails.  Each failure is reported as
 *   ERROR: FILE:LINE: jail 'NAME', OPTION: <fail2ban's message>
 *   HINT: <f2b_failregex_hint(), when one fits>
 * after fail2ban's own output, and the test fails (255).  -d prints the
 * stream exactly as fail2ban does and checks nothing; -d -t dumps, then checks. */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "confreader.h"
#include "failregex.h"
#include "jailcheck.h"
#include "timeutil.h"
#include "version.h"

typedef struct {
  char *conf;
  char *socket, *pidfile, *loglevel, *logtarget, *syslogsocket;
  int dump;          /* 0, 1 (-d) or 2 (--dp) */
  gboolean test;
  int verbose;
  int log_threshold;
  GPtrArray *args;
} Options;

static void
log_line(int level, const char *logger, const char *message, gpointer user_data)
{
  Options *o = user_data;
  if (level < o->log_threshold)
    return;
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  localtime_r(&tv.tv_sec, &tm);
  char stamp[64];
  strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  const char *lname = level >= F2B_LOG_ERROR ? "ERROR" : level >= F2B_LOG_WARNING ? "WARNING"
                    : level >= F2B_LOG_NOTICE ? "NOTICE" : "INFO";
  fprintf(stderr, "%s,%03d %-24s[%d]: %-7s %s\n", stamp, (int)(tv.tv_usec / 1000), logger, (int)getpid(),
          lname, message);
}

static void
usage(const char *prog)
{
  printf("Usage: %s [OPTIONS] <COMMAND>\n\n", prog);
  printf("fail2ban-c %s, compatible with Fail2Ban v%s: reads log files, finds failures\n", F2B_VERSION,
         F2B_COMPAT_VERSION);
  printf("and bans the offending IP addresses with firewall rules.\n\n");
  printf("Options:\n"
         "    -c, --conf <DIR>        configuration directory (default /etc/fail2ban)\n"
         "    -s, --socket <FILE>     socket path\n"
         "    -p, --pidfile <FILE>    pidfile path\n"
         "    --pname <NAME>          name of the server process\n"
         "    --loglevel <LEVEL>      logging level\n"
         "    --logtarget <TARGET>    logging target: a file name, STDOUT, STDERR, SYSLOG or SYSOUT\n"
         "    --syslogsocket auto|<FILE>\n"
         "    -d                      print the configuration as commands (for debugging)\n"
         "    --dp, --dump-pretty     the same, indented for reading\n"
         "    -t, --test              test the configuration\n"
         "    -i                      interactive mode\n"
         "    -v                      more verbose\n"
         "    -q                      less verbose\n"
         "    -x                      force execution of the server (remove the socket file)\n"
         "    -b                      start the server in the background (default)\n"
         "    -f                      start the server in the foreground\n"
         "    --async                 start the server in async mode (internal)\n"
         "    --timeout               time to wait for the server (internal)\n"
         "    --str2sec <STRING>      convert a time abbreviation to seconds\n"
         "    -h, --help              show this help\n"
         "    -V, --version           print the version (-V: machine-readable)\n\n"
         "Commands that talk to the server are not supported yet.\n\n"
         "Report bugs at the fail2ban-c project.\n");
}

static int
fail_init(Options *o)
{
  log_line(F2B_LOG_ERROR, "fail2ban", "Init of command line failed", o);
  return 255;
}

static void
print_pretty(const F2bPyObj *cmd)
{
  g_autofree char *r = f2b_py_repr(cmd);
  if (strlen(r) <= 1000 || f2b_py_kind(cmd) != F2B_PY_LIST) {
    printf("%s\n", r);
    return;
  }
  GString *out = g_string_new("[ ");
  for (gsize i = 0; i < f2b_py_len(cmd); i++) {
    if (i)
      g_string_append(out, ",\n  ");
    f2b_py_repr_append(out, f2b_py_item(cmd, i));
  }
  g_string_append(out, "]");
  printf("%s\n", out->str);
  g_string_free(out, TRUE);
}

static gboolean
valid_loglevel(const char *v)
{
  static const char *const names[] = { "CRITICAL", "FATAL", "ERROR", "WARN", "WARNING", "NOTICE",
                                       "INFO", "DEBUG", "TRACEDEBUG", "HEAVYDEBUG", "MSG", "NOTSET" };
  gboolean digits = *v != '\0';
  for (const char *p = v; *p; p++)
    digits = digits && g_ascii_isdigit(*p);
  if (digits)
    return TRUE;
  g_autofree char *up = g_ascii_strup(v, -1);
  for (guint i = 0; i < G_N_ELEMENTS(names); i++)
    if (strcmp(up, names[i]) == 0)
      return TRUE;
  return FALSE;
}

/* readConfig: the stream or NULL, and fail2ban's verdict. */
static F2bPyObj *
read_config(Options *o, F2bConfReader *r, const F2bIniMap *early, gboolean *ok)
{
  GError *error = NULL;
  F2bPyObj *stream = f2b_confreader_stream(r, early, !o->test, o->dump != 0, ok, &error);
  if (stream == NULL) {
    g_autofree char *m = g_strdup_printf("Failed during configuration: %s", error->message);
    log_line(F2B_LOG_ERROR, "fail2ban", m, o);
    g_error_free(error);
    *ok = FALSE;
  }
  return stream;
}

/* One problem as an ERROR line naming where the value is written, and the hint. */
static void
print_problem(F2bConfReader *r, const F2bJailCheckProblem *p)
{
  g_autofree char *file = NULL;
  guint line = 0;
  g_autofree char *where = f2b_confreader_locate(r, p->jail, p->option, p->index, &file, &line)
                               ? g_strdup_printf("%s:%u: ", file, line)
                               : g_strdup("");
  printf("ERROR: %sjail '%s', %s: %s\n", where, p->jail, p->option, p->error->message);
  /* the hint explains a missing host group, nothing else */
  gboolean no_id = g_error_matches(p->error, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_NO_FAILURE_ID);
  g_autofree char *hint = no_id ? f2b_failregex_hint(p->value) : NULL;
  if (hint)
    printf("HINT: %s\n", hint);
}

/* The filters of every jail in STREAM compiled as the server would; FALSE
 * when something fails (everything failing is reported). */
static gboolean
check_filters(F2bConfReader *r, const F2bPyObj *stream)
{
  g_autoptr(GPtrArray) problems = f2b_jailcheck_stream(stream, (double)g_get_real_time() / G_USEC_PER_SEC);
  for (guint i = 0; i < problems->len; i++)
    print_problem(r, problems->pdata[i]);
  /* before the log line on stderr that follows */
  fflush(stdout);
  return problems->len == 0;
}

static int
run_config(Options *o)
{
  F2bLogSink sink = { log_line, o };
  g_autoptr(F2bConfReader) r = f2b_confreader_new(o->conf, &sink);
  g_autoptr(F2bIniMap) early = f2b_ini_map_new();
  const char *const params[] = { "socket", "pidfile", "logtarget", "loglevel", "syslogsocket" };
  char **given[] = { &o->socket, &o->pidfile, &o->logtarget, &o->loglevel, &o->syslogsocket };
  g_autoptr(F2bIniMap) conf = NULL;
  for (guint i = 0; i < G_N_ELEMENTS(params); i++) {
    if (*given[i] == NULL && conf == NULL) {
      GError *error = NULL;
      conf = f2b_confreader_early_options(r, &error);
      if (conf == NULL) {
        printf("ERROR: %s\n", error->message);
        g_error_free(error);
        return fail_init(o);
      }
    }
    if (*given[i] == NULL && f2b_ini_map_contains(conf, params[i]))
      *given[i] = g_strdup(f2b_ini_map_get(conf, params[i]));
  }
  for (guint i = 0; i < G_N_ELEMENTS(params); i++)
    if (*given[i] != NULL && i >= 2)
      f2b_ini_map_set(early, params[i], *given[i]);
  if (o->loglevel == NULL || !valid_loglevel(o->loglevel)) {
    printf("ERROR: Invalid log level '%s'\n", o->loglevel ? o->loglevel : "None");
    return fail_init(o);
  }
  gboolean ok = TRUE, read = FALSE;
  g_autoptr(F2bPyObj) stream = NULL;
  if (o->dump) {
    stream = read_config(o, r, early, &ok);
    read = TRUE;
    if (stream != NULL) {
      /* one buffer for every line: a dump prints thousands of them */
      g_autoptr(GString) line = g_string_sized_new(4096);
      for (gsize i = 0; i < f2b_py_len(stream); i++) {
        if (o->dump == 2) {
          print_pretty(f2b_py_item(stream, i));
        } else {
          g_string_truncate(line, 0);
          f2b_py_repr_append(line, f2b_py_item(stream, i));
          g_string_append_c(line, '\n');
          fwrite(line->str, 1, line->len, stdout);
        }
      }
    } else {
      printf("ERROR: The configuration stream failed because of the invalid syntax.\n");
    }
    if (!o->test)
      return ok ? 0 : fail_init(o);
  }
  if (o->test) {
    if (!read)
      stream = read_config(o, r, early, &ok);
    if (!ok)
      log_line(F2B_LOG_ERROR, "fail2ban", "ERROR: test configuration failed", o);
    if (stream != NULL && !check_filters(r, stream)) {
      if (ok)
        log_line(F2B_LOG_ERROR, "fail2ban", "ERROR: test configuration failed", o);
      ok = FALSE;
    }
    if (!ok)
      return 255;
    if (o->args->len == 0) {
      printf("OK: configuration test is successful\n");
      return 0;
    }
  }
  if (o->args->len == 0) {
    usage("f2bc-client");
    return 255;
  }
  fprintf(stderr, "ERROR: command '%s' needs the server, which f2bc-client does not support yet\n",
          (char *)o->args->pdata[0]);
  return 255;
}

static const char *const long_with_arg[] = { "loglevel", "logtarget", "syslogsocket", "conf", "pidfile",
                                             "pname", "socket", "timeout", "str2sec", NULL };
static const char *const long_no_arg[] = { "test", "async", "help", "version", "dp", "dump-pretty", NULL };

/* getopt's long option: exact name or a unique prefix. */
static const char *
match_long(const char *name, gboolean *has_arg)
{
  const char *found = NULL;
  int count = 0;
  const char *const *lists[] = { long_with_arg, long_no_arg };
  for (int l = 0; l < 2; l++)
    for (int i = 0; lists[l][i]; i++) {
      if (strcmp(lists[l][i], name) == 0) {
        *has_arg = l == 0;
        return lists[l][i];
      }
      if (g_str_has_prefix(lists[l][i], name)) {
        found = lists[l][i];
        *has_arg = l == 0;
        count++;
      }
    }
  return count == 1 ? found : NULL;
}

/* Applies one option; returns -1 to go on, or an exit code. */
static int
apply_option(Options *o, const char *opt, const char *arg)
{
  if (!strcmp(opt, "-c") || !strcmp(opt, "--conf")) {
    g_free(o->conf);
    o->conf = g_strdup(arg);
  } else if (!strcmp(opt, "-s") || !strcmp(opt, "--socket")) {
    g_free(o->socket);
    o->socket = g_strdup(arg);
  } else if (!strcmp(opt, "-p") || !strcmp(opt, "--pidfile")) {
    g_free(o->pidfile);
    o->pidfile = g_strdup(arg);
  } else if (!strcmp(opt, "--loglevel")) {
    g_free(o->loglevel);
    o->loglevel = g_strdup(arg);
  } else if (!strcmp(opt, "--logtarget")) {
    g_free(o->logtarget);
    o->logtarget = g_strdup(arg);
  } else if (!strcmp(opt, "--syslogsocket")) {
    g_free(o->syslogsocket);
    o->syslogsocket = g_strdup(arg);
  } else if (!strcmp(opt, "-d")) {
    o->dump = 1;
  } else if (!strcmp(opt, "--dp") || !strcmp(opt, "--dump-pretty")) {
    o->dump = 2;
  } else if (!strcmp(opt, "-t") || !strcmp(opt, "--test")) {
    o->test = TRUE;
  } else if (!strcmp(opt, "-v")) {
    o->verbose++;
  } else if (!strcmp(opt, "-q")) {
    o->verbose--;
  } else if (!strcmp(opt, "--str2sec")) {
    GError *error = NULL;
    g_autoptr(F2bPyObj) v = f2b_timeutil_str2sec(arg, &error);
    if (v == NULL) {
      printf("ERROR: %s\n", error->message);
      g_error_free(error);
      return fail_init(o);
    }
    g_autofree char *s = f2b_py_repr(v);
    printf("%s\n", s);
    return 0;
  } else if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
    usage("f2bc-client");
    return 0;
  } else if (!strcmp(opt, "-V")) {
    printf("%s\n", F2B_COMPAT_VERSION);
    return 0;
  } else if (!strcmp(opt, "--version")) {
    printf("Fail2Ban v%s (%s)\n", F2B_COMPAT_VERSION, f2b_version_string());
    return 0;
  }
  return -1;
}

static int
parse_args(Options *o, int argc, char **argv)
{
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] != '-' || a[1] == '\0')
      break;
    if (a[1] == '-') {
      g_autofree char *name = g_strdup(a + 2);
      char *eq = strchr(name, '=');
      if (eq)
        *eq = '\0';
      gboolean has_arg;
      const char *full = match_long(name, &has_arg);
      if (full == NULL || (!has_arg && eq) || (has_arg && !eq && i + 1 >= argc)) {
        usage("f2bc-client");
        return fail_init(o);
      }
      const char *arg = has_arg ? (eq ? eq + 1 : argv[++i]) : NULL;
      g_autofree char *opt = g_strconcat("--", full, NULL);
      int rc = apply_option(o, opt, arg);
      if (rc >= 0)
        return rc;
      continue;
    }
    for (const char *p = a + 1; *p; p++) {
      if (!strchr("hc:s:p:xfbdtviqV", *p) || *p == ':') {
        usage("f2bc-client");
        return fail_init(o);
      }
      char opt[3] = { '-', *p, '\0' };
      const char *arg = NULL;
      if (strchr("csp", *p)) {
        if (p[1]) {
          arg = p + 1;
        } else if (i + 1 < argc) {
          arg = argv[++i];
        } else {
          usage("f2bc-client");
          return fail_init(o);
        }
      }
      int rc = apply_option(o, opt, arg);
      if (rc >= 0)
        return rc;
      if (arg)
        break;
    }
  }
  for (; i < argc; i++)
    g_ptr_array_add(o->args, g_strdup(argv[i]));
  return -1;
}

int
main(int argc, char **argv)
{
  Options o = { .conf = g_strdup("/etc/fail2ban"), .verbose = 1 };
  o.args = g_ptr_array_new_with_free_func(g_free);
  o.log_threshold = F2B_LOG_WARNING;
  int rc = parse_args(&o, argc, argv);
  if (rc < 0) {
    o.log_threshold = o.verbose <= 0 ? F2B_LOG_ERROR : o.verbose == 1 ? F2B_LOG_WARNING : F2B_LOG_INFO;
    rc = run_config(&o);
  }
  fflush(stdout);
  g_free(o.conf);
  g_free(o.socket);
  g_free(o.pidfile);
  g_free(o.loglevel);
  g_free(o.logtarget);
  g_free(o.syslogsocket);
  g_ptr_array_free(o.args, TRUE);
  return rc;
}

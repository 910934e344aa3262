/* f2bc-client.c - fail2ban-client's command line.
 *
 * Without a server: -d / --dp (the command stream of the configuration),
 * -t (configuration test), --str2sec, -V, -h.  With a server: every command
 * of fail2ban-client, sent over the socket as fail2ban-client sends it
 * (csocket.c), the replies printed with fail2ban-client's text
 * (beautifier.c); `start` spawns f2bc-server (next to this program, in the
 * build tree's server/ or on PATH) with fail2ban-client's arguments, waits
 * for it and sends the configuration stream; `reload` sends the stream as
 * fail2ban-client does; -i reads commands with line editing (cliread.h).
 * Output, log lines on stderr and exit codes (255 on failure) follow
 * fail2ban-client.
 *
 * Beyond fail2ban, -t also compiles every enabled jail's filter as the
 * server will (jailcheck.c): fail2ban's -t passes a failregex without a host
 * group and only the server start fails.  Each failure is reported as
 *   ERROR: FILE:LINE: jail 'NAME', OPTION: <fail2ban's message>
 *   HINT: <f2b_failregex_hint(), when one fits>
 * after fail2ban's own output, and the test fails (255).  A configuration
 * that fail2ban finds wrong (a filter or an action that does not exist, an
 * interpolation that does not resolve) gets the same ERROR line naming where
 * the offending value is written, after fail2ban's lines for the failure.  -d prints the
 * stream exactly as fail2ban does and checks nothing; -d -t dumps, then checks. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "beautifier.h"
#include "cliread.h"
#include "confreader.h"
#include "csocket.h"
#include "failregex.h"
#include "jailcheck.h"
#include "timeutil.h"
#include "version.h"

#define LOG_HEAVY 5
#define LOG_DEBUG 10
#define LOGGER "fail2ban"
#define NO_TIMEOUT (-1.0)
#define SERVER_NAME "f2bc-server"

typedef struct {
  char *conf;
  char *socket, *pidfile, *loglevel, *logtarget, *syslogsocket;
  int dump;          /* 0, 1 (-d) or 2 (--dp) */
  gboolean test, force, interactive, background, async;
  int verbose;
  F2bConfReader *early_reader; /* read fail2ban.conf for the early options: the stream reads on with it */
  double timeout;    /* --timeout: waiting for the server */
  int log_threshold;
  GPtrArray *args;
  GPtrArray *old_args; /* args of earlier init_command_line() calls */
  int argc;          /* the command line, for `restart` in interactive mode */
  char **argv;
} Options;

/* The foreground server (-f), so that a signal to the client reaches it. */
static volatile pid_t foreground_server;

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
  const char *lname = level >= 50 ? "CRITICAL" : level >= F2B_LOG_ERROR ? "ERROR"
                    : level >= F2B_LOG_WARNING ? "WARNING" : level >= F2B_LOG_NOTICE ? "NOTICE"
                    : level >= F2B_LOG_INFO ? "INFO" : level >= LOG_DEBUG ? "DEBUG"
                    : level >= 7 ? "TRACE" : "HEAVY";
  if (o->verbose > 2) /* fail2ban's verbose format: time, thread, level */
    fprintf(stderr, " %s,%03d %lX %-5.5s %s\n", stamp, (int)(tv.tv_usec / 1000),
            (unsigned long)pthread_self(), lname, message);
  else
    fprintf(stderr, "%s,%03d %-24s[%d]: %-7s %s\n", stamp, (int)(tv.tv_usec / 1000), logger,
            (int)getpid(), lname, message);
}

static void G_GNUC_PRINTF(3, 4)
logf_(Options *o, int level, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *m = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  log_line(level, LOGGER, m, o);
}

/* print(): TEXT and a newline on stdout. */
static void
output(const char *text)
{
  fputs(text, stdout);
  fputc('\n', stdout);
}

static char *
repr(const F2bPyObj *v)
{
  return f2b_py_repr(v);
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
         "Commands: start, stop, restart, reload [--restart] [--unban] [--if-exists] [--all|JAIL],\n"
         "status [JAIL], ping, version, echo, banned, unban, flushlogs, get ..., set ...\n"
         "(the server's \"help\" command lists them all).\n\n"
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

static F2bPyObj *read_config(Options *o, const char *jail, gboolean *ok, F2bConfReader **reader);

/* The ERROR line of -t's own checks: where the value of OPTION is written
 * (FILE NULL when unknown), whose it is and what is wrong with it. */
static void
print_located(const char *file, guint line, const char *jail, const char *section, const char *option,
              const char *message)
{
  g_autofree char *where = file ? g_strdup_printf("%s:%u: ", file, line) : g_strdup("");
  if (jail != NULL)
    printf("ERROR: %sjail '%s', %s: %s\n", where, jail, option, message);
  else
    printf("ERROR: %s[%s] %s: %s\n", where, section, option, message);
}

/* One problem as an ERROR line naming where the value is written, and the hint. */
static void
print_problem(F2bConfReader *r, const F2bJailCheckProblem *p)
{
  g_autofree char *file = NULL;
  guint line = 0;
  f2b_confreader_locate(r, p->jail, p->option, p->index, &file, &line);
  print_located(file, line, p->jail, NULL, p->option, p->error->message);
  /* the hint explains a missing host group, nothing else */
  gboolean no_id = g_error_matches(p->error, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_NO_FAILURE_ID);
  g_autofree char *hint = no_id ? f2b_failregex_hint(p->value) : NULL;
  if (hint)
    printf("HINT: %s\n", hint);
}

/* Where the reading failed (a missing filter or action, an interpolation
 * that does not resolve), after fail2ban's own lines for it. */
static void
print_failures(F2bConfReader *r)
{
  const GPtrArray *failures = f2b_confreader_failures(r);
  for (guint i = 0; i < failures->len; i++) {
    const F2bConfReaderFailure *f = failures->pdata[i];
    print_located(f->file, f->line, f->jail, f->section, f->option, f->message);
  }
  /* before the log line on stderr that follows */
  fflush(stdout);
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

/* The early options, the log level check, -d and -t: fail2ban's
 * initCmdLine.  Returns -1 to go on with the commands, or an exit code. */
static int
run_config(Options *o)
{
  F2bLogSink sink = { log_line, o };
  g_clear_pointer(&o->early_reader, f2b_confreader_free);
  F2bConfReader *r = o->early_reader = f2b_confreader_new(o->conf, &sink);
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
  logf_(o, F2B_LOG_INFO, "Using socket file %s", o->socket ? o->socket : "None");
  if (o->loglevel == NULL || !valid_loglevel(o->loglevel)) {
    printf("ERROR: Invalid log level '%s'\n", o->loglevel ? o->loglevel : "None");
    return fail_init(o);
  }
  g_autofree char *level = g_ascii_strup(o->loglevel, -1);
  logf_(o, F2B_LOG_INFO, "Using pid file %s, [%s] logging to %s", o->pidfile ? o->pidfile : "None", level,
        o->logtarget ? o->logtarget : "None");
  gboolean ok = TRUE, read = FALSE;
  g_autoptr(F2bPyObj) stream = NULL;
  g_autoptr(F2bConfReader) reader = NULL;
  if (o->dump) {
    stream = read_config(o, NULL, &ok, &reader);
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
      stream = read_config(o, NULL, &ok, &reader);
    print_failures(reader);
    if (!ok)
      log_line(F2B_LOG_ERROR, LOGGER, "ERROR: test configuration failed", o);
    if (stream != NULL && !check_filters(reader, stream)) {
      if (ok)
        log_line(F2B_LOG_ERROR, LOGGER, "ERROR: test configuration failed", o);
      ok = FALSE;
    }
    if (!ok)
      return 255;
    if (o->args->len == 0) {
      printf("OK: configuration test is successful\n");
      return 0;
    }
  }
  return -1;
}

/* ------------------------------------------------------ talking to the server */

static const char *
py_type_name(const F2bPyObj *v)
{
  static const char *const names[] = { "NoneType", "bool", "int", "float", "str", "bytes",
                                       "list", "tuple", "dict" };
  F2bPyKind k = f2b_py_kind(v);
  return k == F2B_PY_INSTANCE ? f2b_py_instance_name(v) : names[k];
}

/* __logSocketError: what fail2ban-client says when the socket fails. */
static void
log_socket_error(Options *o, const char *error, gboolean error_only)
{
  if (access(o->socket, F_OK) == 0) {
    if (access(o->socket, W_OK) == 0) {
      if (error_only)
        logf_(o, F2B_LOG_ERROR, "%s", error);
      else
        logf_(o, F2B_LOG_ERROR, "[%s] Unable to contact server. Is it running?", error);
    } else {
      logf_(o, F2B_LOG_ERROR, "Permission denied to socket: %s, (you must be root)", o->socket);
    }
  } else {
    logf_(o, F2B_LOG_ERROR, "Failed to access socket path: %s. Is fail2ban running?", o->socket);
  }
}

static void
print_reply(Options *o, const F2bPyObj *cmd, const F2bPyObj *value)
{
  gboolean failed = FALSE;
  g_autofree char *text = f2b_beautifier_format(cmd, value, &failed);
  if (failed) {
    g_autofree char *rv = repr(value), *rc = repr(cmd);
    log_line(F2B_LOG_WARNING, "fail2ban.beautifier", "Beautifier error. Please report the error", o);
    g_autofree char *m = g_strdup_printf("Beautify %s with %s failed", rv, rc);
    log_line(F2B_LOG_ERROR, "fail2ban.beautifier", m, o);
  }
  output(text);
}

/* One reply: TRUE for (0, value), FALSE for an error reply; -1 (in *broken)
 * when the reply is not the tuple fail2ban-client expects. */
static gboolean
handle_reply(Options *o, const F2bPyObj *cmd, const F2bPyObj *ret, gboolean show, gboolean *broken)
{
  F2bPyKind k = f2b_py_kind(ret);
  *broken = TRUE;
  if ((k != F2B_PY_TUPLE && k != F2B_PY_LIST) || f2b_py_len(ret) < 2) {
    logf_(o, F2B_LOG_ERROR, "'%s' object is not subscriptable", py_type_name(ret));
    return FALSE;
  }
  const F2bPyObj *code = f2b_py_item(ret, 0), *value = f2b_py_item(ret, 1);
  g_autoptr(F2bPyObj) zero = f2b_py_int(0);
  if (f2b_py_equal(code, zero)) {
    *broken = FALSE;
    if (o->verbose > 3) {
      g_autofree char *rv = repr(value);
      logf_(o, LOG_HEAVY, "OK : %s", rv);
    }
    if (show || f2b_py_str_equal(f2b_py_item(cmd, 0), "echo") ||
        f2b_py_str_equal(f2b_py_item(cmd, 0), "server-status"))
      print_reply(o, cmd, value);
    return TRUE;
  }
  if (f2b_py_kind(value) != F2B_PY_INSTANCE) {
    logf_(o, F2B_LOG_ERROR, "'%s' object has no attribute 'args'", py_type_name(value));
    return FALSE;
  }
  *broken = FALSE;
  g_autoptr(F2bPyObj) args = f2b_beautifier_exc_args(value);
  g_autofree char *ra = repr(args);
  logf_(o, F2B_LOG_ERROR, "NOK: %s", ra);
  if (show) {
    GError *error = NULL;
    g_autofree char *text = f2b_beautifier_format_error(cmd, value, &error);
    if (text == NULL) {
      logf_(o, F2B_LOG_ERROR, "%s", error->message);
      g_error_free(error);
      *broken = TRUE;
      return FALSE;
    }
    output(text);
  }
  return FALSE;
}

/* __processCmd: sends the commands CMDS (F2bPyObj lists) on one connection;
 * TRUE when every reply was a success. */
static gboolean
process_cmds(Options *o, GPtrArray *cmds, gboolean show, double timeout)
{
  g_autoptr(F2bcSocket) client = NULL;
  gboolean stream_ret = TRUE, ret = TRUE;
  for (guint i = 0; i < cmds->len && ret; i++) {
    const F2bPyObj *c = cmds->pdata[i];
    gboolean is_ping = f2b_py_str_equal(f2b_py_item(c, 0), "ping");
    GError *error = NULL;
    if (client == NULL)
      client = f2bc_socket_connect(o->socket, timeout, &error);
    else if (timeout != NO_TIMEOUT)
      f2bc_socket_set_timeout(client, timeout);
    g_autoptr(F2bPyObj) reply = NULL;
    if (client != NULL) {
      if (o->verbose > 2) {
        g_autofree char *rc = repr(c);
        logf_(o, LOG_HEAVY, "CMD: %s", rc);
      }
      reply = f2bc_socket_send(client, c, &error);
    }
    if (reply == NULL) {
      gboolean socket_error = error->domain != F2BC_SOCKET_ERROR || error->code != F2BC_SOCKET_ERROR_DECODE;
      if (show || o->verbose > 1) {
        if (!socket_error)
          logf_(o, F2B_LOG_ERROR, "%s", error->message);
        else if (show || !is_ping)
          log_socket_error(o, error->message, is_ping);
        else
          logf_(o, LOG_HEAVY, " -- ping failed -- %s", error->message);
      }
      g_error_free(error);
      ret = FALSE;
      break;
    }
    gboolean broken;
    if (!handle_reply(o, c, reply, show, &broken))
      stream_ret = FALSE;
    if (broken)
      ret = FALSE;
  }
  fflush(stdout);
  return ret && stream_ret;
}

/* One command (transfer full) on its own connection. */
static gboolean
process_one(Options *o, F2bPyObj *cmd, gboolean show, double timeout)
{
  g_autoptr(GPtrArray) cmds = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_py_free);
  g_ptr_array_add(cmds, cmd);
  return process_cmds(o, cmds, show, timeout);
}

/* __ping: quiet; ["ping", timeout] unless TIMEOUT is NO_TIMEOUT. */
static gboolean
ping(Options *o, double timeout)
{
  F2bPyObj *cmd = f2b_py_list_of_strs("ping", NULL);
  if (timeout != NO_TIMEOUT)
    f2b_py_append(cmd, f2b_py_float(timeout));
  return process_one(o, cmd, FALSE, timeout);
}

/* readConfig(jail): the stream or NULL; *OK is fail2ban's verdict. */
static F2bPyObj *
read_config(Options *o, const char *jail, gboolean *ok, F2bConfReader **reader)
{
  F2bLogSink sink = { log_line, o };
  /* fail2ban's configurator reads fail2ban.conf once per run (logged once) */
  g_autoptr(F2bConfReader) r = o->early_reader ? g_steal_pointer(&o->early_reader)
                                               : f2b_confreader_new(o->conf, &sink);
  g_autoptr(F2bIniMap) early = f2b_ini_map_new();
  const char *const params[] = { "logtarget", "loglevel", "syslogsocket" };
  const char *values[] = { o->logtarget, o->loglevel, o->syslogsocket };
  for (guint i = 0; i < G_N_ELEMENTS(params); i++)
    if (values[i] != NULL)
      f2b_ini_map_set(early, params[i], values[i]);
  GError *error = NULL;
  F2bPyObj *stream = jail ? f2b_confreader_stream_jail(r, early, jail, !o->test, o->dump != 0, ok, &error)
                          : f2b_confreader_stream(r, early, !o->test, o->dump != 0, ok, &error);
  if (stream == NULL) {
    logf_(o, F2B_LOG_ERROR, "Failed during configuration: %s", error->message);
    g_error_free(error);
    *ok = FALSE;
  }
  /* the reader can tell where each value is written (f2b_confreader_locate) */
  if (reader != NULL)
    *reader = g_steal_pointer(&r);
  return stream;
}

/* __waitOnServer: polls until the server answers (ALIVE) or no longer
 * does; FALSE with *TIMED_OUT after MAXTIME seconds.  A spawned server
 * process SERVER (or 0) that exits with a failure ends the wait early. */
static gboolean
wait_on_server(Options *o, gboolean alive, double maxtime, pid_t server, gboolean *timed_out)
{
  gint64 start = g_get_monotonic_time();
  double sleep_time = 0.0125 / 2;
  *timed_out = FALSE;
  for (;;) {
    gboolean running = access(o->socket, F_OK) == 0 && ping(o, sleep_time);
    if (running == alive)
      return TRUE;
    double waited = (g_get_monotonic_time() - start) / (double)G_USEC_PER_SEC;
    int status;
    if (alive && server > 0 && waitpid(server, &status, WNOHANG) == server) {
      if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        waited = maxtime; /* the server gave up: no use waiting */
      server = 0;
    }
    if (waited >= maxtime) {
      *timed_out = TRUE;
      return FALSE;
    }
    sleep_time = MIN(sleep_time * 2, waited > 0.2 ? 0.5 : 0.1);
    g_usleep((gulong)(sleep_time * G_USEC_PER_SEC));
  }
}

/* Where f2bc-server is: next to this program, in the build tree's server/,
 * or on PATH (as fail2ban-client looks next to itself first). */
static char *
server_path(void)
{
  g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
  if (self) {
    g_autofree char *dir = g_path_get_dirname(self);
    char *here = g_build_filename(dir, SERVER_NAME, NULL);
    if (g_file_test(here, G_FILE_TEST_IS_EXECUTABLE))
      return here;
    g_free(here);
    char *tree = g_build_filename(dir, "..", "server", SERVER_NAME, NULL);
    if (g_file_test(tree, G_FILE_TEST_IS_EXECUTABLE))
      return tree;
    g_free(tree);
  }
  return g_strdup(SERVER_NAME);
}

/* startServerAsync: f2bc-server with fail2ban-client's arguments. */
static pid_t
spawn_server(Options *o, gboolean background)
{
  g_autofree char *exe = server_path();
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(args, g_strdup(exe));
  g_ptr_array_add(args, g_strdup("--async"));
  g_ptr_array_add(args, g_strdup(background ? "-b" : "-f"));
  g_ptr_array_add(args, g_strdup("-s"));
  g_ptr_array_add(args, g_strdup(o->socket));
  if (o->pidfile) {
    g_ptr_array_add(args, g_strdup("-p"));
    g_ptr_array_add(args, g_strdup(o->pidfile));
  }
  if (o->force)
    g_ptr_array_add(args, g_strdup("-x"));
  if (o->verbose > 1) {
    GString *v = g_string_new("-");
    for (int i = 1; i < o->verbose; i++)
      g_string_append_c(v, 'v');
    g_ptr_array_add(args, g_string_free(v, FALSE));
  }
  const char *names[] = { "--loglevel", "--logtarget", "--syslogsocket" };
  const char *values[] = { o->loglevel, o->logtarget, o->syslogsocket };
  for (guint i = 0; i < G_N_ELEMENTS(names); i++)
    if (values[i]) {
      g_ptr_array_add(args, g_strdup(names[i]));
      g_ptr_array_add(args, g_strdup(values[i]));
    }
  g_ptr_array_add(args, NULL);
  g_autofree char *joined = g_strjoinv("', '", (char **)args->pdata);
  logf_(o, LOG_DEBUG, "Starting '%s' with args ['%s']", exe, joined);
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    execvp(exe, (char **)args->pdata);
    fprintf(stderr, "f2bc-client: cannot run %s: %s\n", exe, g_strerror(errno));
    _exit(255);
  }
  if (pid < 0)
    logf_(o, F2B_LOG_ERROR, "Exception while starting server %s", background ? "background" : "foreground");
  return pid;
}

/* __processStartStreamAfterWait */
static gboolean
send_start_stream(Options *o, GPtrArray *stream, pid_t server)
{
  gboolean timed_out;
  if (!wait_on_server(o, TRUE, o->timeout, server, &timed_out)) {
    if (timed_out)
      logf_(o, F2B_LOG_ERROR, "Could not start server. Maybe an old socket file is still present. Try to "
            "remove %s. If you used fail2ban-client to start the server, adding the -x option will do it",
            o->socket);
    else
      logf_(o, F2B_LOG_ERROR, "Could not find server, waiting failed");
    return FALSE;
  }
  return process_cmds(o, stream, FALSE, NO_TIMEOUT);
}

static void
forward_signal(int sig)
{
  if (foreground_server > 0)
    kill(foreground_server, sig);
}

/* -f: the server runs as our child in the foreground; we configure it and
 * then wait for it, passing on SIGTERM/SIGINT/SIGHUP/SIGUSR1. */
static gboolean
run_foreground(Options *o, GPtrArray *stream)
{
  pid_t pid = spawn_server(o, FALSE);
  if (pid < 0)
    return FALSE;
  foreground_server = pid;
  struct sigaction sa = { .sa_handler = forward_signal };
  sigemptyset(&sa.sa_mask);
  const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
  for (guint i = 0; i < G_N_ELEMENTS(sigs); i++)
    sigaction(sigs[i], &sa, NULL);
  gboolean ok = send_start_stream(o, stream, pid);
  if (!ok)
    kill(pid, SIGTERM);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  foreground_server = 0;
  return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* __startServer with __prepareStartServer */
static gboolean
start_server(Options *o)
{
  if (ping(o, 0.1)) {
    logf_(o, F2B_LOG_ERROR, "Server already running");
    return FALSE;
  }
  gboolean ok;
  g_autoptr(F2bPyObj) conf_stream = read_config(o, NULL, &ok, NULL);
  if (!ok)
    return FALSE;
  if (!o->force && access(o->socket, F_OK) == 0) {
    logf_(o, F2B_LOG_ERROR, "Fail2ban seems to be in unexpected state (not running but the socket exists)");
    return FALSE;
  }
  g_autoptr(GPtrArray) stream = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_py_free);
  F2bPyObj *server_stream = f2b_py_list_of_strs("server-stream", NULL);
  f2b_py_append(server_stream, g_steal_pointer(&conf_stream));
  g_ptr_array_add(stream, server_stream);
  g_ptr_array_add(stream, f2b_py_list_of_strs("server-status", NULL));
  if (!o->background)
    return run_foreground(o, stream);
  pid_t pid = spawn_server(o, TRUE);
  if (pid < 0)
    return FALSE;
  return send_start_stream(o, stream, pid);
}

static gboolean process_command(Options *o, GPtrArray *cmd);

/* reload [--restart] [--unban] [--if-exists] [--all|JAIL] */
static gboolean
reload(Options *o, GPtrArray *cmd)
{
  F2bPyObj *opts = f2b_py_list_new();
  g_autoptr(F2bPyObj) opts_owner = opts;
  while (cmd->len >= 2) {
    const char *a = cmd->pdata[1];
    if (!strcmp(a, "--restart") || !strcmp(a, "--unban") || !strcmp(a, "--if-exists")) {
      f2b_py_append(opts, f2b_py_str(a));
      g_ptr_array_remove_index(cmd, 1);
      continue;
    }
    if (cmd->len > 2) {
      g_autoptr(F2bPyObj) rest = f2b_py_list_new();
      for (guint i = 1; i < cmd->len; i++)
        f2b_py_append(rest, f2b_py_str(cmd->pdata[i]));
      g_autofree char *r = repr(rest);
      logf_(o, F2B_LOG_ERROR, "Unexpected argument(s) for reload: %s", r);
      return FALSE;
    }
    break;
  }
  if (!ping(o, NO_TIMEOUT)) {
    logf_(o, F2B_LOG_ERROR, "Could not find server");
    return FALSE;
  }
  const char *jail = cmd->len == 1 || !strcmp(cmd->pdata[1], "--all") ? "--all" : cmd->pdata[1];
  gboolean ok;
  g_autoptr(F2bPyObj) stream = read_config(o, strcmp(jail, "--all") ? jail : NULL, &ok, NULL);
  if (!ok)
    return FALSE;
  if (o->interactive)
    output("  ## reload ... ");
  F2bPyObj *c = f2b_py_list_of_strs("reload", jail, NULL);
  f2b_py_append(c, g_steal_pointer(&opts_owner));
  f2b_py_append(c, g_steal_pointer(&stream));
  return process_one(o, c, TRUE, NO_TIMEOUT);
}

static int init_command_line(Options *o);

static gboolean
restart(Options *o, GPtrArray *cmd)
{
  if (cmd->len > 1) {
    g_ptr_array_remove_index(cmd, 0);
    g_ptr_array_insert(cmd, 0, g_strdup("--restart"));
    g_ptr_array_insert(cmd, 0, g_strdup("reload"));
    return process_command(o, cmd);
  }
  if (o->interactive)
    output("  ## stop ... ");
  g_autoptr(GPtrArray) stop = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(stop, g_strdup("stop"));
  process_command(o, stop);
  gboolean timed_out;
  if (!wait_on_server(o, FALSE, o->timeout, 0, &timed_out)) {
    logf_(o, F2B_LOG_ERROR, timed_out ? "Failed to start server" : "Could not stop server");
    return FALSE;
  }
  if (o->interactive) {
    output("  ## load configuration ... ");
    int rc = init_command_line(o);
    if (rc >= 0)
      return rc == 0;
    output("  ## start ... ");
  }
  g_autoptr(GPtrArray) start = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(start, g_strdup("start"));
  return process_command(o, start);
}

/* Python's float() of a command-line word (no hexadecimal). */
static gboolean
parse_float(Options *o, const char *s, double *out)
{
  g_autofree char *t = g_strstrip(g_strdup(s));
  char *end = t;
  if (*t && !strpbrk(t, "xX"))
    *out = g_ascii_strtod(t, &end);
  if (end == t || *end != '\0') {
    g_autofree char *r = f2b_py_repr_str(s);
    logf_(o, F2B_LOG_ERROR, "could not convert string to float: %s", r);
    return FALSE;
  }
  return TRUE;
}

/* __processCommand: CMD is the list of words (owned by the caller). */
static gboolean
process_command(Options *o, GPtrArray *cmd)
{
  const char *name = cmd->len ? cmd->pdata[0] : "";
  if (cmd->len == 1 && !strcmp(name, "start"))
    return start_server(o);
  if (cmd->len >= 1 && !strcmp(name, "restart"))
    return restart(o, cmd);
  if (cmd->len >= 1 && !strcmp(name, "reload"))
    return reload(o, cmd);
  F2bPyObj *c = f2b_py_list_new();
  for (guint i = 0; i < cmd->len; i++)
    f2b_py_append(c, f2b_py_str(cmd->pdata[i]));
  double timeout = NO_TIMEOUT;
  if (cmd->len > 1 && !strcmp(name, "ping")) {
    if (!parse_float(o, cmd->pdata[1], &timeout)) {
      f2b_py_free(c);
      return FALSE;
    }
    if (isnan(timeout) || (timeout < 0 && timeout != NO_TIMEOUT)) {
      logf_(o, F2B_LOG_ERROR, isnan(timeout) ? "Invalid value NaN (not a number)"
                                             : "Timeout value must be non-negative");
      f2b_py_free(c);
      return FALSE;
    }
  }
  return process_one(o, c, TRUE, timeout);
}

/* ------------------------------------------------------------ interactive */

static void
display_interactive(void)
{
  printf("Fail2Ban v%s reads log file that contains password failure report\n", F2B_COMPAT_VERSION);
  printf("and bans the corresponding IP addresses using firewall rules.\n\n");
}

static gboolean
interactive(Options *o)
{
  if (o->args->len > 0 && !process_command(o, o->args))
    return FALSE;
  display_interactive();
  for (;;) {
    const char *eof_message = NULL;
    g_autofree char *line = f2bc_cliread_line("fail2ban> ", &eof_message);
    if (line == NULL) {
      output("");
      logf_(o, F2B_LOG_ERROR, "%s", eof_message);
      return FALSE;
    }
    if (!strcmp(line, "exit") || !strcmp(line, "quit"))
      return TRUE;
    if (!strcmp(line, "help")) {
      usage("f2bc-client");
      continue;
    }
    if (*line == '\0')
      continue;
    GError *error = NULL;
    g_autoptr(GPtrArray) words = f2b_confreader_shlex_split(line, &error);
    if (words == NULL) {
      logf_(o, F2B_LOG_ERROR, "%s", error->message);
      g_error_free(error);
      continue;
    }
    process_command(o, words);
  }
}

/* Fail2banClient.start after the command line: TRUE exits 0, FALSE 255. */
static gboolean
run_commands(Options *o)
{
  if (o->interactive)
    return interactive(o);
  if (o->args->len < 1) {
    usage("f2bc-client");
    return FALSE;
  }
  return process_command(o, o->args);
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
  } else if (!strcmp(opt, "-x")) {
    o->force = TRUE;
  } else if (!strcmp(opt, "-i")) {
    o->interactive = TRUE;
  } else if (!strcmp(opt, "-b")) {
    o->background = TRUE;
  } else if (!strcmp(opt, "-f")) {
    o->background = FALSE;
  } else if (!strcmp(opt, "--async")) {
    o->async = TRUE;
  } else if (!strcmp(opt, "--timeout")) {
    GError *error = NULL;
    g_autoptr(F2bPyObj) v = f2b_timeutil_str2sec(arg, &error);
    if (v == NULL) {
      printf("ERROR: %s\n", error->message);
      g_error_free(error);
      return fail_init(o);
    }
    o->timeout = f2b_py_kind(v) == F2B_PY_INT ? (double)f2b_py_get_int(v) : f2b_py_get_float(v);
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

static void
options_clear(Options *o)
{
  g_clear_pointer(&o->conf, g_free);
  g_clear_pointer(&o->socket, g_free);
  g_clear_pointer(&o->early_reader, f2b_confreader_free);
  g_clear_pointer(&o->pidfile, g_free);
  g_clear_pointer(&o->loglevel, g_free);
  g_clear_pointer(&o->logtarget, g_free);
  g_clear_pointer(&o->syslogsocket, g_free);
}

/* initCmdLine: the defaults, the options, the early configuration.  Returns
 * -1 to go on with the commands, or an exit code.  ARGS of an earlier call
 * stay alive in OLD_ARGS (a restart in interactive mode may be iterating
 * them). */
static int
init_command_line(Options *o)
{
  options_clear(o);
  o->conf = g_strdup("/etc/fail2ban");
  o->dump = 0;
  o->test = o->force = o->interactive = o->async = FALSE;
  o->background = TRUE;
  o->verbose = 1;
  o->timeout = 30;
  if (o->args)
    g_ptr_array_add(o->old_args, o->args);
  o->args = g_ptr_array_new_with_free_func(g_free);
  int rc = parse_args(o, o->argc, o->argv);
  if (rc >= 0)
    return rc;
  o->log_threshold = o->verbose <= 0 ? F2B_LOG_ERROR : o->verbose == 1 ? F2B_LOG_WARNING
                   : o->verbose == 2 ? F2B_LOG_INFO : o->verbose == 3 ? LOG_DEBUG : LOG_HEAVY;
  return run_config(o);
}

int
main(int argc, char **argv)
{
  Options o = { .argc = argc, .argv = argv, .log_threshold = F2B_LOG_WARNING };
  o.old_args = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
  signal(SIGPIPE, SIG_IGN);
  int rc = init_command_line(&o);
  if (rc < 0)
    rc = run_commands(&o) ? 0 : 255;
  fflush(stdout);
  logf_(&o, LOG_DEBUG, "Exit with code %d", rc);
  options_clear(&o);
  g_ptr_array_unref(o.args);
  g_ptr_array_unref(o.old_args);
  return rc;
}

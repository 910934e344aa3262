/* main.c - f2bc-server: fail2ban-server's command line and process life.
 *
 * Options as fail2ban-server reads them (fail2bancmdline): -c -s -p -x -b -f
 * --async --loglevel --logtarget --syslogsocket --pname --timeout -v -q -h -V.
 * Without --async the server reads its configuration (the command stream of
 * confreader.c) and applies it once the socket is up, as fail2ban-server's
 * configuration thread does; a failing stream stops the server with 255.
 * -b (the default) detaches: the parent waits for the daemon's verdict on
 * the configuration through a pipe and exits 0 or 255.
 *
 * Signals (g_unix_signal_add, handled in the loop): SIGTERM/SIGINT stop,
 * SIGUSR1 reopens the log file (flushlogs). */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <grp.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actions.h"
#include "actnative.h"
#include "confreader.h"
#include "sockserver.h"
#include "serverlog.h"
#include "transmitter.h"
#include "version.h"

#define LOGGER "fail2ban.server"
#define SHUTDOWN_WAIT_S 90

typedef struct {
  char *conf, *socket, *pidfile, *loglevel, *logtarget, *syslogsocket;
  gboolean force, background, async;
  int verbose;
  GMainLoop *loop;
  F2bsTransmitter *tx;
  F2bsSockServer *sock;
  int exit_code;
  int ready_fd; /* -b: pipe to the waiting parent, or -1 */
} Server;

static void
usage(void)
{
  printf("Usage: f2bc-server [OPTIONS]\n\n"
         "fail2ban-c %s, compatible with Fail2Ban v%s: reads log files, finds failures\n"
         "and bans the offending IP addresses with firewall rules.\n\n"
         "Options:\n"
         "    -c, --conf <DIR>        configuration directory\n"
         "    -s, --socket <FILE>     socket path\n"
         "    -p, --pidfile <FILE>    pidfile path\n"
         "    --pname <NAME>          name of the process (accepted, not used)\n"
         "    --loglevel <LEVEL>      logging level\n"
         "    --logtarget <TARGET>    logging target: a file name, STDOUT, STDERR, SYSLOG or SYSOUT\n"
         "    --syslogsocket auto|<FILE>\n"
         "    -v                      increase verbosity\n"
         "    -q                      decrease verbosity\n"
         "    -x                      force execution of the server (remove socket file)\n"
         "    -b                      start server in background (default)\n"
         "    -f                      start server in foreground\n"
         "    --async                 do not read the configuration (a client sends it)\n"
         "    --no-native-fw          run the stock firewall actions as shell commands\n"
         "    --timeout               accepted for compatibility\n"
         "    -h, --help              display this help message\n"
         "    -V, --version           print the version (-V returns machine-readable short format)\n\n"
         "Report bugs at the fail2ban-c project.\n",
         F2B_VERSION, F2B_COMPAT_VERSION);
}

static void
set_str(char **slot, const char *v)
{
  g_free(*slot);
  *slot = g_strdup(v);
}

/* getopt("hc:s:p:xfbdtviqV", long options): -1 to go on, else an exit code. */
static int
parse_args(Server *s, int argc, char **argv)
{
  static const char *const with_arg[] = { "loglevel", "logtarget", "syslogsocket", "conf", "pidfile", "pname",
                                          "socket", "timeout", "str2sec", NULL };
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[1] == '-') {
      g_autofree char *name = g_strdup(a + 2);
      char *eq = strchr(name, '=');
      const char *val = NULL;
      if (eq) {
        *eq = '\0';
        val = eq + 1;
      }
      gboolean takes = g_strv_contains(with_arg, name);
      if (takes && !val) {
        if (i + 1 >= argc)
          goto bad;
        val = argv[++i];
      }
      if (!strcmp(name, "conf")) set_str(&s->conf, val);
      else if (!strcmp(name, "socket")) set_str(&s->socket, val);
      else if (!strcmp(name, "pidfile")) set_str(&s->pidfile, val);
      else if (!strcmp(name, "loglevel")) set_str(&s->loglevel, val);
      else if (!strcmp(name, "logtarget")) set_str(&s->logtarget, val);
      else if (!strcmp(name, "syslogsocket")) set_str(&s->syslogsocket, val);
      else if (!strcmp(name, "async")) s->async = TRUE;
      else if (!strcmp(name, "no-native-fw")) f2bs_actnative_set_enabled(FALSE);
      else if (!strcmp(name, "help")) { usage(); return 0; }
      else if (!strcmp(name, "version")) { printf("Fail2Ban v%s\n", F2B_COMPAT_VERSION); return 0; }
      else if (!strcmp(name, "pname") || !strcmp(name, "timeout")) {}
      else goto bad;
      continue;
    }
    for (const char *p = a + 1; *p; p++) {
      if (strchr("csp", *p)) {
        const char *val = p[1] ? p + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (val == NULL)
          goto bad;
        set_str(*p == 'c' ? &s->conf : *p == 's' ? &s->socket : &s->pidfile, val);
        break;
      }
      switch (*p) {
      case 'x': s->force = TRUE; break;
      case 'f': s->background = FALSE; break;
      case 'b': s->background = TRUE; break;
      case 'v': s->verbose++; break;
      case 'q': s->verbose--; break;
      case 'd': case 't': case 'i': break;
      case 'h': usage(); return 0;
      case 'V': printf("%s\n", F2B_COMPAT_VERSION); return 0;
      default: goto bad;
      }
    }
  }
  if (i < argc) {
    fprintf(stderr, "ERROR: f2bc-server takes no command; use f2bc-client for '%s'\n", argv[i]);
    return 255;
  }
  return -1;
bad:
  usage();
  return 255;
}

/* fail2ban.conf's values for what the command line left unset, and the
 * group named by `socketgroup`. */
static gboolean
read_early(Server *s, F2bsSockOptions *sopts)
{
  g_autoptr(F2bConfReader) r = f2b_confreader_new(s->conf, NULL);
  GError *error = NULL;
  g_autoptr(F2bIniMap) early = f2b_confreader_early_options(r, &error);
  if (early == NULL) {
    printf("ERROR: %s\n", error->message);
    g_error_free(error);
    return FALSE;
  }
  const char *keys[] = { "socket", "pidfile", "loglevel", "logtarget", "syslogsocket" };
  char **slots[] = { &s->socket, &s->pidfile, &s->loglevel, &s->logtarget, &s->syslogsocket };
  for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
    if (*slots[i] == NULL && f2b_ini_map_contains(early, keys[i]))
      set_str(slots[i], f2b_ini_map_get(early, keys[i]));
  g_autofree char *group = f2b_confreader_general_option(r, "socketgroup", NULL);
  if (group && *group) {
    struct group *gr = getgrnam(group);
    if (gr == NULL) {
      printf("ERROR: socketgroup: unknown group '%s'\n", group);
      return FALSE;
    }
    sopts->group_set = TRUE;
    sopts->group = gr->gr_gid;
  }
  return TRUE;
}

static F2bPyObj *
read_stream(Server *s)
{
  g_autoptr(F2bConfReader) r = f2b_confreader_new(s->conf, NULL);
  g_autoptr(F2bIniMap) early = f2b_ini_map_new();
  f2b_ini_map_set(early, "loglevel", s->loglevel);
  f2b_ini_map_set(early, "logtarget", s->logtarget);
  f2b_ini_map_set(early, "syslogsocket", s->syslogsocket);
  gboolean ok = TRUE;
  GError *error = NULL;
  F2bPyObj *stream = f2b_confreader_stream(r, early, TRUE, FALSE, &ok, &error);
  if (stream == NULL) {
    f2bs_log(F2BS_LOG_ERROR, "fail2ban", "Failed during configuration: %s", error->message);
    g_error_free(error);
  } else if (!ok) {
    g_clear_pointer(&stream, f2b_py_free);
  }
  return stream;
}

static void
report_ready(Server *s, gboolean ok)
{
  if (s->ready_fd < 0)
    return;
  char c = ok ? 'R' : 'F';
  if (write(s->ready_fd, &c, 1) < 0) {
    /* the parent is gone: nobody to tell */
  }
  close(s->ready_fd);
  s->ready_fd = -1;
}

static void
quit_server(gpointer data)
{
  Server *s = data;
  g_main_loop_quit(s->loop);
}

/* Reading and applying the configuration left free heap pages behind (the
 * stream itself is freed after its reply): give them back. */
static gboolean
trim_heap(gpointer data)
{
  malloc_trim(0);
  return G_SOURCE_REMOVE;
}

/* The reply to the start-up stream. */
static void
stream_done(F2bPyObj *reply, gpointer data)
{
  Server *s = data;
  gboolean ok = reply && f2b_py_get_int(f2b_py_item(reply, 0)) == 0;
  if (reply && !ok) {
    g_autofree char *args = f2b_py_repr(f2b_py_instance_args(f2b_py_item(reply, 1)));
    f2bs_log(F2BS_LOG_ERROR, "fail2ban", "NOK: %s", args);
  }
  f2b_py_free(reply);
  g_idle_add(trim_heap, NULL);
  if (s->ready_fd < 0) {
    printf("Server ready\n");
    fflush(stdout);
  }
  report_ready(s, ok);
  if (!ok) {
    s->exit_code = 255;
    g_main_loop_quit(s->loop);
  }
}

/* The jails' flush and stop commands run on the loop after the jails are
 * gone; each command has its own timeout, and the whole wait is bounded. */
static gboolean
wake_up(gpointer data)
{
  *(guint *)data = 0;
  return G_SOURCE_REMOVE;
}

static void
wait_for_actions(void)
{
  gint64 deadline = g_get_monotonic_time() + SHUTDOWN_WAIT_S * G_USEC_PER_SEC;
  guint wake = g_timeout_add_seconds(SHUTDOWN_WAIT_S, wake_up, &wake);
  while (f2bs_actions_pending() > 0 && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  if (wake)
    g_source_remove(wake);
  if (f2bs_actions_pending() > 0)
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Actions still running after %d seconds, exiting anyway", SHUTDOWN_WAIT_S);
}

static gboolean
on_stop_signal(gpointer data)
{
  Server *s = data;
  f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Caught signal. Exiting");
  g_main_loop_quit(s->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_usr1(gpointer data)
{
  f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Caught signal %d. Flushing logs", 10);
  f2bs_log_flush();
  return G_SOURCE_CONTINUE;
}

/* Double fork as fail2ban's __createDaemon; the first parent waits on the
 * pipe for the daemon's verdict.  Returns in the daemon; exits elsewhere. */
static void
daemonize(Server *s)
{
  int fds[2];
  if (pipe(fds) != 0) {
    perror("pipe");
    exit(255);
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    exit(255);
  }
  if (pid > 0) {
    close(fds[1]);
    char c = 0;
    ssize_t n;
    do
      n = read(fds[0], &c, 1);
    while (n < 0 && errno == EINTR);
    /* fail2ban-server says so only when it configured itself; with --async
     * the client that sends the configuration speaks */
    if (c == 'R' && !s->async)
      printf("Server ready\n");
    exit(c == 'R' ? 0 : 255);
  }
  close(fds[0]);
  setsid();
  pid = fork();
  if (pid < 0)
    _exit(255);
  if (pid > 0)
    _exit(0);
  if (chdir("/") != 0)
    _exit(255);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2)
      close(null);
  }
  s->ready_fd = fds[1];
}

static void
write_pidfile(const char *path)
{
  f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Creating PID file %s", path);
  FILE *f = fopen(path, "we");
  if (f == NULL) {
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Unable to create PID file: [Errno %d] %s: '%s'", errno, g_strerror(errno),
             path);
    return;
  }
  fprintf(f, "%d\n", (int)getpid());
  fclose(f);
}

static gboolean
setup_logging(Server *s)
{
  GError *error = NULL;
  if (!f2bs_log_set_syslogsocket(s->syslogsocket, &error) || !f2bs_log_set_level(s->loglevel, &error)
      || !f2bs_log_set_target(s->logtarget, &error)) {
    if (error)
      f2bs_log(F2BS_LOG_ERROR, "fail2ban", "%s", error->message);
    g_clear_error(&error);
    return FALSE;
  }
  return TRUE;
}

static int
run(Server *s, const F2bsSockOptions *sopts)
{
  umask(077);
  g_autoptr(F2bPyObj) stream = NULL;
  if (!s->async) {
    stream = read_stream(s);
    if (stream == NULL) {
      f2bs_log(F2BS_LOG_ERROR, "fail2ban", "Async configuration of server failed");
      return 255;
    }
  }
  if (s->background)
    daemonize(s);
  if (!setup_logging(s)) {
    report_ready(s, FALSE);
    return 255;
  }
  f2bs_log(F2BS_LOG_INFO, LOGGER, "--------------------------------------------------");
  f2bs_log(F2BS_LOG_INFO, LOGGER, "Starting Fail2ban v%s", F2B_COMPAT_VERSION);
  if (s->background)
    f2bs_log(F2BS_LOG_INFO, LOGGER, "Daemon started");
  s->loop = g_main_loop_new(NULL, FALSE);
  g_unix_signal_add(SIGTERM, on_stop_signal, s);
  g_unix_signal_add(SIGINT, on_stop_signal, s);
  g_unix_signal_add(SIGUSR1, on_usr1, s);
  write_pidfile(s->pidfile);
  s->tx = f2bs_transmitter_new(quit_server, s);
  f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Starting communication");
  GError *error = NULL;
  s->sock = f2bs_sock_server_new(s->socket, s->force, sopts, s->tx, &error);
  if (s->sock == NULL) {
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Could not start server: %s", error->message);
    g_error_free(error);
    s->exit_code = 255;
    report_ready(s, FALSE);
  } else {
    if (stream) {
      F2bPyObj *cmd = f2b_py_list_new();
      f2b_py_append(cmd, f2b_py_str("server-stream"));
      f2b_py_append(cmd, g_steal_pointer(&stream));
      f2bs_transmitter_proceed_take(s->tx, cmd, stream_done, s);
    } else {
      report_ready(s, TRUE);
    }
    if (s->exit_code == 0)
      g_main_loop_run(s->loop);
  }
  f2bs_log(F2BS_LOG_INFO, LOGGER, "Shutdown in progress...");
  g_clear_pointer(&s->sock, f2bs_sock_server_free);
  f2bs_transmitter_stop_all(s->tx);
  g_clear_pointer(&s->tx, f2bs_transmitter_free);
  wait_for_actions();
  f2bs_log(F2BS_LOG_INFO, LOGGER, "Exiting Fail2ban");
  f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Remove PID file %s", s->pidfile);
  if (unlink(s->pidfile) != 0)
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Unable to remove PID file: [Errno %d] %s: '%s'", errno, g_strerror(errno),
             s->pidfile);
  g_main_loop_unref(s->loop);
  return s->exit_code;
}

int
main(int argc, char **argv)
{
  /* one malloc arena: GLib's short-lived worker threads would each leave one behind */
  mallopt(M_ARENA_MAX, 1);
  Server s = { .conf = g_strdup("/etc/fail2ban"), .background = TRUE, .verbose = 1, .ready_fd = -1 };
  F2bsSockOptions sopts;
  f2bs_sock_options_init(&sopts);
  int rc = parse_args(&s, argc, argv);
  if (rc < 0)
    rc = read_early(&s, &sopts) ? run(&s, &sopts) : 255;
  f2bs_log_shutdown();
  g_free(s.conf);
  g_free(s.socket);
  g_free(s.pidfile);
  g_free(s.loglevel);
  g_free(s.logtarget);
  g_free(s.syslogsocket);
  return rc;
}

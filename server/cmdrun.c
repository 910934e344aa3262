/* cmdrun.c - asynchronous shell commands with fail2ban's logging and timeout (see cmdrun.h).
 *
 * One Run owns everything of one command: the subprocess, the timeout source,
 * the output.  run_finish() is its only exit: it logs, calls DONE and frees. */
#include "cmdrun.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "pyobj.h"
#include "serverlog.h"

#define LOGGER "fail2ban.utils"
#define KILL_DELAY_MS 200 /* fail2ban's DEFAULT_SLEEP_INTERVAL */

static guint running;

typedef struct {
  char *described; /* the command as fail2ban prints it */
  double timeout;
  GSubprocess *proc;
  pid_t pid;
  guint timer;
  gboolean timed_out;
  gboolean exec_logged;
  gboolean quiet;  /* nothing ran: no result lines */
  int exit_code; /* Python's returncode: -signal when killed */
  GBytes *out, *err;
  F2bsCmdDone done;
  F2bsCmdDoneCode done_code; /* instead of DONE */
  gboolean one_ok;           /* exit code 1 is a success too */
  gpointer data;
} Run;

char *
f2bs_cmdrun_describe(const F2bActionCommand *cmd)
{
  if (cmd->args->len == 0)
    return g_strndup(cmd->script->str, cmd->script->len);
  GString *s = g_string_new("[");
  f2b_py_repr_str_append(s, cmd->script->str, cmd->script->len);
  for (guint i = 0; i < cmd->args->len; i++) {
    GString *a = cmd->args->pdata[i];
    g_string_append(s, ", ");
    f2b_py_repr_str_append(s, a->str, a->len);
  }
  g_string_append_c(s, ']');
  return g_string_free(s, FALSE);
}

static void
log_exec(Run *r, int level)
{
  if (r->exec_logged)
    return;
  r->exec_logged = TRUE;
  f2bs_log(level, LOGGER, "%lx -- exec: %s", (unsigned long)(gsize)r, r->described);
}

/* Python's signame table (SIGHUP shows as SIG_IGN there: the enum values
 * SIG_UNBLOCK/SIG_IGN share the number and come later). */
static const char *
sig_name(int sig)
{
  static const char *const names[] = {
    [0] = "SIG_DFL",    [1] = "SIG_IGN",    [2] = "SIGINT",     [3] = "SIGQUIT",   [4] = "SIGILL",
    [5] = "SIGTRAP",    [6] = "SIGABRT",    [7] = "SIGBUS",     [8] = "SIGFPE",    [9] = "SIGKILL",
    [10] = "SIGUSR1",   [11] = "SIGSEGV",   [12] = "SIGUSR2",   [13] = "SIGPIPE",  [14] = "SIGALRM",
    [15] = "SIGTERM",   [16] = "SIGSTKFLT", [17] = "SIGCHLD",   [18] = "SIGCONT",  [19] = "SIGSTOP",
    [20] = "SIGTSTP",   [21] = "SIGTTIN",   [22] = "SIGTTOU",   [23] = "SIGURG",   [24] = "SIGXCPU",
    [25] = "SIGXFSZ",   [26] = "SIGVTALRM", [27] = "SIGPROF",   [28] = "SIGWINCH", [29] = "SIGPOLL",
    [30] = "SIGPWR",    [31] = "SIGSYS",    [34] = "SIGRTMIN",  [64] = "SIGRTMAX",
  };
  return sig >= 0 && sig < (int)G_N_ELEMENTS(names) ? names[sig] : NULL;
}

/* str.splitlines() for the line breaks a command prints. */
static void
log_output(Run *r, int level, const char *what, GBytes *bytes)
{
  gsize len = 0;
  const char *p = bytes ? g_bytes_get_data(bytes, &len) : NULL;
  gsize i = 0;
  while (i < len) {
    gsize j = i;
    while (j < len && !strchr("\n\r\v\f\x1c\x1d\x1e", p[j]))
      j++;
    g_autofree char *line = g_utf8_make_valid(p + i, (gssize)(j - i));
    GString *r_line = g_string_new(NULL);
    f2b_py_repr_str_append(r_line, line, strlen(line));
    f2bs_log(level, LOGGER, "%lx -- %s: %s", (unsigned long)(gsize)r, what, r_line->str);
    g_string_free(r_line, TRUE);
    if (j < len && p[j] == '\r' && j + 1 < len && p[j + 1] == '\n')
      j++;
    i = j + 1;
  }
}

static void
run_finish(Run *r)
{
  gboolean ok = !r->timed_out && (r->exit_code == 0 || (r->one_ok && r->exit_code == 1));
  int level = ok ? F2BS_LOG_DEBUG : F2BS_LOG_ERROR;
  if (!r->quiet && f2bs_log_enabled(level)) {
    log_exec(r, ok ? F2BS_LOG_DEBUG - 1 : F2BS_LOG_ERROR);
    log_output(r, level, "stdout", r->out);
    log_output(r, level, "stderr", r->err);
  }
  unsigned long id = (unsigned long)(gsize)r;
  if (r->quiet) {
  } else if (ok) {
    f2bs_log(F2BS_LOG_DEBUG, LOGGER, "%lx -- returned successfully %i", id, r->exit_code);
  } else if (r->exit_code < 0 || r->exit_code > 128) {
    int sig = r->exit_code < 0 ? -r->exit_code : r->exit_code - 128;
    const char *name = sig_name(sig);
    g_autofree char *fallback = g_strdup_printf("signal %i", sig);
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "%lx -- killed with %s (return code: %i)", id, name ? name : fallback,
             r->exit_code);
  } else {
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "%lx -- returned %i", id, r->exit_code);
    if (r->exit_code == 127) {
      GString *rc = g_string_new(NULL);
      f2b_py_repr_str_append(rc, r->described, strlen(r->described));
      f2bs_log(F2BS_LOG_INFO, LOGGER,
               "HINT on 127: \"Command not found\".  Make sure that all commands in %s are in the PATH of "
               "fail2ban-server process (grep -a PATH= /proc/`pidof -x fail2ban-server`/environ). You may want "
               "to start \"fail2ban-server -f\" separately, initiate it with \"fail2ban-client reload\" in "
               "another shell session and observe if additional informative error messages appear in the "
               "terminals.",
               rc->str);
      g_string_free(rc, TRUE);
    }
  }
  if (r->timer)
    g_source_remove(r->timer);
  running--;
  if (r->done_code)
    r->done_code(ok, r->exit_code, r->data);
  else
    r->done(ok, r->data);
  g_clear_object(&r->proc);
  g_clear_pointer(&r->out, g_bytes_unref);
  g_clear_pointer(&r->err, g_bytes_unref);
  g_free(r->described);
  g_free(r);
}

static void
on_waited(GObject *source, GAsyncResult *res, gpointer data)
{
  Run *r = data;
  (void)source;
  if (!g_subprocess_wait_finish(r->proc, res, NULL))
    r->exit_code = -SIGKILL;
  else if (g_subprocess_get_if_signaled(r->proc))
    r->exit_code = -g_subprocess_get_term_sig(r->proc);
  else
    r->exit_code = g_subprocess_get_exit_status(r->proc);
  run_finish(r);
}

/* The pipes closed: the output is complete; the exit status follows. */
static void
on_communicated(GObject *source, GAsyncResult *res, gpointer data)
{
  Run *r = data;
  GError *error = NULL;
  (void)source;
  if (!g_subprocess_communicate_finish(r->proc, res, &r->out, &r->err, &error)) {
    f2bs_log(F2BS_LOG_ERROR, LOGGER, " ... -- failed to read output %s", error->message);
    g_error_free(error);
  }
  g_subprocess_wait_async(r->proc, NULL, on_waited, r);
}

static gboolean
on_kill(gpointer data)
{
  Run *r = data;
  r->timer = 0;
  kill(-r->pid, SIGKILL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_timeout(gpointer data)
{
  Run *r = data;
  log_exec(r, F2BS_LOG_ERROR);
  g_autoptr(GString) t = g_string_new(NULL);
  f2b_py_repr_float_append(t, r->timeout);
  if (g_str_has_suffix(t->str, ".0") && r->timeout == (double)(gint64)r->timeout)
    g_string_truncate(t, t->len - 2);
  f2bs_log(F2BS_LOG_ERROR, LOGGER, "%lx -- timed out after %s seconds.", (unsigned long)(gsize)r, t->str);
  r->timed_out = TRUE;
  kill(-r->pid, SIGTERM);
  r->timer = g_timeout_add(KILL_DELAY_MS, on_kill, r);
  return G_SOURCE_REMOVE;
}

static void
child_setup(gpointer data)
{
  (void)data;
  setsid();
}

/* A command that never ran: it finishes from the loop with its code. */
static gboolean
on_not_run(gpointer data)
{
  Run *r = data;
  r->timer = 0;
  run_finish(r);
  return G_SOURCE_REMOVE;
}

static void run_start(Run *r, const F2bActionCommand *cmd);

void
f2bs_cmdrun(const F2bActionCommand *cmd, double timeout, F2bsCmdDone done, gpointer data)
{
  Run *r = g_new0(Run, 1);
  r->timeout = timeout;
  r->done = done;
  r->data = data;
  run_start(r, cmd);
}

void
f2bs_cmdrun_zero_one(const F2bActionCommand *cmd, double timeout, F2bsCmdDoneCode done, gpointer data)
{
  Run *r = g_new0(Run, 1);
  r->timeout = timeout;
  r->done_code = done;
  r->one_ok = TRUE;
  r->data = data;
  run_start(r, cmd);
}

static void
run_start(Run *r, const F2bActionCommand *cmd)
{
  double timeout = r->timeout;
  r->described = f2bs_cmdrun_describe(cmd);
  running++;
  if (f2bs_log_enabled(9))
    f2bs_log(9, "fail2ban.action", "%s", r->described);
  if (cmd->script->len == 0) {
    f2bs_log(F2BS_LOG_DEBUG, "fail2ban.action", "Nothing to do");
    r->exec_logged = TRUE;
    r->quiet = TRUE;
    r->timer = g_idle_add(on_not_run, r);
    return;
  }
  g_autoptr(GSubprocessLauncher) l =
    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup(l, child_setup, NULL, NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer) "/bin/sh");
  g_ptr_array_add(argv, (gpointer) "-c");
  g_ptr_array_add(argv, cmd->script->str);
  for (guint i = 0; i < cmd->args->len; i++)
    g_ptr_array_add(argv, ((GString *)cmd->args->pdata[i])->str);
  g_ptr_array_add(argv, NULL);
  GError *error = NULL;
  r->proc = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, &error);
  if (r->proc == NULL) {
    log_exec(r, F2BS_LOG_ERROR);
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "%s -- failed with %s", r->described, error->message);
    g_error_free(error);
    r->exec_logged = TRUE;
    r->exit_code = 127;
    r->quiet = TRUE;
    r->timer = g_idle_add(on_not_run, r);
    return;
  }
  const char *ident = g_subprocess_get_identifier(r->proc);
  r->pid = ident ? (pid_t)atoi(ident) : 0;
  if (timeout > 0 && r->pid > 0)
    r->timer = g_timeout_add((guint)(timeout * 1000), on_timeout, r);
  g_subprocess_communicate_async(r->proc, NULL, NULL, on_communicated, r);
}

guint
f2bs_cmdrun_running(void)
{
  return running;
}

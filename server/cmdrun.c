/* cmdrun.c - asynchronous shell commands with fail2ban's logging and timeout (see cmdrun.h).
 *
 * One Run owns everything of one command: the child, its two output pipes,
 * the timeout source.  run_finish() is its only exit: it logs, calls DONE and
 * frees; it runs once the child has exited and both pipes are at their end.
 *
 * The child is started with posix_spawn (glibc's vfork-like clone), not
 * fork: a fork copies the page tables of the whole server, whose cost grows
 * with its heap and, with thousands of bans, was most of the server's CPU
 * time.  GSubprocess forks whenever a child setup is asked for, and setsid is
 * one, so the spawn is done here. */
#define _GNU_SOURCE /* POSIX_SPAWN_SETSID, posix_spawn_file_actions_addclosefrom_np */
#include "cmdrun.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "pyobj.h"
#include "serverlog.h"

#define LOGGER "fail2ban.utils"
#define KILL_DELAY_MS 200 /* fail2ban's DEFAULT_SLEEP_INTERVAL */
#define PIPE_READ_CHUNK 4096

extern char **environ;

static guint running;

typedef struct Run Run;

/* One output pipe of a child, read to its end. */
typedef struct {
  Run *run;
  int fd;          /* -1 once at its end */
  guint source;
  GByteArray *data;
} Pipe;

struct Run {
  char *described; /* the command as fail2ban prints it */
  double timeout;
  pid_t pid;
  guint child_watch;
  gboolean exited;
  Pipe out, err;
  guint timer;
  gboolean timed_out;
  gboolean exec_logged;
  gboolean quiet;  /* nothing ran: no result lines */
  int exit_code; /* Python's returncode: -signal when killed */
  F2bsCmdDone done;
  F2bsCmdDoneCode done_code; /* instead of DONE */
  gboolean one_ok;           /* exit code 1 is a success too */
  gpointer data;
};

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
log_output(Run *r, int level, const char *what, const GByteArray *bytes)
{
  gsize len = bytes ? bytes->len : 0;
  const char *p = bytes ? (const char *)bytes->data : NULL;
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
    log_output(r, level, "stdout", r->out.data);
    log_output(r, level, "stderr", r->err.data);
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
  g_clear_pointer(&r->out.data, g_byte_array_unref);
  g_clear_pointer(&r->err.data, g_byte_array_unref);
  g_free(r->described);
  g_free(r);
}

/* The output is complete and the child has exited. */
static void
maybe_finish(Run *r)
{
  if (r->exited && r->out.fd < 0 && r->err.fd < 0)
    run_finish(r);
}

static void
on_exited(GPid pid, gint status, gpointer data)
{
  Run *r = data;
  (void)pid;
  r->child_watch = 0;
  r->exited = TRUE;
  if (WIFSIGNALED(status))
    r->exit_code = -WTERMSIG(status);
  else
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -SIGKILL;
  maybe_finish(r);
}

static void
pipe_close(Pipe *pp)
{
  if (pp->source)
    g_source_remove(pp->source);
  pp->source = 0;
  if (pp->fd >= 0)
    close(pp->fd);
  pp->fd = -1;
}

static gboolean
on_pipe(int fd, GIOCondition condition, gpointer data)
{
  Pipe *pp = data;
  guint8 chunk[PIPE_READ_CHUNK];
  ssize_t n;
  do
    n = read(fd, chunk, sizeof chunk);
  while (n < 0 && errno == EINTR);
  if (n > 0) {
    g_byte_array_append(pp->data, chunk, (guint)n);
    return G_SOURCE_CONTINUE;
  }
  if (n < 0 && errno == EAGAIN)
    return G_SOURCE_CONTINUE;
  if (n < 0)
    f2bs_log(F2BS_LOG_ERROR, LOGGER, " ... -- failed to read output %s", g_strerror(errno));
  pp->source = 0;
  pipe_close(pp);
  maybe_finish(pp->run);
  return G_SOURCE_REMOVE;
}

static void
pipe_watch(Run *r, Pipe *pp, int fd)
{
  pp->run = r;
  pp->fd = fd;
  pp->data = g_byte_array_new();
  pp->source = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_pipe, pp);
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

/* "/bin/sh -c SCRIPT ARGS..." as a new session (fail2ban's preexec setsid),
 * stdin from /dev/null, stdout and stderr into the pipes OUT and ERR, no
 * other descriptor, SIGPIPE and SIGXFSZ as Python's subprocess restores
 * them, no signal blocked. */
static gboolean
spawn_shell(char **argv, int out, int err, pid_t *pid, GError **error)
{
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t none, dfl;
  sigemptyset(&none);
  sigemptyset(&dfl);
  sigaddset(&dfl, SIGPIPE);
  sigaddset(&dfl, SIGXFSZ);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out, 1);
  posix_spawn_file_actions_adddup2(&fa, err, 2);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &dfl);
  int rc = posix_spawn(pid, argv[0], &fa, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "Failed to execute child process \u201c%s\u201d (%s)",
                argv[0], g_strerror(rc));
  return rc == 0;
}

/* Starts the child of R with its pipes and exit watch. */
static gboolean
run_spawn(Run *r, char **argv, GError **error)
{
  int out[2], err[2];
  if (!g_unix_open_pipe(out, FD_CLOEXEC, error))
    return FALSE;
  if (!g_unix_open_pipe(err, FD_CLOEXEC, error)) {
    close(out[0]);
    close(out[1]);
    return FALSE;
  }
  gboolean ok = spawn_shell(argv, out[1], err[1], &r->pid, error);
  close(out[1]);
  close(err[1]);
  if (!ok) {
    close(out[0]);
    close(err[0]);
    return FALSE;
  }
  g_unix_set_fd_nonblocking(out[0], TRUE, NULL);
  g_unix_set_fd_nonblocking(err[0], TRUE, NULL);
  pipe_watch(r, &r->out, out[0]);
  pipe_watch(r, &r->err, err[0]);
  r->child_watch = g_child_watch_add(r->pid, on_exited, r);
  return TRUE;
}

/* A NUL byte inside the script or an argument (a tag value from a log line
 * can hold one) would cut the command short in exec.  Python refuses such a
 * command ("embedded null byte") and runs nothing: so do we. */
static gboolean
check_no_nul(const F2bActionCommand *cmd, GError **error)
{
  gboolean nul = memchr(cmd->script->str, '\0', cmd->script->len) != NULL;
  for (guint i = 0; !nul && i < cmd->args->len; i++) {
    const GString *a = cmd->args->pdata[i];
    nul = memchr(a->str, '\0', a->len) != NULL;
  }
  if (nul)
    g_set_error_literal(error, G_SPAWN_ERROR, G_SPAWN_ERROR_INVAL, "embedded null byte");
  return !nul;
}

static void
run_start(Run *r, const F2bActionCommand *cmd)
{
  double timeout = r->timeout;
  r->described = f2bs_cmdrun_describe(cmd);
  r->out.fd = r->err.fd = -1;
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
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer) "/bin/sh");
  g_ptr_array_add(argv, (gpointer) "-c");
  g_ptr_array_add(argv, cmd->script->str);
  for (guint i = 0; i < cmd->args->len; i++)
    g_ptr_array_add(argv, ((GString *)cmd->args->pdata[i])->str);
  g_ptr_array_add(argv, NULL);
  GError *error = NULL;
  if (!check_no_nul(cmd, &error) || !run_spawn(r, (char **)argv->pdata, &error)) {
    log_exec(r, F2BS_LOG_ERROR);
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "%s -- failed with %s", r->described, error->message);
    g_error_free(error);
    r->exec_logged = TRUE;
    r->exit_code = 127;
    r->quiet = TRUE;
    r->timer = g_idle_add(on_not_run, r);
    return;
  }
  if (timeout > 0)
    r->timer = g_timeout_add((guint)(timeout * 1000), on_timeout, r);
}

guint
f2bs_cmdrun_running(void)
{
  return running;
}

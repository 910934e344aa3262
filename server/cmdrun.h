/* cmdrun.h - one shell command run as fail2ban's Utils.executeCmd runs it, without blocking.
 *
 * The command is "/bin/sh -c SCRIPT ARG0 ARG1 ..." (the $f2bV_* values of
 * actiontags.h travel as ARGs), in its own session and process group, with the
 * server's environment.  At TIMEOUT seconds the whole group gets SIGTERM and,
 * 0.2 s later, SIGKILL, as fail2ban kills the tree.  The exec line, the
 * command's output and its result are logged (logger fail2ban.utils) with
 * fail2ban's texts and levels: at DEBUG for success, at ERROR for a failure.
 * Everything happens on the main loop; DONE is called exactly once, later
 * (never from inside f2bs_cmdrun). */
#pragma once

#include <glib.h>

#include "actiontags.h"

typedef void (*F2bsCmdDone)(gboolean ok, gpointer data);

/* Runs CMD (borrowed: copied).  An empty script succeeds ("Nothing to do"). */
void f2bs_cmdrun(const F2bActionCommand *cmd, double timeout, F2bsCmdDone done, gpointer data);

/* Utils.executeCmd(..., success_codes=(0, 1)) as the ignorecommand runs:
 * exit codes 0 and 1 both count as success (logged at DEBUG, "returned
 * successfully 1"); DONE gets OK and the exit code (-signal when killed,
 * 127 when it could not start). */
typedef void (*F2bsCmdDoneCode)(gboolean ok, int exit_code, gpointer data);
void f2bs_cmdrun_zero_one(const F2bActionCommand *cmd, double timeout, F2bsCmdDoneCode done, gpointer data);

/* Commands started and not yet finished (for a bounded wait at shutdown). */
guint f2bs_cmdrun_running(void);

/* Python's str() of the command as fail2ban logs it: the script alone, or
 * the list [script, arg0, ...] in repr form.  Transfer full. */
char *f2bs_cmdrun_describe(const F2bActionCommand *cmd);

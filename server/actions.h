/* actions.h - a jail's bans and its shell actions: fail2ban's Actions and CommandAction.
 *
 * Each jail has one F2bsActions: the fail manager (failures counted until
 * maxretry), the ban manager (current bans), one main-loop timer set to the
 * next end of ban (no polling), and a queue of action work.  Ban decisions
 * are taken at once (the reply of `banip` counts them, the "[jail] Ban x"
 * line is logged then); the shell commands they imply (actionstart on
 * demand, actionban, actioncheck/actionrepair on failure, actionunban,
 * actionflush, actionstop) run in order through the queue, one command at a
 * time per jail, asynchronously (cmdrun.h), so the loop keeps serving.
 * fail2ban runs a manual ban's or unban's actions in the thread of the
 * command before it replies: the transmitter parks such a command until the
 * work it queued is done (f2bs_actions_wait), which gives the same replies
 * and log order without blocking the loop.
 *
 * The queue outlives its jail: stopping a jail queues the flush and the
 * actionstop, and the F2bsActions frees itself once they ran. */
#pragma once

#include <glib.h>

#include "actiontags.h"
#include "banmanager.h"
#include "bantime.h"
#include "database.h"
#include "failmanager.h"
#include "jail.h"

/* A runner for jail NAME whose actions are ACTIONS (F2bsAction*, a reference
 * to the array is taken: the jail adds and removes actions in it). */
F2bsActions *f2bs_actions_new(const char *name, GPtrArray *actions);
/* The jail lets go: freed now, or when its queued work is done. */
void f2bs_actions_release(F2bsActions *rt);

F2bBanManager *f2bs_actions_banmanager(F2bsActions *rt);
F2bFailManager *f2bs_actions_failmanager(F2bsActions *rt);

/* Jail start: every action's actionstart (unless it starts on demand). */
void f2bs_actions_start(F2bsActions *rt);
/* Jail stop: the ban list flushed (actionflush, or actionunban per ban) and
 * every action stopped in reverse order, as fail2ban's thread ends. */
void f2bs_actions_stop(F2bsActions *rt);
typedef void (*F2bsWaitFunc)(gpointer data);
/* The same; STOPPED(DATA) is called once the last actionstop ran (the
 * thread's end that fail2ban's jail.stop joins). */
void f2bs_actions_stop_full(F2bsActions *rt, F2bsWaitFunc stopped, gpointer data);

/* `set JAIL banip ID...`: *COUNT receives the number of new bans.  FALSE
 * with ValueError for an id fail2ban's IPAddr refuses (the ids before it are
 * banned). */
gboolean f2bs_actions_ban(F2bsActions *rt, const char *const *ids, guint n_ids, gint64 *count, GError **error);
/* `set JAIL unbanip [--report-absent] ID...` (IDS NULL: all, as `unban --all`).
 * *COUNT receives the number unbanned; FALSE with ValueError "not banned:
 * [...]" when an id was not banned and IFEXISTS is FALSE. */
gboolean f2bs_actions_unban(F2bsActions *rt, const char *const *ids, guint n_ids, gboolean ifexists,
                            gint64 *count, GError **error);
/* `set JAIL attempt IP [MATCH...]` (fail2ban's Filter.addAttempt). */
gboolean f2bs_actions_attempt(F2bsActions *rt, const char *ip, const char *const *matches, guint n_matches,
                              GError **error);

/* Filter.performBan(ID): the ticket of ID, when it reached maxretry, goes
 * from the fail manager to Actions.__checkBan ("[jail] Ban x" or "... already
 * banned"); ID NULL takes every ready ticket.  Then performSvc. */
void f2bs_actions_perform_ban(F2bsActions *rt, const F2bIPAddr *id);
/* Filter.performSvc: the fail manager cleaned at most every 5 s (FORCE: now). */
void f2bs_actions_perform_svc(F2bsActions *rt, gboolean force);
/* replaceDynamicTags(TEXT, ActionInfo(TICKET, jail)) with fail2ban's escaping
 * (transfer full): the ignorecommand and the ignorecache key. */
F2bActionCommand *f2bs_actions_replace_dynamic(F2bsActions *rt, F2bTicket *ticket, const char *text);
/* The server's database (borrowed; NULL: none): new bans are written there
 * (and committed before they are logged), unbanip and `unban --all` delete
 * them, as fail2ban's observer and Actions do. */
void f2bs_actions_set_database(F2bsActions *rt, F2bDb *db);
/* bantime.increment: INCR (transfer full; NULL turns it off) computes the
 * ban time of an id banned before (counted in this jail, or in all jails
 * with OVERALLJAILS), as fail2ban's observer does when a ban is found. */
void f2bs_actions_set_increment(F2bsActions *rt, F2bBanTimeIncr *incr, gboolean overalljails);
/* Jail start: TICKETS (F2bTicket*, from f2b_db_get_current_bans) banned
 * again as restored ("Restore Ban", actions with norestored skipped, not
 * written again).  Returns the number of bans. */
guint f2bs_actions_restore(F2bsActions *rt, GPtrArray *tickets);

/* The status lists: the filter's counters and the actions' part. */
F2bPyObj *f2bs_actions_filter_status(F2bsActions *rt);
F2bPyObj *f2bs_actions_status(F2bsActions *rt, gboolean short_flavor);

/* `set JAIL idle on|off` (and a reload): while idle, fail2ban's actions
 * thread sleeps, so no ban expires (the timer is off; ended bans end when
 * the jail wakes) and failures that reach maxretry wait to be banned;
 * manual bans and unbans still run. */
void f2bs_actions_set_idle(F2bsActions *rt, gboolean idle);

/* Reload (fail2ban's Actions.reload): begin marks every action as not yet
 * configured again; keep (from `addaction` of an existing action while the
 * jail reloads) returns TRUE and records it, FALSE when no reload is in
 * progress; end runs actionreload of the kept actions and removes the
 * others (their tickets unbanned or flushed, then actionstop). */
void f2bs_actions_reload_begin(F2bsActions *rt);
gboolean f2bs_actions_reload_keep(F2bsActions *rt, const char *name);
void f2bs_actions_reload_end(F2bsActions *rt);

/* Waiting for queued work (every jail): SEQ numbers the work pushed so far;
 * wait calls FN(DATA) from the loop once the work numbered up to UPTO is
 * done, or returns FALSE (and never calls FN) when it already is. */
guint64 f2bs_actions_seq(void);
gboolean f2bs_actions_wait(guint64 upto, F2bsWaitFunc fn, gpointer data);
void f2bs_actions_wait_cancel(gpointer data);

/* Runners not yet freed and commands running: the shutdown waits (bounded)
 * until both are 0. */
guint f2bs_actions_pending(void);

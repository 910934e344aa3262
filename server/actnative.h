/* actnative.h - the seam between the action runner (actions.c) and the native firewall (fw.h).
 *
 * Before running an action's actionban, actionunban or actionflush through
 * the shell, the runner asks here: when the action is a stock firewall
 * action (fwspec.h) and native application is on, the operation is applied
 * through its backend instead, and the runner continues with the result
 * exactly as with the command's (a failure leads to actioncheck/actionrepair
 * as for the shell).  The recognition is made once per action and kept in
 * the action until its properties change; it is logged once ("... applied
 * natively through libiptc", or at debug level why it stays a shell action).
 *
 * Batches: the runner hands over the bans (or unbans) of every ticket queued
 * behind the one it runs (f2bs_actnative_apply_batch); they go to the kernel
 * in one transaction per family, and each result is kept until the ticket's
 * own turn takes it (f2bs_actnative_take), so the runner's order, replies
 * and log lines stay those of one ticket at a time.  A result is stamped
 * with the jail's ban epoch: a repair in between (which rebuilds the rule
 * set) voids it and the ban is applied again.
 *
 * Retries: a ban the backend refused is kept and tried again with the next
 * batch of the action and on a timer (10 s, doubling up to 5 min), until it
 * succeeds or the ticket is unbanned; the ban list keeps the ticket meanwhile,
 * as fail2ban's does after a failed actionban.
 *
 * An action may choose its backend with the property `fwbackend`: auto (the
 * default), libiptc, restore, libnftables, or shell (never native). */
#pragma once

#include <glib.h>

#include "ipaddr.h"
#include "jail.h"
#include "ticket.h"

/* Native application on (the default) or off (f2bc-server --no-native-fw). */
void f2bs_actnative_set_enabled(gboolean enabled);

/* TRUE when TAG ("<actionban>" or "<actionunban>") of action A of jail JAIL
 * was applied natively for IP; *OK receives its success.  FALSE: not native,
 * run the shell command.  (One address, no batch, no retry.) */
gboolean f2bs_actnative_apply(F2bsAction *a, const char *jail, const char *tag, const F2bIPAddr *ip, gboolean *ok);

/* The backend name serving A ("libiptc", ...), or NULL for the shell. */
const char *f2bs_actnative_backend(F2bsAction *a, const char *jail);

/* Whether TAG of A goes through the backend for TICKET (a ban or unban of
 * one valid address, native on, A recognised). */
gboolean f2bs_actnative_serves(F2bsAction *a, const char *jail, const char *tag, F2bTicket *ticket);

/* Applies TAG ("<actionban>"/"<actionunban>") of A for the N TICKETS in one
 * transaction per family (a refused batch is retried address by address),
 * and keeps each result for f2bs_actnative_take, stamped EPOCH.  Tickets
 * that already hold a result of the same operation and EPOCH are skipped.
 * BANTIME is the jail's (a ticket's own <bantime> is taken from it, for the
 * actions that give the kernel an element timeout). */
void f2bs_actnative_apply_batch(F2bsAction *a, const char *jail, const char *tag, F2bTicket *const *tickets,
                                guint n, gint64 epoch, gint64 bantime);

/* Whether a kept result of TAG for TICKET exists for EPOCH. */
gboolean f2bs_actnative_has(F2bsAction *a, F2bTicket *ticket, const char *tag, gint64 epoch);

/* Takes (removes) the kept result of TAG for TICKET: TRUE with *OK when it
 * exists and is of EPOCH; an older one is dropped and FALSE returned. */
gboolean f2bs_actnative_take(F2bsAction *a, F2bTicket *ticket, const char *tag, gint64 epoch, gboolean *ok);

/* actionflush of FAMILY ("inet4"/"inet6") natively: TRUE when it was
 * handled (the stock flush of a recognised action), *OK its success. */
gboolean f2bs_actnative_flush(F2bsAction *a, const char *jail, const char *family, gboolean *ok);

/* Drops A's cached recognition (its properties changed, or it is freed). */
void f2bs_actnative_forget(F2bsAction *a);

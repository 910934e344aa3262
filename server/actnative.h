/* actnative.h - the seam between the action runner (actions.c) and the native firewall (fw.h).
 *
 * Before running an action's actionban or actionunban through the shell, the
 * runner asks here: when the action is a stock firewall action (fwspec.h) and
 * native application is on, the address is applied through its backend
 * instead, and the runner continues with the result exactly as with the
 * command's (a failure leads to actioncheck/actionrepair as for the shell).
 * The recognition is made once per action and kept in the action until its
 * properties change; the first use logs which backend serves it.
 *
 * This phase applies one address per call; batching a main-loop turn's bans
 * is the next step. */
#pragma once

#include <glib.h>

#include "ipaddr.h"
#include "jail.h"

/* Native application on (the default) or off (f2bc-server --no-native-fw). */
void f2bs_actnative_set_enabled(gboolean enabled);

/* TRUE when TAG ("<actionban>" or "<actionunban>") of action A of jail JAIL
 * was applied natively for IP; *OK receives its success.  FALSE: not native,
 * run the shell command. */
gboolean f2bs_actnative_apply(F2bsAction *a, const char *jail, const char *tag, const F2bIPAddr *ip, gboolean *ok);

/* The backend name serving A ("libiptc", ...), or NULL for the shell. */
const char *f2bs_actnative_backend(F2bsAction *a, const char *jail);

/* Drops A's cached recognition (its properties changed, or it is freed). */
void f2bs_actnative_forget(F2bsAction *a);

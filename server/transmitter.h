/* transmitter.h - fail2ban-server's command dispatcher.
 *
 * A request is a list of str (and, from the config stream, int) items; the
 * reply is (0, value) or (1, exception), exactly as fail2ban 1.0.2's
 * Transmitter answers, including its quirks (a missing argument is
 * IndexError, `add` of an existing jail is NameError, replies of commands
 * inside server-stream/reload are None).  Failures are logged as
 * "Command [...] has failed. Received Exc('...')".
 *
 * Replies are delivered through a callback because `sleep` (also inside a
 * server-stream or reload) waits on a main-loop timer instead of blocking. */
#pragma once

#include <glib.h>

#include "jails.h"
#include "pyobj.h"

typedef struct F2bsTransmitter F2bsTransmitter;

/* Called with the reply (transfer full). */
typedef void (*F2bsReplyFunc)(F2bPyObj *reply, gpointer user_data);

/* QUIT is called (once) for `stop` without a jail: the server shuts down
 * after the reply is sent. */
typedef void (*F2bsQuitFunc)(gpointer data);
F2bsTransmitter *f2bs_transmitter_new(F2bsQuitFunc quit, gpointer quit_data);
void f2bs_transmitter_free(F2bsTransmitter *tx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bsTransmitter, f2bs_transmitter_free)

/* Runs COMMAND (borrowed, copied when needed) and calls DONE with the reply,
 * either before returning or later from the main loop. */
void f2bs_transmitter_proceed(F2bsTransmitter *tx, const F2bPyObj *command, F2bsReplyFunc done,
                              gpointer user_data);
/* The same taking COMMAND (transfer full): the start-up stream is not copied. */
void f2bs_transmitter_proceed_take(F2bsTransmitter *tx, F2bPyObj *command, F2bsReplyFunc done,
                                   gpointer user_data);

/* Convenience for tests and the start-up stream: runs COMMAND, which must
 * not sleep, and returns its reply (transfer full). */
F2bPyObj *f2bs_transmitter_proceed_sync(F2bsTransmitter *tx, const F2bPyObj *command);

/* Stops every jail as the server's shutdown does ("Stopping all jails"). */
void f2bs_transmitter_stop_all(F2bsTransmitter *tx);

F2bsJails *f2bs_transmitter_jails(F2bsTransmitter *tx);

/* protocol.h - framing of fail2ban's socket protocol.
 *
 * On fail2ban's UNIX socket a message is a pickle followed by the marker
 * "<F2B_END_COMMAND>": the client sends a pickled list of strings, the
 * server answers with one pickled value (usually (0, value) or
 * (1, exception)); the message "<F2B_CLOSE_COMMAND>" (plus the marker) ends
 * the connection.  Both sides of fail2ban 1.0.2 pickle with protocol 5.
 *
 * How fail2ban's two sides frame, which this module mirrors:
 * - the server (asynchat) splits its input at every marker, in order, with
 *   no look inside the pickle: a pickled string that holds the marker cuts
 *   the request short (and fails to unpickle);
 * - a request that fails to unpickle is answered with the pickled str
 *   "ERROR: <message>" rather than a tuple;
 * - the client (csocket.py) opens one connection per batch of commands,
 *   sends each request as pickle then marker and waits for the reply, and
 *   at the end sends CLOSE + marker and shuts the socket down;
 * - the client reads the reply until the marker appears in its last 32
 *   bytes and unpickles everything before it.
 *
 * The reader is incremental: each byte is searched once however the input
 * is split into reads, and a message longer than a bound is an error. */
#pragma once

#include <glib.h>

#include "pickle.h"
#include "pyobj.h"

#define F2B_PROTOCOL_END "<F2B_END_COMMAND>"
#define F2B_PROTOCOL_CLOSE "<F2B_CLOSE_COMMAND>"

#define F2B_PROTOCOL_ERROR (f2b_protocol_error_quark())
GQuark f2b_protocol_error_quark(void);

typedef enum {
  F2B_PROTOCOL_ERROR_TOO_BIG, /* a message exceeds the reader's bound */
} F2bProtocolError;

typedef struct F2bProtocolReader F2bProtocolReader;

/* A reader that refuses messages longer than MAX_MESSAGE bytes (without the
 * marker). */
F2bProtocolReader *f2b_protocol_reader_new(gsize max_message);
void f2b_protocol_reader_free(F2bProtocolReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bProtocolReader, f2b_protocol_reader_free)

/* Adds LEN bytes read from the socket.  Returns FALSE and sets ERROR once
 * the message being received exceeds the bound; the reader then refuses all
 * further input (close the connection).  Complete messages before the
 * oversized one can still be taken with _next(). */
gboolean f2b_protocol_reader_feed(F2bProtocolReader *reader, const void *data, gsize len,
                                  GError **error);

/* The next complete message without its marker (transfer full), or NULL when
 * no complete message is waiting.  *IS_CLOSE (may be NULL) tells whether it
 * is the close command; the caller then stops reading, since fail2ban's
 * client never sends anything after it. */
GBytes *f2b_protocol_reader_next(F2bProtocolReader *reader, gboolean *is_close);

/* Bytes received that do not yet end with a marker. */
gsize f2b_protocol_reader_pending(const F2bProtocolReader *reader);

/* TRUE when the message DATA is the close command. */
gboolean f2b_protocol_is_close(const void *data, gsize len);

/* Appends PICKLE and the marker to OUT. */
void f2b_protocol_append_message(GByteArray *out, const void *pickle, gsize len);
/* Appends the close command and the marker to OUT. */
void f2b_protocol_append_close(GByteArray *out);
/* Appends OBJ pickled as fail2ban pickles (protocol 5) and the marker. */
gboolean f2b_protocol_append_value(GByteArray *out, const F2bPyObj *obj, GError **error);
/* Unpickles one message (transfer full) within LIMITS (NULL: defaults). */
F2bPyObj *f2b_protocol_decode(GBytes *message, const F2bPickleLimits *limits, GError **error);

/* pickle.h - Python's pickle format, as fail2ban's socket protocol uses it.
 *
 * fail2ban's client and server exchange pickled values: the client sends a
 * list of strings, the server answers with a tuple such as (0, value) or
 * (1, exception).  Both Python sides pickle with pickle.HIGHEST_PROTOCOL,
 * which is 5 on Debian 12's Python 3.11.
 *
 * The decoder understands the data opcodes of protocols 0 to 5 and builds an
 * F2bPyObj tree.  It never looks anything up by name and never calls
 * anything: the opcodes that would (GLOBAL, REDUCE, BUILD, INST, OBJ,
 * NEWOBJ, EXT*, PERSID, out-of-band buffers) are refused.  The one exception
 * is opt-in for the client, which must read the server's error replies: an
 * allow-listed exception class followed by its argument tuple and REDUCE
 * becomes an F2B_PY_INSTANCE, and builtins.str called on one str (how
 * fail2ban-server pickles its IPAddr, a str subclass, in ban lists) becomes
 * that str.  Every size taken from the input is checked
 * against the remaining bytes and against F2bPickleLimits before anything is
 * allocated, and shared (memo) references are deep copies charged to the
 * same budgets, so a small input cannot make a big tree.
 *
 * Value mapping, decoding: sets and frozensets become lists (Python's
 * order, no duplicate removal); bytearray becomes bytes; Python 2 STRING
 * opcodes become str (ASCII only, as Python 3 reads them by default); a
 * lone surrogate U+DC80..U+DCFF becomes the raw byte it stands for (the
 * inverse of surrogateescape), other lone surrogates and invalid UTF-8 are
 * refused; integers beyond 64 bits are refused; the state that BUILD gives
 * an exception (its __dict__, e.g. __notes__ or re.error's attributes) is
 * dropped.  Dict keys must be hashable in Python's sense and unique.
 * Bytes after STOP are ignored, as pickle.loads() ignores them. */
#pragma once

#include <glib.h>

#include "pyobj.h"

#define F2B_PICKLE_ERROR (f2b_pickle_error_quark())
GQuark f2b_pickle_error_quark(void);

typedef enum {
  F2B_PICKLE_ERROR_TRUNCATED, /* input ends inside an opcode or before STOP */
  F2B_PICKLE_ERROR_INVALID,   /* malformed: bad opcode, stack misuse, bad text... */
  F2B_PICKLE_ERROR_REFUSED,   /* valid pickle that we do not execute (GLOBAL, REDUCE...) */
  F2B_PICKLE_ERROR_LIMIT,     /* a bound of F2bPickleLimits was exceeded */
  F2B_PICKLE_ERROR_UNSUPPORTED, /* encoder: value not expressible in the protocol */
} F2bPickleError;

/* The pickle protocol both fail2ban sides use (pickle.HIGHEST_PROTOCOL). */
#define F2B_PICKLE_PROTOCOL 5

typedef struct {
  gsize max_input;        /* bytes of one pickle */
  guint max_depth;        /* nesting of values, and of MARKs */
  gsize max_nodes;        /* values created, memo copies included */
  gsize max_string;       /* bytes of one str or bytes value */
  gsize max_total_string; /* bytes of all str/bytes values, memo copies included */
  gsize max_memo;         /* memo entries */
  /* Accept allow-listed exception classes (GLOBAL/STACK_GLOBAL + tuple +
   * REDUCE, optionally BUILD): for a client reading the server's replies. */
  gboolean allow_exceptions;
} F2bPickleLimits;

/* Fills LIMITS with the defaults (also used when a NULL limits is given):
 * 64 MiB input, depth 200, 4M nodes, 64 MiB per string, 256 MiB of strings,
 * 1M memo entries, no exceptions. */
void f2b_pickle_limits_init(F2bPickleLimits *limits);

/* Decodes one pickle (transfer full), or returns NULL and sets ERROR. */
F2bPyObj *f2b_pickle_decode(const guint8 *data, gsize len, const F2bPickleLimits *limits,
                            GError **error);

/* TRUE when MODULE.NAME is an exception class that the decoder accepts with
 * allow_exceptions (module names as Python 3 spells them). */
gboolean f2b_pickle_exception_allowed(const char *module, const char *name);

/* Appends the pickle of OBJ to OUT, byte for byte as CPython 3.11's
 * pickle.dumps(obj, PROTOCOL) writes the same value when it holds no shared
 * objects (PROTOCOL 0..5; fail2ban uses F2B_PICKLE_PROTOCOL).  Strings,
 * bytes, lists, dicts, non-empty tuples, classes and instances are memoized
 * as Python does, but equal values are never shared through the memo (Python
 * shares only identical objects, which a tree does not have), except that a
 * class used twice is referenced as Python references it.  An INSTANCE is
 * written as its class (GLOBAL or STACK_GLOBAL) + argument tuple + REDUCE, so
 * Python rebuilds the exception.  Returns FALSE (OUT unchanged) for bytes
 * under protocols 0-2, which Python writes as a call to _codecs.encode. */
gboolean f2b_pickle_encode(const F2bPyObj *obj, int protocol, GByteArray *out, GError **error);

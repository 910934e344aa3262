/* pyexc.h - the Python exceptions fail2ban-server answers with.
 *
 * A failed command is answered (1, exception): the stock client tests the
 * exception's class (UnknownJailException, IndexError, ...) and prints its
 * str().  Server code reports such failures as a GError in this domain
 * whose code names the class and whose message is the exception's one
 * argument; the transmitter turns it into an F2B_PY_INSTANCE with the
 * module path fail2ban-server's pickle carries. */
#pragma once

#include <glib.h>

#include "pyobj.h"

#define F2BS_PYEXC (f2bs_pyexc_quark())
GQuark f2bs_pyexc_quark(void);

typedef enum {
  F2BS_PYEXC_EXCEPTION,        /* builtins.Exception */
  F2BS_PYEXC_VALUE_ERROR,
  F2BS_PYEXC_KEY_ERROR,
  F2BS_PYEXC_INDEX_ERROR,
  F2BS_PYEXC_TYPE_ERROR,
  F2BS_PYEXC_NAME_ERROR,
  F2BS_PYEXC_SYNTAX_ERROR,
  F2BS_PYEXC_ATTRIBUTE_ERROR,
  F2BS_PYEXC_LOOKUP_ERROR,
  F2BS_PYEXC_RUNTIME_ERROR,
  F2BS_PYEXC_NOT_IMPLEMENTED,
  F2BS_PYEXC_FILE_NOT_FOUND,   /* FileNotFoundError(ENOENT, strerror, filename): message = file name */
  F2BS_PYEXC_UNKNOWN_JAIL,     /* fail2ban.exceptions.UnknownJailException */
  F2BS_PYEXC_DUPLICATE_JAIL,   /* fail2ban.exceptions.DuplicateJailException */
  F2BS_PYEXC_REGEX,            /* fail2ban.server.failregex.RegexException */
  F2BS_PYEXC_OS_ERROR,         /* OSError(errno, strerror) or the subclass Python picks for that errno;
                                  message "[Errno N] strerror" (f2bs_pyexc_set_errno) */
} F2bsPyExc;

/* The exception instance for ERROR (transfer full).  An error of another
 * domain becomes a builtins.Exception with its message. */
F2bPyObj *f2bs_pyexc_to_py(const GError *error);

/* Python's repr() of that exception, as fail2ban logs "Received %r". */
char *f2bs_pyexc_repr(const GError *error);

/* Shorthands that set ERROR and return FALSE. */
gboolean f2bs_pyexc_set(GError **error, F2bsPyExc code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* The OSError Python raises from ERRNUM (PyErr_SetFromErrno, no file name):
 * FileNotFoundError(2, 'No such file or directory') and the like. */
gboolean f2bs_pyexc_set_errno(GError **error, int errnum);
/* IndexError('list index out of range'), the error of a missing argument. */
gboolean f2bs_pyexc_index(GError **error);

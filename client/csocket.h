/* csocket.h - f2bc-client's connection to the server, as fail2ban's
 * csocket.py makes it: one UNIX-socket connection per batch of commands,
 * each command pickled (protocol 5) and followed by the end marker, the
 * reply read up to the marker and decoded as data (exception classes of the
 * fixed allow-list become instances, nothing is executed), and the close
 * command at the end.
 *
 * Errors carry the text Python's socket module gives them ("[Errno 2] No
 * such file or directory", "timed out"), because fail2ban-client logs it. */
#pragma once

#include <glib.h>

#include "pyobj.h"

#define F2BC_SOCKET_ERROR (f2bc_socket_error_quark())
GQuark f2bc_socket_error_quark(void);

typedef enum {
  F2BC_SOCKET_ERROR_OS,      /* a system call failed: the code is errno */
  F2BC_SOCKET_ERROR_TIMEOUT, /* socket.timeout */
  F2BC_SOCKET_ERROR_DECODE,  /* the reply does not unpickle */
} F2bcSocketError;

typedef struct F2bcSocket F2bcSocket;

/* Connects to PATH; TIMEOUT in seconds for every later operation, or < 0
 * for none (Python's settimeout). */
F2bcSocket *f2bc_socket_connect(const char *path, double timeout, GError **error);
void f2bc_socket_set_timeout(F2bcSocket *s, double timeout);
/* Sends CMD (a list) and returns the decoded reply (transfer full). */
F2bPyObj *f2bc_socket_send(F2bcSocket *s, const F2bPyObj *cmd, GError **error);
/* Sends the close command, shuts down and frees (errors are ignored). */
void f2bc_socket_close(F2bcSocket *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bcSocket, f2bc_socket_close)

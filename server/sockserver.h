/* sockserver.h - fail2ban's UNIX control socket on the GLib main loop.
 *
 * Accepts connections on the socket file, checks each peer's credentials
 * (root, or a member of the configured group), cuts the byte stream into
 * messages with F2bProtocolReader, decodes each request with the data-only
 * pickle decoder and hands it to the transmitter; the reply goes back
 * pickled with protocol 5.  A connection handles one request at a time and
 * does not read while its reply is pending, so a client that does not read
 * cannot make the server buffer without bound; messages and pickles are
 * bounded; the loop never blocks on a client.
 *
 * As fail2ban: a request that does not unpickle gets the pickled str
 * "ERROR: <reason>"; "<F2B_CLOSE_COMMAND>" ends the connection. */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <sys/types.h>

#include "transmitter.h"

typedef struct F2bsSockServer F2bsSockServer;

typedef struct {
  gsize max_message;     /* bytes of one request (default 16 MiB) */
  guint max_connections; /* simultaneous clients (default 64) */
  gboolean group_set;    /* let members of GROUP in, socket mode 0660 */
  gid_t group;
} F2bsSockOptions;

void f2bs_sock_options_init(F2bsSockOptions *opts);

/* Creates the socket at PATH (FORCE: remove a stale file as -x does) and
 * starts serving.  NULL with ERROR ("Server already running", "Unable to
 * bind socket PATH").  TX is borrowed and must outlive the server. */
F2bsSockServer *f2bs_sock_server_new(const char *path, gboolean force, const F2bsSockOptions *opts,
                                     F2bsTransmitter *tx, GError **error);
/* Stops accepting, stops handing requests to the transmitter, removes the
 * socket file. Open connections are closed. */
void f2bs_sock_server_free(F2bsSockServer *srv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bsSockServer, f2bs_sock_server_free)

/* TRUE when a peer with these credentials may talk to the server. */
gboolean f2bs_sock_peer_allowed(uid_t uid, gid_t gid, pid_t pid, const F2bsSockOptions *opts);

/* sockserver.c - fail2ban's UNIX control socket (see sockserver.h).
 *
 * Each connection is a small state machine: READING (an async read is
 * outstanding), BUSY (a request is with the transmitter or its reply is
 * being written), CLOSING.  A connection object is reference-counted so
 * that a reply arriving after the peer went away (sleep) is dropped
 * safely. */
#define _GNU_SOURCE 1
#include "sockserver.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pickle.h"
#include "protocol.h"
#include "serverlog.h"

#define LOGGER "fail2ban.asyncserver"
#define READ_CHUNK 65536

struct F2bsSockServer {
  GSocketService *service;
  char *path;
  F2bsSockOptions opts;
  F2bsTransmitter *tx;
  GList *conns; /* Conn*, each holding one reference for the server */
  guint n_conns;
  gboolean stopped;
};

typedef struct {
  gint refs;
  F2bsSockServer *srv; /* NULL once the server is gone */
  GSocketConnection *conn;
  GCancellable *cancel;
  F2bProtocolReader *reader;
  gboolean busy, closing, closed;
  guint8 buf[READ_CHUNK];
} Conn;

void
f2bs_sock_options_init(F2bsSockOptions *opts)
{
  *opts = (F2bsSockOptions){ .max_message = 16u << 20, .max_connections = 64 };
}

static Conn *
conn_ref(Conn *c)
{
  c->refs++;
  return c;
}

static void
conn_unref(Conn *c)
{
  if (--c->refs > 0)
    return;
  g_object_unref(c->conn);
  g_object_unref(c->cancel);
  f2b_protocol_reader_free(c->reader);
  g_free(c);
}

static void
conn_close(Conn *c)
{
  if (c->closed)
    return;
  c->closed = TRUE;
  g_cancellable_cancel(c->cancel);
  g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
  if (c->srv) {
    c->srv->conns = g_list_remove(c->srv->conns, c);
    c->srv->n_conns--;
    c->srv = NULL;
    conn_unref(c);
  }
}

static void conn_read(Conn *c);
static void conn_next(Conn *c);

static void
write_done(GObject *src, GAsyncResult *res, gpointer data)
{
  Conn *c = data;
  GError *error = NULL;
  if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, NULL, &error)) {
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Reply not sent: %s", error->message);
    g_error_free(error);
    conn_close(c);
  } else if (!c->closed) {
    c->busy = FALSE;
    conn_next(c);
  }
  conn_unref(c);
}

static void
send_bytes(Conn *c, GByteArray *msg)
{
  GBytes *bytes = g_byte_array_free_to_bytes(msg);
  gsize len;
  const void *data = g_bytes_get_data(bytes, &len);
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(c->conn));
  /* the bytes live as long as the write: they are the user data's companion */
  g_object_set_data_full(G_OBJECT(c->cancel), "f2bs-reply", bytes, (GDestroyNotify)g_bytes_unref);
  g_output_stream_write_all_async(out, data, len, G_PRIORITY_DEFAULT, c->cancel, write_done, conn_ref(c));
}

static void
send_value(Conn *c, const F2bPyObj *value)
{
  GByteArray *msg = g_byte_array_new();
  GError *error = NULL;
  if (!f2b_protocol_append_value(msg, value, &error)) {
    /* a reply we cannot pickle: fail2ban answers the str of the error */
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Caught unhandled exception: %s", error->message);
    g_byte_array_set_size(msg, 0);
    g_autofree char *text = g_strdup_printf("ERROR: %s", error->message);
    g_autoptr(F2bPyObj) s = f2b_py_str(text);
    f2b_protocol_append_value(msg, s, NULL);
    g_error_free(error);
  }
  send_bytes(c, msg);
}

static void
reply_ready(F2bPyObj *reply, gpointer data)
{
  Conn *c = data;
  if (reply != NULL && !c->closed)
    send_value(c, reply);
  else if (!c->closed)
    conn_close(c);
  f2b_py_free(reply);
  conn_unref(c);
}

/* Handles one complete message. */
static void
conn_handle(Conn *c, GBytes *message)
{
  F2bPickleLimits limits;
  f2b_pickle_limits_init(&limits);
  limits.max_input = c->srv->opts.max_message;
  GError *error = NULL;
  g_autoptr(F2bPyObj) request = f2b_protocol_decode(message, &limits, &error);
  c->busy = TRUE;
  if (request == NULL) {
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "PROTO-error: load message failed: %s", error->message);
    g_autofree char *text = g_strdup_printf("ERROR: %s", error->message);
    g_autoptr(F2bPyObj) s = f2b_py_str(text);
    send_value(c, s);
    g_error_free(error);
    return;
  }
  f2bs_transmitter_proceed(c->srv->tx, request, reply_ready, conn_ref(c));
}

/* Takes the next complete message, or reads more. */
static void
conn_next(Conn *c)
{
  if (c->closed || c->busy || c->srv == NULL)
    return;
  gboolean is_close = FALSE;
  g_autoptr(GBytes) message = f2b_protocol_reader_next(c->reader, &is_close);
  if (message != NULL && is_close) {
    conn_close(c);
    return;
  }
  if (message != NULL) {
    conn_handle(c, message);
    return;
  }
  if (c->closing) {
    conn_close(c);
    return;
  }
  conn_read(c);
}

static void
read_done(GObject *src, GAsyncResult *res, gpointer data)
{
  Conn *c = data;
  GError *error = NULL;
  gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, &error);
  if (n <= 0 || c->closed) {
    if (error && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Connection read failed: %s", error->message);
    g_clear_error(&error);
    /* the peer is done sending: answer what it sent, then close */
    c->closing = TRUE;
    if (!c->closed)
      conn_next(c);
    conn_unref(c);
    return;
  }
  if (!f2b_protocol_reader_feed(c->reader, c->buf, (gsize)n, &error)) {
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "PROTO-error: %s, connection closed", error->message);
    g_error_free(error);
    c->closing = TRUE;
  }
  conn_next(c);
  conn_unref(c);
}

static void
conn_read(Conn *c)
{
  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(c->conn));
  g_input_stream_read_async(in, c->buf, sizeof c->buf, G_PRIORITY_DEFAULT, c->cancel, read_done, conn_ref(c));
}

/* The supplementary groups of PID, from /proc (no NSS lookups in the loop). */
static gboolean
pid_in_group(pid_t pid, gid_t group)
{
  g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
  g_autofree char *status = NULL;
  if (pid <= 0 || !g_file_get_contents(path, &status, NULL, NULL))
    return FALSE;
  const char *line = strstr(status, "\nGroups:");
  if (line == NULL)
    return FALSE;
  line += strlen("\nGroups:");
  while (*line && *line != '\n') {
    char *end;
    guint64 g = g_ascii_strtoull(line, &end, 10);
    if (end == line)
      break;
    if (g == group)
      return TRUE;
    line = end;
    while (*line == ' ' || *line == '\t')
      line++;
  }
  return FALSE;
}

gboolean
f2bs_sock_peer_allowed(uid_t uid, gid_t gid, pid_t pid, const F2bsSockOptions *opts)
{
  if (uid == 0)
    return TRUE;
  if (!opts->group_set)
    return FALSE;
  return gid == opts->group || pid_in_group(pid, opts->group);
}

static gboolean
check_peer(F2bsSockServer *srv, GSocketConnection *conn)
{
  GError *error = NULL;
  g_autoptr(GCredentials) cred = g_socket_get_credentials(g_socket_connection_get_socket(conn), &error);
  if (cred == NULL) {
    f2bs_log(F2BS_LOG_WARNING, LOGGER, "Connection refused: no peer credentials (%s)", error->message);
    g_error_free(error);
    return FALSE;
  }
  uid_t uid = g_credentials_get_unix_user(cred, NULL);
  pid_t pid = g_credentials_get_unix_pid(cred, NULL);
  const struct ucred *uc = g_credentials_get_native(cred, G_CREDENTIALS_TYPE_LINUX_UCRED);
  gid_t gid = uc ? uc->gid : (gid_t)-1;
  if (f2bs_sock_peer_allowed(uid, gid, pid, &srv->opts))
    return TRUE;
  f2bs_log(F2BS_LOG_WARNING, LOGGER, "Connection refused: peer uid %u gid %u (pid %d) is not allowed",
           (unsigned)uid, (unsigned)gid, (int)pid);
  return FALSE;
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
  F2bsSockServer *srv = data;
  if (srv->stopped || !check_peer(srv, conn)) {
    g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
    return TRUE;
  }
  if (srv->n_conns >= srv->opts.max_connections) {
    f2bs_log(F2BS_LOG_WARNING, LOGGER, "Connection refused: too many connections (%u)", srv->n_conns);
    g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
    return TRUE;
  }
  Conn *c = g_new0(Conn, 1);
  c->refs = 1; /* the server's */
  c->srv = srv;
  c->conn = g_object_ref(conn);
  c->cancel = g_cancellable_new();
  c->reader = f2b_protocol_reader_new(srv->opts.max_message);
  srv->conns = g_list_prepend(srv->conns, c);
  srv->n_conns++;
  conn_read(c);
  return TRUE;
}

static gboolean
make_socket(F2bsSockServer *srv, gboolean force, GError **error)
{
  struct stat st;
  if (lstat(srv->path, &st) == 0) {
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Fail2ban seems to be already running");
    if (!force) {
      g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Server already running");
      return FALSE;
    }
    f2bs_log(F2BS_LOG_WARNING, LOGGER, "Forcing execution of the server");
    unlink(srv->path);
  }
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(srv->path);
  /* created 0600 (the server runs under umask 077); a named group gets 0660 */
  if (!g_socket_listener_add_address(G_SOCKET_LISTENER(srv->service), addr, G_SOCKET_TYPE_STREAM,
                                     G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, NULL)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Unable to bind socket %s", srv->path);
    return FALSE;
  }
  if (srv->opts.group_set) {
    if (chown(srv->path, (uid_t)-1, srv->opts.group) != 0 || chmod(srv->path, 0660) != 0)
      f2bs_log(F2BS_LOG_ERROR, LOGGER, "Unable to give group %u access to %s: %s", (unsigned)srv->opts.group,
               srv->path, g_strerror(errno));
  } else {
    chmod(srv->path, 0600);
  }
  return TRUE;
}

F2bsSockServer *
f2bs_sock_server_new(const char *path, gboolean force, const F2bsSockOptions *opts, F2bsTransmitter *tx,
                     GError **error)
{
  F2bsSockServer *srv = g_new0(F2bsSockServer, 1);
  srv->path = g_strdup(path);
  srv->tx = tx;
  if (opts)
    srv->opts = *opts;
  else
    f2bs_sock_options_init(&srv->opts);
  srv->service = g_socket_service_new();
  if (!make_socket(srv, force, error)) {
    g_object_unref(srv->service);
    g_free(srv->path);
    g_free(srv);
    return NULL;
  }
  g_signal_connect(srv->service, "incoming", G_CALLBACK(on_incoming), srv);
  g_socket_service_start(srv->service);
  return srv;
}

void
f2bs_sock_server_free(F2bsSockServer *srv)
{
  if (srv == NULL)
    return;
  srv->stopped = TRUE;
  f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Stop communication, shutdown");
  g_socket_service_stop(srv->service);
  g_socket_listener_close(G_SOCKET_LISTENER(srv->service));
  while (srv->conns)
    conn_close(srv->conns->data);
  g_object_unref(srv->service);
  if (unlink(srv->path) == 0)
    f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Removed socket file %s", srv->path);
  f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Socket shutdown");
  g_free(srv->path);
  g_free(srv);
}

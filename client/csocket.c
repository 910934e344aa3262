/* csocket.c - f2bc-client's connection to the server (see csocket.h). */
#include "csocket.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "protocol.h"

G_DEFINE_QUARK(f2bc-socket-error-quark, f2bc_socket_error)

/* A reply bigger than this is refused (fail2ban's have no bound; ours are
 * lists of bans at most). */
#define MAX_REPLY (256u * 1024 * 1024)

struct F2bcSocket {
  int fd;
  double timeout;
};

static void
set_os_error(GError **error, int err)
{
  g_set_error(error, F2BC_SOCKET_ERROR, F2BC_SOCKET_ERROR_OS, "[Errno %d] %s", err, g_strerror(err));
}

/* Waits until FD is ready for EVENTS within the socket's timeout. */
static gboolean
wait_ready(F2bcSocket *s, short events, GError **error)
{
  if (s->timeout < 0)
    return TRUE;
  struct pollfd p = { .fd = s->fd, .events = events };
  gint64 end = g_get_monotonic_time() + (gint64)(s->timeout * G_USEC_PER_SEC);
  for (;;) {
    gint64 left = end - g_get_monotonic_time();
    int ms = left <= 0 ? 0 : (int)MIN((left + 999) / 1000, G_MAXINT);
    int n = poll(&p, 1, ms);
    if (n > 0)
      return TRUE;
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
      if (n == 0)
        g_set_error_literal(error, F2BC_SOCKET_ERROR, F2BC_SOCKET_ERROR_TIMEOUT, "timed out");
      else
        set_os_error(error, errno);
      return FALSE;
    }
  }
}

F2bcSocket *
f2bc_socket_connect(const char *path, double timeout, GError **error)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof addr.sun_path) {
    g_set_error_literal(error, F2BC_SOCKET_ERROR, F2BC_SOCKET_ERROR_OS, "AF_UNIX path too long");
    return NULL;
  }
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    set_os_error(error, errno);
    return NULL;
  }
  while (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    if (errno == EINTR)
      continue;
    set_os_error(error, errno);
    close(fd);
    return NULL;
  }
  F2bcSocket *s = g_new0(F2bcSocket, 1);
  s->fd = fd;
  s->timeout = timeout;
  return s;
}

void
f2bc_socket_set_timeout(F2bcSocket *s, double timeout)
{
  s->timeout = timeout;
}

static gboolean
send_all(F2bcSocket *s, const guint8 *data, gsize len, GError **error)
{
  while (len > 0) {
    if (!wait_ready(s, POLLOUT, error))
      return FALSE;
    ssize_t n = send(s->fd, data, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      set_os_error(error, errno);
      return FALSE;
    }
    data += n;
    len -= (gsize)n;
  }
  return TRUE;
}

/* Reads up to the end marker, as csocket.receive does. */
static GBytes *
receive(F2bcSocket *s, GError **error)
{
  g_autoptr(F2bProtocolReader) reader = f2b_protocol_reader_new(MAX_REPLY);
  guint8 buf[32768];
  for (;;) {
    GBytes *msg = f2b_protocol_reader_next(reader, NULL);
    if (msg)
      return msg;
    if (!wait_ready(s, POLLIN, error))
      return NULL;
    ssize_t n = recv(s->fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n < 0) {
      set_os_error(error, errno);
      return NULL;
    }
    if (n == 0) {
      set_os_error(error, ECONNRESET);
      return NULL;
    }
    if (!f2b_protocol_reader_feed(reader, buf, (gsize)n, error))
      return NULL;
  }
}

F2bPyObj *
f2bc_socket_send(F2bcSocket *s, const F2bPyObj *cmd, GError **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new();
  if (!f2b_protocol_append_value(out, cmd, error))
    return NULL;
  if (!send_all(s, out->data, out->len, error))
    return NULL;
  g_autoptr(GBytes) reply = receive(s, error);
  if (reply == NULL)
    return NULL;
  F2bPickleLimits limits;
  f2b_pickle_limits_init(&limits);
  limits.allow_exceptions = TRUE;
  GError *local = NULL;
  F2bPyObj *obj = f2b_protocol_decode(reply, &limits, &local);
  if (obj == NULL) {
    g_set_error(error, F2BC_SOCKET_ERROR, F2BC_SOCKET_ERROR_DECODE, "%s", local->message);
    g_error_free(local);
  }
  return obj;
}

void
f2bc_socket_close(F2bcSocket *s)
{
  if (s == NULL)
    return;
  g_autoptr(GByteArray) out = g_byte_array_new();
  f2b_protocol_append_close(out);
  (void)send(s->fd, out->data, out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
  shutdown(s->fd, SHUT_RDWR);
  close(s->fd);
  g_free(s);
}

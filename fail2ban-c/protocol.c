/* protocol.c - fail2ban's socket framing: messages split at a marker.
 *
 * See protocol.h.  The reader keeps only the unfinished message; complete
 * messages are copied out as soon as their marker arrives.  The search for
 * the marker resumes where the previous one stopped, less the marker's
 * length minus one (a marker may be split between two reads), so the total
 * work is linear in the input. */
#define _GNU_SOURCE /* memmem */
#include "protocol.h"

#include <string.h>

G_DEFINE_QUARK(f2b-protocol-error-quark, f2b_protocol_error)

#define END_LEN (sizeof F2B_PROTOCOL_END - 1)
#define CLOSE_LEN (sizeof F2B_PROTOCOL_CLOSE - 1)

struct F2bProtocolReader {
  GByteArray *partial; /* the message being received */
  gsize scanned;       /* PARTIAL holds no marker that starts before this */
  GQueue ready;        /* complete messages (GBytes) */
  gsize max_message;
  gboolean failed;
};

F2bProtocolReader *
f2b_protocol_reader_new(gsize max_message)
{
  F2bProtocolReader *reader = g_new0(F2bProtocolReader, 1);
  reader->partial = g_byte_array_new();
  g_queue_init(&reader->ready);
  reader->max_message = max_message;
  return reader;
}

void
f2b_protocol_reader_free(F2bProtocolReader *reader)
{
  if (reader == NULL)
    return;
  g_byte_array_unref(reader->partial);
  g_queue_clear_full(&reader->ready, (GDestroyNotify) g_bytes_unref);
  g_free(reader);
}

static gboolean
too_big(F2bProtocolReader *reader, GError **error)
{
  reader->failed = TRUE;
  g_set_error(error, F2B_PROTOCOL_ERROR, F2B_PROTOCOL_ERROR_TOO_BIG,
              "message exceeds %" G_GSIZE_FORMAT " bytes", reader->max_message);
  return FALSE;
}

/* Moves every complete message of PARTIAL to the queue. */
static gboolean
split_messages(F2bProtocolReader *reader, GError **error)
{
  GByteArray *buf = reader->partial;
  gsize start = 0;
  while (buf->len - reader->scanned >= END_LEN) {
    const guint8 *from = buf->data + reader->scanned;
    const guint8 *end = memmem(from, buf->len - reader->scanned, F2B_PROTOCOL_END, END_LEN);
    if (end == NULL)
      break;
    gsize at = end - buf->data;
    if (at - start > reader->max_message)
      return too_big(reader, error);
    g_queue_push_tail(&reader->ready, g_bytes_new(buf->data + start, at - start));
    start = reader->scanned = at + END_LEN;
  }
  if (start > 0) {
    g_byte_array_remove_range(buf, 0, start);
    reader->scanned -= start;
  }
  /* A marker may still start in the last END_LEN - 1 bytes. */
  if (buf->len >= END_LEN)
    reader->scanned = MAX(reader->scanned, buf->len - (END_LEN - 1));
  if (buf->len > reader->max_message + END_LEN - 1)
    return too_big(reader, error);
  return TRUE;
}

gboolean
f2b_protocol_reader_feed(F2bProtocolReader *reader, const void *data, gsize len, GError **error)
{
  g_return_val_if_fail(reader != NULL && (data != NULL || len == 0), FALSE);
  if (reader->failed)
    return too_big(reader, error);
  /* Split a big read so that no more than about twice the bound is held. */
  const guint8 *bytes = data;
  while (len > 0) {
    gsize chunk = MIN(len, reader->max_message + END_LEN);
    g_byte_array_append(reader->partial, bytes, chunk);
    if (!split_messages(reader, error))
      return FALSE;
    bytes += chunk;
    len -= chunk;
  }
  return TRUE;
}

GBytes *
f2b_protocol_reader_next(F2bProtocolReader *reader, gboolean *is_close)
{
  g_return_val_if_fail(reader != NULL, NULL);
  GBytes *message = g_queue_pop_head(&reader->ready);
  if (is_close != NULL) {
    gsize len = 0;
    const void *data = message != NULL ? g_bytes_get_data(message, &len) : NULL;
    *is_close = message != NULL && f2b_protocol_is_close(data, len);
  }
  return message;
}

gsize
f2b_protocol_reader_pending(const F2bProtocolReader *reader)
{
  g_return_val_if_fail(reader != NULL, 0);
  return reader->partial->len;
}

gboolean
f2b_protocol_is_close(const void *data, gsize len)
{
  return len == CLOSE_LEN && memcmp(data, F2B_PROTOCOL_CLOSE, CLOSE_LEN) == 0;
}

void
f2b_protocol_append_message(GByteArray *out, const void *pickle, gsize len)
{
  g_return_if_fail(out != NULL && (pickle != NULL || len == 0));
  g_byte_array_append(out, pickle, len);
  g_byte_array_append(out, (const guint8 *) F2B_PROTOCOL_END, END_LEN);
}

void
f2b_protocol_append_close(GByteArray *out)
{
  f2b_protocol_append_message(out, F2B_PROTOCOL_CLOSE, CLOSE_LEN);
}

gboolean
f2b_protocol_append_value(GByteArray *out, const F2bPyObj *obj, GError **error)
{
  g_return_val_if_fail(out != NULL && obj != NULL, FALSE);
  if (!f2b_pickle_encode(obj, F2B_PICKLE_PROTOCOL, out, error))
    return FALSE;
  g_byte_array_append(out, (const guint8 *) F2B_PROTOCOL_END, END_LEN);
  return TRUE;
}

F2bPyObj *
f2b_protocol_decode(GBytes *message, const F2bPickleLimits *limits, GError **error)
{
  g_return_val_if_fail(message != NULL, NULL);
  gsize len;
  const guint8 *data = g_bytes_get_data(message, &len);
  return f2b_pickle_decode(data != NULL ? data : (const guint8 *) "", len, limits, error);
}

/* fuzz-pickle.c - libFuzzer target for the pickle decoder and the framing
 * reader.  Built by tests/fuzz/build.sh with clang, apart from the meson
 * build.
 *
 * The first byte chooses the options (exceptions allowed or not, small or
 * default limits); the rest is a pickle.  Whatever decodes must re-encode
 * and decode again to the same repr(), at protocols 3 to 5.  The same bytes
 * also go through the framing reader in reads of varying sizes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pickle.h"
#include "protocol.h"

static void
check_round_trip(const F2bPyObj *value, int protocol)
{
  g_autoptr(GByteArray) out = g_byte_array_new();
  if (!f2b_pickle_encode(value, protocol, out, NULL))
    abort();
  F2bPickleLimits lim;
  f2b_pickle_limits_init(&lim);
  lim.allow_exceptions = TRUE;
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bPyObj) back = f2b_pickle_decode(out->data, out->len, &lim, &error);
  if (back == NULL)
    abort();
  g_autofree char *a = f2b_py_repr(value);
  g_autofree char *b = f2b_py_repr(back);
  if (strcmp(a, b) != 0)
    abort();
}

static void
fuzz_reader(const guint8 *data, size_t size)
{
  g_autoptr(F2bProtocolReader) reader = f2b_protocol_reader_new(64);
  size_t pos = 0;
  while (pos < size) {
    size_t chunk = 1 + data[pos] % 37;
    chunk = MIN(chunk, size - pos);
    if (!f2b_protocol_reader_feed(reader, data + pos, chunk, NULL))
      break;
    pos += chunk;
    GBytes *m;
    while ((m = f2b_protocol_reader_next(reader, NULL)) != NULL) {
      if (g_bytes_get_size(m) > 64)
        abort();
      g_bytes_unref(m);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  guint8 options = data[0];
  F2bPickleLimits lim;
  f2b_pickle_limits_init(&lim);
  lim.allow_exceptions = (options & 1) != 0;
  if (options & 2) {
    lim.max_depth = 8;
    lim.max_nodes = 64;
    lim.max_string = 64;
    lim.max_total_string = 256;
    lim.max_memo = 8;
  } else {
    /* room enough to reach every path, small enough for many runs a second */
    lim.max_nodes = 20000;
    lim.max_total_string = 1 << 20;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bPyObj) value = f2b_pickle_decode(data + 1, size - 1, &lim, &error);
  if ((value == NULL) == (error == NULL))
    abort();
  if (value != NULL)
    for (int protocol = 3; protocol <= 5; protocol++)
      check_round_trip(value, protocol);
  fuzz_reader(data, size);
  return 0;
}

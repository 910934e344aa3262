/* fuzz-pyjson.c - the JSON reader of the database's `data` column.
 *
 * Whatever loads must dump, and its dump must load again and dump to the
 * same text: the writer and the reader agree on everything the reader
 * accepts.  A refusal must come with an error of the module's domain.
 * Invalid UTF-8 (which Python's json.loads refuses and our reader keeps)
 * becomes '?' in the first dump, which may merge two keys of a dict: for
 * such input only the second dump must be a fixed point. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pyjson.h"

static GString *
dump_or_die(const F2bPyObj *value)
{
  GString *out = g_string_new(NULL);
  g_autoptr(GError) error = NULL;
  if (!f2b_pyjson_dump_append(out, value, &error))
    abort();
  return out;
}

static GString *
reload_dump(const GString *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bPyObj) value = f2b_pyjson_load(text->str, text->len, &error);
  if (value == NULL)
    abort();
  return dump_or_die(value);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bPyObj) value = f2b_pyjson_load((const char *)data, size, &error);
  if (value == NULL) {
    if (error == NULL || error->domain != F2B_PYJSON_ERROR)
      abort();
    return 0;
  }
  g_autoptr(GString) first = dump_or_die(value);
  g_autoptr(GString) second = reload_dump(first);
  if (g_utf8_validate((const char *)data, size, NULL) && !g_string_equal(first, second))
    abort();
  g_autoptr(GString) third = reload_dump(second);
  if (!g_string_equal(second, third))
    abort();
  return 0;
}

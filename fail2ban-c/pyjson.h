/* pyjson.h - Python's json.dumps/json.loads for the values of pyobj.h.
 *
 * fail2ban keeps a ban's data (matched lines, failure count, the filter's
 * other values) in its database as JSON text written by
 * json.dumps(data, ensure_ascii=False).  A database shared with fail2ban must
 * hold the same bytes, so the encoder writes exactly what Python writes
 * (", " and ": " separators, raw non-ASCII, float repr(), NaN/Infinity), and
 * the decoder reads everything Python's json.loads accepts from such a
 * column (objects become dicts in their order, integers ints, other numbers
 * floats).  The decoder bounds nesting and never trusts lengths. */
#pragma once

#include <glib.h>

#include "pyobj.h"

G_BEGIN_DECLS

#define F2B_PYJSON_ERROR (f2b_pyjson_error_quark())
GQuark f2b_pyjson_error_quark(void);

typedef enum {
  F2B_PYJSON_ERROR_SYNTAX, /* not JSON: the message gives the byte offset */
  F2B_PYJSON_ERROR_DEPTH,  /* nested deeper than F2B_PYJSON_MAX_DEPTH */
  F2B_PYJSON_ERROR_TYPE,   /* a value json.dumps cannot write (bytes, a non-str key...) */
} F2bPyJsonError;

#define F2B_PYJSON_MAX_DEPTH 64

/* json.dumps(OBJ, ensure_ascii=False) appended to OUT as UTF-8.  Strings
 * with invalid UTF-8 get '?' for each bad byte, as fail2ban's
 * encode(..., 'replace') gives.  Tuples are written as lists, instances are
 * refused.  FALSE with ERROR (F2B_PYJSON_ERROR_TYPE). */
gboolean f2b_pyjson_dump_append(GString *out, const F2bPyObj *obj, GError **error);

/* A JSON string literal of the LEN bytes of S appended to OUT, as json.dumps
 * writes a str: with ENSURE_ASCII every character outside ' '..'~' becomes a
 * \uXXXX escape (a surrogate pair above U+FFFF), without it only '"', '\\'
 * and control characters are escaped.  Invalid UTF-8 bytes become '?'. */
void f2b_pyjson_str_append(GString *out, const char *s, gsize len, gboolean ensure_ascii);

/* json.loads of TEXT (LEN bytes, need not be NUL-terminated): transfer full,
 * or NULL with ERROR. */
F2bPyObj *f2b_pyjson_load(const char *text, gsize len, GError **error);

G_END_DECLS

/* pyjson.c - Python's json.dumps/json.loads for pyobj.h values (see pyjson.h).
 *
 * The encoder follows CPython's pure-Python encoder with ensure_ascii=False:
 * only '"', '\\' and control characters are escaped.  The decoder is a plain
 * recursive descent with a depth bound; it reads what CPython's scanner
 * reads, strict mode (raw control characters inside strings are refused). */
#include "pyjson.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(f2b-pyjson-error-quark, f2b_pyjson_error)

/* ---- encoder ------------------------------------------------------------ */

void
f2b_pyjson_str_append(GString *out, const char *s, gsize len, gboolean ensure_ascii)
{
  g_string_append_c(out, '"');
  const char *p = s, *end = s + len;
  while (p < end) {
    guchar c = (guchar)*p;
    if (c < 0x80) {
      switch (c) {
      case '"': g_string_append(out, "\\\""); break;
      case '\\': g_string_append(out, "\\\\"); break;
      case '\n': g_string_append(out, "\\n"); break;
      case '\r': g_string_append(out, "\\r"); break;
      case '\t': g_string_append(out, "\\t"); break;
      case '\b': g_string_append(out, "\\b"); break;
      case '\f': g_string_append(out, "\\f"); break;
      default:
        /* ensure_ascii escapes everything outside ' '..'~', DEL included */
        if (c < 0x20 || (ensure_ascii && c == 0x7f))
          g_string_append_printf(out, "\\u%04x", c);
        else
          g_string_append_c(out, (char)c);
      }
      p++;
      continue;
    }
    gunichar u = g_utf8_get_char_validated(p, end - p);
    if (u == (gunichar)-1 || u == (gunichar)-2) {
      g_string_append_c(out, '?'); /* a byte that is not UTF-8: encode(..., 'replace') */
      p++;
      continue;
    }
    const char *after = g_utf8_next_char(p);
    if (!ensure_ascii) {
      g_string_append_len(out, p, after - p);
    } else if (u > 0xffff) {
      u -= 0x10000; /* a UTF-16 surrogate pair, as Python writes it */
      g_string_append_printf(out, "\\u%04x\\u%04x", 0xd800 + (u >> 10), 0xdc00 + (u & 0x3ff));
    } else {
      g_string_append_printf(out, "\\u%04x", u);
    }
    p = after;
  }
  g_string_append_c(out, '"');
}

static void
dump_float(GString *out, double v)
{
  if (isnan(v))
    g_string_append(out, "NaN");
  else if (isinf(v))
    g_string_append(out, v > 0 ? "Infinity" : "-Infinity");
  else
    f2b_py_repr_float_append(out, v);
}

static gboolean dump(GString *out, const F2bPyObj *obj, GError **error);

/* json.dumps turns keys of simple types into strings. */
static gboolean
dump_key(GString *out, const F2bPyObj *key, GError **error)
{
  switch (f2b_py_kind(key)) {
  case F2B_PY_STR: {
    gsize len;
    const char *s = f2b_py_get_str(key, &len);
    f2b_pyjson_str_append(out, s, len, FALSE);
    return TRUE;
  }
  case F2B_PY_INT: g_string_append_printf(out, "\"%" G_GINT64_FORMAT "\"", f2b_py_get_int(key)); return TRUE;
  case F2B_PY_BOOL: g_string_append(out, f2b_py_get_bool(key) ? "\"true\"" : "\"false\""); return TRUE;
  case F2B_PY_NONE: g_string_append(out, "\"null\""); return TRUE;
  case F2B_PY_FLOAT:
    g_string_append_c(out, '"');
    dump_float(out, f2b_py_get_float(key));
    g_string_append_c(out, '"');
    return TRUE;
  default:
    g_set_error(error, F2B_PYJSON_ERROR, F2B_PYJSON_ERROR_TYPE, "keys must be str, int, float, bool or None");
    return FALSE;
  }
}

static gboolean
dump_container(GString *out, const F2bPyObj *obj, GError **error)
{
  gboolean is_dict = f2b_py_kind(obj) == F2B_PY_DICT;
  g_string_append_c(out, is_dict ? '{' : '[');
  for (gsize i = 0; i < f2b_py_len(obj); i++) {
    if (i)
      g_string_append(out, ", ");
    if (is_dict) {
      F2bPyObj *k, *v;
      f2b_py_dict_pair(obj, i, &k, &v);
      if (!dump_key(out, k, error))
        return FALSE;
      g_string_append(out, ": ");
      if (!dump(out, v, error))
        return FALSE;
    } else if (!dump(out, f2b_py_item(obj, i), error)) {
      return FALSE;
    }
  }
  g_string_append_c(out, is_dict ? '}' : ']');
  return TRUE;
}

static gboolean
dump(GString *out, const F2bPyObj *obj, GError **error)
{
  switch (f2b_py_kind(obj)) {
  case F2B_PY_NONE: g_string_append(out, "null"); return TRUE;
  case F2B_PY_BOOL: g_string_append(out, f2b_py_get_bool(obj) ? "true" : "false"); return TRUE;
  case F2B_PY_INT: g_string_append_printf(out, "%" G_GINT64_FORMAT, f2b_py_get_int(obj)); return TRUE;
  case F2B_PY_FLOAT: dump_float(out, f2b_py_get_float(obj)); return TRUE;
  case F2B_PY_STR: {
    gsize len;
    const char *s = f2b_py_get_str(obj, &len);
    f2b_pyjson_str_append(out, s, len, FALSE);
    return TRUE;
  }
  case F2B_PY_LIST:
  case F2B_PY_TUPLE:
  case F2B_PY_DICT:
    return dump_container(out, obj, error);
  default:
    g_set_error(error, F2B_PYJSON_ERROR, F2B_PYJSON_ERROR_TYPE, "Object of this type is not JSON serializable");
    return FALSE;
  }
}

gboolean
f2b_pyjson_dump_append(GString *out, const F2bPyObj *obj, GError **error)
{
  gsize start = out->len;
  if (dump(out, obj, error))
    return TRUE;
  g_string_truncate(out, start);
  return FALSE;
}

/* ---- decoder ------------------------------------------------------------ */

typedef struct {
  const char *s, *p, *end;
  guint depth;
  GError **error;
} Reader;

static gboolean
fail(Reader *r, const char *what)
{
  g_set_error(r->error, F2B_PYJSON_ERROR, F2B_PYJSON_ERROR_SYNTAX, "%s: char %" G_GSIZE_FORMAT, what,
              (gsize)(r->p - r->s));
  return FALSE;
}

static void
skip_ws(Reader *r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
    r->p++;
}

static gboolean
literal(Reader *r, const char *word)
{
  gsize n = strlen(word);
  if ((gsize)(r->end - r->p) >= n && memcmp(r->p, word, n) == 0) {
    r->p += n;
    return TRUE;
  }
  return FALSE;
}

static int
hex4(const char *p)
{
  int v = 0;
  for (int i = 0; i < 4; i++) {
    int d = g_ascii_xdigit_value(p[i]);
    if (d < 0)
      return -1;
    v = v * 16 + d;
  }
  return v;
}

/* \uXXXX, with a following low surrogate joined to a high one. */
static gboolean
read_uescape(Reader *r, GString *out)
{
  if (r->end - r->p < 4 || hex4(r->p) < 0)
    return fail(r, "Invalid \\uXXXX escape");
  gunichar u = (gunichar)hex4(r->p);
  r->p += 4;
  if (u >= 0xd800 && u < 0xdc00 && r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u') {
    int lo = hex4(r->p + 2);
    if (lo >= 0xdc00 && lo < 0xe000) {
      u = 0x10000 + ((u - 0xd800) << 10) + ((gunichar)lo - 0xdc00);
      r->p += 6;
    }
  }
  if (u >= 0xd800 && u < 0xe000)
    u = 0xfffd; /* a lone surrogate has no UTF-8 form */
  g_string_append_unichar(out, u);
  return TRUE;
}

static gboolean
read_escape(Reader *r, GString *out)
{
  if (r->p >= r->end)
    return fail(r, "Unterminated string starting at");
  char c = *r->p++;
  switch (c) {
  case '"': case '\\': case '/': g_string_append_c(out, c); return TRUE;
  case 'b': g_string_append_c(out, '\b'); return TRUE;
  case 'f': g_string_append_c(out, '\f'); return TRUE;
  case 'n': g_string_append_c(out, '\n'); return TRUE;
  case 'r': g_string_append_c(out, '\r'); return TRUE;
  case 't': g_string_append_c(out, '\t'); return TRUE;
  case 'u': return read_uescape(r, out);
  default: r->p--; return fail(r, "Invalid \\escape");
  }
}

static F2bPyObj *
read_string(Reader *r)
{
  r->p++; /* the opening quote */
  g_autoptr(GString) s = g_string_new(NULL);
  for (;;) {
    if (r->p >= r->end) {
      fail(r, "Unterminated string starting at");
      return NULL;
    }
    guchar c = (guchar)*r->p;
    if (c == '"')
      break;
    if (c < 0x20) {
      fail(r, "Invalid control character at");
      return NULL;
    }
    r->p++;
    if (c == '\\') {
      if (!read_escape(r, s))
        return NULL;
    } else {
      g_string_append_c(s, (char)c);
    }
  }
  r->p++;
  return f2b_py_str_len(s->str, s->len);
}

static F2bPyObj *
read_number(Reader *r)
{
  const char *start = r->p;
  gboolean is_float = FALSE;
  if (r->p < r->end && *r->p == '-')
    r->p++;
  if (r->p < r->end && *r->p == '0') {
    r->p++;
  } else if (r->p < r->end && g_ascii_isdigit(*r->p)) {
    while (r->p < r->end && g_ascii_isdigit(*r->p))
      r->p++;
  } else {
    r->p = start;
    fail(r, "Expecting value");
    return NULL;
  }
  if (r->p + 1 < r->end && *r->p == '.' && g_ascii_isdigit(r->p[1])) {
    is_float = TRUE;
    r->p++;
    while (r->p < r->end && g_ascii_isdigit(*r->p))
      r->p++;
  }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
    const char *e = r->p + 1;
    if (e < r->end && (*e == '+' || *e == '-'))
      e++;
    if (e < r->end && g_ascii_isdigit(*e)) {
      is_float = TRUE;
      while (e < r->end && g_ascii_isdigit(*e))
        e++;
      r->p = e;
    }
  }
  g_autofree char *text = g_strndup(start, r->p - start);
  if (!is_float) {
    errno = 0;
    gint64 v = g_ascii_strtoll(text, NULL, 10);
    if (errno == 0)
      return f2b_py_int(v);
    /* beyond 64 bits: Python keeps an exact int; a float is the nearest we hold */
  }
  return f2b_py_float(g_ascii_strtod(text, NULL));
}

static F2bPyObj *read_value(Reader *r);

static gboolean
expect(Reader *r, char c, const char *what)
{
  skip_ws(r);
  if (r->p < r->end && *r->p == c) {
    r->p++;
    return TRUE;
  }
  return fail(r, what);
}

static F2bPyObj *
read_array(Reader *r)
{
  r->p++;
  g_autoptr(F2bPyObj) list = f2b_py_list_new();
  skip_ws(r);
  if (r->p < r->end && *r->p == ']') {
    r->p++;
    return g_steal_pointer(&list);
  }
  for (;;) {
    F2bPyObj *item = read_value(r);
    if (item == NULL)
      return NULL;
    f2b_py_append(list, item);
    skip_ws(r);
    if (r->p < r->end && *r->p == ']') {
      r->p++;
      return g_steal_pointer(&list);
    }
    if (!expect(r, ',', "Expecting ',' delimiter"))
      return NULL;
  }
}

static F2bPyObj *
read_object(Reader *r)
{
  r->p++;
  g_autoptr(F2bPyObj) dict = f2b_py_dict_new();
  skip_ws(r);
  if (r->p < r->end && *r->p == '}') {
    r->p++;
    return g_steal_pointer(&dict);
  }
  for (;;) {
    skip_ws(r);
    if (r->p >= r->end || *r->p != '"') {
      fail(r, "Expecting property name enclosed in double quotes");
      return NULL;
    }
    g_autoptr(F2bPyObj) key = read_string(r);
    if (key == NULL || !expect(r, ':', "Expecting ':' delimiter"))
      return NULL;
    F2bPyObj *value = read_value(r);
    if (value == NULL)
      return NULL;
    f2b_py_dict_set(dict, g_steal_pointer(&key), value);
    skip_ws(r);
    if (r->p < r->end && *r->p == '}') {
      r->p++;
      return g_steal_pointer(&dict);
    }
    if (!expect(r, ',', "Expecting ',' delimiter"))
      return NULL;
  }
}

static F2bPyObj *
read_nested(Reader *r)
{
  if (++r->depth > F2B_PYJSON_MAX_DEPTH) {
    g_set_error(r->error, F2B_PYJSON_ERROR, F2B_PYJSON_ERROR_DEPTH, "nested deeper than %d levels",
                F2B_PYJSON_MAX_DEPTH);
    return NULL;
  }
  F2bPyObj *v = *r->p == '[' ? read_array(r) : read_object(r);
  r->depth--;
  return v;
}

static F2bPyObj *
read_value(Reader *r)
{
  skip_ws(r);
  if (r->p >= r->end) {
    fail(r, "Expecting value");
    return NULL;
  }
  switch (*r->p) {
  case '"': return read_string(r);
  case '[': case '{': return read_nested(r);
  default: break;
  }
  if (literal(r, "null"))
    return f2b_py_none();
  if (literal(r, "true"))
    return f2b_py_bool(TRUE);
  if (literal(r, "false"))
    return f2b_py_bool(FALSE);
  if (literal(r, "NaN"))
    return f2b_py_float(NAN);
  if (literal(r, "Infinity"))
    return f2b_py_float(INFINITY);
  if (literal(r, "-Infinity"))
    return f2b_py_float(-INFINITY);
  return read_number(r);
}

F2bPyObj *
f2b_pyjson_load(const char *text, gsize len, GError **error)
{
  Reader r = { text, text, text + len, 0, error };
  g_autoptr(F2bPyObj) v = read_value(&r);
  if (v == NULL)
    return NULL;
  skip_ws(&r);
  if (r.p != r.end) {
    fail(&r, "Extra data");
    return NULL;
  }
  return g_steal_pointer(&v);
}

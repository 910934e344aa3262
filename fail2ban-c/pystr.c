/* pystr.c - Python str semantics on UTF-8 text (see pystr.h). */
#include "pystr.h"

#include <string.h>

gboolean
f2b_pystr_isspace(gunichar c)
{
  /* GLib's set (Unicode Zs, Zl, Zp and \t \n \f \r) lacks these three kinds */
  return g_unichar_isspace(c) || c == 0x0b || (c >= 0x1c && c <= 0x1f) || c == 0x85;
}

/* int() strips what str.isspace() calls space except the ASCII information
 * separators U+001C..U+001F: CPython maps non-ASCII space to ' ' and then
 * skips C-locale space only. */
static gboolean
int_space(gunichar c)
{
  return f2b_pystr_isspace(c) && !(c >= 0x1c && c <= 0x1f);
}

static void
strip_with(const char **start, const char **end, gboolean (*is_space)(gunichar))
{
  const char *b = *start, *e = *end;
  while (b < e && is_space(g_utf8_get_char(b)))
    b = g_utf8_next_char(b);
  while (e > b) {
    const char *prev = g_utf8_find_prev_char(b, e);
    if (!prev || !is_space(g_utf8_get_char(prev)))
      break;
    e = prev;
  }
  *start = b;
  *end = e;
}

void
f2b_pystr_strip(const char **start, const char **end)
{
  strip_with(start, end, f2b_pystr_isspace);
}

/* Plain ASCII digits short enough not to overflow: the common case (date
 * fields, prefix lengths) without UTF-8 decoding. */
static gboolean
ascii_digits(const char *text, gsize len, gint64 *value)
{
  if (len == 0 || len > 18)
    return FALSE;
  gint64 v = 0;
  for (gsize i = 0; i < len; i++) {
    if (text[i] < '0' || text[i] > '9')
      return FALSE;
    v = v * 10 + (text[i] - '0');
  }
  *value = v;
  return TRUE;
}

gboolean
f2b_pystr_to_int(const char *text, gsize len, gint64 *value, gboolean *saturated)
{
  if (saturated)
    *saturated = FALSE;
  if (ascii_digits(text, len, value))
    return TRUE;
  if (!g_utf8_validate_len(text, len, NULL))
    return FALSE;
  const char *p = text, *end = text + len;
  strip_with(&p, &end, int_space);
  gboolean negative = FALSE;
  if (p < end && (*p == '+' || *p == '-'))
    negative = *p++ == '-';
  gint64 acc = 0;
  gboolean digit_seen = FALSE, last_underscore = FALSE, clamped = FALSE;
  for (; p < end; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (c == '_') {
      if (!digit_seen || last_underscore)
        return FALSE;
      last_underscore = TRUE;
      continue;
    }
    int d = g_unichar_digit_value(c);
    if (d < 0)
      return FALSE;
    if (acc > (G_MAXINT64 - d) / 10)
      acc = G_MAXINT64, clamped = TRUE;
    else
      acc = acc * 10 + d;
    digit_seen = TRUE;
    last_underscore = FALSE;
  }
  if (!digit_seen || last_underscore)
    return FALSE;
  *value = negative ? -acc : acc;
  if (saturated)
    *saturated = clamped;
  return TRUE;
}

/* Eight bytes at a time. */
gboolean
f2b_pystr_is_ascii(const char *s, gsize len)
{
  gsize i = 0;
  for (; i + 8 <= len; i += 8) {
    guint64 w;
    memcpy(&w, s + i, 8);
    if (w & G_GUINT64_CONSTANT(0x8080808080808080))
      return FALSE;
  }
  for (; i < len; i++)
    if ((guchar) s[i] >= 0x80)
      return FALSE;
  return TRUE;
}

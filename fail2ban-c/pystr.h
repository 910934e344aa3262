/* pystr.h - Python str semantics on UTF-8 text: isspace(), strip(), int().
 *
 * fail2ban strips config values and date patterns, tests lines for blankness
 * and turns captured digits into numbers with Python's str methods, whose
 * idea of white space is neither C's nor GLib's (Python counts \v, U+001C..
 * U+001F and U+0085; GLib does not), and int() has its own, slightly smaller
 * set. The core modules that need these go through here so that they agree. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* str.isspace() of the one character C. */
gboolean f2b_pystr_isspace(gunichar c);

/* str.strip() without arguments: moves *START forward and *END back past white
 * space. [*START, *END) must be valid UTF-8. */
void f2b_pystr_strip(const char **start, const char **end);

/* int(TEXT) in base 10: optional white space around, an optional sign, Unicode
 * decimal digits with single underscores between them. FALSE where Python
 * raises ValueError (including for invalid UTF-8). Python's integers have no
 * bound; a magnitude past G_MAXINT64 gives +-G_MAXINT64 and sets *SATURATED
 * (which may be NULL), for the caller to decide. */
gboolean f2b_pystr_to_int(const char *text, gsize len, gint64 *value, gboolean *saturated);

/* TRUE when every byte of S (LEN bytes) is below 0x80: the text is ASCII, and
 * character offsets equal byte offsets. */
gboolean f2b_pystr_is_ascii(const char *s, gsize len);

G_END_DECLS

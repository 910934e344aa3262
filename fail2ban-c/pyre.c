/* pyre.c - Python `re` syntax parsed as Python 3.11 parses it, written as PCRE2.
 *
 * A recursive-descent parser that follows the structure of Python's own parser
 * (alternations, sequences, items, quantifiers) so that the same patterns are
 * accepted and refused, with the same kind of messages. While parsing it writes
 * the PCRE2 text: every item is written as one PCRE2 atom, so a quantifier that
 * follows applies to the same thing in both engines. Widths (min, max) are
 * tracked per item because Python refuses a look-behind whose width varies. */
#include "pyre.h"

#include <string.h>

G_DEFINE_QUARK(f2b-pyre-error-quark, f2b_pyre_error)

#define MAXREPEAT G_GUINT64_CONSTANT(4294967295)
#define MAX_NESTING 500

typedef struct {
  guint64 lo, hi;
} Width;

typedef struct {
  gsize start, end; /* byte range of the token in the source */
  gboolean esc;     /* a backslash escape: C is the escaped character */
  gunichar c;
} Tok;

typedef enum { ITEM_NONE, ITEM_AT, ITEM_REPEAT, ITEM_OTHER } ItemKind;

typedef struct {
  const char *src;
  gsize len;
  gsize pos;
  GString *out;
  GArray *map;      /* gsize pairs: output offset, source offset */
  GPtrArray *names; /* per group, [0] unused */
  GArray *widths;   /* Width per group */
  GArray *closed;   /* gboolean per group */
  GHashTable *by_name;
  gint lookbehind_groups; /* first group number inside the current look-behind, or -1 */
  GArray *cond_refs;      /* gsize pairs: numeric condition group, source offset */
  gboolean global_verbose;
  gboolean ascii, unicode;
  guint depth;
  gboolean top_alternation; /* a "|" at the top level */
  gboolean dotall;          /* a global (?s) */
  guint last_top_group;     /* the capturing group closed last at the top level */
  gsize last_top_body, last_top_end; /* its body's output range */
  GError *error;
  GError *width_error; /* reported after parsing, as Python reports it at compile time */
} Parser;

/* ---- errors and positions ------------------------------------------------------ */

char *
f2b_pyre_position_suffix(const char *pattern, gsize offset)
{
  glong pos = g_utf8_pointer_to_offset(pattern, pattern + offset);
  if (!strchr(pattern, '\n'))
    return g_strdup_printf(" at position %ld", pos);
  glong line = 1, col_start = 0, i = 0;
  for (const char *q = pattern; q < pattern + offset; q = g_utf8_next_char(q), i++)
    if (*q == '\n') {
      line++;
      col_start = i + 1;
    }
  return g_strdup_printf(" at position %ld (line %ld, column %ld)", pos, line,
                         pos - col_start + 1);
}

G_GNUC_PRINTF(4, 5)
static gboolean
fail_at(Parser *p, gint code, gssize offset, const char *fmt, ...)
{
  if (p->error)
    return FALSE;
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_autofree char *where = offset >= 0 ? f2b_pyre_position_suffix(p->src, (gsize)offset)
                                       : g_strdup("");
  g_set_error(&p->error, F2B_PYRE_ERROR, code, "%s%s", msg, where);
  return FALSE;
}

#define fail(p, off, ...) fail_at((p), F2B_PYRE_ERROR_SYNTAX, (gssize)(off), __VA_ARGS__)
#define unsupported(p, off, ...) \
  fail_at((p), F2B_PYRE_ERROR_UNSUPPORTED, (gssize)(off), __VA_ARGS__)

/* ---- tokens -------------------------------------------------------------------- */

static gboolean
peek(Parser *p, Tok *t)
{
  if (p->pos >= p->len)
    return FALSE;
  const char *s = p->src + p->pos;
  t->start = p->pos;
  t->esc = *s == '\\';
  if (t->esc) {
    if (p->pos + 1 >= p->len) {
      /* Python's tokenizer refuses a lone trailing backslash as soon as it sees it. */
      fail(p, p->pos, "bad escape (end of pattern)");
      return FALSE;
    }
    s++;
  }
  t->c = g_utf8_get_char(s);
  t->end = (gsize)(g_utf8_next_char(s) - p->src);
  return TRUE;
}

static gboolean
get(Parser *p, Tok *t)
{
  if (!peek(p, t))
    return FALSE;
  p->pos = t->end;
  return TRUE;
}

/* Consumes the next token when it is the plain (unescaped) character C. */
static gboolean
match(Parser *p, gunichar c)
{
  Tok t;
  if (!peek(p, &t) || t.esc || t.c != c)
    return FALSE;
  p->pos = t.end;
  return TRUE;
}

static gboolean
next_is(Parser *p, gunichar c)
{
  Tok t;
  return peek(p, &t) && !t.esc && t.c == c;
}

static gboolean
at_end(Parser *p)
{
  return p->pos >= p->len;
}

/* Up to MAX ASCII characters of SET, as Python's getwhile; returns the count. */
static gsize
get_while(Parser *p, gsize max, const char *set)
{
  gsize n = 0;
  while (n < max && p->pos < p->len && strchr(set, p->src[p->pos]) && p->src[p->pos]) {
    p->pos++;
    n++;
  }
  return n;
}

#define HEXDIGITS "0123456789abcdefABCDEF"
#define OCTDIGITS "01234567"
#define DIGITS "0123456789"

/* Python's getuntil: characters (escapes count as two) up to TERM; error texts name
 * WHAT. The result is the source range [*start, *end). */
static gboolean
get_until(Parser *p, gunichar term, const char *what, gsize *start, gsize *end)
{
  *start = p->pos;
  Tok t;
  for (;;) {
    if (!peek(p, &t)) {
      if (p->error)
        return FALSE;
      if (p->pos == *start)
        return fail(p, p->pos, "missing %s", what);
      return fail(p, *start, "missing %c, unterminated name", (char)term);
    }
    p->pos = t.end;
    if (!t.esc && t.c == term) {
      if (t.start == *start)
        return fail(p, t.start, "missing %s", what);
      *end = t.start;
      return TRUE;
    }
  }
}

/* ---- output -------------------------------------------------------------------- */

static void
emit(Parser *p, gsize src_off, const char *text)
{
  gsize pair[2] = {p->out->len, src_off};
  g_array_append_vals(p->map, pair, 2);
  g_string_append(p->out, text);
}

static void
append_literal(GString *out, gunichar c, gboolean in_class)
{
  if (c < 0x80 && g_ascii_isalnum((char)c))
    g_string_append_c(out, (char)c);
  else if (c < 0x20 || c == 0x7f)
    g_string_append_printf(out, "\\x{%02x}", c);
  else if (c < 0x80) {
    /* Any ASCII punctuation escaped is a literal in PCRE2, in and out of classes. */
    g_string_append_c(out, '\\');
    g_string_append_c(out, (char)c);
  } else
    g_string_append_unichar(out, c);
  (void)in_class;
}

static gboolean
emit_literal(Parser *p, gsize src_off, gunichar c, gboolean in_class)
{
  if (c >= 0xd800 && c <= 0xdfff)
    return unsupported(p, src_off,
                       "surrogate code point U+%04X cannot occur in UTF-8 text", c);
  gsize pair[2] = {p->out->len, src_off};
  g_array_append_vals(p->map, pair, 2);
  append_literal(p->out, c, in_class);
  return TRUE;
}

/* \d \D \s \S \w \W. Python's str \s also matches \x1c-\x1f; PCRE2's does not. */
static void
emit_category(Parser *p, gsize src_off, char cat, gboolean in_class)
{
  if (!p->ascii && cat == 's')
    emit(p, src_off, in_class ? "\\s\\x{1c}-\\x{1f}" : "[\\s\\x{1c}-\\x{1f}]");
  else if (!p->ascii && cat == 'S' && !in_class)
    emit(p, src_off, "[^\\s\\x{1c}-\\x{1f}]");
  else {
    char text[3] = {'\\', cat, 0};
    emit(p, src_off, text);
  }
}

/* ---- groups -------------------------------------------------------------------- */

static guint
n_groups(Parser *p)
{
  return p->names->len - 1;
}

static gboolean
group_closed(Parser *p, guint g)
{
  return g < p->closed->len && g_array_index(p->closed, gboolean, g);
}

static gboolean
is_identifier(const char *s, gsize len)
{
  if (len == 0 || !g_utf8_validate_len(s, len, NULL))
    return FALSE;
  gboolean first = TRUE;
  for (const char *q = s; q < s + len; q = g_utf8_next_char(q), first = FALSE) {
    gunichar c = g_utf8_get_char(q);
    GUnicodeType t = g_unichar_type(c);
    gboolean start = c == '_' || g_unichar_isalpha(c) || t == G_UNICODE_LETTER_NUMBER;
    gboolean cont = start || t == G_UNICODE_DECIMAL_NUMBER || t == G_UNICODE_NON_SPACING_MARK ||
                    t == G_UNICODE_SPACING_MARK || t == G_UNICODE_CONNECT_PUNCTUATION;
    if (first ? !start : !cont)
      return FALSE;
  }
  return TRUE;
}

/* Python's state.checklookbehindgroup. */
static gboolean
check_lookbehind_group(Parser *p, guint g, gsize off)
{
  if (p->lookbehind_groups < 0)
    return TRUE;
  if (!group_closed(p, g))
    return fail(p, off, "cannot refer to an open group");
  if (g >= (guint)p->lookbehind_groups)
    return fail(p, off, "cannot refer to group defined in the same lookbehind subpattern");
  return TRUE;
}

static gboolean
open_group(Parser *p, const char *name, gsize name_off, guint *group)
{
  guint g = n_groups(p) + 1;
  if (name) {
    gpointer old;
    if (g_hash_table_lookup_extended(p->by_name, name, NULL, &old))
      return fail(p, name_off, "redefinition of group name '%s' as group %u; was group %u",
                  name, g, GPOINTER_TO_UINT(old));
    g_hash_table_insert(p->by_name, g_strdup(name), GUINT_TO_POINTER(g));
  }
  if (g > 65535)
    return unsupported(p, name_off, "too many groups");
  g_ptr_array_add(p->names, g_strdup(name));
  Width w = {0, 0};
  gboolean closed = FALSE;
  g_array_append_val(p->widths, w);
  g_array_append_val(p->closed, closed);
  *group = g;
  return TRUE;
}

static void
close_group(Parser *p, guint g, Width w)
{
  g_array_index(p->widths, Width, g) = w;
  g_array_index(p->closed, gboolean, g) = TRUE;
}

static gboolean
emit_groupref(Parser *p, guint g, gsize off, Width *w)
{
  g_autofree char *text = g_strdup_printf("\\g{%u}", g);
  emit(p, off, text);
  *w = g_array_index(p->widths, Width, g);
  return TRUE;
}

/* ---- escapes ------------------------------------------------------------------- */

typedef enum { ESC_LITERAL, ESC_CATEGORY, ESC_AT, ESC_GROUPREF } EscKind;

typedef struct {
  EscKind kind;
  gunichar c;  /* literal */
  char cat;    /* category or AT letter */
  guint group; /* group reference */
} Esc;

static gboolean
hex_escape(Parser *p, const Tok *t, gsize ndigits, Esc *e)
{
  gsize start = p->pos;
  gsize n = get_while(p, ndigits, HEXDIGITS);
  if (n != ndigits) {
    g_autofree char *esc = g_strndup(p->src + t->start, p->pos - t->start);
    return fail(p, t->start, "incomplete escape %s", esc);
  }
  g_autofree char *digits = g_strndup(p->src + start, n);
  guint64 v = g_ascii_strtoull(digits, NULL, 16);
  if (v > 0x10ffff) {
    g_autofree char *esc = g_strndup(p->src + t->start, p->pos - t->start);
    return fail(p, t->start, "bad escape %s", esc);
  }
  e->kind = ESC_LITERAL;
  e->c = (gunichar)v;
  return TRUE;
}

static gboolean
named_escape(Parser *p, const Tok *t)
{
  if (!match(p, '{'))
    return p->error ? FALSE : fail(p, p->pos, "missing {");
  gsize s, e;
  if (!get_until(p, '}', "character name", &s, &e))
    return FALSE;
  g_autofree char *name = g_strndup(p->src + s, e - s);
  return unsupported(p, t->start,
                     "named Unicode escape \\N{%s} is not supported, write the character "
                     "itself or \\uXXXX",
                     name);
}

static gboolean
bad_escape(Parser *p, const Tok *t)
{
  g_autofree char *esc = g_strndup(p->src + t->start, t->end - t->start);
  return fail(p, t->start, "bad escape %s", esc);
}

/* Escapes that mean the same inside and outside classes (Python's ESCAPES). */
static gboolean
simple_escape(gunichar c, gunichar *value)
{
  switch (c) {
  case 'a': *value = 7; return TRUE;
  case 'f': *value = 12; return TRUE;
  case 'n': *value = 10; return TRUE;
  case 'r': *value = 13; return TRUE;
  case 't': *value = 9; return TRUE;
  case 'v': *value = 11; return TRUE;
  case '\\': *value = '\\'; return TRUE;
  default: return FALSE;
  }
}

/* \x \u \U \N and the plain-literal rule, shared by both escape readers. */
static gboolean
common_escape(Parser *p, const Tok *t, Esc *e, gboolean *handled)
{
  *handled = TRUE;
  switch (t->c) {
  case 'x': return hex_escape(p, t, 2, e);
  case 'u': return hex_escape(p, t, 4, e);
  case 'U': return hex_escape(p, t, 8, e);
  case 'N': return named_escape(p, t);
  default: break;
  }
  if (t->c < 0x80 && g_ascii_isdigit((char)t->c)) {
    *handled = FALSE;
    return TRUE;
  }
  if (t->c < 0x80 && g_ascii_isalpha((char)t->c))
    return bad_escape(p, t);
  e->kind = ESC_LITERAL;
  e->c = t->c;
  return TRUE;
}

static gboolean
octal_value(Parser *p, const Tok *t, Esc *e)
{
  g_autofree char *digits = g_strndup(p->src + t->start + 1, p->pos - t->start - 1);
  guint64 v = g_ascii_strtoull(digits, NULL, 8);
  if (v > 0377)
    return fail(p, t->start, "octal escape value \\%s outside of range 0-0o377", digits);
  e->kind = ESC_LITERAL;
  e->c = (gunichar)v;
  return TRUE;
}

/* Python's _class_escape. */
static gboolean
class_escape(Parser *p, const Tok *t, Esc *e)
{
  if (t->c == 'b') {
    e->kind = ESC_LITERAL;
    e->c = 8;
    return TRUE;
  }
  if (simple_escape(t->c, &e->c)) {
    e->kind = ESC_LITERAL;
    return TRUE;
  }
  if (t->c < 0x80 && strchr("dDsSwW", (int)t->c) && t->c) {
    e->kind = ESC_CATEGORY;
    e->cat = (char)t->c;
    return TRUE;
  }
  gboolean handled;
  if (!common_escape(p, t, e, &handled) || handled)
    return !p->error;
  if (strchr(OCTDIGITS, (int)t->c)) {
    get_while(p, 2, OCTDIGITS);
    return octal_value(p, t, e);
  }
  return bad_escape(p, t); /* \8, \9 */
}

/* Python's _escape (outside classes). */
static gboolean
item_escape(Parser *p, const Tok *t, Esc *e)
{
  if (t->c < 0x80 && strchr("AbBZ", (int)t->c) && t->c) {
    e->kind = ESC_AT;
    e->cat = (char)t->c;
    return TRUE;
  }
  if (t->c < 0x80 && strchr("dDsSwW", (int)t->c) && t->c) {
    e->kind = ESC_CATEGORY;
    e->cat = (char)t->c;
    return TRUE;
  }
  if (simple_escape(t->c, &e->c)) {
    e->kind = ESC_LITERAL;
    return TRUE;
  }
  gboolean handled;
  if (!common_escape(p, t, e, &handled) || handled)
    return !p->error;
  if (t->c == '0') {
    get_while(p, 2, OCTDIGITS);
    return octal_value(p, t, e);
  }
  /* \1..\99 is a group reference unless three octal digits make an octal escape. */
  if (p->pos < p->len && g_ascii_isdigit(p->src[p->pos])) {
    p->pos++;
    if (strchr(OCTDIGITS, (int)t->c) && strchr(OCTDIGITS, p->src[p->pos - 1]) &&
        p->pos < p->len && p->src[p->pos] && strchr(OCTDIGITS, p->src[p->pos])) {
      p->pos++;
      return octal_value(p, t, e);
    }
  }
  g_autofree char *digits = g_strndup(p->src + t->start + 1, p->pos - t->start - 1);
  guint g = (guint)g_ascii_strtoull(digits, NULL, 10);
  if (g == 0 || g > n_groups(p))
    return fail(p, t->start + 1, "invalid group reference %u", g);
  if (!group_closed(p, g))
    return fail(p, t->start, "cannot refer to an open group");
  if (!check_lookbehind_group(p, g, t->start))
    return FALSE;
  e->kind = ESC_GROUPREF;
  e->group = g;
  return TRUE;
}

static gboolean
emit_escape_item(Parser *p, const Tok *t, ItemKind *kind, Width *w)
{
  Esc e = {0};
  if (!item_escape(p, t, &e))
    return FALSE;
  *kind = ITEM_OTHER;
  *w = (Width){1, 1};
  switch (e.kind) {
  case ESC_LITERAL:
    return emit_literal(p, t->start, e.c, FALSE);
  case ESC_CATEGORY:
    emit_category(p, t->start, e.cat, FALSE);
    return TRUE;
  case ESC_AT:
    *kind = ITEM_AT;
    *w = (Width){0, 0};
    emit(p, t->start, e.cat == 'Z' ? "\\z" : e.cat == 'A' ? "\\A" : e.cat == 'b' ? "\\b" : "\\B");
    return TRUE;
  case ESC_GROUPREF:
    return emit_groupref(p, e.group, t->start, w);
  }
  return TRUE;
}

/* ---- character classes --------------------------------------------------------- */

static gboolean
class_item(Parser *p, const Tok *t, Esc *e)
{
  if (t->esc)
    return class_escape(p, t, e);
  e->kind = ESC_LITERAL;
  e->c = t->c;
  return TRUE;
}

static void
emit_class_item(Parser *p, gsize off, const Esc *e)
{
  if (e->kind == ESC_CATEGORY)
    emit_category(p, off, e->cat, TRUE);
  else
    emit_literal(p, off, e->c, TRUE);
}

static gboolean
parse_class(Parser *p, gsize here)
{
  emit(p, here, match(p, '^') ? "[^" : "[");
  guint items = 0;
  for (;;) {
    Tok t, t2;
    if (!get(p, &t))
      return p->error ? FALSE : fail(p, here, "unterminated character set");
    if (!t.esc && t.c == ']' && items)
      break;
    Esc e1 = {0}, e2 = {0};
    if (!class_item(p, &t, &e1))
      return FALSE;
    items++;
    if (!match(p, '-')) {
      if (p->error)
        return FALSE;
      emit_class_item(p, t.start, &e1);
      continue;
    }
    if (!get(p, &t2))
      return p->error ? FALSE : fail(p, here, "unterminated character set");
    if (!t2.esc && t2.c == ']') {
      emit_class_item(p, t.start, &e1);
      emit(p, t2.start - 1, "\\-");
      break;
    }
    if (!class_item(p, &t2, &e2))
      return FALSE;
    if (e1.kind != ESC_LITERAL || e2.kind != ESC_LITERAL || e2.c < e1.c) {
      g_autofree char *a = g_strndup(p->src + t.start, t.end - t.start);
      g_autofree char *b = g_strndup(p->src + t2.start, t2.end - t2.start);
      return fail(p, t.start, "bad character range %s-%s", a, b);
    }
    if (!emit_literal(p, t.start, e1.c, TRUE))
      return FALSE;
    emit(p, t.end, "-");
    if (!emit_literal(p, t2.start, e2.c, TRUE))
      return FALSE;
  }
  emit(p, p->pos - 1, "]");
  return TRUE;
}

/* ---- quantifiers --------------------------------------------------------------- */

static guint64
sat_mul(guint64 a, guint64 b)
{
  if (a == 0 || b == 0)
    return 0;
  return a > MAXREPEAT / b ? MAXREPEAT : MIN(a * b, MAXREPEAT);
}

static guint64
sat_add(guint64 a, guint64 b)
{
  return MIN(a + b, MAXREPEAT);
}

/* Reads "{m}", "{m,}", "{,n}", "{m,n}" after the "{" at HERE. Returns FALSE (and no
 * error) when the braces are not a quantifier: the caller then makes "{" a literal. */
static gboolean
brace_bounds(Parser *p, gsize here, guint64 *min, guint64 *max, gboolean *is_quant)
{
  gsize after = p->pos;
  *is_quant = FALSE;
  if (next_is(p, '}'))
    return TRUE;
  gsize lo_start = p->pos, lo_n = get_while(p, G_MAXSIZE, DIGITS);
  gsize hi_start = p->pos, hi_n = lo_n;
  if (match(p, ',')) {
    hi_start = p->pos;
    hi_n = get_while(p, G_MAXSIZE, DIGITS);
  } else
    hi_start = lo_start;
  if (!match(p, '}')) {
    p->pos = after;
    return !p->error;
  }
  *min = 0;
  *max = MAXREPEAT;
  if (lo_n) {
    g_autofree char *lo = g_strndup(p->src + lo_start, lo_n);
    *min = g_ascii_strtoull(lo, NULL, 10);
    if (*min >= MAXREPEAT)
      return fail(p, here, "the repetition number is too large");
  }
  if (hi_n) {
    g_autofree char *hi = g_strndup(p->src + hi_start, hi_n);
    *max = g_ascii_strtoull(hi, NULL, 10);
    if (*max >= MAXREPEAT)
      return fail(p, here, "the repetition number is too large");
    if (*max < *min)
      return fail(p, here + 1, "min repeat greater than max repeat");
  }
  *is_quant = TRUE;
  return TRUE;
}

/* Handles a quantifier character C at HERE. *LAST is the kind of the previous item;
 * *LAST_W its width, updated to the repeated width. Returns FALSE on error. Sets
 * *literal when a "{" turned out to be a literal. */
static gboolean
quantifier(Parser *p, gunichar c, gsize here, ItemKind *last, Width *last_w, gboolean *literal)
{
  guint64 min = 0, max = MAXREPEAT;
  gboolean braces = c == '{';
  *literal = FALSE;
  if (c == '?')
    max = 1;
  else if (c == '+')
    min = 1;
  else if (braces) {
    gboolean is_quant;
    if (!brace_bounds(p, here, &min, &max, &is_quant))
      return FALSE;
    if (!is_quant) {
      *literal = TRUE;
      return TRUE;
    }
  }
  if (*last == ITEM_NONE || *last == ITEM_AT)
    return fail(p, here, "nothing to repeat");
  if (*last == ITEM_REPEAT)
    return fail(p, here, "multiple repeat");
  if (!braces) {
    char text[2] = {(char)c, 0};
    emit(p, here, text);
  } else {
    g_autofree char *text = max == MAXREPEAT
                                ? g_strdup_printf("{%" G_GUINT64_FORMAT ",}", min)
                                : g_strdup_printf("{%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "}", min, max);
    emit(p, here, text);
  }
  if (match(p, '?'))
    emit(p, p->pos - 1, "?");
  else if (match(p, '+'))
    emit(p, p->pos - 1, "+");
  last_w->lo = sat_mul(last_w->lo, min);
  last_w->hi = sat_mul(last_w->hi, max);
  *last = ITEM_REPEAT;
  return !p->error;
}

/* ---- groups and flags ---------------------------------------------------------- */

static gboolean parse_sub(Parser *p, gboolean verbose, guint nested, Width *w);
static gboolean parse_seq(Parser *p, gboolean verbose, guint nested, gboolean first, Width *w);

#define FLAG_I 1u
#define FLAG_M 2u
#define FLAG_S 4u
#define FLAG_X 8u
#define FLAG_A 16u
#define FLAG_U 32u
#define FLAG_L 64u
#define FLAG_T 128u

static guint
flag_bit(gunichar c)
{
  switch (c) {
  case 'i': return FLAG_I;
  case 'm': return FLAG_M;
  case 's': return FLAG_S;
  case 'x': return FLAG_X;
  case 'a': return FLAG_A;
  case 'u': return FLAG_U;
  case 'L': return FLAG_L;
  case 't': return FLAG_T;
  default: return 0;
  }
}

#define TYPE_FLAGS (FLAG_A | FLAG_U | FLAG_L)

/* Python's _parse_flags, FIRST is the flag character already read. Sets *global when
 * the flags end with ")" (global flags), else *add and *del for a "(?flags:...)" group. */
static gboolean
parse_flags(Parser *p, gunichar first, guint *add, guint *del, gboolean *global)
{
  Tok t;
  gunichar c = first;
  *add = *del = 0;
  *global = FALSE;
  if (c != '-') {
    for (;;) {
      guint f = flag_bit(c);
      if (f == FLAG_L)
        return fail(p, p->pos, "bad inline flags: cannot use 'L' flag with a str pattern");
      *add |= f;
      if ((f & TYPE_FLAGS) && (*add & TYPE_FLAGS) != f)
        return fail(p, p->pos, "bad inline flags: flags 'a', 'u' and 'L' are incompatible");
      if (!get(p, &t))
        return p->error ? FALSE : fail(p, p->pos, "missing -, : or )");
      c = t.esc ? '\\' : t.c;
      if (!t.esc && (c == ')' || c == '-' || c == ':'))
        break;
      if (t.esc || !flag_bit(c))
        return fail(p, t.start, g_unichar_isalpha(c) && !t.esc ? "unknown flag" : "missing -, : or )");
    }
  }
  if (c == ')') {
    *global = TRUE;
    return TRUE;
  }
  if (*add & FLAG_T)
    return fail(p, p->pos - 1, "bad inline flags: cannot turn on global flag");
  if (c == '-') {
    if (!get(p, &t))
      return p->error ? FALSE : fail(p, p->pos, "missing flag");
    if (t.esc || !flag_bit(t.c))
      return fail(p, t.start, g_unichar_isalpha(t.c) && !t.esc ? "unknown flag" : "missing flag");
    for (;;) {
      guint f = flag_bit(t.c);
      if (f & TYPE_FLAGS)
        return fail(p, p->pos, "bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
      *del |= f;
      if (!get(p, &t))
        return p->error ? FALSE : fail(p, p->pos, "missing :");
      if (!t.esc && t.c == ':')
        break;
      if (t.esc || !flag_bit(t.c))
        return fail(p, t.start, g_unichar_isalpha(t.c) && !t.esc ? "unknown flag" : "missing :");
    }
  }
  if (*del & FLAG_T)
    return fail(p, p->pos - 1, "bad inline flags: cannot turn off global flag");
  if (*add & *del)
    return fail(p, p->pos - 1, "bad inline flags: flag turned on and off");
  return TRUE;
}

static void
append_flag_letters(GString *s, guint flags)
{
  if (flags & FLAG_I)
    g_string_append_c(s, 'i');
  if (flags & FLAG_M)
    g_string_append_c(s, 'm');
  if (flags & FLAG_S)
    g_string_append_c(s, 's');
}

static gboolean
expect_close(Parser *p, gsize start)
{
  if (match(p, ')'))
    return TRUE;
  return p->error ? FALSE : fail(p, start, "missing ), unterminated subpattern");
}

static gboolean
parse_lookaround(Parser *p, gsize start, gunichar kind, gboolean behind, gboolean verbose,
                 guint nested)
{
  emit(p, start, behind ? (kind == '=' ? "(?<=" : "(?<!") : (kind == '=' ? "(?=" : "(?!"));
  gint saved = p->lookbehind_groups;
  if (behind && saved < 0)
    p->lookbehind_groups = (gint)n_groups(p) + 1;
  Width w;
  gboolean ok = parse_sub(p, verbose, nested + 1, &w);
  if (behind && saved < 0)
    p->lookbehind_groups = -1;
  if (!ok || !expect_close(p, start))
    return FALSE;
  if (behind && w.lo != w.hi && !p->width_error)
    g_set_error(&p->width_error, F2B_PYRE_ERROR, F2B_PYRE_ERROR_SYNTAX,
                "look-behind requires fixed-width pattern");
  emit(p, p->pos - 1, ")");
  return TRUE;
}

static gboolean
parse_conditional(Parser *p, gsize start, gboolean verbose, guint nested, Width *w)
{
  gsize s, e;
  if (!get_until(p, ')', "group name", &s, &e))
    return FALSE;
  g_autofree char *name = g_strndup(p->src + s, e - s);
  guint g;
  if (is_identifier(name, e - s)) {
    gpointer v;
    if (!g_hash_table_lookup_extended(p->by_name, name, NULL, &v))
      return fail(p, s, "unknown group name '%s'", name);
    g = GPOINTER_TO_UINT(v);
  } else {
    char *endp;
    guint64 n = g_ascii_strtoull(name, &endp, 10);
    if (!g_ascii_isdigit(name[0]) || *endp)
      return fail(p, s, "bad character in group name '%s'", name);
    if (n == 0)
      return fail(p, s, "bad group number");
    if (n > 65535)
      return fail(p, s, "invalid group reference %" G_GUINT64_FORMAT, n);
    g = (guint)n;
    gsize ref[2] = {g, s};
    g_array_append_vals(p->cond_refs, ref, 2);
  }
  if (g <= n_groups(p) && !check_lookbehind_group(p, g, s))
    return FALSE;
  if (g > n_groups(p) && p->lookbehind_groups >= 0)
    return fail(p, s, "cannot refer to an open group");
  g_autofree char *head = g_strdup_printf("(?(%u)", g);
  emit(p, start, head);
  Width yes, no;
  if (!parse_seq(p, verbose, nested + 1, FALSE, &yes))
    return FALSE;
  gboolean has_no = match(p, '|');
  if (has_no) {
    emit(p, p->pos - 1, "|");
    if (!parse_seq(p, verbose, nested + 1, FALSE, &no))
      return FALSE;
    if (next_is(p, '|'))
      return fail(p, p->pos, "conditional backref with more than two branches");
  }
  if (!expect_close(p, start))
    return FALSE;
  emit(p, p->pos - 1, ")");
  w->lo = has_no ? MIN(yes.lo, no.lo) : 0;
  w->hi = has_no ? MAX(yes.hi, no.hi) : yes.hi;
  return TRUE;
}

static gboolean
parse_group_body(Parser *p, gsize start, const char *open, gboolean capture,
                 const char *name, gsize name_off, gboolean verbose, guint nested, Width *w)
{
  guint g = 0;
  if (capture && !open_group(p, name, name_off, &g))
    return FALSE;
  emit(p, start, open);
  gsize body = p->out->len;
  if (!parse_sub(p, verbose, nested + 1, w) || !expect_close(p, start))
    return FALSE;
  if (capture)
    close_group(p, g, *w);
  if (capture && p->depth == 1) {
    p->last_top_group = g;
    p->last_top_body = body;
    p->last_top_end = p->out->len;
  }
  emit(p, p->pos - 1, ")");
  return TRUE;
}

static gboolean
parse_named(Parser *p, gsize start, gboolean verbose, guint nested, ItemKind *kind, Width *w)
{
  gsize s, e;
  Tok t;
  if (match(p, '<')) {
    if (!get_until(p, '>', "group name", &s, &e))
      return FALSE;
    g_autofree char *name = g_strndup(p->src + s, e - s);
    if (!is_identifier(name, e - s))
      return fail(p, s, "bad character in group name '%s'", name);
    return parse_group_body(p, start, "(", TRUE, name, s, verbose, nested, w);
  }
  if (match(p, '=')) {
    if (!get_until(p, ')', "group name", &s, &e))
      return FALSE;
    g_autofree char *name = g_strndup(p->src + s, e - s);
    if (!is_identifier(name, e - s))
      return fail(p, s, "bad character in group name '%s'", name);
    gpointer v;
    if (!g_hash_table_lookup_extended(p->by_name, name, NULL, &v))
      return fail(p, s, "unknown group name '%s'", name);
    guint g = GPOINTER_TO_UINT(v);
    if (!group_closed(p, g))
      return fail(p, s, "cannot refer to an open group");
    if (!check_lookbehind_group(p, g, s))
      return FALSE;
    *kind = ITEM_OTHER;
    return emit_groupref(p, g, start, w);
  }
  if (!get(p, &t))
    return p->error ? FALSE : fail(p, p->pos, "unexpected end of pattern");
  g_autofree char *ext = g_strndup(p->src + t.start, t.end - t.start);
  return fail(p, start + 1, "unknown extension ?P%s", ext);
}

static gboolean
skip_comment(Parser *p, gsize start)
{
  Tok t;
  for (;;) {
    if (!get(p, &t))
      return p->error ? FALSE : fail(p, start, "missing ), unterminated comment");
    if (!t.esc && t.c == ')')
      return TRUE;
  }
}

static gboolean
global_flags(Parser *p, gsize start, guint add, gboolean first, gboolean has_items,
             gboolean *verbose)
{
  if (!first || has_items)
    return fail(p, start, "global flags not at the start of the expression");
  if (add & FLAG_T)
    return unsupported(p, start, "the TEMPLATE flag (?t) is not supported");
  if ((add & FLAG_A && p->unicode) || (add & FLAG_U && p->ascii))
    return fail(p, -1, "ASCII and UNICODE flags are incompatible");
  p->ascii = p->ascii || (add & FLAG_A);
  p->unicode = p->unicode || (add & FLAG_U);
  p->dotall = p->dotall || (add & FLAG_S);
  if (add & FLAG_X) {
    p->global_verbose = TRUE;
    *verbose = TRUE;
  }
  if (add & (FLAG_I | FLAG_M | FLAG_S)) {
    GString *s = g_string_new("(?");
    append_flag_letters(s, add);
    g_string_append_c(s, ')');
    emit(p, start, s->str);
    g_string_free(s, TRUE);
  }
  return TRUE;
}

/* After "(" at START. *KIND tells the caller what kind of item was added (ITEM_NONE
 * for comments and global flags). */
static gboolean
parse_paren(Parser *p, gsize start, gboolean *verbose, guint nested, gboolean first,
            gboolean has_items, ItemKind *kind, Width *w)
{
  Tok t;
  *kind = ITEM_OTHER;
  *w = (Width){0, 0};
  if (++p->depth > MAX_NESTING)
    return unsupported(p, start, "too many nested parentheses");
  gboolean ok;
  if (!match(p, '?')) {
    ok = !p->error && parse_group_body(p, start, "(", TRUE, NULL, start, *verbose, nested, w);
    p->depth--;
    return ok;
  }
  if (!get(p, &t))
    return p->error ? FALSE : fail(p, p->pos, "unexpected end of pattern");
  gunichar c = t.esc ? 0 : t.c;
  if (c == 'P')
    ok = parse_named(p, start, *verbose, nested, kind, w);
  else if (c == ':')
    ok = parse_group_body(p, start, "(?:", FALSE, NULL, 0, *verbose, nested, w);
  else if (c == '#') {
    *kind = ITEM_NONE;
    ok = skip_comment(p, start);
  } else if (c == '=' || c == '!')
    ok = parse_lookaround(p, start, c, FALSE, *verbose, nested);
  else if (c == '<') {
    Tok k;
    if (!get(p, &k))
      ok = p->error ? FALSE : fail(p, p->pos, "unexpected end of pattern");
    else if (k.esc || (k.c != '=' && k.c != '!')) {
      g_autofree char *ext = g_strndup(p->src + k.start, k.end - k.start);
      ok = fail(p, start + 1, "unknown extension ?<%s", ext);
    } else
      ok = parse_lookaround(p, start, k.c, TRUE, *verbose, nested);
  } else if (c == '(')
    ok = parse_conditional(p, start, *verbose, nested, w);
  else if (c == '>')
    ok = parse_group_body(p, start, "(?>", FALSE, NULL, 0, *verbose, nested, w);
  else if (c && (flag_bit(c) || c == '-')) {
    guint add, del;
    gboolean global;
    ok = parse_flags(p, c, &add, &del, &global);
    if (ok && global) {
      *kind = ITEM_NONE;
      ok = global_flags(p, start, add, first, has_items, verbose);
    } else if (ok && (add & FLAG_A))
      ok = unsupported(p, start, "a local ASCII flag (?a:...) is not supported by PCRE2, "
                                 "use a global (?a) at the start of the regex");
    else if (ok) {
      gboolean sub_verbose = (*verbose || (add & FLAG_X)) && !(del & FLAG_X);
      GString *open = g_string_new("(?");
      append_flag_letters(open, add);
      if (del & (FLAG_I | FLAG_M | FLAG_S)) {
        g_string_append_c(open, '-');
        append_flag_letters(open, del);
      }
      g_string_append_c(open, ':');
      ok = parse_group_body(p, start, open->str, FALSE, NULL, 0, sub_verbose, nested, w);
      g_string_free(open, TRUE);
    }
  } else {
    g_autofree char *ext = g_strndup(p->src + t.start, t.end - t.start);
    ok = fail(p, start + 1, "unknown extension ?%s", ext);
  }
  p->depth--;
  return ok;
}

/* ---- sequences and alternations ------------------------------------------------- */

static void
skip_verbose_comment(Parser *p)
{
  while (p->pos < p->len && p->src[p->pos] != '\n')
    p->pos++;
  if (p->pos < p->len)
    p->pos++;
}

/* Python's _parse: items up to "|" or ")" or the end. The width is that of the
 * items before the last one (PREFIX) plus the last one, which a quantifier may
 * still repeat. */
static gboolean
parse_seq(Parser *p, gboolean verbose, guint nested, gboolean first, Width *w)
{
  ItemKind last = ITEM_NONE;
  Width last_w = {0, 0}, prefix = {0, 0};
  gboolean has_items = FALSE;
  Tok t;
  for (;;) {
    if (!peek(p, &t))
      break;
    if (!t.esc && (t.c == '|' || t.c == ')'))
      break;
    p->pos = t.end;
    if (verbose && !t.esc && t.c < 0x80 && strchr(" \t\n\r\v\f", (int)t.c))
      continue;
    if (verbose && !t.esc && t.c == '#') {
      skip_verbose_comment(p);
      continue;
    }
    ItemKind kind = ITEM_OTHER;
    Width iw = {1, 1};
    if (!t.esc && (t.c == '*' || t.c == '+' || t.c == '?' || t.c == '{')) {
      gboolean literal;
      if (!quantifier(p, t.c, t.start, &last, &last_w, &literal))
        return FALSE;
      if (!literal)
        continue;
      emit(p, t.start, "\\{");
    } else if (t.esc) {
      if (!emit_escape_item(p, &t, &kind, &iw))
        return FALSE;
    } else if (t.c == '[') {
      if (!parse_class(p, t.start))
        return FALSE;
    } else if (t.c == '.') {
      emit(p, t.start, ".");
    } else if (t.c == '^' || t.c == '$') {
      emit(p, t.start, t.c == '^' ? "^" : "$");
      kind = ITEM_AT;
      iw = (Width){0, 0};
    } else if (t.c == '(') {
      if (!parse_paren(p, t.start, &verbose, nested, first, has_items, &kind, &iw))
        return FALSE;
      if (kind == ITEM_NONE)
        continue;
    } else if (!emit_literal(p, t.start, t.c, FALSE))
      return FALSE;
    prefix.lo = sat_add(prefix.lo, last_w.lo);
    prefix.hi = sat_add(prefix.hi, last_w.hi);
    last = kind;
    last_w = iw;
    has_items = TRUE;
  }
  w->lo = sat_add(prefix.lo, last_w.lo);
  w->hi = sat_add(prefix.hi, last_w.hi);
  return !p->error;
}

/* Python's _parse_sub: alternatives separated by "|". */
static gboolean
parse_sub(Parser *p, gboolean verbose, guint nested, Width *w)
{
  gboolean first_alt = TRUE;
  for (;;) {
    Width bw;
    if (!parse_seq(p, verbose, nested + 1, nested == 0 && first_alt, &bw))
      return FALSE;
    if (first_alt)
      *w = bw;
    else {
      w->lo = MIN(w->lo, bw.lo);
      w->hi = MAX(w->hi, bw.hi);
    }
    first_alt = FALSE;
    if (!match(p, '|'))
      break;
    emit(p, p->pos - 1, "|");
    if (nested == 0) {
      verbose = p->global_verbose;
      p->top_alternation = TRUE;
    }
  }
  return !p->error;
}

/* ---- entry points -------------------------------------------------------------- */

static gboolean
check_end(Parser *p)
{
  if (!at_end(p))
    return fail(p, p->pos, "unbalanced parenthesis");
  for (guint i = 0; i < p->cond_refs->len; i += 2) {
    gsize g = g_array_index(p->cond_refs, gsize, i);
    if (g > n_groups(p))
      return fail(p, g_array_index(p->cond_refs, gsize, i + 1), "invalid group reference %zu", g);
  }
  if (p->width_error) {
    g_propagate_error(&p->error, g_steal_pointer(&p->width_error));
    return FALSE;
  }
  return TRUE;
}

/* The tail f2b_pyre_compile_tail_for_ascii elides: the output ends with the last
 * top-level capturing group, whose body is a lone greedy ".+" or ".*", then "$".
 * A "$" the output ends with is the anchor (a literal one is written "\\$"), and
 * the group's ")" just before it is its own when its body ends there. */
static void
find_tail(Parser *p, F2bPyre *re)
{
  const char *s = p->out->str;
  gsize n = p->out->len;
  if (p->top_alternation || p->dotall || p->last_top_group == 0 ||
      p->last_top_end + 2 != n || strcmp(s + n - 2, ")$") != 0 ||
      p->last_top_end - p->last_top_body != 2 || s[p->last_top_body] != '.' ||
      (s[p->last_top_body + 1] != '+' && s[p->last_top_body + 1] != '*'))
    return;
  re->tail_group = p->last_top_group;
  re->tail_nonempty = s[p->last_top_body + 1] == '+';
  re->tail_pattern = g_strdup_printf("%.*s%s)", (int) p->last_top_body, s,
                                     re->tail_nonempty ? "(?=.)" : "");
}

F2bPyre *
f2b_pyre_translate(const char *pattern, GError **error)
{
  g_return_val_if_fail(pattern != NULL, NULL);
  gsize len = strlen(pattern);
  if (!g_utf8_validate_len(pattern, len, NULL)) {
    g_set_error(error, F2B_PYRE_ERROR, F2B_PYRE_ERROR_SYNTAX, "regex is not valid UTF-8");
    return NULL;
  }
  Parser p = {
      .src = pattern,
      .len = len,
      .out = g_string_new(NULL),
      .map = g_array_new(FALSE, FALSE, sizeof(gsize)),
      .names = g_ptr_array_new_with_free_func(g_free),
      .widths = g_array_new(FALSE, TRUE, sizeof(Width)),
      .closed = g_array_new(FALSE, TRUE, sizeof(gboolean)),
      .by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
      .lookbehind_groups = -1,
      .cond_refs = g_array_new(FALSE, FALSE, sizeof(gsize)),
  };
  Width zero = {0, 0};
  gboolean f = FALSE;
  g_ptr_array_add(p.names, NULL);
  g_array_append_val(p.widths, zero);
  g_array_append_val(p.closed, f);
  Width w;
  gboolean ok = parse_sub(&p, FALSE, 0, &w) && check_end(&p);
  F2bPyre *re = NULL;
  if (ok) {
    re = g_new0(F2bPyre, 1);
    re->ascii = p.ascii;
    re->n_groups = n_groups(&p);
    g_ptr_array_add(p.names, NULL);
    re->group_names = (char **)g_ptr_array_free(g_steal_pointer(&p.names), FALSE);
    find_tail(&p, re);
    re->pattern = g_string_free(g_steal_pointer(&p.out), FALSE);
    re->offset_map = g_steal_pointer(&p.map);
  } else
    g_propagate_error(error, g_steal_pointer(&p.error));
  if (p.out)
    g_string_free(p.out, TRUE);
  if (p.map)
    g_array_unref(p.map);
  if (p.names)
    g_ptr_array_unref(p.names);
  g_array_unref(p.widths);
  g_array_unref(p.closed);
  g_hash_table_unref(p.by_name);
  g_array_unref(p.cond_refs);
  g_clear_error(&p.error);
  g_clear_error(&p.width_error);
  return re;
}

void
f2b_pyre_free(F2bPyre *re)
{
  if (!re)
    return;
  g_free(re->pattern);
  g_free(re->tail_pattern);
  for (guint i = 0; i <= re->n_groups; i++)
    g_free(re->group_names[i]);
  g_free(re->group_names);
  if (re->offset_map)
    g_array_unref(re->offset_map);
  g_free(re);
}

void
f2b_pyre_drop_offsets(F2bPyre *re)
{
  g_clear_pointer(&re->offset_map, g_array_unref);
}

/* Compiles without JIT code (see lazyjit.h). */
static pcre2_code *
pyre_compile(const F2bPyre *re, const char *pattern, const char *source, guint32 options,
             gboolean unicode, gboolean ucp, GError **error)
{
  pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
  pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
  if (unicode)
    options |= PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | (ucp ? PCRE2_UCP : 0);
  int errcode;
  PCRE2_SIZE erroff;
  pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, options,
                                   &errcode, &erroff, cctx);
  pcre2_compile_context_free(cctx);
  if (!code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(errcode, msg, sizeof msg);
    g_autofree char *where = f2b_pyre_position_suffix(source, f2b_pyre_source_offset(re, erroff));
    g_set_error(error, F2B_PYRE_ERROR, F2B_PYRE_ERROR_UNSUPPORTED, "%s%s (PCRE2)", (char *)msg,
                where);
    return NULL;
  }
  return code;
}

pcre2_code *
f2b_pyre_compile(const F2bPyre *re, const char *source, guint32 options, GError **error)
{
  pcre2_code *code = f2b_pyre_compile_nojit(re, source, options, error);
  if (code)
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return code;
}

pcre2_code *
f2b_pyre_compile_nojit(const F2bPyre *re, const char *source, guint32 options, GError **error)
{
  return pyre_compile(re, re->pattern, source, options, TRUE, !re->ascii, error);
}

/* PATTERN (RE's or its tail-elided one) for pure-ASCII subjects. */
static pcre2_code *
compile_for_ascii(const F2bPyre *re, const char *pattern, const char *source, guint32 options,
                  GError **error)
{
  /* a pattern holding a non-ASCII character (literal or escaped) could match an
   * ASCII one without case; bytes mode would not: keep those in UTF mode */
  for (const char *p = pattern; *p; p++)
    if ((guchar) *p >= 0x80)
      return pyre_compile(re, pattern, source, options, TRUE, FALSE, error);
  return pyre_compile(re, pattern, source, options, FALSE, FALSE, error);
}

pcre2_code *
f2b_pyre_compile_for_ascii(const F2bPyre *re, const char *source, guint32 options,
                           GError **error)
{
  return compile_for_ascii(re, re->pattern, source, options, error);
}

pcre2_code *
f2b_pyre_compile_tail_for_ascii(const F2bPyre *re, const char *source, guint32 options,
                                GError **error)
{
  if (re->tail_pattern == NULL)
    return NULL;
  return compile_for_ascii(re, re->tail_pattern, source, options, error);
}

gboolean
f2b_pyre_tail_applies(const char *subject, gsize len)
{
  const char *nl = len ? memchr(subject, '\n', len) : NULL;
  return nl == NULL || nl == subject + len - 1;
}

gsize
f2b_pyre_source_offset(const F2bPyre *re, gsize offset)
{
  gsize best = 0;
  for (guint i = 0; re->offset_map && i + 1 < re->offset_map->len; i += 2) {
    if (g_array_index(re->offset_map, gsize, i) > offset)
      break;
    best = g_array_index(re->offset_map, gsize, i + 1);
  }
  return best;
}

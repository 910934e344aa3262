/* timeutil.c - fail2ban's str2seconds without eval (see timeutil.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <pcre2.h>
#include <string.h>

G_DEFINE_QUARK(f2b-timeutil-error-quark, f2b_timeutil_error)

/* Replaces every match of PATTERN in S by REPLACEMENT ($1 style groups). */
static char *
re_sub(const char *pattern, const char *replacement, const char *s)
{
  int err;
  PCRE2_SIZE off;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &err, &off, NULL);
  g_assert(re != NULL);
  PCRE2_SIZE outlen = strlen(s) * 8 + 64;
  char *out = g_malloc(outlen);
  int rc = pcre2_substitute(re, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0,
                            PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH, NULL, NULL,
                            (PCRE2_SPTR)replacement, PCRE2_ZERO_TERMINATED, (PCRE2_UCHAR *)out, &outlen);
  if (rc == PCRE2_ERROR_NOMEMORY) {
    out = g_realloc(out, outlen + 1);
    rc = pcre2_substitute(re, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, PCRE2_SUBSTITUTE_GLOBAL, NULL, NULL,
                          (PCRE2_SPTR)replacement, PCRE2_ZERO_TERMINATED, (PCRE2_UCHAR *)out, &outlen);
  }
  pcre2_code_free(re);
  if (rc < 0) {
    g_free(out);
    return g_strdup(s);
  }
  return out;
}

char *
f2b_timeutil_str2sec_expand(const char *expr)
{
  static const char *const parts[][2] = {
    { "days?|da|dd?", "*86400" },
    { "weeks?|wee?|ww?", "*604800" },
    { "months?|mon?", "*2629800.0" },
    { "years?|yea?|yy?", "*31557600.0" },
    { "seconds?|sec?|ss?", "*1" },
    { "minutes?|min?|mm?", "*60" },
    { "hours?|hou?|hh?", "*3600" },
  };
  char *v = re_sub("(?<=[a-z])(\\d)", " $1", expr);
  for (guint i = 0; i < G_N_ELEMENTS(parts); i++) {
    g_autofree char *pat = g_strdup_printf("(?<=[\\d\\s])(%s)\\b", parts[i][0]);
    char *n = re_sub(pat, parts[i][1], v);
    g_free(v);
    v = n;
  }
  char *n = re_sub("(\\d)\\s+(\\d)", "$1+$2", v);
  g_free(v);
  return n;
}

/* ---- a tiny evaluator of Python arithmetic on ints and floats ---- */

typedef struct {
  gboolean is_float;
  gint64 i;
  double f;
} Num;

typedef struct {
  const char *p;
  GError **error;
  int depth;
} Parser;

static double
as_f(Num n)
{
  return n.is_float ? n.f : (double)n.i;
}

static gboolean
fail(Parser *ps, const char *msg)
{
  if (ps->error && *ps->error == NULL)
    g_set_error_literal(ps->error, F2B_TIMEUTIL_ERROR, 0, msg);
  return FALSE;
}

static void
skip_ws(Parser *ps)
{
  while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\f' || *ps->p == '\v')
    ps->p++;
}

static gboolean parse_expr(Parser *ps, Num *out);
static gboolean parse_factor(Parser *ps, Num *out);

static gboolean
parse_number(Parser *ps, Num *out)
{
  const char *s = ps->p;
  gboolean flt = FALSE;
  while (g_ascii_isdigit(*ps->p) || *ps->p == '_')
    ps->p++;
  if (*ps->p == '.') {
    flt = TRUE;
    ps->p++;
    while (g_ascii_isdigit(*ps->p) || *ps->p == '_')
      ps->p++;
  }
  if ((*ps->p == 'e' || *ps->p == 'E') &&
      (g_ascii_isdigit(ps->p[1]) || ((ps->p[1] == '+' || ps->p[1] == '-') && g_ascii_isdigit(ps->p[2])))) {
    flt = TRUE;
    ps->p += 2;
    while (g_ascii_isdigit(*ps->p))
      ps->p++;
  }
  if (ps->p == s || (ps->p == s + 1 && *s == '.'))
    return fail(ps, "invalid syntax");
  if (g_ascii_isalpha(*ps->p) || *ps->p == '_')
    return fail(ps, "invalid decimal literal");
  g_autofree char *text = g_strndup(s, ps->p - s);
  GString *clean = g_string_new(NULL);
  for (const char *c = text; *c; c++)
    if (*c != '_')
      g_string_append_c(clean, *c);
  gboolean ok = TRUE;
  if (flt) {
    out->is_float = TRUE;
    out->f = g_ascii_strtod(clean->str, NULL);
  } else {
    /* Python 3 refuses leading zeros in non-zero decimal ints */
    out->is_float = FALSE;
    errno = 0;
    guint64 u = g_ascii_strtoull(clean->str, NULL, 10);
    if (errno != 0 || u > G_MAXINT64)
      ok = fail(ps, "integer out of range");
    else if (clean->str[0] == '0' && u != 0)
      ok = fail(ps, "leading zeros in decimal integer literals are not permitted");
    out->i = (gint64)u;
  }
  g_string_free(clean, TRUE);
  return ok;
}

static gboolean
parse_atom(Parser *ps, Num *out)
{
  skip_ws(ps);
  if (*ps->p == '(') {
    if (++ps->depth > 200)
      return fail(ps, "too many nested parentheses");
    ps->p++;
    if (!parse_expr(ps, out))
      return FALSE;
    skip_ws(ps);
    if (*ps->p != ')')
      return fail(ps, "'(' was never closed");
    ps->p++;
    ps->depth--;
    return TRUE;
  }
  if (g_ascii_isdigit(*ps->p) || *ps->p == '.')
    return parse_number(ps, out);
  if (g_ascii_isalpha(*ps->p) || *ps->p == '_') {
    const char *s = ps->p;
    while (g_ascii_isalnum(*ps->p) || *ps->p == '_')
      ps->p++;
    g_autofree char *name = g_strndup(s, ps->p - s);
    g_autofree char *msg = g_strdup_printf("name '%s' is not defined", name);
    return fail(ps, msg);
  }
  return fail(ps, "invalid syntax");
}

static gboolean
power(Parser *ps, Num a, Num b, Num *out)
{
  if (!a.is_float && !b.is_float && b.i >= 0) {
    gint64 r = 1;
    for (gint64 k = 0; k < b.i; k++) {
      if (a.i != 0 && (r > G_MAXINT64 / ABS(a.i) || r < G_MININT64 / ABS(a.i)))
        return fail(ps, "integer out of range");
      r *= a.i;
      if (r == 0 || r == 1)
        break;
    }
    out->is_float = FALSE;
    out->i = r;
    return TRUE;
  }
  if (as_f(a) == 0.0 && as_f(b) < 0)
    return fail(ps, "0.0 cannot be raised to a negative power");
  out->is_float = TRUE;
  out->f = pow(as_f(a), as_f(b));
  return TRUE;
}

static gboolean
parse_power(Parser *ps, Num *out)
{
  if (!parse_atom(ps, out))
    return FALSE;
  skip_ws(ps);
  if (ps->p[0] == '*' && ps->p[1] == '*') {
    ps->p += 2;
    Num e;
    if (!parse_factor(ps, &e))
      return FALSE;
    return power(ps, *out, e, out);
  }
  return TRUE;
}

static gboolean
parse_factor(Parser *ps, Num *out)
{
  skip_ws(ps);
  if (*ps->p == '-' || *ps->p == '+') {
    gboolean neg = *ps->p == '-';
    ps->p++;
    if (++ps->depth > 200)
      return fail(ps, "expression too deep");
    if (!parse_factor(ps, out))
      return FALSE;
    ps->depth--;
    if (neg) {
      if (out->is_float)
        out->f = -out->f;
      else
        out->i = -out->i;
    }
    return TRUE;
  }
  return parse_power(ps, out);
}

static gboolean
apply_mul(Parser *ps, const char *op, Num a, Num b, Num *out)
{
  if (strcmp(op, "*") == 0) {
    if (!a.is_float && !b.is_float) {
      gint64 r;
      if (__builtin_mul_overflow(a.i, b.i, &r))
        return fail(ps, "integer out of range");
      *out = (Num){ FALSE, r, 0 };
    } else {
      *out = (Num){ TRUE, 0, as_f(a) * as_f(b) };
    }
    return TRUE;
  }
  if (as_f(b) == 0.0)
    return fail(ps, strcmp(op, "%") == 0 ? "integer modulo by zero" : "division by zero");
  if (strcmp(op, "/") == 0) {
    *out = (Num){ TRUE, 0, as_f(a) / as_f(b) };
    return TRUE;
  }
  if (!a.is_float && !b.is_float) {
    gint64 q = a.i / b.i, m = a.i % b.i;
    if (m != 0 && ((m < 0) != (b.i < 0))) {
      q--;
      m += b.i;
    }
    *out = (Num){ FALSE, strcmp(op, "//") == 0 ? q : m, 0 };
    return TRUE;
  }
  double x = as_f(a), y = as_f(b);
  double m = fmod(x, y);
  if (m != 0 && ((m < 0) != (y < 0)))
    m += y;
  *out = (Num){ TRUE, 0, strcmp(op, "//") == 0 ? floor((x - m) / y + 0.5) : m };
  return TRUE;
}

static gboolean
parse_term(Parser *ps, Num *out)
{
  if (!parse_factor(ps, out))
    return FALSE;
  for (;;) {
    skip_ws(ps);
    const char *op;
    if (ps->p[0] == '/' && ps->p[1] == '/')
      op = "//";
    else if (ps->p[0] == '*' && ps->p[1] != '*')
      op = "*";
    else if (ps->p[0] == '/')
      op = "/";
    else if (ps->p[0] == '%')
      op = "%";
    else
      return TRUE;
    ps->p += strlen(op);
    Num b;
    if (!parse_factor(ps, &b) || !apply_mul(ps, op, *out, b, out))
      return FALSE;
  }
}

static gboolean
parse_expr(Parser *ps, Num *out)
{
  if (!parse_term(ps, out))
    return FALSE;
  for (;;) {
    skip_ws(ps);
    if (*ps->p != '+' && *ps->p != '-')
      return TRUE;
    gboolean sub = *ps->p++ == '-';
    Num b;
    if (!parse_term(ps, &b))
      return FALSE;
    if (!out->is_float && !b.is_float) {
      gint64 r;
      if (sub ? __builtin_sub_overflow(out->i, b.i, &r) : __builtin_add_overflow(out->i, b.i, &r))
        return fail(ps, "integer out of range");
      out->i = r;
    } else {
      out->f = sub ? as_f(*out) - as_f(b) : as_f(*out) + as_f(b);
      out->is_float = TRUE;
    }
  }
}

F2bPyObj *
f2b_timeutil_str2sec(const char *expr, GError **error)
{
  g_autofree char *v = f2b_timeutil_str2sec_expand(expr);
  Parser ps = { v, error, 0 };
  Num n = { 0 };
  skip_ws(&ps);
  if (*ps.p == '\0') {
    fail(&ps, "invalid syntax");
    return NULL;
  }
  if (!parse_expr(&ps, &n))
    return NULL;
  skip_ws(&ps);
  if (*ps.p != '\0') {
    fail(&ps, "invalid syntax");
    return NULL;
  }
  return n.is_float ? f2b_py_float(n.f) : f2b_py_int(n.i);
}

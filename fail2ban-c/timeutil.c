/* timeutil.c - fail2ban's str2seconds without eval, time2str (see timeutil.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "timeutil.h"

#include <math.h>
#include <pcre2.h>
#include <string.h>
#include <time.h>

#include "pyexpr.h"

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

F2bPyObj *
f2b_timeutil_str2sec(const char *expr, GError **error)
{
  g_autofree char *v = f2b_timeutil_str2sec_expand(expr);
  GError *local = NULL;
  F2bPyNum n;
  if (!f2b_pyexpr_eval_text(v, -1, F2B_PYEXPR_NONE, &n, &local)) {
    g_set_error_literal(error, F2B_TIMEUTIL_ERROR, 0, local->message);
    g_error_free(local);
    return NULL;
  }
  return n.is_float ? f2b_py_float(n.f) : f2b_py_int(n.i);
}

/* Times from this one on are printed as the last second of year 9999
 * (fail2ban's guard against datetime's year limit in any time zone). */
#define TIME2STR_LIMIT 253402214400.0
/* 0001-01-02 00:00:00 UTC: year 1 in every zone. */
#define TIME2STR_FIRST -62135510400.0

char *
f2b_timeutil_time2str(double t)
{
  if (!(t < TIME2STR_LIMIT))
    return g_strdup("9999-12-31 23:59:59");
  /* fail2ban raises (year 0 is out of range) before year 1 in any zone;
   * printing the first second keeps the time_t conversion defined */
  if (t < TIME2STR_FIRST)
    return g_strdup("1-01-01 00:00:00");
  /* datetime.fromtimestamp rounds to microseconds (half even) first */
  double whole = floor(t);
  double micro = nearbyint((t - whole) * 1e6);
  if (micro >= 1e6)
    whole += 1.0;
  time_t secs = (time_t)whole;
  struct tm tm;
  if (!localtime_r(&secs, &tm))
    return g_strdup("9999-12-31 23:59:59");
  /* strftime's %Y (glibc) does not pad years before 1000 */
  return g_strdup_printf("%d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Python's int(round(x)): half to even. */
static gint64
round_even(double x)
{
  return (gint64)nearbyint(x);
}

/* Appends COUNT // PER in decimal and returns COUNT % PER, for a COUNT (a
 * whole number, at least 2^63) past gint64, which Python's int still holds
 * exactly: the number is expanded into base-10^9 limbs (mantissa times a
 * power of two) and divided by PER there. */
static gint64
append_big_quotient(GString *r, double count, gint64 per)
{
  enum { LIMB = 1000000000 };
  int exp;
  guint64 mant = (guint64)ldexp(frexp(count, &exp), 53);
  exp -= 53; /* count = mant * 2^exp, exp > 0 since count >= 2^63 */
  g_autoptr(GArray) limbs = g_array_new(FALSE, FALSE, sizeof(guint32));
  for (; mant > 0; mant /= LIMB) {
    guint32 l = mant % LIMB;
    g_array_append_val(limbs, l);
  }
  while (exp > 0) {
    int k = MIN(exp, 32); /* a limb < 2^30 shifted by 32 still fits 64 bits */
    guint64 carry = 0;
    for (guint i = 0; i < limbs->len; i++) {
      guint64 v = ((guint64)g_array_index(limbs, guint32, i) << k) + carry;
      g_array_index(limbs, guint32, i) = v % LIMB;
      carry = v / LIMB;
    }
    for (; carry > 0; carry /= LIMB) {
      guint32 l = carry % LIMB;
      g_array_append_val(limbs, l);
    }
    exp -= k;
  }
  guint64 rem = 0;
  for (guint i = limbs->len; i-- > 0;) {
    guint64 cur = rem * LIMB + g_array_index(limbs, guint32, i);
    g_array_index(limbs, guint32, i) = cur / (guint64)per;
    rem = cur % (guint64)per;
  }
  guint top = limbs->len;
  while (top > 1 && g_array_index(limbs, guint32, top - 1) == 0)
    top--;
  g_string_append_printf(r, "%u", g_array_index(limbs, guint32, top - 1));
  for (guint i = top - 1; i-- > 0;)
    g_string_append_printf(r, "%09u", g_array_index(limbs, guint32, i));
  return (gint64)rem;
}

/* The large units: a count of UNIT (rounded), split into BIG groups of
 * PER units and the rest into MID groups of MIDPER and SMALL ones. */
static char *
groups(double sec, double unit, gint64 per, const char *big, gint64 midper, const char *mid, const char *small)
{
  double count = nearbyint(sec / unit);
  if (isinf(count)) /* fail2ban raises OverflowError */
    return g_strdup("inf");
  GString *r = g_string_new(NULL);
  gint64 s;
  if (count >= 0x1p63) {
    s = append_big_quotient(r, count, per);
    g_string_append_printf(r, "%s ", big);
  } else {
    s = (gint64)count;
    g_string_append_printf(r, "%" G_GINT64_FORMAT "%s ", s / per, big);
    s %= per;
  }
  if (s >= midper) {
    g_string_append_printf(r, "%" G_GINT64_FORMAT "%s ", s / midper, mid);
    s %= midper;
  }
  if (s)
    g_string_append_printf(r, "%" G_GINT64_FORMAT "%s ", s, small);
  g_string_truncate(r, r->len - 1);
  return g_string_free(r, FALSE);
}

static void
append_num(GString *r, F2bPyNum n)
{
  if (n.is_float)
    f2b_py_repr_float_append(r, n.f);
  else
    g_string_append_printf(r, "%" G_GINT64_FORMAT, n.i);
}

char *
f2b_timeutil_seconds2str(F2bPyNum sec)
{
  double s = f2b_pynum_as_double(sec);
  if (s >= 31536000)
    return groups(s, 86400, 365, "y", 7, "w", "d");
  if (s >= 604800)
    return groups(s, 3600, 168, "w", 24, "d", "h");
  if (s >= 86400)
    return groups(s, 60, 1440, "d", 60, "h", "m");
  if (s >= 3595) {
    gint64 t = round_even(s / 10);
    if (t % 360 >= 6)
      return g_strdup_printf("%" G_GINT64_FORMAT "h %" G_GINT64_FORMAT "m", t / 360, t % 360 / 6);
    return g_strdup_printf("%" G_GINT64_FORMAT "h", t / 360);
  }
  GString *r = g_string_new(NULL);
  F2bPyNum rest = sec;
  if (s >= 60) {
    /* Python's // and % on ints or floats (s is positive here) */
    F2bPyNum mins = sec.is_float ? f2b_pynum_float(floor(sec.f / 60)) : f2b_pynum_int(sec.i / 60);
    append_num(r, mins);
    g_string_append(r, "m ");
    rest = sec.is_float ? f2b_pynum_float(fmod(sec.f, 60)) : f2b_pynum_int(sec.i % 60);
  }
  if (f2b_pynum_as_double(rest) != 0) {
    append_num(r, rest);
    g_string_append(r, "s ");
  } else if (s == 0) {
    g_string_append(r, "0 ");
  }
  if (r->len)
    g_string_truncate(r, r->len - 1);
  return g_string_free(r, FALSE);
}

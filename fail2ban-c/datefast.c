/* datefast.c - the syslog and ISO line-start date templates matched without a
 * regex engine (see datefast.h for why).
 *
 * Each matcher walks its regex piece by piece.  Where a piece can match in
 * more than one way (a greedy optional part, alternatives), PCRE2 tries the
 * ways in a fixed order and backtracks into the next one when the rest of the
 * pattern fails; the matchers take, in that same order, the first way after
 * which the next piece can start (a way after which it cannot is one PCRE2
 * leaves at once).  When a later piece fails anyway, the answer would need
 * deeper backtracking: the matcher gives up and the regex decides.  So a match
 * found here is the first one PCRE2's backtracking order reaches: its match.
 * The comment at each piece gives the order of its ways.
 *
 * The regexes (as fail2ban builds them; %ExY varies with the year), each cut
 * into lines here for reading:
 *   syslog  (?iu)^(?:\W{0,2})?((?:(?P<a>mon|tue|wed|thu|fri|sat|sun) )?
 *           (?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec) (?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])
 *            ?(?P<H>[0-2]?\d):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])(?:\.(?P<f>[0-9]{1,6}))?
 *           (?: (?P<Y>20[012]\d))?)(?=\b|\W|$)
 *   ISO     ^(?:\W{0,2})?((?P<Y>20[012]\d)(?P<_sep>[-/.])(?P<m>0?[1-9]|1[0-2])(?P=_sep)
 *           (?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])(?:T|  ?)(?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):
 *           (?P<S>[0-5]?\d|6[0-1])(?:[.,](?P<f>[0-9]{1,6}))?
 *           (?:\s*(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))?)(?=\b|\W|$) */
#include "datefast.h"

#include <string.h>

/* The group names of each regex in group order (group 1 is the whole date). */
static const char *const syslog_groups[] = { "a", "b", "d", "H", "M", "S", "f", "Y" };
static const char *const iso_groups[] = { "Y", "_sep", "m", "d", "H", "M", "S", "f", "z" };

/* their numbers */
enum { SG_A = 2, SG_B, SG_D, SG_H, SG_M, SG_S, SG_F, SG_Y };
enum { IG_Y = 2, IG_SEP, IG_MONTH, IG_D, IG_H, IG_MIN, IG_S, IG_F, IG_Z };

struct F2bDateFast {
  F2bDateFastKind kind;
  guint n_groups;
  guint8 centuries[1000];
  guint8 after_seconds[256]; /* F2B_DATEFAST_AFTER_* by byte */
  guint8 after_space[256];   /* TRUE: after the seconds and a space, no year or zone starts */
};

const char *
f2b_datefast_pattern(F2bDateFastKind kind)
{
  switch (kind) {
  case F2B_DATEFAST_SYSLOG:
    return "{^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?";
  case F2B_DATEFAST_ISO:
    return "{^LN-BEG}%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?";
  default:
    return NULL;
  }
}

F2bDateFastKind
f2b_datefast_kind_of(const char *pattern)
{
  for (F2bDateFastKind k = F2B_DATEFAST_SYSLOG; k <= F2B_DATEFAST_ISO; k++)
    if (pattern && strcmp(pattern, f2b_datefast_pattern(k)) == 0)
      return k;
  return 0;
}

static void plain_tables_init(F2bDateFast *fm);

F2bDateFast *
f2b_datefast_new(F2bDateFastKind kind, const char *const *group_names, guint n_groups,
                 const guint8 centuries[1000])
{
  if (kind != F2B_DATEFAST_SYSLOG && kind != F2B_DATEFAST_ISO)
    return NULL;
  const char *const *expected = kind == F2B_DATEFAST_ISO ? iso_groups : syslog_groups;
  guint n_expected = kind == F2B_DATEFAST_ISO ? G_N_ELEMENTS(iso_groups)
                                              : G_N_ELEMENTS(syslog_groups);
  /* the regex this matcher reproduces has exactly these groups, in this order */
  if (n_groups != n_expected + 2 || n_groups > F2B_DATEFAST_MAX_PAIRS || group_names[1] != NULL)
    return NULL;
  for (guint i = 0; i < n_expected; i++)
    if (!group_names[i + 2] || strcmp(group_names[i + 2], expected[i]) != 0)
      return NULL;
  F2bDateFast *fm = g_new0(F2bDateFast, 1);
  fm->kind = kind;
  fm->n_groups = n_groups;
  memcpy(fm->centuries, centuries, sizeof fm->centuries);
  plain_tables_init(fm);
  return fm;
}

void
f2b_datefast_free(F2bDateFast *fm)
{
  g_free(fm);
}

/* ------------------------------------------------------------------ */
/* Characters                                                          */

/* The byte at I, or -1 past the end. */
static inline int
at(const guchar *s, gsize len, gsize i)
{
  return i < len ? s[i] : -1;
}

static inline gboolean
is_digit(int c)
{
  return c >= '0' && c <= '9';
}

static inline gboolean
in_range(int c, char lo, char hi)
{
  return c >= lo && c <= hi;
}

/* \w of an ASCII subject (PCRE2 without UCP, Python on str: the same there) */
static inline gboolean
is_word(int c)
{
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* \s of Python's str patterns on ASCII (pyre.c adds \x1c-\x1f to PCRE2's \s) */
static inline gboolean
is_space(int c)
{
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* The classes of f2b_datefast_match_plain.  After the seconds, a syslog stamp may
 * go on with ".fraction" or " year", an ISO one with "[.,]fraction" or spaces and
 * a zone ("Z", "UTC", "GMT", "+hh..."); a word character there fails (?=\b|\W|$)
 * (or starts a zone): the tail walk decides all of those.  Bytes above 0x7f
 * (which a matcher never sees) are left to it too. */
static void
plain_tables_init(F2bDateFast *fm)
{
  gboolean iso = fm->kind == F2B_DATEFAST_ISO;
  for (int c = 0; c < 256; c++) {
    gboolean optional = iso ? (c == '.' || c == ',' || c == '+' || c == '-' || is_space(c))
                            : c == '.';
    if (c == ' ')
      fm->after_seconds[c] = F2B_DATEFAST_AFTER_SPACE;
    else if (c > 0x7f || is_word(c) || optional)
      fm->after_seconds[c] = F2B_DATEFAST_AFTER_OTHER;
    else
      fm->after_seconds[c] = F2B_DATEFAST_AFTER_END;
    gboolean starts = iso ? (is_space(c) || c == 'Z' || c == 'U' || c == 'G' || c == '+' ||
                             c == '-')
                          : is_digit(c);
    fm->after_space[c] = c <= 0x7f && !starts;
  }
}

/* The three letters at P folded to lower case (ASCII letters only: (?i)
 * without UCP folds nothing else) and packed in one number; 0 when P does
 * not start three letters. */
#define PACK3(a, b, c) (((guint32) (a) << 16) | ((guint32) (b) << 8) | (guint32) (c))

static inline guint32
letters3(const guchar *s, gsize len, gsize p)
{
  if (p + 3 > len)
    return 0;
  guint32 key = 0;
  for (guint k = 0; k < 3; k++) {
    guchar c = s[p + k];
    if (c >= 'A' && c <= 'Z')
      c = (guchar) (c - 'A' + 'a');
    else if (c < 'a' || c > 'z')
      return 0;
    key = key << 8 | c;
  }
  return key;
}

/* mon|tue|wed|thu|fri|sat|sun: the names differ, so one matches at most */
static gboolean
is_weekday(guint32 key)
{
  switch (key) {
  case PACK3('m', 'o', 'n'): case PACK3('t', 'u', 'e'): case PACK3('w', 'e', 'd'):
  case PACK3('t', 'h', 'u'): case PACK3('f', 'r', 'i'): case PACK3('s', 'a', 't'):
  case PACK3('s', 'u', 'n'):
    return TRUE;
  default:
    return FALSE;
  }
}

/* jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec */
static gboolean
is_month(guint32 key)
{
  switch (key) {
  case PACK3('j', 'a', 'n'): case PACK3('f', 'e', 'b'): case PACK3('m', 'a', 'r'):
  case PACK3('a', 'p', 'r'): case PACK3('m', 'a', 'y'): case PACK3('j', 'u', 'n'):
  case PACK3('j', 'u', 'l'): case PACK3('a', 'u', 'g'): case PACK3('s', 'e', 'p'):
  case PACK3('o', 'c', 't'): case PACK3('n', 'o', 'v'): case PACK3('d', 'e', 'c'):
    return TRUE;
  default:
    return FALSE;
  }
}

/* %ExY at P: four digits whose first three are an accepted century. */
static inline gboolean
year_at(const F2bDateFast *fm, const guchar *s, gsize len, gsize p)
{
  return p + 4 <= len && is_digit(s[p]) && is_digit(s[p + 1]) && is_digit(s[p + 2]) &&
         is_digit(s[p + 3]) &&
         fm->centuries[(s[p] - '0') * 100 + (s[p + 1] - '0') * 10 + (s[p + 2] - '0')];
}

/* ------------------------------------------------------------------ */
/* Pieces                                                              */

/* The ways a one- or two-character field can match, in PCRE2's order: their
 * lengths in WAYS, their number returned. */

/* [1-2]\d | [0 ]?[1-9] | 3[0-1]: after 1 or 2 the first branch's pair, then
 * the second branch's one digit; after 0 or a space only the second branch,
 * with [1-9] next; after 3 the second branch's one digit before the third
 * branch's pair; 4-9 one digit. */
G_ALWAYS_INLINE static inline guint
day_ways(int c0, int c1, guint8 ways[2])
{
  guint n = 0;
  if (c0 == '1' || c0 == '2') {
    if (is_digit(c1))
      ways[n++] = 2;
    ways[n++] = 1;
  } else if (c0 == '0' || c0 == ' ') {
    if (in_range(c1, '1', '9'))
      ways[n++] = 2;
  } else if (c0 == '3') {
    ways[n++] = 1;
    if (c1 == '0' || c1 == '1')
      ways[n++] = 2;
  } else if (in_range(c0, '4', '9')) {
    ways[n++] = 1;
  }
  return n;
}

/* [0-HI]?\d: two digits when the first is in 0-HI (greedy), then one. */
G_ALWAYS_INLINE static inline guint
lead_ways(int c0, int c1, char hi, guint8 ways[2])
{
  guint n = 0;
  if (!is_digit(c0))
    return 0;
  if (c0 <= hi && is_digit(c1))
    ways[n++] = 2;
  ways[n++] = 1;
  return n;
}

/* [0-HI]?\d | ALT[0-ALT_HI] (%H, %S): as lead_ways, but after ALT the first
 * branch's one digit comes before the second branch's pair. */
G_ALWAYS_INLINE static inline guint
alt_ways(int c0, int c1, char hi, char alt, char alt_hi, guint8 ways[2])
{
  if (c0 != alt)
    return lead_ways(c0, c1, hi, ways);
  guint n = 0;
  ways[n++] = 1;
  if (in_range(c1, '0', alt_hi))
    ways[n++] = 2;
  return n;
}

/* 0?[1-9] | 1[0-2]: after 0 the pair (0? taken, [1-9] next); after 1 the
 * first branch's one digit before the second branch's pair; 2-9 one digit. */
G_ALWAYS_INLINE static inline guint
month_ways(int c0, int c1, guint8 ways[2])
{
  guint n = 0;
  if (c0 == '0') {
    if (in_range(c1, '1', '9'))
      ways[n++] = 2;
  } else if (c0 == '1') {
    ways[n++] = 1;
    if (in_range(c1, '0', '2'))
      ways[n++] = 2;
  } else if (in_range(c0, '2', '9')) {
    ways[n++] = 1;
  }
  return n;
}

/* The first of N WAYS at P after which the next piece, a character A or B,
 * can match; 0 when none (the regex cannot match here). */
static inline guint
pick(const guint8 *ways, guint n, const guchar *s, gsize len, gsize p, int a, int b)
{
  for (guint k = 0; k < n; k++) {
    int c = at(s, len, p + ways[k]);
    if (c == a || c == b)
      return ways[k];
  }
  return 0;
}

static inline void
set_group(PCRE2_SIZE *ov, guint g, gsize from, gsize to)
{
  ov[2 * g] = from;
  ov[2 * g + 1] = to;
}

/* ^(?:\W{0,2})?: the leading non-word characters, two at most (greedy; the
 * pieces after it start with a word character, so fewer cannot work). */
G_ALWAYS_INLINE static inline gsize
prefix_length(const guchar *s, gsize len)
{
  gsize n = 0;
  while (n < 2 && n < len && !is_word(s[n]))
    n++;
  return n;
}

/* (?:[SEP1SEP2](?P<f>[0-9]{1,6}))?: first way, the separator and all digits
 * up to six; else nothing.  Returns the position after it. */
G_ALWAYS_INLINE static inline gsize
fraction(const guchar *s, gsize len, gsize p, int sep1, int sep2, PCRE2_SIZE *ov, guint g)
{
  int c = at(s, len, p);
  if ((c != sep1 && c != sep2) || !is_digit(at(s, len, p + 1)))
    return p;
  gsize n = 1;
  while (n < 6 && is_digit(at(s, len, p + 1 + n)))
    n++;
  set_group(ov, g, p + 1, p + 1 + n);
  return p + 1 + n;
}

/* (?:\s*(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))?: first way.  \s* takes the
 * whole run of spaces (no zone starts with one, so shorter runs cannot work);
 * the branches differ in their first character; an offset takes ":dd" (":?"
 * greedy), else "dd", else nothing more.  No zone: nothing at all. */
G_ALWAYS_INLINE static inline gsize
zone(const guchar *s, gsize len, gsize p, PCRE2_SIZE *ov, guint g)
{
  gsize q = p;
  while (q < len && is_space(s[q]))
    q++;
  int c = at(s, len, q);
  gsize n = 0;
  if (c == 'Z') {
    n = 1;
  } else if ((c == 'U' && at(s, len, q + 1) == 'T' && at(s, len, q + 2) == 'C') ||
             (c == 'G' && at(s, len, q + 1) == 'M' && at(s, len, q + 2) == 'T')) {
    n = 3;
  } else if ((c == '+' || c == '-') && in_range(at(s, len, q + 1), '0', '1') &&
             is_digit(at(s, len, q + 2))) {
    int c3 = at(s, len, q + 3);
    if (c3 == ':' && is_digit(at(s, len, q + 4)) && is_digit(at(s, len, q + 5)))
      n = 6;
    else if (is_digit(c3) && is_digit(at(s, len, q + 4)))
      n = 5;
    else
      n = 3;
  }
  if (n == 0)
    return p;
  set_group(ov, g, q, q + n);
  return q + n;
}

/* (?=\b|\W|$) at P closes the match (and group 1) there. */
G_ALWAYS_INLINE static inline gboolean
finish(const guchar *s, gsize len, gsize p, PCRE2_SIZE *ov)
{
  if (p < len && is_word(s[p]) && (p == 0 || is_word(s[p - 1])))
    return FALSE;
  ov[0] = 0;
  ov[1] = p;
  ov[3] = p;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The templates                                                       */

/* ":(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])" from P, just past the hour's ':' (the
 * same in both regexes): sets groups G_MIN and G_SEC and returns the offset past
 * the seconds, or 0 when they do not match (P is never 0 there).  %M: two digits
 * when the first is 0-5 and a ':' follows them, else one digit and its ':' (after
 * two digits the one-digit way finds a digit, not ':').  %S: the first way of
 * alt_ways ('6' and 0-9 alone, 0-5 with a digit a pair), as what follows the
 * seconds may be empty. */
static G_NO_INLINE gsize
minutes_seconds_other(const guchar *s, gsize len, gsize p, PCRE2_SIZE *ov, guint g_min,
                      guint g_sec, int *mmss)
{
  mmss[0] = mmss[1] = -1;
  int c0 = at(s, len, p), c1 = at(s, len, p + 1);
  gsize l;
  if (!is_digit(c0))
    return 0;
  if (c0 <= '5' && is_digit(c1) && at(s, len, p + 2) == ':')
    l = 2;
  else if (c1 == ':')
    l = 1;
  else
    return 0;
  set_group(ov, g_min, p, p + l);
  p += l + 1;
  c0 = at(s, len, p);
  if (!is_digit(c0))
    return 0;
  l = c0 <= '5' && is_digit(at(s, len, p + 1)) ? 2 : 1;
  set_group(ov, g_sec, p, p + l);
  return p + l;
}

G_ALWAYS_INLINE static inline gsize
minutes_seconds(const guchar *s, gsize len, gsize p, PCRE2_SIZE *ov, guint g_min, guint g_sec,
                int *mmss)
{
  /* the usual "MM:SS" (both from 00 to 59): the two-digit ways of both */
  if (G_LIKELY(p + 5 <= len && in_range(s[p], '0', '5') && is_digit(s[p + 1]) && s[p + 2] == ':' &&
               in_range(s[p + 3], '0', '5') && is_digit(s[p + 4]))) {
    set_group(ov, g_min, p, p + 2);
    set_group(ov, g_sec, p + 3, p + 5);
    mmss[0] = (s[p] - '0') * 10 + (s[p + 1] - '0');
    mmss[1] = (s[p + 3] - '0') * 10 + (s[p + 4] - '0');
    return p + 5;
  }
  return minutes_seconds_other(s, len, p, ov, g_min, g_sec, mmss);
}

/* The heads: each walks its regex up to the hour's ':' and returns the offset
 * past it (where the minutes start), or 0 when it cannot match there.
 *
 * A head reads no byte at or past the offset it returns, and compares no
 * offset at or past it with LEN: each test above reads the character it checks
 * and the one after a field, and the last field read is the hour, which ends at
 * its ':'.  (The hour's two-digit way looks at the third character, but when
 * that is not ':' the one-digit way finds a digit in its place and the head
 * fails.)  So a subject that starts with the same bytes up to that offset takes
 * the same way through the head, to the same offsets: f2b_datefast_match_cached
 * keeps them and walks only the tail. */
static gsize
syslog_head(const guchar *s, gsize len, PCRE2_SIZE *ov)
{
  guint8 ways[2];
  set_group(ov, SG_A, PCRE2_UNSET, PCRE2_UNSET);
  gsize p = prefix_length(s, len);
  ov[2] = p;
  /* (?:(?P<a>...) )? first takes a day name and its space; no day name is a
   * month name, so without it the month could not match either */
  guint32 name = letters3(s, len, p);
  if (is_weekday(name) && at(s, len, p + 3) == ' ') {
    set_group(ov, SG_A, p, p + 3);
    p += 4;
    name = letters3(s, len, p);
  }
  if (!is_month(name) || at(s, len, p + 3) != ' ')
    return 0;
  set_group(ov, SG_B, p, p + 3);
  p += 4;
  guint l = pick(ways, day_ways(at(s, len, p), at(s, len, p + 1), ways), s, len, p, ' ', ' ');
  if (!l)
    return 0;
  set_group(ov, SG_D, p, p + l);
  p += l + 1;
  /* " ?" takes the space when %k can follow it */
  if (at(s, len, p) == ' ' && is_digit(at(s, len, p + 1)))
    p++;
  l = pick(ways, lead_ways(at(s, len, p), at(s, len, p + 1), '2', ways), s, len, p, ':', ':');
  if (!l)
    return 0;
  set_group(ov, SG_H, p, p + l);
  return p + l + 1;
}

/* The tails: from P, where the head left off, to the end of the match. */
static gboolean
syslog_tail(const F2bDateFast *fm, const guchar *s, gsize len, gsize p, PCRE2_SIZE *ov, int *mmss)
{
  set_group(ov, SG_F, PCRE2_UNSET, PCRE2_UNSET);
  set_group(ov, SG_Y, PCRE2_UNSET, PCRE2_UNSET);
  if (!(p = minutes_seconds(s, len, p, ov, SG_M, SG_S, mmss)))
    return FALSE;
  p = fraction(s, len, p, '.', '.', ov, SG_F);
  if (at(s, len, p) == ' ' && year_at(fm, s, len, p + 1)) {
    set_group(ov, SG_Y, p + 1, p + 5);
    p += 5;
  }
  return finish(s, len, p, ov);
}

static gsize
iso_head(const F2bDateFast *fm, const guchar *s, gsize len, PCRE2_SIZE *ov)
{
  guint8 ways[2];
  gsize p = prefix_length(s, len);
  ov[2] = p;
  if (!year_at(fm, s, len, p))
    return 0;
  set_group(ov, IG_Y, p, p + 4);
  p += 4;
  int sep = at(s, len, p);
  if (sep != '-' && sep != '/' && sep != '.')
    return 0;
  set_group(ov, IG_SEP, p, p + 1);
  p++;
  guint l = pick(ways, month_ways(at(s, len, p), at(s, len, p + 1), ways), s, len, p, sep, sep);
  if (!l)
    return 0;
  set_group(ov, IG_MONTH, p, p + l);
  p += l + 1;
  l = pick(ways, day_ways(at(s, len, p), at(s, len, p + 1), ways), s, len, p, 'T', ' ');
  if (!l)
    return 0;
  set_group(ov, IG_D, p, p + l);
  p += l;
  /* (?:T|  ?): "T", or a space and a second one when the hour can follow it */
  if (at(s, len, p) == ' ' && at(s, len, p + 1) == ' ' && is_digit(at(s, len, p + 2)))
    p++;
  p++;
  l = pick(ways, alt_ways(at(s, len, p), at(s, len, p + 1), '1', '2', '3', ways), s, len, p,
           ':', ':');
  if (!l)
    return 0;
  set_group(ov, IG_H, p, p + l);
  return p + l + 1;
}

static gboolean
iso_tail(const guchar *s, gsize len, gsize p, PCRE2_SIZE *ov, int *mmss)
{
  set_group(ov, IG_F, PCRE2_UNSET, PCRE2_UNSET);
  set_group(ov, IG_Z, PCRE2_UNSET, PCRE2_UNSET);
  if (!(p = minutes_seconds(s, len, p, ov, IG_MIN, IG_S, mmss)))
    return FALSE;
  p = fraction(s, len, p, '.', ',', ov, IG_F);
  p = zone(s, len, p, ov, IG_Z);
  return finish(s, len, p, ov);
}

static inline gsize
head(const F2bDateFast *fm, const guchar *s, gsize len, PCRE2_SIZE *ov)
{
  return fm->kind == F2B_DATEFAST_ISO ? iso_head(fm, s, len, ov) : syslog_head(s, len, ov);
}

static inline gboolean
tail(const F2bDateFast *fm, const guchar *s, gsize len, gsize p, PCRE2_SIZE *ov, int *mmss)
{
  return fm->kind == F2B_DATEFAST_ISO ? iso_tail(s, len, p, ov, mmss)
                                      : syslog_tail(fm, s, len, p, ov, mmss);
}

guint
f2b_datefast_tail_group(const F2bDateFast *fm)
{
  g_return_val_if_fail(fm != NULL, 0);
  return fm->kind == F2B_DATEFAST_ISO ? IG_MIN : SG_M;
}

/* Pairs past the regex's groups are unset; the matchers unset the groups that
 * may not take part and set the others. */
static inline gboolean
unset_extra(const F2bDateFast *fm, PCRE2_SIZE *ov, guint n_pairs)
{
  if (n_pairs < fm->n_groups)
    return FALSE;
  for (guint i = fm->n_groups; i < n_pairs; i++)
    ov[2 * i] = ov[2 * i + 1] = PCRE2_UNSET;
  return TRUE;
}

gboolean
f2b_datefast_match(const F2bDateFast *fm, const char *subject, gsize len, PCRE2_SIZE *ov,
                   guint n_pairs)
{
  g_return_val_if_fail(fm != NULL && ov != NULL, FALSE);
  if (!unset_extra(fm, ov, n_pairs))
    return FALSE;
  const guchar *s = (const guchar *) subject;
  gsize p = head(fm, s, len, ov);
  int mmss[2];
  return p && tail(fm, s, len, p, ov, mmss);
}

guint
f2b_datefast_n_pairs(const F2bDateFast *fm)
{
  g_return_val_if_fail(fm != NULL, 0);
  return fm->n_groups;
}

/* Whether S (LEN bytes) starts with the N bytes of HEAD (N >= 8: a head holds a
 * month or a year, a day, an hour and two separators at least; a shorter one is
 * not kept). */
static inline gboolean
head_same(const guchar *head, gsize n, const guchar *s, gsize len)
{
  if (len < n || n < 8)
    return FALSE;
  guint64 a, b;
  for (gsize i = 0; i + 8 < n; i += 8) {
    memcpy(&a, head + i, 8);
    memcpy(&b, s + i, 8);
    if (a != b)
      return FALSE;
  }
  memcpy(&a, head + n - 8, 8);
  memcpy(&b, s + n - 8, 8);
  return a == b;
}

static G_NO_INLINE gboolean
match_new_head(const F2bDateFast *fm, F2bDateFastHead *h, const guchar *s, gsize len)
{
  h->matcher = NULL;
  gsize p = head(fm, s, len, h->ov);
  if (!p)
    return FALSE;
  if (p >= 8 && p <= sizeof h->bytes) {
    h->matcher = fm;
    h->len = p;
    memcpy(h->bytes, s, p);
    h->after_seconds = fm->after_seconds;
    h->after_space = fm->after_space;
  }
  return tail(fm, s, len, p, h->ov, h->mmss);
}

gboolean
f2b_datefast_match_cached(const F2bDateFast *fm, F2bDateFastHead *h, const char *subject,
                          gsize len, gboolean *same_head)
{
  const guchar *s = (const guchar *) subject;
  h->plain_ov = FALSE; /* the walks below write OV */
  /* the tail writes no pair of the head but group 1's end */
  *same_head = h->matcher == fm && head_same(h->bytes, h->len, s, len);
  if (*same_head)
    return tail(fm, s, len, h->len, h->ov, h->mmss);
  return match_new_head(fm, h, s, len);
}

void
f2b_datefast_set_plain_ov(F2bDateFastHead *h)
{
  guint g = f2b_datefast_tail_group(h->matcher); /* the minutes, then seconds, fraction, year or zone */
  gsize p = h->len;
  set_group(h->ov, g, p, p + 2);
  set_group(h->ov, g + 1, p + 3, p + 5);
  set_group(h->ov, g + 2, PCRE2_UNSET, PCRE2_UNSET);
  set_group(h->ov, g + 3, PCRE2_UNSET, PCRE2_UNSET);
  h->ov[0] = 0;
  h->ov[1] = h->ov[3] = p + 5;
  h->plain_ov = TRUE;
}

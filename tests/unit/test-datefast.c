/* test-datefast.c - the regex-free matchers of the syslog and ISO templates
 * against PCRE2 running the templates' own regexes.
 *
 * The regexes come from datedetect (as fail2ban builds them), are translated
 * and compiled as datedetect compiles them for ASCII lines, and both engines
 * see the same lines: hand-picked edges, every one-character change of real
 * stamps, and random lines made of date-like pieces.  Whenever the matcher
 * answers, its offsets must be PCRE2's; and it must answer for the usual
 * stamps (else it would be no use). */
#include "check-main.h"
#include <string.h>
#include <time.h>

#include "datedetect.h"
#include "datefast.h"
#include "pyre.h"
#include "strptime.h"

#define WALL_2026 1780000000.0 /* 2026-05-28: %ExY accepts 2000-2029 */

/* What fail2ban builds for the two patterns with the clock in 2026. */
static const char *const expected_regex[] = {
  [F2B_DATEFAST_SYSLOG] =
    "(?iu)^(?:\\W{0,2})?((?:(?P<a>mon|tue|wed|thu|fri|sat|sun) )?"
    "(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec) (?P<d>[1-2]\\d|[0 ]?[1-9]|3[0-1])"
    "  ?(?P<H>[0-2]?\\d):(?P<M>[0-5]?\\d):(?P<S>[0-5]?\\d|6[0-1])(?:\\.(?P<f>[0-9]{1,6}))?"
    "(?: (?P<Y>20[012]\\d))?)(?=\\b|\\W|$)",
  [F2B_DATEFAST_ISO] =
    "^(?:\\W{0,2})?((?P<Y>20[012]\\d)(?P<_sep>[-/.])(?P<m>0?[1-9]|1[0-2])(?P=_sep)"
    "(?P<d>[1-2]\\d|[0 ]?[1-9]|3[0-1])(?:T|  ?)(?P<H>[0-1]?\\d|2[0-3]):(?P<M>[0-5]?\\d):"
    "(?P<S>[0-5]?\\d|6[0-1])(?:[.,](?P<f>[0-9]{1,6}))?"
    "(?:\\s*(?P<z>Z|UTC|GMT|[+-][01]\\d(?::?\\d{2})?))?)(?=\\b|\\W|$)",
};

/* Both engines for one template. */
typedef struct {
  F2bDateFastKind kind;
  char *regex;
  F2bPyre *pyre;
  pcre2_code *code;
  pcre2_match_data *md;
  F2bDateFast *fast;
  guint n_pairs;
  guint answered, regex_matches, compared;
  F2bDateFastHead head; /* f2b_datefast_match_cached's, kept from line to line */
  guint same_heads;     /* lines it walked from a kept head */
  guint with_mmss;      /* matches whose minutes and seconds it gave as values */
  F2bDateFastHead plain_head; /* f2b_datefast_match_plain's, else the cached walk's */
  guint plain_answers;        /* lines f2b_datefast_match_plain answered */
} Engines;

static void
local_years(double wall, int *wall_year, int *epoch2001_year)
{
  time_t w = (time_t) wall, y2001 = 978393600;
  struct tm tm;
  localtime_r(&w, &tm);
  *wall_year = tm.tm_year + 1900;
  localtime_r(&y2001, &tm);
  *epoch2001_year = tm.tm_year + 1900;
}

static void
engines_init(Engines *e, F2bDateFastKind kind, double wall)
{
  memset(e, 0, sizeof *e);
  e->kind = kind;
  g_autoptr(F2bDateDetector) dd = f2b_datedetect_new(wall);
  GError *error = NULL;
  ck_assert_msg(f2b_datedetect_set_pattern(dd, f2b_datefast_pattern(kind), &error), "%s",
                error ? error->message : "");
  ck_assert_uint_eq(f2b_datedetect_n_templates(dd), 1);
  e->regex = g_strdup(f2b_datedetect_template_regex(dd, 0));
  e->pyre = f2b_pyre_translate(e->regex, &error);
  ck_assert_msg(e->pyre != NULL, "%s", error ? error->message : "");
  e->code = f2b_pyre_compile_for_ascii(e->pyre, e->regex, 0, &error);
  ck_assert_msg(e->code != NULL, "%s", error ? error->message : "");
  e->md = pcre2_match_data_create_from_pattern(e->code, NULL);
  e->n_pairs = pcre2_get_ovector_count(e->md);
  int wall_year, epoch2001_year;
  local_years(wall, &wall_year, &epoch2001_year);
  guint8 centuries[1000];
  ck_assert(f2b_strptime_year_centuries(wall_year, epoch2001_year, centuries));
  e->fast = f2b_datefast_new(kind, (const char *const *) e->pyre->group_names,
                             e->pyre->n_groups + 1, centuries);
  ck_assert_ptr_nonnull(e->fast);
}

static void
engines_clear(Engines *e)
{
  g_free(e->regex);
  f2b_pyre_free(e->pyre);
  pcre2_code_free(e->code);
  pcre2_match_data_free(e->md);
  f2b_datefast_free(e->fast);
}

static char *
shown(const char *line, gsize len)
{
  return g_strescape(g_strndup(line, len), NULL); /* leaks in a failing test only */
}

/* f2b_datefast_match_cached on LINE with the head the lines before left must
 * give f2b_datefast_match's answer (ANSWERED, offsets OV), whether it walked the
 * whole line or only its tail; and leave a head that LINE starts with. */
/* The value of the two-digit 00-59 text of group G, else -1. */
static int
two_digits(const char *line, const PCRE2_SIZE *ov, guint g)
{
  if (ov[2 * g + 1] - ov[2 * g] != 2)
    return -1;
  const char *t = line + ov[2 * g];
  if (t[0] < '0' || t[0] > '5' || t[1] < '0' || t[1] > '9')
    return -1;
  return (t[0] - '0') * 10 + (t[1] - '0');
}

/* The head's minutes and seconds values: set exactly when both texts are two
 * digits from 00 to 59. */
static void
check_mmss(Engines *e, const char *line, const PCRE2_SIZE *ov)
{
  guint g = f2b_datefast_tail_group(e->fast);
  int minute = two_digits(line, ov, g), second = two_digits(line, ov, g + 1);
  if (minute < 0 || second < 0)
    minute = second = -1;
  ck_assert_int_eq(e->head.mmss[0], minute);
  ck_assert_int_eq(e->head.mmss[1], second);
  if (minute >= 0)
    e->with_mmss++;
}

static void
compare_cached(Engines *e, const char *line, gsize len, gboolean answered, const PCRE2_SIZE *ov)
{
  gboolean same = -1;
  ck_assert_uint_eq(f2b_datefast_n_pairs(e->fast), e->n_pairs);
  gboolean cached = f2b_datefast_match_cached(e->fast, &e->head, line, len, &same);
  ck_assert_msg(cached == answered, "'%s': cached walk answered %d, the whole walk %d",
                shown(line, len), cached, answered);
  ck_assert(same == TRUE || same == FALSE);
  if (same)
    e->same_heads++;
  if (e->head.matcher) {
    ck_assert_ptr_eq(e->head.matcher, e->fast);
    ck_assert_uint_ge(len, e->head.len);
    ck_assert_int_eq(memcmp(line, e->head.bytes, e->head.len), 0);
  }
  const PCRE2_SIZE *got = e->head.ov;
  if (answered)
    check_mmss(e, line, got);
  for (guint i = 0; answered && i < e->n_pairs; i++)
    ck_assert_msg(got[2 * i] == ov[2 * i] && got[2 * i + 1] == ov[2 * i + 1],
                  "'%s' (head %s): group %u is [%zd,%zd), the whole walk says [%zd,%zd)",
                  shown(line, len), same ? "kept" : "new", i, (gssize) got[2 * i],
                  (gssize) got[2 * i + 1], (gssize) ov[2 * i], (gssize) ov[2 * i + 1]);
}

/* f2b_datefast_match_plain on LINE with the head the lines before left (by it or,
 * when it does not answer, by the cached walk): when it answers, the line is a
 * match with the offsets OV and the minutes and seconds it returns; when not, it
 * leaves the head as it was and the cached walk gives the answer ANSWERED. */
static void
compare_plain(Engines *e, const char *line, gsize len, gboolean answered, const PCRE2_SIZE *ov)
{
  F2bDateFastHead before;
  memcpy(&before, &e->plain_head, sizeof before);
  int got = f2b_datefast_match_plain(e->fast, &e->plain_head, line, len);
  F2bDateFastHead *h = &e->plain_head;
  if (got < 0) {
    ck_assert_int_eq(got, -1);
    ck_assert_msg(memcmp(&before, h, sizeof before) == 0, "'%s': a head changed",
                  shown(line, len));
    gboolean same;
    ck_assert(f2b_datefast_match_cached(e->fast, h, line, len, &same) == answered);
  } else {
    e->plain_answers++;
    ck_assert_msg(answered, "'%s': plain, but no match", shown(line, len));
    guint g = f2b_datefast_tail_group(e->fast);
    ck_assert_int_eq(got, two_digits(line, ov, g) * 60 + two_digits(line, ov, g + 1));
    ck_assert_ptr_eq(h->matcher, e->fast);
    ck_assert_int_eq(memcmp(line, h->bytes, h->len), 0);
  }
  if (!answered)
    return;
  ck_assert_int_eq(h->mmss[0], e->head.mmss[0]);
  ck_assert_int_eq(h->mmss[1], e->head.mmss[1]);
  for (guint i = 0; i < e->n_pairs; i++)
    ck_assert_msg(h->ov[2 * i] == ov[2 * i] && h->ov[2 * i + 1] == ov[2 * i + 1],
                  "'%s' (%s): group %u is [%zd,%zd), the whole walk says [%zd,%zd)",
                  shown(line, len), got >= 0 ? "plain" : "walked", i, (gssize) h->ov[2 * i],
                  (gssize) h->ov[2 * i + 1], (gssize) ov[2 * i], (gssize) ov[2 * i + 1]);
}

/* Runs LINE through both; returns whether the matcher answered. */
static gboolean
compare(Engines *e, const char *line, gsize len)
{
  PCRE2_SIZE ov[64];
  ck_assert_uint_le(e->n_pairs, G_N_ELEMENTS(ov) / 2);
  gboolean answered = f2b_datefast_match(e->fast, line, len, ov, e->n_pairs);
  compare_cached(e, line, len, answered, ov);
  compare_plain(e, line, len, answered, ov);
  int rc = pcre2_match(e->code, (PCRE2_SPTR) line, len, 0, 0, e->md, NULL);
  e->compared++;
  if (rc >= 0)
    e->regex_matches++;
  if (!answered)
    return FALSE;
  e->answered++;
  ck_assert_msg(rc >= 0, "'%s': the matcher matched, the regex did not", shown(line, len));
  const PCRE2_SIZE *want = pcre2_get_ovector_pointer(e->md);
  for (guint i = 0; i < e->n_pairs; i++) {
    ck_assert_msg(ov[2 * i] == want[2 * i] && ov[2 * i + 1] == want[2 * i + 1],
                  "'%s': group %u is [%zd,%zd), the regex says [%zd,%zd)", shown(line, len), i,
                  (gssize) ov[2 * i], (gssize) ov[2 * i + 1], (gssize) want[2 * i],
                  (gssize) want[2 * i + 1]);
  }
  return TRUE;
}

static gboolean
compare_str(Engines *e, const char *line)
{
  return compare(e, line, strlen(line));
}

/* ---- templates and set-up ---- */

START_TEST(test_regexes_are_the_modelled_ones)
{
  for (F2bDateFastKind k = F2B_DATEFAST_SYSLOG; k <= F2B_DATEFAST_ISO; k++) {
    Engines e;
    engines_init(&e, k, WALL_2026);
    ck_assert_str_eq(e.regex, expected_regex[k]);
    engines_clear(&e);
  }
  ck_assert_int_eq(f2b_datefast_kind_of(f2b_datefast_pattern(F2B_DATEFAST_ISO)), F2B_DATEFAST_ISO);
  ck_assert_int_eq(f2b_datefast_kind_of("{^LN-BEG}%H:%M:%S"), 0);
  ck_assert_int_eq(f2b_datefast_kind_of(NULL), 0);
  ck_assert_ptr_null(f2b_datefast_pattern(0));
}
END_TEST

START_TEST(test_other_groups_refused)
{
  guint8 centuries[1000] = { 0 };
  const char *iso[] = { NULL, NULL, "Y", "_sep", "m", "d", "H", "M", "S", "f", "z" };
  const char *wrong[] = { NULL, NULL, "Y", "_sep", "m", "d", "H", "M", "S", "z", "f" };
  const char *named1[] = { NULL, "x", "Y", "_sep", "m", "d", "H", "M", "S", "f", "z" };
  g_autoptr(F2bDateFast) ok = f2b_datefast_new(F2B_DATEFAST_ISO, iso, 11, centuries);
  ck_assert_ptr_nonnull(ok);
  ck_assert_ptr_null(f2b_datefast_new(F2B_DATEFAST_SYSLOG, iso, 11, centuries));
  ck_assert_ptr_null(f2b_datefast_new(F2B_DATEFAST_ISO, iso, 10, centuries));
  ck_assert_ptr_null(f2b_datefast_new(F2B_DATEFAST_ISO, wrong, 11, centuries));
  ck_assert_ptr_null(f2b_datefast_new(F2B_DATEFAST_ISO, named1, 11, centuries));
  ck_assert_ptr_null(f2b_datefast_new(0, iso, 11, centuries));
  /* too few offset pairs: no answer */
  PCRE2_SIZE ov[22];
  ck_assert(!f2b_datefast_match(ok, "x", 1, ov, 10));
}
END_TEST

/* ---- hand-picked lines: ANSWER is whether the matcher must answer ---- */

typedef struct {
  const char *line;
  gboolean answer;
} Edge;

static const Edge syslog_edges[] = {
  { "Nov  1 00:00:08 srv1 sshd[1]: x", TRUE },
  { "Nov 12 23:59:59 host", TRUE },
  { "nOV 30 01:02:03 host", TRUE },    /* day 30: "3" alone is tried first */
  { "Dec 31 1:02:03 host", TRUE },
  { "Jan 01 00:00:00", TRUE },
  { "Jan 1 00:00:00 x", TRUE },
  { "Jan  1  1:00:00 x", TRUE },       /* " ?" and %k's space */
  { "Sun Jan 23 21:59:59.011 2005 b", TRUE },
  { "Sun Jan 23 21:59:59 2026 b", TRUE },
  { "Sun Jan 23 21:59:59 2026", TRUE },
  { "Sun Jan 23 21:59:59 20261", FALSE },/* the year ends in a word: backtracking */
  { "Jan 23 21:59:59.1234567 x", FALSE },/* seven digits: the fraction is given up */
  { "Jan 23 21:59:59.123456 x", TRUE },
  { "Jan 23 21:59:59.x", TRUE },
  { "Jan 23 21:59:60 x", FALSE },      /* "6" then "60": deeper backtracking */
  { "Jan 23 21:59:5 x", TRUE },
  { "Jan 23 21:5:5", TRUE },
  { "Jan 23 21:59:59x", FALSE },
  { "Jan 23 21:59:59_", FALSE },
  { "Jan 23 21:59:59\n", TRUE },
  { "[Jan 23 21:59:59] x", TRUE },     /* \W{0,2} */
  { "[[Jan 23 21:59:59] x", TRUE },
  { "[[[Jan 23 21:59:59] x", FALSE },
  { "Mon Jan 23 21:59:59", TRUE },
  { "Mon  Jan 23 21:59:59", FALSE },
  { "Mon Mar 23 21:59:59", TRUE },
  { "Jan 23 21:59:59 1999 x", TRUE },   /* a year outside %ExY: not part of the date */
  { "Jan 2321:59:59", FALSE },
  { "Jan 23 29:59:59 x", TRUE },       /* %k is [0-2]?\d */
  { "Jan 23 3:59:59 x", TRUE },
  { "Jan 32 01:00:00", FALSE },
  { "Jan 00 01:00:00", FALSE },
  { "Jan 23 01:00:00", TRUE },
  { "Jan 23 01:00", FALSE },
  { "", FALSE },
  { "J", FALSE },
  { "Jan", FALSE },
};

static const Edge iso_edges[] = {
  { "2026-11-01 00:00:08 D4D6EF-D0B81E-D8 Completed", TRUE },
  { "2026-11-01T00:00:08Z x", TRUE },
  { "2026-11-01T00:00:08.123+01:00 x", TRUE },
  { "2026-11-01 00:00:08,5 +0100", TRUE },
  { "2026-11-01 00:00:08 +01", TRUE },
  { "2026-11-01 00:00:08 +01:0", TRUE },
  { "2026-11-01 00:00:08 UTC", TRUE },
  { "2026-11-01 00:00:08 GMT x", TRUE },
  { "2026-11-01 00:00:08 GMTx", FALSE },  /* the zone would end in a word */
  { "2026-11-01 00:00:08\tZ", TRUE },
  { "2026-11-01 00:00:08 Zulu", FALSE },
  { "2026-11-01 00:00:08 Z", TRUE },
  { "2026-12-31 23:59:59 x", TRUE },      /* month 12 and hour 23: "1", "2" alone first */
  { "2026-10-30 20:00:00 x", TRUE },
  { "2026-1-3 2:0:0 x", TRUE },
  { "2026/01/02 03:04:05", TRUE },
  { "2026.01.02 03:04:05", TRUE },
  { "2026-01/02 03:04:05", FALSE },
  { "2026-01-02  03:04:05", TRUE },
  { "2026-01-02   03:04:05", FALSE },
  { "2026-01-02T03:04:05", TRUE },
  { "2026-01-02t03:04:05", FALSE },
  { "2026-01- 2 03:04:05", TRUE },
  { "2026-01-02 24:04:05", FALSE },
  { "2026-01-02 03:04:60", FALSE },
  { "2026-01-02 03:04:05.1234567", FALSE },
  { "2026-01-02 03:04:05x", FALSE },
  { "1999-01-02 03:04:05", FALSE },
  { "2031-01-02 03:04:05", FALSE },
  { "12026-01-02 03:04:05", FALSE },
  { "\"2026-01-02 03:04:05\"", TRUE },
  { "2026-13-02 03:04:05", FALSE },
  { "2026-00-02 03:04:05", FALSE },
  { "", FALSE },
};

static void
check_edges(F2bDateFastKind kind, const Edge *edges, gsize n)
{
  Engines e;
  engines_init(&e, kind, WALL_2026);
  for (gsize i = 0; i < n; i++) {
    gboolean answered = compare_str(&e, edges[i].line);
    ck_assert_msg(answered == edges[i].answer, "'%s': answered %d", edges[i].line, answered);
  }
  engines_clear(&e);
}

START_TEST(test_syslog_edges)
{
  check_edges(F2B_DATEFAST_SYSLOG, syslog_edges, G_N_ELEMENTS(syslog_edges));
}
END_TEST

START_TEST(test_iso_edges)
{
  check_edges(F2B_DATEFAST_ISO, iso_edges, G_N_ELEMENTS(iso_edges));
}
END_TEST

/* ---- every one-character change of some stamps ---- */

static const char alphabet[] = "0123456789 :.,-/TZUGCMt+_a\n\t\x1c[";

static void
mutate_all(Engines *e, const char *base)
{
  gsize len = strlen(base);
  g_autofree char *buf = g_malloc(len + 2);
  for (gsize pos = 0; pos <= len; pos++) {
    for (gsize a = 0; a < sizeof alphabet; a++) { /* the final NUL included */
      /* replace the character at POS */
      memcpy(buf, base, len);
      if (pos < len) {
        buf[pos] = alphabet[a];
        compare(e, buf, len);
      }
      /* insert before POS */
      memcpy(buf, base, pos);
      buf[pos] = alphabet[a];
      memcpy(buf + pos + 1, base + pos, len - pos);
      compare(e, buf, len + 1);
    }
    /* delete the character at POS */
    if (pos < len) {
      memcpy(buf, base, pos);
      memcpy(buf + pos, base + pos + 1, len - pos - 1);
      compare(e, buf, len - 1);
    }
  }
}

START_TEST(test_mutations)
{
  static const char *const syslog[] = {
    "Nov  1 00:00:08 srv1", "Sun Jan 23 21:59:59.011 2005 b", "Dec 31 23:59:59 2026 x",
    "Feb 29 12:34:56.123456 x", "[Oct 10 10:10:10]",
  };
  static const char *const iso[] = {
    "2026-11-01 00:00:08 D4", "2026-12-31T23:59:59.123456+01:00 x", "2026/10/30  20:00:00 UTC",
    "2026.1.3 2:0:0,5 -0130", "(2020-02-29 00:00:00Z)",
  };
  for (F2bDateFastKind k = F2B_DATEFAST_SYSLOG; k <= F2B_DATEFAST_ISO; k++) {
    Engines e;
    engines_init(&e, k, WALL_2026);
    const char *const *bases = k == F2B_DATEFAST_SYSLOG ? syslog : iso;
    for (gsize i = 0; i < 5; i++)
      mutate_all(&e, bases[i]);
    /* most changes leave a date the matcher finds on its own */
  ck_assert_uint_gt(e.answered, e.regex_matches * 3 / 4);
    engines_clear(&e);
  }
}
END_TEST

/* ---- random lines of date-like pieces ---- */

static const char *const syslog_pieces[] = {
  "Jan", "nov", "DEC", "Mon", "sun", "Sep", "x", " ", "  ", ":", ".", "1", "2", "3", "0", "5",
  "6", "9", "12", "23", "30", "31", "59", "60", "2026", "2005", "1999", "123456", "1234567",
  "_", "[", "\n",
};

static const char *const iso_pieces[] = {
  "2026", "2000", "2030", "1999", "-", "/", ".", ",", ":", "T", " ", "  ", "0", "1", "2", "3",
  "9", "01", "10", "12", "13", "20", "23", "24", "30", "31", "59", "60", "123456", "1234567",
  "Z", "UTC", "GMT", "+01", "-0130", "+01:00", "\t", "x", "_", "[",
};

static void
random_lines(Engines *e, const char *const *pieces, guint n_pieces, guint32 seed, guint count)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
  g_autoptr(GString) line = g_string_new(NULL);
  for (guint i = 0; i < count; i++) {
    g_string_truncate(line, 0);
    guint n = (guint) g_rand_int_range(rand, 1, 16);
    for (guint k = 0; k < n; k++)
      g_string_append(line, pieces[g_rand_int_range(rand, 0, (gint32) n_pieces)]);
    compare(e, line->str, line->len);
  }
}

/* Lines close to a stamp: each piece of a real one kept or replaced. */
static void
random_near_lines(Engines *e, const char *const *stamp, guint n_stamp, const char *const *pieces,
                  guint n_pieces, guint32 seed, guint count)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
  g_autoptr(GString) line = g_string_new(NULL);
  for (guint i = 0; i < count; i++) {
    g_string_truncate(line, 0);
    for (guint k = 0; k < n_stamp; k++) {
      gint32 r = g_rand_int_range(rand, 0, 24);
      if (r == 0)
        g_string_append(line, pieces[g_rand_int_range(rand, 0, (gint32) n_pieces)]);
      else if (r != 1)
        g_string_append(line, stamp[k]);
    }
    compare(e, line->str, line->len);
  }
}

START_TEST(test_random_syslog)
{
  static const char *const stamp[] = { "Sun", " ", "Jan", " ", "23", " ", "21", ":", "59", ":",
                                       "59", ".", "011", " ", "2026", " ", "x" };
  Engines e;
  engines_init(&e, F2B_DATEFAST_SYSLOG, WALL_2026);
  random_lines(&e, syslog_pieces, G_N_ELEMENTS(syslog_pieces), 1, 100000);
  random_near_lines(&e, stamp, G_N_ELEMENTS(stamp), syslog_pieces, G_N_ELEMENTS(syslog_pieces), 2,
                    100000);
  ck_assert_uint_gt(e.regex_matches, 20000);
  ck_assert_uint_gt(e.answered, e.regex_matches * 3 / 4);
  engines_clear(&e);
}
END_TEST

START_TEST(test_random_iso)
{
  static const char *const stamp[] = { "2026", "-", "11", "-", "01", "T", "20", ":", "59", ":",
                                       "59", ",", "123", " ", "+01:00", " ", "x" };
  Engines e;
  engines_init(&e, F2B_DATEFAST_ISO, WALL_2026);
  random_lines(&e, iso_pieces, G_N_ELEMENTS(iso_pieces), 3, 100000);
  random_near_lines(&e, stamp, G_N_ELEMENTS(stamp), iso_pieces, G_N_ELEMENTS(iso_pieces), 4,
                    100000);
  ck_assert_uint_gt(e.regex_matches, 20000);
  ck_assert_uint_gt(e.answered, e.regex_matches * 3 / 4);
  engines_clear(&e);
}
END_TEST

/* ---- lines sharing a head: the cached walk only walks their tails ---- */

static const char *const syslog_tails[] = {
  "00", "59", "5", "60", "61", "6", ":", ".", "123456", "1234567", " ", "  ", "2026", "2005",
  "1999", "20261", "x", "_", "\n", "[",
};

static const char *const iso_tails[] = {
  "00", "59", "5", "60", "6", ":", ".", ",", "123", "1234567", "Z", "UTC", "GMT", "+01", "-0130",
  "+01:00", ":", " ", "  ", "\t", "x", "_",
};

/* How a tail starts: minutes and their ':' mostly. */
static const char *const minutes[] = { "00:", "59:", "5:", "07:", "60:", "6", ":", "00", "" };
static const char *const seconds[] = { "00", "59", "5", "08", "6", "" };

/* Each head once with a tail that makes it a date, then with COUNT random
 * tails: all of those lines must be walked from the kept head. */
static void
heads_with_tails(Engines *e, const char *const *heads, guint n_heads, const char *const *tails,
                 guint n_tails, guint32 seed, guint count)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
  g_autoptr(GString) line = g_string_new(NULL);
  for (guint h = 0; h < n_heads; h++) {
    g_autofree char *first = g_strconcat(heads[h], "00:00 x", NULL);
    ck_assert_msg(compare_str(e, first), "'%s' unanswered", first);
    ck_assert_uint_eq(e->head.len, strlen(heads[h]));
    guint before = e->same_heads;
    for (guint i = 0; i < count; i++) {
      g_string_assign(line, heads[h]);
      g_string_append(line, minutes[g_rand_int_range(rand, 0, G_N_ELEMENTS(minutes))]);
      g_string_append(line, seconds[g_rand_int_range(rand, 0, G_N_ELEMENTS(seconds))]);
      guint n = (guint) g_rand_int_range(rand, 0, 4);
      for (guint k = 0; k < n; k++)
        g_string_append(line, tails[g_rand_int_range(rand, 0, (gint32) n_tails)]);
      compare(e, line->str, line->len);
    }
    ck_assert_uint_eq(e->same_heads - before, count);
  }
}

START_TEST(test_kept_heads)
{
  static const char *const syslog[] = { "Nov  1 00:", "Sun Jan 23 21:", "[Dec 31 23:", "Jan 1 0:",
                                        "fri Feb  9  2:", "-(Oct 10 10:" };
  static const char *const iso[] = { "2026-11-01 00:", "2026-12-31T23:", "(2020/02/29  1:",
                                     "2026.1.3 2:", "2026-10- 9T19:" };
  Engines e;
  engines_init(&e, F2B_DATEFAST_SYSLOG, WALL_2026);
  heads_with_tails(&e, syslog, G_N_ELEMENTS(syslog), syslog_tails, G_N_ELEMENTS(syslog_tails), 5,
                   20000);
  ck_assert_uint_gt(e.answered, 6 * 20000 / 8);
  ck_assert_uint_gt(e.with_mmss, e.answered / 4);
  ck_assert_uint_lt(e.with_mmss, e.answered);
  ck_assert_uint_gt(e.plain_answers, e.with_mmss / 4);
  ck_assert_uint_lt(e.plain_answers, e.with_mmss);
  engines_clear(&e);
  engines_init(&e, F2B_DATEFAST_ISO, WALL_2026);
  heads_with_tails(&e, iso, G_N_ELEMENTS(iso), iso_tails, G_N_ELEMENTS(iso_tails), 6, 20000);
  ck_assert_uint_gt(e.answered, 5 * 20000 / 8);
  ck_assert_uint_gt(e.plain_answers, e.answered / 8);
  engines_clear(&e);
}
END_TEST

/* A head is kept only for the matcher that made it, and a line shorter than the
 * head or differing in it is walked whole; a line whose head does not match
 * leaves no head. */
START_TEST(test_head_changes)
{
  Engines e, other;
  engines_init(&e, F2B_DATEFAST_SYSLOG, WALL_2026);
  engines_init(&other, F2B_DATEFAST_SYSLOG, WALL_2026);
  F2bDateFastHead *h = &e.head;
  gboolean same = TRUE;
  ck_assert(f2b_datefast_match_cached(e.fast, h, "Nov  1 00:00:08 a", 17, &same));
  ck_assert(!same);
  ck_assert_uint_eq(h->len, 10);
  ck_assert(f2b_datefast_match_cached(e.fast, h, "Nov  1 00:00:09 a", 17, &same));
  ck_assert(same);
  ck_assert_uint_eq(h->ov[2 * 7], 13); /* the seconds */
  /* the other matcher does not take it */
  ck_assert(f2b_datefast_match_cached(other.fast, h, "Nov  1 00:00:09 a", 17, &same));
  ck_assert(!same);
  ck_assert_ptr_eq(h->matcher, other.fast);
  /* shorter than the head, then a different hour */
  ck_assert(!f2b_datefast_match_cached(other.fast, h, "Nov  1 00", 9, &same));
  ck_assert(!same);
  ck_assert_ptr_null(h->matcher);
  ck_assert(f2b_datefast_match_cached(other.fast, h, "Nov  1 01:00:09 a", 17, &same));
  ck_assert(!same);
  ck_assert(f2b_datefast_match_cached(other.fast, h, "Nov  1 01:00:7 a", 16, &same));
  ck_assert(same);
  ck_assert_uint_eq(h->ov[2 * 7 + 1], 14);
  ck_assert_uint_eq(h->ov[2 * 5], 7); /* the hour, from the head */
  ck_assert_uint_eq(h->ov[3], 14);    /* the date ends with the seconds */
  /* the tail fails: no answer, the head stays */
  ck_assert(!f2b_datefast_match_cached(other.fast, h, "Nov  1 01:0x", 12, &same));
  ck_assert(same);
  ck_assert_uint_eq(h->len, 10);
  ck_assert(f2b_datefast_match_cached(other.fast, h, "Nov  1 01:02:03.5 2026 a", 24, &same));
  ck_assert(same);
  ck_assert_uint_eq(h->ov[2 * 9], 18); /* the year */
  ck_assert_uint_eq(h->ov[3], 22);
  ck_assert_uint_eq(f2b_datefast_tail_group(e.fast), 6);
  engines_clear(&e);
  engines_clear(&other);
  engines_init(&e, F2B_DATEFAST_ISO, WALL_2026);
  ck_assert_uint_eq(f2b_datefast_tail_group(e.fast), 7);
  ck_assert_uint_eq(f2b_datefast_n_pairs(e.fast), 11);
  engines_clear(&e);
}
END_TEST

/* Which tails after a kept head f2b_datefast_match_plain takes: what follows
 * the seconds must end the match and start nothing optional. */
typedef struct {
  const char *tail; /* after the head */
  gboolean plain;
} PlainCase;

static void
check_plain_tails(F2bDateFastKind kind, const char *head, const PlainCase *cases, gsize n)
{
  Engines e;
  engines_init(&e, kind, WALL_2026);
  for (gsize i = 0; i < n; i++) {
    /* a line that makes HEAD the kept head, then the case */
    g_autofree char *first = g_strconcat(head, "00:00 x", NULL);
    ck_assert(compare_str(&e, first));
    g_autofree char *line = g_strconcat(head, cases[i].tail, NULL);
    guint before = e.plain_answers;
    compare_str(&e, line);
    ck_assert_msg(e.plain_answers - before == (guint) cases[i].plain, "'%s': plain %d expected",
                  line, cases[i].plain);
    /* again, with the head's offsets already those of a plain tail */
    before = e.plain_answers;
    compare_str(&e, line);
    ck_assert_uint_eq(e.plain_answers - before, (guint) cases[i].plain);
  }
  engines_clear(&e);
}

START_TEST(test_plain_tails)
{
  static const PlainCase syslog[] = {
    {"00:08", TRUE}, {"59:59 srv1 sshd[1]: x", TRUE}, {"07:08 ", TRUE}, {"07:08 x", TRUE},
    {"07:08-x", TRUE}, {"07:08,5", TRUE}, {"07:08]", TRUE}, {"07:08\t2026", TRUE},
    {"07:08 2026 x", FALSE}, {"07:08 2", FALSE}, {"07:08.5", FALSE}, {"07:08.", FALSE},
    {"07:08x", FALSE}, {"07:08_", FALSE}, {"07:085", FALSE}, {"60:08 x", FALSE},
    {"07:60 x", FALSE}, {"7:08 x", FALSE}, {"07:8 x", FALSE}, {"07-08 x", FALSE}, {"07:0", FALSE},
    {"07:08\x80", FALSE},
  };
  static const PlainCase iso[] = {
    {"00:08", TRUE}, {"59:59 CB8240-837A35-51 => bob", TRUE}, {"07:08 ", TRUE},
    {"07:08 x", TRUE}, {"07:08 1", TRUE}, {"07:08]", TRUE}, {"07:08;", TRUE},
    {"07:08 UTC", FALSE}, {"07:08 GMT", FALSE}, {"07:08 Z", FALSE}, {"07:08 U", FALSE},
    {"07:08 +0100", FALSE}, {"07:08+01:00", FALSE}, {"07:08-0100", FALSE}, {"07:08Z", FALSE},
    {"07:08  x", FALSE}, {"07:08\tx", FALSE}, {"07:08.123", FALSE}, {"07:08,123", FALSE},
    {"07:08x", FALSE}, {"60:08 x", FALSE}, {"07:61 x", FALSE},
  };
  check_plain_tails(F2B_DATEFAST_SYSLOG, "Nov  1 00:", syslog, G_N_ELEMENTS(syslog));
  check_plain_tails(F2B_DATEFAST_ISO, "2026-11-01 00:", iso, G_N_ELEMENTS(iso));
  /* without a kept head, or with another matcher's, nothing is plain */
  Engines e, other;
  engines_init(&e, F2B_DATEFAST_SYSLOG, WALL_2026);
  engines_init(&other, F2B_DATEFAST_SYSLOG, WALL_2026);
  ck_assert_int_eq(f2b_datefast_match_plain(e.fast, &e.plain_head, "Nov  1 00:00:08 x", 17), -1);
  ck_assert(compare_str(&e, "Nov  1 00:00:08 x"));
  ck_assert_int_eq(f2b_datefast_match_plain(e.fast, &e.plain_head, "Nov  1 00:01:09 x", 17), 69);
  ck_assert_int_eq(f2b_datefast_match_plain(other.fast, &e.plain_head, "Nov  1 00:01:09 x", 17),
                   -1);
  ck_assert_int_eq(f2b_datefast_match_plain(e.fast, &e.plain_head, "Nov  1 01:01:09 x", 17), -1);
  ck_assert_int_eq(f2b_datefast_match_plain(e.fast, &e.plain_head, "Nov  1 00:01:0", 14), -1);
  ck_assert_int_eq(f2b_datefast_match_plain(e.fast, &e.plain_head, "Nov  1 00:01:59", 15), 119);
  ck_assert_uint_eq(e.plain_head.ov[3], 15);
  engines_clear(&e);
  engines_clear(&other);
}
END_TEST

/* Another clock: other centuries accepted by %ExY. */
START_TEST(test_other_years)
{
  static const double walls[] = { 946684800.0 /* 2000 */, 4102444800.0 /* 2100 */ };
  for (gsize w = 0; w < G_N_ELEMENTS(walls); w++) {
    Engines e;
    engines_init(&e, F2B_DATEFAST_ISO, walls[w]);
    for (int year = 1990; year < 2110; year++) {
      g_autofree char *line = g_strdup_printf("%d-01-02 03:04:05 x", year);
      compare_str(&e, line);
    }
    ck_assert_uint_eq(e.answered, e.regex_matches);
    ck_assert_uint_gt(e.answered, 0);
    ck_assert_uint_lt(e.answered, 120);
    engines_clear(&e);
  }
}
END_TEST

int
main(void)
{
  g_setenv("TZ", "CET-01CEST-02,M3.5.0,M10.5.0", TRUE);
  tzset();
  Suite *s = suite_create("datefast");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 180);
  tcase_add_test(tc, test_regexes_are_the_modelled_ones);
  tcase_add_test(tc, test_other_groups_refused);
  tcase_add_test(tc, test_syslog_edges);
  tcase_add_test(tc, test_iso_edges);
  tcase_add_test(tc, test_mutations);
  tcase_add_test(tc, test_random_syslog);
  tcase_add_test(tc, test_random_iso);
  tcase_add_test(tc, test_other_years);
  tcase_add_test(tc, test_kept_heads);
  tcase_add_test(tc, test_head_changes);
  tcase_add_test(tc, test_plain_tails);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

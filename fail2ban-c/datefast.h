/* datefast.h - the two date templates most logs use, matched without a regex
 * engine.
 *
 * Nearly every log line starts with a syslog stamp ("Nov  1 00:00:08") or an
 * ISO one ("2026-11-01 00:00:08"), and fail2ban's line-start templates for
 * them are the ones that win.  Searching their regexes costs a PCRE2 call and
 * some 800 instructions a line; these matchers walk the same alternatives in
 * the same order (a backtracking search over a fixed list of elements) and
 * fill the same offsets, in a fraction of that.
 *
 * A matcher answers for pure-ASCII subjects only (Python and PCRE2 agree there
 * on \d, \w, \s and case), and only when it finds a match: "no match" is left
 * to the regex, which keeps any doubt on the side of the reference engine.
 * tests/unit/test-datefast.c compares both engines line by line. */
#pragma once

#include <glib.h>
#include <string.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

typedef enum {
  F2B_DATEFAST_SYSLOG = 1, /* {^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)? */
  F2B_DATEFAST_ISO,        /* {^LN-BEG}%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S... */
} F2bDateFastKind;

typedef struct F2bDateFast F2bDateFast;

/* The datepattern a matcher stands for (fail2ban's default template anchored at
 * the line start), or NULL. */
const char *f2b_datefast_pattern(F2bDateFastKind kind);

/* The kind whose pattern is PATTERN, or 0. */
F2bDateFastKind f2b_datefast_kind_of(const char *pattern);

/* A matcher for the template of KIND's pattern, whose regex has N_GROUPS capture
 * groups (group 0 included) named GROUP_NAMES[i] (NULL for an unnamed group) and
 * whose %ExY accepts the centuries CENTURIES (f2b_strptime_year_centuries).
 * NULL when the groups are not those of KIND's regex. */
F2bDateFast *f2b_datefast_new(F2bDateFastKind kind, const char *const *group_names,
                              guint n_groups, const guint8 centuries[1000]);
void f2b_datefast_free(F2bDateFast *fm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bDateFast, f2b_datefast_free)

/* Matches SUBJECT (LEN bytes, all below 0x80) from its start as the template's
 * regex would.  TRUE: it matches, and OV (N_PAIRS pairs, at least the regex's
 * group count) holds what pcre2_match() would have put there, PCRE2_UNSET for
 * groups that did not take part.  FALSE: no answer (ask the regex); OV then
 * holds nothing of use. */
gboolean f2b_datefast_match(const F2bDateFast *fm, const char *subject, gsize len,
                            PCRE2_SIZE *ov, guint n_pairs);

/* The offset pairs of a matcher's regex (group 0 included). */
guint f2b_datefast_n_pairs(const F2bDateFast *fm);
#define F2B_DATEFAST_MAX_PAIRS 11

/* A matcher's last match and what the first bytes of its subject decided: the
 * "head" of the match, up to the hour's ':' ("Nov  1 00:", "2026-11-01 00:").
 * Consecutive log lines mostly share it, and then only the rest (minutes,
 * seconds, fraction, year or zone, the end) needs a walk.  The caller
 * zero-fills it, keeps it between calls and reads OV, never writes it.  It
 * refers to one matcher, which must outlive it. */
typedef struct {
  const F2bDateFast *matcher; /* NULL: no head */
  gsize len;                  /* the head: the subject's first LEN bytes */
  guint8 bytes[24];
  /* the last match's offsets (f2b_datefast_n_pairs pairs); those of the groups
   * before f2b_datefast_tail_group (but group 1's end) are the head's */
  PCRE2_SIZE ov[2 * F2B_DATEFAST_MAX_PAIRS];
  /* the values of the minutes and seconds when both are two digits from 00 to
   * 59, as in most stamps (else -1 both) */
  int mmss[2];
  /* OV holds the offsets of a plain tail after this head (see
   * f2b_datefast_match_plain), which lines with such a tail leave as they are */
  gboolean plain_ov;
  /* the matcher's classes of the bytes after the seconds and after a space
   * there (F2B_DATEFAST_AFTER_*, and TRUE when no year or zone starts) */
  const guint8 *after_seconds, *after_space;
} F2bDateFastHead;

/* f2b_datefast_match() through HEAD, into HEAD->ov: when SUBJECT starts with
 * HEAD's bytes, the head's offsets are those HEAD->ov has and only the rest is
 * walked (*SAME_HEAD = TRUE); else the whole subject is, and HEAD becomes this
 * subject's head when the walk got past one (*SAME_HEAD = FALSE).  The answer
 * and the offsets are f2b_datefast_match()'s either way. */
gboolean f2b_datefast_match_cached(const F2bDateFast *fm, F2bDateFastHead *head,
                                   const char *subject, gsize len, gboolean *same_head);

/* What a byte after the seconds says of a plain tail (see below) */
enum {
  F2B_DATEFAST_AFTER_END,   /* the match ends before it, nothing optional starts there */
  F2B_DATEFAST_AFTER_SPACE, /* a space: the byte after it decides (a year or a zone?) */
  F2B_DATEFAST_AFTER_OTHER, /* a fraction, a zone, a word character...: walk the tail */
};

/* For f2b_datefast_match_plain: sets HEAD->ov to the offsets of a plain tail. */
void f2b_datefast_set_plain_ov(F2bDateFastHead *head);

/* The usual case of f2b_datefast_match_cached(), in few steps: SUBJECT starts
 * with HEAD's bytes and its tail is plain: "MM:SS" (both from 00 to 59) with
 * nothing after it that the regex could take (no fraction, year or zone) and the
 * end of the match there.  Returns the minutes times 60 plus the seconds, HEAD->ov
 * and HEAD->mmss then being what f2b_datefast_match_cached() would leave (a
 * match, from the kept head); -1 when the case does not apply, HEAD then being
 * unchanged: f2b_datefast_match_cached() answers such a subject.  Inline: nearly
 * every log line comes here. */
static inline int
f2b_datefast_match_plain(const F2bDateFast *fm, F2bDateFastHead *h, const char *subject,
                         gsize len)
{
  const guchar *s = (const guchar *) subject;
  gsize p = h->len, q = p + 5;
  if (h->matcher != fm || len < q)
    return -1;
  /* a kept head has 8 to 24 bytes: its first and last 8, and the 8 after the
   * first when it has more than 16 */
  guint64 a, b, c, d;
  memcpy(&a, h->bytes, 8);
  memcpy(&b, s, 8);
  memcpy(&c, h->bytes + p - 8, 8);
  memcpy(&d, s + p - 8, 8);
  if ((a ^ b) | (c ^ d))
    return -1;
  if (p > 16) {
    memcpy(&a, h->bytes + 8, 8);
    memcpy(&b, s + 8, 8);
    if (a != b)
      return -1;
  }
  guint m0 = s[p] - (guint) '0', m1 = s[p + 1] - (guint) '0';
  guint s0 = s[p + 3] - (guint) '0', s1 = s[p + 4] - (guint) '0';
  if (m0 > 5 || m1 > 9 || s[p + 2] != ':' || s0 > 5 || s1 > 9)
    return -1;
  if (q < len) {
    guint8 after = h->after_seconds[s[q]];
    if (after == F2B_DATEFAST_AFTER_OTHER ||
        (after == F2B_DATEFAST_AFTER_SPACE && q + 1 < len && !h->after_space[s[q + 1]]))
      return -1;
  }
  if (!h->plain_ov)
    f2b_datefast_set_plain_ov(h);
  h->mmss[0] = (int) (m0 * 10 + m1);
  h->mmss[1] = (int) (s0 * 10 + s1);
  return h->mmss[0] * 60 + h->mmss[1];
}

/* The first group the rest of a match after the head sets (the minutes): the
 * text of every group numbered below it is the same for all subjects that start
 * with the same head (group 1, the whole date, excepted: it ends with the match). */
guint f2b_datefast_tail_group(const F2bDateFast *fm);

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

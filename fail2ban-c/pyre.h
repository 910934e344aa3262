/* pyre.h - read a regex in Python 3.11 `re` syntax and write it in PCRE2 syntax.
 *
 * fail2ban's filters and date templates are Python regexes (failregex.c and
 * datedetect.c both translate theirs here); PCRE2 reads most of them the same way but
 * not all (see failregex.h for the list of what is translated and what is refused).
 * The pattern is parsed as Python's re parser does, with its checks and error texts
 * ("bad escape \e at position 3"), and written out so PCRE2 matches what Python
 * would. All groups are written as plain numbered groups; their Python names are
 * returned beside the pattern. Positions in errors count characters, as Python's do.
 */
#pragma once

#include <glib.h>
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

G_BEGIN_DECLS

#define F2B_PYRE_ERROR (f2b_pyre_error_quark())
GQuark f2b_pyre_error_quark(void);

typedef enum {
  F2B_PYRE_ERROR_SYNTAX,      /* Python's re refuses the pattern too */
  F2B_PYRE_ERROR_UNSUPPORTED, /* valid in Python, no PCRE2 equivalent */
} F2bPyreError;

typedef struct {
  char *pattern;       /* the PCRE2 pattern, NUL-terminated */
  gboolean ascii;      /* a global (?a): compile without PCRE2_UCP */
  guint n_groups;      /* capturing groups, numbered 1..n_groups as in Python */
  char **group_names;  /* n_groups + 1 entries, [0] unused; NULL for unnamed groups */
  GArray *offset_map;  /* private: pairs (pattern offset, source offset) */
  /* Tail elision (see f2b_pyre_compile_tail_for_ascii): when the pattern ends with a
   * capturing group holding only a greedy ".+" or ".*" followed by "$" (no "|" at
   * the top level, no DOTALL), TAIL_GROUP is that group's number (0: no such tail)
   * and TAIL_NONEMPTY tells ".+" from ".*". */
  guint tail_group;
  gboolean tail_nonempty;
  char *tail_pattern;  /* private: the pattern with the tail elided */
} F2bPyre;

/* Translates PATTERN (valid UTF-8, NUL-terminated). Transfer full; NULL with ERROR
 * whose message is Python-like ("missing ), unterminated subpattern at position 0"). */
F2bPyre *f2b_pyre_translate(const char *pattern, GError **error);
void f2b_pyre_free(F2bPyre *re);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bPyre, f2b_pyre_free)

/* The byte offset in the Python source that produced byte OFFSET of re->pattern
 * (used to place PCRE2's compile errors in the user's regex). */
gsize f2b_pyre_source_offset(const F2bPyre *re, gsize offset);
/* Frees the offset map (a pattern kept after it compiled needs it no more; it takes
 * about as much memory as the pattern): f2b_pyre_source_offset() then answers 0. */
void f2b_pyre_drop_offsets(F2bPyre *re);

/* Python's error suffix for byte offset OFFSET of PATTERN: " at position N", plus
 * " (line L, column C)" when the pattern has several lines. Transfer full. */
char *f2b_pyre_position_suffix(const char *pattern, gsize offset);

/* Compiles the translation as Python would run it: UTF-8 text (subjects that are
 * not valid UTF-8 are searched safely, their bad bytes match nothing), Unicode
 * \w \d \s \b and case folding unless a global (?a), "\n" as the only newline;
 * OPTIONS adds PCRE2 options (e.g. PCRE2_MULTILINE). JIT-compiles when the
 * platform can (else PCRE2's interpreter runs). Transfer full; NULL with an
 * F2B_PYRE_ERROR_UNSUPPORTED error "<PCRE2's reason> at position N (PCRE2)",
 * N placed in the Python source SOURCE that RE was translated from. */
pcre2_code *f2b_pyre_compile(const F2bPyre *re, const char *source, guint32 options,
                             GError **error);
/* The same without JIT code (lazyjit.h adds it once the pattern is busy). */
pcre2_code *f2b_pyre_compile_nojit(const F2bPyre *re, const char *source, guint32 options,
                                   GError **error);
/* The same for subjects known to be pure ASCII (every byte < 0x80): compiled
 * without PCRE2_UCP, whose Unicode property look-ups make \d \w \s \b slow.
 * On such a subject both codes find the same matches (the Unicode and the ASCII
 * meaning of those escapes agree on ASCII characters, and UTF case folding does
 * not depend on PCRE2_UCP); on any other subject, use f2b_pyre_compile's code.  Like
 * f2b_pyre_compile_nojit, without JIT code: lazyjit.h adds it. */
pcre2_code *f2b_pyre_compile_for_ascii(const F2bPyre *re, const char *source, guint32 options,
                                       GError **error);
/* For a pattern with an elidable tail (re->tail_group > 0): the code of the pattern
 * with "(.+)$" turned into "((?=.))" (with ".*", into "()"), for pure-ASCII subjects
 * as f2b_pyre_compile_for_ascii; NULL (no error) when the pattern has no such tail.
 *
 * On a subject whose only "\n", if any, is its last byte, the two patterns succeed
 * on the same backtracking paths: from any position P the tail ".+$" matches iff
 * the byte at P exists and is not "\n" (what "(?=.)" checks), and then it runs to
 * the newline or the end; ".*$" always matches.  PCRE2 therefore returns the same
 * first path, with the same groups, except the tail group's end and the match's
 * end, which are the position of the final "\n" when the tail starts before it,
 * else the subject's end: f2b_pyre_tail_end() gives it.  On any other subject use
 * the full pattern.  Without JIT code (lazyjit.h adds it). */
pcre2_code *f2b_pyre_compile_tail_for_ascii(const F2bPyre *re, const char *source,
                                            guint32 options, GError **error);
/* Whether the tail-elided code may serve SUBJECT (LEN bytes): it holds no "\n" but
 * possibly its last byte. */
gboolean f2b_pyre_tail_applies(const char *subject, gsize len);
/* The end of the elided tail (and of the match) when the tail group starts at
 * START in SUBJECT (LEN bytes, one f2b_pyre_tail_applies accepts). */
static inline gsize
f2b_pyre_tail_end(const char *subject, gsize len, gsize start)
{
  return (len > 0 && subject[len - 1] == '\n' && start < len) ? len - 1 : len;
}

G_END_DECLS

/* failregex.h - fail2ban's regex layer: tags, Python `re` syntax on PCRE2, matching.
 *
 * A filter's prefregex, failregex and ignoreregex are written in Python `re` syntax
 * with fail2ban's tags. Compiling one here does what fail2ban's Regex/FailRegex do:
 *  1. tags are expanded as fail2ban expands them (<HOST> <ADDR> <IP4> <IP6> <DNS>
 *     <CIDR> <SUBNET> <F-ID/> <F-PORT/> <SKIPLINES> and any <F-NAME>...</F-NAME>,
 *     which becomes the group "name" in lower case; F-ID and F-PORT give fid and
 *     fport). f2b_failregex_get_regex() returns that text, identical to fail2ban's
 *     getRegex(), and error messages quote it;
 *  2. a blank result is refused ("Cannot add empty regex");
 *  3. "((?i)x)" and "(?:(?i)x)" become "(?i:x)" as fail2ban rewrites them;
 *  4. the Python syntax is parsed and written out as PCRE2 syntax (below), then
 *     compiled with JIT, UTF-8, Unicode properties (Python's \d \w \s \b are Unicode
 *     on str), PCRE2_MATCH_INVALID_UTF (invalid UTF-8 in a log line never errors),
 *     LF newlines and PCRE2_ALT_CIRCUMFLEX (Python's (?m)^ also matches after a
 *     final newline);
 *  5. for a failregex: unless the regex or the prefregex has one of the groups fid,
 *     ip4, ip6, dns or mlfid, "No failure-id group in '<regex>'".
 *
 * Translated from Python `re` to PCRE2:
 *  - every group becomes a plain numbered group; names live in our own table, so
 *    Python names PCRE2 refuses (non-ASCII identifiers, more than 32 characters) work.
 *    (?P=name) and \N back references become \g{N}; (?(name)...) becomes (?(N)...);
 *  - \Z becomes \z; \v (a vertical tab in Python) becomes \x{0b}; \xhh, \uhhhh,
 *    \Uhhhhhhhh and octal escapes become \x{...}; an escaped non-alphanumeric or
 *    non-ASCII character is a literal;
 *  - x{,n} (PCRE2 10.42 reads "{,n}" literally) becomes x{0,n}; x{,} becomes x{0,};
 *  - inside a class "[" is always literal (Python has no POSIX [:alpha:] classes),
 *    \b is a backspace;
 *  - \s also matches \x1c-\x1f as Python's str \s does (outside classes and in a
 *    class as [\s...]; \S and [^\s] inside a class do not exclude them);
 *  - (?x) verbose patterns are written out without their white space and comments;
 *    (?#...) comments are dropped (Python ends them at the first unescaped ")");
 *  - a global (?a) compiles without Unicode properties; (?u) and (?u:...) are no-ops.
 * Python's own rules are enforced, so what fail2ban rejects is rejected here too:
 *  bad escapes (\e \h \K \Q \R \p ...), global flags not at the start, (?L), unknown
 *  extensions ((?P>..), (?<name>..), (?|..), (?R), (*VERB)), references to unknown,
 *  open or later groups, duplicate names, look-behind of variable width, nothing to
 *  repeat, multiple repeat, bad ranges, min > max. Also rejected, with a clear error,
 *  because PCRE2 cannot express them: \N{NAME} escapes, local (?a:...), surrogate
 *  code points. Error texts follow Python's where we produce them; for an error
 *  PCRE2 finds, its own message and the position in the fail2ban regex.
 * Known remaining differences: case-insensitive matching uses PCRE2's Unicode case
 *  folding (even with (?a)); `.` and classes never match bytes of invalid UTF-8
 *  (fail2ban decodes them to U+FFFD first; callers wanting that should decode the
 *  same way before matching).
 *
 * Matching mirrors Regex.search(buffer, orgLines): the buffer is the text of the
 * line tuples joined by "\n" plus a final "\n" (f2b_failregex_lines_buffer()), and
 * matched/unmatched lines are reported as indices into orgLines. A PCRE2 match
 * limit guards against catastrophic backtracking; hitting it is an error
 * (F2B_FAILREGEX_ERROR_LIMIT), never a silent non-match.
 *
 * Objects are not thread-safe (each keeps its own match data); there is no global
 * state, so different objects may be used from different threads.
 */
#pragma once

#include <glib.h>

#include "ipaddr.h"

G_BEGIN_DECLS

#define F2B_FAILREGEX_ERROR (f2b_failregex_error_quark())
GQuark f2b_failregex_error_quark(void);

typedef enum {
  F2B_FAILREGEX_ERROR_EMPTY,         /* "Cannot add empty regex" */
  F2B_FAILREGEX_ERROR_COMPILE,       /* "Unable to compile regular expression '...':\n..." */
  F2B_FAILREGEX_ERROR_NO_FAILURE_ID, /* "No failure-id group in '...'" */
  F2B_FAILREGEX_ERROR_NO_GROUP,      /* getFailID: none of the groups has a value */
  F2B_FAILREGEX_ERROR_LIMIT,         /* match, depth, heap or JIT stack limit reached */
  F2B_FAILREGEX_ERROR_MATCH,         /* any other PCRE2 matching error */
} F2bFailRegexError;

typedef enum {
  F2B_FAILREGEX_FLAGS_NONE = 0,
  F2B_FAILREGEX_MULTILINE = 1 << 0, /* re.MULTILINE: fail2ban sets it when maxlines > 1 */
  F2B_FAILREGEX_USEDNS_NO = 1 << 1, /* usedns = no: <HOST> expands to <ADDR> */
} F2bFailRegexFlags;

/* One log line as fail2ban's filter keeps it: (prefix, date text, rest). The date
 * text is left out of the buffer the regexes see. */
typedef struct {
  const char *prefix;
  gsize prefix_len;
  const char *date;
  gsize date_len;
  const char *rest;
  gsize rest_len;
} F2bRegexLine;

/* A piece of text owned by someone else (never NUL-terminated by contract). */
typedef struct {
  const char *ptr;
  gsize len;
} F2bRegexSpan;

typedef struct F2bRegex F2bRegex;
typedef struct F2bRegexMatch F2bRegexMatch;

/* The default PCRE2 match limit (PCRE2's own default): enough for every stock filter
 * on megabyte lines, small enough to stop a runaway pattern in well under a second. */
#define F2B_FAILREGEX_DEFAULT_MATCH_LIMIT 10000000u

/* fail2ban's tag expansion alone (Regex._resolveHostTag). Transfer full. */
char *f2b_failregex_resolve_tags(const char *regex, F2bFailRegexFlags flags);

/* Compiles REGEX as fail2ban's Regex (prefregex, ignoreregex). NULL with ERROR
 * (EMPTY or COMPILE) when fail2ban would raise RegexException. Transfer full. */
F2bRegex *f2b_failregex_new(const char *regex, F2bFailRegexFlags flags, GError **error);

/* Compiles REGEX as fail2ban's FailRegex: as above, plus the failure-id group check
 * against REGEX and PREFREGEX (may be NULL). */
F2bRegex *f2b_failregex_new_fail(const char *regex, const F2bRegex *prefregex,
                                 F2bFailRegexFlags flags, GError **error);
void f2b_failregex_free(F2bRegex *re);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bRegex, f2b_failregex_free)

/* The expanded regex (fail2ban's getRegex()), owned by RE. */
const char *f2b_failregex_get_regex(const F2bRegex *re);
/* The PCRE2 pattern actually compiled, owned by RE (for diagnostics). */
const char *f2b_failregex_get_pcre2_pattern(const F2bRegex *re);
/* TRUE when the regex defines a group of that name. */
gboolean f2b_failregex_has_group(const F2bRegex *re, const char *name);
/* Names of the regex's groups in definition order, owned by RE (NULL-terminated). */
const char *const *f2b_failregex_group_names(const F2bRegex *re);
/* The literal text every match starts with (the search buffer's first bytes), or
 * NULL when none is known; *LEN gets its length. Owned by RE. A caller trying many
 * regexes on one buffer may skip those whose first byte differs without a call. */
const char *f2b_failregex_get_anchor(const F2bRegex *re, gsize *len);
/* The texts one of which every match starts with, when the regex starts with a
 * group of alternatives that each start with a literal ("^(?:Connection |
 * Disconnected)"): alternative INDEX, or NULL past the last (or when none are
 * known); *LEN gets its length.  Owned by RE. */
const char *f2b_failregex_get_anchor_alternative(const F2bRegex *re, guint index, gsize *len);
/* FALSE when RE cannot match a (non-empty) buffer whose first byte is C: by its
 * anchored literal or the bytes PCRE2 knows a match starts with. */
gboolean f2b_failregex_first_byte_possible(const F2bRegex *re, guchar c);
/* TRUE when getGroups() merges alt_* or tuple_* groups, so that a group's value
 * there may differ from f2b_regex_match_group()'s raw value. */
gboolean f2b_failregex_has_merged_groups(const F2bRegex *re);
/* Sets the PCRE2 match limit used by f2b_failregex_search() (0 restores the default). */
void f2b_failregex_set_match_limit(F2bRegex *re, guint32 limit);

/* fail2ban's _tupleLinesBuf: prefix+rest of each line, joined by "\n", plus "\n".
 * Transfer full. */
GString *f2b_failregex_lines_buffer(const F2bRegexLine *lines, gsize n_lines);

/* Searches BUF (LEN bytes, NULs allowed) like fail2ban's Regex.search(buf, orgLines).
 * ORG_LINES (N_ORG entries) are the lines the buffer stands for; they are only read
 * during the call. Returns a new match (transfer full), or NULL: without ERROR set
 * for no match, with ERROR for a limit reached (F2B_FAILREGEX_ERROR_LIMIT) or another
 * matching error. */
F2bRegexMatch *f2b_failregex_search(F2bRegex *re, const char *buf, gsize len,
                                    const F2bRegexLine *org_lines, gsize n_org,
                                    GError **error);

/* The same; SUBJECT_ASCII promises that BUF is pure ASCII (every byte < 0x80), which
 * lets the search use a byte-mode compile (see f2b_pyre_compile_for_ascii): same
 * results, faster. FALSE is always correct. */
F2bRegexMatch *f2b_failregex_search_full(F2bRegex *re, const char *buf, gsize len,
                                         gboolean subject_ascii, const F2bRegexLine *org_lines,
                                         gsize n_org, GError **error);

/* The same without copying BUF: the match points into it, so BUF must stay as it
 * is until the match is freed (a caller searching a buffer it owns spares the
 * copy). */
F2bRegexMatch *f2b_failregex_search_borrow(F2bRegex *re, const char *buf, gsize len,
                                           gboolean subject_ascii,
                                           const F2bRegexLine *org_lines, gsize n_org,
                                           GError **error);

/* A match keeps its own copy of the buffer (but see f2b_failregex_search_borrow):
 * everything below points into it.  A match is freed before its regex (the regex
 * keeps the block of the last match freed for its next search). */
void f2b_regex_match_free(F2bRegexMatch *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bRegexMatch, f2b_regex_match_free)

/* The whole match (group 0) as offsets into the buffer. */
void f2b_regex_match_bounds(const F2bRegexMatch *m, gsize *start, gsize *end);
F2bRegexSpan f2b_regex_match_subject(const F2bRegexMatch *m);

/* The raw value of the named group (match.group(name)): TRUE and *VALUE when the
 * group exists and took part in the match; FALSE otherwise (no such group, or None). */
gboolean f2b_regex_match_group(const F2bRegexMatch *m, const char *name, F2bRegexSpan *value);

/* The raw value of named group I, in the order of f2b_failregex_group_names():
 * TRUE and *VALUE when it took part in the match (no name search; without merged
 * groups this is getGroups()'s entry I). FALSE for None or I out of range. */
gboolean f2b_regex_match_group_nth(const F2bRegexMatch *m, guint i, F2bRegexSpan *value);

/* One entry of fail2ban's getGroups() dictionary. VALUE.ptr is NULL for None. A
 * tuple_* merged entry has TUPLE set (an array of F2bRegexSpan, ptr NULL for None)
 * and VALUE unused. */
typedef struct {
  const char *name;
  F2bRegexSpan value;
  GArray *tuple;
} F2bRegexGroup;

/* getGroups(): every group by name in definition order with alt_* values merged
 * (alt_user fills user when user is empty) and tuple_* values combined, extra keys
 * added at the end as fail2ban's dict does. Array of F2bRegexGroup owned by M. */
const GArray *f2b_regex_match_groups(F2bRegexMatch *m);

/* getFailID(groups): the first of GROUPS (NULL-terminated; NULL means fid, ip4, ip6,
 * dns) that has a value. Returns FALSE with ERROR (NO_GROUP, fail2ban's "No group
 * found in ... using ..." text) when none has. *GROUP (may be NULL) gets the name. */
gboolean f2b_regex_match_failure_id(const F2bRegexMatch *m, const char *const *groups,
                                    F2bRegexSpan *value, const char **group,
                                    GError **error);

/* getHost(): getFailID over ip4, ip6, dns. */
gboolean f2b_regex_match_host(const F2bRegexMatch *m, F2bRegexSpan *value, GError **error);

/* getIP(): IPAddr(getFailID(ip4, ip6), int(cidr or -1)). Transfer full. */
F2bIPAddr *f2b_regex_match_ip(F2bRegexMatch *m, GError **error);

/* Indices into the ORG_LINES given to the search: getMatchedTupleLines() and
 * getUnmatchedTupleLines(), in fail2ban's order. Owned by M. */
const gsize *f2b_regex_match_matched_lines(const F2bRegexMatch *m, gsize *n);
const gsize *f2b_regex_match_unmatched_lines(const F2bRegexMatch *m, gsize *n);
/* getSkippedLines(): the <SKIPLINES> text split as Python's splitlines() does.
 * Array of F2bRegexSpan owned by M. */
const GArray *f2b_regex_match_skipped_lines(const F2bRegexMatch *m);

/* Beyond fail2ban: when a regex was refused with "No failure-id group", explains the
 * likely cause (a lost <HOST> tag leaving "\[\]" or "()", <host> in the wrong case,
 * <HOST> in a character class, an HTML-escaped &lt;HOST&gt;, an old (?P<host>...)
 * group, <IP> for <ADDR>, ...), suggesting a fixed regex where one is clear. REGEX
 * is the regex as written (before tag expansion). NULL when nothing fits.
 * Transfer full. */
char *f2b_failregex_hint(const char *regex);

G_END_DECLS

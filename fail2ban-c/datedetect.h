/* datedetect.h - find and parse the time stamp of a log line, as fail2ban's
 * DateDetector does.
 *
 * A detector holds an ordered list of date templates: fail2ban's defaults
 * (added on first use when no pattern was set) or those of a `datepattern`
 * option.  Matching follows fail2ban: the template that matched last is
 * tried first (in the part of the line where the date was last time), a
 * template that keeps winning bubbles up the list, and anchored templates
 * ("{^LN-BEG}...") are preferred.  The common case is one regex search per
 * line.
 *
 * Time: nothing here reads a clock.  `now` (seconds since the epoch) is a
 * parameter of the match, as fail2ban's MyTime.time(); it drives the year
 * inference for stamps without a year.  The wall-clock time passed to
 * f2b_datedetect_new() only fixes the centuries %ExY accepts, which
 * fail2ban computes once from the real clock at start-up.  Local time
 * follows the process's TZ (localtime_r/mktime), as Python's time module.
 *
 * Text: lines are UTF-8 with their length (NUL bytes allowed).  fail2ban
 * decodes log lines to Unicode first (invalid bytes become U+FFFD), so the
 * caller should pass decoded text; offsets in results are byte offsets into
 * the given line.  Bytes that are not valid UTF-8 never crash the matcher:
 * they are matched by nothing, not even \W (PCRE2_MATCH_INVALID_UTF), and
 * count as one character each where fail2ban compares character positions.
 *
 * A detector is not thread-safe; use one per thread (fail2ban has one per
 * jail filter). */
#pragma once

#include <glib.h>

#define F2B_DATEDETECT_ERROR (f2b_datedetect_error_quark())
GQuark f2b_datedetect_error_quark(void);

typedef enum {
  F2B_DATEDETECT_ERROR_PATTERN,  /* a datepattern fail2ban would reject */
  F2B_DATEDETECT_ERROR_REGEX,    /* the resulting regex does not compile */
  F2B_DATEDETECT_ERROR_DUPLICATE,/* two templates with the same name */
  F2B_DATEDETECT_ERROR_TIMEZONE, /* logtimezone not understood */
} F2bDateDetectError;

typedef struct F2bDateDetector F2bDateDetector;

typedef enum {
  F2B_DATE_NONE,        /* no template matched */
  F2B_DATE_EMPTY,       /* a template matched an empty text: the date is optional
                         * and absent (fail2ban then uses the last date or now) */
  F2B_DATE_FOUND,       /* date found and converted: `time` is valid */
  F2B_DATE_UNPARSABLE,  /* date text found but it is not a valid date
                         * (fail2ban logs "findFailure failed to parse timeText") */
  F2B_DATE_ERROR,       /* fail2ban raises an exception on this line (IndexError:
                         * a template matched at the very end of the line, e.g.
                         * {NONE} on an empty line); its server logs "Failed to
                         * process line" and skips the line.  No span. */
} F2bDateStatus;

typedef struct {
  F2bDateStatus status;
  /* Seconds since the epoch.  Whole seconds for pattern templates (fail2ban
   * drops %f), fractional for Epoch stamps. */
  double time;
  /* The date text: bytes [start, end) of the line (fail2ban's group 1).
   * Not meaningful for F2B_DATE_NONE.  The filter cuts this span out of the
   * line before applying failregex.  When the template's group 1 did not
   * take part in the match, fail2ban's slicing with -1 splits off the last
   * character; start == end == offset of the last character reproduces it. */
  gsize start, end;
  /* Index of the winning template in the list (after it was moved up) and
   * its name (borrowed from the detector, valid until the template list
   * changes: f2b_datedetect_set_pattern or f2b_datedetect_free). */
  guint template_index;
  const char *template_name;
} F2bDateMatch;

/* A detector with fail2ban's default templates (added on the first match).
 * WALL_NOW: the real current time, for the %ExY year expression. */
F2bDateDetector *f2b_datedetect_new(double wall_now);
void f2b_datedetect_free(F2bDateDetector *dd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bDateDetector, f2b_datedetect_free)

/* Compiled templates shared by detectors, as fail2ban shares its templates
 * between all jails of a process: each template (its regex, JIT code and
 * conversion codes) is built once per cache, while every detector keeps its
 * own hits, weights and order.  The cache fixes the wall-clock year (WALL_NOW)
 * for all its detectors, as fail2ban fixes it once at start-up.  Detectors
 * sharing a cache must be used from one thread.  A template is dropped when the
 * last detector using it is freed. */
typedef struct F2bDateCache F2bDateCache;
F2bDateCache *f2b_datedetect_cache_new(double wall_now);
F2bDateCache *f2b_datedetect_cache_ref(F2bDateCache *cache);
void f2b_datedetect_cache_unref(F2bDateCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bDateCache, f2b_datedetect_cache_unref)
/* Number of templates built and held (for tests). */
guint f2b_datedetect_cache_size(const F2bDateCache *cache);

/* A detector using CACHE's templates (it takes a reference to CACHE). */
F2bDateDetector *f2b_datedetect_new_shared(F2bDateCache *cache);

/* Replaces the templates by those of a `datepattern` value: one or more
 * lines, each a pattern with % codes, or one of the special values
 * {^LN-BEG} (default templates anchored at line start), {DEFAULT},
 * {NONE}, EPOCH, LEPOCH, TAI64N (also with ^ or {^LN-BEG} prefix),
 * a pattern containing {DATE} (each default template put in its place) or
 * {EPOCH}/{LEPOCH}.  NULL or an empty value means the default templates.
 * On error the detector is unchanged. */
gboolean f2b_datedetect_set_pattern(F2bDateDetector *dd, const char *datepattern, GError **error);

/* Sets the zone of stamps that carry none (fail2ban's logtimezone):
 * "UTC", "UTC+0200", "GMT-3", "+0200", "CET" ... NULL: local time. */
gboolean f2b_datedetect_set_timezone(F2bDateDetector *dd, const char *tz, GError **error);

/* Searches LINE (LEN bytes) for a date.  Returns TRUE when the status is
 * F2B_DATE_FOUND.  OUT is always filled. */
gboolean f2b_datedetect_match(F2bDateDetector *dd, const char *line, gsize len, double now,
                              F2bDateMatch *out);
/* The same, for a caller that already knows whether LINE is pure ASCII (no byte
 * >= 0x80; NUL bytes are ASCII): ASCII is 1 if it is, 0 if not, -1 if unknown
 * (then it is checked here).  Results are those of f2b_datedetect_match(); a
 * wrong ASCII = 1 for a line that is not is a programmer error (positions would
 * be counted in bytes). */
gboolean f2b_datedetect_match_ascii(F2bDateDetector *dd, const char *line, gsize len, int ascii,
                                    double now, F2bDateMatch *out);

/* The template list as it stands now (fail2ban-regex prints it with hit
 * counts).  Empty until the first match when no pattern was set. */
guint f2b_datedetect_n_templates(const F2bDateDetector *dd);
const char *f2b_datedetect_template_name(const F2bDateDetector *dd, guint i);
/* Number of lines this template won (fail2ban-regex's "Date template hits"). */
guint f2b_datedetect_template_hits(const F2bDateDetector *dd, guint i);
/* fail2ban's weight of the template in this detector (hits x its own weight /
 * the distance of its last match from the line start, at least 1), used to order
 * the templates; *BASE (may be NULL) gets its own weight (100 for fail2ban's
 * line-start copies of its defaults, else 1).  fail2ban-regex --VD shows both. */
double f2b_datedetect_template_weight(const F2bDateDetector *dd, guint i, double *base);
/* The pattern the template was made from, NULL for Epoch and TAI64N
 * templates (fail2ban's `get <jail> datepattern` shows it). */
const char *f2b_datedetect_template_pattern(const F2bDateDetector *dd, guint i);
/* The final regular expression (Python syntax, as fail2ban shows it). */
const char *f2b_datedetect_template_regex(const F2bDateDetector *dd, guint i);

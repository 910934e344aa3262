/* filter.h - fail2ban's Filter line processing: a log line in, failures out.
 *
 * This is the part of fail2ban's Filter that turns one line into a list of
 * failures (processLine, findFailure, _mergeFailure, _ignoreLine): the date is
 * cut out of the line (prefix, date, rest), lines without a date borrow the
 * last date when it is less than 60 s old, the line joins a buffer of
 * `maxlines` lines, ignoreregex, prefregex (with <F-CONTENT> replacement) and
 * every failregex are searched in fail2ban's order, multi-line failures are
 * merged by <F-MLFID> in a bounded cache (100 entries, 5 minutes, as
 * fail2ban's), and each failure gets its id (address, subnet or raw id) as
 * fail2ban builds it.
 *
 * Lines arrive as bytes; they are decoded as fail2ban decodes them (the log
 * encoding, invalid sequences replaced by U+FFFD as Python's 'replace' does)
 * before anything is matched, so regexes always see valid UTF-8.
 *
 * Time: nothing here reads a clock.  "now" (fail2ban's MyTime.time()) is a
 * field the caller sets before each line (f2b_filter_set_now); it drives the
 * 60 s rule, checkFindTime, year inference and the expiry of the mlfid cache.
 *
 * DNS: a failure whose id is a host name (the `dns` group of <HOST> when
 * usedns is yes or warn) is resolved through a callback the caller supplies;
 * without one, names resolve to nothing (fail2ban's result when DNS fails:
 * no failure).  With usedns = no a name gives no failure unless the whole
 * text is an IPv4 address; raw (or return_raw_host) keeps the text as the id.
 *
 * Memory: the line buffer holds at most `maxlines` lines, the mlfid cache at
 * most 100 entries; nothing grows with the number of lines processed.
 *
 * A filter is not thread-safe; there is no global state. */
#pragma once

#include <glib.h>

#include "datedetect.h"
#include "failregex.h"
#include "ipaddr.h"
#include "pyobj.h"

G_BEGIN_DECLS

#define F2B_FILTER_ERROR (f2b_filter_error_quark())
GQuark f2b_filter_error_quark(void);

typedef enum {
  F2B_FILTER_ERROR_VALUE,    /* a setting fail2ban refuses (maxlines <= 0, bad encoding) */
  F2B_FILTER_ERROR_LINE,     /* fail2ban raises while processing this line (e.g. a bad
                              * cidr group, a date template at the end of the line);
                              * its server logs "Failed to process line" */
} F2bFilterError;

typedef enum {
  F2B_FILTER_USEDNS_YES,
  F2B_FILTER_USEDNS_WARN,
  F2B_FILTER_USEDNS_NO,
  F2B_FILTER_USEDNS_RAW,
} F2bFilterUseDns;

/* Resolves HOST (LEN bytes, a name fail2ban would pass to DNSUtils.dnsToIp) and
 * appends the addresses found (F2bIPAddr *, transfer full) to ADDRS.  Called only
 * for usedns yes or warn (MODE tells which: fail2ban warns about names resolved
 * under "warn"), and only when HOST is not itself an IPv4 address. */
typedef void (*F2bFilterResolveFunc)(const char *host, gsize len, F2bFilterUseDns mode,
                                     GPtrArray *addrs, gpointer user_data);

/* Called when ignoreregex number INDEX matched (fail2ban's onIgnoreRegex). */
typedef void (*F2bFilterIgnoreFunc)(guint index, gpointer user_data);

/* Timing events of a line, which fail2ban warns about. */
typedef enum {
  F2B_FILTER_TIME_SIMULATED, /* in operation, the date was more than 60 s from now: now
                              * was used instead */
  F2B_FILTER_TIME_OBSOLETE,  /* not in operation, the date is older than findtime: the
                              * line was dropped */
  F2B_FILTER_TIME_NO_DATE,   /* a failregex matched a line without a date of its own */
} F2bFilterTimeEvent;

typedef struct {
  F2bFilterTimeEvent event;
  gint64 delta;        /* SIMULATED, OBSOLETE: int(date - now) */
  const char *line;    /* SIMULATED, OBSOLETE: the line as processLine holds it (decoded);
                        * NO_DATE: the matched lines joined by "\n" */
  gsize line_len;
  const char *date;    /* NO_DATE: the date text the line was given ("" or the last one) */
  gsize date_len;
} F2bFilterTimeInfo;

typedef void (*F2bFilterTimeFunc)(const F2bFilterTimeInfo *info, gpointer user_data);

/* One failure: fail2ban's [failRegexIndex, fid, date, fail]. */
typedef struct {
  guint regex_index;
  F2bIPAddr *fid;    /* NULL for a pending failure (fail2ban's None) */
  gboolean has_time; /* FALSE when fail2ban's date is None */
  double time;
  /* fail2ban's `fail` dict, keys in its insertion order: the regex groups
   * (None for groups that did not take part), then what the filter adds:
   * "matches" (a list of (prefix, date, rest) tuples), "users" (a set in
   * fail2ban, whose repr order is random; a list in first-seen order here,
   * as pyobj has no set kind: print it as {...} where fail2ban's repr shows),
   * "nofail", "nofail-matches", "mlfpending", "ip" (the address as a string
   * when the failure id is not the address). */
  F2bPyObj *data;    /* NULL for a lean failure (see f2b_filter_set_lean_failures) */
  F2bPyObj *nofail;  /* a lean failure's "nofail" value (NULL: None or absent); NULL
                      * for a full failure, whose DATA holds it */
} F2bFailure;

void f2b_failure_free(F2bFailure *failure);
/* The failure's "nofail" value, lean or full (NULL: absent), borrowed. */
const F2bPyObj *f2b_failure_get_nofail(const F2bFailure *failure);
/* TRUE when the failure's "nofail" is true as Python tests it (fail2ban-regex
 * counts such a line as ignored, not matched). */
gboolean f2b_failure_is_nofail(const F2bFailure *failure);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bFailure, f2b_failure_free)

typedef struct F2bFilter F2bFilter;

/* A filter with fail2ban's defaults: usedns warn, maxlines 1, findtime 600,
 * default date templates, encoding UTF-8, checkFindTime and inOperation on,
 * checkAllRegex and returnRawHost off, ignorePending on.  WALL_NOW is the real
 * current time (it only fixes the centuries %ExY accepts). */
F2bFilter *f2b_filter_new(double wall_now);
/* The same with its date detector on DATES's templates (shared by the jails of a
 * server, as fail2ban shares them; see f2b_datedetect_new_shared). */
F2bFilter *f2b_filter_new_shared(double wall_now, F2bDateCache *dates);
void f2b_filter_free(F2bFilter *filter);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bFilter, f2b_filter_free)

/* --- Settings (the jail's `set` commands) ------------------------------- */

/* usedns: yes, warn, no, raw (any case) or a boolean text; anything else is
 * taken as "no" and FALSE is returned (fail2ban logs an error then). */
gboolean f2b_filter_set_usedns(F2bFilter *filter, const char *value);
F2bFilterUseDns f2b_filter_get_usedns(const F2bFilter *filter);
const char *f2b_filter_usedns_name(F2bFilterUseDns mode);

/* Regexes.  usedns and maxlines must be set before the regexes they affect, as
 * in fail2ban (they are read when a regex is compiled).  A NULL or empty
 * prefregex removes it.  Errors are those of failregex.h. */
gboolean f2b_filter_set_prefregex(F2bFilter *filter, const char *regex, GError **error);
gboolean f2b_filter_add_failregex(F2bFilter *filter, const char *regex, GError **error);
gboolean f2b_filter_add_ignoreregex(F2bFilter *filter, const char *regex, GError **error);
/* Removes regex INDEX, or all when INDEX < 0; FALSE for a bad index. */
gboolean f2b_filter_del_failregex(F2bFilter *filter, gint index);
gboolean f2b_filter_del_ignoreregex(F2bFilter *filter, gint index);
/* The compiled regexes (owned by the filter; the prefregex may be NULL). */
guint f2b_filter_n_failregex(const F2bFilter *filter);
F2bRegex *f2b_filter_get_failregex(const F2bFilter *filter, guint index);
guint f2b_filter_n_ignoreregex(const F2bFilter *filter);
F2bRegex *f2b_filter_get_ignoreregex(const F2bFilter *filter, guint index);
F2bRegex *f2b_filter_get_prefregex(const F2bFilter *filter);

/* maxlines > 0, else FALSE with F2B_FILTER_ERROR_VALUE. */
gboolean f2b_filter_set_maxlines(F2bFilter *filter, gint64 maxlines, GError **error);
guint f2b_filter_get_maxlines(const F2bFilter *filter);

/* datepattern (see f2b_datedetect_set_pattern; NULL restores the defaults) and
 * logtimezone (NULL: local time). */
gboolean f2b_filter_set_datepattern(F2bFilter *filter, const char *pattern, GError **error);
gboolean f2b_filter_set_logtimezone(F2bFilter *filter, const char *tz, GError **error);
/* The date detector (owned by the filter), for template statistics. */
F2bDateDetector *f2b_filter_get_datedetector(F2bFilter *filter);

void f2b_filter_set_findtime(F2bFilter *filter, double seconds);
double f2b_filter_get_findtime(const F2bFilter *filter);

/* logencoding: "auto" and "utf-8" (any spelling GLib's iconv knows) ... FALSE
 * with F2B_FILTER_ERROR_VALUE when the encoding is unknown. */
gboolean f2b_filter_set_logencoding(F2bFilter *filter, const char *encoding, GError **error);
const char *f2b_filter_get_logencoding(const F2bFilter *filter);

/* fail2ban's MyTime.time() for the next lines. */
void f2b_filter_set_now(F2bFilter *filter, double now);

/* The flags fail2ban's tools set on a Filter (see the top of this file). */
void f2b_filter_set_check_find_time(F2bFilter *filter, gboolean on);
void f2b_filter_set_in_operation(F2bFilter *filter, gboolean on);
void f2b_filter_set_check_all_regex(F2bFilter *filter, gboolean on);
void f2b_filter_set_ignore_pending(F2bFilter *filter, gboolean on);
void f2b_filter_set_return_raw_host(F2bFilter *filter, gboolean on);
/* Lean failures (off by default): a caller that reads nothing of a failure's
 * data but "nofail" (fail2ban-regex's summary) spares the dicts: the filter then
 * keeps, in the mlfid cache too, only the values it reads itself (fid, ip4, ip6,
 * dns, cidr, mlfid, nofail, mlfgained, mlfforget, mlfpending, user, and whether
 * "users" holds more than one), and a failure has no data but its "nofail" value
 * (F2bFailure.nofail; f2b_failure_get_nofail reads either kind).  Which failures
 * are found, with which ids, is the same either way.  Changing the setting
 * empties the mlfid cache. */
void f2b_filter_set_lean_failures(F2bFilter *filter, gboolean on);

/* The PCRE2 match limit for every regex of the filter (0: the default). */
void f2b_filter_set_match_limit(F2bFilter *filter, guint32 limit);

void f2b_filter_set_resolver(F2bFilter *filter, F2bFilterResolveFunc func, gpointer user_data);
void f2b_filter_set_ignore_callback(F2bFilter *filter, F2bFilterIgnoreFunc func,
                                    gpointer user_data);
void f2b_filter_set_time_callback(F2bFilter *filter, F2bFilterTimeFunc func, gpointer user_data);

/* --- Processing ----------------------------------------------------------- */

/* Decodes LINE (LEN bytes) from ENCODING (NULL: UTF-8) as fail2ban's
 * decode_line: strict first, then with invalid sequences replaced by U+FFFD
 * (one per maximal invalid sequence, as Python does).  *REPLACED (may be NULL)
 * tells whether anything was replaced (fail2ban warns "Error decoding line").
 * Returns a new NUL-terminated string (transfer full), *OUT_LEN its length. */
char *f2b_filter_decode_line(const char *line, gsize len, const char *encoding,
                             gsize *out_len, gboolean *replaced);

/* processLine(line): LINE (LEN bytes, without its line end) is decoded with
 * the filter's encoding, its date found, and the failures returned as an
 * array of F2bFailure * (transfer full, possibly empty), in fail2ban's order.
 *
 * ERROR is set in two cases, each with a return value:
 *  - F2B_FILTER_ERROR_LINE: fail2ban raises on this line; returns NULL and the
 *    filter state is as fail2ban leaves it;
 *  - F2B_FAILREGEX_ERROR_LIMIT (domain F2B_FAILREGEX_ERROR): a regex hit the
 *    PCRE2 match limit (catastrophic backtracking).  The regex counted as not
 *    matching, processing went on, and the failures are returned (non-NULL):
 *    the caller warns with its line number. */
GPtrArray *f2b_filter_process_line(F2bFilter *filter, const char *line, gsize len,
                                   GError **error);

/* processLine((prefix, date, rest), date): a line whose time is known (the
 * journal backend, fail2ban-regex on journal entries).  The texts are UTF-8
 * (decoded by the caller). Same results as above. */
GPtrArray *f2b_filter_process_tuple(F2bFilter *filter, const F2bRegexLine *tuple, double date,
                                    GError **error);

/* The same two with the failures appended to OUT, an array the caller keeps from
 * line to line (its free function must free F2bFailure *: make it with
 * g_ptr_array_new_with_free_func(f2b_failure_free)).  FALSE where the above return
 * NULL (nothing is appended then); TRUE otherwise, ERROR possibly set as above. */
gboolean f2b_filter_process_line_into(F2bFilter *filter, const char *line, gsize len,
                                      GPtrArray *out, GError **error);
gboolean f2b_filter_process_tuple_into(F2bFilter *filter, const F2bRegexLine *tuple, double date,
                                       GPtrArray *out, GError **error);

/* --- State after the last line (fail2ban-regex's statistics) ------------ */

/* processedLine(): prefix + rest of the last line processed (transfer full). */
char *f2b_filter_processed_line(const F2bFilter *filter, gsize *len);

/* TRUE when the prefregex matched the last time it was searched (fail2ban's
 * prefRegex.hasMatched()), and its groups as a dict (getGroups(), "content"
 * included; transfer full, NULL when it did not match). */
gboolean f2b_filter_prefregex_matched(const F2bFilter *filter);
F2bPyObj *f2b_filter_prefregex_groups(const F2bFilter *filter);

/* The line buffer (fail2ban's __lineBuffer) as it is now: lines still waiting
 * for a multi-line match.  Entries are owned by the filter and valid until the
 * next call that processes a line; their texts are not NUL-terminated (use the
 * lengths). */
gsize f2b_filter_n_buffered(const F2bFilter *filter);
const F2bRegexLine *f2b_filter_buffered_line(const F2bFilter *filter, gsize index);

/* Number of entries in the mlfid cache (for tests of its bound). */
guint f2b_filter_mlfid_cache_size(const F2bFilter *filter);

/* Number of line blocks the filter keeps for reuse (for tests of their bound). */
guint f2b_filter_n_spare_lines(const F2bFilter *filter);

G_END_DECLS

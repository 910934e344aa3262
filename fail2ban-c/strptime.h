/* strptime.h - fail2ban's "%" date codes and its conversion of matched date
 * fields into a time stamp.
 *
 * fail2ban does not call the C library's strptime: a date pattern is a
 * regular expression in which "%Y", "%b", "%ExY" ... stand for named groups,
 * and the values those groups captured are turned into seconds since the
 * epoch by fail2ban's own rules (year and day inference relative to "now",
 * zone offsets, zone abbreviations with fixed offsets).  This module holds
 * that table of codes and those rules; datedetect.c does the matching.
 *
 * Nothing here reads a clock: "now" is always a parameter.  The local time
 * zone of the process (TZ) is used where fail2ban uses it, through
 * localtime_r() and mktime(), as Python's time module does. */
#pragma once

#include <glib.h>

#define F2B_STRPTIME_ERROR (f2b_strptime_error_quark())
GQuark f2b_strptime_error_quark(void);

typedef enum {
  F2B_STRPTIME_ERROR_BAD_VALUE,    /* a field does not make a valid date */
  F2B_STRPTIME_ERROR_BAD_TIMEZONE, /* zone name or offset not understood */
} F2bStrptimeError;

/* One "%" code: the text after "%" (e.g. "Y", "ExY", "%"), the regular
 * expression it stands for (Python re syntax, as fail2ban writes it) and the
 * word fail2ban shows for it in template names. */
typedef struct {
  const char *code;
  const char *regex;
  const char *display;
} F2bStrptimeCode;

/* The codes in the order fail2ban tries them when it scans a pattern (the
 * "Ex" codes before the one-letter ones).  WALL_YEAR is the current local
 * year and EPOCH2001_YEAR the local year at 2001-01-01 00:00 UTC: fail2ban
 * builds the %ExY expression from both (see the .c file).  The returned
 * array is owned by the caller, terminated by an entry with code == NULL,
 * and freed with f2b_strptime_codes_free(). */
F2bStrptimeCode *f2b_strptime_codes_new(int wall_year, int epoch2001_year);
void f2b_strptime_codes_free(F2bStrptimeCode *codes);

/* The %ExY year expression alone (transfer full). */
char *f2b_strptime_year_regex(int wall_year, int epoch2001_year);
/* The same set of years as a table: CENTURIES[c] is 1 when %ExY accepts the
 * years 10*c .. 10*c+9 (the expression is a century prefix and one digit), 0
 * otherwise.  FALSE when the expression is not that (a year of the set before
 * 100): its matches then are not all four digits long. */
gboolean f2b_strptime_year_centuries(int wall_year, int epoch2001_year, guint8 centuries[1000]);

/* One named group of a date match.  NAME is the group's name (only the
 * one-letter names fail2ban knows are looked at), VALUE/LEN what it
 * captured, VALUE == NULL when the group did not take part in the match.
 * Groups must be given in the order they appear in the pattern: when two
 * groups set the same field (%y and %Y, %z and %Z) the later one wins. */
typedef struct {
  const char *name;
  const char *value;
  gsize len;
} F2bStrptimeGroup;

/* Turns matched groups into seconds since the epoch, as fail2ban does:
 * a missing year is this year (or last year when that puts the date more
 * than a day after NOW), missing month and day are today (or yesterday when
 * that puts the time after NOW); without a zone in the line the offset
 * DEFAULT_TZ (minutes east of UTC, NULL for the local zone) applies.
 * Sub-second fields are not kept (fail2ban drops them).  Returns FALSE with
 * an error when the fields do not form a date. */
gboolean f2b_strptime_groups_to_time(const F2bStrptimeGroup *groups, guint n_groups,
                                     double now, const int *default_tz,
                                     double *result, GError **error);

/* What the conversion asks the C library about the local zone, remembered from
 * call to call: localtime() of "now" (for the same whole second of NOW) and the
 * zone's offset for one hour of local time (only for an hour with one offset
 * from its start to its end: hours around a DST change always ask mktime()).
 * The owner zero-fills it (F2B_STRPTIME_CACHE_INIT) and keeps it for as long as
 * the process's TZ does not change. */
typedef struct {
  gboolean now_valid;
  gint64 now_whole;
  int now_year, now_mon, now_mday; /* localtime of now_whole */
  gint64 now_naive;
  gboolean hour_valid;
  gint64 hour;   /* naive local time / 3600 */
  gint64 offset; /* epoch - naive local time during that hour */
} F2bStrptimeCache;
#define F2B_STRPTIME_CACHE_INIT {0}

/* f2b_strptime_groups_to_time with CACHE (may be NULL): the same results. */
gboolean f2b_strptime_groups_to_time_cached(const F2bStrptimeGroup *groups, guint n_groups,
                                            double now, const int *default_tz,
                                            F2bStrptimeCache *cache, double *result,
                                            GError **error);

/* Parses a zone as fail2ban's logtimezone and %z/%Z values accept it:
 * an optional abbreviation (UTC, GMT, Z, CET, PDT ... with fixed offsets)
 * followed by an optional [+-]hh, [+-]hhmm or [+-]hh:mm.  Sets *MINUTES east
 * of UTC.  An empty string is UTC. */
gboolean f2b_strptime_parse_timezone(const char *tz, gsize len, int *minutes,
                                     GError **error);

/* Python's int() applied to a string (f2b_pystr_to_int), refusing numbers
 * past gint64. */
gboolean f2b_strptime_parse_int(const char *text, gsize len, gint64 *value);

/* bantime.h - fail2ban's bantime.increment arithmetic.
 *
 * With bantime.increment, a jail's next ban of a known bad id lasts longer:
 * the ban count from the database (one jail's or, with bantime.overalljails,
 * all jails' - the caller looks that up) and the configured options give the
 * new ban time.  This module is only the arithmetic, pure and repeatable:
 * the random part of bantime.rndtime comes from the caller.
 *
 *   multipliers set:  ban.Time * banFactor * multipliers[min(ban.Count, last)]
 *   otherwise:        max(ban.Time, <formula>), default formula
 *                     ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor
 *   then:             min(<that>, maxtime) when maxtime is set,
 *                     <that> + random * rndtime when rndtime is set,
 *
 * with banFactor = bantime.factor (an expression, default 1).  Ints and floats
 * follow Python (a formula with floats gives a float ban time). */
#pragma once

#include <glib.h>

#include "pyexpr.h"

G_BEGIN_DECLS

#define F2B_BANTIME_ERROR (f2b_bantime_error_quark())
GQuark f2b_bantime_error_quark(void);

typedef enum {
  F2B_BANTIME_ERROR_OPTION, /* an option's value is not accepted; the message names the option */
  F2B_BANTIME_ERROR_EVAL,   /* the formula failed for these values (fail2ban keeps the old ban time) */
} F2bBanTimeError;

/* The jail's bantime.* values as strings; NULL or "" means unset (fail2ban
 * drops empty values).  maxtime and rndtime are time expressions ("1w"). */
typedef struct {
  const char *factor;
  const char *formula;
  const char *multipliers; /* ints separated by single spaces, "1 2 4 8" */
  const char *maxtime;
  const char *rndtime;
} F2bBanTimeOptions;

typedef struct F2bBanTimeIncr F2bBanTimeIncr;

/* Compiles the options, or NULL with ERROR (F2B_BANTIME_ERROR_OPTION, the
 * message starting with the option's name: "bantime.formula: name 'x' is not
 * defined or not allowed").  Transfer full. */
F2bBanTimeIncr *f2b_bantime_incr_new(const F2bBanTimeOptions *opts, GError **error);
void f2b_bantime_incr_free(F2bBanTimeIncr *incr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bBanTimeIncr, f2b_bantime_incr_free)

/* The ban time for a ticket of BAN_TIME seconds whose id was banned
 * BAN_COUNT times before (observer's calcBanTime).  RANDOM is the caller's
 * random number in [0, 1), used only with rndtime.  FALSE with ERROR when
 * the formula fails (division by zero, math range error...). */
gboolean f2b_bantime_incr_calc(const F2bBanTimeIncr *incr, F2bPyNum ban_time, gint64 ban_count, double random,
                               F2bPyNum *result, GError **error);

/* The evaluated bantime.factor (banFactor). */
F2bPyNum f2b_bantime_incr_factor(const F2bBanTimeIncr *incr);
/* bantime.maxtime in seconds: TRUE and *MAXTIME when set (getMaxBanTime). */
gboolean f2b_bantime_incr_maxtime(const F2bBanTimeIncr *incr, F2bPyNum *maxtime);

/* The observer's retry count for a new failure of an id banned BAN_COUNT
 * times: min((1 << min(BAN_COUNT, 20)) / 2 + 1, MAX_RETRY).  A float in
 * fail2ban (1.5 for a count of 0), hence the double. */
double f2b_bantime_failure_retry(gint64 ban_count, gint64 max_retry);

G_END_DECLS

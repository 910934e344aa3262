/* timeutil.h - fail2ban's time expressions ("10m", "1h30m", "1year-6mo").
 *
 * fail2ban's MyTime.str2seconds rewrites unit abbreviations into
 * multiplications and evaluates the result as a Python expression.  We do
 * the same rewriting and evaluate the result with pyexpr (the safe
 * arithmetic subset of Python, no names): nothing else is accepted. */
#pragma once

#include <glib.h>

#include "pyexpr.h"
#include "pyobj.h"

#define F2B_TIMEUTIL_ERROR (f2b_timeutil_error_quark())
GQuark f2b_timeutil_error_quark(void);

/* The value of EXPR in seconds: a Python int or float (transfer full),
 * or NULL with ERROR for anything that is not such an expression. */
F2bPyObj *f2b_timeutil_str2sec(const char *expr, GError **error);

/* The expression after unit substitution, as fail2ban builds it
 * ("1h30m" -> "1*3600+30*60"), transfer full. */
char *f2b_timeutil_str2sec_expand(const char *expr);

/* fail2ban's MyTime.time2str: T (seconds since the epoch) as local time
 * "YYYY-MM-DD HH:MM:SS".  The fraction is dropped after Python's rounding to
 * microseconds; times from year 10000 on print "9999-12-31 23:59:59" as
 * fail2ban does for permanent bans.  Transfer full. */
char *f2b_timeutil_time2str(double t);

/* fail2ban's MyTime.seconds2str: a duration as "1y 3w 4d", "2d 7h 15m",
 * "59m 50s", at most three groups, rounded as fail2ban rounds (half to
 * even); a float below an hour keeps Python's float text ("1.0m 2.5s").
 * Transfer full. */
char *f2b_timeutil_seconds2str(F2bPyNum sec);

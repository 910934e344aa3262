/* pipeline.h - a jail's failures from the filter to a ban, on the main loop.
 *
 * fail2ban's Filter.processLineAndAdd and inIgnoreIPList: a line goes
 * through the jail's F2bFilter; each failure, in fail2ban's order, is checked
 * against the ignore rules (ignorecache, ignoreself, ignoreip addresses,
 * subnets and host names, ignorecommand), logged "[jail] Found ID - TIME",
 * counted by the fail manager, and banned when maxretry is reached (actions.h,
 * the same path as `set JAIL attempt`).
 *
 * Nothing blocks: host names (usedns yes/warn, ignoreip names, the host's
 * own addresses) resolve through dnscache.h and the ignorecommand runs through
 * cmdrun.h.  Failures wait in a FIFO while the one at its head needs such an
 * answer, so they are counted in the order the log gave them, as fail2ban's
 * single filter thread counts them.  The filter's resolver is synchronous: a
 * name not yet in the DNS cache leaves the filter as a raw id, and the
 * failure is expanded into one failure per address when the answer comes
 * (none when the name gives nothing, as fail2ban).
 *
 * Failures age out of the fail manager by a timer set to its next expiry.
 *
 * Back-pressure: when F2BS_PIPELINE_PAUSE_AT failures wait, the pipeline is
 * busy (f2bs_pipeline_is_busy) and the jail's watchers stop reading; once the
 * queue is down to F2BS_PIPELINE_RESUME_AT the resume function is called and
 * they read on.  So failures are never dropped for a slow answer (up to
 * MAX_PENDING, a last guard for lines that come from no watcher) and the
 * memory they hold stays bounded. */
#pragma once

#include <glib.h>

#include "jail.h"

#define F2BS_PIPELINE_PAUSE_AT 1000
#define F2BS_PIPELINE_RESUME_AT 500

/* JAIL (borrowed) owns the pipeline; it must have its filter and rt. */
F2bsPipeline *f2bs_pipeline_new(F2bsJail *jail);
/* Pending failures are dropped, running lookups and commands end unheard. */
void f2bs_pipeline_free(F2bsPipeline *p);

/* One complete line (see f2bs_jail_process_line). */
void f2bs_pipeline_line(F2bsPipeline *p, const char *line, gsize len, gboolean in_operation);
void f2bs_pipeline_tuple(F2bsPipeline *p, const F2bRegexLine *tuple, double date, gboolean in_operation);

/* The jail's ignorecache option changed: a new, empty cache (or none). */
void f2bs_pipeline_reset_ignorecache(F2bsPipeline *p);
/* findtime changed: the expiry timer follows the fail manager. */
void f2bs_pipeline_rearm(F2bsPipeline *p);

/* Failures waiting for a DNS answer or the ignorecommand (tests, status). */
guint f2bs_pipeline_pending(const F2bsPipeline *p);

/* TRUE from the moment F2BS_PIPELINE_PAUSE_AT failures wait until the queue
 * is down to F2BS_PIPELINE_RESUME_AT again: the watchers should not read. */
gboolean f2bs_pipeline_is_busy(const F2bsPipeline *p);
/* FUNC (USER_DATA) is called when the pipeline stops being busy; it may
 * not feed lines from inside the call (it is called from the pipeline's
 * drain: schedule the reading). */
void f2bs_pipeline_set_resume_func(F2bsPipeline *p, GSourceFunc func, gpointer user_data);

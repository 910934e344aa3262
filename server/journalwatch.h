/* journalwatch.h - the systemd backend: a jail's journal read from the main loop.
 *
 * fail2ban's FilterSystemd with sd-journal instead of python-systemd: the
 * journal is opened as the backend options say (journalpath, journalfiles,
 * journalflags, namespace: see journalfmt.h), the jail's journal matches are
 * applied, and on start the reader goes where fail2ban's does: when the
 * journal (as matched) has entries, to max(database position, now -
 * findtime), not yet "in operation" (old failures are read but do not count)
 * until it catches up with the entry that was last when it started or with
 * the present; an empty journal starts at "now", in operation.  Entries are
 * then read as they arrive (the journal's fd in the main loop, plus the
 * wake-up sd_journal_get_timeout asks for), at most BATCH (100, as fail2ban)
 * per main-loop turn, each formatted by journalfmt and handed to a callback.
 * A journal rotated or vacuumed (INVALIDATE) is re-positioned as fail2ban
 * does (one entry back and forth).
 *
 * Wiring, for the lead (jail.c and transmitter.c are not touched here):
 *  - `add JAIL systemd[...]`: extract the backend's options
 *    (f2b_confreader_extract_options), f2b_journal_options_parse(opts,
 *    g_getenv("F2B_SYSTEMD_DEFAULT_FLAGS")) and f2bs_journalwatch_new(): fail2ban
 *    opens the journal when the jail is added, so their errors answer `add`;
 *  - `set JAIL addjournalmatch|deljournalmatch ...`: f2bs_journalwatch_add_match /
 *    _del_match; `get JAIL journalmatch`: f2bs_journalwatch_matches_py; the
 *    jail's status: f2bs_journalwatch_status_py in place of "File list"; a
 *    reload's start: f2bs_journalwatch_clear_matches (the stream adds them again);
 *  - `start JAIL`: f2bs_journalwatch_set_encoding(logencoding), then
 *    f2bs_journalwatch_start(findtime, db position or 0, on_line, jail), where
 *    on_line sets the filter's in_operation from the record and calls
 *    f2b_filter_process_tuple with ("", record->date, record->line) and
 *    record->time;
 *  - `stop JAIL` / jail removal: f2bs_journalwatch_free.
 *
 * Everything runs in the thread of the default main context. */
#pragma once

#include <glib.h>

#include "journalfmt.h"
#include "pyobj.h"

G_BEGIN_DECLS

typedef struct F2bsJournalWatch F2bsJournalWatch;

/* One entry as the filter gets it; valid during the callback only. */
typedef struct {
  const char *date;       /* ISO time and a space: the tuple's date part */
  const char *line;       /* UTF-8, newlines escaped; may hold NUL */
  gsize line_len;
  double time;            /* the entry's time (journalfmt.h) */
  gboolean in_operation;  /* FALSE while reading entries older than the start */
} F2bsJournalRecord;

typedef void (*F2bsJournalLineFunc)(const F2bsJournalRecord *record, gpointer user_data);

/* Opens the journal for jail JAIL (a name for log lines).  Errors are those
 * fail2ban's jail creation answers with (domain F2BS_PYEXC): ValueError
 * "path and files cannot be specified simultaneously", ValueError "Opening
 * the journal failed" (sd-journal's EINVAL), else Exception "[Errno N] text". */
F2bsJournalWatch *f2bs_journalwatch_new(const char *jail, const F2bJournalOptions *options, GError **error);
void f2bs_journalwatch_free(F2bsJournalWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bsJournalWatch, f2bs_journalwatch_free)

/* addJournalMatch / delJournalMatch, logged as fail2ban logs them; errors are
 * ValueErrors (F2BS_PYEXC): "Invalid match", "Match [...] not found". */
gboolean f2bs_journalwatch_add_match(F2bsJournalWatch *watch, const char *const *terms, gsize n, GError **error);
gboolean f2bs_journalwatch_del_match(F2bsJournalWatch *watch, const char *const *terms, gsize n, GError **error);
/* delJournalMatch(None), as a reload clears the jail's matches: every group
 * removed and "Removed journal match for: '*'" logged; nothing (no log) when
 * there is none. */
void f2bs_journalwatch_clear_matches(F2bsJournalWatch *watch);
const F2bJournalMatches *f2bs_journalwatch_get_matches(const F2bsJournalWatch *watch);
/* `get JAIL journalmatch`: a list of lists of str (transfer full). */
F2bPyObj *f2bs_journalwatch_matches_py(const F2bsJournalWatch *watch);
/* The status pair ("Journal matches", ["A=1 + B=2"]) (transfer full). */
F2bPyObj *f2bs_journalwatch_status_py(const F2bsJournalWatch *watch);

/* logencoding for fields that are not UTF-8 (NULL: UTF-8). */
void f2bs_journalwatch_set_encoding(F2bsJournalWatch *watch, const char *encoding);
/* Entries per main-loop turn (default 100; 0 is taken as 1). */
void f2bs_journalwatch_set_batch(F2bsJournalWatch *watch, guint batch);

/* Reading pauses while BUSY returns TRUE (asked before each entry; the
 * entry stays unread in the journal) until f2bs_journalwatch_resume. */
void f2bs_journalwatch_set_busy_func(F2bsJournalWatch *watch, gboolean (*busy)(gpointer), gpointer user_data);
void f2bs_journalwatch_resume(F2bsJournalWatch *watch);

/* Positions the reader as fail2ban's run() does and starts reading; FUNC is
 * called for each entry.  DB_POSITION is the jail's stored journal time (0:
 * none).  FALSE (with a GError) when the journal cannot be watched. */
gboolean f2bs_journalwatch_start(F2bsJournalWatch *watch, double findtime, double db_position,
                                 F2bsJournalLineFunc func, gpointer user_data, GError **error);
gboolean f2bs_journalwatch_in_operation(const F2bsJournalWatch *watch);

G_END_DECLS

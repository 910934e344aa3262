/* journalfmt.h - the systemd backend's pure parts: entry to line, options, matches.
 *
 * fail2ban's systemd backend reads journal entries through python-systemd and
 * turns each into a syslog-like line ("host ident[pid]: message") with the
 * entry's own time; the filter then sees "<isotime> <line>" with that time.
 * How python-systemd converts the raw fields (UTF-8 or else bytes, _PID and
 * SYSLOG_PID through int(), repeated fields as lists) decides the text, so
 * this module keeps the raw "FIELD=value" data and applies the same rules:
 *
 *  - the line is [_HOSTNAME] [SYSLOG_IDENTIFIER or _COMM[ "[" pid "]"] ":"]
 *    [kernel monotonic stamp] MESSAGE, each part only when non-empty, the pid
 *    from SYSLOG_PID, else _PID, when it is not 0 or empty; a pid that is not a
 *    base-10 integer is tried as a Python literal (0x10 -> 16) and else shown as
 *    the repr() of its bytes ("[b'abc']"); newlines become the two characters \n;
 *  - a field that is not UTF-8 is decoded from the jail's log encoding with
 *    invalid sequences replaced (one U+FFFD per maximal invalid sequence);
 *  - a repeated MESSAGE is joined by spaces; a repeated _HOSTNAME, identifier
 *    or timestamp makes fail2ban raise (the entry is dropped): an error here;
 *  - the time is _SOURCE_REALTIME_TIMESTAMP, else the entry's realtime, shown
 *    in ISO format with the UTC offset the local zone had when the reader was
 *    made, and turned back to seconds with mktime() (so an entry from the
 *    other side of a DST change is an hour off, as in fail2ban).
 *
 * Nothing here touches a journal: the server's journalwatch feeds entries in. */
#pragma once

#include <glib.h>

#include "ini.h"

G_BEGIN_DECLS

#define F2B_JOURNALFMT_ERROR (f2b_journalfmt_error_quark())
GQuark f2b_journalfmt_error_quark(void);

/* The codes name the Python exception fail2ban raises for the same input. */
typedef enum {
  F2B_JOURNALFMT_ERROR_VALUE,     /* ValueError */
  F2B_JOURNALFMT_ERROR_TYPE,      /* TypeError */
  F2B_JOURNALFMT_ERROR_ATTRIBUTE, /* AttributeError, OverflowError: a bad time field */
} F2bJournalFmtError;

/* --- Entries and lines ---------------------------------------------------- */

typedef struct F2bJournalEntry F2bJournalEntry;

/* An entry with its realtime and monotonic stamps (microseconds), as
 * sd_journal_get_realtime_usec/get_monotonic_usec give them. */
F2bJournalEntry *f2b_journal_entry_new(gint64 realtime_usec, guint64 monotonic_usec);
void f2b_journal_entry_free(F2bJournalEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bJournalEntry, f2b_journal_entry_free)

/* Adds one "FIELD=value" item (LEN bytes, the value may hold any byte), in
 * the order sd_journal_enumerate_data gives them; an item without '=' is
 * ignored (python-systemd cannot read it either). */
void f2b_journal_entry_add(F2bJournalEntry *entry, const void *data, gsize len);

/* What fail2ban's formatJournalEntry returns: the filter's tuple is
 * ("", date, line) with the entry's time. */
typedef struct {
  char *date;     /* ISO time followed by one space (NUL-terminated) */
  char *line;     /* UTF-8; may hold NUL bytes; LINE_LEN bytes + a NUL */
  gsize line_len;
  double time;    /* seconds since the epoch */
} F2bJournalLine;

void f2b_journal_line_clear(F2bJournalLine *line);

/* Formats ENTRY.  ENCODING (NULL: UTF-8; Python spellings such as latin-1 are
 * accepted) decodes fields that are not UTF-8.  UTC_OFFSET is the local zone's
 * offset in seconds at the time the reader was opened.  On error (see above)
 * OUT is left cleared. */
gboolean f2b_journalfmt_format(const F2bJournalEntry *entry, const char *encoding, gint32 utc_offset,
                               F2bJournalLine *out, GError **error);

/* --- Backend options ------------------------------------------------------ */

/* The options of `backend = systemd[...]` after fail2ban's extractOptions. */
typedef struct {
  char *path;          /* journalpath, NULL when not given */
  GPtrArray *files;    /* journalfiles after glob (char *, sorted, unique);
                        * NULL when not given; may be empty */
  gboolean has_flags;  /* FALSE: open with no flags given (path or files set) */
  int flags;           /* journalflags, or the default SD_JOURNAL_SYSTEM (4) */
  char *name_space;    /* namespace, NULL when not given */
  char *use_dns;       /* useDns (a Filter argument fail2ban accepts here), or NULL */
} F2bJournalOptions;

void f2b_journal_options_free(F2bJournalOptions *options);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bJournalOptions, f2b_journal_options_free)

/* FilterSystemd._getJournalArgs and the Filter constructor on OPTIONS.
 * DEFAULT_FLAGS is $F2B_SYSTEMD_DEFAULT_FLAGS (NULL: 4), used when neither a
 * non-empty path nor files nor journalflags are given.  Errors, as fail2ban's
 * (raised when the jail is added):
 *   VALUE "invalid literal for int() with base 10: 'x'"  (journalflags, or the default)
 *   TYPE  "Filter.__init__() got an unexpected keyword argument 'foo'"
 * Option names are case-sensitive (fail2ban's are keyword arguments). */
F2bJournalOptions *f2b_journal_options_parse(const F2bIniMap *options, const char *default_flags,
                                             GError **error);

/* --- Journal matches ------------------------------------------------------ */

/* sd_journal_add_match's test of one "FIELD=value" term (fail2ban reports a
 * refused term as ValueError "Invalid match"). */
gboolean f2b_journalfmt_match_valid(const char *term, gsize len);

/* A jail's journal matches: a list of groups (fail2ban's __matches); the
 * terms of one group are ANDed (ORed within one field by sd-journal), the
 * groups ORed. */
typedef struct {
  GPtrArray *groups; /* GPtrArray * of char * */
} F2bJournalMatches;

F2bJournalMatches *f2b_journal_matches_new(void);
void f2b_journal_matches_free(F2bJournalMatches *matches);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bJournalMatches, f2b_journal_matches_free)

/* addJournalMatch(TERMS): the N terms split at "+" into groups (an empty group
 * is kept, as fail2ban keeps it) and appended; all or nothing.  A refused term
 * gives VALUE "Invalid match" and leaves MATCHES as they were. */
gboolean f2b_journal_matches_add(F2bJournalMatches *matches, const char *const *terms, gsize n,
                                 GError **error);

/* delJournalMatch(TERMS) as the set command calls it: the group equal to the
 * N TERMS is removed (N == 0 looks for an empty group: fail2ban does not
 * clear all then), else VALUE "Match ['A=1', 'B=2'] not found" is set. */
gboolean f2b_journal_matches_del(F2bJournalMatches *matches, const char *const *terms, gsize n,
                                 GError **error);

/* delJournalMatch(None): removes every group. */
void f2b_journal_matches_clear(F2bJournalMatches *matches);

/* The status line fail2ban shows under "Journal matches": the groups' terms
 * joined by spaces, the groups by " + " (transfer full). */
char *f2b_journal_matches_status(const F2bJournalMatches *matches);

G_END_DECLS

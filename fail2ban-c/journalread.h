/* journalread.h - reading the systemd journal as fail2ban's FilterSystemd does.
 *
 * What the server's systemd backend (server/journalwatch.c) and f2bc-regex's
 * "systemd-journal" log both need of sd-journal: opening the journal that a
 * backend's options name, its matches, and an entry's fields as python-systemd's
 * Reader reads them.  Formatting the entry into fail2ban's line is journalfmt.h's
 * part (it needs no libsystemd). */
#pragma once

#include <glib.h>
#include <systemd/sd-journal.h>

#include "journalfmt.h"

G_BEGIN_DECLS

/* journal.Reader(**args) for OPTIONS: the directory, the files, the namespace, or
 * the local journal, with the flags.  0, or a negative errno as sd-journal returns. */
int f2b_journalread_open(sd_journal **journal, const F2bJournalOptions *options);

/* The local zone's offset from UTC now, in seconds: python-systemd converts entry
 * times to local time with the offset of the moment its reader was made. */
gint32 f2b_journalread_utc_offset(void);

/* _addJournalMatches for every group of MATCHES: each group's terms, then a
 * disjunction.  0, or the first negative errno. */
int f2b_journalread_add_matches(sd_journal *journal, const F2bJournalMatches *matches,
                                guint first_group);

/* The fields of the current entry with its times (transfer full), as
 * python-systemd's get_next reads them; NULL with *ERR (a negative errno). */
F2bJournalEntry *f2b_journalread_entry(sd_journal *journal, int *err);

G_END_DECLS

/* journalread.c - reading the systemd journal as fail2ban's FilterSystemd does
 * (see journalread.h). */
#include "journalread.h"

#include <time.h>

int
f2b_journalread_open(sd_journal **journal, const F2bJournalOptions *options)
{
  int flags = options->has_flags ? options->flags : 0;
  if (options->path)
    return sd_journal_open_directory(journal, options->path, flags);
  if (options->files) {
    g_autofree const char **paths = g_new0(const char *, options->files->len + 1);
    for (guint i = 0; i < options->files->len; i++)
      paths[i] = options->files->pdata[i];
    return sd_journal_open_files(journal, paths, flags);
  }
  if (options->name_space)
    return sd_journal_open_namespace(journal, options->name_space, flags);
  return sd_journal_open(journal, flags);
}

gint32
f2b_journalread_utc_offset(void)
{
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  return (gint32) tm.tm_gmtoff;
}

int
f2b_journalread_add_matches(sd_journal *journal, const F2bJournalMatches *matches,
                            guint first_group)
{
  for (guint i = first_group; i < matches->groups->len; i++) {
    const GPtrArray *group = matches->groups->pdata[i];
    for (guint k = 0; k < group->len; k++) {
      int r = sd_journal_add_match(journal, group->pdata[k], 0);
      if (r < 0)
        return r;
    }
    int r = sd_journal_add_disjunction(journal);
    if (r < 0)
      return r;
  }
  return 0;
}

F2bJournalEntry *
f2b_journalread_entry(sd_journal *journal, int *err)
{
  guint64 realtime = 0, monotonic = 0;
  sd_id128_t boot;
  if ((*err = sd_journal_get_realtime_usec(journal, &realtime)) < 0 ||
      (*err = sd_journal_get_monotonic_usec(journal, &monotonic, &boot)) < 0)
    return NULL;
  F2bJournalEntry *e = f2b_journal_entry_new((gint64) realtime, monotonic);
  const void *data;
  size_t len;
  sd_journal_restart_data(journal);
  while ((*err = sd_journal_enumerate_data(journal, &data, &len)) > 0)
    f2b_journal_entry_add(e, data, len);
  if (*err < 0) {
    f2b_journal_entry_free(e);
    return NULL;
  }
  return e;
}

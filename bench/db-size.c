/* db-size.c - the size of the database file over simulated weeks.
 *
 * Usage: db-size FILE [BANS [DAYS [PURGEAGE]]]
 * BANS bans (default 1000000) of distinct-ish addresses spread evenly over
 * DAYS (14) simulated days, grouped 100 per transaction, with the server's
 * hourly purge at dbpurgeage PURGEAGE seconds (86400); prints the file
 * size (main file + WAL) at the end. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "database.h"

static gint64
file_size(const char *path)
{
  GStatBuf st;
  gint64 total = 0;
  if (g_stat(path, &st) == 0)
    total += st.st_size;
  g_autofree char *wal = g_strconcat(path, "-wal", NULL);
  if (g_stat(wal, &st) == 0)
    total += st.st_size;
  return total;
}

int
main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE [BANS [DAYS [PURGEAGE]]]\n", argv[0]);
    return 2;
  }
  gint64 bans = argc > 2 ? atoll(argv[2]) : 1000000, days = argc > 3 ? atoll(argv[3]) : 14;
  gint64 purge_age = argc > 4 ? atoll(argv[4]) : 86400;
  double start = 1700000000, step = (double)days * 86400 / (double)bans, next_purge = start + 3600;
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bDb) db = f2b_db_open(argv[1], (gint64)start, NULL, &error);
  if (db == NULL) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  f2b_db_set_purge_age(db, purge_age);
  f2b_db_add_jail(db, "sshd", NULL);
  gint64 max_size = 0;
  for (gint64 i = 0; i < bans; i++) {
    double now = start + (double)i * step;
    if (i % 100 == 0)
      f2b_db_begin(db, NULL);
    g_autofree char *ip = g_strdup_printf("10.%d.%d.%d", (int)(i >> 16 & 255), (int)(i >> 8 & 255), (int)(i & 255));
    g_autoptr(F2bIPAddr) id = f2b_ipaddr_new(ip, -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
    g_autoptr(F2bTicket) t = f2b_ticket_new(F2B_TICKET_BAN, id, now);
    for (int m = 0; m < 5; m++)
      f2b_ticket_add_match(t, "Nov 25 10:00:00 host sshd[123]: Failed password for root from 10.0.0.1", 71);
    t->failures = 5;
    t->ban_count = 1;
    f2b_db_add_ban(db, "sshd", t, f2b_pynum_int(600), NULL);
    if (i % 100 == 99 || i == bans - 1)
      f2b_db_commit(db, NULL);
    if (now >= next_purge) {
      f2b_db_purge(db, now, NULL);
      next_purge += 3600;
      max_size = MAX(max_size, file_size(argv[1]));
    }
  }
  printf("%" G_GINT64_FORMAT " bans over %" G_GINT64_FORMAT " days, dbpurgeage %" G_GINT64_FORMAT
         " s: file %.1f MB at the end, %.1f MB at most\n",
         bans, days, purge_age, file_size(argv[1]) / 1e6, max_size / 1e6);
  return 0;
}

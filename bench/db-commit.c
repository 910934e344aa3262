/* db-commit.c - how long a database commit blocks the server's loop.
 *
 * Usage: db-commit FILE [TURNS [BANS_PER_TURN [server]]]
 * Writes TURNS transactions of BANS_PER_TURN bans each (one transaction per
 * main-loop turn, as the server batches), into FILE (WAL,
 * synchronous=NORMAL), and prints the median and maximum time of a whole
 * turn (writes + commit) and of the commit alone, in microseconds.  With
 * "server", checkpoints run in a thread every 10 s as f2bc-server runs them
 * (commits never wait for the disk); else SQLite checkpoints in the commit. */
#include <stdio.h>
#include <stdlib.h>

#include "database.h"

static GThread *checkpointer;
static gint checkpoint_done;

static gpointer
checkpoint_thread(gpointer filename)
{
  f2b_db_checkpoint_file(filename, NULL);
  g_atomic_int_set(&checkpoint_done, 1);
  return NULL;
}

static void
want_checkpoint(gpointer filename)
{
  if (checkpointer && !g_atomic_int_get(&checkpoint_done))
    return;
  if (checkpointer)
    g_thread_join(checkpointer);
  g_atomic_int_set(&checkpoint_done, 0);
  checkpointer = g_thread_new("checkpoint", checkpoint_thread, filename);
}

static int
cmp_i64(const void *a, const void *b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
  return x < y ? -1 : x > y;
}

static void
report(const char *what, GArray *v)
{
  g_array_sort(v, cmp_i64);
  printf("%-8s median %6" G_GINT64_FORMAT " us   99%% %6" G_GINT64_FORMAT " us   99.9%% %6" G_GINT64_FORMAT
         " us   max %6" G_GINT64_FORMAT " us\n",
         what, g_array_index(v, gint64, v->len / 2), g_array_index(v, gint64, v->len * 99 / 100),
         g_array_index(v, gint64, v->len * 999 / 1000), g_array_index(v, gint64, v->len - 1));
}

int
main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE [TURNS [BANS_PER_TURN]]\n", argv[0]);
    return 2;
  }
  int turns = argc > 2 ? atoi(argv[2]) : 1000, per = argc > 3 ? atoi(argv[3]) : 1;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_autoptr(F2bDb) db = f2b_db_open(argv[1], now, NULL, &error);
  if (db == NULL) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  f2b_db_add_jail(db, "bench", NULL);
  gboolean server = argc > 4 && g_str_equal(argv[4], "server");
  if (server)
    f2b_db_set_checkpoint_func(db, want_checkpoint, argv[1]);
  g_autoptr(GArray) turn = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_autoptr(GArray) commit = g_array_new(FALSE, FALSE, sizeof(gint64));
  for (int i = 0; i < turns; i++) {
    gint64 t0 = g_get_monotonic_time();
    f2b_db_begin(db, NULL);
    for (int j = 0; j < per; j++) {
      g_autofree char *ip = g_strdup_printf("10.%d.%d.%d", (i * per + j) >> 16 & 255, (i * per + j) >> 8 & 255,
                                            (i * per + j) & 255);
      g_autoptr(F2bIPAddr) id = f2b_ipaddr_new(ip, -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
      g_autoptr(F2bTicket) t = f2b_ticket_new(F2B_TICKET_BAN, id, (double)now);
      f2b_ticket_add_match(t, "Failed password for root from 10.0.0.1 port 22 ssh2", 51);
      t->failures = 5;
      t->ban_count = 1;
      f2b_db_add_ban(db, "bench", t, f2b_pynum_int(600), NULL);
    }
    f2b_db_commit(db, NULL);
    gint64 c = f2b_db_last_commit_usec(db), w = g_get_monotonic_time() - t0;
    g_array_append_val(commit, c);
    g_array_append_val(turn, w);
  }
  if (checkpointer)
    g_thread_join(checkpointer);
  printf("%d turns of %d ban(s) into %s%s\n", turns, per, argv[1], server ? " (checkpoints in a thread)" : "");
  report("commit", commit);
  report("turn", turn);
  return 0;
}

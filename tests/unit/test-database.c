/* test-database.c - database.c on private databases (no fail2ban needed):
 * Python's JSON both ways, the schema, bans, restore, ban counts, purge,
 * logs, transactions, and corrupt, foreign, future and unopenable files. */
#include "check-main.h"
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "database.h"
#include "pyjson.h"

#define NOW 1700000000

static char *tmpdir;

static char *
dumps(const F2bPyObj *v)
{
  GString *out = g_string_new(NULL);
  ck_assert(f2b_pyjson_dump_append(out, v, NULL));
  return g_string_free(out, FALSE);
}

START_TEST(test_json_dump)
{
  g_autoptr(F2bPyObj) d = f2b_py_dict_new();
  F2bPyObj *l = f2b_py_list_new();
  f2b_py_append(l, f2b_py_str("a\"b\\c\n\x01\xc3\xa9"));
  f2b_py_append(l, f2b_py_str_len("x\xff" "y", 3)); /* not UTF-8: '?' as encode('replace') */
  f2b_py_dict_set(d, f2b_py_str("matches"), l);
  f2b_py_dict_set(d, f2b_py_str("failures"), f2b_py_int(-3));
  f2b_py_dict_set(d, f2b_py_str("f"), f2b_py_float(0.1));
  f2b_py_dict_set(d, f2b_py_str("big"), f2b_py_float(1e16));
  f2b_py_dict_set(d, f2b_py_str("t"), f2b_py_tuple_of(f2b_py_bool(TRUE), f2b_py_none(), NULL));
  f2b_py_dict_set(d, f2b_py_int(5), f2b_py_dict_new());
  g_autofree char *s = dumps(d);
  ck_assert_str_eq(s, "{\"matches\": [\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\", \"x?y\"], \"failures\": -3, \"f\": 0.1, "
                      "\"big\": 1e+16, \"t\": [true, null], \"5\": {}}");
  g_autoptr(F2bPyObj) bytes = f2b_py_bytes("x", 1);
  g_autoptr(GError) error = NULL;
  GString *out = g_string_new("keep");
  ck_assert(!f2b_pyjson_dump_append(out, bytes, &error));
  ck_assert_str_eq(out->str, "keep");
  ck_assert(g_error_matches(error, F2B_PYJSON_ERROR, F2B_PYJSON_ERROR_TYPE));
  g_string_free(out, TRUE);
}
END_TEST

/* json.dumps(s) with and without ensure_ascii, as Python writes them. */
START_TEST(test_json_str_ensure_ascii)
{
  static const char text[] = "a\"\x7f\xc3\xa9\xf0\x9f\x98\x80\x01\xff";
  GString *out = g_string_new(NULL);
  f2b_pyjson_str_append(out, text, sizeof text - 1, TRUE);
  ck_assert_str_eq(out->str, "\"a\\\"\\u007f\\u00e9\\ud83d\\ude00\\u0001?\"");
  g_string_truncate(out, 0);
  f2b_pyjson_str_append(out, text, sizeof text - 1, FALSE);
  ck_assert_str_eq(out->str, "\"a\\\"\x7f\xc3\xa9\xf0\x9f\x98\x80\\u0001?\"");
  g_string_free(out, TRUE);
}
END_TEST

START_TEST(test_json_load)
{
  const char *text = " {\"matches\": [\"a\\u00e9\\ud83d\\ude00\\/\", 1, -2.5e1, true, false, null, NaN],"
                     " \"k\": {\"k\": 1}, \"k\": 2}";
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bPyObj) v = f2b_pyjson_load(text, strlen(text), &error);
  ck_assert_msg(v != NULL, "%s", error ? error->message : "");
  g_autofree char *r = f2b_py_repr(v);
  ck_assert_str_eq(r, "{'matches': ['a\xc3\xa9\xf0\x9f\x98\x80/', 1, -25.0, True, False, None, nan], 'k': 2}");
  static const char *const bad[] = { "", "{", "[1,]", "{\"a\" 1}", "\"\x01\"", "tru", "1 2", "\"\\x\"", "{1: 2}",
                                     "\"abc", "-", "[\"\\u12\"]" };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) e = NULL;
    ck_assert_msg(f2b_pyjson_load(bad[i], strlen(bad[i]), &e) == NULL, "accepted %s", bad[i]);
    ck_assert(g_error_matches(e, F2B_PYJSON_ERROR, F2B_PYJSON_ERROR_SYNTAX));
  }
  g_autoptr(GString) deep = g_string_new(NULL);
  for (int i = 0; i < 100; i++)
    g_string_append_c(deep, '[');
  g_autoptr(GError) e = NULL;
  ck_assert_ptr_null(f2b_pyjson_load(deep->str, deep->len, &e));
  ck_assert(g_error_matches(e, F2B_PYJSON_ERROR, F2B_PYJSON_ERROR_DEPTH));
  g_autoptr(F2bPyObj) big = f2b_pyjson_load("123456789012345678901234", 24, NULL);
  ck_assert_int_eq(f2b_py_kind(big), F2B_PY_FLOAT);
}
END_TEST

static F2bDb *
memdb(void)
{
  g_autoptr(GError) error = NULL;
  F2bDb *db = f2b_db_open(":memory:", NOW, NULL, &error);
  ck_assert_msg(db != NULL, "%s", error ? error->message : "");
  return db;
}

static F2bTicket *
ticket(const char *ip, double time)
{
  g_autoptr(F2bIPAddr) id = f2b_ipaddr_new(ip, -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
  return f2b_ticket_new(F2B_TICKET_BAN, id, time);
}

static void
ban(F2bDb *db, const char *jail, const char *ip, double time, gint64 bt, gint64 count)
{
  g_autoptr(F2bTicket) t = ticket(ip, time);
  t->ban_count = count;
  ck_assert(f2b_db_add_ban(db, jail, t, f2b_pynum_int(bt), NULL));
}

START_TEST(test_ticket_data)
{
  g_autoptr(F2bTicket) t = ticket("192.0.2.1", NOW);
  g_autoptr(F2bPyObj) empty = f2b_db_ticket_data(t, 0);
  g_autofree char *e = dumps(empty);
  ck_assert_str_eq(e, "{\"matches\": [], \"failures\": 0}");
  for (int i = 0; i < 4; i++)
    f2b_ticket_add_match(t, i % 2 ? "odd" : "even", i % 2 ? 3 : 4);
  t->failures = 4;
  g_autoptr(F2bIPAddr) ip = f2b_ipaddr_new("192.0.2.9", -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
  f2b_ticket_set_ip(t, ip);
  g_autoptr(F2bPyObj) three = f2b_db_ticket_data(t, 3);
  g_autofree char *s3 = dumps(three);
  ck_assert_str_eq(s3, "{\"matches\": [\"odd\", \"even\", \"odd\"], \"failures\": 4, \"ip\": \"192.0.2.9\"}");
  g_autoptr(F2bPyObj) none = f2b_db_ticket_data(t, 0); /* dbmaxmatches 0: no matches key at all */
  g_autofree char *s0 = dumps(none);
  ck_assert_str_eq(s0, "{\"failures\": 4, \"ip\": \"192.0.2.9\"}");
}
END_TEST

START_TEST(test_bans_and_restore)
{
  g_autoptr(F2bDb) db = memdb();
  ck_assert(f2b_db_add_jail(db, "a", NULL) && f2b_db_add_jail(db, "b", NULL));
  ban(db, "a", "192.0.2.1", NOW - 700, 600, 1);   /* over */
  ban(db, "a", "192.0.2.2", NOW - 100.5, 600, 1); /* rounds half to even: NOW - 100 */
  ban(db, "a", "192.0.2.3", NOW - 10, -1, 3);     /* permanent */
  ban(db, "b", "192.0.2.2", NOW - 20, 60, 2);
  g_autoptr(GPtrArray) a = f2b_db_get_current_bans(db, "a", -1, NOW, -1, 600, -1, NULL);
  ck_assert_uint_eq(a->len, 2);
  F2bTicket *t0 = a->pdata[0], *t1 = a->pdata[1];
  ck_assert_double_eq(t0->time, NOW - 100);
  ck_assert_int_eq(t1->ban_time.i, -1);
  ck_assert_int_eq(t1->ban_count, 3);
  /* a cap turns the permanent ban into 5 s, over by now */
  g_autoptr(GPtrArray) capped = f2b_db_get_current_bans(db, "a", -1, NOW, 5, 600, -1, NULL);
  ck_assert_uint_eq(capped->len, 0);
  /* forbantime: only bans newer than 50 s */
  g_autoptr(GPtrArray) recent = f2b_db_get_current_bans(db, "a", 50, NOW, -1, 600, -1, NULL);
  ck_assert_uint_eq(recent->len, 1);

  gboolean found;
  gint64 count, when;
  F2bPyNum bt;
  ck_assert(f2b_db_get_ban(db, "192.0.2.2", "a", TRUE, -1, -1, NOW, &found, &count, &when, &bt, NULL));
  ck_assert(found);
  ck_assert_int_eq(count, 3); /* over all jails: 1 + 2 */
  ck_assert_int_eq(when, NOW - 20);
  ck_assert_int_eq(bt.i, 660);
  ck_assert(f2b_db_get_ban(db, "192.0.2.2", "a", FALSE, -1, NOW - 50, NOW, &found, &count, &when, &bt, NULL));
  ck_assert(!found); /* fromtime after the ban */

  g_autoptr(GPtrArray) all = f2b_db_get_bans(db, NULL, "192.0.2.2", -1, NOW, NULL);
  ck_assert_uint_eq(all->len, 2);
  ck_assert_str_eq(((F2bDbBan *)all->pdata[0])->jail, "b"); /* newest first */

  ck_assert(f2b_db_del_ban(db, "a", "192.0.2.2", NULL));
  g_autoptr(GPtrArray) left = f2b_db_get_bans(db, "a", NULL, -1, NOW, NULL);
  ck_assert_uint_eq(left->len, 2);
  ck_assert(f2b_db_del_ban(db, "a", NULL, NULL));
  g_autoptr(GPtrArray) none = f2b_db_get_bans(db, "a", NULL, -1, NOW, NULL);
  ck_assert_uint_eq(none->len, 0);
}
END_TEST

START_TEST(test_purge_and_jails)
{
  g_autoptr(F2bDb) db = memdb();
  f2b_db_set_purge_age(db, 100);
  ck_assert_int_eq(f2b_db_get_purge_age(db), 100);
  ck_assert(f2b_db_add_jail(db, "a", NULL) && f2b_db_add_jail(db, "gone", NULL));
  ck_assert(f2b_db_del_jail(db, "gone", NULL));
  ban(db, "a", "192.0.2.1", NOW - 1000, 10, 1);  /* bans row purged; bips too (1000 > 100 + 3*10) */
  ban(db, "a", "192.0.2.2", NOW - 1000, 600, 1); /* bips kept: 3 x 600 not out-dated */
  ban(db, "a", "192.0.2.3", NOW - 1000, -1, 1);  /* permanent: bips kept */
  ck_assert(f2b_db_purge(db, NOW, NULL));
  g_autoptr(GPtrArray) bans = f2b_db_get_bans(db, NULL, NULL, -1, NOW, NULL);
  ck_assert_uint_eq(bans->len, 0);
  gboolean found;
  gint64 c, w;
  F2bPyNum bt;
  ck_assert(f2b_db_get_ban(db, "192.0.2.1", "a", FALSE, -1, -1, NOW, &found, &c, &w, &bt, NULL) && !found);
  ck_assert(f2b_db_get_ban(db, "192.0.2.2", "a", FALSE, -1, -1, NOW, &found, &c, &w, &bt, NULL) && found);
  ck_assert(f2b_db_get_ban(db, "192.0.2.3", "a", FALSE, -1, -1, NOW, &found, &c, &w, &bt, NULL) && found);
  g_auto(GStrv) names = f2b_db_get_jail_names(db, -1, NULL);
  ck_assert_uint_eq(g_strv_length(names), 1);
  ck_assert_str_eq(names[0], "a");
  ck_assert(f2b_db_del_all_jails(db, NULL));
  g_auto(GStrv) enabled = f2b_db_get_jail_names(db, 1, NULL);
  ck_assert_uint_eq(g_strv_length(enabled), 0);
  ck_assert(f2b_db_add_jail(db, "a", NULL)); /* known: enabled again */
  g_auto(GStrv) again = f2b_db_get_jail_names(db, 1, NULL);
  ck_assert_uint_eq(g_strv_length(again), 1);
}
END_TEST

START_TEST(test_logs)
{
  g_autoptr(F2bDb) db = memdb();
  ck_assert(f2b_db_add_jail(db, "a", NULL));
  gboolean has;
  gint64 pos;
  ck_assert(f2b_db_add_log(db, "a", "/l", 0, NULL, &has, &pos, NULL));
  ck_assert(!has); /* nothing given, nothing stored */
  g_auto(GStrv) p0 = f2b_db_get_log_paths(db, "a", NULL);
  ck_assert_uint_eq(g_strv_length(p0), 0);
  ck_assert(f2b_db_add_log(db, "a", "/l", 10, "h1", &has, &pos, NULL));
  ck_assert(!has);
  ck_assert(f2b_db_update_log(db, "a", "/l", 500, "h1", NULL));
  ck_assert(f2b_db_add_log(db, "a", "/l", 0, "h1", &has, &pos, NULL));
  ck_assert(has);
  ck_assert_int_eq(pos, 500);
  ck_assert(f2b_db_add_log(db, "a", "/l", 0, "h2", &has, &pos, NULL));
  ck_assert(!has); /* rotated */
  ck_assert(f2b_db_update_log(db, "a", "/m", 7, NULL, NULL)); /* no row yet: inserted */
  g_auto(GStrv) paths = f2b_db_get_log_paths(db, NULL, NULL);
  ck_assert_uint_eq(g_strv_length(paths), 2);
}
END_TEST

/* The commit function runs once per outermost commit, inside the
 * transaction: its writes are committed with the rest, or rolled back. */
typedef struct {
  int calls;
  gint64 pos;
} CommitHook;

static void
on_commit(F2bDb *db, gpointer data)
{
  CommitHook *h = data;
  h->calls++;
  ck_assert(f2b_db_update_log(db, "a", "/l", h->pos, "h", NULL)); /* its own commit does not call it again */
}

static gint64
stored_pos(F2bDb *db)
{
  gboolean has;
  gint64 pos;
  ck_assert(f2b_db_add_log(db, "a", "/l", 0, "h", &has, &pos, NULL));
  return has ? pos : -1;
}

START_TEST(test_commit_func)
{
  g_autoptr(F2bDb) db = memdb();
  CommitHook h = { 0, 10 };
  ck_assert(f2b_db_add_jail(db, "a", NULL));
  f2b_db_set_commit_func(db, on_commit, &h);
  ban(db, "a", "192.0.2.1", NOW, 600, 1); /* a write on its own: one commit */
  ck_assert_int_eq(h.calls, 1);
  f2b_db_set_commit_func(db, NULL, NULL);
  ck_assert_int_eq(stored_pos(db), 10);
  f2b_db_set_commit_func(db, on_commit, &h);
  h.pos = 20;
  ck_assert(f2b_db_begin(db, NULL));
  ck_assert(f2b_db_begin(db, NULL));
  ban(db, "a", "192.0.2.2", NOW, 600, 1);
  ck_assert(f2b_db_commit(db, NULL)); /* nested: not yet */
  ck_assert_int_eq(h.calls, 1);
  ck_assert(f2b_db_commit(db, NULL));
  ck_assert_int_eq(h.calls, 2);
  /* a write that fails rolls back without calling it */
  ck_assert(f2b_db_begin(db, NULL));
  h.pos = 30;
  ck_assert(f2b_db_add_log(db, "a", "/other", 5, "x", &(gboolean){ 0 }, &(gint64){ 0 }, NULL));
  ck_assert_int_eq(h.calls, 2);
  f2b_db_set_commit_func(db, NULL, NULL);
  ck_assert(f2b_db_commit(db, NULL));
  ck_assert_int_eq(stored_pos(db), 20);
  g_autoptr(GPtrArray) bans = f2b_db_get_bans(db, "a", NULL, -1, NOW, NULL);
  ck_assert_uint_eq(bans->len, 2);
}
END_TEST

/* The journal's position: a float time and its date in the logs row. */
START_TEST(test_journal_pos)
{
  g_autoptr(F2bDb) db = memdb();
  ck_assert(f2b_db_add_jail(db, "j", NULL));
  gboolean found = TRUE;
  double t = -1;
  ck_assert(f2b_db_get_journal_pos(db, "j", "systemd-journal", &found, &t, NULL));
  ck_assert(!found);
  ck_assert(t == 0);
  g_auto(GStrv) none = f2b_db_get_log_paths(db, "j", NULL);
  ck_assert_uint_eq(g_strv_length(none), 0); /* looking wrote nothing */
  ck_assert(f2b_db_update_journal(db, "j", "systemd-journal", 1700000000.25, "2023-11-14T22:13:20.250000 ", NULL));
  ck_assert(f2b_db_get_journal_pos(db, "j", "systemd-journal", &found, &t, NULL));
  ck_assert(found);
  ck_assert(t == 1700000000.25);
  ck_assert(f2b_db_update_journal(db, "j", "systemd-journal", 1700000001.5, "later ", NULL));
  ck_assert(f2b_db_get_journal_pos(db, "j", "systemd-journal", &found, &t, NULL));
  ck_assert(t == 1700000001.5);
  g_auto(GStrv) paths = f2b_db_get_log_paths(db, "j", NULL);
  ck_assert_uint_eq(g_strv_length(paths), 1);
  ck_assert_str_eq(paths[0], "systemd-journal");
  /* addLog of the journal's row with no hash keeps the time */
  gboolean has;
  gint64 pos;
  ck_assert(f2b_db_add_log(db, "j", "systemd-journal", 0, NULL, &has, &pos, NULL));
  ck_assert(has);
  ck_assert_int_eq(pos, 1700000001);
}
END_TEST

/* getBansMerged: failures summed, the newest matches kept (dbmaxmatches),
 * oldest first; per jail or over all jails; nothing for an unknown id. */
static void
ban_with(F2bDb *db, const char *jail, const char *ip, double time, gint64 failures, const char *const *matches)
{
  g_autoptr(F2bTicket) t = ticket(ip, time);
  t->failures = failures;
  for (guint i = 0; matches && matches[i]; i++)
    g_ptr_array_add(t->matches, g_bytes_new(matches[i], strlen(matches[i])));
  ck_assert(f2b_db_add_ban(db, jail, t, f2b_pynum_int(600), NULL));
}

START_TEST(test_bans_merged)
{
  g_autoptr(F2bDb) db = memdb();
  ck_assert(f2b_db_add_jail(db, "a", NULL));
  ck_assert(f2b_db_add_jail(db, "b", NULL));
  f2b_db_set_max_matches(db, 3);
  ban_with(db, "a", "192.0.2.1", NOW - 100, 2, (const char *const[]){ "a1", "a2", NULL });
  ban_with(db, "b", "192.0.2.1", NOW - 50, 1, (const char *const[]){ "b1", NULL });
  ban_with(db, "a", "192.0.2.1", NOW, 2, (const char *const[]){ "a3", "a4", NULL });
  ban_with(db, "a", "192.0.2.9", NOW, 5, NULL);
  gboolean found;
  gint64 failures;
  gsize len;
  g_autofree char *jail_m = NULL, *all_m = NULL, *none_m = NULL, *empty_m = NULL;
  ck_assert(f2b_db_get_bans_merged(db, "192.0.2.1", "a", &found, &failures, &jail_m, &len, NULL));
  ck_assert(found);
  ck_assert_int_eq(failures, 4);
  ck_assert_str_eq(jail_m, "a2\na3\na4");
  ck_assert_uint_eq(len, 8);
  ck_assert(f2b_db_get_bans_merged(db, "192.0.2.1", NULL, &found, &failures, &all_m, NULL, NULL));
  ck_assert_int_eq(failures, 5);
  ck_assert_str_eq(all_m, "b1\na3\na4");
  ck_assert(f2b_db_get_bans_merged(db, "192.0.2.9", "a", &found, &failures, &empty_m, NULL, NULL));
  ck_assert(found);
  ck_assert_int_eq(failures, 5);
  ck_assert_str_eq(empty_m, "");
  ck_assert(f2b_db_get_bans_merged(db, "192.0.2.2", "a", &found, &failures, &none_m, NULL, NULL));
  ck_assert(!found);
  ck_assert_int_eq(failures, 0);
  ck_assert(none_m == NULL);
}
END_TEST

START_TEST(test_transactions)
{
  g_autofree char *path = g_build_filename(tmpdir, "tx.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bDb) db = f2b_db_open(path, NOW, NULL, &error);
  ck_assert_msg(db != NULL, "%s", error ? error->message : "");
  ck_assert(f2b_db_begin(db, NULL));
  ck_assert(f2b_db_add_jail(db, "a", NULL));
  ck_assert(f2b_db_begin(db, NULL)); /* nested: joins */
  for (int i = 0; i < 100; i++) {
    g_autofree char *ip = g_strdup_printf("10.0.0.%d", i);
    ban(db, "a", ip, NOW, 600, 1);
  }
  ck_assert(f2b_db_commit(db, NULL));
  /* another connection does not see it before the outer commit */
  g_autoptr(F2bDb) other = f2b_db_open(path, NOW, NULL, &error);
  ck_assert_msg(other != NULL, "%s", error ? error->message : "");
  g_autoptr(GPtrArray) before = f2b_db_get_bans(other, NULL, NULL, -1, NOW, NULL);
  ck_assert_uint_eq(before->len, 0);
  ck_assert(f2b_db_commit(db, NULL));
  ck_assert_int_ge(f2b_db_last_commit_usec(db), 0);
  g_autoptr(GPtrArray) after = f2b_db_get_bans(other, NULL, NULL, -1, NOW, NULL);
  ck_assert_uint_eq(after->len, 100);
}
END_TEST

/* A new file shrinks again after a purge (auto_vacuum = incremental). */
START_TEST(test_purge_gives_space_back)
{
  g_autofree char *path = g_build_filename(tmpdir, "vacuum.db", NULL);
  g_autoptr(F2bDb) db = f2b_db_open(path, NOW, NULL, NULL);
  ck_assert_ptr_nonnull(db);
  ck_assert(f2b_db_add_jail(db, "a", NULL));
  ck_assert(f2b_db_begin(db, NULL));
  for (int i = 0; i < 5000; i++) {
    g_autofree char *ip = g_strdup_printf("10.0.%d.%d", i / 250, i % 250);
    g_autoptr(F2bTicket) t = ticket(ip, NOW - 100000);
    for (int m = 0; m < 5; m++)
      f2b_ticket_add_match(t, "a matched line of some fifty characters or so .....", 51);
    ck_assert(f2b_db_add_ban(db, "a", t, f2b_pynum_int(600), NULL));
  }
  ck_assert(f2b_db_commit(db, NULL));
  GStatBuf before, after;
  ck_assert_int_eq(g_stat(path, &before), 0);
  ck_assert(f2b_db_purge(db, NOW, NULL));
  f2b_db_close(g_steal_pointer(&db)); /* the last connection checkpoints the WAL into the file */
  ck_assert_int_eq(g_stat(path, &after), 0);
  ck_assert_int_lt(after.st_size * 4, before.st_size);
}
END_TEST

static void
count_call(gpointer data)
{
  (*(int *)data)++;
}

/* With a checkpoint function the file only grows when the caller checkpoints. */
START_TEST(test_checkpoint_elsewhere)
{
  g_autofree char *path = g_build_filename(tmpdir, "ckpt.db", NULL);
  g_autoptr(F2bDb) db = f2b_db_open(path, NOW, NULL, NULL);
  ck_assert_ptr_nonnull(db);
  int asked = 0;
  f2b_db_set_checkpoint_func(db, count_call, &asked);
  ck_assert(f2b_db_add_jail(db, "a", NULL));
  GStatBuf st0, st1, st2;
  ck_assert_int_eq(g_stat(path, &st0), 0);
  for (int i = 0; i < 3000; i++) { /* well beyond SQLite's 1000-page auto-checkpoint */
    g_autofree char *ip = g_strdup_printf("10.1.%d.%d", i / 250, i % 250);
    g_autoptr(F2bTicket) t = ticket(ip, NOW);
    for (int m = 0; m < 5; m++)
      f2b_ticket_add_match(t, "a matched line of some fifty characters or so .....", 51);
    ck_assert(f2b_db_add_ban(db, "a", t, f2b_pynum_int(600), NULL));
  }
  ck_assert_int_eq(g_stat(path, &st1), 0);
  ck_assert_int_eq(st1.st_size, st0.st_size); /* everything still in the WAL */
  ck_assert_int_gt(asked, 0);
  ck_assert(f2b_db_checkpoint_file(path, NULL));
  ck_assert_int_eq(g_stat(path, &st2), 0);
  ck_assert_int_gt(st2.st_size, st1.st_size * 10);
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename(tmpdir, "nothing-here", "x.db", NULL);
  ck_assert(!f2b_db_checkpoint_file(missing, &error));
  ck_assert(g_error_matches(error, F2B_DB_ERROR, F2B_DB_ERROR_SQL));
}
END_TEST

static char *
write_file(const char *name, const void *data, gsize len)
{
  char *path = g_build_filename(tmpdir, name, NULL);
  ck_assert(g_file_set_contents(path, data, (gssize)len, NULL));
  return path;
}

START_TEST(test_corrupt_moved_aside)
{
  static const char junk[] = "this is not an SQLite database at all, just some text that is long enough";
  g_autofree char *path = write_file("junk.db", junk, sizeof junk);
  g_autoptr(GError) error = NULL;
  ck_assert_ptr_null(f2b_db_open(path, NOW, NULL, &error));
  ck_assert(g_error_matches(error, F2B_DB_ERROR, F2B_DB_ERROR_CORRUPT));
  ck_assert_ptr_nonnull(strstr(error->message, path));
  g_autofree char *moved = NULL;
  g_autoptr(GError) why = NULL, err2 = NULL;
  g_autoptr(F2bDb) db = f2b_db_open_or_recover(path, NOW, &moved, &why, &err2);
  ck_assert_msg(db != NULL, "%s", err2 ? err2->message : "");
  ck_assert_ptr_nonnull(why);
  g_autofree char *want = g_strconcat(path, ".corrupt.20231114-221320", NULL);
  ck_assert_str_eq(moved, want);
  g_autofree char *kept = NULL;
  gsize len;
  ck_assert(g_file_get_contents(moved, &kept, &len, NULL));
  ck_assert_uint_eq(len, sizeof junk);
  ck_assert_mem_eq(kept, junk, len); /* untouched */
  ck_assert(f2b_db_add_jail(db, "a", NULL)); /* the new database works */
}
END_TEST

START_TEST(test_truncated_moved_aside)
{
  g_autofree char *good = g_build_filename(tmpdir, "good.db", NULL);
  {
    g_autoptr(F2bDb) db = f2b_db_open(good, NOW, NULL, NULL);
    ck_assert(f2b_db_add_jail(db, "a", NULL));
    for (int i = 0; i < 300; i++) {
      g_autofree char *ip = g_strdup_printf("10.0.%d.%d", i / 200, i % 200);
      ban(db, "a", ip, NOW, 600, 1);
    }
  }
  g_autofree char *data = NULL;
  gsize len;
  ck_assert(g_file_get_contents(good, &data, &len, NULL));
  ck_assert_uint_gt(len, 8192);
  g_autofree char *path = write_file("cut.db", data, len / 2);
  g_autofree char *moved = NULL;
  g_autoptr(GError) why = NULL, error = NULL;
  g_autoptr(F2bDb) db = f2b_db_open_or_recover(path, NOW, &moved, &why, &error);
  ck_assert_msg(db != NULL, "%s", error ? error->message : "");
  ck_assert_ptr_nonnull(moved);
  ck_assert(g_error_matches(why, F2B_DB_ERROR, F2B_DB_ERROR_CORRUPT));
}
END_TEST

static void run_python(const char *code);

/* A file cut after the root page of bips (its indices lost): what sqlite
 * still reads comes back, and the file aside gets no -shm/-wal files. */
START_TEST(test_salvage_truncated)
{
  if (!g_file_test("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    return; /* the cut is placed with python's sqlite3 */
  g_autofree char *path = g_build_filename(tmpdir, "half.db", NULL);
  {
    g_autoptr(F2bDb) db = f2b_db_open(path, NOW, NULL, NULL);
    ck_assert(f2b_db_add_jail(db, "a", NULL));
    for (int i = 1; i <= 5; i++) {
      g_autofree char *ip = g_strdup_printf("10.0.0.%d", i);
      ban(db, "a", ip, NOW, 600, 1);
    }
  }
  g_autofree char *py = g_strdup_printf(
      "import os, sqlite3\nc=sqlite3.connect('%s')\n"
      "p=c.execute('PRAGMA page_size').fetchone()[0]\n"
      "r=c.execute(\"SELECT rootpage FROM sqlite_master WHERE name='bips'\").fetchone()[0]\n"
      "c.close()\nos.truncate('%s', r*p)\n",
      path, path);
  run_python(py);
  g_autofree char *data = NULL, *after = NULL;
  gsize len, after_len;
  ck_assert(g_file_get_contents(path, &data, &len, NULL));
  g_autofree char *moved = NULL;
  g_autoptr(GError) why = NULL, error = NULL;
  g_autoptr(F2bDb) db = f2b_db_open_or_recover(path, NOW, &moved, &why, &error);
  ck_assert_msg(db != NULL, "%s", error ? error->message : "");
  ck_assert_ptr_nonnull(moved);
  gint64 rows = f2b_db_salvage(db, moved, &error);
  /* the jail, five bans rows and five bips rows */
  ck_assert_msg(rows == 11, "%" G_GINT64_FORMAT " %s", rows, error ? error->message : "");
  g_autoptr(GPtrArray) bans = f2b_db_get_current_bans(db, "a", -1, NOW, -1, 600, -1, NULL);
  ck_assert_uint_eq(bans->len, 5);
  ck_assert(g_file_get_contents(moved, &after, &after_len, NULL));
  ck_assert_uint_eq(after_len, len);
  ck_assert_mem_eq(after, data, len);
  g_autofree char *shm = g_strconcat(moved, "-shm", NULL);
  ck_assert(!g_file_test(shm, G_FILE_TEST_EXISTS));
}
END_TEST

START_TEST(test_salvage_unreadable)
{
  static const char junk[] = "SQLite format 3\0 and then nothing a database would hold, only text";
  g_autofree char *path = write_file("junk2.db", junk, sizeof junk);
  g_autofree char *missing = g_build_filename(tmpdir, "no-such-file.db", NULL);
  g_autoptr(F2bDb) db = memdb();
  g_autoptr(GError) error = NULL;
  ck_assert_int_eq(f2b_db_salvage(db, path, &error), 0);
  ck_assert_int_eq(f2b_db_salvage(db, missing, &error), 0);
  ck_assert_ptr_null(error);
  ck_assert(!g_file_test(missing, G_FILE_TEST_EXISTS)); /* not created */
  ck_assert(!f2b_db_is_readonly(db));
}
END_TEST

static void
run_python(const char *code)
{
  const char *argv[] = { "/usr/bin/python3", "-c", code, NULL };
  int status;
  ck_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, NULL));
  ck_assert(g_spawn_check_wait_status(status, NULL));
}

/* A future version is refused before anything is written: not even the
 * journal mode (which rewrites the header and adds -wal/-shm files). */
START_TEST(test_future_untouched)
{
  if (!g_file_test("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    return; /* the other cases need no python */
  g_autofree char *path = g_build_filename(tmpdir, "future.db", NULL);
  g_autofree char *py = g_strdup_printf("import sqlite3\nc=sqlite3.connect('%s')\n"
                                        "c.executescript('CREATE TABLE fail2banDb(version INTEGER);"
                                        "INSERT INTO fail2banDb VALUES(5);')\n",
                                        path);
  run_python(py);
  g_autofree char *before = NULL, *after = NULL;
  gsize len, after_len;
  ck_assert(g_file_get_contents(path, &before, &len, NULL));
  g_autofree char *moved = NULL;
  g_autoptr(GError) why = NULL, error = NULL;
  ck_assert_ptr_null(f2b_db_open_or_recover(path, NOW, &moved, &why, &error));
  ck_assert(g_error_matches(error, F2B_DB_ERROR, F2B_DB_ERROR_FUTURE));
  ck_assert_ptr_nonnull(strstr(error->message, "database version 5 is newer than 4"));
  ck_assert_ptr_null(moved);
  ck_assert(g_file_get_contents(path, &after, &after_len, NULL));
  ck_assert_uint_eq(after_len, len);
  ck_assert_mem_eq(after, before, len);
  g_autofree char *wal = g_strconcat(path, "-wal", NULL);
  ck_assert(!g_file_test(wal, G_FILE_TEST_EXISTS));
}
END_TEST

START_TEST(test_foreign_schema)
{
  g_autofree char *path = g_build_filename(tmpdir, "foreign.db", NULL);
  {
    g_autoptr(F2bDb) db = f2b_db_open(path, NOW, NULL, NULL);
    ck_assert_ptr_nonnull(db);
  }
  /* a bans table of another shape */
  g_autofree char *py = g_strdup_printf("import sqlite3\nc=sqlite3.connect('%s')\n"
                                        "c.executescript('DROP TABLE bips; DROP TABLE bans; CREATE TABLE bans(x);')\n",
                                        path);
  const char *argv[] = { "/usr/bin/python3", "-c", py, NULL };
  int status;
  if (!g_file_test(argv[0], G_FILE_TEST_IS_EXECUTABLE))
    return; /* the other cases need no python */
  ck_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, NULL));
  ck_assert(g_spawn_check_wait_status(status, NULL));
  g_autoptr(GError) error = NULL;
  ck_assert_ptr_null(f2b_db_open(path, NOW, NULL, &error));
  ck_assert(g_error_matches(error, F2B_DB_ERROR, F2B_DB_ERROR_CORRUPT));
  ck_assert_ptr_nonnull(strstr(error->message, "table bans has no column jail"));
}
END_TEST

START_TEST(test_unopenable)
{
  g_autofree char *path = g_build_filename(tmpdir, "no-such-dir", "x.db", NULL);
  g_autofree char *moved = NULL;
  g_autoptr(GError) why = NULL, error = NULL;
  ck_assert_ptr_null(f2b_db_open_or_recover(path, NOW, &moved, &why, &error));
  ck_assert(g_error_matches(error, F2B_DB_ERROR, F2B_DB_ERROR_OPEN));
  ck_assert_ptr_null(moved);
}
END_TEST

int
main(void)
{
  tmpdir = g_dir_make_tmp("f2bc-dbu-XXXXXX", NULL);
  Suite *s = suite_create("database");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_json_dump);
  tcase_add_test(tc, test_json_str_ensure_ascii);
  tcase_add_test(tc, test_json_load);
  tcase_add_test(tc, test_ticket_data);
  tcase_add_test(tc, test_bans_and_restore);
  tcase_add_test(tc, test_purge_and_jails);
  tcase_add_test(tc, test_logs);
  tcase_add_test(tc, test_transactions);
  tcase_add_test(tc, test_commit_func);
  tcase_add_test(tc, test_journal_pos);
  tcase_add_test(tc, test_bans_merged);
  tcase_add_test(tc, test_purge_gives_space_back);
  tcase_add_test(tc, test_checkpoint_elsewhere);
  tcase_add_test(tc, test_corrupt_moved_aside);
  tcase_add_test(tc, test_truncated_moved_aside);
  tcase_add_test(tc, test_salvage_truncated);
  tcase_add_test(tc, test_salvage_unreadable);
  tcase_add_test(tc, test_future_untouched);
  tcase_add_test(tc, test_foreign_schema);
  tcase_add_test(tc, test_unopenable);
  suite_add_tcase(s, tc);
  int rc = f2b_check_run(s);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", tmpdir);
  g_free(tmpdir);
  return rc;
}

/* test-banmanager.c - fail2ban's BanManager: adding, "already banned",
 * prolonging, list orders, `banip --with-time`, unbanning by time, flush,
 * the banned query and status.  Expected values were checked against
 * fail2ban 1.0.2's BanManager. */
#include "check-main.h"
#include <stdlib.h>
#include <time.h>

#include "banmanager.h"

static F2bIPAddr *
addr(const char *text)
{
  return f2b_ipaddr_new(text, -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
}

static F2bTicket *
ban(const char *ip, double time)
{
  g_autoptr(F2bIPAddr) id = addr(ip);
  return f2b_ticket_new(F2B_TICKET_BAN, id, time);
}

/* Adds a new ban of IP at TIME with BAN_TIME (G_MININT64: the jail's). */
static void
add(F2bBanManager *bm, const char *ip, double time, gint64 ban_time)
{
  g_autoptr(F2bTicket) t = ban(ip, time);
  if (ban_time != G_MININT64)
    f2b_ticket_set_ban_time(t, f2b_pynum_int(ban_time));
  ck_assert(f2b_banmanager_add_ban_ticket(bm, t, time, NULL));
}

/* The ids of LIST joined by spaces. */
static char *
ids(GPtrArray *list, gboolean tickets)
{
  GString *out = g_string_new(NULL);
  for (guint k = 0; k < list->len; k++) {
    const F2bIPAddr *id = tickets ? ((F2bTicket *)list->pdata[k])->id : list->pdata[k];
    g_autofree char *s = f2b_ipaddr_to_string(id, NULL);
    g_string_append_printf(out, "%s%s", k ? " " : "", s);
  }
  return g_string_free(out, FALSE);
}

static void
assert_ids(GPtrArray *list, gboolean tickets, const char *expected)
{
  g_autofree char *got = ids(list, tickets);
  ck_assert_str_eq(got, expected);
}

START_TEST(test_add)
{
  g_autoptr(F2bBanManager) bm = f2b_banmanager_new();
  ck_assert_int_eq(f2b_banmanager_get_ban_time(bm), 600);
  g_autoptr(F2bTicket) t = ban("192.0.2.1", 1000);
  F2bBanReason reason;
  ck_assert(f2b_banmanager_add_ban_ticket(bm, t, 1000, &reason));
  ck_assert(!reason.expired && !reason.prolong && reason.ticket == NULL);
  ck_assert_int_eq(t->ban_count, 1);
  ck_assert_uint_eq(f2b_banmanager_size(bm), 1);
  ck_assert_int_eq(f2b_banmanager_get_ban_total(bm), 1);
  ck_assert_ptr_eq(f2b_banmanager_lookup(bm, t->id), t);

  /* already banned, ending earlier: nothing changes */
  g_autoptr(F2bTicket) same = ban("192.0.2.1", 1000);
  f2b_ticket_set_ban_time(same, f2b_pynum_int(100));
  ck_assert(!f2b_banmanager_add_ban_ticket(bm, same, 1000, &reason));
  ck_assert(!reason.prolong && !reason.expired);
  ck_assert_ptr_eq(reason.ticket, t);
  ck_assert(!t->has_ban_time);
  ck_assert_int_eq(f2b_banmanager_get_ban_total(bm), 1);
  ck_assert_int_eq(same->ban_count, 0);

  /* its ban already ended: ignored */
  g_autoptr(F2bTicket) old = ban("192.0.2.2", 100);
  ck_assert(!f2b_banmanager_add_ban_ticket(bm, old, 1000, &reason));
  ck_assert(reason.expired);
  ck_assert_ptr_null(reason.ticket);
  ck_assert(!f2b_banmanager_add_ban_ticket(bm, old, 1000, NULL));
  ck_assert_uint_eq(f2b_banmanager_size(bm), 1);
  /* ending exactly now is not expired */
  ck_assert(f2b_banmanager_add_ban_ticket(bm, old, 700, NULL));
}
END_TEST

START_TEST(test_prolong)
{
  g_autoptr(F2bBanManager) bm = f2b_banmanager_new();
  g_autoptr(F2bTicket) t = ban("192.0.2.9", 1000);
  f2b_ticket_set_ban_time(t, f2b_pynum_int(100));
  f2b_banmanager_add_ban_ticket(bm, t, 1000, NULL);
  add(bm, "192.0.2.8", 1000, G_MININT64);
  g_autoptr(GPtrArray) before = f2b_banmanager_get_ban_list_ordered(bm);
  assert_ids(before, FALSE, "192.0.2.9 192.0.2.8");
  /* a later ban of 600 ends at 1650: the old one gets 600 + 50 */
  g_autoptr(F2bTicket) later = ban("192.0.2.9", 1050);
  F2bBanReason reason;
  ck_assert(!f2b_banmanager_add_ban_ticket(bm, later, 1050, &reason));
  ck_assert(reason.prolong);
  ck_assert_ptr_eq(reason.ticket, t);
  ck_assert(t->ban_time.is_float);
  ck_assert_double_eq(t->ban_time.f, 650);
  ck_assert_int_eq(t->ban_count, 1);
  g_autoptr(GPtrArray) after = f2b_banmanager_get_ban_list_ordered(bm);
  assert_ids(after, FALSE, "192.0.2.8 192.0.2.9");
  g_autoptr(GPtrArray) insertion = f2b_banmanager_get_ban_list(bm);
  assert_ids(insertion, FALSE, "192.0.2.9 192.0.2.8");
  /* a permanent ban prolongs to permanent, without adding the difference */
  g_autoptr(F2bTicket) forever = ban("192.0.2.9", 1100);
  f2b_ticket_set_ban_time(forever, f2b_pynum_int(-1));
  ck_assert(!f2b_banmanager_add_ban_ticket(bm, forever, 1100, &reason));
  ck_assert(reason.prolong);
  ck_assert_int_eq(t->ban_time.i, -1);
  ck_assert(!t->ban_time.is_float);
  double when;
  ck_assert(f2b_banmanager_next_unban_time(bm, &when));
  ck_assert_double_eq(when, 1600);
}
END_TEST

START_TEST(test_unban_list)
{
  g_autoptr(F2bBanManager) bm = f2b_banmanager_new();
  double when;
  ck_assert(!f2b_banmanager_next_unban_time(bm, &when));
  add(bm, "192.0.2.9", 1000, 100);
  add(bm, "192.0.2.8", 1000, G_MININT64);
  add(bm, "192.0.2.7", 1000, -1);
  add(bm, "192.0.2.6", 1000, 100);
  ck_assert(f2b_banmanager_next_unban_time(bm, &when));
  ck_assert_double_eq(when, 1100);
  g_autoptr(GPtrArray) none = f2b_banmanager_unban_list(bm, 1100, 0); /* strictly after the end */
  ck_assert_uint_eq(none->len, 0);
  g_autoptr(GPtrArray) one = f2b_banmanager_unban_list(bm, 1100.5, 1);
  assert_ids(one, TRUE, "192.0.2.9");
  g_autoptr(GPtrArray) two = f2b_banmanager_unban_list(bm, 1601, 0);
  assert_ids(two, TRUE, "192.0.2.6 192.0.2.8");
  ck_assert(f2b_banmanager_next_unban_time(bm, &when));
  ck_assert_double_eq(when, F2B_TICKET_MAX_TIME);
  g_autoptr(GPtrArray) never = f2b_banmanager_unban_list(bm, 1e14, 0);
  ck_assert_uint_eq(never->len, 0);
  ck_assert_uint_eq(f2b_banmanager_size(bm), 1);
  ck_assert_int_eq(f2b_banmanager_get_ban_total(bm), 4);
}
END_TEST

START_TEST(test_reschedule)
{
  g_autoptr(F2bBanManager) bm = f2b_banmanager_new();
  add(bm, "192.0.2.1", 1000, G_MININT64);
  add(bm, "192.0.2.2", 1000, G_MININT64);
  g_autoptr(F2bIPAddr) a1 = addr("192.0.2.1");
  F2bTicket *t = f2b_banmanager_lookup(bm, a1);
  /* the observer increases the ban time of a listed ticket */
  f2b_ticket_set_ban_time(t, f2b_pynum_int(1200));
  f2b_banmanager_reschedule(bm, t);
  double when;
  ck_assert(f2b_banmanager_next_unban_time(bm, &when));
  ck_assert_double_eq(when, 1600);
  g_autoptr(GPtrArray) order = f2b_banmanager_get_ban_list_ordered(bm);
  assert_ids(order, FALSE, "192.0.2.2 192.0.2.1");
  /* a change nobody reported is still caught before unbanning */
  g_autoptr(F2bIPAddr) a2 = addr("192.0.2.2");
  f2b_ticket_set_ban_time(f2b_banmanager_lookup(bm, a2), f2b_pynum_int(5000));
  g_autoptr(GPtrArray) due = f2b_banmanager_unban_list(bm, 1700, 0);
  ck_assert_uint_eq(due->len, 0);
  g_autoptr(GPtrArray) due2 = f2b_banmanager_unban_list(bm, 2201, 0);
  assert_ids(due2, TRUE, "192.0.2.1");
  /* the jail's ban time changes: tickets without their own re-order */
  add(bm, "192.0.2.3", 1000, G_MININT64);
  f2b_banmanager_set_ban_time(bm, 10000);
  ck_assert(f2b_banmanager_next_unban_time(bm, &when));
  ck_assert_double_eq(when, 6000);
}
END_TEST

START_TEST(test_with_time)
{
  g_autoptr(F2bBanManager) bm = f2b_banmanager_new();
  add(bm, "192.0.2.9", 1000, 100);
  add(bm, "192.0.2.8", 1000, G_MININT64);
  add(bm, "192.0.2.7", 1000, -1);
  g_autoptr(F2bTicket) f = ban("2001:db8::1", 1000.9);
  f2b_ticket_set_ban_time(f, f2b_pynum_float(650.7));
  f2b_banmanager_add_ban_ticket(bm, f, 1000, NULL);
  g_autoptr(GPtrArray) lines = f2b_banmanager_get_ban_list_with_time(bm);
  ck_assert_uint_eq(lines->len, 4);
  ck_assert_str_eq(lines->pdata[0], "192.0.2.9 \t1970-01-01 00:16:40 + 100 = 1970-01-01 00:18:20");
  ck_assert_str_eq(lines->pdata[1], "192.0.2.8 \t1970-01-01 00:16:40 + 600 = 1970-01-01 00:26:40");
  ck_assert_str_eq(lines->pdata[2], "2001:db8::1 \t1970-01-01 00:16:40 + 650 = 1970-01-01 00:27:31");
  ck_assert_str_eq(lines->pdata[3], "192.0.2.7 \t1970-01-01 00:16:40 + -1 = 9999-12-31 23:59:59");
}
END_TEST

START_TEST(test_flush_and_pop)
{
  g_autoptr(F2bBanManager) bm = f2b_banmanager_new();
  add(bm, "192.0.2.3", 1000, 50);
  add(bm, "192.0.2.1", 1000, 10);
  add(bm, "192.0.2.2", 1000, 30);
  g_autoptr(F2bIPAddr) a1 = addr("192.0.2.1");
  g_autoptr(F2bTicket) popped = f2b_banmanager_get_ticket_by_id(bm, a1);
  ck_assert_ptr_nonnull(popped);
  ck_assert_ptr_null(f2b_banmanager_get_ticket_by_id(bm, a1));
  add(bm, "192.0.2.1", 1000, 10); /* re-added: now last in insertion order */
  g_autoptr(GPtrArray) status_order = f2b_banmanager_get_ban_list(bm);
  assert_ids(status_order, FALSE, "192.0.2.3 192.0.2.2 192.0.2.1");
  g_autoptr(GPtrArray) all = f2b_banmanager_flush(bm);
  assert_ids(all, TRUE, "192.0.2.3 192.0.2.2 192.0.2.1");
  ck_assert_uint_eq(f2b_banmanager_size(bm), 0);
  ck_assert_int_eq(f2b_banmanager_get_ban_total(bm), 4);
  double when;
  ck_assert(!f2b_banmanager_next_unban_time(bm, &when));
}
END_TEST

START_TEST(test_subnet)
{
  g_autoptr(F2bBanManager) bm = f2b_banmanager_new();
  add(bm, "192.0.2.1", 1000, G_MININT64);
  add(bm, "198.51.100.1", 1000, G_MININT64);
  add(bm, "192.0.2.200", 1000, G_MININT64);
  g_autoptr(F2bIPAddr) net = addr("192.0.2.0/24");
  g_autoptr(GPtrArray) in = f2b_banmanager_ids_in(bm, net);
  assert_ids(in, FALSE, "192.0.2.1 192.0.2.200");
}
END_TEST

START_TEST(test_banned_query)
{
  g_autoptr(F2bBanManager) bm = f2b_banmanager_new();
  add(bm, "192.0.2.1", 1000, G_MININT64);
  add(bm, "2001:db8::1", 1000, G_MININT64);
  g_autoptr(F2bIPAddr) raw = f2b_ipaddr_new("user@example", -1, F2B_IPADDR_CIDR_RAW, NULL);
  g_autoptr(F2bTicket) rt = f2b_ticket_new(F2B_TICKET_BAN, raw, 1000);
  f2b_banmanager_add_ban_ticket(bm, rt, 1000, NULL);
  GError *error = NULL;
  gboolean banned;
  ck_assert(f2b_banmanager_is_banned(bm, "192.0.2.1", -1, &banned, &error) && banned);
  ck_assert(f2b_banmanager_is_banned(bm, "::ffff:192.0.2.1", -1, &banned, &error) && banned);
  ck_assert(f2b_banmanager_is_banned(bm, "2001:DB8:0::1", -1, &banned, &error) && banned);
  ck_assert(f2b_banmanager_is_banned(bm, "user@example", -1, &banned, &error) && banned);
  ck_assert(f2b_banmanager_is_banned(bm, "192.0.2.2", -1, &banned, &error) && !banned);
  ck_assert(!f2b_banmanager_is_banned(bm, "192.0.2.2/x", -1, &banned, &error));
  ck_assert_ptr_nonnull(error);
  g_clear_error(&error);

  g_autoptr(F2bPyObj) list = f2b_banmanager_banned_reply(bm, NULL, 0, &error);
  g_autofree char *r0 = f2b_py_repr(list);
  ck_assert_str_eq(r0, "['192.0.2.1', '2001:db8::1', 'user@example']");
  const char *one[] = { "2001:db8::1" };
  g_autoptr(F2bPyObj) single = f2b_banmanager_banned_reply(bm, one, 1, &error);
  g_autofree char *r1 = f2b_py_repr(single);
  ck_assert_str_eq(r1, "1");
  const char *many[] = { "192.0.2.7", "192.0.2.1" };
  g_autoptr(F2bPyObj) several = f2b_banmanager_banned_reply(bm, many, 2, &error);
  g_autofree char *r2 = f2b_py_repr(several);
  ck_assert_str_eq(r2, "[0, 1]");
  const char *bad[] = { "192.0.2.7", "1.2.3.4/x" };
  ck_assert_ptr_null(f2b_banmanager_banned_reply(bm, bad, 2, &error));
  ck_assert_ptr_nonnull(error);
  g_clear_error(&error);
}
END_TEST

START_TEST(test_status)
{
  g_autoptr(F2bBanManager) bm = f2b_banmanager_new();
  add(bm, "192.0.2.2", 1000, G_MININT64);
  add(bm, "192.0.2.1", 1000, 10);
  g_autoptr(GPtrArray) gone = f2b_banmanager_unban_list(bm, 1011, 0);
  add(bm, "192.0.2.3", 1000, G_MININT64);
  g_autoptr(F2bPyObj) st = f2b_banmanager_status(bm, FALSE);
  g_autofree char *r = f2b_py_repr(st);
  ck_assert_str_eq(r, "[('Currently banned', 2), ('Total banned', 3), "
                      "('Banned IP list', ['192.0.2.2', '192.0.2.3'])]");
  g_autoptr(F2bPyObj) sh = f2b_banmanager_status(bm, TRUE);
  g_autofree char *rs = f2b_py_repr(sh);
  ck_assert_str_eq(rs, "[('Currently banned', 2), ('Total banned', 3)]");
  f2b_banmanager_set_ban_total(bm, 10);
  ck_assert_int_eq(f2b_banmanager_get_ban_total(bm), 10);
}
END_TEST

/* 20,000 bans and their expiry: the indexes agree after a large workload. */
START_TEST(test_many)
{
  g_autoptr(F2bBanManager) bm = f2b_banmanager_new();
  for (guint k = 0; k < 20000; k++) {
    g_autofree char *ip = g_strdup_printf("10.%u.%u.%u", k >> 16, (k >> 8) & 255, k & 255);
    add(bm, ip, 1000, 1 + (gint64)((k * 7919u) % 20000u));
  }
  ck_assert_uint_eq(f2b_banmanager_size(bm), 20000);
  double prev = 0, when;
  guint total = 0;
  while (f2b_banmanager_next_unban_time(bm, &when)) {
    ck_assert(when >= prev);
    prev = when;
    g_autoptr(GPtrArray) due = f2b_banmanager_unban_list(bm, when + 0.5, 100);
    ck_assert_uint_ge(due->len, 1);
    total += due->len;
  }
  ck_assert_uint_eq(total, 20000);
}
END_TEST

int
main(void)
{
  /* --with-time prints local time: make it UTC for exact texts */
  setenv("TZ", "UTC", 1);
  tzset();
  Suite *s = suite_create("banmanager");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_add);
  tcase_add_test(tc, test_prolong);
  tcase_add_test(tc, test_unban_list);
  tcase_add_test(tc, test_reschedule);
  tcase_add_test(tc, test_with_time);
  tcase_add_test(tc, test_flush_and_pop);
  tcase_add_test(tc, test_subnet);
  tcase_add_test(tc, test_banned_query);
  tcase_add_test(tc, test_status);
  tcase_add_test(tc, test_many);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

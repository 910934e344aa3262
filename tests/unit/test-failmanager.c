/* test-failmanager.c - fail2ban's FailManager: merging failures of one id,
 * maxretry, maxmatches, toBan, cleanup and the next expiry.  Expected values
 * were checked against fail2ban 1.0.2's FailManager. */
#include "check-main.h"
#include <stdlib.h>

#include "failmanager.h"

static F2bIPAddr *
addr(const char *text)
{
  return f2b_ipaddr_new(text, -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
}

/* A FailTicket of IP at TIME with the NULL-terminated matches. */
static F2bTicket *
failure(const char *ip, double time, ...)
{
  g_autoptr(F2bIPAddr) id = addr(ip);
  F2bTicket *t = f2b_ticket_new(F2B_TICKET_FAIL, id, time);
  va_list ap;
  va_start(ap, time);
  for (const char *m = va_arg(ap, const char *); m; m = va_arg(ap, const char *))
    f2b_ticket_add_match(t, m, strlen(m));
  va_end(ap);
  return t;
}

static void
assert_matches(const F2bTicket *t, const char *joined)
{
  g_autofree char *got = f2b_ticket_matches_joined(t, NULL);
  ck_assert_str_eq(got, joined);
}

START_TEST(test_defaults)
{
  g_autoptr(F2bFailManager) fm = f2b_failmanager_new();
  ck_assert_int_eq(f2b_failmanager_get_max_retry(fm), 3);
  ck_assert_double_eq(f2b_failmanager_get_max_time(fm), 600);
  ck_assert_uint_eq(f2b_failmanager_get_max_matches(fm), 5);
  ck_assert_uint_eq(f2b_failmanager_size(fm), 0);
  ck_assert_int_eq(f2b_failmanager_get_fail_total(fm), 0);
  ck_assert(!f2b_failmanager_next_expiry(fm, NULL));
  ck_assert_ptr_null(f2b_failmanager_to_ban(fm, NULL));
  ck_assert_uint_eq(f2b_failmanager_cleanup(fm, 1e12), 0);
}
END_TEST

START_TEST(test_merge)
{
  g_autoptr(F2bFailManager) fm = f2b_failmanager_new();
  f2b_failmanager_set_max_matches(fm, 2);
  g_autoptr(F2bTicket) t1 = failure("192.0.2.1", 1000, "a", NULL);
  ck_assert_int_eq(f2b_failmanager_add_failure(fm, t1, 1, FALSE), 1);
  ck_assert_int_eq(t1->retry, 1);
  ck_assert_int_eq(t1->failures, 1);
  ck_assert_ptr_eq(f2b_failmanager_lookup(fm, t1->id), t1); /* the ticket itself is stored */

  g_autoptr(F2bTicket) t2 = failure("192.0.2.1", 1100, "b", NULL);
  ck_assert_int_eq(f2b_failmanager_add_failure(fm, t2, 1, FALSE), 2);
  ck_assert_int_eq(t1->failures, 2);
  ck_assert_double_eq(t1->time, 1100);
  assert_matches(t1, "a\nb");

  g_autoptr(F2bTicket) t3 = failure("192.0.2.1", 1200, "c", "d", NULL);
  ck_assert_int_eq(f2b_failmanager_add_failure(fm, t3, 1, FALSE), 3);
  ck_assert_int_eq(t1->failures, 3); /* t3's failures is 0: counts as one attempt */
  assert_matches(t1, "c\nd");        /* the last maxmatches */

  /* the stored ticket itself again: one attempt, no matches added */
  ck_assert_int_eq(f2b_failmanager_add_failure(fm, t1, 1, FALSE), 4);
  ck_assert_int_eq(t1->failures, 4);
  assert_matches(t1, "c\nd");

  /* beyond findtime of the first failure: retry scaled to round(4/1000*600) = 2, +1 */
  g_autoptr(F2bTicket) t4 = failure("192.0.2.1", 2000, "e", NULL);
  ck_assert_int_eq(f2b_failmanager_add_failure(fm, t4, 1, FALSE), 3);
  ck_assert_int_eq(t1->failures, 5);
  assert_matches(t1, "d\ne");
  ck_assert_double_eq(t1->time, 2000);
  ck_assert_double_eq(t1->first_time, 1400);
  ck_assert_int_eq(f2b_failmanager_get_fail_total(fm), 5);
  ck_assert_uint_eq(f2b_failmanager_size(fm), 1);
  guint ids;
  gint64 retries;
  f2b_failmanager_get_fail_count(fm, &ids, &retries);
  ck_assert_uint_eq(ids, 1);
  ck_assert_int_eq(retries, 3);
  ck_assert_int_eq(t4->retry, 0); /* the merged ticket is left as it was */
}
END_TEST

START_TEST(test_attempts_and_count)
{
  g_autoptr(F2bFailManager) fm = f2b_failmanager_new();
  /* addAttempt with three matches: count 3, one attempt */
  g_autoptr(F2bTicket) t = failure("10.0.0.1", 50, "x", "y", "z", NULL);
  ck_assert_int_eq(f2b_failmanager_add_failure(fm, t, 3, FALSE), 3);
  ck_assert_int_eq(t->retry, 3);
  ck_assert_int_eq(t->failures, 1);
  assert_matches(t, "x\ny\nz"); /* a new ticket keeps all its matches */
  /* a merged ticket's attempts add up as given */
  g_autoptr(F2bTicket) u = failure("10.0.0.1", 60, NULL);
  u->failures = 4;
  ck_assert_int_eq(f2b_failmanager_add_failure(fm, u, 2, FALSE), 5);
  ck_assert_int_eq(t->failures, 5);
  /* negative attempts still count one more */
  g_autoptr(F2bTicket) v = failure("10.0.0.1", 70, NULL);
  v->failures = -3;
  f2b_failmanager_add_failure(fm, v, 1, FALSE);
  ck_assert_int_eq(t->failures, 3);
}
END_TEST

START_TEST(test_not_stored)
{
  g_autoptr(F2bFailManager) fm = f2b_failmanager_new();
  g_autoptr(F2bTicket) observed = failure("10.0.0.2", 50, NULL);
  observed->retry = 7;
  ck_assert_int_eq(f2b_failmanager_add_failure(fm, observed, 2, TRUE), 7);
  g_autoptr(F2bTicket) banned = failure("10.0.0.3", 50, NULL);
  f2b_ticket_wrap(banned, F2B_TICKET_BAN);
  ck_assert_int_eq(f2b_failmanager_add_failure(fm, banned, 1, FALSE), 0);
  ck_assert_uint_eq(f2b_failmanager_size(fm), 0);
  ck_assert_int_eq(f2b_failmanager_get_fail_total(fm), 0);
  /* a plain ticket becomes a FailTicket when stored */
  g_autoptr(F2bTicket) plain = failure("10.0.0.4", 50, NULL);
  f2b_ticket_wrap(plain, F2B_TICKET_PLAIN);
  ck_assert_int_eq(f2b_failmanager_add_failure(fm, plain, 1, FALSE), 1);
  ck_assert_int_eq(plain->kind, F2B_TICKET_FAIL);
  /* observed, known id: merged */
  g_autoptr(F2bTicket) seen = failure("10.0.0.4", 60, NULL);
  ck_assert_int_eq(f2b_failmanager_add_failure(fm, seen, 2, TRUE), 3);
}
END_TEST

START_TEST(test_no_matches)
{
  g_autoptr(F2bFailManager) fm = f2b_failmanager_new();
  f2b_failmanager_set_max_matches(fm, 0);
  g_autoptr(F2bTicket) t = failure("10.0.0.1", 50, "x", NULL);
  f2b_failmanager_add_failure(fm, t, 1, FALSE);
  assert_matches(t, "x"); /* fail2ban truncates only when merging */
  g_autoptr(F2bTicket) u = failure("10.0.0.1", 51, "y", NULL);
  f2b_failmanager_add_failure(fm, u, 1, FALSE);
  ck_assert_uint_eq(t->matches->len, 0);
}
END_TEST

START_TEST(test_to_ban)
{
  g_autoptr(F2bFailManager) fm = f2b_failmanager_new();
  f2b_failmanager_set_max_retry(fm, 2);
  const char *ips[] = { "10.0.0.1", "10.0.0.2", "10.0.0.3" };
  for (guint k = 0; k < 3; k++)
    for (guint n = 0; n < (k == 0 ? 1u : 2u); n++) {
      g_autoptr(F2bTicket) t = failure(ips[k], 100 + k, NULL);
      f2b_failmanager_add_failure(fm, t, 1, FALSE);
    }
  g_autoptr(F2bIPAddr) a1 = addr("10.0.0.1");
  g_autoptr(F2bIPAddr) a3 = addr("10.0.0.3");
  g_autoptr(F2bIPAddr) unknown = addr("10.9.9.9");
  /* a stored id that is not ready: nothing, even though others are */
  ck_assert_ptr_null(f2b_failmanager_to_ban(fm, a1));
  g_autoptr(F2bTicket) b3 = f2b_failmanager_to_ban(fm, a3);
  ck_assert_ptr_nonnull(b3);
  ck_assert(f2b_ipaddr_equal_func(b3->id, a3));
  /* an unknown id scans all, in insertion order */
  g_autoptr(F2bTicket) b2 = f2b_failmanager_to_ban(fm, unknown);
  ck_assert_ptr_nonnull(b2);
  g_autofree char *s2 = f2b_ipaddr_to_string(b2->id, NULL);
  ck_assert_str_eq(s2, "10.0.0.2");
  ck_assert_ptr_null(f2b_failmanager_to_ban(fm, NULL));
  ck_assert_uint_eq(f2b_failmanager_size(fm), 1);
  f2b_failmanager_set_max_retry(fm, 1);
  g_autoptr(F2bTicket) b1 = f2b_failmanager_to_ban(fm, NULL);
  ck_assert_ptr_nonnull(b1);
  ck_assert_uint_eq(f2b_failmanager_size(fm), 0);
  ck_assert_int_eq(f2b_failmanager_get_fail_total(fm), 5);
}
END_TEST

START_TEST(test_cleanup_and_expiry)
{
  g_autoptr(F2bFailManager) fm = f2b_failmanager_new();
  f2b_failmanager_set_max_time(fm, 100);
  g_autoptr(F2bTicket) a = failure("10.0.0.1", 1000, NULL);
  g_autoptr(F2bTicket) b = failure("10.0.0.2", 1010, NULL);
  g_autoptr(F2bTicket) c = failure("10.0.0.3", 1005, NULL);
  f2b_failmanager_add_failure(fm, a, 1, FALSE);
  f2b_failmanager_add_failure(fm, b, 1, FALSE);
  f2b_failmanager_add_failure(fm, c, 1, FALSE);
  double when;
  ck_assert(f2b_failmanager_next_expiry(fm, &when));
  ck_assert_double_eq(when, 1100);
  /* a later failure of 10.0.0.1 moves it to the end */
  g_autoptr(F2bTicket) a2 = failure("10.0.0.1", 1050, NULL);
  f2b_failmanager_add_failure(fm, a2, 1, FALSE);
  ck_assert(f2b_failmanager_next_expiry(fm, &when));
  ck_assert_double_eq(when, 1105);
  ck_assert_uint_eq(f2b_failmanager_cleanup(fm, 1104.9), 0);
  ck_assert_uint_eq(f2b_failmanager_cleanup(fm, 1105), 1); /* time <= now - findtime */
  ck_assert_ptr_null(f2b_failmanager_lookup(fm, c->id));
  ck_assert_uint_eq(f2b_failmanager_cleanup(fm, 1200), 2);
  ck_assert(!f2b_failmanager_next_expiry(fm, &when));
  ck_assert_int_eq(f2b_failmanager_get_fail_total(fm), 4); /* the total stays */
  f2b_failmanager_set_fail_total(fm, 40);
  ck_assert_int_eq(f2b_failmanager_get_fail_total(fm), 40);
}
END_TEST

START_TEST(test_del_and_list)
{
  g_autoptr(F2bFailManager) fm = f2b_failmanager_new();
  const char *ips[] = { "10.0.0.3", "10.0.0.1", "10.0.0.2" };
  for (guint k = 0; k < 3; k++) {
    g_autoptr(F2bTicket) t = failure(ips[k], 100, NULL);
    f2b_failmanager_add_failure(fm, t, 1, FALSE);
  }
  g_autoptr(F2bIPAddr) a1 = addr("10.0.0.1");
  f2b_failmanager_del_failure(fm, a1);
  f2b_failmanager_del_failure(fm, a1); /* unknown: no error */
  g_autoptr(F2bTicket) again = failure("10.0.0.1", 100, NULL);
  f2b_failmanager_add_failure(fm, again, 1, FALSE);
  g_autoptr(GPtrArray) list = f2b_failmanager_tickets(fm);
  ck_assert_uint_eq(list->len, 3);
  const char *order[] = { "10.0.0.3", "10.0.0.2", "10.0.0.1" };
  for (guint k = 0; k < 3; k++) {
    g_autofree char *s = f2b_ipaddr_to_string(((F2bTicket *)list->pdata[k])->id, NULL);
    ck_assert_str_eq(s, order[k]);
  }
}
END_TEST

/* Many ids: every operation stays cheap (no timing asserted, just that the
 * indexes agree after a large mixed workload). */
START_TEST(test_many)
{
  g_autoptr(F2bFailManager) fm = f2b_failmanager_new();
  f2b_failmanager_set_max_retry(fm, 1000000);
  for (guint k = 0; k < 50000; k++) {
    g_autofree char *ip = g_strdup_printf("10.%u.%u.%u", k >> 16, (k >> 8) & 255, k & 255);
    g_autoptr(F2bTicket) t = failure(ip, 1000 + k % 1000, NULL);
    f2b_failmanager_add_failure(fm, t, 1, FALSE);
  }
  ck_assert_uint_eq(f2b_failmanager_size(fm), 50000);
  ck_assert_uint_eq(f2b_failmanager_cleanup(fm, 1000 + 600 + 499), 25000);
  double when;
  ck_assert(f2b_failmanager_next_expiry(fm, &when));
  ck_assert_double_eq(when, 1000 + 500 + 600);
  ck_assert_uint_eq(f2b_failmanager_size(fm), 25000);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("failmanager");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_defaults);
  tcase_add_test(tc, test_merge);
  tcase_add_test(tc, test_attempts_and_count);
  tcase_add_test(tc, test_not_stored);
  tcase_add_test(tc, test_no_matches);
  tcase_add_test(tc, test_to_ban);
  tcase_add_test(tc, test_cleanup_and_expiry);
  tcase_add_test(tc, test_del_and_list);
  tcase_add_test(tc, test_many);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

/* test-ticket.c - fail2ban's ticket semantics: ban end, time-outs, permanent
 * bans, retry and attempt counting, matches, data and the raw-ticket text. */
#include "check-main.h"
#include <stdlib.h>

#include "ticket.h"

static F2bTicket *
ticket(F2bTicketKind kind, const char *ip, double time)
{
  g_autoptr(F2bIPAddr) id = f2b_ipaddr_new(ip, -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
  return f2b_ticket_new(kind, id, time);
}

START_TEST(test_new)
{
  g_autoptr(F2bTicket) t = ticket(F2B_TICKET_FAIL, "192.0.2.1", 1000.5);
  ck_assert_int_eq(t->retry, 0); /* fail2ban: failures (0) until the fail manager counts it */
  ck_assert_int_eq(t->failures, 0);
  ck_assert_int_eq(t->ban_count, 0);
  ck_assert(!t->has_ban_time);
  ck_assert_double_eq(t->first_time, 1000.5);
  ck_assert_uint_eq(t->matches->len, 0);
  ck_assert_ptr_null(t->data);
  ck_assert_ptr_eq(f2b_ticket_get_ip(t), t->id);
  F2bTicket *again = f2b_ticket_ref(t);
  ck_assert_ptr_eq(again, t);
  f2b_ticket_unref(again);
}
END_TEST

START_TEST(test_end_of_ban)
{
  g_autoptr(F2bTicket) t = ticket(F2B_TICKET_BAN, "192.0.2.1", 1000);
  F2bPyNum jail = f2b_pynum_int(600);
  ck_assert_double_eq(f2b_ticket_end_of_ban(t, jail), 1600);
  ck_assert(!f2b_ticket_is_timed_out(t, 1600, jail)); /* strictly after the end */
  ck_assert(f2b_ticket_is_timed_out(t, 1600.001, jail));
  f2b_ticket_set_ban_time(t, f2b_pynum_int(100));
  ck_assert_double_eq(f2b_ticket_end_of_ban(t, jail), 1100);
  ck_assert_int_eq(f2b_ticket_get_ban_time(t, jail).i, 100);
  /* permanent: an int or a float -1, of the ticket or of the jail */
  f2b_ticket_set_ban_time(t, f2b_pynum_float(-1.0));
  ck_assert_double_eq(f2b_ticket_end_of_ban(t, jail), F2B_TICKET_MAX_TIME);
  ck_assert(!f2b_ticket_is_timed_out(t, 1e15, jail));
  f2b_ticket_unset_ban_time(t);
  ck_assert_double_eq(f2b_ticket_end_of_ban(t, f2b_pynum_int(-1)), 140737488355327.0);
  ck_assert(!f2b_ticket_is_timed_out(t, 1e15, f2b_pynum_int(-1)));
  /* -2 is not permanent: the ban ended before it began */
  ck_assert(f2b_ticket_is_timed_out(t, 999, f2b_pynum_int(-2)));
}
END_TEST

START_TEST(test_ban_count)
{
  g_autoptr(F2bTicket) t = ticket(F2B_TICKET_BAN, "192.0.2.1", 1000);
  f2b_ticket_set_ban_count(t, 3, FALSE);
  ck_assert_int_eq(t->ban_count, 3);
  f2b_ticket_set_ban_count(t, 2, FALSE); /* only grows unless forced */
  ck_assert_int_eq(t->ban_count, 3);
  f2b_ticket_set_ban_count(t, 2, TRUE);
  ck_assert_int_eq(t->ban_count, 2);
  f2b_ticket_incr_ban_count(t, 1);
  ck_assert_int_eq(t->ban_count, 3);
}
END_TEST

START_TEST(test_retry_and_matches)
{
  g_autoptr(F2bTicket) t = ticket(F2B_TICKET_FAIL, "192.0.2.1", 1000);
  f2b_ticket_add_match(t, "a\0b", 3);
  f2b_ticket_set_retry(t, 4);
  ck_assert_int_eq(t->retry, 4);
  ck_assert_int_eq(t->failures, 1); /* at least one attempt */
  g_autoptr(F2bTicket) other = ticket(F2B_TICKET_FAIL, "192.0.2.1", 1100);
  f2b_ticket_add_match(other, "c", 1);
  f2b_ticket_add_match(other, "d", 1);
  f2b_ticket_inc(t, other->matches, 2, 3);
  ck_assert_int_eq(t->retry, 7);
  ck_assert_int_eq(t->failures, 3);
  gsize len;
  g_autofree char *joined = f2b_ticket_matches_joined(t, &len);
  ck_assert_uint_eq(len, 7);
  ck_assert_mem_eq(joined, "a\0b\nc\nd", 7);
  f2b_ticket_truncate_matches(t, 2);
  g_autofree char *last2 = f2b_ticket_matches_joined(t, NULL);
  ck_assert_str_eq(last2, "c\nd");
  f2b_ticket_set_retry(t, 0); /* clears the attempts and the matches */
  ck_assert_int_eq(t->failures, 0);
  ck_assert_uint_eq(t->matches->len, 0);
  ck_assert_uint_eq(other->matches->len, 2); /* shared lines, separate lists */
}
END_TEST

START_TEST(test_adjust_time)
{
  g_autoptr(F2bTicket) t = ticket(F2B_TICKET_FAIL, "192.0.2.1", 1000);
  t->retry = 4;
  f2b_ticket_adjust_time(t, 900, 600); /* earlier: nothing */
  ck_assert_double_eq(t->time, 1000);
  f2b_ticket_adjust_time(t, 1500, 600); /* within findtime of the first failure */
  ck_assert_double_eq(t->time, 1500);
  ck_assert_int_eq(t->retry, 4);
  ck_assert_double_eq(t->first_time, 1000);
  /* beyond: round(4 / (2000 - 1000) * 600) = round(2.4) = 2 */
  f2b_ticket_adjust_time(t, 2000, 600);
  ck_assert_int_eq(t->retry, 2);
  ck_assert_double_eq(t->first_time, 1400);
  ck_assert_double_eq(t->time, 2000);
  /* half to even: round(5 / 1200 * 600) = round(2.5) = 2 */
  g_autoptr(F2bTicket) h = ticket(F2B_TICKET_FAIL, "192.0.2.1", 0);
  h->retry = 5;
  f2b_ticket_adjust_time(h, 1200, 600);
  ck_assert_int_eq(h->retry, 2);
  h->retry = 7; /* round(7 / (1800 - 600) * 600) = round(3.5) = 4 */
  f2b_ticket_adjust_time(h, 1800, 600);
  ck_assert_int_eq(h->retry, 4);
}
END_TEST

START_TEST(test_data_and_ip)
{
  g_autoptr(F2bTicket) t = ticket(F2B_TICKET_FAIL, "192.0.2.1", 1000);
  f2b_ticket_set_data(t, "user", f2b_py_str("root"));
  f2b_ticket_set_data(t, "port", f2b_py_int(22));
  f2b_ticket_set_data(t, "user", f2b_py_str("admin"));
  ck_assert(f2b_py_str_equal(f2b_ticket_get_data(t, "user"), "admin"));
  ck_assert_uint_eq(f2b_py_len(t->data), 2);
  f2b_ticket_set_data(t, "user", NULL); /* None removes */
  ck_assert_ptr_null(f2b_ticket_get_data(t, "user"));
  ck_assert_int_eq(f2b_py_get_int(f2b_ticket_get_data(t, "port")), 22);
  f2b_ticket_set_data(t, "missing", NULL);
  ck_assert_uint_eq(f2b_py_len(t->data), 1);
  g_autoptr(F2bIPAddr) ip = f2b_ipaddr_new("198.51.100.7", -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
  f2b_ticket_set_ip(t, ip);
  g_autofree char *s = f2b_ipaddr_to_string(f2b_ticket_get_ip(t), NULL);
  ck_assert_str_eq(s, "198.51.100.7");
  f2b_ticket_set_ip(t, NULL);
  ck_assert_ptr_eq(f2b_ticket_get_ip(t), t->id);
}
END_TEST

START_TEST(test_repr)
{
  /* texts as fail2ban's str(ticket) prints them (checked against 1.0.2) */
  g_autoptr(F2bTicket) t = ticket(F2B_TICKET_FAIL, "10.0.0.1", 50.25);
  f2b_ticket_add_match(t, "x", 1);
  f2b_ticket_add_match(t, "it's", 4);
  t->failures = 1;
  g_autofree char *a = f2b_ticket_repr(t);
  ck_assert_str_eq(a, "FailTicket: ip=10.0.0.1 time=50.25 bantime=None bancount=0 #attempts=1 "
                      "matches=['x', \"it's\"]");
  g_autoptr(F2bTicket) b = ticket(F2B_TICKET_FAIL, "10.0.0.3", 50.5);
  f2b_ticket_wrap(b, F2B_TICKET_BAN);
  f2b_ticket_set_ban_time(b, f2b_pynum_float(600));
  g_autofree char *r = f2b_ticket_repr(b);
  ck_assert_str_eq(r, "BanTicket: ip=10.0.0.3 time=50.5 bantime=600.0 bancount=0 #attempts=0 matches=[]");
}
END_TEST

START_TEST(test_id_keys)
{
  g_autoptr(F2bIPAddr) a = f2b_ipaddr_new("192.0.2.1", -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
  g_autoptr(F2bIPAddr) b = f2b_ipaddr_new("::ffff:192.0.2.1", -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
  g_autoptr(F2bIPAddr) r1 = f2b_ipaddr_new("user1", -1, F2B_IPADDR_CIDR_RAW, NULL);
  g_autoptr(F2bIPAddr) r2 = f2b_ipaddr_new("user2", -1, F2B_IPADDR_CIDR_RAW, NULL);
  g_autoptr(F2bIPAddr) r1b = f2b_ipaddr_new("user1", -1, F2B_IPADDR_CIDR_RAW, NULL);
  g_autoptr(F2bIPAddr) n1 = f2b_ipaddr_new("user1", -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
  ck_assert(f2b_ipaddr_equal_func(a, b)); /* mapped IPv6 is the IPv4 address */
  ck_assert_uint_eq(f2b_ipaddr_hash_func(a), f2b_ipaddr_hash_func(b));
  ck_assert(!f2b_ipaddr_equal_func(r1, r2)); /* fail2ban's == says equal; keys must not */
  ck_assert(f2b_ipaddr_equal_func(r1, r1b));
  ck_assert_uint_eq(f2b_ipaddr_hash_func(r1), f2b_ipaddr_hash_func(r1b));
  ck_assert(!f2b_ipaddr_equal_func(r1, n1)); /* a raw id is not the name */
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("ticket");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_new);
  tcase_add_test(tc, test_end_of_ban);
  tcase_add_test(tc, test_ban_count);
  tcase_add_test(tc, test_retry_and_matches);
  tcase_add_test(tc, test_adjust_time);
  tcase_add_test(tc, test_data_and_ip);
  tcase_add_test(tc, test_repr);
  tcase_add_test(tc, test_id_keys);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

/* test-tickettab.c - the ticket table: lookup by id, insertion order, key
 * order with stable ties, re-keying and taking tickets out. */
#include "check-main.h"

#include <string.h>

#include "tickettab.h"

static F2bTicket *
ticket(const char *ip)
{
  g_autoptr(F2bIPAddr) id = f2b_ipaddr_new(ip, -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
  return f2b_ticket_new(F2B_TICKET_FAIL, id, 0);
}

static void
insert(F2bTicketTable *tab, const char *ip, double key)
{
  F2bTicket *t = ticket(ip);
  f2b_tickettab_insert(tab, t, key);
  f2b_ticket_unref(t); /* the table holds its own reference */
}

/* The ids of LIST joined by spaces. */
static char *
joined(GPtrArray *list)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < list->len; i++) {
    g_autofree char *s = f2b_ipaddr_to_string(((F2bTicket *)list->pdata[i])->id, NULL);
    g_string_append_printf(out, "%s%s", i ? " " : "", s);
  }
  g_ptr_array_unref(list);
  return g_string_free(out, FALSE);
}

static void
assert_orders(const F2bTicketTable *tab, const char *inserted, const char *by_key)
{
  g_autofree char *a = joined(f2b_tickettab_list(tab));
  g_autofree char *b = joined(f2b_tickettab_list_by_key(tab));
  ck_assert_str_eq(a, inserted);
  ck_assert_str_eq(b, by_key);
}

static F2bIPAddr *
id_of(const char *ip)
{
  return f2b_ipaddr_new(ip, -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
}

START_TEST(test_orders_and_ties)
{
  g_autoptr(F2bTicketTable) tab = f2b_tickettab_new();
  F2bTicket *first;
  double key;
  ck_assert(!f2b_tickettab_first(tab, &first, &key));
  insert(tab, "10.0.0.3", 30);
  insert(tab, "10.0.0.1", 10);
  insert(tab, "10.0.0.2", 30); /* ties with .3: inserted later, placed later */
  insert(tab, "2001:db8::1", 20);
  ck_assert_uint_eq(f2b_tickettab_size(tab), 4);
  assert_orders(tab, "10.0.0.3 10.0.0.1 10.0.0.2 2001:db8::1", "10.0.0.1 2001:db8::1 10.0.0.3 10.0.0.2");
  ck_assert(f2b_tickettab_first(tab, &first, &key));
  ck_assert_double_eq(key, 10);
  g_autoptr(F2bIPAddr) one = id_of("10.0.0.1");
  ck_assert_ptr_eq(first, f2b_tickettab_lookup(tab, one));
}
END_TEST

START_TEST(test_set_key_and_take)
{
  g_autoptr(F2bTicketTable) tab = f2b_tickettab_new();
  insert(tab, "10.0.0.1", 10);
  insert(tab, "10.0.0.2", 20);
  insert(tab, "10.0.0.3", 30);
  g_autoptr(F2bIPAddr) one = id_of("10.0.0.1");
  g_autoptr(F2bIPAddr) two = id_of("10.0.0.2");
  g_autoptr(F2bIPAddr) absent = id_of("10.9.9.9");
  f2b_tickettab_set_key(tab, one, 30); /* ties with .3: inserted first, so placed first */
  f2b_tickettab_set_key(tab, absent, 1);
  assert_orders(tab, "10.0.0.1 10.0.0.2 10.0.0.3", "10.0.0.2 10.0.0.1 10.0.0.3");
  F2bTicket *t = f2b_tickettab_take(tab, two);
  ck_assert_ptr_nonnull(t);
  ck_assert(f2b_ipaddr_equal_func(t->id, two));
  f2b_ticket_unref(t);
  ck_assert_ptr_null(f2b_tickettab_take(tab, two));
  ck_assert_ptr_null(f2b_tickettab_lookup(tab, absent));
  assert_orders(tab, "10.0.0.1 10.0.0.3", "10.0.0.1 10.0.0.3");
}
END_TEST

static double
negated_last_byte(const F2bTicket *t, gpointer data)
{
  g_autofree char *s = f2b_ipaddr_to_string(t->id, NULL);
  ck_assert_ptr_eq(data, (gpointer)"tag");
  return -(double)atoi(strrchr(s, '.') + 1);
}

static gboolean
stop_at_second(F2bTicket *t, double key, gpointer data)
{
  (void)t;
  GArray *keys = data;
  g_array_append_val(keys, key);
  return keys->len < 2;
}

START_TEST(test_rekey_all_and_foreach_stop)
{
  g_autoptr(F2bTicketTable) tab = f2b_tickettab_new();
  insert(tab, "10.0.0.1", 1);
  insert(tab, "10.0.0.2", 2);
  insert(tab, "10.0.0.3", 3);
  f2b_tickettab_rekey_all(tab, negated_last_byte, (gpointer) "tag");
  assert_orders(tab, "10.0.0.1 10.0.0.2 10.0.0.3", "10.0.0.3 10.0.0.2 10.0.0.1");
  g_autoptr(GArray) keys = g_array_new(FALSE, FALSE, sizeof(double));
  f2b_tickettab_foreach_by_key(tab, stop_at_second, keys);
  ck_assert_uint_eq(keys->len, 2);
  ck_assert_double_eq(g_array_index(keys, double, 0), -3);
  ck_assert_double_eq(g_array_index(keys, double, 1), -2);
  g_array_set_size(keys, 0);
  f2b_tickettab_foreach(tab, stop_at_second, keys);
  ck_assert_uint_eq(keys->len, 2);
  ck_assert_double_eq(g_array_index(keys, double, 0), -1);
}
END_TEST

/* Many tickets: the key order is total, taking from the front empties it in
 * key order. */
START_TEST(test_many)
{
  g_autoptr(F2bTicketTable) tab = f2b_tickettab_new();
  for (int i = 0; i < 5000; i++) {
    g_autofree char *ip = g_strdup_printf("10.%d.%d.1", i / 250, i % 250);
    insert(tab, ip, (i * 7919) % 5000);
  }
  F2bTicket *first;
  double key, last = -1;
  guint n = 0;
  while (f2b_tickettab_first(tab, &first, &key)) {
    ck_assert(key > last);
    last = key;
    f2b_ticket_unref(f2b_tickettab_take(tab, first->id));
    n++;
  }
  ck_assert_uint_eq(n, 5000);
  ck_assert_uint_eq(f2b_tickettab_size(tab), 0);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("tickettab");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_orders_and_ties);
  tcase_add_test(tc, test_set_key_and_take);
  tcase_add_test(tc, test_rekey_all_and_foreach_stop);
  tcase_add_test(tc, test_many);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

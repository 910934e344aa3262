/* test-ttlcache.c - fail2ban-c/ttlcache.c: expiry, eviction order, ownership. */
#include <check.h>
#include <string.h>

#include "check-main.h"
#include "ttlcache.h"

static int freed;

static void
count_free(gpointer p)
{
  freed++;
  g_free(p);
}

static const char *
get_str(F2bTtlCache *c, const char *key, double now)
{
  gpointer v = NULL;
  return f2b_ttlcache_get(c, key, now, &v) ? v : NULL;
}

START_TEST(test_expiry)
{
  freed = 0;
  g_autoptr(F2bTtlCache) c = f2b_ttlcache_new(10, 300, count_free);
  ck_assert_uint_eq(f2b_ttlcache_get_max_count(c), 10);
  ck_assert(f2b_ttlcache_get_max_time(c) == 300);
  f2b_ttlcache_set(c, "a", g_strdup("A"), 1000);
  ck_assert_str_eq(get_str(c, "a", 1000), "A");
  ck_assert_str_eq(get_str(c, "a", 1299.9), "A");
  /* expiry is exclusive: at exactly set + max time the entry is gone */
  ck_assert_ptr_null(get_str(c, "a", 1300));
  ck_assert_uint_eq(f2b_ttlcache_size(c), 0);
  ck_assert_int_eq(freed, 1);
  ck_assert_ptr_null(get_str(c, "missing", 0));
}
END_TEST

START_TEST(test_null_value_is_held)
{
  g_autoptr(F2bTtlCache) c = f2b_ttlcache_new(10, 5, NULL);
  f2b_ttlcache_set(c, "neg", NULL, 0);
  gpointer v = (gpointer)"x";
  ck_assert(f2b_ttlcache_get(c, "neg", 1, &v));
  ck_assert_ptr_null(v);
  ck_assert(f2b_ttlcache_get(c, "neg", 1, NULL));
}
END_TEST

START_TEST(test_replace_keeps_place)
{
  freed = 0;
  g_autoptr(F2bTtlCache) c = f2b_ttlcache_new(2, 100, count_free);
  f2b_ttlcache_set(c, "a", g_strdup("1"), 0);
  f2b_ttlcache_set(c, "b", g_strdup("2"), 1);
  /* full: setting "a" again first evicts the oldest entry, which is "a" itself */
  f2b_ttlcache_set(c, "a", g_strdup("3"), 2);
  ck_assert_int_eq(freed, 1);
  ck_assert_uint_eq(f2b_ttlcache_size(c), 2);
  ck_assert_str_eq(get_str(c, "a", 3), "3");
  /* "b" is now the oldest: the next set drops it */
  f2b_ttlcache_set(c, "c", g_strdup("4"), 4);
  ck_assert_ptr_null(get_str(c, "b", 5));
  ck_assert_str_eq(get_str(c, "a", 5), "3");
  ck_assert_str_eq(get_str(c, "c", 5), "4");
}
END_TEST

START_TEST(test_replace_not_full)
{
  freed = 0;
  g_autoptr(F2bTtlCache) c = f2b_ttlcache_new(3, 10, count_free);
  f2b_ttlcache_set(c, "a", g_strdup("1"), 0);
  f2b_ttlcache_set(c, "b", g_strdup("2"), 0);
  f2b_ttlcache_set(c, "a", g_strdup("3"), 8); /* replaced in place, expiry renewed */
  ck_assert_int_eq(freed, 1);
  f2b_ttlcache_set(c, "c", g_strdup("4"), 9);
  f2b_ttlcache_set(c, "d", g_strdup("5"), 9); /* full: "a" (the oldest place) goes */
  ck_assert_ptr_null(get_str(c, "a", 9));
  ck_assert_str_eq(get_str(c, "b", 9), "2");
}
END_TEST

START_TEST(test_full_drops_expired_run)
{
  g_autoptr(F2bTtlCache) c = f2b_ttlcache_new(4, 10, g_free);
  f2b_ttlcache_set(c, "old1", g_strdup("x"), 0);
  f2b_ttlcache_set(c, "old2", g_strdup("x"), 1);
  f2b_ttlcache_set(c, "new1", g_strdup("x"), 50);
  f2b_ttlcache_set(c, "old3", g_strdup("x"), 2); /* expired at 55 but behind new1 */
  /* at 55: old1 and old2 expired (dropped, still going), new1 alive and room: stop */
  f2b_ttlcache_set(c, "e", g_strdup("x"), 55);
  ck_assert_uint_eq(f2b_ttlcache_size(c), 2);
  ck_assert_ptr_null(get_str(c, "new1", 55));
  ck_assert(f2b_ttlcache_get(c, "e", 55, NULL));
  /* old3 stayed (behind the alive entry) until a lookup finds it expired */
  ck_assert_uint_eq(f2b_ttlcache_size(c), 2);
  ck_assert(!f2b_ttlcache_get(c, "old3", 55, NULL));
  ck_assert_uint_eq(f2b_ttlcache_size(c), 1);
}
END_TEST

START_TEST(test_unset_clear)
{
  freed = 0;
  F2bTtlCache *c = f2b_ttlcache_new(5, 10, count_free);
  f2b_ttlcache_set(c, "a", g_strdup("1"), 0);
  f2b_ttlcache_set(c, "b", g_strdup("2"), 0);
  f2b_ttlcache_set(c, "c", g_strdup("3"), 0);
  f2b_ttlcache_unset(c, "b");
  f2b_ttlcache_unset(c, "nope");
  ck_assert_int_eq(freed, 1);
  ck_assert_uint_eq(f2b_ttlcache_size(c), 2);
  f2b_ttlcache_clear(c);
  ck_assert_int_eq(freed, 3);
  ck_assert_uint_eq(f2b_ttlcache_size(c), 0);
  f2b_ttlcache_set(c, "d", g_strdup("4"), 0);
  f2b_ttlcache_free(c);
  ck_assert_int_eq(freed, 4);
  f2b_ttlcache_free(NULL);
}
END_TEST

START_TEST(test_zero_count)
{
  g_autoptr(F2bTtlCache) c = f2b_ttlcache_new(0, 10, g_free);
  f2b_ttlcache_set(c, "a", g_strdup("1"), 0);
  f2b_ttlcache_set(c, "b", g_strdup("2"), 0); /* "a" evicted first, as fail2ban's loop empties it */
  ck_assert_uint_eq(f2b_ttlcache_size(c), 1);
  ck_assert(f2b_ttlcache_get(c, "b", 0, NULL));
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("ttlcache");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_expiry);
  tcase_add_test(tc, test_null_value_is_held);
  tcase_add_test(tc, test_replace_keeps_place);
  tcase_add_test(tc, test_replace_not_full);
  tcase_add_test(tc, test_full_drops_expired_run);
  tcase_add_test(tc, test_unset_clear);
  tcase_add_test(tc, test_zero_count);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

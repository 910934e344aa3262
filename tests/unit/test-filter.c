/* test-filter.c - fail2ban's Filter line processing.
 * Expected results were taken from fail2ban 1.0.2's Filter on Python 3.11 with the
 * same regexes and lines (checkFindTime off, MyTime pinned to 2005-08-14 10:00 UTC, TZ UTC),
 * except that fail2ban's "users" set is a list here. */
#include "check-main.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filter.h"

#define TEST_NOW 1124013600.0
#define MLF_PREF "^\\s*\\[<F-MLFID>\\d+</F-MLFID>\\] <F-CONTENT>.+</F-CONTENT>$"

static F2bFilter *
mk(const char *const *fail, const char *pref, const char *const *ign, guint maxlines,
   gboolean check_all)
{
  F2bFilter *f = f2b_filter_new(TEST_NOW);
  f2b_filter_set_now(f, TEST_NOW);
  f2b_filter_set_check_find_time(f, FALSE);
  f2b_filter_set_check_all_regex(f, check_all);
  g_autoptr(GError) err = NULL;
  ck_assert(f2b_filter_set_maxlines(f, maxlines, &err));
  if (pref)
    ck_assert_msg(f2b_filter_set_prefregex(f, pref, &err), "%s", err ? err->message : "");
  for (guint i = 0; fail && fail[i]; i++)
    ck_assert_msg(f2b_filter_add_failregex(f, fail[i], &err), "%s", err ? err->message : "");
  for (guint i = 0; ign && ign[i]; i++)
    ck_assert_msg(f2b_filter_add_ignoreregex(f, ign[i], &err), "%s", err ? err->message : "");
  return f;
}

/* The failures of one line as fail2ban's [index, fid, time, data] list. */
static char *
show(GPtrArray *ret)
{
  GString *s = g_string_new("[");
  for (guint i = 0; i < ret->len; i++) {
    F2bFailure *f = ret->pdata[i];
    if (i)
      g_string_append(s, ", ");
    g_string_append_printf(s, "[%u, ", f->regex_index);
    if (f->fid) {
      gsize len;
      g_autofree char *fid = f2b_ipaddr_to_string(f->fid, &len);
      f2b_py_repr_str_append(s, fid, len);
    } else {
      g_string_append(s, "None");
    }
    g_string_append(s, ", ");
    if (f->has_time)
      f2b_py_repr_float_append(s, f->time);
    else
      g_string_append(s, "None");
    g_string_append(s, ", ");
    if (f->data)
      f2b_py_repr_append(s, f->data);
    else if (f->nofail) { /* a lean failure */
      g_autofree char *nofail = f2b_py_repr(f->nofail);
      g_string_append_printf(s, "{'nofail': %s}", nofail);
    }
    else
      g_string_append(s, "{}");
    g_string_append(s, "]");
  }
  g_string_append(s, "]");
  return g_string_free(s, FALSE);
}

static void
expect(F2bFilter *f, const char *line, const char *want)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) ret = f2b_filter_process_line(f, line, strlen(line), &err);
  ck_assert_msg(err == NULL, "%s: %s", line, err->message);
  ck_assert_ptr_nonnull(ret);
  g_autofree char *got = show(ret);
  ck_assert_msg(strcmp(got, want) == 0, "%s\n got: %s\nwant: %s", line, got, want);
}

static char *
show_buffer(const F2bFilter *f)
{
  GString *s = g_string_new("[");
  for (gsize i = 0; i < f2b_filter_n_buffered(f); i++) {
    const F2bRegexLine *l = f2b_filter_buffered_line(f, i);
    if (i)
      g_string_append(s, ", ");
    g_string_append_c(s, '(');
    f2b_py_repr_str_append(s, l->prefix, l->prefix_len);
    g_string_append(s, ", ");
    f2b_py_repr_str_append(s, l->date, l->date_len);
    g_string_append(s, ", ");
    f2b_py_repr_str_append(s, l->rest, l->rest_len);
    g_string_append_c(s, ')');
  }
  g_string_append_c(s, ']');
  return g_string_free(s, FALSE);
}

static void
expect_buffer(const F2bFilter *f, const char *want)
{
  g_autofree char *got = show_buffer(f);
  ck_assert_msg(strcmp(got, want) == 0, "buffer\n got: %s\nwant: %s", got, want);
}

START_TEST(test_mlfid_merge_and_forget)
{
  const char *fail[] = {"^<F-NOFAIL>Connect</F-NOFAIL> from <HOST>$",
                        "^Failed for <F-USER>\\S+</F-USER>$",
                        "^<F-MLFFORGET>Closed</F-MLFFORGET>$",
                        "^<F-MLFFORGET><F-MLFGAINED>Accepted</F-MLFGAINED></F-MLFFORGET> for "
                        "<F-USER>\\S+</F-USER>$",
                        NULL};
  g_autoptr(F2bFilter) f = mk(fail, MLF_PREF, NULL, 1, FALSE);
  expect(f, "2005-08-14 12:00:01 [1] Connect from 192.0.2.5", "[]");
  ck_assert_uint_eq(f2b_filter_mlfid_cache_size(f), 1);
  expect(f, "2005-08-14 12:00:02 [1] Failed for root",
         "[[1, '192.0.2.5', 1124020802.0, {'mlfid': '1', 'ip4': '192.0.2.5', 'ip6': None, "
         "'dns': None, 'users': ['root'], 'user': 'root', 'matches': [('', "
         "'2005-08-14 12:00:01', ' [1] Connect from 192.0.2.5'), ('', '2005-08-14 12:00:02', "
         "' [1] Failed for root')]}]]");
  expect(f, "2005-08-14 12:00:03 [1] Failed for admin",
         "[[1, '192.0.2.5', 1124020803.0, {'mlfid': '1', 'ip4': '192.0.2.5', 'ip6': None, "
         "'dns': None, 'users': ['root', 'admin'], 'user': 'admin', 'matches': [('', "
         "'2005-08-14 12:00:03', ' [1] Failed for admin')]}]]");
  expect(f, "2005-08-14 12:00:04 [1] Closed",
         "[[2, '192.0.2.5', 1124020804.0, {'mlfid': '1', 'ip4': '192.0.2.5', 'ip6': None, "
         "'dns': None, 'users': ['root', 'admin'], 'user': 'admin', 'matches': [('', "
         "'2005-08-14 12:00:04', ' [1] Closed')]}]]");
  ck_assert_uint_eq(f2b_filter_mlfid_cache_size(f), 0);
  /* after the forget, a new connection 1 without a host: pending, not reported */
  expect(f, "2005-08-14 12:00:05 [1] Failed for x", "[]");
  ck_assert_uint_eq(f2b_filter_mlfid_cache_size(f), 1);
  expect_buffer(f, "[]");
}
END_TEST

/* Lean failures: a failure's data is "nofail" alone (here nothing), whether its
 * dict stays in the mlfid cache or not; the merge itself is unchanged (the users
 * of the cached failure). */
START_TEST(test_lean_failures)
{
  const char *fail[] = {"^<F-NOFAIL>Connect</F-NOFAIL> from <HOST>$",
                        "^Failed for <F-USER>\\S+</F-USER>$",
                        "^<F-MLFFORGET>Closed</F-MLFFORGET>$",
                        NULL};
  g_autoptr(F2bFilter) f = mk(fail, MLF_PREF, NULL, 1, FALSE);
  f2b_filter_set_lean_failures(f, TRUE);
  expect(f, "2005-08-14 12:00:01 [1] Connect from 192.0.2.5", "[]");
  expect(f, "2005-08-14 12:00:02 [1] Failed for root", "[[1, '192.0.2.5', 1124020802.0, {}]]");
  expect(f, "2005-08-14 12:00:03 [1] Failed for admin", "[[1, '192.0.2.5', 1124020803.0, {}]]");
  /* the merged dict leaves the cache here: lean data is still "nofail" alone */
  expect(f, "2005-08-14 12:00:04 [1] Closed", "[[2, '192.0.2.5', 1124020804.0, {}]]");
  ck_assert_uint_eq(f2b_filter_mlfid_cache_size(f), 0);
  /* a nofail failure of a cached dict keeps its nofail */
  f2b_filter_set_check_all_regex(f, TRUE);
  expect(f, "2005-08-14 12:00:05 [2] Connect from 192.0.2.6",
         "[[0, '192.0.2.6', 1124020805.0, {'nofail': 'Connect'}]]");
}
END_TEST

/* A failure as lean failures show it: [index, fid, time, nofail or None]. */
static char *
show_lean(GPtrArray *ret)
{
  GString *s = g_string_new("[");
  for (guint i = 0; ret && i < ret->len; i++) {
    F2bFailure *f = ret->pdata[i];
    g_string_append_printf(s, "%s[%u, ", i ? ", " : "", f->regex_index);
    if (f->fid) {
      gsize len;
      g_autofree char *fid = f2b_ipaddr_to_string(f->fid, &len);
      f2b_py_repr_str_append(s, fid, len);
    } else {
      g_string_append(s, "None");
    }
    g_string_append_printf(s, ", %.1f, ", f->has_time ? f->time : -1.0);
    const F2bPyObj *nofail = f2b_failure_get_nofail(f);
    if (nofail && f2b_py_kind(nofail) != F2B_PY_NONE)
      f2b_py_repr_append(s, nofail);
    else
      g_string_append(s, "None");
    g_string_append_c(s, ']');
  }
  g_string_append_c(s, ']');
  return g_string_free(s, FALSE);
}

/* Lean failures find what full failures find: the same lines through a lean and a
 * full filter give the same regexes, ids, times and nofail values, and the same
 * errors, through mlfid merges (nofail, users, forget, gained, pending, expiry),
 * alt_ groups, cidr, ids that are not the address, with and without
 * checkAllRegex and ignorePending. */
START_TEST(test_lean_same_failures)
{
  const char *fail[] = {
      "^<F-NOFAIL>Connect</F-NOFAIL> from <HOST>$",
      "^Failed for <F-USER>\\S+</F-USER>$",
      "^<F-MLFFORGET>Closed</F-MLFFORGET>$",
      "^<F-MLFFORGET><F-MLFGAINED>Accepted</F-MLFGAINED></F-MLFFORGET> for <F-USER>\\S+</F-USER>$",
      "^Host <HOST>$",
      "^Alt (?:<F-USER>\\S+</F-USER>|<F-ALT_USER>\\S+</F-ALT_USER>)? from <HOST>$",
      "^Net <HOST>/<F-CIDR>\\w+</F-CIDR>$",
      "^Id <F-ID>\\S+</F-ID> at <HOST>$",
      "^<F-NOFAIL>Note</F-NOFAIL>(?: <HOST>)?$",
      "^(?:<F-NOFAIL>N</F-NOFAIL> )?Tup <F-USER>\\w+</F-USER> <F-TUPLE_USER>\\w*</F-TUPLE_USER> from <HOST>$",
      "^Big <F-USER>\\S+</F-USER>$",
      NULL};
  /* users that are tuples, one the same as a str's text; values far longer than the
   * others, then short ones again (the values' buffers grow and shrink) */
  g_autofree char *big1 = g_strnfill(9000, 'a'), *big2 = g_strnfill(9000, 'b');
  g_autofree char *bigline1 = g_strdup_printf("[11] Big %s", big1);
  g_autofree char *bigline2 = g_strdup_printf("[11] Big %s", big2);
  const char *lines[] = {
      "[12] Tup ann x from 192.0.2.20", "[12] Tup ann x from 192.0.2.21",
      "[12] N Tup ann y from 192.0.2.22", "[13] Tup ann  from 192.0.2.23",
      "[13] N Tup ann  from 192.0.2.23", "[13] Failed for ann", "[13] N Tup ann  from 192.0.2.24", bigline1, bigline1, "[11] Big c", bigline2, "[11] Closed",
      "[11] Big d",
      "[1] Connect from 192.0.2.5", "[1] Failed for root", "[1] Failed for admin",
      "[1] Closed", "[2] Connect from 192.0.2.6", "[2] Accepted for bob", "[3] Failed for x",
      "[3] Host 192.0.2.8", "[3] Host 192.0.2.9", "[4] Alt  from 192.0.2.10",
      "[4] Alt eve from 192.0.2.10", "[5] Net 192.0.2.11/24", "[6] Id abc at 2001:db8::1",
      "[6] Id 2001:db8::1 at 2001:db8::1", "[7] Note", "[7] Host 192.0.2.12", "[7] Note 192.0.2.13",
      "[8] Failed for y", "[8] Accepted for y", "[8] Failed for z", "[9] Net 192.0.2.14/xx",
      "[3] Failed for w", "[1] Closed", "[10] Connect from 192.0.2.15", NULL};
  for (guint mode = 0; mode < 4; mode++) {
    g_autoptr(F2bFilter) full = mk(fail, MLF_PREF, NULL, 1, mode & 1);
    g_autoptr(F2bFilter) lean = mk(fail, MLF_PREF, NULL, 1, mode & 1);
    f2b_filter_set_lean_failures(lean, TRUE);
    f2b_filter_set_ignore_pending(full, !(mode & 2));
    f2b_filter_set_ignore_pending(lean, !(mode & 2));
    for (guint i = 0; lines[i]; i++) {
      g_autofree char *line = g_strdup_printf("2005-08-14 12:%02u:01 %s", i % 60, lines[i]);
      if (i == 33) { /* past the 5 minutes of the mlfid cache */
        f2b_filter_set_now(full, TEST_NOW + 3600);
        f2b_filter_set_now(lean, TEST_NOW + 3600);
      }
      g_autoptr(GError) e1 = NULL, e2 = NULL;
      g_autoptr(GPtrArray) r1 = f2b_filter_process_line(full, line, strlen(line), &e1);
      g_autoptr(GPtrArray) r2 = f2b_filter_process_line(lean, line, strlen(line), &e2);
      g_autofree char *s1 = show_lean(r1), *s2 = show_lean(r2);
      ck_assert_msg(strcmp(s1, s2) == 0, "mode %u, %s\nfull: %s\nlean: %s", mode, line, s1, s2);
      ck_assert_msg((e1 == NULL) == (e2 == NULL), "mode %u, %s: errors differ", mode, line);
      if (e1)
        ck_assert_str_eq(e1->message, e2->message);
      ck_assert_uint_eq(f2b_filter_mlfid_cache_size(full), f2b_filter_mlfid_cache_size(lean));
    }
  }
}
END_TEST

/* "nofail" is tested for truth as Python does: an empty text is not a nofail
 * failure (fail2ban-regex counts its line as matched), in both kinds of failure. */
START_TEST(test_failure_is_nofail)
{
  const char *fail[] = {"^\\s*<F-NOFAIL>(?:x)?</F-NOFAIL>a <HOST>$", "^\\s*b <HOST>$", NULL};
  const struct { const char *line; gboolean nofail; const char *value; } cases[] = {
    {"2005-08-14 12:00:01 a 192.0.2.1", FALSE, "''"},
    {"2005-08-14 12:00:01 xa 192.0.2.1", TRUE, "'x'"},
    {"2005-08-14 12:00:01 b 192.0.2.1", FALSE, NULL},
  };
  for (int lean = 0; lean < 2; lean++) {
    g_autoptr(F2bFilter) f = mk(fail, NULL, NULL, 1, FALSE);
    f2b_filter_set_lean_failures(f, lean);
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
      g_autoptr(GError) err = NULL;
      g_autoptr(GPtrArray) r = f2b_filter_process_line(f, cases[i].line, strlen(cases[i].line), &err);
      ck_assert_msg(r && r->len == 1, "%s", cases[i].line);
      const F2bFailure *fl = r->pdata[0];
      ck_assert_msg(f2b_failure_is_nofail(fl) == cases[i].nofail, "lean %d: %s", lean, cases[i].line);
      const F2bPyObj *v = f2b_failure_get_nofail(fl);
      g_autofree char *repr = v && f2b_py_kind(v) != F2B_PY_NONE ? f2b_py_repr(v) : NULL;
      ck_assert_msg(g_strcmp0(repr, cases[i].value) == 0, "lean %d: %s: %s", lean, cases[i].line, repr);
      ck_assert(lean ? fl->data == NULL : fl->nofail == NULL);
    }
  }
}
END_TEST

/* Turning lean failures on or off empties the mlfid cache (its entries are kept
 * in the other mode's form). */
START_TEST(test_lean_switch_empties_cache)
{
  const char *fail[] = {"^Failed for <F-USER>\\S+</F-USER>$", NULL};
  g_autoptr(F2bFilter) f = mk(fail, MLF_PREF, NULL, 1, FALSE);
  expect(f, "2005-08-14 12:00:01 [1] Failed for a", "[]");
  ck_assert_uint_eq(f2b_filter_mlfid_cache_size(f), 1);
  f2b_filter_set_lean_failures(f, FALSE); /* no change: kept */
  ck_assert_uint_eq(f2b_filter_mlfid_cache_size(f), 1);
  f2b_filter_set_lean_failures(f, TRUE);
  ck_assert_uint_eq(f2b_filter_mlfid_cache_size(f), 0);
  expect(f, "2005-08-14 12:00:02 [1] Failed for a", "[]");
  ck_assert_uint_eq(f2b_filter_mlfid_cache_size(f), 1);
  f2b_filter_set_lean_failures(f, FALSE);
  ck_assert_uint_eq(f2b_filter_mlfid_cache_size(f), 0);
}
END_TEST

START_TEST(test_mlfid_gained)
{
  const char *fail[] = {"^<F-NOFAIL>Connect</F-NOFAIL> from <HOST>$",
                        "^Failed for <F-USER>\\S+</F-USER>$",
                        "^<F-MLFFORGET><F-MLFGAINED>Accepted</F-MLFGAINED></F-MLFFORGET> for "
                        "<F-USER>\\S+</F-USER>$",
                        NULL};
  g_autoptr(F2bFilter) f = mk(fail, MLF_PREF, NULL, 1, FALSE);
  expect(f, "2005-08-14 12:00:01 [2] Connect from 192.0.2.6", "[]");
  expect(f, "2005-08-14 12:00:02 [2] Accepted for root", "[]");
  ck_assert_uint_eq(f2b_filter_mlfid_cache_size(f), 0);
}
END_TEST

START_TEST(test_mlfid_pending)
{
  const char *fail[] = {"^Failed for <F-USER>\\S+</F-USER>$", "^Host <HOST>$", NULL};
  g_autoptr(F2bFilter) f = mk(fail, MLF_PREF, NULL, 1, FALSE);
  f2b_filter_set_ignore_pending(f, FALSE);
  expect(f, "2005-08-14 12:00:01 [3] Failed for bob",
         "[[0, None, 1124020801.0, {'mlfid': '3', 'user': 'bob', 'users': ['bob'], 'matches': "
         "[('', '2005-08-14 12:00:01', ' [3] Failed for bob')], 'mlfpending': 1}]]");
  expect(f, "2005-08-14 12:00:02 [3] Host 192.0.2.8",
         "[[1, '192.0.2.8', 1124020802.0, {'mlfid': '3', 'user': 'bob', 'users': ['bob'], "
         "'matches': [('', '2005-08-14 12:00:01', ' [3] Failed for bob'), ('', "
         "'2005-08-14 12:00:02', ' [3] Host 192.0.2.8')], 'ip4': '192.0.2.8'}]]");
}
END_TEST

START_TEST(test_mlfid_cache_bounded)
{
  const char *fail[] = {"^Failed for <F-USER>\\S+</F-USER>$", NULL};
  g_autoptr(F2bFilter) f = mk(fail, MLF_PREF, NULL, 1, FALSE);
  for (guint i = 0; i < 1000; i++) {
    g_autofree char *line = g_strdup_printf("2005-08-14 12:00:01 [%u] Failed for u%u", i, i);
    expect(f, line, "[]");
    ck_assert_uint_le(f2b_filter_mlfid_cache_size(f), 100);
  }
  ck_assert_uint_ge(f2b_filter_mlfid_cache_size(f), 1);
  /* entries expire after 5 minutes of "now" */
  f2b_filter_set_now(f, TEST_NOW + 301);
  expect(f, "2005-08-14 12:00:01 [999] Failed for again", "[]");
}
END_TEST

/* The failure id of LINE's failure as text, "" for no failure. */
static char *
fid_of(F2bFilter *f, const char *line)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) ret = f2b_filter_process_line(f, line, strlen(line), &err);
  ck_assert_msg(err == NULL && ret != NULL, "%s", line);
  if (ret->len == 0)
    return g_strdup("");
  ck_assert_uint_eq(ret->len, 1);
  F2bFailure *fail = ret->pdata[0];
  return fail->fid ? f2b_ipaddr_to_string(fail->fid, NULL) : g_strdup("None");
}

static void
connect_from(F2bFilter *f, guint id)
{
  g_autofree char *line = g_strdup_printf("2005-08-14 12:00:01 [%u] Connect from 192.0.2.%u", id, id);
  g_autofree char *got = fid_of(f, line);
  ck_assert_str_eq(got, "");
}

/* "[ID] Failed" merges with a cached "[ID] Connect": the cached address, or ""
 * when the entry is gone (the failure is pending then). */
static void
expect_cached(F2bFilter *f, guint id, gboolean cached)
{
  g_autofree char *line = g_strdup_printf("2005-08-14 12:00:02 [%u] Failed for root", id);
  g_autofree char *want = cached ? g_strdup_printf("192.0.2.%u", id) : g_strdup("");
  g_autofree char *got = fid_of(f, line);
  ck_assert_msg(strcmp(got, want) == 0, "[%u]: got '%s', want '%s'", id, got, want);
}

/* fail2ban's Utils.Cache eviction: a full cache drops its oldest entries until a
 * still valid one has gone with room left; an expired entry is not found. */
START_TEST(test_mlfid_cache_eviction_order)
{
  const char *fail[] = {"^<F-NOFAIL>Connect</F-NOFAIL> from <HOST>$",
                        "^Failed for <F-USER>\\S+</F-USER>$", NULL};
  for (int lean = 0; lean < 2; lean++) {
    /* all valid: one goes, the oldest */
    g_autoptr(F2bFilter) f = mk(fail, MLF_PREF, NULL, 1, FALSE);
    f2b_filter_set_lean_failures(f, lean);
    for (guint i = 0; i < 101; i++)
      connect_from(f, i);
    ck_assert_uint_eq(f2b_filter_mlfid_cache_size(f), 100);
    expect_cached(f, 1, TRUE);  /* a merge keeps the entry where it is */
    expect_cached(f, 0, FALSE); /* gone: pending, cached anew, dropping [1] */
    expect_cached(f, 2, TRUE);
    expect_cached(f, 1, FALSE); /* dropping [2], now the oldest */
    expect_cached(f, 3, TRUE);
    expect_cached(f, 2, FALSE); /* dropping [4] */
    expect_cached(f, 5, TRUE);
    expect_cached(f, 100, TRUE);
    ck_assert_uint_eq(f2b_filter_mlfid_cache_size(f), 100);

    /* the oldest half expired: all of it goes, and one valid entry */
    g_autoptr(F2bFilter) g = mk(fail, MLF_PREF, NULL, 1, FALSE);
    f2b_filter_set_lean_failures(g, lean);
    for (guint i = 0; i < 50; i++)
      connect_from(g, i);
    f2b_filter_set_now(g, TEST_NOW + 200);
    for (guint i = 50; i < 100; i++)
      connect_from(g, i);
    ck_assert_uint_eq(f2b_filter_mlfid_cache_size(g), 100);
    f2b_filter_set_now(g, TEST_NOW + 350);
    connect_from(g, 100);
    ck_assert_uint_eq(f2b_filter_mlfid_cache_size(g), 50);
    expect_cached(g, 51, TRUE);
    expect_cached(g, 100, TRUE);
    expect_cached(g, 50, FALSE);
    expect_cached(g, 49, FALSE);
    /* an expired entry is dropped when looked up */
    f2b_filter_set_now(g, TEST_NOW + 501);
    guint before = f2b_filter_mlfid_cache_size(g);
    expect_cached(g, 52, FALSE); /* dropped, then cached anew */
    ck_assert_uint_eq(f2b_filter_mlfid_cache_size(g), before);
  }
}
END_TEST

START_TEST(test_multiline_buffer)
{
  const char *fail[] = {"^\\s*user (?P<user>\\S+)\\n.*failed from <HOST>$", NULL};
  g_autoptr(F2bFilter) f = mk(fail, NULL, NULL, 3, FALSE);
  expect(f, "2005-08-14 12:00:01 noise", "[]");
  expect_buffer(f, "[('', '2005-08-14 12:00:01', ' noise')]");
  expect(f, "2005-08-14 12:00:02 user bob", "[]");
  expect(f, "2005-08-14 12:00:03 auth failed from 192.0.2.9",
         "[[0, '192.0.2.9', 1124020803.0, {'user': 'bob', 'ip4': '192.0.2.9', 'ip6': None, "
         "'dns': None, 'matches': [('', '2005-08-14 12:00:02', ' user bob'), ('', "
         "'2005-08-14 12:00:03', ' auth failed from 192.0.2.9')]}]]");
  expect_buffer(f, "[('', '2005-08-14 12:00:01', ' noise')]");
  expect(f, "2005-08-14 12:00:04 other", "[]");
  expect_buffer(f, "[('', '2005-08-14 12:00:01', ' noise'), ('', '2005-08-14 12:00:04', ' other')]");
  /* the buffer never holds more than maxlines lines */
  for (guint i = 0; i < 50; i++)
    expect(f, "2005-08-14 12:00:05 more", "[]");
  ck_assert_uint_eq(f2b_filter_n_buffered(f), 3);
}
END_TEST

/* Line blocks are reused: lines of every length, the buffer always right, the
 * blocks kept for reuse bounded. */
START_TEST(test_line_blocks_reused)
{
  const char *fail[] = {"^\\s*user (?P<user>\\S+)\\n.*failed from <HOST>$", NULL};
  g_autoptr(F2bFilter) f = mk(fail, NULL, NULL, 3, FALSE);
  ck_assert_uint_eq(f2b_filter_n_spare_lines(f), 0);
  for (guint i = 0; i < 200; i++) {
    g_autofree char *pad = g_strnfill((i * 37) % 700, 'a' + (char) (i % 26));
    g_autofree char *line = g_strdup_printf("2005-08-14 12:00:01 n%u %s", i, pad);
    g_autofree char *want = g_strdup_printf(" n%u %s", i, pad);
    expect(f, line, "[]");
    gsize n = f2b_filter_n_buffered(f);
    ck_assert_uint_eq(n, MIN(i + 1, 3));
    const F2bRegexLine *l = f2b_filter_buffered_line(f, n - 1);
    ck_assert_uint_eq(l->rest_len, strlen(want));
    ck_assert(memcmp(l->rest, want, l->rest_len) == 0);
    ck_assert_uint_le(f2b_filter_n_spare_lines(f), 8);
  }
  ck_assert_uint_ge(f2b_filter_n_spare_lines(f), 1);
  /* a long line held by the buffer is not touched by the lines after it */
  g_autofree char *longer = g_strnfill(1000, 'z');
  g_autofree char *held = g_strdup_printf("2005-08-14 12:00:02 user %s", longer);
  expect(f, held, "[]");
  g_autofree char *want = g_strdup_printf("[[0, '192.0.2.9', 1124020803.0, {'user': '%s', "
                                          "'ip4': '192.0.2.9', 'ip6': None, 'dns': None, "
                                          "'matches': [('', '2005-08-14 12:00:02', ' user %s'), "
                                          "('', '2005-08-14 12:00:03', ' auth failed from "
                                          "192.0.2.9')]}]]", longer, longer);
  expect(f, "2005-08-14 12:00:03 auth failed from 192.0.2.9", want);
}
END_TEST

START_TEST(test_several_failures_one_line)
{
  const char *fail[] = {"from <HOST>$", "^\\s*bad .* from <HOST>$", NULL};
  const char *one = "[0, '192.0.2.1', 1124020801.0, {'ip4': '192.0.2.1', 'ip6': None, 'dns': "
                    "None, 'matches': [('', '2005-08-14 12:00:01', ' bad login from 192.0.2.1')]}]";
  g_autofree char *both = g_strdup_printf("[%s, [1%s]", one, one + 2);
  g_autofree char *first = g_strdup_printf("[%s]", one);
  g_autoptr(F2bFilter) all = mk(fail, NULL, NULL, 1, TRUE);
  expect(all, "2005-08-14 12:00:01 bad login from 192.0.2.1", both);
  expect_buffer(all, "[('', '2005-08-14 12:00:01', ' bad login from 192.0.2.1')]");
  g_autoptr(F2bFilter) f = mk(fail, NULL, NULL, 1, FALSE);
  expect(f, "2005-08-14 12:00:01 bad login from 192.0.2.1", first);
  expect_buffer(f, "[]");
}
END_TEST

START_TEST(test_failure_id_and_ip)
{
  const char *fail[] = {"^\\s*user <F-ID>\\S+</F-ID> from <HOST>$", NULL};
  g_autoptr(F2bFilter) f = mk(fail, NULL, NULL, 1, FALSE);
  expect(f, "2005-08-14 12:00:01 user bob from 192.0.2.1",
         "[[0, 'bob', 1124020801.0, {'fid': 'bob', 'ip4': '192.0.2.1', 'ip6': None, 'dns': "
         "None, 'matches': [('', '2005-08-14 12:00:01', ' user bob from 192.0.2.1')], 'ip': "
         "'192.0.2.1'}]]");
  expect(f, "2005-08-14 12:00:01 user 192.0.2.1 from 192.0.2.1",
         "[[0, '192.0.2.1', 1124020801.0, {'fid': '192.0.2.1', 'ip4': '192.0.2.1', 'ip6': None, "
         "'dns': None, 'matches': [('', '2005-08-14 12:00:01', ' user 192.0.2.1 from "
         "192.0.2.1')]}]]");
  const char *sub[] = {"fail <SUBNET>$", NULL};
  g_autoptr(F2bFilter) s = mk(sub, NULL, NULL, 1, FALSE);
  expect(s, "2005-08-14 12:00:01 fail 192.0.2.77/24",
         "[[0, '192.0.2.0/24', 1124020801.0, {'ip4': '192.0.2.77', 'ip6': None, 'cidr': '24', "
         "'matches': [('', '2005-08-14 12:00:01', ' fail 192.0.2.77/24')]}]]");
  /* int() of a bad cidr group raises in fail2ban */
  const char *bad[] = {"fail <ADDR>/(?P<cidr>\\S+)$", NULL};
  g_autoptr(F2bFilter) b = mk(bad, NULL, NULL, 1, FALSE);
  g_autoptr(GError) err = NULL;
  const char *line = "2005-08-14 12:00:01 fail 192.0.2.77/x4";
  GPtrArray *ret = f2b_filter_process_line(b, line, strlen(line), &err);
  ck_assert_ptr_null(ret);
  ck_assert(g_error_matches(err, F2B_FILTER_ERROR, F2B_FILTER_ERROR_LINE));
  ck_assert_str_eq(err->message, "invalid literal for int() with base 10: 'x4'");
}
END_TEST

START_TEST(test_no_date)
{
  const char *fail[] = {"fail <HOST>$", NULL};
  g_autoptr(F2bFilter) f = mk(fail, NULL, NULL, 1, FALSE);
  expect(f, "fail 192.0.2.1",
         "[[0, '192.0.2.1', None, {'ip4': '192.0.2.1', 'ip6': None, 'dns': None, 'matches': "
         "[('', '', 'fail 192.0.2.1')]}]]");
  expect(f, "2005-08-14 11:59:30 x", "[]");
  /* the last date is less than 60 s before now: it is used */
  expect(f, "fail 192.0.2.2",
         "[[0, '192.0.2.2', 1124020770.0, {'ip4': '192.0.2.2', 'ip6': None, 'dns': None, "
         "'matches': [('', '2005-08-14 11:59:30', 'fail 192.0.2.2')]}]]");
  expect(f, "2005-08-14 11:58:00 x", "[]");
  expect(f, "fail 192.0.2.3",
         "[[0, '192.0.2.3', 1124020680.0, {'ip4': '192.0.2.3', 'ip6': None, 'dns': None, "
         "'matches': [('', '2005-08-14 11:58:00', 'fail 192.0.2.3')]}]]");
  g_autofree char *processed = f2b_filter_processed_line(f, NULL);
  ck_assert_str_eq(processed, "fail 192.0.2.3");
}
END_TEST

START_TEST(test_find_time_and_operation)
{
  const char *fail[] = {"fail <HOST>$", NULL};
  g_autoptr(F2bFilter) f = mk(fail, NULL, NULL, 1, FALSE);
  f2b_filter_set_check_find_time(f, TRUE);
  /* in operation: a date far from now is taken as now (timing issue) */
  expect(f, "2005-08-14 08:00:00 fail 192.0.2.1",
         "[[0, '192.0.2.1', 1124013600.0, {'ip4': '192.0.2.1', 'ip6': None, 'dns': None, "
         "'matches': [('', '2005-08-14 08:00:00', ' fail 192.0.2.1')]}]]");
  /* no date at all in operation: now */
  g_autoptr(F2bFilter) g = mk(fail, NULL, NULL, 1, FALSE);
  f2b_filter_set_check_find_time(g, TRUE);
  expect(g, "fail 192.0.2.2",
         "[[0, '192.0.2.2', 1124013600.0, {'ip4': '192.0.2.2', 'ip6': None, 'dns': None, "
         "'matches': [('', '', 'fail 192.0.2.2')]}]]");
  /* not in operation (restoring): entries older than findtime are dropped */
  f2b_filter_set_in_operation(g, FALSE);
  f2b_filter_set_findtime(g, 600);
  expect(g, "2005-08-14 09:00:00 fail 192.0.2.3", "[]");
  expect(g, "2005-08-14 09:55:00 fail 192.0.2.4",
         "[[0, '192.0.2.4', 1124013300.0, {'ip4': '192.0.2.4', 'ip6': None, 'dns': None, "
         "'matches': [('', '2005-08-14 09:55:00', ' fail 192.0.2.4')]}]]");
}
END_TEST

typedef struct {
  guint n;
  F2bFilterTimeEvent ev[6];
  gint64 delta[6];
  char *line[6];
  char *date[6];
} TimeEvents;

static void
record_time(const F2bFilterTimeInfo *info, gpointer data)
{
  TimeEvents *te = data;
  ck_assert_uint_lt(te->n, 6);
  te->ev[te->n] = info->event;
  te->delta[te->n] = info->delta;
  te->line[te->n] = g_strndup(info->line, info->line_len);
  te->date[te->n] = g_strndup(info->date, info->date_len);
  te->n++;
}

START_TEST(test_time_callback)
{
  const char *fail[] = {"fail <HOST>$", NULL};
  g_autoptr(F2bFilter) f = mk(fail, NULL, NULL, 1, FALSE);
  TimeEvents te = {0};
  f2b_filter_set_check_find_time(f, TRUE);
  f2b_filter_set_time_callback(f, record_time, &te);
  /* in operation: 2 h before now is simulated as now; 59 s is not reported */
  g_ptr_array_unref(f2b_filter_process_line(f, "2005-08-14 08:00:00 fail 192.0.2.1", 34, NULL));
  g_ptr_array_unref(f2b_filter_process_line(f, "2005-08-14 09:59:01 fail 192.0.2.1", 34, NULL));
  /* restoring: older than findtime is dropped and reported, with the line as read */
  f2b_filter_set_in_operation(f, FALSE);
  g_ptr_array_unref(f2b_filter_process_line(f, "2005-08-14 09:00:00 fail 192.0.2.3", 34, NULL));
  g_ptr_array_unref(f2b_filter_process_line(f, "2005-08-14 09:55:00 fail 192.0.2.4", 34, NULL));
  /* a match without a date of its own: reported with the date text it was given
   * (the last one, less than 60 s old) and the matched line */
  f2b_filter_set_in_operation(f, TRUE);
  g_ptr_array_unref(f2b_filter_process_line(f, "2005-08-14 09:59:30 fail 192.0.2.6", 34, NULL));
  g_ptr_array_unref(f2b_filter_process_line(f, "fail 192.0.2.5", 14, NULL));
  /* a line without failure reports nothing */
  g_ptr_array_unref(f2b_filter_process_line(f, "nothing", 7, NULL));
  ck_assert_uint_eq(te.n, 3);
  ck_assert_int_eq(te.ev[0], F2B_FILTER_TIME_SIMULATED);
  ck_assert_int_eq(te.delta[0], -7200);
  ck_assert_str_eq(te.line[0], "2005-08-14 08:00:00 fail 192.0.2.1");
  ck_assert_int_eq(te.ev[1], F2B_FILTER_TIME_OBSOLETE);
  ck_assert_int_eq(te.delta[1], -3600);
  ck_assert_str_eq(te.line[1], "2005-08-14 09:00:00 fail 192.0.2.3");
  ck_assert_int_eq(te.ev[2], F2B_FILTER_TIME_NO_DATE);
  ck_assert_str_eq(te.date[2], "2005-08-14 09:59:30");
  ck_assert_str_eq(te.line[2], "2005-08-14 09:59:30fail 192.0.2.5"); /* "".join(tuple), as fail2ban */
  for (guint i = 0; i < te.n; i++) {
    g_free(te.line[i]);
    g_free(te.date[i]);
  }
}
END_TEST

static void
count_ignored(guint index, gpointer data)
{
  ((guint *) data)[index]++;
}

START_TEST(test_ignoreregex)
{
  const char *fail[] = {"fail <HOST>$", NULL};
  const char *ign[] = {"fail 192\\.0\\.2\\.99", "never", NULL};
  g_autoptr(F2bFilter) f = mk(fail, NULL, ign, 1, FALSE);
  guint hits[2] = {0, 0};
  f2b_filter_set_ignore_callback(f, count_ignored, hits);
  expect(f, "2005-08-14 12:00:01 fail 192.0.2.99", "[]");
  ck_assert_uint_eq(hits[0], 1);
  expect(f, "2005-08-14 12:00:01 fail 192.0.2.98",
         "[[0, '192.0.2.98', 1124020801.0, {'ip4': '192.0.2.98', 'ip6': None, 'dns': None, "
         "'matches': [('', '2005-08-14 12:00:01', ' fail 192.0.2.98')]}]]");
  ck_assert_uint_eq(hits[0], 1);
  ck_assert_uint_eq(hits[1], 0);
  /* the pre-check runs only with fewer ignoreregex than failregex - 2: an ignored
   * line that no failregex matches then still counts as ignored */
  const char *four[] = {"a1 <HOST>$", "a2 <HOST>$", "a3 <HOST>$", "a4 <HOST>$", NULL};
  const char *one[] = {"noise", NULL};
  g_autoptr(F2bFilter) g = mk(four, NULL, one, 1, FALSE);
  guint ghits[1] = {0};
  f2b_filter_set_ignore_callback(g, count_ignored, ghits);
  expect(g, "2005-08-14 12:00:01 noise", "[]");
  ck_assert_uint_eq(ghits[0], 1);
  g_autoptr(F2bFilter) h = mk(fail, NULL, one, 1, FALSE);
  guint hhits[1] = {0};
  f2b_filter_set_ignore_callback(h, count_ignored, hhits);
  expect(h, "2005-08-14 12:00:01 noise", "[]");
  ck_assert_uint_eq(hhits[0], 0);
}
END_TEST

START_TEST(test_prefregex_content)
{
  const char *fail[] = {"^fail <HOST>$", NULL};
  g_autoptr(F2bFilter) f =
      mk(fail, "^\\s*srv\\[(?P<pid>\\d+)\\]: <F-CONTENT>.+</F-CONTENT>$", NULL, 1, FALSE);
  expect(f, "2005-08-14 12:00:01 srv[12]: fail 192.0.2.3",
         "[[0, '192.0.2.3', 1124020801.0, {'pid': '12', 'ip4': '192.0.2.3', 'ip6': None, "
         "'dns': None, 'matches': [('', '2005-08-14 12:00:01', ' srv[12]: fail 192.0.2.3')]}]]");
  ck_assert(f2b_filter_prefregex_matched(f));
  g_autoptr(F2bPyObj) groups = f2b_filter_prefregex_groups(f);
  g_autofree char *gr = f2b_py_repr(groups);
  ck_assert_str_eq(gr, "{'pid': '12', 'content': 'fail 192.0.2.3'}");
  expect(f, "2005-08-14 12:00:01 other: fail 192.0.2.3", "[]");
  ck_assert(!f2b_filter_prefregex_matched(f));
  ck_assert_ptr_null(f2b_filter_prefregex_groups(f));
  expect_buffer(f, "[('', '2005-08-14 12:00:01', ' other: fail 192.0.2.3')]");
}
END_TEST

static void
fake_dns(const char *host, gsize len, F2bFilterUseDns mode, GPtrArray *addrs, gpointer data)
{
  (*(guint *) data)++;
  if (len == 12 && memcmp(host, "host.example", 12) == 0) {
    g_ptr_array_add(addrs, f2b_ipaddr_new("192.0.2.7", -1, F2B_IPADDR_CIDR_UNSPEC, NULL));
    g_ptr_array_add(addrs, f2b_ipaddr_new("192.0.2.7", -1, F2B_IPADDR_CIDR_UNSPEC, NULL));
  }
}

START_TEST(test_usedns)
{
  const char *host[] = {"fail <HOST>$", NULL};
  const char *dns[] = {"fail <DNS>$", NULL};
  guint calls = 0;
  /* yes: the resolver is asked (once the text is not an IPv4 address) */
  g_autoptr(F2bFilter) y = f2b_filter_new(TEST_NOW);
  f2b_filter_set_now(y, TEST_NOW);
  f2b_filter_set_check_find_time(y, FALSE);
  ck_assert(f2b_filter_set_usedns(y, "YES"));
  ck_assert_int_eq(f2b_filter_get_usedns(y), F2B_FILTER_USEDNS_YES);
  ck_assert(f2b_filter_add_failregex(y, host[0], NULL));
  f2b_filter_set_resolver(y, fake_dns, &calls);
  expect(y, "2005-08-14 12:00:01 fail host.example",
         "[[0, '192.0.2.7', 1124020801.0, {'ip4': None, 'ip6': None, 'dns': 'host.example', "
         "'matches': [('', '2005-08-14 12:00:01', ' fail host.example')]}]]");
  ck_assert_uint_eq(calls, 1);
  expect(y, "2005-08-14 12:00:01 fail unknown.example", "[]");
  ck_assert_uint_eq(calls, 2);
  /* no: <HOST> is <ADDR>; an explicit <DNS> gives a failure only for an IPv4 text */
  g_autoptr(F2bFilter) n = f2b_filter_new(TEST_NOW);
  f2b_filter_set_now(n, TEST_NOW);
  f2b_filter_set_check_find_time(n, FALSE);
  ck_assert(f2b_filter_set_usedns(n, "no"));
  ck_assert(f2b_filter_add_failregex(n, host[0], NULL));
  ck_assert(!f2b_failregex_has_group(f2b_filter_get_failregex(n, 0), "dns"));
  ck_assert(f2b_filter_del_failregex(n, 0));
  ck_assert(!f2b_filter_del_failregex(n, 0));
  ck_assert(f2b_filter_add_failregex(n, dns[0], NULL));
  f2b_filter_set_resolver(n, fake_dns, &calls);
  expect(n, "2005-08-14 12:00:01 fail host.example", "[]");
  expect(n, "2005-08-14 12:00:01 fail 192.0.2.4",
         "[[0, '192.0.2.4', 1124020801.0, {'dns': '192.0.2.4', 'matches': [('', "
         "'2005-08-14 12:00:01', ' fail 192.0.2.4')]}]]");
  ck_assert_uint_eq(calls, 2);
  /* raw: the name is the failure id */
  g_autoptr(F2bFilter) r = f2b_filter_new(TEST_NOW);
  f2b_filter_set_now(r, TEST_NOW);
  f2b_filter_set_check_find_time(r, FALSE);
  ck_assert(f2b_filter_set_usedns(r, "raw"));
  ck_assert(f2b_filter_add_failregex(r, dns[0], NULL));
  expect(r, "2005-08-14 12:00:01 fail host.example",
         "[[0, 'host.example', 1124020801.0, {'dns': 'host.example', 'matches': [('', "
         "'2005-08-14 12:00:01', ' fail host.example')]}]]");
  /* a wrong value is taken as "no" */
  ck_assert(!f2b_filter_set_usedns(r, "maybe"));
  ck_assert_int_eq(f2b_filter_get_usedns(r), F2B_FILTER_USEDNS_NO);
  ck_assert_str_eq(f2b_filter_usedns_name(F2B_FILTER_USEDNS_WARN), "warn");
}
END_TEST

START_TEST(test_settings_errors)
{
  g_autoptr(F2bFilter) f = f2b_filter_new(TEST_NOW);
  g_autoptr(GError) err = NULL;
  ck_assert(!f2b_filter_set_maxlines(f, 0, &err));
  ck_assert(g_error_matches(err, F2B_FILTER_ERROR, F2B_FILTER_ERROR_VALUE));
  ck_assert_str_eq(err->message, "maxlines must be integer greater than zero");
  g_clear_error(&err);
  ck_assert_uint_eq(f2b_filter_get_maxlines(f), 1);
  ck_assert(!f2b_filter_set_logencoding(f, "no-such-encoding", &err));
  ck_assert(g_error_matches(err, F2B_FILTER_ERROR, F2B_FILTER_ERROR_VALUE));
  g_clear_error(&err);
  ck_assert(f2b_filter_set_logencoding(f, "auto", NULL));
  ck_assert_str_eq(f2b_filter_get_logencoding(f), "UTF-8");
  ck_assert(!f2b_filter_add_failregex(f, "no host here", &err));
  ck_assert(g_error_matches(err, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_NO_FAILURE_ID));
  g_clear_error(&err);
  ck_assert(!f2b_filter_set_prefregex(f, "(", &err));
  g_clear_error(&err);
  ck_assert(f2b_filter_set_prefregex(f, "", NULL));
  ck_assert_ptr_null(f2b_filter_get_prefregex(f));
  ck_assert(!f2b_filter_set_datepattern(f, "{^LN-BEG}%Q", &err) || err == NULL);
  ck_assert_uint_eq(f2b_filter_n_failregex(f), 0);
  ck_assert_uint_eq(f2b_filter_n_ignoreregex(f), 0);
  /* a line fail2ban raises on: a template matching at the very end of the line */
  g_clear_error(&err);
  ck_assert(f2b_filter_set_datepattern(f, "{NONE}", NULL));
  ck_assert(f2b_filter_add_failregex(f, "x <HOST>", NULL));
  GPtrArray *ret = f2b_filter_process_line(f, "", 0, &err);
  ck_assert_ptr_null(ret);
  ck_assert(g_error_matches(err, F2B_FILTER_ERROR, F2B_FILTER_ERROR_LINE));
}
END_TEST

START_TEST(test_decode_line)
{
  gsize len;
  gboolean replaced;
  g_autofree char *a = f2b_filter_decode_line("ok \xc3\xa9", 5, NULL, &len, &replaced);
  ck_assert_str_eq(a, "ok \xc3\xa9");
  ck_assert(!replaced);
  /* one U+FFFD per maximal invalid subpart, as Python's 'replace' */
  g_autofree char *b = f2b_filter_decode_line("a\xe2\x82z", 4, "utf-8", &len, &replaced);
  ck_assert_str_eq(b, "a\xef\xbf\xbdz");
  ck_assert(replaced);
  g_autofree char *c = f2b_filter_decode_line("\xff\xfe", 2, NULL, &len, NULL);
  ck_assert_str_eq(c, "\xef\xbf\xbd\xef\xbf\xbd");
  g_autofree char *d = f2b_filter_decode_line("\xed\xa0\x80", 3, NULL, &len, NULL);
  ck_assert_str_eq(d, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  g_autofree char *e = f2b_filter_decode_line("\xf0\x9f\x98\x80\xc0\xaf", 6, NULL, &len, NULL);
  ck_assert_str_eq(e, "\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd");
  g_autofree char *nul = f2b_filter_decode_line("a\0b", 3, NULL, &len, NULL);
  ck_assert_uint_eq(len, 3);
  ck_assert_mem_eq(nul, "a\0b", 3);
  g_autofree char *latin = f2b_filter_decode_line("caf\xe9", 4, "latin-1", &len, &replaced);
  ck_assert_str_eq(latin, "caf\xc3\xa9");
  ck_assert(!replaced);
  g_autofree char *ascii = f2b_filter_decode_line("x\xe9y", 3, "ascii", &len, &replaced);
  ck_assert_str_eq(ascii, "x\xef\xbf\xbdy");
  ck_assert(replaced);
}
END_TEST

START_TEST(test_hostile_lines)
{
  const char *fail[] = {"^\\s*login failed for (?P<user>.*) from <HOST>$", NULL};
  g_autoptr(F2bFilter) f = mk(fail, NULL, NULL, 1, FALSE);
  /* invalid UTF-8 is replaced before matching, NUL bytes are kept */
  const char line[] = "2005-08-14 12:00:01 login failed for b\xffo\0b from 192.0.2.1";
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) ret = f2b_filter_process_line(f, line, sizeof line - 1, &err);
  ck_assert_ptr_null(err);
  ck_assert_uint_eq(ret->len, 1);
  F2bFailure *fl = ret->pdata[0];
  g_autofree char *data = f2b_py_repr(fl->data);
  ck_assert_str_eq(data, "{'user': 'b\xef\xbf\xbdo\\x00b', 'ip4': '192.0.2.1', 'ip6': None, "
                         "'dns': None, 'matches': [('', '2005-08-14 12:00:01', ' login failed "
                         "for b\xef\xbf\xbdo\\x00b from 192.0.2.1')]}");
  /* a 1 MiB line */
  GString *big = g_string_new("2005-08-14 12:00:01 login failed for ");
  while (big->len < 1024 * 1024)
    g_string_append(big, "xxxxxxxxxxxxxxxx");
  g_string_append(big, " from 192.0.2.2");
  g_autoptr(GPtrArray) r2 = f2b_filter_process_line(f, big->str, big->len, &err);
  ck_assert_ptr_null(err);
  ck_assert_uint_eq(r2->len, 1);
  g_string_free(big, TRUE);
  /* a regex that backtracks catastrophically hits the match limit: reported, the
   * other regexes still run */
  const char *bt[] = {"^(\\w+\\s?)*\\s*$ <HOST>", "^\\s*(a|aa)+ <HOST>$", NULL};
  g_autoptr(F2bFilter) b = mk(bt, NULL, NULL, 1, FALSE);
  f2b_filter_set_match_limit(b, 10000);
  const char *evil = "2005-08-14 12:00:01 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa! x";
  g_autoptr(GPtrArray) r3 = f2b_filter_process_line(b, evil, strlen(evil), &err);
  ck_assert_ptr_nonnull(r3);
  ck_assert_uint_eq(r3->len, 0);
  ck_assert(g_error_matches(err, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_LIMIT));
  g_clear_error(&err);
  /* two regexes hit it: the first one's error is the one reported */
  const char *bt2[] = {"^\\s*(a|aa)+ <HOST>$", "^\\s*(a|aa)+ <HOST> ?$", NULL};
  g_autoptr(F2bFilter) b2 = mk(bt2, NULL, NULL, 1, FALSE);
  f2b_filter_set_match_limit(b2, 10000);
  g_autoptr(GPtrArray) r5 = f2b_filter_process_line(b2, evil, strlen(evil), &err);
  ck_assert_ptr_nonnull(r5);
  ck_assert(g_error_matches(err, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_LIMIT));
  ck_assert_msg(strstr(err->message, " ?$") == NULL, "not the first: %s", err->message);
  g_clear_error(&err);
  g_autoptr(GPtrArray) r4 =
      f2b_filter_process_line(b, "2005-08-14 12:00:01 aaaa 192.0.2.5", 34, &err);
  ck_assert_ptr_null(err);
  ck_assert_uint_eq(r4->len, 1);
  ck_assert_uint_eq(((F2bFailure *) r4->pdata[0])->regex_index, 1);
}
END_TEST

/* The _into variants append to the caller's array: the same failures as the
 * returning ones, nothing appended (and what was there kept) when a line raises. */
START_TEST(test_process_into)
{
  const char *fail[] = {"fail <ADDR>/(?P<cidr>\\S+)$", "^\\s*ok <HOST>$", NULL};
  g_autoptr(F2bFilter) a = mk(fail, NULL, NULL, 1, TRUE);
  g_autoptr(F2bFilter) b = mk(fail, NULL, NULL, 1, TRUE);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify) f2b_failure_free);
  const char *lines[] = {"2005-08-14 12:00:01 ok 192.0.2.1", "2005-08-14 12:00:02 fail 192.0.2.77/24",
                         "2005-08-14 12:00:03 nothing here"};
  for (guint i = 0; i < G_N_ELEMENTS(lines); i++) {
    g_autoptr(GError) e1 = NULL, e2 = NULL;
    g_autoptr(GPtrArray) want = f2b_filter_process_line(a, lines[i], strlen(lines[i]), &e1);
    guint before = out->len;
    ck_assert(f2b_filter_process_line_into(b, lines[i], strlen(lines[i]), out, &e2));
    ck_assert_ptr_nonnull(want);
    ck_assert_uint_eq(out->len - before, want->len);
    for (guint k = 0; k < want->len; k++) {
      const F2bFailure *x = want->pdata[k], *y = out->pdata[before + k];
      ck_assert_uint_eq(x->regex_index, y->regex_index);
      ck_assert(f2b_ipaddr_equal(x->fid, y->fid));
      ck_assert(x->time == y->time);
    }
  }
  ck_assert_uint_eq(out->len, 2);
  const char *bad = "2005-08-14 12:00:04 fail 192.0.2.77/x4";
  g_autoptr(GError) err = NULL;
  ck_assert(!f2b_filter_process_line_into(b, bad, strlen(bad), out, &err));
  ck_assert(g_error_matches(err, F2B_FILTER_ERROR, F2B_FILTER_ERROR_LINE));
  ck_assert_uint_eq(out->len, 2);
  F2bRegexLine tuple = {"", 0, "2005-08-14 12:00:05", 19, " ok 192.0.2.9", 13};
  g_clear_error(&err);
  ck_assert(f2b_filter_process_tuple_into(b, &tuple, 1124020805.0, out, &err));
  ck_assert_uint_eq(out->len, 3);
  ck_assert(((F2bFailure *) out->pdata[2])->time == 1124020805.0);
}
END_TEST

START_TEST(test_process_tuple)
{
  const char *fail[] = {"^srv: fail <HOST>$", NULL};
  g_autoptr(F2bFilter) f = mk(fail, NULL, NULL, 1, FALSE);
  F2bRegexLine t = {"", 0, "2005-08-14T10:00:00", 19, "srv: fail 192.0.2.9", 19};
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) ret = f2b_filter_process_tuple(f, &t, TEST_NOW, &err);
  g_autofree char *got = show(ret);
  ck_assert_str_eq(got, "[[0, '192.0.2.9', 1124013600.0, {'ip4': '192.0.2.9', 'ip6': None, "
                        "'dns': None, 'matches': [('', '2005-08-14T10:00:00', 'srv: fail "
                        "192.0.2.9')]}]]");
  /* the journal's date is the last date for a following line without one */
  expect(f, "srv: fail 192.0.2.10",
         "[[0, '192.0.2.10', 1124013600.0, {'ip4': '192.0.2.10', 'ip6': None, 'dns': None, "
         "'matches': [('', '2005-08-14T10:00:00', 'srv: fail 192.0.2.10')]}]]");
}
END_TEST

/* ---- the line buffer's content line ---------------------------------------------- */

/* What a line leaves: its failures, the line buffer and the prefregex's groups, as
 * fail2ban's processLine, __lineBuffer and prefRegex.getGroups() show them. */
static void
transcribe(F2bFilter *f, const char *line, GString *out)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) ret = f2b_filter_process_line(f, line, strlen(line), &err);
  ck_assert_msg(err == NULL, "%s: %s", line, err->message);
  g_autofree char *fails = show(ret);
  g_autofree char *buffer = show_buffer(f);
  g_autoptr(F2bPyObj) groups = f2b_filter_prefregex_groups(f);
  ck_assert(f2b_filter_prefregex_matched(f) == (groups != NULL));
  g_autofree char *pref = groups ? f2b_py_repr(groups) : g_strdup("None");
  g_string_append_printf(out, "ret=%s\nbuf=%s\npref=%s\n", fails, buffer, pref);
}

static void
expect_transcript(const char *got, const char *want, const char *what)
{
  ck_assert_msg(strcmp(got, want) == 0, "%s\n got:\n%s\nwant:\n%s", what, got, want);
}

#define TAIL "^\\s*srv\\[(?P<pid>\\d+)\\]: <F-CONTENT>.+</F-CONTENT>$"
/* the content is not the end of the line: its buffer is a copy */
#define MID "^\\s*srv\\[(?P<pid>\\d+)\\]: <F-CONTENT>\\S+ \\S+</F-CONTENT>.*$"
static const char *const content_ign[] = {"ignored", NULL};
#define IGN content_ign

static const struct {
  const char *pref;
  guint maxlines;
  const char *const *ign;
  gboolean check_all;
  const char *want;
} content_cases[] = {
  {TAIL, 1, NULL, FALSE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[[0, '192.0.2.3', 1124020802.0, {'pid': '12', 'ip4': '192.0.2.3', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]}]]\n"
      "buf=[]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.3'}\n"
      "ret=[[1, '192.0.2.4', 1124020803.0, {'pid': '12', 'ip4': '192.0.2.4', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]}]]\n"
      "buf=[]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.4 ignored'}\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[[2, 'last', 1124020805.0, {'pid': '13', 'fid': 'last', 'matches': [('', '2005-08-14 12:00:05', ' srv[13]: last one')]}]]\n"
      "buf=[]\n"
      "pref={'pid': '13', 'content': 'last one'}\n"},
  {TAIL, 1, NULL, TRUE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[[0, '192.0.2.3', 1124020802.0, {'pid': '12', 'ip4': '192.0.2.3', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]}], [1, '192.0.2.3', 1124020802.0, {'pid': '12', 'ip4': '192.0.2.3', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]}]]\n"
      "buf=[('', '', 'fail 192.0.2.3')]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.3'}\n"
      "ret=[[1, '192.0.2.4', 1124020803.0, {'pid': '12', 'ip4': '192.0.2.4', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]}]]\n"
      "buf=[('', '', 'fail 192.0.2.4 ignored')]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.4 ignored'}\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[[2, 'last', 1124020805.0, {'pid': '13', 'fid': 'last', 'matches': [('', '2005-08-14 12:00:05', ' srv[13]: last one')]}]]\n"
      "buf=[('', '', 'last one')]\n"
      "pref={'pid': '13', 'content': 'last one'}\n"},
  {TAIL, 1, IGN, FALSE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[[0, '192.0.2.3', 1124020802.0, {'pid': '12', 'ip4': '192.0.2.3', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]}]]\n"
      "buf=[]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.3'}\n"
      "ret=[]\n"
      "buf=[]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.4 ignored'}\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[[2, 'last', 1124020805.0, {'pid': '13', 'fid': 'last', 'matches': [('', '2005-08-14 12:00:05', ' srv[13]: last one')]}]]\n"
      "buf=[]\n"
      "pref={'pid': '13', 'content': 'last one'}\n"},
  {TAIL, 1, IGN, TRUE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[[0, '192.0.2.3', 1124020802.0, {'pid': '12', 'ip4': '192.0.2.3', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]}], [1, '192.0.2.3', 1124020802.0, {'pid': '12', 'ip4': '192.0.2.3', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]}]]\n"
      "buf=[('', '', 'fail 192.0.2.3')]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.3'}\n"
      "ret=[]\n"
      "buf=[('', '', 'fail 192.0.2.4 ignored')]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.4 ignored'}\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[[2, 'last', 1124020805.0, {'pid': '13', 'fid': 'last', 'matches': [('', '2005-08-14 12:00:05', ' srv[13]: last one')]}]]\n"
      "buf=[('', '', 'last one')]\n"
      "pref={'pid': '13', 'content': 'last one'}\n"},
  {TAIL, 3, NULL, FALSE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5'), ('', '2005-08-14 12:00:05', ' srv[13]: last one')]\n"
      "pref=None\n"},
  {TAIL, 3, NULL, TRUE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5'), ('', '2005-08-14 12:00:05', ' srv[13]: last one')]\n"
      "pref=None\n"},
  {TAIL, 3, IGN, FALSE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5'), ('', '2005-08-14 12:00:05', ' srv[13]: last one')]\n"
      "pref=None\n"},
  {TAIL, 3, IGN, TRUE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5'), ('', '2005-08-14 12:00:05', ' srv[13]: last one')]\n"
      "pref=None\n"},
  {MID, 1, NULL, FALSE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[[0, '192.0.2.3', 1124020802.0, {'pid': '12', 'ip4': '192.0.2.3', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]}]]\n"
      "buf=[]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.3'}\n"
      "ret=[[0, '192.0.2.4', 1124020803.0, {'pid': '12', 'ip4': '192.0.2.4', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]}]]\n"
      "buf=[]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.4'}\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[[2, 'last', 1124020805.0, {'pid': '13', 'fid': 'last', 'matches': [('', '2005-08-14 12:00:05', ' srv[13]: last one')]}]]\n"
      "buf=[]\n"
      "pref={'pid': '13', 'content': 'last one'}\n"},
  {MID, 1, NULL, TRUE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[[0, '192.0.2.3', 1124020802.0, {'pid': '12', 'ip4': '192.0.2.3', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]}], [1, '192.0.2.3', 1124020802.0, {'pid': '12', 'ip4': '192.0.2.3', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]}]]\n"
      "buf=[('', '', 'fail 192.0.2.3')]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.3'}\n"
      "ret=[[0, '192.0.2.4', 1124020803.0, {'pid': '12', 'ip4': '192.0.2.4', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]}], [1, '192.0.2.4', 1124020803.0, {'pid': '12', 'ip4': '192.0.2.4', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]}]]\n"
      "buf=[('', '', 'fail 192.0.2.4')]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.4'}\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[[2, 'last', 1124020805.0, {'pid': '13', 'fid': 'last', 'matches': [('', '2005-08-14 12:00:05', ' srv[13]: last one')]}]]\n"
      "buf=[('', '', 'last one')]\n"
      "pref={'pid': '13', 'content': 'last one'}\n"},
  {MID, 1, IGN, FALSE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[[0, '192.0.2.3', 1124020802.0, {'pid': '12', 'ip4': '192.0.2.3', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]}]]\n"
      "buf=[]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.3'}\n"
      "ret=[[0, '192.0.2.4', 1124020803.0, {'pid': '12', 'ip4': '192.0.2.4', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]}]]\n"
      "buf=[]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.4'}\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[[2, 'last', 1124020805.0, {'pid': '13', 'fid': 'last', 'matches': [('', '2005-08-14 12:00:05', ' srv[13]: last one')]}]]\n"
      "buf=[]\n"
      "pref={'pid': '13', 'content': 'last one'}\n"},
  {MID, 1, IGN, TRUE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[[0, '192.0.2.3', 1124020802.0, {'pid': '12', 'ip4': '192.0.2.3', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]}], [1, '192.0.2.3', 1124020802.0, {'pid': '12', 'ip4': '192.0.2.3', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]}]]\n"
      "buf=[('', '', 'fail 192.0.2.3')]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.3'}\n"
      "ret=[[0, '192.0.2.4', 1124020803.0, {'pid': '12', 'ip4': '192.0.2.4', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]}], [1, '192.0.2.4', 1124020803.0, {'pid': '12', 'ip4': '192.0.2.4', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]}]]\n"
      "buf=[('', '', 'fail 192.0.2.4')]\n"
      "pref={'pid': '12', 'content': 'fail 192.0.2.4'}\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[[2, 'last', 1124020805.0, {'pid': '13', 'fid': 'last', 'matches': [('', '2005-08-14 12:00:05', ' srv[13]: last one')]}]]\n"
      "buf=[('', '', 'last one')]\n"
      "pref={'pid': '13', 'content': 'last one'}\n"},
  {MID, 3, NULL, FALSE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5'), ('', '2005-08-14 12:00:05', ' srv[13]: last one')]\n"
      "pref=None\n"},
  {MID, 3, NULL, TRUE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5'), ('', '2005-08-14 12:00:05', ' srv[13]: last one')]\n"
      "pref=None\n"},
  {MID, 3, IGN, FALSE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5'), ('', '2005-08-14 12:00:05', ' srv[13]: last one')]\n"
      "pref=None\n"},
  {MID, 3, IGN, TRUE,
      "ret=[]\n"
      "buf=[('', '', 'noise here')]\n"
      "pref={'pid': '12', 'content': 'noise here'}\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '', 'noise here'), ('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:02', ' srv[12]: fail 192.0.2.3'), ('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:03', ' srv[12]: fail 192.0.2.4 ignored'), ('', '2005-08-14 12:00:04', ' other: fail 192.0.2.5'), ('', '2005-08-14 12:00:05', ' srv[13]: last one')]\n"
      "pref=None\n"},
};

/* The prefregex's content line, with maxlines 1 never made unless read, read
 * through every accessor after every line: content at the end of the line and
 * inside it, maxlines 1 and 3, with and without ignoreregex, checkAllRegex off and
 * on. */
START_TEST(test_content_line)
{
  /* the last one sees the buffer's "\n" */
  const char *fail[] = {"^fail <HOST>$", "^fail (?:<HOST>|again)", "^<F-ID>last</F-ID> one\\n", NULL};
  const char *lines[] = {"2005-08-14 12:00:01 srv[12]: noise here",
                         "2005-08-14 12:00:02 srv[12]: fail 192.0.2.3",
                         "2005-08-14 12:00:03 srv[12]: fail 192.0.2.4 ignored",
                         "2005-08-14 12:00:04 other: fail 192.0.2.5",
                         "2005-08-14 12:00:05 srv[13]: last one"};
  for (guint c = 0; c < G_N_ELEMENTS(content_cases); c++) {
    g_autoptr(F2bFilter) f = mk(fail, content_cases[c].pref, content_cases[c].ign,
                                content_cases[c].maxlines, content_cases[c].check_all);
    g_autoptr(GString) got = g_string_new(NULL);
    for (guint i = 0; i < G_N_ELEMENTS(lines); i++)
      transcribe(f, lines[i], got);
    g_autofree char *what = g_strdup_printf("case %u", c);
    expect_transcript(got->str, content_cases[c].want, what);
  }
}
END_TEST

/* The ignoreregex searched before the prefregex (fewer of them than failregexes - 2)
 * returns before the prefregex: its last match, into an earlier line, stays. */
START_TEST(test_content_line_precheck)
{
  const char *fail[] = {"^a1 <HOST>$", "^a2 <HOST>$", "^a3 <HOST>$", "^a4 <HOST>$", NULL};
  const char *ign[] = {"noise", NULL};
  g_autoptr(F2bFilter) f = mk(fail, TAIL, ign, 1, FALSE);
  const char *lines[] = {"2005-08-14 12:00:01 srv[12]: a1 192.0.2.1",
                         "2005-08-14 12:00:02 srv[13]: quiet",
                         "2005-08-14 12:00:03 srv[14]: noise",
                         "2005-08-14 12:00:04 srv[15]: noise again",
                         "2005-08-14 12:00:05 srv[16]: a2 192.0.2.2"};
  g_autoptr(GString) got = g_string_new(NULL);
  for (guint i = 0; i < G_N_ELEMENTS(lines); i++)
    transcribe(f, lines[i], got);
  expect_transcript(got->str,
      "ret=[[0, '192.0.2.1', 1124020801.0, {'pid': '12', 'ip4': '192.0.2.1', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:01', ' srv[12]: a1 192.0.2.1')]}]]\n"
      "buf=[]\n"
      "pref={'pid': '12', 'content': 'a1 192.0.2.1'}\n"
      "ret=[]\n"
      "buf=[('', '', 'quiet')]\n"
      "pref={'pid': '13', 'content': 'quiet'}\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:03', ' srv[14]: noise')]\n"
      "pref={'pid': '13', 'content': 'quiet'}\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:04', ' srv[15]: noise again')]\n"
      "pref={'pid': '13', 'content': 'quiet'}\n"
      "ret=[[1, '192.0.2.2', 1124020805.0, {'pid': '16', 'ip4': '192.0.2.2', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:05', ' srv[16]: a2 192.0.2.2')]}]]\n"
      "buf=[]\n"
      "pref={'pid': '16', 'content': 'a2 192.0.2.2'}\n"
,
                    "precheck");
}
END_TEST

/* maxlines changes while the line buffer is a content line or empty: the next
 * line sees the buffer fail2ban has. */
START_TEST(test_content_line_maxlines_change)
{
  const char *fail[] = {"^\\s*user (?P<user>\\S+)\\n.*failed from <HOST>$", "^fail <HOST>$", NULL};
  g_autoptr(F2bFilter) f = mk(fail, TAIL, NULL, 1, FALSE);
  const char *lines[] = {"2005-08-14 12:00:01 srv[1]: user bob",
                         "2005-08-14 12:00:02 srv[1]: auth failed from 192.0.2.9",
                         "2005-08-14 12:00:03 srv[1]: user eve",
                         "2005-08-14 12:00:04 srv[1]: auth failed from 192.0.2.8",
                         "2005-08-14 12:00:05 srv[1]: more",
                         "2005-08-14 12:00:06 srv[1]: fail 192.0.2.7"};
  g_autoptr(GString) got = g_string_new(NULL);
  for (guint i = 0; i < G_N_ELEMENTS(lines); i++) {
    g_autoptr(GError) err = NULL;
    if (i == 2 || i == 5)
      ck_assert(f2b_filter_set_maxlines(f, i == 2 ? 3 : 1, &err));
    transcribe(f, lines[i], got);
  }
  expect_transcript(got->str,
      "ret=[]\n"
      "buf=[('', '', 'user bob')]\n"
      "pref={'pid': '1', 'content': 'user bob'}\n"
      "ret=[]\n"
      "buf=[('', '', 'auth failed from 192.0.2.9')]\n"
      "pref={'pid': '1', 'content': 'auth failed from 192.0.2.9'}\n"
      "ret=[]\n"
      "buf=[('', '', 'auth failed from 192.0.2.9'), ('', '2005-08-14 12:00:03', ' srv[1]: user eve')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '', 'auth failed from 192.0.2.9'), ('', '2005-08-14 12:00:03', ' srv[1]: user eve'), ('', '2005-08-14 12:00:04', ' srv[1]: auth failed from 192.0.2.8')]\n"
      "pref=None\n"
      "ret=[]\n"
      "buf=[('', '2005-08-14 12:00:03', ' srv[1]: user eve'), ('', '2005-08-14 12:00:04', ' srv[1]: auth failed from 192.0.2.8'), ('', '2005-08-14 12:00:05', ' srv[1]: more')]\n"
      "pref=None\n"
      "ret=[[1, '192.0.2.7', 1124020806.0, {'pid': '1', 'ip4': '192.0.2.7', 'ip6': None, 'dns': None, 'matches': [('', '2005-08-14 12:00:06', ' srv[1]: fail 192.0.2.7')]}]]\n"
      "buf=[]\n"
      "pref={'pid': '1', 'content': 'fail 192.0.2.7'}\n"
,
                    "maxlines change");
  /* an empty buffer (after the match) made an array again: still empty */
  g_autoptr(GError) err = NULL;
  ck_assert(f2b_filter_set_maxlines(f, 2, &err));
  expect_buffer(f, "[]");
  expect(f, "2005-08-14 12:00:07 srv[1]: user joe", "[]");
  expect_buffer(f, "[('', '', 'user joe')]");
  expect(f, "2005-08-14 12:00:08 srv[1]: fail 192.0.2.6", "[]");
  expect_buffer(f, "[('', '', 'user joe'), ('', '2005-08-14 12:00:08', ' srv[1]: fail 192.0.2.6')]");
}
END_TEST

/* The scan for the first byte that is not ASCII works in blocks (32, 16 bytes and
 * an overlapping last 16): a valid or invalid sequence at every offset of lines
 * of every length around those sizes, one or two of them, is found where it is. */
START_TEST(test_decode_every_offset)
{
  const char *seqs[] = {"\xc3\xa9", "\xff", "\xe2\x82", "\xf0\x9f\x98\x80"};
  const char *decoded[] = {"\xc3\xa9", "\xef\xbf\xbd", "\xef\xbf\xbd", "\xf0\x9f\x98\x80"};
  for (guint s = 0; s < G_N_ELEMENTS(seqs); s++) {
    for (gsize before = 0; before < 70; before++) {
      for (gsize after = 0; after < 40; after += (after < 18 ? 1 : 7)) {
        for (guint twice = 0; twice < 2; twice++) {
          g_autofree char *a = g_strnfill(before, 'a');
          g_autofree char *b = g_strnfill(after, 'b');
          const char *again = twice ? seqs[s] : "";
          g_autofree char *line = g_strconcat(a, seqs[s], b, again, NULL);
          g_autofree char *want = g_strconcat(a, decoded[s], b, twice ? decoded[s] : "", NULL);
          gsize len;
          gboolean replaced;
          g_autofree char *got = f2b_filter_decode_line(line, strlen(line), NULL, &len,
                                                        &replaced);
          ck_assert_msg(strcmp(got, want) == 0, "seq %u at %zu of %zu", s, before,
                        strlen(line));
          ck_assert_uint_eq(len, strlen(want));
          ck_assert(replaced == (strcmp(seqs[s], decoded[s]) != 0));
        }
      }
    }
  }
}
END_TEST

/* A line is searched as pure ASCII only when it is: "\w" takes a non-ASCII letter
 * at any offset (the ASCII-only code would not). */
START_TEST(test_ascii_line_every_offset)
{
  const char *fail[] = {"^\\s*\\w+ <HOST>$", NULL};
  g_autoptr(F2bFilter) f = mk(fail, NULL, NULL, 1, FALSE);
  for (gsize before = 0; before < 70; before++) {
    for (gsize after = 0; after < 40; after += (after < 18 ? 1 : 7)) {
      g_autofree char *a = g_strnfill(before, 'a');
      g_autofree char *b = g_strnfill(after, 'b');
      g_autofree char *line = g_strconcat("2005-08-14 12:00:01 ", a, "\xc3\xa9", b, " 192.0.2.1",
                                          NULL);
      g_autoptr(GError) err = NULL;
      g_autoptr(GPtrArray) ret = f2b_filter_process_line(f, line, strlen(line), &err);
      ck_assert_ptr_nonnull(ret);
      ck_assert_msg(ret->len == 1, "letter at %zu of %zu", before, strlen(line));
    }
  }
}
END_TEST

/* A line's block holds its date, prefix and rest in one piece or three: a date
 * inside the line, none (the last one borrowed), a date alone. */
START_TEST(test_line_parts)
{
  const char *fail[] = {"fail <HOST>$", NULL};
  g_autoptr(F2bFilter) f = mk(fail, NULL, NULL, 2, FALSE);
  expect(f, "srv 2005-08-14 12:00:01 fail 192.0.2.1",
         "[[0, '192.0.2.1', 1124020801.0, {'ip4': '192.0.2.1', 'ip6': None, 'dns': None, "
         "'matches': [('srv ', '2005-08-14 12:00:01', ' fail 192.0.2.1')]}]]");
  expect_buffer(f, "[]");
  expect(f, "no date fail 192.0.2.2",
         "[[0, '192.0.2.2', 1124020801.0, {'ip4': '192.0.2.2', 'ip6': None, 'dns': None, "
         "'matches': [('', '2005-08-14 12:00:01', 'no date fail 192.0.2.2')]}]]");
  expect(f, "srv 2005-08-14 12:00:03 x", "[]");
  expect_buffer(f, "[('srv ', '2005-08-14 12:00:03', ' x')]");
  expect(f, "2005-08-14 12:00:04", "[]");
  expect_buffer(f, "[('srv ', '2005-08-14 12:00:03', ' x'), ('', '2005-08-14 12:00:04', '')]");
}
END_TEST

Suite *filter_suite(void);

Suite *
filter_suite(void)
{
  Suite *s = suite_create("filter");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_mlfid_merge_and_forget);
  tcase_add_test(tc, test_lean_failures);
  tcase_add_test(tc, test_lean_same_failures);
  tcase_add_test(tc, test_lean_switch_empties_cache);
  tcase_add_test(tc, test_failure_is_nofail);
  tcase_add_test(tc, test_mlfid_gained);
  tcase_add_test(tc, test_mlfid_pending);
  tcase_add_test(tc, test_mlfid_cache_bounded);
  tcase_add_test(tc, test_mlfid_cache_eviction_order);
  tcase_add_test(tc, test_multiline_buffer);
  tcase_add_test(tc, test_line_blocks_reused);
  tcase_add_test(tc, test_several_failures_one_line);
  tcase_add_test(tc, test_failure_id_and_ip);
  tcase_add_test(tc, test_no_date);
  tcase_add_test(tc, test_find_time_and_operation);
  tcase_add_test(tc, test_time_callback);
  tcase_add_test(tc, test_ignoreregex);
  tcase_add_test(tc, test_prefregex_content);
  tcase_add_test(tc, test_content_line);
  tcase_add_test(tc, test_content_line_precheck);
  tcase_add_test(tc, test_content_line_maxlines_change);
  tcase_add_test(tc, test_usedns);
  tcase_add_test(tc, test_settings_errors);
  tcase_add_test(tc, test_line_parts);
  tcase_add_test(tc, test_decode_line);
  tcase_add_test(tc, test_decode_every_offset);
  tcase_add_test(tc, test_ascii_line_every_offset);
  tcase_add_test(tc, test_hostile_lines);
  tcase_add_test(tc, test_process_tuple);
  tcase_add_test(tc, test_process_into);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  g_setenv("TZ", "UTC", TRUE);
  tzset();
  return f2b_check_run(filter_suite());
}

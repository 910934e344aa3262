/* test-lazyjit.c - fail2ban-c/lazyjit.c: interpreted first, JIT after F2B_LAZYJIT_AFTER
 * searches or for a long subject or a resource limit, same offsets either way. */
#include <check.h>
#include <string.h>

#include "check-main.h"
#include "lazyjit.h"

static pcre2_code *
compile(const char *pattern)
{
  int err;
  PCRE2_SIZE off;
  pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
  ck_assert_ptr_nonnull(code);
  return code;
}

static gboolean
jit_available(void)
{
  guint32 jit = 0;
  return pcre2_config(PCRE2_CONFIG_JIT, &jit) >= 0 && jit;
}

/* Searches SUBJECT and returns "rc:s0-e0,s1-e1,..." for comparison. */
static char *
search(F2bLazyJit *lj, pcre2_code *code, pcre2_match_data *md, pcre2_match_context *mctx,
       const char *subject, gsize len, gsize start)
{
  int rc = f2b_lazyjit_match(lj, code, (PCRE2_SPTR)subject, len, start, md, mctx);
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "%d:", rc);
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
  for (int i = 0; i < rc; i++)
    g_string_append_printf(out, "%s%zd-%zd", i ? "," : "", ov[2 * i] == PCRE2_UNSET ? (gssize)-1 : (gssize)ov[2 * i],
                           ov[2 * i] == PCRE2_UNSET ? (gssize)-1 : (gssize)ov[2 * i + 1]);
  return g_string_free(out, FALSE);
}

START_TEST(test_interpreted_then_jit)
{
  pcre2_code *code = compile("fail (\\d+)(x)? from (\\S+)");
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
  F2bLazyJit lj;
  f2b_lazyjit_init(&lj, 0);
  const char *line = "a fail 12 from 192.0.2.1";
  for (guint i = 0; i < F2B_LAZYJIT_AFTER; i++) {
    g_autofree char *got = search(&lj, code, md, NULL, line, strlen(line), 0);
    ck_assert_str_eq(got, "4:2-24,7-9,-1--1,15-24");
    ck_assert(!lj.compiled);
  }
  /* no match and a start offset, still interpreted: counted too */
  ck_assert_uint_eq(lj.searches, F2B_LAZYJIT_AFTER);
  g_autofree char *busy = search(&lj, code, md, NULL, line, strlen(line), 3);
  ck_assert_str_eq(busy, "-1:");
  ck_assert(lj.compiled);
  ck_assert(lj.jit == jit_available());
  g_autofree char *again = search(&lj, code, md, NULL, line, strlen(line), 0);
  ck_assert_str_eq(again, "4:2-24,7-9,-1--1,15-24");
  f2b_lazyjit_clear(&lj);
  pcre2_match_data_free(md);
  pcre2_code_free(code);
}
END_TEST

START_TEST(test_invalid_utf8_interpreted)
{
  pcre2_code *code = compile("\\w+ (\\d+)$");
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
  F2bLazyJit lj;
  f2b_lazyjit_init(&lj, 0);
  const char line[] = "a\xff" "b\0 x 42";
  g_autofree char *got = search(&lj, code, md, NULL, line, sizeof line - 1, 0);
  ck_assert_str_eq(got, "2:5-9,7-9"); /* "x 42": the bad byte and the NUL are no word */
  ck_assert(!lj.compiled);
  f2b_lazyjit_clear(&lj);
  pcre2_match_data_free(md);
  pcre2_code_free(code);
}
END_TEST

START_TEST(test_long_subject_goes_jit)
{
  pcre2_code *code = compile("from (\\S+)$");
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
  F2bLazyJit lj;
  f2b_lazyjit_init(&lj, 1024 * 1024);
  pcre2_match_context *mctx = pcre2_match_context_create(NULL);
  GString *big = g_string_new(NULL);
  while (big->len < F2B_LAZYJIT_LONG_SUBJECT)
    g_string_append(big, "filler ");
  g_string_append(big, "from 192.0.2.1");
  g_autofree char *got = search(&lj, code, md, mctx, big->str, big->len, 0);
  g_autofree char *want = g_strdup_printf("2:%zu-%zu,%zu-%zu", big->len - 14, big->len,
                                          big->len - 9, big->len);
  ck_assert_str_eq(got, want);
  ck_assert(lj.compiled);
  ck_assert_uint_eq(lj.searches, 0);
  ck_assert(jit_available() == (lj.stack != NULL));
  /* idempotent */
  ck_assert(f2b_lazyjit_compile(&lj, code, mctx) == lj.jit);
  g_string_free(big, TRUE);
  f2b_lazyjit_clear(&lj);
  ck_assert_ptr_null(lj.stack);
  pcre2_match_context_free(mctx);
  pcre2_match_data_free(md);
  pcre2_code_free(code);
}
END_TEST

/* A search the interpreter stops on its limit is answered by the JIT code, the
 * engine every search used before: the same answer a JIT-only run gives. */
START_TEST(test_limit_retried_with_jit)
{
  const char *evil = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
  pcre2_code *code = compile("^(\\w+\\s?)+$");
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
  pcre2_match_context *mctx = pcre2_match_context_create(NULL);
  pcre2_set_match_limit(mctx, 100000);
  pcre2_set_depth_limit(mctx, 100000);
  F2bLazyJit lj;
  f2b_lazyjit_init(&lj, 1024 * 1024);
  int rc = f2b_lazyjit_match(&lj, code, (PCRE2_SPTR)evil, strlen(evil), 0, md, mctx);
  ck_assert(lj.compiled);
  ck_assert_uint_eq(lj.searches, 1);
  /* the reference: the same pattern JIT-compiled from the start */
  pcre2_code *ref = compile("^(\\w+\\s?)+$");
  pcre2_jit_compile(ref, PCRE2_JIT_COMPLETE);
  int want = pcre2_match(ref, (PCRE2_SPTR)evil, strlen(evil), 0, 0, md, mctx);
  ck_assert_int_eq(rc, want);
  ck_assert_int_eq(rc, PCRE2_ERROR_MATCHLIMIT);
  pcre2_code_free(ref);
  f2b_lazyjit_clear(&lj);
  pcre2_match_context_free(mctx);
  pcre2_match_data_free(md);
  pcre2_code_free(code);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("lazyjit");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_interpreted_then_jit);
  tcase_add_test(tc, test_invalid_utf8_interpreted);
  tcase_add_test(tc, test_long_subject_goes_jit);
  tcase_add_test(tc, test_limit_retried_with_jit);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

/* fuzz-failregex.c - failregex compilation (tags, Python re to PCRE2) and
 * matching.
 *
 * Input: a flags byte, the regex (Python re syntax with fail2ban's tags) up
 * to a NUL byte, then log lines separated by "\n".  The regex is compiled
 * as a plain Regex and as a FailRegex; refusals must carry an error of the
 * module's domain, and the diagnostic hint must not crash on anything.  A
 * regex that compiles is searched on the lines' buffer (with a small match
 * limit) and every accessor of the match is called; on an ASCII buffer the
 * byte-mode search must find exactly what the UTF-8 search finds. */
#include <stdlib.h>

#include "failregex.h"
#include "pystr.h"
#include "fuzz.h"

static GArray *
split_lines(const uint8_t *data, size_t size, size_t pos)
{
  GArray *lines = g_array_new(FALSE, TRUE, sizeof(F2bRegexLine));
  const char *text;
  size_t len;
  while (f2b_fuzz_next(data, size, &pos, '\n', &text, &len)) {
    /* a "|" splits a line into prefix and rest, as a date would */
    const char *bar = memchr(text, '|', len);
    F2bRegexLine l = { text, bar ? (gsize)(bar - text) : 0, "", 0, bar ? bar + 1 : text,
                       bar ? len - (gsize)(bar + 1 - text) : len };
    g_array_append_val(lines, l);
  }
  return lines;
}

static void
inspect(F2bRegexMatch *m)
{
  gsize start, end, n;
  f2b_regex_match_bounds(m, &start, &end);
  if (start > end || end > f2b_regex_match_subject(m).len)
    abort();
  const GArray *groups = f2b_regex_match_groups(m);
  for (guint i = 0; i < groups->len; i++)
    if (g_array_index(groups, F2bRegexGroup, i).name == NULL)
      abort();
  F2bRegexSpan value;
  g_autoptr(GError) error = NULL;
  if (!f2b_regex_match_failure_id(m, NULL, &value, NULL, &error))
    g_clear_error(&error);
  if (!f2b_regex_match_host(m, &value, &error))
    g_clear_error(&error);
  g_autoptr(F2bIPAddr) ip = f2b_regex_match_ip(m, &error);
  f2b_regex_match_matched_lines(m, &n);
  f2b_regex_match_unmatched_lines(m, &n);
  f2b_regex_match_skipped_lines(m);
}

static void
search(F2bRegex *re, const GArray *lines)
{
  const F2bRegexLine *org = (const F2bRegexLine *)lines->data;
  g_autoptr(GString) buf = f2b_failregex_lines_buffer(org, lines->len);
  f2b_failregex_set_match_limit(re, 100000);
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bRegexMatch) m = f2b_failregex_search(re, buf->str, buf->len, org, lines->len, &error);
  if (m == NULL && error != NULL && error->domain != F2B_FAILREGEX_ERROR)
    abort();
  if (m != NULL)
    inspect(m);
  if (error != NULL || !f2b_pystr_is_ascii(buf->str, buf->len))
    return;
  g_autoptr(F2bRegexMatch) a = f2b_failregex_search_full(re, buf->str, buf->len, TRUE, org, lines->len, &error);
  if (error != NULL)
    return; /* the byte-mode search may hit the limit at another point */
  if ((a == NULL) != (m == NULL))
    abort();
  if (a != NULL) {
    gsize s1, e1, s2, e2;
    f2b_regex_match_bounds(m, &s1, &e1);
    f2b_regex_match_bounds(a, &s2, &e2);
    if (s1 != s2 || e1 != e2)
      abort();
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  F2bFailRegexFlags flags = data[0] & (F2B_FAILREGEX_MULTILINE | F2B_FAILREGEX_USEDNS_NO);
  size_t pos = 1;
  const char *regex;
  size_t regex_len;
  if (!f2b_fuzz_next(data, size, &pos, '\0', &regex, &regex_len))
    return 0;
  g_autofree char *text = g_strndup(regex, regex_len);
  g_autofree char *tags = f2b_failregex_resolve_tags(text, flags);
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bRegex) re = f2b_failregex_new(text, flags, &error);
  if (re == NULL && (error == NULL || error->domain != F2B_FAILREGEX_ERROR))
    abort();
  g_clear_error(&error);
  g_autoptr(F2bRegex) fail = f2b_failregex_new_fail(text, NULL, flags, &error);
  if (fail == NULL && (error == NULL || error->domain != F2B_FAILREGEX_ERROR))
    abort();
  g_free(f2b_failregex_hint(text));
  if (re == NULL)
    return 0;
  if (f2b_failregex_get_regex(re) == NULL || f2b_failregex_get_pcre2_pattern(re) == NULL)
    abort();
  g_autoptr(GArray) lines = split_lines(data, size, pos);
  search(re, lines);
  if (fail != NULL)
    search(fail, lines);
  return 0;
}

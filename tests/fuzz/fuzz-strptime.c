/* fuzz-strptime.c - a custom datepattern (fail2ban's % codes) on log lines,
 * the logtimezone parser, and the conversion of date fields into a time.
 *
 * Input: "datepattern\nlogtimezone\nline\nline...".  The pattern is set on
 * a detector (refused patterns must give an error of the module's domain
 * and leave the detector usable); the zone is parsed, and set when it
 * parses; each line is matched.  Then the lines are read again as
 * "name=value" date fields (%Y as "Y=2024", %b as "b=Feb" ...) and
 * converted directly, which reaches the field checks whatever the regexes
 * let through. */
#include <stdlib.h>

#include "datedetect.h"
#include "fuzz.h"
#include "strptime.h"

static void
match_lines(F2bDateDetector *dd, const uint8_t *data, size_t size, size_t pos)
{
  const char *line;
  size_t len;
  double now = 1700000000.0;
  while (f2b_fuzz_next(data, size, &pos, '\n', &line, &len)) {
    F2bDateMatch m;
    f2b_datedetect_match(dd, line, len, now, &m);
    if (m.status != F2B_DATE_NONE && m.status != F2B_DATE_ERROR && (m.start > m.end || m.end > len))
      abort();
    now += 3600.0;
  }
}

static void
convert_fields(const uint8_t *data, size_t size, size_t pos, const int *tz)
{
  g_autoptr(GArray) groups = g_array_new(FALSE, FALSE, sizeof(F2bStrptimeGroup));
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *line;
  size_t len;
  while (f2b_fuzz_next(data, size, &pos, '\n', &line, &len)) {
    const char *eq = memchr(line, '=', len);
    char *name = g_strndup(line, eq ? (size_t)(eq - line) : len);
    g_ptr_array_add(names, name);
    /* "name" alone: a group that did not take part in the match */
    F2bStrptimeGroup g = { name, eq ? eq + 1 : NULL, eq ? len - (size_t)(eq + 1 - line) : 0 };
    g_array_append_val(groups, g);
  }
  double when;
  g_autoptr(GError) error = NULL;
  if (!f2b_strptime_groups_to_time((const F2bStrptimeGroup *)groups->data, groups->len, 1700000000.0,
                                   tz, &when, &error) &&
      (error == NULL || error->domain != F2B_STRPTIME_ERROR))
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  size_t pos = 0;
  const char *pattern, *zone;
  size_t pattern_len, zone_len;
  if (!f2b_fuzz_next(data, size, &pos, '\n', &pattern, &pattern_len) ||
      !f2b_fuzz_next(data, size, &pos, '\n', &zone, &zone_len))
    return 0;
  g_autofree char *pattern_text = g_strndup(pattern, pattern_len);
  g_autofree char *zone_text = g_strndup(zone, zone_len);
  g_autoptr(F2bDateDetector) dd = f2b_datedetect_new(1700000000.0);
  g_autoptr(GError) error = NULL;
  gboolean has_pattern = f2b_datedetect_set_pattern(dd, pattern_text, &error);
  if (!has_pattern && (error == NULL || error->domain != F2B_DATEDETECT_ERROR))
    abort();
  g_clear_error(&error);
  int minutes = 0;
  gboolean has_zone = f2b_strptime_parse_timezone(zone, zone_len, &minutes, &error);
  if (!has_zone && (error == NULL || error->domain != F2B_STRPTIME_ERROR))
    abort();
  g_clear_error(&error);
  if (zone_len > 0 && !f2b_datedetect_set_timezone(dd, zone_text, &error) && error == NULL)
    abort();
  /* without a pattern the detector has the default templates, whose
   * compilation is slow and which fuzz-datedetect covers */
  if (has_pattern && pattern_text[0] != '\0')
    match_lines(dd, data, size, pos);
  convert_fields(data, size, pos, has_zone ? &minutes : NULL);
  return 0;
}

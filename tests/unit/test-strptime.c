/* test-strptime.c - fail2ban's % codes, zone parsing, Python int() and the
 * conversion of date fields into a time stamp.
 *
 * Expected values follow fail2ban 1.0.2 with TZ=CET-01CEST-02,M3.5.0,M10.5.0
 * and now = 2005-08-14 12:00 CEST (its test settings). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "check-main.h"
#include <pcre2.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "strptime.h"

#define TEST_NOW 1124013600.0

START_TEST(test_year_regex)
{
  static const struct {
    int wall, y2001;
    const char *want;
  } cases[] = {
    { 2026, 2001, "(?P<Y>20[012]\\d)" },
    { 2005, 2001, "(?P<Y>200\\d)" },
    { 2028, 2001, "(?P<Y>20[0123]\\d)" },
    { 2026, 2000, "(?P<Y>(?:199|200|201|202)\\d)" }, /* zones west of UTC */
    { 2097, 2001, "(?P<Y>2(?:00|01|02|03|04|05|06|07|08|09|10)\\d)" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *re = f2b_strptime_year_regex(cases[i].wall, cases[i].y2001);
    ck_assert_str_eq(re, cases[i].want);
  }
}
END_TEST

/* The table of accepted centuries says what the %ExY expression matches: for
 * every four-digit year, a whole match exactly when the table has it (and no
 * shorter match, as the table stands for four digits). */
START_TEST(test_year_centuries)
{
  static const int walls[][2] = { { 2026, 2001 }, { 2005, 2001 }, { 2026, 2000 },
                                  { 2097, 2001 }, { 1999, 2001 }, { 9999, 2001 } };
  for (gsize w = 0; w < G_N_ELEMENTS(walls); w++) {
    guint8 table[1000];
    ck_assert(f2b_strptime_year_centuries(walls[w][0], walls[w][1], table));
    g_autofree char *re = f2b_strptime_year_regex(walls[w][0], walls[w][1]);
    g_autofree char *anchored = g_strconcat("^", re, NULL);
    int err;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR) anchored, PCRE2_ZERO_TERMINATED, 0, &err, &off,
                                     NULL);
    ck_assert_ptr_nonnull(code);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    guint accepted = 0;
    for (int year = 0; year < 10000; year++) {
      char text[8];
      g_snprintf(text, sizeof text, "%04d", year);
      int rc = pcre2_match(code, (PCRE2_SPTR) text, 4, 0, 0, md, NULL);
      gboolean whole = rc >= 0 && pcre2_get_ovector_pointer(md)[1] == 4;
      ck_assert_msg(whole == (rc >= 0), "%s matches a part of %s", re, text);
      ck_assert_msg(whole == (table[year / 10] != 0), "%s on %s: table says %d", re, text,
                    table[year / 10]);
      accepted += whole;
    }
    ck_assert_uint_gt(accepted, 0);
    pcre2_match_data_free(md);
    pcre2_code_free(code);
  }
  /* centuries of a year before 100 are not three digits: no table */
  guint8 table[1000];
  ck_assert(!f2b_strptime_year_centuries(50, 2001, table));
  ck_assert(!f2b_strptime_year_centuries(2026, 10, table));
}
END_TEST

START_TEST(test_codes_table)
{
  F2bStrptimeCode *codes = f2b_strptime_codes_new(2026, 2001);
  gsize n = 0;
  gboolean saw_exy = FALSE;
  for (F2bStrptimeCode *c = codes; c->code; c++, n++) {
    if (strcmp(c->code, "ExY") == 0) {
      ck_assert_str_eq(c->regex, "(?P<Y>20[012]\\d)");
      ck_assert_str_eq(c->display, "ExYear");
      saw_exy = TRUE;
    }
    /* "Ex" codes must come before "E"-less ones that share no prefix issue */
    if (n < 11)
      ck_assert(g_str_has_prefix(c->code, "Ex"));
  }
  ck_assert(saw_exy);
  ck_assert_uint_eq(n, 40);
  f2b_strptime_codes_free(codes);
}
END_TEST

START_TEST(test_parse_int)
{
  static const struct {
    const char *text;
    gboolean ok;
    gint64 value;
  } cases[] = {
    { "42", TRUE, 42 }, { " 5", TRUE, 5 }, { "+07", TRUE, 7 }, { "-12", TRUE, -12 },
    { "1_000", TRUE, 1000 }, { "\xd9\xa2\xd9\xa0", TRUE, 20 }, /* Arabic-Indic digits */
    { "\xe2\x80\x83" "9\t", TRUE, 9 }, { "", FALSE, 0 }, { "_1", FALSE, 0 }, { "1__0", FALSE, 0 },
    { "1_", FALSE, 0 }, { "x", FALSE, 0 }, { "1 2", FALSE, 0 }, { "99999999999999999999", FALSE, 0 },
    { "\xff", FALSE, 0 }, { " 7 ", TRUE, 7 }, { "\t\n08\r", TRUE, 8 }, { " ", FALSE, 0 },
    { "007", TRUE, 7 }, { "123456789012345678", TRUE, 123456789012345678 }, { "1\x1c", FALSE, 0 },
    { "3\xc2\xa0", TRUE, 3 }, { "4a", FALSE, 0 }, { " -3", TRUE, -3 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    gint64 v = -1;
    gboolean ok = f2b_strptime_parse_int(cases[i].text, strlen(cases[i].text), &v);
    ck_assert_msg(ok == cases[i].ok, "'%s'", cases[i].text);
    if (ok)
      ck_assert_int_eq(v, cases[i].value);
  }
}
END_TEST

START_TEST(test_parse_timezone)
{
  static const struct {
    const char *tz;
    int minutes;
  } good[] = {
    { "UTC", 0 }, { "Z", 0 }, { "GMT", 0 }, { "", 0 }, { "+0200", 120 }, { "-0130", -90 },
    { "+02", 120 }, { "-03:30", -210 }, { "UTC+0200", 120 }, { "GMT-03", -180 }, { "CET", 60 },
    { "CEST", 120 }, { "EST+01:30", -210 }, { "NPT", 345 }, { "A", 60 }, { "UTC\n", 0 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    int m = -9999;
    g_autoptr(GError) error = NULL;
    ck_assert_msg(f2b_strptime_parse_timezone(good[i].tz, strlen(good[i].tz), &m, &error), "%s: %s",
                  good[i].tz, error ? error->message : "");
    ck_assert_int_eq(m, good[i].minutes);
  }
  static const char *const bad[] = { "GMT-3", "ABC", "UTC+2", "Europe/Paris", "+0200 ", "cet",
                                     "PT", "ChST", "ABCDEF", "+2000", "+02:0", "UTC+" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    int m = 0;
    g_autoptr(GError) error = NULL;
    ck_assert_msg(!f2b_strptime_parse_timezone(bad[i], strlen(bad[i]), &m, &error), "%s", bad[i]);
    ck_assert(g_error_matches(error, F2B_STRPTIME_ERROR, F2B_STRPTIME_ERROR_BAD_TIMEZONE));
    ck_assert_ptr_nonnull(strstr(error->message, bad[i]));
  }
}
END_TEST

#define G(n, v) { n, v, sizeof(v) - 1 }
#define UNSET(n) { n, NULL, 0 }

START_TEST(test_month_and_day_names)
{
  int utc = 0;
  double t = 0;
  static const char *const ok[] = { "Feb", "FEB", "feb", "fEb" };
  for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
    F2bStrptimeGroup g[] = { G("Y", "2005"), G("b", ok[i]), G("d", "2") };
    ck_assert_msg(f2b_strptime_groups_to_time(g, 3, TEST_NOW, &utc, &t, NULL), "%s", ok[i]);
    ck_assert_double_eq(t, 1107302400);
  }
  F2bStrptimeGroup full[] = { G("Y", "2005"), G("B", "February"), G("d", "2"), G("A", "WEDNESDAY") };
  ck_assert(f2b_strptime_groups_to_time(full, 4, TEST_NOW, &utc, &t, NULL));
  ck_assert_double_eq(t, 1107302400);
  static const char *const bad[] = { "Fe", "Febr", "", "F\xc3\xa9" "b", "Fe\x01" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    F2bStrptimeGroup g[] = { G("Y", "2005"), G("b", bad[i]), G("d", "2") };
    ck_assert_msg(!f2b_strptime_groups_to_time(g, 3, TEST_NOW, &utc, &t, NULL), "%s", bad[i]);
  }
}
END_TEST

START_TEST(test_groups_to_time)
{
  double t = 0;
  F2bStrptimeGroup full[] = { G("Y", "2005"), G("m", "01"), G("d", "23"), G("H", "21"), G("M", "59"),
                              G("S", "59"), G("f", "981746"), UNSET("z") };
  ck_assert(f2b_strptime_groups_to_time(full, G_N_ELEMENTS(full), TEST_NOW, NULL, &t, NULL));
  ck_assert_double_eq(t, 1106513999); /* sub-seconds dropped, local zone */
  int utc = 0;
  ck_assert(f2b_strptime_groups_to_time(full, G_N_ELEMENTS(full), TEST_NOW, &utc, &t, NULL));
  ck_assert_double_eq(t, 1106517599);

  /* the later of y/Y wins; y is 2000 + yy */
  F2bStrptimeGroup years[] = { G("Y", "1999"), G("y", "05"), G("m", "1"), G("d", "2") };
  ck_assert(f2b_strptime_groups_to_time(years, 4, TEST_NOW, &utc, &t, NULL));
  ck_assert_double_eq(t, 1104624000);

  /* %I without %p is AM; 12 AM is midnight */
  F2bStrptimeGroup twelve[] = { G("Y", "2005"), G("m", "1"), G("d", "2"), G("I", "12") };
  ck_assert(f2b_strptime_groups_to_time(twelve, 4, TEST_NOW, &utc, &t, NULL));
  ck_assert_double_eq(t, 1104624000);
  F2bStrptimeGroup pm[] = { G("Y", "2005"), G("m", "1"), G("d", "2"), G("I", "1"), G("p", "PM") };
  ck_assert(f2b_strptime_groups_to_time(pm, 5, TEST_NOW, &utc, &t, NULL));
  ck_assert_double_eq(t, 1104670800);
  /* an AM/PM group that did not match is an error in fail2ban */
  F2bStrptimeGroup nopm[] = { G("Y", "2005"), G("m", "1"), G("d", "2"), G("I", "1"), UNSET("p") };
  ck_assert(!f2b_strptime_groups_to_time(nopm, 5, TEST_NOW, &utc, &t, NULL));

  /* nothing but a time: today, or yesterday when later than now */
  F2bStrptimeGroup later[] = { G("H", "12"), G("M", "00"), G("S", "01") };
  ck_assert(f2b_strptime_groups_to_time(later, 3, TEST_NOW, NULL, &t, NULL));
  ck_assert_double_eq(t, TEST_NOW + 1 - 86400);

  /* year inference keeps the parsed day but the zone-shifted time of day */
  F2bStrptimeGroup shifted[] = { G("m", "8"), G("d", "16"), G("H", "00"), G("M", "30"), G("z", "+0100") };
  ck_assert(f2b_strptime_groups_to_time(shifted, 5, TEST_NOW, NULL, &t, NULL));
  ck_assert_double_eq(t, 1092699000); /* 2004-08-16 23:30 UTC */
}
END_TEST

/* One conversion of "YYYY-MM-DD HH:MM:SS" (local zone) with CACHE (may be NULL). */
static double
local_stamp(int y, int mo, int d, int h, int mi, int sec, double now, F2bStrptimeCache *cache)
{
  char text[6][8];
  const char *names[6] = { "Y", "m", "d", "H", "M", "S" };
  int values[6] = { y, mo, d, h, mi, sec };
  F2bStrptimeGroup groups[6];
  for (int i = 0; i < 6; i++) {
    g_snprintf(text[i], sizeof text[i], "%d", values[i]);
    groups[i] = (F2bStrptimeGroup) { names[i], text[i], strlen(text[i]) };
  }
  double t = -1;
  ck_assert(f2b_strptime_groups_to_time_cached(groups, 6, now, NULL, cache, &t, NULL));
  return t;
}

static void
check_cached(const int day[3], int h, int mi, int sec, F2bStrptimeCache *cache)
{
  double plain = local_stamp(day[0], day[1], day[2], h, mi, sec, TEST_NOW, NULL);
  double cached = local_stamp(day[0], day[1], day[2], h, mi, sec, TEST_NOW, cache);
  if (day[1] == 10 && day[2] == 30 && h == 1) {
    double utc = 1130630400 + mi * 60 + sec; /* 2005-10-30 00:mi:sec UTC */
    ck_assert(cached == utc || cached == utc - 3600);
  } else {
    ck_assert_double_eq(cached, plain);
  }
}

/* The zone cache gives mktime()'s answers, also on both days the zone changes
 * (the skipped and the repeated hour), whatever order the times come in.  In the
 * repeated hour (01:00-02:00 on 2005-10-30 in this zone) mktime() itself answers
 * either offset depending on its previous calls: there the test only asks for one
 * of the two. */
START_TEST(test_groups_to_time_cached)
{
  static const int days[][3] = { { 2005, 3, 26 }, { 2005, 3, 27 }, { 2005, 10, 29 },
                                 { 2005, 10, 30 } };
  F2bStrptimeCache forward = F2B_STRPTIME_CACHE_INIT, backward = F2B_STRPTIME_CACHE_INIT;
  for (guint k = 0; k < G_N_ELEMENTS(days); k++) {
    for (int m = 0; m < 24 * 60; m += 7) {
      int h = m / 60, mi = m % 60, rev = 24 * 60 - 1 - m;
      check_cached(days[k], h, mi, 30, &forward);
      check_cached(days[k], rev / 60, rev % 60, 5, &backward);
    }
  }
  /* a known answer on each side of the spring change: 01:59:30 CET, 03:00:30 CEST */
  F2bStrptimeCache c = F2B_STRPTIME_CACHE_INIT;
  ck_assert_double_eq(local_stamp(2005, 3, 27, 1, 59, 30, TEST_NOW, &c), 1111885170);
  ck_assert_double_eq(local_stamp(2005, 3, 27, 3, 0, 30, TEST_NOW, &c), 1111885230);
  ck_assert_double_eq(local_stamp(2005, 3, 27, 1, 0, 30, TEST_NOW, &c), 1111881630);
  /* "now" changes: the year of a year-less stamp follows it */
  F2bStrptimeGroup md[] = { G("m", "1"), G("d", "2"), G("H", "3") };
  double t = 0;
  ck_assert(f2b_strptime_groups_to_time_cached(md, 3, 1104624000.0 + 86400 * 5, NULL, &c, &t, NULL));
  ck_assert_double_eq(t, 1104631200); /* 2005-01-02 03:00 CET */
  ck_assert(f2b_strptime_groups_to_time_cached(md, 3, 1104624000.0 + 86400 * 370, NULL, &c, &t,
                                               NULL));
  ck_assert_double_eq(t, 1104631200 + 365 * 86400.0); /* 2006 */
}
END_TEST

/* Logs run forward an hour after the other: the cache takes each next hour from
 * the one before (fewer mktime() calls), and must still give mktime()'s answers
 * over a whole year, both zone changes included, and in a zone with other rules. */
START_TEST(test_cached_hours_forward)
{
  static const char *const zones[] = { "CET-01CEST-02,M3.5.0,M10.5.0",
                                       "EST+05EDT,M3.2.0/2,M11.1.0/2", "UTC0" };
  static const int repeated_day[][2] = { { 10, 30 }, { 11, 6 }, { 0, 0 } };
  for (gsize z = 0; z < G_N_ELEMENTS(zones); z++) {
    g_setenv("TZ", zones[z], TRUE);
    tzset();
    F2bStrptimeCache c = F2B_STRPTIME_CACHE_INIT;
    for (int yday = 0; yday < 365; yday++) {
      GDate *date = g_date_new_dmy(1, G_DATE_JANUARY, 2005);
      g_date_add_days(date, (guint) yday);
      int day[3] = { g_date_get_year(date), g_date_get_month(date), g_date_get_day(date) };
      g_date_free(date);
      for (int h = 0; h < 24; h++) {
        for (int mi = 0; mi < 60; mi += 59) {
          double plain = local_stamp(day[0], day[1], day[2], h, mi, 59, TEST_NOW, NULL);
          double cached = local_stamp(day[0], day[1], day[2], h, mi, 59, TEST_NOW, &c);
          /* in the repeated hour (01:00-02:00 of the autumn change in both zones)
           * mktime() itself answers either offset, depending on its last calls */
          gboolean repeated = h == 1 && day[1] == repeated_day[z][0] && day[2] == repeated_day[z][1];
          ck_assert_msg(cached == plain || (repeated && fabs(cached - plain) == 3600),
                        "%s %d-%d-%d %d:%d:59: %.0f, mktime() says %.0f", zones[z], day[0],
                        day[1], day[2], h, mi, cached, plain);
        }
      }
    }
  }
  g_setenv("TZ", "CET-01CEST-02,M3.5.0,M10.5.0", TRUE);
  tzset();
}
END_TEST

START_TEST(test_groups_errors)
{
  double t = 0;
  g_autoptr(GError) error = NULL;
  F2bStrptimeGroup bad_day[] = { G("Y", "2005"), G("m", "02"), G("d", "29") };
  ck_assert(!f2b_strptime_groups_to_time(bad_day, 3, TEST_NOW, NULL, &t, &error));
  ck_assert(g_error_matches(error, F2B_STRPTIME_ERROR, F2B_STRPTIME_ERROR_BAD_VALUE));
  g_clear_error(&error);
  F2bStrptimeGroup bad_num[] = { G("Y", "20x5"), G("m", "02"), G("d", "2") };
  ck_assert(!f2b_strptime_groups_to_time(bad_num, 3, TEST_NOW, NULL, &t, &error));
  ck_assert_ptr_nonnull(strstr(error->message, "20x5"));
  g_clear_error(&error);
  F2bStrptimeGroup bad_month[] = { G("Y", "2005"), G("b", "Foo"), G("d", "2") };
  ck_assert(!f2b_strptime_groups_to_time(bad_month, 3, TEST_NOW, NULL, &t, &error));
  g_clear_error(&error);
  F2bStrptimeGroup year0[] = { G("Y", "0000"), G("m", "1"), G("d", "1") };
  ck_assert(!f2b_strptime_groups_to_time(year0, 3, TEST_NOW, NULL, &t, &error));
  g_clear_error(&error);
  F2bStrptimeGroup edge[] = { G("Y", "0001"), G("m", "1"), G("d", "1"), G("z", "+0100") };
  ck_assert(!f2b_strptime_groups_to_time(edge, 4, TEST_NOW, NULL, &t, &error)); /* before year 1 */
  g_clear_error(&error);
  F2bStrptimeGroup zone[] = { G("Y", "2005"), G("m", "1"), G("d", "1"), G("Z", "ABC") };
  ck_assert(!f2b_strptime_groups_to_time(zone, 4, TEST_NOW, NULL, &t, &error));
  ck_assert(g_error_matches(error, F2B_STRPTIME_ERROR, F2B_STRPTIME_ERROR_BAD_TIMEZONE));
  g_clear_error(&error);
  F2bStrptimeGroup leap_back[] = { G("m", "2"), G("d", "29"), G("H", "1") };
  /* now in 2005: Feb 29 2005 does not exist */
  ck_assert(!f2b_strptime_groups_to_time(leap_back, 3, TEST_NOW, NULL, &t, &error));
}
END_TEST

START_TEST(test_week_and_yearday)
{
  double t = 0;
  int utc = 0;
  F2bStrptimeGroup week[] = { G("Y", "2005"), G("U", "03"), G("w", "0") };
  ck_assert(f2b_strptime_groups_to_time(week, 3, TEST_NOW, &utc, &t, NULL));
  ck_assert_double_eq(t, 1105833600); /* Sunday 2005-01-16 */
  F2bStrptimeGroup mweek[] = { G("Y", "2005"), G("W", "03"), G("A", "Monday") };
  ck_assert(f2b_strptime_groups_to_time(mweek, 3, TEST_NOW, &utc, &t, NULL));
  ck_assert_double_eq(t, 1105920000); /* Monday 2005-01-17 */
  F2bStrptimeGroup yday[] = { G("Y", "2004"), G("j", "366") };
  ck_assert(f2b_strptime_groups_to_time(yday, 2, TEST_NOW, &utc, &t, NULL));
  ck_assert_double_eq(t, 1104451200); /* 2004-12-31 */
  /* with month and day given, %j is ignored */
  F2bStrptimeGroup both[] = { G("Y", "2004"), G("j", "366"), G("m", "1"), G("d", "1") };
  ck_assert(f2b_strptime_groups_to_time(both, 4, TEST_NOW, &utc, &t, NULL));
  ck_assert_double_eq(t, 1072915200);
}
END_TEST

int
main(void)
{
  g_setenv("TZ", "CET-01CEST-02,M3.5.0,M10.5.0", TRUE);
  tzset();
  Suite *s = suite_create("strptime");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_year_regex);
  tcase_add_test(tc, test_year_centuries);
  tcase_add_test(tc, test_codes_table);
  tcase_add_test(tc, test_parse_int);
  tcase_add_test(tc, test_parse_timezone);
  tcase_add_test(tc, test_month_and_day_names);
  tcase_add_test(tc, test_groups_to_time);
  tcase_add_test(tc, test_groups_to_time_cached);
  tcase_add_test(tc, test_cached_hours_forward);
  tcase_add_test(tc, test_groups_errors);
  tcase_add_test(tc, test_week_and_yearday);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

/* test-version.c - the -V line names the fail2ban release we follow. */
#include "check-main.h"
#include <string.h>
#include "version.h"

START_TEST(test_version_names_compat_release)
{
  const char *v = f2b_version_string();
  ck_assert_str_eq(F2B_COMPAT_VERSION, "1.0.2");
  ck_assert_ptr_nonnull(strstr(v, F2B_COMPAT_VERSION));
  ck_assert_ptr_nonnull(strstr(v, "fail2ban-c"));
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("version");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_version_names_compat_release);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}

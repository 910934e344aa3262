/* check-main.h - the end of every unit test binary's main(): run the suite,
 * report, turn the failure count into the exit status meson reads.
 *
 * Each test file builds its own Suite in main() (its test list, fixtures,
 * timeouts, environment) and ends with `return f2b_check_run(s);`. */
#pragma once

#include <check.h>
#include <stdlib.h>

/* Runs every test of SUITE (transfer full: the runner frees it) and returns
 * EXIT_SUCCESS when all passed, EXIT_FAILURE otherwise. */
static inline int
f2b_check_run(Suite *suite)
{
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

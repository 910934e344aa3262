/* fuzz-libfuzzer.c - libFuzzer's start-up hook for every target (build.sh
 * links it; meson's driver, fuzz-main.c, does the same in main()). */
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  f2b_fuzz_init();
  return 0;
}

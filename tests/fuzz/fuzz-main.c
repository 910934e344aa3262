/* fuzz-main.c - replays a fuzz target's corpus as a plain test.
 *
 * meson links each target with this driver instead of libFuzzer: every
 * argument is a file or a directory of files, each file one input given to
 * LLVMFuzzerTestOneInput.  A crash, a sanitizer report or an abort() in the
 * target fails the test; finding no input at all fails it too, since a test
 * that ran nothing would pass without checking anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static gboolean
run_file(const char *path, guint *count)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents(path, &data, &len, &error)) {
    fprintf(stderr, "%s\n", error->message);
    return FALSE;
  }
  /* a copy of exactly LEN bytes, so that ASan sees any read past the input */
  g_autofree uint8_t *copy = g_memdup2(data, len);
  /* the name first: a failing run shows which input it was on */
  printf("%s\n", path);
  fflush(stdout);
  LLVMFuzzerTestOneInput(copy, len);
  (*count)++;
  return TRUE;
}

static gint
compare_paths(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static gboolean
run_dir(const char *path, guint *count)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open(path, 0, &error);
  if (dir == NULL) {
    fprintf(stderr, "%s\n", error->message);
    return FALSE;
  }
  /* a fixed order, so that a failure reproduces the same way */
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(dir)) != NULL)
    g_ptr_array_add(names, g_build_filename(path, name, NULL));
  g_ptr_array_sort(names, compare_paths);
  for (guint i = 0; i < names->len; i++)
    if (!run_file(names->pdata[i], count))
      return FALSE;
  return TRUE;
}

int
main(int argc, char **argv)
{
  f2b_fuzz_init();
  guint count = 0;
  for (int i = 1; i < argc; i++) {
    gboolean ok = g_file_test(argv[i], G_FILE_TEST_IS_DIR) ? run_dir(argv[i], &count)
                                                            : run_file(argv[i], &count);
    if (!ok)
      return EXIT_FAILURE;
  }
  if (count == 0) {
    fprintf(stderr, "no input to replay\n");
    return EXIT_FAILURE;
  }
  printf("%u inputs replayed\n", count);
  return EXIT_SUCCESS;
}

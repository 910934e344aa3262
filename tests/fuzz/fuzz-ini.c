/* fuzz-ini.c - the configuration file reader and the value parsers built
 * on it.
 *
 * The input is one configuration file.  It is parsed (no includes: nothing
 * is read from disk); then every option of every section, DEFAULT included,
 * is read raw, interpolated (%(x)s, %(sec/opt)s) and through get_ex, and its
 * source line is traced back through the file.  The parsed file is merged
 * into a second parser as a .local would be (conditional sections, KNOWN/).
 * Each value then goes through the parsers of option values: filter/action
 * specs ("name[a=1, b=\"x\"]"), action lists, shlex, and the <tag>
 * substitution over the section's options.  A failure must carry an error. */
#include <stdlib.h>

#include "confreader.h"
#include "fuzz.h"
#include "ini.h"

static void
parse_value(F2bConfReader *r, const char *value)
{
  g_autofree char *name = NULL;
  g_autoptr(F2bIniMap) options = NULL;
  g_autoptr(GError) error = NULL;
  if (!f2b_confreader_extract_options(r, value, &name, &options, &error) && error == NULL)
    abort();
  g_clear_error(&error);
  g_autoptr(GPtrArray) actions = f2b_confreader_split_with_options(r, value);
  g_autoptr(GPtrArray) words = f2b_confreader_shlex_split(value, &error);
  if ((words == NULL) == (error == NULL))
    abort();
}

static void
read_option(F2bIni *ini, F2bConfReader *r, const char *section, const char *option,
            const char *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *raw = f2b_ini_get(ini, section, option, NULL, TRUE, &error);
  if ((raw == NULL) == (error == NULL))
    abort();
  g_clear_error(&error);
  g_autofree char *value = f2b_ini_get(ini, section, option, NULL, FALSE, &error);
  if (value == NULL && (error == NULL || error->domain != F2B_INI_ERROR))
    abort();
  g_clear_error(&error);
  g_autofree char *ex = f2b_ini_get_ex(ini, section, option, NULL, &error);
  g_clear_error(&error);
  if (value != NULL)
    parse_value(r, value);
  guint line;
  if (f2b_ini_get_location(ini, section, option, NULL, &line)) {
    g_autoptr(GArray) lines = f2b_ini_value_lines("fuzz.conf", data, size, line, &error);
    if ((lines == NULL) == (error == NULL))
      abort();
  }
}

static void
read_section(F2bIni *ini, F2bConfReader *r, const char *section, F2bIniMap *map,
             const char *data, size_t size)
{
  for (guint i = 0; i < f2b_ini_map_size(map); i++)
    read_option(ini, r, section, f2b_ini_map_key(map, i), data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bIniMap) substituted = f2b_confreader_substitute_tags(map, NULL, &error);
  if ((substituted == NULL) == (error == NULL))
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(F2bIni) ini = f2b_ini_new();
  g_autoptr(GError) error = NULL;
  if (!f2b_ini_parse(ini, "fuzz.conf", (const char *)data, size, &error)) {
    if (error == NULL || error->domain != F2B_INI_ERROR)
      abort();
    return 0;
  }
  g_autoptr(F2bConfReader) r = f2b_confreader_new("/nonexistent", NULL);
  read_section(ini, r, "DEFAULT", f2b_ini_defaults(ini), (const char *)data, size);
  for (guint i = 0; i < f2b_ini_n_sections(ini); i++) {
    const char *name = f2b_ini_section_name(ini, i);
    read_section(ini, r, name, f2b_ini_section(ini, name), (const char *)data, size);
  }
  /* the same file merged again, as a .local over its .conf */
  g_autoptr(F2bIni) local = f2b_ini_new();
  if (!f2b_ini_parse(local, "fuzz.local", (const char *)data, size, &error))
    abort();
  f2b_ini_merge(ini, local);
  for (guint i = 0; i < f2b_ini_n_sections(ini); i++) {
    const char *name = f2b_ini_section_name(ini, i);
    g_autofree char *v = f2b_ini_get_ex(ini, name, "known/failregex", NULL, NULL);
  }
  return 0;
}

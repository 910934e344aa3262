/* ini.h - fail2ban's configuration file reader.
 *
 * fail2ban reads its files with Python's configparser.ConfigParser as
 * subclassed by fail2ban (inline ';' comments after whitespace, strict
 * duplicate checks per file, '%(name)s' interpolation with '%(sec/opt)s'
 * and '%(__name__)s', [INCLUDES] before/after, conditional sections such
 * as [Init?family=inet6] merged into [Init] with suffixed keys, and the
 * KNOWN/<section> shadow sections that keep values a later file overrode).
 * This module reproduces those semantics; confreader.c builds fail2ban's
 * jail/filter/action readers on top of it.
 *
 * Error messages are the text of the Python exception that fail2ban would
 * show, because fail2ban prints them verbatim in its diagnostics. */
#pragma once

#include <glib.h>

#define F2B_INI_ERROR (f2b_ini_error_quark())
GQuark f2b_ini_error_quark(void);

typedef enum {
  F2B_INI_ERROR_NO_SECTION,          /* NoSectionError */
  F2B_INI_ERROR_NO_OPTION,           /* NoOptionError */
  F2B_INI_ERROR_INTERPOLATION_MISSING, /* InterpolationMissingOptionError */
  F2B_INI_ERROR_INTERPOLATION_SYNTAX,  /* InterpolationSyntaxError */
  F2B_INI_ERROR_INTERPOLATION_DEPTH,   /* InterpolationDepthError */
  F2B_INI_ERROR_PARSE,               /* ParsingError, MissingSectionHeaderError */
  F2B_INI_ERROR_DUPLICATE,           /* DuplicateSectionError, DuplicateOptionError */
  F2B_INI_ERROR_DECODE,              /* the file is not UTF-8 */
} F2bIniError;

/* Log levels as Python's logging numbers them. */
enum { F2B_LOG_DEBUG = 10, F2B_LOG_INFO = 20, F2B_LOG_NOTICE = 25, F2B_LOG_WARNING = 30, F2B_LOG_ERROR = 40 };

/* Where readers send what fail2ban logs: LOGGER is fail2ban's logger name
 * ("fail2ban.configreader"), MESSAGE the text. */
typedef void (*F2bLogFunc)(int level, const char *logger, const char *message, gpointer user_data);

typedef struct {
  F2bLogFunc func;
  gpointer user_data;
} F2bLogSink;

void f2b_log(const F2bLogSink *sink, int level, const char *logger, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

/* ---- an insertion-ordered map of strings (a Python dict of str) ---- */
typedef struct F2bIniMap F2bIniMap;

F2bIniMap  *f2b_ini_map_new(void);
F2bIniMap  *f2b_ini_map_copy(const F2bIniMap *map);
void        f2b_ini_map_free(F2bIniMap *map);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bIniMap, f2b_ini_map_free)
/* Sets KEY (copied) to VALUE (copied; may be NULL, Python's None); an
 * existing key keeps its place. */
void        f2b_ini_map_set(F2bIniMap *map, const char *key, const char *value);
void        f2b_ini_map_take(F2bIniMap *map, const char *key, char *value);
/* Sets KEY (copied) to VALUE, a GRefString (or NULL) whose reference the
 * map takes: what f2b_ini_get_ref() returns goes in without a copy. */
void        f2b_ini_map_take_ref(F2bIniMap *map, const char *key, char *value);
gboolean    f2b_ini_map_contains(const F2bIniMap *map, const char *key);
/* The value (transfer none), NULL when absent or None. */
const char *f2b_ini_map_get(const F2bIniMap *map, const char *key);
/* Removes KEY; later keys move up one place. */
gboolean    f2b_ini_map_remove(F2bIniMap *map, const char *key);
guint       f2b_ini_map_size(const F2bIniMap *map);
const char *f2b_ini_map_key(const F2bIniMap *map, guint i);
const char *f2b_ini_map_value(const F2bIniMap *map, guint i);
/* Index of the key of LEN bytes at KEY (no NUL needed), or -1: for callers
 * that look up names cut out of a longer string. */
gssize      f2b_ini_map_find_len(const F2bIniMap *map, const char *key, gsize len);
/* Sets the value of entry I (as f2b_ini_map_key(MAP, I) names it) to VALUE
 * (copied; may be NULL), without looking the key up again. */
void        f2b_ini_map_set_at(F2bIniMap *map, guint i, const char *value);
/* DST[key] = value of SRC's entry I, sharing SRC's strings (no copy). */
void        f2b_ini_map_set_entry(F2bIniMap *dst, const F2bIniMap *src, guint i);
/* dict.update(): every pair of SRC set into DST in SRC's order. */
void        f2b_ini_map_update(F2bIniMap *dst, const F2bIniMap *src);

/* ---- a parser: DEFAULT plus ordered sections ---- */
typedef struct F2bIni F2bIni;

F2bIni     *f2b_ini_new(void);
void        f2b_ini_free(F2bIni *ini);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bIni, f2b_ini_free)

/* configparser's _read of one file's contents into INI (FPNAME names the
 * file in errors). Lines may hold NUL; bytes must be UTF-8. */
gboolean    f2b_ini_parse(F2bIni *ini, const char *fpname, const char *data, gsize len, GError **error);
/* Reads and parses PATH.  Returns FALSE with *READ = FALSE (no error) when
 * the file cannot be opened, as configparser's read() skips it. */
gboolean    f2b_ini_parse_file(F2bIni *ini, const char *path, gboolean *read, GError **error);

F2bIniMap  *f2b_ini_defaults(F2bIni *ini);                    /* transfer none */
F2bIniMap  *f2b_ini_section(F2bIni *ini, const char *name);   /* NULL if none */
F2bIniMap  *f2b_ini_ensure_section(F2bIni *ini, const char *name);
gboolean    f2b_ini_has_section(const F2bIni *ini, const char *name);
guint       f2b_ini_n_sections(const F2bIni *ini);
const char *f2b_ini_section_name(const F2bIni *ini, guint i);

/* Merges one read file into INI as fail2ban's read() does: DEFAULT updated,
 * conditional sections renamed, KNOWN/<name> keeping overridden values. */
void        f2b_ini_merge(F2bIni *ini, F2bIni *file);
/* fail2ban's merge_section: OPTIONS into SECTION, keys prefixed with PREFIX
 * (when given, keys already prefixed and "__name__" are skipped). */
void        f2b_ini_merge_section(F2bIni *ini, const char *section, const F2bIniMap *options,
                                  const char *prefix);

/* ConfigParser.get(section, option, raw=RAW, vars=VARS) with fail2ban's
 * interpolation.  Returns a new string, or NULL with ERROR set; *IS_NONE
 * (optional) is set when the value found is None (a var given as NULL). */
char       *f2b_ini_get(F2bIni *ini, const char *section, const char *option,
                        const F2bIniMap *vars, gboolean raw, GError **error);
/* fail2ban's get_ex: also understands "sec/opt", "known/opt", "default/opt". */
char       *f2b_ini_get_ex(F2bIni *ini, const char *section, const char *option,
                           const F2bIniMap *vars, GError **error);
/* The same two, returning a GRefString (g_ref_string_release() it): the
 * stored string itself when nothing is interpolated, so that a caller that
 * keeps values in maps copies nothing. */
char       *f2b_ini_get_ref(F2bIni *ini, const char *section, const char *option,
                            const F2bIniMap *vars, gboolean raw, GError **error);
char       *f2b_ini_get_ex_ref(F2bIni *ini, const char *section, const char *option,
                               const F2bIniMap *vars, GError **error);
/* TRUE when f2b_ini_get(SECTION, OPTION, vars=VARS) would find OPTION (in
 * VARS, the section or DEFAULT) rather than fail with NO_SECTION or
 * NO_OPTION; it does not interpolate.  Cheaper than a get() that fails. */
gboolean    f2b_ini_has_option_vars(F2bIni *ini, const char *section, const char *option,
                                    const F2bIniMap *vars);
/* ConfigParser.has_option (own or DEFAULT) / own keys only. */
gboolean    f2b_ini_has_option(F2bIni *ini, const char *section, const char *option, gboolean with_default);

/* ---- source locations (beyond fail2ban: for diagnostics) ----
 * Every value read from a file remembers the file (its name as it was opened)
 * and the line its definition starts on: the definition that wins after
 * includes, .local files and merges.  Values set by a program (the map
 * setters) have no location.  Keeping it costs one int per option. */

/* Where the value get(SECTION, OPTION) finds without vars (the section's own,
 * else DEFAULT's) was written: *FILE (transfer none, owned by INI) and *LINE
 * (1-based; either may be NULL).  FALSE when there is no such option or its
 * value has no location. */
gboolean    f2b_ini_get_location(F2bIni *ini, const char *section, const char *option, const char **file,
                                 guint *line);
/* The line numbers (guint) of the lines of the value of the option defined on
 * line START_LINE of the file DATA (LEN bytes; FPNAME names it in errors),
 * found by parsing it again: entry i is where line i of the raw value
 * (value.split('\n')) is written, comment lines inside the value skipped as
 * configparser skips them.  Entries past the value's last line may follow
 * (trailing blank lines, which the value drops).  NULL with ERROR when the file
 * does not parse or no option starts on START_LINE.  Transfer full. */
GArray     *f2b_ini_value_lines(const char *fpname, const char *data, gsize len, guint start_line,
                                GError **error);
GArray     *f2b_ini_value_lines_file(const char *path, guint start_line, GError **error);

/* Python's str.lower() for option names (transfer full). */
char       *f2b_ini_optionxform(const char *name);
/* Python's str.strip() (Unicode whitespace), returned as a new string. */
char       *f2b_ini_strip(const char *s, gsize len);
gboolean    f2b_ini_is_space(const char *s, gsize len, gsize *clen);

/* ---- reading with includes, shared between readers ---- */
typedef struct F2bIniCache F2bIniCache;

F2bIniCache *f2b_ini_cache_new(const F2bLogSink *log);
void         f2b_ini_cache_free(F2bIniCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bIniCache, f2b_ini_cache_free)

/* SafeConfigParserWithIncludes.read(FILENAMES) into INI: the include tree
 * of every file (its .local too), each file merged in turn.  FILES_READ
 * (optional) receives the names read (strings, transfer full). */
gboolean f2b_ini_read_with_includes(F2bIni *ini, F2bIniCache *cache, GPtrArray *filenames,
                                    GPtrArray *files_read, GError **error);

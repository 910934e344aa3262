/* confreader.c - fail2ban's readers: configuration -> command stream.
 *
 * Mirrors fail2ban's Configurator, Fail2banReader, JailsReader, JailReader,
 * FilterReader and ActionReader: which options are read with which type
 * and default, how filter and action arguments and [Init] values reach
 * the tags, and the order of every command.  Merged configurations are
 * cached by name ("jail", "filter.d/sshd") as fail2ban's share_config does,
 * so a filter used by many jails is read once. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "confreader.h"

#include <errno.h>
#include <fnmatch.h>
#include <pcre2.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyjson.h"
#include "version.h"

G_DEFINE_QUARK(f2b-confreader-error-quark, f2b_confreader_error)

#define MAX_TAG_REPLACE_COUNT 25
#define LOG_CONFREADER "fail2ban.configreader"
#define LOG_JAILREADER "fail2ban.jailreader"
#define LOG_JAILSREADER "fail2ban.jailsreader"

struct F2bConfReader {
  char *basedir;
  F2bLogSink log;
  F2bIniCache *cache;
  GHashTable *configs;      /* name -> F2bIni* (NULL: could not be read) */
  GHashTable *plain_gets;   /* F2bIni* -> PlainGets*: get() without vars */
  GString *subst_bufs[2];   /* the tag substitution's work buffers */
  pcre2_code *option_cre;
  pcre2_code *option_extract_cre;
  pcre2_code *option_split_cre;
  int wrong_a, wrong_b;     /* option_extract_cre's groups wrngA and wrngB */
  gboolean basedir_seen;    /* BASEDIR was found to exist */
  GPtrArray *jails;         /* Jail* of the last stream, for f2b_confreader_locate */
  GPtrArray *failures;      /* F2bConfReaderFailure* of the last stream */
};

/* ------------------------------------------------------ failures (diagnostics) */

static void
failure_free(F2bConfReaderFailure *f)
{
  g_free(f->jail);
  g_free(f->section);
  g_free(f->option);
  g_free(f->file);
  g_free(f->message);
  g_free(f);
}

/* Records a failure; MESSAGE is taken.  The jail is filled in later
 * (failures_claim) when it is not known where the failure is met. */
static void
failure_add(F2bConfReader *r, const char *jail, const char *section, const char *option, const char *file,
            guint line, char *message)
{
  F2bConfReaderFailure *f = g_new0(F2bConfReaderFailure, 1);
  f->jail = g_strdup(jail);
  f->section = g_strdup(section);
  f->option = g_strdup(option);
  f->file = g_strdup(file);
  f->line = line;
  f->message = message;
  g_ptr_array_add(r->failures, f);
}

/* The failures recorded since the FROMth have jail JAIL unless they know theirs. */
static void
failures_claim(F2bConfReader *r, guint from, const char *jail)
{
  for (guint i = from; i < r->failures->len; i++) {
    F2bConfReaderFailure *f = r->failures->pdata[i];
    if (f->jail == NULL)
      f->jail = g_strdup(jail);
  }
}

const GPtrArray *
f2b_confreader_failures(F2bConfReader *r)
{
  return r->failures;
}

/* Records the interpolation error E met reading OPTION of SECTION; names
 * the first %(key)s of the raw value that nothing defines when there is one. */
static void
failure_add_interpolation(F2bConfReader *r, F2bIni *cfg, const char *section, const char *option,
                          const F2bIniMap *popts, const GError *e)
{
  const char *file = NULL;
  guint line = 0;
  f2b_ini_get_location(cfg, section, option, &file, &line);
  g_autofree char *raw = f2b_ini_get(cfg, section, option, NULL, TRUE, NULL);
  char *message = NULL;
  for (const char *p = raw ? strstr(raw, "%(") : NULL; p != NULL && message == NULL; p = strstr(p + 2, "%(")) {
    const char *close = strstr(p + 2, ")s");
    if (close == NULL)
      break;
    g_autofree char *key = g_strndup(p + 2, close - (p + 2));
    /* sec/opt references and __name__ resolve elsewhere */
    if (strchr(key, '/') == NULL && strcmp(key, "__name__") != 0 &&
        !f2b_ini_has_option_vars(cfg, section, key, popts))
      message = g_strdup_printf("'%%(%s)s' does not resolve: no option '%s' in [%s] or [DEFAULT]", key, key,
                                section);
  }
  failure_add(r, NULL, section, option, file, line, message ? message : g_strdup(e->message));
}

/* ------------------------------------------------------ option templates */

typedef enum { OPT_STR, OPT_BOOL, OPT_INT } OptType;
typedef enum { DEF_NONE, DEF_STR, DEF_FALSE } OptDefault;

typedef struct {
  OptType type;
  const char *name;
  OptDefault def;
  const char *def_str;
} OptTemplate;

static const OptTemplate jail_opts_1st[] = {
  { OPT_BOOL, "enabled", DEF_FALSE, NULL },
  { OPT_STR, "backend", DEF_STR, "auto" },
  { OPT_STR, "filter", DEF_STR, "" },
};

static const OptTemplate filter_opts[] = {
  { OPT_STR, "usedns", DEF_NONE, NULL },      { OPT_STR, "prefregex", DEF_NONE, NULL },
  { OPT_STR, "ignoreregex", DEF_NONE, NULL }, { OPT_STR, "failregex", DEF_NONE, NULL },
  { OPT_INT, "maxlines", DEF_NONE, NULL },    { OPT_STR, "datepattern", DEF_NONE, NULL },
  { OPT_STR, "journalmatch", DEF_NONE, NULL },
};

static const OptTemplate jail_opts[] = {
  { OPT_BOOL, "enabled", DEF_FALSE, NULL },
  { OPT_STR, "backend", DEF_STR, "auto" },
  { OPT_INT, "maxretry", DEF_NONE, NULL },
  { OPT_INT, "maxmatches", DEF_NONE, NULL },
  { OPT_STR, "findtime", DEF_NONE, NULL },
  { OPT_STR, "bantime", DEF_NONE, NULL },
  { OPT_BOOL, "bantime.increment", DEF_NONE, NULL },
  { OPT_STR, "bantime.factor", DEF_NONE, NULL },
  { OPT_STR, "bantime.formula", DEF_NONE, NULL },
  { OPT_STR, "bantime.multipliers", DEF_NONE, NULL },
  { OPT_STR, "bantime.maxtime", DEF_NONE, NULL },
  { OPT_STR, "bantime.rndtime", DEF_NONE, NULL },
  { OPT_BOOL, "bantime.overalljails", DEF_NONE, NULL },
  { OPT_STR, "ignorecommand", DEF_NONE, NULL },
  { OPT_BOOL, "ignoreself", DEF_NONE, NULL },
  { OPT_STR, "ignoreip", DEF_NONE, NULL },
  { OPT_STR, "ignorecache", DEF_NONE, NULL },
  { OPT_STR, "filter", DEF_STR, "" },
  { OPT_STR, "logtimezone", DEF_NONE, NULL },
  { OPT_STR, "logencoding", DEF_NONE, NULL },
  { OPT_STR, "logpath", DEF_NONE, NULL },
  { OPT_STR, "action", DEF_STR, "" },
  /* FilterReader's options follow (dict.update appends them) */
  { OPT_STR, "usedns", DEF_NONE, NULL },      { OPT_STR, "prefregex", DEF_NONE, NULL },
  { OPT_STR, "ignoreregex", DEF_NONE, NULL }, { OPT_STR, "failregex", DEF_NONE, NULL },
  { OPT_INT, "maxlines", DEF_NONE, NULL },    { OPT_STR, "datepattern", DEF_NONE, NULL },
  { OPT_STR, "journalmatch", DEF_NONE, NULL },
};

static const OptTemplate action_opts[] = {
  { OPT_STR, "actionstart", DEF_NONE, NULL },
  { OPT_BOOL, "actionstart_on_demand", DEF_NONE, NULL },
  { OPT_STR, "actionstop", DEF_NONE, NULL },
  { OPT_STR, "actionflush", DEF_NONE, NULL },
  { OPT_STR, "actionreload", DEF_NONE, NULL },
  { OPT_STR, "actioncheck", DEF_NONE, NULL },
  { OPT_STR, "actionrepair", DEF_NONE, NULL },
  { OPT_BOOL, "actionrepair_on_unban", DEF_NONE, NULL },
  { OPT_STR, "actionban", DEF_NONE, NULL },
  { OPT_STR, "actionprolong", DEF_NONE, NULL },
  { OPT_STR, "actionreban", DEF_NONE, NULL },
  { OPT_STR, "actionunban", DEF_NONE, NULL },
  { OPT_BOOL, "norestored", DEF_NONE, NULL },
};

static const OptTemplate early_opts[] = {
  { OPT_STR, "socket", DEF_STR, "/var/run/fail2ban/fail2ban.sock" },
  { OPT_STR, "pidfile", DEF_STR, "/var/run/fail2ban/fail2ban.pid" },
  { OPT_STR, "loglevel", DEF_STR, "INFO" },
  { OPT_STR, "logtarget", DEF_STR, "/var/log/fail2ban.log" },
  { OPT_STR, "syslogsocket", DEF_STR, "auto" },
};

static const OptTemplate general_opts[] = {
  { OPT_STR, "loglevel", DEF_STR, "INFO" },
  { OPT_STR, "logtarget", DEF_STR, "STDERR" },
  { OPT_STR, "syslogsocket", DEF_STR, "auto" },
  { OPT_STR, "allowipv6", DEF_STR, "auto" },
  { OPT_STR, "dbfile", DEF_STR, "/var/lib/fail2ban/fail2ban.sqlite3" },
  { OPT_INT, "dbmaxmatches", DEF_NONE, NULL },
  { OPT_STR, "dbpurgeage", DEF_STR, "1d" },
};

static const OptTemplate thread_opts[] = {
  { OPT_INT, "stacksize", DEF_NONE, NULL },
};

static const OptTemplate *
template_find(const OptTemplate *t, guint n, const char *name)
{
  for (guint i = 0; i < n; i++)
    if (t[i].name[0] == name[0] && strcmp(t[i].name, name) == 0)
      return &t[i];
  return NULL;
}

/* ---------------------------------------------------- python-ish helpers */

static F2bPyObj *
pyd_get(const F2bPyObj *d, const char *key)
{
  for (gsize i = 0; i < f2b_py_len(d); i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(d, i, &k, &v);
    if (f2b_py_str_equal(k, key))
      return v;
  }
  return NULL;
}

static void
pyd_set(F2bPyObj *d, const char *key, F2bPyObj *value)
{
  f2b_py_dict_set(d, f2b_py_str(key), value);
}

/* str(value); NULL for None. */
static char *
py_to_str(const F2bPyObj *v)
{
  if (v == NULL || f2b_py_kind(v) == F2B_PY_NONE)
    return NULL;
  GString *s = g_string_new(NULL);
  if (f2b_py_kind(v) == F2B_PY_BOOL)
    g_string_append(s, f2b_py_get_bool(v) ? "True" : "False");
  else
    f2b_py_str_append(s, v);
  return g_string_free(s, FALSE);
}

static F2bIniMap *
pyd_to_map(const F2bPyObj *d)
{
  F2bIniMap *m = f2b_ini_map_new();
  for (gsize i = 0; d && i < f2b_py_len(d); i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(d, i, &k, &v);
    const char *key = f2b_py_get_str(k, NULL);
    /* the common kinds without a temporary string */
    switch (f2b_py_kind(v)) {
    case F2B_PY_STR: f2b_ini_map_set(m, key, f2b_py_get_str(v, NULL)); break;
    case F2B_PY_NONE: f2b_ini_map_set(m, key, NULL); break;
    case F2B_PY_BOOL: f2b_ini_map_set(m, key, f2b_py_get_bool(v) ? "True" : "False"); break;
    default: f2b_ini_map_take(m, key, py_to_str(v));
    }
  }
  return m;
}

static F2bPyObj *
str_or_none(const char *s)
{
  return s ? f2b_py_str(s) : f2b_py_none();
}

static char *
py_repr_of(const F2bPyObj *v)
{
  return f2b_py_repr(v);
}

static gboolean
as_bool(const char *v)
{
  return g_ascii_strcasecmp(v, "1") == 0 || g_ascii_strcasecmp(v, "on") == 0 ||
         g_ascii_strcasecmp(v, "true") == 0 || g_ascii_strcasecmp(v, "yes") == 0;
}

/* Python's int(str): surrounding whitespace, a sign, digits with single
 * underscores between them. */
static gboolean
py_int(const char *v, gint64 *out)
{
  g_autofree char *s = f2b_ini_strip(v, strlen(v));
  const char *p = s;
  gboolean neg = FALSE;
  if (*p == '+' || *p == '-')
    neg = *p++ == '-';
  if (!g_ascii_isdigit(*p))
    return FALSE;
  guint64 acc = 0;
  for (; *p; p++) {
    if (*p == '_') {
      if (!g_ascii_isdigit(p[1]))
        return FALSE;
      continue;
    }
    if (!g_ascii_isdigit(*p))
      return FALSE;
    if (acc > (G_MAXINT64 - 9) / 10)
      return FALSE;
    acc = acc * 10 + (guint)(*p - '0');
  }
  *out = neg ? -(gint64)acc : (gint64)acc;
  return TRUE;
}

static F2bPyObj *
default_value(const OptTemplate *t)
{
  switch (t->def) {
  case DEF_STR: return f2b_py_str(t->def_str);
  case DEF_FALSE: return f2b_py_bool(FALSE);
  default: return f2b_py_none();
  }
}

/* Where getOptions puts what it reads: a dict of typed values, or (for the
 * unconverted reads of filters and actions) a map of their str() forms. */
typedef struct {
  F2bPyObj *dict;
  F2bIniMap *strs;
} OptSink;

static void
sink_put(OptSink *out, const char *name, F2bPyObj *val)
{
  if (out->dict != NULL) {
    pyd_set(out->dict, name, val);
    return;
  }
  f2b_ini_map_take(out->strs, name, py_to_str(val));
  f2b_py_free(val);
}

/* getOptions for one template option that get() could not find. */
static gboolean
get_option_missing(F2bConfReader *r, const char *sec, const OptTemplate *t, GError *local,
                   gboolean should_exist, OptSink *out, GError **error)
{
  if (local != NULL && local->code == F2B_INI_ERROR_NO_SECTION) {
    if (should_exist) {
      g_propagate_error(error, local);
      return FALSE;
    }
    f2b_log(&r->log, F2B_LOG_ERROR, LOG_CONFREADER, "%s", local->message);
    sink_put(out, t->name, default_value(t));
  } else if (t->def != DEF_NONE) {
    g_autoptr(F2bPyObj) d = default_value(t);
    g_autofree char *rep = py_repr_of(d);
    f2b_log(&r->log, F2B_LOG_WARNING, LOG_CONFREADER, "'%s' not defined in '%s'. Using default one: %s",
            t->name, sec, rep);
    sink_put(out, t->name, g_steal_pointer(&d));
  }
  if (local)
    g_error_free(local);
  return TRUE;
}

/* getOptions' conversion of the value V read for T (transfer full). */
static F2bPyObj *
convert_option(F2bConfReader *r, const char *sec, const OptTemplate *t, const char *v, gboolean convert)
{
  gint64 iv;
  if (convert && t->type == OPT_BOOL)
    return f2b_py_bool(as_bool(v));
  if (!convert || t->type != OPT_INT)
    return f2b_py_str(v);
  if (py_int(v, &iv))
    return f2b_py_int(iv);
  F2bPyObj *d = default_value(t);
  g_autofree char *rep = py_repr_of(d);
  f2b_log(&r->log, F2B_LOG_WARNING, LOG_CONFREADER, "Wrong value for '%s' in '%s'. Using default one: '%s'",
          t->name, sec, rep);
  return d;
}

/* ConfigReaderUnshared.getOptions: the template's options of SEC into
 * OUT, skipping those given in POPTS. */
static gboolean
get_options(F2bConfReader *r, F2bIni *cfg, const char *sec, const OptTemplate *t, guint n,
            const F2bIniMap *popts, gboolean should_exist, gboolean convert, OptSink out, GError **error)
{
  gboolean have_sec = f2b_ini_section(cfg, sec) != NULL;
  for (guint i = 0; i < n; i++) {
    if (f2b_ini_map_contains(popts, t[i].name))
      continue;
    /* a missing option needs no get() and its error message, which nobody reads */
    if (have_sec && !f2b_ini_has_option_vars(cfg, sec, t[i].name, popts)) {
      get_option_missing(r, sec, &t[i], NULL, should_exist, &out, error);
      continue;
    }
    GError *local = NULL;
    char *v = f2b_ini_get_ref(cfg, sec, t[i].name, popts, FALSE, &local);
    if (v == NULL) {
      if (local->domain != F2B_INI_ERROR ||
          (local->code != F2B_INI_ERROR_NO_SECTION && local->code != F2B_INI_ERROR_NO_OPTION)) {
        if (local->domain == F2B_INI_ERROR && local->code >= F2B_INI_ERROR_INTERPOLATION_MISSING &&
            local->code <= F2B_INI_ERROR_INTERPOLATION_DEPTH)
          failure_add_interpolation(r, cfg, sec, t[i].name, popts, local);
        g_propagate_error(error, local);
        return FALSE;
      }
      if (!get_option_missing(r, sec, &t[i], local, should_exist, &out, error))
        return FALSE;
      continue;
    }
    if (out.strs != NULL && !convert) {
      f2b_ini_map_take_ref(out.strs, t[i].name, v);
    } else {
      sink_put(&out, t[i].name, convert_option(r, sec, &t[i], v, convert));
      g_ref_string_release(v);
    }
  }
  return TRUE;
}

#define TO_DICT(d) ((OptSink){ (d), NULL })
#define TO_MAP(m) ((OptSink){ NULL, (m) })

/* -------------------------------------------------------------- reading */

static gboolean
path_exists(const char *p)
{
  struct stat st;
  return stat(p, &st) == 0;
}

static gint
str_cmp(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sorted(glob(DIR + '/' + '*' + SUFFIX)) */
static void
add_sorted_dir(GPtrArray *out, const char *dir, const char *suffix)
{
  g_autofree char *pat = g_strconcat(dir, "/*", suffix, NULL);
  g_autoptr(GPtrArray) found = f2b_confreader_glob(pat);
  g_ptr_array_sort(found, str_cmp);
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add(out, g_strdup(found->pdata[i]));
}

static gboolean is_dir(const char *p);

/* ConfigReader.read(NAME) through the share: the merged configuration of
 * NAME.conf, NAME.d/ *.conf, NAME.local, NAME.d/ *.local (transfer none), or
 * NULL (with ERROR set only for hard errors). */
static F2bIni *
read_config(F2bConfReader *r, const char *name, GError **error)
{
  gpointer cached;
  if (g_hash_table_lookup_extended(r->configs, name, NULL, &cached))
    return cached;
  f2b_log(&r->log, F2B_LOG_INFO, LOG_CONFREADER, "Loading configs for %s under %s ", name, r->basedir);
  /* once seen, the directory is taken to stay (one stat per run, not per file) */
  if (!r->basedir_seen && !(r->basedir_seen = path_exists(r->basedir))) {
    g_set_error(error, F2B_CONFREADER_ERROR, F2B_CONFREADER_ERROR_BASEDIR,
                "Base configuration directory %s does not exist ", r->basedir);
    return NULL;
  }
  f2b_log(&r->log, F2B_LOG_DEBUG, LOG_CONFREADER, "Reading configs for %s under %s ", name, r->basedir);
  g_autofree char *base = g_strconcat(r->basedir, "/", name, NULL);
  g_autofree char *dir = g_strconcat(base, ".d", NULL);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
  /* most names have no NAME.d: one stat instead of two failing globs */
  gboolean have_dir = is_dir(dir);
  g_ptr_array_add(files, g_strconcat(base, ".conf", NULL));
  if (have_dir)
    add_sorted_dir(files, dir, ".conf");
  g_ptr_array_add(files, g_strconcat(base, ".local", NULL));
  if (have_dir)
    add_sorted_dir(files, dir, ".local");
  g_autoptr(GPtrArray) existing = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < files->len; i++)
    if (path_exists(files->pdata[i]))
      g_ptr_array_add(existing, g_strdup(files->pdata[i]));
  g_autoptr(F2bIni) ini = f2b_ini_new();
  gboolean ok = FALSE;
  if (existing->len > 0) {
    if (r->log.func) {
      g_ptr_array_add(existing, NULL);
      g_autofree char *list = g_strjoinv(", ", (char **)existing->pdata);
      g_ptr_array_remove_index(existing, existing->len - 1);
      f2b_log(&r->log, F2B_LOG_DEBUG, LOG_CONFREADER, "Reading config files: %s", list);
    }
    g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func(g_free);
    if (!f2b_ini_read_with_includes(ini, r->cache, existing, got, error))
      return NULL;
    GString *missed = g_string_new(NULL);
    for (guint i = 0; i < existing->len; i++) {
      gboolean found = FALSE;
      for (guint k = 0; k < got->len && !found; k++)
        found = strcmp(got->pdata[k], existing->pdata[i]) == 0;
      if (!found)
        g_string_append_printf(missed, "%s%s", missed->len ? ", " : "", (char *)existing->pdata[i]);
    }
    if (missed->len)
      f2b_log(&r->log, F2B_LOG_ERROR, LOG_CONFREADER, "Could not read config files: %s", missed->str);
    g_string_free(missed, TRUE);
    ok = got->len > 0;
    if (!ok) {
      g_autofree char *rn = f2b_py_repr_str(name);
      f2b_log(&r->log, F2B_LOG_ERROR, LOG_CONFREADER,
              "Found no accessible config files for %s under %s", rn, r->basedir);
    }
  } else {
    g_autofree char *rn = f2b_py_repr_str(name);
    f2b_log(&r->log, F2B_LOG_ERROR, LOG_CONFREADER, "Found no accessible config files for %s under %s",
            rn, r->basedir);
  }
  F2bIni *res = ok ? g_steal_pointer(&ini) : NULL;
  g_hash_table_insert(r->configs, g_strdup(name), res);
  return res;
}

/* ------------------------------------------------------------- helpers.py */

static pcre2_code *
compile(const char *pattern)
{
  int err;
  PCRE2_SIZE off;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                 PCRE2_DOTALL | PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF,
                                 &err, &off, NULL);
  g_assert(re != NULL);
  pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
  return re;
}

/* The values of [Init] and [Definition] read without vars from one filter or
 * action file: the same for every jail that uses the file, which is never
 * changed once read (only the jail configuration is).  The readers' maps
 * share these strings. */
typedef struct {
  F2bIniMap *init;        /* opt -> get("Init", opt) */
  F2bIniMap *known;       /* "known/" opt -> the same, entry for entry */
  F2bIniMap *definition;  /* opt -> get("Definition", opt) */
} PlainGets;

static void
plain_gets_free(PlainGets *pg)
{
  f2b_ini_map_free(pg->init);
  f2b_ini_map_free(pg->known);
  f2b_ini_map_free(pg->definition);
  g_free(pg);
}

/* f2b_ini_get(CFG, SECTION, OPT, NULL, FALSE) for SECTION "Init" or
 * "Definition", remembered per file: the index of OPT in the PlainGets map
 * (*MAP), or -1 with ERROR (errors are not kept). */
static gssize
plain_get(F2bConfReader *r, F2bIni *cfg, const char *section, const char *opt, PlainGets **map,
          GError **error)
{
  PlainGets *pg = g_hash_table_lookup(r->plain_gets, cfg);
  if (pg == NULL) {
    pg = g_new0(PlainGets, 1);
    pg->init = f2b_ini_map_new();
    pg->known = f2b_ini_map_new();
    pg->definition = f2b_ini_map_new();
    g_hash_table_insert(r->plain_gets, cfg, pg);
  }
  *map = pg;
  gboolean is_init = strcmp(section, "Init") == 0;
  F2bIniMap *m = is_init ? pg->init : pg->definition;
  gssize k = f2b_ini_map_find_len(m, opt, strlen(opt));
  if (k >= 0)
    return k;
  char *v = f2b_ini_get_ref(cfg, section, opt, NULL, FALSE, error);
  if (v == NULL)
    return -1;
  f2b_ini_map_take_ref(m, opt, v);
  k = f2b_ini_map_size(m) - 1;
  if (is_init) {
    g_autofree char *kn = g_strconcat("known/", opt, NULL);
    f2b_ini_map_set(pg->known, kn, f2b_ini_map_value(m, k));
  }
  return k;
}

F2bConfReader *
f2b_confreader_new(const char *basedir, const F2bLogSink *log)
{
  F2bConfReader *r = g_new0(F2bConfReader, 1);
  /* basedir.rstrip('/') */
  gsize len = strlen(basedir);
  while (len > 0 && basedir[len - 1] == '/')
    len--;
  r->basedir = g_strndup(basedir, len);
  if (log)
    r->log = *log;
  r->cache = f2b_ini_cache_new(log);
  r->configs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)f2b_ini_free);
  r->plain_gets = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)plain_gets_free);
  r->failures = g_ptr_array_new_with_free_func((GDestroyNotify)failure_free);
  r->option_cre = compile("^([^\\[]+)(?:\\[(.*)\\])?\\s*$");
  r->option_extract_cre = compile(
      "\\s*([\\w\\-_\\.]+)=(?:\"([^\"]*)\"|\\'([^\\']*)\\'|([^,\\]]*))(?:,|\\]\\s*\\[|$|(?P<wrngA>.+))"
      "|,?\\s*$|(?P<wrngB>.+)");
  r->wrong_a = pcre2_substring_number_from_name(r->option_extract_cre, (PCRE2_SPTR) "wrngA");
  r->wrong_b = pcre2_substring_number_from_name(r->option_extract_cre, (PCRE2_SPTR) "wrngB");
  r->option_split_cre = compile(
      "(?:[^\\[\\s]+(?:\\s*\\[\\s*(?:[\\w\\-_\\.]+=(?:\"[^\"]*\"|\\'[^\\']*\\'|[^,\\]]*)\\s*(?:,|\\]\\s*\\[)?"
      "\\s*)*\\])?\\s*|\\S+)(?=\\n\\s*|\\s+|$)");
  return r;
}

void
f2b_confreader_free(F2bConfReader *r)
{
  if (r == NULL)
    return;
  if (r->jails != NULL)
    g_ptr_array_unref(r->jails);
  g_ptr_array_unref(r->failures);
  g_hash_table_destroy(r->plain_gets);
  for (guint b = 0; b < G_N_ELEMENTS(r->subst_bufs); b++)
    if (r->subst_bufs[b] != NULL)
      g_string_free(r->subst_bufs[b], TRUE);
  g_hash_table_destroy(r->configs);
  f2b_ini_cache_free(r->cache);
  pcre2_code_free(r->option_cre);
  pcre2_code_free(r->option_extract_cre);
  pcre2_code_free(r->option_split_cre);
  g_free(r->basedir);
  g_free(r);
}

static char *
group_dup(const char *s, PCRE2_SIZE *ov, int g)
{
  if (ov[2 * g] == PCRE2_UNSET)
    return NULL;
  return g_strndup(s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
}

/* Calls FUNC for each match of RE in S, as Python's finditer steps. */
typedef gboolean (*MatchFunc)(const char *s, PCRE2_SIZE *ov, gpointer data);

static gboolean
find_iter(pcre2_code *re, const char *s, MatchFunc func, gpointer data)
{
  gsize len = strlen(s);
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
  PCRE2_SIZE start = 0;
  uint32_t opts = 0;
  gboolean ok = TRUE;
  while (start <= len) {
    int rc = pcre2_match(re, (PCRE2_SPTR)s, len, start, opts, md, NULL);
    if (rc < 0) {
      if (opts == 0)
        break;
      /* after an empty match: move on by one character */
      opts = 0;
      start++;
      while (start < len && ((guchar)s[start] & 0xc0) == 0x80)
        start++;
      continue;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if (!func(s, ov, data)) {
      ok = FALSE;
      break;
    }
    if (ov[1] == ov[0]) {
      if (ov[1] >= len)
        break;
      opts = PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED;
    } else {
      opts = 0;
    }
    start = ov[1];
  }
  pcre2_match_data_free(md);
  return ok;
}

typedef struct {
  F2bIniMap *opts;
  GError **error;
  int wa, wb;  /* the group numbers of wrngA and wrngB */
} ExtractState;

static gboolean
extract_one(const char *s, PCRE2_SIZE *ov, gpointer data)
{
  ExtractState *st = data;
  int wa = st->wa, wb = st->wb;
  g_autofree char *name = group_dup(s, ov, 1);
  g_autofree char *wrong_a = group_dup(s, ov, wa);
  g_autofree char *wrong_b = group_dup(s, ov, wb);
  if (wrong_a) {
    g_autofree char *head = g_utf8_substring(wrong_a, 0, MIN(25, g_utf8_strlen(wrong_a, -1)));
    g_autofree char *rn = f2b_py_repr_str(name);
    glong pos = g_utf8_pointer_to_offset(s, s + ov[2 * wa]);
    g_set_error(st->error, F2B_CONFREADER_ERROR, F2B_CONFREADER_ERROR_VALUE,
                "unexpected syntax at %ld after option %s: %s", pos, rn, head);
    return FALSE;
  }
  if (wrong_b) {
    g_autofree char *head = g_utf8_substring(wrong_b, 0, MIN(25, g_utf8_strlen(wrong_b, -1)));
    glong pos = g_utf8_pointer_to_offset(s, s + ov[2 * wb]);
    g_set_error(st->error, F2B_CONFREADER_ERROR, F2B_CONFREADER_ERROR_VALUE,
                "expected option, wrong syntax at %ld: %s", pos, head);
    return FALSE;
  }
  if (name == NULL || *name == '\0')
    return TRUE;
  char *value = NULL;
  for (int g = 2; g <= 4 && value == NULL; g++)
    value = group_dup(s, ov, g);
  g_autofree char *sname = f2b_ini_strip(name, strlen(name));
  f2b_ini_map_take(st->opts, sname, f2b_ini_strip(value, strlen(value)));
  g_free(value);
  return TRUE;
}

gboolean
f2b_confreader_extract_options(F2bConfReader *r, const char *spec, char **name, F2bIniMap **options,
                               GError **error)
{
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->option_cre, NULL);
  int rc = pcre2_match(r->option_cre, (PCRE2_SPTR)spec, strlen(spec), 0, 0, md, NULL);
  if (rc < 0) {
    pcre2_match_data_free(md);
    g_set_error_literal(error, F2B_CONFREADER_ERROR, F2B_CONFREADER_ERROR_VALUE,
                        "unexpected option syntax");
    return FALSE;
  }
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
  g_autofree char *n = group_dup(spec, ov, 1);
  g_autofree char *optstr = rc > 2 ? group_dup(spec, ov, 2) : NULL;
  pcre2_match_data_free(md);
  g_autoptr(F2bIniMap) opts = f2b_ini_map_new();
  if (optstr && *optstr) {
    ExtractState st = { opts, error, r->wrong_a, r->wrong_b };
    if (!find_iter(r->option_extract_cre, optstr, extract_one, &st))
      return FALSE;
  }
  *name = g_steal_pointer(&n);
  *options = g_steal_pointer(&opts);
  return TRUE;
}

static gboolean
split_one(const char *s, PCRE2_SIZE *ov, gpointer data)
{
  g_ptr_array_add(data, g_strndup(s + ov[0], ov[1] - ov[0]));
  return TRUE;
}

GPtrArray *
f2b_confreader_split_with_options(F2bConfReader *r, const char *value)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  find_iter(r->option_split_cre, value, split_one, out);
  return out;
}

/* The bytes that end a tag's name: ' ', '<' and '>'. */
static const guint8 tag_stop[256] = { [' '] = 1, ['<'] = 1, ['>'] = 1 };

/* TAG_CRE '<([^ <>]+)>' searched in S (LEN bytes) from FROM: start and end
 * of the match. */
static gboolean
tag_search(const char *s, gsize len, gsize from, gsize *mstart, gsize *mend)
{
  const char *end = s + len;
  for (const char *p = memchr(s + from, '<', len - from); p != NULL; p = memchr(p + 1, '<', end - p - 1)) {
    const char *q = p + 1;
    while (q < end && !tag_stop[(guchar)*q])
      q++;
    if (q > p + 1 && q < end && *q == '>') {
      *mstart = p - s;
      *mend = q + 1 - s;
      return TRUE;
    }
  }
  return FALSE;
}

/* g_string_append_len without the call when the buffer has room: the
 * substitution appends tens of thousands of short pieces. */
static inline void
buf_append(GString *out, const char *p, gsize n)
{
  if (out->len + n < out->allocated_len) {
    memcpy(out->str + out->len, p, n);
    out->len += n;
    out->str[out->len] = '\0';
  } else {
    g_string_append_len(out, p, n);
  }
}

/* OUT = S with every PAT replaced by WITH (str.replace). */
static void
replace_all(GString *out, const char *s, gsize len, const char *pat, gsize patlen, const char *with,
            gsize withlen)
{
  g_string_truncate(out, 0);
  /* PAT is a short '<tag>': find its '<' and compare the rest */
  const char *p = s, *end = s + len, *q = s;
  while ((gsize)(end - q) >= patlen && (q = memchr(q, pat[0], end - q - patlen + 1)) != NULL) {
    if (memcmp(q + 1, pat + 1, patlen - 1) != 0) {
      q++;
      continue;
    }
    buf_append(out, p, q - p);
    buf_append(out, with, withlen);
    p = q = q + patlen;
  }
  buf_append(out, p, end - p);
}

/* A tag's replacement from outside the map (transfer none: it lives as long
 * as DATA), NULL when there is none.  TAG is LEN bytes; *NAME receives a
 * NUL-terminated copy of it that lives as long as DATA. */
typedef const char *(*AddReplFunc)(const char *tag, gsize len, gpointer data, const char **name,
                                   GError **error);

/* How often each tag was replaced within one value, in first-replaced order
 * (a Python dict: its repr appears in fail2ban's recursion error).  Names
 * are borrowed from the tag map or from the AddReplFunc's owner. */
typedef struct {
  const char *name;
  gsize len;
  guint count;
} RepItem;

typedef struct {
  RepItem *items;
  guint len, cap;
} RepList;

static RepItem *
replist_find(RepList *rc, const char *name, gsize len)
{
  for (guint i = 0; i < rc->len; i++)
    if (rc->items[i].len == len && memcmp(rc->items[i].name, name, len) == 0)
      return &rc->items[i];
  return NULL;
}

static void
replist_add(RepList *rc, const char *name, gsize len)
{
  if (rc->len == rc->cap) {
    rc->cap = rc->cap ? rc->cap * 2 : 8;
    rc->items = g_renew(RepItem, rc->items, rc->cap);
  }
  rc->items[rc->len++] = (RepItem){ name, len, 1 };
}

static void
repr_counts(GString *out, const RepList *rc)
{
  g_string_append_c(out, '{');
  for (guint i = 0; i < rc->len; i++) {
    const RepItem *it = &rc->items[i];
    if (i)
      g_string_append(out, ", ");
    f2b_py_repr_str_append(out, it->name, it->len);
    g_string_append_printf(out, ": %u", it->count);
  }
  g_string_append_c(out, '}');
}

/* A name never replaced (the ignore set), with its length. */
typedef struct {
  const char *name;
  gsize len;
} IgnoreName;

/* Working state of one substituteRecursiveTags call.  Keys never change
 * place in the map, so the current values and the per-tag state live in
 * arrays indexed by position; the map is built once at the end. */
typedef struct {
  const F2bIniMap *input;
  guint n;
  const char **vals;    /* current value of each tag (NULL: None) */
  gsize *lens;
  char **owned;         /* the values this call made (else NULL) */
  const IgnoreName *ignore;
  guint nignore;
  AddReplFunc addrepl;
  gpointer data;
  const char *conditional; /* "family=inet6": RTAG?CONDITIONAL is looked up first; NULL: none */
  guint8 *skip;         /* per tag: ignored, or done */
  gboolean *stored;     /* per tag: its counts are kept (repCounts[tag]) */
  RepList *counts;      /* per tag: the kept counts */
  RepList fresh;        /* counts for a tag that has none kept */
  GString *value, *scratch;
  GString *cond_key;    /* RTAG?CONDITIONAL being looked up */
} TagSubst;

static gboolean
subst_ignored(const TagSubst *ts, const char *name, gsize len)
{
  for (guint i = 0; i < ts->nignore; i++)
    if (ts->ignore[i].len == len && memcmp(ts->ignore[i].name, name, len) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
subst_error(GError **error, const char *tag, const char *rtag, gsize rlen, const RepList *rc,
            const char *value)
{
  g_autofree char *rt = g_strndup(rtag, rlen);
  GString *m = g_string_new(NULL);
  g_string_append_printf(m, "properties contain self referencing definitions and cannot be "
                            "resolved, fail tag: %s, found: %s in ", tag, rt);
  repr_counts(m, rc);
  g_string_append_printf(m, ", value: %s", value);
  g_set_error_literal(error, F2B_CONFREADER_ERROR, F2B_CONFREADER_ERROR_VALUE, m->str);
  g_string_free(m, TRUE);
  return FALSE;
}

/* The replacement of RTAG: the map's current value, else ADDREPL's (transfer
 * none); *NAME is a lasting copy of RTAG for the counts. */
static gboolean
subst_lookup(TagSubst *ts, const char *rtag, gsize rlen, const char **repl, gsize *replen,
             const char **name, GError **error)
{
  if (ts->conditional != NULL) {
    /* fail2ban looks RTAG?CONDITIONAL up first ("blocktype?family=inet6") */
    g_string_truncate(ts->cond_key, 0);
    g_string_append_len(ts->cond_key, rtag, rlen);
    g_string_append_c(ts->cond_key, '?');
    g_string_append(ts->cond_key, ts->conditional);
    gssize c = f2b_ini_map_find_len(ts->input, ts->cond_key->str, ts->cond_key->len);
    if (c >= 0 && ts->vals[c] != NULL) {
      *repl = ts->vals[c];
      *replen = ts->lens[c];
      *name = f2b_ini_map_key(ts->input, c);
      return TRUE;
    }
  }
  gssize k = f2b_ini_map_find_len(ts->input, rtag, rlen);
  if (k >= 0 && ts->vals[k] != NULL) {
    *repl = ts->vals[k];
    *replen = ts->lens[k];
    *name = f2b_ini_map_key(ts->input, k);
    return TRUE;
  }
  *repl = NULL;
  if (ts->addrepl == NULL)
    return TRUE;
  GError *local = NULL;
  *repl = ts->addrepl(rtag, rlen, ts->data, name, &local);
  if (local) {
    g_propagate_error(error, local);
    return FALSE;
  }
  if (*repl != NULL)
    *replen = strlen(*repl);
  return TRUE;
}

/* The inner loop for tag I whose value holds a tag at MS..ME; ts->value
 * receives the new value. RC is the replacement counts to use; *REPLACED
 * tells whether anything was replaced. */
static gboolean
subst_value(TagSubst *ts, guint i, gsize ms, gsize me, RepList *rc, gboolean *replaced, GError **error)
{
  *replaced = FALSE;
  const char *tag = f2b_ini_map_key(ts->input, i);
  gsize taglen = strlen(tag);
  g_string_truncate(ts->value, 0);
  buf_append(ts->value, ts->vals[i], ts->lens[i]);
  gboolean found = TRUE;
  while (found) {
    GString *value = ts->value;
    const char *rtag = value->str + ms + 1;
    gsize rlen = me - ms - 2;
    if (subst_ignored(ts, rtag, rlen)) {
      found = tag_search(value->str, value->len, me, &ms, &me);
      continue;
    }
    RepItem *it = replist_find(rc, rtag, rlen);
    if ((rlen == taglen && memcmp(rtag, tag, rlen) == 0) || (it ? it->count : 1) > MAX_TAG_REPLACE_COUNT)
      return subst_error(error, tag, rtag, rlen, rc, value->str);
    const char *repl, *name = NULL;
    gsize replen = 0;
    if (!subst_lookup(ts, rtag, rlen, &repl, &replen, &name, error))
      return FALSE;
    if (repl == NULL) {
      found = tag_search(value->str, value->len, me, &ms, &me);
      continue;
    }
    /* the pattern '<rtag>' is the match itself, read before the swap */
    replace_all(ts->scratch, value->str, value->len, value->str + ms, me - ms, repl, replen);
    ts->value = ts->scratch;
    ts->scratch = value;
    *replaced = TRUE;
    if (it != NULL)
      it->count++;
    else
      replist_add(rc, name, rlen);
    found = tag_search(ts->value->str, ts->value->len, ms, &ms, &me);
  }
  return TRUE;
}

/* SKIP_STABLE: a scan of the value replaced nothing, so each tag it holds
 * is ignored or has no replacement; those answers never change within a
 * call (map values never become None, ADDREPL's owner caches its answers),
 * so fail2ban's later passes would scan it again to the same end: no
 * replacement, no count, no error, no repFlag. */
enum { SKIP_IGNORED = 1, SKIP_DONE = 2, SKIP_STABLE = 4 };

/* Keeps VALUE as tag I's new value. */
static void
subst_store(TagSubst *ts, guint i, const GString *value)
{
  g_free(ts->owned[i]);
  ts->owned[i] = g_strndup(value->str, value->len);
  ts->vals[i] = ts->owned[i];
  ts->lens[i] = value->len;
}

/* One pass over every tag; *AGAIN is set when a value still holds a tag
 * after a replacement (fail2ban's repFlag). */
static gboolean
subst_pass(TagSubst *ts, gboolean *again, GError **error)
{
  *again = FALSE;
  for (guint i = 0; i < ts->n; i++) {
    if (ts->skip[i])
      continue;
    const char *orgval = ts->vals[i];
    gsize orglen = ts->lens[i], ms, me;
    if (orgval == NULL || !tag_search(orgval, orglen, 0, &ms, &me)) {
      /* nothing to substitute: done unless a '<' remains */
      if (orgval == NULL || memchr(orgval, '<', orglen) == NULL)
        ts->skip[i] |= SKIP_DONE;
      continue;
    }
    RepList *rc = ts->stored[i] ? &ts->counts[i] : &ts->fresh;
    if (!ts->stored[i])
      ts->fresh.len = 0;
    gboolean replaced;
    if (!subst_value(ts, i, ms, me, rc, &replaced, error))
      return FALSE;
    if (!replaced) {
      ts->skip[i] |= SKIP_STABLE;
      continue;
    }
    const GString *value = ts->value;
    if (value->len != orglen || memcmp(value->str, orgval, orglen) != 0) {
      gsize a, b;
      if (tag_search(value->str, value->len, 0, &a, &b)) {
        if (!ts->stored[i]) {
          RepList t = ts->counts[i];
          ts->counts[i] = ts->fresh;
          ts->fresh = t;
          ts->stored[i] = TRUE;
        }
        *again = TRUE;
      }
      subst_store(ts, i, value);
    }
    if (memchr(value->str, '<', value->len) == NULL)
      ts->skip[i] |= SKIP_DONE;
  }
  return TRUE;
}

/* helpers.substituteRecursiveTags, tag by tag in the map's order. */
/* BUFS (may be NULL) are two work buffers the caller keeps between calls:
 * values of actions grow past a kilobyte, and large blocks are the
 * allocator's slow path. */
static F2bIniMap *
substitute_tags(const F2bIniMap *input, const IgnoreName *ignore, guint nignore, AddReplFunc addrepl,
                gpointer data, const char *conditional, GString **bufs, GError **error)
{
  guint n = f2b_ini_map_size(input);
  TagSubst ts = { .input = input, .n = n, .ignore = ignore, .nignore = nignore, .addrepl = addrepl,
                  .data = data, .conditional = conditional };
  GString *local[2] = { NULL, NULL };
  if (bufs == NULL)
    bufs = local;
  for (guint b = 0; b < 2; b++)
    if (bufs[b] == NULL)
      bufs[b] = g_string_sized_new(256);
  ts.vals = g_new(const char *, n + 1);
  ts.lens = g_new(gsize, n + 1);
  ts.owned = g_new0(char *, n + 1);
  ts.skip = g_new0(guint8, n + 1);
  ts.stored = g_new0(gboolean, n + 1);
  ts.counts = g_new0(RepList, n + 1);
  ts.value = bufs[0];
  ts.scratch = bufs[1];
  if (conditional != NULL)
    ts.cond_key = g_string_new(NULL);
  for (guint i = 0; i < n; i++) {
    const char *k = f2b_ini_map_key(input, i);
    ts.vals[i] = f2b_ini_map_value(input, i);
    ts.lens[i] = ts.vals[i] ? strlen(ts.vals[i]) : 0;
    if (subst_ignored(&ts, k, strlen(k)))
      ts.skip[i] = SKIP_IGNORED;
  }
  gboolean again = TRUE, ok = TRUE;
  while (ok && again)
    ok = subst_pass(&ts, &again, error);
  F2bIniMap *out = NULL;
  if (ok) {
    out = f2b_ini_map_copy(input);
    for (guint i = 0; i < n; i++)
      if (ts.owned[i] != NULL)
        f2b_ini_map_set_at(out, i, ts.owned[i]);
  }
  for (guint i = 0; i < n; i++) {
    g_free(ts.owned[i]);
    g_free(ts.counts[i].items);
  }
  g_free(ts.fresh.items);
  g_free(ts.counts);
  g_free(ts.stored);
  g_free(ts.skip);
  g_free(ts.owned);
  g_free(ts.lens);
  g_free(ts.vals);
  if (ts.cond_key != NULL)
    g_string_free(ts.cond_key, TRUE);
  /* the two buffers may have swapped roles: both stay with the caller */
  bufs[0] = ts.value;
  bufs[1] = ts.scratch;
  for (guint b = 0; b < 2; b++)
    if (local[b] != NULL)
      g_string_free(local[b], TRUE);
  return out;
}

F2bIniMap *
f2b_confreader_substitute_tags_cond(const F2bIniMap *tags, GHashTable *ignore, const char *conditional,
                                    GError **error)
{
  guint n = ignore ? g_hash_table_size(ignore) : 0;
  g_autofree IgnoreName *names = g_new0(IgnoreName, n + 1);
  GHashTableIter it;
  gpointer key;
  guint k = 0;
  if (ignore != NULL) {
    g_hash_table_iter_init(&it, ignore);
    while (g_hash_table_iter_next(&it, &key, NULL))
      names[k++] = (IgnoreName){ key, strlen(key) };
  }
  return substitute_tags(tags, names, k, NULL, NULL, conditional && *conditional ? conditional : NULL, NULL,
                         error);
}

F2bIniMap *
f2b_confreader_substitute_tags(const F2bIniMap *tags, GHashTable *ignore, GError **error)
{
  return f2b_confreader_substitute_tags_cond(tags, ignore, NULL, error);
}

/* ---------------------------------------------------------- small helpers */

GPtrArray *
f2b_confreader_shlex_split(const char *s, GError **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  GString *tok = g_string_new(NULL);
  gboolean in_tok = FALSE;
  const char *p = s;
  while (*p) {
    char c = *p;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_tok) {
        g_ptr_array_add(out, g_strdup(tok->str));
        g_string_truncate(tok, 0);
        in_tok = FALSE;
      }
      p++;
    } else if (c == '\\') {
      in_tok = TRUE;
      if (p[1] == '\0') {
        g_set_error_literal(error, F2B_CONFREADER_ERROR, F2B_CONFREADER_ERROR_VALUE, "No escaped character");
        goto fail;
      }
      g_string_append_c(tok, p[1]);
      p += 2;
    } else if (c == '\'' || c == '"') {
      in_tok = TRUE;
      p++;
      while (*p && *p != c) {
        if (c == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\')) {
          g_string_append_c(tok, p[1]);
          p += 2;
          continue;
        }
        g_string_append_c(tok, *p++);
      }
      if (*p != c) {
        g_set_error_literal(error, F2B_CONFREADER_ERROR, F2B_CONFREADER_ERROR_VALUE, "No closing quotation");
        goto fail;
      }
      p++;
    } else {
      in_tok = TRUE;
      g_string_append_c(tok, c);
      p++;
    }
  }
  if (in_tok)
    g_ptr_array_add(out, g_strdup(tok->str));
  g_string_free(tok, TRUE);
  return out;
fail:
  g_string_free(tok, TRUE);
  g_ptr_array_unref(out);
  return NULL;
}

/* helpers.splitwords: split on runs of ' ', ',' and '\n'; strip; drop empties. */
static void
splitwords_append(F2bPyObj *list, const char *s)
{
  const char *p = s;
  while (*p) {
    gsize n = strcspn(p, " ,\n");
    g_autofree char *w = f2b_ini_strip(p, n);
    if (*w)
      f2b_py_append(list, f2b_py_str(w));
    p += n;
    p += strspn(p, " ,\n");
  }
}

static char *
json_dumps(const F2bIniMap *m)
{
  GString *out = g_string_new("{");
  for (guint i = 0; i < f2b_ini_map_size(m); i++) {
    if (i)
      g_string_append(out, ", ");
    const char *k = f2b_ini_map_key(m, i);
    f2b_pyjson_str_append(out, k, strlen(k), TRUE);
    g_string_append(out, ": ");
    const char *v = f2b_ini_map_value(m, i);
    if (v)
      f2b_pyjson_str_append(out, v, strlen(v), TRUE);
    else
      g_string_append(out, "null");
  }
  g_string_append_c(out, '}');
  return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------------ glob */

static gboolean
has_magic(const char *s)
{
  return strpbrk(s, "*?[") != NULL;
}

static void
path_split(const char *path, char **dir, char **base)
{
  const char *slash = strrchr(path, '/');
  if (slash == NULL) {
    *dir = g_strdup("");
    *base = g_strdup(path);
    return;
  }
  *base = g_strdup(slash + 1);
  gsize dl = slash - path + 1;
  /* trailing slashes go, unless the head is all slashes */
  gsize k = dl;
  while (k > 0 && path[k - 1] == '/')
    k--;
  *dir = g_strndup(path, k > 0 ? k : dl);
}

static char *
path_join(const char *dir, const char *name)
{
  if (*dir == '\0')
    return g_strdup(name);
  if (g_str_has_suffix(dir, "/"))
    return g_strconcat(dir, name, NULL);
  return g_strconcat(dir, "/", name, NULL);
}

static gboolean
lexists(const char *p)
{
  struct stat st;
  return lstat(p, &st) == 0;
}

static gboolean
is_dir(const char *p)
{
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void glob_rec(const char *pattern, gboolean dironly, GPtrArray *out);

/* names of DIR matching PATTERN, in directory order */
static void
glob1(const char *dir, const char *pattern, gboolean dironly, GPtrArray *out)
{
  GDir *d = g_dir_open(*dir ? dir : ".", 0, NULL);
  if (d == NULL)
    return;
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    if (name[0] == '.' && pattern[0] != '.')
      continue;
    if (dironly) {
      g_autofree char *full = path_join(dir, name);
      if (!is_dir(full))
        continue;
    }
    if (fnmatch(pattern, name, FNM_NOESCAPE) == 0)
      g_ptr_array_add(out, g_strdup(name));
  }
  g_dir_close(d);
}

static void
glob_rec(const char *pattern, gboolean dironly, GPtrArray *out)
{
  g_autofree char *dir = NULL, *base = NULL;
  path_split(pattern, &dir, &base);
  if (!has_magic(pattern)) {
    if (*base ? lexists(pattern) : is_dir(dir))
      g_ptr_array_add(out, g_strdup(pattern));
    return;
  }
  if (*dir == '\0') {
    glob1("", base, dironly, out);
    return;
  }
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func(g_free);
  if (strcmp(dir, pattern) != 0 && has_magic(dir))
    glob_rec(dir, TRUE, dirs);
  else
    g_ptr_array_add(dirs, g_strdup(dir));
  for (guint i = 0; i < dirs->len; i++) {
    const char *d = dirs->pdata[i];
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    if (has_magic(base)) {
      glob1(d, base, dironly, names);
    } else {
      g_autofree char *full = path_join(d, base);
      if (*base ? lexists(full) : is_dir(d))
        g_ptr_array_add(names, g_strdup(base));
    }
    for (guint k = 0; k < names->len; k++)
      g_ptr_array_add(out, path_join(d, names->pdata[k]));
  }
}

GPtrArray *
f2b_confreader_glob(const char *pattern)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  glob_rec(pattern, FALSE, out);
  return out;
}

/* ------------------------------------------- filter and action readers */

typedef struct {
  F2bConfReader *r;
  char *jail;
  F2bIni *cfg;             /* transfer none */
  F2bIniMap *init_opts;    /* arguments from the jail, then [Init] */
  F2bIniMap *opts;         /* [Definition] values read */
  F2bIniMap *popts;        /* the vars the last getOptions used */
  F2bIniMap *defcache;     /* getCombOption's cache: name -> value or None */
  const OptTemplate *tmpl;
  guint ntmpl;
  char *name;              /* an action's name in the jail */
} DefReader;

static void
defreader_free(DefReader *dr)
{
  if (dr == NULL)
    return;
  g_free(dr->jail);
  f2b_ini_map_free(dr->init_opts);
  f2b_ini_map_free(dr->opts);
  f2b_ini_map_free(dr->popts);
  f2b_ini_map_free(dr->defcache);
  g_free(dr->name);
  g_free(dr);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DefReader, defreader_free)

static DefReader *
defreader_new(F2bConfReader *r, const char *jail, F2bIniMap *init_opts, const OptTemplate *t, guint n)
{
  DefReader *dr = g_new0(DefReader, 1);
  dr->r = r;
  dr->jail = g_strdup(jail);
  dr->init_opts = init_opts;
  dr->opts = f2b_ini_map_new();
  dr->popts = f2b_ini_map_new();
  dr->defcache = f2b_ini_map_new();
  dr->tmpl = t;
  dr->ntmpl = n;
  return dr;
}

/* DefinitionInitConfigReader.getOptions */
static gboolean
defreader_get_options(DefReader *dr, const F2bIniMap *jail_values, gboolean all, GError **error)
{
  g_autoptr(F2bIniMap) popts = f2b_ini_map_copy(jail_values);
  f2b_ini_map_update(popts, dr->init_opts);
  g_autoptr(F2bIniMap) opts = f2b_ini_map_new();
  if (!get_options(dr->r, dr->cfg, "Definition", dr->tmpl, dr->ntmpl, popts, FALSE, FALSE, TO_MAP(opts),
                   error))
    return FALSE;
  f2b_ini_map_free(dr->opts);
  dr->opts = g_steal_pointer(&opts);
  f2b_ini_map_free(dr->popts);
  dr->popts = g_steal_pointer(&popts);
  /* the file's sections are not changed here: no copy of their keys */
  F2bIniMap *init = f2b_ini_section(dr->cfg, "Init");
  PlainGets *pg;
  for (guint i = 0; init != NULL && i < f2b_ini_map_size(init); i++) {
    const char *opt = f2b_ini_map_key(init, i);
    if (strcmp(opt, "__name__") == 0)
      continue;
    gssize k = -1;
    if (!g_str_has_prefix(opt, "known/")) {
      if ((k = plain_get(dr->r, dr->cfg, "Init", opt, &pg, error)) < 0)
        return FALSE;
      f2b_ini_map_set_entry(dr->init_opts, pg->known, k);
    }
    if (!f2b_ini_map_contains(dr->init_opts, opt)) {
      if (k < 0 && (k = plain_get(dr->r, dr->cfg, "Init", opt, &pg, error)) < 0)
        return FALSE;
      f2b_ini_map_set_entry(dr->init_opts, pg->init, k);
    }
  }
  if (all && f2b_ini_has_section(dr->cfg, "Definition")) {
    F2bIniMap *maps[2] = { f2b_ini_section(dr->cfg, "Definition"), f2b_ini_defaults(dr->cfg) };
    for (guint m = 0; m < 2; m++)
      for (guint i = 0; i < f2b_ini_map_size(maps[m]); i++) {
        const char *opt = f2b_ini_map_key(maps[m], i);
        if (strcmp(opt, "__name__") == 0 || f2b_ini_map_contains(dr->opts, opt))
          continue;
        gssize k = plain_get(dr->r, dr->cfg, "Definition", opt, &pg, error);
        if (k < 0)
          return FALSE;
        f2b_ini_map_set_entry(dr->opts, pg->definition, k);
      }
  }
  return TRUE;
}

/* getCombOption: a Definition value for a tag nothing else defines
 * (transfer none: the value lives in the reader's cache, as does *NAME). */
static const char *
defreader_comb_option(const char *tag, gsize len, gpointer data, const char **name, GError **error)
{
  DefReader *dr = data;
  gssize k = f2b_ini_map_find_len(dr->defcache, tag, len);
  if (k >= 0) {
    *name = f2b_ini_map_key(dr->defcache, k);
    return f2b_ini_map_value(dr->defcache, k);
  }
  g_autofree char *n = g_strndup(tag, len);
  GError *local = NULL;
  char *v = NULL;
  /* a plain name nothing defines: no get() and no error message to build */
  if (strchr(n, '/') != NULL || f2b_ini_has_option_vars(dr->cfg, "Definition", n, dr->popts))
    v = f2b_ini_get_ex_ref(dr->cfg, "Definition", n, dr->popts, &local);
  if (v == NULL && local != NULL) {
    if (local->domain != F2B_INI_ERROR ||
        (local->code != F2B_INI_ERROR_NO_SECTION && local->code != F2B_INI_ERROR_NO_OPTION)) {
      g_propagate_error(error, local);
      return NULL;
    }
    g_error_free(local);
  }
  f2b_ini_map_take_ref(dr->defcache, n, v);
  k = f2b_ini_map_size(dr->defcache) - 1;
  *name = f2b_ini_map_key(dr->defcache, k);
  return f2b_ini_map_value(dr->defcache, k);
}

/* A name such as "blocktype?family=inet6": its part before '?'. */
static char *
conditional_base(const char *n)
{
  const char *q = n;
  while (*q && (g_ascii_isalnum(*q) || *q == '_' || (guchar)*q >= 0x80))
    q++;
  if (q == n || *q != '?' || q[1] == '\0')
    return NULL;
  return g_strndup(n, q - n);
}

/* One value of a combined map as convertOptions types it (transfer full). */
static F2bPyObj *
combined_value(const DefReader *dr, const char *k, const char *v)
{
  const OptTemplate *t = template_find(dr->tmpl, dr->ntmpl, k);
  gint64 iv;
  if (v == NULL || t == NULL || t->type == OPT_STR)
    return str_or_none(v);
  if (t->type == OPT_BOOL)
    return f2b_py_bool(as_bool(v));
  return py_int(v, &iv) ? f2b_py_int(iv) : f2b_py_none();
}

/* getCombined: Definition and Init values with their tags resolved, as
 * strings (transfer full); combined_value() gives their typed form.  The
 * warning for a wrong int is logged here, where convertOptions logs it. */
static F2bIniMap *
defreader_combined(DefReader *dr, const char *const *ignore_names, GError **error)
{
  g_autoptr(F2bIniMap) combined = f2b_ini_map_copy(dr->opts);
  f2b_ini_map_update(combined, dr->init_opts);
  if (f2b_ini_map_size(combined) == 0)
    return g_steal_pointer(&combined);
  g_autoptr(GArray) ignore = g_array_new(FALSE, FALSE, sizeof(IgnoreName));
  g_autoptr(GPtrArray) bases = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; ignore_names && ignore_names[i]; i++) {
    IgnoreName in = { ignore_names[i], strlen(ignore_names[i]) };
    g_array_append_val(ignore, in);
  }
  for (guint i = 0; i < f2b_ini_map_size(combined); i++) {
    char *b = conditional_base(f2b_ini_map_key(combined, i));
    if (b) {
      IgnoreName in = { b, strlen(b) };
      g_array_append_val(ignore, in);
      g_ptr_array_add(bases, b);
    }
  }
  F2bIniMap *opts = substitute_tags(combined, (const IgnoreName *)(gpointer)ignore->data, ignore->len,
                                    defreader_comb_option, dr, NULL, dr->r->subst_bufs, error);
  guint ints = 0;
  for (guint i = 0; i < dr->ntmpl; i++)
    ints += dr->tmpl[i].type == OPT_INT;
  /* only ints can be wrong; most templates have none */
  for (guint i = 0; ints > 0 && opts != NULL && i < f2b_ini_map_size(opts); i++) {
    const char *k = f2b_ini_map_key(opts, i), *v = f2b_ini_map_value(opts, i);
    const OptTemplate *t = template_find(dr->tmpl, dr->ntmpl, k);
    gint64 iv;
    if (v != NULL && t != NULL && t->type == OPT_INT && !py_int(v, &iv)) {
      g_autofree char *rv = f2b_py_repr_str(v), *rk = f2b_py_repr_str(k);
      f2b_log(&dr->r->log, F2B_LOG_WARNING, LOG_CONFREADER,
              "Wrong int value %s for %s. Using default one: None", rv, rk);
    }
  }
  return opts;
}

static F2bPyObj *
cmd3(const char *a, const char *b, const char *c)
{
  return f2b_py_list_of_strs(a, b, c, NULL);
}

/* Options _fillStream turns into commands ("datepattern" is tested as
 * `opt in ('datepattern')`: a substring test). */
static gboolean
fill_stream_wants(const char *opt)
{
  return strcmp(opt, "failregex") == 0 || strcmp(opt, "ignoreregex") == 0 || strcmp(opt, "usedns") == 0 ||
         strcmp(opt, "maxlines") == 0 || strcmp(opt, "prefregex") == 0 || strcmp(opt, "journalmatch") == 0 ||
         strstr("datepattern", opt) != NULL;
}

/* FilterReader._fillStream for one option OPT = V (not None). */
static gboolean
fill_stream_one(GPtrArray *stream, guint *prio, const char *opt, const F2bPyObj *v, const char *jail,
                GError **error)
{
  if (strcmp(opt, "failregex") == 0 || strcmp(opt, "ignoreregex") == 0) {
    g_autofree char *value = py_to_str(v);
    g_auto(GStrv) lines = g_strsplit(value, "\n", -1);
    g_autoptr(F2bPyObj) multi = f2b_py_list_new();
    for (guint l = 0; lines[l]; l++)
      if (*lines[l])
        f2b_py_append(multi, f2b_py_str(lines[l]));
    g_autofree char *addopt = g_strconcat("add", opt, NULL);
    if (f2b_py_len(multi) > 1) {
      F2bPyObj *c = f2b_py_list_of_strs("multi-set", jail, addopt, NULL);
      f2b_py_append(c, g_steal_pointer(&multi));
      g_ptr_array_add(stream, c);
    } else if (f2b_py_len(multi) == 1) {
      F2bPyObj *c = cmd3("set", jail, addopt);
      f2b_py_append(c, f2b_py_copy(f2b_py_item(multi, 0)));
      g_ptr_array_add(stream, c);
    }
  } else if (strcmp(opt, "usedns") == 0 || strcmp(opt, "maxlines") == 0 || strcmp(opt, "prefregex") == 0) {
    F2bPyObj *c = cmd3("set", jail, opt);
    f2b_py_append(c, f2b_py_copy(v));
    g_ptr_array_insert(stream, strcmp(opt, "usedns") == 0 ? 0 : (gint)MIN(*prio, stream->len), c);
    (*prio)++;
  } else if (strstr("datepattern", opt) != NULL) {
    F2bPyObj *c = cmd3("set", jail, opt);
    f2b_py_append(c, f2b_py_copy(v));
    g_ptr_array_add(stream, c);
  } else if (strcmp(opt, "journalmatch") == 0) {
    g_autofree char *value = py_to_str(v);
    g_auto(GStrv) lines = g_strsplit(value, "\n", -1);
    for (guint l = 0; lines[l]; l++) {
      if (*lines[l] == '\0')
        continue;
      g_autoptr(GPtrArray) words = f2b_confreader_shlex_split(lines[l], error);
      if (words == NULL)
        return FALSE;
      F2bPyObj *c = cmd3("set", jail, "addjournalmatch");
      for (guint w = 0; w < words->len; w++)
        f2b_py_append(c, f2b_py_str(words->pdata[w]));
      g_ptr_array_add(stream, c);
    }
  }
  return TRUE;
}

/* FilterReader._fillStream: a jail's options into STREAM. */
static gboolean
fill_stream(GPtrArray *stream, const F2bPyObj *opts, const char *jail, GError **error)
{
  guint prio = 0;
  for (gsize i = 0; i < f2b_py_len(opts); i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(opts, i, &k, &v);
    const char *opt = f2b_py_get_str(k, NULL);
    if (f2b_py_kind(v) != F2B_PY_NONE && fill_stream_wants(opt) &&
        !fill_stream_one(stream, &prio, opt, v, jail, error))
      return FALSE;
  }
  return TRUE;
}

/* FilterReader.convert: a filter's combined options into STREAM. */
static gboolean
fill_stream_filter(GPtrArray *stream, const DefReader *dr, const F2bIniMap *opts, GError **error)
{
  guint prio = 0;
  for (guint i = 0; i < f2b_ini_map_size(opts); i++) {
    const char *opt = f2b_ini_map_key(opts, i);
    if (!fill_stream_wants(opt))
      continue;
    g_autoptr(F2bPyObj) v = combined_value(dr, opt, f2b_ini_map_value(opts, i));
    if (f2b_py_kind(v) != F2B_PY_NONE && !fill_stream_one(stream, &prio, opt, v, dr->jail, error))
      return FALSE;
  }
  return TRUE;
}

static const char *const action_ignore[] = { "matches", "ipmatches", "ipjailmatches", "timeout",
                                             "bantime", NULL };

static gboolean
action_convert(DefReader *a, GPtrArray *stream, GError **error)
{
  g_autoptr(F2bIniMap) opts = defreader_combined(a, action_ignore, error);
  if (opts == NULL)
    return FALSE;
  F2bPyObj *add = f2b_py_list_of_strs("set", a->jail, "addaction", a->name, NULL);
  g_ptr_array_add(stream, add);
  /* the (name, value) pairs, as the lists fail2ban sends */
  g_autoptr(F2bPyObj) pairs = f2b_py_list_new();
  for (guint i = 0; i < f2b_ini_map_size(opts); i++) {
    const char *opt = f2b_ini_map_key(opts, i);
    if (template_find(a->tmpl, a->ntmpl, opt) && !g_str_has_prefix(opt, "known/")) {
      F2bPyObj *l = f2b_py_append(pairs, f2b_py_list_new());
      f2b_py_append(l, f2b_py_str(opt));
      f2b_py_append(l, combined_value(a, opt, f2b_ini_map_value(opts, i)));
    }
  }
  for (guint i = 0; i < f2b_ini_map_size(a->init_opts); i++) {
    const char *opt = f2b_ini_map_key(a->init_opts, i);
    if (!template_find(a->tmpl, a->ntmpl, opt) && !g_str_has_prefix(opt, "known/")) {
      F2bPyObj *l = f2b_py_append(pairs, f2b_py_list_new());
      f2b_py_append(l, f2b_py_str(opt));
      f2b_py_append(l, str_or_none(f2b_ini_map_value(a->init_opts, i)));
    }
  }
  if (f2b_py_len(pairs) > 1) {
    F2bPyObj *c = f2b_py_list_of_strs("multi-set", a->jail, "action", a->name, NULL);
    f2b_py_append(c, g_steal_pointer(&pairs));
    g_ptr_array_add(stream, c);
  } else if (f2b_py_len(pairs) == 1) {
    F2bPyObj *c = f2b_py_list_of_strs("set", a->jail, "action", a->name, NULL);
    F2bPyObj *p = f2b_py_item(pairs, 0);
    f2b_py_append(c, f2b_py_copy(f2b_py_item(p, 0)));
    f2b_py_append(c, f2b_py_copy(f2b_py_item(p, 1)));
    g_ptr_array_add(stream, c);
  }
  return TRUE;
}

/* ------------------------------------------------------------ jail reader */

typedef struct {
  DefReader *reader;   /* a shell action from action.d */
  F2bPyObj *command;   /* or a Python action's ready 'addaction' command */
} JailAction;

typedef struct {
  char *name;
  F2bPyObj *opts;
  F2bIniMap *opts_map;  /* OPTS as strings: the pOpts of its filter and actions */
  DefReader *filter;
  GPtrArray *actions;  /* JailAction* */
  char *config_error;
} Jail;

static void
jail_action_free(JailAction *a)
{
  defreader_free(a->reader);
  if (a->command)
    f2b_py_free(a->command);
  g_free(a);
}

static void
jail_free(Jail *j)
{
  g_free(j->name);
  if (j->opts)
    f2b_py_free(j->opts);
  f2b_ini_map_free(j->opts_map);
  defreader_free(j->filter);
  g_ptr_array_free(j->actions, TRUE);
  g_free(j->config_error);
  g_free(j);
}

static const char *
opt_str(const F2bPyObj *opts, const char *key)
{
  F2bPyObj *v = pyd_get(opts, key);
  return v && f2b_py_kind(v) == F2B_PY_STR ? f2b_py_get_str(v, NULL) : NULL;
}

static gboolean
jail_def_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
jail_def_error(GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *m = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, F2B_CONFREADER_ERROR, F2B_CONFREADER_ERROR_JAILDEF, m);
  return FALSE;
}

static F2bIni *
read_or_empty(F2bConfReader *r, const char *name, gboolean *found, GError **error);
static void failure_add_missing(F2bConfReader *r, F2bIni *jailcfg, Jail *j, const char *kind, const char *name,
                                guint index);

static gboolean
jail_read_filter(F2bConfReader *r, F2bIni *jailcfg, Jail *j, const char *flt, GError **error)
{
  g_autofree char *fname = NULL;
  F2bIniMap *fopts = NULL;
  GError *local = NULL;
  if (!f2b_confreader_extract_options(r, flt, &fname, &fopts, &local)) {
    g_autofree char *rf = f2b_py_repr_str(flt);
    jail_def_error(error, "Invalid filter definition %s: %s", rf, local->message);
    g_error_free(local);
    return FALSE;
  }
  j->filter = defreader_new(r, j->name, fopts, filter_opts, G_N_ELEMENTS(filter_opts));
  g_autofree char *file = g_strconcat("filter.d/", fname, NULL);
  gboolean found;
  j->filter->cfg = read_or_empty(r, file, &found, error);
  if (j->filter->cfg == NULL)
    return FALSE;
  if (!found) {
    failure_add_missing(r, jailcfg, j, "filter", fname, 0);
    g_autofree char *rf = f2b_py_repr_str(fname);
    return jail_def_error(error, "Unable to read the filter %s", rf);
  }
  /* applyAutoOptions: the log type follows the backend */
  const char *lt = f2b_ini_map_get(j->filter->init_opts, "logtype");
  if ((lt == NULL || *lt == '\0') && !f2b_ini_has_option(j->filter->cfg, "Definition", "logtype", FALSE)) {
    const char *backend = opt_str(j->opts, "backend");
    f2b_ini_map_set(j->filter->init_opts, "logtype",
                    backend && g_str_has_prefix(backend, "systemd") ? "journal" : "file");
  }
  g_autoptr(F2bIniMap) jail_values = pyd_to_map(j->opts);
  if (!defreader_get_options(j->filter, jail_values, TRUE, error))
    return FALSE;
  g_autoptr(F2bIniMap) known = defreader_combined(j->filter, NULL, error);
  if (known == NULL)
    return FALSE;
  /* the values as str() of their typed form */
  for (guint i = 0; i < f2b_ini_map_size(known); i++) {
    const char *k = f2b_ini_map_key(known, i), *v = f2b_ini_map_value(known, i);
    const OptTemplate *t = template_find(j->filter->tmpl, j->filter->ntmpl, k);
    if (v != NULL && t != NULL && t->type != OPT_STR) {
      g_autoptr(F2bPyObj) typed = combined_value(j->filter, k, v);
      f2b_ini_map_take(known, k, py_to_str(typed));
    }
  }
  f2b_ini_merge_section(jailcfg, j->name, known, "known/");
  return TRUE;
}

/* The action entry ACT, the INDEXth of the jail's action list. */
static gboolean
jail_read_action(F2bConfReader *r, F2bIni *jailcfg, Jail *j, const char *act, guint index, GError **error)
{
  g_autofree char *aname = NULL;
  F2bIniMap *aopts = NULL;
  GError *local = NULL;
  if (!f2b_confreader_extract_options(r, act, &aname, &aopts, &local)) {
    g_autofree char *ra = f2b_py_repr_str(act);
    jail_def_error(error, "Invalid action definition %s: %s", ra, local->message);
    g_error_free(local);
    return FALSE;
  }
  JailAction *ja = g_new0(JailAction, 1);
  g_ptr_array_add(j->actions, ja);
  if (g_str_has_suffix(aname, ".py")) {
    g_autoptr(F2bIniMap) o = aopts;
    g_autofree char *actname = g_strdup(f2b_ini_map_get(o, "actname"));
    if (!f2b_ini_map_contains(o, "actname")) {
      const char *b = strrchr(aname, '/');
      b = b ? b + 1 : aname;
      while (*b == '.')
        b++;
      actname = g_strndup(aname, strrchr(b, '.') ? (gsize)(strrchr(b, '.') - aname) : strlen(aname));
    }
    f2b_ini_map_remove(o, "actname");
    g_autofree char *path = g_strconcat(r->basedir, "/action.d/", aname, NULL);
    if (aname[0] == '/') {
      g_free(path);
      path = g_strdup(aname);
    }
    g_autofree char *json = json_dumps(o);
    ja->command = f2b_py_list_of_strs("set", j->name, "addaction", actname ? actname : "None", path,
                                      json, NULL);
    return TRUE;
  }
  /* ActionReader: the jail's name and a unique action name are arguments */
  const char *n = f2b_ini_map_get(aopts, "name");
  if (n == NULL) {
    f2b_ini_map_set(aopts, "name", j->name);
    n = j->name;
  }
  g_autofree char *nn = g_strdup(n);
  if (f2b_ini_map_get(aopts, "actname") == NULL) {
    g_autofree char *actname = NULL;
    if (strcmp(nn, j->name) != 0)
      actname = g_str_has_prefix(nn, j->name) ? g_strconcat(aname, nn + strlen(j->name), NULL)
                                              : g_strconcat(aname, "-", nn, NULL);
    else
      actname = g_strdup(aname);
    f2b_ini_map_set(aopts, "actname", actname);
  }
  ja->reader = defreader_new(r, j->name, aopts, action_opts, G_N_ELEMENTS(action_opts));
  ja->reader->name = g_strdup(f2b_ini_map_get(aopts, "actname"));
  g_autofree char *file = g_strconcat("action.d/", aname, NULL);
  gboolean found;
  ja->reader->cfg = read_or_empty(r, file, &found, &local);
  if (ja->reader->cfg != NULL && !found) {
    failure_add_missing(r, jailcfg, j, "action", aname, index);
    g_autofree char *ra = f2b_py_repr_str(aname);
    return jail_def_error(error, "Unable to read action %s", ra);
  }
  if (ja->reader->cfg == NULL || !defreader_get_options(ja->reader, j->opts_map, FALSE, &local)) {
    g_autofree char *ra = f2b_py_repr_str(act);
    g_autoptr(F2bPyObj) msg = f2b_py_str(local->message);
    g_autofree char *rm = f2b_py_repr(msg);
    g_set_error(error, F2B_CONFREADER_ERROR, F2B_CONFREADER_ERROR_VALUE,
                "Error in action definition %s: %s(%s)", ra,
                local->domain == F2B_INI_ERROR ? "InterpolationError" : "ValueError", rm);
    g_error_free(local);
    return FALSE;
  }
  return TRUE;
}

/* JailReader.getOptions; FALSE without ERROR for a wrong jail (JailDefError). */
static gboolean
jail_get_options_inner(F2bConfReader *r, F2bIni *jailcfg, Jail *j, gboolean force_enable, GError **error)
{
  F2bIniMap *defs = f2b_ini_defaults(jailcfg);
  f2b_ini_map_set(defs, "fail2ban_version", F2B_COMPAT_VERSION);
  f2b_ini_map_set(defs, "fail2ban_confpath", r->basedir);
  j->opts = f2b_py_dict_new();
  if (!get_options(r, jailcfg, j->name, jail_opts_1st, G_N_ELEMENTS(jail_opts_1st), NULL, TRUE, TRUE,
                   TO_DICT(j->opts), error))
    return FALSE;
  F2bPyObj *en = pyd_get(j->opts, "enabled");
  if (!force_enable && !(en && f2b_py_kind(en) == F2B_PY_BOOL && f2b_py_get_bool(en)))
    return TRUE;
  const char *flt = opt_str(j->opts, "filter");
  if (flt && *flt) {
    if (!jail_read_filter(r, jailcfg, j, flt, error))
      return FALSE;
  } else {
    f2b_log(&r->log, F2B_LOG_WARNING, LOG_JAILREADER, "No filter set for jail %s", j->name);
  }
  f2b_py_free(j->opts);
  j->opts = f2b_py_dict_new();
  if (!get_options(r, jailcfg, j->name, jail_opts, G_N_ELEMENTS(jail_opts), NULL, FALSE, TRUE,
                   TO_DICT(j->opts), error))
    return FALSE;
  j->opts_map = pyd_to_map(j->opts);
  if (j->filter && !defreader_get_options(j->filter, j->opts_map, FALSE, error))
    return FALSE;
  const char *actions = opt_str(j->opts, "action");
  g_autoptr(GPtrArray) acts = f2b_confreader_split_with_options(r, actions ? actions : "");
  for (guint i = 0, index = 0; i < acts->len; i++) {
    g_autofree char *act = f2b_ini_strip(acts->pdata[i], strlen(acts->pdata[i]));
    if (*act == '\0')
      continue;
    if (!jail_read_action(r, jailcfg, j, act, index++, error))
      return FALSE;
  }
  if (j->actions->len == 0)
    f2b_log(&r->log, F2B_LOG_WARNING, LOG_JAILREADER, "No actions were defined for %s", j->name);
  return TRUE;
}

static gboolean
jail_get_options(F2bConfReader *r, F2bIni *jailcfg, Jail *j, gboolean force_enable, gboolean *ret,
                 GError **error)
{
  GError *local = NULL;
  *ret = TRUE;
  if (jail_get_options_inner(r, jailcfg, j, force_enable, &local))
    return TRUE;
  if (local->domain != F2B_CONFREADER_ERROR || local->code != F2B_CONFREADER_ERROR_JAILDEF) {
    g_propagate_error(error, local);
    return FALSE;
  }
  f2b_log(&r->log, F2B_LOG_ERROR, LOG_JAILREADER, "%s", local->message);
  if (j->opts == NULL)
    j->opts = f2b_py_dict_new();
  pyd_set(j->opts, "config-error", f2b_py_str(local->message));
  j->config_error = g_strdup(local->message);
  g_error_free(local);
  *ret = FALSE;
  return TRUE;
}

static gboolean
is_ignored_jail_opt(const char *opt)
{
  static const char *const names[] = { "action", "filter", "enabled", "usedns", "prefregex",
                                       "ignoreregex", "failregex", "maxlines", "datepattern",
                                       "journalmatch" };
  for (guint i = 0; i < G_N_ELEMENTS(names); i++)
    if (strcmp(opt, names[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
jail_logpaths(F2bConfReader *r, Jail *j, const char *value, gboolean allow_no_files, GPtrArray *stream2,
              GError **error)
{
  guint found = 0;
  g_auto(GStrv) lines = g_strsplit(value, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    const char *sp = strrchr(lines[i], ' ');
    g_autofree char *path = sp ? g_strndup(lines[i], sp - lines[i]) : g_strdup(lines[i]);
    const char *tail = sp ? sp + 1 : "head";
    g_autoptr(GPtrArray) list = f2b_confreader_glob(path);
    guint kept = 0;
    for (guint k = 0; k < list->len; k++) {
      const char *p = list->pdata[k];
      if (!path_exists(p)) {
        f2b_log(&r->log, F2B_LOG_WARNING, LOG_JAILREADER,
                "File %s is a dangling link, thus cannot be monitored", p);
        continue;
      }
      kept++;
      found++;
      g_ptr_array_add(stream2, f2b_py_list_of_strs("set", j->name, "addlogpath", p, tail, NULL));
    }
    if (kept == 0)
      f2b_log(&r->log, F2B_LOG_NOTICE, LOG_JAILREADER, "No file(s) found for glob %s", path);
  }
  if (found == 0) {
    if (!allow_no_files) {
      g_set_error(error, F2B_CONFREADER_ERROR, F2B_CONFREADER_ERROR_VALUE,
                  "Have not found any log file for %s jail", j->name);
      return FALSE;
    }
    f2b_log(&r->log, F2B_LOG_WARNING, LOG_JAILREADER, "Have not found any log file for %s jail", j->name);
  }
  return TRUE;
}

/* JailReader.convert: this jail's commands appended to OUT. */
static gboolean
jail_convert(F2bConfReader *r, Jail *j, gboolean allow_no_files, GPtrArray *out, GError **error)
{
  if (j->config_error) {
    g_autofree char *m = g_strdup_printf("Jail '%s' skipped, because of wrong configuration: %s",
                                         j->name, j->config_error);
    g_ptr_array_add(out, f2b_py_list_of_strs("config-error", m, NULL));
    return TRUE;
  }
  g_autoptr(GPtrArray) stream = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_py_free);
  g_autoptr(GPtrArray) stream2 = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_py_free);
  if (j->filter) {
    g_autoptr(F2bIniMap) fopts = defreader_combined(j->filter, NULL, error);
    if (fopts == NULL || !fill_stream_filter(stream, j->filter, fopts, error))
      return FALSE;
  }
  if (!fill_stream(stream, j->opts, j->name, error))
    return FALSE;
  g_autoptr(F2bPyObj) backend = NULL;
  for (gsize i = 0; i < f2b_py_len(j->opts); i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(j->opts, i, &k, &v);
    const char *opt = f2b_py_get_str(k, NULL);
    if (strcmp(opt, "logpath") == 0) {
      const char *b = opt_str(j->opts, "backend");
      if (b && g_str_has_prefix(b, "systemd"))
        continue;
      g_autofree char *value = py_to_str(v);
      if (!jail_logpaths(r, j, value ? value : "None", allow_no_files, stream2, error))
        return FALSE;
    } else if (strcmp(opt, "backend") == 0) {
      g_clear_pointer(&backend, f2b_py_free);
      backend = f2b_py_copy(v);
    } else if (strcmp(opt, "ignoreip") == 0) {
      F2bPyObj *c = cmd3("set", j->name, "addignoreip");
      g_autofree char *value = py_to_str(v);
      if (value)
        splitwords_append(c, value);
      g_ptr_array_add(stream, c);
    } else if (!is_ignored_jail_opt(opt)) {
      F2bPyObj *c = cmd3("set", j->name, opt);
      f2b_py_append(c, f2b_py_copy(v));
      g_ptr_array_add(stream, c);
    }
  }
  for (guint i = 0; i < stream2->len; i++)
    g_ptr_array_add(stream, g_steal_pointer(&stream2->pdata[i]));
  for (guint i = 0; i < j->actions->len; i++) {
    JailAction *a = j->actions->pdata[i];
    if (a->command)
      g_ptr_array_add(stream, f2b_py_copy(a->command));
    else if (!action_convert(a->reader, stream, error))
      return FALSE;
  }
  F2bPyObj *add = f2b_py_list_of_strs("add", j->name, NULL);
  f2b_py_append(add, backend ? g_steal_pointer(&backend) : f2b_py_str("auto"));
  g_ptr_array_add(out, add);
  for (guint i = 0; i < stream->len; i++)
    g_ptr_array_add(out, g_steal_pointer(&stream->pdata[i]));
  return TRUE;
}

/* ------------------------------------------------------- configurator */

static F2bIni *
read_or_empty(F2bConfReader *r, const char *name, gboolean *found, GError **error)
{
  GError *local = NULL;
  F2bIni *ini = read_config(r, name, &local);
  *found = ini != NULL;
  if (ini != NULL)
    return ini;
  if (local != NULL) {
    g_propagate_error(error, local);
    return NULL;
  }
  /* an unreadable configuration behaves as an empty one */
  g_autofree char *key = g_strconcat("\001empty:", name, NULL);
  F2bIni *empty = g_hash_table_lookup(r->configs, key);
  if (empty == NULL) {
    empty = f2b_ini_new();
    g_hash_table_insert(r->configs, g_steal_pointer(&key), empty);
  }
  return empty;
}

F2bIniMap *
f2b_confreader_early_options(F2bConfReader *r, GError **error)
{
  gboolean found;
  F2bIni *cfg = read_or_empty(r, "fail2ban", &found, error);
  if (cfg == NULL)
    return NULL;
  g_autoptr(F2bPyObj) values = f2b_py_dict_new();
  if (!get_options(r, cfg, "Definition", early_opts, G_N_ELEMENTS(early_opts), NULL, FALSE, TRUE,
                   TO_DICT(values), error))
    return NULL;
  return pyd_to_map(values);
}

static gboolean
general_stream(F2bConfReader *r, const F2bIniMap *early, GPtrArray *out, GError **error)
{
  gboolean found;
  F2bIni *cfg = read_or_empty(r, "fail2ban", &found, error);
  if (cfg == NULL)
    return FALSE;
  g_autoptr(F2bPyObj) opts = f2b_py_dict_new();
  if (!get_options(r, cfg, "Definition", general_opts, G_N_ELEMENTS(general_opts), NULL, FALSE, TRUE,
                   TO_DICT(opts), error))
    return FALSE;
  for (guint i = 0; i < f2b_ini_map_size(early); i++)
    pyd_set(opts, f2b_ini_map_key(early, i), str_or_none(f2b_ini_map_value(early, i)));
  if (f2b_ini_has_section(cfg, "Thread")) {
    g_autoptr(F2bPyObj) th = f2b_py_dict_new();
    if (!get_options(r, cfg, "Thread", thread_opts, G_N_ELEMENTS(thread_opts), NULL, FALSE, TRUE, TO_DICT(th),
                     error))
      return FALSE;
    if (f2b_py_len(th) > 0)
      pyd_set(opts, "thread", g_steal_pointer(&th));
  }
  static const char *const order[] = { "thread", "syslogsocket", "loglevel", "logtarget", "allowipv6",
                                       "dbfile", "dbmaxmatches", "dbpurgeage" };
  for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
    F2bPyObj *v = pyd_get(opts, order[i]);
    if (v == NULL)
      continue;
    F2bPyObj *c = f2b_py_list_of_strs("set", order[i], NULL);
    f2b_py_append(c, f2b_py_copy(v));
    g_ptr_array_add(out, c);
  }
  return TRUE;
}

/* The stream of every jail, or of ONLY (fail2ban's readConfig(jail)). */
static F2bPyObj *
build_stream(F2bConfReader *r, const F2bIniMap *early, const char *only, gboolean ignore_wrong,
             gboolean allow_no_files, gboolean *ok, GError **error)
{
  g_autoptr(GPtrArray) cmds = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_py_free);
  g_autoptr(GPtrArray) jails = g_ptr_array_new_with_free_func((GDestroyNotify)jail_free);
  *ok = FALSE;
  g_ptr_array_set_size(r->failures, 0);
  /* fail2ban reads fail2ban and jail first, then takes the general options
   * (their warnings are logged after the jail files were loaded) */
  gboolean found;
  if (read_or_empty(r, "fail2ban", &found, error) == NULL)
    return NULL;
  F2bIni *jailcfg = read_or_empty(r, "jail", &found, error);
  if (jailcfg == NULL)
    return NULL;
  if (!general_stream(r, early, cmds, error))
    return NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  if (only != NULL && strcmp(only, "INCLUDES") != 0 && !f2b_ini_has_section(jailcfg, only)) {
    /* configparser's NoSectionError, as fail2ban's JailReader meets it */
    g_autoptr(GString) repr = g_string_new(NULL);
    f2b_py_repr_str_append(repr, only, strlen(only));
    g_set_error(error, F2B_CONFREADER_ERROR, F2B_CONFREADER_ERROR_NO_SECTION, "No section: %s", repr->str);
    return NULL;
  }
  for (guint i = 0; only == NULL && i < f2b_ini_n_sections(jailcfg); i++) {
    const char *n = f2b_ini_section_name(jailcfg, i);
    if (!g_str_has_prefix(n, "KNOWN/") && strcmp(n, "INCLUDES") != 0)
      g_ptr_array_add(names, g_strdup(n));
  }
  if (only != NULL && strcmp(only, "INCLUDES") != 0)
    g_ptr_array_add(names, g_strdup(only));
  guint status = 0;
  for (guint i = 0; i < names->len; i++) {
    Jail *j = g_new0(Jail, 1);
    j->name = g_strdup(names->pdata[i]);
    j->actions = g_ptr_array_new_with_free_func((GDestroyNotify)jail_action_free);
    gboolean ret;
    guint nfailures = r->failures->len;
    gboolean read = jail_get_options(r, jailcfg, j, FALSE, &ret, error);
    failures_claim(r, nfailures, j->name);
    if (!read) {
      jail_free(j);
      return NULL;
    }
    if (ret) {
      F2bPyObj *en = pyd_get(j->opts, "enabled");
      if (en && f2b_py_kind(en) == F2B_PY_BOOL && f2b_py_get_bool(en)) {
        status |= 1;
        g_ptr_array_add(jails, j);
      } else {
        jail_free(j);
      }
    } else {
      f2b_log(&r->log, F2B_LOG_ERROR, LOG_JAILSREADER, "Errors in jail '%s'.%s", j->name,
              ignore_wrong ? " Skipping..." : "");
      g_ptr_array_add(jails, j);
      status |= 2;
    }
  }
  for (guint i = 0; i < jails->len; i++)
    if (!jail_convert(r, jails->pdata[i], allow_no_files, cmds, error))
      return NULL;
  for (guint i = 0; i < jails->len; i++) {
    Jail *j = jails->pdata[i];
    if (j->config_error == NULL)
      g_ptr_array_add(cmds, f2b_py_list_of_strs("start", j->name, NULL));
  }
  *ok = (ignore_wrong && (status & 1)) || !(status & 2);
  F2bPyObj *list = f2b_py_list_new();
  for (guint i = 0; i < cmds->len; i++)
    f2b_py_append(list, g_steal_pointer(&cmds->pdata[i]));
  if (r->jails != NULL)
    g_ptr_array_unref(r->jails);
  r->jails = g_steal_pointer(&jails);
  return list;
}

F2bPyObj *
f2b_confreader_stream(F2bConfReader *r, const F2bIniMap *early, gboolean ignore_wrong,
                      gboolean allow_no_files, gboolean *ok, GError **error)
{
  return build_stream(r, early, NULL, ignore_wrong, allow_no_files, ok, error);
}

F2bPyObj *
f2b_confreader_stream_jail(F2bConfReader *r, const F2bIniMap *early, const char *jail,
                           gboolean ignore_wrong, gboolean allow_no_files, gboolean *ok, GError **error)
{
  g_return_val_if_fail(jail != NULL, NULL);
  return build_stream(r, early, jail, ignore_wrong, allow_no_files, ok, error);
}

/* ------------------------------------------- a filter alone (fail2ban-regex) */

/* The configuration of one explicit filter file and its includes, kept in the
 * reader's cache (transfer none); NULL when nothing could be read. */
static F2bIni *
read_explicit(F2bConfReader *r, const char *path, GError **error)
{
  g_autofree char *key = g_strconcat("\001explicit:", path, NULL);
  gpointer cached;
  if (g_hash_table_lookup_extended(r->configs, key, NULL, &cached))
    return cached;
  g_autoptr(F2bIni) ini = f2b_ini_new();
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(files, g_strdup(path));
  if (!f2b_ini_read_with_includes(ini, r->cache, files, got, error))
    return NULL;
  F2bIni *res = got->len > 0 ? g_steal_pointer(&ini) : NULL;
  g_hash_table_insert(r->configs, g_steal_pointer(&key), res);
  return res;
}

F2bPyObj *
f2b_confreader_filter_stream(F2bConfReader *r, const char *name, const F2bIniMap *options,
                             gboolean explicit_file, const char *jail, const char *backend,
                             gboolean *found, GError **error)
{
  *found = FALSE;
  g_autoptr(DefReader) flt = defreader_new(r, jail, options ? f2b_ini_map_copy(options) : f2b_ini_map_new(),
                                           filter_opts, G_N_ELEMENTS(filter_opts));
  GError *local = NULL;
  if (explicit_file) {
    flt->cfg = read_explicit(r, name, &local);
  } else {
    g_autofree char *file = g_strconcat("filter.d/", name, NULL);
    flt->cfg = read_config(r, file, &local);
  }
  if (local != NULL) {
    g_propagate_error(error, local);
    return NULL;
  }
  if (flt->cfg == NULL)
    return f2b_py_list_new();
  *found = TRUE;
  const char *lt = f2b_ini_map_get(flt->init_opts, "logtype");
  if (backend != NULL && (lt == NULL || *lt == '\0') &&
      !f2b_ini_has_option(flt->cfg, "Definition", "logtype", FALSE))
    f2b_ini_map_set(flt->init_opts, "logtype",
                    backend && g_str_has_prefix(backend, "systemd") ? "journal" : "file");
  g_autoptr(F2bIniMap) none = f2b_ini_map_new();
  if (!defreader_get_options(flt, none, FALSE, error))
    return NULL;
  g_autoptr(F2bIniMap) comb = defreader_combined(flt, NULL, error);
  if (comb == NULL)
    return NULL;
  g_autoptr(GPtrArray) stream = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_py_free);
  if (!fill_stream_filter(stream, flt, comb, error))
    return NULL;
  F2bPyObj *list = f2b_py_list_new();
  for (guint i = 0; i < stream->len; i++)
    f2b_py_append(list, g_steal_pointer(&stream->pdata[i]));
  return list;
}

char *
f2b_confreader_general_option(F2bConfReader *r, const char *option, GError **error)
{
  gboolean found;
  F2bIni *cfg = read_or_empty(r, "fail2ban", &found, error); /* owned by R */
  if (cfg == NULL || !f2b_ini_has_option(cfg, "Definition", option, FALSE))
    return NULL;
  return f2b_ini_get(cfg, "Definition", option, NULL, FALSE, error);
}

/* ------------------------------------------- where a value is written */

/* Locating is a diagnostic, done after the stream was made and only for the
 * few values that failed: it may re-read files and redo interpolations, and
 * it must not log what the reading logged already. */

#define LOCATE_MAX_DEPTH 10

typedef struct {
  F2bConfReader *r;
  Jail *jail;
  F2bIniMap *tags;      /* the filter's combined values, for <tag> lines */
} Locate;

/* NAME when LINE (trimmed) is one reference and nothing else: "%(NAME)s",
 * or "<NAME>" with *IS_TAG set (NAME may hold tags still); else NULL. */
static char *
whole_reference(const char *line, gboolean *is_tag)
{
  g_autofree char *t = f2b_ini_strip(line, strlen(line));
  gsize n = strlen(t);
  if (n > 4 && g_str_has_prefix(t, "%(") && g_str_has_suffix(t, ")s") && strchr(t + 2, ')') == t + n - 2) {
    *is_tag = FALSE;
    return g_strndup(t + 2, n - 4);
  }
  if (n > 2 && t[0] == '<' && t[n - 1] == '>') {
    *is_tag = TRUE;
    return g_strndup(t + 1, n - 2);
  }
  return NULL;
}

/* A tag's value as the substitution finds it: the filter's combined values,
 * else its Definition (getCombOption).  Transfer full, NULL when none. */
static char *
tag_value(const Locate *lc, const char *name)
{
  if (lc->tags != NULL && f2b_ini_map_get(lc->tags, name) != NULL)
    return g_strdup(f2b_ini_map_get(lc->tags, name));
  DefReader *dr = lc->jail->filter;
  if (dr == NULL || (strchr(name, '/') == NULL && !f2b_ini_has_option_vars(dr->cfg, "Definition", name, dr->popts)))
    return NULL;
  return f2b_ini_get_ex(dr->cfg, "Definition", name, dr->popts, NULL);
}

/* S with the tags LC knows replaced, innermost first (as the substitution
 * does it, in passes), for counting the lines a value turns into. */
static char *
expand_known_tags(const Locate *lc, const char *s)
{
  GString *cur = g_string_new(s);
  for (guint pass = 0; pass < MAX_TAG_REPLACE_COUNT; pass++) {
    gsize from = 0, ms, me;
    gboolean changed = FALSE;
    while (tag_search(cur->str, cur->len, from, &ms, &me)) {
      g_autofree char *name = g_strndup(cur->str + ms + 1, me - ms - 2);
      g_autofree char *v = tag_value(lc, name);
      if (v == NULL) {
        from = me;
        continue;
      }
      g_string_erase(cur, ms, me - ms);
      g_string_insert(cur, ms, v);
      from = ms + strlen(v);
      changed = TRUE;
    }
    if (!changed)
      break;
  }
  return g_string_free(cur, FALSE);
}

static guint
count_nonempty_lines(const char *s)
{
  guint n = 0;
  for (const char *p = s; p != NULL; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    n += *p != '\0' && *p != '\n';
  return n;
}

static gboolean locate_option(Locate *lc, F2bIni *cfg, const char *section, const char *option, guint index,
                              int depth, char **file, guint *line);

/* How many of the lines sent for the value come from raw line RAW: the line
 * interpolated in CFG's SECTION, then its tags replaced. */
static guint
raw_line_count(Locate *lc, F2bIni *cfg, const char *section, const char *raw, char **expanded)
{
  g_autofree char *interp = NULL;
  if (strstr(raw, "%(") != NULL) {
    g_autoptr(F2bIniMap) vars = f2b_ini_map_new();
    if (lc->jail->filter != NULL && cfg == lc->jail->filter->cfg)
      f2b_ini_map_update(vars, lc->jail->filter->popts);
    f2b_ini_map_set(vars, "\001locate", raw);
    interp = f2b_ini_get(cfg, section, "\001locate", vars, FALSE, NULL);
  }
  *expanded = expand_known_tags(lc, interp ? interp : raw);
  return count_nonempty_lines(*expanded);
}

/* The option a whole-reference line points to: (CFG, SECTION, NAME) for the
 * recursion, FALSE when it cannot be followed. */
static gboolean
follow_reference(Locate *lc, F2bIni **cfg, const char **section, char *name)
{
  g_autofree char *lname = f2b_ini_optionxform(name);
  if (g_str_has_prefix(lname, "known/")) {
    memmove(name, name + 6, strlen(name + 6) + 1);
    /* the jail's known/ values are its filter's; a filter's are its KNOWN/ section's */
    if (lc->jail->filter != NULL && *cfg != lc->jail->filter->cfg) {
      *cfg = lc->jail->filter->cfg;
      *section = "Definition";
      return TRUE;
    }
    *section = strcmp(*section, "Definition") == 0 ? "KNOWN/Definition" : *section;
    return TRUE;
  }
  return strchr(name, '/') == NULL;
}

static gboolean
locate_option(Locate *lc, F2bIni *cfg, const char *section, const char *option, guint index, int depth,
              char **file, guint *line)
{
  const char *path;
  guint start;
  if (depth > LOCATE_MAX_DEPTH || !f2b_ini_get_location(cfg, section, option, &path, &start))
    return FALSE;
  *file = g_strdup(path);
  *line = start;
  g_autofree char *raw = f2b_ini_get(cfg, section, option, NULL, TRUE, NULL);
  g_autoptr(GArray) lines = f2b_ini_value_lines_file(path, start, NULL);
  if (raw == NULL || lines == NULL)
    return TRUE;
  g_auto(GStrv) rl = g_strsplit(raw, "\n", -1);
  guint seen = 0;
  for (guint j = 0; rl[j] != NULL && j < lines->len; j++) {
    g_autofree char *expanded = NULL;
    guint n = raw_line_count(lc, cfg, section, rl[j], &expanded);
    if (index >= seen + n) {
      seen += n;
      continue;
    }
    *line = g_array_index(lines, guint, j);
    gboolean is_tag = FALSE;
    g_autofree char *ref = whole_reference(rl[j], &is_tag);
    if (ref != NULL && is_tag) {
      /* "<mdre-<mode>>": the name once the inner tags are replaced */
      g_autofree char *name = expand_known_tags(lc, ref);
      g_free(ref);
      ref = strpbrk(name, "<> ") ? NULL : g_strdup(name);
    }
    F2bIni *rcfg = cfg;
    const char *rsec = section;
    char *rfile = NULL;
    guint rline = 0;
    if (ref != NULL && follow_reference(lc, &rcfg, &rsec, ref) &&
        locate_option(lc, rcfg, rsec, ref, index - seen, depth + 1, &rfile, &rline)) {
      g_free(*file);
      *file = rfile;
      *line = rline;
    }
    return TRUE;
  }
  return TRUE;
}

/* Records that the jail's filter or action (KIND) NAME has no file; INDEX
 * counts the action's entry in the jail's action list.  The place is the line
 * of the jail's value that names it: an action list built on %(banaction)s
 * (or banaction_allports) names it where that is set. */
static void
failure_add_missing(F2bConfReader *r, F2bIni *jailcfg, Jail *j, const char *kind, const char *name,
                    guint index)
{
  const char *option = kind;
  if (strcmp(kind, "action") == 0) {
    g_autofree char *raw = f2b_ini_get(jailcfg, j->name, "action", NULL, TRUE, NULL);
    static const char *const bans[] = { "banaction", "banaction_allports" };
    for (guint i = 0; raw != NULL && strstr(raw, "%(") != NULL && i < G_N_ELEMENTS(bans); i++) {
      g_autofree char *v = f2b_ini_get(jailcfg, j->name, bans[i], NULL, FALSE, NULL);
      if (v != NULL && strcmp(v, name) == 0) {
        option = bans[i];
        index = 0;
        break;
      }
    }
  }
  Locate lc = { r, j, NULL };
  char *file = NULL;
  guint line = 0;
  if (!locate_option(&lc, jailcfg, j->name, option, index, 0, &file, &line))
    g_clear_pointer(&file, g_free);
  g_autofree char *rn = f2b_py_repr_str(name);
  failure_add(r, j->name, j->name, option, file, line,
              g_strdup_printf("no %s %s in %s/%s.d", kind, rn, r->basedir, kind));
  g_free(file);
}

static gboolean
is_multi_option(const char *option)
{
  return strcmp(option, "failregex") == 0 || strcmp(option, "ignoreregex") == 0 ||
         strcmp(option, "journalmatch") == 0;
}

gboolean
f2b_confreader_locate(F2bConfReader *r, const char *jail, const char *option, guint index, char **file,
                      guint *line)
{
  g_return_val_if_fail(file != NULL && line != NULL, FALSE);
  *file = NULL;
  *line = 0;
  Jail *j = NULL;
  for (guint i = 0; r->jails != NULL && i < r->jails->len && j == NULL; i++)
    if (strcmp(((Jail *)r->jails->pdata[i])->name, jail) == 0)
      j = r->jails->pdata[i];
  gboolean found;
  F2bIni *jailcfg = read_or_empty(r, "jail", &found, NULL);
  if (j == NULL || jailcfg == NULL)
    return FALSE;
  if (!is_multi_option(option))
    index = 0;
  /* the filter's values again, quietly: its warnings were logged with the stream */
  F2bLogSink saved = r->log;
  r->log = (F2bLogSink){ NULL, NULL };
  Locate lc = { r, j, NULL };
  if (j->filter != NULL)
    lc.tags = defreader_combined(j->filter, NULL, NULL);
  gboolean ok;
  F2bPyObj *v = pyd_get(j->opts, option);
  if (v != NULL && f2b_py_kind(v) != F2B_PY_NONE) {
    /* set in the jail itself */
    ok = locate_option(&lc, jailcfg, j->name, option, index, 0, file, line);
  } else if (j->filter != NULL && f2b_ini_map_contains(j->filter->init_opts, option)) {
    /* an argument of the filter: filter = name[option=...] */
    ok = locate_option(&lc, jailcfg, j->name, "filter", 0, 0, file, line);
  } else {
    ok = j->filter != NULL && locate_option(&lc, j->filter->cfg, "Definition", option, index, 0, file, line);
  }
  r->log = saved;
  f2b_ini_map_free(lc.tags);
  return ok;
}

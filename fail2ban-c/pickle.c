/* pickle.c - a data-only pickle decoder and a CPython-exact pickle encoder.
 *
 * See pickle.h for what is accepted and how values map.  The decoder is a
 * loop over opcodes with an explicit value stack, so input nesting never
 * becomes C recursion; the trees it builds are kept within max_depth, which
 * bounds the recursion of the pyobj functions that later walk them.
 *
 * Memo entries point at live values (a list is memoized while empty and
 * filled afterwards, and a later GET must see it filled).  A value is
 * therefore never freed while decoding: what the pickle discards (POP,
 * STACK_GLOBAL's strings, BUILD's state) goes to a list freed at the end,
 * and a GET takes a deep copy that is charged to the node and string
 * budgets before it is made. */
#include "pickle.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(f2b-pickle-error-quark, f2b_pickle_error)

/* ---------------------------------------------------------------- opcodes */

enum {
  OP_MARK = '(', OP_STOP = '.', OP_POP = '0', OP_POP_MARK = '1', OP_DUP = '2',
  OP_FLOAT = 'F', OP_INT = 'I', OP_BININT = 'J', OP_BININT1 = 'K', OP_LONG = 'L',
  OP_BININT2 = 'M', OP_NONE = 'N', OP_PERSID = 'P', OP_BINPERSID = 'Q', OP_REDUCE = 'R',
  OP_STRING = 'S', OP_BINSTRING = 'T', OP_SHORT_BINSTRING = 'U', OP_UNICODE = 'V',
  OP_BINUNICODE = 'X', OP_APPEND = 'a', OP_BUILD = 'b', OP_GLOBAL = 'c', OP_DICT = 'd',
  OP_EMPTY_DICT = '}', OP_APPENDS = 'e', OP_GET = 'g', OP_BINGET = 'h', OP_INST = 'i',
  OP_LONG_BINGET = 'j', OP_LIST = 'l', OP_EMPTY_LIST = ']', OP_OBJ = 'o', OP_PUT = 'p',
  OP_BINPUT = 'q', OP_LONG_BINPUT = 'r', OP_SETITEM = 's', OP_TUPLE = 't',
  OP_EMPTY_TUPLE = ')', OP_SETITEMS = 'u', OP_BINFLOAT = 'G',
  OP_PROTO = 0x80, OP_NEWOBJ = 0x81, OP_EXT1 = 0x82, OP_EXT2 = 0x83, OP_EXT4 = 0x84,
  OP_TUPLE1 = 0x85, OP_TUPLE2 = 0x86, OP_TUPLE3 = 0x87, OP_NEWTRUE = 0x88,
  OP_NEWFALSE = 0x89, OP_LONG1 = 0x8a, OP_LONG4 = 0x8b,
  OP_BINBYTES = 'B', OP_SHORT_BINBYTES = 'C',
  OP_SHORT_BINUNICODE = 0x8c, OP_BINUNICODE8 = 0x8d, OP_BINBYTES8 = 0x8e,
  OP_EMPTY_SET = 0x8f, OP_ADDITEMS = 0x90, OP_FROZENSET = 0x91, OP_NEWOBJ_EX = 0x92,
  OP_STACK_GLOBAL = 0x93, OP_MEMOIZE = 0x94, OP_FRAME = 0x95,
  OP_BYTEARRAY8 = 0x96, OP_NEXT_BUFFER = 0x97, OP_READONLY_BUFFER = 0x98,
};

#define FRAME_HEADER_SIZE 9
#define FRAME_SIZE_MIN 4
#define FRAME_SIZE_TARGET (64 * 1024)
#define BATCH_SIZE 1000

/* Opcodes that would look up or call something: refused by name. */
static const char *
refused_opcode_name(guint8 op)
{
  switch (op) {
  case OP_GLOBAL: return "GLOBAL";
  case OP_STACK_GLOBAL: return "STACK_GLOBAL";
  case OP_REDUCE: return "REDUCE";
  case OP_BUILD: return "BUILD";
  case OP_INST: return "INST";
  case OP_OBJ: return "OBJ";
  case OP_NEWOBJ: return "NEWOBJ";
  case OP_NEWOBJ_EX: return "NEWOBJ_EX";
  case OP_EXT1: return "EXT1";
  case OP_EXT2: return "EXT2";
  case OP_EXT4: return "EXT4";
  case OP_PERSID: return "PERSID";
  case OP_BINPERSID: return "BINPERSID";
  case OP_NEXT_BUFFER: return "NEXT_BUFFER";
  case OP_READONLY_BUFFER: return "READONLY_BUFFER";
  default: return NULL;
  }
}

/* ------------------------------------------------------ exception classes */

typedef struct {
  const char *module;
  const char *name;
} ExcClass;

/* The classes fail2ban-server can put into an error reply: whatever a
 * command handler raises, i.e. Python's built-in exceptions, fail2ban's own,
 * and those of the modules the server calls (re, sqlite3). */
static const ExcClass exception_classes[] = {
  { "builtins", "ArithmeticError" }, { "builtins", "AssertionError" },
  { "builtins", "AttributeError" }, { "builtins", "BaseException" },
  { "builtins", "BlockingIOError" }, { "builtins", "BrokenPipeError" },
  { "builtins", "BufferError" }, { "builtins", "ChildProcessError" },
  { "builtins", "ConnectionAbortedError" }, { "builtins", "ConnectionError" },
  { "builtins", "ConnectionRefusedError" }, { "builtins", "ConnectionResetError" },
  { "builtins", "EOFError" }, { "builtins", "EnvironmentError" },
  { "builtins", "Exception" }, { "builtins", "FileExistsError" },
  { "builtins", "FileNotFoundError" }, { "builtins", "FloatingPointError" },
  { "builtins", "IOError" }, { "builtins", "ImportError" },
  { "builtins", "IndentationError" }, { "builtins", "IndexError" },
  { "builtins", "InterruptedError" }, { "builtins", "IsADirectoryError" },
  { "builtins", "KeyError" }, { "builtins", "LookupError" },
  { "builtins", "MemoryError" }, { "builtins", "ModuleNotFoundError" },
  { "builtins", "NameError" }, { "builtins", "NotADirectoryError" },
  { "builtins", "NotImplementedError" }, { "builtins", "OSError" },
  { "builtins", "OverflowError" }, { "builtins", "PermissionError" },
  { "builtins", "ProcessLookupError" }, { "builtins", "RecursionError" },
  { "builtins", "ReferenceError" }, { "builtins", "RuntimeError" },
  { "builtins", "StopIteration" }, { "builtins", "SyntaxError" },
  { "builtins", "SystemError" }, { "builtins", "TabError" },
  { "builtins", "TimeoutError" }, { "builtins", "TypeError" },
  { "builtins", "UnboundLocalError" }, { "builtins", "UnicodeDecodeError" },
  { "builtins", "UnicodeEncodeError" }, { "builtins", "UnicodeError" },
  { "builtins", "UnicodeTranslateError" }, { "builtins", "ValueError" },
  { "builtins", "ZeroDivisionError" },
  { "fail2ban.exceptions", "DuplicateJailException" },
  { "fail2ban.exceptions", "UnknownJailException" },
  { "fail2ban.server.asyncserver", "AsyncServerException" },
  { "fail2ban.server.failmanager", "FailManagerEmpty" },
  { "fail2ban.server.failregex", "RegexException" },
  { "fail2ban.server.server", "ServerInitializationError" },
  { "re", "error" },
  { "sqlite3", "DataError" }, { "sqlite3", "DatabaseError" }, { "sqlite3", "Error" },
  { "sqlite3", "IntegrityError" }, { "sqlite3", "InterfaceError" },
  { "sqlite3", "InternalError" }, { "sqlite3", "NotSupportedError" },
  { "sqlite3", "OperationalError" }, { "sqlite3", "ProgrammingError" },
};

static const ExcClass *
find_exception_class(const char *module, const char *name)
{
  /* Python 2 names, which Python 3 maps for pickles of protocols 0-2. */
  if (strcmp(module, "exceptions") == 0 || strcmp(module, "__builtin__") == 0)
    module = "builtins";
  for (gsize i = 0; i < G_N_ELEMENTS(exception_classes); i++)
    if (strcmp(exception_classes[i].module, module) == 0 &&
        strcmp(exception_classes[i].name, name) == 0)
      return &exception_classes[i];
  return NULL;
}

gboolean
f2b_pickle_exception_allowed(const char *module, const char *name)
{
  g_return_val_if_fail(module != NULL && name != NULL, FALSE);
  return find_exception_class(module, name) != NULL;
}

void
f2b_pickle_limits_init(F2bPickleLimits *limits)
{
  g_return_if_fail(limits != NULL);
  limits->max_input = 64 * 1024 * 1024;
  limits->max_depth = 200;
  limits->max_nodes = 4 * 1024 * 1024;
  limits->max_string = 64 * 1024 * 1024;
  limits->max_total_string = 256 * 1024 * 1024;
  limits->max_memo = 1024 * 1024;
  limits->allow_exceptions = FALSE;
}

/* ---------------------------------------------------------------- decoder */

enum {
  FLAG_SET = 1,       /* a set: ADDITEMS may add to it */
  FLAG_FROZENSET = 2, /* a frozenset: nothing may be added */
};

/* One slot of the value stack: a value, or a class reference waiting for
 * REDUCE.  HEIGHT is the nesting of the value (a scalar is 1). */
typedef struct {
  F2bPyObj *obj;
  const ExcClass *cls;
  guint height;
  guint flags;
  GHashTable *keys; /* dicts: index of their keys, built on first SETITEM */
} Entry;

typedef struct {
  F2bPyObj *obj; /* borrowed: owned by the stack, a container, or `discarded` */
  const ExcClass *cls;
  guint flags;
} MemoRef;

typedef struct {
  const guint8 *data;
  gsize len;
  gsize pos;
  gsize op_pos;
  F2bPickleLimits lim;
  GArray *stack;         /* Entry */
  GArray *marks;         /* gsize: stack length at each MARK */
  GHashTable *memo;      /* index -> MemoRef */
  GPtrArray *discarded;  /* values the pickle dropped; freed at the end */
  gsize nodes;
  gsize string_bytes;
  GError **error;
} Decoder;

static gboolean G_GNUC_PRINTF(3, 4)
fail(Decoder *d, int code, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *msg = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_set_error(d->error, F2B_PICKLE_ERROR, code, "%s (at offset %" G_GSIZE_FORMAT ")",
              msg, d->op_pos);
  return FALSE;
}

static gboolean
truncated(Decoder *d)
{
  return fail(d, F2B_PICKLE_ERROR_TRUNCATED, "pickle data was truncated");
}

static gsize
remaining(const Decoder *d)
{
  return d->len - d->pos;
}

/* Points *P at the next N input bytes and consumes them. */
static gboolean
take(Decoder *d, guint64 n, const guint8 **p)
{
  if (n > remaining(d))
    return truncated(d);
  *p = d->data + d->pos;
  d->pos += n;
  return TRUE;
}

/* The next line, without its '\n' (protocol 0 arguments). */
static gboolean
take_line(Decoder *d, const char **line, gsize *n)
{
  const guint8 *start = d->data + d->pos;
  const guint8 *nl = memchr(start, '\n', remaining(d));
  if (nl == NULL)
    return truncated(d);
  *line = (const char *) start;
  *n = nl - start;
  d->pos += *n + 1;
  return TRUE;
}

static guint64
read_le(const guint8 *p, guint n)
{
  guint64 v = 0;
  for (guint i = 0; i < n; i++)
    v |= (guint64) p[i] << (8 * i);
  return v;
}

static gboolean
take_le(Decoder *d, guint n, guint64 *value)
{
  const guint8 *p = NULL;
  if (!take(d, n, &p))
    return FALSE;
  *value = read_le(p, n);
  return TRUE;
}

static gboolean
charge_nodes(Decoder *d, gsize n)
{
  if (n > d->lim.max_nodes - d->nodes)
    return fail(d, F2B_PICKLE_ERROR_LIMIT, "pickle has more than %" G_GSIZE_FORMAT " values",
                d->lim.max_nodes);
  d->nodes += n;
  return TRUE;
}

static gboolean
charge_string(Decoder *d, guint64 n)
{
  if (n > d->lim.max_string)
    return fail(d, F2B_PICKLE_ERROR_LIMIT, "pickle string of %" G_GUINT64_FORMAT
                " bytes exceeds the limit of %" G_GSIZE_FORMAT, n, d->lim.max_string);
  if (n > d->lim.max_total_string - d->string_bytes)
    return fail(d, F2B_PICKLE_ERROR_LIMIT, "pickle strings exceed %" G_GSIZE_FORMAT " bytes",
                d->lim.max_total_string);
  d->string_bytes += n;
  return TRUE;
}

static gboolean
check_height(Decoder *d, guint height)
{
  if (height > d->lim.max_depth)
    return fail(d, F2B_PICKLE_ERROR_LIMIT, "pickle nesting exceeds %u levels", d->lim.max_depth);
  return TRUE;
}

static Entry *
entry_at(Decoder *d, gsize i)
{
  return &g_array_index(d->stack, Entry, i);
}

static gsize
fence(const Decoder *d)
{
  return d->marks->len ? g_array_index(d->marks, gsize, d->marks->len - 1) : 0;
}

static void
entry_clear(Entry *e)
{
  g_clear_pointer(&e->keys, g_hash_table_unref);
}

/* Drops an entry the pickle no longer needs; its value may still be in the
 * memo, so it lives until the end of decoding. */
static void
discard(Decoder *d, Entry *e)
{
  if (e->obj != NULL)
    g_ptr_array_add(d->discarded, e->obj);
  e->obj = NULL;
  entry_clear(e);
}

static gboolean
push_entry(Decoder *d, const Entry *e)
{
  g_array_append_vals(d->stack, e, 1);
  return TRUE;
}

/* Pushes a new scalar value (transfer full), charging one node. */
static gboolean
push_scalar(Decoder *d, F2bPyObj *obj)
{
  Entry e = { .obj = obj, .height = 1 };
  if (!charge_nodes(d, 1)) {
    f2b_py_free(obj);
    return FALSE;
  }
  return push_entry(d, &e);
}

static gboolean
underflow(Decoder *d)
{
  return fail(d, F2B_PICKLE_ERROR_INVALID, "unpickling stack underflow");
}

static gboolean
pop_entry(Decoder *d, Entry *e)
{
  if (d->stack->len <= fence(d))
    return underflow(d);
  *e = *entry_at(d, d->stack->len - 1);
  g_array_set_size(d->stack, d->stack->len - 1);
  return TRUE;
}

/* The value on top of the stack (a class reference is not a value). */
static gboolean
top_value(Decoder *d, Entry **e)
{
  if (d->stack->len <= fence(d))
    return underflow(d);
  *e = entry_at(d, d->stack->len - 1);
  if ((*e)->obj == NULL)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "a class can only be called with REDUCE");
  return TRUE;
}

static gboolean
pop_value(Decoder *d, Entry *e)
{
  if (!pop_entry(d, e))
    return FALSE;
  if (e->obj == NULL)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "a class can only be called with REDUCE");
  return TRUE;
}

static gboolean
pop_mark(Decoder *d, gsize *mark)
{
  if (d->marks->len == 0)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "could not find MARK");
  *mark = g_array_index(d->marks, gsize, d->marks->len - 1);
  g_array_set_size(d->marks, d->marks->len - 1);
  return TRUE;
}

/* ---- integers and floats */

static gboolean
fits_int64(const guint8 *p, gsize n, gint64 *value)
{
  if (n == 0) {
    *value = 0;
    return TRUE;
  }
  gboolean negative = (p[n - 1] & 0x80) != 0;
  gsize used = MIN(n, 8);
  /* Bytes beyond the 8th must only repeat the sign. */
  for (gsize i = 8; i < n; i++)
    if (p[i] != (negative ? 0xff : 0x00))
      return FALSE;
  guint64 u = read_le(p, used);
  if (used < 8 && negative)
    u |= G_MAXUINT64 << (8 * used);
  if (n > 8 && ((u >> 63) != 0) != negative)
    return FALSE;
  *value = (gint64) u;
  return TRUE;
}

static gboolean
load_long_bin(Decoder *d, guint size_bytes)
{
  guint64 n = 0;
  const guint8 *p = NULL;
  if (!take_le(d, size_bytes, &n))
    return FALSE;
  if (size_bytes == 4 && n > G_MAXINT32)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "LONG pickle has negative byte count");
  if (!take(d, n, &p))
    return FALSE;
  gint64 value = 0;
  if (!fits_int64(p, n, &value))
    return fail(d, F2B_PICKLE_ERROR_LIMIT, "pickle integer does not fit in 64 bits");
  return push_scalar(d, f2b_py_int(value));
}

/* A decimal (or, as strtol reads it, 0x / 0 prefixed) integer line. */
static gboolean
parse_int_text(Decoder *d, const char *line, gsize n, gint64 *value)
{
  g_autofree char *text = g_strndup(line, n);
  if (n == 0 || strlen(text) != n)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "invalid integer in pickle");
  char *end = NULL;
  errno = 0;
  *value = g_ascii_strtoll(text, &end, 0);
  if (errno == ERANGE)
    return fail(d, F2B_PICKLE_ERROR_LIMIT, "pickle integer does not fit in 64 bits");
  if (errno != 0 || end == text || *end != '\0')
    return fail(d, F2B_PICKLE_ERROR_INVALID, "invalid integer in pickle");
  return TRUE;
}

static gboolean
load_int_text(Decoder *d)
{
  const char *line = NULL;
  gsize n = 0;
  gint64 value = 0;
  if (!take_line(d, &line, &n))
    return FALSE;
  /* Python 2 wrote booleans as I01 / I00. */
  if (n == 2 && line[0] == '0' && (line[1] == '0' || line[1] == '1'))
    return push_scalar(d, f2b_py_bool(line[1] == '1'));
  if (!parse_int_text(d, line, n, &value))
    return FALSE;
  return push_scalar(d, f2b_py_int(value));
}

static gboolean
load_long_text(Decoder *d)
{
  const char *line = NULL;
  gsize n = 0;
  gint64 value = 0;
  if (!take_line(d, &line, &n))
    return FALSE;
  if (n > 0 && line[n - 1] == 'L')
    n--;
  if (!parse_int_text(d, line, n, &value))
    return FALSE;
  return push_scalar(d, f2b_py_int(value));
}

static gboolean
load_float_text(Decoder *d)
{
  const char *line = NULL;
  gsize n = 0;
  if (!take_line(d, &line, &n))
    return FALSE;
  g_autofree char *text = g_strndup(line, n);
  char *end = NULL;
  /* g_ascii_strtod also reads hexadecimal floats, which Python does not. */
  if (n == 0 || strlen(text) != n || strpbrk(text, "xX") != NULL)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "invalid float in pickle");
  double value = g_ascii_strtod(text, &end);
  if (end == text || *end != '\0')
    return fail(d, F2B_PICKLE_ERROR_INVALID, "invalid float in pickle");
  return push_scalar(d, f2b_py_float(value));
}

static gboolean
load_binfloat(Decoder *d)
{
  const guint8 *p = NULL;
  if (!take(d, 8, &p))
    return FALSE;
  guint64 bits = 0;
  for (guint i = 0; i < 8; i++)
    bits = (bits << 8) | p[i];
  double value;
  memcpy(&value, &bits, sizeof value);
  return push_scalar(d, f2b_py_float(value));
}

/* ---- strings */

static void
append_code_point(GString *out, gunichar cp)
{
  char buf[6];
  g_string_append_len(out, buf, g_unichar_to_utf8(cp, buf));
}

/* Appends code point CP to OUT as our strings hold it: a surrogate that
 * surrogateescape made of a byte becomes that byte again. */
static gboolean
append_model_code_point(Decoder *d, GString *out, guint32 cp)
{
  if (cp >= 0xdc80 && cp <= 0xdcff) {
    g_string_append_c(out, (char) (cp - 0xdc00));
    return TRUE;
  }
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "pickle string holds the lone surrogate U+%04X",
                cp);
  append_code_point(out, cp);
  return TRUE;
}

/* Length of the UTF-8 sequence at P (surrogates accepted, as Python's
 * "surrogatepass" does), 0 when invalid; *CP gets its code point. */
static guint
utf8_sequence(const guint8 *p, gsize avail, guint32 *cp)
{
  guint8 c = p[0];
  guint n;
  guint8 lo = 0x80, hi = 0xbf;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    *cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    *cp = c & 0x0f;
    if (c == 0xe0)
      lo = 0xa0;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    *cp = c & 0x07;
    if (c == 0xf0)
      lo = 0x90;
    if (c == 0xf4)
      hi = 0x8f;
  } else {
    return 0;
  }
  if (avail < n || p[1] < lo || p[1] > hi)
    return 0;
  for (guint i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    *cp = (*cp << 6) | (p[i] & 0x3f);
  }
  return n;
}

/* A str from UTF-8 bytes as Python decodes them with "surrogatepass". */
static gboolean
push_utf8(Decoder *d, const guint8 *p, gsize n)
{
  gboolean plain = TRUE;
  for (gsize i = 0; i < n;) {
    guint32 cp;
    guint k = utf8_sequence(p + i, n - i, &cp);
    if (k == 0)
      return fail(d, F2B_PICKLE_ERROR_INVALID,
                  "'utf-8' codec can't decode byte 0x%02x in position %" G_GSIZE_FORMAT, p[i], i);
    if (cp >= 0xd800 && cp <= 0xdfff)
      plain = FALSE;
    i += k;
  }
  if (plain)
    return push_scalar(d, f2b_py_str_len((const char *) p, n));
  g_autoptr(GString) out = g_string_sized_new(n);
  for (gsize i = 0; i < n;) {
    guint32 cp;
    guint k = utf8_sequence(p + i, n - i, &cp);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      if (!append_model_code_point(d, out, cp))
        return FALSE;
    } else {
      g_string_append_len(out, (const char *) p + i, k);
    }
    i += k;
  }
  return push_scalar(d, f2b_py_str_len(out->str, out->len));
}

static gboolean
load_binunicode(Decoder *d, guint size_bytes)
{
  guint64 n = 0;
  const guint8 *p = NULL;
  if (!take_le(d, size_bytes, &n) || !take(d, n, &p) || !charge_string(d, n))
    return FALSE;
  return push_utf8(d, p, n);
}

static gboolean
load_binbytes(Decoder *d, guint size_bytes)
{
  guint64 n = 0;
  const guint8 *p = NULL;
  if (!take_le(d, size_bytes, &n) || !take(d, n, &p) || !charge_string(d, n))
    return FALSE;
  return push_scalar(d, f2b_py_bytes(p, n));
}

static int
hex_value(char c)
{
  return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

/* Protocol 0 text: raw-unicode-escape, i.e. latin-1 plus \uXXXX and
 * \UXXXXXXXX; any other backslash is itself. */
static gboolean
load_unicode_text(Decoder *d)
{
  const char *line = NULL;
  gsize n = 0;
  if (!take_line(d, &line, &n) || !charge_string(d, n))
    return FALSE;
  g_autoptr(GString) out = g_string_sized_new(n);
  for (gsize i = 0; i < n;) {
    guint8 c = line[i++];
    guint digits = 0;
    if (c == '\\' && i < n && (line[i] == 'u' || line[i] == 'U'))
      digits = line[i] == 'u' ? 4 : 8;
    if (digits == 0) {
      if (!append_model_code_point(d, out, c))
        return FALSE;
      continue;
    }
    i++;
    guint32 cp = 0;
    for (guint k = 0; k < digits; k++, i++) {
      int v = i < n ? hex_value(line[i]) : -1;
      if (v < 0)
        return fail(d, F2B_PICKLE_ERROR_INVALID, "truncated \\u escape in pickle string");
      cp = (cp << 4) | v;
    }
    if (!append_model_code_point(d, out, cp))
      return FALSE;
  }
  return push_scalar(d, f2b_py_str_len(out->str, out->len));
}

/* Python 2 str: Python 3 reads it as an ASCII str by default. */
static gboolean
push_ascii(Decoder *d, const guint8 *p, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (p[i] >= 0x80)
      return fail(d, F2B_PICKLE_ERROR_INVALID,
                  "'ascii' codec can't decode byte 0x%02x in position %" G_GSIZE_FORMAT, p[i], i);
  return push_scalar(d, f2b_py_str_len((const char *) p, n));
}

static gboolean
load_binstring(Decoder *d, guint size_bytes)
{
  guint64 n = 0;
  const guint8 *p = NULL;
  if (!take_le(d, size_bytes, &n))
    return FALSE;
  if (size_bytes == 4 && n > G_MAXINT32)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "BINSTRING pickle has negative byte count");
  if (!take(d, n, &p) || !charge_string(d, n))
    return FALSE;
  return push_ascii(d, p, n);
}

/* Decodes the escapes of a Python 2 string literal into OUT. */
static gboolean
unescape_string(Decoder *d, const char *s, gsize n, GByteArray *out)
{
  for (gsize i = 0; i < n;) {
    guint8 c = s[i++];
    if (c != '\\') {
      g_byte_array_append(out, &c, 1);
      continue;
    }
    if (i == n)
      return fail(d, F2B_PICKLE_ERROR_INVALID, "trailing \\ in pickle string");
    c = s[i++];
    guint8 v;
    switch (c) {
    case '\n': continue;
    case '\\': case '\'': case '"': v = c; break;
    case 'a': v = '\a'; break;
    case 'b': v = '\b'; break;
    case 'f': v = '\f'; break;
    case 'n': v = '\n'; break;
    case 'r': v = '\r'; break;
    case 't': v = '\t'; break;
    case 'v': v = '\v'; break;
    case 'x': {
      int hi = i < n ? hex_value(s[i]) : -1;
      int lo = i + 1 < n ? hex_value(s[i + 1]) : -1;
      if (hi < 0 || lo < 0)
        return fail(d, F2B_PICKLE_ERROR_INVALID, "invalid \\x escape in pickle string");
      v = (guint8) (hi << 4 | lo);
      i += 2;
      break;
    }
    default:
      if (c >= '0' && c <= '7') {
        guint value = c - '0';
        for (guint k = 0; k < 2 && i < n && s[i] >= '0' && s[i] <= '7'; k++)
          value = value * 8 + (s[i++] - '0');
        v = (guint8) value;
      } else {
        guint8 backslash = '\\';
        g_byte_array_append(out, &backslash, 1);
        v = c;
      }
    }
    g_byte_array_append(out, &v, 1);
  }
  return TRUE;
}

static gboolean
load_string_text(Decoder *d)
{
  const char *line = NULL;
  gsize n = 0;
  if (!take_line(d, &line, &n) || !charge_string(d, n))
    return FALSE;
  if (n < 2 || line[0] != line[n - 1] || (line[0] != '\'' && line[0] != '"'))
    return fail(d, F2B_PICKLE_ERROR_INVALID, "the STRING opcode argument must be quoted");
  g_autoptr(GByteArray) bytes = g_byte_array_sized_new(n);
  if (!unescape_string(d, line + 1, n - 2, bytes))
    return FALSE;
  return push_ascii(d, bytes->data, bytes->len);
}

/* ---- containers */

static guint
measure(const F2bPyObj *obj, gsize *nodes, gsize *bytes);

/* Height of CHILD plus one, its size added to the counts. */
static guint
measure_child(const F2bPyObj *child, gsize *nodes, gsize *bytes)
{
  return 1 + measure(child, nodes, bytes);
}

/* Nodes, string bytes and height of a tree (recursion bounded by max_depth,
 * which every tree the decoder holds respects). */
static guint
measure(const F2bPyObj *obj, gsize *nodes, gsize *bytes)
{
  guint height = 1, h;
  *nodes += 1;
  switch (f2b_py_kind(obj)) {
  case F2B_PY_STR:
  case F2B_PY_BYTES: {
    gsize len;
    f2b_py_get_str(obj, &len);
    *bytes += len;
    break;
  }
  case F2B_PY_LIST:
  case F2B_PY_TUPLE:
    for (gsize i = 0; i < f2b_py_len(obj); i++) {
      h = measure_child(f2b_py_item(obj, i), nodes, bytes);
      height = MAX(height, h);
    }
    break;
  case F2B_PY_DICT:
    for (gsize i = 0; i < f2b_py_len(obj); i++) {
      F2bPyObj *key, *value;
      f2b_py_dict_pair(obj, i, &key, &value);
      h = measure_child(key, nodes, bytes);
      height = MAX(height, h);
      h = measure_child(value, nodes, bytes);
      height = MAX(height, h);
    }
    break;
  case F2B_PY_INSTANCE:
    height = measure_child(f2b_py_instance_args(obj), nodes, bytes);
    break;
  default:
    break;
  }
  return height;
}

/* Pushes a deep copy of a memoized (or duplicated) value, charged first. */
static gboolean
push_copy(Decoder *d, F2bPyObj *obj, const ExcClass *cls, guint flags)
{
  Entry e = { .cls = cls, .height = 1, .flags = flags };
  if (obj != NULL) {
    gsize nodes = 0, bytes = 0;
    e.height = measure(obj, &nodes, &bytes);
    if (!charge_nodes(d, nodes) || !charge_string(d, bytes))
      return FALSE;
    e.obj = f2b_py_copy(obj);
  } else if (!charge_nodes(d, 1)) {
    return FALSE;
  }
  return push_entry(d, &e);
}

/* Python refuses unhashable dict keys and set items. */
static gboolean
hashable(const F2bPyObj *obj)
{
  switch (f2b_py_kind(obj)) {
  case F2B_PY_LIST:
  case F2B_PY_DICT:
    return FALSE;
  case F2B_PY_TUPLE:
    for (gsize i = 0; i < f2b_py_len(obj); i++)
      if (!hashable(f2b_py_item(obj, i)))
        return FALSE;
    return TRUE;
  default:
    return TRUE;
  }
}

static gboolean
check_hashable(Decoder *d, const Entry *e)
{
  if (e->flags & FLAG_FROZENSET)
    return TRUE;
  if (!hashable(e->obj))
    return fail(d, F2B_PICKLE_ERROR_INVALID, "unhashable dict key or set item in pickle");
  return TRUE;
}

/* A hash consistent with f2b_py_equal (1 == 1.0 == True). */
static guint
key_hash(gconstpointer p)
{
  const F2bPyObj *obj = p;
  switch (f2b_py_kind(obj)) {
  case F2B_PY_NONE:
    return 0x9e3779b9u;
  case F2B_PY_BOOL:
  case F2B_PY_INT: {
    gint64 v = f2b_py_kind(obj) == F2B_PY_BOOL ? f2b_py_get_bool(obj) : f2b_py_get_int(obj);
    return g_int64_hash(&v);
  }
  case F2B_PY_FLOAT: {
    double f = f2b_py_get_float(obj);
    if (f == floor(f) && f >= -9.2e18 && f <= 9.2e18) {
      gint64 v = (gint64) f;
      return g_int64_hash(&v);
    }
    return isnan(f) ? 0x7ff8u : g_double_hash(&f);
  }
  case F2B_PY_STR:
  case F2B_PY_BYTES: {
    gsize len;
    const char *s = f2b_py_get_str(obj, &len);
    guint h = 5381 + f2b_py_kind(obj);
    for (gsize i = 0; i < len; i++)
      h = h * 33 + (guint8) s[i];
    return h;
  }
  case F2B_PY_TUPLE: {
    guint h = 0x345678u;
    for (gsize i = 0; i < f2b_py_len(obj); i++)
      h = h * 1000003u ^ key_hash(f2b_py_item(obj, i));
    return h;
  }
  case F2B_PY_INSTANCE:
    return g_str_hash(f2b_py_instance_name(obj));
  default:
    return 0;
  }
}

static gboolean
key_equal(gconstpointer a, gconstpointer b)
{
  return f2b_py_equal(a, b);
}

static GHashTable *
dict_keys(Entry *dict)
{
  if (dict->keys == NULL) {
    dict->keys = g_hash_table_new(key_hash, key_equal);
    for (gsize i = 0; i < f2b_py_len(dict->obj); i++) {
      F2bPyObj *key, *value;
      f2b_py_dict_pair(dict->obj, i, &key, &value);
      g_hash_table_add(dict->keys, key);
    }
  }
  return dict->keys;
}

static gboolean
grow_height(Decoder *d, Entry *container, const Entry *item)
{
  container->height = MAX(container->height, item->height + 1);
  return check_height(d, container->height);
}

/* Moves KEY and VALUE (consumed) into the dict DICT. */
static gboolean
dict_add(Decoder *d, Entry *dict, Entry *key, Entry *value)
{
  if (!check_hashable(d, key) || !grow_height(d, dict, key) || !grow_height(d, dict, value))
    return FALSE;
  GHashTable *keys = dict_keys(dict);
  if (g_hash_table_contains(keys, key->obj))
    return fail(d, F2B_PICKLE_ERROR_INVALID, "duplicate dict key in pickle");
  g_hash_table_add(keys, key->obj);
  f2b_py_dict_append_new(dict->obj, key->obj, value->obj);
  entry_clear(key);
  entry_clear(value);
  key->obj = value->obj = NULL;
  return TRUE;
}

/* Moves ITEM (consumed) into the list (or set) SEQ. */
static gboolean
seq_add(Decoder *d, Entry *seq, Entry *item)
{
  if (((seq->flags & FLAG_SET) && !check_hashable(d, item)) || !grow_height(d, seq, item))
    return FALSE;
  f2b_py_append(seq->obj, item->obj);
  entry_clear(item);
  item->obj = NULL;
  return TRUE;
}

/* Every entry above FROM must be a value (not a class reference). */
static gboolean
check_values(Decoder *d, gsize from)
{
  for (gsize i = from; i < d->stack->len; i++)
    if (entry_at(d, i)->obj == NULL)
      return fail(d, F2B_PICKLE_ERROR_INVALID, "a class can only be called with REDUCE");
  return TRUE;
}

/* Replaces the entries above FROM by a new container of KIND made of them
 * (a dict takes them as key, value pairs). */
static gboolean
collapse(Decoder *d, gsize from, F2bPyKind kind, guint flags)
{
  if (!check_values(d, from) || !charge_nodes(d, 1))
    return FALSE;
  Entry c = { .height = 1, .flags = flags };
  c.obj = kind == F2B_PY_DICT ? f2b_py_dict_new()
          : kind == F2B_PY_TUPLE ? f2b_py_tuple_new() : f2b_py_list_new();
  gboolean ok = TRUE;
  for (gsize i = from; ok && i < d->stack->len; i += kind == F2B_PY_DICT ? 2 : 1) {
    if (kind == F2B_PY_DICT)
      ok = dict_add(d, &c, entry_at(d, i), entry_at(d, i + 1));
    else if (flags != 0)
      ok = check_hashable(d, entry_at(d, i)) && seq_add(d, &c, entry_at(d, i));
    else
      ok = seq_add(d, &c, entry_at(d, i));
  }
  /* Entries not consumed (after an error) are still owned by the stack. */
  entry_clear(&c);
  if (!ok) {
    g_ptr_array_add(d->discarded, c.obj);
    return FALSE;
  }
  g_array_set_size(d->stack, from);
  return push_entry(d, &c);
}

static gboolean
load_collection(Decoder *d, F2bPyKind kind, guint flags)
{
  gsize mark;
  if (!pop_mark(d, &mark))
    return FALSE;
  if (kind == F2B_PY_DICT && (d->stack->len - mark) % 2 != 0)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "odd number of items for DICT");
  return collapse(d, mark, kind, flags);
}

static gboolean
load_small_tuple(Decoder *d, gsize n)
{
  if (d->stack->len - fence(d) < n)
    return underflow(d);
  return collapse(d, d->stack->len - n, F2B_PY_TUPLE, 0);
}

static gboolean
push_empty(Decoder *d, F2bPyObj *obj, guint flags)
{
  Entry e = { .obj = obj, .height = 1, .flags = flags };
  if (!charge_nodes(d, 1)) {
    f2b_py_free(obj);
    return FALSE;
  }
  return push_entry(d, &e);
}

/* APPENDS, SETITEMS, ADDITEMS: the items above the mark go into the
 * container just below it. */
static gboolean
load_add_items(Decoder *d, guint8 op)
{
  gsize mark;
  if (!pop_mark(d, &mark))
    return FALSE;
  if (mark == 0 || mark <= fence(d))
    return underflow(d);
  if (!check_values(d, mark - 1))
    return FALSE;
  Entry *target = entry_at(d, mark - 1);
  F2bPyKind kind = f2b_py_kind(target->obj);
  gboolean ok;
  if (op == OP_SETITEMS)
    ok = kind == F2B_PY_DICT && (d->stack->len - mark) % 2 == 0;
  else if (op == OP_ADDITEMS)
    ok = (target->flags & FLAG_SET) != 0;
  else
    ok = kind == F2B_PY_LIST && target->flags == 0;
  if (!ok)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "pickle adds items to the wrong kind of value");
  for (gsize i = mark; i < d->stack->len; i += op == OP_SETITEMS ? 2 : 1) {
    ok = op == OP_SETITEMS ? dict_add(d, target, entry_at(d, i), entry_at(d, i + 1))
                           : seq_add(d, target, entry_at(d, i));
    if (!ok) {
      /* Keep the consumed prefix consumed: drop the empty slots. */
      gsize j = mark;
      for (gsize k = mark; k < d->stack->len; k++)
        if (entry_at(d, k)->obj != NULL)
          *entry_at(d, j++) = *entry_at(d, k);
      g_array_set_size(d->stack, j);
      return FALSE;
    }
  }
  g_array_set_size(d->stack, mark);
  return TRUE;
}

static gboolean
load_append(Decoder *d)
{
  Entry item;
  Entry *list;
  if (!pop_value(d, &item))
    return FALSE;
  g_array_append_vals(d->stack, &item, 1); /* stays owned until consumed */
  if (d->stack->len - 1 <= fence(d))
    return underflow(d);
  list = entry_at(d, d->stack->len - 2);
  if (list->obj == NULL || f2b_py_kind(list->obj) != F2B_PY_LIST || list->flags != 0)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "pickle appends to a value that is not a list");
  if (!seq_add(d, list, entry_at(d, d->stack->len - 1)))
    return FALSE;
  g_array_set_size(d->stack, d->stack->len - 1);
  return TRUE;
}

static gboolean
load_setitem(Decoder *d)
{
  gsize len = d->stack->len;
  if (len < 3 || len - 3 < fence(d))
    return underflow(d);
  if (!check_values(d, len - 3))
    return FALSE;
  Entry *dict = entry_at(d, len - 3);
  if (f2b_py_kind(dict->obj) != F2B_PY_DICT)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "pickle sets an item of a value that is not a dict");
  if (!dict_add(d, dict, entry_at(d, len - 2), entry_at(d, len - 1)))
    return FALSE;
  g_array_set_size(d->stack, len - 2);
  return TRUE;
}

/* ---- stack and memo */

static gboolean
load_pop(Decoder *d)
{
  /* A MARK with nothing above it is what POP removes. */
  if (d->marks->len > 0 && g_array_index(d->marks, gsize, d->marks->len - 1) == d->stack->len) {
    g_array_set_size(d->marks, d->marks->len - 1);
    return TRUE;
  }
  Entry e;
  if (!pop_entry(d, &e))
    return FALSE;
  discard(d, &e);
  return TRUE;
}

static gboolean
load_pop_mark(Decoder *d)
{
  gsize mark;
  if (!pop_mark(d, &mark))
    return FALSE;
  for (gsize i = mark; i < d->stack->len; i++)
    discard(d, entry_at(d, i));
  g_array_set_size(d->stack, mark);
  return TRUE;
}

static gboolean
load_mark(Decoder *d)
{
  if (d->marks->len >= d->lim.max_depth)
    return fail(d, F2B_PICKLE_ERROR_LIMIT, "pickle nesting exceeds %u levels", d->lim.max_depth);
  gsize at = d->stack->len;
  g_array_append_val(d->marks, at);
  return TRUE;
}

static gboolean
load_dup(Decoder *d)
{
  if (d->stack->len <= fence(d))
    return underflow(d);
  Entry *top = entry_at(d, d->stack->len - 1);
  return push_copy(d, top->obj, top->cls, top->flags);
}

static gboolean
memo_put(Decoder *d, guint64 index)
{
  if (d->stack->len <= fence(d))
    return underflow(d);
  if (index > G_MAXUINT32)
    return fail(d, F2B_PICKLE_ERROR_LIMIT, "pickle memo index too large");
  gpointer key = GSIZE_TO_POINTER((gsize) index);
  if (!g_hash_table_contains(d->memo, key) && g_hash_table_size(d->memo) >= d->lim.max_memo)
    return fail(d, F2B_PICKLE_ERROR_LIMIT, "pickle memo exceeds %" G_GSIZE_FORMAT " entries",
                d->lim.max_memo);
  Entry *top = entry_at(d, d->stack->len - 1);
  MemoRef *ref = g_new(MemoRef, 1);
  *ref = (MemoRef) { .obj = top->obj, .cls = top->cls, .flags = top->flags };
  g_hash_table_insert(d->memo, key, ref);
  return TRUE;
}

static gboolean
memo_get(Decoder *d, guint64 index)
{
  MemoRef *ref = NULL;
  if (index <= G_MAXUINT32)
    ref = g_hash_table_lookup(d->memo, GSIZE_TO_POINTER((gsize) index));
  if (ref == NULL)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "pickle memo has no entry %" G_GUINT64_FORMAT, index);
  return push_copy(d, ref->obj, ref->cls, ref->flags);
}

static gboolean
load_memo_text(Decoder *d, gboolean put)
{
  const char *line = NULL;
  gsize n = 0;
  gint64 index = 0;
  if (!take_line(d, &line, &n) || !parse_int_text(d, line, n, &index))
    return FALSE;
  if (index < 0)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "negative memo index in pickle");
  return put ? memo_put(d, index) : memo_get(d, index);
}

static gboolean
load_memo_bin(Decoder *d, guint size_bytes, gboolean put)
{
  guint64 index = 0;
  if (!take_le(d, size_bytes, &index))
    return FALSE;
  return put ? memo_put(d, index) : memo_get(d, index);
}

/* ---- the allow-listed exceptions */

/* fail2ban-server pickles its IPAddr (a str subclass) as str('1.2.3.4'):
 * with allow_exceptions, builtins.str called on one str is that str. */
static const ExcClass str_class = { "builtins", "str" };

static gboolean
push_class(Decoder *d, const char *module, const char *name)
{
  const ExcClass *cls = find_exception_class(module, name);
  if (cls == NULL && strcmp(module, "builtins") == 0 && strcmp(name, "str") == 0)
    cls = &str_class;
  if (cls == NULL)
    return fail(d, F2B_PICKLE_ERROR_REFUSED, "pickle global '%s %s' refused", module, name);
  Entry e = { .cls = cls, .height = 1 };
  if (!charge_nodes(d, 1))
    return FALSE;
  return push_entry(d, &e);
}

static gboolean
take_name_line(Decoder *d, char **out)
{
  const char *line = NULL;
  gsize n = 0;
  if (!take_line(d, &line, &n))
    return FALSE;
  if (n == 0 || memchr(line, '\0', n) != NULL || !g_utf8_validate(line, n, NULL))
    return fail(d, F2B_PICKLE_ERROR_INVALID, "invalid GLOBAL name in pickle");
  *out = g_strndup(line, n);
  return TRUE;
}

static gboolean
load_global(Decoder *d)
{
  g_autofree char *module = NULL;
  g_autofree char *name = NULL;
  if (!take_name_line(d, &module) || !take_name_line(d, &name))
    return FALSE;
  return push_class(d, module, name);
}

static gboolean
load_stack_global(Decoder *d)
{
  Entry name, module;
  if (!pop_entry(d, &name))
    return FALSE;
  if (!pop_entry(d, &module)) {
    discard(d, &name);
    return FALSE;
  }
  gboolean ok = name.obj != NULL && module.obj != NULL &&
                f2b_py_kind(name.obj) == F2B_PY_STR && f2b_py_kind(module.obj) == F2B_PY_STR;
  if (!ok) {
    fail(d, F2B_PICKLE_ERROR_INVALID, "STACK_GLOBAL requires str");
  } else {
    gsize nlen, mlen;
    const char *n = f2b_py_get_str(name.obj, &nlen);
    const char *m = f2b_py_get_str(module.obj, &mlen);
    if (strlen(n) != nlen || strlen(m) != mlen)
      ok = fail(d, F2B_PICKLE_ERROR_REFUSED, "pickle global refused");
    else
      ok = push_class(d, m, n);
  }
  discard(d, &name);
  discard(d, &module);
  return ok;
}

static gboolean
load_reduce(Decoder *d)
{
  gsize len = d->stack->len;
  if (len < 2 || len - 2 < fence(d))
    return underflow(d);
  Entry *cls = entry_at(d, len - 2);
  Entry *args = entry_at(d, len - 1);
  if (cls->cls == NULL)
    return fail(d, F2B_PICKLE_ERROR_REFUSED, "pickle REDUCE of a value that is not a class");
  if (args->obj == NULL || f2b_py_kind(args->obj) != F2B_PY_TUPLE)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "pickle REDUCE arguments are not a tuple");
  if (cls->cls == &str_class) {
    if (f2b_py_len(args->obj) != 1 || f2b_py_kind(f2b_py_item(args->obj, 0)) != F2B_PY_STR)
      return fail(d, F2B_PICKLE_ERROR_REFUSED, "pickle str() of a value that is not a str");
    Entry str = { .height = 1, .obj = f2b_py_copy(f2b_py_item(args->obj, 0)) };
    f2b_py_free(args->obj);
    g_array_set_size(d->stack, len - 2);
    return push_entry(d, &str);
  }
  if (!check_height(d, args->height + 1) || !charge_nodes(d, 1))
    return FALSE;
  Entry inst = { .height = args->height + 1 };
  inst.obj = f2b_py_instance_new(cls->cls->module, cls->cls->name, args->obj);
  g_array_set_size(d->stack, len - 2);
  return push_entry(d, &inst);
}

/* BUILD sets an exception's __dict__: we keep the exception, not its state. */
static gboolean
load_build(Decoder *d)
{
  Entry state;
  Entry *inst = NULL;
  if (!pop_value(d, &state))
    return FALSE;
  F2bPyKind kind = f2b_py_kind(state.obj);
  discard(d, &state);
  if (kind != F2B_PY_DICT && kind != F2B_PY_NONE && kind != F2B_PY_TUPLE)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "pickle BUILD state is not a dict");
  if (!top_value(d, &inst))
    return FALSE;
  if (f2b_py_kind(inst->obj) != F2B_PY_INSTANCE)
    return fail(d, F2B_PICKLE_ERROR_REFUSED, "pickle BUILD of a value that is not an exception");
  return TRUE;
}

/* ---- dispatch */

static gboolean
load_frame(Decoder *d)
{
  guint64 n = 0;
  if (!take_le(d, 8, &n))
    return FALSE;
  /* As CPython's loads: the frame must be there; opcodes run as usual. */
  if (n > remaining(d))
    return truncated(d);
  return TRUE;
}

static gboolean
load_proto(Decoder *d)
{
  const guint8 *p = NULL;
  if (!take(d, 1, &p))
    return FALSE;
  if (p[0] > 5)
    return fail(d, F2B_PICKLE_ERROR_INVALID, "unsupported pickle protocol: %d", p[0]);
  return TRUE;
}

static gboolean
load_scalar_bin(Decoder *d, guint8 op)
{
  guint64 v = 0;
  switch (op) {
  case OP_BININT:
    if (!take_le(d, 4, &v))
      return FALSE;
    return push_scalar(d, f2b_py_int((gint32) (guint32) v));
  case OP_BININT1:
    return take_le(d, 1, &v) && push_scalar(d, f2b_py_int(v));
  case OP_BININT2:
    return take_le(d, 2, &v) && push_scalar(d, f2b_py_int(v));
  case OP_NONE:
    return push_scalar(d, f2b_py_none());
  case OP_NEWTRUE:
  case OP_NEWFALSE:
    return push_scalar(d, f2b_py_bool(op == OP_NEWTRUE));
  default:
    g_return_val_if_reached(FALSE);
  }
}

static gboolean
load_opcode(Decoder *d, guint8 op)
{
  switch (op) {
  case OP_MARK: return load_mark(d);
  case OP_POP: return load_pop(d);
  case OP_POP_MARK: return load_pop_mark(d);
  case OP_DUP: return load_dup(d);
  case OP_FLOAT: return load_float_text(d);
  case OP_BINFLOAT: return load_binfloat(d);
  case OP_INT: return load_int_text(d);
  case OP_LONG: return load_long_text(d);
  case OP_BININT: case OP_BININT1: case OP_BININT2: case OP_NONE:
  case OP_NEWTRUE: case OP_NEWFALSE:
    return load_scalar_bin(d, op);
  case OP_LONG1: return load_long_bin(d, 1);
  case OP_LONG4: return load_long_bin(d, 4);
  case OP_STRING: return load_string_text(d);
  case OP_BINSTRING: return load_binstring(d, 4);
  case OP_SHORT_BINSTRING: return load_binstring(d, 1);
  case OP_UNICODE: return load_unicode_text(d);
  case OP_BINUNICODE: return load_binunicode(d, 4);
  case OP_SHORT_BINUNICODE: return load_binunicode(d, 1);
  case OP_BINUNICODE8: return load_binunicode(d, 8);
  case OP_BINBYTES: return load_binbytes(d, 4);
  case OP_SHORT_BINBYTES: return load_binbytes(d, 1);
  case OP_BINBYTES8: case OP_BYTEARRAY8: return load_binbytes(d, 8);
  case OP_EMPTY_LIST: return push_empty(d, f2b_py_list_new(), 0);
  case OP_EMPTY_TUPLE: return push_empty(d, f2b_py_tuple_new(), 0);
  case OP_EMPTY_DICT: return push_empty(d, f2b_py_dict_new(), 0);
  case OP_EMPTY_SET: return push_empty(d, f2b_py_list_new(), FLAG_SET);
  case OP_APPEND: return load_append(d);
  case OP_APPENDS: case OP_SETITEMS: case OP_ADDITEMS: return load_add_items(d, op);
  case OP_SETITEM: return load_setitem(d);
  case OP_LIST: return load_collection(d, F2B_PY_LIST, 0);
  case OP_TUPLE: return load_collection(d, F2B_PY_TUPLE, 0);
  case OP_DICT: return load_collection(d, F2B_PY_DICT, 0);
  case OP_FROZENSET: return load_collection(d, F2B_PY_LIST, FLAG_FROZENSET);
  case OP_TUPLE1: return load_small_tuple(d, 1);
  case OP_TUPLE2: return load_small_tuple(d, 2);
  case OP_TUPLE3: return load_small_tuple(d, 3);
  case OP_GET: return load_memo_text(d, FALSE);
  case OP_BINGET: return load_memo_bin(d, 1, FALSE);
  case OP_LONG_BINGET: return load_memo_bin(d, 4, FALSE);
  case OP_PUT: return load_memo_text(d, TRUE);
  case OP_BINPUT: return load_memo_bin(d, 1, TRUE);
  case OP_LONG_BINPUT: return load_memo_bin(d, 4, TRUE);
  case OP_MEMOIZE: return memo_put(d, g_hash_table_size(d->memo));
  case OP_PROTO: return load_proto(d);
  case OP_FRAME: return load_frame(d);
  default: break;
  }
  const char *refused = refused_opcode_name(op);
  if (refused != NULL && d->lim.allow_exceptions) {
    switch (op) {
    case OP_GLOBAL: return load_global(d);
    case OP_STACK_GLOBAL: return load_stack_global(d);
    case OP_REDUCE: return load_reduce(d);
    case OP_BUILD: return load_build(d);
    default: break;
    }
  }
  if (refused != NULL)
    return fail(d, F2B_PICKLE_ERROR_REFUSED, "pickle opcode %s refused", refused);
  if (g_ascii_isprint(op))
    return fail(d, F2B_PICKLE_ERROR_INVALID, "invalid pickle opcode '%c'", op);
  return fail(d, F2B_PICKLE_ERROR_INVALID, "invalid pickle opcode 0x%02x", op);
}

static void
decoder_clear(Decoder *d)
{
  g_hash_table_destroy(d->memo);
  for (gsize i = 0; i < d->stack->len; i++) {
    entry_clear(entry_at(d, i));
    f2b_py_free(entry_at(d, i)->obj);
  }
  g_array_free(d->stack, TRUE);
  g_array_free(d->marks, TRUE);
  g_ptr_array_free(d->discarded, TRUE);
}

static F2bPyObj *
decode_stop(Decoder *d)
{
  Entry e;
  if (!pop_entry(d, &e))
    return NULL;
  if (e.obj == NULL) {
    fail(d, F2B_PICKLE_ERROR_REFUSED, "pickle result is a class");
    return NULL;
  }
  entry_clear(&e);
  return e.obj;
}

F2bPyObj *
f2b_pickle_decode(const guint8 *data, gsize len, const F2bPickleLimits *limits, GError **error)
{
  g_return_val_if_fail(data != NULL || len == 0, NULL);
  Decoder d = { .data = data, .len = len, .error = error };
  if (limits != NULL)
    d.lim = *limits;
  else
    f2b_pickle_limits_init(&d.lim);
  if (len > d.lim.max_input) {
    fail(&d, F2B_PICKLE_ERROR_LIMIT, "pickle of %" G_GSIZE_FORMAT " bytes exceeds the limit of %"
         G_GSIZE_FORMAT, len, d.lim.max_input);
    return NULL;
  }
  d.stack = g_array_new(FALSE, FALSE, sizeof(Entry));
  d.marks = g_array_new(FALSE, FALSE, sizeof(gsize));
  d.memo = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  d.discarded = g_ptr_array_new_with_free_func((GDestroyNotify) f2b_py_free);
  F2bPyObj *result = NULL;
  while (d.pos < d.len) {
    d.op_pos = d.pos;
    guint8 op = d.data[d.pos++];
    if (op == OP_STOP) {
      result = decode_stop(&d);
      break;
    }
    if (!load_opcode(&d, op))
      break;
  }
  if (result == NULL && (error == NULL || *error == NULL)) {
    d.op_pos = d.pos;
    if (d.pos >= d.len)
      truncated(&d);
  }
  decoder_clear(&d);
  return result;
}

/* ---------------------------------------------------------------- encoder */

/* Mirrors CPython 3.11's C pickler: the same opcodes for the same values,
 * the same memo numbering, and for protocols 4 and 5 the same frames (a
 * frame is closed at the first object boundary after 64 KiB, a frame under
 * 4 bytes gets no header, and a str or bytes payload of 64 KiB or more is
 * written outside any frame). */
typedef struct {
  GByteArray *out;
  int proto;
  gboolean framing;
  gssize frame_start; /* offset of the current frame's header, or -1 */
  guint32 memo_next;
  GHashTable *memo_names; /* "m:<module>" / "c:<module>\n<name>" -> memo index + 1 */
} Encoder;

static void
enc_write(Encoder *e, const void *data, gsize n)
{
  if (e->framing && e->frame_start < 0) {
    static const guint8 placeholder[FRAME_HEADER_SIZE] = { 0 };
    e->frame_start = e->out->len;
    g_byte_array_append(e->out, placeholder, FRAME_HEADER_SIZE);
  }
  g_byte_array_append(e->out, data, n);
}

static void
enc_byte(Encoder *e, guint8 b)
{
  enc_write(e, &b, 1);
}

static void
enc_text(Encoder *e, const char *text)
{
  enc_write(e, text, strlen(text));
}

static void
put_le(guint8 *p, guint64 v, guint n)
{
  for (guint i = 0; i < n; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static void
enc_commit_frame(Encoder *e)
{
  if (!e->framing || e->frame_start < 0)
    return;
  gsize len = e->out->len - e->frame_start - FRAME_HEADER_SIZE;
  if (len >= FRAME_SIZE_MIN) {
    e->out->data[e->frame_start] = OP_FRAME;
    put_le(e->out->data + e->frame_start + 1, len, 8);
  } else {
    g_byte_array_remove_range(e->out, e->frame_start, FRAME_HEADER_SIZE);
  }
  e->frame_start = -1;
}

static void
enc_opcode_boundary(Encoder *e)
{
  if (e->framing && e->frame_start >= 0 &&
      e->out->len - e->frame_start - FRAME_HEADER_SIZE >= FRAME_SIZE_TARGET)
    enc_commit_frame(e);
}

/* An opcode with its length header, then a payload. */
static void
enc_payload(Encoder *e, const guint8 *header, gsize hlen, const void *data, gsize dlen)
{
  gboolean framing = e->framing;
  if (dlen >= FRAME_SIZE_TARGET) {
    enc_commit_frame(e);
    e->framing = FALSE;
  }
  enc_write(e, header, hlen);
  enc_write(e, data, dlen);
  e->framing = framing;
}

/* A memo put or get of INDEX: TEXT_OP and the index in decimal under
 * protocol 0, else the one-byte-index opcode SHORT_OP or the four-byte one
 * LONG_OP. */
static void
enc_memo_op(Encoder *e, char text_op, guint8 short_op, guint8 long_op, guint32 index)
{
  if (e->proto == 0) {
    char buf[24];
    g_snprintf(buf, sizeof buf, "%c%u\n", text_op, index);
    enc_text(e, buf);
  } else if (index < 256) {
    guint8 op[2] = { short_op, (guint8)index };
    enc_write(e, op, 2);
  } else {
    guint8 op[5] = { long_op };
    put_le(op + 1, index, 4);
    enc_write(e, op, 5);
  }
}

static void
enc_memoize(Encoder *e)
{
  guint32 index = e->memo_next++;
  if (e->proto >= 4)
    enc_byte(e, OP_MEMOIZE);
  else
    enc_memo_op(e, 'p', OP_BINPUT, OP_LONG_BINPUT, index);
}

static void
enc_memo_get(Encoder *e, guint32 index)
{
  enc_memo_op(e, 'g', OP_BINGET, OP_LONG_BINGET, index);
}

/* Looks KEY up among the memoized names; FALSE (and KEY remembered as the
 * next memo entry) the first time. */
static gboolean
enc_named_memo(Encoder *e, const char *key, guint32 *index)
{
  gpointer found = g_hash_table_lookup(e->memo_names, key);
  if (found != NULL) {
    *index = GPOINTER_TO_UINT(found) - 1;
    return TRUE;
  }
  g_hash_table_insert(e->memo_names, g_strdup(key), GUINT_TO_POINTER(e->memo_next + 1));
  return FALSE;
}

static void
enc_int(Encoder *e, gint64 v)
{
  char buf[32];
  if (v >= G_MININT32 && v <= G_MAXINT32) {
    if (e->proto == 0) {
      g_snprintf(buf, sizeof buf, "I%" G_GINT64_FORMAT "\n", v);
      enc_text(e, buf);
    } else if (v >= 0 && v <= 0xff) {
      guint8 op[2] = { OP_BININT1, (guint8) v };
      enc_write(e, op, 2);
    } else if (v >= 0 && v <= 0xffff) {
      guint8 op[3] = { OP_BININT2 };
      put_le(op + 1, v, 2);
      enc_write(e, op, 3);
    } else {
      guint8 op[5] = { OP_BININT };
      put_le(op + 1, (guint64) v, 4);
      enc_write(e, op, 5);
    }
    return;
  }
  if (e->proto < 2) {
    g_snprintf(buf, sizeof buf, "L%" G_GINT64_FORMAT "L\n", v);
    enc_text(e, buf);
    return;
  }
  /* Python's encode_long: (bit_length >> 3) + 1 bytes of two's complement,
   * less a redundant 0xff on negative numbers. */
  guint64 magnitude = v < 0 ? (guint64) 0 - (guint64) v : (guint64) v;
  guint bits = 64 - __builtin_clzll(magnitude);
  guint n = (bits >> 3) + 1;
  guint8 op[2 + 9] = { OP_LONG1 };
  for (guint i = 0; i < n; i++)
    op[2 + i] = i < 8 ? (guint8) ((guint64) v >> (8 * i)) : (v < 0 ? 0xff : 0x00);
  if (v < 0 && n > 1 && op[2 + n - 1] == 0xff && (op[2 + n - 2] & 0x80) != 0)
    n--;
  op[1] = (guint8) n;
  enc_write(e, op, 2 + n);
}

static void
enc_float(Encoder *e, double f)
{
  if (e->proto == 0) {
    g_autoptr(GString) text = g_string_new("F");
    f2b_py_repr_float_append(text, f);
    g_string_append_c(text, '\n');
    enc_text(e, text->str);
    return;
  }
  guint64 bits;
  memcpy(&bits, &f, sizeof bits);
  guint8 op[9] = { OP_BINFLOAT };
  for (guint i = 0; i < 8; i++)
    op[1 + i] = (guint8) (bits >> (56 - 8 * i));
  enc_write(e, op, 9);
}

/* The code points of one of our strings: UTF-8, where a byte that is not
 * valid UTF-8 stands for the surrogate U+DC80..U+DCFF (surrogateescape). */
static guint32
next_code_point(const guint8 *s, gsize n, gsize *i)
{
  guint32 cp;
  guint k = utf8_sequence(s + *i, n - *i, &cp);
  if (k == 0 || (cp >= 0xd800 && cp <= 0xdfff)) {
    cp = s[*i] < 0x80 ? s[*i] : 0xdc00 + s[*i];
    k = 1;
  }
  *i += k;
  return cp;
}

/* UTF-8 with lone surrogates encoded ("surrogatepass"), as Python writes. */
static GByteArray *
str_to_utf8(const guint8 *s, gsize n)
{
  GByteArray *out = g_byte_array_sized_new(n);
  for (gsize i = 0; i < n;) {
    gsize start = i;
    guint32 cp = next_code_point(s, n, &i);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      guint8 seq[3] = { 0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f) };
      g_byte_array_append(out, seq, 3);
    } else {
      g_byte_array_append(out, s + start, i - start);
    }
  }
  return out;
}

/* Protocol 0: raw-unicode-escape, with the characters that would break the
 * line-based format escaped too. */
static GByteArray *
str_to_raw_unicode_escape(const guint8 *s, gsize n)
{
  GByteArray *out = g_byte_array_sized_new(n);
  for (gsize i = 0; i < n;) {
    guint32 cp = next_code_point(s, n, &i);
    char buf[16];
    if (cp >= 0x10000) {
      g_snprintf(buf, sizeof buf, "\\U%08x", cp);
    } else if (cp >= 256 || cp == '\\' || cp == 0 || cp == '\n' || cp == '\r' || cp == 0x1a) {
      g_snprintf(buf, sizeof buf, "\\u%04x", cp);
    } else {
      guint8 b = (guint8) cp;
      g_byte_array_append(out, &b, 1);
      continue;
    }
    g_byte_array_append(out, (const guint8 *) buf, strlen(buf));
  }
  return out;
}

static void
enc_str_data(Encoder *e, const guint8 *s, gsize n)
{
  if (e->proto == 0) {
    g_autoptr(GByteArray) text = str_to_raw_unicode_escape(s, n);
    enc_byte(e, OP_UNICODE);
    enc_write(e, text->data, text->len);
    enc_byte(e, '\n');
  } else {
    g_autoptr(GByteArray) utf8 = str_to_utf8(s, n);
    guint8 header[9];
    gsize hlen;
    if (utf8->len <= 0xff && e->proto >= 4) {
      header[0] = OP_SHORT_BINUNICODE;
      header[1] = (guint8) utf8->len;
      hlen = 2;
    } else if (utf8->len > 0xffffffffu && e->proto >= 4) {
      header[0] = OP_BINUNICODE8;
      put_le(header + 1, utf8->len, 8);
      hlen = 9;
    } else {
      header[0] = OP_BINUNICODE;
      put_le(header + 1, utf8->len, 4);
      hlen = 5;
    }
    enc_payload(e, header, hlen, utf8->data, utf8->len);
  }
  enc_memoize(e);
}

static void
enc_bytes(Encoder *e, const guint8 *s, gsize n)
{
  guint8 header[9];
  gsize hlen;
  if (n <= 0xff) {
    header[0] = OP_SHORT_BINBYTES;
    header[1] = (guint8) n;
    hlen = 2;
  } else if (n > 0xffffffffu && e->proto >= 4) {
    header[0] = OP_BINBYTES8;
    put_le(header + 1, n, 8);
    hlen = 9;
  } else {
    header[0] = OP_BINBYTES;
    put_le(header + 1, n, 4);
    hlen = 5;
  }
  enc_payload(e, header, hlen, s, n);
  enc_memoize(e);
}

static void enc_save(Encoder *e, const F2bPyObj *obj);

static void
enc_items(Encoder *e, const F2bPyObj *obj, gsize from, gsize to)
{
  for (gsize i = from; i < to; i++) {
    if (f2b_py_kind(obj) == F2B_PY_DICT) {
      F2bPyObj *key, *value;
      f2b_py_dict_pair(obj, i, &key, &value);
      enc_save(e, key);
      enc_save(e, value);
    } else {
      enc_save(e, f2b_py_item(obj, i));
    }
  }
}

/* The items of a list or dict: one by one in protocol 0, else one APPEND /
 * SETITEM for a single item, batches of 1000 between MARK and APPENDS /
 * SETITEMS otherwise. */
static void
enc_batches(Encoder *e, const F2bPyObj *obj, guint8 one, guint8 many)
{
  gsize len = f2b_py_len(obj);
  if (e->proto == 0) {
    for (gsize i = 0; i < len; i++) {
      enc_items(e, obj, i, i + 1);
      enc_byte(e, one);
    }
    return;
  }
  if (len == 1) {
    enc_items(e, obj, 0, 1);
    enc_byte(e, one);
    return;
  }
  /* CPython ends a dict with an empty batch when its size is a multiple of
   * the batch size (its loop runs again after a full batch); not a list. */
  gboolean dict = f2b_py_kind(obj) == F2B_PY_DICT;
  gsize done = 0, batch;
  do {
    gsize end = MIN(len, done + BATCH_SIZE);
    batch = end - done;
    enc_byte(e, OP_MARK);
    enc_items(e, obj, done, end);
    enc_byte(e, many);
    done = end;
  } while (dict ? batch == BATCH_SIZE : done < len);
}

static void
enc_container(Encoder *e, const F2bPyObj *obj)
{
  gboolean list = f2b_py_kind(obj) == F2B_PY_LIST;
  if (e->proto == 0) {
    guint8 op[2] = { OP_MARK, list ? OP_LIST : OP_DICT };
    enc_write(e, op, 2);
  } else {
    enc_byte(e, list ? OP_EMPTY_LIST : OP_EMPTY_DICT);
  }
  enc_memoize(e);
  if (f2b_py_len(obj) > 0)
    enc_batches(e, obj, list ? OP_APPEND : OP_SETITEM, list ? OP_APPENDS : OP_SETITEMS);
}

static void
enc_tuple(Encoder *e, const F2bPyObj *obj)
{
  gsize len = f2b_py_len(obj);
  if (len == 0) {
    if (e->proto == 0) {
      guint8 op[2] = { OP_MARK, OP_TUPLE };
      enc_write(e, op, 2);
    } else {
      enc_byte(e, OP_EMPTY_TUPLE);
    }
    return;
  }
  if (len <= 3 && e->proto >= 2) {
    enc_items(e, obj, 0, len);
    enc_byte(e, OP_TUPLE1 + len - 1);
  } else {
    enc_byte(e, OP_MARK);
    enc_items(e, obj, 0, len);
    enc_byte(e, OP_TUPLE);
  }
  enc_memoize(e);
}

/* Python 3 names as Python 2 knew them, for protocols 0-2 (fix_imports). */
static void
python2_name(const char *module, const char *name, const char **module2, const char **name2)
{
  static const char *const oserror_subclasses[] = {
    "BrokenPipeError", "ChildProcessError", "ConnectionAbortedError", "ConnectionError",
    "ConnectionRefusedError", "ConnectionResetError", "FileExistsError", "FileNotFoundError",
    "InterruptedError", "IsADirectoryError", "NotADirectoryError", "PermissionError",
    "ProcessLookupError", "TimeoutError",
  };
  static const char *const python3_only[] = {
    "BlockingIOError", "RecursionError", "ResourceWarning", "StopAsyncIteration",
    "EncodingWarning",
  };
  *module2 = module;
  *name2 = name;
  if (strcmp(module, "builtins") != 0)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS(oserror_subclasses); i++)
    if (strcmp(name, oserror_subclasses[i]) == 0) {
      *module2 = "exceptions";
      *name2 = "OSError";
      return;
    }
  if (strcmp(name, "ModuleNotFoundError") == 0) {
    *module2 = "exceptions";
    *name2 = "ImportError";
    return;
  }
  gboolean exception = g_str_has_suffix(name, "Error") || g_str_has_suffix(name, "Exception") ||
                       g_str_has_suffix(name, "Warning") || strcmp(name, "StopIteration") == 0 ||
                       strcmp(name, "GeneratorExit") == 0 || strcmp(name, "KeyboardInterrupt") == 0 ||
                       strcmp(name, "SystemExit") == 0;
  for (gsize i = 0; i < G_N_ELEMENTS(python3_only); i++)
    if (strcmp(name, python3_only[i]) == 0)
      exception = FALSE;
  *module2 = exception ? "exceptions" : "__builtin__";
}

static void
enc_class(Encoder *e, const char *module, const char *name)
{
  g_autofree char *class_key = g_strdup_printf("c:%s\n%s", module, name);
  guint32 index = 0;
  if (g_hash_table_contains(e->memo_names, class_key)) {
    enc_named_memo(e, class_key, &index);
    enc_memo_get(e, index);
    return;
  }
  if (e->proto >= 4) {
    g_autofree char *module_key = g_strdup_printf("m:%s", module);
    if (enc_named_memo(e, module_key, &index))
      enc_memo_get(e, index);
    else
      enc_str_data(e, (const guint8 *) module, strlen(module));
    enc_opcode_boundary(e);
    enc_str_data(e, (const guint8 *) name, strlen(name));
    enc_opcode_boundary(e);
    enc_byte(e, OP_STACK_GLOBAL);
  } else {
    const char *m = module, *n = name;
    if (e->proto < 3)
      python2_name(module, name, &m, &n);
    g_autofree char *text = g_strdup_printf("c%s\n%s\n", m, n);
    enc_text(e, text);
  }
  enc_named_memo(e, class_key, &index);
  enc_memoize(e);
}

static void
enc_instance(Encoder *e, const F2bPyObj *obj)
{
  enc_class(e, f2b_py_instance_module(obj), f2b_py_instance_name(obj));
  enc_opcode_boundary(e);
  enc_save(e, f2b_py_instance_args(obj));
  enc_byte(e, OP_REDUCE);
  enc_memoize(e);
}

static void
enc_save(Encoder *e, const F2bPyObj *obj)
{
  gsize len;
  const char *s;
  switch (f2b_py_kind(obj)) {
  case F2B_PY_NONE:
    enc_byte(e, OP_NONE);
    break;
  case F2B_PY_BOOL:
    if (e->proto >= 2)
      enc_byte(e, f2b_py_get_bool(obj) ? OP_NEWTRUE : OP_NEWFALSE);
    else
      enc_text(e, f2b_py_get_bool(obj) ? "I01\n" : "I00\n");
    break;
  case F2B_PY_INT:
    enc_int(e, f2b_py_get_int(obj));
    break;
  case F2B_PY_FLOAT:
    enc_float(e, f2b_py_get_float(obj));
    break;
  case F2B_PY_STR:
    s = f2b_py_get_str(obj, &len);
    enc_str_data(e, (const guint8 *) s, len);
    break;
  case F2B_PY_BYTES:
    s = f2b_py_get_str(obj, &len);
    enc_bytes(e, (const guint8 *) s, len);
    break;
  case F2B_PY_LIST:
  case F2B_PY_DICT:
    enc_container(e, obj);
    break;
  case F2B_PY_TUPLE:
    enc_tuple(e, obj);
    break;
  case F2B_PY_INSTANCE:
    enc_instance(e, obj);
    break;
  }
  enc_opcode_boundary(e);
}

static gboolean
has_bytes(const F2bPyObj *obj)
{
  switch (f2b_py_kind(obj)) {
  case F2B_PY_BYTES:
    return TRUE;
  case F2B_PY_LIST:
  case F2B_PY_TUPLE:
    for (gsize i = 0; i < f2b_py_len(obj); i++)
      if (has_bytes(f2b_py_item(obj, i)))
        return TRUE;
    return FALSE;
  case F2B_PY_DICT:
    for (gsize i = 0; i < f2b_py_len(obj); i++) {
      F2bPyObj *key, *value;
      f2b_py_dict_pair(obj, i, &key, &value);
      if (has_bytes(key) || has_bytes(value))
        return TRUE;
    }
    return FALSE;
  case F2B_PY_INSTANCE:
    return has_bytes(f2b_py_instance_args(obj));
  default:
    return FALSE;
  }
}

gboolean
f2b_pickle_encode(const F2bPyObj *obj, int protocol, GByteArray *out, GError **error)
{
  g_return_val_if_fail(obj != NULL && out != NULL, FALSE);
  g_return_val_if_fail(protocol >= 0 && protocol <= 5, FALSE);
  if (protocol < 3 && has_bytes(obj)) {
    g_set_error(error, F2B_PICKLE_ERROR, F2B_PICKLE_ERROR_UNSUPPORTED,
                "bytes cannot be pickled with protocol %d without calling a function", protocol);
    return FALSE;
  }
  Encoder e = { .out = out, .proto = protocol, .frame_start = -1 };
  e.memo_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  if (protocol >= 2) {
    guint8 header[2] = { OP_PROTO, (guint8) protocol };
    enc_write(&e, header, 2);
    e.framing = protocol >= 4;
  }
  enc_save(&e, obj);
  enc_byte(&e, OP_STOP);
  enc_commit_frame(&e);
  g_hash_table_destroy(e.memo_names);
  return TRUE;
}

/* pyobj.h - the Python values that cross fail2ban's interfaces.
 *
 * fail2ban speaks in Python objects: the command stream that the
 * configuration turns into is a list of lists of strings and numbers
 * (`fail2ban-client -d` prints their repr()), and the socket protocol
 * carries pickled lists, tuples, strings, numbers and exceptions.  This
 * module is the one model of those values that the config dumper, the
 * pickle codec and the reply formatter share, and it prints them exactly
 * as Python's repr() does.
 *
 * A value is a tree: containers own their items.  Containers are never
 * shared, so there is no reference cycle; a decoder that meets a shared
 * reference copies it (f2b_py_copy) within its own size budget.  Immutable
 * values (None, booleans, numbers, str, bytes) are shared by their copies
 * behind the scenes (a reference count), which owners cannot observe:
 * each copy is still freed with f2b_py_free.
 *
 * Strings are UTF-8 with an explicit length (they may hold NUL).  Integers
 * are 64-bit; Python's unbounded integers beyond that are refused by the
 * producers of values, not represented. */
#pragma once

#include <glib.h>

typedef enum {
  F2B_PY_NONE,
  F2B_PY_BOOL,
  F2B_PY_INT,
  F2B_PY_FLOAT,
  F2B_PY_STR,
  F2B_PY_BYTES,
  F2B_PY_LIST,
  F2B_PY_TUPLE,
  F2B_PY_DICT,
  /* An instance of a named class built from an argument tuple, such as an
   * exception `ValueError('bad value')`.  Only ever data: nothing is looked
   * up or called by name. */
  F2B_PY_INSTANCE,
} F2bPyKind;

typedef struct F2bPyObj F2bPyObj;

/* Constructors: each returns a new value (transfer full). */
F2bPyObj *f2b_py_none(void);
F2bPyObj *f2b_py_bool(gboolean value);
F2bPyObj *f2b_py_int(gint64 value);
F2bPyObj *f2b_py_float(double value);
F2bPyObj *f2b_py_str(const char *utf8);                 /* NUL-terminated */
F2bPyObj *f2b_py_str_len(const char *utf8, gsize len);  /* may hold NUL */
F2bPyObj *f2b_py_str_take(char *utf8);                  /* takes ownership of a g_malloc'ed string */
F2bPyObj *f2b_py_bytes(const void *data, gsize len);
F2bPyObj *f2b_py_list_new(void);
F2bPyObj *f2b_py_tuple_new(void);
F2bPyObj *f2b_py_dict_new(void);
/* An empty dict with room for N_PAIRS pairs (a builder that knows its size
 * spares the regrowth). */
F2bPyObj *f2b_py_dict_new_sized(gsize n_pairs);
/* MODULE and NAME are copied; ARGS must be a tuple (transfer full) or NULL
 * for an empty one. */
F2bPyObj *f2b_py_instance_new(const char *module, const char *name, F2bPyObj *args);

/* Convenience: a list (or tuple) of the given strings, NULL-terminated. */
F2bPyObj *f2b_py_list_of_strs(const char *first, ...) G_GNUC_NULL_TERMINATED;
F2bPyObj *f2b_py_tuple_of(F2bPyObj *first, ...) G_GNUC_NULL_TERMINATED; /* items transfer full */

/* Appends ITEM (transfer full) to a list or tuple; returns ITEM for chaining. */
F2bPyObj *f2b_py_append(F2bPyObj *seq, F2bPyObj *item);
/* Sets KEY to VALUE in a dict (both transfer full); an equal existing key
 * keeps its place and gets the new value, as in Python. */
void f2b_py_dict_set(F2bPyObj *dict, F2bPyObj *key, F2bPyObj *value);
/* Adds the pair KEY: VALUE (both transfer full) at the end of a dict in
 * constant time; the caller guarantees that no equal key is present (a
 * decoder that checks with its own hash index, where f2b_py_dict_set's
 * linear search would make building a big dict quadratic). */
void f2b_py_dict_append_new(F2bPyObj *dict, F2bPyObj *key, F2bPyObj *value);

void f2b_py_free(F2bPyObj *obj);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bPyObj, f2b_py_free)

/* A deep copy (transfer full); immutable nodes are shared, not duplicated. */
F2bPyObj *f2b_py_copy(const F2bPyObj *obj);
/* Number of nodes of the tree (for size budgets). */
gsize f2b_py_count_nodes(const F2bPyObj *obj);

/* Accessors.  Each returns the value of a node of the right kind and is a
 * programming error on another kind. */
F2bPyKind   f2b_py_kind(const F2bPyObj *obj);
gboolean    f2b_py_get_bool(const F2bPyObj *obj);
gint64      f2b_py_get_int(const F2bPyObj *obj);
double      f2b_py_get_float(const F2bPyObj *obj);
/* STR or BYTES: the data (always followed by a NUL byte) and its length. */
const char *f2b_py_get_str(const F2bPyObj *obj, gsize *len);
/* LIST, TUPLE, DICT (number of pairs), INSTANCE (number of args). */
gsize       f2b_py_len(const F2bPyObj *obj);
/* Item I of a LIST or TUPLE, or argument I of an INSTANCE (transfer none). */
F2bPyObj   *f2b_py_item(const F2bPyObj *obj, gsize i);
/* Pair I of a DICT (transfer none). */
void        f2b_py_dict_pair(const F2bPyObj *dict, gsize i, F2bPyObj **key, F2bPyObj **value);
/* Value of KEY in a DICT, or NULL (transfer none). */
F2bPyObj   *f2b_py_dict_lookup(const F2bPyObj *dict, const F2bPyObj *key);
/* Removes KEY from a DICT (later pairs keep their order) and returns its value
 * (transfer full), or NULL when KEY is absent: Python's dict.pop(key, None). */
F2bPyObj  *f2b_py_dict_pop(F2bPyObj *dict, const F2bPyObj *key);
/* The same two for a str key given as text (KEY, LEN bytes): no key object is
 * made.  get: the value (borrowed) or NULL; pop: the value (transfer full) or NULL. */
F2bPyObj  *f2b_py_dict_get_str(const F2bPyObj *dict, const char *key, gsize len);
F2bPyObj  *f2b_py_dict_pop_str(F2bPyObj *dict, const char *key, gsize len);
/* The same three for a dict whose keys are shared str objects handed out from
 * one table (one object per text, so equal keys are the same object): KEY is
 * found by identity, without comparing texts.  get: borrowed value or NULL;
 * pop: the value (transfer full) or NULL; set: KEY and VALUE transfer full, an
 * identical key keeps its place. */
F2bPyObj  *f2b_py_dict_get_same(const F2bPyObj *dict, const F2bPyObj *key);
F2bPyObj  *f2b_py_dict_pop_same(F2bPyObj *dict, const F2bPyObj *key);
void       f2b_py_dict_set_same(F2bPyObj *dict, F2bPyObj *key, F2bPyObj *value);
/* INSTANCE: class module and name, argument tuple (transfer none). */
const char *f2b_py_instance_module(const F2bPyObj *obj);
const char *f2b_py_instance_name(const F2bPyObj *obj);
F2bPyObj   *f2b_py_instance_args(const F2bPyObj *obj);

/* TRUE when OBJ is a STR equal to the NUL-terminated S. */
gboolean f2b_py_str_equal(const F2bPyObj *obj, const char *s);
/* Structural equality, as Python's == on these values (1 == 1.0 == True). */
gboolean f2b_py_equal(const F2bPyObj *a, const F2bPyObj *b);

/* Python's repr() of OBJ, appended to OUT / returned (transfer full). */
void  f2b_py_repr_append(GString *out, const F2bPyObj *obj);
char *f2b_py_repr(const F2bPyObj *obj);
/* Python's str(): a STR is itself, anything else its repr(). */
void  f2b_py_str_append(GString *out, const F2bPyObj *obj);
/* repr() of a string given as UTF-8 bytes; invalid UTF-8 bytes are shown as
 * Python shows the surrogates that errors="surrogateescape" makes of them. */
void  f2b_py_repr_str_append(GString *out, const char *utf8, gsize len);
/* The same for a NUL-terminated string, returned (transfer full). */
char *f2b_py_repr_str(const char *utf8);
/* The same repr() cut to its first MAX_CHARS characters, as CPython's "%.200R"
 * error messages cut it (int('...'), repr of a compiled pattern): the closing
 * quote is lost when the cut falls before it. */
void  f2b_py_repr_str_append_cut(GString *out, const char *utf8, gsize len, gsize max_chars);
/* repr() of a float, Python's shortest round-trip form ("0.1", "1e+16"). */
void  f2b_py_repr_float_append(GString *out, double value);

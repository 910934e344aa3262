/* pyexc.c - the Python exceptions fail2ban-server answers with (see pyexc.h). */
#include "pyexc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(f2bs-pyexc-quark, f2bs_pyexc)

static const struct {
  const char *module, *name;
} classes[] = {
  [F2BS_PYEXC_EXCEPTION] = { "builtins", "Exception" },
  [F2BS_PYEXC_VALUE_ERROR] = { "builtins", "ValueError" },
  [F2BS_PYEXC_KEY_ERROR] = { "builtins", "KeyError" },
  [F2BS_PYEXC_INDEX_ERROR] = { "builtins", "IndexError" },
  [F2BS_PYEXC_TYPE_ERROR] = { "builtins", "TypeError" },
  [F2BS_PYEXC_NAME_ERROR] = { "builtins", "NameError" },
  [F2BS_PYEXC_SYNTAX_ERROR] = { "builtins", "SyntaxError" },
  [F2BS_PYEXC_ATTRIBUTE_ERROR] = { "builtins", "AttributeError" },
  [F2BS_PYEXC_LOOKUP_ERROR] = { "builtins", "LookupError" },
  [F2BS_PYEXC_RUNTIME_ERROR] = { "builtins", "RuntimeError" },
  [F2BS_PYEXC_NOT_IMPLEMENTED] = { "builtins", "NotImplementedError" },
  [F2BS_PYEXC_FILE_NOT_FOUND] = { "builtins", "FileNotFoundError" },
  [F2BS_PYEXC_UNKNOWN_JAIL] = { "fail2ban.exceptions", "UnknownJailException" },
  [F2BS_PYEXC_DUPLICATE_JAIL] = { "fail2ban.exceptions", "DuplicateJailException" },
  [F2BS_PYEXC_REGEX] = { "fail2ban.server.failregex", "RegexException" },
  [F2BS_PYEXC_OS_ERROR] = { "builtins", "OSError" },
};

/* The OSError subclasses Python raises for an errno (PEP 3151). */
static const struct {
  int errnum;
  const char *name;
} os_errors[] = {
  { EAGAIN, "BlockingIOError" },          { EALREADY, "BlockingIOError" },
  { EINPROGRESS, "BlockingIOError" },     { ECHILD, "ChildProcessError" },
  { EPIPE, "BrokenPipeError" },           { ESHUTDOWN, "BrokenPipeError" },
  { ECONNABORTED, "ConnectionAbortedError" }, { ECONNREFUSED, "ConnectionRefusedError" },
  { ECONNRESET, "ConnectionResetError" }, { EEXIST, "FileExistsError" },
  { ENOENT, "FileNotFoundError" },        { EISDIR, "IsADirectoryError" },
  { ENOTDIR, "NotADirectoryError" },      { EINTR, "InterruptedError" },
  { EACCES, "PermissionError" },          { EPERM, "PermissionError" },
  { ESRCH, "ProcessLookupError" },        { ETIMEDOUT, "TimeoutError" },
};

/* OSError(errno, strerror) from the message "[Errno N] strerror". */
static F2bPyObj *
os_error(const char *message)
{
  int errnum = 0, end = 0;
  F2bPyObj *args = f2b_py_tuple_new();
  if (sscanf(message, "[Errno %d] %n", &errnum, &end) < 1 || end == 0) {
    f2b_py_append(args, f2b_py_str(message));
    return f2b_py_instance_new("builtins", "OSError", args);
  }
  const char *name = "OSError";
  for (guint i = 0; i < G_N_ELEMENTS(os_errors); i++)
    if (os_errors[i].errnum == errnum)
      name = os_errors[i].name;
  f2b_py_append(args, f2b_py_int(errnum));
  f2b_py_append(args, f2b_py_str(message + end));
  return f2b_py_instance_new("builtins", name, args);
}

/* TO_PICKLE: OSError pickles its file name as a third argument that its
 * repr() leaves out. */
static F2bPyObj *
to_py(const GError *error, gboolean to_pickle)
{
  guint code = error->domain == F2BS_PYEXC && (guint)error->code < G_N_ELEMENTS(classes) ? (guint)error->code
                                                                                          : F2BS_PYEXC_EXCEPTION;
  if (code == F2BS_PYEXC_OS_ERROR)
    return os_error(error->message);
  F2bPyObj *args = f2b_py_tuple_new();
  if (code == F2BS_PYEXC_FILE_NOT_FOUND) {
    /* OSError(errno, strerror) without the file name, as FileContainer's open() raises it */
    f2b_py_append(args, f2b_py_int(ENOENT));
    f2b_py_append(args, f2b_py_str("No such file or directory"));
    if (to_pickle)
      f2b_py_append(args, f2b_py_str(error->message));
  } else if (code == F2BS_PYEXC_SYNTAX_ERROR) {
    /* compile()'s SyntaxError: (msg, (filename, lineno, offset, text, end_lineno, end_offset)) */
    f2b_py_append(args, f2b_py_str(error->message));
    f2b_py_append(args, f2b_py_tuple_of(f2b_py_str("<string>"), f2b_py_int(1), f2b_py_int(0), f2b_py_str(""),
                                        f2b_py_int(1), f2b_py_int(0), NULL));
  } else {
    f2b_py_append(args, f2b_py_str(error->message));
  }
  return f2b_py_instance_new(classes[code].module, classes[code].name, args);
}

F2bPyObj *
f2bs_pyexc_to_py(const GError *error)
{
  return to_py(error, TRUE);
}

char *
f2bs_pyexc_repr(const GError *error)
{
  g_autoptr(F2bPyObj) e = to_py(error, FALSE);
  return f2b_py_repr(e);
}

gboolean
f2bs_pyexc_set(GError **error, F2bsPyExc code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, F2BS_PYEXC, code, msg);
  return FALSE;
}

gboolean
f2bs_pyexc_set_errno(GError **error, int errnum)
{
  return f2bs_pyexc_set(error, F2BS_PYEXC_OS_ERROR, "[Errno %d] %s", errnum, g_strerror(errnum));
}

gboolean
f2bs_pyexc_index(GError **error)
{
  return f2bs_pyexc_set(error, F2BS_PYEXC_INDEX_ERROR, "list index out of range");
}

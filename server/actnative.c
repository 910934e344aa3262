/* actnative.c - stock firewall actions applied through fw.h (see actnative.h). */
#include "actnative.h"

#include <string.h>

#include "fw.h"
#include "fwspec.h"
#include "serverlog.h"

#define LOGGER "fail2ban.actions"

static gboolean native_enabled = TRUE;

/* What is known of one action: recognised or not, and its backend. */
typedef struct {
  F2bsFw *fw; /* NULL: a shell action */
} Native;

void
f2bs_actnative_set_enabled(gboolean enabled)
{
  native_enabled = enabled;
}

static F2bIniMap *
props_map(const F2bsAction *a)
{
  F2bIniMap *m = f2b_ini_map_new();
  for (gsize i = 0; i < f2b_py_len(a->props); i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(a->props, i, &k, &v);
    GString *s = g_string_new(NULL);
    f2b_py_str_append(s, v);
    f2b_ini_map_take(m, f2b_py_get_str(k, NULL), g_string_free(s, FALSE));
  }
  return m;
}

static Native *
recognise(F2bsAction *a, const char *jail)
{
  Native *n = g_new0(Native, 1);
  g_autoptr(F2bIniMap) p = props_map(a);
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bFwSpec) spec = f2b_fwspec_recognize(p, &error);
  if (spec)
    n->fw = f2bs_fw_new(spec, F2BS_FW_AUTO, &error);
  if (n->fw)
    f2bs_log(F2BS_LOG_INFO, LOGGER, "[%s] Action %s: %s rules applied natively through %s", jail, a->name,
             f2b_fwspec_kind_name(spec->kind), f2bs_fw_backend_name(n->fw));
  else
    f2bs_log(F2BS_LOG_DEBUG, LOGGER, "[%s] Action %s runs as shell commands: %s", jail, a->name,
             error ? error->message : "?");
  return n;
}

static Native *
native_of(F2bsAction *a, const char *jail)
{
  if (a->native == NULL)
    a->native = recognise(a, jail);
  return a->native;
}

const char *
f2bs_actnative_backend(F2bsAction *a, const char *jail)
{
  if (!native_enabled)
    return NULL;
  Native *n = native_of(a, jail);
  return n->fw ? f2bs_fw_backend_name(n->fw) : NULL;
}

gboolean
f2bs_actnative_apply(F2bsAction *a, const char *jail, const char *tag, const F2bIPAddr *ip, gboolean *ok)
{
  gboolean ban = strcmp(tag, "<actionban>") == 0;
  if (!native_enabled || ip == NULL || !f2b_ipaddr_is_valid(ip) || (!ban && strcmp(tag, "<actionunban>") != 0))
    return FALSE;
  Native *n = native_of(a, jail);
  if (n->fw == NULL)
    return FALSE;
  g_autoptr(GError) error = NULL;
  F2bIPAddr *one[1] = { (F2bIPAddr *)ip };
  *ok = f2bs_fw_apply(n->fw, ban, one, 1, &error);
  if (!*ok) {
    g_autofree char *text = f2b_ipaddr_to_string(ip, NULL);
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "[%s] Action %s: %s of %s through %s failed: %s", jail, a->name,
             ban ? "ban" : "unban", text, f2bs_fw_backend_name(n->fw), error->message);
  }
  return TRUE;
}

void
f2bs_actnative_forget(F2bsAction *a)
{
  Native *n = a->native;
  if (n == NULL)
    return;
  f2bs_fw_free(n->fw);
  g_free(n);
  a->native = NULL;
}

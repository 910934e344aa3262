/* actnative.c - stock firewall actions applied through fw.h (see actnative.h). */
#include "actnative.h"

#include <string.h>

#include "fw.h"
#include "fwspec.h"
#include "serverlog.h"

#define LOGGER "fail2ban.actions"
#define RETRY_FIRST_S 10
#define RETRY_MAX_S 300

static gboolean native_enabled = TRUE;

/* A ban or unban applied ahead of its ticket's turn. */
typedef struct {
  gboolean ban;
  gboolean ok;
  gint64 epoch;
} Result;

/* What is known of one action: recognised or not, and its backend. */
typedef struct {
  F2bsFw *fw;          /* NULL: a shell action */
  char *jail;          /* for the log lines of retries */
  char *action;
  GHashTable *results; /* F2bTicket* (a reference) -> Result* */
  GHashTable *retry;   /* F2bTicket* (a reference): bans the backend refused */
  guint retry_timer;
  guint retry_delay;   /* seconds until the next timed retry */
  gint64 bantime;      /* the jail's, as last given (for the <bantime> of retried bans) */
} Native;

void
f2bs_actnative_set_enabled(gboolean enabled)
{
  native_enabled = enabled;
}

/* The action's `fwbackend` property: FALSE (with the reason) for shell. */
static gboolean
backend_chosen(F2bsAction *a, const char *jail, F2bsFwBackend *which, GError **error)
{
  static const struct { const char *name; F2bsFwBackend which; } names[] = {
    { "auto", F2BS_FW_AUTO }, { "libiptc", F2BS_FW_IPTC }, { "restore", F2BS_FW_RESTORE },
    { "libnftables", F2BS_FW_NFT },
  };
  g_autoptr(F2bPyObj) key = f2b_py_str("fwbackend");
  const F2bPyObj *v = f2b_py_dict_lookup(a->props, key);
  const char *name = v && f2b_py_kind(v) == F2B_PY_STR ? f2b_py_get_str(v, NULL) : NULL;
  if (name == NULL || *name == '\0')
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS(names); i++)
    if (strcmp(name, names[i].name) == 0) {
      *which = names[i].which;
      return TRUE;
    }
  if (strcmp(name, "shell") != 0)
    f2bs_log(F2BS_LOG_WARNING, LOGGER, "[%s] Action %s: unknown fwbackend '%s' (auto, libiptc, restore, "
             "libnftables, shell): shell commands used", jail, a->name, name);
  g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_UNSUPPORTED, "fwbackend is '%s'", name);
  return FALSE;
}

static Native *
recognise(F2bsAction *a, const char *jail)
{
  Native *n = g_new0(Native, 1);
  g_autoptr(F2bIniMap) p = f2b_ini_map_new();
  f2bs_action_props_into(a, p);
  g_autoptr(GError) error = NULL;
  F2bsFwBackend which = F2BS_FW_AUTO;
  g_autoptr(F2bFwSpec) spec = NULL;
  if (backend_chosen(a, jail, &which, &error))
    spec = f2b_fwspec_recognize(p, &error);
  if (spec)
    n->fw = f2bs_fw_new(spec, which, &error);
  if (n->fw)
    f2bs_log(F2BS_LOG_INFO, LOGGER, "[%s] Action %s: %s rules applied natively through %s", jail, a->name,
             f2b_fwspec_kind_name(spec->kind), f2bs_fw_backend_name(n->fw));
  else
    f2bs_log(F2BS_LOG_DEBUG, LOGGER, "[%s] Action %s runs as shell commands: %s", jail, a->name,
             error ? error->message : "?");
  n->jail = g_strdup(jail);
  n->action = g_strdup(a->name);
  n->results = g_hash_table_new_full(g_direct_hash, g_direct_equal, (GDestroyNotify)f2b_ticket_unref, g_free);
  n->retry = g_hash_table_new_full(g_direct_hash, g_direct_equal, (GDestroyNotify)f2b_ticket_unref, NULL);
  n->retry_delay = RETRY_FIRST_S;
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

static gboolean
tag_is_ban(const char *tag, gboolean *ban)
{
  *ban = strcmp(tag, "<actionban>") == 0;
  return *ban || strcmp(tag, "<actionunban>") == 0;
}

gboolean
f2bs_actnative_apply(F2bsAction *a, const char *jail, const char *tag, const F2bIPAddr *ip, gboolean *ok)
{
  gboolean ban;
  if (!native_enabled || ip == NULL || !f2b_ipaddr_is_valid(ip) || !tag_is_ban(tag, &ban))
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

gboolean
f2bs_actnative_serves(F2bsAction *a, const char *jail, const char *tag, F2bTicket *ticket)
{
  gboolean ban;
  const F2bIPAddr *ip = f2b_ticket_get_ip(ticket);
  if (!native_enabled || ip == NULL || !f2b_ipaddr_is_valid(ip) || !tag_is_ban(tag, &ban))
    return FALSE;
  return native_of(a, jail)->fw != NULL;
}

/* ---- batches -------------------------------------------------------------- */

static void
keep_result(Native *n, F2bTicket *t, gboolean ban, gboolean ok, gint64 epoch)
{
  Result *r = g_new(Result, 1);
  *r = (Result){ ban, ok, epoch };
  g_hash_table_replace(n->results, f2b_ticket_ref(t), r);
  if (!ban)
    return;
  if (ok)
    g_hash_table_remove(n->retry, t);
  else
    g_hash_table_add(n->retry, f2b_ticket_ref(t));
}

static void
log_refused(Native *n, gboolean ban, const char *what, const char *message)
{
  f2bs_log(F2BS_LOG_ERROR, LOGGER, "[%s] Action %s: %s of %s through %s failed: %s", n->jail, n->action,
           ban ? "ban" : "unban", what, f2bs_fw_backend_name(n->fw), message);
}

/* A ticket's <bantime>, as actions.c's ActionInfo gives it. */
static gint64
ticket_bantime(const Native *n, const F2bTicket *t)
{
  F2bPyNum bt = f2b_ticket_get_ban_time(t, f2b_pynum_int(n->bantime));
  return bt.is_float ? (gint64)bt.f : bt.i;
}

static gboolean
apply_tickets(Native *n, gboolean ban, F2bTicket *const *tickets, guint count, GError **error)
{
  g_autofree F2bIPAddr **ips = g_new(F2bIPAddr *, count);
  g_autofree gint64 *bantimes = g_new(gint64, count);
  for (guint i = 0; i < count; i++) {
    ips[i] = (F2bIPAddr *)f2b_ticket_get_ip(tickets[i]);
    bantimes[i] = ticket_bantime(n, tickets[i]);
  }
  return f2bs_fw_apply_timed(n->fw, ban, ips, bantimes, count, error);
}

/* A refused batch, address by address (as the shell action would have run
 * them).  When one address fails with the batch's very message, the cause
 * is not the address (no permission, a missing chain or module): the rest
 * are not tried one by one, they fail with it. */
static void
apply_each(Native *n, gboolean ban, GPtrArray *tickets, const char *batch_msg, gint64 epoch)
{
  gboolean common = FALSE;
  guint failed = 0;
  for (guint i = 0; i < tickets->len; i++) {
    F2bTicket *t = tickets->pdata[i];
    g_autoptr(GError) error = NULL;
    gboolean ok = !common && apply_tickets(n, ban, &t, 1, &error);
    if (!ok && !common) {
      g_autofree char *text = f2b_ipaddr_to_string(f2b_ticket_get_ip(t), NULL);
      log_refused(n, ban, text, error->message);
      common = tickets->len > 1 && strcmp(error->message, batch_msg) == 0;
    }
    failed += !ok;
    keep_result(n, t, ban, ok, epoch);
  }
  if (common && failed > 1)
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "[%s] Action %s: %u %s of the batch failed with it", n->jail, n->action,
             failed, ban ? "bans" : "unbans");
}

static void arm_retry(Native *n);

/* The bans refused before join this batch of bans. */
static void
add_retries(Native *n, GPtrArray *tickets, GHashTable *seen)
{
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, n->retry);
  while (g_hash_table_iter_next(&it, &key, NULL))
    if (g_hash_table_add(seen, key))
      g_ptr_array_add(tickets, key);
}

static void
run_batch(Native *n, gboolean ban, GPtrArray *tickets, gint64 epoch)
{
  g_autofree F2bIPAddr **ips = g_new(F2bIPAddr *, tickets->len);
  for (guint i = 0; i < tickets->len; i++)
    ips[i] = (F2bIPAddr *)f2b_ticket_get_ip(tickets->pdata[i]);
  g_autoptr(GError) error = NULL;
  if (apply_tickets(n, ban, (F2bTicket *const *)tickets->pdata, tickets->len, &error)) {
    f2bs_log(tickets->len > 1 ? F2BS_LOG_INFO : F2BS_LOG_DEBUG, LOGGER, "[%s] Action %s: %u %s in one batch through %s", n->jail, n->action,
             tickets->len, ban ? "bans" : "unbans", f2bs_fw_backend_name(n->fw));
    for (guint i = 0; i < tickets->len; i++)
      keep_result(n, tickets->pdata[i], ban, TRUE, epoch);
  } else if (tickets->len == 1) {
    g_autofree char *text = f2b_ipaddr_to_string(ips[0], NULL);
    log_refused(n, ban, text, error->message);
    keep_result(n, tickets->pdata[0], ban, FALSE, epoch);
  } else {
    apply_each(n, ban, tickets, error->message, epoch);
  }
  arm_retry(n);
}

/* An unban of a ban that never reached the kernel has nothing to remove. */
static gboolean
unban_of_refused(Native *n, F2bTicket *t, gint64 epoch)
{
  if (!g_hash_table_contains(n->retry, t))
    return FALSE;
  g_hash_table_remove(n->retry, t);
  keep_result(n, t, FALSE, TRUE, epoch);
  return TRUE;
}

void
f2bs_actnative_apply_batch(F2bsAction *a, const char *jail, const char *tag, F2bTicket *const *tickets, guint n,
                           gint64 epoch, gint64 bantime)
{
  gboolean ban;
  if (!tag_is_ban(tag, &ban))
    return;
  Native *nat = native_of(a, jail);
  g_return_if_fail(nat->fw != NULL);
  nat->bantime = bantime;
  g_autoptr(GPtrArray) todo = g_ptr_array_new();
  g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
  for (guint i = 0; i < n; i++) {
    if (f2bs_actnative_has(a, tickets[i], tag, epoch) || !g_hash_table_add(seen, tickets[i]))
      continue;
    if (!ban && unban_of_refused(nat, tickets[i], epoch))
      continue;
    g_ptr_array_add(todo, tickets[i]);
  }
  guint own = todo->len;
  if (ban)
    add_retries(nat, todo, seen);
  if (todo->len == 0)
    return;
  g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_ticket_unref);
  for (guint i = own; i < todo->len; i++)
    g_ptr_array_add(extra, f2b_ticket_ref(todo->pdata[i]));
  run_batch(nat, ban, todo, epoch);
  /* the retried bans' turns are over: nobody takes their results */
  for (guint i = 0; i < extra->len; i++)
    g_hash_table_remove(nat->results, extra->pdata[i]);
}

gboolean
f2bs_actnative_has(F2bsAction *a, F2bTicket *ticket, const char *tag, gint64 epoch)
{
  Native *n = a->native;
  gboolean ban;
  if (n == NULL || !tag_is_ban(tag, &ban))
    return FALSE;
  Result *r = g_hash_table_lookup(n->results, ticket);
  return r && r->ban == ban && r->epoch == epoch;
}

gboolean
f2bs_actnative_take(F2bsAction *a, F2bTicket *ticket, const char *tag, gint64 epoch, gboolean *ok)
{
  Native *n = a->native;
  gboolean ban;
  if (n == NULL || !tag_is_ban(tag, &ban))
    return FALSE;
  Result *r = g_hash_table_lookup(n->results, ticket);
  if (r == NULL)
    return FALSE;
  gboolean usable = r->ban == ban && r->epoch == epoch;
  *ok = r->ok;
  g_hash_table_remove(n->results, ticket);
  return usable;
}

/* ---- retries ---------------------------------------------------------------- */

static gboolean
on_retry(gpointer data)
{
  Native *n = data;
  n->retry_timer = 0;
  guint before = g_hash_table_size(n->retry);
  if (before == 0)
    return G_SOURCE_REMOVE;
  g_autoptr(GPtrArray) todo = g_ptr_array_new();
  g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
  add_retries(n, todo, seen);
  /* results kept here would be taken by nobody: the tickets' turns are over */
  g_autoptr(GPtrArray) refs = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_ticket_unref);
  for (guint i = 0; i < todo->len; i++)
    g_ptr_array_add(refs, f2b_ticket_ref(todo->pdata[i]));
  f2bs_log(F2BS_LOG_NOTICE, LOGGER, "[%s] Action %s: retrying %u refused ban(s) through %s", n->jail, n->action,
           before, f2bs_fw_backend_name(n->fw));
  run_batch(n, TRUE, todo, -1);
  for (guint i = 0; i < refs->len; i++)
    g_hash_table_remove(n->results, refs->pdata[i]);
  guint after = g_hash_table_size(n->retry);
  if (after < before)
    f2bs_log(F2BS_LOG_NOTICE, LOGGER, "[%s] Action %s: %u refused ban(s) applied on retry", n->jail, n->action,
             before - after);
  return G_SOURCE_REMOVE;
}

/* While bans are refused, a timer retries them, less and less often. */
static void
arm_retry(Native *n)
{
  if (g_hash_table_size(n->retry) == 0) {
    if (n->retry_timer)
      g_source_remove(n->retry_timer);
    n->retry_timer = 0;
    n->retry_delay = RETRY_FIRST_S;
    return;
  }
  if (n->retry_timer)
    return;
  n->retry_timer = g_timeout_add_seconds(n->retry_delay, on_retry, n);
  n->retry_delay = MIN(n->retry_delay * 2, RETRY_MAX_S);
}

/* ---- flush -------------------------------------------------------------------- */

gboolean
f2bs_actnative_flush(F2bsAction *a, const char *jail, const char *family, gboolean *ok)
{
  int fam = !strcmp(family, "inet4") ? F2B_FW_INET4 : !strcmp(family, "inet6") ? F2B_FW_INET6 : -1;
  if (!native_enabled || fam < 0)
    return FALSE;
  Native *n = native_of(a, jail);
  if (n->fw == NULL || !f2bs_fw_spec(n->fw)->flush_native)
    return FALSE;
  g_autoptr(GError) error = NULL;
  *ok = f2bs_fw_flush(n->fw, fam, &error);
  if (!*ok)
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "[%s] Action %s: flush of %s through %s failed: %s", jail, a->name, family,
             f2bs_fw_backend_name(n->fw), error->message);
  /* refused bans of the family are over: nothing to retry after a flush */
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, n->retry);
  while (g_hash_table_iter_next(&it, &key, NULL))
    if (f2b_ipaddr_is_ipv6(f2b_ticket_get_ip(key)) == (fam == F2B_FW_INET6))
      g_hash_table_iter_remove(&it);
  arm_retry(n);
  return TRUE;
}

void
f2bs_actnative_forget(F2bsAction *a)
{
  Native *n = a->native;
  if (n == NULL)
    return;
  if (n->retry_timer)
    g_source_remove(n->retry_timer);
  g_hash_table_unref(n->results);
  g_hash_table_unref(n->retry);
  f2bs_fw_free(n->fw);
  g_free(n->jail);
  g_free(n->action);
  g_free(n);
  a->native = NULL;
}

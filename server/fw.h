/* fw.h - native firewall backends: the stock firewall actions applied without a shell.
 *
 * A jail's action that fwspec.h recognises can have its bans and unbans
 * applied here, a batch at a time, instead of one shell and one iptables
 * process per address.  One F2bsFw serves one action; its backend is one of
 *  - libiptc/libip6tc ("libiptc"), when the action's iptables is the legacy one;
 *  - one `iptables-restore --noflush` process per batch ("iptables-restore"),
 *    for iptables-nft hosts (or any blocktype libiptc cannot express);
 *  - one `ipset -exist restore` process per batch ("ipset-restore");
 *  - libnftables ("libnftables"), one transaction per batch.
 * Every backend produces exactly the rules the action's shell commands would
 * have produced.  The rule set itself (actionstart, actionstop, actioncheck)
 * stays the action's shell commands: they run once per jail.
 *
 * All calls are synchronous and short (one kernel transaction, or one
 * restore process, per batch). */
#pragma once

#include <glib.h>

#include "fwspec.h"
#include "ipaddr.h"

#define F2BS_FW_ERROR (f2bs_fw_error_quark())
GQuark f2bs_fw_error_quark(void);

typedef enum {
  F2BS_FW_ERROR_UNSUPPORTED, /* the backend cannot serve this action (wrong kind, flavour, blocktype) */
  F2BS_FW_ERROR_FAILED,      /* the kernel or the restore program refused */
} F2bsFwError;

typedef enum {
  F2BS_FW_AUTO,    /* the natural backend of the action and the host */
  F2BS_FW_IPTC,
  F2BS_FW_RESTORE, /* iptables-restore or ipset restore */
  F2BS_FW_NFT,
} F2bsFwBackend;

typedef struct F2bsFw F2bsFw;

/* A backend for SPEC (copied).  Fails with F2BS_FW_ERROR_UNSUPPORTED when
 * WHICH cannot serve it (e.g. libiptc for an iptables-nft host). */
F2bsFw *f2bs_fw_new(const F2bFwSpec *spec, F2bsFwBackend which, GError **error);
void f2bs_fw_free(F2bsFw *fw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bsFw, f2bs_fw_free)

/* "libiptc", "iptables-restore", "ipset-restore", "libnftables". */
const char *f2bs_fw_backend_name(const F2bsFw *fw);
const F2bFwSpec *f2bs_fw_spec(const F2bsFw *fw);

/* Family F2B_FW_INET4/INET6 taken into use (after the action's actionstart
 * for it ran) and released (before its actionstop).  Start fails when the
 * chain or set the bans go into does not exist. */
gboolean f2bs_fw_start(F2bsFw *fw, int family, GError **error);
void f2bs_fw_stop(F2bsFw *fw, int family);

/* One batch of bans (BAN TRUE) or unbans of N addresses, mixed families, in
 * one transaction per family: all of a family's addresses or none.  IPv4
 * rules end up in the order N shell bans would leave them. */
gboolean f2bs_fw_apply(F2bsFw *fw, gboolean ban, F2bIPAddr *const *ips, guint n, GError **error);

/* The same, with each address's ban time (BANTIMES, N entries, may be
 * NULL): used by actions that give the kernel an element timeout. */
gboolean f2bs_fw_apply_timed(F2bsFw *fw, gboolean ban, F2bIPAddr *const *ips, const gint64 *bantimes, guint n,
                             GError **error);

/* As f2bs_fw_apply, but a refused batch is retried address by address, as
 * the shell action would have run them: OK[i] (N entries) says which were
 * applied.  Returns the number that failed; ERROR (may be NULL) receives the
 * first failure. */
guint f2bs_fw_apply_each(F2bsFw *fw, gboolean ban, F2bIPAddr *const *ips, guint n, gboolean *ok, GError **error);

/* actionflush of FAMILY (only when the spec's flush_native). */
gboolean f2bs_fw_flush(F2bsFw *fw, int family, GError **error);

/* Whether the chain or set of FAMILY exists (actioncheck's question). */
gboolean f2bs_fw_check(F2bsFw *fw, int family, GError **error);

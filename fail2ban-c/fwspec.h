/* fwspec.h - recognise fail2ban's stock firewall actions from their resolved commands.
 *
 * The server never reads action.d: it receives each action's properties, and
 * `<actionban>` expanded with them (cmdaction.h) is the exact shell command the
 * action would run.  When a ban, its unban and its flush are the commands of a
 * stock firewall action (the iptables family with its chain and blocktype, the
 * ipset actions, the nftables element commands), with any parameter values,
 * this module reads the parameters back out of them, so that a native backend
 * (server/fw.h) can apply the same rules without a shell.  Anything else (a
 * changed command, a value holding shell syntax) is reported as not native,
 * and the action stays a shell action.
 *
 * Only the per-ban operations are recognised: actionstart, actionstop and
 * actioncheck run once per jail and stay the user's shell commands, which
 * keeps the rule set identical whatever those commands were changed into. */
#pragma once

#include <glib.h>

#include "ini.h"

G_BEGIN_DECLS

#define F2B_FWSPEC_ERROR (f2b_fwspec_error_quark())
GQuark f2b_fwspec_error_quark(void);

typedef enum {
  F2B_FWSPEC_ERROR_NOT_STOCK, /* a command is not the stock one (the message says which) */
  F2B_FWSPEC_ERROR_TAGS,      /* the properties do not expand (recursion) */
} F2bFwSpecError;

typedef enum {
  F2B_FW_KIND_IPTABLES, /* -I CHAIN 1 -s IP -j BLOCKTYPE */
  F2B_FW_KIND_IPSET,    /* ipset -exist add SET IP timeout N */
  F2B_FW_KIND_NFT,      /* nft add element FAMILY TABLE SET { IP [timeout <bantime>s] } */
} F2bFwKind;

enum { F2B_FW_INET4 = 0, F2B_FW_INET6 = 1 };

/* What one family's commands name.  Fields a kind does not use are NULL. */
typedef struct {
  char *tool;      /* the program as written: "iptables", "/usr/sbin/ip6tables-legacy", "nft", "ipset" */
  char *lockopt;   /* iptables: the locking option (words: "-w", "-w 5") or "" */
  char *chain;     /* iptables: the chain bans go into */
  char *blocktype; /* iptables: the words after -j */
  char *table_family; /* nft: "inet", "ip", "ip6" ... */
  char *table;     /* nft */
  char *set;       /* ipset and nft: the set bans go into */
  char *timeout;   /* ipset: the element timeout (digits) */
  gboolean element_timeout; /* nft: each element added with `timeout <bantime>s` (the project's action.d) */
  gboolean unban_missing_ok; /* nft: the unban ends in `2> /dev/null || :` (an element the kernel let expire) */
} F2bFwFamilySpec;

typedef struct {
  F2bFwKind kind;
  F2bFwFamilySpec family[2]; /* F2B_FW_INET4, F2B_FW_INET6 */
  gboolean flush_native;     /* actionflush is the stock flush (else it stays a shell command) */
} F2bFwSpec;

/* Recognises the action whose properties are PROPS (the dict the server holds,
 * as cmdaction.h reads it).  Returns the spec (transfer full) or NULL with
 * F2B_FWSPEC_ERROR_NOT_STOCK naming the first command that differs. */
F2bFwSpec *f2b_fwspec_recognize(const F2bIniMap *props, GError **error);

/* Recognises from the already expanded commands of both families (BAN[i],
 * UNBAN[i], FLUSH[i] for F2B_FW_INET4/INET6; FLUSH may be NULL). */
F2bFwSpec *f2b_fwspec_from_commands(const char *const ban[2], const char *const unban[2],
                                    const char *const flush[2], GError **error);

void f2b_fwspec_free(F2bFwSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bFwSpec, f2b_fwspec_free)

/* "iptables", "ipset", "nftables". */
const char *f2b_fwspec_kind_name(F2bFwKind kind);

G_END_DECLS

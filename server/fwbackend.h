/* fwbackend.h - the table of operations behind fw.h, one per backend file.
 *
 * Addresses arrive as text ("1.2.3.4", "2001:db8::/64"), already split by
 * family; an operation applies a whole list or fails without partial effect. */
#pragma once

#include "fw.h"

typedef struct {
  const char *name;
  /* Can this backend serve SPEC?  (FALSE with F2BS_FW_ERROR_UNSUPPORTED.) */
  gboolean (*supports)(const F2bFwSpec *spec, GError **error);
  gboolean (*apply)(F2bsFw *fw, gboolean ban, int family, GPtrArray *addrs, GError **error);
  gboolean (*flush)(F2bsFw *fw, int family, GError **error);
  gboolean (*check)(F2bsFw *fw, int family, GError **error);
  void (*release)(F2bsFw *fw); /* frees fw->priv */
} F2bsFwOps;

struct F2bsFw {
  const F2bsFwOps *ops;
  const char *name; /* the backend as reported: ops->name, or the restore program's kind */
  F2bFwSpec *spec;
  gpointer priv;
  gboolean started[2];
};

extern const F2bsFwOps f2bs_fw_iptc_ops;
extern const F2bsFwOps f2bs_fw_restore_ops;
extern const F2bsFwOps f2bs_fw_nft_ops;

/* The flavour of an iptables program: TRUE for legacy (xtables-legacy-multi). */
gboolean f2bs_fw_tool_is_legacy(const char *tool);

/* Runs ARGV with INPUT on its stdin; FALSE with its stderr in the message. */
gboolean f2bs_fw_run(const char *const *argv, const char *input, GError **error);

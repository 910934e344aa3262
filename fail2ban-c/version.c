/* version.c - the version line the programs print for -V. */
#include "version.h"

const char *
f2b_version_string(void)
{
  return F2B_COMPAT_VERSION " (fail2ban-c " F2B_VERSION ")";
}

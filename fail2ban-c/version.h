/* version.h - the versions fail2ban-c reports.
 *
 * fail2ban-c answers `version` requests with the fail2ban release whose
 * behaviour it reproduces, because monitoring tools compare that string;
 * its own version is shown next to it where a person reads it. */
#pragma once

/* The fail2ban release this project is compatible with. */
#define F2B_COMPAT_VERSION "1.0.2"

/* This project's own version (set by meson). */
#ifndef F2B_VERSION
#define F2B_VERSION "0.0.0"
#endif

const char *f2b_version_string(void);

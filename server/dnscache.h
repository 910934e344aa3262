/* dnscache.h - fail2ban's DNSUtils for the server: names to addresses without blocking.
 *
 * fail2ban resolves host names synchronously (getaddrinfo for IPv4 then IPv6)
 * and keeps every answer, empty ones included, 5 minutes in a cache of 1000
 * names.  Here the answer comes from the same kind of cache (ttlcache.h); a
 * name not in it starts one asynchronous lookup through GIO's default
 * GResolver (g_resolver_set_default replaces it, e.g. in tests) and the
 * caller is told to come back: when a lookup ends its answer is cached and
 * every listener is called, and a caller that waited asks again.
 *
 * The server is one process with one cache, as fail2ban's class-level
 * DNSUtils caches are: this module's state is process-wide.  Everything runs
 * on the main loop. */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "ipaddr.h"

/* DNSUtils.dnsToIp(NAME): TRUE and *ADDRS (F2bIPAddr *, a new reference; may be
 * empty: the name gave nothing) when the answer is known; FALSE when a lookup
 * runs (started now if needed): the listeners are called when it ends.  A
 * failed lookup logs fail2ban's warning "Unable to find a corresponding IP
 * address for NAME: [Errno -2] Name or service not known". */
gboolean f2bs_dns_to_ip(const char *name, GPtrArray **addrs);

/* DNSUtils.getSelfIPs(): the addresses of "localhost" and of this host's name
 * (g_get_host_name()).  FALSE while one of them is being resolved. */
gboolean f2bs_dns_self_ips(GPtrArray **addrs);
/* The same question for one address, without copying the list (a check per
 * failure): FALSE while a name is being resolved, else TRUE and *MINE. */
gboolean f2bs_dns_is_self(const F2bIPAddr *ip, gboolean *mine);

typedef void (*F2bsDnsListener)(gpointer data);
/* Called (on the main loop) after each lookup's answer was cached. */
guint f2bs_dns_add_listener(F2bsDnsListener func, gpointer data);
void f2bs_dns_remove_listener(guint id);

/* Forgets every answer and lets running lookups end unheard (tests, or a
 * change of resolver). */
void f2bs_dns_reset(void);

/* Python's text of a socket.gaierror as fail2ban logs it for a GResolver
 * error: "[Errno -2] Name or service not known" (the EAI code found from the
 * getaddrinfo message GIO put after its last ": "); the message itself when
 * it carries no such text.  Transfer full. */
char *f2bs_dns_error_text(const GError *error);

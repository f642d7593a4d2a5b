#ifndef DIDTRON_MALLOC_CONF_H
#define DIDTRON_MALLOC_CONF_H

/// The jemalloc options compiled into the daemon (see malloc_conf.c).
const char *didtron_malloc_conf(void);

#endif

// jemalloc's options for the daemon, read when the process starts (the
// `malloc_conf` global of jemalloc(3)). The daemon links jemalloc as its
// malloc (Package.swift). Without a background thread jemalloc purges freed
// pages only while the process allocates, so after a flood an idle switch
// kept its peak memory; with it, dirty pages go back to the system after
// about a second (docs/proxy-lifetimes.md, "Memory"). MALLOC_CONF in the
// environment still overrides these.
#include "MallocConf.h"

const char *malloc_conf = "background_thread:true,max_background_threads:1,dirty_decay_ms:1000,muzzy_decay_ms:0";

const char *didtron_malloc_conf(void) { return malloc_conf; }

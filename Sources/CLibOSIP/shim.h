#ifndef CLIBOSIP_SHIM_H
#define CLIBOSIP_SHIM_H
// osip2 headers need these first (C-LIBRARIES.md).
#include <sys/time.h>
#include <time.h>
#include <stdarg.h>
#include <stdlib.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>
#include <osipparser2/sdp_message.h>

// osip_free is a macro; Swift cannot call it.
static inline void CLibOSIP_free(void *p) { osip_free(p); }

static void CLibOSIP_discardTrace(const char *file, int line, osip_trace_level_t level, const char *format,
                                  va_list arguments) {
  (void)file; (void)line; (void)level; (void)format; (void)arguments;
}

// The Debian build traces parse errors to stdout/stderr; a proxy fed garbage
// must stay quiet (C-LIBRARIES.md). The callback is installed, then every
// level is switched off.
static inline void CLibOSIP_silenceTrace(void) {
  osip_trace_initialize_func(TRACE_LEVEL0, CLibOSIP_discardTrace);
  for (int level = 0; level < END_TRACE_LEVEL; level++) osip_trace_disable_level((osip_trace_level_t)level);
}
#endif

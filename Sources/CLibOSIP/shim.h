#ifndef CLIBOSIP_SHIM_H
#define CLIBOSIP_SHIM_H
// osip2 headers need these first (C-LIBRARIES.md).
#include <sys/time.h>
#include <time.h>
#include <stdlib.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>
#include <osipparser2/sdp_message.h>

// osip_free is a macro; Swift cannot call it.
static inline void CLibOSIP_free(void *p) { osip_free(p); }
#endif

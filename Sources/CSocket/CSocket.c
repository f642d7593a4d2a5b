// The one call of the UDP send path that Swift's Glibc module hides
// (SIPTransport's DatagramOutbox): sendmmsg(2), a GNU extension.
#define _GNU_SOURCE
#include <sys/socket.h>

#include "CSocket.h"

_Static_assert(sizeof(CSocket_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");

int CSocket_sendmmsg(int fd, CSocket_mmsghdr *msgs, unsigned int vlen, int flags) {
  return sendmmsg(fd, (struct mmsghdr *)msgs, vlen, flags);
}

#ifndef CSOCKET_H
#define CSOCKET_H

#include <sys/socket.h>

/// `struct mmsghdr` of <sys/socket.h>, which glibc declares only under
/// _GNU_SOURCE (and so Swift's Glibc module does not see): same layout.
typedef struct {
  struct msghdr msg_hdr;
  unsigned int msg_len;
} CSocket_mmsghdr;

/// sendmmsg(2): sends `vlen` datagrams in one system call; returns how many
/// went out, or -1 with errno set (for the first one).
int CSocket_sendmmsg(int fd, CSocket_mmsghdr *msgs, unsigned int vlen, int flags);

#endif

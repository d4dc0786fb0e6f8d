/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fail-closed lease (DESIGN.md §3): a non-persistent tun interface
 * owned by the daemon, carrying the anycast prefixes it announces as
 * interface addresses. BIRD exports them with `protocol direct` (see
 * scripts/bird-edge.conf). The kernel deletes the interface when the last
 * fd on it closes -- so if anyedged dies, even by kill -9, the addresses
 * and with them the routes go (measured 13-28 ms to the peer).
 *
 * The fd can be handed to a successor over a unix socket (SCM_RIGHTS) for
 * a restart without withdrawal: edge_lease_adopt().
 */
#ifndef EDGE_LEASE_H
#define EDGE_LEASE_H

#include <net/if.h>
#include <stdbool.h>
#include <linux/types.h>

struct edge_lease {
	int fd;	     /* the tun fd: the lease itself */
	int nl;	     /* rtnetlink socket for the addresses */
	int ifindex;
	char ifname[IF_NAMESIZE];
	__u32 seq;
};

/*
 * Create the tun interface ifname (non-persistent, no packet info) and
 * bring it up. Fails with -EBUSY if an interface of that name exists (a
 * lease of another process, or a stale persistent one). 0 or -errno, the
 * cause in err.
 */
int edge_lease_open(struct edge_lease *l, const char *ifname, char *err, size_t errlen);
/* Take over fd, a tun fd of a predecessor (attached to ifname). */
int edge_lease_adopt(struct edge_lease *l, int fd, char *err, size_t errlen);
/* Close: the interface and its addresses vanish. */
void edge_lease_close(struct edge_lease *l);

/*
 * Add (present) or remove the prefix as an address of the interface;
 * family AF_INET/AF_INET6, addr in network order (4 or 16 bytes). Adding
 * an address that is there, or removing one that is not, is success.
 * 0 or -errno.
 */
int edge_lease_set(struct edge_lease *l, int family, const __u8 *addr, __u8 len, bool present);

#endif /* EDGE_LEASE_H */

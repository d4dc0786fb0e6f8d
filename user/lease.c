// SPDX-License-Identifier: GPL-2.0
/* The tun lease: see lease.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lease.h"

static int set_err(char *err, size_t errlen, int ret, const char *what, const char *ifname)
{
	if (err && errlen)
		snprintf(err, errlen, "lease interface %s: %s: %s", ifname, what, strerror(-ret));
	return ret;
}

static int link_up(const char *ifname)
{
	struct ifreq ifr = {};
	int s, ret = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -errno;
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		ret = -errno;
out:
	close(s);
	return ret;
}

static int nl_open(struct edge_lease *l)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct timeval tv = {.tv_sec = 1};

	l->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (l->nl < 0)
		return -errno;
	/* Replies come at once; bound the wait anyway, the loop must not hang. */
	setsockopt(l->nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(l->nl, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

int edge_lease_open(struct edge_lease *l, const char *ifname, char *err, size_t errlen)
{
	struct ifreq ifr = {};
	int ret;

	memset(l, 0, sizeof(*l));
	l->fd = l->nl = -1;
	snprintf(l->ifname, sizeof(l->ifname), "%s", ifname);
	if (if_nametoindex(ifname)) {
		ret = set_err(err, errlen, -EBUSY, "exists already (another anyedged, or stale)",
			      ifname);
		goto err;
	}
	l->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (l->fd < 0) {
		ret = set_err(err, errlen, -errno, "open /dev/net/tun", ifname);
		goto err;
	}
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(l->fd, TUNSETIFF, &ifr) < 0) {
		ret = set_err(err, errlen, -errno, "TUNSETIFF", ifname);
		goto err;
	}
	l->ifindex = if_nametoindex(ifname);
	ret = link_up(ifname);
	if (ret) {
		set_err(err, errlen, ret, "set up", ifname);
		goto err;
	}
	ret = nl_open(l);
	if (ret) {
		set_err(err, errlen, ret, "netlink socket", ifname);
		goto err;
	}
	return 0;
err:
	edge_lease_close(l);
	return ret;
}

int edge_lease_adopt(struct edge_lease *l, int fd, char *err, size_t errlen)
{
	struct ifreq ifr = {};
	int ret;

	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->nl = -1;
	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		ret = set_err(err, errlen, -errno, "TUNGETIFF on the handed-over fd", "?");
		goto err;
	}
	snprintf(l->ifname, sizeof(l->ifname), "%s", ifr.ifr_name);
	l->ifindex = if_nametoindex(l->ifname);
	ret = nl_open(l);
	if (ret) {
		set_err(err, errlen, ret, "netlink socket", l->ifname);
		goto err;
	}
	return 0;
err:
	edge_lease_close(l);
	return ret;
}

void edge_lease_close(struct edge_lease *l)
{
	if (l->nl >= 0)
		close(l->nl);
	if (l->fd >= 0)
		close(l->fd);
	l->nl = l->fd = -1;
	l->ifindex = 0;
}

int edge_lease_set(struct edge_lease *l, int family, const __u8 *addr, __u8 len, bool present)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		char attrs[64];
	} req = {};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr e;
		char more[256];
	} resp;
	size_t alen = family == AF_INET6 ? 16 : 4;
	struct rtattr *rta;
	ssize_t n;
	int ret, i;

	if (l->nl < 0 || !l->ifindex)
		return -EBADF;
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
	req.nh.nlmsg_type = present ? RTM_NEWADDR : RTM_DELADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (present ? NLM_F_CREATE | NLM_F_EXCL : 0);
	req.nh.nlmsg_seq = ++l->seq;
	req.ifa.ifa_family = family;
	req.ifa.ifa_prefixlen = len;
	req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	req.ifa.ifa_index = l->ifindex;
	if (family == AF_INET6)
		req.ifa.ifa_flags = IFA_F_NODAD;
	for (i = 0; i < 2; i++) { /* IFA_LOCAL and IFA_ADDRESS */
		rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
		rta->rta_type = i ? IFA_ADDRESS : IFA_LOCAL;
		rta->rta_len = RTA_LENGTH(alen);
		memcpy(RTA_DATA(rta), addr, alen);
		req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	}
	if (send(l->nl, &req, req.nh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(l->nl, &resp, sizeof(resp), 0);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if ((size_t)n < sizeof(resp.nh) + sizeof(resp.e) || resp.nh.nlmsg_type != NLMSG_ERROR)
			continue;
		if (resp.nh.nlmsg_seq != l->seq)
			continue; /* an old reply */
		ret = resp.e.error;
		break;
	}
	if (present && ret == -EEXIST)
		ret = 0;
	if (!present && (ret == -EADDRNOTAVAIL || ret == -ENOENT || ret == -ESRCH))
		ret = 0;
	return ret;
}

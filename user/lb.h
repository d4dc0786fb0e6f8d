/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Load balancer helpers that need no loaded program: reading the pinned
 * maps for anyedgectl. (The loader side is in loader.h: edge_lb_*.)
 */
#ifndef EDGE_USER_LB_H
#define EDGE_USER_LB_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Print every service and its backends with their counters, from the
 * maps pinned under pin_path; JSON with json. Returns 0 or -errno (with a
 * message on stderr naming the map).
 */
int edge_lb_show(FILE *f, const char *pin_path, bool json);

#endif /* EDGE_USER_LB_H */

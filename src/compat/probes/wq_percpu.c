// SPDX-License-Identifier: GPL-2.0
/*
 * WQ_PERCPU: a per-CPU workqueue must say so (7.x warns at alloc_workqueue()
 * otherwise); older kernels have no such flag: per-CPU is the default.
 */
#include <linux/workqueue.h>

unsigned int devmm_probe(void);
unsigned int devmm_probe(void)
{
	return WQ_PERCPU;
}

// SPDX-License-Identifier: GPL-2.0
/* migrate_device_pfns(): eviction of a list of pfns (v6.17 era, 7.x here). */
#include <linux/migrate.h>

int (*devmm_probe_fn)(unsigned long *, unsigned long) = migrate_device_pfns;

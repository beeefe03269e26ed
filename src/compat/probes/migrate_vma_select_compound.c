// SPDX-License-Identifier: GPL-2.0
/* THP migration to device memory: MIGRATE_VMA_SELECT_COMPOUND (7.x). */
#include <linux/migrate.h>

unsigned long devmm_probe_flags = MIGRATE_VMA_SELECT_COMPOUND | MIGRATE_PFN_COMPOUND;

// SPDX-License-Identifier: GPL-2.0
/* MEMORY_DEVICE_COHERENT pagemaps and their migration selector (v6.0). */
#include <linux/memremap.h>
#include <linux/migrate.h>

enum memory_type devmm_probe_type = MEMORY_DEVICE_COHERENT;
unsigned long devmm_probe_select = MIGRATE_VMA_SELECT_DEVICE_COHERENT;

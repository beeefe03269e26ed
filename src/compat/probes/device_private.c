// SPDX-License-Identifier: GPL-2.0
/*
 * MEMORY_DEVICE_PRIVATE pagemaps are usable: the type exists and the kernel
 * was built with CONFIG_DEVICE_PRIVATE (off in Debian 6.1 and 6.12), without
 * which memremap_pages() refuses private pagemaps.
 */
#include <linux/memremap.h>

#if !IS_ENABLED(CONFIG_DEVICE_PRIVATE)
#error "CONFIG_DEVICE_PRIVATE is off"
#endif

enum memory_type devmm_probe_type = MEMORY_DEVICE_PRIVATE;

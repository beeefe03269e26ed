// SPDX-License-Identifier: GPL-2.0
/* Must always compile: a failure means the probe setup itself is broken. */
#include <linux/module.h>

int devmm_probe_sentinel = 1;

// SPDX-License-Identifier: GPL-2.0
/*
 * devmm: a device-memory manager for ZONE_DEVICE private and coherent pages,
 * with a fake device backend.  Module entry and exit.
 */
#include <linux/module.h>
#include "devmm.h"

static int __init devmm_create_devices(void)
{
	const struct devmm_range *ranges;
	unsigned int nprivate = devmm_param_nprivate();
	unsigned int ncoherent = devmm_param_coherent(&ranges);
	unsigned int i;
	int ret;

	if (nprivate && !DEVMM_CAN_PRIVATE) {
		pr_err("private=%u: device-private memory is not available on this kernel (CONFIG_DEVICE_PRIVATE is off); use private=0\n",
		       nprivate);
		return -EOPNOTSUPP;
	}
	if (ncoherent && !DEVMM_CAN_COHERENT) {
		pr_err("coherent=: device-coherent memory is not available on this kernel\n");
		return -EOPNOTSUPP;
	}
	for (i = 0; i < nprivate; i++) {
		ret = devmm_device_create(DEVMM_KIND_PRIVATE, 0, devmm_param_capacity());
		if (ret)
			return ret;
	}
	for (i = 0; i < ncoherent; i++) {
		ret = devmm_device_create(DEVMM_KIND_COHERENT, ranges[i].start, ranges[i].size);
		if (ret)
			return ret;
	}
	return 0;
}

static int __init devmm_init(void)
{
	int ret;

	ret = devmm_create_devices();
	if (ret)
		goto err_devices;
	ret = devmm_control_init();
	if (ret)
		goto err_devices;
	pr_info("loaded (ABI %u.%u, kernel %s, caps 0x%llx)\n", DEVMM_ABI_MAJOR,
		DEVMM_ABI_MINOR, DEVMM_PROBED_RELEASE, devmm_caps());
	return 0;

err_devices:
	devmm_devices_destroy();
	return ret;
}

static void __exit devmm_exit(void)
{
	devmm_control_exit();
	devmm_devices_destroy();
	pr_info("unloaded\n");
}

module_init(devmm_init);
module_exit(devmm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Device-memory manager: ZONE_DEVICE private/coherent pages, migration, eviction");
MODULE_AUTHOR("The devmm developers");
MODULE_VERSION(DEVMM_VERSION_STRING);

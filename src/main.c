// SPDX-License-Identifier: GPL-2.0
/*
 * devmm: a device-memory manager for ZONE_DEVICE private and coherent pages,
 * with a fake device backend.  Module entry and exit.
 */
#include <linux/module.h>
#include "devmm.h"

#define CREATE_TRACE_POINTS
#include "devmm_trace.h"

/*
 * dmirror_compat=1: /dev/hmm_dmirror0 and 1 are the first two private
 * devices (mirror-only devices where there are fewer: the upstream selftest
 * needs both nodes, and uses node 0 even in its coherent tests), 2 and 3 the
 * first two coherent devices, as with test_hmm.
 */
static int __init devmm_create_compat_nodes(void)
{
	struct devmm_device *dev;
	unsigned int n;
	int ret;

	for (n = 0; n < 4; n++) {
		dev = devmm_device_nth(n < 2 ? DEVMM_PRIVATE : DEVMM_COHERENT, n % 2);
		if (!dev && n < 2) {
			dev = devmm_device_create(DEVMM_MIRROR, 0, 0);
			if (IS_ERR(dev))
				return PTR_ERR(dev);
		}
		if (!dev)
			continue;
		ret = devmm_device_add_compat_node(dev, n);
		if (ret)
			return ret;
	}
	return 0;
}

static int __init devmm_create_devices(void)
{
	const struct devmm_range *ranges;
	struct devmm_device *dev;
	unsigned int nprivate = devmm_param_nprivate();
	unsigned int ncoherent = devmm_param_coherent(&ranges);
	unsigned int i;

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
		dev = devmm_device_create(DEVMM_PRIVATE, 0, devmm_param_capacity());
		if (IS_ERR(dev))
			return PTR_ERR(dev);
	}
	for (i = 0; i < ncoherent; i++) {
		dev = devmm_device_create(DEVMM_COHERENT, ranges[i].start, ranges[i].size);
		if (IS_ERR(dev))
			return PTR_ERR(dev);
	}
	return devmm_param_dmirror_compat() ? devmm_create_compat_nodes() : 0;
}

static int __init devmm_init(void)
{
	int ret;

	ret = devmm_helpers_init();
	if (ret)
		return ret;
	ret = devmm_migrate_init();
	if (ret) {
		devmm_helpers_exit();
		return ret;
	}
	ret = devmm_create_devices();
	if (ret)
		goto err_devices;
	ret = devmm_control_init();
	if (ret)
		goto err_devices;
	if (devmm_param_gup_test())
		devmm_gup_test_init();
	pr_info("loaded (ABI %u.%u, kernel %s, caps 0x%llx)\n", DEVMM_ABI_MAJOR,
		DEVMM_ABI_MINOR, DEVMM_PROBED_RELEASE, devmm_caps());
	return 0;

err_devices:
	devmm_devices_destroy();
	devmm_migrate_exit();
	devmm_helpers_exit();
	return ret;
}

static void __exit devmm_exit(void)
{
	devmm_gup_test_exit();
	devmm_control_exit();
	devmm_devices_destroy();
	devmm_migrate_exit();
	devmm_helpers_exit();
	pr_info("unloaded\n");
}

module_init(devmm_init);
module_exit(devmm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Device-memory manager: ZONE_DEVICE private/coherent pages, migration, eviction");
MODULE_AUTHOR("The devmm developers");
MODULE_VERSION(DEVMM_VERSION_STRING);

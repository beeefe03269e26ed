/* SPDX-License-Identifier: GPL-2.0 */
/* devmm internal interfaces. */
#ifndef DEVMM_H
#define DEVMM_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/types.h>
#include <linux/devmm.h>
#include <devmm/compat.h>

/* DEVMM_VERSION comes from the VERSION file, through Kbuild. */
#define DEVMM_VERSION_STRING	DEVMM_VERSION

/* Upper bounds of what module parameters and ioctls may ask for. */
#define DEVMM_MAX_PRIVATE	8
#define DEVMM_MAX_COHERENT	8
#define DEVMM_MAX_CAPACITY	(1ULL << 40)
#define DEVMM_DEFAULT_CAPACITY	(1ULL << 30)

enum devmm_kind {
	DEVMM_KIND_PRIVATE = 1,
	DEVMM_KIND_COHERENT,
};

/**
 * struct devmm_device - one (fake) device with memory of its own
 * @ref: held by the device list and by every user of the device.
 * @node: entry in the list of devices.
 * @id: index, unique among live devices.
 * @kind: private or coherent.
 * @base: physical start of a coherent device's range.
 * @capacity: bytes of device memory the device may hold.
 */
struct devmm_device {
	struct kref ref;
	struct list_head node;
	unsigned int id;
	enum devmm_kind kind;
	phys_addr_t base;
	u64 capacity;
};

/* A physical range given by the coherent= parameter. */
struct devmm_range {
	phys_addr_t start;
	u64 size;
};

/* params.c */
unsigned int devmm_param_nprivate(void);
u64 devmm_param_capacity(void);
unsigned int devmm_param_coherent(const struct devmm_range **ranges);
bool devmm_param_dmirror_compat(void);
int devmm_check_coherent_range(phys_addr_t start, u64 size, const char *what);

/* device.c */
int devmm_device_create(enum devmm_kind kind, phys_addr_t base, u64 size);
void devmm_devices_destroy(void);
void devmm_devices_count(unsigned int *nprivate, unsigned int *ncoherent);

/* control.c */
int devmm_control_init(void);
void devmm_control_exit(void);
u64 devmm_caps(void);

#endif /* DEVMM_H */

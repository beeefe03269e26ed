/* SPDX-License-Identifier: GPL-2.0 */
/*
 * devmm tracepoints: events/devmm/ in tracefs, for perf and trace-cmd.
 * One event per migration window, CPU fault, device fault round and
 * eviction pass, so that a trace shows where pages went and why.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM devmm

#if !defined(DEVMM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define DEVMM_TRACE_H

#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(devmm_migrate,
	TP_PROTO(unsigned int dev, unsigned long start, unsigned long npages,
		 unsigned long moved),
	TP_ARGS(dev, start, npages, moved),
	TP_STRUCT__entry(
		__field(unsigned int, dev)
		__field(unsigned long, start)
		__field(unsigned long, npages)
		__field(unsigned long, moved)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->start = start;
		__entry->npages = npages;
		__entry->moved = moved;
	),
	TP_printk("dev=%u start=0x%lx npages=%lu moved=%lu", __entry->dev, __entry->start,
		  __entry->npages, __entry->moved)
);

/* A window of process memory migrated to the device. */
DEFINE_EVENT(devmm_migrate, devmm_migrate_to_device,
	TP_PROTO(unsigned int dev, unsigned long start, unsigned long npages,
		 unsigned long moved),
	TP_ARGS(dev, start, npages, moved));

/* A window of device pages migrated back (request, CPU fault or eviction). */
DEFINE_EVENT(devmm_migrate, devmm_migrate_to_system,
	TP_PROTO(unsigned int dev, unsigned long start, unsigned long npages,
		 unsigned long moved),
	TP_ARGS(dev, start, npages, moved));

/* A CPU fault on a device-private page, served by migrating it back. */
TRACE_EVENT(devmm_cpu_fault,
	TP_PROTO(unsigned int dev, unsigned long addr, unsigned long size, int ret),
	TP_ARGS(dev, addr, size, ret),
	TP_STRUCT__entry(
		__field(unsigned int, dev)
		__field(unsigned long, addr)
		__field(unsigned long, size)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->addr = addr;
		__entry->size = size;
		__entry->ret = ret;
	),
	TP_printk("dev=%u addr=0x%lx size=%lu ret=%d", __entry->dev, __entry->addr,
		  __entry->size, __entry->ret)
);

/* A device fault round: the mirror faulted [start, end) in. */
TRACE_EVENT(devmm_device_fault,
	TP_PROTO(unsigned int dev, unsigned long start, unsigned long end, bool write, int ret),
	TP_ARGS(dev, start, end, write, ret),
	TP_STRUCT__entry(
		__field(unsigned int, dev)
		__field(unsigned long, start)
		__field(unsigned long, end)
		__field(bool, write)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->start = start;
		__entry->end = end;
		__entry->write = write;
		__entry->ret = ret;
	),
	TP_printk("dev=%u start=0x%lx end=0x%lx %s ret=%d", __entry->dev, __entry->start,
		  __entry->end, __entry->write ? "write" : "read", __entry->ret)
);

/* Demand paging: the device touched @addr, not on it; [start, end) migrated. */
TRACE_EVENT(devmm_demand_fault,
	TP_PROTO(unsigned int dev, unsigned long addr, unsigned long start, unsigned long end,
		 u64 moved),
	TP_ARGS(dev, addr, start, end, moved),
	TP_STRUCT__entry(
		__field(unsigned int, dev)
		__field(unsigned long, addr)
		__field(unsigned long, start)
		__field(unsigned long, end)
		__field(u64, moved)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->addr = addr;
		__entry->start = start;
		__entry->end = end;
		__entry->moved = moved;
	),
	TP_printk("dev=%u addr=0x%lx start=0x%lx end=0x%lx moved=%llu", __entry->dev,
		  __entry->addr, __entry->start, __entry->end, __entry->moved)
);

/* One eviction pass: victims chosen (folios, pages) and pages moved. */
TRACE_EVENT(devmm_evict_pass,
	TP_PROTO(unsigned int dev, unsigned long victims, unsigned long pages,
		 unsigned long moved),
	TP_ARGS(dev, victims, pages, moved),
	TP_STRUCT__entry(
		__field(unsigned int, dev)
		__field(unsigned long, victims)
		__field(unsigned long, pages)
		__field(unsigned long, moved)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->victims = victims;
		__entry->pages = pages;
		__entry->moved = moved;
	),
	TP_printk("dev=%u victims=%lu pages=%lu moved=%lu", __entry->dev, __entry->victims,
		  __entry->pages, __entry->moved)
);

#endif /* DEVMM_TRACE_H */

/* The trace header is not in include/trace/events: tell define_trace.h. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE devmm_trace
#include <trace/define_trace.h>

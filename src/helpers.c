// SPDX-License-Identifier: GPL-2.0
/*
 * CPU helpers: work a caller shares with (or hands off to) work items on
 * the other CPUs, for the large jobs of the module: the fake backend's
 * copies, the walks of explicit migrations, eviction batches, and the
 * pinning (in private anonymous memory) and the copies of device reads and
 * writes.  A caller starts up to copy_threads - 1 of them on its stack, each
 * takes parts of the job from a shared counter, and what none takes the
 * caller does; devmm_helpers_finish() cancels those not started and waits
 * for the others.  Helpers never copy through user addresses: an access
 * must stop at its first page it cannot reach, and a helper's share lies
 * past it (the pinning sorts its chunks out in address order afterwards).
 */
#include <linux/cpumask.h>
#include <linux/lockdep.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/workqueue.h>
#include "devmm.h"

/*
 * Per CPU, high priority, and with a rescuer so that a helper on the way
 * back to system memory never waits for a new worker under memory pressure.
 * The background growth of a device's memory (src/pagemap.c) runs here too.
 */
struct workqueue_struct *devmm_helper_wq;

/*
 * Helpers that fault user memory in (the pinning of device reads and
 * writes) take the mmap_lock, while callers flush devmm_helper_wq holding
 * it: on one workqueue the rescuer, which runs its items one by one, could
 * run such a helper blocked on that lock ahead of the helper the lock's
 * holder waits for (lockdep, debug lanes).  So they have a workqueue of
 * their own, without a rescuer: their callers hold no lock and never wait
 * for a helper that has not started.
 */
struct workqueue_struct *devmm_user_wq;

int devmm_helpers_init(void)
{
	devmm_helper_wq = alloc_workqueue("devmm_helper",
					  DEVMM_WQ_PERCPU | WQ_HIGHPRI | WQ_MEM_RECLAIM, 0);
	if (!devmm_helper_wq)
		return -ENOMEM;
	devmm_user_wq = alloc_workqueue("devmm_user", DEVMM_WQ_PERCPU | WQ_HIGHPRI, 0);
	if (!devmm_user_wq) {
		destroy_workqueue(devmm_helper_wq);
		return -ENOMEM;
	}
	return 0;
}

void devmm_helpers_exit(void)
{
	destroy_workqueue(devmm_user_wq);
	destroy_workqueue(devmm_helper_wq);
}

/**
 * devmm_next_cpu - the online CPU after @cpu, round robin
 * @cpu: a CPU number.
 *
 * Return: the next online CPU, or the first one after the last.
 */
unsigned int devmm_next_cpu(unsigned int cpu)
{
	cpu = cpumask_next(cpu, cpu_online_mask);
	return cpu < nr_cpu_ids ? cpu : cpumask_first(cpu_online_mask);
}

static void helper_work(struct work_struct *work)
{
	struct devmm_helper *h = container_of(work, struct devmm_helper, work);

	h->fn(h->job);
}

/**
 * __devmm_helpers_start - start helpers on CPUs for work the caller shares or hands off
 * @hs: the helpers, on the caller's stack.
 * @wq: devmm_helper_wq, or devmm_user_wq for helpers that take a mmap_lock.
 * @n: how many (at most copy_threads - 1 are kept; with OFFLOAD,
 *     copy_threads, and none if that is 1).
 * @flags: DEVMM_HELPERS_OFFLOAD: the caller will sleep until they are done,
 *	not work with them; DEVMM_HELPERS_NESTED: started from a helper too.
 * @fn: what each helper does.
 * @job: its argument.
 * @key: the lockdep class of the call site's helpers (devmm_helpers_start()).
 * @name: its name.
 *
 * One helper per online CPU, round robin from the next one, on @wq: the
 * caller's own CPU comes last.
 */
void __devmm_helpers_start(struct devmm_helpers *hs, struct workqueue_struct *wq,
			   unsigned long n, unsigned int flags, void (*fn)(void *job), void *job,
			   struct lock_class_key *key, const char *name)
{
	unsigned int i, cpu = raw_smp_processor_id(), threads = devmm_param_copy_threads();
	bool offload = flags & DEVMM_HELPERS_OFFLOAD;

	hs->offload = offload;
	hs->n = min_t(unsigned long, n, offload ? (threads > 1 ? threads : 0) : threads - 1);
	/*
	 * Work that runs on a helper already (a block of a shared walk, a
	 * part of a demand migration) is not shared further: the other CPUs
	 * have work of their own, and a helper of ours queued there would
	 * only preempt it.  Except where the others are likely to wait for
	 * this work (NESTED: an eviction that makes room for the walk's other
	 * helpers): the workqueue runs a helper on a CPU only while the
	 * helper already there sleeps.
	 */
	if ((current->flags & PF_WQ_WORKER) && !(flags & DEVMM_HELPERS_NESTED))
		hs->n = 0;
	for (i = 0; i < hs->n; i++) {
		hs->h[i].fn = fn;
		hs->h[i].job = job;
		INIT_WORK_ONSTACK(&hs->h[i].work, helper_work);
		/* A no-op without CONFIG_LOCKDEP (where the member is absent). */
		lockdep_init_map(&hs->h[i].work.lockdep_map, name, key, 0);
		cpu = devmm_next_cpu(cpu);
		queue_work_on(cpu, wq, &hs->h[i].work);
	}
}

/**
 * devmm_helpers_finish - end the helpers of devmm_helpers_start()
 * @hs: the helpers.
 *
 * A helper not started yet is cancelled (so the caller never waits for a
 * worker to be created, whatever it holds); one running is waited for.
 * Offloaded helpers are all waited for: devmm_helper_wq has a rescuer, so
 * they run even if no worker can be created.
 */
void devmm_helpers_finish(struct devmm_helpers *hs)
{
	unsigned int i;

	for (i = 0; i < hs->n; i++) {
		if (hs->offload)
			flush_work(&hs->h[i].work);
		else
			cancel_work_sync(&hs->h[i].work);
		destroy_work_on_stack(&hs->h[i].work);
	}
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Device memory mapped into processes: mmap() of a coherent device's node
 * gives a buffer that lives on the device, like a GPU BAR.
 *
 * The buffer's pages are allocated from the device (counting against its
 * capacity) and zeroed at mmap() time, mapped lazily by the fault handler as
 * special pfns (VM_PFNMAP: no refcounting, no GUP), and freed when the last
 * VMA that maps them goes away.  MAP_SHARED only.  Such pages stay on the
 * device for the buffer's lifetime: eviction skips them, and a device with
 * live buffers cannot be destroyed (-EBUSY; the mappings keep the module).
 *
 * Faults: the mapping uses write-notify (it has pfn_mkwrite), so a read
 * fault maps a page read-only; a write fault maps it writable and dirty at
 * once, so a first write costs exactly one fault and a read followed by a
 * write exactly one more (the pfn_mkwrite upgrade).  All three are counted.
 *
 * Device-private memory cannot be mapped by the CPU at all; its nodes
 * refuse mmap() with -ENODEV.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include "devmm.h"

/**
 * struct devmm_buffer - device memory behind one mmap()
 * @ref: one per VMA that maps it (split, fork and mremap add VMAs).
 * @dev: the device (a reference is held).
 * @npages: its size.
 * @pages: its pages, each with the allocation's reference.
 */
struct devmm_buffer {
	struct kref ref;
	struct devmm_device *dev;
	unsigned long npages;
	struct page *pages[];
};

static void buffer_free_pages(struct devmm_buffer *b, unsigned long n)
{
	struct devmm_device *dev = b->dev;

	while (n)
		put_page(b->pages[--n]);
	spin_lock_irq(&dev->free_lock);
	dev->nbuffers--;
	spin_unlock_irq(&dev->free_lock);
}

static void buffer_release(struct kref *ref)
{
	struct devmm_buffer *b = container_of(ref, struct devmm_buffer, ref);

	buffer_free_pages(b, b->npages);
	devmm_device_put(b->dev);
	kvfree(b);
}

static void buffer_vm_open(struct vm_area_struct *vma)
{
	struct devmm_buffer *b = vma->vm_private_data;

	kref_get(&b->ref);
}

static void buffer_vm_close(struct vm_area_struct *vma)
{
	struct devmm_buffer *b = vma->vm_private_data;

	kref_put(&b->ref, buffer_release);
}

static vm_fault_t buffer_fault(struct vm_fault *vmf)
{
	struct devmm_buffer *b = vmf->vma->vm_private_data;
	unsigned long pfn;

	if (vmf->pgoff >= b->npages)
		return VM_FAULT_SIGBUS;
	pfn = page_to_pfn(b->pages[vmf->pgoff]);
	if (vmf->flags & FAULT_FLAG_WRITE) {
		atomic64_inc(&b->dev->stats.map_write_faults);
		return devmm_vmf_insert_pfn_write(vmf, pfn);
	}
	atomic64_inc(&b->dev->stats.map_read_faults);
	return vmf_insert_pfn(vmf->vma, vmf->address, pfn);
}

/* A write to a page a read fault mapped read-only: the core upgrades it. */
static vm_fault_t buffer_pfn_mkwrite(struct vm_fault *vmf)
{
	struct devmm_buffer *b = vmf->vma->vm_private_data;

	if (vmf->pgoff >= b->npages)
		return VM_FAULT_SIGBUS;
	atomic64_inc(&b->dev->stats.map_mkwrite);
	return 0;
}

static const struct vm_operations_struct buffer_vm_ops = {
	.open = buffer_vm_open,
	.close = buffer_vm_close,
	.fault = buffer_fault,
	.pfn_mkwrite = buffer_pfn_mkwrite,
};

/* A device page for a buffer, zeroed: it may hold another process's data. */
static struct page *buffer_page(struct devmm_device *dev, struct mm_struct *mm)
{
	struct page *page = devmm_page_alloc(dev, 0, NULL, 0, mm, true);
	void *p;

	if (IS_ERR(page))
		return page;
	p = dev->ops->map_page(dev, page);
	memset(p, 0, PAGE_SIZE);
	dev->ops->unmap_page(dev, p);
	unlock_page(page);
	return page;
}

/**
 * devmm_buffer_mmap - mmap() of a device node: a buffer of device memory
 * @m: the file's mirror.
 * @vma: the new mapping (mmap_lock held for writing).
 *
 * Return: 0; -ENODEV for a device whose memory the CPU cannot map (private,
 * mirror-only) or that is going away; -EPERM for a file opened by another
 * process; -EINVAL for MAP_PRIVATE or a non-zero offset; -ENOMEM when the
 * device (after evicting what it can) or the kernel has no room.
 */
int devmm_buffer_mmap(struct devmm_mirror *m, struct vm_area_struct *vma)
{
	struct devmm_device *dev = m->dev;
	unsigned long i, n = vma_pages(vma);
	struct devmm_buffer *b;
	struct page *page;

	if (dev->kind != DEVMM_COHERENT) {
		pr_info_ratelimited("device %u: mmap: only coherent device memory can be mapped by the CPU\n",
				    dev->id);
		return -ENODEV;
	}
	if (m->notifier.mm != current->mm)
		return -EPERM;
	if (!(vma->vm_flags & VM_MAYSHARE) || vma->vm_pgoff) {
		pr_info_ratelimited("device %u: mmap: device memory is mapped MAP_SHARED at offset 0 only\n",
				    dev->id);
		return -EINVAL;
	}
	if (n > dev->capacity >> PAGE_SHIFT)
		return -ENOMEM;
	b = kvzalloc(struct_size(b, pages, n), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	kref_init(&b->ref);
	b->dev = dev;
	b->npages = n;
	spin_lock_irq(&dev->free_lock);
	if (dev->dying) {
		spin_unlock_irq(&dev->free_lock);
		kvfree(b);
		return -ENODEV;
	}
	dev->nbuffers++;
	spin_unlock_irq(&dev->free_lock);
	for (i = 0; i < n; i++) {
		page = buffer_page(dev, vma->vm_mm);
		if (IS_ERR(page)) {
			buffer_free_pages(b, i);
			kvfree(b);
			return PTR_ERR(page) == -ENODEV ? -ENODEV : -ENOMEM;
		}
		b->pages[i] = page;
	}
	devmm_device_get(dev);
	vma->vm_private_data = b;
	vma->vm_ops = &buffer_vm_ops;
	devmm_vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	return 0;
}

/* Whether @vma maps a buffer of @m's device (which device accesses reach without a walk). */
bool devmm_vma_is_own_buffer(struct devmm_mirror *m, struct vm_area_struct *vma)
{
	return vma->vm_ops == &buffer_vm_ops &&
	       ((struct devmm_buffer *)vma->vm_private_data)->dev == m->dev;
}

/**
 * devmm_buffer_mirror - device access to a range mapping the device's own
 * buffer: enter its pages into the mirror's table directly
 * @m: the mirror.
 * @mm: its mm (a user reference held).
 * @start: page-aligned address.
 * @end: end of the access.
 * @write: the device wants to write.
 *
 * hmm_range_fault() does not walk VM_PFNMAP mappings; a device reaching
 * its own memory through a process's mapping of it needs no walk.
 * Return: 1 if @start lies in such a mapping (entered up to its end or
 * @end), 0 if not, -EFAULT for another device's buffer or an unreadable
 * mapping, -EPERM for a write to a read-only one.
 */
int devmm_buffer_mirror(struct devmm_mirror *m, struct mm_struct *mm, unsigned long start,
			unsigned long end, bool write)
{
	struct vm_area_struct *vma;
	struct devmm_buffer *b;
	unsigned long seq, addr, last, tag;
	int ret = 1;

again:
	seq = mmu_interval_read_begin(&m->notifier);
	mmap_read_lock(mm);
	vma = vma_lookup(mm, start);
	if (!vma || vma->vm_ops != &buffer_vm_ops) {
		mmap_read_unlock(mm);
		return 0;
	}
	b = vma->vm_private_data;
	if (b->dev != m->dev || !(vma->vm_flags & VM_READ))
		ret = -EFAULT;
	else if (write && !(vma->vm_flags & VM_WRITE))
		ret = -EPERM;
	if (ret < 0) {
		mmap_read_unlock(mm);
		return ret;
	}
	tag = (vma->vm_flags & VM_WRITE) ? DEVMM_PTE_WRITE : 0;
	last = min(end, vma->vm_end);
	mutex_lock(&m->lock);
	if (mmu_interval_read_retry(&m->notifier, seq)) {
		mutex_unlock(&m->lock);
		mmap_read_unlock(mm);
		goto again;
	}
	for (addr = start; addr < last; addr += PAGE_SIZE) {
		unsigned long pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
		void *old;

		if (pgoff >= b->npages)
			break;
		/* No sleeping allocation under the lock invalidations take. */
		old = xa_store(&m->pt, addr >> PAGE_SHIFT, xa_tag_pointer(b->pages[pgoff], tag),
			       GFP_NOWAIT);
		if (xa_is_err(old)) {
			ret = xa_err(old);
			break;
		}
	}
	mutex_unlock(&m->lock);
	mmap_read_unlock(mm);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Range attributes (DEVMM_IOC_SET_ATTR/GET_ATTR), per (device, process):
 * kept in the device's owner entry for the process, as a sorted array of
 * non-overlapping ranges whose attributes differ from the defaults.
 *
 * munmap (and mremap's source range) drop attributes from the mirrors'
 * invalidation callbacks, which must not allocate with reclaim (the
 * kernel's lockdep tracks reclaim against invalidations): the array keeps
 * free slots for the split an unmap in the middle of a range needs; when it
 * has none and an allocation without reclaim fails too (or the callback
 * cannot block), the whole range that would split loses its attributes
 * (memory placement changes; contents never do).
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include "devmm.h"

/* Ranges one process may give a device attributes for. */
#define DEVMM_MAX_ATTR_RANGES	65536

static const struct devmm_attrs attrs_default;

static bool attrs_equal(const struct devmm_attrs *x, const struct devmm_attrs *y)
{
	return !memcmp(x, y, sizeof(*x));
}

/* Append [start, end) with @a to @out, merging with an equal neighbour. */
static void emit(struct devmm_attr_range *out, unsigned int *n, unsigned long start,
		 unsigned long end, const struct devmm_attrs *a)
{
	struct devmm_attr_range *last = *n ? &out[*n - 1] : NULL;

	if (start >= end || attrs_equal(a, &attrs_default))
		return;
	if (last && last->end == start && attrs_equal(&last->a, a)) {
		last->end = end;
		return;
	}
	out[(*n)++] = (struct devmm_attr_range){ start, end, *a };
}

static struct devmm_attrs apply(struct devmm_attrs a, u32 mask, const struct devmm_attrs *v)
{
	if (mask & DEVMM_ATTR_PREFERRED)
		a.preferred = v->preferred;
	if (mask & DEVMM_ATTR_MIGRATE)
		a.migrate = v->migrate;
	if (mask & DEVMM_ATTR_ACCESSED_BY)
		a.accessed_by = v->accessed_by;
	if (mask & DEVMM_ATTR_GRANULARITY)
		a.gran_order = v->gran_order;
	return a;
}

/*
 * The ranges of @in with [s, e) changed by @mask/@v, into @out (room for
 * 4 * @n + 1): at most three pieces per old range, and the gaps between.
 */
static unsigned int rebuild(const struct devmm_attr_range *in, unsigned int n,
			    struct devmm_attr_range *out, unsigned long s, unsigned long e,
			    u32 mask, const struct devmm_attrs *v)
{
	struct devmm_attrs gap = apply(attrs_default, mask, v);
	unsigned long pos = s;
	unsigned int i, k = 0;
	bool gap_done = false;

	for (i = 0; i < n; i++) {
		const struct devmm_attr_range *r = &in[i];

		if (r->end <= s) {
			emit(out, &k, r->start, r->end, &r->a);
			continue;
		}
		if (r->start >= e) {
			if (!gap_done) {
				emit(out, &k, pos, e, &gap);
				gap_done = true;
			}
			emit(out, &k, r->start, r->end, &r->a);
			continue;
		}
		if (r->start < s)
			emit(out, &k, r->start, s, &r->a);
		if (r->start > pos)
			emit(out, &k, pos, r->start, &gap);
		{
			struct devmm_attrs a = apply(r->a, mask, v);

			emit(out, &k, max(r->start, s), min(r->end, e), &a);
		}
		pos = min(r->end, e);
		if (r->end > e) {
			gap_done = true;
			emit(out, &k, e, r->end, &r->a);
		}
	}
	if (!gap_done)
		emit(out, &k, pos, e, &gap);
	return k;
}

/**
 * devmm_attr_set - change the attributes of [start, end) for a process
 * @o: the device's owner entry for the calling process.
 * @start: page-aligned start.
 * @end: page-aligned end.
 * @mask: DEVMM_ATTR_* bits to change.
 * @v: their new values.
 *
 * Return: 0, -ENOMEM, or -ENOSPC past DEVMM_MAX_ATTR_RANGES ranges.
 */
int devmm_attr_set(struct devmm_owner *o, unsigned long start, unsigned long end, u32 mask,
		   const struct devmm_attrs *v)
{
	struct devmm_attr_range *new, *old;
	unsigned int n, cap, k;

	for (;;) {
		spin_lock(&o->attr_lock);
		n = o->nattrs;
		spin_unlock(&o->attr_lock);
		cap = 4 * n + 4;
		new = kvmalloc_array(cap, sizeof(*new), GFP_KERNEL);
		if (!new)
			return -ENOMEM;
		spin_lock(&o->attr_lock);
		if (4 * o->nattrs + 1 <= cap)
			break;
		/* More ranges came meanwhile: size again. */
		spin_unlock(&o->attr_lock);
		kvfree(new);
	}
	k = rebuild(o->attrs, o->nattrs, new, start, end, mask, v);
	if (k > DEVMM_MAX_ATTR_RANGES) {
		spin_unlock(&o->attr_lock);
		kvfree(new);
		return -ENOSPC;
	}
	old = o->attrs;
	o->attrs = new;
	o->nattrs = k;
	o->attrs_cap = cap;
	spin_unlock(&o->attr_lock);
	kvfree(old);
	return 0;
}

/* The index of the first range that ends after @addr (nattrs if none). */
static unsigned int first_after(struct devmm_owner *o, unsigned long addr)
{
	unsigned int lo = 0, hi = o->nattrs;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (o->attrs[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/**
 * devmm_attr_get - the attributes at @addr and how far they reach
 * @o: the owner entry.
 * @addr: an address.
 * @limit: where to stop looking.
 * @a: the attributes at @addr.
 *
 * Return: the end (at most @limit) of the span from @addr with attributes
 * @a (neighbouring ranges with equal attributes are merged when set).
 */
unsigned long devmm_attr_get(struct devmm_owner *o, unsigned long addr, unsigned long limit,
			     struct devmm_attrs *a)
{
	unsigned long end = limit;
	unsigned int i;

	spin_lock(&o->attr_lock);
	i = first_after(o, addr);
	if (i < o->nattrs && o->attrs[i].start <= addr) {
		*a = o->attrs[i].a;
		end = min(end, o->attrs[i].end);
	} else {
		*a = attrs_default;
		if (i < o->nattrs)
			end = min(end, o->attrs[i].start);
	}
	spin_unlock(&o->attr_lock);
	return end;
}

/**
 * devmm_attr_span - the range of equal attributes around @addr
 * @o: the owner entry.
 * @addr: an address inside a range with attributes.
 * @start: its start.
 * @end: its end.
 */
void devmm_attr_span(struct devmm_owner *o, unsigned long addr, unsigned long *start,
		     unsigned long *end)
{
	unsigned int i;

	spin_lock(&o->attr_lock);
	i = first_after(o, addr);
	if (i < o->nattrs && o->attrs[i].start <= addr) {
		*start = o->attrs[i].start;
		*end = o->attrs[i].end;
	} else {
		*start = addr & PAGE_MASK;
		*end = *start + PAGE_SIZE;
	}
	spin_unlock(&o->attr_lock);
}

/**
 * devmm_attr_drop - [start, end) was unmapped: its attributes go
 * @o: the owner entry.
 * @start: start.
 * @end: end.
 * @blockable: the caller may sleep (else nothing is allocated or freed).
 *
 * Called from invalidation callbacks.
 */
void devmm_attr_drop(struct devmm_owner *o, unsigned long start, unsigned long end,
		     bool blockable)
{
	struct devmm_attr_range *r, *grown = NULL;
	unsigned int i, j;

	if (!READ_ONCE(o->nattrs))
		return;
	spin_lock(&o->attr_lock);
	i = first_after(o, start);
	if (i < o->nattrs && o->attrs[i].start < start && o->attrs[i].end > end) {
		/* The middle of one range goes: it splits in two. */
		if (o->nattrs == o->attrs_cap) {
			if (blockable)
				grown = kmalloc_array(o->attrs_cap + 4, sizeof(*grown),
						      GFP_NOWAIT | __GFP_NOWARN);
			if (!grown) {
				memmove(&o->attrs[i], &o->attrs[i + 1],
					(o->nattrs - i - 1) * sizeof(*r));
				o->nattrs--;
				goto out;
			}
			memcpy(grown, o->attrs, o->nattrs * sizeof(*r));
			swap(grown, o->attrs);
			o->attrs_cap += 4;
		}
		memmove(&o->attrs[i + 1], &o->attrs[i], (o->nattrs - i) * sizeof(*r));
		o->nattrs++;
		o->attrs[i].end = start;
		o->attrs[i + 1].start = end;
		goto out;
	}
	if (i < o->nattrs && o->attrs[i].start < start) {
		o->attrs[i].end = start;
		i++;
	}
	for (j = i; j < o->nattrs && o->attrs[j].end <= end; j++)
		;
	if (j < o->nattrs && o->attrs[j].start < end)
		o->attrs[j].start = end;
	memmove(&o->attrs[i], &o->attrs[j], (o->nattrs - j) * sizeof(*r));
	o->nattrs -= j - i;
out:
	spin_unlock(&o->attr_lock);
	kvfree(grown);
}

/*
 * Take every attribute away (the process's last file of the device
 * closed): the caller kvfree()s what this returns, outside any spinlock.
 */
struct devmm_attr_range *devmm_attr_take(struct devmm_owner *o)
{
	struct devmm_attr_range *old;

	spin_lock(&o->attr_lock);
	old = o->attrs;
	o->attrs = NULL;
	o->nattrs = 0;
	o->attrs_cap = 0;
	spin_unlock(&o->attr_lock);
	return old;
}

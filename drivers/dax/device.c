// SPDX-License-Identifier: GPL-2.0
/*
 * device_dax: the /dev/daxX.Y character device.
 *
 * A dev_dax instance is a list of physical ranges laid out back to back
 * in file offset order.  This driver maps them into user space with
 * MAP_SHARED mappings only, one PTE, PMD or PUD at a time depending on
 * the device alignment.
 */
#include <linux/memremap.h>
#include <linux/pagemap.h>
#include <linux/cleanup.h>
#include <linux/module.h>
#include <linux/device.h>
#include <linux/pfn_t.h>
#include <linux/cdev.h>
#include <linux/slab.h>
#include <linux/dax.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include "dax-private.h"
#include "bus.h"

/* guard(dax_srcu)() holds the dax SRCU read side for the current scope */
DEFINE_LOCK_GUARD_0(dax_srcu, _T->cookie = dax_read_lock(),
		    dax_read_unlock(_T->cookie), int cookie)

/**
 * struct devdax_file - an open file of /dev/daxX.Y
 * @dev_dax: the device; the cdev the file came through holds a reference
 * @binding: @dev_dax->binding when the file was opened
 *
 * A file outlives the driver binding it was opened under.  Once the
 * device is unbound its mappings are zapped, and after a new bind it
 * must not fault in the new binding's memory: everything the file does
 * fails unless the binding it was opened under is still the live one.
 */
struct devdax_file {
	struct dev_dax *dev_dax;
	unsigned int binding;
};

/* is the binding @file was opened under still live?  dax_srcu held */
static bool devdax_file_live(const struct devdax_file *file)
{
	struct dev_dax *dev_dax = file->dev_dax;

	if (!dax_alive(dev_dax->dax_dev))
		return false;
	/* pairs with the smp_wmb() in devdax_probe() */
	smp_rmb();
	return READ_ONCE(dev_dax->binding) == file->binding;
}

/* why @vma cannot map this device, or NULL if it can */
static const char *devdax_vma_problem(struct dev_dax *dev_dax,
				      struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_MAYSHARE))
		return "private mapping";
	if (!IS_ALIGNED(vma->vm_start | vma->vm_end, dev_dax->align))
		return "unaligned address range";
	if (!IS_ALIGNED(vma->vm_pgoff, PHYS_PFN(dev_dax->align)))
		return "unaligned file offset";
	if (!vma_is_dax(vma))
		return "vma without DAX support";
	return NULL;
}

static int devdax_validate_vma(const struct devdax_file *file,
			       struct vm_area_struct *vma, const char *caller)
{
	struct dev_dax *dev_dax = file->dev_dax;
	const char *why;

	if (!devdax_file_live(file))
		return -ENXIO;

	why = devdax_vma_problem(dev_dax, vma);
	if (!why)
		return 0;

	dev_info_ratelimited(&dev_dax->dev,
			     "%s: %s: %s refused (%#lx-%#lx pgoff %#lx align %#x)\n",
			     current->comm, caller, why, vma->vm_start,
			     vma->vm_end, vma->vm_pgoff, dev_dax->align);
	return -EINVAL;
}

static unsigned long devdax_range_pages(const struct dev_dax_range *dr)
{
	return PHYS_PFN(range_len(&dr->range));
}

/*
 * The physical address of [@pgoff, @pgoff + @size) in @dr, or -1 when
 * @dr does not hold all of it.  @pgoff is below ULONG_MAX >> PAGE_SHIFT
 * (devdax_get_unmapped_area() and the mm's own checks), so the byte
 * offset cannot overflow.
 */
static phys_addr_t devdax_range_phys(const struct dev_dax_range *dr,
				     pgoff_t pgoff, unsigned long size)
{
	u64 len = range_len(&dr->range);
	u64 offset;

	if (pgoff < dr->pgoff)
		return -1;
	offset = PFN_PHYS((u64)(pgoff - dr->pgoff));
	if (offset >= len || size > len - offset)
		return -1;
	return dr->range.start + offset;
}

/* binary search of the range holding @pgoff */
static const struct dev_dax_range *devdax_find_range(const struct dev_dax *dev_dax,
						     pgoff_t pgoff)
{
	unsigned int lo = 0, hi = dev_dax->nr_range;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct dev_dax_range *dr = &dev_dax->ranges[mid];

		if (pgoff < dr->pgoff)
			hi = mid;
		else if (pgoff - dr->pgoff >= devdax_range_pages(dr))
			lo = mid + 1;
		else
			return dr;
	}
	return NULL;
}

/*
 * The lookup the remembered range did not serve: the range after it, or
 * the first one after the last (a mapping walked in order, again and
 * again), else a binary search.  The range found is remembered for the
 * next lookup.  Kept out of line so that the remembered range's hit, the
 * common case, needs no stack frame.
 */
static noinline phys_addr_t
devdax_search_phys(struct dev_dax *dev_dax, unsigned int hint, pgoff_t pgoff,
		   unsigned long size)
{
	unsigned int nr = dev_dax->nr_range;
	unsigned int next = hint + 1 < nr ? hint + 1 : 0;
	const struct dev_dax_range *dr;
	phys_addr_t phys;

	if (!nr)
		return -1;
	phys = devdax_range_phys(&dev_dax->ranges[next], pgoff, size);
	if (phys != -1) {
		WRITE_ONCE(dev_dax->last_range, next);
		return phys;
	}
	dr = devdax_find_range(dev_dax, pgoff);
	if (!dr)
		return -1;
	WRITE_ONCE(dev_dax->last_range, dr - dev_dax->ranges);
	return devdax_range_phys(dr, pgoff, size);
}

/**
 * dax_pgoff_to_phys() - translate a device page offset to a physical address
 * @dev_dax: the device whose ranges are searched
 * @pgoff: page offset into the device
 * @size: length of the access starting at @pgoff
 *
 * The ranges of @dev_dax are sorted by page offset and cover the device
 * without holes.  Faults mostly walk a mapping in order, so the range
 * that served the last lookup almost always serves the next one: it is
 * tried first, then its successor (the first range after the last one),
 * then a binary search.  The remembered index is only a hint, checked
 * against the number of ranges before use; racing faults at most
 * overwrite each other's hint.
 * tools/testing/nvdimm provides a strong definition that replaces this one.
 *
 * Return: the physical address backing @pgoff, or -1 when @pgoff is past
 * the end of the device or [@pgoff, @pgoff + @size) leaves its range.
 */
__weak phys_addr_t dax_pgoff_to_phys(struct dev_dax *dev_dax,
				     pgoff_t pgoff, unsigned long size)
{
	unsigned int hint = READ_ONCE(dev_dax->last_range);

	if (likely(hint < dev_dax->nr_range)) {
		phys_addr_t phys = devdax_range_phys(&dev_dax->ranges[hint],
						     pgoff, size);

		if (likely(phys != -1))
			return phys;
	}
	return devdax_search_phys(dev_dax, hint, pgoff, size);
}

/*
 * Point the pages behind a new mapping at the device's address_space so
 * that memory-failure handling can find the user mappings.  Compound
 * device pages only carry this in their head page.
 */
static void devdax_own_pages(struct vm_fault *vmf, struct dev_dax *dev_dax,
			     unsigned long pfn, pgoff_t index,
			     unsigned long size)
{
	struct address_space *mapping = vmf->vma->vm_file->f_mapping;
	unsigned long nr = size >> PAGE_SHIFT;
	unsigned long step = 1;
	unsigned long n;

	if (dev_dax->pgmap->vmemmap_shift)
		step = nr;

	for (n = 0; n < nr; n += step) {
		struct folio *folio = page_folio(pfn_to_page(pfn + n));

		if (folio->mapping)
			continue;
		folio->mapping = mapping;
		folio->index = index + n;
	}
}

static vm_fault_t devdax_insert_pfn(struct vm_fault *vmf, pfn_t pfn,
				    unsigned long size)
{
	bool write = vmf->flags & FAULT_FLAG_WRITE;

	if (size == PAGE_SIZE)
		return vmf_insert_mixed(vmf->vma, vmf->address, pfn);
	if (size == PMD_SIZE)
		return vmf_insert_pfn_pmd(vmf, pfn, write);
	if (IS_ENABLED(CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD))
		return vmf_insert_pfn_pud(vmf, pfn, write);
	return VM_FAULT_FALLBACK;
}

/*
 * Map one @size chunk around the faulting address.  Only faults of
 * exactly the device alignment are served: smaller ones cannot be
 * expressed, larger ones fall back to the next smaller page size.
 *
 * The shape of the VMA was checked at mmap() time and splits keep it
 * (devdax_may_split()).  A VMA that mremap() moved or grew out of
 * alignment is caught here chunk by chunk: the chunk must lie inside the
 * VMA and map to an aligned physical chunk of one range.
 */
static vm_fault_t devdax_fault_chunk(struct dev_dax *dev_dax,
				     struct vm_fault *vmf, unsigned long size)
{
	unsigned long start = ALIGN_DOWN(vmf->address, size);
	struct vm_area_struct *vma = vmf->vma;
	phys_addr_t phys;
	pgoff_t pgoff;
	pfn_t pfn;

	if (size > dev_dax->align)
		return VM_FAULT_FALLBACK;
	if (size < dev_dax->align ||
	    !devdax_file_live(vma->vm_file->private_data) ||
	    start < vma->vm_start || vma->vm_end - start < size)
		return VM_FAULT_SIGBUS;

	pgoff = linear_page_index(vma, start);
	phys = dax_pgoff_to_phys(dev_dax, pgoff, size);
	if (phys == (phys_addr_t)-1 || !IS_ALIGNED(phys, size)) {
		dev_dbg(&dev_dax->dev, "nothing to map at pgoff %#lx (%#lx bytes)\n",
			pgoff, size);
		return VM_FAULT_SIGBUS;
	}

	pfn = phys_to_pfn_t(phys, PFN_DEV | PFN_MAP);
	devdax_own_pages(vmf, dev_dax, pfn_t_to_pfn(pfn), pgoff, size);
	return devdax_insert_pfn(vmf, pfn, size);
}

static struct dev_dax *vma_to_dev_dax(struct vm_area_struct *vma)
{
	const struct devdax_file *file = vma->vm_file->private_data;

	return file->dev_dax;
}

static vm_fault_t devdax_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct dev_dax *dev_dax = vma_to_dev_dax(vmf->vma);

	dev_dbg(&dev_dax->dev, "%s: %s fault at %#lx, order %u\n",
		current->comm, vmf->flags & FAULT_FLAG_WRITE ? "write" : "read",
		vmf->address, order);

	if (order == PUD_ORDER &&
	    !IS_ENABLED(CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD))
		return VM_FAULT_FALLBACK;
	if (order != 0 && order != PMD_ORDER && order != PUD_ORDER)
		return VM_FAULT_SIGBUS;

	guard(dax_srcu)();
	return devdax_fault_chunk(dev_dax, vmf, PAGE_SIZE << order);
}

static vm_fault_t devdax_fault(struct vm_fault *vmf)
{
	return devdax_huge_fault(vmf, 0);
}

/* splitting is only allowed on mapping unit boundaries */
static int devdax_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return IS_ALIGNED(addr, vma_to_dev_dax(vma)->align) ? 0 : -EINVAL;
}

static unsigned long devdax_pagesize(struct vm_area_struct *vma)
{
	return vma_to_dev_dax(vma)->align;
}

static const struct vm_operations_struct devdax_vm_ops = {
	.fault = devdax_fault,
	.huge_fault = devdax_huge_fault,
	.may_split = devdax_may_split,
	.pagesize = devdax_pagesize,
};

static int devdax_mmap(struct file *filp, struct vm_area_struct *vma)
{
	/* liveness is checked here and again on every fault */
	scoped_guard(dax_srcu) {
		int rc = devdax_validate_vma(filp->private_data, vma, __func__);

		if (rc)
			return rc;
	}

	vma->vm_ops = &devdax_vm_ops;
	vm_flags_set(vma, VM_HUGEPAGE);
	return 0;
}

/*
 * How much to ask the mm for so that the area holds an address congruent
 * to file offset @off modulo @align.  0 when [@off, @off + @len) contains
 * no whole @align sized chunk or the sums overflow.
 */
static unsigned long devdax_padded_len(unsigned long off, unsigned long len,
				       unsigned long align)
{
	unsigned long first = round_up(off, align);
	unsigned long end, padded_end;

	if (check_add_overflow(off, len, &end) || first < off ||
	    end < first || end - first < align ||
	    check_add_overflow(end, align, &padded_end))
		return 0;
	return len + align;
}

static unsigned long devdax_get_unmapped_area(struct file *filp,
					      unsigned long hint,
					      unsigned long len,
					      unsigned long pgoff,
					      unsigned long flags)
{
	const struct devdax_file *file = filp ? filp->private_data : NULL;
	struct dev_dax *dev_dax = file ? file->dev_dax : NULL;
	unsigned long off, padded, area, mask;

	if (!dev_dax || hint || pgoff > (ULONG_MAX >> PAGE_SHIFT))
		goto unaligned;

	off = pgoff << PAGE_SHIFT;
	padded = devdax_padded_len(off, len, dev_dax->align);
	if (!padded)
		goto unaligned;

	area = mm_get_unmapped_area(current->mm, filp, 0, padded, pgoff, flags);
	if (IS_ERR_VALUE(area))
		goto unaligned;
	/* move up until address and file offset agree modulo the alignment */
	mask = dev_dax->align - 1;
	return area + ((off - area) & mask);

unaligned:
	return mm_get_unmapped_area(current->mm, filp, hint, len, pgoff, flags);
}

static const struct address_space_operations devdax_aops = {
	.dirty_folio = noop_dirty_folio,
};

static int devdax_open(struct inode *inode, struct file *filp)
{
	/* the cdev of the binding the open came through; its parent is us */
	struct dev_dax *dev_dax =
		to_dev_dax(kobj_to_dev(inode->i_cdev->kobj.parent));
	struct inode *shared = dax_inode(dev_dax->dax_dev);
	struct address_space *mapping = shared->i_mapping;
	struct devdax_file *file;

	file = kmalloc(sizeof(*file), GFP_KERNEL);
	if (!file)
		return -ENOMEM;
	file->dev_dax = dev_dax;

	/* a stale cdev may still lead here while unbound or bound to kmem */
	scoped_guard(dax_srcu) {
		if (!dax_alive(dev_dax->dax_dev)) {
			kfree(file);
			return -ENXIO;
		}
		/* pairs with the smp_wmb() in devdax_probe() */
		smp_rmb();
		file->binding = READ_ONCE(dev_dax->binding);
	}

	dev_dbg(&dev_dax->dev, "opened by %s\n", current->comm);

	/* all openers share the page tables tracked by the dax inode */
	mapping->host = shared;
	mapping->a_ops = &devdax_aops;
	inode->i_mapping = mapping;
	inode->i_flags = S_DAX;

	filp->f_mapping = mapping;
	filp->f_wb_err = filemap_sample_wb_err(mapping);
	filp->f_sb_err = file_sample_sb_err(filp);
	filp->private_data = file;
	return 0;
}

static int devdax_release(struct inode *inode, struct file *filp)
{
	struct devdax_file *file = filp->private_data;

	dev_dbg(&file->dev_dax->dev, "released by %s\n", current->comm);
	/*
	 * The node's inode may outlive the dax inode whose mapping open
	 * lent it (an O_PATH holder, a path walk): give it its own back,
	 * so that its eviction never reads a freed mapping.  Files still
	 * open use their f_mapping, and the next open lends it again.
	 */
	if (inode->i_mapping == filp->f_mapping)
		inode->i_mapping = &inode->i_data;
	kfree(file);
	return 0;
}

static const struct file_operations devdax_fops = {
	.owner = THIS_MODULE,
	.llseek = noop_llseek,
	.open = devdax_open,
	.release = devdax_release,
	.mmap = devdax_mmap,
	.get_unmapped_area = devdax_get_unmapped_area,
	.fop_flags = FOP_MMAP_SYNC,
};

static void devdax_free_pgmap(void *pgmap)
{
	kvfree(pgmap);
}

/* never leave a pointer to the devm freed pagemap behind after unbind */
static void devdax_forget_pgmap(void *data)
{
	struct dev_dax *dev_dax = data;

	dev_dax->pgmap = NULL;
}

/*
 * Build the pagemap of a dynamic device: one pgmap range per device
 * range.  It lives as long as the driver binding.
 */
static struct dev_pagemap *devdax_alloc_pgmap(struct dev_dax *dev_dax)
{
	struct device *dev = &dev_dax->dev;
	struct dev_pagemap *pgmap;
	int i;

	if (dev_dax->pgmap) {
		dev_warn(dev, "dynamic device already has a pagemap\n");
		return ERR_PTR(-EINVAL);
	}

	pgmap = kvzalloc(struct_size(pgmap, ranges, dev_dax->nr_range - 1),
			 GFP_KERNEL);
	if (!pgmap)
		return ERR_PTR(-ENOMEM);
	if (devm_add_action_or_reset(dev, devdax_free_pgmap, pgmap))
		return ERR_PTR(-ENOMEM);

	pgmap->nr_range = dev_dax->nr_range;
	for (i = 0; i < dev_dax->nr_range; i++)
		pgmap->ranges[i] = dev_dax->ranges[i].range;
	return pgmap;
}

static struct dev_pagemap *devdax_get_pgmap(struct dev_dax *dev_dax)
{
	if (!static_dev_dax(dev_dax))
		return devdax_alloc_pgmap(dev_dax);

	/* the region's creator handed us a single-range pagemap */
	if (dev_dax->nr_range != 1 || !dev_dax->pgmap) {
		dev_warn(&dev_dax->dev, "static device needs one range and a pagemap, has %d ranges\n",
			 dev_dax->nr_range);
		return ERR_PTR(-EINVAL);
	}
	return dev_dax->pgmap;
}

static int devdax_claim_ranges(struct dev_dax *dev_dax)
{
	struct device *dev = &dev_dax->dev;
	int i;

	for (i = 0; i < dev_dax->nr_range; i++) {
		const struct range *r = &dev_dax->ranges[i].range;

		if (!devm_request_mem_region(dev, r->start, range_len(r),
					     dev_name(dev))) {
			dev_warn(dev, "mapping%d: %#llx-%#llx is busy\n",
				 i, r->start, r->end);
			return -EBUSY;
		}
	}
	return 0;
}

static int devdax_map_pages(struct dev_dax *dev_dax,
			    struct dev_pagemap *pgmap)
{
	struct device *dev = &dev_dax->dev;
	void *addr;

	pgmap->type = MEMORY_DEVICE_GENERIC;
	/* one compound page per alignment unit keeps the memmap small */
	if (dev_dax->align > PAGE_SIZE)
		pgmap->vmemmap_shift = order_base_2(PHYS_PFN(dev_dax->align));

	addr = devm_memremap_pages(dev, pgmap);
	if (IS_ERR(addr))
		return PTR_ERR(addr);

	dev_dax->pgmap = pgmap;
	if (static_dev_dax(dev_dax))
		return 0;
	return devm_add_action_or_reset(dev, devdax_forget_pgmap, dev_dax);
}

static void devdax_del_cdev(void *cdev)
{
	cdev_del(cdev);
}

/*
 * Every binding gets a cdev of its own.  Files opened under an earlier
 * binding (and the /dev inode they came through) may still hold the
 * previous one; it is freed, and drops its reference on the device, when
 * the last of them is closed.  Re-initialising a cdev that such files
 * still count on would reset its reference count under them.
 */
static int devdax_add_cdev(struct dev_dax *dev_dax)
{
	struct device *dev = &dev_dax->dev;
	struct cdev *cdev;
	int rc;

	cdev = cdev_alloc();
	if (!cdev)
		return -ENOMEM;
	cdev->ops = &devdax_fops;
	cdev->owner = dev->driver->owner;
	cdev_set_parent(cdev, &dev->kobj);
	rc = cdev_add(cdev, dev->devt, 1);
	if (rc) {
		/* a failed cdev_add() took no reference on the parent */
		cdev->kobj.parent = NULL;
		kobject_put(&cdev->kobj);
		return rc;
	}
	return devm_add_action_or_reset(dev, devdax_del_cdev, cdev);
}

static void devdax_shutdown(void *dev_dax)
{
	kill_dev_dax(dev_dax);
}

static int devdax_probe(struct dev_dax *dev_dax)
{
	struct device *dev = &dev_dax->dev;
	struct dev_pagemap *pgmap;
	int rc;

	pgmap = devdax_get_pgmap(dev_dax);
	if (IS_ERR(pgmap))
		return PTR_ERR(pgmap);

	rc = devdax_claim_ranges(dev_dax);
	if (rc)
		return rc;

	rc = devdax_map_pages(dev_dax, pgmap);
	if (rc)
		return rc;

	/*
	 * A new binding number, visible before the device runs again:
	 * files of earlier bindings must not see it alive with their
	 * number.
	 */
	WRITE_ONCE(dev_dax->binding, dev_dax->binding + 1);
	/* order the number before DAXDEV_ALIVE; pairs with devdax_file_live() */
	smp_wmb();
	run_dax(dev_dax->dax_dev);
	rc = devm_add_action_or_reset(dev, devdax_shutdown, dev_dax);
	if (rc)
		return rc;

	/* unbind: no new opens first, then the device dies */
	return devdax_add_cdev(dev_dax);
}

static struct dax_device_driver devdax_driver = {
	.probe = devdax_probe,
	.type = DAXDRV_DEVICE_TYPE,
};

static int __init devdax_init(void)
{
	return dax_driver_register(&devdax_driver);
}
module_init(devdax_init);

static void __exit devdax_exit(void)
{
	dax_driver_unregister(&devdax_driver);
}
module_exit(devdax_exit);

MODULE_DESCRIPTION("Device DAX: direct access mapping device");
MODULE_LICENSE("GPL");
MODULE_ALIAS_DAX_DEVICE(0);

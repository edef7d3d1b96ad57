//! Physical memory manager: a bitmap of 4 KiB frames plus per-frame
//! reference counts for copy-on-write sharing.
//!
//! Built from the boot memory map (holes, overlaps and memory above 4 GiB
//! handled by the `framebitmap` planner). Never handed out: the first MiB
//! (real-mode structures, the AP trampoline), the kernel image, the boot
//! modules (ramdisk) and GRUB's boot information.
//!
//! Frames above 4 GiB are released only after the kernel's own page tables
//! map all of RAM ([`release_high_memory`]); before that the boot tables
//! map just the first 4 GiB.
//!
//! Page tables that an address space emptied before freeing them are kept,
//! up to a few dozen, as known-zero frames ([`free_zeroed_frame`]): the
//! next [`alloc_frame_zeroed`] takes one without clearing 4 KiB again.
//! They count as free, and plain allocations fall back on them.
//!
//! Locking: `PMM` (level `FrameAllocator`, IRQ-safe) guards the bitmap;
//! `ZEROED` (same level, never held together with `PMM`) the zeroed frames.
//! Reference counts are atomics: a frame mapped into user space starts at 1
//! ([`alloc_user_frame`]); `fork` shares it ([`share`]); [`release`] frees
//! it when the last mapping goes.

use super::layout::{phys_to_virt, PAGE_SIZE};
use crate::bootinfo::{BootInfo, RegionKind};
use crate::sync::{IrqSpinLock, LockLevel};
use core::ops::Range;
use core::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use framebitmap::{FrameBitmap, MemRegion as PlanRegion, RegionKind as PlanKind};

/// Allocation failed: no free frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory;

const FOUR_GIB: u64 = 4 << 30;
const MAX_RESERVED: usize = 16;
const MAX_RANGES: usize = 64;

static PMM: IrqSpinLock<Option<FrameBitmap<'static>>> =
    IrqSpinLock::new(LockLevel::FrameAllocator, "pmm", None);
static REFCOUNTS: AtomicUsize = AtomicUsize::new(0); // *const AtomicU16, nframes long
static NFRAMES: AtomicUsize = AtomicUsize::new(0);
static TOTAL_USABLE: AtomicUsize = AtomicUsize::new(0);
/// Usable ranges above 4 GiB, released by `release_high_memory`.
static HIGH: IrqSpinLock<([Range<u64>; MAX_RANGES], usize)> =
    IrqSpinLock::new(LockLevel::FrameAllocator, "pmm-high", ([const { 0..0 }; MAX_RANGES], 0));

/// How many known-zero frames [`free_zeroed_frame`] keeps (more go back to
/// the bitmap): enough for the tables of a few address spaces.
const ZEROED_MAX: usize = 64;

/// Free frames known to hold only zeros, taken first by
/// [`alloc_frame_zeroed`] and last by [`alloc_frame`]; they count as free.
struct ZeroedFrames {
    frames: [u64; ZEROED_MAX],
    len: usize,
}

impl ZeroedFrames {
    fn pop(&mut self) -> Option<u64> {
        self.len = self.len.checked_sub(1)?;
        Some(self.frames[self.len])
    }
    fn push(&mut self, pa: u64) -> bool {
        let Some(slot) = self.frames.get_mut(self.len) else { return false };
        *slot = pa;
        self.len += 1;
        true
    }
}

static ZEROED: IrqSpinLock<ZeroedFrames> =
    IrqSpinLock::new(LockLevel::FrameAllocator, "pmm-zeroed", ZeroedFrames { frames: [0; ZEROED_MAX], len: 0 });

/// Build the allocator from the boot memory map. `reserved` lists physical
/// ranges that must never be handed out (besides the first MiB).
pub fn init(boot: &BootInfo, reserved_in: &[Range<u64>]) {
    let mut plan_regions = [PlanRegion { base: 0, len: 0, kind: PlanKind::Other }; crate::bootinfo::MAX_REGIONS];
    let mut max_phys = 0;
    for (i, r) in boot.regions().iter().enumerate() {
        let kind = if r.kind == RegionKind::Available { PlanKind::Available } else { PlanKind::Other };
        plan_regions[i] = PlanRegion { base: r.base, len: r.len, kind };
        if r.kind == RegionKind::Available {
            max_phys = max_phys.max(r.base + r.len);
        }
    }
    let regions = &plan_regions[..boot.region_count];
    let nframes = (max_phys / PAGE_SIZE) as usize;

    let mut reserved = [const { 0..0 }; MAX_RESERVED];
    let mut nres = 0;
    for r in core::iter::once(0..0x10_0000).chain(reserved_in.iter().cloned()) {
        reserved[nres] = r;
        nres += 1;
    }

    // Metadata (bitmap + reference counts) goes in the first usable range
    // below 4 GiB that is big enough.
    let bitmap_bytes = FrameBitmap::words_for(nframes) * 8;
    let meta_bytes = (bitmap_bytes + nframes * 2).next_multiple_of(PAGE_SIZE as usize) as u64;
    let meta = framebitmap::usable_ranges(regions, &reserved[..nres])
        .find(|r| r.end <= FOUR_GIB && r.end - r.start >= meta_bytes)
        .map(|r| r.start..r.start + meta_bytes)
        .expect("no room for the frame bitmap");
    reserved[nres] = meta.clone();
    nres += 1;

    // SAFETY: `meta` is usable RAM below 4 GiB (mapped by the boot tables),
    // now reserved, so nothing else will ever use it; it lives forever.
    let storage = unsafe {
        core::slice::from_raw_parts_mut(phys_to_virt(meta.start) as *mut u64, bitmap_bytes / 8)
    };
    let refcounts = phys_to_virt(meta.start) + bitmap_bytes as u64;
    // SAFETY: as above; zeroed atomics are valid.
    unsafe { core::ptr::write_bytes(refcounts as *mut u16, 0, nframes) };
    REFCOUNTS.store(refcounts as usize, Ordering::Release);
    NFRAMES.store(nframes, Ordering::Release);

    let mut bitmap = FrameBitmap::new(storage, nframes);
    let mut high = ([const { 0..0 }; MAX_RANGES], 0);
    let mut total = 0;
    for r in framebitmap::usable_ranges(regions, &reserved[..nres]) {
        total += ((r.end - r.start) / PAGE_SIZE) as usize;
        let low_end = r.end.min(FOUR_GIB);
        if r.start < low_end {
            let first = (r.start / PAGE_SIZE) as usize;
            bitmap.mark_free(first, ((low_end - r.start) / PAGE_SIZE) as usize).expect("range in bitmap");
        }
        if r.end > FOUR_GIB && high.1 < MAX_RANGES {
            let idx = high.1;
            high.0[idx] = r.start.max(FOUR_GIB)..r.end;
            high.1 += 1;
        }
    }
    TOTAL_USABLE.store(total, Ordering::Relaxed);
    *HIGH.lock() = high;
    *PMM.lock() = Some(bitmap);
}

/// Hand out the frames above 4 GiB (after the direct map covers them).
pub fn release_high_memory() {
    let high = HIGH.lock().clone();
    let mut pmm = PMM.lock();
    let bitmap = pmm.as_mut().expect("pmm not initialised");
    for r in &high.0[..high.1] {
        let first = (r.start / PAGE_SIZE) as usize;
        bitmap.mark_free(first, ((r.end - r.start) / PAGE_SIZE) as usize).expect("range in bitmap");
    }
}

/// Allocate one frame (contents undefined). Returns its physical address.
pub fn alloc_frame() -> Result<u64, OutOfMemory> {
    if super::fault_inject::fail_frame() {
        return Err(OutOfMemory);
    }
    from_bitmap().or_else(|| ZEROED.lock().pop()).ok_or(OutOfMemory)
}

/// One frame from the bitmap (its physical address), if one is free.
fn from_bitmap() -> Option<u64> {
    PMM.lock().as_mut().and_then(|b| b.alloc()).map(|frame| frame as u64 * PAGE_SIZE)
}

/// Allocate one zeroed frame: a known-zero one if there is one, else a
/// frame from the bitmap, cleared.
pub fn alloc_frame_zeroed() -> Result<u64, OutOfMemory> {
    if super::fault_inject::fail_frame() {
        return Err(OutOfMemory);
    }
    if let Some(pa) = ZEROED.lock().pop() {
        debug_assert!(is_zero(pa), "frame {pa:#x} in the zeroed cache is not zero");
        return Ok(pa);
    }
    let pa = from_bitmap().ok_or(OutOfMemory)?;
    // SAFETY: the frame was just allocated, so nothing else uses it, and the
    // direct map covers it.
    unsafe { core::ptr::write_bytes(phys_to_virt(pa) as *mut u8, 0, PAGE_SIZE as usize) };
    Ok(pa)
}

/// Free a frame that holds only zeros (an emptied page table): kept for
/// the next [`alloc_frame_zeroed`], which then need not clear it.
pub fn free_zeroed_frame(pa: u64) {
    debug_assert!(is_zero(pa), "frame {pa:#x} freed as zeroed is not zero");
    if !ZEROED.lock().push(pa) {
        free_frame(pa);
    }
}

/// Whether the frame at `pa` holds only zeros (debug checks).
fn is_zero(pa: u64) -> bool {
    // SAFETY: the caller owns the frame (just taken from, or about to be
    // given to, the zeroed cache); the direct map covers it.
    let words = unsafe { core::slice::from_raw_parts(phys_to_virt(pa) as *const u64, (PAGE_SIZE / 8) as usize) };
    words.iter().all(|&w| w == 0)
}

/// Allocate `count` physically consecutive frames, the first a multiple of
/// `align_frames` (a power of two); contents undefined. Returns the first
/// frame's physical address.
pub fn alloc_contiguous(count: usize, align_frames: usize) -> Result<u64, OutOfMemory> {
    let mut pmm = PMM.lock();
    let bitmap = pmm.as_mut().ok_or(OutOfMemory)?;
    // One frame: the bitmap's search from its hint, not a scan from frame 0
    // (a large heap allocation of one page is the common case).
    let first = if count == 1 && align_frames <= 1 { bitmap.alloc() } else { bitmap.alloc_contiguous(count, align_frames) };
    let first = first.ok_or(OutOfMemory)?;
    Ok(first as u64 * PAGE_SIZE)
}

/// Return `count` frames from [`alloc_contiguous`] starting at `pa`.
/// Freeing a frame twice is a kernel bug and panics.
pub fn free_contiguous(pa: u64, count: usize) {
    let result = PMM.lock().as_mut().expect("pmm not initialised").free_contiguous((pa / PAGE_SIZE) as usize, count);
    if let Err(e) = result {
        panic!("free_contiguous({pa:#x}, {count}): {e:?}");
    }
}

/// Return a frame obtained from [`alloc_frame`]. Freeing a frame twice is a
/// kernel bug and panics.
pub fn free_frame(pa: u64) {
    let result = PMM.lock().as_mut().expect("pmm not initialised").free((pa / PAGE_SIZE) as usize);
    if let Err(e) = result {
        panic!("free_frame({pa:#x}): {e:?}");
    }
}

fn refcount(pa: u64) -> &'static AtomicU16 {
    let idx = (pa / PAGE_SIZE) as usize;
    assert!(idx < NFRAMES.load(Ordering::Relaxed), "frame {pa:#x} out of range");
    let base = REFCOUNTS.load(Ordering::Acquire) as *const AtomicU16;
    // SAFETY: `base` points at `NFRAMES` atomics initialised in `init`, and
    // `idx` is in range.
    unsafe { &*base.add(idx) }
}

/// Allocate a zeroed frame for user space, with reference count 1.
pub fn alloc_user_frame() -> Result<u64, OutOfMemory> {
    let pa = alloc_frame_zeroed()?;
    init_user_frame(pa);
    Ok(pa)
}

/// Make a freshly allocated frame a user frame with reference count 1.
pub fn init_user_frame(pa: u64) {
    refcount(pa).store(1, Ordering::Release);
}

/// Add a reference to a user frame (a copy-on-write share).
pub fn share(pa: u64) {
    let old = refcount(pa).fetch_add(1, Ordering::AcqRel);
    assert!(old > 0 && old < u16::MAX, "share of frame {pa:#x} with refcount {old}");
}

/// Current reference count of a user frame.
pub fn ref_count(pa: u64) -> u16 {
    refcount(pa).load(Ordering::Acquire)
}

/// Drop a reference to a user frame; frees it when it was the last.
pub fn release(pa: u64) {
    let old = refcount(pa).fetch_sub(1, Ordering::AcqRel);
    assert!(old > 0, "release of unreferenced frame {pa:#x}");
    if old == 1 {
        free_frame(pa);
    }
}

/// Free frames right now (the zeroed cache's included).
pub fn free_frames() -> usize {
    let bitmap = PMM.lock().as_ref().map_or(0, |b| b.free_count());
    bitmap + ZEROED.lock().len
}

/// Frames that were usable at boot (before the kernel took any).
pub fn total_usable_frames() -> usize {
    TOTAL_USABLE.load(Ordering::Relaxed)
}

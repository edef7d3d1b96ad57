//! Memory-management self-tests (ktest group `MM`): frame allocator,
//! paging, heap, and the kernel's own page permissions (W^X). They live in
//! the framework because they poke at its raw memory; `ktest` runs them.
//! Also the deliberate kernel fault that `ktest=CRASH` uses.

use crate::selftest::Test;
use crate::kassert;
use crate::linker_addr;
use crate::mm::{heap, kernel_space, layout::*, paging::PteFlags, pmm};
use alloc::string::String;
use alloc::vec::Vec;

pub const TESTS: &[Test] = &[
    ("pmm: allocate and free 100 frames", pmm_alloc_free),
    ("paging: map, translate, unmap 10 pages", paging_map_unmap),
    ("heap: buddy allocator alloc/free/coalesce", heap_alloc),
    ("heap: kmalloc returns zeroed memory", kmalloc_zeroed),
    ("protection: .text is not writable", text_not_writable),
    ("protection: data and stacks are not executable", data_not_executable),
    ("protection: user cannot reach kernel pages", kernel_not_user),
];

fn pmm_alloc_free() -> Result<(), String> {
    let before = pmm::free_frames();
    let mut frames = Vec::new();
    for _ in 0..100 {
        frames.push(pmm::alloc_frame_zeroed().map_err(|_| String::from("out of memory"))?);
    }
    kassert!(pmm::free_frames() == before - 100, "free count did not drop by 100");
    let mut sorted = frames.clone();
    sorted.sort();
    sorted.dedup();
    kassert!(sorted.len() == 100, "a frame was handed out twice");
    kassert!(frames.iter().all(|&f| f >= 0x10_0000 && f % PAGE_SIZE == 0), "frame in the first MiB or unaligned");
    for f in frames {
        pmm::free_frame(f);
    }
    kassert!(pmm::free_frames() == before, "free count not restored");
    crate::mm_info!("✓ PMM tests passed (allocated/freed 100 frames)");
    Ok(())
}

fn paging_map_unmap() -> Result<(), String> {
    let base = KSTACK_BASE - 0x100_0000; // an unused kernel-half window
    let mut frames = Vec::new();
    for i in 0..10u64 {
        let pa = pmm::alloc_frame_zeroed().map_err(|_| String::from("oom"))?;
        kernel_space::map_kernel_page(base + i * PAGE_SIZE, pa).map_err(|e| alloc::format!("{e:?}"))?;
        frames.push(pa);
    }
    for (i, &pa) in frames.iter().enumerate() {
        let va = base + i as u64 * PAGE_SIZE;
        let (got, flags) = kernel_space::translate(va + 8).ok_or("mapped page does not translate")?;
        kassert!(got == pa + 8, "translate({va:#x}) = {got:#x}, want {:#x}", pa + 8);
        kassert!(flags.contains(PteFlags::NO_EXECUTE), "kernel data page executable");
        // SAFETY: the page was just mapped to a frame we own.
        unsafe { core::ptr::write_volatile(va as *mut u64, 0xC0FFEE + i as u64) };
        // SAFETY: the direct map aliases the same frame.
        let seen = unsafe { core::ptr::read_volatile(phys_to_virt(pa) as *const u64) };
        kassert!(seen == 0xC0FFEE + i as u64, "write not visible through the direct map");
    }
    for (i, &pa) in frames.iter().enumerate() {
        let va = base + i as u64 * PAGE_SIZE;
        kassert!(kernel_space::unmap_kernel_page(va) == Some(pa), "unmap returned the wrong frame");
        crate::mm::tlb::flush_kernel_range(va, va + PAGE_SIZE);
        kassert!(kernel_space::translate(va).is_none(), "page still mapped after unmap");
        pmm::free_frame(pa);
    }
    crate::mm_info!("✓ Paging tests passed (mapped/unmapped 10 pages)");
    Ok(())
}

fn heap_alloc() -> Result<(), String> {
    let (free_before, total) = heap::stats();
    kassert!(total == HEAP_SIZE, "heap is {} bytes, want {}", total, HEAP_SIZE);
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for i in 0..64 {
        let size = 64 << (i % 10); // 64 B .. 32 KiB
        let mut v = Vec::with_capacity(size);
        v.resize(size, i as u8);
        blocks.push(v);
    }
    for (i, b) in blocks.iter().enumerate() {
        kassert!(b.iter().all(|&x| x == i as u8), "block {i} corrupted");
    }
    let mut big: Vec<u8> = Vec::new();
    big.try_reserve_exact(1 << 20).map_err(|_| "no 1 MiB block")?;
    big.resize(1 << 20, 7);
    kassert!(big[(1 << 20) - 1] == 7, "1 MiB block");
    drop(big);
    drop(blocks);
    kassert!(heap::stats().0 == free_before, "heap did not coalesce back ({} != {})", heap::stats().0, free_before);
    // Past the buddy's largest block, frames: 2 MiB, 4 KiB-aligned, freed
    // back to the frame allocator, the buddy heap untouched.
    let frames_before = crate::mm::pmm::free_frames();
    let mut huge: Vec<u8> = Vec::new();
    huge.try_reserve_exact(2 << 20).map_err(|_| "no 2 MiB buffer from frames")?;
    huge.resize(2 << 20, 9);
    kassert!((huge.as_ptr() as usize).is_multiple_of(PAGE_SIZE as usize) && huge[(2 << 20) - 1] == 9, "2 MiB buffer");
    kassert!(crate::mm::pmm::free_frames() == frames_before - 512, "2 MiB did not take 512 frames");
    kassert!(heap::stats().0 == free_before, "a large buffer came from the buddy heap");
    drop(huge);
    kassert!(crate::mm::pmm::free_frames() == frames_before, "2 MiB buffer's frames not freed");
    crate::mm_info!("✓ Allocator tests passed (buddy system working)");
    Ok(())
}

fn kmalloc_zeroed() -> Result<(), String> {
    for size in [1usize, 64, 1000, 4096, 100_000] {
        let p = heap::kmalloc(size);
        kassert!(!p.is_null(), "kmalloc({size}) failed");
        // SAFETY: kmalloc returned `size` bytes.
        let s = unsafe { core::slice::from_raw_parts_mut(p, size) };
        kassert!(s.iter().all(|&b| b == 0), "kmalloc({size}) not zeroed");
        s.fill(0xAB);
        // SAFETY: allocated above with the same size.
        unsafe { heap::kfree(p, size) };
    }
    Ok(())
}

fn text_not_writable() -> Result<(), String> {
    let text = linker_addr!(__text_start);
    let (_, flags) = kernel_space::translate(text).ok_or("text unmapped")?;
    kassert!(!flags.contains(PteFlags::WRITABLE), ".text is writable");
    kassert!(!flags.contains(PteFlags::NO_EXECUTE), ".text is not executable");
    let ro = linker_addr!(__rodata_start);
    let (_, flags) = kernel_space::translate(ro).ok_or("rodata unmapped")?;
    kassert!(!flags.contains(PteFlags::WRITABLE) && flags.contains(PteFlags::NO_EXECUTE), ".rodata must be R+NX");
    Ok(())
}

fn data_not_executable() -> Result<(), String> {
    let probes = [
        ("data", linker_addr!(__data_start)),
        ("bss", linker_addr!(__data_end) - 8),
        ("direct map", phys_to_virt(0x10_0000)),
        ("heap", HEAP_BASE),
        ("stack", crate::sched::with_current(|t| t.kernel_stack_top()) - 8),
    ];
    for (what, va) in probes {
        let (_, flags) = kernel_space::translate(va).ok_or(alloc::format!("{what} unmapped"))?;
        kassert!(flags.contains(PteFlags::NO_EXECUTE), "{what} is executable");
        kassert!(flags.contains(PteFlags::WRITABLE), "{what} is not writable");
    }
    Ok(())
}

fn kernel_not_user() -> Result<(), String> {
    for va in [linker_addr!(__text_start), HEAP_BASE, phys_to_virt(0x10_0000)] {
        let (_, flags) = kernel_space::translate(va).ok_or("unmapped")?;
        kassert!(!flags.contains(PteFlags::USER), "kernel page {va:#x} is user-accessible at the leaf");
    }
    // The top-level entries of the kernel half must deny user access.
    // SAFETY: reading the kernel PML4.
    let pml4 = unsafe { crate::mm::paging::table_at(kernel_space::kernel_pml4()) };
    kassert!(pml4[KERNEL_PML4_FIRST..].iter().all(|e| !e.flags().contains(PteFlags::USER)), "kernel PML4 entry with USER");
    Ok(())
}

/// Write to a kernel-half address that nothing maps: the kernel must
/// report a page fault and stop (`ktest=CRASH`).
#[inline(never)]
pub fn write_unmapped_kernel_address() {
    // An address in the kernel half that nothing maps (below the stacks).
    let bad = KSTACK_BASE - 0x20_0000;
    crate::klog!("KTEST", "writing to {:#x}: the kernel must report a page fault and stop", bad);
    // SAFETY: deliberately unsound: this write must fault, and the fault
    // handler panics before anything runs on.
    unsafe { core::ptr::write_volatile(bad as *mut u64, 0xDEAD) };
}

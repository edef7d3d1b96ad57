//! Linear framebuffer driver: the 32-bpp RGB framebuffer GRUB sets up.
//!
//! [`Framebuffer`] is the one safe handle to the framebuffer memory. It
//! maps the memory once (uncached, through `mm::kernel_space::map_mmio`)
//! and then offers clipped drawing: [`Framebuffer::put_pixel`],
//! [`Framebuffer::fill_rect`], [`Framebuffer::draw_glyph`] (an 8×8 glyph
//! from `font`, optionally scaled) and [`Framebuffer::move_up`] (a bulk
//! copy used for scrolling).
//!
//! Invariants (checked in [`Framebuffer::new`]): `base` is the virtual
//! address of pixel (0, 0); `base .. base + pitch * height` is mapped and
//! belongs to this handle alone (at most one handle is ever created);
//! `pitch` is a multiple of 4 and at least `4 * width`. Every access goes
//! through [`Framebuffer::row`], which bounds-checks the scanline, so all
//! other code is safe Rust. The handle has no lock of its own: `&mut self`
//! gives exclusive access and the owner (the console) keeps it under its
//! lock.
//!
//! Pixels are `0x00RRGGBB`, the layout of 32-bpp modes under both SeaBIOS
//! (Bochs VBE) and OVMF (GOP `PixelBlueGreenRedReserved8BitPerColor`).
//!
//! The mapping is uncached, not write-combining: WC needs a PAT entry
//! programmed identically on every CPU (AP bring-up included), and QEMU's
//! TCG ignores memory types anyway, so it would not change what we measure.

use crate::bootinfo;
use crate::font::{Glyph, WIDTH as GLYPH_W};
use core::sync::atomic::{AtomicBool, Ordering};

/// Set once a handle exists (there may be only one).
static CLAIMED: AtomicBool = AtomicBool::new(false);

/// Exclusive handle to the linear framebuffer.
pub struct Framebuffer {
    base: *mut u8,
    pitch: usize,
    width: usize,
    height: usize,
}

// SAFETY: the handle owns its memory range exclusively (see the invariants);
// moving it to another CPU moves that ownership with it.
unsafe impl Send for Framebuffer {}

impl Framebuffer {
    /// Map the framebuffer GRUB described and return the only handle to it,
    /// or `None` if it is not a usable 32-bpp framebuffer or a handle
    /// already exists.
    pub fn new(info: &bootinfo::Framebuffer) -> Option<Framebuffer> {
        let (pitch, width, height) = (info.pitch as usize, info.width as usize, info.height as usize);
        let usable = info.bpp == 32
            && info.phys != 0
            && width > 0
            && height > 0
            && pitch % 4 == 0
            && pitch >= width * 4
            && pitch * height <= 256 << 20;
        if !usable || CLAIMED.swap(true, Ordering::AcqRel) {
            return None;
        }
        let size = (pitch * height) as u64;
        let base = crate::mm::kernel_space::map_mmio(info.phys, size) as *mut u8;
        Some(Framebuffer { base, pitch, width, height })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// The visible pixels of scanline `y`.
    fn row(&mut self, y: usize) -> &mut [u32] {
        assert!(y < self.height, "framebuffer row {y} out of range");
        // SAFETY: y < height, so the row lies inside the mapped range that this
        // handle owns; `pitch` is a multiple of 4 and `base` is page aligned, so
        // the row is u32-aligned; `width * 4 <= pitch` keeps it inside the
        // scanline; `&mut self` makes the borrow exclusive.
        unsafe { core::slice::from_raw_parts_mut(self.base.add(y * self.pitch) as *mut u32, self.width) }
    }

    /// Set one pixel (ignored if outside the screen).
    #[allow(dead_code)] // part of the driver's API; the console draws glyphs and rectangles
    pub fn put_pixel(&mut self, x: usize, y: usize, color: u32) {
        if x < self.width && y < self.height {
            self.row(y)[x] = color;
        }
    }

    /// Fill a rectangle, clipped to the screen.
    pub fn fill_rect(&mut self, x: usize, y: usize, w: usize, h: usize, color: u32) {
        let x_end = x.saturating_add(w).min(self.width);
        let y_end = y.saturating_add(h).min(self.height);
        if x >= x_end {
            return;
        }
        for yy in y..y_end {
            self.row(yy)[x..x_end].fill(color);
        }
    }

    /// Draw `glyph` with its top-left corner at (`x`, `y`), each font pixel
    /// as a `scale`×`scale` square, foreground `fg` on background `bg`.
    /// Clipped to the screen.
    pub fn draw_glyph(&mut self, x: usize, y: usize, glyph: &Glyph, scale: usize, fg: u32, bg: u32) {
        let scale = scale.max(1);
        if x >= self.width {
            return;
        }
        let w = (GLYPH_W * scale).min(self.width - x);
        for (gy, &bits) in glyph.iter().enumerate() {
            for dy in 0..scale {
                let yy = y + gy * scale + dy;
                if yy >= self.height {
                    return;
                }
                let dst = &mut self.row(yy)[x..x + w];
                if scale == 1 {
                    for (px, d) in dst.iter_mut().enumerate() {
                        *d = if bits & (1 << px) != 0 { fg } else { bg };
                    }
                } else {
                    for (px, d) in dst.iter_mut().enumerate() {
                        *d = if bits & (1 << (px / scale)) != 0 { fg } else { bg };
                    }
                }
            }
        }
    }

    /// Move the pixel rows `[top + dy, bottom)` up by `dy` rows to
    /// `[top, bottom - dy)` with one bulk copy (whole scanlines, so the
    /// copy is contiguous). The `dy` rows at the bottom keep their old
    /// contents: the caller redraws them.
    pub fn move_up(&mut self, top: usize, bottom: usize, dy: usize) {
        let bottom = bottom.min(self.height);
        if dy == 0 || top.saturating_add(dy) >= bottom {
            return;
        }
        let len = (bottom - top - dy) * self.pitch;
        // SAFETY: source rows [top+dy, bottom) and destination rows
        // [top, bottom-dy) lie inside the owned range since bottom <= height;
        // `ptr::copy` allows the overlap; `&mut self` is exclusive.
        unsafe {
            let dst = self.base.add(top * self.pitch);
            let src = self.base.add((top + dy) * self.pitch);
            core::ptr::copy(src, dst, len);
        }
    }
}

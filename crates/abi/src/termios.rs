//! The Linux x86-64 terminal ABI: `struct termios` as `TCGETS`/`TCSETS`
//! copy it, `struct winsize`, the flag bits, the `c_cc` indices, the tty
//! ioctl numbers, and the termios a new tty starts with.
//!
//! Every value is Linux's: x86-64 uses the generic headers
//! (`include/uapi/asm-generic/termbits-common.h`, `termbits.h`, `ioctls.h`);
//! the default termios is `tty_std_termios` from `drivers/tty/tty_io.c` with
//! `INIT_C_CC` from `include/linux/termios_internal.h`.
//!
//! Invariants: [`Termios`] is `#[repr(C)]` and exactly 36 bytes (four `u32`
//! flag words, `c_line`, then `c_cc[NCCS]` with `NCCS = 19`, no padding);
//! [`WinSize`] is 8 bytes. `to_bytes`/`from_bytes` give the little-endian
//! user-memory image, so callers need no `unsafe` to copy them.

/// Number of control characters in the kernel's `struct termios`.
pub const NCCS: usize = 19;

/// Linux's `struct termios` (the kernel one, used by `TCGETS`/`TCSETS`;
/// glibc's user-space struct is larger and is translated by libc).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Termios {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; NCCS],
}

/// Size of `struct termios` in user memory.
pub const TERMIOS_SIZE: usize = 36;

/// Linux's `struct winsize` (`TIOCGWINSZ`/`TIOCSWINSZ`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct WinSize {
    pub ws_row: u16,
    pub ws_col: u16,
    pub ws_xpixel: u16,
    pub ws_ypixel: u16,
}

/// Size of `struct winsize` in user memory.
pub const WINSIZE_SIZE: usize = 8;

// c_iflag bits
pub const IGNBRK: u32 = 0x001;
pub const BRKINT: u32 = 0x002;
pub const IGNPAR: u32 = 0x004;
pub const PARMRK: u32 = 0x008;
pub const INPCK: u32 = 0x010;
pub const ISTRIP: u32 = 0x020;
pub const INLCR: u32 = 0x040;
pub const IGNCR: u32 = 0x080;
pub const ICRNL: u32 = 0x100;
pub const IUCLC: u32 = 0x200;
pub const IXON: u32 = 0x400;
pub const IXANY: u32 = 0x800;
pub const IXOFF: u32 = 0x1000;
pub const IMAXBEL: u32 = 0x2000;
pub const IUTF8: u32 = 0x4000;

// c_oflag bits
pub const OPOST: u32 = 0x01;
pub const OLCUC: u32 = 0x02;
pub const ONLCR: u32 = 0x04;
pub const OCRNL: u32 = 0x08;
pub const ONOCR: u32 = 0x10;
pub const ONLRET: u32 = 0x20;
pub const OFILL: u32 = 0x40;
pub const OFDEL: u32 = 0x80;
pub const NLDLY: u32 = 0x100;
pub const NL0: u32 = 0x000;
pub const NL1: u32 = 0x100;
pub const CRDLY: u32 = 0x600;
pub const CR0: u32 = 0x000;
pub const CR1: u32 = 0x200;
pub const CR2: u32 = 0x400;
pub const CR3: u32 = 0x600;
pub const TABDLY: u32 = 0x1800;
pub const TAB0: u32 = 0x0000;
pub const TAB1: u32 = 0x0800;
pub const TAB2: u32 = 0x1000;
pub const TAB3: u32 = 0x1800;
/// Expand tabs to spaces on output (same value as `TAB3`).
pub const XTABS: u32 = 0x1800;
pub const BSDLY: u32 = 0x2000;
pub const BS0: u32 = 0x0000;
pub const BS1: u32 = 0x2000;
pub const VTDLY: u32 = 0x4000;
pub const VT0: u32 = 0x0000;
pub const VT1: u32 = 0x4000;
pub const FFDLY: u32 = 0x8000;
pub const FF0: u32 = 0x0000;
pub const FF1: u32 = 0x8000;

// c_cflag bits
pub const CBAUD: u32 = 0x0000_100f;
pub const B0: u32 = 0x0;
pub const B50: u32 = 0x1;
pub const B75: u32 = 0x2;
pub const B110: u32 = 0x3;
pub const B134: u32 = 0x4;
pub const B150: u32 = 0x5;
pub const B200: u32 = 0x6;
pub const B300: u32 = 0x7;
pub const B600: u32 = 0x8;
pub const B1200: u32 = 0x9;
pub const B1800: u32 = 0xa;
pub const B2400: u32 = 0xb;
pub const B4800: u32 = 0xc;
pub const B9600: u32 = 0xd;
pub const B19200: u32 = 0xe;
pub const B38400: u32 = 0xf;
pub const EXTA: u32 = B19200;
pub const EXTB: u32 = B38400;
pub const CSIZE: u32 = 0x30;
pub const CS5: u32 = 0x00;
pub const CS6: u32 = 0x10;
pub const CS7: u32 = 0x20;
pub const CS8: u32 = 0x30;
pub const CSTOPB: u32 = 0x40;
pub const CREAD: u32 = 0x80;
pub const PARENB: u32 = 0x100;
pub const PARODD: u32 = 0x200;
pub const HUPCL: u32 = 0x400;
pub const CLOCAL: u32 = 0x800;
pub const CBAUDEX: u32 = 0x1000;
pub const BOTHER: u32 = 0x1000;
pub const B57600: u32 = 0x1001;
pub const B115200: u32 = 0x1002;
pub const B230400: u32 = 0x1003;
pub const B460800: u32 = 0x1004;
pub const B500000: u32 = 0x1005;
pub const B576000: u32 = 0x1006;
pub const B921600: u32 = 0x1007;
pub const B1000000: u32 = 0x1008;
pub const B1152000: u32 = 0x1009;
pub const B1500000: u32 = 0x100a;
pub const B2000000: u32 = 0x100b;
pub const B2500000: u32 = 0x100c;
pub const B3000000: u32 = 0x100d;
pub const B3500000: u32 = 0x100e;
pub const B4000000: u32 = 0x100f;
/// Input baud rate (the `CBAUD` bits shifted by `IBSHIFT`).
pub const CIBAUD: u32 = 0x100f_0000;
pub const IBSHIFT: u32 = 16;
pub const ADDRB: u32 = 0x2000_0000;
pub const CMSPAR: u32 = 0x4000_0000;
pub const CRTSCTS: u32 = 0x8000_0000;

// c_lflag bits
pub const ISIG: u32 = 0x00001;
pub const ICANON: u32 = 0x00002;
pub const XCASE: u32 = 0x00004;
pub const ECHO: u32 = 0x00008;
pub const ECHOE: u32 = 0x00010;
pub const ECHOK: u32 = 0x00020;
pub const ECHONL: u32 = 0x00040;
pub const NOFLSH: u32 = 0x00080;
pub const TOSTOP: u32 = 0x00100;
pub const ECHOCTL: u32 = 0x00200;
pub const ECHOPRT: u32 = 0x00400;
pub const ECHOKE: u32 = 0x00800;
pub const FLUSHO: u32 = 0x01000;
pub const PENDIN: u32 = 0x04000;
pub const IEXTEN: u32 = 0x08000;
pub const EXTPROC: u32 = 0x10000;

// c_cc indices
pub const VINTR: usize = 0;
pub const VQUIT: usize = 1;
pub const VERASE: usize = 2;
pub const VKILL: usize = 3;
pub const VEOF: usize = 4;
pub const VTIME: usize = 5;
pub const VMIN: usize = 6;
pub const VSWTC: usize = 7;
pub const VSTART: usize = 8;
pub const VSTOP: usize = 9;
pub const VSUSP: usize = 10;
pub const VEOL: usize = 11;
pub const VREPRINT: usize = 12;
pub const VDISCARD: usize = 13;
pub const VWERASE: usize = 14;
pub const VLNEXT: usize = 15;
pub const VEOL2: usize = 16;

/// A `c_cc` entry with this value disables that special character
/// (Linux's `__DISABLED_CHAR`, POSIX `_POSIX_VDISABLE`).
pub const VDISABLE: u8 = 0;

// tcsetattr actions
pub const TCSANOW: u32 = 0;
pub const TCSADRAIN: u32 = 1;
pub const TCSAFLUSH: u32 = 2;
// tcflow actions (TCXONC)
pub const TCOOFF: u32 = 0;
pub const TCOON: u32 = 1;
pub const TCIOFF: u32 = 2;
pub const TCION: u32 = 3;
// tcflush queue selectors (TCFLSH)
pub const TCIFLUSH: u32 = 0;
pub const TCOFLUSH: u32 = 1;
pub const TCIOFLUSH: u32 = 2;

/// The N_TTY line discipline number (`c_line`).
pub const N_TTY: u8 = 0;

/// tty ioctl request numbers (`asm-generic/ioctls.h`, used by x86-64).
pub mod ioctl {
    pub const TCGETS: u32 = 0x5401;
    pub const TCSETS: u32 = 0x5402;
    pub const TCSETSW: u32 = 0x5403;
    pub const TCSETSF: u32 = 0x5404;
    pub const TCGETA: u32 = 0x5405;
    pub const TCSETA: u32 = 0x5406;
    pub const TCSETAW: u32 = 0x5407;
    pub const TCSETAF: u32 = 0x5408;
    pub const TCSBRK: u32 = 0x5409;
    pub const TCXONC: u32 = 0x540A;
    pub const TCFLSH: u32 = 0x540B;
    pub const TIOCEXCL: u32 = 0x540C;
    pub const TIOCNXCL: u32 = 0x540D;
    pub const TIOCSCTTY: u32 = 0x540E;
    pub const TIOCGPGRP: u32 = 0x540F;
    pub const TIOCSPGRP: u32 = 0x5410;
    pub const TIOCOUTQ: u32 = 0x5411;
    pub const TIOCSTI: u32 = 0x5412;
    pub const TIOCGWINSZ: u32 = 0x5413;
    pub const TIOCSWINSZ: u32 = 0x5414;
    pub const TIOCMGET: u32 = 0x5415;
    pub const TIOCMBIS: u32 = 0x5416;
    pub const TIOCMBIC: u32 = 0x5417;
    pub const TIOCMSET: u32 = 0x5418;
    pub const TIOCGSOFTCAR: u32 = 0x5419;
    pub const TIOCSSOFTCAR: u32 = 0x541A;
    pub const FIONREAD: u32 = 0x541B;
    pub const TIOCINQ: u32 = FIONREAD;
    pub const TIOCLINUX: u32 = 0x541C;
    pub const TIOCCONS: u32 = 0x541D;
    pub const TIOCGSERIAL: u32 = 0x541E;
    pub const TIOCSSERIAL: u32 = 0x541F;
    pub const TIOCPKT: u32 = 0x5420;
    pub const FIONBIO: u32 = 0x5421;
    pub const TIOCNOTTY: u32 = 0x5422;
    pub const TIOCSETD: u32 = 0x5423;
    pub const TIOCGETD: u32 = 0x5424;
    pub const TCSBRKP: u32 = 0x5425;
    pub const TIOCSBRK: u32 = 0x5427;
    pub const TIOCCBRK: u32 = 0x5428;
    pub const TIOCGSID: u32 = 0x5429;
    /// `_IOR('T', 0x32, unsigned int)`.
    pub const TIOCGDEV: u32 = 0x8004_5432;
    pub const TIOCVHANGUP: u32 = 0x5437;
    pub const FIONCLEX: u32 = 0x5450;
    pub const FIOCLEX: u32 = 0x5451;
    pub const FIOASYNC: u32 = 0x5452;
}

/// Linux's `INIT_C_CC`: `^C ^\ DEL ^U ^D` (VINTR..VEOF), `VTIME 0`,
/// `VMIN 1`, `VSWTC 0`, `^Q ^S ^Z` (VSTART, VSTOP, VSUSP), `VEOL 0`,
/// `^R ^O ^W ^V` (VREPRINT..VLNEXT), `VEOL2 0`, and the two spare slots 0.
pub const INIT_C_CC: [u8; NCCS] = [
    0x03, 0x1c, 0x7f, 0x15, 0x04, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0, 0, 0,
];

/// The termios of a newly opened tty (Linux's `tty_std_termios`).
pub const TTY_STD_TERMIOS: Termios = Termios {
    c_iflag: ICRNL | IXON,
    c_oflag: OPOST | ONLCR,
    c_cflag: B38400 | CS8 | CREAD | HUPCL,
    c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
    c_line: N_TTY,
    c_cc: INIT_C_CC,
};

/// The termios of Linux's serial console (`console=ttyS0`: 9600 baud,
/// 8N1, no modem control), which MelloOS's console terminal starts with.
pub const SERIAL_CONSOLE_TERMIOS: Termios =
    Termios { c_cflag: B9600 | CS8 | CREAD | HUPCL | CLOCAL, ..TTY_STD_TERMIOS };

impl Termios {
    /// All flags clear and every control character 0 (disabled).
    pub const ZERO: Termios =
        Termios { c_iflag: 0, c_oflag: 0, c_cflag: 0, c_lflag: 0, c_line: 0, c_cc: [0; NCCS] };

    /// The little-endian image `TCGETS` copies to user memory.
    pub fn to_bytes(&self) -> [u8; TERMIOS_SIZE] {
        let mut b = [0u8; TERMIOS_SIZE];
        b[0..4].copy_from_slice(&self.c_iflag.to_le_bytes());
        b[4..8].copy_from_slice(&self.c_oflag.to_le_bytes());
        b[8..12].copy_from_slice(&self.c_cflag.to_le_bytes());
        b[12..16].copy_from_slice(&self.c_lflag.to_le_bytes());
        b[16] = self.c_line;
        b[17..].copy_from_slice(&self.c_cc);
        b
    }

    /// Decode the image `TCSETS` reads from user memory.
    pub fn from_bytes(b: &[u8; TERMIOS_SIZE]) -> Termios {
        let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut c_cc = [0u8; NCCS];
        c_cc.copy_from_slice(&b[17..]);
        Termios { c_iflag: word(0), c_oflag: word(4), c_cflag: word(8), c_lflag: word(12), c_line: b[16], c_cc }
    }
}

impl WinSize {
    /// The little-endian image `TIOCGWINSZ` copies to user memory.
    pub fn to_bytes(&self) -> [u8; WINSIZE_SIZE] {
        let mut b = [0u8; WINSIZE_SIZE];
        for (i, v) in [self.ws_row, self.ws_col, self.ws_xpixel, self.ws_ypixel].into_iter().enumerate() {
            b[2 * i..2 * i + 2].copy_from_slice(&v.to_le_bytes());
        }
        b
    }

    /// Decode the image `TIOCSWINSZ` reads from user memory.
    pub fn from_bytes(b: &[u8; WINSIZE_SIZE]) -> WinSize {
        let h = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        WinSize { ws_row: h(0), ws_col: h(2), ws_xpixel: h(4), ws_ypixel: h(6) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, size_of};

    #[test]
    fn layout_matches_linux() {
        assert_eq!(size_of::<Termios>(), TERMIOS_SIZE);
        assert_eq!(size_of::<Termios>(), 36);
        assert_eq!(align_of::<Termios>(), 4);
        assert_eq!(size_of::<WinSize>(), WINSIZE_SIZE);
        assert_eq!(core::mem::offset_of!(Termios, c_line), 16);
        assert_eq!(core::mem::offset_of!(Termios, c_cc), 17);
    }

    #[test]
    fn std_termios_values() {
        let t = TTY_STD_TERMIOS;
        assert_eq!(t.c_iflag, 0o2400);
        assert_eq!(t.c_oflag, 0o5);
        assert_eq!(t.c_cflag, 0o2277);
        assert_eq!(t.c_lflag, 0o105073);
        assert_eq!(&t.c_cc[..17], b"\x03\x1c\x7f\x15\x04\x00\x01\x00\x11\x13\x1a\x00\x12\x0f\x17\x16\x00");
        assert_eq!(t.c_cc[VMIN], 1);
        assert_eq!(t.c_cc[VTIME], 0);
    }

    #[test]
    fn byte_images_round_trip() {
        let t = TTY_STD_TERMIOS;
        let b = t.to_bytes();
        assert_eq!(&b[0..4], &[0x00, 0x05, 0, 0]);
        assert_eq!(b[17], 0x03);
        assert_eq!(Termios::from_bytes(&b), t);
        let w = WinSize { ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 };
        assert_eq!(w.to_bytes(), [24, 0, 80, 0, 0, 0, 0, 0]);
        assert_eq!(WinSize::from_bytes(&w.to_bytes()), w);
    }

    #[test]
    fn ioctl_numbers() {
        assert_eq!(ioctl::TCGETS, 0x5401);
        assert_eq!(ioctl::TCSETSF, 0x5404);
        assert_eq!(ioctl::TIOCGWINSZ, 0x5413);
        assert_eq!(ioctl::FIONREAD, 0x541B);
        assert_eq!(ioctl::TIOCGSID, 0x5429);
    }
}

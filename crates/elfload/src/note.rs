//! ELF notes and the executable's *brand*: which system-call personality
//! it asks for.
//!
//! The rule (README, "Personalities"), first match wins:
//! 1. a MelloOS note (name [`MELLOS_NOTE_NAME`], type [`NT_MELLOS_ABI`],
//!    emitted into every native program by `libmello`) → [`Brand::Native`];
//! 2. `EI_OSABI` = `ELFOSABI_LINUX` (3), or a GNU `.note.ABI-tag`
//!    (name `"GNU"`, type `NT_GNU_ABI_TAG`, OS word 0 = Linux) →
//!    [`Brand::Linux`];
//! 3. otherwise no brand (`None`): the kernel keeps the personality of the
//!    process calling exec (for PID 1, the command line's `abi=`).
//!
//! Notes are read from the `PT_NOTE` segments (what the loader sees; section
//! headers may be stripped). A note segment that is out of the file or
//! malformed brands nothing (its remaining notes are skipped): a note never
//! makes an otherwise valid image fail to load, as in Linux, which ignores
//! notes it does not understand.

/// Name of the MelloOS note (`namesz` 8 with its NUL).
pub const MELLOS_NOTE_NAME: &[u8] = b"MelloOS";
/// Type of the MelloOS note; its descriptor is one little-endian `u32`,
/// the native ABI version ([`MELLOS_ABI_VERSION`]).
pub const NT_MELLOS_ABI: u32 = 1;
/// The native ABI version libmello writes into its note.
pub const MELLOS_ABI_VERSION: u32 = 1;
/// Type of the GNU ABI tag note (`.note.ABI-tag`).
pub const NT_GNU_ABI_TAG: u32 = 1;
/// OS word of a GNU ABI tag that means Linux.
pub const GNU_ABI_TAG_LINUX: u32 = 0;
/// `EI_OSABI` of GNU/Linux executables.
pub const ELFOSABI_LINUX: u8 = 3;

/// The personality an executable asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Brand {
    /// A MelloOS program (the native ABI).
    Native,
    /// A Linux x86-64 program.
    Linux,
}

/// One note: its name (without the NUL), type and descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note<'a> {
    pub name: &'a [u8],
    pub kind: u32,
    pub desc: &'a [u8],
}

/// The notes of one `PT_NOTE` segment's bytes. `align` is the segment's
/// `p_align`: 8 means 8-byte padding (`NT_GNU_PROPERTY_TYPE_0` notes), any
/// other value the usual 4. Iteration stops at the first malformed note.
pub fn notes(bytes: &[u8], align: u64) -> Notes<'_> {
    Notes { bytes, pad: if align == 8 { 8 } else { 4 } }
}

/// Iterator returned by [`notes`].
pub struct Notes<'a> {
    bytes: &'a [u8],
    pad: usize,
}

impl<'a> Iterator for Notes<'a> {
    type Item = Note<'a>;

    fn next(&mut self) -> Option<Note<'a>> {
        let word = |at: usize| crate::header::read_u32(self.bytes, at).map(|v| v as usize);
        let (namesz, descsz, kind) = (word(0)?, word(4)?, word(8)? as u32);
        let name_end = 12usize.checked_add(namesz)?;
        let desc_at = name_end.checked_next_multiple_of(self.pad)?;
        let desc_end = desc_at.checked_add(descsz)?;
        let next = desc_end.checked_next_multiple_of(self.pad)?.min(self.bytes.len());
        let name = self.bytes.get(12..name_end)?;
        let desc = self.bytes.get(desc_at..desc_end)?;
        // The name is NUL-terminated (namesz counts the NUL); tolerate a
        // missing one, as readelf does.
        let name = name.strip_suffix(&[0]).unwrap_or(name);
        self.bytes = &self.bytes[next..];
        Some(Note { name, kind, desc })
    }
}

/// The brand a note gives, if any.
fn note_brand(note: &Note) -> Option<Brand> {
    match (note.name, note.kind) {
        (MELLOS_NOTE_NAME, NT_MELLOS_ABI) => Some(Brand::Native),
        (b"GNU", NT_GNU_ABI_TAG) => {
            let os = crate::header::read_u32(note.desc, 0)?;
            (os == GNU_ABI_TAG_LINUX).then_some(Brand::Linux)
        }
        _ => None,
    }
}

/// The brand of an image from its `EI_OSABI` byte and its note segments'
/// bytes with their `p_align` (see the module doc for the rule).
pub(crate) fn brand<'a>(osabi: u8, segments: impl Iterator<Item = (&'a [u8], u64)>) -> Option<Brand> {
    let mut linux = osabi == ELFOSABI_LINUX;
    for (bytes, align) in segments {
        for note in notes(bytes, align) {
            match note_brand(&note) {
                Some(Brand::Native) => return Some(Brand::Native),
                Some(Brand::Linux) => linux = true,
                None => {}
            }
        }
    }
    linux.then_some(Brand::Linux)
}

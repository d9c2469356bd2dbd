//! Where the ELF part of an AppImage ends, i.e. where its squashfs payload begins.
//!
//! Why this way: an AppImage (type 2) is an ELF executable with a filesystem image appended,
//! and the one place that says where the executable ends is its own header. Every AppImage
//! tool (the reference runtime, appimagetool, libappimage) computes the offset like this:
//! the end of the section header table or of the last section, whichever is later.

/// Why an image's header could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ElfError {
    #[error("not an ELF file")]
    NotElf,
    #[error("only 64-bit little-endian ELF files are supported")]
    Unsupported,
    #[error("the ELF header is truncated or inconsistent")]
    Truncated,
}

/// The AppImage type 2 magic, at offset 8 of the ELF header (`e_ident[EI_ABIVERSION..]`).
pub const APPIMAGE_MAGIC: [u8; 3] = *b"AI\x02";

/// The size of the ELF part of a file, from its ELF header and its last section header (the
/// section headers sit at the end of the runtime, so the caller reads that one separately:
/// see [`SectionTable::last_entry_offset`]).
pub fn elf_end(header: &[u8], last_section_header: &[u8]) -> Result<u64, ElfError> {
    let table = section_table(header)?;
    if last_section_header.len() < usize::from(table.entry_size) || table.count == 0 {
        return Err(ElfError::Truncated);
    }
    let sh_offset = read_u64(last_section_header, 0x18)?;
    let sh_size = read_u64(last_section_header, 0x20)?;
    let table_end = table
        .offset
        .checked_add(u64::from(table.entry_size) * u64::from(table.count))
        .ok_or(ElfError::Truncated)?;
    let last_end = sh_offset.checked_add(sh_size).ok_or(ElfError::Truncated)?;
    Ok(table_end.max(last_end))
}

/// Where the section header table is, from the ELF header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionTable {
    pub offset: u64,
    pub entry_size: u16,
    pub count: u16,
}

impl SectionTable {
    /// The file offset of the last section header (the one `elf_end` needs).
    pub fn last_entry_offset(&self) -> Result<u64, ElfError> {
        let before_last = u64::from(self.entry_size) * u64::from(self.count.saturating_sub(1));
        self.offset
            .checked_add(before_last)
            .ok_or(ElfError::Truncated)
    }
}

/// Reads the section header table's position from an ELF header.
pub fn section_table(header: &[u8]) -> Result<SectionTable, ElfError> {
    if header.len() < 4 || header[..4] != *b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    if header.len() < 0x40 {
        return Err(ElfError::Truncated);
    }
    // EI_CLASS 2 = 64-bit, EI_DATA 1 = little-endian.
    if header[4] != 2 || header[5] != 1 {
        return Err(ElfError::Unsupported);
    }
    let entry_size = read_u16(header, 0x3a)?;
    if entry_size < 0x40 {
        return Err(ElfError::Truncated);
    }
    Ok(SectionTable {
        offset: read_u64(header, 0x28)?,
        entry_size,
        count: read_u16(header, 0x3c)?,
    })
}

/// Whether the header carries the AppImage type 2 magic.
pub fn has_appimage_magic(header: &[u8]) -> bool {
    header.get(8..11) == Some(&APPIMAGE_MAGIC[..])
}

fn read_u16(b: &[u8], at: usize) -> Result<u16, ElfError> {
    b.get(at..at + 2)
        .and_then(|s| s.try_into().ok())
        .map(u16::from_le_bytes)
        .ok_or(ElfError::Truncated)
}

fn read_u64(b: &[u8], at: usize) -> Result<u64, ElfError> {
    b.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or(ElfError::Truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(shoff: u64, shentsize: u16, shnum: u16) -> Vec<u8> {
        let mut h = vec![0u8; 0x40];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = 2;
        h[5] = 1;
        h[8..11].copy_from_slice(&APPIMAGE_MAGIC);
        h[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
        h[0x3a..0x3c].copy_from_slice(&shentsize.to_le_bytes());
        h[0x3c..0x3e].copy_from_slice(&shnum.to_le_bytes());
        h
    }

    fn section(offset: u64, size: u64) -> Vec<u8> {
        let mut s = vec![0u8; 0x40];
        s[0x18..0x20].copy_from_slice(&offset.to_le_bytes());
        s[0x20..0x28].copy_from_slice(&size.to_le_bytes());
        s
    }

    #[test]
    fn the_payload_starts_after_the_section_header_table() {
        let h = header(10_000, 0x40, 30);
        assert_eq!(elf_end(&h, &section(9_000, 100)), Ok(10_000 + 30 * 0x40));
    }

    #[test]
    fn a_last_section_beyond_the_table_moves_the_payload_start() {
        // Sections such as .upd_info or .sha256_sig may come after the table.
        let h = header(10_000, 0x40, 30);
        assert_eq!(elf_end(&h, &section(20_000, 1024)), Ok(21_024));
    }

    #[test]
    fn the_magic_is_recognised_at_offset_eight() {
        assert!(has_appimage_magic(&header(0, 0x40, 1)));
        let mut plain = header(0, 0x40, 1);
        plain[8..11].fill(0);
        assert!(!has_appimage_magic(&plain));
    }

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        assert_eq!(section_table(b"#!/bin/sh\n"), Err(ElfError::NotElf));
        assert_eq!(section_table(b"\x7fELF"), Err(ElfError::Truncated));
        let mut h = header(u64::MAX, 0x40, u16::MAX);
        assert_eq!(elf_end(&h, &section(0, 0)), Err(ElfError::Truncated));
        h[4] = 1;
        assert_eq!(section_table(&h), Err(ElfError::Unsupported));
    }
}

//! A ZIP archive written in memory (the format every phone and desktop opens): files deflated,
//! with their CRC-32, a central directory, no encryption and no ZIP64 (each file and the whole
//! archive under 4 GiB, at most 65,535 files). Used for the copy of a person's data.

use std::io::Write;

/// One file of an archive being written.
struct Entry {
    name: String,
    crc: u32,
    compressed: u32,
    size: u32,
    offset: u32,
}

/// Writes files one after the other; [`Zip::finish`] writes the directory.
#[derive(Default)]
pub struct Zip {
    out: Vec<u8>,
    entries: Vec<Entry>,
}

/// An archive too large for this writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the archive would be larger than 4 GiB or hold more than 65,535 files")
    }
}

fn small(n: usize) -> Result<u32, TooLarge> {
    u32::try_from(n).map_err(|_| TooLarge)
}

impl Zip {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `bytes` as `name` (a path with `/` between folders), deflated.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), TooLarge> {
        if self.entries.len() >= u16::MAX as usize {
            return Err(TooLarge);
        }
        let mut deflater =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing to a Vec cannot fail.
        let _ = deflater.write_all(bytes);
        let compressed = deflater.finish().unwrap_or_default();
        let crc = crc32fast::hash(bytes);
        let offset = small(self.out.len())?;
        let entry = Entry {
            name: name.to_string(),
            crc,
            compressed: small(compressed.len())?,
            size: small(bytes.len())?,
            offset,
        };
        self.local_header(&entry);
        self.out.extend_from_slice(&compressed);
        small(self.out.len())?;
        self.entries.push(entry);
        Ok(())
    }

    fn local_header(&mut self, e: &Entry) {
        let o = &mut self.out;
        o.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        o.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0
        o.extend_from_slice(&0x0800u16.to_le_bytes()); // names in UTF-8
        o.extend_from_slice(&8u16.to_le_bytes()); // deflate
        o.extend_from_slice(&0u16.to_le_bytes()); // time
        o.extend_from_slice(&0x0021u16.to_le_bytes()); // date: 1980-01-01
        o.extend_from_slice(&e.crc.to_le_bytes());
        o.extend_from_slice(&e.compressed.to_le_bytes());
        o.extend_from_slice(&e.size.to_le_bytes());
        o.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        o.extend_from_slice(&0u16.to_le_bytes());
        o.extend_from_slice(e.name.as_bytes());
    }

    /// The whole archive.
    pub fn finish(mut self) -> Result<Vec<u8>, TooLarge> {
        let start = small(self.out.len())?;
        let entries = std::mem::take(&mut self.entries);
        for e in &entries {
            let o = &mut self.out;
            o.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            o.extend_from_slice(&20u16.to_le_bytes()); // made by
            o.extend_from_slice(&20u16.to_le_bytes()); // needed
            o.extend_from_slice(&0x0800u16.to_le_bytes());
            o.extend_from_slice(&8u16.to_le_bytes());
            o.extend_from_slice(&0u16.to_le_bytes());
            o.extend_from_slice(&0x0021u16.to_le_bytes());
            o.extend_from_slice(&e.crc.to_le_bytes());
            o.extend_from_slice(&e.compressed.to_le_bytes());
            o.extend_from_slice(&e.size.to_le_bytes());
            o.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            o.extend_from_slice(&0u16.to_le_bytes()); // extra
            o.extend_from_slice(&0u16.to_le_bytes()); // comment
            o.extend_from_slice(&0u16.to_le_bytes()); // disk
            o.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
            o.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            o.extend_from_slice(&e.offset.to_le_bytes());
            o.extend_from_slice(e.name.as_bytes());
        }
        let size = small(self.out.len())? - start;
        let count = entries.len() as u16;
        let o = &mut self.out;
        o.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        o.extend_from_slice(&0u16.to_le_bytes());
        o.extend_from_slice(&0u16.to_le_bytes());
        o.extend_from_slice(&count.to_le_bytes());
        o.extend_from_slice(&count.to_le_bytes());
        o.extend_from_slice(&size.to_le_bytes());
        o.extend_from_slice(&start.to_le_bytes());
        o.extend_from_slice(&0u16.to_le_bytes());
        Ok(self.out)
    }
}

/// The files of an archive this writer made: (name, bytes). For tests and checks; it reads
/// the central directory and inflates each file, checking its CRC-32.
pub fn read(archive: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    use std::io::Read;
    let u16_at = |i: usize| -> Result<u16, String> {
        archive
            .get(i..i + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated".to_string())
    };
    let u32_at = |i: usize| -> Result<u32, String> {
        archive
            .get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| "truncated".to_string())
    };
    let end = archive
        .len()
        .checked_sub(22)
        .filter(|&e| u32_at(e) == Ok(0x0605_4b50))
        .ok_or("no end of central directory")?;
    let count = u16_at(end + 10)? as usize;
    let mut at = u32_at(end + 16)? as usize;
    let mut files = Vec::with_capacity(count);
    for _ in 0..count {
        if u32_at(at)? != 0x0201_4b50 {
            return Err("bad central directory".into());
        }
        let crc = u32_at(at + 16)?;
        let compressed = u32_at(at + 20)? as usize;
        let name_len = u16_at(at + 28)? as usize;
        let extra = u16_at(at + 30)? as usize;
        let comment = u16_at(at + 32)? as usize;
        let offset = u32_at(at + 42)? as usize;
        let name = String::from_utf8(
            archive
                .get(at + 46..at + 46 + name_len)
                .ok_or("truncated")?
                .to_vec(),
        )
        .map_err(|e| e.to_string())?;
        let local_name = u16_at(offset + 26)? as usize;
        let local_extra = u16_at(offset + 28)? as usize;
        let data_at = offset + 30 + local_name + local_extra;
        let data = archive
            .get(data_at..data_at + compressed)
            .ok_or("truncated")?;
        let mut bytes = Vec::new();
        flate2::read::DeflateDecoder::new(data)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        if crc32fast::hash(&bytes) != crc {
            return Err(format!("{name}: CRC mismatch"));
        }
        files.push((name, bytes));
        at += 46 + name_len + extra + comment;
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_goes_in_comes_out() {
        let mut zip = Zip::new();
        zip.add("my-data.json", br#"{"a":1}"#).unwrap();
        zip.add("files/receipt 1.jpg", &[0xff, 0xd8, 0xff, 0, 1, 2, 3])
            .unwrap();
        zip.add("empty.txt", b"").unwrap();
        let bytes = zip.finish().unwrap();
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        let files = read(&bytes).unwrap();
        assert_eq!(files.len(), 3);
        assert_eq!(
            files[0],
            ("my-data.json".to_string(), br#"{"a":1}"#.to_vec())
        );
        assert_eq!(files[1].1, vec![0xff, 0xd8, 0xff, 0, 1, 2, 3]);
        assert!(files[2].1.is_empty());
    }

    #[test]
    fn a_damaged_archive_is_refused() {
        let mut zip = Zip::new();
        zip.add("a.txt", b"hello hello hello").unwrap();
        let mut bytes = zip.finish().unwrap();
        // Flip a byte of the compressed data.
        bytes[35] ^= 0x55;
        assert!(read(&bytes).is_err());
    }
}

//! What a file is, decided by its first bytes: never by its name or the type a client
//! declares. The kinds a report takes are images (JPEG, PNG, WebP) and recordings (MP3,
//! M4A/AAC, WebM/Opus, WAV, Ogg, FLAC); HEIC is recognised to be refused in the shopper's words.

use serde::Serialize;

/// Bytes enough to tell every kind apart.
pub const SNIFF_BYTES: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Mp3,
    M4a,
    Webm,
    Wav,
    Ogg,
    Flac,
}

impl Kind {
    pub fn is_image(self) -> bool {
        matches!(self, Kind::Jpeg | Kind::Png | Kind::Webp)
    }

    /// The type the file is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
            Kind::Mp3 => "audio/mpeg",
            Kind::M4a => "audio/mp4",
            Kind::Webm => "audio/webm",
            Kind::Wav => "audio/wav",
            Kind::Ogg => "audio/ogg",
            Kind::Flac => "audio/flac",
        }
    }
}

/// Why a file is not taken, by what its bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// An iPhone photo in HEIC.
    Heic,
    /// Nothing at all.
    Empty,
    /// A web page, an SVG drawing or another text.
    Text,
    Other,
}

impl Unknown {
    /// The refusal in the shopper's words.
    pub fn words(&self) -> &'static str {
        match self {
            Unknown::Heic => {
                "This photo is in HEIC, which we cannot read yet. On an iPhone, choose Settings › Camera › Formats › Most Compatible, or send the photo as a JPEG."
            }
            Unknown::Empty => "This file is empty. Choose the photo or recording again.",
            Unknown::Text => {
                "This file is a text or a web page, not a photo or a recording. Send a JPEG, PNG or WebP photo, or a recording."
            }
            Unknown::Other => {
                "We cannot read this kind of file. Send a JPEG, PNG or WebP photo, or an MP3, M4A, WebM, WAV, Ogg or FLAC recording."
            }
        }
    }
}

/// The kind of a file from its first bytes (at least [`SNIFF_BYTES`] of them, or all).
pub fn sniff(head: &[u8]) -> Result<Kind, Unknown> {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if head.is_empty() {
        return Err(Unknown::Empty);
    }
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        return Ok(Kind::Jpeg);
    }
    if at(0, b"\x89PNG\r\n\x1a\n") {
        return Ok(Kind::Png);
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return Ok(Kind::Webp);
    }
    if at(0, b"RIFF") && at(8, b"WAVE") {
        return Ok(Kind::Wav);
    }
    if at(0, b"OggS") {
        return Ok(Kind::Ogg);
    }
    if at(0, b"fLaC") {
        return Ok(Kind::Flac);
    }
    if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        return Ok(Kind::Webm);
    }
    if at(4, b"ftyp") {
        let brand = head.get(8..12).unwrap_or_default();
        return match brand {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"mif1" | b"msf1" | b"heim" | b"heis" => {
                Err(Unknown::Heic)
            }
            b"M4A " | b"M4B " | b"mp42" | b"isom" | b"iso2" | b"mp41" | b"dash" | b"3gp4"
            | b"3gp5" | b"qt  " => Ok(Kind::M4a),
            _ => Err(Unknown::Other),
        };
    }
    if at(0, b"ID3") {
        return Ok(Kind::Mp3);
    }
    // An MPEG audio frame: eleven bits of sync, layer III.
    if head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0 && head[1] & 0x06 == 0x02 {
        return Ok(Kind::Mp3);
    }
    let text = head
        .iter()
        .take(SNIFF_BYTES)
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace() || *b >= 0x80);
    let lower: String = head
        .iter()
        .take(SNIFF_BYTES)
        .map(|b| (*b as char).to_ascii_lowercase())
        .collect();
    if text
        || lower.contains("<svg")
        || lower.contains("<html")
        || lower.contains("<!doctype")
        || lower.contains("<?xml")
    {
        return Err(Unknown::Text);
    }
    Err(Unknown::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_bytes() {
        let cases: &[(&[u8], Result<Kind, Unknown>)] = &[
            (b"\xFF\xD8\xFF\xE0\x00\x10JFIF", Ok(Kind::Jpeg)),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", Ok(Kind::Png)),
            (b"RIFF\x10\x00\x00\x00WEBPVP8 ", Ok(Kind::Webp)),
            (b"RIFF\x10\x00\x00\x00WAVEfmt ", Ok(Kind::Wav)),
            (b"OggS\x00\x02", Ok(Kind::Ogg)),
            (b"fLaC\x00\x00\x00\x22", Ok(Kind::Flac)),
            (b"\x1A\x45\xDF\xA3\x9F\x42\x86\x81", Ok(Kind::Webm)),
            (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", Ok(Kind::M4a)),
            (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", Ok(Kind::M4a)),
            (b"ID3\x04\x00\x00\x00\x00\x00\x00", Ok(Kind::Mp3)),
            (b"\xFF\xFB\x90\x64\x00", Ok(Kind::Mp3)),
            (
                b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
                Err(Unknown::Heic),
            ),
            (b"", Err(Unknown::Empty)),
            (b"<!DOCTYPE html><html><body>", Err(Unknown::Text)),
            (
                b"<svg xmlns=\"http://www.w3.org/2000/svg\">",
                Err(Unknown::Text),
            ),
            (b"PK\x03\x04\x14\x00\x00\x00", Err(Unknown::Other)),
            (b"\x7FELF\x02\x01\x01\x00", Err(Unknown::Other)),
        ];
        for (head, expected) in cases {
            assert_eq!(&sniff(head), expected, "{head:?}");
        }
    }

    #[test]
    fn a_name_or_a_declared_type_changes_nothing() {
        // A web page named receipt.jpg is still a web page: sniff sees only the bytes.
        assert_eq!(sniff(b"<html>receipt.jpg</html>"), Err(Unknown::Text));
        assert!(Unknown::Heic.words().contains("JPEG"));
    }
}

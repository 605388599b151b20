//! A photo's original, kept when its project asks for it, without its metadata: the same
//! compressed pixels (nothing is decoded or re-encoded, so nothing is lost), with every EXIF,
//! XMP, IPTC and comment block removed, and anything after the picture's end (a phone's
//! "motion photo" video) dropped. Only what is needed to show the pixels as they were taken
//! stays: a JPEG's colour profile and Adobe colour marker, a PNG's colour chunks, a WebP's
//! colour profile, and a JPEG's orientation, written back as the one field of a minimal EXIF
//! block (otherwise a photo taken upright would show on its side).

use super::sniff::Kind;

/// Why an original could not be taken apart (the file is not what its header says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed;

/// `bytes` without metadata, for a photo of `kind` whose EXIF orientation is `orientation`
/// (1 to 8; 1 is upright).
pub fn strip(kind: Kind, bytes: &[u8], orientation: u16) -> Result<Vec<u8>, Malformed> {
    match kind {
        Kind::Jpeg => jpeg(bytes, orientation),
        Kind::Png => png(bytes),
        Kind::Webp => webp(bytes),
        _ => Err(Malformed),
    }
}

/// The minimal EXIF block of a JPEG: only its orientation (big-endian TIFF, one IFD entry).
fn orientation_block(orientation: u16) -> Vec<u8> {
    let mut b = Vec::with_capacity(36);
    b.extend_from_slice(&[0xFF, 0xE1]);
    b.extend_from_slice(&34u16.to_be_bytes());
    b.extend_from_slice(b"Exif\0\0");
    b.extend_from_slice(b"MM\0\x2A\0\0\0\x08");
    b.extend_from_slice(&1u16.to_be_bytes());
    // Tag 0x0112 (Orientation), type 3 (SHORT), count 1, the value left-aligned.
    b.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
    b.extend_from_slice(&orientation.to_be_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&[0, 0, 0, 0]);
    b
}

/// Whether a JPEG segment (marker and body) is kept: the tables and frame, the JFIF header,
/// the colour profile (APP2 `ICC_PROFILE`) and Adobe's colour marker (APP14); never EXIF or
/// XMP (APP1), IPTC (APP13), comments or any other application block.
fn keep_segment(marker: u8, body: &[u8]) -> bool {
    match marker {
        0xE0 => body.starts_with(b"JFIF\0"),
        0xE2 => body.starts_with(b"ICC_PROFILE\0"),
        0xEE => body.starts_with(b"Adobe"),
        0xE1..=0xEF | 0xFE => false,
        _ => true,
    }
}

fn jpeg(bytes: &[u8], orientation: u16) -> Result<Vec<u8>, Malformed> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err(Malformed);
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut wrote_orientation = orientation == 1 || !(2..=8).contains(&orientation);
    let mut i = 2;
    loop {
        // A marker: 0xFF (fill bytes allowed), then its code.
        if bytes.get(i) != Some(&0xFF) {
            return Err(Malformed);
        }
        while bytes.get(i) == Some(&0xFF) {
            i += 1;
        }
        let marker = *bytes.get(i).ok_or(Malformed)?;
        i += 1;
        match marker {
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Ok(out);
            }
            0xD0..=0xD7 | 0x01 => {
                out.extend_from_slice(&[0xFF, marker]);
                continue;
            }
            _ => {}
        }
        let length = usize::from(u16::from_be_bytes([
            *bytes.get(i).ok_or(Malformed)?,
            *bytes.get(i + 1).ok_or(Malformed)?,
        ]));
        if length < 2 || i + length > bytes.len() {
            return Err(Malformed);
        }
        let body = &bytes[i + 2..i + length];
        // The orientation goes after the JFIF header, or first when there is none.
        let jfif = marker == 0xE0 && body.starts_with(b"JFIF\0");
        if !wrote_orientation && !jfif {
            out.extend_from_slice(&orientation_block(orientation));
            wrote_orientation = true;
        }
        if keep_segment(marker, body) {
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(&bytes[i..i + length]);
        }
        i += length;
        if marker == 0xDA {
            // The compressed data: up to the next marker that is not a stuffed 0xFF00, a
            // restart marker or fill.
            let start = i;
            let mut j = i;
            loop {
                let ff = j + bytes[j..]
                    .iter()
                    .position(|&b| b == 0xFF)
                    .ok_or(Malformed)?;
                match bytes.get(ff + 1) {
                    Some(0x00 | 0xD0..=0xD7) => j = ff + 2,
                    Some(0xFF) => j = ff + 1,
                    Some(_) => {
                        out.extend_from_slice(&bytes[start..ff]);
                        i = ff;
                        break;
                    }
                    None => return Err(Malformed),
                }
            }
        }
    }
}

/// PNG chunks kept: the picture's own (header, palette, data, end) and those that say how to
/// show it (transparency, gamma, chromaticities, sRGB, colour profile, significant bits,
/// background, pixel size); never texts, EXIF or times.
const PNG_KEPT: [&[u8; 4]; 12] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT",
    b"bKGD", b"pHYs",
];

fn png(bytes: &[u8]) -> Result<Vec<u8>, Malformed> {
    const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
    if !bytes.starts_with(SIGNATURE) {
        return Err(Malformed);
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(SIGNATURE);
    let mut i = 8;
    loop {
        let head = bytes.get(i..i + 8).ok_or(Malformed)?;
        let length = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let end = i.checked_add(12 + length).ok_or(Malformed)?;
        if end > bytes.len() {
            return Err(Malformed);
        }
        let kind = &head[4..8];
        if PNG_KEPT.iter().any(|k| &k[..] == kind) {
            out.extend_from_slice(&bytes[i..end]);
        }
        i = end;
        if kind == b"IEND" {
            return Ok(out);
        }
    }
}

fn webp(bytes: &[u8]) -> Result<Vec<u8>, Malformed> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WEBP" {
        return Err(Malformed);
    }
    let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    let end = declared.checked_add(8).ok_or(Malformed)?.min(bytes.len());
    let mut body = Vec::with_capacity(end);
    let mut i = 12;
    while i + 8 <= end {
        let kind = &bytes[i..i + 4];
        let length =
            u32::from_le_bytes([bytes[i + 4], bytes[i + 5], bytes[i + 6], bytes[i + 7]]) as usize;
        let padded = length + (length % 2);
        let next = (i + 8).checked_add(padded).ok_or(Malformed)?;
        if i + 8 + length > end {
            return Err(Malformed);
        }
        match kind {
            b"EXIF" | b"XMP " => {}
            b"VP8X" => {
                let mut chunk = bytes[i..(i + 8 + length)].to_vec();
                // The extended header's flags: no EXIF (bit 3), no XMP (bit 2) any more.
                if let Some(flags) = chunk.get_mut(8) {
                    *flags &= !0b0000_1100;
                }
                body.extend_from_slice(&chunk);
                if padded > length {
                    body.push(0);
                }
            }
            _ => body.extend_from_slice(&bytes[i..next.min(end)]),
        }
        i = next;
    }
    let mut out = Vec::with_capacity(body.len() + 12);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(
        &u32::try_from(body.len() + 4)
            .map_err(|_| Malformed)?
            .to_le_bytes(),
    );
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(bytes: &[u8]) -> Vec<exif::Tag> {
        exif::Reader::new()
            .read_from_container(&mut std::io::Cursor::new(bytes))
            .map(|e| e.fields().map(|f| f.tag).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_phone_jpeg_keeps_its_pixels_and_orientation_and_loses_the_rest() {
        let sent = super::super::photo::sample_phone_jpeg(640, 480);
        let fields_sent = fields(&sent);
        assert!(
            fields_sent.contains(&exif::Tag::GPSLatitude),
            "{fields_sent:?}"
        );
        let mut with_video = sent.clone();
        with_video.extend_from_slice(b"\0\0\0\x18ftypmp42 a motion photo's video");
        let kept = strip(Kind::Jpeg, &with_video, 6).unwrap();
        assert_eq!(fields(&kept), [exif::Tag::Orientation]);
        assert!(
            kept.ends_with(&[0xFF, 0xD9]),
            "the video after the picture is gone"
        );
        let a = image::load_from_memory(&sent).unwrap().into_rgb8();
        let b = image::load_from_memory(&kept).unwrap().into_rgb8();
        assert_eq!(a.as_raw(), b.as_raw(), "the same pixels, not re-encoded");
        let upright = strip(Kind::Jpeg, &sent, 1).unwrap();
        assert!(fields(&upright).is_empty());
        assert!(strip(Kind::Jpeg, &sent[..sent.len() / 2], 1).is_err());
    }

    #[test]
    fn a_png_loses_its_texts_and_exif() {
        let picture =
            image::RgbImage::from_fn(32, 16, |x, y| image::Rgb([x as u8 * 8, y as u8 * 16, 0]));
        let mut plain = Vec::new();
        picture
            .write_to(
                &mut std::io::Cursor::new(&mut plain),
                image::ImageFormat::Png,
            )
            .unwrap();
        // A tEXt chunk and an eXIf chunk before the data, as cameras and editors write them.
        let chunk = |kind: &[u8; 4], data: &[u8]| {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            let mut crc = crc32(kind);
            crc = crc32_more(crc, data);
            c.extend_from_slice(&crc.to_be_bytes());
            c
        };
        let ihdr_end = 8 + 12 + 13;
        let mut sent = plain[..ihdr_end].to_vec();
        sent.extend(chunk(b"tEXt", b"Author\0Ana Shopper"));
        sent.extend(chunk(b"eXIf", b"MM\0*\0\0\0\x08\0\0"));
        sent.extend_from_slice(&plain[ihdr_end..]);
        let kept = strip(Kind::Png, &sent, 1).unwrap();
        assert_eq!(kept, plain);
        assert!(!kept.windows(11).any(|w| w == b"Ana Shopper"));
    }

    #[test]
    fn a_webp_loses_its_exif_and_xmp_chunks() {
        // An extended WebP: VP8X (flags: EXIF, XMP), a lossless picture, EXIF and XMP chunks.
        let picture =
            image::RgbaImage::from_fn(8, 8, |x, _| image::Rgba([x as u8 * 30, 0, 0, 255]));
        let mut simple = Vec::new();
        picture
            .write_to(
                &mut std::io::Cursor::new(&mut simple),
                image::ImageFormat::WebP,
            )
            .unwrap();
        let vp8l = &simple[12..];
        let mut body = b"VP8X".to_vec();
        body.extend_from_slice(&10u32.to_le_bytes());
        body.extend_from_slice(&[0b0000_1100, 0, 0, 0, 7, 0, 0, 7, 0, 0]);
        body.extend_from_slice(vp8l);
        let mut exif = b"EXIF".to_vec();
        exif.extend_from_slice(&5u32.to_le_bytes());
        exif.extend_from_slice(b"GPS!!\0");
        body.extend_from_slice(&exif);
        let mut xmp = b"XMP ".to_vec();
        xmp.extend_from_slice(&4u32.to_le_bytes());
        xmp.extend_from_slice(b"<x/>");
        body.extend_from_slice(&xmp);
        let mut sent = b"RIFF".to_vec();
        sent.extend_from_slice(&((body.len() + 4) as u32).to_le_bytes());
        sent.extend_from_slice(b"WEBP");
        sent.extend_from_slice(&body);
        let kept = strip(Kind::Webp, &sent, 1).unwrap();
        assert!(!kept.windows(4).any(|w| w == b"EXIF" || w == b"XMP "));
        assert_eq!(kept[20] & 0b1100, 0, "the header no longer announces them");
        let declared = u32::from_le_bytes([kept[4], kept[5], kept[6], kept[7]]) as usize;
        assert_eq!(declared + 8, kept.len());
        let shown = image::load_from_memory(&kept).unwrap().into_rgba8();
        assert_eq!(shown.as_raw(), picture.as_raw());
    }

    fn crc32(data: &[u8]) -> u32 {
        crc32_more(0, data)
    }

    /// PNG's CRC-32 (the one zlib computes), continued from `crc`.
    fn crc32_more(crc: u32, data: &[u8]) -> u32 {
        let mut c = !crc;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
}

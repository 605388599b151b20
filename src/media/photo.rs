//! A receipt or photo, from the file a shopper sent to what we keep: first the two EXIF values
//! verification needs (when it was taken, where) and nothing else of its metadata; then the
//! size in pixels from the header, refused before any pixel is decoded when it is too large;
//! then decoded under limits, turned upright (EXIF orientation), and written again as a web
//! copy (longest side 2,000 px) and a 320 px thumbnail, JPEG, with no metadata at all.

use std::io::{BufReader, Cursor};
use std::path::Path;

use chrono::NaiveDateTime;
use image::{DynamicImage, ImageDecoder, ImageReader};

use super::sniff::Kind;

/// Longest side of the web copy shown on pages.
pub const WEB_SIDE: u32 = 2000;
/// Longest side of the thumbnail.
pub const THUMB_SIDE: u32 = 320;
/// JPEG quality of both copies.
const QUALITY: u8 = 85;

/// The limits a photo is held to (settings).
#[derive(Debug, Clone, Copy)]
pub struct PhotoLimits {
    pub max_bytes: u64,
    pub max_pixels: u64,
}

/// What a photo becomes.
#[derive(Debug, Clone)]
pub struct Processed {
    /// JPEG, longest side at most [`WEB_SIDE`], upright, no metadata.
    pub web: Vec<u8>,
    /// JPEG, longest side at most [`THUMB_SIDE`], upright, no metadata.
    pub thumb: Vec<u8>,
    /// The photo's size upright, in pixels.
    pub width: u32,
    pub height: u32,
    /// When the camera says it was taken (its local time, as EXIF keeps it).
    pub taken_at: Option<NaiveDateTime>,
    /// Where the camera says it was (latitude, longitude).
    pub position: Option<(f64, f64)>,
    /// The perceptual hash of the photo as kept (`likeness`), to find a receipt handed in twice.
    pub perceptual_hash: Vec<u8>,
    /// How the camera held it, as EXIF writes it (1 is upright), for an original kept as sent.
    pub orientation: u16,
}

/// Why a photo is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum PhotoError {
    TooLarge {
        bytes: u64,
        max: u64,
    },
    TooManyPixels {
        megapixels: f64,
        max: f64,
    },
    /// A PNG or WebP with other data after the picture (a ZIP appended, say).
    Appended,
    Unreadable,
    Failed(String),
}

impl PhotoError {
    /// The refusal in the shopper's words ("This photo is 61 megapixels; the limit is 50.").
    pub fn words(&self) -> String {
        match self {
            PhotoError::TooLarge { bytes, max } => format!(
                "This photo is {} MB; the limit is {} MB. Send a smaller copy (most phones offer one when sharing).",
                mb(*bytes),
                mb(*max)
            ),
            PhotoError::TooManyPixels { megapixels, max } => format!(
                "This photo is {} megapixels; the limit is {}. Send a smaller copy.",
                megapixels.round(),
                max.round()
            ),
            PhotoError::Appended => {
                "This file holds something more after the picture. Send the photo as your phone saved it, or take it again.".into()
            }
            PhotoError::Unreadable => {
                "This photo cannot be read: it may be damaged or cut short. Take it or send it again.".into()
            }
            PhotoError::Failed(_) => "The photo could not be processed; try again.".into(),
        }
    }

    /// Whether the shopper's file is at fault (4xx) rather than the service (5xx).
    pub fn is_the_files(&self) -> bool {
        !matches!(self, PhotoError::Failed(_))
    }
}

/// Bytes as megabytes in words: `61`, `0.1`.
pub fn mb(bytes: u64) -> String {
    let mb = bytes as f64 / 1_000_000.0;
    if mb >= 10.0 {
        format!("{}", mb.round())
    } else {
        format!("{:.1}", mb)
    }
}

fn image_format(kind: Kind) -> Option<image::ImageFormat> {
    match kind {
        Kind::Jpeg => Some(image::ImageFormat::Jpeg),
        Kind::Png => Some(image::ImageFormat::Png),
        Kind::Webp => Some(image::ImageFormat::WebP),
        _ => None,
    }
}

fn exif_of(path: &Path) -> Option<exif::Exif> {
    let file = std::fs::File::open(path).ok()?;
    exif::Reader::new()
        .read_from_container(&mut BufReader::new(file))
        .ok()
}

/// How the camera was held (EXIF orientation), to turn the photo upright.
fn orientation_of(exif: Option<&exif::Exif>) -> image::metadata::Orientation {
    exif.and_then(|e| e.get_field(exif::Tag::Orientation, exif::In::PRIMARY))
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u8::try_from(v).ok())
        .and_then(image::metadata::Orientation::from_exif)
        .unwrap_or(image::metadata::Orientation::NoTransforms)
}

/// The time taken and the position, from the file's EXIF; nothing else of it is read.
pub fn verification_data(path: &Path) -> (Option<NaiveDateTime>, Option<(f64, f64)>) {
    match exif_of(path) {
        Some(exif) => verification_of(&exif),
        None => (None, None),
    }
}

fn verification_of(exif: &exif::Exif) -> (Option<NaiveDateTime>, Option<(f64, f64)>) {
    let taken_at = [exif::Tag::DateTimeOriginal, exif::Tag::DateTime]
        .into_iter()
        .find_map(|tag| {
            let field = exif.get_field(tag, exif::In::PRIMARY)?;
            match &field.value {
                exif::Value::Ascii(parts) => parts.first().and_then(|text| {
                    NaiveDateTime::parse_from_str(
                        std::str::from_utf8(text).ok()?.trim(),
                        "%Y:%m:%d %H:%M:%S",
                    )
                    .ok()
                }),
                _ => None,
            }
        });
    let degrees = |tag: exif::Tag, reference: exif::Tag, negative: u8| -> Option<f64> {
        let field = exif.get_field(tag, exif::In::PRIMARY)?;
        let exif::Value::Rational(parts) = &field.value else {
            return None;
        };
        let part = |i: usize| {
            parts
                .get(i)
                .filter(|r| r.denom != 0)
                .map(|r| f64::from(r.num) / f64::from(r.denom))
        };
        let value = part(0)? + part(1).unwrap_or(0.0) / 60.0 + part(2).unwrap_or(0.0) / 3600.0;
        let sign = match exif
            .get_field(reference, exif::In::PRIMARY)
            .map(|f| &f.value)
        {
            Some(exif::Value::Ascii(r)) if r.first().and_then(|r| r.first()) == Some(&negative) => {
                -1.0
            }
            _ => 1.0,
        };
        Some(sign * value).filter(|v| v.is_finite())
    };
    let position = degrees(exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef, b'S')
        .zip(degrees(
            exif::Tag::GPSLongitude,
            exif::Tag::GPSLongitudeRef,
            b'W',
        ))
        .filter(|(lat, lon)| (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon));
    (taken_at, position)
}

/// A JPEG of `image` at [`QUALITY`], with no metadata at all (`jpeg-encoder` writes none
/// unless asked).
fn jpeg(image: &image::RgbImage) -> Result<Vec<u8>, PhotoError> {
    let (w, h) = (
        u16::try_from(image.width()).map_err(|e| PhotoError::Failed(e.to_string()))?,
        u16::try_from(image.height()).map_err(|e| PhotoError::Failed(e.to_string()))?,
    );
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, QUALITY)
        .encode(image.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| PhotoError::Failed(e.to_string()))?;
    Ok(out)
}

/// `image` made to fit a `side` × `side` box, keeping its shape (Catmull-Rom, SIMD).
fn fit(image: &image::RgbImage, side: u32) -> Result<image::RgbImage, PhotoError> {
    use fast_image_resize as fr;
    let (w, h) = image.dimensions();
    if w.max(h) <= side {
        return Ok(image.clone());
    }
    let scale = f64::from(side) / f64::from(w.max(h));
    let (dw, dh) = (
        ((f64::from(w) * scale).round() as u32).clamp(1, side),
        ((f64::from(h) * scale).round() as u32).clamp(1, side),
    );
    let failed = |e: &dyn std::fmt::Display| PhotoError::Failed(e.to_string());
    let src = fr::images::ImageRef::new(w, h, image.as_raw(), fr::PixelType::U8x3)
        .map_err(|e| failed(&e))?;
    let mut dst = fr::images::Image::new(dw, dh, fr::PixelType::U8x3);
    fr::Resizer::new()
        .resize(
            &src,
            &mut dst,
            &fr::ResizeOptions::new()
                .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom)),
        )
        .map_err(|e| failed(&e))?;
    image::RgbImage::from_raw(dw, dh, dst.into_vec())
        .ok_or_else(|| PhotoError::Failed("resized buffer".into()))
}

/// A JPEG decoded straight at the smallest size the web copy needs: its DCT scaled by 1/2,
/// 1/4 or 1/8 while decoding, as libvips' shrink-on-load does (a 12-megapixel photo is
/// decoded at 3 megapixels). None for a JPEG this path does not take (CMYK, 16-bit grey).
fn decode_jpeg_scaled(path: &Path, pixels: u64) -> Result<Option<image::RgbImage>, PhotoError> {
    let file = std::fs::File::open(path).map_err(|e| PhotoError::Failed(e.to_string()))?;
    let mut decoder = jpeg_decoder::Decoder::new(BufReader::new(file));
    decoder.set_max_decoding_buffer_size(
        usize::try_from(pixels * 4 + 64 * 1024 * 1024).unwrap_or(usize::MAX),
    );
    decoder.read_info().map_err(|_| PhotoError::Unreadable)?;
    let info = decoder.info().ok_or(PhotoError::Unreadable)?;
    let grey = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => false,
        jpeg_decoder::PixelFormat::L8 => true,
        _ => return Ok(None),
    };
    let side = u16::try_from(WEB_SIDE).unwrap_or(u16::MAX);
    let (w, h) = decoder
        .scale(side, side)
        .map_err(|_| PhotoError::Unreadable)?;
    let data = decoder.decode().map_err(|_| PhotoError::Unreadable)?;
    let (w, h) = (u32::from(w), u32::from(h));
    let image = if grey {
        image::GrayImage::from_raw(w, h, data).map(|g| DynamicImage::ImageLuma8(g).into_rgb8())
    } else {
        image::RgbImage::from_raw(w, h, data)
    };
    image.map(Some).ok_or(PhotoError::Unreadable)
}

/// Whether a PNG or WebP carries data after its picture: a PNG ends with its IEND chunk, a
/// WebP's RIFF header gives its length. (A JPEG is let through: phones append their own data
/// after the picture, such as a motion photo's video; no copy we keep holds it.)
fn appended(path: &Path, kind: Kind, bytes: u64) -> Result<bool, PhotoError> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).map_err(|e| PhotoError::Failed(e.to_string()))?;
    match kind {
        Kind::Png => {
            const IEND: &[u8] = b"IEND\xAE\x42\x60\x82";
            if bytes < IEND.len() as u64 {
                return Ok(false);
            }
            let mut end = [0u8; 8];
            file.seek(SeekFrom::End(-8))
                .and_then(|_| file.read_exact(&mut end))
                .map_err(|e| PhotoError::Failed(e.to_string()))?;
            Ok(end != IEND)
        }
        Kind::Webp => {
            let mut head = [0u8; 8];
            if file.read_exact(&mut head).is_err() {
                return Ok(false);
            }
            let declared = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]])) + 8;
            // A RIFF chunk is padded to an even length.
            Ok(bytes > declared + (declared % 2))
        }
        _ => Ok(false),
    }
}

/// Processes the photo at `path`, of the kind its bytes showed, under `limits`.
pub fn process(path: &Path, kind: Kind, limits: PhotoLimits) -> Result<Processed, PhotoError> {
    let format = image_format(kind).ok_or(PhotoError::Unreadable)?;
    let bytes = std::fs::metadata(path)
        .map_err(|e| PhotoError::Failed(e.to_string()))?
        .len();
    if bytes > limits.max_bytes {
        return Err(PhotoError::TooLarge {
            bytes,
            max: limits.max_bytes,
        });
    }
    let exif = exif_of(path);
    let (taken_at, position) = exif.as_ref().map_or((None, None), verification_of);
    let open = || -> Result<ImageReader<BufReader<std::fs::File>>, PhotoError> {
        let mut reader = ImageReader::open(path).map_err(|e| PhotoError::Failed(e.to_string()))?;
        reader.set_format(format);
        Ok(reader)
    };
    // The header alone says how large it is (no limits: nothing is allocated for pixels yet).
    let mut header = open()?;
    header.no_limits();
    let (width, height) = header
        .into_dimensions()
        .map_err(|_| PhotoError::Unreadable)?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(PhotoError::TooManyPixels {
            megapixels: pixels as f64 / 1_000_000.0,
            max: limits.max_pixels as f64 / 1_000_000.0,
        });
    }
    if appended(path, kind, bytes)? {
        return Err(PhotoError::Appended);
    }
    let scaled = if kind == Kind::Jpeg {
        decode_jpeg_scaled(path, pixels)?
    } else {
        None
    };
    let (image, orientation) = match scaled {
        Some(rgb) => (DynamicImage::ImageRgb8(rgb), orientation_of(exif.as_ref())),
        None => {
            let mut reader = open()?;
            let mut bounds = image::Limits::default();
            bounds.max_image_width = Some(width);
            bounds.max_image_height = Some(height);
            // The decoded pixels (four bytes each at most) and room for the decoder's tables.
            bounds.max_alloc = Some(pixels * 4 + 64 * 1024 * 1024);
            reader.limits(bounds);
            let mut decoder = reader.into_decoder().map_err(|_| PhotoError::Unreadable)?;
            let orientation = decoder
                .orientation()
                .unwrap_or(image::metadata::Orientation::NoTransforms);
            let image = DynamicImage::from_decoder(decoder).map_err(|_| PhotoError::Unreadable)?;
            (image, orientation)
        }
    };
    // At most 2,000 px on its long side first, then upright (cheaper at that size).
    let web = fit(&image.into_rgb8(), WEB_SIDE)?;
    let mut upright = DynamicImage::ImageRgb8(web);
    let exif_orientation = u16::from(orientation.to_exif());
    upright.apply_orientation(orientation);
    let web = upright.into_rgb8();
    let thumb = fit(&web, THUMB_SIDE)?;
    let perceptual_hash = super::likeness::hash(&DynamicImage::ImageRgb8(thumb.clone()));
    Ok(Processed {
        perceptual_hash,
        width: web.width().max(1),
        height: web.height().max(1),
        web: jpeg(&web)?,
        thumb: jpeg(&thumb)?,
        taken_at,
        position,
        orientation: exif_orientation,
    })
}

/// A phone-like JPEG `width` × `height` for tests and benchmarks, with EXIF: orientation 6
/// (the camera held on its side), the time taken, and a GPS position (40° 44' 54.36" N,
/// 73° 59' 8.36" W: New York).
pub fn sample_phone_jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    with_phone_exif(&image, 80)
}

/// A 12-megapixel-like photo for the benchmark: `width` × `height` of detail a camera sees
/// (gradients under fine noise, which compresses as a real scene does, about 4 MB at 4,000 ×
/// 3,000), at quality 92, with the same EXIF as [`sample_phone_jpeg`].
pub fn sample_photo(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        let n =
            (x.wrapping_mul(374_761_393) ^ y.wrapping_mul(668_265_263)).wrapping_mul(1_274_126_177);
        let noise = ((n >> 24) & 0x3F) as i32 - 32;
        let shade = |base: u32| (base as i32 + noise).clamp(0, 255) as u8;
        image::Rgb([
            shade(x * 200 / width.max(1) + 30),
            shade(y * 200 / height.max(1) + 30),
            shade(((x + y) / 16) % 200 + 20),
        ])
    });
    with_phone_exif(&image, 92)
}

#[allow(clippy::expect_used)]
fn with_phone_exif(image: &image::RgbImage, quality: u8) -> Vec<u8> {
    use exif::experimental::Writer;
    use exif::{Field, In, Rational, Tag, Value};
    let mut plain = Cursor::new(Vec::new());
    image
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut plain, quality,
        ))
        .expect("an image in memory encodes");
    let plain = plain.into_inner();
    let r = |num, denom| Rational { num, denom };
    let fields = [
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![6]),
        },
        Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"2026:12:04 14:05:09".to_vec()]),
        },
        Field {
            tag: Tag::GPSLatitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"N".to_vec()]),
        },
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![r(40, 1), r(44, 1), r(5436, 100)]),
        },
        Field {
            tag: Tag::GPSLongitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"W".to_vec()]),
        },
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![r(73, 1), r(59, 1), r(836, 100)]),
        },
    ];
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = Cursor::new(Vec::new());
    writer
        .write(&mut tiff, false)
        .expect("an image in memory encodes");
    let tiff = tiff.into_inner();
    // APP1 "Exif" right after the start of image.
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&plain[2..]);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn phone_jpeg(width: u32, height: u32) -> Vec<u8> {
        sample_phone_jpeg(width, height)
    }

    const LIMITS: PhotoLimits = PhotoLimits {
        max_bytes: 25_000_000,
        max_pixels: 50_000_000,
    };

    fn written(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upload");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    #[test]
    fn a_phone_photo_keeps_its_time_and_place_and_loses_every_other_metadata() {
        let (_dir, path) = written(&phone_jpeg(3000, 2000));
        let done = process(&path, Kind::Jpeg, LIMITS).unwrap();
        assert_eq!(
            done.taken_at,
            NaiveDateTime::parse_from_str("2026-12-04 14:05:09", "%Y-%m-%d %H:%M:%S").ok()
        );
        let (lat, lon) = done.position.unwrap();
        assert!(
            (lat - 40.7484).abs() < 1e-3 && (lon + 73.9857).abs() < 1e-3,
            "{lat} {lon}"
        );
        // Upright: orientation 6 turns 3000 × 2000 into 2000 × 3000, then at most 2,000 px.
        assert_eq!((done.width, done.height), (1333, 2000));
        for copy in [&done.web, &done.thumb] {
            let read = exif::Reader::new().read_from_container(&mut Cursor::new(copy));
            assert!(read.is_err(), "a copy holds no EXIF");
            assert!(!copy.windows(4).any(|w| w == b"Exif"), "no Exif segment");
        }
        let thumb = image::load_from_memory(&done.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (213, 320));
        let web = image::load_from_memory(&done.web).unwrap();
        assert_eq!((web.width(), web.height()), (1333, 2000));
    }

    #[test]
    fn too_large_a_photo_is_refused_before_its_pixels_are_decoded() {
        // A PNG whose header declares 60000 × 60000: refused from the header, at once.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(b"IHDR");
        ihdr.extend_from_slice(&60000u32.to_be_bytes());
        ihdr.extend_from_slice(&60000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        let crc = crc32(&ihdr);
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc.to_be_bytes());
        // A few compressed bytes of pixels, and the end.
        let idat: &[u8] = b"IDAT\x78\x9c\x63\x00\x00\x00\x01\x00\x01";
        png.extend_from_slice(&((idat.len() - 4) as u32).to_be_bytes());
        png.extend_from_slice(idat);
        png.extend_from_slice(&crc32(idat).to_be_bytes());
        png.extend_from_slice(&0u32.to_be_bytes());
        png.extend_from_slice(b"IEND");
        png.extend_from_slice(&crc32(b"IEND").to_be_bytes());
        let (_dir, path) = written(&png);
        let refused = process(&path, Kind::Png, LIMITS).unwrap_err();
        assert_eq!(
            refused.words(),
            "This photo is 3600 megapixels; the limit is 50. Send a smaller copy."
        );
        let small = PhotoLimits {
            max_bytes: 1000,
            max_pixels: 50_000_000,
        };
        let (_dir, path) = written(&phone_jpeg(400, 300));
        assert!(matches!(
            process(&path, Kind::Jpeg, small),
            Err(PhotoError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_damaged_photo_is_named_so() {
        let whole = phone_jpeg(800, 600);
        let (_dir, path) = written(&whole[..whole.len() / 3]);
        let refused = process(&path, Kind::Jpeg, LIMITS);
        // A JPEG cut short may decode as grey below the cut, or fail: never a panic, and
        // when it fails, the shopper reads why.
        if let Err(e) = refused {
            assert_eq!(e, PhotoError::Unreadable);
        }
        let (_dir, path) = written(b"\xFF\xD8\xFF not really a jpeg");
        assert_eq!(
            process(&path, Kind::Jpeg, LIMITS).unwrap_err(),
            PhotoError::Unreadable
        );
    }

    /// The CRC of a PNG chunk (type and data).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}

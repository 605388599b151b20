//! A recording, probed and kept as sent: its container read (never decoded) for the codec and
//! the duration. The duration comes from the container's headers where it has one; a WebM
//! recorded in a browser (Chrome on Android writes none) is measured by walking its packets.
//! A recording longer than the limit is refused from its header before anything else is read.

use std::path::Path;

use symphonia::core::codecs::CodecParameters;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::{Duration, TimeBase};

use super::sniff::Kind;

/// The limits a recording is held to (settings).
#[derive(Debug, Clone, Copy)]
pub struct RecordingLimits {
    pub max_bytes: u64,
    pub max_seconds: u64,
}

/// What a recording is.
#[derive(Debug, Clone, PartialEq)]
pub struct Probed {
    pub duration_ms: i64,
    /// The audio codec, in a word (`opus`, `aac`, `mp3`, `pcm`, `flac`, `vorbis`), when the
    /// container names one.
    pub codec: Option<String>,
    /// Whether the duration was measured by walking packets (no header said it).
    pub measured: bool,
}

/// Why a recording is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum AudioError {
    TooLarge {
        bytes: u64,
        max: u64,
    },
    TooLong {
        seconds: u64,
        max: u64,
    },
    /// No sound in it: a container without an audio track.
    NoAudio,
    Unreadable,
}

impl AudioError {
    /// The refusal in the shopper's words ("This recording is 100 hours long; the limit is 3
    /// hours.").
    pub fn words(&self) -> String {
        match self {
            AudioError::TooLarge { bytes, max } => format!(
                "This recording is {} MB; the limit is {} MB. Record in a lower quality, or split the visit into two recordings.",
                super::photo::mb(*bytes),
                super::photo::mb(*max)
            ),
            AudioError::TooLong { seconds, max } => format!(
                "This recording is {} long; the limit is {}. Send only the visit.",
                length(*seconds),
                length(*max)
            ),
            AudioError::NoAudio => {
                "This file holds no sound. Send the recording of the visit.".into()
            }
            AudioError::Unreadable => {
                "This recording cannot be read: it may be damaged or cut short. Send it again."
                    .into()
            }
        }
    }
}

/// A length in words: "3 hours", "100 hours", "12 minutes", "45 seconds".
pub fn length(seconds: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if (seconds >= 3600 && seconds.is_multiple_of(3600)) || seconds >= 10 * 3600 {
        plural((seconds + 1800) / 3600, "hour")
    } else if seconds >= 3600 {
        let (h, m) = (seconds / 3600, (seconds % 3600 + 30) / 60);
        format!("{} {}", plural(h, "hour"), plural(m, "minute"))
    } else if seconds >= 60 {
        plural((seconds + 30) / 60, "minute")
    } else {
        plural(seconds, "second")
    }
}

fn seconds_of(time_base: TimeBase, duration: Duration) -> Option<f64> {
    time_base
        .calc_duration(duration)
        .map(|t| t.as_secs_f64())
        .filter(|s| s.is_finite() && *s >= 0.0)
}

fn codec_name(params: Option<&CodecParameters>, kind: Kind) -> Option<String> {
    use symphonia::core::codecs::audio::well_known as k;
    let codec = params?.audio()?.codec;
    let word = [
        (k::CODEC_ID_OPUS, "opus"),
        (k::CODEC_ID_AAC, "aac"),
        (k::CODEC_ID_MP3, "mp3"),
        (k::CODEC_ID_MP2, "mp2"),
        (k::CODEC_ID_FLAC, "flac"),
        (k::CODEC_ID_VORBIS, "vorbis"),
        (k::CODEC_ID_ALAC, "alac"),
    ]
    .into_iter()
    .find(|(id, _)| *id == codec)
    .map(|(_, word)| word)
    .or((kind == Kind::Wav).then_some("pcm"))?;
    Some(word.to_owned())
}

/// Probes the recording at `path` (already sniffed as `kind`): refused past the limits, or
/// with no audio, or when its container cannot be read. Nothing here decodes a sample.
pub fn probe(path: &Path, kind: Kind, limits: RecordingLimits) -> Result<Probed, AudioError> {
    let bytes = std::fs::metadata(path)
        .map_err(|_| AudioError::Unreadable)?
        .len();
    if bytes > limits.max_bytes {
        return Err(AudioError::TooLarge {
            bytes,
            max: limits.max_bytes,
        });
    }
    // A malformed container must not take the process down: a panic in a reader is a file we
    // cannot read.
    let path = path.to_path_buf();
    std::panic::catch_unwind(move || probe_file(&path, kind, limits))
        .unwrap_or(Err(AudioError::Unreadable))
}

fn probe_file(path: &Path, kind: Kind, limits: RecordingLimits) -> Result<Probed, AudioError> {
    let file = std::fs::File::open(path).map_err(|_| AudioError::Unreadable)?;
    let stream = MediaSourceStream::new(Box::new(file), MediaSourceStreamOptions::default());
    let mut hint = Hint::new();
    hint.with_extension(match kind {
        Kind::Mp3 => "mp3",
        Kind::M4a => "m4a",
        Kind::Webm => "webm",
        Kind::Wav => "wav",
        Kind::Ogg => "ogg",
        Kind::Flac => "flac",
        _ => return Err(AudioError::Unreadable),
    });
    let mut reader = symphonia::default::get_probe()
        .probe(
            &hint,
            stream,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|_| AudioError::Unreadable)?;
    let track = reader
        .first_track(TrackType::Audio)
        .cloned()
        .ok_or(AudioError::NoAudio)?;
    let codec = codec_name(track.codec_params.as_ref(), kind);
    let max = limits.max_seconds as f64;
    // What the headers say: the track's duration, or the media's as a whole.
    let media = *reader.media_info();
    let declared = track
        .time_base
        .zip(track.duration)
        .and_then(|(tb, d)| seconds_of(tb, d))
        .or_else(|| {
            media
                .time_base
                .zip(media.duration)
                .and_then(|(tb, d)| seconds_of(tb, d))
        })
        .or_else(|| {
            let rate = track.codec_params.as_ref()?.audio()?.sample_rate?;
            Some(track.num_frames? as f64 / f64::from(rate))
        });
    if let Some(seconds) = declared.filter(|s| *s > 0.0) {
        if seconds > max {
            return Err(AudioError::TooLong {
                seconds: seconds.round() as u64,
                max: limits.max_seconds,
            });
        }
        return Ok(Probed {
            duration_ms: (seconds * 1000.0).round() as i64,
            codec,
            measured: false,
        });
    }
    // No header says how long it is: walk its packets, without decoding, and stop past the limit.
    let time_base = track
        .time_base
        .or(media.time_base)
        .ok_or(AudioError::Unreadable)?;
    let seconds = walk(reader.as_mut(), track.id, time_base, max)?;
    if seconds > max {
        return Err(AudioError::TooLong {
            seconds: seconds.round() as u64,
            max: limits.max_seconds,
        });
    }
    if seconds <= 0.0 {
        return Err(AudioError::NoAudio);
    }
    Ok(Probed {
        duration_ms: (seconds * 1000.0).round() as i64,
        codec,
        measured: true,
    })
}

/// The end of the last packet of track `id`, in seconds; stops once past `max`.
fn walk(
    reader: &mut dyn FormatReader,
    id: u32,
    time_base: TimeBase,
    max: f64,
) -> Result<f64, AudioError> {
    let mut end: i64 = 0;
    let mut packets = 0u64;
    loop {
        match reader.next_packet() {
            Ok(Some(packet)) => {
                packets += 1;
                if packet.track_id != id {
                    continue;
                }
                let dur = i64::try_from(packet.dur.get()).unwrap_or(i64::MAX);
                end = end.max(packet.pts.get().saturating_add(dur));
                // Check now and then whether the limit is passed.
                if packets.is_multiple_of(1024) {
                    let seconds = end_seconds(time_base, end);
                    if seconds > max {
                        return Ok(seconds);
                    }
                }
            }
            Ok(None) => break,
            // A recording cut short in its last packet still counts up to there.
            Err(symphonia::core::errors::Error::IoError(_)) if end > 0 => break,
            Err(_) => return Err(AudioError::Unreadable),
        }
    }
    Ok(end_seconds(time_base, end))
}

fn end_seconds(time_base: TimeBase, end: i64) -> f64 {
    u64::try_from(end)
        .ok()
        .and_then(|e| seconds_of(time_base, Duration::new(e)))
        .unwrap_or(0.0)
}

/// A WAV file of `seconds` of silence at 8,000 samples a second, 8 bits, mono; with `claim`,
/// a header that says the file is that many seconds long whatever it holds. For tests.
pub fn sample_wav(seconds: u32, claim: Option<u32>) -> Vec<u8> {
    let rate: u32 = 8000;
    let data = rate * seconds;
    let declared = claim.map_or(data, |c| rate.saturating_mul(c));
    let mut out = Vec::with_capacity(44 + data as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&declared.saturating_add(36).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes()); // bytes a second
    out.extend_from_slice(&1u16.to_le_bytes()); // block
    out.extend_from_slice(&8u16.to_le_bytes()); // bits
    out.extend_from_slice(b"data");
    out.extend_from_slice(&declared.to_le_bytes());
    out.resize(44 + data as usize, 0x80);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::sniff::sniff;

    const LIMITS: RecordingLimits = RecordingLimits {
        max_bytes: 200_000_000,
        max_seconds: 3 * 3600,
    };

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/audio")
            .join(name)
    }

    fn probe_fixture(name: &str) -> Result<Probed, AudioError> {
        let path = fixture(name);
        let head = std::fs::read(&path).expect("fixture");
        let kind = sniff(&head).expect("a recording");
        probe(&path, kind, LIMITS)
    }

    #[test]
    fn every_kind_a_phone_records_has_its_length() {
        // Each fixture is a three-second tone (tests/fixtures/audio/README.md says how it was made).
        for (name, measured) in [
            ("tone.mp3", false),
            ("tone.m4a", false),
            ("tone.webm", false),
            ("tone-live.webm", true),
            ("tone.ogg", false),
            ("tone.flac", false),
        ] {
            let probed = probe_fixture(name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert!(
                (2900..=3200).contains(&probed.duration_ms),
                "{name}: {} ms",
                probed.duration_ms
            );
            assert_eq!(probed.measured, measured, "{name}");
        }
        for (name, codec) in [
            ("tone.webm", "opus"),
            ("tone.m4a", "aac"),
            ("tone.mp3", "mp3"),
        ] {
            assert_eq!(
                probe_fixture(name).ok().and_then(|p| p.codec).as_deref(),
                Some(codec)
            );
        }
    }

    #[test]
    fn a_wav_is_as_long_as_its_header_says() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("a.wav");
        std::fs::write(&path, sample_wav(2, None)).expect("write");
        let probed = probe(&path, Kind::Wav, LIMITS).expect("a wav");
        assert_eq!(probed.duration_ms, 2000);
        assert_eq!(probed.codec.as_deref(), Some("pcm"));
    }

    #[test]
    fn a_header_claiming_a_hundred_hours_is_refused_before_reading_on() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("long.wav");
        std::fs::write(&path, sample_wav(1, Some(100 * 3600))).expect("write");
        let refused = probe(&path, Kind::Wav, LIMITS).expect_err("too long");
        assert_eq!(
            refused,
            AudioError::TooLong {
                seconds: 360_000,
                max: 10_800
            }
        );
        assert_eq!(
            refused.words(),
            "This recording is 100 hours long; the limit is 3 hours. Send only the visit."
        );
    }

    #[test]
    fn a_measured_recording_past_the_limit_is_refused() {
        let short = RecordingLimits {
            max_bytes: 200_000_000,
            max_seconds: 2,
        };
        let path = fixture("tone-live.webm");
        assert!(matches!(
            probe(&path, Kind::Webm, short),
            Err(AudioError::TooLong { seconds: 3, max: 2 })
        ));
        let small = RecordingLimits {
            max_bytes: 1000,
            max_seconds: 3600,
        };
        assert!(matches!(
            probe(&path, Kind::Webm, small),
            Err(AudioError::TooLarge { max: 1000, .. })
        ));
    }

    #[test]
    fn a_cut_or_garbled_recording_is_unreadable() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("cut.m4a");
        let whole = std::fs::read(fixture("tone.m4a")).expect("fixture");
        std::fs::write(&path, &whole[..40]).expect("write");
        assert!(probe(&path, Kind::M4a, LIMITS).is_err());
        let mut garbled = b"OggS".to_vec();
        garbled.extend(std::iter::repeat_n(0x5Au8, 5000));
        std::fs::write(&path, garbled).expect("write");
        assert!(probe(&path, Kind::Ogg, LIMITS).is_err());
    }

    #[test]
    fn lengths_read_as_people_say_them() {
        assert_eq!(length(3 * 3600), "3 hours");
        assert_eq!(length(360_000), "100 hours");
        assert_eq!(length(3600 + 20 * 60), "1 hour 20 minutes");
        assert_eq!(length(12 * 60), "12 minutes");
        assert_eq!(length(45), "45 seconds");
        assert_eq!(length(1), "1 second");
    }
}

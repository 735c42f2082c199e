//! The pipeline driver behind [`extract`](crate::extract) and its kin:
//! decode → sample → scale → views → hash, one pass over a file, with its
//! facts gathered beside the frames; a long video handed over in parts
//! ([`PartBuilder`]), a stretch decoded alone.

use crate::decode::{DecodeOptions, VideoInput};
use crate::file::SourceFile;
use crate::sample::Sampler;
use crate::scale::{FeatureScaler, WorkScaler};
use crate::stages::{timed, StageTimes};
use crate::views::{self, SampleView, WindowHasher};
use crate::{features, ExtractError, ExtractOptions, Parts};
use std::path::Path;
use vfp_fingerprint::local::FeatureFrame;
use vfp_fingerprint::{ExtractParams, Fingerprint, HashedFrame, Sampling, SourceInfo, ViewTrack};

/// Longest video a `.vfp` can time-stamp: u32 milliseconds, ~49 days; we
/// stop well before.
const MAX_DURATION_H: u32 = 1_000;

/// What [`run`] returns: the fingerprint (without frames when handed over
/// in parts), the damage that cut the file short if it was, and where the
/// time went.
pub(crate) struct Run {
    pub(crate) fingerprint: Fingerprint,
    pub(crate) cut_short: Option<ExtractError>,
    pub(crate) times: StageTimes,
}

/// Decodes, samples and hashes `path`; with `parts`, hands the fingerprint
/// to `on_part` in parts and returns it without frames; with `range` (ms),
/// only that stretch, without the file's SHA-256.
pub(crate) fn run(
    path: &Path,
    opts: &ExtractOptions,
    mut observe: impl FnMut(SampleView<'_>),
    parts: Option<Parts>,
    range: Option<(u32, u32)>,
    on_part: &mut dyn FnMut(Fingerprint) -> Result<(), ExtractError>,
) -> Result<Run, ExtractError> {
    let params = opts.params;
    let mut times = StageTimes::default();
    if !params.sampling.is_valid() {
        return Err(ExtractError::InvalidParams(format!(
            "sample rate must be above 0 and at most {} per second, got {}",
            Sampling::MAX_FPS,
            params.sampling
        )));
    }
    // One descriptor for the checks, the hash and the decoding: the
    // hashed bytes are the decoded bytes. The hash is taken from the bytes
    // as FFmpeg reads them (the file is read once), so a file that is not
    // video is refused before all of it is read (a 20 GB sparse file took
    // a minute to hash before FFmpeg refused it).
    let file = SourceFile::open(path)?;
    let mut input = VideoInput::open(
        &file,
        DecodeOptions {
            threads: opts.decoder_threads,
            keyframes_only: params.sampling == Sampling::Keyframes,
            time_limit: opts.time_limit,
            sample_fps: match params.sampling {
                Sampling::Dense { fps } => Some(fps),
                Sampling::Keyframes => None,
            },
            sha256: range.is_none(),
        },
    )?;
    let file_size = file.size();
    if let Some((from_ms, _)) = range {
        input.seek_to(f64::from(from_ms) / 1000.0);
    }
    let (range_from_s, range_to_s) = range.map_or((0.0, f64::INFINITY), |(from, to)| {
        (f64::from(from) / 1000.0, f64::from(to) / 1000.0)
    });
    let mut past_range = false;
    let facts = input.facts.clone();
    let mut source = SourceInfo {
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        file_size,
        // Known once the file is read; a range has none.
        sha256: [0; 32],
        duration_ms: 0,
        width: facts.width,
        height: facts.height,
        fps: facts.fps,
        codec: facts.codec.clone(),
        rotation_deg: facts.rotation_deg,
    };
    let mut sampler = Sampler::new(params.sampling);
    let mut scaler = WorkScaler::new();
    let mut hasher = WindowHasher::new(params, facts.display_aspect, facts.display_height);
    let mut feature_scaler = FeatureScaler::new(facts.display_aspect, facts.rotation_deg);
    let mut features = Vec::new();
    let feature_step_ms = if opts.features.enabled() {
        Some((1000.0 / opts.features.per_second).max(1.0) as u32)
    } else {
        None
    };
    let mut next_feature_ms = 0u32;
    let max_s = f64::from(MAX_DURATION_H) * 3600.0;
    let mut last_t_s = 0.0f64;
    let mut parted = parts.map(PartBuilder::new);
    let mut sampled = 0usize;
    let mut handle = |t_s: f64, frame: &ffmpeg_next::util::frame::Video| {
        if t_s < range_from_s {
            return Ok(());
        }
        if t_s > range_to_s {
            // Far enough: end the decoding here.
            past_range = true;
            return Err(ExtractError::Stopped);
        }
        last_t_s = t_s;
        if t_s > max_s {
            return Err(ExtractError::TooLong {
                path: path.to_owned(),
                max_h: MAX_DURATION_H,
            });
        }
        if let Some(t_ms) = sampler.accept(t_s) {
            sampled += 1;
            if let Some(step_ms) = feature_step_ms.filter(|_| t_ms >= next_feature_ms) {
                // The first sample of each step of the clock: the rate
                // holds whatever the sampling.
                next_feature_ms = (t_ms / step_ms + 1).saturating_mul(step_ms);
                let picture = timed(&mut times.scale_s, || feature_scaler.scale(frame, path))?;
                timed(&mut times.features_s, || {
                    features.extend(features::describe(t_ms, &picture, &opts.features))
                });
            }
            let picture = timed(&mut times.scale_s, || scaler.scale(frame, path))?
                .rotated_cw(facts.rotation_deg);
            hasher.push(t_ms, picture, &mut observe);
            if let Some(builder) = parted.as_mut().filter(|b| b.is_due(&hasher)) {
                let (frames, views) = hasher.drain();
                let part = builder.part(&source, params, frames, views, &mut features);
                on_part(part)?;
            }
        }
        Ok(())
    };
    // Time in the callback below, taken from the decode call's to leave
    // the decoder's own.
    let mut handling_s = 0.0f64;
    let decode_started = std::time::Instant::now();
    let decoded = input.decode(|t_s, frame| {
        let started = std::time::Instant::now();
        let handled = handle(t_s, frame);
        handling_s += started.elapsed().as_secs_f64();
        handled
    });
    let mut decode_s = (decode_started.elapsed().as_secs_f64() - handling_s).max(0.0);
    let mut cut_short = None;
    match decoded {
        Err(ExtractError::Stopped) if past_range => {}
        // A file cut short: what was read before is kept, and the damage
        // reported beside it.
        Err(damage @ ExtractError::Damaged { .. }) if opts.keep_partial && sampled > 0 => {
            cut_short = Some(damage);
        }
        other => {
            other?;
        }
    }
    match input.sha256(&file) {
        Some(hashed) => {
            let (sha256, hashing_s) = hashed?;
            source.sha256 = sha256;
            // Hashing ran inside the decoder's reads.
            decode_s = (decode_s - hashing_s).max(0.0);
            times.read_s += hashing_s;
        }
        None => file.check_unchanged()?,
    }
    times.decode_s += decode_s;
    let (frames, views, hashing_times) = hasher.finish(&mut observe);
    times.add(&hashing_times);
    let duration_s = facts.duration_s.unwrap_or(last_t_s).max(last_t_s);
    source.duration_ms = (duration_s * 1000.0).round() as u64;
    if let Some(mut builder) = parted {
        if !frames.is_empty() || builder.parts_made == 0 {
            let mut part = builder.part(&source, params, frames, views, &mut features);
            part.source.duration_ms = source.duration_ms;
            on_part(part)?;
        }
        return Ok(Run {
            fingerprint: Fingerprint {
                source,
                params,
                frames: Vec::new(),
                views: Vec::new(),
                features: Vec::new(),
            },
            cut_short,
            times,
        });
    }
    Ok(Run {
        fingerprint: Fingerprint {
            source,
            params,
            frames,
            views,
            features,
        },
        cut_short,
        times,
    })
}

/// Cuts a video's hashed frames into [`Parts`]: what it holds between
/// parts is the overlap repeated in the next one.
struct PartBuilder {
    parts: Parts,
    parts_made: usize,
    /// The end of the last part, repeated at the start of the next.
    carry_frames: Vec<HashedFrame>,
    carry_views: Vec<ViewTrack>,
    carry_features: Vec<FeatureFrame>,
}

impl PartBuilder {
    fn new(parts: Parts) -> Self {
        PartBuilder {
            parts,
            parts_made: 0,
            carry_frames: Vec::new(),
            carry_views: Vec::new(),
            carry_features: Vec::new(),
        }
    }

    /// Whether the hasher holds a part's span of new frames.
    fn is_due(&self, hasher: &WindowHasher) -> bool {
        match (hasher.hashed_from_ms(), hasher.hashed_until_ms()) {
            (Some(from), Some(until)) => until.saturating_sub(from) >= self.parts.span_ms,
            _ => false,
        }
    }

    /// The next part: the carried overlap, then `frames` and `views`, and
    /// the features of that stretch (taken from `features`; later ones
    /// stay). Keeps the part's end as the next overlap.
    fn part(
        &mut self,
        source: &SourceInfo,
        params: ExtractParams,
        frames: Vec<HashedFrame>,
        views: Vec<ViewTrack>,
        features: &mut Vec<FeatureFrame>,
    ) -> Fingerprint {
        let end_ms = frames.last().map(|f| f.t_ms);
        let mut part_frames = std::mem::take(&mut self.carry_frames);
        let carried_times: Vec<u32> = part_frames.iter().map(|f| f.t_ms).collect();
        let new_times: Vec<u32> = frames.iter().map(|f| f.t_ms).collect();
        part_frames.extend(frames);
        let part_views = join_tracks(
            std::mem::take(&mut self.carry_views),
            &carried_times,
            views,
            &new_times,
        );
        let mut part_features = std::mem::take(&mut self.carry_features);
        let taken = match end_ms {
            Some(end) => features.partition_point(|f| f.t_ms <= end),
            None => features.len(),
        };
        part_features.extend(features.drain(..taken));
        // The next part begins with this one's last `overlap_ms`.
        if let Some(end) = part_frames.last().map(|f| f.t_ms) {
            let from_ms = end.saturating_sub(self.parts.overlap_ms);
            let k = part_frames.partition_point(|f| f.t_ms < from_ms);
            self.carry_frames = part_frames[k..].to_vec();
            self.carry_views = part_views
                .iter()
                .map(|v| ViewTrack {
                    region: v.region,
                    zoom_pct: v.zoom_pct,
                    frames: v.frames[k.min(v.frames.len())..].to_vec(),
                })
                .collect();
            let f = part_features.partition_point(|f| f.t_ms < from_ms);
            self.carry_features = part_features[f..].to_vec();
        }
        self.parts_made += 1;
        let mut part_source = source.clone();
        part_source.duration_ms = end_ms.map_or(0, u64::from);
        Fingerprint {
            source: part_source,
            params,
            frames: part_frames,
            views: part_views,
            features: part_features,
        }
    }
}

/// View tracks of a carried stretch (`carried`, frames at
/// `carried_times`) followed by new ones (`new`, at `new_times`): a
/// region only one side has gets placeholders on the other.
fn join_tracks(
    carried: Vec<ViewTrack>,
    carried_times: &[u32],
    new: Vec<ViewTrack>,
    new_times: &[u32],
) -> Vec<ViewTrack> {
    let mut out: Vec<ViewTrack> = Vec::with_capacity(carried.len().max(new.len()));
    let mut new: Vec<Option<ViewTrack>> = new.into_iter().map(Some).collect();
    for mut track in carried {
        let same = new.iter_mut().find(|n| {
            n.as_ref()
                .is_some_and(|n| (n.region, n.zoom_pct) == (track.region, track.zoom_pct))
        });
        match same.and_then(Option::take) {
            Some(n) => track.frames.extend(n.frames),
            None => track
                .frames
                .extend(new_times.iter().map(|&t| views::placeholder(t))),
        }
        out.push(track);
    }
    for n in new.into_iter().flatten() {
        let mut frames: Vec<HashedFrame> = carried_times
            .iter()
            .map(|&t| views::placeholder(t))
            .collect();
        frames.extend(n.frames);
        out.push(ViewTrack { frames, ..n });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::material::{write_video, Encoding, Scene};
    use crate::{extract, extract_range};

    #[test]
    fn the_sha256_taken_while_decoding_is_the_files() {
        let dir = tempfile::tempdir().unwrap();
        // The MP4 muxer writes its index at the end: FFmpeg reads it
        // first, then the frames.
        let path = dir.path().join("index-at-the-end.mp4");
        let encoding = Encoding {
            width: 160,
            height: 90,
            fps: 10,
            crf: 30,
            keyframe_s: 1,
        };
        write_video(&path, Scene::shapes(3), 0.0, 3.0, &encoding).unwrap();
        let (_, expected) = crate::file_sha256(&path).unwrap();
        for sampling in [Sampling::Dense { fps: 4.0 }, Sampling::Keyframes] {
            let fp = extract(&path, &ExtractOptions::with_sampling(sampling)).unwrap();
            assert_eq!(fp.source.sha256, expected, "{sampling:?}");
        }
    }

    #[test]
    fn a_range_is_the_whole_extraction_cut_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.mp4");
        let encoding = Encoding {
            width: 320,
            height: 180,
            fps: 10,
            crf: 23,
            keyframe_s: 2,
        };
        write_video(&path, Scene::shapes(5), 0.0, 12.0, &encoding).unwrap();
        let opts = ExtractOptions {
            decoder_threads: 1,
            ..ExtractOptions::with_sampling(Sampling::Dense { fps: 10.0 })
        };
        let whole = extract(&path, &opts).unwrap();
        // From between two keyframes: the seek lands on the one before.
        let part = extract_range(&path, &opts, 5_000, 8_900).unwrap();
        assert_eq!(part.source.sha256, [0; 32], "not read for its SHA-256");
        assert_eq!(part.source.duration_ms, whole.source.duration_ms);
        let times = |fp: &Fingerprint| -> Vec<u32> { fp.frames.iter().map(|f| f.t_ms).collect() };
        assert_eq!(times(&part), (50..=89).map(|i| i * 100).collect::<Vec<_>>());
        let in_range: Vec<_> = whole
            .frames
            .iter()
            .filter(|f| (5_000..=8_900).contains(&f.t_ms))
            .collect();
        let same = part
            .frames
            .iter()
            .zip(&in_range)
            .filter(|(a, b)| a.hash.hamming(&b.hash) <= 2)
            .count();
        assert!(
            same * 10 >= in_range.len() * 9,
            "{same} of {}",
            in_range.len()
        );
        // To the end, and past it.
        let tail = extract_range(&path, &opts, 11_000, 60_000).unwrap();
        assert_eq!(
            times(&tail),
            (110..120).map(|i| i * 100).collect::<Vec<_>>()
        );
    }
}

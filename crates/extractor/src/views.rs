//! The views stage: samples collected into windows of a few seconds;
//! per window, the framing (active picture from `borders`, a turn from
//! `tilt`, an inset from `inset`) is decided once, and every sample is
//! hashed on the whole active picture, on each centred crop of
//! [`VIEW_ZOOMS_PCT`], and on the inset, the uncut frame, the 9:16 window
//! and the 9:16 windows of a split screen's panes where the window has
//! them ([`ViewTrack`]s of the fingerprint).

use crate::borders::BorderDetector;
use crate::captions::{self, CaptionTracker};
use crate::hash::hash_sample;
use crate::inset;
use crate::luma::{self, LumaImage, MappedSampler, Rect, Resampler};
use crate::screen::{self, Quad};
use crate::split::{self, Panes};
use crate::stages::{timed, StageTimes};
use crate::tilt;
use vfp_fingerprint::{
    ExtractParams, FrameFlags, HashedFrame, Sampling, ViewRegion, ViewTrack, FULL_VIEW_PCT,
    VIEW_ZOOMS_PCT,
};

/// One hashed sample with the pictures it came from, for measurements.
#[derive(Debug)]
pub struct SampleView<'a> {
    /// The stored frame.
    pub frame: &'a HashedFrame,
    /// The upright working picture.
    pub picture: &'a LumaImage,
    /// The active area the hash was computed on.
    pub active: Rect,
    /// The angle the picture was found turned by inside its frame, in
    /// degrees clockwise, and turned back by before hashing.
    pub tilt_deg: Option<f32>,
    /// The inset picture (picture-in-picture) found, if any.
    pub inset: Option<Rect>,
    /// The two pictures of a split screen found, if any.
    pub panes: Option<Panes>,
    /// The picture filmed off a screen found, if any.
    pub screen: Option<Quad>,
}

/// Samples vote together on the active picture in windows of at least this
/// many milliseconds and [`BORDER_WINDOW_MIN_SAMPLES`] samples: long enough
/// for a stable vote, short enough to follow a compilation whose framing
/// changes. By time, so that any sampling rate sees the same windows.
const BORDER_WINDOW_MS: u32 = 4_000;
/// Fewest samples in a window (keyframes can be seconds apart).
const BORDER_WINDOW_MIN_SAMPLES: usize = 8;
/// Most samples held in a window (bounds memory at high sampling rates).
const BORDER_WINDOW_MAX_SAMPLES: usize = 240;

/// Collects samples into windows, decides each window's active picture and
/// tilt, and hashes its samples whole and at each view zoom.
pub(crate) struct WindowHasher {
    params: ExtractParams,
    /// Displayed width / height of the whole frame.
    display_aspect: f32,
    /// Displayed height of the whole frame in pixels.
    display_height: u32,
    detector: BorderDetector,
    /// Sample times and pictures of the open window.
    times_ms: Vec<u32>,
    pictures: Vec<LumaImage>,
    frames: Vec<HashedFrame>,
    /// One list per zoom of [`VIEW_ZOOMS_PCT`].
    views: Vec<Vec<HashedFrame>>,
    /// Views of regions found in some windows only: an inset picture, and
    /// the whole frame where borders were cut (in case the cut was wrong:
    /// heavy blur makes content as smooth as a blurred fill).
    inset: SparseTrack,
    whole_frame: SparseTrack,
    /// The 9:16 window a vertical re-post keeps of a wide picture.
    window: SparseTrack,
    /// The 9:16 windows of the two pictures of a split screen.
    upper_pane_window: SparseTrack,
    lower_pane_window: SparseTrack,
    /// A picture filmed off a screen, unwarped.
    screen: SparseTrack,
    /// Caption boxes over the frame.
    captions: CaptionTracker,
    /// Time spent framing, resampling views and hashing them.
    pub(crate) times: StageTimes,
}

/// What a window of samples shows, decided once for all its samples.
struct Framing {
    /// The active picture (borders cut).
    active: Rect,
    /// The angle the picture is turned by inside the frame.
    tilt_deg: Option<f32>,
    /// A picture shown inside it (not looked for in a turned picture: its
    /// edges are the turn's).
    inset: Option<Rect>,
    /// Two pictures stacked in it (not looked for in a turned picture).
    panes: Option<Panes>,
    /// A picture filmed off a screen in it (not looked for in a turned
    /// picture).
    screen: Option<Quad>,
}

/// A view of a region that only some windows have: per frame, the hash, or
/// a low-information placeholder where the window has no such region.
struct SparseTrack {
    region: ViewRegion,
    frames: Vec<HashedFrame>,
    any: bool,
}

impl SparseTrack {
    fn new(region: ViewRegion) -> Self {
        SparseTrack {
            region,
            frames: Vec::new(),
            any: false,
        }
    }

    /// Adds sample `t_ms`: hashed through `sampler` if this window has the
    /// region.
    fn push(
        &mut self,
        t_ms: u32,
        picture: &LumaImage,
        sampler: Option<&ViewSampler>,
        hashing: &Hashing<'_>,
        times: &mut StageTimes,
    ) {
        self.frames.push(match sampler {
            Some(s) => {
                self.any = true;
                hashing.hash(t_ms, picture, s, times)
            }
            None => placeholder(t_ms),
        });
    }

    /// The frames pushed so far, as a track if any window had the region;
    /// the track starts again empty.
    fn drain(&mut self, zoom_pct: u8) -> Option<ViewTrack> {
        let frames = std::mem::take(&mut self.frames);
        std::mem::replace(&mut self.any, false).then_some(ViewTrack {
            region: self.region,
            zoom_pct,
            frames,
        })
    }
}

/// The frame a sparse track holds at a sample without its region: no
/// hash, flagged low-information (never searched).
pub(crate) fn placeholder(t_ms: u32) -> HashedFrame {
    HashedFrame {
        t_ms,
        hash: Default::default(),
        mirrored: Default::default(),
        quality: 0,
        flags: FrameFlags::LOW_INFORMATION,
    }
}

/// How a window's samples are hashed: the parameters, and whether they
/// are keyframes.
struct Hashing<'a> {
    params: &'a ExtractParams,
    keyframe: bool,
}

impl Hashing<'_> {
    /// Sample `t_ms` through `sampler`, hashed; the time each step took
    /// added to `times`.
    fn hash(
        &self,
        t_ms: u32,
        picture: &LumaImage,
        sampler: &ViewSampler,
        times: &mut StageTimes,
    ) -> HashedFrame {
        let input = timed(&mut times.views_s, || sampler.resample(picture));
        timed(&mut times.hash_s, || {
            hash_sample(t_ms, &input, self.params, self.keyframe)
        })
    }
}

/// How one view of a window's samples is resampled to the hash input.
enum ViewSampler {
    Straight(Resampler),
    Mapped(MappedSampler),
}

impl ViewSampler {
    fn resample(&self, picture: &LumaImage) -> Vec<f32> {
        match self {
            ViewSampler::Straight(r) => r.resample(picture),
            ViewSampler::Mapped(m) => m.resample(picture),
        }
    }
}

impl WindowHasher {
    pub(crate) fn new(params: ExtractParams, display_aspect: f32, display_height: u32) -> Self {
        WindowHasher {
            params,
            display_aspect,
            display_height,
            detector: BorderDetector::new(luma::WORK_SIDE),
            times_ms: Vec::new(),
            pictures: Vec::new(),
            frames: Vec::new(),
            views: vec![Vec::new(); VIEW_ZOOMS_PCT.len()],
            inset: SparseTrack::new(ViewRegion::Inset),
            whole_frame: SparseTrack::new(ViewRegion::Frame),
            window: SparseTrack::new(ViewRegion::Window),
            upper_pane_window: SparseTrack::new(ViewRegion::UpperPaneWindow),
            lower_pane_window: SparseTrack::new(ViewRegion::LowerPaneWindow),
            screen: SparseTrack::new(ViewRegion::Screen),
            captions: CaptionTracker::default(),
            times: StageTimes::default(),
        }
    }

    pub(crate) fn push(
        &mut self,
        t_ms: u32,
        picture: LumaImage,
        observe: &mut impl FnMut(SampleView<'_>),
    ) {
        self.times_ms.push(t_ms);
        self.pictures.push(picture);
        let span_ms = t_ms - self.times_ms[0];
        let n = self.times_ms.len();
        if (span_ms >= BORDER_WINDOW_MS && n >= BORDER_WINDOW_MIN_SAMPLES)
            || n >= BORDER_WINDOW_MAX_SAMPLES
        {
            self.flush(observe);
        }
    }

    /// Decides and hashes the open window; one whose framing changes
    /// (a compilation's cut, a card before the episode) in two parts, each
    /// with its own framing.
    fn flush(&mut self, observe: &mut impl FnMut(SampleView<'_>)) {
        if self.pictures.is_empty() {
            return;
        }
        let (detector, pictures) = (&mut self.detector, &self.pictures);
        let change = timed(&mut self.times.framing_s, || {
            self.params
                .hash
                .crop_borders
                .then(|| detector.framing_change(pictures))
                .flatten()
        });
        if let Some(k) = change.filter(|&k| k > 0 && k < self.pictures.len()) {
            let rest_ms = self.times_ms.split_off(k);
            let rest = self.pictures.split_off(k);
            self.flush_part(observe);
            self.times_ms = rest_ms;
            self.pictures = rest;
            // Each part is shorter: this ends.
            return self.flush(observe);
        }
        self.flush_part(observe);
    }

    /// Decides the framing of the open window and hashes its samples.
    fn flush_part(&mut self, observe: &mut impl FnMut(SampleView<'_>)) {
        if self.pictures.is_empty() {
            return;
        }
        let started = std::time::Instant::now();
        let Framing {
            active,
            tilt_deg,
            inset,
            panes,
            screen,
        } = self.framing();
        self.times.framing_s += started.elapsed().as_secs_f64();
        let zoom = |pct: u8| f32::from(pct) / 100.0;
        let region_sampler = |r: Rect| {
            ViewSampler::Straight(Resampler::new(
                centred(r, zoom(REGION_VIEW_PCT)),
                luma::WORK_SIDE,
            ))
        };
        let inset_sampler = inset.map(region_sampler);
        let full = Rect::full(luma::WORK_SIDE);
        let whole_sampler = (active != full && tilt_deg.is_none()).then(|| region_sampler(full));
        let geometry = self.geometry(active);
        let window_of = |picture: Rect| {
            vertical_window(picture, self.geometry(picture).aspect).map(|w| {
                ViewSampler::Straight(Resampler::new(
                    centred(w, zoom(WINDOW_VIEW_PCT)),
                    luma::WORK_SIDE,
                ))
            })
        };
        let window_sampler = tilt_deg.is_none().then(|| window_of(active)).flatten();
        let upper_pane_sampler = panes.and_then(|p| window_of(p.upper));
        let lower_pane_sampler = panes.and_then(|p| window_of(p.lower));
        let screen_sampler = screen.map(|q| ViewSampler::Mapped(q.sampler(zoom(REGION_VIEW_PCT))));
        let samplers: Vec<ViewSampler> = std::iter::once(FULL_VIEW_PCT)
            .chain(VIEW_ZOOMS_PCT)
            .map(|pct| match tilt_deg {
                Some(deg) => ViewSampler::Mapped(tilt::turned_back(geometry, deg, zoom(pct))),
                None => ViewSampler::Straight(Resampler::new(
                    centred(active, zoom(pct)),
                    luma::WORK_SIDE,
                )),
            })
            .collect();
        let hashing = Hashing {
            params: &self.params,
            keyframe: self.params.sampling == Sampling::Keyframes,
        };
        let times = &mut self.times;
        for (t_ms, picture) in self.times_ms.drain(..).zip(self.pictures.drain(..)) {
            let mut hashed = samplers
                .iter()
                .map(|s| hashing.hash(t_ms, &picture, s, times));
            let Some(frame) = hashed.next() else {
                unreachable!("the whole picture is always a view");
            };
            for (track, view) in self.views.iter_mut().zip(hashed) {
                track.push(view);
            }
            let sparse = [
                (&mut self.inset, inset_sampler.as_ref()),
                (&mut self.whole_frame, whole_sampler.as_ref()),
                (&mut self.window, window_sampler.as_ref()),
                (&mut self.upper_pane_window, upper_pane_sampler.as_ref()),
                (&mut self.lower_pane_window, lower_pane_sampler.as_ref()),
                (&mut self.screen, screen_sampler.as_ref()),
            ];
            for (track, sampler) in sparse {
                track.push(t_ms, &picture, sampler, &hashing, times);
            }
            observe(SampleView {
                frame: &frame,
                picture: &picture,
                active,
                tilt_deg,
                inset,
                panes,
                screen,
            });
            self.frames.push(frame);
        }
    }

    /// The open window's framing.
    fn framing(&mut self) -> Framing {
        if !self.params.hash.crop_borders {
            return Framing {
                active: Rect::full(luma::WORK_SIDE),
                tilt_deg: None,
                inset: None,
                panes: None,
                screen: None,
            };
        }
        // Caption boxes laid half over the pad would keep it from being
        // cut: borders are decided with them painted black. A window too
        // short to tell keeps the last window's boxes.
        let boxes = self.captions.boxes(&self.pictures).to_vec();
        let active = if boxes.is_empty() {
            self.detector.update(&self.pictures)
        } else {
            let masked: Vec<LumaImage> = self
                .pictures
                .iter()
                .map(|p| captions::masked(p, &boxes))
                .collect();
            let active = self.detector.update(&masked);
            self.captions.grow(&self.pictures, active)
        };
        let tilt_deg = tilt::detect(&self.pictures, self.geometry(active));
        let upright = tilt_deg.is_none();
        Framing {
            active,
            tilt_deg,
            inset: upright
                .then(|| inset::detect(&self.pictures, active))
                .flatten(),
            panes: upright
                .then(|| split::detect(&self.pictures, active))
                .flatten(),
            screen: upright
                .then(|| screen::detect(&self.pictures, active))
                .flatten(),
        }
    }

    /// The geometry of `active` in this video.
    fn geometry(&self, active: Rect) -> tilt::Geometry {
        tilt::Geometry {
            active,
            // The working picture is square: its pixels are as wide as the
            // displayed frame's aspect.
            aspect: self.display_aspect * active.width() as f32 / active.height().max(1) as f32,
            height_px: self.display_height as f32 * active.height() as f32 / luma::WORK_SIDE as f32,
        }
    }

    /// The frames and view tracks of every window hashed so far (not the
    /// open window's samples, hashed when it closes), handed over: a long
    /// video is matched part by part, and its parts need not be held.
    pub(crate) fn drain(&mut self) -> (Vec<HashedFrame>, Vec<ViewTrack>) {
        let mut views: Vec<ViewTrack> = VIEW_ZOOMS_PCT
            .iter()
            .zip(self.views.iter_mut())
            .map(|(&zoom_pct, frames)| ViewTrack {
                region: ViewRegion::Active,
                zoom_pct,
                frames: std::mem::take(frames),
            })
            .collect();
        views.extend(self.inset.drain(REGION_VIEW_PCT));
        views.extend(self.whole_frame.drain(REGION_VIEW_PCT));
        views.extend(self.window.drain(WINDOW_VIEW_PCT));
        views.extend(self.upper_pane_window.drain(WINDOW_VIEW_PCT));
        views.extend(self.lower_pane_window.drain(WINDOW_VIEW_PCT));
        views.extend(self.screen.drain(REGION_VIEW_PCT));
        (std::mem::take(&mut self.frames), views)
    }

    /// Time of the first hashed sample held, ms.
    pub(crate) fn hashed_from_ms(&self) -> Option<u32> {
        self.frames.first().map(|f| f.t_ms)
    }

    /// Time of the last hashed sample held, ms.
    pub(crate) fn hashed_until_ms(&self) -> Option<u32> {
        self.frames.last().map(|f| f.t_ms)
    }

    /// Hashes the open window and hands over everything.
    pub(crate) fn finish(
        mut self,
        observe: &mut impl FnMut(SampleView<'_>),
    ) -> (Vec<HashedFrame>, Vec<ViewTrack>, StageTimes) {
        self.flush(observe);
        let (frames, views) = self.drain();
        (frames, views, self.times)
    }
}

/// The zoom of the inset and whole-frame views: the catalog's view, since
/// each stands for a whole picture of the title.
const REGION_VIEW_PCT: u8 = vfp_fingerprint::CATALOG_VIEW_PCT;

/// The display aspect (width / height) of a 9:16 phone screen.
const VERTICAL_ASPECT: f32 = 9.0 / 16.0;
/// A picture is hashed through its 9:16 window only when it is at least
/// this much wider than the window (else the window is nearly all of it).
const MIN_WINDOW_WIDENING: f32 = 1.15;
/// The zoom of the window view: its central part, so that a re-post that
/// also crops a little, or lays a caption over the edges, still shows it.
const WINDOW_VIEW_PCT: u8 = 87;

/// The centred, full-height window of `active` (whose display aspect is
/// `aspect`) that fills a 9:16 screen; `None` unless the picture is
/// clearly wider than that.
fn vertical_window(active: Rect, aspect: f32) -> Option<Rect> {
    if !(aspect.is_finite() && aspect >= VERTICAL_ASPECT * MIN_WINDOW_WIDENING) {
        return None;
    }
    let width = ((active.width() as f32 * VERTICAL_ASPECT / aspect).round() as usize).max(1);
    let x0 = active.x0 + (active.width() - width) / 2;
    Some(Rect {
        x0,
        x1: x0 + width,
        y0: active.y0,
        y1: active.y1,
    })
}

/// The centred `zoom` (0-1] of `rect`, at least one pixel each way.
fn centred(rect: Rect, zoom: f32) -> Rect {
    let cut = |from: usize, to: usize| {
        let len = to - from;
        let keep = ((len as f32 * zoom).round() as usize).clamp(1, len);
        let start = from + (len - keep) / 2;
        (start, start + keep)
    };
    let (x0, x1) = cut(rect.x0, rect.x1);
    let (y0, y1) = cut(rect.y0, rect.y1);
    Rect { x0, x1, y0, y1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vertical_window_is_the_centred_9_16_part_of_a_wide_picture() {
        let full = Rect::full(192);
        // 16:9: a third of the width, centred, full height.
        let w = vertical_window(full, 16.0 / 9.0).unwrap();
        assert_eq!((w.x0, w.x1, w.y0, w.y1), (65, 126, 0, 192));
        // 4:3: 42 % of the width.
        let w = vertical_window(full, 4.0 / 3.0).unwrap();
        assert_eq!((w.x0, w.x1), (55, 136));
        // Inside an active picture with borders cut.
        let active = Rect {
            x0: 10,
            x1: 182,
            y0: 40,
            y1: 152,
        };
        let w = vertical_window(active, 2.0).unwrap();
        assert_eq!((w.x0, w.x1, w.y0, w.y1), (72, 120, 40, 152));
        // Pictures hardly wider than 9:16 (or narrower) have none.
        assert_eq!(vertical_window(full, 9.0 / 16.0), None);
        assert_eq!(vertical_window(full, 0.6), None);
        assert_eq!(vertical_window(full, f32::NAN), None);
    }

    #[test]
    fn any_area_and_aspect_gives_a_window_inside_it_or_none() {
        for (_, area, seed) in crate::luma::testing::arbitrary_windows(60) {
            let aspect = [0.1, 0.5, 0.65, 0.7, 1.0, 1.78, 2.4, 9.0][seed as usize % 8];
            if let Some(w) = vertical_window(area, aspect) {
                assert!(
                    w.x0 >= area.x0 && w.x1 <= area.x1 && w.x0 < w.x1,
                    "{w:?} in {area:?}"
                );
                assert_eq!((w.y0, w.y1), (area.y0, area.y1));
            }
        }
    }
}

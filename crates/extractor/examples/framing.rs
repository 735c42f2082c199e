//! What the extractor decided about each video's framing, window by
//! window: the active picture (after borders), a tilt, an inset picture,
//! a split screen's two pictures, a filmed screen.
//! For looking into a miss.
//!
//! ```text
//! cargo run --release -p vfp-extractor --example framing -- VIDEO...
//! ```
//! Prints one line per video: each change of (active x0..x1 × y0..y1,
//! tilt in degrees, inset x0..x1 × y0..y1, split panes, a
//! filmed screen's corners), in 192-pixel working
//! coordinates, with the sample time it starts at.

use std::path::Path;
use vfp_extractor::{extract_observed, ExtractOptions, Rect};

fn rect(r: Rect) -> String {
    format!("{}..{}×{}..{}", r.x0, r.x1, r.y0, r.y1)
}

fn main() {
    let opts = ExtractOptions::with_sampling(vfp_fingerprint::Sampling::Dense { fps: 4.0 });
    for path in std::env::args().skip(1) {
        let mut changes = Vec::new();
        let mut last = None;
        let result = extract_observed(Path::new(&path), &opts, |s| {
            let now = (
                s.active,
                s.tilt_deg.map(|t| (t * 100.0) as i32),
                s.inset,
                s.panes,
                s.screen
                    .map(|q| q.corners.map(|(x, y)| (x as i32, y as i32))),
            );
            if last != Some(now) {
                last = Some(now);
                changes.push(format!(
                    "{:.1}s active {} tilt {} inset {} split {} screen {}",
                    f64::from(s.frame.t_ms) / 1000.0,
                    rect(s.active),
                    s.tilt_deg.map_or("-".into(), |t| format!("{t:.2}°")),
                    s.inset.map_or("-".into(), rect),
                    s.panes.map_or("-".into(), |p| format!(
                        "{} / {}",
                        rect(p.upper),
                        rect(p.lower)
                    )),
                    s.screen
                        .map_or("-".into(), |q| format!("{:.0?}", q.corners))
                ));
            }
        });
        match result {
            Ok(_) => println!("{path}: {}", changes.join("; ")),
            Err(e) => println!("{path}: error: {e}"),
        }
    }
}

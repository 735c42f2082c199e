//! `--format human`: the clip, what was searched, and each segment with
//! timecodes in both files.

use crate::output::{count, printable, title_label};
use vfp_scan::record::FoundBy;
use vfp_scan::units::timecode;
use vfp_scan::Verification;

/// The verification for a person.
pub fn render(v: &Verification) -> String {
    let mut out = format!(
        "clip     {} ({:.3} s, sha256 {})\ncatalog  {} (radius {} bits, {} searched; along a match {} bits)\n",
        printable(&v.clip),
        v.clip_duration_s,
        v.clip_sha256,
        v.catalog,
        v.radius,
        count(v.sampled_frames, "clip frame"),
        v.follow_radius
    );
    if v.exploratory {
        out.push_str(
            "EXPLORATORY: radii beyond the widest tested without a false claim (47 and 71 bits): a lead, not evidence\n",
        );
    }
    if v.segments.is_empty() {
        out.push_str("no match\n");
    }
    for (i, s) in v.segments.iter().enumerate() {
        out.push_str(&format!(
            "segment {}: {} score {:.3}\n  clip  {} - {}\n  title {} - {} (of {}, sha256 {})\n",
            i + 1,
            title_label(&s.title_id, &s.title_name),
            s.score,
            s.clip_start,
            s.clip_end,
            s.title_start,
            s.title_end,
            timecode((s.title_duration_s * 1000.0).round() as u64),
            s.title_sha256,
        ));
        let by_keypoints = s.frames.iter().all(|f| f.found_by == FoundBy::Keypoints);
        let mirrored = if s.mirrored { ", mirrored" } else { "" };
        if by_keypoints && !s.frames.is_empty() {
            // Found by local features: the picture is a moved or scaled
            // part of the title's, which its hashes do not see.
            out.push_str(&format!(
                "  by local features (a zoom or crop of the picture){mirrored}: {} clip frames each share keypoints with a title picture at one offset, mean descriptor distance {:.1} bits of 256\n",
                s.matched_frames, s.mean_distance
            ));
        } else {
            out.push_str(&format!(
                "  speed {:.3}{mirrored}, {} of {} frames matched ({:.0} %; {} by the search), mean distance {:.1} bits\n",
                s.speed,
                s.matched_frames,
                s.sampled_frames,
                s.coverage * 100.0,
                s.searched_frames,
                s.mean_distance
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use vfp_scan::testing::verification;

    #[test]
    fn segments_in_timecodes() {
        let text = render(&verification(true));
        assert!(
            text.starts_with("clip     clip.mp4 (4.000 s, sha256 abab"),
            "{text}"
        );
        assert!(text.contains("120 clip frames searched"), "{text}");
        assert!(
            text.contains("segment 1: ep1 \"Pilot\" score 0.975\n"),
            "{text}"
        );
        assert!(
            text.contains("  clip  00:00:01.000 - 00:00:03.000\n"),
            "{text}"
        );
        assert!(text.contains("(of 00:25:00.000, sha256 cdcd"), "{text}");
        assert!(
            text.contains("speed 1.000, mirrored, 3 of 4 frames matched (75 %; 2 by the search)"),
            "{text}"
        );
    }

    #[test]
    fn no_match_says_so() {
        assert!(render(&verification(false)).ends_with("no match\n"));
    }
}

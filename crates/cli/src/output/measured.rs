//! vfp's measured accuracy figures, as the evidence page quotes them:
//! `docs/measured.json`, written by the eval scripts
//! (`scripts/eval/record.py`) and compiled in. The README and `docs/`
//! quote the same figures, and a test below holds them to them: they are
//! kept once.

use serde::Deserialize;
use std::sync::LazyLock;

/// The figures as the eval scripts last wrote them.
const MEASURED_JSON: &str = include_str!("../../../../docs/measured.json");

/// The measured figures.
#[derive(Debug, Deserialize)]
pub struct Measured {
    /// On the dev set.
    pub dev: DevSet,
    /// On the social suite.
    #[serde(rename = "social-dev")]
    pub social: SocialSet,
}

/// The figures of the dev set.
#[derive(Debug, Deserialize)]
pub struct DevSet {
    /// `scripts/eval/accuracy.sh`.
    pub accuracy: Accuracy,
    /// `scripts/eval/cross.sh`.
    pub cross: Cross,
    /// `scripts/eval/frames.sh`.
    pub frames: Frames,
}

/// The figures of the social suite.
#[derive(Debug, Deserialize)]
pub struct SocialSet {
    /// `SPLIT=social-dev scripts/eval/frames.sh`.
    pub frames: Frames,
}

/// A set's queries scanned against its catalog.
#[derive(Debug, Deserialize)]
pub struct Accuracy {
    /// The script that measures them.
    pub by: String,
    /// Clips that show no catalog title.
    pub negatives: u64,
    /// Clips that show a catalog title.
    pub positives: u64,
    /// Of them, clips with a claim (false positives).
    pub claims_on_negatives: u64,
    /// Copies of a title found as that title.
    pub detected: u64,
    /// Lowest score of a detected copy.
    pub score_min: f64,
    /// Median score of the detected copies.
    pub score_median: f64,
    /// Highest score of a detected copy.
    pub score_max: f64,
}

/// Titles outside the catalog, and the corpus videos no title came from.
#[derive(Debug, Deserialize)]
pub struct Cross {
    /// The script that measures them.
    pub by: String,
    /// Files of titles outside the catalog (whole titles and their
    /// transformed queries).
    pub files: u64,
    /// Of them, files with a claim.
    pub claims: u64,
    /// Unrelated full-length corpus videos.
    pub unrelated_videos: u64,
    /// Of them, videos with a claim.
    pub unrelated_video_claims: u64,
}

/// Per-frame distances between unrelated moments and catalog frames.
#[derive(Debug, Deserialize)]
pub struct Frames {
    /// The script that measures them.
    pub by: String,
    /// The nearest moment of a negative clip to any catalog frame, bits
    /// of 256.
    pub nearest_negative_bits: u32,
    /// The nearest moment of an unrelated full-length video to any
    /// catalog frame, bits of 256.
    #[serde(default)]
    pub nearest_unrelated_video_bits: Option<u32>,
    /// Unrelated (moment, catalog frame) pairs compared, millions.
    #[serde(default)]
    pub unrelated_pairs_millions: Option<u64>,
}

impl Frames {
    /// The nearest unrelated pair of all those compared, bits of 256.
    pub fn nearest_bits(&self) -> u32 {
        self.nearest_unrelated_video_bits
            .map_or(self.nearest_negative_bits, |v| {
                v.min(self.nearest_negative_bits)
            })
    }
}

static MEASURED: LazyLock<Option<Measured>> =
    LazyLock::new(|| serde_json::from_str(MEASURED_JSON).ok());

impl Measured {
    /// The figures compiled in (`None` only if `docs/measured.json` were
    /// malformed, which a test rules out).
    pub fn get() -> Option<&'static Measured> {
        MEASURED.as_ref()
    }

    /// Files of the evaluation that show no catalog title.
    pub fn negative_files(&self) -> u64 {
        self.dev.accuracy.negatives + self.dev.cross.unrelated_videos + self.dev.cross.files
    }

    /// Of them, files with a claim.
    pub fn false_claims(&self) -> u64 {
        self.dev.accuracy.claims_on_negatives
            + self.dev.cross.unrelated_video_claims
            + self.dev.cross.claims
    }

    /// The per-file false-claim rate that no claim in
    /// [`negative_files`](Self::negative_files) bounds at 95 % confidence,
    /// in percent (the exact binomial bound, `1 - 0.05^(1/n)`).
    pub fn bound_pct(&self) -> f64 {
        let n = self.negative_files().max(1) as f64;
        100.0 * (1.0 - 0.05f64.powf(1.0 / n))
    }

    /// The commands that measure these figures.
    pub fn commands(&self) -> String {
        format!(
            "{}, {} and {}",
            self.dev.accuracy.by, self.dev.cross.by, self.dev.frames.by
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` with every run of white space one space: a sentence of the
    /// README may wrap anywhere.
    fn folded(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn the_figures_parse_and_add_up() {
        let m = Measured::get().expect("docs/measured.json parses");
        assert_eq!(
            m.negative_files(),
            m.dev.accuracy.negatives + m.dev.cross.unrelated_videos + m.dev.cross.files
        );
        // 0 of 263: about 1.1 %, the rule of three's 3/n.
        let three = 300.0 / m.negative_files() as f64;
        assert!(
            (m.bound_pct() - three).abs() < 0.05 * three,
            "{}",
            m.bound_pct()
        );
        assert!(m.commands().contains("scripts/eval/cross.sh"));
    }

    #[test]
    fn the_readme_quotes_the_same_figures() {
        let m = Measured::get().expect("docs/measured.json parses");
        // The README and its reference pages in docs/.
        let readme = folded(
            &[
                include_str!("../../../../README.md"),
                include_str!("../../../../docs/accuracy.md"),
                include_str!("../../../../docs/how-it-works.md"),
                include_str!("../../../../docs/reliability.md"),
                include_str!("../../../../docs/throughput.md"),
            ]
            .join("\n"),
        );
        let (a, c, f) = (&m.dev.accuracy, &m.dev.cross, &m.dev.frames);
        // Its words (and the page's) say no file had a claim.
        assert_eq!(m.false_claims(), 0);
        let n = m.negative_files();
        let bound = format!("{:.1}", m.bound_pct());
        let mut quoted = vec![
            format!(
                "dev set's {} detected copies (clips of a few seconds) scores run from {:.2} to {:.2}, median {:.2}",
                a.detected, a.score_min, a.score_max, a.score_median
            ),
            format!(
                "on the {} negative clips, on the {} unrelated full-length corpus videos, and on {} files of titles outside the catalog",
                a.negatives, c.unrelated_videos, c.files
            ),
            format!("{n} files, at the defaults"),
            format!("0 of {n} files bounds the per-file false-positive rate at about {bound} % (95 % confidence)"),
            format!("no claim in any of {n} files showing no catalog title, so false claims below about {bound} % of files"),
            format!("the nearest negative moment at {} bits", f.nearest_negative_bits),

            format!(
                "come within {} bits of a catalog hash with windows stored",
                m.social.frames.nearest_negative_bits
            ),
        ];
        if let Some(bits) = f.nearest_unrelated_video_bits {
            quoted.push(format!(
                "its lower pane's window came within {bits} bits of a title's window"
            ));
        }
        if let Some(pairs) = f.unrelated_pairs_millions {
            quoted.push(format!("{pairs} M unrelated pairs"));
        }
        for q in quoted {
            assert!(readme.contains(&q), "the README and docs/ do not say: {q}");
        }
    }
}

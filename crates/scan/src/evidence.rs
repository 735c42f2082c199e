//! What a reviewer's evidence shows besides the [`Verification`] itself,
//! gathered here so that a page or a report only renders what it is
//! handed (as ripgrep's printers format what its searcher found):
//!
//! - [`Evidence`]: all of it for one clip, gathered at once.
//! - [`Provenance`]: where the clip came from (as the reviewer gives it)
//!   and how the check was made (when, by which vfp, with which command,
//!   against which catalog, at which thresholds).
//! - [`shown_pairs`]: per matched segment, a few frame pairs spread over
//!   it, each with the clip's picture and the title's, or why a picture
//!   is missing. A picture comes only from bytes whose SHA-256 is the one
//!   recorded: the title's from its source video if that hashes to what
//!   the catalog recorded ([`same_source`]), the clip's from the clip if
//!   it hashes to what its check recorded; each decoded through the
//!   descriptor that was hashed, never from whatever the path names by
//!   then.

use crate::record::{FramePair, SegmentEvidence, Verification};
use crate::scanner::is_fingerprint_file;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::ffi::OsString;
use std::path::Path;
use vfp_extractor::{SourceFile, Thumbnail};
use vfp_fingerprint::TitleIndex;
use vfp_index::stills::{StillsWriter, STILL_WIDTH};
use vfp_index::{Catalog, IndexError};
use vfp_matcher::MatchParams;

/// Frame pairs shown per matched segment.
pub const PAIRS_SHOWN: usize = 4;

/// Width of a shown picture, pixels.
pub const THUMBNAIL_WIDTH: u32 = 320;

/// Everything an evidence page shows of one clip but the words: the
/// verification, its provenance and, per segment, the pairs shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// The check itself, as it may leave the studio (the clip by its file
    /// name, no catalog path).
    pub verification: Verification,
    /// Where the clip came from, how the check was made.
    pub provenance: Provenance,
    /// For each of the verification's segments, in order, the pairs
    /// shown ([`shown_pairs`]).
    pub pairs: Vec<Vec<ShownPair>>,
}

impl Evidence {
    /// The evidence of `verification`, a check of `clip` against
    /// `catalog`: the pictures are taken from `clip` and from each title's
    /// source video where this machine has it, each only if it still
    /// holds the bytes that were checked, else from the title's stills
    /// kept in the catalog ([`shown_pairs`]).
    pub fn gather(
        verification: Verification,
        provenance: Provenance,
        clip: &Path,
        catalog: Option<&Catalog>,
    ) -> Evidence {
        let pairs = shown_pairs(&verification, clip, catalog);
        Evidence {
            verification: shareable(verification),
            provenance,
            pairs,
        }
    }
}

/// `v` as it may leave the studio: the clip named by its file name (the
/// folders it was found in are this machine's), the catalog by its
/// MANIFEST's SHA-256 in the provenance only (its path is the studio's
/// layout). Titles' source paths are never serialized.
fn shareable(mut v: Verification) -> Verification {
    v.clip = Path::new(&v.clip)
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    v.catalog = String::new();
    for s in &mut v.segments {
        s.title_source_path = String::new();
    }
    v
}

/// Where the clip came from and who checks it, as the reviewer gives it
/// (`--source-url`, `--found-at`, `--reviewer`, `--case`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReviewerInput {
    /// Where the clip was found (a post's URL).
    pub source_url: Option<String>,
    /// When it was found, as the reviewer records it.
    pub found_at: Option<String>,
    /// Who checks it.
    pub reviewer: Option<String>,
    /// The case it belongs to (free text or an id).
    pub case: Option<String>,
}

/// Where a clip came from and how its check was made: given by the
/// reviewer and recorded by vfp.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Provenance {
    /// Where the clip was found (a post's URL).
    pub source_url: Option<String>,
    /// When it was found, as the reviewer records it.
    pub found_at: Option<String>,
    /// Who checks it.
    pub reviewer: Option<String>,
    /// The case it belongs to (free text or an id).
    pub case: Option<String>,
    /// When this report was made, UTC (`2026-11-30T09:55:12Z`).
    pub generated_at_utc: String,
    /// The vfp that made it.
    pub vfp_version: String,
    /// The command that made it, to repeat the check.
    pub command_line: String,
    /// The catalog's identity: SHA-256 of its MANIFEST (which names every
    /// segment file and its checksum), not its local path.
    pub catalog_manifest_sha256: String,
    /// Titles in the catalog.
    pub catalog_titles: usize,
    /// Frames in the catalog.
    pub catalog_frames: usize,
    /// Fewest time-consistent frames matched by their hashes a match needs.
    pub min_frames: usize,
    /// Fewest title pictures matched by their keypoints a match found by
    /// local features needs.
    #[serde(default)]
    pub min_pictures: usize,
    /// Shortest match, seconds of the clip.
    pub min_duration_s: f64,
}

impl Provenance {
    /// The provenance of a check made at `generated_at_utc` against
    /// `catalog` with `params`, by the command `args` (a process's
    /// arguments, the program first), by vfp `vfp_version`.
    pub fn gather(
        given: ReviewerInput,
        catalog: &Catalog,
        params: &MatchParams,
        local: &vfp_matcher::local::LocalParams,
        args: impl IntoIterator<Item = OsString>,
        vfp_version: &str,
        generated_at_utc: String,
    ) -> Result<Provenance, IndexError> {
        Ok(Provenance {
            source_url: given.source_url,
            found_at: given.found_at,
            reviewer: given.reviewer,
            case: given.case,
            generated_at_utc,
            vfp_version: vfp_version.to_owned(),
            command_line: command_line(args),
            catalog_manifest_sha256: vfp_fingerprint::to_hex(
                &Sha256::digest(catalog.files()?.manifest).into(),
            ),
            catalog_titles: catalog.titles().len(),
            catalog_frames: catalog.frame_count(),
            min_frames: params.min_frames,
            min_pictures: local.min_title_frames,
            min_duration_s: f64::from(params.min_duration_ms) / 1000.0,
        })
    }
}

/// A command line as a POSIX shell would take it back, without any
/// credential ([`redact_credentials`]).
fn command_line(args: impl IntoIterator<Item = OsString>) -> String {
    args.into_iter()
        .map(|a| shell_quoted(&redact_credentials(&a.to_string_lossy())))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Shown in place of a credential.
pub const REDACTED: &str = "***";

/// Names of values that are secrets, in a URL's query or a `key=value`
/// pair.
fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "token",
        "apikey",
        "api_key",
        "sslpassword",
    ]
    .iter()
    .any(|s| name == *s || name.ends_with(&format!("_{s}")))
}

/// `text` with credentials replaced by [`REDACTED`]: the password of a
/// URL's user part (`postgres://vfp:PASSWORD@db`, `nats://u:PASSWORD@q`),
/// and the value of any `name=value` pair whose name says it is a secret
/// (`?password=`, libpq's `password=`, `token=`), wherever in `text`.
pub fn redact_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // The password in each `scheme://user:password@` of the text.
    while let Some(k) = rest.find("://") {
        let (head, tail) = rest.split_at(k + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#' | ',') || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => {
                        out.push_str(user);
                        out.push(':');
                        out.push_str(REDACTED);
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    // Secret `name=value` pairs, in a query (`&`, `?`, `;`) or a
    // key-value string (whitespace).
    let mut redacted = String::with_capacity(out.len());
    let mut word_start = 0;
    let bytes = out.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'=' && is_secret_name(&out[word_start..i]) {
            redacted.push_str(&out[word_start..=i]);
            redacted.push_str(REDACTED);
            // Skip the value: to the next separator (a quoted libpq value
            // to its closing quote).
            let mut j = i + 1;
            if bytes.get(j) == Some(&b'\'') {
                j += 1;
                while j < bytes.len() && bytes[j] != b'\'' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                j = (j + 1).min(bytes.len());
            } else {
                while j < bytes.len() && !is_pair_separator(bytes[j]) {
                    j += 1;
                }
            }
            i = j;
            word_start = j;
            continue;
        }
        if is_pair_separator(c) || c == b'=' {
            redacted.push_str(&out[word_start..=i]);
            word_start = i + 1;
        }
        i += 1;
    }
    redacted.push_str(&out[word_start.min(out.len())..]);
    redacted
}

fn is_pair_separator(c: u8) -> bool {
    matches!(c, b'&' | b'?' | b';' | b',' | b' ' | b'\t' | b'\n')
}

/// `arg` as one shell word: as it is when that is safe, else in single
/// quotes.
fn shell_quoted(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./:=@%+,-".contains(&b));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// A picture of a frame, or why there is none.
#[derive(Clone, Debug, PartialEq)]
pub enum Picture {
    /// The frame, [`THUMBNAIL_WIDTH`] pixels wide.
    Frame(Thumbnail),
    /// Why no picture is shown.
    Missing(String),
}

/// A matched frame pair as a reviewer sees it: the clip's picture beside
/// the title's.
#[derive(Clone, Debug, PartialEq)]
pub struct ShownPair {
    /// The pair: times and distance.
    pub pair: FramePair,
    /// The clip's frame at `pair.clip_ms`.
    pub clip: Picture,
    /// The title's frame at `pair.title_ms`.
    pub title: Picture,
    /// Where the title's frame comes from when it is not its source
    /// video (the catalog's still), for the page to say.
    pub title_from: Option<String>,
}

/// For each segment of `v`, in order, up to [`PAIRS_SHOWN`] pairs spread
/// over it ([`pairs_inside`]), with pictures from `clip` and from the
/// title's source video where this machine has it, else from the title's
/// stills kept in `catalog`.
pub fn shown_pairs(
    v: &Verification,
    clip: &Path,
    catalog: Option<&Catalog>,
) -> Vec<Vec<ShownPair>> {
    let clip = checked_clip(clip, &v.clip_sha256);
    v.segments
        .iter()
        .map(|s| segment_pairs(s, &clip, catalog))
        .collect()
}

/// The clip, opened and hashed, if it still holds the bytes its check
/// recorded (`clip_sha256`); else why its pictures are not shown.
fn checked_clip(clip: &Path, clip_sha256: &str) -> Result<SourceFile, String> {
    if is_fingerprint_file(clip) {
        return Err("a fingerprint has no pictures".into());
    }
    let source = SourceFile::open(clip).map_err(|e| e.to_string())?;
    let found = vfp_fingerprint::to_hex(&source.sha256().map_err(|e| e.to_string())?);
    if found != clip_sha256 {
        return Err(format!(
            "the clip changed after it was checked (SHA-256 now {found}, checked {clip_sha256}); no frames are shown from it"
        ));
    }
    Ok(source)
}

fn segment_pairs(
    s: &SegmentEvidence,
    clip: &Result<SourceFile, String>,
    catalog: Option<&Catalog>,
) -> Vec<ShownPair> {
    let inside = pairs_inside(s);
    let picks: Vec<FramePair> = if inside.len() <= PAIRS_SHOWN {
        inside
    } else {
        (0..PAIRS_SHOWN)
            .map(|k| inside[k * (inside.len() - 1) / (PAIRS_SHOWN - 1)])
            .collect()
    };
    let clip_times: Vec<u32> = picks.iter().map(|f| f.clip_ms).collect();
    let title_times: Vec<u32> = picks.iter().map(|f| f.title_ms).collect();
    let clip_pictures = clip
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|clip| pictures(clip, &clip_times));
    let from_video = if s.title_source_path.is_empty() {
        Err("the title's source video is not recorded in the catalog".into())
    } else {
        same_source(Path::new(&s.title_source_path), &s.title_sha256)
            .and_then(|source| pictures(&source, &title_times))
    };
    // Away from the title's video, the stills kept with the catalog.
    let (title_pictures, title_from) = match from_video {
        Ok(p) => (Ok(p), None),
        Err(why) => match catalog.map(|c| kept_stills(c, &s.title_sha256, &title_times)) {
            Some(Ok(Some(stills))) => (Ok(stills), Some(format!("the catalog's still ({why})"))),
            None => (Err(why), None),
            Some(Ok(None)) => (
                Err(format!(
                    "{why}, and the catalog keeps no stills of it (vfp index stills)"
                )),
                None,
            ),
            Some(Err(e)) => (Err(format!("{why}; the catalog's stills of it: {e}")), None),
        },
    };
    picks
        .into_iter()
        .enumerate()
        .map(|(k, pair)| {
            let title = picture(&title_pictures, k);
            ShownPair {
                pair,
                clip: picture(&clip_pictures, k),
                title_from: title_from
                    .clone()
                    .filter(|_| matches!(title, Picture::Frame(_))),
                title,
            }
        })
        .collect()
}

/// How far from a pair's title time a kept still may be: a title's
/// stills are at its sampled moments (4 a second by default), a keypoint
/// pair's time is one of them.
const STILL_SLACK_MS: u32 = 130;

/// The stills of the title video `sha256` kept in `catalog` nearest
/// `times_ms`, if the catalog keeps them; their errors without the
/// catalog's path.
fn kept_stills(
    catalog: &Catalog,
    sha256: &str,
    times_ms: &[u32],
) -> Result<Option<Vec<Option<Thumbnail>>>, String> {
    let describe = |e: IndexError| match e {
        IndexError::Stills { reason, .. } => reason,
        IndexError::Io { source, what, .. } => format!("{what}: {source}"),
        other => other.to_string(),
    };
    let Some(stills) = catalog.stills_of(sha256).map_err(describe)? else {
        return Ok(None);
    };
    times_ms
        .iter()
        .map(|&t| {
            let still = stills.still_near(t, STILL_SLACK_MS).map_err(describe)?;
            Ok(still.map(|s| Thumbnail {
                width: s.width,
                height: s.height,
                rgb: s.rgb,
            }))
        })
        .collect::<Result<Vec<_>, String>>()
        .map(Some)
}

/// What [`keep_stills`] kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeptStills {
    /// Pictures in the pack.
    pub pictures: usize,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Makes the stills of the title `title` of `catalog` from its source
/// video, one at each of the title's stored moments, and keeps them in the
/// catalog folder ([`vfp_index::stills`]), so that pages made where the
/// video is not show the title's frames. Only from the bytes the catalog
/// recorded ([`same_source`]); else why not.
pub fn keep_stills(catalog: &Catalog, title: TitleIndex) -> Result<KeptStills, String> {
    let record = catalog
        .title(title)
        .ok_or_else(|| "no such title in the catalog".to_owned())?;
    let source = same_source(Path::new(&record.source_path), &record.sha256)?;
    let mut times: Vec<u32> = catalog
        .title_frames_between(title, 0, u32::MAX)
        .map(|f| f.t_ms)
        .collect();
    times.sort_unstable();
    times.dedup();
    let mut pack =
        StillsWriter::create(catalog.path(), &record.sha256).map_err(|e| e.to_string())?;
    let mut failed = None;
    let decoded = vfp_extractor::each_thumbnail(&source, &times, STILL_WIDTH, |k, picture| {
        pack.push_rgb(times[k], picture.width, picture.height, &picture.rgb)
            .map_err(|e| {
                failed = Some(e.to_string());
                vfp_extractor::ExtractError::Stopped
            })
    });
    if let Some(why) = failed {
        return Err(why);
    }
    decoded.map_err(|e| describe_without_path(&e))?;
    let pictures = pack.len();
    let bytes = pack.finish().map_err(|e| e.to_string())?;
    Ok(KeptStills { pictures, bytes })
}

/// The matched pairs inside the segment's stated clip and title ranges
/// (a pair found along the match can lie a frame beyond the fitted ends):
/// a shown pair never contradicts the timecodes above it. All pairs if
/// none is inside.
pub fn pairs_inside(s: &SegmentEvidence) -> Vec<FramePair> {
    let ms = |t: f64| (t * 1000.0).round() as i64;
    let (c0, c1) = (ms(s.clip_start_s), ms(s.clip_end_s));
    let (t0, t1) = (
        ms(s.title_start_s.min(s.title_end_s)),
        ms(s.title_start_s.max(s.title_end_s)),
    );
    let kept: Vec<FramePair> = s
        .frames
        .iter()
        .filter(|f| {
            (c0..=c1).contains(&i64::from(f.clip_ms)) && (t0..=t1).contains(&i64::from(f.title_ms))
        })
        .copied()
        .collect();
    if kept.is_empty() {
        s.frames.clone()
    } else {
        kept
    }
}

type Pictures = Result<Vec<Option<Thumbnail>>, String>;

/// Pictures of `source` at `times_ms`, or why there are none.
fn pictures(source: &SourceFile, times_ms: &[u32]) -> Pictures {
    vfp_extractor::thumbnails(source, times_ms, THUMBNAIL_WIDTH).map_err(|e| e.to_string())
}

/// The title's video at `path`, opened, if it is the title's: frames are
/// shown as the title's only from bytes whose SHA-256 is the one the
/// catalog recorded, decoded through the descriptor that was hashed, never
/// from whatever another file at that path shows (false evidence). Why
/// not, else; the reason never names the path, which is the studio's own
/// layout and goes on no page.
pub fn same_source(path: &Path, title_sha256: &str) -> Result<SourceFile, String> {
    if is_fingerprint_file(path) {
        return Err("the catalog was built from fingerprints, which have no pictures".into());
    }
    let source = match SourceFile::open(path) {
        Ok(source) => source,
        Err(vfp_extractor::ExtractError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            return Err("the title's source video is not on this machine".into());
        }
        Err(e) => {
            return Err(format!(
                "the title's source video cannot be read here ({})",
                describe_without_path(&e)
            ))
        }
    };
    let sha256 = source.sha256().map_err(|e| {
        format!(
            "the title's source video cannot be read here ({})",
            describe_without_path(&e)
        )
    })?;
    let found = vfp_fingerprint::to_hex(&sha256);
    if found != title_sha256 {
        return Err(format!(
            "the file now at the title's source path is not the title's video (SHA-256 {found}, the catalog recorded {title_sha256}); no frames are shown from it"
        ));
    }
    Ok(source)
}

/// What went wrong with a file, without its path.
fn describe_without_path(e: &vfp_extractor::ExtractError) -> String {
    use std::error::Error as _;
    match e {
        vfp_extractor::ExtractError::Io { source, .. } => source.to_string(),
        vfp_extractor::ExtractError::Empty { .. } => "an empty file".into(),
        vfp_extractor::ExtractError::Changed { .. } => "it changed while it was read".into(),
        other => other
            .source()
            .map_or_else(|| "unreadable".into(), |s| s.to_string()),
    }
}

fn picture(pictures: &Pictures, k: usize) -> Picture {
    match pictures {
        Ok(p) => match p.get(k).cloned().flatten() {
            Some(frame) => Picture::Frame(frame),
            None => Picture::Missing("no frame at this time".into()),
        },
        Err(why) => Picture::Missing(why.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::FoundBy;
    use crate::testing::verification;

    #[test]
    fn credentials_never_reach_a_command_line() {
        for (given, shown) in [
            (
                "postgres://vfp:s3cret@db:5432/ledger",
                "postgres://vfp:***@db:5432/ledger",
            ),
            (
                "--ledger=postgresql://vfp@db/l?sslmode=require&password=s3cret",
                "--ledger=postgresql://vfp@db/l?sslmode=require&password=***",
            ),
            (
                "host=db user=vfp password=s3cret dbname=l",
                "host=db user=vfp password=*** dbname=l",
            ),
            (
                r"host=db password='it\'s s3cret' dbname=l",
                "host=db password=*** dbname=l",
            ),
            (
                "nats://a:s3cret@q1:4222,nats://b:s3cret@q2",
                "nats://a:***@q1:4222,nats://b:***@q2",
            ),
            (
                "https://video.example/watch?v=1&access_token=s3cret",
                "https://video.example/watch?v=1&access_token=***",
            ),
            ("clip.mp4", "clip.mp4"),
            (
                "https://video.example/@studio/1",
                "https://video.example/@studio/1",
            ),
        ] {
            assert_eq!(redact_credentials(given), shown, "{given}");
        }
        assert_eq!(
            command_line(
                ["vfp", "verify", "--ledger", "postgres://u:s3cret@db/l"].map(OsString::from)
            ),
            "vfp verify --ledger 'postgres://u:***@db/l'"
        );
    }

    #[test]
    fn command_lines_read_back_in_a_shell() {
        assert_eq!(shell_quoted("clip.mp4"), "clip.mp4");
        assert_eq!(shell_quoted("a b"), "'a b'");
        assert_eq!(shell_quoted("it's"), "'it'\\''s'");
        assert_eq!(shell_quoted(""), "''");
        assert_eq!(
            command_line(["vfp", "verify", "my clip.mp4"].map(OsString::from)),
            "vfp verify 'my clip.mp4'"
        );
    }

    #[test]
    fn pairs_shown_lie_inside_the_stated_segment() {
        let mut v = verification(true);
        let s = &mut v.segments[0];
        // A pair found along the match a frame past the fitted end.
        s.frames.push(FramePair {
            clip_ms: 3_100,
            title_ms: 602_100,
            distance: 20,
            found_by: FoundBy::Follow,
        });
        let kept = pairs_inside(s);
        assert_eq!(kept.len(), 3);
        assert!(kept
            .iter()
            .all(|f| f.clip_ms <= 3_000 && f.title_ms <= 602_000));
        let shown = shown_pairs(&v, Path::new("clip.vfp"), None);
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].last().map(|p| p.pair.title_ms), Some(602_000));
    }

    #[test]
    fn pictures_say_why_they_are_missing() {
        let v = verification(true);
        let shown = shown_pairs(&v, Path::new("clip.vfp"), None);
        let first = &shown[0][0];
        assert_eq!(
            first.clip,
            Picture::Missing("a fingerprint has no pictures".into())
        );
        assert_eq!(
            first.title,
            Picture::Missing("the title's source video is not on this machine".into())
        );
    }

    #[test]
    fn a_title_picture_comes_only_from_the_file_the_catalog_recorded() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("ep1.mp4");
        std::fs::write(&path, b"another video").unwrap();
        let why = same_source(&path, &"cd".repeat(32)).unwrap_err();
        assert!(why.contains("is not the title's video"), "{why}");
        let (_, sha256) = vfp_extractor::file_sha256(&path).unwrap();
        let recorded = vfp_fingerprint::to_hex(&sha256);
        assert_eq!(same_source(&path, &recorded).unwrap().path(), path);
    }
}

//! Which files a bulk scan reads, decided by what they hold, and why the
//! others were left out.
//!
//! A crawl store names files by hash (`97a81f...`), `.bin` or `.mp4.part`:
//! a folder of such files held two leaks that a scan choosing by
//! extension never read. A file found in a folder is read when its first
//! bytes are a video the decoder reads, or a `.vfp` fingerprint
//! ([`content_of`]); a [`Selection`] narrows that by name (`-e`), by type
//! (`-t`) and leaves hidden files out unless asked. Every file left out
//! gets a [`Skip`]: its reason code and a sentence, so a scan's output
//! accounts for every file it was given.

use serde::{Deserialize, Serialize};
use std::path::Path;
use vfp_extractor::{Sniffed, SourceFile};

/// The kinds of file a scan can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputType {
    /// A video in a format the decoder reads.
    Video,
    /// A `.vfp` fingerprint.
    Fingerprint,
    /// A single still picture (not read unless selected: a crawl holds
    /// thumbnails by the thousand, and one picture is too short to judge).
    Still,
}

impl InputType {
    /// The word used on the command line and in records.
    pub fn as_str(self) -> &'static str {
        match self {
            InputType::Video => "video",
            InputType::Fingerprint => "fingerprint",
            InputType::Still => "still",
        }
    }
}

/// What a file holds, from its first bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// A file vfp can read.
    Readable {
        /// Which kind.
        kind: InputType,
        /// The format, as FFmpeg names it (`vfp` for a fingerprint).
        format: String,
    },
    /// Nothing vfp reads, and what it is, as far as is known.
    Other {
        /// A sentence: `FFmpeg reads it as srt, a format vfp does not
        /// read`, `not a format FFmpeg recognises`.
        what: String,
    },
    /// A file of 0 bytes (a download that never started).
    Empty,
    /// Not a regular file: a FIFO, a socket, a device.
    NotRegular,
}

/// Why a file was not scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Its name, or a folder's on its path, starts with `.` (`-u` reads
    /// it).
    Hidden,
    /// Its extension is not one of those selected (`-e`).
    Extension,
    /// What it holds is readable, but not of a type selected (`-t`).
    Type,
    /// What it holds is not a video or a fingerprint.
    NotVideo,
    /// It has no bytes.
    Empty,
    /// It is not a regular file.
    NotRegular,
}

impl SkipReason {
    /// Every reason, in the order summaries list them.
    pub const ALL: [SkipReason; 6] = [
        SkipReason::NotVideo,
        SkipReason::Empty,
        SkipReason::Type,
        SkipReason::Extension,
        SkipReason::Hidden,
        SkipReason::NotRegular,
    ];

    /// The word records use: `not_video`, `hidden`...
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Hidden => "hidden",
            SkipReason::Extension => "extension",
            SkipReason::Type => "type",
            SkipReason::NotVideo => "not_video",
            SkipReason::Empty => "empty",
            SkipReason::NotRegular => "not_regular",
        }
    }

    /// A few words for a summary, with the option that reads such files
    /// where there is one: `not a video`, `hidden (-u reads them)`.
    pub fn summary_words(self) -> &'static str {
        match self {
            SkipReason::Hidden => "hidden (-u reads them)",
            SkipReason::Extension => "left out by -e",
            SkipReason::Type => "left out by -t",
            SkipReason::NotVideo => "not a video",
            SkipReason::Empty => "empty",
            SkipReason::NotRegular => "not a regular file",
        }
    }
}

/// A file left out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    /// The reason's code.
    pub reason: SkipReason,
    /// A sentence saying what the file is or what left it out.
    pub why: String,
}

impl Skip {
    fn new(reason: SkipReason, why: impl Into<String>) -> Skip {
        Skip {
            reason,
            why: why.into(),
        }
    }
}

/// Which of the files found in folders a scan reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The types read: video and fingerprints unless narrowed or widened.
    pub types: Vec<InputType>,
    /// Read only names ending in one of these extensions (lowercase,
    /// without the dot); all when empty.
    pub extensions: Vec<String>,
    /// Read hidden files and enter hidden folders.
    pub hidden: bool,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            types: vec![InputType::Video, InputType::Fingerprint],
            extensions: Vec::new(),
            hidden: false,
        }
    }
}

impl Selection {
    /// Why the file or folder at `path`, found in a folder, is left out by
    /// its name, if it is: hidden, or (a file, not a folder) of an
    /// extension not selected.
    pub fn by_name(&self, path: &Path, is_folder: bool) -> Option<Skip> {
        let name = path.file_name()?.as_encoded_bytes();
        if !self.hidden && name.first() == Some(&b'.') {
            let what = if is_folder {
                "a hidden folder"
            } else {
                "a hidden file"
            };
            return Some(Skip::new(
                SkipReason::Hidden,
                format!("{what}; -u reads hidden files and folders"),
            ));
        }
        if is_folder || self.extensions.is_empty() {
            return None;
        }
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        if extension.is_some_and(|e| self.extensions.contains(&e)) {
            return None;
        }
        Some(Skip::new(
            SkipReason::Extension,
            format!(
                "its extension is not one of -e {}",
                self.extensions.join(", ")
            ),
        ))
    }

    /// Whether a file holding `content` is read, as which type, or why not.
    pub fn by_content(&self, content: &Content) -> Result<InputType, Skip> {
        match content {
            Content::Readable { kind, format } => {
                if self.types.contains(kind) {
                    Ok(*kind)
                } else if *kind == InputType::Still {
                    Err(Skip::new(
                        SkipReason::Type,
                        format!("a still picture ({format}); -t still reads pictures"),
                    ))
                } else {
                    Err(Skip::new(
                        SkipReason::Type,
                        format!("a {} ({format}), not a type selected by -t", kind.as_str()),
                    ))
                }
            }
            Content::Other { what } => Err(Skip::new(SkipReason::NotVideo, what.clone())),
            Content::Empty => Err(Skip::new(SkipReason::Empty, "empty (0 bytes)")),
            Content::NotRegular => Err(Skip::new(
                SkipReason::NotRegular,
                "not a regular file (a FIFO, a socket or a device)",
            )),
        }
    }
}

/// What the file at `path` holds, from its first bytes: a fingerprint by
/// its magic number (or its `.vfp` name), anything else as FFmpeg's probe
/// sees it
/// ([`vfp_extractor::sniff()`]). Links are followed. Errors are those of
/// reading the file.
pub fn content_of(path: &Path) -> Result<Content, vfp_extractor::ExtractError> {
    let io = |source| vfp_extractor::ExtractError::Io {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Ok(Content::NotRegular);
    }
    if meta.len() == 0 {
        return Ok(Content::Empty);
    }
    let source = match SourceFile::open(path) {
        Ok(source) => source,
        // Emptied or replaced by a FIFO since the look above.
        Err(vfp_extractor::ExtractError::Empty { .. }) => return Ok(Content::Empty),
        Err(e) => return Err(e),
    };
    let head = source.head(vfp_extractor::sniff::SNIFF_BYTES)?;
    // A `.vfp` by name is read as one, so that a damaged one gets the
    // fingerprint reader's error rather than being skipped as "not a
    // video".
    let named_vfp = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("vfp"));
    if named_vfp || head.starts_with(&vfp_fingerprint::format::MAGIC) {
        return Ok(Content::Readable {
            kind: InputType::Fingerprint,
            format: "vfp".into(),
        });
    }
    Ok(match vfp_extractor::sniff::sniff_bytes(&head) {
        Sniffed::Video { format } => Content::Readable {
            kind: InputType::Video,
            format,
        },
        Sniffed::Still { format } => Content::Readable {
            kind: InputType::Still,
            format,
        },
        Sniffed::Refused { format, why } => Content::Other {
            what: format!("FFmpeg reads it as {format}, {why}"),
        },
        Sniffed::Unknown => Content::Other {
            what: "not a format FFmpeg recognises (text, an archive, random bytes?)".into(),
        },
    })
}

/// Whether the file at `path` is a regular file that begins with the
/// `.vfp` magic number (opened as [`SourceFile`] does: a FIFO never
/// blocks).
pub fn starts_with_fingerprint_magic(path: &Path) -> bool {
    let magic = vfp_fingerprint::format::MAGIC;
    SourceFile::open(path)
        .and_then(|source| source.head(magic.len()))
        .is_ok_and(|head| head == magic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_files_and_other_extensions_are_left_out_by_name() {
        let all = Selection::default();
        assert_eq!(
            all.by_name(Path::new("crawl/.x.mp4"), false)
                .map(|s| s.reason),
            Some(SkipReason::Hidden)
        );
        assert_eq!(
            all.by_name(Path::new("crawl/.cache"), true)
                .map(|s| s.reason),
            Some(SkipReason::Hidden)
        );
        assert_eq!(all.by_name(Path::new("crawl/97a81f"), false), None);
        let unrestricted = Selection {
            hidden: true,
            ..Selection::default()
        };
        assert_eq!(unrestricted.by_name(Path::new("crawl/.x.mp4"), false), None);
        let mp4 = Selection {
            extensions: vec!["mp4".into(), "part".into()],
            ..Selection::default()
        };
        assert_eq!(mp4.by_name(Path::new("a/b.MP4"), false), None);
        assert_eq!(mp4.by_name(Path::new("a/b.mp4.part"), false), None);
        assert_eq!(mp4.by_name(Path::new("a/b.mkv"), true), None, "folders");
        let skip = mp4.by_name(Path::new("a/97a81f"), false).unwrap();
        assert_eq!(skip.reason, SkipReason::Extension);
        assert!(skip.why.contains("mp4, part"), "{}", skip.why);
    }

    #[test]
    fn content_decides_and_types_narrow_it() {
        let video = Content::Readable {
            kind: InputType::Video,
            format: "mpegts".into(),
        };
        let still = Content::Readable {
            kind: InputType::Still,
            format: "jpeg_pipe".into(),
        };
        let all = Selection::default();
        assert_eq!(all.by_content(&video), Ok(InputType::Video));
        let skip = all.by_content(&still).unwrap_err();
        assert_eq!(skip.reason, SkipReason::Type);
        assert!(skip.why.contains("-t still"), "{}", skip.why);
        let fingerprints = Selection {
            types: vec![InputType::Fingerprint],
            ..Selection::default()
        };
        assert_eq!(
            fingerprints.by_content(&video).unwrap_err().reason,
            SkipReason::Type
        );
        for (content, reason) in [
            (
                Content::Other {
                    what: "text".into(),
                },
                SkipReason::NotVideo,
            ),
            (Content::Empty, SkipReason::Empty),
            (Content::NotRegular, SkipReason::NotRegular),
        ] {
            assert_eq!(all.by_content(&content).unwrap_err().reason, reason);
        }
    }

    #[test]
    fn fingerprints_are_known_by_their_magic_number() {
        let tmp = tempfile::tempdir().unwrap();
        let fp = tmp.path().join("97a81f");
        let mut bytes = vfp_fingerprint::format::MAGIC.to_vec();
        bytes.extend_from_slice(b"rest");
        std::fs::write(&fp, bytes).unwrap();
        assert_eq!(
            content_of(&fp).unwrap(),
            Content::Readable {
                kind: InputType::Fingerprint,
                format: "vfp".into()
            }
        );
        let damaged = tmp.path().join("damaged.VFP");
        std::fs::write(&damaged, b"\x89VFX").unwrap();
        assert!(matches!(
            content_of(&damaged).unwrap(),
            Content::Readable {
                kind: InputType::Fingerprint,
                ..
            }
        ));
        let text = tmp.path().join("notes.mp4");
        std::fs::write(&text, "crawled from example.com\n").unwrap();
        assert!(matches!(content_of(&text).unwrap(), Content::Other { .. }));
        let empty = tmp.path().join("empty.bin");
        std::fs::write(&empty, "").unwrap();
        assert_eq!(content_of(&empty).unwrap(), Content::Empty);
        assert_eq!(content_of(tmp.path()).unwrap(), Content::NotRegular);
        assert!(content_of(&tmp.path().join("missing")).is_err());
    }
}

//! Sources on the allow-list: a partner's account or folder on a site,
//! given as a URL prefix (`https://video.example/@studio`), and whether a
//! clip's source URL lies under it.
//!
//! Compared as parsed URLs, never as text: as text,
//! `https://video.example/@studio` licensed `.../@studio-leaks/...`, with
//! a trailing slash `/../` got past it, and a `javascript:` prefix
//! licensed `javascript:alert(5)//`. Both URLs are parsed (WHATWG rules:
//! scheme and host lower-cased, default port dropped, dot segments,
//! `%2e%2e` included, resolved), only `http` and `https` are taken (one
//! family: a partner's `http` and `https` links are the same account),
//! and the prefix's path must be the first whole segments of the
//! source's, each compared percent-decoded.

use std::fmt;

/// A URL prefix of sources a partner may post from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcePrefix {
    /// Host, lower case.
    host: String,
    /// Port, if not the scheme's default.
    port: Option<u16>,
    /// Path segments, percent-decoded; no empty last segment.
    segments: Vec<String>,
    /// The prefix as normalised (`https://host/seg/`), what is stored.
    normalised: String,
}

/// Why a prefix or a URL is not taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotASource(String);

impl SourcePrefix {
    /// Parses a prefix: an `http` or `https` URL with a host, a path
    /// (perhaps empty) and no query, fragment or user part.
    pub fn parse(text: &str) -> Result<SourcePrefix, NotASource> {
        let url = parse_web_url(text)?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(NotASource(
                "a source prefix is a site and a path, without ?query or #fragment".into(),
            ));
        }
        let (host, port, segments) = parts(&url)?;
        let mut normalised = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
        if let Some(port) = port {
            normalised.push_str(&format!(":{port}"));
        }
        // The path as parsed (empty segments kept: they are segments),
        // ending in `/`.
        normalised.push_str(url.path());
        if !normalised.ends_with('/') {
            normalised.push('/');
        }
        Ok(SourcePrefix {
            host,
            port,
            segments,
            normalised,
        })
    }

    /// Whether the source URL `url` lies under this prefix: the same host
    /// and port, and this prefix's path segments first in its path. A URL
    /// that does not parse, or is not `http(s)`, lies under no prefix.
    pub fn covers(&self, url: &str) -> bool {
        let Ok(url) = parse_web_url(url) else {
            return false;
        };
        let Ok((host, port, segments)) = parts(&url) else {
            return false;
        };
        host == self.host
            && port == self.port
            && segments.len() >= self.segments.len()
            && segments.iter().zip(&self.segments).all(|(a, b)| a == b)
    }

    /// The prefix as stored: normalised, ending in `/`.
    pub fn as_str(&self) -> &str {
        &self.normalised
    }
}

impl fmt::Display for SourcePrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalised)
    }
}

/// `text` parsed as an `http` or `https` URL with a host and no user part.
fn parse_web_url(text: &str) -> Result<url::Url, NotASource> {
    let url = url::Url::parse(text.trim())
        .map_err(|e| NotASource(format!("not a URL ({e}): a source is https://site/path")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(NotASource(format!(
            "a source is an http or https URL, not {}:",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(NotASource("a source URL needs a site (host)".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(NotASource(
            "a source URL with a user part (user@) is not taken".into(),
        ));
    }
    Ok(url)
}

/// Host, port (if not the default) and percent-decoded path segments of a
/// parsed web URL, the empty last segment of a trailing slash dropped.
fn parts(url: &url::Url) -> Result<(String, Option<u16>, Vec<String>), NotASource> {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let mut segments: Vec<String> = Vec::new();
    for segment in url.path_segments().into_iter().flatten() {
        let decoded = percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .map_err(|_| NotASource("a path segment that is not UTF-8".into()))?;
        segments.push(decoded.into_owned());
    }
    if segments.last().is_some_and(String::is_empty) {
        segments.pop();
    }
    Ok((host, url.port(), segments))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers(prefix: &str, url: &str) -> bool {
        SourcePrefix::parse(prefix).unwrap().covers(url)
    }

    #[test]
    fn a_prefix_covers_whole_path_segments_only() {
        let studio = "https://video.example/@studio";
        assert!(covers(studio, "https://video.example/@studio"));
        assert!(covers(studio, "https://video.example/@studio/"));
        assert!(covers(studio, "https://video.example/@studio/video/1?t=3"));
        assert!(covers(studio, "http://VIDEO.example:80/%40studio/video/1"));
        assert!(!covers(
            studio,
            "https://video.example/@studio-leaks/video/1"
        ));
        assert!(!covers(studio, "https://video.example/@studiox"));
        assert!(!covers(studio, "https://video.example/"));
        assert!(!covers(studio, "https://video.example.evil/@studio/1"));
        assert!(!covers(studio, "https://video.example:8443/@studio/1"));
    }

    #[test]
    fn dot_segments_cannot_climb_out() {
        let studio = "https://video.example/@studio/";
        for escape in [
            "https://video.example/@studio/../@leaks/1",
            "https://video.example/@studio/%2e%2e/@leaks/1",
            "https://video.example/@studio/./../@leaks/1",
        ] {
            assert!(!covers(studio, escape), "{escape}");
        }
        assert!(covers(studio, "https://video.example/@leaks/../@studio/1"));
    }

    #[test]
    fn only_web_urls_are_sources() {
        for bad in [
            "javascript:alert(5)//",
            "data:text/html,x",
            "file:///etc/passwd",
            "video.example/@studio",
            "https://user:pw@video.example/@studio",
            "https://video.example/@studio?x=1",
            "",
        ] {
            assert!(SourcePrefix::parse(bad).is_err(), "{bad}");
        }
        let studio = SourcePrefix::parse("https://video.example/@studio").unwrap();
        assert!(!studio.covers("javascript:alert(5)//https://video.example/@studio"));
        assert!(!studio.covers("not a url"));
    }

    #[test]
    fn a_prefix_covers_itself_as_stored() {
        // Found by fuzzing: leading empty segments were dropped when stored.
        for given in [
            "https://video.examst=ds//=v\" p//video.exaample/@studio",
            "https://video.example//a//",
            "https://[::1]:8080/x y/%2F/",
        ] {
            let prefix = SourcePrefix::parse(given).unwrap();
            assert!(prefix.covers(prefix.as_str()), "{given} -> {prefix}");
            let again = SourcePrefix::parse(prefix.as_str()).unwrap();
            assert_eq!(again, prefix, "{given}");
        }
    }

    #[test]
    fn prefixes_are_stored_normalised() {
        for (given, stored) in [
            (
                "https://Video.Example/@studio",
                "https://video.example/@studio/",
            ),
            (
                "https://video.example:443/a/./b/../c/",
                "https://video.example/a/c/",
            ),
            ("https://video.example", "https://video.example/"),
            (
                "http://video.example:8080/x",
                "http://video.example:8080/x/",
            ),
        ] {
            assert_eq!(
                SourcePrefix::parse(given).unwrap().as_str(),
                stored,
                "{given}"
            );
        }
    }
}

//! Where a ledger is, as `--ledger` gives it: a PostgreSQL server, by URL
//! (`postgres://user:password@host/db?sslmode=require`) or by a libpq
//! key-value string (`host=db user=vfp password=...`), or else an SQLite
//! file. Shown everywhere ([`Location::shown`]: messages, errors, pages)
//! without its password: the password given in a URL's user part, in its
//! query (`?password=`), or as a key-value pair.

use crate::LedgerError;
use std::fmt;
use std::path::PathBuf;

/// The keywords of libpq's key-value connection strings: a `--ledger`
/// made of `keyword=value` pairs is a PostgreSQL server, not a file name
/// (taken as an SQLite path, `host=db password=s3cret` made a file with
/// the password in its name).
const LIBPQ_KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "sslmode",
    "requiressl",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "krbsrvname",
    "gsslib",
    "service",
    "target_session_attrs",
];

/// Keys whose values are secrets, in a key-value string or a URL's query.
fn is_secret_key(key: &str) -> bool {
    matches!(key, "password" | "sslpassword" | "passfile")
}

/// Shown in place of a secret.
pub const REDACTED: &str = "***";

/// Where a ledger is.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server.
    Postgres {
        /// What the client connects with, password included. Never shown.
        connect: String,
        /// The same without its password ([`REDACTED`] in its place).
        shown: String,
    },
}

impl Location {
    /// The ledger `given` names: a `postgres://` or `postgresql://` URL, or
    /// a string of libpq `keyword=value` pairs, is a PostgreSQL server;
    /// anything else is an SQLite file. Errors never repeat `given`.
    pub fn parse(given: &str) -> Result<Location, LedgerError> {
        let invalid = |why: &str| LedgerError::Invalid(format!("--ledger: {why}"));
        if given.trim().is_empty() {
            return Err(invalid("empty"));
        }
        let lower = given.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            let shown = redacted_url(given).ok_or_else(|| {
                invalid(
                    "not a valid PostgreSQL URL (postgres://user[:password]@host[:port]/database)",
                )
            })?;
            return Ok(Location::Postgres {
                connect: given.to_owned(),
                shown: without_client_password(given, shown),
            });
        }
        if starts_with_keyword(given) {
            let pairs = key_value_pairs(given).ok_or_else(|| {
                invalid("a PostgreSQL key-value string that does not parse (an unclosed quote?)")
            })?;
            if let Some((key, _)) = pairs
                .iter()
                .find(|(k, _)| !LIBPQ_KEYWORDS.contains(&k.as_str()))
            {
                return Err(invalid(&format!(
                    "a PostgreSQL key-value string with an unknown keyword {key:?}"
                )));
            }
            return Ok(Location::Postgres {
                connect: given.to_owned(),
                shown: without_client_password(given, redacted_pairs(&pairs)),
            });
        }
        Ok(Location::Sqlite(PathBuf::from(given)))
    }

    /// The location for messages: a file's path, or the server without
    /// its password.
    pub fn shown(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres { shown, .. } => shown.clone(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Location::Postgres { shown, .. } => f.debug_tuple("Postgres").field(shown).finish(),
        }
    }
}

/// `shown` with every occurrence of the password the PostgreSQL client
/// reads from `given` replaced by [`REDACTED`]: where the client and the
/// URL standard split a URL differently (the client takes the user part
/// to the first `@`, the standard to the last one before the path), the
/// password is still never shown.
fn without_client_password(given: &str, mut shown: String) -> String {
    let Ok(config) = given.parse::<postgres::Config>() else {
        return shown;
    };
    let Some(password) = config
        .get_password()
        .and_then(|p| std::str::from_utf8(p).ok())
        .filter(|p| !p.is_empty())
    else {
        return shown;
    };
    let encoded: String =
        percent_encoding::utf8_percent_encode(password, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    for form in [password.to_owned(), encoded] {
        if shown.contains(&form) {
            shown = shown.replace(&form, REDACTED);
        }
    }
    shown
}

/// `url` with the password of its user part, and the values of secret
/// query parameters, replaced by [`REDACTED`]; `None` if it does not
/// parse.
fn redacted_url(url: &str) -> Option<String> {
    let mut parsed = url::Url::parse(url).ok()?;
    if parsed.password().is_some() {
        parsed.set_password(Some(REDACTED)).ok()?;
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_key(&k) {
                    REDACTED.to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    // The fragment is not part of a connection string; drop it so that
    // nothing after a stray `#` is shown.
    parsed.set_fragment(None);
    Some(parsed.to_string())
}

/// Whether `s` begins `keyword =` with a libpq keyword: meant as a
/// key-value connection string, whether or not the rest parses.
fn starts_with_keyword(s: &str) -> bool {
    let s = s.trim_start();
    let end = s
        .find(|c: char| c == '=' || c.is_whitespace())
        .unwrap_or(s.len());
    LIBPQ_KEYWORDS.contains(&s[..end].to_ascii_lowercase().as_str())
        && s[end..].trim_start().starts_with('=')
}

/// The `keyword = value` pairs of a libpq connection string (values
/// bare, or single-quoted with `\'` and `\\` escapes), or `None` if it is
/// not one.
fn key_value_pairs(s: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if key.is_empty() || chars.next() != Some('=') {
            return None;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next()? {
                    '\\' => value.push(chars.next()?),
                    '\'' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        pairs.push((key.to_ascii_lowercase(), value));
    }
    (!pairs.is_empty()).then_some(pairs)
}

/// Key-value pairs written back, secrets replaced by [`REDACTED`].
fn redacted_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            if is_secret_key(k) {
                format!("{k}={REDACTED}")
            } else if v.is_empty() || v.contains(|c: char| c.is_whitespace() || c == '\'') {
                format!("{k}='{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(given: &str) -> String {
        Location::parse(given).unwrap().shown()
    }

    #[test]
    fn a_url_is_shown_without_any_password() {
        assert_eq!(
            shown("postgres://vfp:s3cret@db.example:5433/ledger"),
            "postgres://vfp:***@db.example:5433/ledger"
        );
        assert_eq!(
            shown("postgresql://vfp@db/ledger?password=s3cret&sslmode=require"),
            "postgresql://vfp@db/ledger?password=***&sslmode=require"
        );
        assert_eq!(
            shown("postgres://db/ledger?sslpassword=s3cret#s3cret"),
            "postgres://db/ledger?sslpassword=***"
        );
        assert_eq!(
            shown("postgres://vfp@db/ledger"),
            "postgres://vfp@db/ledger"
        );
    }

    #[test]
    fn the_password_the_client_reads_is_never_shown() {
        // Found by fuzzing: the client takes the user part to the first
        // `@`, the URL standard to the last before the path.
        for (given, password) in [
            ("postgres://db/ledger:x7q@y", "x7q"),
            ("postgres://vfp:s3cret@res://vfp:s3cret@db:5432/l", "s3cret"),
        ] {
            let shown = shown(given);
            assert!(!shown.contains(password), "{given} -> {shown}");
        }
    }

    #[test]
    fn a_key_value_string_is_a_server_not_a_file() {
        let location =
            Location::parse("host=127.0.0.1 port=5432 user=vfp password=s3cret dbname=l").unwrap();
        assert!(matches!(location, Location::Postgres { .. }));
        assert_eq!(
            location.shown(),
            "host=127.0.0.1 port=5432 user=vfp password=*** dbname=l"
        );
        assert_eq!(
            shown(r"host = db  password = 'it\'s s3cret' application_name='vfp review'"),
            "host=db password=*** application_name='vfp review'"
        );
        assert!(!format!("{location:?}").contains("s3cret"));
    }

    #[test]
    fn anything_else_is_an_sqlite_file() {
        for given in [
            "ledger.db",
            "/srv/review/ledger.sqlite",
            "a=b",
            "my ledger.db",
        ] {
            assert_eq!(
                Location::parse(given).unwrap(),
                Location::Sqlite(PathBuf::from(given)),
                "{given}"
            );
        }
    }

    #[test]
    fn errors_never_repeat_what_was_given() {
        for given in [
            "postgres://vfp:s3cret@[bad/ledger",
            "host=db password=s3cret bogus=1",
            "host=db password='s3cret",
        ] {
            let e = Location::parse(given).unwrap_err();
            assert!(!e.to_string().contains("s3cret"), "{e}");
        }
        assert!(Location::parse("").is_err());
    }
}

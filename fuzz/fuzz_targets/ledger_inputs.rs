//! What a reviewer or a partner gives the ledger: a source prefix for the
//! allow-list and the source URL of a clip (the first line and the rest),
//! and a `--ledger` location.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vfp_ledger::{Location, SourcePrefix};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (prefix, url) = text.split_once('\n').unwrap_or((text, ""));
    if let Ok(prefix) = SourcePrefix::parse(prefix) {
        // A prefix covers itself, as stored, and parses again the same.
        assert!(prefix.covers(prefix.as_str()), "{prefix}");
        let again = SourcePrefix::parse(prefix.as_str()).expect("a stored prefix parses");
        assert_eq!(again.as_str(), prefix.as_str());
        let _ = prefix.covers(url);
    }
    if let Ok(Location::Postgres { connect, shown }) = Location::parse(text) {
        // The password the PostgreSQL client reads is never shown.
        let password = connect
            .parse::<postgres::Config>()
            .ok()
            .and_then(|c| c.get_password().map(<[u8]>::to_vec))
            .and_then(|p| String::from_utf8(p).ok())
            // (One holding `*` may be made by the marker `***` itself.)
            .filter(|p| !p.is_empty() && !p.contains('*'));
        if let Some(password) = password {
            assert!(!shown.contains(&password), "{shown} shows {password}");
        }
    }
});

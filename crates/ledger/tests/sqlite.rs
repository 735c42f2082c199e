//! The ledger in an SQLite file: decisions kept as history, one current
//! decision per item under concurrent reviewers, the allow-list, schema
//! versions, damaged files.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use std::sync::{Arc, Barrier};
use vfp_ledger::{AllowKind, Filter, Item, Ledger, LedgerError, Mark, Status};

fn sha(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn mark(clip: &str, title: &str, status: Status, reviewer: &str) -> Mark {
    Mark {
        item: Item {
            clip_sha256: clip.into(),
            title_id: title.into(),
            segment: String::new(),
        },
        status,
        reviewer: reviewer.into(),
        note: String::new(),
        evidence_sha256: None,
        notice_id: None,
        notice_date: None,
        replace: false,
    }
}

#[test]
fn a_decision_is_kept_and_a_second_must_say_it_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let location = path.to_str().unwrap();
    let mut ledger = Ledger::open(location).unwrap();
    let first = ledger
        .mark(&mark(&sha(1), "ep1", Status::Confirmed, "ann"))
        .unwrap();
    assert_eq!(
        (first.status, first.superseded_by),
        (Status::Confirmed, None)
    );

    let err = ledger
        .mark(&mark(&sha(1), "ep1", Status::FalsePositive, "bob"))
        .unwrap_err();
    let LedgerError::AlreadyDecided { current } = &err else {
        panic!("{err}")
    };
    assert_eq!((current.id, current.reviewer.as_str()), (first.id, "ann"));
    assert!(
        err.to_string().contains("already marked confirmed by ann"),
        "{err}"
    );
    assert!(err.to_string().contains("--replace"), "{err}");

    let mut notice = mark(&sha(1), "ep1", Status::NoticeSent, "bob");
    notice.replace = true;
    assert!(ledger.mark(&notice).is_err(), "a notice needs its id");
    notice.notice_id = Some("N-123".into());
    notice.notice_date = Some("2026-11-30".into());
    let second = ledger.mark(&notice).unwrap();
    assert_eq!(second.supersedes, Some(first.id));

    // Reopened: the current decision, and the history on request.
    drop(ledger);
    let ledger = Ledger::open(location).unwrap();
    let current = ledger.current_for_clip(&sha(1)).unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(
        (current[0].status, current[0].notice_id.as_deref()),
        (Status::NoticeSent, Some("N-123"))
    );
    let history = ledger
        .list(&Filter {
            history: true,
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].superseded_by, Some(second.id));
    let confirmed = ledger
        .list(&Filter {
            status: Some(Status::Confirmed),
            ..Filter::default()
        })
        .unwrap();
    assert!(confirmed.is_empty(), "replaced: not current");
}

#[test]
fn two_reviewers_marking_one_item_at_once_one_wins_the_other_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let location = path.to_str().unwrap().to_owned();
    drop(Ledger::open(&location).unwrap());
    let reviewers = 8;
    let start = Arc::new(Barrier::new(reviewers));
    let outcomes: Vec<_> = (0..reviewers)
        .map(|r| {
            let (location, start) = (location.clone(), start.clone());
            std::thread::spawn(move || {
                let mut ledger = Ledger::open(&location).unwrap();
                start.wait();
                ledger.mark(&mark(
                    &sha(7),
                    "ep2",
                    Status::Confirmed,
                    &format!("reviewer-{r}"),
                ))
            })
        })
        .collect();
    let outcomes: Vec<_> = outcomes.into_iter().map(|t| t.join().unwrap()).collect();
    let won: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "{outcomes:?}");
    for o in &outcomes {
        if let Err(e) = o {
            let LedgerError::AlreadyDecided { current } = e else {
                panic!("{e}")
            };
            assert_eq!(current.id, won[0].id);
        }
    }
    let ledger = Ledger::open(&location).unwrap();
    assert_eq!(ledger.current_for_clip(&sha(7)).unwrap().len(), 1);
}

#[test]
fn the_allow_list_covers_files_and_sources() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let mut ledger = Ledger::open(path.to_str().unwrap()).unwrap();
    ledger
        .allow(AllowKind::Sha256, &sha(3), "ann", "partner's trailer")
        .unwrap();
    let prefix = ledger
        .allow(
            AllowKind::SourcePrefix,
            "https://video.example/@studio/",
            "ann",
            "the studio's own account",
        )
        .unwrap();
    // Added twice: kept once.
    let again = ledger
        .allow(
            AllowKind::SourcePrefix,
            "https://video.example/@studio/",
            "bob",
            "",
        )
        .unwrap();
    assert_eq!((again.id, again.reviewer.as_str()), (prefix.id, "ann"));
    assert_eq!(ledger.allow_list().unwrap().len(), 2);
    assert!(ledger.allowed_for(&sha(3), None).unwrap().is_some());
    assert!(ledger.allowed_for(&sha(4), None).unwrap().is_none());
    let by_source = ledger
        .allowed_for(&sha(4), Some("https://video.example/@studio/v/99"))
        .unwrap();
    assert_eq!(by_source.map(|a| a.id), Some(prefix.id));
    assert!(ledger
        .allowed_for(&sha(4), Some("https://video.example/@someone-else/v/1"))
        .unwrap()
        .is_none());
    assert!(ledger
        .allow(AllowKind::Sha256, "not-a-sha", "ann", "")
        .is_err());
    assert!(ledger
        .allow(AllowKind::SourcePrefix, " ", "ann", "")
        .is_err());
}

#[test]
fn bad_values_a_newer_schema_and_a_damaged_file_are_refused_naming_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let location = path.to_str().unwrap();
    let mut ledger = Ledger::open(location).unwrap();
    for bad in [
        mark("ABC", "ep1", Status::Confirmed, "ann"),
        mark(&sha(0xab).to_uppercase(), "ep1", Status::Confirmed, "ann"),
        mark(&sha(1), " ", Status::Confirmed, "ann"),
        mark(&sha(1), "ep1", Status::Confirmed, ""),
    ] {
        assert!(
            matches!(ledger.mark(&bad), Err(LedgerError::Invalid(_))),
            "{bad:?}"
        );
    }
    drop(ledger);

    // Written by a newer vfp.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA user_version = 99").unwrap();
    drop(conn);
    let err = Ledger::open(location).err().unwrap();
    assert!(
        matches!(err, LedgerError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains(location), "{err}");

    // Not a database.
    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, vec![0x5a; 8192]).unwrap();
    let err = Ledger::open(junk.to_str().unwrap()).err().unwrap();
    assert!(err.to_string().contains("junk.sqlite"), "{err}");
    // A folder that does not exist.
    let err = Ledger::open(dir.path().join("no/such/ledger.sqlite").to_str().unwrap())
        .err()
        .unwrap();
    assert!(err.to_string().contains("no/such"), "{err}");
}

//! The ledger in an SQLite file and in a real PostgreSQL server (a
//! throwaway cluster on a loopback port): decisions kept as history, one
//! current decision per item under concurrent reviewers, the allow-list,
//! schema versions, damaged files and unreachable servers.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use std::sync::{Arc, Barrier};
use vfp_ledger::local_postgres::LocalPostgres;
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
        file_name: None,
        source_url: None,
        found_at: None,
        matched: Vec::new(),
    }
}

fn a_case_goes_from_confirmed_to_noticed_to_withdrawn_without_replace(location: &str) {
    let mut ledger = Ledger::create(location).unwrap();
    let mut confirmed = mark(&sha(9), "ep1", Status::Confirmed, "ann");
    confirmed.file_name = Some("97a81f.mp4.part".into());
    confirmed.source_url = Some("https://video.example/@leaker/v/9".into());
    let first = ledger.mark(&confirmed).unwrap();
    assert_eq!(first.file_name.as_deref(), Some("97a81f.mp4.part"));
    assert_eq!(
        first.source_url.as_deref(),
        Some("https://video.example/@leaker/v/9")
    );
    let mut noticed = mark(&sha(9), "ep1", Status::NoticeSent, "ann");
    noticed.notice_id = Some("N-1".into());
    let second = ledger.mark(&noticed).unwrap();
    assert_eq!(second.supersedes, Some(first.id));
    let third = ledger
        .mark(&mark(&sha(9), "ep1", Status::Withdrawn, "bob"))
        .unwrap();
    assert_eq!(third.supersedes, Some(second.id));
    // Anything else is a change of mind, and must say so.
    for status in [Status::Confirmed, Status::FalsePositive, Status::NoticeSent] {
        let mut again = mark(&sha(9), "ep1", status, "bob");
        again.notice_id = Some("N-2".into());
        let err = ledger.mark(&again).err().unwrap();
        assert!(
            matches!(err, LedgerError::AlreadyDecided { .. }),
            "{status}: {err}"
        );
    }
    ledger
        .mark(&mark(&sha(10), "ep1", Status::Confirmed, "ann"))
        .unwrap();
    let err = ledger
        .mark(&mark(&sha(10), "ep1", Status::FalsePositive, "ann"))
        .err()
        .unwrap();
    assert!(err.to_string().contains("--replace"), "{err}");
}

fn a_missing_ledger_is_refused_and_only_create_makes_one(location: &str) {
    // A typo in --ledger made an empty ledger, in which every settled
    // match read as new.
    let err = Ledger::open(location).err().unwrap();
    assert!(matches!(err, LedgerError::Missing { .. }), "{err}");
    let shown = err.to_string();
    assert!(shown.contains("review init"), "{shown}");
    let again = Ledger::open(location).err().unwrap();
    assert!(
        matches!(again, LedgerError::Missing { .. }),
        "the refused open made nothing: {again}"
    );
    let ledger = Ledger::create(location).unwrap();
    assert!(ledger.created());
    drop(ledger);
    assert!(!Ledger::open(location).unwrap().created());
    assert!(!Ledger::create(location).unwrap().created());
}

fn a_decision_is_kept_and_a_second_must_say_it_replaces_it(location: &str) {
    let mut ledger = Ledger::create(location).unwrap();
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
    let mut ledger = Ledger::open(location).unwrap();
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

fn reviewers_marking_one_item_at_once_one_wins_the_others_are_told(location: &str) {
    let location = location.to_owned();
    drop(Ledger::create(&location).unwrap());
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
    let mut ledger = Ledger::open(&location).unwrap();
    assert_eq!(ledger.current_for_clip(&sha(7)).unwrap().len(), 1);

    // Eight replacing it at once: each replaces the one before, in turn
    // (on PostgreSQL they deadlocked, and some were told to "mark it again
    // with --replace" though they had).
    let outcomes: Vec<_> = (0..reviewers)
        .map(|r| {
            let (location, start) = (location.clone(), start.clone());
            std::thread::spawn(move || {
                let mut ledger = Ledger::open(&location).unwrap();
                start.wait();
                let mut again = mark(&sha(7), "ep2", Status::NoticeSent, &format!("r-{r}"));
                again.notice_id = Some(format!("N-{r}"));
                again.replace = true;
                ledger.mark(&again)
            })
        })
        .collect();
    for outcome in outcomes {
        outcome.join().unwrap().unwrap();
    }
    let history = ledger
        .list(&vfp_ledger::Filter {
            clip_sha256: Some(sha(7)),
            history: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(history.len(), 1 + reviewers, "{history:?}");
    let current: Vec<_> = history
        .iter()
        .filter(|d| d.superseded_by.is_none())
        .collect();
    assert_eq!(current.len(), 1, "{history:?}");
    // One chain: each replaced decision names the one that replaced it.
    let mut replaced: Vec<i64> = history.iter().filter_map(|d| d.supersedes).collect();
    replaced.sort_unstable();
    replaced.dedup();
    assert_eq!(replaced.len(), reviewers, "{history:?}");
}

fn an_allowance_is_revoked_and_kept_for_the_record(location: &str) {
    let mut ledger = Ledger::create(location).unwrap();
    let source = "https://video.example/@partner/v/1";
    let entry = ledger
        .allow(
            AllowKind::SourcePrefix,
            "https://video.example/@partner",
            "ann",
            "partner",
        )
        .unwrap();
    assert!(ledger.allowed_for(&sha(5), Some(source)).unwrap().is_some());
    let revoked = ledger
        .revoke(
            AllowKind::SourcePrefix,
            "https://VIDEO.example/@partner/",
            "bob",
            "contract ended",
        )
        .unwrap();
    assert_eq!(revoked.id, entry.id);
    assert_eq!(revoked.revoked.as_ref().unwrap().note, "contract ended");
    assert!(ledger.allowed_for(&sha(5), Some(source)).unwrap().is_none());
    assert!(ledger.allow_list().unwrap().is_empty());
    // Revoked twice: it is not on the list.
    let err = ledger
        .revoke(
            AllowKind::SourcePrefix,
            "https://video.example/@partner",
            "bob",
            "",
        )
        .err()
        .unwrap();
    assert!(err.to_string().contains("not on the allow-list"), "{err}");
    // Allowed again: a new entry; the history has both.
    let again = ledger
        .allow(
            AllowKind::SourcePrefix,
            "https://video.example/@partner",
            "ann",
            "renewed",
        )
        .unwrap();
    assert_ne!(again.id, entry.id);
    let history = ledger.allow_history().unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[0].revoked.as_ref().unwrap().reviewer, "bob");
    assert!(history[1].revoked.is_none());
}

fn the_allow_list_covers_files_and_sources(location: &str) {
    let mut ledger = Ledger::create(location).unwrap();
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

    // Prefixes are parsed URLs matched on whole path segments: as text,
    // `@studio` licensed `@studio-leaks`, `/../` climbed out of a prefix
    // and `javascript:` licensed a script.
    let bare = ledger
        .allow(
            AllowKind::SourcePrefix,
            "https://Video.Example/@partner",
            "ann",
            "",
        )
        .unwrap();
    assert_eq!(bare.value, "https://video.example/@partner/");
    for (source, licensed) in [
        ("https://video.example/@partner/v/1", true),
        ("https://video.example/@partner-leaks/v/1", false),
        ("https://video.example/@studio/../@leaks/v/1", false),
        ("https://video.example/@studio/%2e%2e/@leaks/v/1", false),
        ("javascript:alert(5)//https://video.example/@studio/", false),
    ] {
        let found = ledger.allowed_for(&sha(5), Some(source)).unwrap();
        assert_eq!(found.is_some(), licensed, "{source}");
    }
    for bad in [
        "javascript:",
        "javascript:alert(5)//",
        "ftp://video.example/x",
    ] {
        let err = ledger
            .allow(AllowKind::SourcePrefix, bad, "ann", "")
            .unwrap_err();
        assert!(err.to_string().contains("http"), "{bad}: {err}");
    }
}

fn bad_values_are_refused(location: &str) {
    let mut ledger = Ledger::create(location).unwrap();
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
}

/// Every scenario against one ledger location each.
fn every_scenario(new_location: &mut dyn FnMut() -> String) {
    a_missing_ledger_is_refused_and_only_create_makes_one(&new_location());
    a_case_goes_from_confirmed_to_noticed_to_withdrawn_without_replace(&new_location());
    an_allowance_is_revoked_and_kept_for_the_record(&new_location());
    a_decision_is_kept_and_a_second_must_say_it_replaces_it(&new_location());
    reviewers_marking_one_item_at_once_one_wins_the_others_are_told(&new_location());
    the_allow_list_covers_files_and_sources(&new_location());
    bad_values_are_refused(&new_location());
}

#[test]
fn sqlite_ledgers_keep_every_guarantee() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    every_scenario(&mut || {
        n += 1;
        dir.path()
            .join(format!("ledger-{n}.sqlite"))
            .display()
            .to_string()
    });
}

#[test]
fn postgres_ledgers_keep_every_guarantee() {
    let server = LocalPostgres::start().expect("a throwaway PostgreSQL server");
    let mut admin = postgres::Client::connect(&server.url, postgres::NoTls).unwrap();
    let mut n = 0;
    every_scenario(&mut || {
        n += 1;
        admin
            .batch_execute(&format!("CREATE DATABASE ledger_{n}"))
            .unwrap();
        server.url.replace("/postgres", &format!("/ledger_{n}"))
    });

    // Written by a newer vfp.
    let location = server.url.replace("/postgres", "/ledger_1");
    let mut db = postgres::Client::connect(&location, postgres::NoTls).unwrap();
    db.batch_execute("UPDATE vfp_ledger_meta SET schema_version = 99")
        .unwrap();
    let err = Ledger::open(&location).err().unwrap();
    assert!(
        matches!(err, LedgerError::NewerSchema { found: 99, .. }),
        "{err}"
    );

    // Six opens of a new ledger at once: one migrates, all open it.
    admin.batch_execute("CREATE DATABASE ledger_fresh").unwrap();
    let fresh = server.url.replace("/postgres", "/ledger_fresh");
    let opens: Vec<_> = (0..6)
        .map(|_| {
            let fresh = fresh.clone();
            std::thread::spawn(move || Ledger::create(&fresh).map(|_| ()))
        })
        .collect();
    for open in opens {
        open.join().unwrap().unwrap();
    }

    // A password is never shown; an unreachable server is named.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let err = Ledger::open(&format!("postgres://vfp:s3cret@127.0.0.1:{port}/ledger"))
        .err()
        .unwrap();
    let text = err.to_string();
    assert!(
        text.contains(&format!("postgres://vfp:***@127.0.0.1:{port}/ledger")),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "{text}");

    // The server's own words for a wrong password (it read "db error"),
    // and the password given in none of the forms libpq takes is shown.
    let port = server.port;
    let wrong = "Wr0ngPassw0rd";
    for location in [
        format!("postgres://vfp:{wrong}@127.0.0.1:{port}/postgres"),
        format!("postgresql://vfp@127.0.0.1:{port}/postgres?password={wrong}"),
        format!("host=127.0.0.1 port={port} user=vfp password={wrong} dbname=postgres"),
    ] {
        let text = Ledger::open(&location).err().unwrap().to_string();
        assert!(text.contains("password authentication failed"), "{text}");
        assert!(!text.contains(wrong), "{text}");
        assert!(text.contains("***"), "{text}");
    }

    // A key-value string is a server (it was taken as an SQLite file's
    // name, and a file with the password in its name was made).
    let here = tempfile::tempdir().unwrap();
    let before = std::env::current_dir().unwrap();
    std::env::set_current_dir(here.path()).unwrap();
    let key_value = format!(
        "host=127.0.0.1 port={port} user=vfp password={} dbname=ledger_fresh",
        server.password
    );
    let opened = Ledger::open(&key_value);
    std::env::set_current_dir(before).unwrap();
    let ledger = opened.unwrap();
    assert!(
        ledger.location().contains("password=***"),
        "{}",
        ledger.location()
    );
    assert!(!ledger.location().contains(&server.password));
    assert_eq!(std::fs::read_dir(here.path()).unwrap().count(), 0);
}

#[test]
fn an_sqlite_ledger_of_a_newer_schema_or_damaged_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let location = path.to_str().unwrap();
    drop(Ledger::create(location).unwrap());

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

    // One byte changed in an index: the table and the index disagree, and
    // a notice_sent decision was invisible to the queries that use it.
    let damaged = dir.path().join("damaged.sqlite");
    let mut ledger = Ledger::create(damaged.to_str().unwrap()).unwrap();
    let mut notice = mark(&sha(9), "ep1", Status::NoticeSent, "ann");
    notice.notice_id = Some("N-1".into());
    ledger.mark(&notice).unwrap();
    drop(ledger);
    let conn = rusqlite::Connection::open(&damaged).unwrap();
    let root: i64 = conn
        .query_row(
            "SELECT rootpage FROM sqlite_master WHERE name = 'decisions_by_clip'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap();
    drop(conn);
    let mut bytes = std::fs::read(&damaged).unwrap();
    let page = ((root - 1) * page_size) as usize..(root * page_size) as usize;
    let key = sha(9);
    let at = bytes[page.clone()]
        .windows(key.len())
        .position(|w| w == key.as_bytes())
        .expect("the clip's key in the index page")
        + page.start;
    bytes[at] ^= 0x01; // '0' becomes '1'
    std::fs::write(&damaged, &bytes).unwrap();
    let err = Ledger::open(damaged.to_str().unwrap()).err().unwrap();
    assert!(err.to_string().contains("damaged"), "{err}");
    assert!(err.to_string().contains("damaged.sqlite"), "{err}");

    // Not a database.
    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, vec![0x5a; 8192]).unwrap();
    let err = Ledger::open(junk.to_str().unwrap()).err().unwrap();
    assert!(err.to_string().contains("junk.sqlite"), "{err}");
    // An empty file (`touch ledger.sqlite`) holds no ledger.
    let empty = dir.path().join("empty.sqlite");
    std::fs::write(&empty, b"").unwrap();
    let err = Ledger::open(empty.to_str().unwrap()).err().unwrap();
    assert!(matches!(err, LedgerError::Missing { .. }), "{err}");
    // A folder that does not exist.
    let err = Ledger::create(dir.path().join("no/such/ledger.sqlite").to_str().unwrap())
        .err()
        .unwrap();
    assert!(err.to_string().contains("no/such"), "{err}");
}

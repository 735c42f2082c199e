//! `vfp review notice`: drafts of takedown notices, from the ledger's
//! confirmed, not yet noticed matches: one notice per host the copies
//! were found on, with the elements a DMCA-style notice needs (17 U.S.C.
//! § 512(c)(3)): the work and its owner, where the infringing copy is,
//! when it was found, what of the work it shows, the evidence, and the
//! statements the sender signs. Drafts only: `notice_sent` is recorded
//! when the user says the notice was sent (`vfp review mark`).

use super::printable;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use vfp_ledger::{utc, Decision, MatchedRange};

/// The work a notice names, from the catalog.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Work {
    /// The title's id.
    pub title_id: String,
    /// Its name.
    pub name: String,
    /// The rights owner (empty if the catalog does not say).
    pub owner: String,
    /// The owner's id of the work.
    pub asset_id: String,
    /// Its release date.
    pub release_date: String,
}

/// One copy a notice asks to take down.
#[derive(Debug, Serialize)]
pub struct NoticeItem {
    /// The work it shows.
    pub work: Work,
    /// Where it was found.
    pub source_url: String,
    /// Its file name, as found.
    pub file_name: Option<String>,
    /// When it was found.
    pub found_at: Option<String>,
    /// SHA-256 of the copy.
    pub clip_sha256: String,
    /// What it shows of the work.
    pub matched: Vec<MatchedRange>,
    /// SHA-256 of the evidence it was confirmed on.
    pub evidence_sha256: Option<String>,
    /// Who confirmed it, and when.
    pub confirmed_by: String,
    /// When, UTC.
    pub confirmed_utc: String,
}

/// A notice to one host.
#[derive(Debug, Serialize)]
pub struct Notice {
    /// The host the copies are on (`video.example`).
    pub host: String,
    /// The rights owners of the works (usually one).
    pub owners: Vec<String>,
    /// The copies.
    pub items: Vec<NoticeItem>,
}

/// A confirmed match left out of the drafts, and why.
#[derive(Debug, Serialize)]
pub struct LeftOut {
    /// The copy's SHA-256.
    pub clip_sha256: String,
    /// The title.
    pub title_id: String,
    /// Why.
    pub why: String,
}

/// The drafts.
#[derive(Debug, Serialize)]
pub struct Drafts {
    /// One per host.
    pub notices: Vec<Notice>,
    /// Confirmed matches no notice can name yet.
    pub left_out: Vec<LeftOut>,
}

/// The host of a source URL (`None` for what is not a URL with a host).
fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .host_str()
        .map(|h| h.to_ascii_lowercase())
}

/// Drafts of notices for `confirmed` decisions (current, confirmed, not
/// yet noticed), the works looked up by `work_of` (`None`: not in the
/// catalog); of host `only_host`, if given.
pub fn drafts(
    confirmed: &[Decision],
    work_of: impl Fn(&str) -> Option<Work>,
    only_host: Option<&str>,
) -> Drafts {
    let mut by_host: BTreeMap<String, Vec<NoticeItem>> = BTreeMap::new();
    let mut left_out = Vec::new();
    for d in confirmed {
        let leave = |why: &str| LeftOut {
            clip_sha256: d.clip_sha256.clone(),
            title_id: d.title_id.clone(),
            why: why.to_owned(),
        };
        let Some(url) = &d.source_url else {
            left_out.push(leave(
                "no source URL recorded: a notice must say where the copy is (review mark --source-url, or --evidence of a report made with --source-url)",
            ));
            continue;
        };
        let Some(host) = host_of(url) else {
            left_out.push(leave("its source URL has no host"));
            continue;
        };
        if only_host.is_some_and(|h| !h.eq_ignore_ascii_case(&host)) {
            continue;
        }
        let Some(work) = work_of(&d.title_id) else {
            left_out.push(leave("its title is not in this catalog"));
            continue;
        };
        by_host.entry(host).or_default().push(NoticeItem {
            work,
            source_url: url.clone(),
            file_name: d.file_name.clone(),
            found_at: d.found_at.clone(),
            clip_sha256: d.clip_sha256.clone(),
            matched: d.matched.clone(),
            evidence_sha256: d.evidence_sha256.clone(),
            confirmed_by: d.reviewer.clone(),
            confirmed_utc: utc(d.decided_unix_ms),
        });
    }
    let notices = by_host
        .into_iter()
        .map(|(host, items)| {
            let mut owners: Vec<String> = items.iter().map(|i| i.work.owner.clone()).collect();
            owners.sort();
            owners.dedup();
            Notice {
                host,
                owners,
                items,
            }
        })
        .collect();
    Drafts { notices, left_out }
}

/// The statements a DMCA notice's sender signs (17 U.S.C. § 512(c)(3)(A)
/// (v) and (vi)).
const STATEMENTS: &str = "I have a good faith belief that use of the material in the manner complained of is not authorized by the copyright owner, its agent, or the law. The information in this notification is accurate, and under penalty of perjury, I am authorized to act on behalf of the owner of an exclusive right that is allegedly infringed.";

/// The drafts as text, one notice after another; every value from the
/// ledger or the catalog escaped.
pub fn text(d: &Drafts) -> String {
    let mut out = String::new();
    for (n, notice) in d.notices.iter().enumerate() {
        if n > 0 {
            out.push_str("\n----------------------------------------------------------------\n\n");
        }
        let owners = if notice.owners.iter().all(String::is_empty) {
            "[the rights owner: not in the catalog; add an owner column to the titles CSV]"
                .to_owned()
        } else {
            notice
                .owners
                .iter()
                .map(|o| printable(o).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "DRAFT NOTICE OF COPYRIGHT INFRINGEMENT (not sent)\n\nTo: the designated agent of {}\nOn behalf of: {owners}\nFrom: [your name, address, telephone and email]\n",
            printable(&notice.host)
        );
        for (i, item) in notice.items.iter().enumerate() {
            let w = &item.work;
            let _ = writeln!(
                out,
                "{}. The work: {} \"{}\"{}{}",
                i + 1,
                printable(&w.title_id),
                printable(&w.name),
                if w.asset_id.is_empty() {
                    String::new()
                } else {
                    format!(", asset {}", printable(&w.asset_id))
                },
                if w.release_date.is_empty() {
                    String::new()
                } else {
                    format!(", release date {}", printable(&w.release_date))
                }
            );
            let _ = writeln!(
                out,
                "   The infringing copy: {}{}{}",
                printable(&item.source_url),
                item.file_name
                    .as_deref()
                    .map_or_else(String::new, |f| format!(" (file {})", printable(f))),
                item.found_at
                    .as_deref()
                    .map_or_else(String::new, |t| format!(", found {}", printable(t)))
            );
            for m in &item.matched {
                let _ = writeln!(
                    out,
                    "   It shows {} to {} of the work ({:.1} % of the work) from {} to {} of the copy ({:.0} % of the copy); score {:.3}",
                    m.title_start,
                    m.title_end,
                    m.title_share_pct,
                    m.clip_start,
                    m.clip_end,
                    m.clip_share_pct,
                    m.score
                );
            }
            if item.matched.is_empty() {
                out.push_str("   [the matched timecodes: mark the decision with --evidence report.json of vfp verify --bundle to quote them]\n");
            }
            let _ = writeln!(
                out,
                "   Copy SHA-256: {}\n   Evidence: {}\n   Confirmed by {} on {}",
                item.clip_sha256,
                item.evidence_sha256
                    .as_deref()
                    .map_or_else(|| "[none recorded]".to_owned(), |e| format!("SHA-256 {e}")),
                printable(&item.confirmed_by),
                item.confirmed_utc
            );
        }
        let _ = writeln!(
            out,
            "\n{STATEMENTS}\n\nSignature: ______________________  Date: __________\n\nWhen it is sent, record it for each copy:\n  vfp review mark --clip-sha256 SHA256 --title TITLE_ID --status notice_sent --notice-id ID --notice-date DATE"
        );
    }
    if !d.left_out.is_empty() {
        out.push_str("\nConfirmed matches no notice names yet:\n");
        for l in &d.left_out {
            let _ = writeln!(
                out,
                "  {} of {}: {}",
                printable(&l.title_id),
                l.clip_sha256,
                l.why
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::review::tests::decision;

    fn work(id: &str) -> Option<Work> {
        (id == "ep1").then(|| Work {
            title_id: "ep1".into(),
            name: "Pilot".into(),
            owner: "Example Studios".into(),
            asset_id: "EX-0001".into(),
            release_date: "2099-03-01".into(),
        })
    }

    fn confirmed(sha: &str, title: &str, url: Option<&str>) -> Decision {
        let mut d = decision(1, title, vfp_ledger::Status::Confirmed);
        d.clip_sha256 = sha.repeat(32);
        d.source_url = url.map(str::to_owned);
        d.found_at = Some("2026-12-07T01:00:00Z".into());
        d.matched = vec![MatchedRange {
            clip_start: "00:00:00.000".into(),
            clip_end: "00:00:09.000".into(),
            title_start: "00:10:00.000".into(),
            title_end: "00:10:09.000".into(),
            clip_share_pct: 100.0,
            title_share_pct: 0.6,
            score: 0.81,
        }];
        d
    }

    #[test]
    fn a_notice_per_host_with_every_element_and_what_is_left_out() {
        let d = drafts(
            &[
                confirmed("0a", "ep1", Some("https://Video.Example/@x/v/1")),
                confirmed("0b", "ep1", Some("https://other.example/v/2")),
                confirmed("0c", "ep1", None),
                confirmed("0d", "gone", Some("https://video.example/v/3")),
            ],
            work,
            None,
        );
        assert_eq!(
            d.notices
                .iter()
                .map(|n| n.host.as_str())
                .collect::<Vec<_>>(),
            ["other.example", "video.example"]
        );
        assert_eq!(d.left_out.len(), 2);
        let t = text(&d);
        for element in [
            "To: the designated agent of video.example",
            "On behalf of: Example Studios",
            "The work: ep1 \"Pilot\", asset EX-0001, release date 2099-03-01",
            "The infringing copy: https://Video.Example/@x/v/1",
            "found 2026-12-07T01:00:00Z",
            "It shows 00:10:00.000 to 00:10:09.000 of the work (0.6 % of the work)",
            "under penalty of perjury",
            "--status notice_sent",
            "no source URL recorded",
            "not in this catalog",
        ] {
            assert!(t.contains(element), "{element}: {t}");
        }
        let only = drafts(
            &[confirmed("0a", "ep1", Some("https://video.example/v/1"))],
            work,
            Some("other.example"),
        );
        assert!(only.notices.is_empty());
    }
}

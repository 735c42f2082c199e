//! A command line as it may leave the studio, on an evidence page or in a
//! bundle: "To repeat it" must not show the machine's layout. The program
//! is `vfp`; values of the options that name this machine's files or
//! services (the catalog, the ledger, where the page goes) become
//! placeholders; a file given as an argument is named by its file name.
//! The options are read from the same clap definition that parses them,
//! so `--catalog=X`, `-cX` and `-c X` are all found.

use super::Cli;
use clap::CommandFactory;
use std::ffi::OsString;
use std::path::Path;

/// Options whose values are internal, by argument id, and what is shown
/// in their place.
const PLACEHOLDERS: &[(&str, &str)] = &[
    ("catalog", "CATALOG"),
    ("ledger", "LEDGER"),
    ("report", "REPORT.html"),
    ("bundle", "BUNDLE"),
    ("output", "OUTPUT"),
];

/// `argv` (a process's arguments, the program first) with the program
/// named `vfp`, internal values as placeholders and positional files by
/// their file names.
pub fn shareable_command_line(argv: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut root = Cli::command();
    root.build();
    let mut current = &root;
    let mut args = argv.into_iter();
    let mut out: Vec<OsString> = Vec::new();
    if args.next().is_some() {
        out.push("vfp".into());
    }
    let mut positionals_only = false;
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        if positionals_only {
            out.push(positional(&arg));
            continue;
        }
        if text == "--" {
            positionals_only = true;
            out.push(arg);
            continue;
        }
        if let Some(long) = text.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (long, None),
            };
            let Some(option) = current.get_arguments().find(|a| {
                a.get_long() == Some(name)
                    || a.get_all_aliases().is_some_and(|all| all.contains(&name))
            }) else {
                out.push(arg);
                continue;
            };
            let placeholder = placeholder(option);
            match (attached, takes_value(option)) {
                (Some(value), _) => {
                    out.push(format!("--{name}={}", placeholder.unwrap_or(value)).into())
                }
                (None, true) => {
                    out.push(arg);
                    if let Some(value) = args.next() {
                        out.push(placeholder.map_or(value, OsString::from));
                    }
                }
                (None, false) => out.push(arg),
            }
            continue;
        }
        if text.len() > 1 && text.starts_with('-') {
            // A cluster of short options (`-qj4`, `-c/x`): the first that
            // takes a value takes the rest of the word, or the next word.
            let flags: Vec<char> = text[1..].chars().collect();
            let mut shown = String::from("-");
            let mut consumed_next = None;
            for (k, &c) in flags.iter().enumerate() {
                shown.push(c);
                let Some(option) = current.get_arguments().find(|a| a.get_short() == Some(c))
                else {
                    continue;
                };
                if !takes_value(option) {
                    continue;
                }
                let rest: String = flags[k + 1..].iter().collect();
                let placeholder = placeholder(option);
                if rest.is_empty() {
                    if let Some(value) = args.next() {
                        consumed_next = Some(placeholder.map_or(value, OsString::from));
                    }
                } else {
                    shown.push_str(placeholder.unwrap_or(&rest));
                }
                break;
            }
            out.push(shown.into());
            out.extend(consumed_next);
            continue;
        }
        if let Some(sub) = current.find_subcommand(&text) {
            current = sub;
            out.push(arg);
            continue;
        }
        out.push(positional(&arg));
    }
    out
}

fn takes_value(option: &clap::Arg) -> bool {
    option.get_action().takes_values()
}

fn placeholder(option: &clap::Arg) -> Option<&'static str> {
    PLACEHOLDERS
        .iter()
        .find(|(id, _)| option.get_id() == *id)
        .map(|(_, shown)| *shown)
}

/// A positional argument (a clip, a folder): its file name only.
fn positional(arg: &OsString) -> OsString {
    Path::new(arg)
        .file_name()
        .map_or_else(|| arg.clone(), OsString::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(args: &[&str]) -> String {
        shareable_command_line(args.iter().map(OsString::from))
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn internal_paths_become_placeholders() {
        assert_eq!(
            shared(&[
                "/opt/studio/bin/vfp",
                "verify",
                "--catalog",
                "/vault/unreleased/catalog",
                "/srv/crawl/2026-12/clip.mp4",
                "--bundle=/home/ana/cases/42",
                "--ledger",
                "postgres://vfp:s3cret@db/ledger",
                "--source-url",
                "https://video.example/p/1",
                "--title",
                "ep1",
            ]),
            "vfp verify --catalog CATALOG clip.mp4 --bundle=BUNDLE --ledger LEDGER \
             --source-url https://video.example/p/1 --title ep1"
        );
    }

    #[test]
    fn short_options_attached_or_clustered_are_found() {
        assert_eq!(
            shared(&["vfp", "verify", "-c/vault/cat", "x/clip.mp4"]),
            "vfp verify -cCATALOG clip.mp4"
        );
        assert_eq!(
            shared(&["vfp", "verify", "-c", "/vault/cat", "--", "/a/-clip.mp4"]),
            "vfp verify -c CATALOG -- -clip.mp4"
        );
    }
}

//! The progress bar of bulk commands, on stderr; hidden when stderr is
//! not a terminal.

/// A progress bar over `len` files: `[====    ] 12/40 files, 3.1 files/s,
/// eta 9s name.mp4`.
pub fn files(len: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:30} {pos}/{len} files, {rate}, eta {eta} {msg}",
    ) {
        bar.set_style(style.with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{}", rate(state.per_sec()));
            },
        ));
    }
    bar
}

/// The progress bar's message for a file: its name, without folders.
pub fn file_label(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Files per second with one decimal and its unit.
fn rate(per_s: f64) -> String {
    if per_s.is_finite() {
        format!("{per_s:.1} files/s")
    } else {
        "- files/s".into()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_file_is_labelled_by_its_name() {
        assert_eq!(
            super::file_label(std::path::Path::new("a/b/c.mp4")),
            "c.mp4"
        );
        assert_eq!(super::file_label(std::path::Path::new("/")), "");
    }

    #[test]
    fn the_rate_has_a_unit_and_one_decimal() {
        assert_eq!(super::rate(3.002_2), "3.0 files/s");
        assert_eq!(super::rate(f64::INFINITY), "- files/s");
    }
}

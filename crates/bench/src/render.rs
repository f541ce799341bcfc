//! The report as a plain-text table for the terminal and as Markdown for
//! BENCHMARKS.md.

use std::fmt::Write;

use crate::{Report, Row, Target, Timing};

/// The columns of the table.
const HEADER: [&str; COLUMNS] = [
    "workload",
    "backend / peer",
    "median s",
    "min-max s",
    "whole process: median [min-max] s",
    "speedup vs naive",
    "rate",
    "check",
];

/// The number of columns; the last, `check`, is free text.
const COLUMNS: usize = 8;

/// Text cells are left-aligned, these numeric columns right-aligned.
const NUMERIC: std::ops::RangeInclusive<usize> = 2..=6;

/// How a list is written: the text form indents, Markdown uses bullets.
#[derive(Clone, Copy)]
enum Style {
    Text,
    Markdown,
}

impl Style {
    /// The start of a line of the preamble.
    fn lead(self) -> &'static str {
        match self {
            Style::Text => "",
            Style::Markdown => "- ",
        }
    }

    /// The start of an item of a list under a heading.
    fn item(self) -> &'static str {
        match self {
            Style::Text => "  ",
            Style::Markdown => "- ",
        }
    }
}

impl Report {
    /// A plain-text table for the terminal.
    pub fn to_text(&self) -> String {
        let rows: Vec<[String; COLUMNS]> = self.rows.iter().map(|r| self.cells(r)).collect();
        let mut width = HEADER.map(str::len);
        for r in &rows {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        self.preamble(&mut out, Style::Text);
        let _ = writeln!(out, "{}", text_line(&HEADER.map(String::from), &width));
        // The rule stops at the check column, whose long texts (skip
        // reasons) would make it as wide as the longest one.
        let rule = width[..COLUMNS - 1].iter().sum::<usize>() + 2 * (COLUMNS - 1) + "check".len();
        let _ = writeln!(out, "{}", "-".repeat(rule));
        for r in &rows {
            let _ = writeln!(out, "{}", text_line(r, &width));
        }
        self.postamble(&mut out, Style::Text);
        out
    }

    /// A Markdown table to paste into BENCHMARKS.md.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        self.preamble(&mut out, Style::Markdown);
        let _ = writeln!(out);
        let _ = writeln!(out, "| {} |", HEADER.join(" | "));
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---|");
        for r in &self.rows {
            let _ = writeln!(out, "| {} |", self.cells(r).join(" | "));
        }
        self.postamble(&mut out, Style::Markdown);
        out
    }

    /// The cells of a row, in [`HEADER`] order.
    fn cells(&self, row: &Row) -> [String; COLUMNS] {
        let name = if row.runner.is_peer() {
            format!("{} (peer)", row.runner)
        } else {
            row.runner.to_string()
        };
        let unit = row.workload.rate_unit();
        [
            row.workload.to_string(),
            name,
            row.seconds().map_or("-".into(), |s| format!("{s:.4}")),
            spread(&row.timing),
            row.process_seconds().map_or("-".into(), |s| {
                format!("{s:.4} [{}]", spread(&row.process_timing))
            }),
            self.speedup(row).map_or("-".into(), |s| format!("{s:.2}x")),
            row.seconds()
                .map_or("-".into(), |s| format!("{:.3e} {unit}", row.work / s)),
            row.status.cell(),
        ]
    }

    /// What ran, where and how often: the lines above the table.
    fn preamble(&self, out: &mut String, style: Style) {
        let what = if self.quick {
            "quick (small problems)"
        } else {
            "the course's problems"
        };
        let lead = style.lead();
        let _ = writeln!(
            out,
            "{lead}hpcrs bench: {what}, median and spread of {} interleaved run(s) per row",
            self.runs
        );
        for l in self.machine.iter().chain(&self.problems) {
            let _ = writeln!(out, "{lead}{l}");
        }
        if let Style::Text = style {
            let _ = writeln!(out);
        }
    }

    /// The lines below the table: the speed targets and the notes.
    fn postamble(&self, out: &mut String, style: Style) {
        let heading = if self.quick {
            "Speed targets (measured on the quick problems, which are not the targets' problems):"
        } else {
            "Speed targets:"
        };
        let targets: Vec<String> = self.targets.iter().map(target_line).collect();
        list(out, style, heading, &targets);
        if !self.notes.is_empty() {
            list(out, style, "Notes:", &self.notes);
        }
    }
}

/// One line of the text table: numbers right-aligned, text left-aligned,
/// no trailing blanks.
fn text_line(cells: &[String; COLUMNS], width: &[usize; COLUMNS]) -> String {
    let mut s = String::new();
    for (i, (c, w)) in cells.iter().zip(width).enumerate() {
        let pad = " ".repeat(w - c.chars().count());
        match i {
            _ if NUMERIC.contains(&i) => {
                s.push_str(&pad);
                s.push_str(c);
            }
            _ if i == COLUMNS - 1 => s.push_str(c),
            _ => {
                s.push_str(c);
                s.push_str(&pad);
            }
        }
        if i < COLUMNS - 1 {
            s.push_str("  ");
        }
    }
    s
}

/// A blank line, a heading and its items.
fn list(out: &mut String, style: Style, heading: &str, items: &[String]) {
    let _ = writeln!(out);
    let _ = writeln!(out, "{heading}");
    if let Style::Markdown = style {
        let _ = writeln!(out);
    }
    for item in items {
        let _ = writeln!(out, "{}{item}", style.item());
    }
}

/// `fastest-slowest` of the runs, or `-` if none ran.
fn spread(t: &Timing) -> String {
    match (t.best(), t.slowest()) {
        (Some(lo), Some(hi)) => format!("{lo:.4}-{hi:.4}"),
        _ => "-".into(),
    }
}

/// `name: ratio_is = ratio (target goal): verdict`.
fn target_line(t: &Target) -> String {
    let verdict = match t.met() {
        Some(true) => "met",
        Some(false) => "NOT met",
        None => "not measured",
    };
    let ratio = t.ratio.map_or("-".into(), |r| format!("{r:.2}"));
    let runs = if t.whole_process {
        "whole processes"
    } else {
        "in-process runs"
    };
    format!(
        "{}: {} = {ratio}, medians of {runs} (target {}): {verdict}",
        t.name(),
        t.ratio_is(),
        t.goal()
    )
}

#[cfg(test)]
mod tests {
    use runtime::Backend;

    use crate::{Peer, Runner, Status, Timing, Workload};

    use super::*;

    fn timing(seconds: &[f64]) -> Timing {
        let mut timing = Timing::default();
        seconds.iter().for_each(|&s| timing.push(s));
        timing
    }

    fn row(workload: Workload, runner: Runner, seconds: &[f64]) -> Row {
        Row {
            workload,
            runner,
            timing: timing(seconds),
            process_timing: Timing::default(),
            work: 1e9,
            status: Status::Agrees("1.0e-15".into()),
        }
    }

    fn report() -> Report {
        use Workload::{Auc, Diff2d};
        let b = Runner::Backend;
        let p = Runner::Peer;
        let mut r = Report::new(false, 3);
        r.rows = vec![
            row(Diff2d, b(Backend::Naive), &[1.2, 1.3, 1.25]),
            row(Diff2d, b(Backend::Threads), &[0.2, 0.21, 0.22]),
            row(Diff2d, p(Peer::CSerial), &[1.0]),
            row(Diff2d, p(Peer::COpenMp), &[0.5]),
            row(Auc, b(Backend::Naive), &[0.4]),
            row(Auc, b(Backend::Threads), &[0.05]),
            row(Auc, p(Peer::COpenMp), &[0.1]),
        ];
        r.targets = crate::targets::measure_all(&r);
        r
    }

    #[test]
    fn targets_are_the_ratios_of_the_rows() {
        let r = report();
        let t: Vec<(String, Option<f64>, Option<bool>)> = r
            .targets
            .iter()
            .map(|t| (t.name(), t.ratio, t.met()))
            .collect();
        // Medians: 0.5 / 0.21.
        assert_eq!(t[0].0, "diff2d threads vs C OpenMP");
        assert!((t[0].1.unwrap() - 0.5 / 0.21).abs() < 1e-12 && t[0].2 == Some(true));
        assert_eq!(t[1], ("diff2d threads vs numpy".into(), None, None)); // no numpy row
        assert_eq!(t[2].0, "diff2d naive vs C serial");
        assert!((t[2].1.unwrap() - 1.25).abs() < 1e-12 && t[2].2 == Some(true));
        assert_eq!(
            t[3],
            ("auc threads vs C OpenMP".into(), Some(2.0), Some(false))
        );
    }

    #[test]
    fn markdown_has_one_line_per_row_and_the_targets() {
        let md = report().to_markdown();
        assert!(md.contains(
            "| diff2d | threads | 0.2100 | 0.2000-0.2200 | - | 5.95x | 4.762e9 cell updates/s | ok (1.0e-15) |"
        ));
        assert!(md.contains(
            "| auc | C OpenMP (peer) | 0.1000 | 0.1000-0.1000 | - | 4.00x | 1.000e10 points/s | ok (1.0e-15) |"
        ));
        assert!(md.contains(
            "- auc threads vs C OpenMP: C OpenMP time / threads time = 2.00, medians of in-process runs (target >= 4.5): NOT met"
        ));
        assert!(md.contains(
            "- diff2d threads vs numpy: numpy time / threads time = -, medians of in-process runs (target >= 30): not measured"
        ));
        assert!(md.contains(
            "- diff2d naive vs C serial: naive time / C serial time = 1.25, medians of in-process runs (target <= 1.3): met"
        ));
        assert_eq!(md.lines().filter(|l| l.starts_with("| ")).count(), 1 + 7);
    }

    #[test]
    fn targets_use_whole_process_medians_when_both_rows_have_them() {
        let mut r = report();
        r.rows[1].process_timing = timing(&[0.30, 0.25, 0.9]);
        r.rows[3].process_timing = timing(&[0.6, 0.5, 0.55]);
        r.targets = crate::targets::measure_all(&r);
        let t = &r.targets[0];
        assert!(t.whole_process);
        assert!(
            (t.ratio.unwrap() - 0.55 / 0.30).abs() < 1e-12,
            "{:?}",
            t.ratio
        );
        assert!(
            !r.targets[2].whole_process,
            "C serial has no whole-process runs here"
        );
        let md = r.to_markdown();
        assert!(md.contains("| 0.3000 [0.2500-0.9000] |"), "{md}");
        assert!(
            md.contains("= 1.83, medians of whole processes (target >= 1.5): met"),
            "{md}"
        );
    }

    #[test]
    fn text_table_columns_line_up() {
        let text = report().to_text();
        let lines: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("workload"))
            .take(9)
            .collect();
        let at = lines[0].find("check").unwrap();
        for l in &lines[2..] {
            assert_eq!(&l[at..at + 3], "ok ", "{l}");
        }
        assert!(report().all_agree());
    }

    #[test]
    fn no_output_names_an_issue() {
        for out in [report().to_text(), report().to_markdown()] {
            assert!(!out.to_lowercase().contains("issue"), "{out}");
        }
    }
}

//! The bench's results: rows, speed targets, and their text and Markdown
//! tables.

use std::fmt::Write;

/// Whether a row's answer agreed with its reference.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Agrees; the text is the relative difference (or "exact").
    Agrees(String),
    /// Disagrees: what and by how much.
    Differs(String),
    /// Ran but there was nothing to compare with.
    Unchecked(String),
    /// Did not run to the end: the error.
    Failed(String),
    /// A peer this machine cannot run (no C compiler, no OpenMP, no numpy): why.
    Skipped(String),
}

impl Status {
    /// The text of the table's `check` column.
    pub fn cell(&self) -> String {
        match self {
            Status::Agrees(d) => format!("ok ({d})"),
            Status::Differs(d) => format!("DIFFERS: {d}"),
            Status::Unchecked(d) => format!("unchecked: {d}"),
            Status::Failed(e) => format!("FAILED: {e}"),
            Status::Skipped(why) => format!("skipped: {why}"),
        }
    }
}

/// One line of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// `diff2d`, `auc` or `summer`.
    pub workload: &'static str,
    /// The backend (`naive`, `threads`...) or peer (`C OpenMP`, `numpy`).
    pub name: String,
    /// Whether this is a peer rather than an hpcrs backend.
    pub peer: bool,
    /// Best time over the runs (`None` if it failed).
    pub seconds: Option<f64>,
    /// Units of work done (cell updates, points, additions).
    pub work: f64,
    /// The throughput unit (`cell updates/s`...).
    pub unit: &'static str,
    /// Whether the answer agreed.
    pub status: Status,
}

/// A speed target of issue 2 and how this run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// What is compared, e.g. `diff2d threads vs C OpenMP`.
    pub name: String,
    /// How the ratio is formed.
    pub ratio_is: String,
    /// The goal, e.g. `>= 1.5`.
    pub goal: String,
    /// The measured ratio (`None`: a row is missing).
    pub ratio: Option<f64>,
    /// Whether the goal is met (`None`: not measured).
    pub met: Option<bool>,
}

/// The whole bench result.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Small problems rather than the course's.
    pub quick: bool,
    /// Runs per case (best kept).
    pub runs: usize,
    /// The problems, one line each.
    pub problems: Vec<String>,
    /// Machine, compiler and interpreter lines.
    pub machine: Vec<String>,
    /// The rows, in table order.
    pub rows: Vec<Row>,
    /// Skipped rows and other remarks.
    pub notes: Vec<String>,
    /// The speed targets.
    pub targets: Vec<Target>,
}

impl Report {
    /// An empty report; the machine line is filled in.
    pub fn new(quick: bool, runs: usize) -> Report {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        Report {
            quick,
            runs,
            problems: Vec::new(),
            machine: vec![format!("{cores} cores, {cpu}")],
            rows: Vec::new(),
            notes: Vec::new(),
            targets: Vec::new(),
        }
    }

    /// The best time of a row.
    pub fn seconds(&self, workload: &str, name: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.workload == workload && r.name == name)
            .and_then(|r| r.seconds)
    }

    /// Whether every row that ran agreed with its reference (skipped peers
    /// do not count against it).
    pub fn all_agree(&self) -> bool {
        self.rows
            .iter()
            .all(|r| matches!(r.status, Status::Agrees(_) | Status::Skipped(_)))
    }

    /// Fills in [`Report::targets`] from the rows (issue 2's speed targets).
    pub fn compute_targets(&mut self) {
        let faster = |s: &Report, w: &str, fast: &str, slow: &str| {
            Some(s.seconds(w, slow)? / s.seconds(w, fast)?)
        };
        let mut t = Vec::new();
        let mut push = |name: &str,
                        ratio_is: &str,
                        goal: &str,
                        ratio: Option<f64>,
                        at_least: bool,
                        bound: f64| {
            t.push(Target {
                name: name.into(),
                ratio_is: ratio_is.into(),
                goal: goal.into(),
                ratio,
                met: ratio.map(|r| if at_least { r >= bound } else { r <= bound }),
            })
        };
        push(
            "diff2d threads vs C OpenMP",
            "C OpenMP time / threads time",
            ">= 1.5",
            faster(self, "diff2d", "threads", "C OpenMP"),
            true,
            1.5,
        );
        push(
            "diff2d threads vs numpy",
            "numpy time / threads time",
            ">= 30",
            faster(self, "diff2d", "threads", "numpy"),
            true,
            30.0,
        );
        push(
            "diff2d naive vs C serial",
            "naive time / C serial time",
            "<= 1.3",
            faster(self, "diff2d", "C serial", "naive"),
            false,
            1.3,
        );
        push(
            "auc threads vs C OpenMP",
            "C OpenMP time / threads time",
            ">= 3",
            faster(self, "auc", "threads", "C OpenMP"),
            true,
            3.0,
        );
        self.targets = t;
    }

    /// The speedup of a row over its workload's baseline (`naive`, or
    /// `serial` for summer).
    fn speedup(&self, row: &Row) -> Option<f64> {
        let base = if row.workload == "summer" {
            "serial"
        } else {
            "naive"
        };
        Some(self.seconds(row.workload, base)? / row.seconds?)
    }

    fn cells(&self, row: &Row) -> [String; 6] {
        let name = if row.peer {
            format!("{} (peer)", row.name)
        } else {
            row.name.clone()
        };
        [
            row.workload.to_string(),
            name,
            row.seconds.map_or("-".into(), |s| format!("{s:.4}")),
            self.speedup(row).map_or("-".into(), |s| format!("{s:.2}x")),
            row.seconds
                .map_or("-".into(), |s| format!("{:.3e} {}", row.work / s, row.unit)),
            row.status.cell(),
        ]
    }

    fn target_line(t: &Target) -> String {
        let verdict = match t.met {
            Some(true) => "met",
            Some(false) => "NOT met",
            None => "not measured",
        };
        let ratio = t.ratio.map_or("-".into(), |r| format!("{r:.2}"));
        format!(
            "{}: {} = {ratio} (target {}): {verdict}",
            t.name, t.ratio_is, t.goal
        )
    }

    const HEADER: [&'static str; 6] = [
        "workload",
        "backend / peer",
        "seconds",
        "speedup vs naive",
        "rate",
        "check",
    ];

    /// A plain-text table for the terminal.
    pub fn to_text(&self) -> String {
        let rows: Vec<[String; 6]> = self.rows.iter().map(|r| self.cells(r)).collect();
        let mut width = Self::HEADER.map(str::len);
        for r in &rows {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        self.preamble(&mut out, "");
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (i, (c, w)) in cells.iter().zip(width).enumerate() {
                let pad = w - c.chars().count();
                // Numbers right-aligned, text left-aligned; no trailing blanks.
                if (2..=4).contains(&i) {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(c);
                } else if i == 5 {
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    s.push_str(&" ".repeat(pad));
                }
                if i < 5 {
                    s.push_str("  ");
                }
            }
            s
        };
        let header: Vec<String> = Self::HEADER.iter().map(|h| h.to_string()).collect();
        let _ = writeln!(out, "{}", line(&header));
        // Up to the check column, whose long texts (skip reasons) would make
        // the rule as wide as the longest one.
        let total: usize = width[..5].iter().sum::<usize>() + 10 + "check".len();
        let _ = writeln!(out, "{}", "-".repeat(total));
        for r in &rows {
            let _ = writeln!(out, "{}", line(r));
        }
        self.postamble(&mut out, "");
        out
    }

    /// A Markdown table to paste into BENCHMARKS.md.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        self.preamble(&mut out, "- ");
        let _ = writeln!(out);
        let _ = writeln!(out, "| {} |", Self::HEADER.join(" | "));
        let _ = writeln!(out, "|---|---|---:|---:|---:|---|");
        for r in &self.rows {
            let _ = writeln!(out, "| {} |", self.cells(r).join(" | "));
        }
        self.postamble(&mut out, "- ");
        out
    }

    fn preamble(&self, out: &mut String, bullet: &str) {
        let what = if self.quick {
            "quick (small problems)"
        } else {
            "the course's problems"
        };
        let _ = writeln!(
            out,
            "{bullet}hpcrs bench: {what}, best of {} run(s) per row",
            self.runs
        );
        for l in self.machine.iter().chain(&self.problems) {
            let _ = writeln!(out, "{bullet}{l}");
        }
        if bullet.is_empty() {
            let _ = writeln!(out);
        }
    }

    fn postamble(&self, out: &mut String, bullet: &str) {
        let _ = writeln!(out);
        let heading = if self.quick {
            "Speed targets (measured on the quick problems, which are not the targets' problems):"
        } else {
            "Speed targets:"
        };
        let _ = writeln!(out, "{heading}");
        if !bullet.is_empty() {
            let _ = writeln!(out);
        }
        for t in &self.targets {
            let b = if bullet.is_empty() { "  " } else { bullet };
            let _ = writeln!(out, "{b}{}", Self::target_line(t));
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "Notes:");
            if !bullet.is_empty() {
                let _ = writeln!(out);
            }
            for n in &self.notes {
                let b = if bullet.is_empty() { "  " } else { bullet };
                let _ = writeln!(out, "{b}{n}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(workload: &'static str, name: &str, peer: bool, seconds: f64) -> Row {
        Row {
            workload,
            name: name.into(),
            peer,
            seconds: Some(seconds),
            work: 1e9,
            unit: "points/s",
            status: Status::Agrees("1.0e-15".into()),
        }
    }

    fn report() -> Report {
        let mut r = Report::new(false, 3);
        r.rows = vec![
            row("diff2d", "naive", false, 1.2),
            row("diff2d", "threads", false, 0.2),
            row("diff2d", "C serial", true, 1.0),
            row("diff2d", "C OpenMP", true, 0.5),
            row("auc", "naive", false, 0.4),
            row("auc", "threads", false, 0.05),
            row("auc", "C OpenMP", true, 0.1),
        ];
        r.compute_targets();
        r
    }

    #[test]
    fn targets_are_the_ratios_of_the_rows() {
        let r = report();
        let t: Vec<(&str, Option<f64>, Option<bool>)> = r
            .targets
            .iter()
            .map(|t| (t.name.as_str(), t.ratio, t.met))
            .collect();
        assert_eq!(t[0], ("diff2d threads vs C OpenMP", Some(2.5), Some(true)));
        assert_eq!(t[1], ("diff2d threads vs numpy", None, None)); // no numpy row
        assert_eq!(t[2].0, "diff2d naive vs C serial");
        assert!((t[2].1.unwrap() - 1.2).abs() < 1e-12 && t[2].2 == Some(true));
        assert_eq!(t[3], ("auc threads vs C OpenMP", Some(2.0), Some(false)));
    }

    #[test]
    fn markdown_has_one_line_per_row_and_the_targets() {
        let md = report().to_markdown();
        assert!(
            md.contains("| diff2d | threads | 0.2000 | 6.00x | 5.000e9 points/s | ok (1.0e-15) |")
        );
        assert!(md.contains(
            "| auc | C OpenMP (peer) | 0.1000 | 4.00x | 1.000e10 points/s | ok (1.0e-15) |"
        ));
        assert!(md.contains(
            "- auc threads vs C OpenMP: C OpenMP time / threads time = 2.00 (target >= 3): NOT met"
        ));
        assert!(md.contains(
            "- diff2d threads vs numpy: numpy time / threads time = - (target >= 30): not measured"
        ));
        assert_eq!(md.lines().filter(|l| l.starts_with("| ")).count(), 1 + 7);
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
}

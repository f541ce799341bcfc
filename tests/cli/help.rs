//! The help of every subcommand reads as plain text: the doc comments it is
//! made from serve rustdoc too, and markdown escapes written for rustdoc
//! (`\[`, `\*`) would show up in the terminal.

use crate::util::{hpcrs, success_stdout};

/// The subcommands listed under "Commands:" in a help text, `help` left out.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// The `--help` text of `path` and of every subcommand below it.
fn every_help(path: Vec<String>, out: &mut Vec<(String, String)>) {
    let text = success_stdout(hpcrs().args(&path).arg("--help"));
    for sub in subcommands(&text) {
        let mut deeper = path.clone();
        deeper.push(sub);
        every_help(deeper, out);
    }
    out.push((path.join(" "), text));
}

#[test]
fn every_help_text_is_free_of_markdown_escapes() {
    let mut helps = Vec::new();
    every_help(Vec::new(), &mut helps);
    // The top level, its 11 subcommands and theirs.
    assert!(helps.len() > 20, "only {} help texts found", helps.len());
    for (command, text) in &helps {
        for escape in ["\\[", "\\]", "\\*", "\\_", "\\`"] {
            assert!(
                !text.contains(escape),
                "`hpcrs {command} --help` shows the markdown escape {escape}:\n{text}"
            );
        }
    }
}

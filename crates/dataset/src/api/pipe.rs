//! `pipe`: a dataset through an external command (see `nodes/pipe.rs`), and
//! the splitting of its command line into words, as a POSIX shell (and
//! Python's `shlex.split`, which PySpark uses) splits them.

use std::fmt::Display;

use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::nodes::PipeNode;
use crate::Data;

/// The words of `line`: split at unquoted whitespace; single quotes keep
/// everything literally; double quotes keep all but `\"`, `\\`, `\$` and
/// `` \` ``; a backslash outside quotes escapes the next character.
pub(crate) fn split_command(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unclosed single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("unclosed double quote".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unclosed double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => word.push(c),
                    None => return Err("a backslash ends the line".into()),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

impl<T: Data + Display> Dataset<T> {
    /// Each partition written, one element per line (`Display`), to the
    /// standard input of `command`, run once per partition; the lines it
    /// prints (without their `\n`) are the elements of the result (Spark's
    /// `pipe`). The command line is split into words as a shell would, but
    /// no shell runs it. A command that cannot start or exits unsuccessfully
    /// fails the action with an error naming it and its exit status; an
    /// empty or unbalanced command line is an error at once.
    ///
    /// ```
    /// let ctx = dataset::Context::local(2)?;
    /// let out = ctx.parallelize(["1", "2", "", "3"], 2).pipe("cat")?.collect()?;
    /// assert_eq!(out, ["1", "2", "", "3"]);
    /// # Ok::<(), dataset::DatasetError>(())
    /// ```
    #[track_caller]
    pub fn pipe(&self, command: &str) -> Result<Dataset<String>> {
        let bad = |reason: String| DatasetError::Pipe {
            command: command.to_string(),
            reason,
        };
        let argv = split_command(command).map_err(bad)?;
        if argv.is_empty() {
            return Err(bad("the command line is empty".into()));
        }
        let info = self.ctx.node_info("Piped", &format!("pipe({command})"));
        Ok(Dataset::from_node(
            self.ctx.clone(),
            PipeNode::new(info, self.clone(), command.to_string(), argv),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::split_command;

    #[test]
    fn command_lines_split_as_a_shell_splits_them() {
        let w = |s: &str| split_command(s).unwrap();
        assert_eq!(w("cat"), ["cat"]);
        assert_eq!(w("  grep -v  'a b' "), ["grep", "-v", "a b"]);
        assert_eq!(
            w(r#"echo "x \"y\" \n" z\ w"#),
            ["echo", r#"x "y" \n"#, "z w"]
        );
        assert_eq!(w("a''b \"\""), ["ab", ""]);
        assert!(w("").is_empty());
        assert!(split_command("echo 'open").is_err());
        assert!(split_command("echo \"open").is_err());
        assert!(split_command("echo \\").is_err());
    }
}

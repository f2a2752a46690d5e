//! Collected errors and warnings of one import, each located.

use gatehouse_contract::Diagnostic;

/// Warnings kept in full; beyond this only a count is kept (a 600-operation document with
/// one repeated deviation should not produce a 600-line report).
pub const MAX_WARNINGS: usize = 200;

#[derive(Debug, Default)]
pub struct Findings {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    pub more_warnings: usize,
}

fn diagnostic(file: Option<&str>, pointer: &str, (line, column): (u32, u32), message: String) -> Diagnostic {
    Diagnostic { pointer: pointer.to_string(), line, column, message, file: file.map(str::to_string) }
}

impl Findings {
    pub fn error(&mut self, file: Option<&str>, pointer: &str, at: (u32, u32), message: impl Into<String>) {
        if self.errors.len() < MAX_WARNINGS {
            self.errors.push(diagnostic(file, pointer, at, message.into()));
        }
    }

    pub fn warn(&mut self, file: Option<&str>, pointer: &str, at: (u32, u32), message: impl Into<String>) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(diagnostic(file, pointer, at, message.into()));
        } else {
            self.more_warnings += 1;
        }
    }

    /// The warnings, with a closing line saying how many more were left out.
    pub fn into_warnings(mut self) -> Vec<Diagnostic> {
        if self.more_warnings > 0 {
            self.warnings.push(Diagnostic {
                pointer: String::new(),
                line: 1,
                column: 1,
                message: format!("… and {} more warnings like the ones above", self.more_warnings),
                file: None,
            });
        }
        self.warnings
    }
}

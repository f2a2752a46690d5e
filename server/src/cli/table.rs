//! The lists the CLI prints: each column as wide as its widest cell, so a long name or region
//! list never runs into the next column, and the last column unpadded (lines end with their
//! text, for `grep` and `awk` as much as for people).

use std::fmt;

enum Line {
    Cells(Vec<String>),
    /// A line of its own under the row before it (e.g. why a gateway is not serving).
    Note(String),
}

pub struct Table {
    lines: Vec<Line>,
}

impl Table {
    pub fn new<const N: usize>(heading: [&str; N]) -> Self {
        Table { lines: vec![Line::Cells(heading.iter().map(|h| h.to_string()).collect())] }
    }

    pub fn row<const N: usize>(&mut self, cells: [String; N]) {
        self.lines.push(Line::Cells(cells.into()));
    }

    pub fn note(&mut self, text: String) {
        self.lines.push(Line::Note(text));
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut widths: Vec<usize> = Vec::new();
        for line in &self.lines {
            if let Line::Cells(cells) = line {
                for (i, cell) in cells.iter().enumerate() {
                    let width = cell.chars().count();
                    match widths.get_mut(i) {
                        Some(w) => *w = (*w).max(width),
                        None => widths.push(width),
                    }
                }
            }
        }
        for line in &self.lines {
            match line {
                Line::Cells(cells) => {
                    let last = cells.len().saturating_sub(1);
                    for (i, cell) in cells.iter().enumerate() {
                        match i == last {
                            true => writeln!(f, "{cell}")?,
                            false => write!(f, "{cell:<width$}  ", width = widths[i])?,
                        }
                    }
                }
                Line::Note(text) => writeln!(f, "  {text}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn columns_fit_their_widest_cell_and_the_last_is_not_padded() {
        let mut table = Table::new(["NAME", "KIND", "APIS"]);
        table.row(["food-apis".into(), "regional (eu-west, US East)".into(), "Reviews 1.0.0".into()]);
        table.note("not serving on this machine: port 8081 is in use".into());
        table.row(["demo".into(), "functional".into(), "Pizza Shack 1.0.0".into()]);
        assert_eq!(
            table.to_string(),
            "NAME       KIND                         APIS\n\
             food-apis  regional (eu-west, US East)  Reviews 1.0.0\n  \
             not serving on this machine: port 8081 is in use\n\
             demo       functional                   Pizza Shack 1.0.0\n"
        );
    }

    #[test]
    fn a_table_without_rows_is_its_heading() {
        assert_eq!(Table::new(["ID", "URL", "HEARS"]).to_string(), "ID  URL  HEARS\n");
    }

    #[test]
    fn widths_count_characters_not_bytes() {
        let mut table = Table::new(["TIER", "STATUS"]);
        table.row(["Gold – 100/min".into(), "active".into()]);
        assert_eq!(table.to_string(), "TIER            STATUS\nGold – 100/min  active\n");
    }
}

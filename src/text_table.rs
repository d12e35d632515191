//! Text tables for people: one renderer for every command's `--format table`.
//!
//! Columns stay aligned whatever a cell holds (long ARNs widen their column instead of pushing
//! the next one). On a terminal, cells wrap to its width; piped or written to a file (`--output`),
//! nothing wraps, so the text is the same on every machine.

use comfy_table::{presets, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table, TableComponent, Width};

pub struct TextTable {
    table: Table,
    header: Vec<String>,
    columns: usize,
    rows: usize,
}

impl TextTable {
    pub fn new<S: AsRef<str>>(header: &[S]) -> TextTable {
        let mut table = Table::new();
        // No borders or column lines: columns are separated by the cells' padding alone, and the
        // header is underlined with dashes, so the text greps and pastes like a plain listing.
        table.load_preset(presets::NOTHING);
        for c in [
            TableComponent::LeftBorder,
            TableComponent::RightBorder,
            TableComponent::TopBorder,
            TableComponent::BottomBorder,
            TableComponent::VerticalLines,
            TableComponent::HorizontalLines,
            TableComponent::LeftBorderIntersections,
            TableComponent::RightBorderIntersections,
            TableComponent::TopBorderIntersections,
            TableComponent::BottomBorderIntersections,
            TableComponent::MiddleIntersections,
            TableComponent::LeftHeaderIntersection,
            TableComponent::RightHeaderIntersection,
            TableComponent::TopLeftCorner,
            TableComponent::TopRightCorner,
            TableComponent::BottomLeftCorner,
            TableComponent::BottomRightCorner,
        ] {
            table.remove_style(c);
        }
        table.set_style(TableComponent::HeaderLines, '-');
        table.set_style(TableComponent::MiddleHeaderIntersections, ' ');
        table.set_content_arrangement(ContentArrangement::Dynamic);
        let header: Vec<String> = header.iter().map(|h| h.as_ref().to_owned()).collect();
        table.set_header(header.clone());
        for col in table.column_iter_mut() {
            col.set_padding((0, 2));
        }
        TextTable { table, columns: header.len(), header, rows: 0 }
    }

    /// Right-align these columns (numbers).
    pub fn right(mut self, columns: &[usize]) -> TextTable {
        for &i in columns {
            if let Some(c) = self.table.column_mut(i) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        // The header of a number column ends where its numbers end.
        let header: Vec<Cell> = self
            .header
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let cell = Cell::new(h);
                if columns.contains(&i) {
                    cell.set_alignment(CellAlignment::Right)
                } else {
                    cell
                }
            })
            .collect();
        self.table.set_header(header);
        self
    }

    /// Never wrap this column below `width` characters on a terminal (identifiers read badly
    /// when broken).
    pub fn keep_width(mut self, column: usize, width: u16) -> TextTable {
        if let Some(c) = self.table.column_mut(column) {
            c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(width)));
        }
        self
    }

    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        // Tabs and line breaks inside a value would break the row apart.
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| c.into().chars().map(|ch| if ch == '\n' || ch == '\t' || ch == '\r' { ' ' } else { ch }).collect())
            .collect();
        debug_assert_eq!(cells.len(), self.columns, "a row with a different number of cells than the header");
        self.table.add_row(cells);
        self.rows += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The table, each line without trailing blanks and ending in a newline.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for line in self.table.lines() {
            s.push_str(line.trim_end());
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cells_keep_the_columns_aligned() {
        let mut t = TextTable::new(&["principal", "calls"]).right(&[1]);
        t.row(["arn:aws:iam::111122223333:role/a-very-long-role-name-that-is-longer-than-the-header", "7"]);
        t.row(["bob", "1234"]);
        let text = t.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("principal"));
        assert!(lines[1].chars().all(|c| c == '-' || c == ' '), "{text}");
        // The numbers end in the same column: right alignment survives the long ARN.
        let end = |l: &str| l.trim_end().chars().count();
        assert_eq!(end(lines[2]), end(lines[3]), "{text}");
        assert_eq!(end(lines[0]), end(lines[3]), "{text}");
        // The second column starts after the widest first cell plus the padding.
        assert!(lines[3].starts_with("bob "));
    }

    #[test]
    fn line_breaks_in_cells_stay_on_one_row() {
        let mut t = TextTable::new(&["a", "b"]);
        t.row(["x\ny", "z\tw"]);
        assert_eq!(t.render().lines().count(), 3);
        assert!(t.render().contains("x y"));
        assert!(!t.is_empty());
    }
}

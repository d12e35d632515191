//! Renderers shared by every command: one data set, several forms (table, CSV, JSON, ...).

pub mod compliance;
pub mod frame;
pub mod gather;
// One golden-file helper for the unit tests and the CLI tests.
#[cfg(test)]
#[path = "../../tests/support/golden.rs"]
pub mod golden;
pub mod html;
pub mod people;
pub mod svg;

/// Output formats for tabular results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
    Md,
}

//! Renderers shared by every command: one data set, several forms (table, CSV, JSON, ...).

pub mod compliance;
pub mod frame;
#[cfg(test)]
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
}

//! Render a polars DataFrame for people (an aligned text table) or machines (CSV, JSON lines).

use super::Format;
use anyhow::Result;
use polars::prelude::*;
use std::io::Write;

/// Render every row of `df` in the chosen format.
pub fn render(df: &DataFrame, format: Format, out: &mut dyn Write) -> Result<()> {
    match format {
        Format::Table => table(df, out),
        Format::Csv => csv(df, out),
        Format::Json => json(df, out),
        Format::Md => markdown(df, out),
    }
}

/// A Markdown table cell: pipes escaped, line breaks as spaces, so a value never breaks the table.
fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn markdown(df: &DataFrame, out: &mut dyn Write) -> Result<()> {
    let names: Vec<String> = df.get_column_names().iter().map(|s| md_cell(s)).collect();
    writeln!(out, "| {} |", names.join(" | "))?;
    writeln!(out, "|{}|", vec!["---"; names.len()].join("|"))?;
    for r in rows(df) {
        let cells: Vec<String> = r.iter().map(|c| c.as_deref().map(md_cell).unwrap_or_default()).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}

fn cell(v: &AnyValue) -> Option<String> {
    match v {
        AnyValue::Null => None,
        AnyValue::String(s) => Some((*s).to_owned()),
        AnyValue::StringOwned(s) => Some(s.to_string()),
        AnyValue::Datetime(ms, TimeUnit::Milliseconds, _) | AnyValue::DatetimeOwned(ms, TimeUnit::Milliseconds, _) => {
            chrono::DateTime::from_timestamp_millis(*ms).map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        }
        AnyValue::Datetime(us, TimeUnit::Microseconds, _) | AnyValue::DatetimeOwned(us, TimeUnit::Microseconds, _) => {
            chrono::DateTime::from_timestamp_micros(*us).map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        }
        AnyValue::Datetime(ns, TimeUnit::Nanoseconds, _) | AnyValue::DatetimeOwned(ns, TimeUnit::Nanoseconds, _) => {
            Some(chrono::DateTime::from_timestamp_nanos(*ns).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        }
        other => Some(format!("{other}").trim_matches('"').to_owned()),
    }
}

fn rows(df: &DataFrame) -> Vec<Vec<Option<String>>> {
    let cols = df.columns();
    (0..df.height()).map(|i| cols.iter().map(|c| c.get(i).ok().and_then(|v| cell(&v))).collect()).collect()
}

fn table(df: &DataFrame, out: &mut dyn Write) -> Result<()> {
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    let body = rows(df);
    // Numbers end in one column.
    let numeric: Vec<usize> =
        df.columns().iter().enumerate().filter(|(_, c)| c.dtype().is_primitive_numeric()).map(|(i, _)| i).collect();
    let mut t = crate::text_table::TextTable::new(&names).right(&numeric);
    for r in &body {
        t.row(r.iter().map(|c| c.clone().unwrap_or_default()));
    }
    out.write_all(t.render().as_bytes())?;
    writeln!(out, "({} row{})", body.len(), if body.len() == 1 { "" } else { "s" })?;
    Ok(())
}

/// CSV through polars' writer. Columns it cannot write as they are (lists, structs, times) are
/// first turned into the same text the other formats show.
fn csv(df: &DataFrame, out: &mut dyn Write) -> Result<()> {
    let columns: Vec<Column> = df
        .columns()
        .iter()
        .map(|c| {
            let d = c.dtype();
            if d.is_primitive_numeric() || d.is_bool() || d.is_string() {
                c.clone()
            } else {
                let text: Vec<Option<String>> = (0..c.len()).map(|i| c.get(i).ok().and_then(|v| cell(&v))).collect();
                Column::new(c.name().clone(), text)
            }
        })
        .collect();
    let mut df = DataFrame::new(df.height(), columns)?;
    CsvWriter::new(out).include_header(true).finish(&mut df)?;
    Ok(())
}

/// One JSON array of row objects, keys in the frame's column order; typed where the column is
/// (numbers, booleans).
fn json(df: &DataFrame, out: &mut dyn Write) -> Result<()> {
    let names: Vec<String> =
        df.get_column_names().iter().map(|s| serde_json::to_string(s.as_str())).collect::<Result<_, _>>()?;
    let cols = df.columns();
    writeln!(out, "[")?;
    for i in 0..df.height() {
        let mut fields = Vec::with_capacity(names.len());
        for (name, c) in names.iter().zip(cols) {
            let v = c.get(i).map_err(anyhow::Error::from)?;
            fields.push(format!("    {name}: {}", serde_json::to_string(&json_value(&v))?));
        }
        let sep = if i + 1 < df.height() { "," } else { "" };
        writeln!(out, "  {{\n{}\n  }}{sep}", fields.join(",\n"))?;
    }
    writeln!(out, "]")?;
    Ok(())
}

fn json_value(v: &AnyValue) -> serde_json::Value {
    use serde_json::Value;
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(*b),
        AnyValue::Int8(x) => Value::from(*x),
        AnyValue::Int16(x) => Value::from(*x),
        AnyValue::Int32(x) => Value::from(*x),
        AnyValue::Int64(x) => Value::from(*x),
        AnyValue::UInt8(x) => Value::from(*x),
        AnyValue::UInt16(x) => Value::from(*x),
        AnyValue::UInt32(x) => Value::from(*x),
        AnyValue::UInt64(x) => Value::from(*x),
        AnyValue::Float32(x) => Value::from(*x as f64),
        AnyValue::Float64(x) => Value::from(*x),
        other => cell(other).map(Value::String).unwrap_or(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_csv_keep_awkward_values_in_their_cell() {
        let df = df!("name" => ["a|b", "line\nbreak"], "n" => [1u64, 2]).unwrap();
        let mut md = Vec::new();
        render(&df, Format::Md, &mut md).unwrap();
        assert_eq!(String::from_utf8(md).unwrap(), "| name | n |\n|---|---|\n| a\\|b | 1 |\n| line break | 2 |\n");
        let mut csv = Vec::new();
        render(&df, Format::Csv, &mut csv).unwrap();
        assert_eq!(String::from_utf8(csv).unwrap(), "name,n\na|b,1\n\"line\nbreak\",2\n");
    }
}

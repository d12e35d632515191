use super::Status;
use crate::cli::QueryArgs;
use crate::{queries, report, sql};
use anyhow::{Context, Result};
use std::io::Write;

pub fn run(a: &QueryArgs) -> Result<Status> {
    if a.list {
        let mut out = std::io::stdout().lock();
        for q in queries::library() {
            writeln!(out, "{}  {}", q.name, q.purpose)?;
            for p in &q.params {
                let d = p.default.as_deref().map(|d| format!(" (default {d})")).unwrap_or_default();
                writeln!(out, "    --param {}=...{}  {}", p.name, d, p.description)?;
            }
        }
        return Ok(Status::Ok);
    }
    let mut text = a.query.clone().expect("clap requires a query unless --list");
    if text == "-" {
        text.clear();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text).context("reading SQL from stdin")?;
        if text.trim().is_empty() {
            crate::usage_bail!("query -: no SQL on stdin");
        }
    }
    let text = text.as_str();
    let lake_dir = a.lake.as_deref().expect("clap requires --lake unless --list");
    crate::lake::require(lake_dir)?;
    let params = queries::parse_params(&a.params)?;
    let sql = if let Some(q) = queries::find(text) {
        q.bind(&params)?
    } else if text.ends_with(".sql") && std::path::Path::new(text).is_file() {
        let body = std::fs::read_to_string(text).with_context(|| format!("reading {text}"))?;
        queries::Query::parse(text, &body).bind(&params)?
    } else {
        text.to_owned()
    };
    let df = sql::run_sql(lake_dir, &sql, a.allow_files)?;
    report::frame::render(&df, a.format, &mut std::io::stdout().lock())?;
    Ok(Status::Ok)
}

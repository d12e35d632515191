use super::Status;
use crate::cli::QueryArgs;
use crate::{lake, queries, report};
use anyhow::{Context, Result};
use polars::prelude::*;
use polars::sql::SQLContext;
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
    let text = a.query.as_deref().expect("clap requires a query unless --list");
    let lake_dir = a.lake.as_deref().expect("clap requires --lake unless --list");
    let params = queries::parse_params(&a.params)?;
    let sql = if let Some(q) = queries::find(text) {
        q.bind(&params)?
    } else if text.ends_with(".sql") && std::path::Path::new(text).is_file() {
        let body = std::fs::read_to_string(text).with_context(|| format!("reading {text}"))?;
        queries::Query::parse(text, &body).bind(&params)?
    } else {
        text.to_owned()
    };
    let df = run_sql(lake_dir, &sql)?;
    report::frame::render(&df, a.format, &mut std::io::stdout().lock())?;
    Ok(Status::Ok)
}

/// Run SQL over the lake with the events registered as the table `events`.
pub fn run_sql(lake_dir: &std::path::Path, sql: &str) -> Result<DataFrame> {
    let mut ctx = SQLContext::new();
    ctx.register("events", lake::scan_events(lake_dir)?);
    let lf = ctx.execute(sql).map_err(short).context("the SQL statement is not valid for the lake")?;
    lf.collect().map_err(short).context("running the query")
}

/// polars errors can carry the whole query plan; the first line says what went wrong.
fn short(e: PolarsError) -> anyhow::Error {
    let text = e.to_string();
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    // The list of valid columns repeats the whole schema: keep the message before it.
    let first = first.split("; valid columns:").next().unwrap_or(first);
    anyhow::anyhow!("{first}")
}

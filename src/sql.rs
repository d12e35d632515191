//! SQL over the lake: the events are the table `events`, and polars' table functions
//! (`read_csv('path')`, `read_parquet('path')`, ...) may read only files inside the lake unless
//! the caller allows any file (`query --allow-files`). SQL may come from anyone who can hand a
//! query to a script; it must not turn trailtrim into a reader of `/etc/passwd` or `~/.aws/credentials`.

use crate::error::UsageError;
use crate::lake;
use anyhow::{Context, Result};
use polars::prelude::*;
use polars::sql::SQLContext;
use sqlparser::ast::{
    Expr as SqlExpr, FunctionArg, FunctionArgExpr, TableFactor, Value as SqlValue, ValueWithSpan, Visit, Visitor,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserOptions};
use std::ops::ControlFlow;
use std::path::{Component, Path, PathBuf};

/// Run SQL over the lake with the events registered as the table `events`. With `allow_files`
/// false, a table function reading a file outside the lake is a usage error and nothing runs.
pub fn run_sql(lake_dir: &Path, sql: &str, allow_files: bool) -> Result<DataFrame> {
    if !allow_files {
        check_file_access(sql, lake_dir)?;
    }
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

/// Refuse SQL whose table functions read anything but files inside the lake. The SQL is parsed
/// exactly as polars parses it (same parser version, dialect and options), so quoting, case,
/// comments or nesting (subqueries, CTEs, joins, `CREATE TABLE ... AS`) cannot hide a call: every
/// table factor of every statement is visited.
pub fn check_file_access(sql: &str, lake_dir: &Path) -> Result<()> {
    let statements = Parser::new(&GenericDialect)
        .with_options(ParserOptions { trailing_commas: true, ..Default::default() })
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("the SQL statement is not valid for the lake")?;
    let lake = lake_dir.canonicalize().with_context(|| format!("the lake {} cannot be read", lake_dir.display()))?;
    let mut guard = Guard { lake: &lake };
    for s in &statements {
        if let ControlFlow::Break(reason) = s.visit(&mut guard) {
            return Err(UsageError(reason).into());
        }
    }
    Ok(())
}

struct Guard<'a> {
    lake: &'a Path,
}

impl Visitor for Guard<'_> {
    type Break = String;

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<String> {
        // A table name followed by arguments is a table function: polars reads its argument as a path.
        let TableFactor::Table { name, args: Some(args), .. } = factor else { return ControlFlow::Continue(()) };
        for arg in &args.args {
            let path = match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(SqlExpr::Value(ValueWithSpan {
                    value: SqlValue::SingleQuotedString(s),
                    ..
                }))) => s,
                other => {
                    return ControlFlow::Break(format!(
                        "{name}({other}): a table function's argument must be a quoted path inside the lake \
                         (or pass --allow-files to read any file)"
                    ))
                }
            };
            if !inside(self.lake, path) {
                return ControlFlow::Break(format!(
                    "{name}('{path}') reads a file outside the lake {}; table functions read only the lake's \
                     files unless --allow-files is given",
                    self.lake.display()
                ));
            }
        }
        ControlFlow::Continue(())
    }
}

/// Whether a path as polars would open it (relative to the working directory, `~` for the home
/// folder, glob patterns allowed) lies inside `lake` (canonical). The longest existing prefix is
/// resolved by the file system (symlinks, `..`); the rest may not climb (`..`) at all.
fn inside(lake: &Path, raw: &str) -> bool {
    if raw.contains("://") {
        return false; // a URL (file://, s3://, http://) is never a lake file
    }
    let expanded = match raw.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(rest.trim_start_matches('/')),
            None => return false,
        },
        _ => PathBuf::from(raw),
    };
    let absolute = if expanded.is_absolute() {
        expanded
    } else {
        match std::env::current_dir() {
            Ok(cwd) => cwd.join(expanded),
            Err(_) => return false,
        }
    };
    let parts: Vec<Component> = absolute.components().collect();
    for n in (1..=parts.len()).rev() {
        let prefix: PathBuf = parts[..n].iter().collect();
        if let Ok(real) = prefix.canonicalize() {
            let rest = &parts[n..];
            if !rest.iter().all(|c| matches!(c, Component::Normal(_))) {
                return false;
            }
            return rest.iter().fold(real, |p, c| p.join(c)).starts_with(lake);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lake() -> PathBuf {
        let d = std::env::temp_dir().join(format!("trailtrim-sql-guard-{}", std::process::id()));
        std::fs::create_dir_all(d.join("events/account=1")).unwrap();
        std::fs::write(d.join("events/account=1/a.parquet"), b"").unwrap();
        d
    }

    fn refused(sql: &str, lake: &Path) -> String {
        let err = check_file_access(sql, lake).err().unwrap_or_else(|| panic!("not refused: {sql}"));
        assert!(crate::error::is_usage_error(&err), "{sql}: {err:#}");
        err.to_string()
    }

    #[test]
    fn table_functions_outside_the_lake_are_refused_however_written() {
        let lake = lake();
        let l = lake.display();
        for sql in [
            "SELECT * FROM read_csv('/etc/passwd')".to_owned(),
            "select * from READ_CSV('/etc/passwd')".to_owned(),
            "SELECT * FROM \"read_csv\"('/etc/passwd')".to_owned(),
            "SELECT * FROM /* hidden */ read_parquet ( '/etc/passwd' ) -- comment".to_owned(),
            "SELECT * FROM events WHERE event_id IN (SELECT a FROM read_csv('/etc/passwd'))".to_owned(),
            "WITH x AS (SELECT * FROM read_json('/etc/passwd')) SELECT * FROM x".to_owned(),
            "SELECT * FROM events e JOIN read_ipc('/etc/passwd') p ON true".to_owned(),
            "CREATE TABLE t AS SELECT * FROM read_csv('/etc/passwd')".to_owned(),
            format!("SELECT * FROM read_parquet('{l}/../../../etc/passwd')"),
            format!("SELECT * FROM read_parquet('{l}/events/*/../../../x')"),
            format!("SELECT * FROM read_parquet('{l}-other/x.parquet')"),
            "SELECT * FROM read_csv('~/.aws/credentials')".to_owned(),
            "SELECT * FROM read_parquet('file:///etc/passwd')".to_owned(),
            "SELECT * FROM read_csv('relative/file.csv')".to_owned(),
            "SELECT * FROM read_csv(concat('/etc/', 'passwd'))".to_owned(),
            "SELECT * FROM read_csv(\"/etc/passwd\")".to_owned(),
        ] {
            refused(&sql, &lake);
        }
        let msg = refused("SELECT * FROM read_csv('/etc/passwd')", &lake);
        assert!(msg.contains("/etc/passwd") && msg.contains("--allow-files"), "{msg}");
        std::fs::remove_dir_all(&lake).unwrap();
    }

    #[test]
    fn the_lake_and_its_files_are_allowed() {
        let lake = lake();
        let l = lake.display();
        for sql in [
            "SELECT count(*) FROM events".to_owned(),
            format!("SELECT * FROM read_parquet('{l}/events/account=1/a.parquet')"),
            format!("SELECT * FROM read_parquet('{l}/events/**/*.parquet')"),
            format!("SELECT * FROM read_parquet('{l}/events/./account=1/../account=1/a.parquet')"),
        ] {
            check_file_access(&sql, &lake).unwrap_or_else(|e| panic!("{sql}: {e:#}"));
        }
        // Unparseable SQL is an error of its own (not a usage error about files), and nothing runs.
        let err = check_file_access("SELEC * FROM read_csv('/etc/passwd'", &lake).unwrap_err();
        assert!(!crate::error::is_usage_error(&err));
        std::fs::remove_dir_all(&lake).unwrap();
    }
}

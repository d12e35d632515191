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
use std::sync::Arc;

/// Run SQL over the lake with the events registered as the table `events`. With `allow_files`
/// false, a table function reading a file outside the lake is a usage error and nothing runs.
pub fn run_sql(lake_dir: &Path, sql: &str, allow_files: bool) -> Result<DataFrame> {
    if !allow_files {
        check_file_access(sql, lake_dir)?;
    }
    let mut ctx = SQLContext::new().with_function_registry(Arc::new(JsonFunctions::new()));
    ctx.register("events", lake::scan_events(lake_dir)?);
    let lf = ctx.execute(sql).map_err(short).context("the SQL statement is not valid for the lake")?;
    lf.collect().map_err(short).context("running the query")
}

/// The JSON functions the query library uses on the JSON text columns (`request_parameters`,
/// `response_elements`, ...), since polars SQL has none and cutting JSON text with `split_part`
/// or `strpos` (a regex in polars) is wrong on real records:
///
/// - `json_value(text, 'a.b.0.c')`: the value at a dotted path (array elements by index), strings
///   as they are, numbers, booleans, objects and arrays as JSON text; NULL when absent.
/// - `json_has(text, 'key', 'value')`: whether some object key equal to `key` (ignoring case)
///   anywhere in the document, or in a JSON document held in a string (an embedded policy), has
///   the string `value` or an array holding it.
struct JsonFunctions {
    udfs: std::collections::HashMap<&'static str, UserDefinedFunction>,
}

impl JsonFunctions {
    fn new() -> Self {
        let value = BaseColumnUdf::new(
            |s: &mut [Column]| {
                let path = literal_arg(s, 1, "json_value")?;
                let path: Vec<&str> = path.split('.').collect();
                let text = s[0].str()?;
                let out: StringChunked = text.iter().map(|t| t.and_then(|t| json_value(t, &path))).collect();
                Ok(out.with_name(s[0].name().clone()).into_column())
            },
            |_: &Schema, f: &[Field]| Ok(Field::new(f[0].name().clone(), DataType::String)),
        );
        let has = BaseColumnUdf::new(
            |s: &mut [Column]| {
                let key = literal_arg(s, 1, "json_has")?;
                let wanted = literal_arg(s, 2, "json_has")?;
                let text = s[0].str()?;
                let out: BooleanChunked =
                    text.iter().map(|t| Some(t.is_some_and(|t| json_has(t, &key, &wanted)))).collect();
                Ok(out.with_name(s[0].name().clone()).into_column())
            },
            |_: &Schema, f: &[Field]| Ok(Field::new(f[0].name().clone(), DataType::Boolean)),
        );
        let mut udfs = std::collections::HashMap::new();
        udfs.insert("json_value", UserDefinedFunction::new("json_value".into(), value));
        udfs.insert("json_has", UserDefinedFunction::new("json_has".into(), has));
        JsonFunctions { udfs }
    }
}

/// The literal string argument `i` of a function call.
fn literal_arg(s: &[Column], i: usize, function: &str) -> PolarsResult<String> {
    let value = s.get(i).and_then(|c| c.str().ok()).and_then(|c| c.get(0)).map(str::to_owned);
    value.ok_or_else(|| polars_err!(ComputeError: "{function}: argument {} must be a string literal", i + 1))
}

impl polars::sql::FunctionRegistry for JsonFunctions {
    fn register(&mut self, name: &str, _fun: UserDefinedFunction) -> PolarsResult<()> {
        polars_bail!(ComputeError: "cannot register {name}: the JSON functions are fixed")
    }

    fn get_udf(&self, name: &str) -> PolarsResult<Option<UserDefinedFunction>> {
        Ok(self.udfs.get(name.to_ascii_lowercase().as_str()).cloned())
    }

    fn contains(&self, name: &str) -> bool {
        self.udfs.contains_key(name.to_ascii_lowercase().as_str())
    }
}

/// See [`JsonFunctions`].
pub fn json_value(text: &str, path: &[&str]) -> Option<String> {
    let mut v: serde_json::Value = serde_json::from_str(text).ok()?;
    for key in path {
        v = match v {
            serde_json::Value::Object(mut m) => m.remove(*key)?,
            serde_json::Value::Array(mut items) => {
                let i: usize = key.parse().ok()?;
                if i >= items.len() {
                    return None;
                }
                items.swap_remove(i)
            }
            _ => return None,
        };
    }
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// See [`JsonFunctions`].
pub fn json_has(text: &str, key: &str, wanted: &str) -> bool {
    fn walk(v: &serde_json::Value, key: &str, wanted: &str, depth: usize) -> bool {
        use serde_json::Value as J;
        match v {
            J::Object(map) => map.iter().any(|(k, item)| {
                let here = k.eq_ignore_ascii_case(key)
                    && match item {
                        J::String(s) => s == wanted,
                        J::Array(items) => items.iter().any(|i| i.as_str() == Some(wanted)),
                        _ => false,
                    };
                here || walk(item, key, wanted, depth)
            }),
            J::Array(items) => items.iter().any(|i| walk(i, key, wanted, depth)),
            // Policies often travel as JSON text inside the request (SNS, SQS, Lambda, ECR).
            J::String(s) if depth < 3 && s.trim_start().starts_with('{') => {
                serde_json::from_str::<J>(s).is_ok_and(|inner| walk(&inner, key, wanted, depth + 1))
            }
            _ => false,
        }
    }
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| walk(&v, key, wanted, 0))
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
    // An S3 lake has no local files: every table function reads outside it.
    let lake = if lake::store::is_remote(lake_dir) {
        lake_dir.to_path_buf()
    } else {
        lake_dir.canonicalize().with_context(|| format!("the lake {} cannot be read", lake_dir.display()))?
    };
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

    /// A lake of one test's own: tests run in parallel and each removes its lake at the end.
    fn lake(test: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("trailtrim-sql-guard-{}-{test}", std::process::id()));
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
        let lake = lake("refused");
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
        let lake = lake("allowed");
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

    #[test]
    fn json_functions_read_the_document_not_its_text() {
        let req = r#"{"policy":"{\"Statement\":[{\"Principal\":{\"AWS\":\"arn:aws:iam::999988887777:root\"}}]}","userName":"a\"b","nested":{"userName":"inner"},"items":[{"group":"all"}]}"#;
        assert_eq!(json_value(req, &["userName"]).as_deref(), Some("a\"b"));
        assert_eq!(json_value(req, &["nested", "userName"]).as_deref(), Some("inner"));
        assert_eq!(json_value(req, &["items", "0", "group"]).as_deref(), Some("all"));
        assert_eq!(json_value(req, &["items"]).as_deref(), Some(r#"[{"group":"all"}]"#));
        assert_eq!(json_value(req, &["missing"]), None);
        assert_eq!(json_value("not json", &["a"]), None);
        // A foreign account is not everyone; `*` is matched literally, inside embedded policies too.
        assert!(!json_has(req, "AWS", "*"));
        assert!(json_has(req, "aws", "arn:aws:iam::999988887777:root"));
        assert!(json_has(req, "group", "all"));
        assert!(json_has(r#"{"principal":"*","action":"lambda:InvokeFunction"}"#, "Principal", "*"));
        assert!(json_has(r#"{"Statement":[{"Principal":{"AWS":["arn:x","*"]}}]}"#, "AWS", "*"));
        assert!(!json_has(r#"{"note":"\"AWS\":\"*\""}"#, "AWS", "*"), "text that only looks like a grant");
    }
}

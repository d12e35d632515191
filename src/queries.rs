//! The investigation query library: `queries/*.sql`, embedded at build time.
//!
//! Each file starts with a header of `--` comments: `-- purpose: ...` and one
//! `-- param: NAME [= DEFAULT] description` per parameter. In the body, `${NAME}` is replaced
//! by the parameter's value with single quotes doubled, so it is written inside a SQL string
//! literal: `WHERE identity_arn = '${principal}'`. The same text runs in DuckDB or Athena after
//! replacing the placeholders and pointing `events` at the lake.

use anyhow::{bail, Result};
use std::collections::BTreeMap;

include!(concat!(env!("OUT_DIR"), "/queries.rs"));

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub default: Option<String>,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct Query {
    pub name: String,
    pub purpose: String,
    pub params: Vec<Param>,
    pub sql: String,
}

impl Query {
    pub fn parse(name: &str, text: &str) -> Query {
        let mut purpose = Vec::new();
        let mut params = Vec::new();
        for line in text.lines() {
            let Some(c) = line.trim().strip_prefix("--") else {
                if line.trim().is_empty() {
                    continue;
                }
                break;
            };
            let c = c.trim();
            if let Some(p) = c.strip_prefix("purpose:") {
                purpose.push(p.trim().to_owned());
            } else if let Some(p) = c.strip_prefix("param:") {
                let p = p.trim();
                let (head, description) = match p.split_once("  ") {
                    Some((h, d)) => (h.trim(), d.trim().to_owned()),
                    None => (p, String::new()),
                };
                let (pname, default) = match head.split_once('=') {
                    Some((n, d)) => (n.trim().to_owned(), Some(d.trim().to_owned())),
                    None => (head.to_owned(), None),
                };
                params.push(Param { name: pname, default, description });
            }
        }
        Query { name: name.to_owned(), purpose: purpose.join(" "), params, sql: text.to_owned() }
    }

    /// The SQL with every `${param}` replaced; unknown or missing required parameters are errors.
    pub fn bind(&self, given: &BTreeMap<String, String>) -> Result<String> {
        for k in given.keys() {
            if !self.params.iter().any(|p| &p.name == k) {
                let known: Vec<&str> = self.params.iter().map(|p| p.name.as_str()).collect();
                bail!(
                    "query {} has no parameter {k:?} (parameters: {})",
                    self.name,
                    if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                );
            }
        }
        let mut sql = self.sql.clone();
        for p in &self.params {
            let v = match (given.get(&p.name), &p.default) {
                (Some(v), _) => v.clone(),
                (None, Some(d)) => d.clone(),
                (None, None) => bail!("query {} needs --param {}=VALUE ({})", self.name, p.name, p.description),
            };
            sql = sql.replace(&format!("${{{}}}", p.name), &v.replace('\'', "''"));
        }
        Ok(sql)
    }
}

/// Every query of the library, sorted by name.
pub fn library() -> Vec<Query> {
    QUERIES.iter().map(|(n, t)| Query::parse(n, t)).collect()
}

pub fn find(name: &str) -> Option<Query> {
    library().into_iter().find(|q| q.name == name)
}

/// Parse `name=value` pairs.
pub fn parse_params(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for p in pairs {
        let Some((k, v)) = p.split_once('=') else { bail!("--param {p:?} is not NAME=VALUE") };
        out.insert(k.trim().to_owned(), v.to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_and_binds_parameters() {
        let q = Query::parse(
            "t",
            "-- purpose: Calls of a principal.\n-- param: principal  ARN of the principal\n-- param: limit = 100  most rows\nSELECT * FROM events WHERE identity_arn = '${principal}' LIMIT ${limit}\n",
        );
        assert_eq!(q.purpose, "Calls of a principal.");
        assert_eq!(q.params.len(), 2);
        assert_eq!(q.params[1].default.as_deref(), Some("100"));
        let mut given = BTreeMap::new();
        assert!(q.bind(&given).unwrap_err().to_string().contains("needs --param principal"));
        given.insert("principal".into(), "o'brien".into());
        let sql = q.bind(&given).unwrap();
        assert!(sql.contains("identity_arn = 'o''brien' LIMIT 100"), "{sql}");
        given.insert("nope".into(), "1".into());
        assert!(q.bind(&given).is_err());
    }

    #[test]
    fn every_library_query_has_a_purpose() {
        for q in library() {
            assert!(!q.purpose.is_empty(), "query {} has no `-- purpose:` header", q.name);
        }
    }
}

//! `--config trailtrim.toml`: options of the long nightly command kept in a file.
//!
//! The file is turned into command-line arguments before parsing, so clap checks them as it
//! checks typed ones and options given on the command line win. Top-level keys apply to every
//! command that has the option; a `[<command>]` table to that command only. Keys are option
//! names (`resource_policies` or `resource-policies`); `sources` is the list of positional
//! sources. Relative paths are relative to the file's folder.

use crate::error::UsageError;
use anyhow::{Context, Result};
use clap::CommandFactory;
use std::ffi::OsString;
use std::path::Path;

/// The arguments with those of `--config FILE` (if given) added; without `--config`, unchanged.
pub fn expand(args: Vec<OsString>) -> Result<Vec<OsString>> {
    let Some(i) = args.iter().position(|a| a == "--config" || a.to_string_lossy().starts_with("--config=")) else {
        return Ok(args);
    };
    let mut args = args;
    let flag = args.remove(i).to_string_lossy().into_owned();
    let file = match flag.strip_prefix("--config=") {
        Some(f) => f.to_owned(),
        None if i < args.len() => args.remove(i).to_string_lossy().into_owned(),
        None => return Err(UsageError("--config needs a file".into()).into()),
    };
    let path = Path::new(&file);
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the config file {file}"))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| UsageError(format!("config file {file}: {}", e.to_string().trim())))?;
    let base = path.parent().unwrap_or(Path::new(""));
    // The subcommand: the first argument after the program name that is not an option.
    let Some(sub_at) = args.iter().skip(1).position(|a| !a.to_string_lossy().starts_with('-')).map(|p| p + 1) else {
        return Err(UsageError("--config: name a command (e.g. `trailtrim run --config trailtrim.toml`)".into()).into());
    };
    let sub = args[sub_at].to_string_lossy().into_owned();
    let cli = crate::cli::Cli::command();
    let Some(cmd) = cli.find_subcommand(&sub) else { return Ok(args) };
    let given: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let mut extra: Vec<OsString> = Vec::new();
    let mut add = |key: &str, value: &toml::Value, strict: bool| -> Result<()> {
        let long = key.replace('_', "-");
        if long == "sources" {
            let Some(arg) = cmd.get_positionals().next() else {
                return if strict { Err(unknown(&file, &sub, key, cmd)) } else { Ok(()) };
            };
            // Sources on the command line replace the file's.
            if has_positional(cmd, &given[sub_at + 1..]) {
                return Ok(());
            }
            for v in values(&file, key, value)? {
                // A value that looks like an option would be parsed as one.
                if v.starts_with('-') {
                    return Err(UsageError(format!("config file {file}: source {v:?} starts with '-'")).into());
                }
                extra.push(resolve(base, &v, arg).into());
            }
            return Ok(());
        }
        let Some(arg) = cmd.get_arguments().find(|a| a.get_long() == Some(long.as_str())) else {
            return if strict { Err(unknown(&file, &sub, key, cmd)) } else { Ok(()) };
        };
        let flag = format!("--{long}");
        if given.iter().any(|g| *g == flag || g.starts_with(&format!("{flag}="))) {
            return Ok(());
        }
        match value {
            toml::Value::Boolean(true) => extra.push(flag.into()),
            toml::Value::Boolean(false) => {}
            _ => {
                for v in values(&file, key, value)? {
                    // `--flag=value`: a value is never read as another option.
                    extra.push(format!("{flag}={}", resolve(base, &v, arg)).into());
                }
            }
        }
        Ok(())
    };
    for (key, value) in &table {
        if !value.is_table() {
            add(key, value, false)?;
        }
    }
    if let Some(own) = table.get(&sub) {
        let own = own.as_table().ok_or_else(|| UsageError(format!("config file {file}: [{sub}] must be a table")))?;
        for (key, value) in own {
            add(key, value, true)?;
        }
    }
    for (key, value) in &table {
        let known = cli.get_subcommands().any(|c| c.get_name() == key);
        if value.is_table() && !known {
            return Err(UsageError(format!("config file {file}: [{key}] is not a trailtrim command")).into());
        }
    }
    args.splice(sub_at + 1..sub_at + 1, extra);
    Ok(args)
}

/// True if the arguments (after the subcommand) include a positional one.
fn has_positional(cmd: &clap::Command, args: &[String]) -> bool {
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            return i + 1 < args.len();
        }
        if let Some(long) = a.strip_prefix("--") {
            let takes =
                cmd.get_arguments().find(|x| x.get_long() == Some(long)).is_some_and(|x| x.get_action().takes_values());
            i += if takes && !long.contains('=') { 2 } else { 1 };
            continue;
        }
        if a.starts_with('-') && a.len() > 1 {
            let takes = a.chars().nth(1).and_then(|c| cmd.get_arguments().find(|x| x.get_short() == Some(c)));
            i += if takes.is_some_and(|x| x.get_action().takes_values()) && a.len() == 2 { 2 } else { 1 };
            continue;
        }
        return true;
    }
    false
}

fn unknown(file: &str, sub: &str, key: &str, cmd: &clap::Command) -> anyhow::Error {
    let names: Vec<String> = cmd.get_arguments().filter_map(|a| a.get_long().map(|l| l.replace('-', "_"))).collect();
    let hint = crate::error::did_you_mean(key, names.iter().map(String::as_str));
    UsageError(format!("config file {file}: `{sub}` has no option {key}{hint}")).into()
}

fn values(file: &str, key: &str, v: &toml::Value) -> Result<Vec<String>> {
    let one = |v: &toml::Value| match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Datetime(d) => Ok(d.to_string()),
        other => {
            Err(UsageError(format!("config file {file}: {key}: a {} is not a value trailtrim takes", other.type_str())))
        }
    };
    match v {
        toml::Value::Array(items) => Ok(items.iter().map(one).collect::<Result<_, _>>()?),
        v => Ok(vec![one(v)?]),
    }
}

/// Paths relative to the config file's folder; other values as written.
fn resolve(base: &Path, value: &str, arg: &clap::Arg) -> String {
    let is_path =
        matches!(arg.get_value_hint(), clap::ValueHint::AnyPath | clap::ValueHint::FilePath | clap::ValueHint::DirPath);
    if is_path && !value.starts_with("s3://") && Path::new(value).is_relative() && !base.as_os_str().is_empty() {
        base.join(value).to_string_lossy().into_owned()
    } else {
        value.to_owned()
    }
}

//! The people report (`usage --by person`) as a table, CSV or Markdown.

use crate::usage::people::PeopleReport;
use std::io::{Result, Write};

fn kind(k: &crate::usage::people::PersonKind) -> String {
    serde_json::to_value(k).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// Commas inside a CSV field would shift the columns: such a field is quoted.
fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn md(s: &str) -> String {
    s.replace('|', "\\|")
}

pub fn table(r: &PeopleReport, out: &mut dyn Write) -> Result<()> {
    let mut t = crate::text_table::TextTable::new(&["person", "kind", "roles", "used", "writes", "denied"])
        .right(&[2, 3, 4, 5]);
    for p in &r.people {
        let writes = p.used.iter().filter(|u| crate::usage::people::is_write(&u.action)).count();
        t.row([
            p.person.to_string(),
            kind(&p.kind).to_string(),
            p.roles.len().to_string(),
            p.used.len().to_string(),
            writes.to_string(),
            p.denied.len().to_string(),
        ]);
    }
    out.write_all(t.render().as_bytes())?;
    if !r.roles.is_empty() {
        writeln!(out, "\npeople per role:")?;
        for role in &r.roles {
            writeln!(out, "  {}", role.summary())?;
            writeln!(out, "    {}", role.role)?;
        }
    }
    Ok(())
}

pub fn csv_rows(r: &PeopleReport, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "person,kind,action,status,via_service,count,first_seen,last_seen,principals")?;
    for p in &r.people {
        for u in &p.used {
            writeln!(
                out,
                "{},{},{},used,{},{},{},{},{}",
                csv(&p.person),
                kind(&p.kind),
                u.action,
                u.via_service.as_deref().unwrap_or(""),
                u.count,
                u.first_seen,
                u.last_seen,
                csv(&u.principals.join(" "))
            )?;
        }
        for d in &p.denied {
            writeln!(
                out,
                "{},{},{},denied,,{},,,{}",
                csv(&p.person),
                kind(&p.kind),
                d.action,
                d.count,
                csv(&d.roles.join(" "))
            )?;
        }
    }
    Ok(())
}

/// The per-role part (also a section of the compliance page in Markdown).
pub fn roles_markdown(r: &PeopleReport, out: &mut dyn Write) -> Result<()> {
    for role in &r.roles {
        writeln!(out, "- **{}** (`{}`)", md(&role.summary()), role.role)?;
        if role.groups.len() > 1 {
            for g in &role.groups {
                let what = if g.write_actions.is_empty() {
                    "read only".to_owned()
                } else {
                    format!("writes {}", g.write_actions.join(", "))
                };
                writeln!(out, "  - {}: {} ({} actions)", md(&g.people.join(", ")), what, g.actions.len())?;
            }
        }
    }
    Ok(())
}

pub fn markdown(r: &PeopleReport, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "# Usage per person\n")?;
    writeln!(out, "| person | kind | roles | used | denied |")?;
    writeln!(out, "|---|---|---|---:|---:|")?;
    for p in &r.people {
        let roles: Vec<String> = p.roles.iter().chain(&p.users).map(|r| format!("`{r}`")).collect();
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            md(&p.person),
            kind(&p.kind),
            roles.join("<br>"),
            p.used.len(),
            p.denied.len()
        )?;
    }
    if !r.roles.is_empty() {
        writeln!(out, "\n## People per role\n")?;
        roles_markdown(r, out)?;
    }
    for p in &r.people {
        writeln!(out, "\n## {}\n", md(&p.person))?;
        writeln!(out, "Identities: {}\n", md(&p.identities.join(", ")))?;
        writeln!(out, "| action | count | first seen | last seen | via |")?;
        writeln!(out, "|---|---:|---|---|---|")?;
        for u in &p.used {
            writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                u.action,
                u.count,
                u.first_seen,
                u.last_seen,
                u.via_service.as_deref().unwrap_or("")
            )?;
        }
    }
    Ok(())
}

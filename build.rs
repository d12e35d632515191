//! Embeds the investigation query library (`queries/*.sql`) into the binary.
use std::fmt::Write;

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "sql")).collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut code =
        String::from("/// (name, SQL text) of every query in `queries/`.\npub const QUERIES: &[(&str, &str)] = &[\n");
    for p in names {
        println!("cargo:rerun-if-changed={}", p.display());
        let name = p.file_stem().unwrap().to_string_lossy();
        writeln!(code, "    ({:?}, include_str!({:?})),", name, p.display().to_string()).unwrap();
    }
    code.push_str("];\n");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("queries.rs");
    std::fs::write(out, code).unwrap();
}

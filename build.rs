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
    facts_fingerprint();
}

/// A fingerprint of everything that decides what a usage fact or the detection state says (the
/// event mapping, the catalog, the fact builder, the detectors): stored state made by other code
/// is recomputed.
fn facts_fingerprint() {
    use std::hash::{Hash, Hasher};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src/mapping", "src/catalog", "src/detect", "data"] {
        let d = root.join(dir);
        println!("cargo:rerun-if-changed={}", d.display());
        if let Ok(rd) = std::fs::read_dir(&d) {
            files.extend(rd.filter_map(|e| e.ok().map(|e| e.path())));
        }
    }
    files.push(root.join("src/usage/facts.rs"));
    files.sort();
    let mut h = std::hash::DefaultHasher::new();
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        f.file_name().hash(&mut h);
        std::fs::read(f).unwrap_or_default().hash(&mut h);
    }
    println!("cargo:rustc-env=TRAILTRIM_FACTS_FINGERPRINT={:016x}", h.finish());
}

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

/// Data files whose content decides what a usage fact or the detection state says (the event
/// mapping and the catalog); the code that derives them is versioned by hand instead
/// (`STATE_VERSION` in src/usage/facts.rs).
const STATE_DATA: &[&str] =
    &["data/catalog.json.gz", "data/event_map.json.gz", "data/event_map_overrides.tsv", "data/fas-map.json"];

/// A fingerprint of the state data files (FNV-1a, 64 bits, over each file's name and bytes):
/// the same data gives the same fingerprint on every machine and toolchain, and an edit of a
/// source file changes nothing.
fn facts_fingerprint() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for rel in STATE_DATA {
        let f = root.join(rel);
        println!("cargo:rerun-if-changed={}", f.display());
        let bytes = std::fs::read(&f).unwrap_or_else(|e| panic!("reading {}: {e}", f.display()));
        eat(rel.as_bytes());
        eat(&(bytes.len() as u64).to_le_bytes());
        eat(&bytes);
    }
    println!("cargo:rustc-env=TRAILTRIM_STATE_DATA_FINGERPRINT={h:016x}");
}

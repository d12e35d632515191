//! Golden-file comparison for tests of human-readable output (`UPDATE_GOLDEN=1` rewrites).

/// Compare `got` with the golden file at `path` (relative to the crate root), reporting the first
/// differing line; with `UPDATE_GOLDEN` set, write `got` as the new golden file first.
pub fn assert_golden(path: &str, got: &str) {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(full.parent().expect("golden files are in a folder")).unwrap();
        std::fs::write(&full, got).unwrap();
    }
    let want = std::fs::read_to_string(&full).expect("golden file exists (create it with UPDATE_GOLDEN=1)");
    if got != want {
        let (n, (g, w)) = got
            .lines()
            .zip(want.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .unwrap_or((0, ("(length differs)", "")));
        panic!(
            "{path} differs at line {}:\n  got:  {g}\n  want: {w}\nrerun with UPDATE_GOLDEN=1 if the change is intended",
            n + 1
        );
    }
}

//! Where trailtrim writes files. Two rules live here and nowhere else:
//!
//! - A value read from input (a principal name, an account id) becomes a path segment only through
//!   [`segment`]: it can never name a parent folder, an absolute path or a nested folder.
//! - An output folder ([`OutputDir`]) is trailtrim's only if it was empty or new, or holds the marker
//!   file [`MARKER`] listing what trailtrim wrote there; only the files listed are ever replaced or
//!   removed, so whatever else a user keeps in the folder survives every run.

use crate::error::UsageError;
use anyhow::{Context, Result};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Everything but letters, digits and [`crate::names::IAM_PUNCTUATION`] is percent-encoded.
const ENCODED: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'_').remove(b'+').remove(b'=').remove(b',').remove(b'.').remove(b'@').remove(b'-');

pub use crate::names::{is_account_id, is_iam_name};

/// An input value as one safe path segment. IAM names and account ids come out unchanged;
/// anything else is percent-encoded (`../x` -> `..%2Fx`), `.` and `..` become `%2E` and
/// `%2E%2E`, and the empty string becomes `%`. The encoding is reversible and never maps two
/// values to one segment (a `%` in a value is itself encoded), so distinct principals keep
/// distinct files.
pub fn segment(value: &str) -> Cow<'_, str> {
    match value {
        "" => Cow::Borrowed("%"),
        "." => Cow::Borrowed("%2E"),
        ".." => Cow::Borrowed("%2E%2E"),
        v => utf8_percent_encode(v, ENCODED).into(),
    }
}

/// The name of the marker file of an output folder.
pub const MARKER: &str = ".trailtrim-output";

const MARKER_HEADER: &str =
    "# Files written by trailtrim into this folder, one per line. Its next run replaces or removes\n\
# only these; anything else in the folder is left alone. Delete the folder rather than editing this.\n";

/// A relative path from trailtrim's own file layout: plain names only (no `..`, no root, no
/// line breaks, which would corrupt the marker).
fn check_relative(rel: &str) -> Result<PathBuf> {
    let p = Path::new(rel);
    let plain = !rel.is_empty()
        && !rel.contains(['\n', '\r', '\\'])
        && p.components().all(|c| matches!(c, Component::Normal(_)));
    anyhow::ensure!(plain, "refusing to write {rel:?}: not a plain relative path inside the output folder");
    Ok(p.to_path_buf())
}

/// An output folder being written. Open it, `write` each file, then `finish` to remove the files
/// of the previous run that this run did not write again.
pub struct OutputDir {
    root: PathBuf,
    /// Files the marker listed when the folder was opened (written by earlier runs).
    previous: BTreeSet<PathBuf>,
    /// Files written by this run.
    written: BTreeSet<PathBuf>,
}

impl OutputDir {
    /// Open (creating if needed) an output folder. A folder that exists, is not empty and has no
    /// marker is refused with a usage error: trailtrim did not write it and must not replace
    /// anything in it.
    pub fn open(root: &Path) -> Result<OutputDir> {
        let marker = root.join(MARKER);
        let mut previous = BTreeSet::new();
        if root.exists() && !root.is_dir() {
            return Err(UsageError(format!("--out {}: exists and is not a folder", root.display())).into());
        }
        if marker.is_file() {
            let text = std::fs::read_to_string(&marker).with_context(|| format!("reading {}", marker.display()))?;
            for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
                let rel = check_relative(line).with_context(|| format!("{}: damaged marker file", marker.display()))?;
                previous.insert(rel);
            }
        } else if root.is_dir() {
            let mut entries = std::fs::read_dir(root).with_context(|| format!("reading {}", root.display()))?;
            if let Some(entry) = entries.next() {
                let first = entry.with_context(|| format!("reading {}", root.display()))?.file_name();
                return Err(UsageError(format!(
                    "--out {}: the folder is not empty (it holds {first:?}) and has no {MARKER} marker, so trailtrim did not write it; \
                     choose a new or empty folder (trailtrim never replaces files it did not write)",
                    root.display()
                ))
                .into());
            }
        }
        std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
        let out = OutputDir { root: root.to_path_buf(), previous, written: BTreeSet::new() };
        // The marker exists from the start: a run that stops half way leaves a folder the next run
        // recognises as its own.
        out.write_marker()?;
        Ok(out)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Write one file (complete or not at all: a temporary name, then a rename). `rel` is a
    /// `/`-separated path inside the folder; a file there that trailtrim did not write is not
    /// replaced.
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<()> {
        let rel_path = check_relative(rel)?;
        let path = self.root.join(&rel_path);
        let ours = self.previous.contains(&rel_path) || self.written.contains(&rel_path);
        if !ours && std::fs::symlink_metadata(&path).is_ok() {
            anyhow::bail!("refusing to replace {}: trailtrim did not write it (it is not in {MARKER})", path.display());
        }
        // Listed before it exists, so the marker always covers every file a run may leave behind.
        if self.written.insert(rel_path.clone()) && !self.previous.contains(&rel_path) {
            let marker = self.root.join(MARKER);
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&marker)
                .with_context(|| format!("opening {}", marker.display()))?;
            writeln!(f, "{rel}").with_context(|| format!("writing {}", marker.display()))?;
        }
        let parent = path.parent().expect("a path inside the folder has a parent");
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        write_atomically(&path, bytes)
    }

    /// Remove the files of earlier runs that this run did not write (and the folders left empty
    /// by that), then record exactly this run's files in the marker.
    pub fn finish(mut self) -> Result<()> {
        let stale: Vec<PathBuf> = self.previous.difference(&self.written).cloned().collect();
        for rel in stale {
            let path = self.root.join(&rel);
            match std::fs::symlink_metadata(&path) {
                // A folder where a file of ours was is the user's now: left alone.
                Ok(m) if m.is_dir() => continue,
                Ok(_) => std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?,
                Err(_) => continue,
            }
            // Folders emptied by the removal; `remove_dir` fails on (and so keeps) a non-empty one.
            let mut dir = path.parent();
            while let Some(d) = dir.filter(|d| *d != self.root) {
                if std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
        }
        self.previous.clear();
        self.write_marker()
    }

    /// The marker listing every file this run wrote and every file of earlier runs.
    fn write_marker(&self) -> Result<()> {
        let mut text = MARKER_HEADER.to_owned();
        for rel in self.previous.union(&self.written) {
            text.push_str(&rel.to_string_lossy());
            text.push('\n');
        }
        write_atomically(&self.root.join(MARKER), text.as_bytes())
    }
}

/// Write a file under a temporary name in the same folder, then rename it into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().with_context(|| format!("{} names no file", path.display()))?;
    let tmp = path.with_file_name(format!(".{}.trailtrim-tmp", name.to_string_lossy()));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

/// `--output FILE`: everything the command prints to standard output goes to FILE instead, and
/// FILE appears only whole: it is written beside FILE under a temporary name and renamed when the
/// command finishes, so a failed run leaves an earlier FILE as it was. Standard output is
/// redirected at the descriptor, so every command gets the option without knowing of it.
pub struct StdoutToFile {
    saved: libc::c_int,
    tmp: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl StdoutToFile {
    pub fn begin(dest: &Path) -> Result<StdoutToFile> {
        use std::os::fd::AsRawFd;
        if dest.is_dir() {
            return Err(UsageError(format!(
                "--output {}: is a folder; --output names a file (folders are --out DIR)",
                dest.display()
            ))
            .into());
        }
        let name = dest.file_name().with_context(|| format!("--output {}: names no file", dest.display()))?;
        let tmp = dest.with_file_name(format!(".{}.trailtrim-tmp-{}", name.to_string_lossy(), std::process::id()));
        let file = std::fs::File::create(&tmp).with_context(|| format!("--output: creating {}", tmp.display()))?;
        std::io::stdout().flush()?;
        // SAFETY: plain descriptor calls on descriptors this process owns; `file` stays open
        // until dup2 has made descriptor 1 a second reference to it.
        let saved = unsafe { libc::dup(1) };
        if saved < 0 || unsafe { libc::dup2(file.as_raw_fd(), 1) } < 0 {
            let err = std::io::Error::last_os_error();
            let _ = std::fs::remove_file(&tmp);
            return Err(err).context("--output: redirecting standard output");
        }
        Ok(StdoutToFile { saved, tmp, dest: dest.to_path_buf(), done: false })
    }

    /// Put standard output back; keep the file (`keep`: the command finished) or drop it.
    pub fn finish(mut self, keep: bool) -> Result<()> {
        self.restore();
        if keep {
            std::fs::rename(&self.tmp, &self.dest).with_context(|| format!("--output: writing {}", self.dest.display()))
        } else {
            let _ = std::fs::remove_file(&self.tmp);
            Ok(())
        }
    }

    fn restore(&mut self) {
        if !self.done {
            self.done = true;
            let _ = std::io::stdout().flush();
            // SAFETY: `saved` is the descriptor dup'ed in `begin`, closed only here.
            unsafe {
                libc::dup2(self.saved, 1);
                libc::close(self.saved);
            }
        }
    }
}

impl Drop for StdoutToFile {
    fn drop(&mut self) {
        if !self.done {
            self.restore();
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("trailtrim-output-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn segments_keep_iam_names_and_encode_everything_else() {
        for ok in ["alice", "deploy-role", "svc+ci=1,a.b@c_d", "123456789012", ".hidden", "a..b"] {
            assert_eq!(segment(ok), ok);
            assert!(is_iam_name(ok));
        }
        assert_eq!(segment("../../../../tmp/x/evil-role"), "..%2F..%2F..%2F..%2Ftmp%2Fx%2Fevil-role");
        assert_eq!(segment(".."), "%2E%2E");
        assert_eq!(segment("."), "%2E");
        assert_eq!(segment(""), "%");
        assert_eq!(segment("/etc"), "%2Fetc");
        assert_eq!(segment("a\\b\nc"), "a%5Cb%0Ac");
        assert_eq!(segment("100%"), "100%25");
        assert_eq!(segment("ünï"), "%C3%BCn%C3%AF");
        for bad in ["../x", "", "a b", "a/b", "ü"] {
            assert!(!is_iam_name(bad), "{bad:?}");
            let s = segment(bad);
            assert!(!s.contains('/') && s != "." && s != "..", "{bad:?} -> {s:?}");
        }
        // Reversible: percent-decoding gives the value back.
        for v in ["../../x", "a%2Fb", "100%", "ü/ß"] {
            let decoded = percent_encoding::percent_decode_str(&segment(v)).decode_utf8().unwrap().into_owned();
            assert_eq!(decoded, v);
        }
        assert_ne!(segment("a/b"), segment("a%2Fb"));
        assert!(is_account_id("123456789012"));
        for bad in ["12345678901", "1234567890123", "../123456789", "12345678901a"] {
            assert!(!is_account_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn relative_paths_outside_the_folder_are_refused() {
        // One level down, so that "../x" would land in this test's own folder, not in /tmp.
        let base = scratch("refused");
        let root = base.join("out");
        let mut out = OutputDir::open(&root).unwrap();
        for bad in ["../x", "a/../../x", "/etc/passwd", "", "a\nb", "./x", "a\\..\\x"] {
            let err = out.write(bad, b"x").unwrap_err().to_string();
            assert!(err.contains("not a plain relative path"), "{bad:?}: {err}");
        }
        assert!(!base.join("x").exists());
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_foreign_non_empty_folder_is_refused_and_left_alone() {
        let root = scratch("foreign");
        std::fs::create_dir_all(root.join("policies/tf")).unwrap();
        std::fs::write(root.join("policies/tf/main.tf"), "resource {}").unwrap();
        let err = OutputDir::open(&root).err().unwrap();
        assert!(crate::error::is_usage_error(&err));
        let msg = err.to_string();
        assert!(msg.contains("not empty") && msg.contains(MARKER), "{msg}");
        assert_eq!(std::fs::read_to_string(root.join("policies/tf/main.tf")).unwrap(), "resource {}");
        assert!(!root.join(MARKER).exists());
        // A file where a folder is expected.
        let err = OutputDir::open(&root.join("policies/tf/main.tf")).err().unwrap();
        assert!(err.to_string().contains("not a folder"), "{err}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn only_files_of_earlier_runs_are_replaced_or_removed() {
        let root = scratch("runs");
        let mut out = OutputDir::open(&root).unwrap();
        out.write("report.md", b"one").unwrap();
        out.write("policies/1/role/a.json", b"a").unwrap();
        out.write("policies/1/role/b.json", b"b").unwrap();
        out.write("policies/2/user/c.json", b"c").unwrap();
        out.finish().unwrap();
        // The user keeps their own files next to trailtrim's.
        std::fs::create_dir_all(root.join("policies/tf")).unwrap();
        std::fs::write(root.join("policies/tf/main.tf"), "mine").unwrap();
        std::fs::write(root.join("policies/1/role/notes.txt"), "mine too").unwrap();

        let mut out = OutputDir::open(&root).unwrap();
        out.write("report.md", b"two").unwrap();
        out.write("policies/1/role/a.json", b"a2").unwrap();
        // Not trailtrim's: refused, and kept.
        let err = out.write("policies/tf/main.tf", b"x").unwrap_err().to_string();
        assert!(err.contains("did not write it"), "{err}");
        out.finish().unwrap();

        assert_eq!(std::fs::read_to_string(root.join("report.md")).unwrap(), "two");
        assert_eq!(std::fs::read_to_string(root.join("policies/1/role/a.json")).unwrap(), "a2");
        assert!(!root.join("policies/1/role/b.json").exists(), "a stale policy is removed");
        assert!(!root.join("policies/2").exists(), "folders emptied by the removal go too");
        assert_eq!(std::fs::read_to_string(root.join("policies/tf/main.tf")).unwrap(), "mine");
        assert_eq!(std::fs::read_to_string(root.join("policies/1/role/notes.txt")).unwrap(), "mine too");
        let marker = std::fs::read_to_string(root.join(MARKER)).unwrap();
        let listed: Vec<&str> = marker.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(listed, ["policies/1/role/a.json", "report.md"]);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_run_that_stops_half_way_leaves_a_folder_the_next_run_owns() {
        let root = scratch("halfway");
        let mut out = OutputDir::open(&root).unwrap();
        out.write("a.json", b"a").unwrap();
        drop(out); // no finish
        let mut out = OutputDir::open(&root).unwrap();
        out.write("a.json", b"a2").unwrap();
        out.finish().unwrap();
        assert_eq!(std::fs::read_to_string(root.join("a.json")).unwrap(), "a2");
        // A damaged marker naming a path outside the folder is an error, not a deletion.
        std::fs::write(root.join(MARKER), "../../etc/passwd\n").unwrap();
        let err = format!("{:#}", OutputDir::open(&root).err().unwrap());
        assert!(err.contains("damaged marker"), "{err}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}

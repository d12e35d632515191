//! Where the lake's files live: a local folder or an S3 prefix (`s3://bucket/prefix`).
//!
//! Every read and write of the lake, its manifest and its derived state goes through these few
//! calls, so the commit protocol is the same everywhere: a file appears whole or not at all
//! (locally: a temporary name, fsync, rename; on S3: one PUT, which is atomic per object) and
//! nothing is ever appended in place. A lake path is an ordinary `Path`; one that starts with
//! `s3://` names objects. S3 credentials, region and endpoint come from the standard environment
//! (`AWS_ACCESS_KEY_ID`, `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP=true`, ...), read the
//! same way as for S3 sources and by polars when it scans the lake.

use anyhow::{anyhow, Context, Result};
use futures::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// One stored file and its size in bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stored {
    pub path: PathBuf,
    pub size: u64,
}

/// True for a lake path that names S3 objects.
pub fn is_remote(path: &Path) -> bool {
    path.to_string_lossy().starts_with("s3://")
}

/// `s3://bucket/key` split; `None` for a local path.
fn remote(path: &Path) -> Option<(String, String)> {
    let text = path.to_string_lossy();
    let rest = text.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    Some((bucket.to_owned(), key.trim_matches('/').to_owned()))
}

fn url(bucket: &str, key: &str) -> PathBuf {
    PathBuf::from(format!("s3://{bucket}/{key}"))
}

/// Requests in flight at once when many objects are read.
const CONCURRENCY: usize = 32;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("trailtrim-lake-io")
            .enable_all()
            .build()
            .expect("starting the lake's S3 client runtime")
    })
}

/// The client of a bucket (one per process and bucket).
fn client(bucket: &str) -> Result<Arc<AmazonS3>> {
    static CLIENTS: OnceLock<Mutex<BTreeMap<String, Arc<AmazonS3>>>> = OnceLock::new();
    let mut clients = CLIENTS.get_or_init(Default::default).lock().unwrap();
    if let Some(c) = clients.get(bucket) {
        return Ok(c.clone());
    }
    if bucket.is_empty() {
        crate::usage_bail!("an S3 lake is s3://bucket/prefix; the bucket is missing");
    }
    let store = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .build()
        .with_context(|| format!("configuring S3 access to bucket {bucket}"))?;
    let store = Arc::new(store);
    clients.insert(bucket.to_owned(), store.clone());
    Ok(store)
}

fn prefix(key: &str) -> Option<ObjectPath> {
    (!key.is_empty()).then(|| ObjectPath::from(key))
}

/// Every file under `dir` (recursively), sorted by path; a missing folder holds none.
pub fn list(dir: &Path) -> Result<Vec<Stored>> {
    let mut out = Vec::new();
    match remote(dir) {
        Some((bucket, key)) => {
            let store = client(&bucket)?;
            let metas: Vec<object_store::ObjectMeta> = runtime()
                .block_on(store.list(prefix(&key).as_ref()).try_collect())
                .with_context(|| format!("listing {}", dir.display()))?;
            for m in metas {
                out.push(Stored { path: url(&bucket, m.location.as_ref()), size: m.size });
            }
        }
        None => walk(dir, &mut out)?,
    }
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<Stored>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let path = entry.path();
        let meta = match entry.metadata() {
            Ok(m) => m,
            // Renamed or removed since the folder was read (a writer committing a temporary
            // file): it is not there to list.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        if meta.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(Stored { path, size: meta.len() });
        }
    }
    Ok(())
}

/// The immediate sub-folders of `dir`, sorted.
pub fn list_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    match remote(dir) {
        Some((bucket, key)) => {
            let store = client(&bucket)?;
            let listed = runtime()
                .block_on(store.list_with_delimiter(prefix(&key).as_ref()))
                .with_context(|| format!("listing {}", dir.display()))?;
            out.extend(listed.common_prefixes.iter().map(|p| url(&bucket, p.as_ref())));
        }
        None => {
            if let Ok(entries) = std::fs::read_dir(dir) {
                for e in entries {
                    let e = e.with_context(|| format!("reading {}", dir.display()))?;
                    let is_dir = e.file_type().with_context(|| format!("reading {}", e.path().display()))?.is_dir();
                    if is_dir {
                        out.push(e.path());
                    }
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// True if `dir` holds anything (a file or a folder).
pub fn has_any(dir: &Path) -> Result<bool> {
    match remote(dir) {
        Some((bucket, key)) => {
            let store = client(&bucket)?;
            let listed = runtime()
                .block_on(store.list_with_delimiter(prefix(&key).as_ref()))
                .with_context(|| format!("listing {}", dir.display()))?;
            Ok(!listed.objects.is_empty() || !listed.common_prefixes.is_empty())
        }
        None => Ok(dir.exists()),
    }
}

/// The bytes of a file; `None` if there is no such file.
pub fn read(path: &Path) -> Result<Option<Vec<u8>>> {
    match remote(path) {
        Some((bucket, key)) => {
            let store = client(&bucket)?;
            runtime().block_on(async {
                match store.get(&ObjectPath::from(key.as_str())).await {
                    Ok(got) => {
                        Ok(Some(got.bytes().await.with_context(|| format!("reading {}", path.display()))?.to_vec()))
                    }
                    Err(object_store::Error::NotFound { .. }) => Ok(None),
                    Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
                }
            })
        }
        None => match std::fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        },
    }
}

/// The bytes of many files (fetched concurrently from S3), in the order asked; a missing file
/// is an error naming it.
pub fn read_many(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>> {
    if !paths.iter().any(|p| is_remote(p)) {
        return paths.iter().map(|p| read(p)?.ok_or_else(|| anyhow!("{} does not exist", p.display()))).collect();
    }
    use futures::StreamExt;
    let jobs: Vec<_> = paths
        .iter()
        .map(|p| {
            let (bucket, key) = remote(p).ok_or_else(|| anyhow!("{} is not in the S3 lake", p.display()))?;
            Ok((client(&bucket)?, ObjectPath::from(key.as_str()), p.clone()))
        })
        .collect::<Result<_>>()?;
    runtime().block_on(
        futures::stream::iter(jobs.into_iter().map(|(store, key, p)| async move {
            let got = store.get(&key).await.with_context(|| format!("reading {}", p.display()))?;
            Ok(got.bytes().await.with_context(|| format!("reading {}", p.display()))?.to_vec())
        }))
        .buffered(CONCURRENCY)
        .try_collect(),
    )
}

/// Write a whole file: readers see the old content (or none) until the new one is complete.
/// Locally: a temporary name beside it, fsync, rename; on S3: one PUT.
pub fn write(path: &Path, bytes: Vec<u8>) -> Result<()> {
    match remote(path) {
        Some((bucket, key)) => {
            let store = client(&bucket)?;
            runtime()
                .block_on(store.put(&ObjectPath::from(key.as_str()), PutPayload::from(bytes)))
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(())
        }
        None => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
            let mut tmp = path.as_os_str().to_owned();
            tmp.push(".tmp");
            let tmp = PathBuf::from(tmp);
            {
                use std::io::Write;
                let mut f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
                f.write_all(&bytes).with_context(|| format!("writing {}", tmp.display()))?;
                f.sync_all().with_context(|| format!("writing {}", tmp.display()))?;
            }
            std::fs::rename(&tmp, path).with_context(|| format!("renaming {} into place", tmp.display()))
        }
    }
}

/// Remove a file; one already gone is not an error (another worker may have removed it).
pub fn remove(path: &Path) -> Result<()> {
    match remote(path) {
        Some((bucket, key)) => {
            let store = client(&bucket)?;
            match runtime().block_on(store.delete(&ObjectPath::from(key.as_str()))) {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e).with_context(|| format!("removing {}", path.display())),
            }
        }
        None => match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("removing {}", path.display()))
            }
            _ => Ok(()),
        },
    }
}

/// Create a folder (S3 has none: a no-op there).
pub fn create_dir_all(dir: &Path) -> Result<()> {
    if is_remote(dir) {
        return Ok(());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

/// The MD5 of the parts, each followed by a newline, in hex (32 characters): stable across
/// machines and toolchains, and easy to recompute elsewhere (`hashlib.md5`). Names content, it
/// guards nothing.
pub fn digest<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    use md5::{Digest, Md5};
    let mut h = Md5::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_paths_split_into_bucket_and_key() {
        assert_eq!(remote(Path::new("s3://b/lake/events")), Some(("b".into(), "lake/events".into())));
        assert_eq!(remote(Path::new("s3://b")), Some(("b".into(), String::new())));
        assert_eq!(remote(&Path::new("s3://b/lake/").join("events")), Some(("b".into(), "lake/events".into())));
        assert_eq!(remote(Path::new("/tmp/lake")), None);
        assert!(is_remote(Path::new("s3://b/x")) && !is_remote(Path::new("lake/s3://x")));
    }

    #[test]
    fn local_files_are_written_whole_listed_sorted_and_removed() {
        let dir = std::env::temp_dir().join(format!("trailtrim-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write(&dir.join("b/2.bin"), vec![1, 2]).unwrap();
        write(&dir.join("a.bin"), vec![7]).unwrap();
        let got = list(&dir).unwrap();
        assert_eq!(
            got,
            vec![Stored { path: dir.join("a.bin"), size: 1 }, Stored { path: dir.join("b/2.bin"), size: 2 }]
        );
        assert_eq!(list_dirs(&dir).unwrap(), vec![dir.join("b")]);
        assert_eq!(read(&dir.join("b/2.bin")).unwrap(), Some(vec![1, 2]));
        assert_eq!(read(&dir.join("nothing")).unwrap(), None);
        remove(&dir.join("a.bin")).unwrap();
        remove(&dir.join("a.bin")).unwrap();
        assert_eq!(list(&dir).unwrap().len(), 1);
        assert!(list(&dir.join("missing")).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn digests_are_stable_and_tell_inputs_apart() {
        assert_eq!(digest(["a", "b"]), digest(["a", "b"]));
        assert_ne!(digest(["a", "b"]), digest(["ab"]));
        assert_eq!(digest(["x"]).len(), 32);
        // What `printf 'x\n' | md5sum` prints: other tools can recompute names and tags.
        assert_eq!(digest(["x"]), "401b30e3b8b5d629635a5c613cdb7919");
    }
}

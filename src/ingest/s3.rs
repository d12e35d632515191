//! CloudTrail files in S3 as ingest sources: `s3://bucket/prefix`.
//!
//! Listing walks the delivery layout `AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/`
//! one level at a time and descends only into the accounts, regions and days asked for, so that
//! an organisation bucket with hundreds of accounts and years of logs is never listed whole.
//! Objects are fetched many at a time. Credentials, region and endpoint come from the standard
//! environment (`AWS_ACCESS_KEY_ID`, `AWS_REGION`, web identity, ECS and instance roles,
//! `AWS_ENDPOINT_URL` for S3-compatible stores, `AWS_ALLOW_HTTP=true` for plain-http endpoints).

use super::discover::{keep_folder, other_service_folder, Filter};
use anyhow::{anyhow, Context, Result};
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Listing calls (one per folder level) and object fetches in flight at once.
const CONCURRENCY: usize = 32;

/// `s3://bucket/prefix`, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    /// The key prefix, without leading or trailing `/` (may be empty).
    pub prefix: String,
}

impl S3Url {
    pub fn parse(s: &str) -> Option<S3Url> {
        let rest = s.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return None;
        }
        Some(S3Url { bucket: bucket.to_owned(), prefix: prefix.trim_matches('/').to_owned() })
    }

    /// The URL of one object of the bucket.
    pub fn object(bucket: &str, key: &str) -> String {
        format!("s3://{bucket}/{key}")
    }
}

/// What one listed object is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// `s3://bucket/key`.
    pub url: String,
    pub size: u64,
    pub etag: Option<String>,
}

/// The S3 clients of one run (one per bucket) and the runtime that drives them.
pub struct S3 {
    rt: tokio::runtime::Runtime,
    stores: BTreeMap<String, Arc<AmazonS3>>,
}

impl S3 {
    pub fn new() -> Result<S3> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("starting the S3 client runtime")?;
        Ok(S3 { rt, stores: BTreeMap::new() })
    }

    fn store(&mut self, bucket: &str) -> Result<Arc<AmazonS3>> {
        if let Some(s) = self.stores.get(bucket) {
            return Ok(s.clone());
        }
        let store = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .with_context(|| format!("configuring S3 access to bucket {bucket}"))?;
        let store = Arc::new(store);
        self.stores.insert(bucket.to_owned(), store.clone());
        Ok(store)
    }

    /// Every object under `url` that the filter keeps, in key order.
    pub fn list(&mut self, url: &S3Url, filter: &Filter) -> Result<Vec<Listed>> {
        let store = self.store(&url.bucket)?;
        let bucket = url.bucket.clone();
        let start = if url.prefix.is_empty() { None } else { Some(ObjectPath::from(url.prefix.as_str())) };
        let filter = filter.clone();
        let mut found = self.rt.block_on(async move {
            let mut found = Vec::new();
            // Breadth first, one folder level at a time, many folders at once.
            let mut level: Vec<Option<ObjectPath>> = vec![start];
            while !level.is_empty() {
                let listings: Vec<_> = futures::stream::iter(level.into_iter().map(|dir| {
                    let store = store.clone();
                    let bucket = bucket.clone();
                    async move {
                        let r = store.list_with_delimiter(dir.as_ref()).await;
                        r.with_context(|| format!("listing {}", S3Url::object(&bucket, &dir_name(&dir))))
                    }
                }))
                .buffered(CONCURRENCY)
                .try_collect()
                .await?;
                let mut next = Vec::new();
                for l in listings {
                    for o in l.objects {
                        found.push(Listed {
                            url: S3Url::object(&bucket, o.location.as_ref()),
                            size: o.size,
                            etag: o.e_tag,
                        });
                    }
                    for d in l.common_prefixes {
                        if keep_folder(d.as_ref(), &filter) && !other_service_folder(d.as_ref()) {
                            next.push(Some(d));
                        }
                    }
                }
                level = next;
            }
            anyhow::Ok(found)
        })?;
        found.sort_by(|a, b| a.url.cmp(&b.url));
        Ok(found)
    }

    /// Fetch objects (by `s3://` URL) many at a time; each result in the order asked.
    pub fn fetch(&mut self, urls: &[String]) -> Vec<Result<Vec<u8>>> {
        let mut jobs = Vec::with_capacity(urls.len());
        for u in urls {
            let job = match S3Url::parse(u) {
                Some(p) => self.store(&p.bucket).map(|s| (s, ObjectPath::from(p.prefix.as_str()))),
                None => Err(anyhow!("{u} is not an s3:// URL")),
            };
            jobs.push(job);
        }
        self.rt.block_on(async move {
            futures::stream::iter(jobs.into_iter().map(|job| async move {
                let (store, path) = job?;
                let got = store.get(&path).await.with_context(|| format!("fetching {path}"))?;
                let bytes = got.bytes().await.with_context(|| format!("reading {path}"))?;
                Ok(bytes.to_vec())
            }))
            .buffered(CONCURRENCY)
            .collect()
            .await
        })
    }
}

fn dir_name(d: &Option<ObjectPath>) -> String {
    d.as_ref().map(|d| format!("{d}/")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        assert_eq!(S3Url::parse("s3://logs/AWSLogs/"), Some(S3Url { bucket: "logs".into(), prefix: "AWSLogs".into() }));
        assert_eq!(S3Url::parse("s3://logs"), Some(S3Url { bucket: "logs".into(), prefix: String::new() }));
        assert_eq!(S3Url::parse("s3:///x"), None);
        assert_eq!(S3Url::parse("/tmp/x"), None);
    }
}

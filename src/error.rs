//! Errors that are the command line's fault rather than the run's: `main` maps them to exit
//! status 2 (usage error) instead of 1 (could not run).

/// The command line asks for something trailtrim refuses (an `--out` folder it does not own, a
/// query reading files outside the lake, an unknown principal); nothing was done.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Bail out of a command with a usage error (exit status 2).
#[macro_export]
macro_rules! usage_bail {
    ($($arg:tt)*) => {
        return Err(anyhow::Error::new($crate::error::UsageError(format!($($arg)*))))
    };
}

/// True if the error (or anything in its chain) is a usage error.
pub fn is_usage_error(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<UsageError>().is_some())
}

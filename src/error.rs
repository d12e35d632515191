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

/// True if the error is a write to a closed pipe (`trailtrim ... | head -1`): the reader has
/// what it wanted, so the command ends quietly with status 0.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            // serde_json's error hides the io::Error from `source()`, but names its kind.
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

/// `"; did you mean X?"` (or up to three names) for a value that is not one of `candidates`,
/// or `""` when nothing is close. Names are compared, ignoring case: the last `/`- or
/// `:`-separated part of each (the user or role name of an ARN), since the ARNs of one account
/// share a long prefix that would make every one look close.
pub fn did_you_mean<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let tail = |s: &str| s.rsplit(['/', ':']).next().unwrap_or(s).to_lowercase();
    let g = tail(given);
    let mut scored: Vec<(f64, &str)> =
        candidates.into_iter().map(|c| (strsim::jaro_winkler(&g, &tail(c)), c)).filter(|(s, _)| *s >= 0.8).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    match scored.len() {
        0 => String::new(),
        _ => format!("; did you mean {}?", scored.iter().take(3).map(|(_, c)| *c).collect::<Vec<_>>().join(" or ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_names_only() {
        let arns = ["arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:role/service/app-server-role"];
        assert_eq!(did_you_mean("alcie", arns), "; did you mean arn:aws:iam::111122223333:user/alice?");
        assert_eq!(
            did_you_mean("arn:aws:iam::111122223333:role/app-server-rol", arns),
            "; did you mean arn:aws:iam::111122223333:role/service/app-server-role?"
        );
        assert_eq!(did_you_mean("zzzz", arns), "");
        assert_eq!(did_you_mean("arn:aws:iam::111122223333:user/zed", arns), "", "a shared prefix is not closeness");
    }

    #[test]
    fn broken_pipes_are_recognised_through_context_and_serde() {
        let io = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "closed");
        assert!(is_broken_pipe(&anyhow::Error::new(io).context("writing")));
        let json = serde_json::to_writer(Closed, &[1, 2, 3]).unwrap_err();
        assert!(is_broken_pipe(&anyhow::Error::new(json)));
        assert!(!is_broken_pipe(&anyhow::anyhow!("Broken pipe")));
    }

    struct Closed;
    impl std::io::Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}

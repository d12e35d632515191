//! What AWS names and ids look like: one place for the checks that guard paths, partitions and
//! policy matching (pure, no I/O).

/// An AWS account id: exactly 12 digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Characters of IAM names (`[\w+=,.@-]`, ASCII) other than letters and digits.
pub const IAM_PUNCTUATION: &[u8] = b"_+=,.@-";

/// An IAM user, role, group or policy name: `[\w+=,.@-]+` (ASCII word characters).
pub fn is_iam_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || IAM_PUNCTUATION.contains(&b))
}

/// A region name: `us-east-1`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`, `eu-central-2`
/// (two letters, words of letters, then a number of at most two digits).
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let (Some((number, words)), true) = (parts.split_last(), s.len() <= 32) else { return false };
    parts.len() >= 3
        && parts[0].len() == 2
        && words.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && (1..=2).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_account_id("012345678901") && !is_account_id("12345678901") && !is_account_id("../../etc/pa"));
        assert!(is_iam_name("app-role_1+=,.@") && !is_iam_name("../x") && !is_iam_name(""));
        for r in ["us-east-1", "us-gov-west-1", "cn-north-1", "us-isob-east-1", "eu-central-2", "ap-southeast-10"] {
            assert!(is_region(r), "{r}");
        }
        for r in ["", "us-east", "east-1", "US-EAST-1", "us-east-123", "us--east-1", "../x-1", &"x".repeat(300)] {
            assert!(!is_region(r), "{r}");
        }
    }
}

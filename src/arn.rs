//! Amazon Resource Names: the one parser of `arn:partition:service:region:account:resource`.
//!
//! Every stage that needs a part of an ARN (its account, the role behind a session, the service
//! of a resource) asks this module, so the partitions `aws`, `aws-cn` and `aws-us-gov` are handled
//! alike everywhere. Parsing borrows from the input: the policy engine calls it in hot loops.

use std::fmt;

/// A parsed ARN, borrowing its parts from the text it was parsed from.
///
/// The resource part is everything after the fifth colon, so it may itself hold colons and
/// slashes (`function:f:prod`, `log-group:/app:log-stream:x`, `b/k/a:b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    /// Empty for global services (IAM, S3 buckets).
    pub region: &'a str,
    /// Empty for S3 buckets; `aws` for AWS managed policies.
    pub account: &'a str,
    pub resource: &'a str,
}

/// Why a text is not an ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not an ARN: {reason}")]
pub struct ArnError {
    pub value: String,
    pub reason: &'static str,
}

impl<'a> Arn<'a> {
    /// Parses `arn:partition:service:region:account:resource`. The partition, service and resource
    /// must be non-empty; region and account may be empty.
    pub fn parse(s: &'a str) -> Result<Arn<'a>, ArnError> {
        let err = |reason| ArnError { value: s.to_string(), reason };
        if !s.starts_with("arn:") {
            return Err(err("it does not start with \"arn:\""));
        }
        let Some([_, partition, service, region, account, resource]) = fields(s) else {
            return Err(err("it has fewer than six colon-separated parts"));
        };
        if partition.is_empty() {
            return Err(err("the partition is empty"));
        }
        if service.is_empty() {
            return Err(err("the service is empty"));
        }
        if resource.is_empty() {
            return Err(err("the resource is empty"));
        }
        Ok(Arn { partition, service, region, account, resource })
    }

    /// [`Arn::parse`], for callers that only care whether the text is an ARN.
    pub fn get(s: &'a str) -> Option<Arn<'a>> {
        Arn::parse(s).ok()
    }

    /// The account id, if the ARN has one (`aws` for AWS managed policies counts as one).
    pub fn account_id(&self) -> Option<&'a str> {
        (!self.account.is_empty()).then_some(self.account)
    }

    /// The resource type: the part of the resource before the first `/` or `:` (`role`,
    /// `function`, `key`), None when there is no separator (`root`, an SQS queue) and for S3
    /// bucket and object ARNs, whose resource is `bucket[/key]` without a type.
    pub fn resource_type(&self) -> Option<&'a str> {
        if self.is_s3_bucket_or_object() {
            return None;
        }
        self.resource.split_once(['/', ':']).map(|(t, _)| t)
    }

    /// The resource id: the resource after its type and separator, or the whole resource when it
    /// has no type (see [`Arn::resource_type`]).
    pub fn resource_id(&self) -> &'a str {
        match self.resource_type() {
            Some(t) => &self.resource[t.len() + 1..],
            None => self.resource,
        }
    }

    /// An S3 bucket or object (`arn:aws:s3:::bucket/key`): no region and no account.
    fn is_s3_bucket_or_object(&self) -> bool {
        self.service == "s3" && self.region.is_empty() && self.account.is_empty()
    }

    /// The last `/`-separated segment of the resource: the user or role name without its path.
    pub fn name(&self) -> &'a str {
        self.resource.rsplit('/').next().unwrap_or(self.resource)
    }

    /// `iam ... :root`: the account's root user.
    pub fn is_root(&self) -> bool {
        self.service == "iam" && self.resource == "root"
    }

    /// The role and session of an assumed-role session ARN
    /// (`arn:aws:sts::1:assumed-role/Role/session` -> (`Role`, `session`)); the session is empty
    /// when the ARN has none.
    pub fn assumed_role(&self) -> Option<(&'a str, &'a str)> {
        if self.service != "sts" {
            return None;
        }
        let rest = self.resource.strip_prefix("assumed-role/")?;
        let (role, session) = rest.split_once('/').unwrap_or((rest, ""));
        (!role.is_empty()).then_some((role, session))
    }

    /// The role name of a role ARN (without its path) or of an assumed-role session ARN.
    pub fn role_name(&self) -> Option<&'a str> {
        match self.service {
            "iam" => self.resource.strip_prefix("role/").map(|_| self.name()).filter(|n| !n.is_empty()),
            _ => self.assumed_role().map(|(role, _)| role),
        }
    }

    /// The IAM role ARN behind an assumed-role session ARN, in the session's partition:
    /// `arn:aws-cn:sts::1:assumed-role/R/s` -> `arn:aws-cn:iam::1:role/R`. A session ARN does not
    /// carry the role's path, so the role ARN has none (the event's `sessionIssuer` has it).
    pub fn session_role_arn(&self) -> Option<String> {
        let (role, _) = self.assumed_role()?;
        Some(Arn { service: "iam", region: "", resource: &format!("role/{role}"), ..*self }.to_string())
    }
}

impl fmt::Display for Arn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Arn { partition, service, region, account, resource } = self;
        write!(f, "arn:{partition}:{service}:{region}:{account}:{resource}")
    }
}

/// The six colon-separated fields of an ARN-shaped text (`arn`, partition, service, region,
/// account, resource; the resource keeps any further colons), unvalidated: policy patterns such
/// as `arn:*:s3:::*` are matched field by field with it. None with fewer than five colons.
pub fn fields(s: &str) -> Option<[&str; 6]> {
    let mut it = s.splitn(6, ':');
    Some([it.next()?, it.next()?, it.next()?, it.next()?, it.next()?, it.next()?])
}

/// The account id of an ARN, None when `s` is not an ARN or has no account.
pub fn account_of(s: &str) -> Option<&str> {
    Arn::get(s)?.account_id()
}

/// The partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`), None when `s` is not an ARN.
pub fn partition_of(s: &str) -> Option<&str> {
    Arn::get(s).map(|a| a.partition)
}

/// The role ARN behind a session ARN ([`Arn::session_role_arn`]); any other text unchanged.
pub fn role_arn_of_session(s: &str) -> String {
    Arn::get(s).and_then(|a| a.session_role_arn()).unwrap_or_else(|| s.to_string())
}

/// The root user's ARN of an account in a partition.
pub fn root_arn(partition: &str, account: &str) -> String {
    format!("arn:{partition}:iam::{account}:root")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_partition() {
        for partition in ["aws", "aws-cn", "aws-us-gov"] {
            let text = format!("arn:{partition}:iam::123456789012:role/service/app");
            let a = Arn::parse(&text).unwrap();
            assert_eq!(
                (a.partition, a.service, a.region, a.account, a.resource),
                (partition, "iam", "", "123456789012", "role/service/app")
            );
            assert_eq!(a.to_string(), text, "Display gives the text back");
            assert_eq!((a.resource_type(), a.resource_id(), a.name()), (Some("role"), "service/app", "app"));
            assert_eq!(a.role_name(), Some("app"));
            assert_eq!(partition_of(&text), Some(partition));
        }
    }

    #[test]
    fn session_to_role_keeps_the_partition() {
        let rows = [
            ("arn:aws:sts::111122223333:assumed-role/Admin/s1", "arn:aws:iam::111122223333:role/Admin"),
            ("arn:aws-cn:sts::111122223333:assumed-role/Admin/s1", "arn:aws-cn:iam::111122223333:role/Admin"),
            (
                "arn:aws-us-gov:sts::111122223333:assumed-role/Admin/a@b.c",
                "arn:aws-us-gov:iam::111122223333:role/Admin",
            ),
            // No session part: still the role.
            ("arn:aws:sts::111122223333:assumed-role/Admin", "arn:aws:iam::111122223333:role/Admin"),
        ];
        for (session, role) in rows {
            let a = Arn::parse(session).unwrap();
            assert_eq!(a.session_role_arn().as_deref(), Some(role), "{session}");
            assert_eq!(role_arn_of_session(session), role);
            assert_eq!(a.role_name(), Some("Admin"));
        }
        let a = Arn::parse("arn:aws:sts::1:assumed-role/R/i-0abc/extra").unwrap();
        assert_eq!(a.assumed_role(), Some(("R", "i-0abc/extra")), "the session is everything after the role");
        // Not sessions: unchanged, and no role.
        for other in ["arn:aws:iam::1:user/alice", "arn:aws:sts::1:federated-user/carol", "AWS Internal", "*"] {
            assert_eq!(role_arn_of_session(other), other);
            assert_eq!(Arn::get(other).and_then(|a| a.session_role_arn()), None);
        }
        assert_eq!(Arn::parse("arn:aws:sts::1:assumed-role/").unwrap().assumed_role(), None);
        assert_eq!(Arn::parse("arn:aws:iam::1:user/alice").unwrap().role_name(), None);
    }

    #[test]
    fn resources_with_colons_and_slashes() {
        let a = Arn::parse("arn:aws:lambda:eu-west-1:111122223333:function:f:prod").unwrap();
        assert_eq!((a.region, a.resource), ("eu-west-1", "function:f:prod"));
        assert_eq!((a.resource_type(), a.resource_id()), (Some("function"), "f:prod"));
        let text = "arn:aws:logs:us-east-1:111122223333:log-group:/app/server:log-stream:i-1/2026";
        let a = Arn::parse(text).unwrap();
        assert_eq!((a.resource_type(), a.resource_id()), (Some("log-group"), "/app/server:log-stream:i-1/2026"));
        assert_eq!(a.to_string(), text);
        let a = Arn::parse("arn:aws:sqs:us-east-1:111122223333:queue").unwrap();
        assert_eq!((a.resource_type(), a.resource_id()), (None, "queue"));
        let a = Arn::parse("arn:aws:iam::111122223333:root").unwrap();
        assert!(a.is_root());
        assert_eq!((a.resource_type(), a.resource_id()), (None, "root"));
    }

    #[test]
    fn s3_arns_have_no_region_account_or_type() {
        let a = Arn::parse("arn:aws:s3:::bucket/reports/2026/a:b.csv").unwrap();
        assert_eq!((a.region, a.account, a.account_id()), ("", "", None));
        assert_eq!((a.resource_type(), a.resource_id()), (None, "bucket/reports/2026/a:b.csv"));
        assert_eq!(account_of("arn:aws:s3:::bucket"), None);
        // Access points do have a region, an account and a type.
        let a = Arn::parse("arn:aws:s3:us-east-1:111122223333:accesspoint/ap/object/k").unwrap();
        assert_eq!((a.resource_type(), a.resource_id()), (Some("accesspoint"), "ap/object/k"));
        assert_eq!(a.account_id(), Some("111122223333"));
    }

    #[test]
    fn malformed_input_names_value_and_reason() {
        let rows = [
            ("", "it does not start with \"arn:\""),
            ("111122223333", "it does not start with \"arn:\""),
            ("ARN:aws:iam::1:root", "it does not start with \"arn:\""),
            ("arn:aws:iam::1", "it has fewer than six colon-separated parts"),
            ("arn:aws:s3", "it has fewer than six colon-separated parts"),
            ("arn::iam::1:root", "the partition is empty"),
            ("arn:aws:::1:root", "the service is empty"),
            ("arn:aws:iam::1:", "the resource is empty"),
        ];
        for (text, reason) in rows {
            let e = Arn::parse(text).unwrap_err();
            assert_eq!(e.reason, reason, "{text:?}");
            assert_eq!(e.to_string(), format!("{text:?} is not an ARN: {reason}"));
            assert_eq!(account_of(text), None);
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(fields("arn:*:s3:::b/a:c"), Some(["arn", "*", "s3", "", "", "b/a:c"]));
        assert_eq!(fields("arn:aws:s3::"), None);
        assert_eq!(account_of("arn:aws-us-gov:iam::111122223333:user/u"), Some("111122223333"));
        assert_eq!(account_of("arn:aws:iam::aws:policy/ReadOnlyAccess"), Some("aws"));
        assert_eq!(partition_of("lambda.amazonaws.com"), None);
        assert_eq!(root_arn("aws-cn", "111122223333"), "arn:aws-cn:iam::111122223333:root");
    }
}

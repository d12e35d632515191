use super::*;
use serde_json::json;

const ACCT: &str = "111122223333";
const SSO: &str =
    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PowerUser_0123456789abcdef";
const DEPLOY: &str = "arn:aws:iam::111122223333:role/deploy";
const EC2: &str = "arn:aws:iam::111122223333:role/service/app-server-role";

fn saml(time: i64, subject: &str, role: &str) -> IdentityEvent {
    IdentityEvent {
        time,
        event_name: "AssumeRoleWithSAML".into(),
        identity_type: "SAMLUser".into(),
        user_name: subject.into(),
        principal_id: format!("Q0OF=:{subject}"),
        request_parameters: json!({"roleArn": role, "roleSessionName": subject,
            "principalArn": "arn:aws:iam::111122223333:saml-provider/AWSSSO_x_DO_NOT_DELETE"})
        .to_string(),
        response_elements: json!({"subject": subject, "issuer": "https://portal.sso.example/saml",
            "audience": "https://signin.aws.amazon.com/saml"})
        .to_string(),
        ..Default::default()
    }
}

/// `caller_role`'s session `caller_session` assumes `role` as `session`.
fn chain(time: i64, caller_role: &str, caller_session: &str, role: &str, session: &str) -> IdentityEvent {
    let name = caller_role.rsplit('/').next().unwrap();
    IdentityEvent {
        time,
        event_name: "AssumeRole".into(),
        identity_type: "AssumedRole".into(),
        identity_arn: format!("arn:aws:sts::{ACCT}:assumed-role/{name}/{caller_session}"),
        session_issuer_arn: caller_role.into(),
        session_name: caller_session.into(),
        request_parameters: json!({"roleArn": role, "roleSessionName": session}).to_string(),
        ..Default::default()
    }
}

fn by_service(time: i64, service: &str, role: &str, session: &str) -> IdentityEvent {
    IdentityEvent {
        time,
        event_name: "AssumeRole".into(),
        identity_type: "AWSService".into(),
        request_parameters: json!({"roleArn": role, "roleSessionName": session}).to_string(),
        user_identity: json!({"type": "AWSService", "invokedBy": service}).to_string(),
        ..Default::default()
    }
}

fn fact(principal: &str, kind: &str, actor: &str, action: &str, time: i64, count: u64) -> Fact {
    Fact {
        principal: principal.into(),
        principal_type: kind.into(),
        actor: actor.into(),
        action: action.into(),
        count,
        denied_count: u64::from(count == 0),
        first_seen: time,
        last_seen: time,
        ..Default::default()
    }
}

fn person<'a>(r: &'a PeopleReport, name: &str) -> &'a PersonUsage {
    r.people.iter().find(|p| p.person == name).unwrap_or_else(|| panic!("no person {name} in {r:#?}"))
}

fn actions(p: &PersonUsage) -> Vec<&str> {
    p.used.iter().map(|u| u.action.as_str()).collect()
}

#[test]
fn a_role_chain_keeps_the_person_who_started_it() {
    let events = [saml(100, "dana@example.com", SSO), chain(200, SSO, "dana@example.com", DEPLOY, "release")];
    let a = Attribution::from_events(&events);
    let facts = [
        fact(SSO, "identity-center-user", "dana@example.com", "cloudformation:DescribeStacks", 150, 2),
        fact(DEPLOY, "role", "release", "s3:PutObject", 300, 5),
    ];
    let r = build(&facts, &a);
    assert_eq!(r.people.len(), 1, "{r:#?}");
    let dana = person(&r, "dana@example.com");
    assert_eq!(dana.kind, PersonKind::Sso);
    assert_eq!(dana.roles, vec![SSO.to_owned(), DEPLOY.to_owned()]);
    assert_eq!(actions(dana), vec!["cloudformation:DescribeStacks", "s3:PutObject", "sts:AssumeRoleWithSAML"]);
    assert!(dana.identities.contains(&"release".to_owned()), "{:?}", dana.identities);
    let put = dana.used.iter().find(|u| u.action == "s3:PutObject").unwrap();
    assert_eq!((put.count, put.principals.clone()), (5, vec![DEPLOY.to_owned()]));
}

#[test]
fn the_federated_sign_in_is_a_usage_row_of_the_person() {
    let a = Attribution::from_events(&[saml(100, "erik@example.com", SSO), saml(900, "erik@example.com", SSO)]);
    let r = build(&[], &a);
    let erik = person(&r, "erik@example.com");
    let row = &erik.used[0];
    assert_eq!((row.action.as_str(), row.count), ("sts:AssumeRoleWithSAML", 2));
    assert_eq!((row.first_seen.as_str(), row.last_seen.as_str()), ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"));
    assert_eq!(erik.roles, vec![SSO.to_owned()]);
    assert_eq!(erik.federation.len(), 1);
    let f = &erik.federation[0];
    assert_eq!(f.provider, "arn:aws:iam::111122223333:saml-provider/AWSSSO_x_DO_NOT_DELETE");
    assert_eq!((f.issuer.as_str(), f.subject.as_str()), ("https://portal.sso.example/saml", "erik@example.com"));
    assert_eq!(f.audience, "https://signin.aws.amazon.com/saml");
}

#[test]
fn sessions_a_service_created_are_machines_not_people() {
    let a = Attribution::from_events(&[by_service(100, "ec2.amazonaws.com", EC2, "i-0abc")]);
    let r = build(&[fact(EC2, "role", "i-0abc", "s3:GetObject", 200, 3)], &a);
    assert!(r.people.is_empty(), "{r:#?}");
    // A chain from a machine session stays a machine.
    let a = Attribution::from_events(&[
        by_service(100, "ec2.amazonaws.com", EC2, "i-0abc"),
        chain(150, EC2, "i-0abc", DEPLOY, "batch"),
    ]);
    assert!(build(&[fact(DEPLOY, "role", "batch", "s3:PutObject", 200, 1)], &a).people.is_empty());
}

#[test]
fn a_session_name_reused_by_two_people_goes_to_whoever_created_it_last() {
    let events = [
        saml(1_000_000, "ann@example.com", SSO),
        chain(1_010_000, SSO, "ann@example.com", DEPLOY, "deploy"),
        saml(9_000_000, "ben@example.com", SSO),
        chain(9_010_000, SSO, "ben@example.com", DEPLOY, "deploy"),
    ];
    let a = Attribution::from_events(&events);
    let r = build(
        &[
            fact(DEPLOY, "role", "deploy", "lambda:UpdateFunctionCode", 1_020_000, 1),
            fact(DEPLOY, "role", "deploy", "lambda:GetFunction", 9_020_000, 1),
        ],
        &a,
    );
    assert!(actions(person(&r, "ann@example.com")).contains(&"lambda:UpdateFunctionCode"));
    assert!(!actions(person(&r, "ann@example.com")).contains(&"lambda:GetFunction"));
    assert!(actions(person(&r, "ben@example.com")).contains(&"lambda:GetFunction"));
}

#[test]
fn a_first_call_logged_seconds_before_its_session_is_still_the_creators() {
    // The STS event at 10:00:30, the session's first call stamped 10:00:05 by another service.
    let a = Attribution::from_events(&[
        saml(36_030_000, "lea@example.com", SSO),
        chain(36_030_000, SSO, "lea@example.com", DEPLOY, "r1"),
    ]);
    let r = build(&[fact(DEPLOY, "role", "r1", "s3:GetObject", 36_005_000, 1)], &a);
    assert!(actions(person(&r, "lea@example.com")).contains(&"s3:GetObject"), "{r:#?}");
    assert!(r.people.iter().all(|p| p.person != "r1"));
}

#[test]
fn source_identity_web_identity_users_and_identity_store_ids() {
    // A source identity set by a caller of another account: the source identity is the person.
    let mut e = chain(100, DEPLOY, "x", EC2, "ci-run-7");
    e.identity_type = "AWSAccount".into();
    e.request_parameters =
        json!({"roleArn": DEPLOY, "roleSessionName": "ci-run-7", "sourceIdentity": "mallory"}).to_string();
    let oidc = IdentityEvent {
        time: 50,
        event_name: "AssumeRoleWithWebIdentity".into(),
        identity_type: "WebIdentityUser".into(),
        user_name: "repo:example/app:ref:refs/heads/main".into(),
        request_parameters: json!({"roleArn": EC2, "roleSessionName": "gha-1"}).to_string(),
        response_elements: json!({"subjectFromWebIdentityToken": "repo:example/app:ref:refs/heads/main",
            "provider": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
            "audience": "sts.amazonaws.com"})
        .to_string(),
        ..Default::default()
    };
    let sso_user = IdentityEvent {
        time: 10,
        event_name: "ListAccounts".into(),
        identity_type: "Unknown".into(),
        user_name: "fay@example.com".into(),
        user_identity: json!({"type": "Unknown", "userName": "fay@example.com",
            "onBehalfOf": {"userId": "94482488-3041-7026-18f3-be45837cd0e4", "identityStoreArn": "arn:aws:identitystore::111122223333:identitystore/d-1"}})
        .to_string(),
        ..Default::default()
    };
    let a = Attribution::from_events(&[e, oidc, sso_user]);
    let facts = [
        fact(DEPLOY, "role", "mallory", "s3:ListBucket", 200, 1),
        fact(EC2, "role", "gha-1", "ecr:PutImage", 60, 4),
        fact(SSO, "identity-center-user", "94482488-3041-7026-18f3-be45837cd0e4", "ec2:DescribeInstances", 70, 1),
        fact("arn:aws:iam::111122223333:user/bob", "user", "bob", "s3:GetObject", 70, 1),
        fact("arn:aws:iam::111122223333:user/bob", "user", "bob", "iam:ListRoles", 80, 0),
    ];
    let r = build(&facts, &a);
    assert_eq!(person(&r, "mallory").kind, PersonKind::SourceIdentity);
    assert!(person(&r, "mallory").identities.contains(&"ci-run-7".to_owned()));
    let gha = person(&r, "repo:example/app:ref:refs/heads/main");
    assert_eq!(gha.kind, PersonKind::WebIdentity);
    assert_eq!(actions(gha), vec!["ecr:PutImage", "sts:AssumeRoleWithWebIdentity"]);
    let fay = person(&r, "fay@example.com");
    assert!(fay.identities.contains(&"94482488-3041-7026-18f3-be45837cd0e4".to_owned()));
    let bob = person(&r, "bob");
    assert_eq!((bob.kind, actions(bob)), (PersonKind::IamUser, vec!["s3:GetObject"]));
    assert_eq!(bob.denied[0].action, "iam:ListRoles");
    assert_eq!(bob.users, vec!["arn:aws:iam::111122223333:user/bob".to_owned()]);
}

#[test]
fn a_shared_role_says_who_reads_and_who_writes_and_groups_them() {
    let mut events = Vec::new();
    let mut facts = Vec::new();
    for (i, who) in ["a@x", "b@x", "c@x", "d@x"].iter().enumerate() {
        events.push(saml(i as i64, who, SSO));
        facts.push(fact(SSO, "identity-center-user", who, "ec2:DescribeInstances", 100, 1));
    }
    facts.push(fact(SSO, "identity-center-user", "c@x", "ec2:RunInstances", 100, 1));
    facts.push(fact(SSO, "identity-center-user", "d@x", "ec2:RunInstances", 100, 1));
    let r = build(&facts, &Attribution::from_events(&events));
    let role = &r.roles[0];
    assert_eq!(role.permission_set.as_deref(), Some("PowerUser"));
    assert_eq!(role.read_only, vec!["a@x", "b@x"]);
    assert_eq!(
        role.summary(),
        "PowerUser: 4 people; 2 used only read actions; the write actions come from 2 people (c@x, d@x)"
    );
    assert_eq!(role.groups.len(), 2);
    assert_eq!(role.groups[0].people, vec!["a@x", "b@x"]);
    assert_eq!(role.groups[0].actions, vec!["ec2:DescribeInstances"]);
    assert_eq!(role.groups[1].write_actions, vec!["ec2:RunInstances"]);
    assert_eq!(role.groups[1].actions, vec!["ec2:DescribeInstances", "ec2:RunInstances"]);
}

#[test]
fn permission_set_names_and_role_keys() {
    assert_eq!(permission_set(SSO).as_deref(), Some("PowerUser"));
    assert_eq!(
        permission_set("arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Read_Only_ab12")
            .as_deref(),
        Some("Read_Only")
    );
    assert_eq!(permission_set(DEPLOY), None);
    assert_eq!(role_key("arn:aws:sts::1:assumed-role/deploy/s"), Some(("1".into(), "deploy".into())));
    assert_eq!(role_key(EC2), Some((ACCT.into(), "app-server-role".into())));
}

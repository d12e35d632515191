//! People behind shared roles: every role session, federated call and IAM user call attributed
//! to the person who made it.
//!
//! A role's facts name the session (`actor`: session name or `sourceIdentity`), not the person:
//! an IAM Identity Center permission set or a SAML role is one principal for many people, and a
//! session that assumes another role hides who started the chain. The identity events of the
//! window (`AssumeRole*` with their request and response, `onBehalfOf` / `identityStoreUserId`)
//! say who created each session; facts are then attributed at read time, because a session may
//! be created in another partition (region, day) than the calls it makes.
//!
//! Rules, in order: a session created by an AWS service (EC2 instance role, Lambda) is a machine,
//! no person; a SAML session belongs to the assertion's subject, a web identity session to the
//! token's subject; a session created by another session (a role chain) keeps the origin of its
//! creator, by IAM user or root the user; a `sourceIdentity` is the person where nothing earlier
//! is known; otherwise the session name is (SSO session names are the user name, usually the
//! e-mail). An Identity Center user id (`onBehalfOf.userId`, `identityStoreUserId`) seen with a
//! user name is that person.

use super::{iso, Fact, Window};
use crate::catalog::{catalog, AccessLevel};
use anyhow::{Context, Result};
use polars::prelude::*;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Role names Identity Center creates for permission sets: `AWSReservedSSO_<set>_<hex>`.
const SSO_ROLE_PREFIX: &str = "AWSReservedSSO_";

/// Services stamp events with their own clocks: a session's first call may be logged a little
/// before the STS event that created it.
const CLOCK_SLACK_MS: i64 = 5 * 60 * 1000;

/// How a person was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PersonKind {
    /// An IAM Identity Center user (SSO permission-set role, or an identity store user id).
    Sso,
    /// The subject of a SAML assertion.
    Saml,
    /// The subject of an OIDC / web identity token.
    WebIdentity,
    /// An IAM user.
    IamUser,
    Root,
    /// A `sourceIdentity` set on the session.
    SourceIdentity,
    /// Only the session name says who: no event of the window created the session.
    SessionName,
}

/// Who is behind a session, and under which names they appear.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    person: String,
    kind: PersonKind,
    identities: BTreeSet<String>,
}

/// What created one role session.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Creator {
    Person(Origin),
    /// An AWS service (`ec2.amazonaws.com`, `lambda.amazonaws.com`): no person behind it.
    Machine,
}

/// One identity event of the window, as the attribution (and the trust policy trimming, which
/// reads the AssumeRole calls) reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityEvent {
    pub time: i64,
    pub event_id: String,
    pub event_name: String,
    pub identity_type: String,
    pub identity_arn: String,
    pub user_name: String,
    pub principal_id: String,
    pub session_name: String,
    pub source_identity: String,
    pub session_issuer_arn: String,
    /// `userIdentity.accountId`.
    pub account_id: String,
    /// `userIdentity.invokedBy` (a service calling for an `AWSService` identity).
    pub invoked_by: String,
    pub error_code: String,
    /// JSON texts (empty when absent).
    pub user_identity: String,
    pub request_parameters: String,
    pub response_elements: String,
    pub additional_event_data: String,
}

/// A federated sign-in (AssumeRoleWithSAML / WithWebIdentity): the caller has no IAM principal,
/// so its use of the action is counted for the person.
#[derive(Debug, Clone)]
struct FederatedCall {
    person: String,
    action: &'static str,
    role: String,
    time: i64,
    denied: bool,
    federation: Federation,
}

/// Where a federated person signed in from.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Federation {
    /// The SAML or OIDC provider ARN (`principalArn`, `identityProvider`, `provider`).
    pub provider: String,
    pub issuer: String,
    pub audience: String,
    pub subject: String,
}

/// The sessions of the window and who created them.
#[derive(Debug, Default)]
pub struct Attribution {
    /// (account, role name, session name or source identity) -> creations, in time order.
    sessions: BTreeMap<(String, String, String), Vec<(i64, Creator)>>,
    /// Identity Center user id -> user name.
    sso_users: BTreeMap<String, String>,
    federated: Vec<FederatedCall>,
}

/// `arn:aws:iam::<acct>:role/<path/>name` or an assumed-role ARN -> (account, role name).
fn role_key(arn: &str) -> Option<(String, String)> {
    let a = crate::arn::Arn::get(arn)?;
    Some((a.account.to_owned(), a.role_name()?.to_owned()))
}

fn is_sso_role(role_name: &str) -> bool {
    role_name.starts_with(SSO_ROLE_PREFIX)
}

/// The permission set of an Identity Center role: `AWSReservedSSO_PowerUser_0123abcd` -> `PowerUser`.
pub fn permission_set(role_arn: &str) -> Option<String> {
    let (_, name) = role_key(role_arn)?;
    let rest = name.strip_prefix(SSO_ROLE_PREFIX)?;
    Some(rest.rsplit_once('_').map_or(rest, |(set, _)| set).to_owned())
}

fn json(text: &str) -> Value {
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(text).unwrap_or(Value::Null)
    }
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    let mut v = v;
    for k in path {
        v = v.get(k)?;
    }
    v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

fn nonempty(s: &str) -> Option<String> {
    Some(s.to_owned()).filter(|s| !s.is_empty())
}

impl Origin {
    fn new(person: String, kind: PersonKind) -> Origin {
        let identities = BTreeSet::from([person.clone()]);
        Origin { person, kind, identities }
    }
}

impl Attribution {
    /// Build from the identity events of the window (any order).
    pub fn from_events(events: &[IdentityEvent]) -> Attribution {
        let mut a = Attribution::default();
        let mut events: Vec<&IdentityEvent> = events.iter().collect();
        // Chains resolve against sessions created before; ties keep the events' order.
        events.sort_by_key(|e| e.time);
        for e in &events {
            a.learn_sso_user(e);
        }
        for e in events {
            if e.event_name.starts_with("AssumeRole") {
                a.learn_assumption(e);
            }
        }
        a
    }

    /// An Identity Center user id beside a user name: the id is that person.
    fn learn_sso_user(&mut self, e: &IdentityEvent) {
        let ui = json(&e.user_identity);
        let extra = json(&e.additional_event_data);
        let id = text(&ui, &["onBehalfOf", "userId"]).or_else(|| text(&extra, &["identityStoreUserId"]));
        let name = nonempty(&e.user_name).or_else(|| text(&ui, &["userName"]));
        if let (Some(id), Some(name)) = (id, name) {
            if id != name {
                self.sso_users.entry(id).or_insert(name);
            }
        }
    }

    /// Who is behind the caller of an event at its time (None: unknown; Some(Machine): a service).
    fn caller(&self, e: &IdentityEvent) -> Option<Creator> {
        let ui = json(&e.user_identity);
        match e.identity_type.as_str() {
            "AWSService" => Some(Creator::Machine),
            "IAMUser" => {
                let user = nonempty(&e.user_name).or_else(|| e.identity_arn.rsplit('/').next().and_then(nonempty))?;
                Some(Creator::Person(Origin::new(user, PersonKind::IamUser)))
            }
            "Root" => Some(Creator::Person(Origin::new("root".to_owned(), PersonKind::Root))),
            "AssumedRole" => {
                let role = role_key(&e.session_issuer_arn).or_else(|| role_key(&e.identity_arn))?;
                let session = nonempty(&e.session_name)
                    .or_else(|| {
                        let (_, s) = crate::arn::Arn::get(&e.identity_arn)?.assumed_role()?;
                        (!s.is_empty()).then(|| s.to_owned())
                    })
                    .or_else(|| e.principal_id.split_once(':').map(|(_, s)| s.to_owned()));
                let source = nonempty(&e.source_identity).or_else(|| text(&ui, &["sessionContext", "sourceIdentity"]));
                let actor = source.clone().or(session.clone())?;
                let known = self.creator(&role.0, &role.1, &actor, e.time);
                match known {
                    Some(c) => Some(c),
                    None => {
                        let kind = if source.is_some() {
                            PersonKind::SourceIdentity
                        } else if is_sso_role(&role.1) {
                            PersonKind::Sso
                        } else {
                            PersonKind::SessionName
                        };
                        Some(Creator::Person(Origin::new(actor, kind)))
                    }
                }
            }
            _ => None,
        }
    }

    fn learn_assumption(&mut self, e: &IdentityEvent) {
        let rp = json(&e.request_parameters);
        let re = json(&e.response_elements);
        let Some(role_arn) = text(&rp, &["roleArn"]) else { return };
        let Some((acct, role)) = role_key(&role_arn) else { return };
        let session = text(&rp, &["roleSessionName"])
            .or_else(|| text(&re, &["assumedRoleUser", "arn"]).and_then(|a| a.rsplit('/').next().and_then(nonempty)));
        let source = text(&rp, &["sourceIdentity"]).or_else(|| text(&re, &["sourceIdentity"]));
        // A failed call created no session; only an authorisation failure counts as denied.
        let failed = !e.error_code.is_empty();
        let denied = super::facts::is_denied(Some(&e.error_code));
        let creator = match e.event_name.as_str() {
            "AssumeRoleWithSAML" | "AssumeRoleWithWebIdentity" => {
                let saml = e.event_name == "AssumeRoleWithSAML";
                let subject = if saml { text(&re, &["subject"]) } else { text(&re, &["subjectFromWebIdentityToken"]) }
                    .or_else(|| nonempty(&e.user_name))
                    .or_else(|| e.principal_id.rsplit_once(':').map(|(_, s)| s.to_owned()))
                    .or_else(|| session.clone());
                let Some(subject) = subject else { return };
                // A user id the identity store knows is that user.
                let person = self.sso_users.get(&subject).cloned().unwrap_or_else(|| subject.clone());
                let kind = if is_sso_role(&role) {
                    PersonKind::Sso
                } else if saml {
                    PersonKind::Saml
                } else {
                    PersonKind::WebIdentity
                };
                let mut o = Origin::new(person.clone(), kind);
                o.identities.insert(subject.clone());
                if !failed || denied {
                    let ui = json(&e.user_identity);
                    let federation = Federation {
                        provider: text(&rp, &["principalArn"])
                            .or_else(|| text(&re, &["provider"]))
                            .or_else(|| text(&ui, &["identityProvider"]))
                            .unwrap_or_default(),
                        issuer: text(&re, &["issuer"]).unwrap_or_default(),
                        audience: text(&re, &["audience"]).unwrap_or_default(),
                        subject: subject.clone(),
                    };
                    self.federated.push(FederatedCall {
                        person,
                        action: if saml { "sts:AssumeRoleWithSAML" } else { "sts:AssumeRoleWithWebIdentity" },
                        role: role_arn.clone(),
                        time: e.time,
                        denied,
                        federation,
                    });
                }
                Creator::Person(o)
            }
            _ => match (self.caller(e), &source) {
                (Some(c), _) => c,
                (None, Some(s)) => Creator::Person(Origin::new(s.clone(), PersonKind::SourceIdentity)),
                // A caller of another account: who is behind it is not in this account's logs.
                (None, None) => return,
            },
        };
        if failed {
            return;
        }
        let creator = match creator {
            Creator::Person(mut o) => {
                o.identities.extend(session.iter().cloned());
                o.identities.extend(source.iter().cloned());
                Creator::Person(o)
            }
            m => m,
        };
        // Facts name a session by its source identity where it has one, else by its name.
        for actor in source.iter().chain(session.iter()) {
            self.sessions
                .entry((acct.clone(), role.clone(), actor.clone()))
                .or_default()
                .push((e.time, creator.clone()));
        }
    }

    /// The latest creation of the session at or before `time` (give or take [`CLOCK_SLACK_MS`]).
    fn creator(&self, acct: &str, role: &str, actor: &str, time: i64) -> Option<Creator> {
        let list = self.sessions.get(&(acct.to_owned(), role.to_owned(), actor.to_owned()))?;
        list.iter().rev().find(|(t, _)| *t <= time.saturating_add(CLOCK_SLACK_MS)).map(|(_, c)| c.clone())
    }

    /// The person behind one fact (None: a machine, a service, another account).
    fn person_of(&self, f: &Fact) -> Option<Origin> {
        match f.principal_type.as_str() {
            "user" => Some(Origin::new(
                nonempty(&f.actor).or_else(|| f.principal.rsplit('/').next().and_then(nonempty))?,
                PersonKind::IamUser,
            )),
            "root" => Some(Origin::new("root".to_owned(), PersonKind::Root)),
            "role" | "identity-center-user" => {
                let (acct, role) = role_key(&f.principal)?;
                let actor = nonempty(&f.actor)?;
                match self.creator(&acct, &role, &actor, f.first_seen) {
                    Some(Creator::Machine) => None,
                    Some(Creator::Person(o)) => Some(o),
                    None => {
                        if let Some(name) = self.sso_users.get(&actor) {
                            let mut o = Origin::new(name.clone(), PersonKind::Sso);
                            o.identities.insert(actor);
                            return Some(o);
                        }
                        let kind = if is_sso_role(&role) { PersonKind::Sso } else { PersonKind::SessionName };
                        Some(Origin::new(actor, kind))
                    }
                }
            }
            "federated-user" => Some(Origin::new(nonempty(&f.actor)?, PersonKind::SessionName)),
            _ => None,
        }
    }
}

/// One action a person used (through any role), or a service used for them.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PersonAction {
    pub action: String,
    pub count: u64,
    pub first_seen: String,
    pub last_seen: String,
    /// The principals (roles, users) the calls were made as.
    pub principals: Vec<String>,
    /// Set when a service made the calls with the person's permissions (`invokedBy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_service: Option<String>,
    pub access_level: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PersonDenied {
    pub action: String,
    pub count: u64,
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PersonUsage {
    pub person: String,
    pub kind: PersonKind,
    /// Session names, source identities, federated subjects and identity store ids seen for them.
    pub identities: Vec<String>,
    /// The role ARNs their sessions were of.
    pub roles: Vec<String>,
    /// IAM users (and root) they called as.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// The SAML / OIDC sign-ins behind their sessions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub federation: Vec<Federation>,
    pub used: Vec<PersonAction>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub denied: Vec<PersonDenied>,
}

/// A writer inside a shared role, with the write actions only they explain.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Writer {
    pub person: String,
    pub write_actions: Vec<String>,
}

/// A group of people of one role who use the same write actions (none: readers).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeopleGroup {
    pub people: Vec<String>,
    /// Every action the group used through the role (its own use only).
    pub actions: Vec<String>,
    pub write_actions: Vec<String>,
}

/// The people behind one role (or permission set).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RolePeople {
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission_set: Option<String>,
    pub people: Vec<String>,
    /// People who used only List and Read actions through the role.
    pub read_only: Vec<String>,
    pub writers: Vec<Writer>,
    /// The people grouped by the write actions they use: a permission set used by more than one
    /// group can be split into one set per group.
    pub groups: Vec<PeopleGroup>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct PeopleReport {
    pub people: Vec<PersonUsage>,
    /// Roles used by at least one person, with who used them how.
    pub roles: Vec<RolePeople>,
}

impl RolePeople {
    /// "PowerUser: 12 people; 10 used only read actions; the write actions come from 2 people".
    pub fn summary(&self) -> String {
        let name = self
            .permission_set
            .clone()
            .unwrap_or_else(|| role_key(&self.role).map(|(_, n)| n).unwrap_or_else(|| self.role.clone()));
        let n = self.people.len();
        let mut s = format!("{name}: {n} {}", if n == 1 { "person" } else { "people" });
        s.push_str(&format!("; {} used only read actions", self.read_only.len()));
        if !self.writers.is_empty() {
            let w: Vec<&str> = self.writers.iter().map(|w| w.person.as_str()).collect();
            s.push_str(&format!(
                "; the write actions come from {} {} ({})",
                w.len(),
                if w.len() == 1 { "person" } else { "people" },
                w.join(", ")
            ));
        }
        s
    }
}

/// True for actions that change something (Write, Permissions management, Tagging) or that
/// the catalog does not classify (counted as writes: not provably read-only).
pub fn is_write(action: &str) -> bool {
    !matches!(catalog().action(action).map(|a| a.access_level), Some(AccessLevel::List | AccessLevel::Read))
}

fn access_level(action: &str) -> String {
    catalog().action(action).map(|a| a.access_level.as_str().to_owned()).unwrap_or_default()
}

#[derive(Default)]
struct Acc {
    count: u64,
    first: i64,
    last: i64,
    roles: BTreeSet<String>,
}

impl Acc {
    fn add(&mut self, n: u64, first: i64, last: i64, role: &str) {
        if self.count == 0 {
            (self.first, self.last) = (first, last);
        }
        self.count += n;
        self.first = self.first.min(first);
        self.last = self.last.max(last);
        self.roles.insert(role.to_owned());
    }
}

#[derive(Default)]
struct PersonAcc {
    kind: Option<PersonKind>,
    identities: BTreeSet<String>,
    roles: BTreeSet<String>,
    users: BTreeSet<String>,
    federation: BTreeSet<Federation>,
    used: BTreeMap<(String, String), Acc>,
    denied: BTreeMap<String, Acc>,
}

/// Attribute the facts (and the federated sign-ins) to people.
pub fn build(facts: &[Fact], attribution: &Attribution) -> PeopleReport {
    let mut people: BTreeMap<String, PersonAcc> = BTreeMap::new();
    // (role, person) -> actions used through the role, the person's own calls only.
    let mut per_role: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in facts {
        let Some(o) = attribution.person_of(f) else { continue };
        let p = people.entry(o.person.clone()).or_default();
        // The most specific way the person was recognised wins (SSO over a bare session name).
        p.kind = Some(p.kind.map_or(o.kind, |k| k.min(o.kind)));
        p.identities.extend(o.identities);
        let is_role = matches!(f.principal_type.as_str(), "role" | "identity-center-user");
        if is_role {
            p.roles.insert(f.principal.clone());
        } else {
            p.users.insert(f.principal.clone());
        }
        if f.count > 0 {
            p.used.entry((f.action.clone(), f.via_service.clone())).or_default().add(
                f.count,
                f.first_seen,
                f.last_seen,
                &f.principal,
            );
            if is_role && f.via_service.is_empty() {
                per_role.entry(f.principal.clone()).or_default().entry(o.person).or_default().insert(f.action.clone());
            } else if is_role {
                per_role.entry(f.principal.clone()).or_default().entry(o.person).or_default();
            }
        } else if f.denied_count > 0 {
            p.denied.entry(f.action.clone()).or_default().add(f.denied_count, f.first_seen, f.last_seen, &f.principal);
        }
    }
    for c in &attribution.federated {
        let p = people.entry(c.person.clone()).or_default();
        let kind = if is_sso_role(&role_key(&c.role).map(|r| r.1).unwrap_or_default()) {
            PersonKind::Sso
        } else if c.action == "sts:AssumeRoleWithSAML" {
            PersonKind::Saml
        } else {
            PersonKind::WebIdentity
        };
        p.kind = Some(p.kind.map_or(kind, |k| k.min(kind)));
        p.identities.insert(c.person.clone());
        p.roles.insert(c.role.clone());
        p.federation.insert(c.federation.clone());
        if c.denied {
            p.denied.entry(c.action.to_owned()).or_default().add(1, c.time, c.time, &c.role);
        } else {
            p.used.entry((c.action.to_owned(), String::new())).or_default().add(1, c.time, c.time, &c.role);
        }
    }
    let people: Vec<PersonUsage> = people
        .into_iter()
        .map(|(person, p)| PersonUsage {
            kind: p.kind.unwrap_or(PersonKind::SessionName),
            identities: p.identities.into_iter().collect(),
            roles: p.roles.into_iter().collect(),
            users: p.users.into_iter().collect(),
            federation: p.federation.into_iter().collect(),
            used: p
                .used
                .into_iter()
                .map(|((action, via), acc)| PersonAction {
                    access_level: access_level(&action),
                    action,
                    count: acc.count,
                    first_seen: iso(acc.first),
                    last_seen: iso(acc.last),
                    principals: acc.roles.into_iter().collect(),
                    via_service: nonempty(&via),
                })
                .collect(),
            denied: p
                .denied
                .into_iter()
                .map(|(action, acc)| PersonDenied { action, count: acc.count, roles: acc.roles.into_iter().collect() })
                .collect(),
            person,
        })
        .collect();
    let roles = per_role.into_iter().map(|(role, by_person)| role_people(role, &by_person)).collect();
    PeopleReport { people, roles }
}

fn role_people(role: String, by_person: &BTreeMap<String, BTreeSet<String>>) -> RolePeople {
    let mut read_only = Vec::new();
    let mut writers = Vec::new();
    let mut groups: BTreeMap<Vec<String>, (Vec<String>, BTreeSet<String>)> = BTreeMap::new();
    for (person, actions) in by_person {
        let writes: Vec<String> = actions.iter().filter(|a| is_write(a)).cloned().collect();
        if writes.is_empty() {
            read_only.push(person.clone());
        } else {
            writers.push(Writer { person: person.clone(), write_actions: writes.clone() });
        }
        let g = groups.entry(writes).or_default();
        g.0.push(person.clone());
        g.1.extend(actions.iter().cloned());
    }
    RolePeople {
        permission_set: permission_set(&role),
        people: by_person.keys().cloned().collect(),
        read_only,
        writers,
        groups: groups
            .into_iter()
            .map(|(write_actions, (people, actions))| PeopleGroup {
                people,
                actions: actions.into_iter().collect(),
                write_actions,
            })
            .collect(),
        role,
    }
}

/// The identity events of the window: session creations (every AssumeRole* call of STS, failed
/// ones too) and events naming an Identity Center user. The one reader of these events: the
/// people report and the trust policy trimming both take them from here.
pub fn read_identity_events(lake: &Path, window: &Window) -> Result<Vec<IdentityEvent>> {
    const NAMES: &[&str] = &[
        "event_name",
        "identity_type",
        "identity_arn",
        "user_name",
        "principal_id",
        "session_name",
        "source_identity",
        "session_issuer_arn",
        "error_code",
        "user_identity",
        "request_parameters",
        "response_elements",
        "additional_event_data",
        "event_id",
        "account_id",
        "invoked_by",
    ];
    let wanted = col("event_name")
        .str()
        .starts_with(lit("AssumeRole"))
        .and(col("event_source").eq(lit("sts.amazonaws.com")))
        .or(col("user_identity").str().contains_literal(lit("onBehalfOf")))
        .or(col("additional_event_data").str().contains_literal(lit("identityStoreUserId")));
    let mut cols: Vec<Expr> = NAMES.iter().map(|n| col(*n)).collect();
    cols.push(col("event_time").cast(DataType::Int64));
    let df = crate::lake::scan_window(lake, window)?
        .filter(wanted)
        .select(cols)
        .collect()
        .map_err(anyhow::Error::from)
        .with_context(|| format!("reading the identity events of {}", lake.display()))?;
    let mut columns = Vec::with_capacity(NAMES.len());
    for n in NAMES {
        columns.push(df.column(n)?.str()?);
    }
    let time = df.column("event_time")?.i64()?;
    let get = |c: usize, i: usize| columns[c].get(i).unwrap_or("").to_owned();
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        out.push(IdentityEvent {
            time: time.get(i).unwrap_or(0),
            event_name: get(0, i),
            identity_type: get(1, i),
            identity_arn: get(2, i),
            user_name: get(3, i),
            principal_id: get(4, i),
            session_name: get(5, i),
            source_identity: get(6, i),
            session_issuer_arn: get(7, i),
            error_code: get(8, i),
            user_identity: get(9, i),
            request_parameters: get(10, i),
            response_elements: get(11, i),
            additional_event_data: get(12, i),
            event_id: get(13, i),
            account_id: get(14, i),
            invoked_by: get(15, i),
        });
    }
    Ok(out)
}

/// The people report of the window (of one role: `only`, whose facts `facts` are).
pub fn report(lake: &Path, window: &Window, facts: &[Fact], only: Option<&str>) -> Result<PeopleReport> {
    Ok(report_from(&read_identity_events(lake, window)?, facts, only))
}

/// The people report from identity events already read ([`read_identity_events`]).
pub fn report_from(events: &[IdentityEvent], facts: &[Fact], only: Option<&str>) -> PeopleReport {
    let mut attribution = Attribution::from_events(events);
    if let Some(only) = only {
        attribution.federated.retain(|c| c.role == only);
    }
    build(facts, &attribution)
}

#[cfg(test)]
mod tests;

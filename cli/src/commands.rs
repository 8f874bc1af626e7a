//! Each command: its arguments, the API calls it makes, what it prints.

use std::io::BufRead;

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{json, Value};

use crate::{
    api::Api,
    auth,
    config::{Profile, Store},
    output::{self, Column, Format},
    progress,
    texts::Lang,
    Failure,
};

#[derive(Args)]
pub struct LoginArgs {
    /// Print the sign-in address only; do not try to open a browser.
    #[arg(long)]
    no_browser: bool,
    /// Sign in as an API client (client credentials) rather than a person;
    /// its secret is read from BIBIND_CLIENT_SECRET, else from standard input.
    #[arg(long, env = "BIBIND_CLIENT_ID")]
    client_id: Option<String>,
    /// Scopes to ask for (repeat; default: all a person may have, or all
    /// the API client may have).
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Also the platform admins' scope: sign in with your second factor.
    #[arg(long, conflicts_with = "client_id")]
    admin: bool,
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// The organizations you belong to.
    List,
    /// One organization and its subscriptions.
    Show { slug: String },
    /// Creates an organization, with you as its owner.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        slug: String,
        /// ISO 3166-1 alpha-2 (FR, BE, …).
        #[arg(long)]
        country: String,
        #[arg(long)]
        billing_email: String,
    },
}

#[derive(Subcommand)]
pub enum MemberCommand {
    /// The organization's members.
    List { org: String },
    /// Invites someone by e-mail.
    Invite {
        org: String,
        #[arg(long)]
        email: String,
        /// owner, admin, member or learner.
        #[arg(long, default_value = "member")]
        role: String,
    },
    /// Gives a member another role.
    Role {
        org: String,
        member: String,
        role: String,
    },
    /// Removes a member.
    Remove { org: String, member: String },
}

#[derive(Subcommand)]
pub enum InvitationCommand {
    /// The invitations not yet accepted.
    List { org: String },
    /// Withdraws an invitation.
    Withdraw { org: String, id: String },
}

#[derive(Subcommand)]
pub enum BackupCommand {
    /// A subscription's backups (owners and admins), newest first.
    List { org: String, subscription: String },
    /// Takes a backup now.
    Take {
        org: String,
        subscription: String,
        /// Follow the backup to its end (a failure exits with 3).
        #[arg(long)]
        wait: bool,
    },
    /// Restores a backup into the subscription's service, replacing its data
    /// (the service stops meanwhile): the backup's own, or the new one of the
    /// same offer when the backup's was closed.
    Restore {
        org: String,
        subscription: String,
        backup: String,
        /// The organization's slug, typed again to confirm.
        #[arg(long)]
        confirm: String,
        /// Follow the restore to its end (a failure exits with 3).
        #[arg(long)]
        wait: bool,
    },
    /// Prints a link through which the backup downloads for 15 minutes.
    DownloadLink { org: String, backup: String },
    /// Downloads a backup into a file (Odoo's backup zip, or JSON lines).
    Download {
        org: String,
        backup: String,
        /// Where to write it.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Sets when the daily backup is taken (`HH:MM`, UTC).
    Schedule {
        org: String,
        subscription: String,
        time: String,
    },
}

#[derive(Subcommand)]
pub enum SubscriptionCommand {
    /// The organization's subscriptions.
    List { org: String },
    /// One subscription.
    Show { org: String, id: String },
    /// Subscribes to a plan.
    Create {
        org: String,
        #[arg(long)]
        plan: String,
        /// Follow provisioning to its end (a failure exits with 3).
        #[arg(long)]
        wait: bool,
    },
    /// Moves a subscription to another plan of its offer.
    ChangePlan {
        org: String,
        id: String,
        #[arg(long)]
        plan: String,
        /// The version last read (default: read it now).
        #[arg(long)]
        if_match: Option<String>,
        #[arg(long)]
        wait: bool,
    },
    /// Cancels a subscription.
    Cancel {
        org: String,
        id: String,
        #[arg(long)]
        if_match: Option<String>,
    },
    /// A subscription's job and its steps.
    Progress {
        org: String,
        id: String,
        #[arg(long)]
        wait: bool,
    },
    /// Its own domain: show, claim (`--set`), check, give up (`--remove`).
    Domain {
        org: String,
        id: String,
        /// Claims this domain (then create the records it lists).
        #[arg(long, conflicts_with_all = ["check", "remove"])]
        set: Option<String>,
        /// Checks the DNS records now.
        #[arg(long)]
        check: bool,
        #[arg(long)]
        remove: bool,
    },
    /// Adds or removes one of the plan's optional Odoo modules.
    Module {
        org: String,
        id: String,
        /// Its technical name (`website_blog`).
        module: String,
        #[arg(long)]
        remove: bool,
    },
}

#[derive(Subcommand)]
pub enum TrainingCommand {
    /// The training space's courses and who is in each.
    Courses { org: String },
    /// Puts members in a course (their ids, from `courses`).
    Assign {
        org: String,
        course: i64,
        #[arg(required = true)]
        learners: Vec<String>,
    },
    /// Takes members out of a course.
    Unassign {
        org: String,
        course: i64,
        #[arg(required = true)]
        learners: Vec<String>,
    },
    /// Uploads a learners' CSV file and prints its preview (nobody invited yet).
    Import { org: String, file: std::path::PathBuf },
    /// Sends the invitations of an uploaded file.
    Send { org: String, import: String },
}

#[derive(Subcommand)]
pub enum DeviceCommand {
    /// An IoT subscription's devices (every page).
    List {
        org: String,
        subscription: String,
        /// The names' beginning.
        #[arg(long)]
        search: Option<String>,
    },
    /// Registers a device; then `credentials` shows its password once.
    Register {
        org: String,
        subscription: String,
        name: String,
    },
    /// One device and how it connects.
    Show {
        org: String,
        subscription: String,
        device: String,
    },
    /// Removes a device.
    Remove {
        org: String,
        subscription: String,
        device: String,
    },
    /// Gives a device a new password (shown once by `credentials`).
    Rotate {
        org: String,
        subscription: String,
        device: String,
    },
    /// Turns a device off: it cannot connect.
    Disable {
        org: String,
        subscription: String,
        device: String,
    },
    /// Turns it on again.
    Enable {
        org: String,
        subscription: String,
        device: String,
    },
    /// Shows a device's password and how it connects, once.
    Credentials {
        org: String,
        subscription: String,
        device: String,
    },
    /// A device's activity and latest messages.
    Telemetry {
        org: String,
        subscription: String,
        device: String,
    },
    /// The commands last sent to a device.
    Commands {
        org: String,
        subscription: String,
        device: String,
    },
    /// Sends a command (JSON) to a device.
    Send {
        org: String,
        subscription: String,
        device: String,
        /// The command's JSON (`{"led":"on"}`).
        command: String,
    },
}

#[derive(Args)]
pub struct AuditArgs {
    org: String,
    #[command(flatten)]
    filter: AuditFilterArgs,
}

/// Which events of an audit log, and how they are printed.
#[derive(Args)]
pub struct AuditFilterArgs {
    /// An action or its prefix (`membership.`).
    #[arg(long)]
    action: Option<String>,
    /// The start of the actor's address.
    #[arg(long)]
    actor: Option<String>,
    /// From this day (YYYY-MM-DD, UTC).
    #[arg(long)]
    since: Option<String>,
    /// Up to this day, included.
    #[arg(long)]
    until: Option<String>,
    /// Every event selected as CSV (streamed to standard output).
    #[arg(long)]
    csv: bool,
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Tenants: search, show, approve, reject, suspend, resume, close.
    #[command(subcommand)]
    Tenants(TenantCommand),
    /// Approve or reject a subscription waiting for Bibind, override a quota.
    #[command(subcommand)]
    Subscriptions(AdminSubscriptionCommand),
    /// Retry or cancel a provisioning job.
    #[command(subcommand)]
    Jobs(JobCommand),
    /// The catalogue's plans: list, add, edit, retire, restore.
    #[command(subcommand)]
    Plans(PlanCommand),
    /// The platform's audit log, or its CSV export.
    Audit(PlatformAuditArgs),
}

#[derive(Subcommand)]
pub enum TenantCommand {
    /// Tenants by name (every page).
    List {
        /// Part of the name, the slug or the billing address.
        #[arg(long)]
        text: Option<String>,
        /// pending_approval, active, suspended or closed.
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        plan: Option<String>,
        #[arg(long)]
        country: Option<String>,
    },
    /// One tenant: members, subscriptions, latest jobs.
    Show { slug: String },
    /// Approves a tenant waiting for Bibind.
    Approve { slug: String },
    /// Rejects a tenant waiting for Bibind, with the reason it reads.
    Reject {
        slug: String,
        #[arg(long)]
        reason: String,
    },
    /// Suspends a tenant, with the reason its members read.
    Suspend {
        slug: String,
        #[arg(long)]
        reason: String,
    },
    /// Lifts a suspension.
    Resume {
        slug: String,
        #[arg(long)]
        reason: String,
    },
    /// Closes a tenant for good; its slug typed again as confirmation.
    Close {
        slug: String,
        #[arg(long)]
        confirm: String,
    },
}

#[derive(Subcommand)]
pub enum AdminSubscriptionCommand {
    /// Approves a subscription (or plan change) waiting for Bibind.
    Approve {
        id: String,
        /// Its version, as `admin tenants show` lists it.
        #[arg(long)]
        version: i64,
    },
    /// Rejects it, with the reason the customer reads.
    Reject {
        id: String,
        #[arg(long)]
        version: i64,
        #[arg(long)]
        reason: String,
    },
    /// Overrides one quota (`--limit` absent: back to the plan's).
    Quota {
        id: String,
        quota: String,
        #[arg(long)]
        limit: Option<u32>,
    },
}

#[derive(Subcommand)]
pub enum PlanCommand {
    /// Every plan, retired ones too.
    List,
    /// Adds a plan from a JSON file (`-` for standard input), as the API's
    /// reference describes it.
    Create { file: std::path::PathBuf },
    /// Replaces a plan's terms from a JSON file.
    Update {
        code: String,
        file: std::path::PathBuf,
        /// The version last read (`plans list`): refused if it changed since.
        /// Absent: whatever it is now.
        #[arg(long)]
        version: Option<i64>,
    },
    /// Takes a plan off sale; its subscriptions keep it.
    Retire {
        code: String,
        #[arg(long)]
        version: Option<i64>,
    },
    /// Puts a retired plan back on sale.
    Restore {
        code: String,
        #[arg(long)]
        version: Option<i64>,
    },
}

#[derive(Subcommand)]
pub enum JobCommand {
    /// Runs a failed job again from its failed step.
    Retry { id: String },
    /// Cancels a job not yet ended.
    Cancel { id: String },
}

#[derive(Args)]
pub struct PlatformAuditArgs {
    /// Only this tenant (slug).
    #[arg(long)]
    organization: Option<String>,
    #[command(flatten)]
    filter: AuditFilterArgs,
}

#[derive(Subcommand)]
pub enum ApiClientCommand {
    /// The organization's API clients.
    List { org: String },
    /// Makes an API client; its secret is printed once.
    Create {
        org: String,
        #[arg(long)]
        name: String,
        /// admin or member.
        #[arg(long, default_value = "member")]
        role: String,
        /// A scope its tokens may carry (repeat).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Days until it stops working (1 to 366; default: until revoked).
        #[arg(long)]
        days: Option<u32>,
    },
    /// Revokes an API client: its tokens stop working at once.
    Revoke { org: String, id: String },
}

const ORGANIZATION: &[Column] = &[
    ("SLUG", "slug"),
    ("NAME", "name"),
    ("ROLE", "role"),
    ("STATE", "state"),
    ("COUNTRY", "country"),
];
const MEMBER: &[Column] = &[("ID", "id"), ("EMAIL", "email"), ("ROLE", "role")];
const INVITATION: &[Column] = &[
    ("ID", "id"),
    ("EMAIL", "email"),
    ("ROLE", "role"),
    ("EXPIRES", "expires_on"),
];
const SUBSCRIPTION: &[Column] = &[
    ("ID", "id"),
    ("OFFER", "offer"),
    ("PLAN", "plan"),
    ("STATE", "state"),
    ("VERSION", "version"),
];
const TENANT: &[Column] = &[
    ("SLUG", "slug"),
    ("NAME", "name"),
    ("STATE", "state"),
    ("COUNTRY", "country"),
    ("MEMBERS", "members"),
    ("PLANS", "plans"),
];
const PLAN: &[Column] = &[
    ("CODE", "code"),
    ("OFFER", "offer"),
    ("PRICE (CENTS)", "monthly_price_cents"),
    ("SUBSCRIPTIONS", "subscriptions"),
    ("RETIRED", "retired_on"),
    ("VERSION", "version"),
];
const DEVICE: &[Column] = &[
    ("ID", "id"),
    ("NAME", "name"),
    ("STATUS", "status"),
    ("REGISTERED", "registered_on"),
];
const COMMAND: &[Column] = &[("AT", "at"), ("PAYLOAD", "payload"), ("RESULT", "result")];
const BACKUP: &[Column] = &[
    ("ID", "id"),
    ("TAKEN", "created_at"),
    ("STATE", "state"),
    ("SIZE", "size_bytes"),
    ("OFFSITE", "offsite"),
    ("EXPIRES", "expires_at"),
    ("VERIFIED", "verified_at"),
];
const AUDIT_EVENT: &[Column] = &[
    ("AT", "at"),
    ("ACTOR", "actor"),
    ("ACTION", "action"),
    ("TARGET", "target"),
];
const API_CLIENT: &[Column] = &[
    ("ID", "id"),
    ("NAME", "name"),
    ("ROLE", "role"),
    ("STATE", "state"),
    ("SCOPES", "scopes"),
    ("LAST USED", "last_used_at"),
];

/// `path` with the filters that have a value as its query.
fn with_query<const N: usize>(path: &str, filters: [(&str, Option<String>); N]) -> String {
    let query: Vec<String> = filters
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| format!("{name}={}", segment(&value))))
        .collect();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// A path segment, escaped (slugs and ids need none; anything typed may).
/// Streams `url` into `out` (through a temporary file beside it, renamed
/// once whole); the bytes written.
async fn download(http: &reqwest::Client, url: &str, out: &std::path::Path) -> Result<u64, Failure> {
    use std::io::Write;
    let mut response = http
        .get(url)
        .send()
        .await
        .map_err(|e| Failure::Http(format!("{url}: {e}")))?;
    if !response.status().is_success() {
        return Err(Failure::Http(format!(
            "{}: {}",
            response.status(),
            url.split("/backups/").next().unwrap_or(url)
        )));
    }
    let partial = out.with_extension("part");
    let mut file =
        std::fs::File::create(&partial).map_err(|e| Failure::Io(format!("{}: {e}", partial.display())))?;
    let mut written = 0u64;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| Failure::Http(format!("the download was cut: {e}")))?
    {
        file.write_all(&chunk)
            .map_err(|e| Failure::Io(format!("{}: {e}", partial.display())))?;
        written += chunk.len() as u64;
    }
    file.sync_all()
        .map_err(|e| Failure::Io(format!("{}: {e}", partial.display())))?;
    std::fs::rename(&partial, out).map_err(|e| Failure::Io(format!("{}: {e}", out.display())))?;
    Ok(written)
}

fn segment(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A command's context: the profile, its portal, the output format.
pub struct Session {
    http: reqwest::Client,
    store: Store,
    profile: String,
    portal: Option<String>,
    token: Option<String>,
    format: Format,
    lang: Lang,
}

impl Session {
    pub fn new(
        profile: String,
        portal: Option<String>,
        token: Option<String>,
        format: Format,
        lang: Lang,
    ) -> Result<Self, Failure> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("bibind/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure::Http(e.to_string()))?;
        let store = Store::new(crate::config::directory()?);
        let portal = match portal {
            Some(portal) => Some(portal.trim_end_matches('/').to_owned()),
            None => store
                .settings()?
                .profiles
                .get(&profile)
                .map(|kept| kept.portal.clone()),
        };
        Ok(Self {
            http,
            store,
            profile,
            portal,
            token,
            format,
            lang,
        })
    }

    fn portal(&self) -> Result<&str, Failure> {
        self.portal.as_deref().ok_or_else(|| {
            Failure::Usage(format!(
                "{} bibind login --profile {} --portal https://…",
                self.lang.pick(
                    "no portal known for this profile; run",
                    "aucun portail connu pour ce profil ; lancez"
                ),
                self.profile
            ))
        })
    }

    /// The API with a valid token: the one given, else the profile's,
    /// renewed (and kept) when it was out.
    async fn api(&self) -> Result<Api, Failure> {
        let portal = self.portal()?;
        if let Some(token) = &self.token {
            return Ok(Api::new(self.http.clone(), portal, token.clone(), self.lang));
        }
        let credentials = self.store.credentials()?;
        let kept = credentials
            .profiles
            .get(&self.profile)
            .ok_or(Failure::NotSignedIn)?;
        let fresh = auth::fresh(&self.http, kept).await?.ok_or(Failure::NotSignedIn)?;
        if fresh.access_token != kept.access_token {
            self.store.keep_tokens(&self.profile, fresh.clone())?;
        }
        Ok(Api::new(self.http.clone(), portal, fresh.access_token, self.lang))
    }

    fn print(&self, value: &Value, columns: &[Column]) {
        output::print(value, self.format, columns);
    }

    pub async fn login(&self, args: LoginArgs) -> Result<(), Failure> {
        let portal = self.portal()?.to_owned();
        let endpoints = auth::discover(&self.http, &portal).await?;
        let tokens = match &args.client_id {
            Some(client_id) => {
                let secret = client_secret()?;
                auth::client_credentials(
                    &self.http,
                    &endpoints.token_url,
                    client_id,
                    &secret,
                    &args.scopes.join(" "),
                )
                .await?
            }
            None => {
                let mut asked = if args.scopes.is_empty() {
                    auth::ALL_SCOPES.to_owned()
                } else {
                    args.scopes.join(" ")
                };
                if args.admin {
                    asked = format!("{asked} {}", auth::ADMIN_SCOPE);
                }
                let scope = format!("openid offline_access email {asked}");
                let prompt = auth::Prompt {
                    lang: self.lang,
                    open_browser: !args.no_browser,
                    second_factor: args.admin,
                };
                auth::sign_in(&self.http, &endpoints, &scope, &prompt).await?
            }
        };
        self.store.keep_tokens(&self.profile, tokens)?;
        let mut settings = self.store.settings()?;
        settings.profiles.insert(
            self.profile.clone(),
            Profile {
                portal: portal.clone(),
            },
        );
        self.store.save_settings(&settings)?;
        eprintln!(
            "{} {portal} ({} {})",
            self.lang.pick("Signed in to", "Connecté à"),
            self.lang.pick("profile", "profil"),
            self.profile
        );
        Ok(())
    }

    pub fn logout(&self) -> Result<(), Failure> {
        let had = self.store.forget_tokens(&self.profile)?;
        eprintln!(
            "{}",
            if had {
                self.lang.pick("Signed out.", "Déconnecté.")
            } else {
                self.lang.pick(
                    "This profile was not signed in.",
                    "Ce profil n'était pas connecté.",
                )
            }
        );
        Ok(())
    }

    pub fn profiles(&self) -> Result<(), Failure> {
        let settings = self.store.settings()?;
        let signed_in = self.store.credentials()?;
        let rows: Vec<Value> = settings
            .profiles
            .iter()
            .map(|(name, profile)| {
                json!({
                    "profile": name,
                    "portal": profile.portal,
                    "signed_in": signed_in.profiles.contains_key(name),
                })
            })
            .collect();
        self.print(
            &Value::Array(rows),
            &[
                ("PROFILE", "profile"),
                ("PORTAL", "portal"),
                ("SIGNED IN", "signed_in"),
            ],
        );
        Ok(())
    }

    pub async fn orgs(&self, command: OrgCommand) -> Result<(), Failure> {
        let api = self.api().await?;
        match command {
            OrgCommand::List => self.print(&api.list("/organizations").await?, ORGANIZATION),
            OrgCommand::Show { slug } => {
                let organization = api.get(&format!("/organizations/{}", segment(&slug))).await?.body;
                if self.format == Format::Table {
                    let mut fields = organization.clone();
                    let subscriptions = fields
                        .as_object_mut()
                        .and_then(|fields| fields.remove("subscriptions"))
                        .unwrap_or(Value::Null);
                    self.print(&fields, &[]);
                    output::write_out(b"\n");
                    self.print(&subscriptions, SUBSCRIPTION);
                } else {
                    self.print(&organization, &[]);
                }
            }
            OrgCommand::Create {
                name,
                slug,
                country,
                billing_email,
            } => {
                let body =
                    json!({"name": name, "slug": slug, "country": country, "billing_email": billing_email});
                let created = api
                    .change(Method::POST, "/organizations", Some(&body), None)
                    .await?;
                self.print(&created.body, &[]);
            }
        }
        Ok(())
    }

    pub async fn members(&self, command: MemberCommand) -> Result<(), Failure> {
        let api = self.api().await?;
        match command {
            MemberCommand::List { org } => self.print(
                &api.list(&format!("/organizations/{}/members", segment(&org)))
                    .await?,
                MEMBER,
            ),
            MemberCommand::Invite { org, email, role } => {
                let body = json!({"email": email, "role": role});
                let path = format!("/organizations/{}/invitations", segment(&org));
                api.change(Method::POST, &path, Some(&body), None).await?;
                eprintln!(
                    "{} {email}",
                    self.lang.pick("Invitation sent to", "Invitation envoyée à")
                );
            }
            MemberCommand::Role { org, member, role } => {
                let path = format!(
                    "/organizations/{}/members/{}/role",
                    segment(&org),
                    segment(&member)
                );
                api.change(Method::PUT, &path, Some(&json!({"role": role})), None)
                    .await?;
                eprintln!("{}", self.lang.pick("Role changed.", "Rôle changé."));
            }
            MemberCommand::Remove { org, member } => {
                let path = format!("/organizations/{}/members/{}", segment(&org), segment(&member));
                api.change(Method::DELETE, &path, None, None).await?;
                eprintln!("{}", self.lang.pick("Member removed.", "Membre retiré."));
            }
        }
        Ok(())
    }

    pub async fn invitations(&self, command: InvitationCommand) -> Result<(), Failure> {
        let api = self.api().await?;
        match command {
            InvitationCommand::List { org } => self.print(
                &api.list(&format!("/organizations/{}/invitations", segment(&org)))
                    .await?,
                INVITATION,
            ),
            InvitationCommand::Withdraw { org, id } => {
                let path = format!("/organizations/{}/invitations/{}", segment(&org), segment(&id));
                api.change(Method::DELETE, &path, None, None).await?;
                eprintln!(
                    "{}",
                    self.lang.pick("Invitation withdrawn.", "Invitation retirée.")
                );
            }
        }
        Ok(())
    }

    pub async fn subscriptions(&self, command: SubscriptionCommand) -> Result<(), Failure> {
        let api = self.api().await?;
        let one =
            |org: &str, id: &str| format!("/organizations/{}/subscriptions/{}", segment(org), segment(id));
        match command {
            SubscriptionCommand::List { org } => self.print(
                &api.list(&format!("/organizations/{}/subscriptions", segment(&org)))
                    .await?,
                SUBSCRIPTION,
            ),
            SubscriptionCommand::Show { org, id } => self.print(&api.get(&one(&org, &id)).await?.body, &[]),
            SubscriptionCommand::Create { org, plan, wait } => {
                let path = format!("/organizations/{}/subscriptions", segment(&org));
                let created = api
                    .change(Method::POST, &path, Some(&json!({"plan": plan})), None)
                    .await?;
                let id = created.body["id"].as_str().unwrap_or_default().to_owned();
                self.settle(&api, &one(&org, &id), created.body, wait).await?;
            }
            SubscriptionCommand::ChangePlan {
                org,
                id,
                plan,
                if_match,
                wait,
            } => {
                let path = one(&org, &id);
                let version = match if_match {
                    Some(version) => version,
                    None => api.get(&path).await?.etag.unwrap_or_default(),
                };
                let body = json!({"plan": plan});
                let changed = api
                    .change(Method::PUT, &format!("{path}/plan"), Some(&body), Some(&version))
                    .await?;
                self.settle(&api, &path, changed.body, wait).await?;
            }
            SubscriptionCommand::Cancel { org, id, if_match } => {
                let path = one(&org, &id);
                let version = match if_match {
                    Some(version) => version,
                    None => api.get(&path).await?.etag.unwrap_or_default(),
                };
                api.change(Method::DELETE, &path, None, Some(&version)).await?;
                eprintln!(
                    "{}",
                    self.lang.pick("Subscription cancelled.", "Abonnement résilié.")
                );
            }
            SubscriptionCommand::Domain {
                org,
                id,
                set,
                check,
                remove,
            } => {
                let path = format!("{}/domain", one(&org, &id));
                let answer = match (set, check, remove) {
                    (Some(domain), _, _) => {
                        api.change(Method::PUT, &path, Some(&json!({ "domain": domain })), None)
                            .await?
                    }
                    (None, true, _) => {
                        api.change(Method::POST, &format!("{path}/check"), None, None)
                            .await?
                    }
                    (None, false, true) => api.change(Method::DELETE, &path, None, None).await?,
                    (None, false, false) => api.get(&path).await?,
                };
                if answer.body.is_null() {
                    eprintln!("{}", self.lang.pick("Domain given up.", "Domaine abandonné."));
                } else {
                    self.print(&answer.body, &[]);
                }
            }
            SubscriptionCommand::Module {
                org,
                id,
                module,
                remove,
            } => {
                let path = format!("{}/modules/{}", one(&org, &id), segment(&module));
                let method = if remove { Method::DELETE } else { Method::PUT };
                api.change(method, &path, None, None).await?;
                eprintln!(
                    "{}",
                    self.lang.pick(
                        "Done; the engine installs or removes it.",
                        "C'est fait ; le moteur l'installe ou le retire."
                    )
                );
            }
            SubscriptionCommand::Progress { org, id, wait } => {
                let path = one(&org, &id);
                let progress = if wait {
                    progress::follow(&api, &format!("{path}/progress/events"), self.lang).await?
                } else {
                    api.get(&format!("{path}/progress")).await?.body
                };
                self.print(&progress, &[]);
            }
        }
        Ok(())
    }

    /// Prints a changed subscription, after following its job when asked.
    async fn settle(&self, api: &Api, path: &str, subscription: Value, wait: bool) -> Result<(), Failure> {
        if !wait {
            self.print(&subscription, &[]);
            return Ok(());
        }
        progress::follow(api, &format!("{path}/progress/events"), self.lang).await?;
        self.print(&api.get(path).await?.body, &[]);
        Ok(())
    }

    pub async fn backups(&self, command: BackupCommand) -> Result<(), Failure> {
        let api = self.api().await?;
        let subscription_path =
            |org: &str, id: &str| format!("/organizations/{}/subscriptions/{}", segment(org), segment(id));
        let backup_path =
            |org: &str, backup: &str| format!("/organizations/{}/backups/{}", segment(org), segment(backup));
        match command {
            BackupCommand::List { org, subscription } => {
                let answer = api
                    .get(&format!("{}/backups", subscription_path(&org, &subscription)))
                    .await?;
                self.print(&answer.body["backups"], BACKUP);
            }
            BackupCommand::Take {
                org,
                subscription,
                wait,
            } => {
                let path = subscription_path(&org, &subscription);
                let answer = api
                    .change(Method::POST, &format!("{path}/backups"), None, None)
                    .await?;
                if wait {
                    progress::follow(&api, &format!("{path}/progress/events"), self.lang).await?;
                }
                self.print(&answer.body, &[]);
            }
            BackupCommand::Restore {
                org,
                subscription,
                backup,
                confirm,
                wait,
            } => {
                let body = json!({ "confirmation": confirm, "into_subscription": subscription });
                let answer = api
                    .change(
                        Method::POST,
                        &format!("{}/restore", backup_path(&org, &backup)),
                        Some(&body),
                        None,
                    )
                    .await?;
                if wait {
                    let path = subscription_path(&org, &subscription);
                    progress::follow(&api, &format!("{path}/progress/events"), self.lang).await?;
                }
                self.print(&answer.body, &[]);
            }
            BackupCommand::DownloadLink { org, backup } => {
                let path = format!("{}/download-link", backup_path(&org, &backup));
                self.print(&api.change(Method::POST, &path, None, None).await?.body, &[]);
            }
            BackupCommand::Download { org, backup, out } => {
                let path = format!("{}/download-link", backup_path(&org, &backup));
                let link = api.change(Method::POST, &path, None, None).await?;
                let url = link.body["url"]
                    .as_str()
                    .ok_or_else(|| Failure::Http("the portal gave no download link".to_owned()))?;
                let written = download(&self.http, url, &out).await?;
                eprintln!(
                    "{}",
                    self.lang
                        .pick("{n} bytes written to {file}.", "{n} octets écrits dans {file}.")
                        .replace("{n}", &written.to_string())
                        .replace("{file}", &out.display().to_string())
                );
            }
            BackupCommand::Schedule {
                org,
                subscription,
                time,
            } => {
                let path = format!("{}/backup-schedule", subscription_path(&org, &subscription));
                let body = json!({ "time": time });
                api.change(Method::PUT, &path, Some(&body), None).await?;
                eprintln!("{}", self.lang.pick("Saved.", "Enregistré."));
            }
        }
        Ok(())
    }

    pub async fn devices(&self, command: DeviceCommand) -> Result<(), Failure> {
        let api = self.api().await?;
        let base = |org: &str, subscription: &str| {
            format!(
                "/organizations/{}/subscriptions/{}/devices",
                segment(org),
                segment(subscription)
            )
        };
        let one = |org: &str, subscription: &str, device: &str| {
            format!("{}/{}", base(org, subscription), segment(device))
        };
        let done = |api_answer: crate::api::Answer, said: (&'static str, &'static str)| {
            if api_answer.body.is_null() {
                eprintln!("{}", self.lang.pick(said.0, said.1));
            } else {
                self.print(&api_answer.body, &[]);
            }
        };
        match command {
            DeviceCommand::List {
                org,
                subscription,
                search,
            } => {
                let path = with_query(&base(&org, &subscription), [("search", search)]);
                self.print(&api.list(&path).await?, DEVICE);
            }
            DeviceCommand::Register {
                org,
                subscription,
                name,
            } => {
                let body = json!({ "name": name });
                let answer = api
                    .change(Method::POST, &base(&org, &subscription), Some(&body), None)
                    .await?;
                done(answer, ("Registered.", "Enregistré."));
            }
            DeviceCommand::Show {
                org,
                subscription,
                device,
            } => {
                self.print(&api.get(&one(&org, &subscription, &device)).await?.body, &[]);
            }
            DeviceCommand::Remove {
                org,
                subscription,
                device,
            } => {
                let answer = api
                    .change(Method::DELETE, &one(&org, &subscription, &device), None, None)
                    .await?;
                done(answer, ("Device removed.", "Appareil retiré."));
            }
            DeviceCommand::Rotate {
                org,
                subscription,
                device,
            } => {
                let path = format!("{}/rotate", one(&org, &subscription, &device));
                done(
                    api.change(Method::POST, &path, None, None).await?,
                    ("Rotating.", "Rotation en cours."),
                );
            }
            DeviceCommand::Disable {
                org,
                subscription,
                device,
            } => {
                self.device_switch(&api, &one(&org, &subscription, &device), false)
                    .await?
            }
            DeviceCommand::Enable {
                org,
                subscription,
                device,
            } => {
                self.device_switch(&api, &one(&org, &subscription, &device), true)
                    .await?
            }
            DeviceCommand::Credentials {
                org,
                subscription,
                device,
            } => {
                let path = format!("{}/credentials", one(&org, &subscription, &device));
                let answer = api.change(Method::POST, &path, None, None).await?;
                eprintln!(
                    "{}",
                    self.lang.pick(
                        "Keep the password now: it is shown this once.",
                        "Gardez le mot de passe maintenant : il n'est montré qu'une fois."
                    )
                );
                self.print(&answer.body, &[]);
            }
            DeviceCommand::Telemetry {
                org,
                subscription,
                device,
            } => {
                let path = format!("{}/telemetry", one(&org, &subscription, &device));
                self.print(&api.get(&path).await?.body, &[]);
            }
            DeviceCommand::Commands {
                org,
                subscription,
                device,
            } => {
                let path = format!("{}/commands", one(&org, &subscription, &device));
                self.print(&api.get(&path).await?.body, COMMAND);
            }
            DeviceCommand::Send {
                org,
                subscription,
                device,
                command,
            } => {
                let command: Value =
                    serde_json::from_str(&command).map_err(|e| Failure::Usage(format!("{command}: {e}")))?;
                let path = format!("{}/commands", one(&org, &subscription, &device));
                let answer = api
                    .change(Method::POST, &path, Some(&json!({ "command": command })), None)
                    .await?;
                self.print(&answer.body, &[]);
            }
        }
        Ok(())
    }

    /// Turns the device at `path` on or off.
    async fn device_switch(&self, api: &Api, path: &str, on: bool) -> Result<(), Failure> {
        let (change, said) = if on {
            ("enable", self.lang.pick("Enabled.", "Activé."))
        } else {
            ("disable", self.lang.pick("Disabled.", "Désactivé."))
        };
        api.change(Method::POST, &format!("{path}/{change}"), None, None)
            .await?;
        eprintln!("{said}");
        Ok(())
    }

    pub async fn training(&self, command: TrainingCommand) -> Result<(), Failure> {
        let api = self.api().await?;
        let assign = |org: &str, course: i64, change: &str| {
            format!("/organizations/{}/courses/{course}/{change}", segment(org))
        };
        match command {
            TrainingCommand::Courses { org } => {
                let training = api
                    .get(&format!("/organizations/{}/courses", segment(&org)))
                    .await?
                    .body;
                if self.format == Format::Table {
                    self.print(
                        &training["courses"],
                        &[
                            ("ID", "id"),
                            ("CODE", "code"),
                            ("NAME", "name"),
                            ("LEARNERS", "learners"),
                            ("DONE", "completed"),
                        ],
                    );
                } else {
                    self.print(&training, &[]);
                }
            }
            TrainingCommand::Assign {
                org,
                course,
                learners,
            } => {
                let body = json!({ "learners": learners });
                api.change(Method::POST, &assign(&org, course, "assign"), Some(&body), None)
                    .await?;
                eprintln!("{}", self.lang.pick("Assigned.", "Inscrits."));
            }
            TrainingCommand::Unassign {
                org,
                course,
                learners,
            } => {
                let body = json!({ "learners": learners });
                api.change(Method::POST, &assign(&org, course, "remove"), Some(&body), None)
                    .await?;
                eprintln!("{}", self.lang.pick("Taken out.", "Retirés."));
            }
            TrainingCommand::Import { org, file } => {
                let content = std::fs::read_to_string(&file)
                    .map_err(|e| Failure::Io(format!("{}: {e}", file.display())))?;
                let name = file.file_name().map_or_else(
                    || "learners.csv".to_owned(),
                    |name| name.to_string_lossy().into_owned(),
                );
                let body = json!({ "file_name": name, "content": content });
                let path = format!("/organizations/{}/learner-imports", segment(&org));
                let preview = api.change(Method::POST, &path, Some(&body), None).await?.body;
                self.print(&preview, &[]);
            }
            TrainingCommand::Send { org, import } => {
                let path = format!(
                    "/organizations/{}/learner-imports/{}/send",
                    segment(&org),
                    segment(&import)
                );
                let sent = api.change(Method::POST, &path, None, None).await?.body;
                self.print(&sent, &[]);
            }
        }
        Ok(())
    }

    pub async fn audit(&self, args: AuditArgs) -> Result<(), Failure> {
        let api = self.api().await?;
        let log = format!("/organizations/{}/audit", segment(&args.org));
        self.audit_at(&api, &log, None, args.filter).await
    }

    /// The events of the audit log at `log` that `filter` selects (and of
    /// one `organization`, for the platform's): every page as a table (or
    /// JSON, YAML), or the CSV export streamed to standard output.
    async fn audit_at(
        &self,
        api: &Api,
        log: &str,
        organization: Option<String>,
        filter: AuditFilterArgs,
    ) -> Result<(), Failure> {
        let path = &with_query(
            log,
            [
                ("organization", organization),
                ("action", filter.action),
                ("actor", filter.actor),
                ("since", filter.since),
                ("until", filter.until),
            ],
        );
        if filter.csv {
            let mut response = api.open(path, "text/csv").await?;
            while let Some(chunk) = response.chunk().await.map_err(|e| Failure::Http(e.to_string()))? {
                output::write_out(&chunk);
            }
            return Ok(());
        }
        self.print(&api.list(path).await?, AUDIT_EVENT);
        Ok(())
    }

    pub async fn admin(&self, command: AdminCommand) -> Result<(), Failure> {
        let api = self.api().await?;
        match command {
            AdminCommand::Tenants(command) => self.tenants(&api, command).await,
            AdminCommand::Subscriptions(command) => {
                let (path, body, version, method) = match command {
                    AdminSubscriptionCommand::Approve { id, version } => (
                        format!("/admin/subscriptions/{}/approve", segment(&id)),
                        json!({}),
                        Some(version),
                        Method::POST,
                    ),
                    AdminSubscriptionCommand::Reject { id, version, reason } => (
                        format!("/admin/subscriptions/{}/reject", segment(&id)),
                        json!({ "reason": reason }),
                        Some(version),
                        Method::POST,
                    ),
                    AdminSubscriptionCommand::Quota { id, quota, limit } => (
                        format!("/admin/subscriptions/{}/quotas/{}", segment(&id), segment(&quota)),
                        json!({ "limit": limit }),
                        None,
                        Method::PUT,
                    ),
                };
                let version = version.map(|version| format!("\"{version}\""));
                api.change(method, &path, Some(&body), version.as_deref()).await?;
                eprintln!("{}", self.lang.pick("Done.", "C'est fait."));
                Ok(())
            }
            AdminCommand::Jobs(command) => {
                let (id, action) = match command {
                    JobCommand::Retry { id } => (id, "retry"),
                    JobCommand::Cancel { id } => (id, "cancel"),
                };
                let path = format!("/admin/jobs/{}/{action}", segment(&id));
                api.change(Method::POST, &path, None, None).await?;
                eprintln!("{}", self.lang.pick("Done.", "C'est fait."));
                Ok(())
            }
            AdminCommand::Plans(command) => self.plans(&api, command).await,
            AdminCommand::Audit(args) => {
                self.audit_at(&api, "/admin/audit", args.organization, args.filter)
                    .await
            }
        }
    }

    async fn plans(&self, api: &Api, command: PlanCommand) -> Result<(), Failure> {
        let (path, method, body, version) = match command {
            PlanCommand::List => {
                self.print(&api.get("/admin/plans").await?.body, PLAN);
                return Ok(());
            }
            PlanCommand::Create { file } => (
                "/admin/plans".to_owned(),
                Method::POST,
                Some(json_file(&file)?),
                None,
            ),
            PlanCommand::Update { code, file, version } => (
                format!("/admin/plans/{}", segment(&code)),
                Method::PUT,
                Some(json_file(&file)?),
                Some(version),
            ),
            PlanCommand::Retire { code, version } => (
                format!("/admin/plans/{}/retire", segment(&code)),
                Method::POST,
                None,
                Some(version),
            ),
            PlanCommand::Restore { code, version } => (
                format!("/admin/plans/{}/restore", segment(&code)),
                Method::POST,
                None,
                Some(version),
            ),
        };
        // Against the version named, else against the plan as it is now.
        let version = version.map(|named| named.map_or_else(|| "*".to_owned(), |v| format!("\"{v}\"")));
        api.change(method, &path, body.as_ref(), version.as_deref())
            .await?;
        eprintln!("{}", self.lang.pick("Done.", "C'est fait."));
        Ok(())
    }

    async fn tenants(&self, api: &Api, command: TenantCommand) -> Result<(), Failure> {
        let (slug, action, body) = match command {
            TenantCommand::List {
                text,
                state,
                plan,
                country,
            } => {
                let path = with_query(
                    "/admin/organizations",
                    [
                        ("text", text),
                        ("state", state),
                        ("plan", plan),
                        ("country", country),
                    ],
                );
                self.print(&api.list(&path).await?, TENANT);
                return Ok(());
            }
            TenantCommand::Show { slug } => {
                let tenant = api
                    .get(&format!("/admin/organizations/{}", segment(&slug)))
                    .await?
                    .body;
                self.print(&tenant, &[]);
                return Ok(());
            }
            TenantCommand::Approve { slug } => (slug, "approve", json!({})),
            TenantCommand::Reject { slug, reason } => (slug, "reject", json!({ "reason": reason })),
            TenantCommand::Suspend { slug, reason } => (slug, "suspend", json!({ "reason": reason })),
            TenantCommand::Resume { slug, reason } => (slug, "resume", json!({ "reason": reason })),
            TenantCommand::Close { slug, confirm } => (slug, "close", json!({ "confirmation": confirm })),
        };
        let tenant = format!("/admin/organizations/{}", segment(&slug));
        // The action is made against the version just read.
        let version = api.get(&tenant).await?.etag.unwrap_or_default();
        api.change(
            Method::POST,
            &format!("{tenant}/{action}"),
            Some(&body),
            Some(&version),
        )
        .await?;
        eprintln!("{}", self.lang.pick("Done.", "C'est fait."));
        Ok(())
    }

    pub async fn api_clients(&self, command: ApiClientCommand) -> Result<(), Failure> {
        let api = self.api().await?;
        match command {
            ApiClientCommand::List { org } => self.print(
                &api.list(&format!("/organizations/{}/api-clients", segment(&org)))
                    .await?,
                API_CLIENT,
            ),
            ApiClientCommand::Create {
                org,
                name,
                role,
                scopes,
                days,
            } => {
                let body = json!({"name": name, "role": role, "scopes": scopes, "lifetime_days": days});
                let path = format!("/organizations/{}/api-clients", segment(&org));
                let created = api.change(Method::POST, &path, Some(&body), None).await?;
                eprintln!(
                    "{}",
                    self.lang.pick(
                        "Keep the secret now: it is shown this once.",
                        "Gardez le secret maintenant : il n'est montré qu'une fois."
                    )
                );
                self.print(&created.body, &[]);
            }
            ApiClientCommand::Revoke { org, id } => {
                let path = format!("/organizations/{}/api-clients/{}", segment(&org), segment(&id));
                api.change(Method::DELETE, &path, None, None).await?;
                eprintln!(
                    "{}",
                    self.lang.pick("API client revoked.", "Client d'API révoqué.")
                );
            }
        }
        Ok(())
    }
}

/// A JSON document from `file` (`-`: standard input).
fn json_file(file: &std::path::Path) -> Result<Value, Failure> {
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| Failure::Io(e.to_string()))?
    } else {
        std::fs::read_to_string(file).map_err(|e| Failure::Io(format!("{}: {e}", file.display())))?
    };
    serde_json::from_str(&text).map_err(|e| Failure::Usage(format!("{}: {e}", file.display())))
}

/// An API client's secret: `BIBIND_CLIENT_SECRET`, else standard input's first line.
fn client_secret() -> Result<String, Failure> {
    if let Ok(secret) = std::env::var("BIBIND_CLIENT_SECRET") {
        if !secret.is_empty() {
            return Ok(secret);
        }
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::Io(e.to_string()))?;
    let secret = line.trim().to_owned();
    if secret.is_empty() {
        return Err(Failure::Usage(
            "the client's secret: in BIBIND_CLIENT_SECRET or on standard input".to_owned(),
        ));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::segment;

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(segment("acme-01"), "acme-01");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }
}

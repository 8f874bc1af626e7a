//! Odoo through its external JSON-RPC API (`POST /jsonrpc`, services `db`,
//! `common`, `object`). One client serves any number of Odoo servers and
//! databases: the instance names both. Odoo answers its errors with HTTP 200
//! and an `error` member whose `data.name` is the Python exception: those are
//! decoded here into [`BackendError`].

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use serde_json::{json, Value};

mod database_manager;

use super::{object_storage::ByteStream, BackendError};

const BACKEND: &str = "odoo";

/// `create_database` is synchronous and installs `base`: minutes on a real server.
const DATABASE_CREATION_TIMEOUT: Duration = Duration::from_secs(600);

/// One Odoo database and the administrator the control plane acts as.
#[derive(Clone, PartialEq, Eq)]
pub struct OdooInstance {
    /// The server's base URL, without `/jsonrpc`.
    pub url: String,
    pub database: String,
    pub admin_login: String,
    pub admin_password: String,
    /// The database's language at creation, e.g. `fr_FR`.
    pub lang: String,
}

debug_without_secrets!(OdooInstance {
    url,
    database,
    admin_login,
    lang
});

/// An `auth.oauth.provider` record: the portal's OpenID provider as
/// Odoo's sign-in button, signing in with OCA `auth_oidc`'s authorization
/// code flow (`id_token_code`: the code exchanged with the client secret
/// and PKCE, the ID token checked against the provider's keys).
#[derive(Clone, PartialEq, Eq)]
pub struct OdooOAuthProvider {
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
    pub auth_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub validation_endpoint: String,
    pub scope: String,
    /// The button's label (`body`).
    pub label: String,
}

debug_without_secrets!(OdooOAuthProvider {
    name,
    client_id,
    auth_endpoint,
    token_endpoint,
    jwks_uri,
    validation_endpoint,
    scope,
    label
});

/// How a sign-in into this Odoo starts, as its own sign-in page would link
/// it: the provider record the callback looks up (`state.p`) and the PKCE
/// challenge of the provider's one `code_verifier`. Both are public (every
/// sign-in link carries them); the verifier stays in Odoo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OdooSignIn {
    pub provider_id: i64,
    pub code_challenge: String,
}

/// auth_oidc's `flow` for the authorization code flow.
const AUTHORIZATION_CODE_FLOW: &str = "id_token_code";

/// An internal `res.users` signing in through the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OdooUser {
    pub login: String,
    pub name: String,
    pub email: String,
    /// The subject at the provider (`oauth_uid`).
    pub oauth_uid: Option<String>,
    /// Its groups among [`MANAGED_GROUPS`], by external id: the others of
    /// them are taken away; groups Bibind does not manage are left alone.
    pub groups: Vec<&'static str>,
}

/// The groups Bibind gives and takes away by role.
pub const MANAGED_GROUPS: [&str; 4] = [
    "base.group_user",
    "base.group_system",
    "sales_team.group_sale_salesman",
    "website_slides.group_website_slides_manager",
];

/// What a database holds, for the reconciler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedOdoo {
    /// Technical names of the installed modules, sorted.
    pub installed_modules: Vec<String>,
    /// Names of the `auth.oauth.provider` records (empty without `auth_oauth`).
    pub oauth_providers: Vec<String>,
    /// Active internal users (the training offer's seats).
    pub internal_users: u32,
    /// The users who sign in through a provider, archived ones too.
    pub provider_users: Vec<ObservedUser>,
    /// The main website's own domain as Odoo keeps it (`https://…`);
    /// `None` without one (or without `website`).
    pub website_domain: Option<String>,
}

/// A user who signs in through a provider, as the reconciler compares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedUser {
    pub login: String,
    /// The provider's name.
    pub provider: String,
    /// The subject at the provider.
    pub oauth_uid: String,
    pub active: bool,
    /// Its groups among [`MANAGED_GROUPS`], by external id, sorted.
    pub groups: Vec<&'static str>,
}

/// A course (`slide.channel`) as the portal lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OdooCourse {
    pub id: i64,
    pub name: String,
    /// Its published contents (`total_slides`).
    pub contents: u32,
    /// Its page on the website, without the host (`/slides/<slug>-<id>`).
    pub website_path: String,
    pub published: bool,
}

/// A course membership (`slide.channel.partner`) of a user who signs in
/// through a provider, archived ones too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedEnrolment {
    pub course_id: i64,
    /// The provider's name and the user's subject there.
    pub provider: String,
    pub oauth_uid: String,
    pub active: bool,
    /// Percent of the course's contents done.
    pub completion: u8,
    /// The membership's last change (a content done, a join), UTC.
    pub last_activity: Option<time::OffsetDateTime>,
}

/// What an eLearning space holds, for the portal's Courses page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedTraining {
    pub courses: Vec<OdooCourse>,
    pub enrolments: Vec<ObservedEnrolment>,
}

#[async_trait::async_trait]
pub trait Odoo: Send + Sync {
    /// Creates the database unless it exists (`db_exist`, `create_database`).
    async fn ensure_database(&self, instance: &OdooInstance) -> Result<(), BackendError>;
    /// Installs those of `modules` (and their dependencies) not installed yet.
    async fn ensure_modules(&self, instance: &OdooInstance, modules: &[&str]) -> Result<(), BackendError>;
    /// Uninstalls those of `modules` that are installed (and, as Odoo does,
    /// the installed modules that depend on them).
    async fn uninstall_modules(&self, instance: &OdooInstance, modules: &[&str]) -> Result<(), BackendError>;
    /// The main company and, with `website`, the website named `name` (what
    /// the storefront's title, header and footer show) answering to the
    /// owner's own `domain`, or to none.
    async fn ensure_website(
        &self,
        instance: &OdooInstance,
        name: &str,
        domain: Option<&str>,
    ) -> Result<(), BackendError>;
    /// The provider named `provider.name`, created or corrected; how a
    /// sign-in through it starts.
    async fn ensure_oauth_provider(
        &self,
        instance: &OdooInstance,
        provider: &OdooOAuthProvider,
    ) -> Result<OdooSignIn, BackendError>;
    /// The internal user of that login, created or corrected (re-activated
    /// if archived); its id.
    async fn ensure_user(
        &self,
        instance: &OdooInstance,
        provider_id: i64,
        user: &OdooUser,
    ) -> Result<i64, BackendError>;
    /// Archives the active users signing in through `provider_id` whose
    /// subject is not in `keep` (people who left); their ids.
    async fn archive_other_users(
        &self,
        instance: &OdooInstance,
        provider_id: i64,
        keep: &[String],
    ) -> Result<Vec<i64>, BackendError>;
    /// The courses and the memberships of users signing in through a
    /// provider; `None` without `website_slides`.
    async fn observe_training(
        &self,
        instance: &OdooInstance,
    ) -> Result<Option<ObservedTraining>, BackendError>;
    /// Puts the users signing in through `provider_id` with the subjects
    /// `enrol` in course `course_id` (as a manager granting access does:
    /// archived memberships restored) and archives the memberships of
    /// those in `end` (their progress stays in Odoo).
    async fn set_enrolments(
        &self,
        instance: &OdooInstance,
        provider_id: i64,
        course_id: i64,
        enrol: &[String],
        end: &[String],
    ) -> Result<(), BackendError>;
    /// Active internal users (`share = false`), for the training seat limit.
    async fn count_users(&self, instance: &OdooInstance) -> Result<u32, BackendError>;
    /// Drops the database; an absent one counts as dropped.
    async fn drop_database(&self, instance: &OdooInstance) -> Result<(), BackendError>;
    /// `None` when the database does not exist.
    async fn observe(&self, instance: &OdooInstance) -> Result<Option<ObservedOdoo>, BackendError>;
    async fn database_exists(&self, instance: &OdooInstance) -> Result<bool, BackendError>;
    /// The database and its files as Odoo's backup zip, streamed.
    async fn backup(&self, instance: &OdooInstance) -> Result<ByteStream, BackendError>;
    /// Restores Odoo's backup zip as the database `instance.database`,
    /// which must not exist.
    async fn restore(&self, instance: &OdooInstance, backup: ByteStream) -> Result<(), BackendError>;
    /// Renames the database `instance.database` to `new_name`.
    async fn rename_database(&self, instance: &OdooInstance, new_name: &str) -> Result<(), BackendError>;
    /// Gives the administrator (signing in with `instance.admin_password`)
    /// the password `new_password`.
    async fn set_admin_password(
        &self,
        instance: &OdooInstance,
        new_password: &str,
    ) -> Result<(), BackendError>;
}

/// The JSON-RPC client.
pub struct OdooClient {
    http: reqwest::Client,
    /// Backups and restores (`database_manager.rs`).
    manager: reqwest::Client,
    master_password: String,
    database_timeout: Duration,
    next_request_id: AtomicU64,
}

impl OdooClient {
    /// `timeout` bounds each call but `create_database` (see
    /// [`Self::with_database_creation_timeout`]).
    pub fn new(master_password: impl Into<String>, timeout: Duration) -> Result<Self, BackendError> {
        let http = super::client_with_timeout(BACKEND, timeout)?;
        Ok(Self {
            http,
            manager: database_manager::manager_client()?,
            master_password: master_password.into(),
            database_timeout: DATABASE_CREATION_TIMEOUT,
            next_request_id: AtomicU64::new(1),
        })
    }

    /// How long `create_database` may take (10 minutes by default).
    pub fn with_database_creation_timeout(mut self, timeout: Duration) -> Self {
        self.database_timeout = timeout;
        self
    }

    async fn call(
        &self,
        url: &str,
        service: &str,
        method: &str,
        args: Value,
        timeout: Option<Duration>,
    ) -> Result<Value, BackendError> {
        let id = self.next_request_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": id,
        });
        let mut request = self
            .http
            .post(format!("{}/jsonrpc", url.trim_end_matches('/')))
            .json(&body);
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        let super::Answer {
            status, body: text, ..
        } = super::exchange(BACKEND, request).await?;
        if !status.is_success() {
            return Err(BackendError::from_status(BACKEND, status, &text));
        }
        let answer: Value = serde_json::from_str(&text).map_err(|_| {
            BackendError::refused(BACKEND, format!("{service}.{method}: the answer is not JSON-RPC"))
        })?;
        if let Some(error) = answer.get("error") {
            return Err(rpc_error(service, method, error));
        }
        // Odoo leaves `result` out when the method returned `None`
        // (`_json_response`), as `action_grant_access` does.
        Ok(answer.get("result").cloned().unwrap_or(Value::Null))
    }

    /// The administrator's uid; a refused login is an error (Odoo answers `false`).
    async fn login(&self, instance: &OdooInstance) -> Result<i64, BackendError> {
        let args = json!([
            instance.database,
            instance.admin_login,
            instance.admin_password,
            {}
        ]);
        let uid = self
            .call(&instance.url, "common", "authenticate", args, None)
            .await?;
        uid.as_i64().ok_or_else(|| {
            BackendError::refused(
                BACKEND,
                format!(
                    "the administrator login of database {} was refused",
                    instance.database
                ),
            )
        })
    }

    async fn execute(
        &self,
        instance: &OdooInstance,
        uid: i64,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
    ) -> Result<Value, BackendError> {
        let call_args = json!([
            instance.database,
            uid,
            instance.admin_password,
            model,
            method,
            args,
            kwargs
        ]);
        self.call(&instance.url, "object", "execute_kw", call_args, None)
            .await
    }

    /// Archives the active records of `model` matching `domain`; returns
    /// their ids.
    async fn archive_where(
        &self,
        instance: &OdooInstance,
        uid: i64,
        model: &str,
        domain: Value,
    ) -> Result<Vec<i64>, BackendError> {
        let found = self
            .execute(instance, uid, model, "search", json!([domain]), json!({}))
            .await?;
        let ids: Vec<i64> = found
            .as_array()
            .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        if !ids.is_empty() {
            self.execute(
                instance,
                uid,
                model,
                "write",
                json!([ids, {"active": false}]),
                json!({}),
            )
            .await?;
        }
        Ok(ids)
    }

    async fn search_read(
        &self,
        instance: &OdooInstance,
        uid: i64,
        model: &str,
        domain: Value,
        fields: &[&str],
    ) -> Result<Vec<Value>, BackendError> {
        // Archived records too: a login or a name is unique across them.
        let kwargs = json!({"fields": fields, "context": {"active_test": false}});
        let records = self
            .execute(instance, uid, model, "search_read", json!([domain]), kwargs)
            .await?;
        match records {
            Value::Array(records) => Ok(records),
            _ => Err(unexpected(model, "search_read")),
        }
    }

    async fn exists(&self, instance: &OdooInstance) -> Result<bool, BackendError> {
        let exists = self
            .call(&instance.url, "db", "db_exist", json!([instance.database]), None)
            .await?;
        exists.as_bool().ok_or_else(|| unexpected("db", "db_exist"))
    }

    async fn module_states(
        &self,
        instance: &OdooInstance,
        uid: i64,
        names: &[&str],
    ) -> Result<Vec<(i64, String, String)>, BackendError> {
        let records = self
            .search_read(
                instance,
                uid,
                "ir.module.module",
                json!([["name", "in", names]]),
                &["name", "state"],
            )
            .await?;
        records
            .iter()
            .map(|record| {
                let id = record["id"].as_i64();
                let name = record["name"].as_str();
                let state = record["state"].as_str();
                match (id, name, state) {
                    (Some(id), Some(name), Some(state)) => Ok((id, name.to_owned(), state.to_owned())),
                    _ => Err(unexpected("ir.module.module", "search_read")),
                }
            })
            .collect()
    }

    /// The field holding a user's groups: renamed in Odoo 19.
    async fn groups_field(&self, instance: &OdooInstance) -> Result<&'static str, BackendError> {
        let version = self
            .call(&instance.url, "common", "version", json!([]), None)
            .await?;
        let major = version["server_version_info"][0].as_i64().unwrap_or(0);
        Ok(if major >= 19 { "group_ids" } else { "groups_id" })
    }

    async fn provider_users(
        &self,
        instance: &OdooInstance,
        uid: i64,
    ) -> Result<Vec<ObservedUser>, BackendError> {
        let groups_field = self.groups_field(instance).await?;
        let managed = self.managed_groups(instance, uid).await?;
        let users = self
            .search_read(
                instance,
                uid,
                "res.users",
                json!([["oauth_provider_id", "!=", false]]),
                &["login", "active", "oauth_provider_id", "oauth_uid", groups_field],
            )
            .await?;
        Ok(users
            .iter()
            .map(|user| {
                let ids: Vec<i64> = user[groups_field]
                    .as_array()
                    .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
                    .unwrap_or_default();
                let mut groups: Vec<&'static str> = managed
                    .iter()
                    .filter(|(_, id)| ids.contains(id))
                    .map(|(xml_id, _)| *xml_id)
                    .collect();
                groups.sort_unstable();
                let text = |field: &str| user[field].as_str().unwrap_or_default().to_owned();
                ObservedUser {
                    login: text("login"),
                    // A many2one reads as `[id, name]`.
                    provider: user["oauth_provider_id"][1]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    oauth_uid: text("oauth_uid"),
                    active: user["active"] == true,
                    groups,
                }
            })
            .collect())
    }

    /// The [`MANAGED_GROUPS`] this database has (a module not installed has
    /// none of its groups): external id and record id.
    async fn managed_groups(
        &self,
        instance: &OdooInstance,
        uid: i64,
    ) -> Result<Vec<(&'static str, i64)>, BackendError> {
        let records = self
            .search_read(
                instance,
                uid,
                "ir.model.data",
                json!([["model", "=", "res.groups"]]),
                &["module", "name", "res_id"],
            )
            .await?;
        let found: Vec<(&'static str, i64)> = MANAGED_GROUPS
            .iter()
            .filter_map(|xml_id| {
                let (module, name) = xml_id.split_once('.')?;
                let record = records
                    .iter()
                    .find(|record| record["module"] == module && record["name"] == name)?;
                Some((*xml_id, record["res_id"].as_i64()?))
            })
            .collect();
        if !found.iter().any(|(xml_id, _)| *xml_id == "base.group_user") {
            return Err(BackendError::refused(
                BACKEND,
                "base.group_user is missing from ir.model.data",
            ));
        }
        Ok(found)
    }

    async fn count_internal_users(&self, instance: &OdooInstance, uid: i64) -> Result<u32, BackendError> {
        let count = self
            .execute(
                instance,
                uid,
                "res.users",
                "search_count",
                json!([[["share", "=", false]]]),
                json!({}),
            )
            .await?;
        count
            .as_u64()
            .and_then(|count| u32::try_from(count).ok())
            .ok_or_else(|| unexpected("res.users", "search_count"))
    }
}

#[async_trait::async_trait]
impl Odoo for OdooClient {
    async fn ensure_database(&self, instance: &OdooInstance) -> Result<(), BackendError> {
        if self.exists(instance).await? {
            return Ok(());
        }
        let args = json!([
            self.master_password,
            instance.database,
            false,
            instance.lang,
            instance.admin_password,
            instance.admin_login,
            null,
            null,
        ]);
        match self
            .call(
                &instance.url,
                "db",
                "create_database",
                args,
                Some(self.database_timeout),
            )
            .await
        {
            Ok(_) => Ok(()),
            // Created meanwhile by another attempt: that is the state wanted.
            Err(error) if error.to_string().contains("DatabaseExists") => Ok(()),
            Err(error) => Err(error),
        }
    }

    async fn ensure_modules(&self, instance: &OdooInstance, modules: &[&str]) -> Result<(), BackendError> {
        if modules.is_empty() {
            return Ok(());
        }
        let uid = self.login(instance).await?;
        let states = self.module_states(instance, uid, modules).await?;
        if let Some(unknown) = modules
            .iter()
            .find(|name| !states.iter().any(|(_, known, _)| known == *name))
        {
            return Err(BackendError::refused(
                BACKEND,
                format!("Odoo has no module named {unknown}"),
            ));
        }
        let to_install: Vec<i64> = states
            .iter()
            .filter(|(_, _, state)| state != "installed")
            .map(|(id, _, _)| *id)
            .collect();
        if to_install.is_empty() {
            return Ok(());
        }
        self.execute(
            instance,
            uid,
            "ir.module.module",
            "button_immediate_install",
            json!([to_install]),
            json!({}),
        )
        .await?;
        let states = self.module_states(instance, uid, modules).await?;
        match states.iter().find(|(_, _, state)| state != "installed") {
            Some((_, name, state)) => Err(BackendError::transient(
                BACKEND,
                format!("module {name} is {state} after its installation"),
            )),
            None => Ok(()),
        }
    }

    async fn uninstall_modules(&self, instance: &OdooInstance, modules: &[&str]) -> Result<(), BackendError> {
        if modules.is_empty() {
            return Ok(());
        }
        let uid = self.login(instance).await?;
        let installed = |states: &[(i64, String, String)]| -> Vec<i64> {
            states
                .iter()
                .filter(|(_, _, state)| state == "installed")
                .map(|(id, _, _)| *id)
                .collect()
        };
        let to_remove = installed(&self.module_states(instance, uid, modules).await?);
        if to_remove.is_empty() {
            return Ok(());
        }
        self.execute(
            instance,
            uid,
            "ir.module.module",
            "button_immediate_uninstall",
            json!([to_remove]),
            json!({}),
        )
        .await?;
        let states = self.module_states(instance, uid, modules).await?;
        match states.iter().find(|(_, _, state)| state == "installed") {
            Some((_, name, _)) => Err(BackendError::transient(
                BACKEND,
                format!("module {name} is still installed after its removal"),
            )),
            None => Ok(()),
        }
    }

    async fn ensure_website(
        &self,
        instance: &OdooInstance,
        name: &str,
        domain: Option<&str>,
    ) -> Result<(), BackendError> {
        let uid = self.login(instance).await?;
        // Odoo keeps a website's domain with its scheme (`_handle_domain`).
        let domain = domain.map_or(json!(false), |domain| json!(format!("https://{domain}")));
        let installed = self.module_states(instance, uid, &["website"]).await?;
        let has_website = installed.iter().any(|(_, _, state)| state == "installed");
        // The main company is the first; the default website too.
        let mut models = vec!["res.company"];
        if has_website {
            models.push("website");
        }
        for model in models {
            let (fields, wanted) = if model == "website" {
                (vec!["name", "domain"], json!({"name": name, "domain": domain}))
            } else {
                (vec!["name"], json!({"name": name}))
            };
            let found = self.search_read(instance, uid, model, json!([]), &fields).await?;
            let Some(record) = found.iter().min_by_key(|record| record["id"].as_i64()) else {
                return Err(unexpected(model, "search_read"));
            };
            let differs = fields.iter().any(|field| record[*field] != wanted[*field]);
            if differs {
                let id = record["id"]
                    .as_i64()
                    .ok_or_else(|| unexpected(model, "search_read"))?;
                self.execute(instance, uid, model, "write", json!([[id], wanted]), json!({}))
                    .await?;
            }
        }
        Ok(())
    }

    async fn ensure_oauth_provider(
        &self,
        instance: &OdooInstance,
        provider: &OdooOAuthProvider,
    ) -> Result<OdooSignIn, BackendError> {
        let uid = self.login(instance).await?;
        let wanted = json!({
            "name": provider.name,
            "flow": AUTHORIZATION_CODE_FLOW,
            "client_id": text_field(&provider.client_id),
            "client_secret": text_field(&provider.client_secret),
            "auth_endpoint": provider.auth_endpoint,
            "token_endpoint": text_field(&provider.token_endpoint),
            "jwks_uri": text_field(&provider.jwks_uri),
            "validation_endpoint": text_field(&provider.validation_endpoint),
            "data_endpoint": false,
            "scope": text_field(&provider.scope),
            "body": provider.label,
            "enabled": true,
        });
        let fields: Vec<&str> = PROVIDER_FIELDS.to_vec();
        let found = self
            .search_read(
                instance,
                uid,
                "auth.oauth.provider",
                json!([["name", "=", provider.name]]),
                &fields,
            )
            .await?;
        let id = match found.first() {
            None => self
                .execute(
                    instance,
                    uid,
                    "auth.oauth.provider",
                    "create",
                    json!([wanted]),
                    json!({}),
                )
                .await?
                .as_i64()
                .ok_or_else(|| unexpected("auth.oauth.provider", "create"))?,
            Some(existing) => {
                let id = existing["id"]
                    .as_i64()
                    .ok_or_else(|| unexpected("auth.oauth.provider", "search_read"))?;
                let drift = drifted(existing, &wanted);
                if !drift.is_empty() {
                    self.execute(
                        instance,
                        uid,
                        "auth.oauth.provider",
                        "write",
                        json!([[id], drift]),
                        json!({}),
                    )
                    .await?;
                }
                id
            }
        };
        // Odoo made the verifier when it created the provider.
        let read = self
            .execute(
                instance,
                uid,
                "auth.oauth.provider",
                "read",
                json!([[id], ["code_verifier"]]),
                json!({}),
            )
            .await?;
        let verifier = read[0]["code_verifier"]
            .as_str()
            .filter(|verifier| !verifier.is_empty())
            .ok_or_else(|| unexpected("auth.oauth.provider", "read"))?;
        let challenge = oauth2::PkceCodeChallenge::from_code_verifier_sha256(&oauth2::PkceCodeVerifier::new(
            verifier.to_owned(),
        ));
        Ok(OdooSignIn {
            provider_id: id,
            code_challenge: challenge.as_str().to_owned(),
        })
    }

    async fn ensure_user(
        &self,
        instance: &OdooInstance,
        provider_id: i64,
        user: &OdooUser,
    ) -> Result<i64, BackendError> {
        let uid = self.login(instance).await?;
        let wanted = json!({
            "login": user.login,
            "name": user.name,
            "email": text_field(&user.email),
            "active": true,
            "oauth_provider_id": provider_id,
            "oauth_uid": user.oauth_uid.as_deref().map_or(Value::Bool(false), text_field),
        });
        let groups_field = self.groups_field(instance).await?;
        let fields: Vec<&str> = USER_FIELDS.iter().copied().chain([groups_field]).collect();
        let found = self
            .search_read(
                instance,
                uid,
                "res.users",
                json!([["login", "=", user.login]]),
                &fields,
            )
            .await?;
        let managed = self.managed_groups(instance, uid).await?;
        let wanted_groups: Vec<i64> = managed
            .iter()
            .filter(|(xml_id, _)| user.groups.contains(xml_id))
            .map(|(_, id)| *id)
            .collect();
        let Some(existing) = found.first() else {
            let mut values = wanted;
            values[groups_field] = json!(wanted_groups.iter().map(|id| json!([4, id])).collect::<Vec<_>>());
            let id = self
                .execute(instance, uid, "res.users", "create", json!([values]), json!({}))
                .await?;
            return id.as_i64().ok_or_else(|| unexpected("res.users", "create"));
        };
        let id = existing["id"]
            .as_i64()
            .ok_or_else(|| unexpected("res.users", "search_read"))?;
        let mut drift = drifted(existing, &wanted);
        // Regrouped: the managed groups it should have, not the others.
        let current: Vec<i64> = existing[groups_field]
            .as_array()
            .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        let commands: Vec<Value> = managed
            .iter()
            .filter_map(
                |(_, group)| match (wanted_groups.contains(group), current.contains(group)) {
                    (true, false) => Some(json!([4, group])),
                    (false, true) => Some(json!([3, group])),
                    _ => None,
                },
            )
            .collect();
        if !commands.is_empty() {
            drift.insert(groups_field.to_owned(), Value::from(commands));
        }
        if !drift.is_empty() {
            self.execute(
                instance,
                uid,
                "res.users",
                "write",
                json!([[id], drift]),
                json!({}),
            )
            .await?;
        }
        Ok(id)
    }

    async fn archive_other_users(
        &self,
        instance: &OdooInstance,
        provider_id: i64,
        keep: &[String],
    ) -> Result<Vec<i64>, BackendError> {
        let uid = self.login(instance).await?;
        let domain = json!([
            ["oauth_provider_id", "=", provider_id],
            ["oauth_uid", "not in", keep],
            ["active", "=", true]
        ]);
        let ids = self.archive_where(instance, uid, "res.users", domain).await?;
        Ok(ids)
    }

    async fn observe_training(
        &self,
        instance: &OdooInstance,
    ) -> Result<Option<ObservedTraining>, BackendError> {
        let uid = self.login(instance).await?;
        let installed = self.module_states(instance, uid, &[SLIDES_MODULE]).await?;
        if !installed.iter().any(|(_, _, state)| state == "installed") {
            return Ok(None);
        }
        let channels = self
            .search_read(
                instance,
                uid,
                "slide.channel",
                json!([["active", "=", true]]),
                &["name", "total_slides", "website_url", "is_published"],
            )
            .await?;
        let courses = channels
            .iter()
            .map(|channel| {
                let id = channel["id"]
                    .as_i64()
                    .ok_or_else(|| unexpected("slide.channel", "search_read"))?;
                Ok(OdooCourse {
                    id,
                    name: channel["name"].as_str().unwrap_or_default().to_owned(),
                    contents: channel["total_slides"]
                        .as_u64()
                        .and_then(|count| u32::try_from(count).ok())
                        .unwrap_or(0),
                    website_path: website_path(channel["website_url"].as_str().unwrap_or_default(), id),
                    published: channel["is_published"] == true,
                })
            })
            .collect::<Result<Vec<_>, BackendError>>()?;
        // Whose partner is whose user: only users signing in through a provider.
        let users = self
            .search_read(
                instance,
                uid,
                "res.users",
                json!([["oauth_provider_id", "!=", false]]),
                &["partner_id", "oauth_provider_id", "oauth_uid"],
            )
            .await?;
        let learners: Vec<(i64, String, String)> = users
            .iter()
            .filter_map(|user| {
                Some((
                    user["partner_id"][0].as_i64()?,
                    user["oauth_provider_id"][1].as_str()?.to_owned(),
                    user["oauth_uid"].as_str()?.to_owned(),
                ))
            })
            .collect();
        let partners: Vec<i64> = learners.iter().map(|(partner, _, _)| *partner).collect();
        let memberships = if partners.is_empty() {
            Vec::new()
        } else {
            self.search_read(
                instance,
                uid,
                "slide.channel.partner",
                json!([["partner_id", "in", partners]]),
                &["channel_id", "partner_id", "active", "completion", "write_date"],
            )
            .await?
        };
        let enrolments = memberships
            .iter()
            .filter_map(|membership| {
                let partner = membership["partner_id"][0].as_i64()?;
                let (_, provider, oauth_uid) = learners.iter().find(|(id, _, _)| *id == partner)?;
                Some(ObservedEnrolment {
                    course_id: membership["channel_id"][0].as_i64()?,
                    provider: provider.clone(),
                    oauth_uid: oauth_uid.clone(),
                    active: membership["active"] == true,
                    completion: membership["completion"]
                        .as_u64()
                        .map_or(0, |percent| u8::try_from(percent.min(100)).unwrap_or(100)),
                    last_activity: membership["write_date"].as_str().and_then(odoo_datetime),
                })
            })
            .collect();
        Ok(Some(ObservedTraining { courses, enrolments }))
    }

    async fn set_enrolments(
        &self,
        instance: &OdooInstance,
        provider_id: i64,
        course_id: i64,
        enrol: &[String],
        end: &[String],
    ) -> Result<(), BackendError> {
        if enrol.is_empty() && end.is_empty() {
            return Ok(());
        }
        let uid = self.login(instance).await?;
        let subjects: Vec<&String> = enrol.iter().chain(end).collect();
        let users = self
            .search_read(
                instance,
                uid,
                "res.users",
                json!([
                    ["oauth_provider_id", "=", provider_id],
                    ["oauth_uid", "in", subjects]
                ]),
                &["partner_id", "oauth_uid", "active"],
            )
            .await?;
        let partner_of = |subject: &String, active_only: bool| {
            users
                .iter()
                .filter(|user| !active_only || user["active"] == true)
                .find(|user| user["oauth_uid"].as_str() == Some(subject.as_str()))
                .and_then(|user| user["partner_id"][0].as_i64())
        };
        // An archived user cannot learn: enrolling them waits for the users step.
        for partner in enrol.iter().filter_map(|subject| partner_of(subject, true)) {
            self.execute(
                instance,
                uid,
                "slide.channel",
                "action_grant_access",
                json!([[course_id], partner]),
                json!({}),
            )
            .await?;
        }
        let leaving: Vec<i64> = end
            .iter()
            .filter_map(|subject| partner_of(subject, false))
            .collect();
        if !leaving.is_empty() {
            let domain = json!([
                ["channel_id", "=", course_id],
                ["partner_id", "in", leaving],
                ["active", "=", true]
            ]);
            self.archive_where(instance, uid, "slide.channel.partner", domain)
                .await?;
        }
        Ok(())
    }

    async fn count_users(&self, instance: &OdooInstance) -> Result<u32, BackendError> {
        let uid = self.login(instance).await?;
        self.count_internal_users(instance, uid).await
    }

    async fn database_exists(&self, instance: &OdooInstance) -> Result<bool, BackendError> {
        self.exists(instance).await
    }

    async fn backup(&self, instance: &OdooInstance) -> Result<ByteStream, BackendError> {
        self.stream_backup(instance).await
    }

    async fn restore(&self, instance: &OdooInstance, backup: ByteStream) -> Result<(), BackendError> {
        self.restore_from(instance, backup).await
    }

    async fn rename_database(&self, instance: &OdooInstance, new_name: &str) -> Result<(), BackendError> {
        self.rename(instance, new_name).await
    }

    async fn set_admin_password(
        &self,
        instance: &OdooInstance,
        new_password: &str,
    ) -> Result<(), BackendError> {
        let uid = self.login(instance).await?;
        self.execute(
            instance,
            uid,
            "res.users",
            "write",
            json!([[uid], {"password": new_password}]),
            json!({}),
        )
        .await?;
        Ok(())
    }

    async fn drop_database(&self, instance: &OdooInstance) -> Result<(), BackendError> {
        // `true` when dropped, `false` when there was nothing to drop.
        let args = json!([self.master_password, instance.database]);
        self.call(&instance.url, "db", "drop", args, Some(self.database_timeout))
            .await?;
        Ok(())
    }

    async fn observe(&self, instance: &OdooInstance) -> Result<Option<ObservedOdoo>, BackendError> {
        if !self.exists(instance).await? {
            return Ok(None);
        }
        let uid = self.login(instance).await?;
        let modules = self
            .search_read(
                instance,
                uid,
                "ir.module.module",
                json!([["state", "=", "installed"]]),
                &["name"],
            )
            .await?;
        let mut installed_modules: Vec<String> = modules
            .iter()
            .filter_map(|record| record["name"].as_str().map(str::to_owned))
            .collect();
        installed_modules.sort();
        let oauth_providers = if installed_modules.iter().any(|name| name == "auth_oauth") {
            let providers = self
                .search_read(instance, uid, "auth.oauth.provider", json!([]), &["name"])
                .await?;
            providers
                .iter()
                .filter_map(|record| record["name"].as_str().map(str::to_owned))
                .collect()
        } else {
            Vec::new()
        };
        let internal_users = self.count_internal_users(instance, uid).await?;
        let provider_users = if oauth_providers.is_empty() {
            Vec::new()
        } else {
            self.provider_users(instance, uid).await?
        };
        let website_domain = if installed_modules.iter().any(|name| name == "website") {
            let websites = self
                .search_read(instance, uid, "website", json!([]), &["domain"])
                .await?;
            websites
                .iter()
                .min_by_key(|record| record["id"].as_i64())
                .and_then(|record| record["domain"].as_str().map(str::to_owned))
        } else {
            None
        };
        Ok(Some(ObservedOdoo {
            installed_modules,
            oauth_providers,
            internal_users,
            provider_users,
            website_domain,
        }))
    }
}

const PROVIDER_FIELDS: [&str; 12] = [
    "name",
    "flow",
    "client_id",
    "client_secret",
    "auth_endpoint",
    "token_endpoint",
    "jwks_uri",
    "validation_endpoint",
    "data_endpoint",
    "scope",
    "body",
    "enabled",
];

const USER_FIELDS: [&str; 6] = [
    "login",
    "name",
    "email",
    "active",
    "oauth_provider_id",
    "oauth_uid",
];

/// The eLearning module.
const SLIDES_MODULE: &str = "website_slides";

/// A course's page without its host: Odoo computes `website_url` as a
/// path (`/slides/<slug>`), some versions with the base URL in front.
fn website_path(url: &str, id: i64) -> String {
    let path = match url.find("://") {
        Some(scheme) => url[scheme + 3..]
            .find('/')
            .map_or("", |slash| &url[scheme + 3 + slash..]),
        None => url,
    };
    if path.starts_with("/slides/") {
        path.to_owned()
    } else {
        format!("/slides/{id}")
    }
}

/// An Odoo datetime (`2026-12-05 10:42:07`, UTC).
fn odoo_datetime(text: &str) -> Option<time::OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(text, format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

/// Odoo reads an empty text field back as `false`.
fn text_field(text: &str) -> Value {
    if text.is_empty() {
        Value::Bool(false)
    } else {
        Value::String(text.to_owned())
    }
}

/// The members of `wanted` whose stored value differs. A many2one is read
/// back as `[id, display name]` and written as its id.
fn drifted(stored: &Value, wanted: &Value) -> serde_json::Map<String, Value> {
    let Some(wanted) = wanted.as_object() else {
        return serde_json::Map::new();
    };
    wanted
        .iter()
        .filter(|(field, value)| {
            let current = &stored[field.as_str()];
            let current_id = current.as_array().and_then(|pair| pair.first());
            current != *value && current_id != Some(*value)
        })
        .map(|(field, value)| (field.clone(), value.clone()))
        .collect()
}

/// An Odoo error answer: `data.name` is the exception's class.
fn rpc_error(service: &str, method: &str, error: &Value) -> BackendError {
    let name = error["data"]["name"].as_str().unwrap_or("unknown");
    let message = error["data"]["message"]
        .as_str()
        .or_else(|| error["message"].as_str())
        .unwrap_or("");
    let detail = format!("{service}.{method}: {name}: {message}");
    // A lost or serialization-failed PostgreSQL connection passes; a missing
    // database does not.
    let transient = (name.starts_with("psycopg2.") && !message.contains("does not exist"))
        || name == "odoo.exceptions.ConcurrencyError";
    if transient {
        BackendError::transient(BACKEND, detail)
    } else {
        BackendError::refused(BACKEND, detail)
    }
}

fn unexpected(model: &str, method: &str) -> BackendError {
    BackendError::refused(BACKEND, format!("{model}.{method}: unexpected answer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_course_page_is_kept_without_its_host() {
        assert_eq!(website_path("/slides/python-3", 3), "/slides/python-3");
        assert_eq!(
            website_path("https://shop.example/slides/python-3", 3),
            "/slides/python-3"
        );
        assert_eq!(website_path("", 3), "/slides/3");
        assert_eq!(website_path("https://evil.example", 3), "/slides/3");
    }

    #[test]
    fn odoo_datetimes_are_utc() {
        let at = odoo_datetime("2026-12-05 10:42:07").map(|at| at.unix_timestamp());
        assert_eq!(at, Some(1_796_467_327));
        assert_eq!(odoo_datetime("yesterday"), None);
    }

    #[test]
    fn a_many2one_read_back_as_a_pair_is_not_drift() {
        let stored = json!({"id": 7, "name": "Ann", "oauth_provider_id": [3, "Bibind"], "oauth_uid": false});
        let wanted = json!({"name": "Ann", "oauth_provider_id": 3, "oauth_uid": "sub-1"});
        let drift = drifted(&stored, &wanted);
        assert_eq!(drift.keys().collect::<Vec<_>>(), vec!["oauth_uid"]);
    }

    #[test]
    fn the_instance_debug_leaves_the_password_out() {
        let instance = OdooInstance {
            url: "http://odoo".into(),
            database: "acme".into(),
            admin_login: "admin".into(),
            admin_password: "s3cret".into(),
            lang: "fr_FR".into(),
        };
        assert!(!format!("{instance:?}").contains("s3cret"));
    }

    #[test]
    fn access_errors_are_refusals_and_lost_connections_pass() {
        let denied = json!({"code": 200, "message": "Odoo Server Error", "data": {"name": "odoo.exceptions.AccessDenied", "message": "Access Denied"}});
        assert!(!rpc_error("db", "drop", &denied).is_transient());
        let lost =
            json!({"data": {"name": "psycopg2.OperationalError", "message": "server closed the connection"}});
        assert!(rpc_error("object", "execute_kw", &lost).is_transient());
    }
}

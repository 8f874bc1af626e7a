//! The control crate's one error type. Callers (server functions, the REST
//! API) map it once at their edge; its messages never carry secrets.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A backend (Kratos, Hydra, Vault, …) failed or answered something unexpected.
    #[error("{backend}: {detail}")]
    Backend { backend: &'static str, detail: String },
    /// An operation needs a backend this deployment has not configured.
    #[error("{0} is not configured")]
    NotConfigured(&'static str),
    /// A sign-in that came back wrong: a state that does not match, a code
    /// the provider refused, an ID token that does not verify.
    #[error("sign-in refused: {0}")]
    SignInRejected(String),
    /// No account has this e-mail address.
    #[error("no account has the e-mail address {0}; they must sign up first")]
    UnknownAccount(String),
    /// The account with this e-mail address has not proven it owns it.
    #[error("the account {0} has not verified its e-mail address; they must verify it first (nothing was granted)")]
    UnverifiedAccount(String),
    /// A stored row that does not parse into a domain type: a bug or a manual edit.
    #[error("invalid stored data in {table}: {detail}")]
    InvalidStoredData { table: &'static str, detail: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What an operation either did, or why it did not (nothing written then).
pub type Outcome<T> = Result<std::result::Result<T, crate::domain::Refusal>>;

/// Returns the refusal from the enclosing operation, else unwraps.
macro_rules! or_refuse {
    ($outcome:expr) => {
        match $outcome {
            Ok(value) => value,
            Err(refusal) => return Ok(Err(refusal)),
        }
    };
}
pub(crate) use or_refuse;

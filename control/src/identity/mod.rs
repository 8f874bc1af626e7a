//! Identity: Ory Kratos (identities, self-service flows, sessions).

mod kratos;

pub use kratos::Kratos;

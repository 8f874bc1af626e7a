//! Odoo's JSON-RPC error: HTTP 200 with an `error` member whose
//! `data.name` is the Python exception's dotted class name
//! (odoo/http.py `serialize_exception`).

use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdooError {
    pub name: String,
    pub message: String,
}

impl OdooError {
    fn new(name: &str, message: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            message: message.into(),
        }
    }

    pub fn access_denied() -> Self {
        Self::new("odoo.exceptions.AccessDenied", "Access Denied")
    }

    pub fn access_error(message: impl Into<String>) -> Self {
        Self::new("odoo.exceptions.AccessError", message)
    }

    pub fn user_error(message: impl Into<String>) -> Self {
        Self::new("odoo.exceptions.UserError", message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("odoo.exceptions.ValidationError", message)
    }

    pub fn missing(model: &str, ids: &[i64]) -> Self {
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        Self::new(
            "odoo.exceptions.MissingError",
            format!(
                "Record does not exist or has been deleted.\n(Record: {model}({},), User: 2)",
                ids.join(", ")
            ),
        )
    }

    pub fn value_error(message: impl Into<String>) -> Self {
        Self::new("builtins.ValueError", message)
    }

    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new("builtins.TypeError", message)
    }

    pub fn key_error(key: &str) -> Self {
        Self::new("builtins.KeyError", format!("'{key}'"))
    }

    pub fn attribute_error(message: impl Into<String>) -> Self {
        Self::new("builtins.AttributeError", message)
    }

    /// What the registry raises for a database PostgreSQL does not have.
    pub fn no_database(database: &str) -> Self {
        Self::new(
            "psycopg2.OperationalError",
            format!(
                "connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: FATAL:  database \"{database}\" does not exist\n"
            ),
        )
    }

    pub fn database_exists(database: &str) -> Self {
        Self::new(
            "odoo.service.db.DatabaseExists",
            format!("database '{database}' already exists!"),
        )
    }

    /// The `error` member of the JSON-RPC answer.
    pub fn to_json(&self) -> Value {
        let class = self.name.rsplit('.').next().unwrap_or(&self.name);
        json!({
            "code": 200,
            "message": "Odoo Server Error",
            "data": {
                "name": self.name,
                "debug": format!(
                    "Traceback (most recent call last):\n  File \"/usr/lib/python3/dist-packages/odoo/http.py\", line 1765, in _serve_db\n    return service_model.retrying(self._serve_ir_http, self.env)\n{class}: {}\n",
                    self.message
                ),
                "message": self.message,
                "arguments": [self.message],
                "context": {},
            },
        })
    }
}

pub type OdooResult<T> = Result<T, OdooError>;

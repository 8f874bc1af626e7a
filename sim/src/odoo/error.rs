//! Odoo's errors: the Python exception raised, which each RPC layer reports
//! in its own shape (JSON-RPC: HTTP 200 with an `error` member whose
//! `data.name` is the exception's dotted class, odoo/http.py
//! `serialize_exception`; XML-RPC: a fault, see `xmlrpc.rs`).

use serde_json::{json, Value};

/// The Python exception class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExceptionClass {
    /// Bad login, password or master password (a `UserError` in Odoo 17).
    AccessDenied,
    /// Access rights (a `UserError`).
    AccessError,
    UserError,
    /// Constraints (a `UserError`).
    ValidationError,
    /// A deleted record (a `UserError`).
    MissingError,
    /// A JSON route with `auth="user"` called without a signed-in session.
    SessionExpired,
    /// `odoo.service.db.DatabaseExists`, a Python `Warning`.
    DatabaseExists,
    /// `psycopg2.OperationalError`: what the registry raises for a database
    /// PostgreSQL does not have.
    DatabaseUnreachable,
    /// A malformed XML-RPC request.
    MalformedXml,
    /// `builtins.Exception`, raised as such by the services.
    Exception,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    NameError,
    OverflowError,
    AssertionError,
    /// What the simulator answers for a real method it does not simulate.
    NotImplementedError,
    /// werkzeug's 403, raised by a route (its text: `403 Forbidden: …`).
    Forbidden,
    /// `zipfile.BadZipFile`: a backup whose archive is damaged.
    BadZipFile,
    /// `zlib.error`: a member that does not inflate.
    ZlibError,
    /// `binascii.Error`: base64 that does not decode.
    Base64Error,
    RuntimeError,
    EofError,
    /// `psycopg2.errors.UndefinedTable`: a query on a table the database
    /// lacks (one a failed restore left empty).
    UndefinedTable,
}

impl ExceptionClass {
    /// The exception's `module.Class`, as `serialize_exception` names it.
    pub fn class(self) -> &'static str {
        match self {
            ExceptionClass::AccessDenied => "odoo.exceptions.AccessDenied",
            ExceptionClass::AccessError => "odoo.exceptions.AccessError",
            ExceptionClass::UserError => "odoo.exceptions.UserError",
            ExceptionClass::ValidationError => "odoo.exceptions.ValidationError",
            ExceptionClass::MissingError => "odoo.exceptions.MissingError",
            ExceptionClass::SessionExpired => "odoo.http.SessionExpiredException",
            ExceptionClass::DatabaseExists => "odoo.service.db.DatabaseExists",
            ExceptionClass::DatabaseUnreachable => "psycopg2.OperationalError",
            ExceptionClass::MalformedXml => "xml.parsers.expat.ExpatError",
            ExceptionClass::Exception => "builtins.Exception",
            ExceptionClass::ValueError => "builtins.ValueError",
            ExceptionClass::TypeError => "builtins.TypeError",
            ExceptionClass::KeyError => "builtins.KeyError",
            ExceptionClass::IndexError => "builtins.IndexError",
            ExceptionClass::AttributeError => "builtins.AttributeError",
            ExceptionClass::NameError => "builtins.NameError",
            ExceptionClass::OverflowError => "builtins.OverflowError",
            ExceptionClass::AssertionError => "builtins.AssertionError",
            ExceptionClass::NotImplementedError => "builtins.NotImplementedError",
            ExceptionClass::Forbidden => "werkzeug.exceptions.Forbidden",
            ExceptionClass::BadZipFile => "zipfile.BadZipFile",
            ExceptionClass::ZlibError => "zlib.error",
            ExceptionClass::Base64Error => "binascii.Error",
            ExceptionClass::RuntimeError => "builtins.RuntimeError",
            ExceptionClass::EofError => "builtins.EOFError",
            ExceptionClass::UndefinedTable => "psycopg2.errors.UndefinedTable",
        }
    }

    /// As a Python traceback's last line names it: built-ins bare.
    fn traceback_name(self) -> &'static str {
        let class = self.class();
        class.strip_prefix("builtins.").unwrap_or(class)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OdooError {
    pub class: ExceptionClass,
    /// The exception's one argument (`exception.args[0]`).
    pub argument: String,
}

impl OdooError {
    pub fn new(class: ExceptionClass, argument: impl Into<String>) -> Self {
        Self {
            class,
            argument: argument.into(),
        }
    }

    pub fn access_denied() -> Self {
        Self::new(ExceptionClass::AccessDenied, "Access Denied")
    }

    pub fn access_error(message: impl Into<String>) -> Self {
        Self::new(ExceptionClass::AccessError, message)
    }

    pub fn user_error(message: impl Into<String>) -> Self {
        Self::new(ExceptionClass::UserError, message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ExceptionClass::ValidationError, message)
    }

    /// What reading a field of a deleted record raises (odoo/fields.py `__get__`).
    pub fn missing(model: &str, id: i64, uid: i64) -> Self {
        Self::new(
            ExceptionClass::MissingError,
            format!("Record does not exist or has been deleted.\n(Record: {model}({id},), User: {uid})"),
        )
    }

    pub fn value_error(message: impl Into<String>) -> Self {
        Self::new(ExceptionClass::ValueError, message)
    }

    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new(ExceptionClass::TypeError, message)
    }

    pub fn key_error(key: &str) -> Self {
        Self::new(ExceptionClass::KeyError, key)
    }

    pub fn attribute_error(message: impl Into<String>) -> Self {
        Self::new(ExceptionClass::AttributeError, message)
    }

    /// `werkzeug.exceptions.Forbidden(description)`.
    pub fn forbidden(description: &str) -> Self {
        Self::new(ExceptionClass::Forbidden, format!("403 Forbidden: {description}"))
    }

    pub fn session_expired() -> Self {
        Self::new(ExceptionClass::SessionExpired, "Session expired")
    }

    pub fn no_database(database: &str) -> Self {
        Self::new(
            ExceptionClass::DatabaseUnreachable,
            format!(
                "connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: FATAL:  database \"{database}\" does not exist\n"
            ),
        )
    }

    pub fn database_exists(database: &str) -> Self {
        Self::new(
            ExceptionClass::DatabaseExists,
            format!("database '{database}' already exists!"),
        )
    }

    /// A Python function called without one of its arguments.
    pub fn missing_argument(function: &str, argument: &str) -> Self {
        Self::type_error(format!(
            "{function}() missing 1 required positional argument: '{argument}'"
        ))
    }

    /// `str(exception)`: a `KeyError` shows its key as `repr` does.
    pub fn message(&self) -> String {
        match self.class {
            ExceptionClass::KeyError => python_str(&self.argument),
            _ => self.argument.clone(),
        }
    }

    /// `exception.args`: werkzeug's exceptions keep their description aside.
    fn arguments(&self) -> Value {
        match self.class {
            ExceptionClass::Forbidden => json!([]),
            _ => json!([self.argument]),
        }
    }

    /// `traceback.format_exc()` as the server would print it.
    pub fn traceback(&self) -> String {
        let message = self.message();
        let last_line = if message.is_empty() {
            self.class.traceback_name().to_owned()
        } else {
            format!("{}: {message}", self.class.traceback_name())
        };
        format!(
            "Traceback (most recent call last):\n  File \"/usr/lib/python3/dist-packages/odoo/http.py\", line 1765, in _serve_db\n    return service_model.retrying(self._serve_ir_http, self.env)\n{}\n",
            last_line.trim_end()
        )
    }

    /// The `error` member of a JSON-RPC answer (odoo/http.py
    /// `JsonRPCDispatcher.handle_error`; `code` is 200 in Odoo 17).
    pub fn to_json(&self) -> Value {
        let (code, title) = match self.class {
            ExceptionClass::SessionExpired => (100, "Odoo Session Expired"),
            _ => (200, "Odoo Server Error"),
        };
        json!({
            "code": code,
            "message": title,
            "data": {
                "name": self.class.class(),
                "debug": self.traceback(),
                "message": self.message(),
                "arguments": self.arguments(),
                "context": {},
            },
        })
    }
}

pub type OdooResult<T> = Result<T, OdooError>;

/// `repr(text)` of a Python `str`: single quotes, unless it holds one and
/// no double quote.
pub fn python_str(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if u32::from(c) < 0x20 || u32::from(c) == 0x7f => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `repr(value)` of the Python value a JSON value decodes to, for messages.
pub fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => python_str(text),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(python_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(members) => format!(
            "{{{}}}",
            members
                .iter()
                .map(|(key, value)| format!("'{key}': {}", python_repr(value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

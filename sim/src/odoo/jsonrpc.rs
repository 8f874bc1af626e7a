//! Odoo's JSON-RPC: the envelope every `type='json'` route shares
//! (odoo/http.py `JsonRPCDispatcher`) and `POST /jsonrpc`, the external
//! API's entry to the services.

use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
};
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::{
    error::{OdooError, OdooResult},
    werkzeug_error, Failure, Simulator,
};

/// A JSON-RPC request to a `type='json'` route: its id and named params.
pub struct JsonRequest {
    pub id: Value,
    pub params: Map<String, Value>,
}

impl JsonRequest {
    /// The request, or the answer Odoo gives before the route runs: a
    /// body that is not JSON is a 400, and so is a request whose
    /// `Content-Type` is not JSON (the route is `type='json'`).
    pub fn read(route: &str, headers: &HeaderMap, body: &Bytes) -> Result<Self, Box<Response>> {
        let mimetype = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(|value| value.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if !matches!(mimetype.as_str(), "application/json" | "application/json-rpc") {
            return Err(Box::new(werkzeug_error(
                StatusCode::BAD_REQUEST,
                &format!("Request inferred type is compatible with ['http'] but '{route}' is type='json'."),
            )));
        }
        let Ok(request) = serde_json::from_slice::<Value>(body) else {
            return Err(Box::new(
                (StatusCode::BAD_REQUEST, "Invalid JSON data").into_response(),
            ));
        };
        let Value::Object(mut request) = request else {
            return Err(Box::new(
                (StatusCode::BAD_REQUEST, "Invalid JSON-RPC data").into_response(),
            ));
        };
        let id = request.remove("id").unwrap_or(Value::Null);
        let params = match request.remove("params") {
            Some(Value::Object(params)) => params,
            _ => Map::new(),
        };
        Ok(Self { id, params })
    }

    /// A named parameter of the route's function (`function` for the
    /// `TypeError` Python raises when it is missing).
    pub fn param(&self, function: &str, name: &str) -> OdooResult<&Value> {
        self.params
            .get(name)
            .ok_or_else(|| OdooError::missing_argument(function, name))
    }

    pub fn text(&self, function: &str, name: &str) -> OdooResult<&str> {
        let value = self.param(function, name)?;
        value.as_str().ok_or_else(|| {
            OdooError::type_error(format!(
                "{function}(): argument '{name}' must be str, not {}",
                super::error::python_repr(value)
            ))
        })
    }
}

/// The JSON-RPC answer: `result` (left out when the function returned
/// `None`), or `error`, both with HTTP 200; an injected fault as the proxy
/// in front of Odoo answers it.
pub fn respond(id: &Value, outcome: Result<Value, Failure>) -> Response {
    let answer = match outcome {
        Ok(Value::Null) => json!({"jsonrpc": "2.0", "id": id}),
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(Failure::Odoo(error)) => json!({"jsonrpc": "2.0", "id": id, "error": error.to_json()}),
        Err(Failure::Proxy(status)) => return super::proxy_error(status),
    };
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        answer.to_string(),
    )
        .into_response()
}

/// `POST /jsonrpc` `{"service", "method", "args"}`.
pub async fn jsonrpc(State(simulator): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    let request = match JsonRequest::read("/jsonrpc", &headers, &body) {
        Ok(request) => request,
        Err(refused) => return *refused,
    };
    let outcome = match call(&request) {
        Ok((service, method, args)) => simulator.dispatch(service, method, args).await,
        Err(error) => Err(Failure::Odoo(error)),
    };
    respond(&request.id, outcome)
}

fn call(request: &JsonRequest) -> OdooResult<(&str, &str, &[Value])> {
    let function = "RPC.jsonrpc";
    let service = request.text(function, "service")?;
    let method = request.text(function, "method")?;
    let args = request.param(function, "args")?;
    let args = args
        .as_array()
        .ok_or_else(|| OdooError::type_error("dispatch() argument after * must be an iterable"))?;
    Ok((service, method, args))
}

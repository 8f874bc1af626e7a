//! A JSON request body whose problems are answered as problem details (in
//! the caller's language) rather than axum's plain-text rejections.

use super::texts::ApiMsg;
use axum::{
    extract::{FromRequest, FromRequestParts, Query, Request},
    Json,
};
use http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{
    auth::locale_of,
    problem::{Problem, ProblemKind},
};

/// `Json<T>`, refused as `400 bad-request` when it does not parse.
pub(super) struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let locale = locale_of(&parts);
        let bad = |why: String| {
            Problem::new(
                ProblemKind::BadRequest,
                format!("{} {why}", ApiMsg::BadBody.text(locale)),
            )
        };
        let Json(mut value) = Json::<Value>::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|rejection| bad(rejection.body_text()))?;
        whole_numbers(&mut value);
        serde_json::from_value(value)
            .map(ApiJson)
            .map_err(|error| bad(error.to_string()))
    }
}

/// Numbers with nothing after the point as integers: JSON Schema's
/// `integer` takes `30.0` as well as `30`, serde's integers do not.
fn whole_numbers(value: &mut Value) {
    match value {
        Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|_| number.is_f64()) {
                // Exact below 2^53; beyond, no field of ours takes it anyway.
                #[allow(clippy::cast_possible_truncation)]
                let whole = float as i64;
                if float.fract() == 0.0 && float.abs() < 9_007_199_254_740_992.0 {
                    *number = whole.into();
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

/// `Query<T>`, refused as `400 bad-request` when it does not parse.
pub(super) struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(Problem::new(
                ProblemKind::BadRequest,
                format!(
                    "{} {}",
                    ApiMsg::BadQuery.text(locale_of(parts)),
                    rejection.body_text()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::whole_numbers;
    use serde_json::json;

    #[test]
    fn integral_floats_become_integers_and_nothing_else_changes() {
        let mut value = json!({"days": 30.0, "list": [1.0, 1.5, -2.0], "name": "x", "big": 1e300});
        whole_numbers(&mut value);
        assert_eq!(
            value,
            json!({"days": 30, "list": [1, 1.5, -2], "name": "x", "big": 1e300})
        );
        let days: u32 = serde_json::from_value(value["days"].clone()).unwrap();
        assert_eq!(days, 30);
    }
}

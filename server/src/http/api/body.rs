//! A JSON request body whose problems are answered as problem details (in
//! the caller's language) rather than axum's plain-text rejections.

use super::texts::ApiMsg;
use axum::{
    extract::{FromRequest, FromRequestParts, Query, Request},
    Json,
};
use http::request::Parts;
use serde::de::DeserializeOwned;

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
        match Json::<T>::from_request(Request::from_parts(parts, body), state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(Problem::new(
                ProblemKind::BadRequest,
                format!("{} {}", ApiMsg::BadBody.text(locale), rejection.body_text()),
            )),
        }
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

/// A whole number however JSON writes it: JSON Schema's `integer` takes
/// `30.0` as well as `30`.
pub(super) fn whole_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u32>, D::Error> {
    use serde::Deserialize;
    let Some(number) = Option::<f64>::deserialize(deserializer)? else {
        return Ok(None);
    };
    if number.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&number) {
        return Err(serde::de::Error::custom(format!(
            "{number} is not a whole number"
        )));
    }
    // Whole and within u32: the conversion is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(Some(number as u32))
}

#[cfg(test)]
mod tests {
    use super::whole_number;

    #[derive(serde::Deserialize)]
    struct Days {
        #[serde(default, deserialize_with = "whole_number")]
        days: Option<u32>,
    }

    fn days(json: &str) -> Result<Option<u32>, serde_json::Error> {
        serde_json::from_str::<Days>(json).map(|parsed| parsed.days)
    }

    #[test]
    fn whole_numbers_are_read_however_written() {
        assert_eq!(days(r#"{"days": 30}"#).ok(), Some(Some(30)));
        assert_eq!(days(r#"{"days": 30.0}"#).ok(), Some(Some(30)));
        assert_eq!(days(r#"{"days": null}"#).ok(), Some(None));
        assert_eq!(days("{}").ok(), Some(None));
        assert!(days(r#"{"days": 1.5}"#).is_err());
        assert!(days(r#"{"days": -1}"#).is_err());
    }
}

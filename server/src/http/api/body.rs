//! A JSON request body whose problems are answered as problem details (in
//! the caller's language) rather than axum's plain-text rejections.

use super::texts::ApiMsg;
use axum::{
    extract::{FromRequest, Request},
    Json,
};
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

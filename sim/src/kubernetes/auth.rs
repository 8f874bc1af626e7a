//! The API server's authentication and authorization in front of every
//! request, when the simulator has a token (`--token`): that bearer token
//! is the one user, allowed everything; any other token is refused with 401
//! `Unauthorized`; no token at all is `system:anonymous`, who may read
//! `/version` (RBAC's `system:public-info-viewer`) and gets RBAC's 403
//! anywhere else. Without a token every request is let through.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header::AUTHORIZATION, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::status::ApiError;

const ANONYMOUS: &str = "system:anonymous";

/// Paths anonymous users may read.
const PUBLIC_PATHS: [&str; 5] = ["/version", "/healthz", "/livez", "/readyz", "/version/"];

pub async fn authenticate(State(token): State<Arc<str>>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.strip_prefix("Bearer ").unwrap_or(value).trim().to_owned());
    let path = super::decoded_path(request.uri());
    match presented {
        Some(presented) if presented == *token => next.run(request).await,
        Some(_) => ApiError::unauthorized().into_response(),
        None if request.method() == Method::GET && PUBLIC_PATHS.contains(&path.as_str()) => {
            next.run(request).await
        }
        None => forbidden(request.method(), &path).into_response(),
    }
}

/// RBAC's refusal of an anonymous request, worded from the request's
/// attributes as the API server parses them (`RequestInfoFactory`).
fn forbidden(method: &Method, path: &str) -> ApiError {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, parts) = match segments.as_slice() {
        ["api", _, rest @ ..] if !rest.is_empty() => ("", rest),
        ["apis", group, _, rest @ ..] if !rest.is_empty() => (*group, rest),
        _ => {
            let verb = method.as_str().to_lowercase();
            let why = format!("User \"{ANONYMOUS}\" cannot {verb} path \"{path}\"");
            return ApiError::forbidden_request("", "", "", &why);
        }
    };
    let (namespace, parts) = match parts {
        ["namespaces", namespace, rest @ ..]
            if !rest.is_empty() && !matches!(rest, ["status" | "finalize", ..]) =>
        {
            (*namespace, rest)
        }
        ["namespaces", namespace, ..] => (*namespace, parts),
        _ => ("", parts),
    };
    let resource = parts.first().copied().unwrap_or("");
    let name = parts.get(1).copied().unwrap_or("");
    let verb = match (method, name.is_empty()) {
        (&Method::GET, true) => "list",
        (&Method::GET, false) => "get",
        (&Method::POST, _) => "create",
        (&Method::PUT, _) => "update",
        (&Method::PATCH, _) => "patch",
        (&Method::DELETE, true) => "deletecollection",
        (&Method::DELETE, false) => "delete",
        _ => "unknown",
    };
    let mut named = resource.to_owned();
    if let Some(subresource) = parts.get(2) {
        named = format!("{named}/{subresource}");
    }
    let scope = if namespace.is_empty() {
        "at the cluster scope".to_owned()
    } else {
        format!("in the namespace \"{namespace}\"")
    };
    let why =
        format!("User \"{ANONYMOUS}\" cannot {verb} resource \"{named}\" in API group \"{group}\" {scope}");
    ApiError::forbidden_request(group, resource, name, &why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_refusals_read_as_rbac_writes_them() {
        let refusal = forbidden(&Method::GET, "/api/v1/namespaces/shop");
        assert_eq!(
            refusal.message,
            "namespaces \"shop\" is forbidden: User \"system:anonymous\" cannot get resource \"namespaces\" in API group \"\" in the namespace \"shop\""
        );
        let refusal = forbidden(
            &Method::PATCH,
            "/apis/apps/v1/namespaces/shop/deployments/web/scale",
        );
        assert_eq!(
            refusal.message,
            "deployments.apps \"web\" is forbidden: User \"system:anonymous\" cannot patch resource \"deployments/scale\" in API group \"apps\" in the namespace \"shop\""
        );
        let refusal = forbidden(&Method::GET, "/api/v1/namespaces");
        assert_eq!(
            refusal.message,
            "namespaces is forbidden: User \"system:anonymous\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope"
        );
        let refusal = forbidden(&Method::GET, "/apis");
        assert_eq!(
            refusal.message,
            "forbidden: User \"system:anonymous\" cannot get path \"/apis\""
        );
    }
}

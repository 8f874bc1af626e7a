//! Version discovery, what openstacksdk (keystoneauth1's discover.py) asks
//! before its first call: the catalog URL's unversioned root lists the
//! versions, each with its `self` link (the URL the client then uses) and,
//! for Nova and Cinder, its microversion range (`min_version`, `version`).
//! The documents follow each service's own views (nova/api/openstack/
//! compute/versions.py, cinder/api/versions.py, neutron/pecan_wsgi/
//! controllers/root.py), with links on the host the request came to.
//!
//! Nova's roots and Cinder's and Neutron's unversioned roots are served
//! without a token (their paste pipelines have no authtoken there);
//! Cinder's `/v3/` and Neutron's `/v2.0/` sit behind keystonemiddleware, so
//! keystoneauth asks them again with its token after the 401.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
    Json,
};
use http::{header, HeaderMap, StatusCode};
use serde_json::{json, Value};

use super::{nova::MAX_MINOR, OpenStackSim};

/// The newest block storage microversion this simulator announces
/// (2024.1), and when Cinder last changed it.
const CINDER_MAX_VERSION: &str = "3.71";
const CINDER_UPDATED: &str = "2023-08-31T00:00:00Z";

/// Neutron's core resources, as `GET /v2.0/` lists them.
const NEUTRON_CORE_RESOURCES: [(&str, &str); 4] = [
    ("network", "networks"),
    ("subnet", "subnets"),
    ("subnetpool", "subnetpools"),
    ("port", "ports"),
];

/// `http://<host>`: the services build their links from the request.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// `GET /compute/`: Nova's versions (200).
pub async fn nova_versions(headers: HeaderMap) -> Json<Value> {
    let base = format!("{}/compute", origin(&headers));
    Json(json!({
        "versions": [
            {
                "id": "v2.0",
                "status": "SUPPORTED",
                "version": "",
                "min_version": "",
                "updated": "2011-01-21T11:33:21Z",
                "links": [{ "rel": "self", "href": format!("{base}/v2/") }],
            },
            {
                "id": "v2.1",
                "status": "CURRENT",
                "version": format!("2.{MAX_MINOR}"),
                "min_version": "2.1",
                "updated": "2013-07-23T11:33:21Z",
                "links": [{ "rel": "self", "href": format!("{base}/v2.1/") }],
            },
        ]
    }))
}

/// `GET /compute/v2.1/`: the one version, with its microversion range.
pub async fn nova_version(headers: HeaderMap) -> Json<Value> {
    let base = format!("{}/compute", origin(&headers));
    Json(json!({
        "version": {
            "id": "v2.1",
            "status": "CURRENT",
            "version": format!("2.{MAX_MINOR}"),
            "min_version": "2.1",
            "updated": "2013-07-23T11:33:21Z",
            "links": [
                { "rel": "self", "href": format!("{base}/v2.1/") },
                { "rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/" },
            ],
            "media-types": [{
                "base": "application/json",
                "type": "application/vnd.openstack.compute+json;version=2.1",
            }],
        }
    }))
}

fn cinder_document(headers: &HeaderMap) -> Value {
    let base = format!("{}/volume", origin(headers));
    json!({
        "versions": [{
            "id": "v3.0",
            "status": "CURRENT",
            "version": CINDER_MAX_VERSION,
            "min_version": "3.0",
            "updated": CINDER_UPDATED,
            "links": [
                { "rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/" },
                { "rel": "self", "href": format!("{base}/v3/") },
            ],
            "media-types": [{
                "base": "application/json",
                "type": "application/vnd.openstack.volume+json;version=3",
            }],
        }]
    })
}

/// `GET /volume/`: Cinder answers its versions with 300 Multiple Choices.
pub async fn cinder_versions(headers: HeaderMap) -> Response {
    (StatusCode::MULTIPLE_CHOICES, Json(cinder_document(&headers))).into_response()
}

/// `GET /volume/v3/`: the same document, 200, for a valid token.
pub async fn cinder_version(State(sim): State<OpenStackSim>, headers: HeaderMap) -> Response {
    or_answer!(sim.inner.keystone.authenticate(&headers).await);
    Json(cinder_document(&headers)).into_response()
}

/// `GET /network/`: Neutron's one version, without microversions.
pub async fn neutron_versions(headers: HeaderMap) -> Json<Value> {
    let base = format!("{}/network", origin(&headers));
    Json(json!({
        "versions": [{
            "id": "v2.0",
            "status": "CURRENT",
            "links": [{ "rel": "self", "href": format!("{base}/v2.0/") }],
        }]
    }))
}

/// `GET /network/v2.0/`: the core resources, for a valid token.
pub async fn neutron_resources(State(sim): State<OpenStackSim>, headers: HeaderMap) -> Response {
    or_answer!(sim.inner.keystone.authenticate(&headers).await);
    let base = format!("{}/network/v2.0", origin(&headers));
    let resources: Vec<Value> = NEUTRON_CORE_RESOURCES
        .iter()
        .map(|(name, collection)| {
            json!({
                "name": name,
                "collection": collection,
                "links": [{ "rel": "self", "href": format!("{base}/{collection}") }],
            })
        })
        .collect();
    Json(json!({ "resources": resources })).into_response()
}

//! A project's quotas in Nova (`/os-quota-sets/{id}`), Cinder
//! (`/v3/{admin project}/os-quota-sets/{id}`) and Neutron
//! (`/v2.0/quotas/{id}`). Setting is a `PUT` of the limits Bibind owns, so
//! running it again changes nothing; resetting is a `DELETE` (back to the
//! defaults), which none of them refuses for a project without quotas.
//! Limits are checked against what the project already uses (Nova without
//! `force`, Cinder always, Neutron with `check_limit`): lowering a limit
//! below the usage is refused, for an admin to decide.

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::{
    keystone::path_segment,
    limit_from_openstack,
    session::{error_from, json_or_error, Service, Session},
    ProjectQuota,
};
use crate::backends::BackendError;

/// The compute API microversion asked for: from 2.57 on, a quota set holds
/// only compute limits (no network or injected-file keys).
const COMPUTE_MICROVERSION: [(&str, &str); 2] = [
    ("OpenStack-API-Version", "compute 2.57"),
    ("X-OpenStack-Nova-API-Version", "2.57"),
];

#[derive(Deserialize)]
struct ComputeQuotaSet {
    quota_set: ComputeLimits,
}

#[derive(Deserialize)]
struct ComputeLimits {
    cores: i64,
    ram: i64,
    instances: i64,
}

#[derive(Deserialize)]
struct VolumeQuotaSet {
    quota_set: VolumeLimits,
}

#[derive(Deserialize)]
struct VolumeLimits {
    volumes: i64,
    gigabytes: i64,
}

#[derive(Deserialize)]
struct NetworkQuota {
    quota: NetworkLimits,
}

#[derive(Deserialize)]
struct NetworkLimits {
    network: i64,
}

pub async fn set_compute(
    session: &Session,
    project_id: &str,
    quota: &ProjectQuota,
) -> Result<(), BackendError> {
    let body = json!({
        "quota_set": {
            "cores": quota.vcpus,
            "ram": quota.ram_mib,
            "instances": quota.instances,
            "force": false,
        }
    });
    let path = format!("/os-quota-sets/{}", path_segment(project_id)?);
    let response = session
        .send(
            Service::Compute,
            Method::PUT,
            &path,
            Some(&body),
            &COMPUTE_MICROVERSION,
        )
        .await?;
    let _: ComputeQuotaSet = json_or_error(Service::Compute, response).await?;
    Ok(())
}

pub async fn set_volume(
    session: &Session,
    project_id: &str,
    quota: &ProjectQuota,
) -> Result<(), BackendError> {
    let body = json!({ "quota_set": { "volumes": quota.volumes, "gigabytes": quota.gigabytes } });
    let path = format!("/os-quota-sets/{}", path_segment(project_id)?);
    let response = session
        .send(Service::Volume, Method::PUT, &path, Some(&body), &[])
        .await?;
    let _: VolumeQuotaSet = json_or_error(Service::Volume, response).await?;
    Ok(())
}

pub async fn set_network(
    session: &Session,
    project_id: &str,
    quota: &ProjectQuota,
) -> Result<(), BackendError> {
    let body = json!({ "quota": { "network": quota.networks, "check_limit": true } });
    let path = format!("/v2.0/quotas/{}", path_segment(project_id)?);
    let response = session
        .send(Service::Network, Method::PUT, &path, Some(&body), &[])
        .await?;
    let _: NetworkQuota = json_or_error(Service::Network, response).await?;
    Ok(())
}

pub async fn read_compute(
    session: &Session,
    project_id: &str,
    quota: &mut ProjectQuota,
) -> Result<(), BackendError> {
    let path = format!("/os-quota-sets/{}", path_segment(project_id)?);
    let response = session
        .send(Service::Compute, Method::GET, &path, None, &COMPUTE_MICROVERSION)
        .await?;
    let limits = json_or_error::<ComputeQuotaSet>(Service::Compute, response)
        .await?
        .quota_set;
    quota.vcpus = limit_from_openstack(limits.cores);
    quota.ram_mib = limit_from_openstack(limits.ram);
    quota.instances = limit_from_openstack(limits.instances);
    Ok(())
}

pub async fn read_volume(
    session: &Session,
    project_id: &str,
    quota: &mut ProjectQuota,
) -> Result<(), BackendError> {
    let path = format!("/os-quota-sets/{}", path_segment(project_id)?);
    let response = session
        .send(Service::Volume, Method::GET, &path, None, &[])
        .await?;
    let limits = json_or_error::<VolumeQuotaSet>(Service::Volume, response)
        .await?
        .quota_set;
    quota.volumes = limit_from_openstack(limits.volumes);
    quota.gigabytes = limit_from_openstack(limits.gigabytes);
    Ok(())
}

pub async fn read_network(
    session: &Session,
    project_id: &str,
    quota: &mut ProjectQuota,
) -> Result<(), BackendError> {
    let path = format!("/v2.0/quotas/{}", path_segment(project_id)?);
    let response = session
        .send(Service::Network, Method::GET, &path, None, &[])
        .await?;
    let limits = json_or_error::<NetworkQuota>(Service::Network, response)
        .await?
        .quota;
    quota.networks = limit_from_openstack(limits.network);
    Ok(())
}

pub async fn reset_compute(session: &Session, project_id: &str) -> Result<(), BackendError> {
    let path = format!("/os-quota-sets/{}", path_segment(project_id)?);
    reset(session, Service::Compute, &path, &COMPUTE_MICROVERSION).await
}

pub async fn reset_volume(session: &Session, project_id: &str) -> Result<(), BackendError> {
    let path = format!("/os-quota-sets/{}", path_segment(project_id)?);
    reset(session, Service::Volume, &path, &[]).await
}

pub async fn reset_network(session: &Session, project_id: &str) -> Result<(), BackendError> {
    let path = format!("/v2.0/quotas/{}", path_segment(project_id)?);
    reset(session, Service::Network, &path, &[]).await
}

/// `DELETE` of a project's quotas: 202 (Nova), 200 (Cinder), 204
/// (Neutron); a 404 means there was nothing to reset.
async fn reset(
    session: &Session,
    service: Service,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<(), BackendError> {
    let response = session.send(service, Method::DELETE, path, None, headers).await?;
    let status = response.status();
    if status.is_success() || status == StatusCode::NOT_FOUND {
        return Ok(());
    }
    Err(error_from(service, response).await)
}

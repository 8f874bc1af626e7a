//! A project's quotas in Nova (`/os-quota-sets/{id}`), Cinder
//! (`/v3[/{admin project}]/os-quota-sets/{id}`) and Neutron
//! (`/v2.0/quotas/{id}`). Setting is a `PUT` of the limits Bibind owns, so
//! running it again changes nothing; resetting is a `DELETE` (back to the
//! defaults), which none of them refuses for a project without quotas.
//! Limits are checked against what the project already uses (Nova without
//! `force`, Cinder always, Neutron always from 2025.1 and with
//! `check_limit` before): lowering a limit below the usage is refused, for
//! an admin to decide.

use reqwest::{Method, StatusCode};
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{json, Value};

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

/// Where one service keeps a project's quotas, and the headers it wants.
struct QuotaEndpoint {
    service: Service,
    /// The path before the project's id.
    prefix: &'static str,
    headers: &'static [(&'static str, &'static str)],
}

const COMPUTE: QuotaEndpoint = QuotaEndpoint {
    service: Service::Compute,
    prefix: "/os-quota-sets",
    headers: &COMPUTE_MICROVERSION,
};

const VOLUME: QuotaEndpoint = QuotaEndpoint {
    service: Service::Volume,
    prefix: "/os-quota-sets",
    headers: &[],
};

const NETWORK: QuotaEndpoint = QuotaEndpoint {
    service: Service::Network,
    prefix: "/v2.0/quotas",
    headers: &[],
};

impl QuotaEndpoint {
    fn path(&self, project_id: &str) -> Result<String, BackendError> {
        Ok(format!("{}/{}", self.prefix, path_segment(project_id)?))
    }

    /// `PUT` of `body`; the answer read as `T` (which checks its shape).
    async fn put<T: DeserializeOwned>(
        &self,
        session: &Session,
        project_id: &str,
        body: &Value,
    ) -> Result<T, BackendError> {
        let path = self.path(project_id)?;
        let response = session
            .send(self.service, Method::PUT, &path, Some(body), self.headers)
            .await?;
        json_or_error(self.service, response).await
    }

    async fn get<T: DeserializeOwned>(&self, session: &Session, project_id: &str) -> Result<T, BackendError> {
        let path = self.path(project_id)?;
        let response = session
            .send(self.service, Method::GET, &path, None, self.headers)
            .await?;
        json_or_error(self.service, response).await
    }

    /// `DELETE` of a project's quotas: 202 (Nova), 200 (Cinder), 204
    /// (Neutron); a 404 means there was nothing to reset.
    async fn reset(&self, session: &Session, project_id: &str) -> Result<(), BackendError> {
        let path = self.path(project_id)?;
        let response = session
            .send(self.service, Method::DELETE, &path, None, self.headers)
            .await?;
        let status = response.status();
        if status.is_success() || status == StatusCode::NOT_FOUND {
            return Ok(());
        }
        Err(error_from(self.service, response).await)
    }
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
    let _: ComputeQuotaSet = COMPUTE.put(session, project_id, &body).await?;
    Ok(())
}

pub async fn set_volume(
    session: &Session,
    project_id: &str,
    quota: &ProjectQuota,
) -> Result<(), BackendError> {
    let body = json!({ "quota_set": { "volumes": quota.volumes, "gigabytes": quota.gigabytes } });
    let _: VolumeQuotaSet = VOLUME.put(session, project_id, &body).await?;
    Ok(())
}

pub async fn set_network(
    session: &Session,
    project_id: &str,
    quota: &ProjectQuota,
) -> Result<(), BackendError> {
    let body = json!({ "quota": { "network": quota.networks, "check_limit": true } });
    let _: NetworkQuota = NETWORK.put(session, project_id, &body).await?;
    Ok(())
}

pub async fn read_compute(
    session: &Session,
    project_id: &str,
    quota: &mut ProjectQuota,
) -> Result<(), BackendError> {
    let limits = COMPUTE
        .get::<ComputeQuotaSet>(session, project_id)
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
    let limits = VOLUME.get::<VolumeQuotaSet>(session, project_id).await?.quota_set;
    quota.volumes = limit_from_openstack(limits.volumes);
    quota.gigabytes = limit_from_openstack(limits.gigabytes);
    Ok(())
}

pub async fn read_network(
    session: &Session,
    project_id: &str,
    quota: &mut ProjectQuota,
) -> Result<(), BackendError> {
    let limits = NETWORK.get::<NetworkQuota>(session, project_id).await?.quota;
    quota.networks = limit_from_openstack(limits.network);
    Ok(())
}

/// Every service's quotas of the project back to the defaults: Nova's,
/// then Cinder's, then Neutron's.
pub async fn reset(session: &Session, project_id: &str) -> Result<(), BackendError> {
    for endpoint in [&COMPUTE, &VOLUME, &NETWORK] {
        endpoint.reset(session, project_id).await?;
    }
    Ok(())
}

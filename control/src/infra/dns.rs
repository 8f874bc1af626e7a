//! Checks the DNS records of an owner's own domain with a real resolver:
//! the system's (`/etc/resolv.conf`), or the name server
//! `[provisioning] dns_resolver` names (tests run an authoritative server on
//! the loopback). Answers are not cached here: an owner who just created a
//! record is told at once whether it holds.

use std::{net::SocketAddr, time::Duration};

use hickory_resolver::{
    config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts},
    net::runtime::TokioRuntimeProvider,
    proto::rr::{RData, RecordType},
    Resolver, ResolverBuilder, TokioResolver,
};

use crate::{
    domain::{DomainName, DomainProblem},
    Error, Result,
};

fn resolver_error(error: impl std::fmt::Display) -> Error {
    Error::Backend {
        backend: "dns",
        detail: format!("cannot set up the resolver: {error}"),
    }
}

/// The value of the TXT record proving control of a domain.
pub fn txt_value(token: &str) -> String {
    format!("bibind-verification={token}")
}

/// Looks up owners' records.
#[derive(Clone)]
pub struct DnsChecker {
    resolver: TokioResolver,
}

impl std::fmt::Debug for DnsChecker {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("DnsChecker")
    }
}

impl DnsChecker {
    /// With the system's resolver configuration.
    pub fn system() -> Result<Self> {
        Self::built(Resolver::builder(TokioRuntimeProvider::default()).map_err(resolver_error)?)
    }

    /// Asking only the name server at `address` (UDP, then TCP).
    pub fn with_name_server(address: SocketAddr) -> Result<Self> {
        let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
            .into_iter()
            .map(|mut connection| {
                connection.port = address.port();
                connection
            })
            .collect();
        let server = NameServerConfig::new(address.ip(), true, connections);
        let config = ResolverConfig::from_parts(None, Vec::new(), vec![server]);
        Self::built(Resolver::builder_with_config(
            config,
            TokioRuntimeProvider::default(),
        ))
    }

    /// Without a cache, and patient enough for a slow provider's servers.
    fn built(mut builder: ResolverBuilder<TokioRuntimeProvider>) -> Result<Self> {
        let options: &mut ResolverOpts = builder.options_mut();
        options.cache_size = 0;
        options.timeout = Duration::from_secs(3);
        options.attempts = 2;
        Ok(Self {
            resolver: builder.build().map_err(resolver_error)?,
        })
    }

    /// `None` when `domain` is a CNAME to `target` and its challenge name
    /// holds `token`; the first problem otherwise.
    pub async fn verify(&self, domain: &DomainName, token: &str, target: &str) -> Option<DomainProblem> {
        let expected = txt_value(token);
        let txt = match self
            .records(&format!("{}.", domain.challenge_name()), RecordType::TXT)
            .await
        {
            Ok(records) => records,
            Err(problem) => return Some(problem),
        };
        let texts: Vec<String> = txt
            .iter()
            .filter_map(|data| match data {
                RData::TXT(txt) => Some(
                    txt.txt_data
                        .iter()
                        .map(|part| String::from_utf8_lossy(part).into_owned())
                        .collect::<String>(),
                ),
                _ => None,
            })
            .collect();
        if texts.is_empty() {
            return Some(DomainProblem::TxtMissing);
        }
        if !texts.contains(&expected) {
            return Some(DomainProblem::TxtWrong);
        }
        let cname = match self
            .records(&format!("{}.", domain.as_str()), RecordType::CNAME)
            .await
        {
            Ok(records) => records,
            Err(problem) => return Some(problem),
        };
        let target = target.trim_end_matches('.').to_ascii_lowercase();
        let found = cname.iter().find_map(|data| match data {
            RData::CNAME(name) => Some(name.0.to_ascii().trim_end_matches('.').to_ascii_lowercase()),
            _ => None,
        });
        match found {
            None => Some(DomainProblem::CnameMissing),
            Some(found) if found == target => None,
            Some(found) => Some(DomainProblem::CnameWrong(found)),
        }
    }

    /// The records of `kind` at `name`: none when the name or the records
    /// do not exist.
    async fn records(&self, name: &str, kind: RecordType) -> std::result::Result<Vec<RData>, DomainProblem> {
        match self.resolver.lookup(name, kind).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter(|record| record.record_type() == kind)
                .map(|record| record.data.clone())
                .collect()),
            Err(error) if error.is_no_records_found() || error.is_nx_domain() => Ok(Vec::new()),
            Err(_) => Err(DomainProblem::NoAnswer),
        }
    }
}

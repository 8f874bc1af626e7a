//! `sim::dns::DnsServer` asked by a real resolver (hickory-resolver, as the
//! control plane's custom-domain verification will ask), over UDP and TCP,
//! and by raw messages for what a resolver hides (flags, TTLs, the SOA).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use hickory_resolver::{
    config::{ConnectionConfig, NameServerConfig, ResolverConfig},
    net::runtime::TokioRuntimeProvider,
    proto::{
        op::{Edns, Message, Query, ResponseCode},
        rr::{Name, RData, RecordType},
    },
    Resolver, TokioResolver,
};
use sim::dns::DnsServer;

/// A resolver of the server alone, through `connections`, caching nothing.
fn resolver(server: &DnsServer, connections: Vec<ConnectionConfig>) -> TokioResolver {
    let connections = connections
        .into_iter()
        .map(|mut connection| {
            connection.port = server.addr().port();
            connection
        })
        .collect();
    let name_server = NameServerConfig::new(server.addr().ip(), true, connections);
    let config = ResolverConfig::from_parts(None, vec![], vec![name_server]);
    let mut builder = Resolver::builder_with_config(config, TokioRuntimeProvider::default());
    let options = builder.options_mut();
    options.cache_size = 0;
    options.timeout = Duration::from_secs(2);
    options.attempts = 1;
    builder.build().expect("a resolver")
}

fn udp_and_tcp(server: &DnsServer) -> TokioResolver {
    resolver(server, vec![ConnectionConfig::udp(), ConnectionConfig::tcp()])
}

/// The TXT strings of `name`, each record's strings joined, sorted.
async fn txt(resolver: &TokioResolver, name: &str) -> Vec<String> {
    let lookup = resolver.txt_lookup(name).await.expect("TXT records");
    let mut values: Vec<String> = lookup
        .answers()
        .iter()
        .filter_map(|record| match &record.data {
            RData::TXT(txt) => Some(
                txt.txt_data
                    .iter()
                    .map(|part| String::from_utf8_lossy(part))
                    .collect(),
            ),
            _ => None,
        })
        .collect();
    values.sort();
    values
}

#[tokio::test]
async fn txt_records_are_answered_and_changes_seen_by_the_next_query() {
    let server = DnsServer::start().await.expect("started");
    server.set_txt(
        "_bibind.shop.example.fr",
        &["bibind-domain-verification=abc", "v=other"],
    );
    let resolver = udp_and_tcp(&server);

    assert_eq!(
        txt(&resolver, "_bibind.shop.example.fr.").await,
        ["bibind-domain-verification=abc", "v=other"]
    );
    // Case and the trailing dot do not matter.
    assert_eq!(txt(&resolver, "_BIBIND.Shop.Example.FR").await.len(), 2);

    server.set_txt("_bibind.shop.example.fr.", &["bibind-domain-verification=def"]);
    assert_eq!(
        txt(&resolver, "_bibind.shop.example.fr.").await,
        ["bibind-domain-verification=def"]
    );
    server.remove("_bibind.shop.example.fr");
    let gone = resolver
        .txt_lookup("_bibind.shop.example.fr.")
        .await
        .expect_err("removed");
    assert!(gone.is_nx_domain(), "{gone:?}");
}

#[tokio::test]
async fn cnames_are_answered_and_chased_inside_the_zone() {
    let server = DnsServer::start().await.expect("started");
    server.set_cname("shop.example.fr", "acme.shop.localhost");
    server.set_cname(
        "_acme-challenge.shop.example.fr",
        "_acme-challenge.proofs.example.fr",
    );
    server.set_txt("_acme-challenge.proofs.example.fr", &["proof"]);
    let resolver = udp_and_tcp(&server);

    let lookup = resolver
        .lookup("shop.example.fr.", RecordType::CNAME)
        .await
        .expect("the CNAME");
    let targets: Vec<String> = lookup
        .answers()
        .iter()
        .filter_map(|record| match &record.data {
            RData::CNAME(target) => Some(target.0.to_ascii()),
            _ => None,
        })
        .collect();
    assert_eq!(targets, ["acme.shop.localhost."]);

    // A TXT question on an alias: the chain and the target's records.
    assert_eq!(
        txt(&resolver, "_acme-challenge.shop.example.fr.").await,
        ["proof"]
    );
}

#[tokio::test]
async fn unknown_names_are_nxdomain_and_missing_types_nodata() {
    let server = DnsServer::start().await.expect("started");
    server.set_txt("_bibind.shop.example.fr", &["token"]);
    let resolver = udp_and_tcp(&server);

    let missing = resolver
        .txt_lookup("nowhere.example.fr.")
        .await
        .expect_err("no such name");
    assert!(missing.is_nx_domain(), "{missing:?}");
    // `shop.example.fr` exists (a name below it does) but has no TXT.
    let nodata = resolver
        .txt_lookup("shop.example.fr.")
        .await
        .expect_err("no TXT there");
    assert!(
        nodata.is_no_records_found() && !nodata.is_nx_domain(),
        "{nodata:?}"
    );
}

#[tokio::test]
async fn the_server_answers_over_tcp_too() {
    let server = DnsServer::start().await.expect("started");
    server.set_txt("_bibind.shop.example.fr", &["over-tcp"]);
    let resolver = resolver(&server, vec![ConnectionConfig::tcp()]);
    assert_eq!(txt(&resolver, "_bibind.shop.example.fr.").await, ["over-tcp"]);
    let missing = resolver
        .txt_lookup("nowhere.example.fr.")
        .await
        .expect_err("no such name");
    assert!(missing.is_nx_domain(), "{missing:?}");
}

#[tokio::test]
async fn an_answer_too_large_for_udp_is_truncated_and_fetched_over_tcp() {
    let server = DnsServer::start().await.expect("started");
    let long: Vec<String> = (0..8)
        .map(|index| format!("{index}{}", "x".repeat(299)))
        .collect();
    let values: Vec<&str> = long.iter().map(String::as_str).collect();
    server.set_txt("big.example.fr", &values);

    let raw = ask(&server, "big.example.fr.", RecordType::TXT, true).await;
    assert!(raw.truncation && raw.answers.is_empty(), "{raw:?}");

    let found = txt(&udp_and_tcp(&server), "big.example.fr.").await;
    assert_eq!(found.len(), 8);
    assert!(
        found.iter().all(|value| value.len() == 300),
        "values over 255 bytes come back whole"
    );
}

/// One UDP question, answered raw.
async fn ask(server: &DnsServer, name: &str, record_type: RecordType, edns: bool) -> Message {
    let mut request = Message::query();
    request.metadata.recursion_desired = true;
    request.add_query(Query::query(Name::from_ascii(name).unwrap(), record_type));
    if edns {
        request.set_edns(Edns::new());
    }
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.connect(server.addr()).await.unwrap();
    socket.send(&request.to_vec().unwrap()).await.unwrap();
    let mut buffer = vec![0; 65535];
    let length = tokio::time::timeout(Duration::from_secs(2), socket.recv(&mut buffer))
        .await
        .expect("an answer in time")
        .unwrap();
    let answer = Message::from_vec(&buffer[..length]).unwrap();
    assert_eq!(answer.id, request.id);
    answer
}

#[tokio::test]
async fn answers_are_authoritative_with_ttl_0_and_the_zones_soa() {
    let server = DnsServer::start().await.expect("started");
    server.set_txt("_bibind.shop.example.fr", &["token"]);

    let found = ask(&server, "_bibind.shop.example.fr.", RecordType::TXT, false).await;
    assert!(found.authoritative && found.recursion_desired && !found.recursion_available);
    assert_eq!(
        (found.response_code, found.answers.len()),
        (ResponseCode::NoError, 1)
    );
    assert_eq!(found.answers[0].ttl, 0);

    let nodata = ask(&server, "_bibind.shop.example.fr.", RecordType::A, false).await;
    assert_eq!(
        (nodata.response_code, nodata.answers.len()),
        (ResponseCode::NoError, 0)
    );
    let RData::SOA(soa) = &nodata.authorities[0].data else {
        panic!("an SOA in authority: {nodata:?}");
    };
    assert_eq!(nodata.authorities[0].name.to_ascii(), "example.fr.");
    assert_eq!((nodata.authorities[0].ttl, soa.minimum), (0, 0));

    let missing = ask(&server, "nowhere.example.fr.", RecordType::TXT, true).await;
    assert_eq!(missing.response_code, ResponseCode::NXDomain);
    assert!(missing.authoritative && missing.edns.is_some());
    assert_eq!(missing.authorities.len(), 1);

    // A malformed message: FORMERR, its id kept.
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.connect(server.addr()).await.unwrap();
    socket
        .send(&[0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xff])
        .await
        .unwrap();
    let mut buffer = [0; 512];
    let length = tokio::time::timeout(Duration::from_secs(2), socket.recv(&mut buffer))
        .await
        .expect("an answer in time")
        .unwrap();
    let answer = Message::from_vec(&buffer[..length]).unwrap();
    assert_eq!((answer.id, answer.response_code), (0xabcd, ResponseCode::FormErr));
}

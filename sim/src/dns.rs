//! `sim dns`: a small authoritative DNS server for the tests of custom
//! domains, reached by a real resolver over UDP and TCP (RFC 1035 4.2, the
//! TCP messages with their 2-byte length). It holds TXT and CNAME records
//! and answers for every name as the authority of its zone, the name's last
//! two labels: AA set, RD copied, RA clear, TTL 0; a CNAME answers queries
//! of other types and is chased while its target stays in the zone; a name
//! without the type is NODATA, an unknown one NXDOMAIN, both with the zone's
//! SOA (TTL and minimum 0, so resolvers keep no negative answer).

use std::{
    collections::BTreeMap,
    io,
    net::{Ipv4Addr, SocketAddr},
    sync::{Arc, Mutex},
    time::Duration,
};

use hickory_proto::{
    op::{Edns, Message, Query, ResponseCode},
    rr::{
        rdata::{CNAME, SOA, TXT},
        DNSClass, Name, RData, Record, RecordType,
    },
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream, UdpSocket},
    task::{JoinHandle, JoinSet},
};

/// Every answer's TTL, and the SOA's: nothing is worth caching in a test.
const TTL: u32 = 0;
/// A DNS header's length; anything shorter is not answered.
const HEADER_LEN: usize = 12;
/// UDP's answer size without EDNS (RFC 1035 2.3.4).
const UDP_LIMIT: usize = 512;
/// The UDP payload the server offers over EDNS (the DNS flag day's value).
const EDNS_PAYLOAD: u16 = 1232;
/// How many CNAMEs a chain may have before the server stops chasing (loops).
const MAX_CHAIN: usize = 8;
/// An idle TCP connection is closed after this long.
const TCP_IDLE: Duration = Duration::from_secs(10);
/// A character-string's length limit (RFC 1035 3.3): longer TXT values are split.
const TXT_CHUNK: usize = 255;

/// What a name holds: one CNAME, or TXT records (a CNAME has no other data, RFC 1034 3.6.2).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Records {
    Txt(Vec<String>),
    Cname(Name),
}

/// The records, by lowercase fully qualified owner name.
#[derive(Debug, Default)]
struct Zone {
    names: BTreeMap<Name, Records>,
    /// The made-up SOAs' serial, moved by every change.
    serial: u32,
}

/// `name` as the zone keys it: lowercase, fully qualified; `None` when it is no domain name.
fn owner(name: &str) -> Option<Name> {
    let mut parsed = Name::from_ascii(name).ok()?.to_lowercase();
    parsed.set_fqdn(true);
    Some(parsed)
}

/// The zone `name` belongs to: its last two labels (the name itself when shorter).
fn apex_of(name: &Name) -> Name {
    if name.num_labels() > 2 {
        name.trim_to(2)
    } else {
        name.clone()
    }
}

/// `label.apex`, or the apex itself should that be too long a name.
fn under(apex: &Name, label: &str) -> Name {
    apex.prepend_label(label).unwrap_or_else(|_| apex.clone())
}

/// The zone's SOA, made up: only resolvers' negative caching reads it.
fn soa(apex: &Name, serial: u32) -> Record {
    let data = SOA::new(
        under(apex, "ns"),
        under(apex, "hostmaster"),
        serial,
        3600,
        600,
        86400,
        TTL,
    );
    Record::from_rdata(apex.clone(), TTL, RData::SOA(data))
}

/// One TXT record per value, a value over 255 bytes split in character-strings.
fn txt(name: &Name, value: &str) -> Record {
    let chunks: Vec<&[u8]> = value.as_bytes().chunks(TXT_CHUNK).collect();
    Record::from_rdata(name.clone(), TTL, RData::TXT(TXT::from_bytes(chunks)))
}

fn cname(name: &Name, target: &Name) -> Record {
    Record::from_rdata(name.clone(), TTL, RData::CNAME(CNAME(target.clone())))
}

/// The answer to one question, before it is put in a message.
#[derive(Debug)]
struct Answer {
    code: ResponseCode,
    answers: Vec<Record>,
    authorities: Vec<Record>,
}

impl Zone {
    fn set(&mut self, name: Name, records: Option<Records>) {
        match records {
            Some(records) => self.names.insert(name, records),
            None => self.names.remove(&name),
        };
        self.serial = self.serial.wrapping_add(1);
    }

    /// Whether `name` exists: it has records, is an apex, or has names below it (RFC 8020).
    fn exists(&self, name: &Name) -> bool {
        self.names.contains_key(name)
            || apex_of(name) == *name
            || self.names.keys().any(|owned| name.zone_of(owned))
    }

    /// Every record `name` holds, its apex's SOA included.
    fn records_at(&self, name: &Name) -> Vec<Record> {
        let mut records = match self.names.get(name) {
            Some(Records::Txt(values)) => values.iter().map(|value| txt(name, value)).collect(),
            Some(Records::Cname(target)) => vec![cname(name, target)],
            None => Vec::new(),
        };
        if apex_of(name) == *name {
            records.push(soa(name, self.serial));
        }
        records
    }

    /// The answer to `qname`/`qtype`, chasing CNAMEs inside the zone as authoritative servers do.
    fn answer(&self, qname: &Name, qtype: RecordType) -> Answer {
        let apex = apex_of(qname);
        let mut answers = Vec::new();
        let mut name = qname.clone();
        for _ in 0..MAX_CHAIN {
            let target = match self.names.get(&name) {
                Some(Records::Cname(target)) if !matches!(qtype, RecordType::CNAME | RecordType::ANY) => {
                    target.clone()
                }
                _ => return self.final_answer(&apex, &name, qtype, answers),
            };
            answers.push(cname(&name, &target));
            // Out of the zone, the resolver asks the target's own servers.
            if !apex.zone_of(&target) {
                break;
            }
            name = target;
        }
        Answer {
            code: ResponseCode::NoError,
            answers,
            authorities: Vec::new(),
        }
    }

    /// The end of a chain at `name`: its records of the type, NODATA or NXDOMAIN.
    fn final_answer(&self, apex: &Name, name: &Name, qtype: RecordType, mut answers: Vec<Record>) -> Answer {
        let found: Vec<Record> = self
            .records_at(name)
            .into_iter()
            .filter(|record| qtype == RecordType::ANY || record.record_type() == qtype)
            .collect();
        if !found.is_empty() {
            answers.extend(found);
            return Answer {
                code: ResponseCode::NoError,
                answers,
                authorities: Vec::new(),
            };
        }
        // RFC 6604: the code is the last name's; the SOA says how long to keep it.
        let code = if self.exists(name) {
            ResponseCode::NoError
        } else {
            ResponseCode::NXDomain
        };
        Answer {
            code,
            answers,
            authorities: vec![soa(apex, self.serial)],
        }
    }
}

type SharedZone = Arc<Mutex<Zone>>;

/// A header-only answer to a message that cannot be read further: its id,
/// opcode and RD copied, `code` set; `None` for what gets no answer at all.
fn header_only(request: &[u8], code: ResponseCode) -> Option<Vec<u8>> {
    let id = request.get(..2)?;
    let flags = request.get(2)?;
    let mut answer = vec![0; HEADER_LEN];
    answer[..2].copy_from_slice(id);
    // QR, the request's opcode and RD.
    answer[2] = 0x80 | (flags & 0x79);
    answer[3] = code.low();
    Some(answer)
}

/// The response to a decoded query of one question.
fn respond(zone: &Zone, request: &Message, query: &Query) -> Message {
    let mut response = Message::response(request.id, request.op_code);
    response.metadata.authoritative = true;
    response.metadata.recursion_desired = request.recursion_desired;
    response.metadata.recursion_available = false;
    response.metadata.checking_disabled = request.checking_disabled;
    response.add_query(query.clone());
    if let Some(edns) = &request.edns {
        let mut offered = Edns::new();
        offered.set_max_payload(EDNS_PAYLOAD);
        response.set_edns(offered);
        if edns.version() > 0 {
            response.metadata.response_code = ResponseCode::BADVERS;
            return response;
        }
    }
    let answer = match query.query_class() {
        DNSClass::IN | DNSClass::ANY => match query.query_type() {
            // Zone transfers are not offered, as a server that allows none answers.
            RecordType::AXFR | RecordType::IXFR => None,
            qtype => Some(zone.answer(&query.name().to_lowercase(), qtype)),
        },
        _ => None,
    };
    match answer {
        Some(answer) => {
            response.metadata.response_code = answer.code;
            response.insert_answers(answer.answers);
            response.insert_authorities(answer.authorities);
        }
        None => response.metadata.response_code = ResponseCode::Refused,
    }
    response
}

/// `response` on the wire within `limit` bytes: when over it, only the
/// question with TC set, so the resolver asks again over TCP.
fn encode(response: Message, limit: usize, request: &[u8]) -> Option<Vec<u8>> {
    match response.to_vec() {
        Ok(bytes) if bytes.len() <= limit => Some(bytes),
        Ok(_) => {
            let mut truncated = response;
            truncated.metadata.truncation = true;
            truncated.answers.clear();
            truncated.authorities.clear();
            truncated.additionals.clear();
            truncated.to_vec().ok()
        }
        Err(error) => {
            tracing::warn!(%error, "a DNS answer could not be encoded");
            header_only(request, ResponseCode::ServFail)
        }
    }
}

/// The answer to the wire message `request`: within `transport_limit`
/// bytes over TCP, within what its EDNS allows over UDP (`None`, 512 bytes
/// without EDNS); `None` for responses and runts, never answered.
fn handle(zone: &SharedZone, request: &[u8], transport_limit: Option<usize>) -> Option<Vec<u8>> {
    let flags = *request.get(2)?;
    if request.len() < HEADER_LEN || flags & 0x80 != 0 {
        return None;
    }
    if flags & 0x78 != 0 {
        return header_only(request, ResponseCode::NotImp);
    }
    let Ok(message) = Message::from_vec(request) else {
        return header_only(request, ResponseCode::FormErr);
    };
    let [query] = message.queries.as_slice() else {
        return header_only(request, ResponseCode::FormErr);
    };
    let response = respond(&crate::locked(zone), &message, query);
    let limit = transport_limit.unwrap_or_else(|| {
        let asked = message
            .edns
            .as_ref()
            .map_or(0, |edns| usize::from(edns.max_payload()));
        asked.clamp(UDP_LIMIT, usize::from(EDNS_PAYLOAD))
    });
    encode(response, limit, request)
}

async fn serve_udp(socket: UdpSocket, zone: SharedZone) {
    let mut buffer = vec![0; usize::from(u16::MAX)];
    loop {
        let (length, peer) = match socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            Err(error) => {
                // An ICMP error from an earlier answer's peer, most likely: go on.
                tracing::debug!(%error, "DNS over UDP: receive failed");
                continue;
            }
        };
        let Some(answer) = buffer
            .get(..length)
            .and_then(|request| handle(&zone, request, None))
        else {
            continue;
        };
        if let Err(error) = socket.send_to(&answer, peer).await {
            tracing::debug!(%error, %peer, "DNS over UDP: send failed");
        }
    }
}

/// One TCP connection's queries, each with its 2-byte length, until the
/// client closes it or stays idle.
async fn serve_connection(mut stream: TcpStream, zone: SharedZone) {
    loop {
        let Ok(Ok(length)) = tokio::time::timeout(TCP_IDLE, stream.read_u16()).await else {
            return;
        };
        let mut request = vec![0; usize::from(length)];
        if stream.read_exact(&mut request).await.is_err() {
            return;
        }
        let Some(answer) = handle(&zone, &request, Some(usize::from(u16::MAX))) else {
            return;
        };
        let Ok(length) = u16::try_from(answer.len()) else {
            return;
        };
        let written = async {
            stream.write_u16(length).await?;
            stream.write_all(&answer).await
        };
        if written.await.is_err() {
            return;
        }
    }
}

async fn serve_tcp(listener: TcpListener, zone: SharedZone) {
    // Dropped with this future: the connections end with the server.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, zone.clone()));
                }
                Err(error) => {
                    // Out of descriptors, say: wait rather than spin.
                    tracing::debug!(%error, "DNS over TCP: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// An authoritative DNS server on UDP and TCP of one port, serving until dropped.
pub struct DnsServer {
    address: SocketAddr,
    zone: SharedZone,
    task: JoinHandle<()>,
}

impl DnsServer {
    /// Binds UDP and TCP on 127.0.0.1 (the same free port for both) and serves until dropped.
    pub async fn start() -> io::Result<DnsServer> {
        let mut last_error = io::Error::from(io::ErrorKind::AddrInUse);
        // The UDP port the system picks may be taken for TCP: try another.
        for _ in 0..16 {
            match Self::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await {
                Ok(server) => return Ok(server),
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }

    /// Binds UDP and TCP on `address` (port 0: the UDP socket's port for both) and serves until dropped.
    pub async fn bind(address: SocketAddr) -> io::Result<DnsServer> {
        let udp = UdpSocket::bind(address).await?;
        let address = udp.local_addr()?;
        let tcp = TcpListener::bind(address).await?;
        let zone = SharedZone::default();
        let served = zone.clone();
        let task = tokio::spawn(async move {
            tokio::join!(serve_udp(udp, served.clone()), serve_tcp(tcp, served));
        });
        Ok(DnsServer { address, zone, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.address
    }

    /// Replaces the TXT records of `name` (each value one TXT string; none
    /// removes them), and its CNAME if it had one. An invalid name is ignored.
    pub fn set_txt(&self, name: &str, values: &[&str]) {
        let values: Vec<String> = values.iter().map(|value| (*value).to_owned()).collect();
        let records = (!values.is_empty()).then_some(Records::Txt(values));
        self.set(name, records);
    }

    /// Sets `name` as a CNAME to `target`, in place of its other records. An invalid name is ignored.
    pub fn set_cname(&self, name: &str, target: &str) {
        let Some(target) = owner(target) else {
            tracing::warn!(cname_target = target, "sim dns: not a domain name, ignored");
            return;
        };
        self.set(name, Some(Records::Cname(target)));
    }

    /// Removes every record of `name`.
    pub fn remove(&self, name: &str) {
        self.set(name, None);
    }

    fn set(&self, name: &str, records: Option<Records>) {
        let Some(name) = owner(name) else {
            tracing::warn!(name, "sim dns: not a domain name, ignored");
            return;
        };
        crate::locked(&self.zone).set(name, records);
    }

    /// Waits while the server serves: for ever, unless its task fails.
    async fn served(mut self) -> Result<(), String> {
        (&mut self.task)
            .await
            .map_err(|error| format!("the DNS server stopped: {error}"))
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A `--record` of the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting {
    Txt { name: String, value: String },
    Cname { name: String, target: String },
}

/// `TXT <name> <value…>` or `CNAME <name> <target>`, the type in any case.
fn parse_setting(text: &str) -> Result<Setting, String> {
    let mut parts = text.trim().splitn(3, char::is_whitespace);
    let (Some(kind), Some(name), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("expected `TXT <name> <value>` or `CNAME <name> <target>`".to_owned());
    };
    let checked = |name: &str| {
        owner(name)
            .map(|_| name.to_owned())
            .ok_or_else(|| format!("{name:?} is no domain name"))
    };
    let name = checked(name)?;
    match kind.to_ascii_uppercase().as_str() {
        "TXT" => Ok(Setting::Txt {
            name,
            value: data.trim().to_owned(),
        }),
        "CNAME" => Ok(Setting::Cname {
            name,
            target: checked(data.trim())?,
        }),
        other => Err(format!("record type {other} is not served (TXT or CNAME)")),
    }
}

#[derive(clap::Args, Debug)]
pub struct Options {
    /// Address to listen on, UDP and TCP.
    #[arg(long, default_value = "127.0.0.1:5353")]
    listen: SocketAddr,
    /// A record to serve, `TXT <name> <value>` or `CNAME <name> <target>`;
    /// repeat it (several TXT values of one name are several records).
    #[arg(long = "record", value_parser = parse_setting)]
    records: Vec<Setting>,
}

/// The records of `settings` on `server`; a CNAME beside other data is refused (RFC 1034 3.6.2).
fn apply(server: &DnsServer, settings: &[Setting]) -> Result<(), String> {
    let key = |name: &str| owner(name).ok_or_else(|| format!("{name:?} is no domain name"));
    let mut texts: BTreeMap<Name, (&str, Vec<&str>)> = BTreeMap::new();
    let mut aliases: BTreeMap<Name, (&str, &str)> = BTreeMap::new();
    for setting in settings {
        let (name, clash) = match setting {
            Setting::Txt { name, value } => {
                let key = key(name)?;
                let values = &mut texts.entry(key.clone()).or_insert((name, Vec::new())).1;
                values.push(value);
                (name, aliases.contains_key(&key))
            }
            Setting::Cname { name, target } => {
                let key = key(name)?;
                (
                    name,
                    texts.contains_key(&key) || aliases.insert(key, (name, target)).is_some(),
                )
            }
        };
        if clash {
            return Err(format!("{name} has a CNAME: it can have no other record"));
        }
    }
    for (name, values) in texts.values() {
        server.set_txt(name, values);
    }
    for (name, target) in aliases.values() {
        server.set_cname(name, target);
    }
    Ok(())
}

pub async fn run(options: Options) -> Result<(), String> {
    let server = DnsServer::bind(options.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", options.listen))?;
    apply(&server, &options.records)?;
    tracing::info!(listen = %server.addr(), records = options.records.len(), "DNS server listening");
    server.served().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        owner(text).unwrap()
    }

    fn zone() -> Zone {
        let mut zone = Zone::default();
        zone.set(
            name("_bibind.shop.example.fr"),
            Some(Records::Txt(vec!["token".into()])),
        );
        zone.set(
            name("shop.example.fr"),
            Some(Records::Cname(name("acme.shop.localhost"))),
        );
        zone.set(
            name("www.example.fr"),
            Some(Records::Cname(name("shop.example.fr"))),
        );
        zone.set(
            name("loop.example.fr"),
            Some(Records::Cname(name("loop.example.fr"))),
        );
        zone
    }

    #[test]
    fn the_apex_is_the_last_two_labels() {
        assert_eq!(apex_of(&name("_bibind.shop.example.fr")), name("example.fr"));
        assert_eq!(apex_of(&name("example.fr")), name("example.fr"));
        assert_eq!(apex_of(&name("localhost")), name("localhost"));
        assert_eq!(owner("Shop.Example.FR."), owner("shop.example.fr"));
        assert_eq!(owner("a..b"), None);
    }

    #[test]
    fn names_are_answered_nodata_or_nxdomain_with_the_soa() {
        let zone = zone();
        let found = zone.answer(&name("_BIBIND.shop.example.fr"), RecordType::TXT);
        assert_eq!((found.code, found.answers.len()), (ResponseCode::NoError, 1));
        let nodata = zone.answer(&name("_bibind.shop.example.fr"), RecordType::A);
        assert_eq!((nodata.code, nodata.answers.len()), (ResponseCode::NoError, 0));
        assert_eq!(nodata.authorities[0].record_type(), RecordType::SOA);
        assert_eq!(nodata.authorities[0].name, name("example.fr"));
        // An empty non-terminal exists (RFC 8020).
        let between = zone.answer(&name("example.fr"), RecordType::TXT);
        assert_eq!(between.code, ResponseCode::NoError);
        let missing = zone.answer(&name("nowhere.example.fr"), RecordType::TXT);
        assert_eq!((missing.code, missing.answers.len()), (ResponseCode::NXDomain, 0));
        let apex = zone.answer(&name("example.fr"), RecordType::SOA);
        assert_eq!(apex.answers.len(), 1);
    }

    #[test]
    fn cnames_answer_other_types_and_are_chased_inside_the_zone() {
        let zone = zone();
        let own = zone.answer(&name("shop.example.fr"), RecordType::CNAME);
        assert_eq!(own.answers.len(), 1);
        let out_of_zone = zone.answer(&name("shop.example.fr"), RecordType::A);
        assert_eq!(
            (out_of_zone.code, out_of_zone.answers.len()),
            (ResponseCode::NoError, 1)
        );
        assert!(out_of_zone.authorities.is_empty());
        let chained = zone.answer(&name("www.example.fr"), RecordType::TXT);
        let types: Vec<RecordType> = chained.answers.iter().map(Record::record_type).collect();
        assert_eq!(types, [RecordType::CNAME, RecordType::CNAME]);
        let looping = zone.answer(&name("loop.example.fr"), RecordType::TXT);
        assert_eq!(looping.answers.len(), MAX_CHAIN);
    }

    #[test]
    fn malformed_messages_get_formerr_and_other_opcodes_notimp() {
        let zone = SharedZone::default();
        let garbage = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xff];
        let answer = handle(&zone, &garbage, None).unwrap();
        // Id and RD copied, QR set, FORMERR, no sections.
        assert_eq!(answer, [0x12, 0x34, 0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]);
        let mut update = Message::query();
        update.metadata.op_code = hickory_proto::op::OpCode::Update;
        let bytes = update.to_vec().unwrap();
        let answer = handle(&zone, &bytes, None).unwrap();
        assert_eq!(answer[3] & 0x0f, ResponseCode::NotImp.low());
        assert_eq!(answer[2] & 0x78, 5 << 3);
        let mut response = Message::query();
        response.metadata.message_type = hickory_proto::op::MessageType::Response;
        assert_eq!(handle(&zone, &response.to_vec().unwrap(), None), None);
        assert_eq!(handle(&zone, &[0x12], None), None);
    }

    #[test]
    fn records_are_parsed_from_the_command_line() {
        assert_eq!(
            parse_setting("TXT _bibind.shop.example.fr a token with spaces"),
            Ok(Setting::Txt {
                name: "_bibind.shop.example.fr".into(),
                value: "a token with spaces".into()
            })
        );
        assert_eq!(
            parse_setting("cname shop.example.fr acme.shop.localhost"),
            Ok(Setting::Cname {
                name: "shop.example.fr".into(),
                target: "acme.shop.localhost".into()
            })
        );
        assert!(parse_setting("A shop.example.fr 127.0.0.1").is_err());
        assert!(parse_setting("TXT shop.example.fr").is_err());
    }
}

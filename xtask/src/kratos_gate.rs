//! What stands in front of Kratos' public API in the dev and test stacks, as
//! the ingress of `deploy/kubernetes/ingress-kratos.yaml` does in
//! production: browsers reach Kratos through it, and a form posted straight
//! to a self-service endpoint (`POST /self-service/…`) is refused with 403,
//! so every sign-in, sign-up, recovery, verification and settings post goes
//! through the portal's counted relay (which talks to Kratos' own port).
//! Everything else (starting flows, verification links, webauthn.js) passes.
//!
//! One request per connection (`Connection: close` is set on the way in), so
//! each request's method and path are seen.

use std::{
    io::{self, BufRead, BufReader, Write},
    net::{Shutdown, TcpListener, TcpStream},
    thread,
};

use anyhow::{Context, Result};

/// Serves on `listen` (port) in front of Kratos on `upstream` (port), on
/// threads that live as long as the process.
pub fn start(listen: u16, upstream: u16) -> Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", listen))
        .with_context(|| format!("the Kratos gate cannot listen on port {listen}"))?;
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            // A browser that went away mid-request: nothing to tell anyone.
            thread::spawn(move || relay(client, upstream).ok());
        }
    });
    Ok(())
}

/// Whether a browser may send this request to Kratos directly.
pub fn allowed(method: &str, path: &str) -> bool {
    let reads = matches!(method, "GET" | "HEAD" | "OPTIONS");
    reads || !path.starts_with("/self-service/")
}

fn relay(client: TcpStream, upstream: u16) -> io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut head = request_line.clone();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if !line.to_ascii_lowercase().starts_with("connection:") {
            head.push_str(&line);
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut client = client;
    if !allowed(method, path) {
        let body = "Kratos' self-service forms are posted through the portal.\n";
        write!(
            client,
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        return client.shutdown(Shutdown::Both);
    }
    let mut kratos = TcpStream::connect(("127.0.0.1", upstream))?;
    kratos.write_all(head.as_bytes())?;
    // What the reader already buffered of the body goes first.
    let buffered = reader.buffer().to_vec();
    kratos.write_all(&buffered)?;
    let mut to_kratos = kratos.try_clone()?;
    let mut rest = reader.into_inner();
    let uploads = thread::spawn(move || {
        let _ = io::copy(&mut rest, &mut to_kratos);
        let _ = to_kratos.shutdown(Shutdown::Write);
    });
    io::copy(&mut kratos, &mut client)?;
    let _ = client.shutdown(Shutdown::Both);
    let _ = uploads.join();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn only_reads_of_the_self_service_api_pass() {
        assert!(allowed("GET", "/self-service/login/browser"));
        assert!(allowed("GET", "/self-service/verification?code=1&flow=x"));
        assert!(allowed("GET", "/.well-known/ory/webauthn.js"));
        assert!(!allowed("POST", "/self-service/login?flow=x"));
        assert!(!allowed("POST", "/self-service/registration?flow=x"));
        assert!(!allowed("PUT", "/self-service/settings?flow=x"));
        assert!(allowed("POST", "/sessions/whoami"));
    }
}

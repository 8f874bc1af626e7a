//! Running commands and supervising long-lived services.

use std::{
    net::{SocketAddr, TcpListener, TcpStream},
    os::unix::process::CommandExt,
    path::Path,
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};

/// Runs a command to completion, failing with its name if it fails.
pub fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {}", describe(command)))?;
    if !status.success() {
        bail!("{} failed ({status})", describe(command));
    }
    Ok(())
}

/// Runs a command to completion with its output appended to `log`.
pub fn run_logged(command: &mut Command, log: &Path) -> Result<()> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open the log file {}", log.display()))?;
    command.stdout(file.try_clone()?).stderr(file);
    run(command).with_context(|| format!("see {}", log.display()))
}

/// Runs a command and returns its standard output.
pub fn output(command: &mut Command) -> Result<String> {
    let out = command
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", describe(command)))?;
    if !out.status.success() {
        bail!("{} failed ({})", describe(command), out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The HTTP status code curl got for a request made with `arguments` (its
/// headers, body and URL), the body thrown away.
pub fn http_status(arguments: &[&str]) -> Result<String> {
    let code = output(
        Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
            .args(arguments),
    )?;
    Ok(code.trim().to_owned())
}

pub fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// A background service in its own process group, stopped (with everything it
/// started) when dropped, so Ctrl-C or an error leaves no orphan.
pub struct Supervised {
    pub name: &'static str,
    child: Child,
}

impl Supervised {
    /// Starts `command` with its output appended to `log`.
    pub fn spawn(name: &'static str, command: &mut Command, log: &Path) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("cannot open the log file {}", log.display()))?;
        let stderr = file.try_clone()?;
        let child = command
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(stderr)
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot start {name} ({})", describe(command)))?;
        Ok(Self { name, child })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails if the process has already exited.
    pub fn check_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} exited early ({status}); see its log", self.name);
        }
        Ok(())
    }

    /// Whether it has ended, successfully (an error when it failed).
    pub fn exited_successfully(&mut self) -> Result<bool> {
        match self.child.try_wait()? {
            None => Ok(false),
            Some(status) if status.success() => Ok(true),
            Some(status) => bail!("{} failed ({status}); see its log", self.name),
        }
    }

    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let group = format!("-{}", self.child.id());
        signal_group("TERM", &group);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        signal_group("KILL", &group);
        let _ = self.child.wait();
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop();
    }
}

fn signal_group(signal: &str, group: &str) {
    let _ = Command::new("kill")
        .args([format!("-{signal}").as_str(), "--", group])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A free loopback port, for test services; never one it gave before in
/// this process: a port is chosen long before its service binds it (the
/// portal's, at the start of a run), and the kernel may offer it again
/// meanwhile (it did: a simulator took the portal's port).
pub fn free_port() -> Result<u16> {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    for _ in 0..100 {
        let listener = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
        let port = listener.local_addr()?.port();
        let mut given = GIVEN
            .lock()
            .map_err(|_| anyhow::anyhow!("the ports already given are unreadable"))?;
        if !given.contains(&port) {
            given.push(port);
            return Ok(port);
        }
    }
    bail!("no free port not given already in 100 tries")
}

/// Fails with a message naming the port and who wanted it when it is taken.
pub fn ensure_port_free(port: u16, wanted_by: &str, override_var: &str) -> Result<()> {
    if TcpListener::bind(("127.0.0.1", port)).is_err() {
        bail!(
            "port {port} (wanted by {wanted_by}) is already in use on 127.0.0.1: stop what holds it \
             (`ss -ltnp 'sport = :{port}'` shows it) or choose another port with {override_var}=…"
        );
    }
    Ok(())
}

/// Waits until something accepts connections on `port`.
pub fn wait_for_port(
    name: &str,
    port: u16,
    timeout: Duration,
    service: Option<&mut Supervised>,
) -> Result<()> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + timeout;
    let mut service = service;
    loop {
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Some(service) = service.as_deref_mut() {
            service.check_running()?;
        }
        if Instant::now() > deadline {
            bail!("{name} did not start listening on {address} within {timeout:?}");
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Blocks until Ctrl-C (or SIGTERM).
pub fn wait_for_interrupt() {
    let (tx, rx) = std::sync::mpsc::channel();
    if ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .is_err()
    {
        return;
    }
    let _ = rx.recv();
}

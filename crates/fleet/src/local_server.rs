//! A throwaway nats-server with JetStream, for tests and demos: on
//! 127.0.0.1 at a port the server picks, its store in a temporary folder,
//! stopped and removed when dropped. Needs `nats-server` on the `PATH`
//! (Debian's package; `scripts/dev/install-deps.sh` installs it).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running throwaway server.
pub struct LocalServer {
    child: Child,
    dir: tempfile::TempDir,
    extra: Vec<String>,
    env: Vec<(String, String)>,
    /// Its client URL, `nats://127.0.0.1:PORT`.
    pub url: String,
}

impl LocalServer {
    /// Starts a server with a new, empty store.
    pub fn start() -> std::io::Result<LocalServer> {
        LocalServer::start_with(&[])
    }

    /// Starts a server with a new, empty store and these further
    /// arguments (`--user vfp --pass secret`).
    pub fn start_with(extra: &[&str]) -> std::io::Result<LocalServer> {
        LocalServer::start_with_env(extra, &[])
    }

    /// [`start_with`](Self::start_with), the server given these
    /// environment variables too (a configuration file's `$VARIABLES`,
    /// such as its users' passwords).
    pub fn start_with_env(extra: &[&str], env: &[(&str, &str)]) -> std::io::Result<LocalServer> {
        let dir = tempfile::tempdir()?;
        let extra: Vec<String> = extra.iter().map(|a| (*a).to_owned()).collect();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let (child, url) = spawn(dir.path(), "-1", &extra, &env)?;
        Ok(LocalServer {
            child,
            dir,
            extra,
            env,
            url,
        })
    }

    /// Stops the server as a crash would (SIGKILL) and starts it again on
    /// the same port with the same store.
    pub fn restart(&mut self) -> std::io::Result<()> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let port = self.url.rsplit(':').next().unwrap_or("-1").to_owned();
        let (child, url) = spawn(self.dir.path(), &port, &self.extra, &self.env)?;
        self.child = child;
        self.url = url;
        Ok(())
    }

    /// The server's log, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Its JetStream store folder.
    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }
}

/// Starts `nats-server` on `port` (-1: one it picks) with its store, log
/// and ports file in `dir`, and `extra` arguments; the child and its
/// client URL.
fn spawn(
    dir: &Path,
    port: &str,
    extra: &[String],
    env: &[(String, String)],
) -> std::io::Result<(Child, String)> {
    let ports = dir.join("ports");
    let _ = std::fs::remove_dir_all(&ports);
    std::fs::create_dir_all(&ports)?;
    let mut child = Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", port, "-js", "-sd"])
        .arg(dir.join("store"))
        .arg("--ports_file_dir")
        .arg(&ports)
        .arg("-l")
        .arg(dir.join("server.log"))
        .args(extra)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot start nats-server ({e}); install it (scripts/dev/install-deps.sh)"),
            )
        })?;
    match wait_for_url(&ports) {
        Some(url) => Ok((child, url)),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            Err(std::io::Error::other(format!(
                "nats-server did not report its port within 20 s; its log:\n{log}"
            )))
        }
    }
}

/// The client URL from the ports file the server writes once it listens.
fn wait_for_url(ports: &Path) -> Option<String> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        let found = std::fs::read_dir(ports)
            .into_iter()
            .flatten()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().ends_with(".ports"));
        if let Some(entry) = found {
            if let Ok(text) = std::fs::read_to_string(entry.path()) {
                let json: Result<serde_json::Value, _> = serde_json::from_str(&text);
                if let Some(url) = json
                    .ok()
                    .and_then(|v| v["nats"][0].as_str().map(str::to_owned))
                {
                    return Some(url);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

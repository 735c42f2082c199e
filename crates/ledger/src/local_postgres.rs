//! A throwaway PostgreSQL server, for tests and trials: a new cluster in a
//! temporary folder (`initdb`), started on 127.0.0.1 at a free port with
//! its socket in that folder, stopped and removed when dropped. Clients
//! over TCP must give the password (SCRAM, as a real server asks), a new
//! random one per server. Needs
//! Debian's `postgresql` package (`scripts/dev/install-deps.sh`). PostgreSQL
//! refuses to run as root: run as root, it initialises and runs the
//! cluster as the `postgres` user (`runuser`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running throwaway server.
pub struct LocalPostgres {
    child: Child,
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_root: bool,
    /// Its connection URL: `postgres://vfp:PASSWORD@127.0.0.1:PORT/postgres`.
    pub url: String,
    /// The password of its user `vfp`.
    pub password: String,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl LocalPostgres {
    /// Initialises a cluster and starts it.
    pub fn start() -> std::io::Result<LocalPostgres> {
        let bin = bin_dir()?;
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("data");
        let as_root = nix_is_root();
        if as_root {
            // The cluster's folder must be the server user's.
            chown_to_postgres(dir.path())?;
        }
        let password = random_password();
        let pwfile = dir.path().join("pwfile");
        std::fs::write(&pwfile, format!("{password}\n"))?;
        if as_root {
            chown_to_postgres(&pwfile)?;
        }
        let initdb = run_as(
            as_root,
            &bin.join("initdb"),
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "vfp".as_ref(),
                "--auth-local=trust".as_ref(),
                "--auth-host=scram-sha-256".as_ref(),
                "--pwfile".as_ref(),
                pwfile.as_os_str(),
                "--no-sync".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()?;
        if !initdb.status.success() {
            return Err(std::io::Error::other(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&initdb.stderr)
            )));
        }
        let port = free_port()?;
        let log = dir.path().join("server.log");
        let child = run_as(
            as_root,
            &bin.join("postgres"),
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-h".as_ref(),
                "127.0.0.1".as_ref(),
                "-p".as_ref(),
                port.to_string().as_ref(),
                "-k".as_ref(),
                dir.path().as_os_str(),
                "-c".as_ref(),
                "fsync=off".as_ref(),
            ],
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()?;
        let mut server = LocalPostgres {
            child,
            dir,
            bin: bin.clone(),
            as_root,
            url: format!("postgres://vfp:{password}@127.0.0.1:{port}/postgres"),
            password,
            port,
        };
        server.wait_ready(&bin, port)?;
        Ok(server)
    }

    /// The server's log, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self, bin: &Path, port: u16) -> std::io::Result<()> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Some(status) = self.child.try_wait()? {
                return Err(std::io::Error::other(format!(
                    "postgres exited ({status}): {}",
                    self.log()
                )));
            }
            let ready = Command::new(bin.join("pg_isready"))
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                    "-U",
                    "vfp",
                    "-q",
                ])
                .status()?;
            if ready.success() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(std::io::Error::other(format!(
            "postgres was not ready within 30 s: {}",
            self.log()
        )))
    }
}

impl Drop for LocalPostgres {
    /// Stops the server at once (`pg_ctl stop -m immediate`: as root the
    /// child is `runuser`, which a kill would not pass on), then its folder
    /// goes with the temporary folder.
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = run_as(
            self.as_root,
            &self.bin.join("pg_ctl"),
            &[
                "stop".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
                "-m".as_ref(),
                "immediate".as_ref(),
                "-w".as_ref(),
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's PostgreSQL programs (the newest installed version).
fn bin_dir() -> std::io::Result<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                "PostgreSQL is not installed (/usr/lib/postgresql); run scripts/dev/install-deps.sh",
            )
        })?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .ok_or_else(|| std::io::Error::other("no PostgreSQL with initdb in /usr/lib/postgresql"))
}

/// 128 random bits as hex, from the standard library's per-process
/// random hash keys.
fn random_password() -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    (0..2)
        .map(|_| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u8(0);
            format!("{:016x}", h.finish())
        })
        .collect()
}

fn nix_is_root() -> bool {
    // The owner of /proc/self is the effective user of this process.
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

fn chown_to_postgres(dir: &Path) -> std::io::Result<()> {
    let status = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(dir)
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(
            "cannot give the cluster's folder to the postgres user",
        ))
    }
}

/// `program args` as is, or as the `postgres` user when run as root.
fn run_as(as_root: bool, program: &Path, args: &[&std::ffi::OsStr]) -> Command {
    if as_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program).args(args);
        c
    } else {
        let mut c = Command::new(program);
        c.args(args);
        c
    }
}

fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

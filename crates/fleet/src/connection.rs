//! The connection to a NATS server with JetStream that the catalogs, the
//! queue and the uploads share: connecting (to one server, or the first
//! of a cluster's that answers), JetStream requests retried while a
//! cluster moves a leader, streams and buckets opened or created, and the
//! checked download of an object.

use crate::FleetError;
use async_nats::jetstream::{self, object_store};
use async_nats::ServerAddr;
use sha2::{Digest, Sha256};
use std::path::Path;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A connection to a NATS server with JetStream (a clone shares it).
#[derive(Clone)]
pub struct Fleet {
    pub(crate) url: String,
    pub(crate) client: async_nats::Client,
    pub(crate) js: jetstream::Context,
    /// Copies the server keeps of each stream and bucket this connection
    /// creates: 3 in a cluster of three or more servers (so that losing a
    /// server loses nothing), else 1.
    pub(crate) replicas: usize,
}

impl Fleet {
    /// Connects to the server at `url` (`nats://host:port`), or to the
    /// first of a comma-separated list of a cluster's servers that
    /// answers (the client learns the others from it and moves to one of
    /// them if its server goes). A user and password in a URL
    /// (`nats://vfp:secret@host:4222`), or a token alone
    /// (`nats://TOKEN@host:4222`), authenticate; errors and [`url`](Self::url)
    /// show the URL without them.
    pub async fn connect(url: &str) -> Result<Fleet, FleetError> {
        let shown = redact(url);
        let mut servers = Vec::new();
        for part in url.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let server_addr = part
                .parse::<ServerAddr>()
                .map_err(|e| server(&shown, "not a NATS server URL (nats://host:port)", e))?;
            servers.push(server_addr);
        }
        let decoded = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let credentials = servers.iter().find_map(|s| {
            s.username()
                .map(|u| (decoded(u), s.password().map(decoded)))
        });
        let options = match credentials {
            Some((user, Some(password))) => {
                async_nats::ConnectOptions::with_user_and_password(user, password)
            }
            Some((token, None)) => async_nats::ConnectOptions::with_token(token),
            None => async_nats::ConnectOptions::new(),
        };
        let client = options
            .name("vfp")
            .connection_timeout(std::time::Duration::from_secs(10))
            .connect(servers)
            .await
            .map_err(|e| server(&shown, "cannot connect", e))?;
        // The servers of its cluster a server tells its clients of (itself
        // among them).
        let cluster = client.server_info().connect_urls.len();
        Ok(Fleet {
            url: shown,
            js: jetstream::new(client.clone()),
            client,
            replicas: if cluster >= 3 { 3 } else { 1 },
        })
    }

    /// The server's URL as given, without a password or token.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// `url` (a comma-separated list) with each user and password or token
/// replaced by `***`, to be shown.
pub fn redact(url: &str) -> String {
    url.split(',')
        .map(|part| match (part.find("://"), part.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}***{}", &part[..scheme + 3], &part[at..])
            }
            (None, Some(at)) => format!("***{}", &part[at..]),
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl Fleet {
    /// Downloads `object` from `store` to `path`, through a partial file
    /// beside it that is renamed into place only once its size and SHA-256
    /// are `bytes` and `sha256`; nothing is left behind on failure.
    pub(crate) async fn download_checked(
        &self,
        store: &object_store::ObjectStore,
        object: &str,
        sha256: &str,
        bytes: u64,
        path: &Path,
    ) -> Result<(), Download> {
        // Unique to this download: other processes, or tasks of this one,
        // may fetch the same object into the same folder at once.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let part = path.with_file_name(format!(".{name}.part-{}-{n}", std::process::id()));
        let result = async {
            let mut source = store
                .get(object)
                .await
                .map_err(|e| Download::Server(e.to_string()))?;
            let mut file = tokio::fs::File::create(&part)
                .await
                .map_err(|e| Download::Failed(io(&part, "cannot create a file")(e)))?;
            let (mut hasher, mut got, mut buf) = (Sha256::new(), 0u64, vec![0u8; 1 << 20]);
            loop {
                let n = source
                    .read(&mut buf)
                    .await
                    .map_err(|e| Download::Server(e.to_string()))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                got += n as u64;
                if got > bytes {
                    break;
                }
                file.write_all(&buf[..n])
                    .await
                    .map_err(|e| Download::Failed(io(&part, "cannot write a file")(e)))?;
            }
            if got != bytes || sha256_hex(hasher.finalize()) != sha256 {
                return Err(Download::Mismatch);
            }
            file.sync_all()
                .await
                .map_err(|e| Download::Failed(io(&part, "cannot write a file")(e)))?;
            drop(file);
            std::fs::rename(&part, path)
                .map_err(|e| Download::Failed(io(path, "cannot keep a fetched file")(e)))
        }
        .await;
        if result.is_err() {
            let _ = std::fs::remove_file(&part);
        }
        result
    }
}

/// Whether `store` holds `object` (a content-addressed name) whole: not
/// deleted, and of `bytes` bytes. Publishes and uploads send only what it
/// does not.
pub(crate) async fn is_stored(store: &object_store::ObjectStore, object: &str, bytes: u64) -> bool {
    matches!(store.info(object).await,
        Ok(info) if !info.deleted && info.size as u64 == bytes)
}

/// Why a checked download failed.
pub(crate) enum Download {
    /// The server could not give the object.
    Server(String),
    /// It came, but not with the size and SHA-256 it should have.
    Mismatch,
    /// A local file could not be written.
    Failed(FleetError),
}

/// Now, ms since the Unix epoch.
pub(crate) fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A SHA-256 digest as 64 lowercase hex digits.
pub(crate) fn sha256_hex(digest: sha2::digest::Output<Sha256>) -> String {
    vfp_fingerprint::to_hex(&digest.into())
}

/// How long a JetStream request is retried while the server cannot answer
/// it: a cluster electing a leader (after losing a server) or a stream
/// just created and not yet known on every server.
const API_RETRY: std::time::Duration = std::time::Duration::from_secs(30);

impl Fleet {
    /// Runs the JetStream request `request`, again while it fails as a
    /// cluster in transition fails (a time-out, no responders), for up to
    /// [`API_RETRY`]; other failures at once. `what` names it in the error.
    pub(crate) async fn api<T, E, Fut>(
        &self,
        what: &str,
        request: impl Fn() -> Fut,
    ) -> Result<T, FleetError>
    where
        Fut: std::future::Future<Output = Result<T, E>>,
        E: std::fmt::Display,
    {
        let deadline = tokio::time::Instant::now() + API_RETRY;
        let mut backoff = std::time::Duration::from_millis(100);
        loop {
            match request().await {
                Ok(answer) => return Ok(answer),
                Err(e) => {
                    let text = e.to_string();
                    if !is_transient(&text) || tokio::time::Instant::now() >= deadline {
                        return Err(server(&self.url, what, text));
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(std::time::Duration::from_secs(2));
                }
            }
        }
    }
}

impl Fleet {
    /// The stream or bucket `get` opens, created by `create` if there is
    /// none yet. Opened first rather than created: creating one that
    /// exists fails if its configuration differs, and the number of
    /// replicas a client picks depends on the servers it sees now.
    pub(crate) async fn open_or_create<T, E1, E2, Get, Create>(
        &self,
        what: &str,
        get: impl Fn() -> Get,
        create: impl Fn() -> Create,
    ) -> Result<T, FleetError>
    where
        Get: std::future::Future<Output = Result<T, E1>>,
        Create: std::future::Future<Output = Result<T, E2>>,
        E1: std::fmt::Display,
        E2: std::fmt::Display,
    {
        if let Ok(opened) = self.api(what, &get).await {
            return Ok(opened);
        }
        match self.api(what, &create).await {
            Ok(created) => Ok(created),
            // Another client created it meanwhile.
            Err(e) => self.api(what, &get).await.map_err(|_| e),
        }
    }
}

/// Whether a client error is one a cluster gives while it moves a leader.
pub(crate) fn is_transient(error: &str) -> bool {
    let error = error.to_ascii_lowercase();
    [
        "timed out",
        "no responders",
        "leader",
        "temporarily unavailable",
    ]
    .iter()
    .any(|t| error.contains(t))
}

pub(crate) fn server(url: &str, what: &str, e: impl std::fmt::Display) -> FleetError {
    FleetError::Server {
        url: url.to_owned(),
        what: what.to_owned(),
        reason: e.to_string(),
    }
}

pub(crate) fn io<'a>(
    path: &'a Path,
    what: &'static str,
) -> impl FnOnce(std::io::Error) -> FleetError + 'a {
    move |source| FleetError::Io {
        path: path.to_owned(),
        what,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("nats://vfp:s3cret@10.0.0.5:4222,nats://10.0.0.6:4222"),
            "nats://***@10.0.0.5:4222,nats://10.0.0.6:4222"
        );
        assert_eq!(redact("tok@h:4222"), "***@h:4222");
        assert_eq!(redact("nats://h:4222"), "nats://h:4222");
    }

    #[test]
    fn a_cluster_in_transition_is_waited_for_other_failures_are_not() {
        for transient in [
            "timed out: jetstream request timed out",
            "no responders",
            "jetstream error: 503 (no leader)",
        ] {
            assert!(is_transient(transient), "{transient}");
        }
        for permanent in [
            "stream not found",
            "jetstream error: 400 (stream name already in use with a different configuration)",
            "bucket not found",
        ] {
            assert!(!is_transient(permanent), "{permanent}");
        }
    }
}

//! The service configuration: a TOML file, overridden by environment variables, overridden by
//! flags (the CLI fills [`Overrides`] from both, flags winning), over compiled-in defaults.
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! index = "idx"                # candidate index directory (optional: no shortlists without it)
//! vacancies = "bacheca"        # open-vacancy board directory (optional: no offers without it)
//! travel_times = "tempi.csv"   # travel times by public transport (optional; docs/congruita.md)
//! ada_table = "ada.csv"        # Atlante del lavoro ADA ↔ CP2011 (optional; docs/congruita.md)
//! did_codes = ["er-did.toml"]  # a Region's DID code tables (optional; docs/xml.md)
//! decisions_key = "log.key"    # signs the decision log's heads (optional; docs/decisions.md)
//! workers = 2                  # CPU jobs run at once
//! queue = 64                   # CPU jobs waiting beyond those; past it: 503 + Retry-After
//! request_timeout_ms = 10000
//! body_limit_bytes = 8388608
//! write_batch_max = 512        # candidate writes committed together at most
//! bulk_max_items = 10000       # items of one bulk request at most; past it: 413
//! max_connections = 4096       # open connections at most (the open-file limit is raised to fit)
//! header_read_timeout_ms = 10000   # a connection silent this long before a request head: closed
//!
//! [[keys]]
//! id = "sil-emilia-romagna"    # who calls (logged); never the key itself
//! sha256 = "9f86d0…"           # SHA-256 (hex) of the API key: `incrocio key new`
//! scopes = ["profiling", "shortlists"]
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use incrocio_core::error::{Error, ModelError, Result};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub enum Scope {
    /// `POST /v1/profiling`.
    #[serde(rename = "profiling")]
    Profiling,
    /// `POST /v1/shortlists`.
    #[serde(rename = "shortlists")]
    Shortlists,
    /// `GET /v1/candidates/{id}` (implied by `candidates:write`).
    #[serde(rename = "candidates:read")]
    CandidatesRead,
    /// `PUT` and `DELETE /v1/candidates/{id}`.
    #[serde(rename = "candidates:write")]
    CandidatesWrite,
    /// `POST /v1/graduatorie`, `POST /v1/graduatorie/riesame`.
    #[serde(rename = "graduatorie")]
    Graduatorie,
    /// `POST /v1/offers`, `POST /v1/skills/gap`, `GET /v1/vacancies/{id}` (implied by
    /// `vacancies:write`).
    #[serde(rename = "offers")]
    Offers,
    /// `PUT` and `DELETE /v1/vacancies/{id}`.
    #[serde(rename = "vacancies:write")]
    VacanciesWrite,
    /// `POST /v1/profiles/{person_id}/override`: an operator's override of a class.
    #[serde(rename = "overrides")]
    Overrides,
    /// `GET /v1/decisions`: the decision log, for audits and access requests.
    #[serde(rename = "audit")]
    Audit,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 9] = [
        Scope::Profiling,
        Scope::Shortlists,
        Scope::CandidatesRead,
        Scope::CandidatesWrite,
        Scope::Graduatorie,
        Scope::Offers,
        Scope::VacanciesWrite,
        Scope::Overrides,
        Scope::Audit,
    ];

    /// The name used in config files and error messages.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Profiling => "profiling",
            Scope::Shortlists => "shortlists",
            Scope::CandidatesRead => "candidates:read",
            Scope::CandidatesWrite => "candidates:write",
            Scope::Graduatorie => "graduatorie",
            Scope::Offers => "offers",
            Scope::VacanciesWrite => "vacancies:write",
            Scope::Overrides => "overrides",
            Scope::Audit => "audit",
        }
    }
}

/// One API key, stored hashed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    /// Who holds it (appears in logs).
    pub id: String,
    /// Lower-case hex SHA-256 of the key.
    pub sha256: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
}

impl ApiKey {
    /// Whether the key grants `scope`.
    pub fn grants(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
            || (scope == Scope::CandidatesRead && self.scopes.contains(&Scope::CandidatesWrite))
            || (scope == Scope::Offers && self.scopes.contains(&Scope::VacanciesWrite))
    }
}

/// The hash stored for a key.
pub fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Candidate index directory.
    #[serde(default)]
    pub index: Option<PathBuf>,
    /// Open-vacancy board directory.
    #[serde(default)]
    pub vacancies: Option<PathBuf>,
    /// Decision log directory: when set, every profile, rosa, graduatoria, riesame, congruity
    /// verdict and override is recorded there, synced before the answer.
    #[serde(default)]
    pub decisions: Option<PathBuf>,
    /// The Ed25519 key the decision log's heads are signed with (`incrocio log keygen`;
    /// optional: without it the chain is plain SHA-256).
    #[serde(default)]
    pub decisions_key: Option<PathBuf>,
    /// Travel-time table (CSV `origine,destinazione,minuti`).
    #[serde(default)]
    pub travel_times: Option<PathBuf>,
    /// ADA table (CSV `ada,cp2011`).
    #[serde(default)]
    pub ada_table: Option<PathBuf>,
    /// A Region's DID code tables (the shape of `data/codici/did-codici.v1.toml`), added to
    /// the bundled one in order, as `--did-codes` does for `profile`.
    #[serde(default)]
    pub did_codes: Vec<PathBuf>,
    /// CPU jobs run at once.
    #[serde(default = "default_workers")]
    pub workers: usize,
    /// CPU jobs that may wait beyond `workers`.
    #[serde(default = "default_queue")]
    pub queue: usize,
    /// Per-request timeout.
    #[serde(default = "default_timeout")]
    pub request_timeout_ms: u64,
    /// Largest request body.
    #[serde(default = "default_body_limit")]
    pub body_limit_bytes: usize,
    /// Most candidate writes committed together.
    #[serde(default = "default_batch")]
    pub write_batch_max: usize,
    /// Most items of one bulk request (`POST /v1/candidates:bulk`, `/v1/vacancies:bulk`);
    /// past it the request is refused with 413.
    #[serde(default = "default_bulk_max_items")]
    pub bulk_max_items: usize,
    /// Open connections at most; a connection past it is closed at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// A connection that has not sent a whole request head within this time — on connect, or
    /// idle between keep-alive requests — is closed.
    #[serde(default = "default_header_timeout")]
    pub header_read_timeout_ms: u64,
    /// API keys.
    #[serde(default)]
    pub keys: Vec<ApiKey>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
fn default_queue() -> usize {
    64
}
fn default_timeout() -> u64 {
    10_000
}
fn default_body_limit() -> usize {
    8 << 20
}
fn default_batch() -> usize {
    512
}
fn default_bulk_max_items() -> usize {
    incrocio_engine::DEFAULT_BULK_MAX_ITEMS
}
fn default_max_connections() -> usize {
    4_096
}
fn default_header_timeout() -> u64 {
    10_000
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: default_listen(),
            index: None,
            vacancies: None,
            decisions: None,
            decisions_key: None,
            travel_times: None,
            ada_table: None,
            did_codes: Vec::new(),
            workers: default_workers(),
            queue: default_queue(),
            request_timeout_ms: default_timeout(),
            body_limit_bytes: default_body_limit(),
            write_batch_max: default_batch(),
            bulk_max_items: default_bulk_max_items(),
            max_connections: default_max_connections(),
            header_read_timeout_ms: default_header_timeout(),
            keys: Vec::new(),
        }
    }
}

/// Values from the environment or flags, each overriding the file when set.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen` / `INCROCIO_LISTEN`.
    pub listen: Option<SocketAddr>,
    /// `--index` / `INCROCIO_INDEX`.
    pub index: Option<PathBuf>,
    /// `--vacancies` / `INCROCIO_VACANCIES`.
    pub vacancies: Option<PathBuf>,
    /// `--workers` / `INCROCIO_WORKERS`.
    pub workers: Option<usize>,
    /// `--queue` / `INCROCIO_QUEUE`.
    pub queue: Option<usize>,
    /// `--request-timeout-ms` / `INCROCIO_REQUEST_TIMEOUT_MS`.
    pub request_timeout_ms: Option<u64>,
    /// `--body-limit-bytes` / `INCROCIO_BODY_LIMIT_BYTES`.
    pub body_limit_bytes: Option<usize>,
}

impl ServerConfig {
    /// Parses a configuration file's text; errors name the file and line.
    pub fn parse(file: &str, text: &str) -> Result<ServerConfig> {
        let c: ServerConfig = toml::from_str(text).map_err(|e| ModelError::toml(file, text, &e))?;
        c.check(file)?;
        Ok(c)
    }

    /// Reads and parses a configuration file; a relative `index` is taken from the file's
    /// directory.
    pub fn load(path: &Path) -> Result<ServerConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut c = ServerConfig::parse(&path.display().to_string(), &text)?;
        if let Some(dir) = path.parent() {
            for p in [
                &mut c.index,
                &mut c.vacancies,
                &mut c.decisions,
                &mut c.decisions_key,
                &mut c.travel_times,
                &mut c.ada_table,
            ]
            .into_iter()
            .flatten()
            {
                if p.is_relative() {
                    *p = dir.join(&*p);
                }
            }
            for p in &mut c.did_codes {
                if p.is_relative() {
                    *p = dir.join(&*p);
                }
            }
        }
        Ok(c)
    }

    /// Applies the overrides (set values win).
    pub fn with(mut self, o: Overrides) -> Result<ServerConfig> {
        if let Some(v) = o.listen {
            self.listen = v;
        }
        if o.index.is_some() {
            self.index = o.index;
        }
        if o.vacancies.is_some() {
            self.vacancies = o.vacancies;
        }
        if let Some(v) = o.workers {
            self.workers = v;
        }
        if let Some(v) = o.queue {
            self.queue = v;
        }
        if let Some(v) = o.request_timeout_ms {
            self.request_timeout_ms = v;
        }
        if let Some(v) = o.body_limit_bytes {
            self.body_limit_bytes = v;
        }
        self.check("configuration")?;
        Ok(self)
    }

    fn check(&self, file: &str) -> Result<()> {
        let bad = |key: &str, reason: &str| Err(ModelError::new(file, key, reason).into());
        if self.workers == 0 {
            return bad("workers", "must be at least 1");
        }
        if self.max_connections == 0 {
            return bad("max_connections", "must be at least 1");
        }
        if self.header_read_timeout_ms == 0 {
            return bad("header_read_timeout_ms", "must be at least 1");
        }
        if self.request_timeout_ms == 0 {
            return bad("request_timeout_ms", "must be at least 1");
        }
        if self.write_batch_max == 0 {
            return bad("write_batch_max", "must be at least 1");
        }
        if self.bulk_max_items == 0 {
            return bad("bulk_max_items", "must be at least 1");
        }
        for (i, k) in self.keys.iter().enumerate() {
            if k.sha256.len() != 64 || !k.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return bad(
                    &format!("keys[{i}].sha256"),
                    "must be 64 hex digits (the SHA-256 of the key, `incrocio key new`)",
                );
            }
            if k.scopes.is_empty() {
                return bad(
                    &format!("keys[{i}].scopes"),
                    "a key needs at least one scope",
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_overrides() {
        let c = ServerConfig::parse(
            "t.toml",
            &format!(
                "listen = \"127.0.0.1:9000\"\nworkers = 3\n[[keys]]\nid = \"a\"\nsha256 = \"{}\"\nscopes = [\"candidates:write\"]\n",
                key_hash("secret")
            ),
        )
        .unwrap();
        assert_eq!(c.workers, 3);
        assert!(c.keys[0].grants(Scope::CandidatesRead));
        assert!(!c.keys[0].grants(Scope::Profiling));
        let c = c
            .with(Overrides {
                workers: Some(5),
                ..Overrides::default()
            })
            .unwrap();
        assert_eq!((c.workers, c.listen.port()), (5, 9000));
    }

    #[test]
    fn bad_files_name_the_key() {
        let e = ServerConfig::parse(
            "t.toml",
            "[[keys]]\nid = \"a\"\nsha256 = \"x\"\nscopes = [\"profiling\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("keys[0].sha256"), "{e}");
        let e = ServerConfig::parse("t.toml", "listen = \"127.0.0.1:1\"\nport = 3\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("port"), "{e}");
    }
}

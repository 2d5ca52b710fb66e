//! `incrocio serve` and `incrocio key`: configuration in, a running service out.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use incrocio_engine::catalog::Catalog;
use incrocio_http::config::{Overrides, Scope, ServerConfig, key_hash};
use incrocio_http::{Service, shutdown_signal};
use rand::RngCore;

/// Serve the HTTP API. Precedence: flags, then environment, then the file, then defaults.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Configuration file (TOML; docs in `src/http/config.rs` and the README).
    #[arg(long, env = "INCROCIO_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on (port 0: any free port, printed on start).
    #[arg(long, env = "INCROCIO_LISTEN")]
    listen: Option<SocketAddr>,
    /// Candidate index directory.
    #[arg(long, env = "INCROCIO_INDEX")]
    index: Option<PathBuf>,
    /// Create an empty candidate index at the index path when none is there.
    #[arg(long)]
    create_index: bool,
    /// Open-vacancy board directory (created empty when missing): enables offers.
    #[arg(long, env = "INCROCIO_VACANCIES")]
    vacancies: Option<PathBuf>,
    /// CPU jobs run at once.
    #[arg(long, env = "INCROCIO_WORKERS")]
    workers: Option<usize>,
    /// CPU jobs that may wait beyond the workers (then 503).
    #[arg(long, env = "INCROCIO_QUEUE")]
    queue: Option<usize>,
    /// Per-request timeout in milliseconds.
    #[arg(long, env = "INCROCIO_REQUEST_TIMEOUT_MS")]
    request_timeout_ms: Option<u64>,
    /// Largest request body in bytes (then 413).
    #[arg(long, env = "INCROCIO_BODY_LIMIT_BYTES")]
    body_limit_bytes: Option<usize>,
    /// Scoring model file (default: the newest bundled `default`, under models/matching/).
    #[arg(long)]
    model_file: Option<PathBuf>,
}

/// API key commands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make a new random key: prints the key (give it to the caller) and the `[[keys]]` entry
    /// with its hash (put it in the server configuration).
    New {
        /// Who will hold it (logged by the service).
        #[arg(long)]
        id: String,
        /// Scopes the key grants (repeat the flag for several).
        #[arg(long = "scope", required = true, value_parser = clap::builder::PossibleValuesParser::new(Scope::ALL.map(Scope::name)))]
        scopes: Vec<String>,
    },
}

pub(super) fn key(cmd: KeyCommand) -> Result<ExitCode> {
    let KeyCommand::New { id, scopes } = cmd;
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let key = format!("inc_{}", hex::encode(bytes));
    let entry = format!(
        "[[keys]]\nid = {}\nsha256 = \"{}\"\nscopes = [{}]\n",
        toml::Value::String(id),
        key_hash(&key),
        scopes
            .iter()
            .map(|s| toml::Value::String(s.clone()).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Check the entry parses (scope names included) before printing it.
    ServerConfig::parse("the new entry", &entry)?;
    println!("# the key (give it to the caller; it is stored nowhere):\n{key}\n");
    println!("# for the server configuration:\n{entry}");
    Ok(ExitCode::SUCCESS)
}

pub(super) fn serve(mut catalog: Catalog, a: ServeArgs) -> Result<ExitCode> {
    let file = match &a.config {
        Some(p) => ServerConfig::load(p)?,
        None => ServerConfig::default(),
    };
    let config = file.with(Overrides {
        listen: a.listen,
        index: a.index.clone(),
        vacancies: a.vacancies.clone(),
        workers: a.workers,
        queue: a.queue,
        request_timeout_ms: a.request_timeout_ms,
        body_limit_bytes: a.body_limit_bytes,
    })?;
    if config.keys.is_empty() {
        tracing::warn!("no API keys configured: every route but /healthz and /readyz answers 401");
    }
    for file in &config.did_codes {
        catalog
            .extend_did_codes(file)
            .with_context(|| format!("reading the DID code table {}", file.display()))?;
    }
    let mut engine = super::engine_for(catalog, a.model_file.as_deref())?;
    match &config.index {
        None => {}
        Some(dir) if a.create_index && !dir.join("FORMAT").exists() => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            engine = engine.create_index(dir, chrono::Local::now().date_naive())?;
        }
        Some(dir) => {
            engine = engine
                .open_index(dir)
                .with_context(|| format!("opening the candidate index {}", dir.display()))?;
            // The service is the index's one writer: at start it gives back the disk of the
            // vector rows no live candidate uses (replaced ones, a write cut short by a crash).
            let reclaimed = engine.compact_index()?;
            tracing::info!(reclaimed, "vector rows compacted");
        }
    }
    if let Some(dir) = &config.vacancies {
        let board = engine
            .open_vacancies(dir)
            .with_context(|| format!("opening the vacancy board {}", dir.display()))?;
        engine = engine.with_vacancies(board);
    }
    if let Some(file) = &config.travel_times {
        engine = engine
            .with_travel_times_file(file)
            .with_context(|| format!("reading the travel-time table {}", file.display()))?;
    }
    if let Some(file) = &config.ada_table {
        engine = engine
            .with_ada_table_file(file)
            .with_context(|| format!("reading the ADA table {}", file.display()))?;
    }
    // An index built for another model's vectors or titles is refused at start, not at the
    // first shortlist.
    engine.check()?;
    let mut config = config;
    match incrocio_http::raise_open_file_limit() {
        Some(n) => {
            tracing::info!(open_files = n, "open-file limit");
            if let Some(fit) = incrocio_http::connections_within(config.max_connections, n) {
                tracing::warn!(
                    max_connections = config.max_connections,
                    capped_to = fit,
                    open_files = n,
                    "max_connections does not fit the open-file limit: capped"
                );
                config.max_connections = fit;
            }
        }
        None => tracing::warn!("could not read or raise the open-file limit"),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("incrocio-http")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let addr = listener.local_addr()?;
        let service = Service::new(engine, &config)?;
        // The first line on stdout is the address: scripts and tests read it.
        println!("listening on http://{addr}");
        service.serve(listener, shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

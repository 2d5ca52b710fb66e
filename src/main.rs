//! The `incrocio` binary: parses arguments, sets up logging, runs [`cli::run`].

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc keeps freed pages for reuse: batch runs allocate and drop many large column
/// buffers, and on the system allocator each one is a fresh `mmap` and page faults.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("INCROCIO_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

//! The `incrocio` binary: parses arguments, sets up logging, runs [`cli::run`].

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

/// mimalloc keeps freed pages for reuse: batch runs allocate and drop many large column
/// buffers, and on the system allocator each one is a fresh `mmap` and page faults.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            // Help and version are not errors; a usage error is 64 (sysexits EX_USAGE).
            return if e.use_stderr() {
                ExitCode::from(64)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    tracing_subscriber::fmt()
        // Colour only on a terminal: a log written to a file carries no escape codes.
        .with_ansi(std::io::stderr().is_terminal())
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
            ExitCode::from(cli::exit_code(&e))
        }
    }
}

//! `incrocio import`: ministerial XML into incrocio's records.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use incrocio_engine::Engine;
use incrocio_engine::api::Ignored;

/// What to import.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// SAP XML (`Rev009_SAP.xsd`: one `lavoratore`, or a `lavoratori` batch) into candidate
    /// records (JSON lines), each validated as the index would; a summary of what was used,
    /// assumed and refused goes to stderr (and `--report`).
    Sap(SapArgs),
}

/// `import sap`.
#[derive(Debug, Args)]
pub struct SapArgs {
    /// A SAP XML file, or a directory: every `*.xml` in it, in name order.
    #[arg(long)]
    input: PathBuf,
    /// Candidate records, one JSON object per line (written atomically).
    #[arg(long)]
    output: PathBuf,
    /// `fail` stops at the first refused SAP and writes nothing; `skip` writes the valid ones
    /// and lists the refused in the report.
    #[arg(long, value_enum, default_value = "fail")]
    on_error: super::OnErrorArg,
    /// Report (JSON): counts, elements not used, values assumed, every refused SAP.
    #[arg(long)]
    report: Option<PathBuf>,
}

/// The largest XML file read (a batch of ~150,000 SAPs).
const MAX_FILE_BYTES: u64 = 256 << 20;

/// One refused SAP.
#[derive(Debug, serde::Serialize)]
struct Refused {
    file: String,
    /// 1-based position of the `lavoratore` in its file.
    position: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    element: String,
    reason: String,
}

#[derive(Debug, Default, serde::Serialize)]
struct Report {
    files: usize,
    imported: usize,
    refused: usize,
    /// Elements whose values the records took, by XPath, with how often.
    read: Ignored,
    /// Elements that carried nothing (no text below them), skipped, by XPath.
    skipped_empty: Ignored,
    /// `codprofessione` voci (6-level) read as their CP2011 unità professionale, by XPath.
    mapped_voce_to_unit: Ignored,
    /// Elements of the schema incrocio does not use, with how often they were seen.
    not_used: Ignored,
    /// Assumptions, with how often each was made.
    assumed: std::collections::BTreeMap<String, u64>,
    errors: Vec<Refused>,
}

fn files(input: &Path) -> Result<Vec<PathBuf>> {
    if input.is_dir() {
        let mut all: Vec<PathBuf> = std::fs::read_dir(input)
            .with_context(|| format!("reading {}", input.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("xml")))
            .collect();
        all.sort();
        Ok(all)
    } else {
        Ok(vec![input.to_owned()])
    }
}

/// Runs `import sap`.
pub fn sap(engine: &Engine, a: SapArgs, today: chrono::NaiveDate) -> Result<ExitCode> {
    let skip = matches!(a.on_error, super::OnErrorArg::Skip);
    let mut report = Report::default();
    let mut lines = Vec::new();
    for path in files(&a.input)? {
        report.files += 1;
        let name = path.display().to_string();
        let len = std::fs::metadata(&path)
            .with_context(|| format!("reading {name}"))?
            .len();
        if len > MAX_FILE_BYTES {
            anyhow::bail!("{name}: {len} bytes; split files larger than {MAX_FILE_BYTES} bytes");
        }
        let bytes = std::fs::read(&path).with_context(|| format!("reading {name}"))?;
        let parsed = engine.sap_candidates(&bytes, today, &incrocio_core::cancel::Cancel::never());
        let items = match parsed {
            Ok(items) => items,
            Err(incrocio_core::Error::Input(e)) if skip => {
                report.refused += 1;
                report.errors.push(Refused {
                    file: name.clone(),
                    position: 0,
                    id: None,
                    element: e.field,
                    reason: e.reason.to_string(),
                });
                continue;
            }
            Err(e) => return Err(anyhow::Error::new(e).context(name)),
        };
        for (k, item) in items.into_iter().enumerate() {
            match item {
                Ok(imported) => {
                    report.imported += 1;
                    report.not_used.merge(&imported.ignored);
                    report.read.merge(&imported.read());
                    report.skipped_empty.merge(&imported.empty);
                    report.mapped_voce_to_unit.merge(&imported.mapped);
                    for a in imported.assumed {
                        *report.assumed.entry(a).or_default() += 1;
                    }
                    lines.push(serde_json::to_string(&imported.candidate.record)?);
                }
                Err(e) if skip => {
                    report.refused += 1;
                    report.errors.push(Refused {
                        file: name.clone(),
                        position: k + 1,
                        id: e.record_id.clone(),
                        element: e.field,
                        reason: e.reason.to_string(),
                    });
                }
                Err(e) => {
                    return Err(anyhow::Error::new(incrocio_core::Error::Input(e))
                        .context(format!("{name}: SAP {}", k + 1)));
                }
            }
        }
    }
    incrocio_core::files::atomic_write(&a.output, |w| {
        for l in &lines {
            writeln!(w, "{l}").map_err(|e| incrocio_core::Error::io(&a.output, e))?;
        }
        Ok(())
    })?;
    if let Some(p) = &a.report {
        let text = serde_json::to_string_pretty(&report)?;
        incrocio_core::files::atomic_write(p, |w| {
            w.write_all(text.as_bytes())
                .map_err(|e| incrocio_core::Error::io(p, e))
        })?;
    }
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "{} SAPs imported to {}, {} refused, from {} files",
        report.imported,
        a.output.display(),
        report.refused,
        report.files
    )?;
    for (path, n) in &report.mapped_voce_to_unit.0 {
        writeln!(
            err,
            "  {n}× a CP2011 voce read as its unità professionale: {path}"
        )?;
    }
    for (path, n) in &report.skipped_empty.0 {
        writeln!(err, "  {n}× skipped as empty: {path}")?;
    }
    for (what, n) in &report.assumed {
        writeln!(err, "  assumed {n}×: {what}")?;
    }
    let unused: u64 = report.not_used.0.values().sum();
    if unused > 0 {
        writeln!(
            err,
            "  {unused} elements of {} kinds not used by incrocio (docs/xml.md; --report lists them)",
            report.not_used.0.len()
        )?;
    }
    for e in report.errors.iter().take(10) {
        writeln!(
            err,
            "  refused {} #{}{}: {}: {}",
            e.file,
            e.position,
            e.id.as_deref()
                .map(|i| format!(" (id {i})"))
                .unwrap_or_default(),
            e.element,
            e.reason
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

//! `incrocio log verify | show | compact` and `incrocio override`: the decision log from the
//! command line. The log is `src/decisions`; this only reads arguments and prints.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use incrocio_engine::Engine;
use incrocio_engine::api::OverrideRequest;
use incrocio_engine::audit;
use incrocio_engine::catalog::Catalog;

/// The decision log.
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Check every record's hash and link; name the first that does not hold. With --key, also
    /// check the signed heads (the log's own `heads.jsonl`, or an auditor's copy with --heads):
    /// each signature is the key's, and the log still holds each signed record's hash.
    Verify {
        /// Decision log directory.
        #[arg(long)]
        decisions: PathBuf,
        /// The public key the service signs heads with (64 hex characters, or a file holding
        /// them; `log keygen` prints it).
        #[arg(long)]
        key: Option<String>,
        /// Signed heads kept elsewhere (an auditor's copy, JSON lines); default: the log's own.
        #[arg(long, requires = "key")]
        heads: Option<PathBuf>,
    },
    /// Erase free text (an override's note) kept beside the log: by person, or by the digest
    /// the record holds. The records and the chain are unchanged. Not while a server writes.
    Erase {
        /// Decision log directory.
        #[arg(long)]
        decisions: PathBuf,
        /// Every note in the records of this person.
        #[arg(long, required_unless_present = "note")]
        person: Option<String>,
        /// A note's digest (`note_digest` of its record; repeatable).
        #[arg(long)]
        note: Vec<String>,
    },
    /// Make an Ed25519 key for signing the log's heads (`decisions_key` in the service
    /// configuration); prints its public key, for auditors.
    Keygen {
        /// The secret key file to write (must not exist; owner-readable only).
        #[arg(long)]
        output: PathBuf,
    },
    /// What the log holds about one person (JSON lines), for an access request.
    Show {
        /// Decision log directory.
        #[arg(long)]
        decisions: PathBuf,
        /// The person's id.
        #[arg(long)]
        person: String,
        /// At most this many records.
        #[arg(long, default_value_t = 10_000)]
        limit: usize,
    },
    /// Service-deadline indicators of a period (rosa within 20 days, esiti within 15, profiling
    /// within 60), with their LEP and SAP codes (JSON).
    Report {
        /// Decision log directory.
        #[arg(long)]
        decisions: PathBuf,
        /// First day of the period.
        #[arg(long)]
        from: NaiveDate,
        /// Last day of the period.
        #[arg(long)]
        to: NaiveDate,
    },
    /// Drop the records before a date (the retention period), keeping the chain verifiable
    /// from a checkpoint record; overrides still in force are kept. Not while a server writes.
    Compact {
        /// Decision log directory.
        #[arg(long)]
        decisions: PathBuf,
        /// Drop records made before this day (UTC).
        #[arg(long)]
        before: NaiveDate,
    },
}

/// `incrocio override`.
#[derive(Debug, Args)]
pub struct OverrideArgs {
    /// Decision log directory.
    #[arg(long)]
    decisions: PathBuf,
    /// The person's id.
    #[arg(long)]
    person: String,
    /// The profiling model `id@vN` whose class is overridden.
    #[arg(long)]
    model: String,
    /// The class the model computed (1-based).
    #[arg(long)]
    computed_class: u8,
    /// The class the operator sets (1-based).
    #[arg(long)]
    class: u8,
    /// Reason code (data/codici/motivi-override.csv).
    #[arg(long)]
    reason: String,
    /// The operator's note.
    #[arg(long)]
    note: Option<String>,
    /// The operator's id.
    #[arg(long)]
    operator: String,
    /// The override's date (default: today).
    #[arg(long)]
    date: Option<NaiveDate>,
    /// The first day it no longer applies (default: 90 days after --date, the next review).
    #[arg(long)]
    expires: Option<NaiveDate>,
}

/// Says that a torn last line (never acknowledged) is not part of the log.
fn torn_note(bytes: u64) {
    if bytes > 0 {
        eprintln!(
            "note: {bytes} bytes after the last newline: a line a crash cut short, never acknowledged, not part of the log (the service cuts it off when it opens the log)"
        );
    }
}

pub(super) fn log_cmd(cmd: LogCommand) -> Result<ExitCode> {
    match cmd {
        LogCommand::Verify {
            decisions,
            key: None,
            ..
        } => match audit::verify(&decisions)? {
            Ok(v) => {
                println!(
                    "ok: {} records from seq {}; head {}",
                    v.records, v.first_seq, v.head
                );
                torn_note(v.torn_bytes);
                Ok(ExitCode::SUCCESS)
            }
            Err(broken) => {
                eprintln!("error: {}: {broken}", decisions.join(audit::FILE).display());
                Ok(ExitCode::from(65))
            }
        },
        LogCommand::Verify {
            decisions,
            key: Some(key),
            heads,
        } => {
            let key = audit::HeadVerifier::parse(&key)?;
            match audit::verify_signed(&decisions, &key, heads.as_deref())? {
                Ok((v, h)) => {
                    println!(
                        "ok: {} records from seq {}; head {}; {} signed heads hold (last signed seq {}), {} from before a compaction; {} records after the last signed head",
                        v.records,
                        v.first_seq,
                        v.head,
                        h.checked,
                        h.last_signed_seq
                            .map_or_else(|| "none".to_owned(), |s| s.to_string()),
                        h.before_compaction,
                        h.unsigned_after
                    );
                    torn_note(v.torn_bytes);
                    Ok(ExitCode::SUCCESS)
                }
                Err(why) => {
                    eprintln!("error: {why}");
                    Ok(ExitCode::from(65))
                }
            }
        }
        LogCommand::Erase {
            decisions,
            person,
            mut note,
        } => {
            if let Some(p) = &person {
                note.extend(audit::note_digests_of(&decisions, p)?);
            }
            let n = audit::erase_notes(&decisions, &note)?;
            println!(
                "erased {n} notes of {} named; the records and their chain are unchanged",
                note.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Keygen { output } => {
            let key = audit::HeadKey::create(&output)?;
            eprintln!(
                "wrote {} (secret: give it to the service as `decisions_key`, keep it off the log's disk)",
                output.display()
            );
            println!("{}", key.public_hex());
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Show {
            decisions,
            person,
            limit,
        } => {
            let records = audit::records_of(
                &decisions,
                &person,
                limit,
                &incrocio_core::cancel::Cancel::never(),
            )?;
            for r in &records {
                println!("{}", serde_json::to_string(r)?);
            }
            eprintln!("{} records concern {person}", records.len());
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Report {
            decisions,
            from,
            to,
        } => {
            if to < from {
                return Err(super::UsageError(format!("--to {to} is before --from {from}")).into());
            }
            let r = audit::indicators(
                &decisions,
                from,
                to,
                chrono::Local::now().date_naive(),
                &incrocio_core::cancel::Cancel::never(),
            )?;
            println!("{}", serde_json::to_string_pretty(&r)?);
            for i in &r.indicators {
                eprintln!(
                    "{:<24} LEP {} SAP {}: {} cases, {} within {} days, {} late, {} open and overdue, {} pending; median {} days",
                    i.deadline.id,
                    i.deadline.lep,
                    i.deadline.sap,
                    i.cases,
                    i.within,
                    i.deadline.days,
                    i.late,
                    i.open_overdue,
                    i.pending,
                    i.median_days.map_or("—".into(), |m| format!("{m}"))
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Compact { decisions, before } => {
            let c = audit::compact(&decisions, before, chrono::Utc::now())?;
            println!(
                "dropped {} records, kept {}; checkpoint seq {} {}",
                c.dropped, c.kept, c.checkpoint.seq, c.checkpoint.hash
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `incrocio esito`.
#[derive(Debug, Args)]
pub struct EsitoArgs {
    /// Decision log directory.
    #[arg(long)]
    decisions: PathBuf,
    /// The rosa's id (`rosa_id` of the shortlist answer).
    #[arg(long)]
    rosa: String,
    /// A candidate of the rosa.
    #[arg(long)]
    candidate: String,
    /// hired, rejected, not_presented or declined.
    #[arg(long)]
    esito: String,
    /// When the employer gave it (default: today).
    #[arg(long)]
    date: Option<NaiveDate>,
}

pub(super) fn esito_cmd(
    catalog: Catalog,
    a: EsitoArgs,
    key: Option<&std::path::Path>,
) -> Result<ExitCode> {
    use incrocio_engine::api::{EsitiRequest, EsitoEntry};
    let esito =
        serde_json::from_value(serde_json::Value::String(a.esito.clone())).map_err(|_| {
            super::UsageError(format!(
                "--esito {}: expected hired, rejected, not_presented or declined",
                a.esito
            ))
        })?;
    let never = incrocio_core::cancel::Cancel::never();
    let (engine, _) =
        Engine::from_catalog(catalog, None)?.open_decisions(&a.decisions, 1, 1024, key)?;
    let req = EsitiRequest {
        esiti: vec![EsitoEntry {
            candidate_id: a.candidate,
            esito,
            date: a.date,
        }],
    };
    let today = chrono::Local::now().date_naive();
    let decided = engine
        .esiti(&a.rosa, req, "cli", today, &never)?
        .ok_or_else(|| {
            incrocio_core::Error::data(&a.decisions, format!("no rosa {} in the log", a.rosa))
        })?;
    let r = engine.record_blocking(decided)?;
    println!(
        "{}",
        serde_json::to_string_pretty(
            &serde_json::json!({"esiti": r.answer, "receipts": r.receipts})
        )?
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) fn override_cmd(
    catalog: Catalog,
    a: OverrideArgs,
    key: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let (engine, _) =
        Engine::from_catalog(catalog, None)?.open_decisions(&a.decisions, 1, 1024, key)?;
    let req = OverrideRequest {
        model: a.model,
        computed_class: a.computed_class,
        class: a.class,
        reason: a.reason,
        note: a.note,
        operator: a.operator.clone(),
        date: a.date,
        expires: a.expires,
    };
    let today = chrono::Local::now().date_naive();
    let actor = format!("operator:{}", a.operator);
    let r = engine.record_blocking(engine.override_profile(&a.person, req, today, &actor)?)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "override": r.answer,
            "decision": r.receipts.first(),
        }))?
    );
    Ok(ExitCode::SUCCESS)
}

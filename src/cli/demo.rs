//! `incrocio demo`: the main job on bundled data, end to end — profiling and re-profiling a
//! synthetic population, a graduatoria, a candidate index with a shortlist, and a ready-to-serve
//! configuration for the HTTP service.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use incrocio_core::files::atomic_write;
use incrocio_engine::Engine;
use incrocio_engine::api::{
    Candidate, Congruity, CvSpec, GraduatoriaRequest, OnError, PeopleSpec, ProfileRecord,
    ReprofileOptions, Stato, Synthetic, VacancyRecord,
};
use incrocio_engine::catalog::Catalog;
use incrocio_http::config::key_hash;

use super::{DemoArgs, print_report};

/// The demo's API key: printed in the README, valid only for the demo configuration (which
/// listens on 127.0.0.1).
pub const DEMO_KEY: &str = "incrocio-demo-key-not-secret";

pub(super) fn demo(catalog: &Catalog, a: DemoArgs) -> Result<ExitCode> {
    std::fs::create_dir_all(&a.dir).with_context(|| format!("creating {}", a.dir.display()))?;
    let as_of: NaiveDate = "2026-11-23".parse()?;
    let people = a.dir.join("people.parquet");
    let t = Instant::now();
    let engine = Engine::from_catalog(catalog.clone(), None)?;
    engine.synth_people(
        &people,
        &PeopleSpec {
            n: a.n,
            seed: 42,
            as_of,
        },
    )?;
    println!(
        "== synthesised {} people in {:.2} s → {}",
        a.n,
        t.elapsed().as_secs_f64(),
        people.display()
    );

    let one: ProfileRecord = serde_json::from_str(DEMO_RECORD)?;
    let ask = incrocio_engine::ProfilingRequest {
        model: Some("did".into()),
        as_of: Some(as_of),
        records: vec![one],
        on_error: Default::default(),
    };
    let never = incrocio_core::cancel::Cancel::never();
    let decided = engine.profile(&ask, as_of, "demo", &never)?;
    let profile = super::answer(&engine, decided)?
        .profiles
        .pop()
        .context("one profile")?;
    println!(
        "== one person ({}): index {:.6}, class {} {}",
        profile.person_id, profile.index, profile.class.code, profile.class.label
    );
    for c in &profile.contributions {
        let level = c
            .level
            .as_deref()
            .map(|l| format!(" [{l}]"))
            .unwrap_or_default();
        let value = c
            .value
            .as_ref()
            .map(|v| format!(" = {v}"))
            .unwrap_or_default();
        println!("   {:<24}{value}{level}: {:+.4}", c.feature, c.contribution);
    }
    for amt in &profile.adr.amounts {
        println!("   AdR {:<28} {} €", amt.contract, amt.amount_eur);
    }
    if let Some(n) = &profile.notice {
        println!("   {n}");
    }

    let first = a.dir.join("profiles-2026-11-23.parquet");
    println!("== first profiling of everyone, as of {as_of}");
    run_reprofile(&engine, &people, None, &first, as_of)?;
    let later = as_of + chrono::Days::new(45);
    let second = a.dir.join("profiles-2027-01-07.parquet");
    println!("== 45 days later ({later}): only what changed is due");
    run_reprofile(&engine, &people, Some(&first), &second, later)?;
    let review = as_of + chrono::Days::new(90);
    let third = a.dir.join("profiles-2027-02-21.parquet");
    println!("== 90 days later ({review}): everyone is due again");
    run_reprofile(&engine, &people, Some(&second), &third, review)?;

    println!("== graduatoria art. 16, Emilia-Romagna rules, 10 example applicants, 2 posts");
    let call = incrocio_engine::GraduatoriaCall {
        rules: "art16-emilia-romagna".into(),
        request: GraduatoriaRequest {
            publication_date: "2026-03-01".parse()?,
            deadline: None,
            posts: Some(2),
            public_employer: true,
            applicants: read_applicants_text(&engine, DEMO_APPLICANTS)?,
        },
    };
    let g = super::answer(&engine, engine.graduatoria(&call, "demo", &never)?)?;
    for r in &g.ranking {
        let tie = r
            .tie_break
            .as_ref()
            .map(|t| format!("  (after {}: {})", t.after, t.decided_by))
            .unwrap_or_default();
        let listed = g
            .list
            .iter()
            .find(|l| l.applicant_id == r.applicant_id)
            .map(|l| format!("  → sent, {}", l.title))
            .unwrap_or_default();
        println!(
            "   {:>2}. {}  {:>6}{tie}{listed}",
            r.position,
            r.applicant_id,
            r.total.to_string()
        );
    }
    for w in &g.warnings {
        println!("   warning: {w}");
    }
    demo_matching(&engine, &a.dir, a.cvs, as_of)?;
    Ok(ExitCode::SUCCESS)
}

fn demo_matching(synth: &Engine, dir: &Path, n: usize, as_of: NaiveDate) -> Result<()> {
    let cvs = dir.join("cvs.jsonl");
    let spec = CvSpec { n, seed: 42, as_of };
    synth.synth_records(&cvs, &spec, Synthetic::Cvs)?;
    let vacancies = dir.join("vacancies.jsonl");
    // With their true occupation (`esco`), so `eval matching`, `synth judgments` and `tune
    // matching` can grade relevance on them.
    let vspec = CvSpec {
        n: 100,
        seed: 7,
        as_of,
    };
    synth.synth_records(
        &vacancies,
        &vspec,
        Synthetic::Vacancies { with_truth: true },
    )?;
    let index_dir = dir.join("index");
    if index_dir.exists() {
        std::fs::remove_dir_all(&index_dir)
            .with_context(|| format!("removing the old {}", index_dir.display()))?;
    }
    let started = Instant::now();
    let engine = Engine::bundled()?;
    let candidates = engine.read_candidates(&cvs, as_of)?;
    let engine = engine.create_index(&index_dir, as_of)?;
    engine.index_candidates(&candidates, true)?;
    engine.compact_index()?;
    println!(
        "== candidate index: {} synthetic CVs in {:.2} s → {}",
        candidates.len(),
        started.elapsed().as_secs_f64(),
        index_dir.display()
    );
    let text = std::fs::read_to_string(&vacancies)?;
    let first = text.lines().next().context("no vacancy synthesised")?;
    std::fs::write(dir.join("vacancy.json"), first)?;
    let record: VacancyRecord = serde_json::from_str(first)?;
    let s = engine.shortlist(
        incrocio_engine::ShortlistRequest {
            vacancy: record.clone(),
            size: None,
            data_richiesta: None,
            exclude: Vec::new(),
        },
        "demo",
        &incrocio_core::cancel::Cancel::never(),
    )?;
    let s = super::answer(&engine, s)?;
    println!(
        "== shortlist for \"{}\" ({} km around {}): {} eligible, rosa of {}",
        record.titolo,
        record.raggio_km,
        record.comune,
        s.eligible_count,
        s.rosa.len()
    );
    for e in s.rosa.iter().take(5) {
        let c = &e.contributions;
        println!(
            "   {:>2}. {}  score {:.3} (lessicale {:.2}, competenze {:.2}, esperienza {:.2}, istruzione {:.2}, distanza {:.2}), {:.1} km",
            e.position,
            e.candidate_id,
            e.score,
            c.lessicale.value,
            c.competenze.value,
            c.esperienza.value,
            c.istruzione.value,
            c.distanza.value,
            e.distance_km
        );
    }
    for sug in s.suggestions.iter().take(3) {
        println!(
            "   narrowing: {} = {} → {} eligible",
            sug.parameter, sug.value, sug.remaining
        );
    }
    drop(engine);
    demo_offers(synth, dir, &candidates, as_of)?;
    let config = dir.join("serve.toml");
    let text = format!(
        "# Demo configuration written by `incrocio demo`: loopback only, one demo key.\nlisten = \"127.0.0.1:8080\"\nindex = \"index\"\nvacancies = \"bacheca\"\ndecisions = \"decisions\"\n\n[[keys]]\nid = \"demo\"\nsha256 = \"{}\"\nscopes = [\"profiling\", \"shortlists\", \"candidates:write\", \"graduatorie\", \"vacancies:write\", \"overrides\", \"audit\"]\n",
        key_hash(DEMO_KEY)
    );
    atomic_write(&config, |w| {
        std::io::Write::write_all(w, text.as_bytes())
            .map_err(|e| incrocio_core::Error::io(&config, e))
    })?;
    println!(
        "== HTTP service: `cargo run --release -- serve --config {}` (key: {DEMO_KEY}); README \"Use over HTTP\"",
        config.display()
    );
    Ok(())
}

/// The person's side: a board of open vacancies and one jobseeker's offers, each with its
/// congruity verdict and the reasons.
fn demo_offers(
    synth: &Engine,
    dir: &Path,
    candidates: &[Candidate],
    as_of: NaiveDate,
) -> Result<()> {
    let file = dir.join("bacheca.jsonl");
    let spec = CvSpec {
        n: 20_000,
        seed: 11,
        as_of,
    };
    synth.synth_records(&file, &spec, Synthetic::Vacancies { with_truth: false })?;
    let engine = Engine::bundled()?;
    let started = Instant::now();
    let vacancies = engine.read_vacancies(&file)?;
    let board = engine.create_vacancies(&dir.join("bacheca"), &vacancies)?;
    println!(
        "== vacancy board: {} open vacancies in {:.2} s → {}",
        board.len(),
        started.elapsed().as_secs_f64(),
        dir.join("bacheca").display()
    );
    let engine = engine.with_vacancies(board);
    // A NASpI recipient with occupations agreed in the patto and a DID over 6 months old.
    let person = candidates
        .iter()
        .find(|c| {
            let r = &c.record;
            r.stato == Stato::Attivo
                && r.prestazione.is_some()
                && !c.dichiarate.is_empty()
                && r.data_did.is_some_and(|d| (as_of - d).num_days() > 200)
                && !r.esperienze.is_empty()
        })
        .context("no demo jobseeker with a benefit and a patto")?;
    std::fs::write(
        dir.join("person.json"),
        serde_json::to_string(&person.record)?,
    )?;
    let out = engine.offers(
        incrocio_engine::OffersRequest {
            candidate_id: None,
            candidate: Some(person.record.clone()),
            data: Some(as_of),
            size: Some(5),
            rules: None,
        },
        as_of,
        "demo",
        &incrocio_core::cancel::Cancel::never(),
    )?;
    let out = super::answer(&engine, out)?;
    println!(
        "== offers for {} (NASpI, DID {}): {} of {} open vacancies pass the hard rules; rules {}@v{}",
        out.candidate_id,
        person
            .record
            .data_did
            .map(|d| d.to_string())
            .unwrap_or_default(),
        out.eligible_count,
        out.open_count,
        out.rules.id,
        out.rules.version
    );
    for o in &out.offers {
        let c = &o.congruita;
        let verdict = serde_json::to_value(c.esito)?;
        println!(
            "   {:>2}. {} \"{}\" {:.1} km  score {:.3}  → {} (fascia {})",
            o.position,
            o.vacancy_id,
            o.titolo,
            o.distance_km,
            o.score,
            verdict.as_str().unwrap_or("?"),
            c.fascia.as_deref().unwrap_or("?")
        );
        for r in c
            .regole
            .iter()
            .filter(|r| matches!(r.esito, Congruity::NonCongrua | Congruity::NonDeterminabile))
        {
            println!("       {}: {} ({})", r.regola, r.motivo, r.input);
        }
    }
    Ok(())
}

const DEMO_APPLICANTS: &str = include_str!("../../data/esempi/candidati-art16.csv");

fn read_applicants_text(
    engine: &Engine,
    text: &str,
) -> Result<Vec<incrocio_engine::api::Applicant>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("candidati.csv");
    std::fs::write(&path, text)?;
    Ok(engine.read_applicants(&path)?)
}

fn run_reprofile(
    engine: &Engine,
    input: &Path,
    previous: Option<&Path>,
    output: &Path,
    as_of: NaiveDate,
) -> Result<()> {
    let opts = ReprofileOptions {
        input: input.to_path_buf(),
        previous: previous.map(Path::to_path_buf),
        output: output.to_path_buf(),
        as_of,
        threads: 0,
        on_error: OnError::Fail,
        rejects: None,
        progress: true,
        chunk_rows: 0,
        overrides: None,
        input_digest_format: incrocio_engine::api::INPUT_DIGEST_FORMAT,
    };
    let t = Instant::now();
    let done = engine.reprofile("did", opts, None)?;
    print_report(&done.report, t.elapsed().as_secs_f64())
}

const DEMO_RECORD: &str = r#"{
  "Id": "DEMO-1", "DataNascita": "1971-03-02", "Genere": "F", "Cittadinanza": "000",
  "TitoloDiStudio": "20000000", "ProvinciaDiResidenza": "NA", "ComuneDomicilio": "063049",
  "HaMaiAvutoUnLavoro": true, "CondizioneOccupazionaleUnAnnoPrima": "occupato",
  "DataDID": "2025-09-01", "Sospensioni": [{"Dal": "2026-01-10", "Al": "2026-02-09"}],
  "PercettoreNASpI": true
}"#;

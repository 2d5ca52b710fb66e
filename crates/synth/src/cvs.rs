//! Synthetic CVs and vacancies on the real taxonomy and comuni.
//!
//! Each synthetic person has a career anchored on one CP2011 unità professionale that the
//! CP2011 → ESCO linkage resolves: most experiences are in its ESCO occupation, some in a
//! sibling occupation of the same ISCO group, a few anywhere. Experiences are written the
//! three ways regional systems send them (CP2011 code, ESCO URI, or only a job title taken from
//! the ESCO Italian labels or the CP2011 voci), so the resolver is exercised too. Vacancies are
//! drawn the same way, with the *true* occupation kept in `esco` only when `with_truth` is set
//! (evaluation) — the title alone is what a real employer writes.
//!
//! Marginals are plausible, not official statistics (written next to each draw).

use chrono::{Days, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use incrocio_core::reference::{Comune, Reference};
use incrocio_matching::{CandidateRecord, Disponibilita, Esperienza, Lingua, Stato, VacancyRecord};
use incrocio_taxonomy::{OccupationId, Taxonomy};

use super::people::pick;

/// Records per generator block (each block has its own seeded generator).
pub const CV_BLOCK: usize = 8_192;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct CvSpec {
    /// How many records.
    pub n: usize,
    /// Seed.
    pub seed: u64,
    /// The date the records are observed at.
    pub as_of: NaiveDate,
}

/// Occupations a generator may anchor a career or a vacancy on: the first ESCO link of every
/// linked CP2011 unit that has an Italian label, with the unit code.
fn anchors(t: &Taxonomy) -> Vec<(&str, OccupationId)> {
    t.cp2011
        .iter()
        .filter_map(|u| {
            let o = u.esco.first()?.occupation;
            (!t.occupations[o as usize].label_it.is_empty()).then_some((u.code.as_str(), o))
        })
        .collect()
}

fn comune<'a, R: Rng>(rng: &mut R, comuni: &'a [Comune]) -> &'a Comune {
    // Provincial capitals 30 times as likely as other comuni (they hold the people and the jobs).
    loop {
        let c = &comuni[rng.gen_range(0..comuni.len())];
        if c.capoluogo || rng.gen_ratio(1, 30) {
            return c;
        }
    }
}

/// An Italian title of an occupation: its preferred label or an alternative one, one gender.
fn title<R: Rng>(rng: &mut R, t: &Taxonomy, o: OccupationId) -> String {
    let occ = &t.occupations[o as usize];
    let label = if !occ.alt_it.is_empty() && rng.gen_ratio(1, 2) {
        &occ.alt_it[rng.gen_range(0..occ.alt_it.len())]
    } else {
        &occ.label_it
    };
    let parts: Vec<&str> = label.split('/').filter(|p| !p.trim().is_empty()).collect();
    parts
        .get(rng.gen_range(0..parts.len().max(1)))
        .map_or_else(|| label.clone(), |p| p.trim().to_owned())
}

/// A sibling occupation in the same ISCO-08 unit group, if any.
fn sibling<R: Rng>(rng: &mut R, t: &Taxonomy, o: OccupationId) -> OccupationId {
    let isco = &t.occupations[o as usize].isco;
    let same: Vec<OccupationId> = (0..t.occupations.len() as OccupationId)
        .filter(|&x| x != o && &t.occupations[x as usize].isco == isco)
        .filter(|&x| !t.occupations[x as usize].label_it.is_empty())
        .collect();
    if same.is_empty() {
        o
    } else {
        same[rng.gen_range(0..same.len())]
    }
}

/// Level of study typical of an ISCO major group (levels of `tab_studiolivello`).
fn level_for<R: Rng>(rng: &mut R, isco: &str) -> u8 {
    match isco.as_bytes().first() {
        Some(b'1' | b'2') => [7, 7, 7, 8, 12][rng.gen_range(0..5)],
        Some(b'3') => [4, 4, 5, 7][rng.gen_range(0..4)],
        Some(b'4' | b'5') => [2, 3, 4, 4][rng.gen_range(0..4)],
        _ => [1, 2, 2, 3, 4][rng.gen_range(0..5)],
    }
}

/// Up to `below − 1` distinct essential skills of `o` (URIs, sorted), drawn at random.
fn essential_skills<R: Rng>(
    rng: &mut R,
    t: &Taxonomy,
    o: OccupationId,
    below: usize,
) -> Vec<String> {
    let essentials: Vec<_> = t
        .skills_of(o)
        .iter()
        .filter(|(_, e)| *e)
        .map(|(s, _)| *s)
        .collect();
    (0..rng.gen_range(0..below).min(essentials.len()))
        .map(|_| t.skills[essentials[rng.gen_range(0..essentials.len())] as usize].uri())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

const CONTRACTS: [&str; 4] = ["A00", "A01", "A02", "A03"];
const LANGS: [&str; 4] = ["001", "002", "004", "005"];
const CEFR: [&str; 6] = ["A1", "A2", "B1", "B2", "C1", "C2"];

/// Generates block `block` of the synthetic CVs.
pub fn cv_block(
    spec: &CvSpec,
    block: usize,
    reference: &Reference,
    t: &Taxonomy,
) -> Vec<CandidateRecord> {
    let start = block * CV_BLOCK;
    let end = (start + CV_BLOCK).min(spec.n);
    let mut rng =
        ChaCha8Rng::seed_from_u64(spec.seed ^ (block as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let anchors = anchors(t);
    let comuni = reference.territory.comuni();
    (start..end)
        .map(|i| {
            let (cp, main) = anchors[rng.gen_range(0..anchors.len())];
            let isco = t.occupations[main as usize].isco.clone();
            let home = comune(&mut rng, comuni);
            // 0–4 experiences: 70% in the anchor occupation, 20% a sibling, 10% anywhere.
            let n_exp = pick(&mut rng, &[10, 35, 30, 15, 10]);
            let mut fine = spec.as_of;
            let mut esperienze = Vec::with_capacity(n_exp);
            for k in 0..n_exp {
                let (occ, code) = match pick(&mut rng, &[70, 20, 10]) {
                    0 => (main, Some(cp)),
                    1 => (sibling(&mut rng, t, main), None),
                    _ => {
                        let (c, o) = anchors[rng.gen_range(0..anchors.len())];
                        (o, Some(c))
                    }
                };
                let mesi = [3, 6, 12, 24, 48, 96][pick(&mut rng, &[15, 20, 25, 20, 12, 8])];
                // The latest experience is ongoing for 30%; earlier ones end before it.
                let ends = if k == 0 && rng.gen_ratio(3, 10) {
                    None
                } else {
                    fine = fine - Days::new(rng.gen_range(30..900));
                    Some(fine)
                };
                if let Some(f) = ends {
                    fine = f - Days::new(u64::from(mesi) * 30);
                }
                // How regional systems send it: 45% CP2011 code, 25% ESCO URI, 30% title only.
                let how = pick(&mut rng, &[45, 25, 30]);
                let title = title(&mut rng, t, occ);
                esperienze.push(Esperienza {
                    cp2011: (how == 0).then_some(code).flatten().map(str::to_owned),
                    esco: (how == 1 || (how == 0 && code.is_none()))
                        .then(|| t.occupations[occ as usize].uri()),
                    titolo: Some(title),
                    mesi,
                    fine: ends,
                });
            }
            // 0–4 declared skills among the anchor's essential ones.
            let competenze = essential_skills(&mut rng, t, main, 5);
            let level = level_for(&mut rng, &isco);
            let titoli = reference.codes.titolo_codes(level);
            // Languages: 60% English A2–C1, 15% a second language.
            let mut lingue = Vec::new();
            if rng.gen_ratio(6, 10) {
                lingue.push(Lingua {
                    codice: LANGS[0].into(),
                    livello: CEFR[rng.gen_range(1..5)].into(),
                });
            }
            if rng.gen_ratio(15, 100) {
                lingue.push(Lingua {
                    codice: LANGS[rng.gen_range(1..4)].into(),
                    livello: CEFR[rng.gen_range(0..6)].into(),
                });
            }
            let km_max = [None, Some(10), Some(25), Some(50), Some(100)]
                [pick(&mut rng, &[20, 15, 30, 25, 10])];
            let label = title(&mut rng, t, main);
            let mut record = CandidateRecord {
                id: format!("C{i:08}"),
                comune_domicilio: home.codice_istat.clone(),
                data_did: Some(spec.as_of - Days::new(rng.gen_range(0..900))),
                // 85% active, 10% suspended, 5% left the register.
                stato: [Stato::Attivo, Stato::Sospeso, Stato::Cessato]
                    [pick(&mut rng, &[85, 10, 5])],
                disponibilita: Disponibilita {
                    contratti: if rng.gen_ratio(1, 3) {
                        Vec::new()
                    } else {
                        CONTRACTS[..rng.gen_range(1..=CONTRACTS.len())]
                            .iter()
                            .map(|c| (*c).to_owned())
                            .collect()
                    },
                    modalita: Vec::new(),
                    km_max,
                },
                titolo_studio: titoli
                    .get(rng.gen_range(0..titoli.len().max(1)))
                    .map(|s| (*s).to_owned()),
                campo_studio: None,
                esperienze,
                competenze,
                competenze_testo: Vec::new(),
                lingue,
                // 75% hold a B licence.
                patenti: if rng.gen_ratio(3, 4) {
                    vec!["02".into()]
                } else {
                    Vec::new()
                },
                // 5% in the L. 68/1999 lists.
                collocamento_mirato: rng.gen_ratio(1, 20),
                sintesi: Some(format!(
                    "{} con esperienza, domicilio a {}. Disponibile dal {}.",
                    capitalise(&label),
                    home.nome,
                    spec.as_of.format("%d/%m/%Y")
                )),
                occupazioni_disponibili: Vec::new(),
                sospensioni: Vec::new(),
                prestazione: None,
                ore_ultimo_contratto: None,
            };
            person_side(spec, i, t, main, &mut record);
            record
        })
        .collect()
}

/// What the patto di servizio and the benefit add to a CV, drawn from the record's own stream
/// (so the fields drawn before them, and every rosa on them, do not change): 70% declare the
/// anchor occupation (a quarter of them also a sibling), 15% had a 30–90-day suspension, 40%
/// receive NASpI of 700–1,400 €, 60% state the last contract's hours.
fn person_side(spec: &CvSpec, i: usize, t: &Taxonomy, main: OccupationId, r: &mut CandidateRecord) {
    let mut rng = ChaCha8Rng::seed_from_u64(
        spec.seed.rotate_left(17) ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03),
    );
    let declare = |o: OccupationId| incrocio_matching::candidate::OccupazioneDichiarata {
        esco: Some(t.occupations[o as usize].uri()),
        cp2011: None,
        titolo: None,
    };
    if rng.gen_ratio(7, 10) {
        r.occupazioni_disponibili.push(declare(main));
        if rng.gen_ratio(1, 4) {
            let other = sibling(&mut rng, t, main);
            if other != main {
                r.occupazioni_disponibili.push(declare(other));
            }
        }
    }
    if let Some(did) = r.data_did {
        let elapsed = (spec.as_of - did).num_days();
        if elapsed > 120 && rng.gen_ratio(15, 100) {
            let dal = did + Days::new(rng.gen_range(1..(elapsed as u64 - 100)));
            let al = dal + Days::new(rng.gen_range(30..90));
            r.sospensioni
                .push(incrocio_core::period::Periodo { dal, al: Some(al) });
        }
    }
    if rng.gen_ratio(4, 10) {
        r.prestazione = Some(incrocio_matching::candidate::Prestazione {
            tipo: incrocio_matching::candidate::TipoPrestazione::Naspi,
            indennita_mensile: rust_decimal::Decimal::new(rng.gen_range(70_000..140_000), 2),
        });
    }
    if rng.gen_ratio(6, 10) {
        r.ore_ultimo_contratto = Some(rust_decimal::Decimal::from(
            [20u32, 24, 30, 36, 38, 40][pick(&mut rng, &[10, 10, 15, 15, 10, 40])],
        ));
    }
}

/// The terms of an offer, from the vacancy's own stream: open 10–120 days (10% already
/// expired), 10% through an agency, a fixed-term length for fixed-term contracts (70% in
/// months, 30% as dates), 70% 40 hours a week, pay 1,100–2,600 € for 80%, with the CCNL
/// minimum stated for 60% of those.
fn offer_terms(spec: &CvSpec, i: usize, v: &mut VacancyRecord) {
    let mut rng = ChaCha8Rng::seed_from_u64(
        (!spec.seed).rotate_left(23) ^ (i as u64).wrapping_mul(0x94D0_49BB_1331_11EB),
    );
    v.data_scadenza = Some(if rng.gen_ratio(1, 10) {
        spec.as_of - Days::new(rng.gen_range(1..30))
    } else {
        spec.as_of + Days::new(rng.gen_range(10..120))
    });
    v.somministrazione = rng.gen_ratio(1, 10);
    if v.contratto == "A01" || v.somministrazione {
        if rng.gen_ratio(7, 10) {
            v.durata_mesi = Some([1, 2, 3, 6, 12][pick(&mut rng, &[10, 15, 30, 30, 15])]);
        } else {
            let dal = spec.as_of + Days::new(rng.gen_range(15..60));
            v.periodo = Some(incrocio_core::period::Periodo {
                dal,
                al: Some(dal + Days::new(rng.gen_range(60..200))),
            });
        }
    }
    v.ore_settimanali = Some(rust_decimal::Decimal::from(if rng.gen_ratio(7, 10) {
        40
    } else {
        [18u32, 20, 24, 30, 32][rng.gen_range(0..5)]
    }));
    if rng.gen_ratio(8, 10) {
        let pay = rng.gen_range(1_100u32..2_600);
        v.retribuzione_mensile = Some(rust_decimal::Decimal::from(pay));
        if rng.gen_ratio(6, 10) {
            v.minimo_ccnl_mensile = Some(rust_decimal::Decimal::from(
                pay * rng.gen_range(85..=105) / 100,
            ));
        }
    }
}

/// Generates block `block` of the synthetic vacancies. With `with_truth`, `esco` carries the
/// occupation the vacancy was drawn from (for evaluation); otherwise only the title.
pub fn vacancy_block(
    spec: &CvSpec,
    block: usize,
    reference: &Reference,
    t: &Taxonomy,
    with_truth: bool,
) -> Vec<VacancyRecord> {
    let start = block * CV_BLOCK;
    let end = (start + CV_BLOCK).min(spec.n);
    let mut rng =
        ChaCha8Rng::seed_from_u64(!spec.seed ^ (block as u64).wrapping_mul(0x9FB2_1C65_1E98_DF25));
    let anchors = anchors(t);
    let comuni = reference.territory.comuni();
    (start..end)
        .map(|i| {
            let (cp, o) = anchors[rng.gen_range(0..anchors.len())];
            let place = comune(&mut rng, comuni);
            // Title: 60% an ESCO Italian label, 40% a CP2011 voce of the unit (a synonym).
            let voci = t.cp2011_unit(cp).map(|u| u.voci.as_slice()).unwrap_or(&[]);
            let titolo = if !voci.is_empty() && rng.gen_ratio(2, 5) {
                voci[rng.gen_range(0..voci.len())].to_lowercase()
            } else {
                title(&mut rng, t, o)
            };
            let competenze = essential_skills(&mut rng, t, o, 3);
            let isco = &t.occupations[o as usize].isco;
            let mut v = VacancyRecord {
                id: format!("V{i:08}"),
                titolo: titolo.clone(),
                esco: with_truth.then(|| t.occupations[o as usize].uri()),
                cp2011: None,
                comune: place.codice_istat.clone(),
                raggio_km: [10, 25, 50, 100][pick(&mut rng, &[20, 40, 30, 10])],
                contratto: CONTRACTS[pick(&mut rng, &[35, 45, 12, 8])].into(),
                modalita: None,
                livello_studio_min: rng
                    .gen_ratio(1, 2)
                    .then(|| level_for(&mut rng, isco).saturating_sub(1)),
                competenze,
                lingue: if rng.gen_ratio(1, 4) {
                    vec![Lingua {
                        codice: LANGS[0].into(),
                        livello: CEFR[rng.gen_range(1..4)].into(),
                    }]
                } else {
                    Vec::new()
                },
                patenti: if rng.gen_ratio(1, 5) {
                    vec!["02".into()]
                } else {
                    Vec::new()
                },
                riservata_l68: rng.gen_ratio(1, 50),
                descrizione: Some(format!(
                    "Cercasi {titolo} a {} ({}). Inserimento dal {}.",
                    place.nome,
                    reference.territory.province()[usize::from(place.provincia)].sigla,
                    (spec.as_of + Days::new(30)).format("%m/%Y")
                )),
                dimensione_rosa: None,
                data_scadenza: None,
                data_richiesta: None,
                somministrazione: false,
                durata_mesi: None,
                periodo: None,
                ore_settimanali: None,
                retribuzione_mensile: None,
                minimo_ccnl_mensile: None,
            };
            offer_terms(spec, i, &mut v);
            v
        })
        .collect()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Writes `spec.n` synthetic CVs (or vacancies) as JSON lines, atomically.
pub fn write_jsonl(
    path: &std::path::Path,
    spec: &CvSpec,
    what: Synthetic,
    reference: &Reference,
    t: &Taxonomy,
) -> incrocio_core::Result<()> {
    use rayon::prelude::*;
    use std::io::Write;
    let blocks: Vec<Vec<u8>> = (0..spec.n.div_ceil(CV_BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut out = Vec::new();
            let mut line = |v: &dyn erased::Json| {
                v.write(&mut out);
                out.push(b'\n');
            };
            match what {
                Synthetic::Cvs => cv_block(spec, b, reference, t).iter().for_each(|c| line(c)),
                Synthetic::Vacancies { with_truth } => {
                    vacancy_block(spec, b, reference, t, with_truth)
                        .iter()
                        .for_each(|v| line(v))
                }
            }
            out
        })
        .collect();
    incrocio_core::files::atomic_write(path, |w| {
        for b in &blocks {
            w.write_all(b)
                .map_err(|e| incrocio_core::Error::io(path, e))?;
        }
        Ok(())
    })
}

/// What [`write_jsonl`] generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synthetic {
    /// Candidate records.
    Cvs,
    /// Vacancy records; with the true occupation in `esco` when `with_truth`.
    Vacancies {
        /// Keep the drawn occupation (for evaluation).
        with_truth: bool,
    },
}

mod erased {
    /// Serializes into a byte buffer (records always serialize).
    pub trait Json {
        fn write(&self, out: &mut Vec<u8>);
    }

    impl<T: serde::Serialize> Json for T {
        fn write(&self, out: &mut Vec<u8>) {
            if serde_json::to_writer(&mut *out, self).is_err() {
                unreachable!("a synthetic record failed to serialize");
            }
        }
    }
}

/// Writes synthetic CVs as one SAP batch (`lavoratori`, `data/xsd/lavoratori.xsd`): CV `i`
/// gets the `identificativosap` `SY` + `i` (8 digits) + `X` and synthetic personal data
/// ([`incrocio_exchange::write::synthetic_anagrafica`]). Returns the experiences left out for
/// want of a CP2011 code (the SAP requires one).
pub fn write_sap(
    path: &std::path::Path,
    spec: &CvSpec,
    reference: &Reference,
    t: &Taxonomy,
) -> incrocio_core::Result<usize> {
    use incrocio_exchange::write::{sap, synthetic_anagrafica};
    use rayon::prelude::*;
    use std::io::Write;
    let blocks: Vec<(String, usize)> = (0..spec.n.div_ceil(CV_BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut out = String::new();
            let mut skipped = 0;
            for (k, c) in cv_block(spec, b, reference, t).iter().enumerate() {
                let i = (b * CV_BLOCK + k) as u64;
                let w = sap(c, &synthetic_anagrafica(i, spec.as_of), reference);
                skipped += w.skipped;
                out.push_str(&w.xml);
                out.push('\n');
            }
            (out, skipped)
        })
        .collect();
    incrocio_core::files::atomic_write(path, |w| {
        let io = |e| incrocio_core::Error::io(path, e);
        w.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<lavoratori>\n")
            .map_err(io)?;
        for (b, _) in &blocks {
            w.write_all(b.as_bytes()).map_err(io)?;
        }
        w.write_all(b"</lavoratori>\n").map_err(io)
    })?;
    Ok(blocks.iter().map(|(_, s)| s).sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: incrocio_matching::model::TitleParams =
        incrocio_matching::MatchingModel::V1_DEFAULTS.titles;

    fn spec(n: usize) -> CvSpec {
        CvSpec {
            n,
            seed: 7,
            as_of: "2026-11-23".parse().unwrap(),
        }
    }

    #[test]
    fn cvs_are_valid_seeded_and_resolve() {
        let (r, t) = (Reference::bundled(), Taxonomy::bundled());
        let a = cv_block(&spec(500), 0, r, t);
        assert_eq!(a, cv_block(&spec(500), 0, r, t));
        assert_eq!(a.len(), 500);
        let mut resolved = 0;
        let mut experiences = 0;
        for c in a {
            let v = c.validate(r, t, spec(1).as_of, &V1).unwrap();
            experiences += v.occupazioni.len();
            resolved += v.occupazioni.iter().filter(|o| o.is_some()).count();
        }
        // Codes always resolve; titles only go through the labels, so a few may not.
        assert!(
            resolved * 100 >= experiences * 90,
            "{resolved}/{experiences}"
        );
    }

    #[test]
    fn vacancies_are_valid_and_titles_find_their_occupation() {
        let (r, t) = (Reference::bundled(), Taxonomy::bundled());
        let with = vacancy_block(&spec(300), 0, r, t, true);
        let without = vacancy_block(&spec(300), 0, r, t, false);
        let mut same = 0;
        for (a, b) in with.into_iter().zip(without) {
            assert_eq!(a.titolo, b.titolo);
            let truth = a.validate(r, t, &V1).unwrap().occupazione;
            if b.validate(r, t, &V1).unwrap().occupazione == truth {
                same += 1;
            }
        }
        // The title alone resolves to the true occupation for most vacancies (synonyms and
        // voci shared by several occupations account for the rest).
        assert!(same >= 250, "{same}/300");
    }
}

//! Synthetic DID registrants.

use chrono::{Days, Months, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use incrocio_core::reference::{GruppoCittadinanza, Reference};
use incrocio_profiling::{ProfileRecord, Sospensione};

/// People per generator block.
pub const BLOCK: usize = 16_384;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct PeopleSpec {
    /// Number of people.
    pub n: usize,
    /// Seed.
    pub seed: u64,
    /// The date the population is observed at (ages and DID dates are drawn before it).
    pub as_of: NaiveDate,
}

/// Common foreign citizenships of registrants (ministerial codes): EU then non-EU.
const EU: [&str; 6] = ["235", "233", "209", "216", "239", "215"]; // RO PL BG DE ES FR
const EU_W: [u32; 6] = [60, 12, 10, 6, 6, 6];
const EXTRA: [&str; 13] = [
    "436", "201", "314", "243", "330", "305", "344", "419", "443", "450", "460", "323", "254",
];
const EXTRA_W: [u32; 13] = [18, 16, 9, 9, 6, 7, 6, 6, 5, 5, 5, 4, 4];

/// Share of each titolo level among registrants (levels 0–12), per mille.
const LEVEL_W: [u32; 13] = [20, 50, 330, 80, 350, 10, 10, 130, 10, 3, 3, 2, 2];

/// Condizione un anno prima (order of the code list), per cent.
const CONDIZIONE_W: [u32; 6] = [35, 30, 10, 12, 12, 1];

pub(crate) fn pick<R: Rng>(rng: &mut R, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.gen_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// Generates block `block` (people `block*BLOCK ..`) of the population.
pub fn people_block(spec: &PeopleSpec, block: usize, reference: &Reference) -> Vec<ProfileRecord> {
    let start = block * BLOCK;
    let end = (start + BLOCK).min(spec.n);
    let mut rng =
        ChaCha8Rng::seed_from_u64(spec.seed ^ (block as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let comuni = reference.territory.comuni();
    let province = reference.territory.province();
    let condizioni = reference
        .codes
        .list("CondizioneOccupazionaleUnAnnoPrima")
        .map(|l| l.codes.clone())
        .unwrap_or_default();
    let presenze = reference
        .codes
        .list("DurataPresenzaInItalia")
        .map(|l| l.codes.clone())
        .unwrap_or_default();
    let posizioni = reference
        .codes
        .list("PosizioneProfessioneUltimaOccupazione")
        .map(|l| l.codes.clone())
        .unwrap_or_default();
    let corsi = reference
        .codes
        .list("AttualmenteIscrittoScuolaUniversitaOCorsoFormazione")
        .map(|l| l.codes.clone())
        .unwrap_or_default();
    let titoli: Vec<Vec<&str>> = (0..=12).map(|l| reference.codes.titolo_codes(l)).collect();
    (start..end)
        .map(|i| {
            // Domicile: any comune, provincial capitals 30 times as likely (they hold the people).
            let comune = loop {
                let c = &comuni[rng.gen_range(0..comuni.len())];
                if c.capoluogo || rng.gen_ratio(1, 30) {
                    break c;
                }
            };
            let provincia = &province[usize::from(comune.provincia)];
            // Age 18–66, registrants skew young; birth date on a random day of that year of age.
            let age = [18, 25, 35, 45, 55][pick(&mut rng, &[18, 24, 20, 20, 18])]
                + rng.gen_range(0..10).min(11);
            let birth = spec.as_of - Days::new(age * 365 + rng.gen_range(0..365));
            // Citizenship: 84% Italian, 5% EU, 11% non-EU.
            let group = [
                GruppoCittadinanza::Italiana,
                GruppoCittadinanza::Ue,
                GruppoCittadinanza::ExtraUe,
            ][pick(&mut rng, &[84, 5, 11])];
            let cittadinanza = match group {
                GruppoCittadinanza::Italiana => "000",
                GruppoCittadinanza::Ue => EU[pick(&mut rng, &EU_W)],
                GruppoCittadinanza::ExtraUe => EXTRA[pick(&mut rng, &EXTRA_W)],
            };
            let presenza = match group {
                GruppoCittadinanza::Italiana => 0,
                _ => 1 + pick(&mut rng, &[10, 15, 30, 45]),
            };
            let level = pick(&mut rng, &LEVEL_W);
            let titolo = titoli[level]
                .get(rng.gen_range(0..titoli[level].len().max(1)))
                .copied();
            // DID: months ago ~ geometric with mean ≈ 14, at most 6 years.
            let months_ago = (-(1.0 - rng.gen_range(0.0..1.0f64)).ln() * 14.0).min(72.0) as u32;
            let did = (spec.as_of - Months::new(months_ago)) - Days::new(rng.gen_range(0..28));
            let did = did.min(spec.as_of);
            let sospensioni = suspension(&mut rng, did, spec.as_of);
            let condizione = pick(&mut rng, &CONDIZIONE_W);
            let ever_worked = condizione != 2 && rng.gen_ratio(9, 10);
            let household = 1 + pick(&mut rng, &[25, 28, 22, 18, 7]) as i64;
            let children = household > 2 && rng.gen_ratio(3, 5);
            ProfileRecord {
                id: format!("P{i:08}"),
                codice_fiscale: None,
                data_nascita: Some(birth),
                eta: None,
                genere: Some(if rng.gen_ratio(52, 100) { "F" } else { "M" }.to_owned()),
                cittadinanza: Some(cittadinanza.to_owned()),
                durata_presenza_in_italia: presenze.get(presenza).cloned(),
                titolo_di_studio: titolo.map(str::to_owned),
                provincia_di_residenza: Some(provincia.codice_uts.clone()),
                comune_domicilio: Some(comune.codice_istat.clone()),
                ha_mai_avuto_un_lavoro: Some(ever_worked),
                condizione_occupazionale_un_anno_prima: condizioni.get(condizione).cloned(),
                mesi_concluso_ultimo_rapp_lavoro: ever_worked
                    .then(|| i64::from(months_ago) + rng.gen_range(0..6)),
                posizione_professione_ultima_occupazione: posizioni
                    .get(if ever_worked {
                        pick(&mut rng, &[75, 8, 17])
                    } else {
                        3
                    })
                    .cloned(),
                mesi_sta_cercando_lavoro: Some(i64::from(months_ago) + rng.gen_range(0..4)),
                iscritto_scuola_o_corso: corsi
                    .get(if age < 26 {
                        pick(&mut rng, &[70, 10, 15, 5])
                    } else {
                        pick(&mut rng, &[94, 0, 2, 4])
                    })
                    .cloned(),
                numero_componenti_famiglia: Some(household),
                presenza_figli_a_carico: Some(children),
                presenza_figli_a_carico_meno_18_anni: Some(children && rng.gen_ratio(2, 3)),
                data_did: Some(did),
                sospensioni,
                percettore_naspi: Some(ever_worked && rng.gen_ratio(2, 5)),
                data_fine_ultimo_rapporto: None,
            }
        })
        .collect()
}

/// 12% of people have one suspension (a short job) of 15–120 days after their DID.
fn suspension<R: Rng>(rng: &mut R, did: NaiveDate, as_of: NaiveDate) -> Vec<Sospensione> {
    let span = (as_of - did).num_days();
    if span < 30 || !rng.gen_ratio(12, 100) {
        return Vec::new();
    }
    let dal = did + Days::new(rng.gen_range(1..span as u64));
    let al = dal + Days::new(rng.gen_range(15..120));
    vec![Sospensione {
        dal,
        al: (al < as_of).then_some(al),
    }]
}

/// Writes the population of `spec` to `path` (format by extension: Parquet, CSV or JSON
/// lines), atomically.
pub fn write_people(
    path: &std::path::Path,
    spec: &PeopleSpec,
    reference: &Reference,
) -> incrocio_core::Result<()> {
    incrocio_batch::write_records(path, spec.n.div_ceil(BLOCK), |b| {
        people_block(spec, b, reference)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_valid() {
        let r = Reference::bundled();
        let spec = PeopleSpec {
            n: 2000,
            seed: 7,
            as_of: "2026-11-23".parse().unwrap(),
        };
        let a = people_block(&spec, 0, r);
        let b = people_block(&spec, 0, r);
        assert_eq!(a, b);
        assert_eq!(a.len(), 2000);
        for p in &a {
            p.validate(r).unwrap();
        }
        let women = a
            .iter()
            .filter(|p| p.genere.as_deref() == Some("F"))
            .count();
        assert!((900..1200).contains(&women), "{women}");
    }
}

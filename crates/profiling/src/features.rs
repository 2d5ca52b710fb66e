//! The variables a profiling model can use, and their values for a person at a date.
//!
//! A model names variables (`eta`, `genere`, `territorio.tasso_occupazione_20_64` …); this
//! module knows how each is derived from a validated [`Person`]: age in whole years at
//! `as_of`, unemployment months from the DID date with suspensions excluded, indicators joined
//! by province.

use chrono::{Months, NaiveDate};

use super::record::{AGE_RANGE, Nascita, Person};
use incrocio_core::error::{FieldReason, InputError, ModelError};
use incrocio_core::period::{unemployment_at, whole_years};
use incrocio_core::reference::Reference;

/// A variable a model can use.
#[derive(Debug, Clone, PartialEq)]
pub enum Variable {
    /// Age in whole years at `as_of` (numeric).
    Eta,
    /// `M` / `F`.
    Genere,
    /// `italiana` / `ue` / `extra_ue`.
    Cittadinanza,
    /// Code list `DurataPresenzaInItalia`.
    DurataPresenzaItalia,
    /// Ministerial level of the titolo di studio, `0` … `12`.
    LivelloStudio,
    /// Whole months of unemployment at `as_of`, suspensions excluded (numeric).
    MesiDisoccupazione,
    /// Code list `CondizioneOccupazionaleUnAnnoPrima`.
    CondizioneAnnoPrima,
    /// `si` / `no`.
    HaMaiLavorato,
    /// Months since the last job ended (numeric).
    MesiFineUltimoLavoro,
    /// Code list `PosizioneProfessioneUltimaOccupazione`.
    PosizioneProfessione,
    /// Months looking for work (numeric).
    MesiRicerca,
    /// Code list `AttualmenteIscrittoScuolaUniversitaOCorsoFormazione`.
    IscrizioneCorsi,
    /// Household size (numeric).
    ComponentiFamiglia,
    /// `si` / `no`.
    FigliACarico,
    /// `si` / `no`.
    FigliMinori,
    /// A provincial indicator column of `data/territorio/province.csv` (numeric).
    Territorio {
        /// Column name.
        name: String,
        /// Column position.
        column: usize,
    },
}

const YES_NO: [&str; 2] = ["no", "si"];

impl Variable {
    /// Parses a variable name used in a model file.
    pub fn parse(name: &str, reference: &Reference) -> Option<Variable> {
        Some(match name {
            "eta" => Variable::Eta,
            "genere" => Variable::Genere,
            "cittadinanza" => Variable::Cittadinanza,
            "durata_presenza_italia" => Variable::DurataPresenzaItalia,
            "livello_studio" => Variable::LivelloStudio,
            "mesi_disoccupazione" => Variable::MesiDisoccupazione,
            "condizione_anno_prima" => Variable::CondizioneAnnoPrima,
            "ha_mai_lavorato" => Variable::HaMaiLavorato,
            "mesi_fine_ultimo_lavoro" => Variable::MesiFineUltimoLavoro,
            "posizione_professione" => Variable::PosizioneProfessione,
            "mesi_ricerca" => Variable::MesiRicerca,
            "iscrizione_corsi" => Variable::IscrizioneCorsi,
            "componenti_famiglia" => Variable::ComponentiFamiglia,
            "figli_a_carico" => Variable::FigliACarico,
            "figli_minori" => Variable::FigliMinori,
            other => {
                let col = other.strip_prefix("territorio.")?;
                let column = reference.territory.indicator_column(col)?;
                Variable::Territorio {
                    name: col.to_owned(),
                    column,
                }
            }
        })
    }

    /// The record field(s) the variable comes from, for error messages.
    pub fn source_field(&self) -> &'static str {
        match self {
            Variable::Eta => "DataNascita",
            Variable::Genere => "Genere",
            Variable::Cittadinanza => "Cittadinanza",
            Variable::DurataPresenzaItalia => "DurataPresenzaInItalia",
            Variable::LivelloStudio => "TitoloDiStudio",
            Variable::MesiDisoccupazione => "DataDID",
            Variable::CondizioneAnnoPrima => "CondizioneOccupazionaleUnAnnoPrima",
            Variable::HaMaiLavorato => "HaMaiAvutoUnLavoro",
            Variable::MesiFineUltimoLavoro => "DaQuantiMesiConclusoUltimoRappLavoro",
            Variable::PosizioneProfessione => "PosizioneProfessioneUltimaOccupazione",
            Variable::MesiRicerca => "DaQuantiMesiStaCercandoLavoro",
            Variable::IscrizioneCorsi => "AttualmenteIscrittoScuolaUniversitaOCorsoFormazione",
            Variable::ComponentiFamiglia => "NumeroComponentiFamiglia",
            Variable::FigliACarico => "PresenzaFigliACarico",
            Variable::FigliMinori => "PresenzaFigliACaricoMeno18Anni",
            Variable::Territorio { .. } => "ProvinciaDiResidenza",
        }
    }

    /// The closed domain of a categorical variable, `None` for a numeric one.
    pub fn domain(&self, reference: &Reference) -> Option<Vec<String>> {
        let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        let list = |field: &str| {
            reference
                .codes
                .list(field)
                .map(|l| l.codes.clone())
                .unwrap_or_default()
        };
        Some(match self {
            Variable::Genere => owned(&["M", "F"]),
            Variable::Cittadinanza => owned(&["italiana", "ue", "extra_ue"]),
            Variable::LivelloStudio => (0..=12).map(|l: u8| l.to_string()).collect(),
            Variable::HaMaiLavorato | Variable::FigliACarico | Variable::FigliMinori => {
                owned(&YES_NO)
            }
            Variable::DurataPresenzaItalia
            | Variable::CondizioneAnnoPrima
            | Variable::PosizioneProfessione
            | Variable::IscrizioneCorsi => list(self.source_field()),
            _ => return None,
        })
    }

    /// Name as written in model files.
    pub fn name(&self) -> String {
        match self {
            Variable::Territorio { name, .. } => format!("territorio.{name}"),
            other => format!("{other:?}")
                .chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    let sep = (i > 0 && c.is_uppercase()).then_some('_');
                    sep.into_iter().chain(c.to_lowercase())
                })
                .collect(),
        }
    }
}

/// The value of a variable for one person: a domain position or a number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// Position in the variable's domain.
    Level(u8),
    /// A number.
    Number(f64),
}

/// The date-dependent quantities of a person at `as_of`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AtDate {
    /// Age in whole years.
    pub eta: i64,
    /// Whole months of unemployment, suspensions excluded.
    pub mesi_disoccupazione: i64,
    /// Days of unemployment, suspensions excluded.
    pub giorni_disoccupazione: i64,
    /// Suspended days between the DID and `as_of`.
    pub giorni_sospensione: i64,
    /// The date the unemployment would reach at `as_of` without suspensions: DID + counted days.
    pub fine_effettiva: NaiveDate,
}

impl AtDate {
    /// Derives age and unemployment duration, rejecting a DID after `as_of` and impossible ages.
    pub fn derive(p: &Person, as_of: NaiveDate) -> Result<AtDate, InputError> {
        let e = |field: &str, reason| InputError::new(field, reason).with_record(&p.id);
        if p.data_did > as_of {
            return Err(e(
                "DataDID",
                FieldReason::DidAfterAsOf {
                    did: p.data_did,
                    as_of,
                },
            ));
        }
        let eta = match p.nascita {
            Nascita::Data(d) => whole_years(d, as_of),
            Nascita::Eta(a) => a,
        };
        if !(AGE_RANGE.0..=AGE_RANGE.1).contains(&eta) {
            let field = if matches!(p.nascita, Nascita::Data(_)) {
                "DataNascita"
            } else {
                "Eta"
            };
            return Err(e(
                field,
                FieldReason::ImpossibleAge {
                    age: eta,
                    min: AGE_RANGE.0,
                    max: AGE_RANGE.1,
                },
            ));
        }
        let u = unemployment_at(p.unemployment_start(), &p.sospensioni, as_of);
        Ok(AtDate {
            eta,
            mesi_disoccupazione: u.months,
            giorni_disoccupazione: u.days,
            giorni_sospensione: u.suspended_days,
            fine_effettiva: u.effective_end,
        })
    }

    /// True when the unemployment counted at `as_of` exceeds `months` months.
    pub fn unemployed_more_than(&self, did: NaiveDate, months: u32) -> bool {
        did.checked_add_months(Months::new(months))
            .is_some_and(|limit| self.fine_effettiva > limit)
    }
}

/// The value of `variable` for `p` (`None` when the record lacks the field).
pub fn value(variable: &Variable, p: &Person, at: &AtDate, reference: &Reference) -> Option<Value> {
    let num = |x: Option<u16>| x.map(|v| Value::Number(f64::from(v)));
    let yes_no = |x: Option<bool>| x.map(|v| Value::Level(u8::from(v)));
    match variable {
        Variable::Eta => Some(Value::Number(at.eta as f64)),
        Variable::Genere => Some(Value::Level(u8::from(p.femmina))),
        Variable::Cittadinanza => Some(Value::Level(p.cittadinanza as u8)),
        Variable::DurataPresenzaItalia => p.presenza_italia.map(Value::Level),
        Variable::LivelloStudio => p.livello_studio.map(Value::Level),
        Variable::MesiDisoccupazione => Some(Value::Number(at.mesi_disoccupazione as f64)),
        Variable::CondizioneAnnoPrima => p.condizione_anno_prima.map(Value::Level),
        Variable::HaMaiLavorato => yes_no(p.ha_mai_lavorato),
        Variable::MesiFineUltimoLavoro => num(p.mesi_fine_ultimo_lavoro),
        Variable::PosizioneProfessione => p.posizione_professione.map(Value::Level),
        Variable::MesiRicerca => num(p.mesi_ricerca),
        Variable::IscrizioneCorsi => p.iscrizione_corsi.map(Value::Level),
        Variable::ComponentiFamiglia => p.componenti_famiglia.map(|n| Value::Number(f64::from(n))),
        Variable::FigliACarico => yes_no(p.figli_a_carico),
        Variable::FigliMinori => yes_no(p.figli_minori),
        Variable::Territorio { column, .. } => reference
            .territory
            .indicator(p.provincia, *column)
            .map(Value::Number),
    }
}

/// Checks a variable name from a model file, naming the file and key on error.
pub fn parse_variable(
    file: &str,
    key: &str,
    name: &str,
    reference: &Reference,
) -> Result<Variable, ModelError> {
    Variable::parse(name, reference).ok_or_else(|| {
        let hint = if name.starts_with("territorio.") {
            format!(
                "unknown variable `{name}`: data/territorio/province.csv has the indicator columns {:?}",
                reference.territory.indicator_names()
            )
        } else {
            format!("unknown variable `{name}`")
        };
        ModelError::new(file, key, hint)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ProfileRecord;
    use incrocio_core::period::Sospensione;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn person(did: &str, birth: &str, sosp: Vec<Sospensione>) -> Person {
        ProfileRecord {
            id: "X".into(),
            data_nascita: Some(d(birth)),
            genere: Some("M".into()),
            cittadinanza: Some("000".into()),
            provincia_di_residenza: Some("RM".into()),
            data_did: Some(d(did)),
            sospensioni: sosp,
            ..Default::default()
        }
        .validate(Reference::bundled())
        .unwrap()
    }

    #[test]
    fn age_in_whole_years() {
        assert_eq!(whole_years(d("1990-06-15"), d("2026-06-14")), 35);
        assert_eq!(whole_years(d("1990-06-15"), d("2026-06-15")), 36);
        assert_eq!(whole_years(d("2004-02-29"), d("2026-02-28")), 21);
        assert_eq!(whole_years(d("2004-02-29"), d("2026-03-01")), 22);
    }

    #[test]
    fn unemployment_months_exclude_suspensions() {
        let p = person("2026-01-15", "1990-01-01", vec![]);
        let at = AtDate::derive(&p, d("2026-05-15")).unwrap();
        assert_eq!(at.mesi_disoccupazione, 4);
        assert!(!at.unemployed_more_than(p.data_did, 4));
        let at = AtDate::derive(&p, d("2026-05-16")).unwrap();
        assert!(at.unemployed_more_than(p.data_did, 4));
        // 31 days suspended (1–31 March) push the effective end back a month.
        let s = vec![Sospensione {
            dal: d("2026-03-01"),
            al: Some(d("2026-03-31")),
        }];
        let p = person("2026-01-15", "1990-01-01", s);
        let at = AtDate::derive(&p, d("2026-05-15")).unwrap();
        assert_eq!(at.giorni_sospensione, 31);
        assert_eq!(at.fine_effettiva, d("2026-04-14"));
        assert_eq!(at.mesi_disoccupazione, 2);
    }

    #[test]
    fn open_suspension_counts_up_to_as_of() {
        let s = vec![Sospensione {
            dal: d("2026-03-01"),
            al: None,
        }];
        let p = person("2026-01-01", "1990-01-01", s);
        let at = AtDate::derive(&p, d("2026-03-11")).unwrap();
        assert_eq!(at.giorni_sospensione, 10);
        assert_eq!(at.giorni_disoccupazione, 59);
    }

    #[test]
    fn did_after_as_of_and_impossible_age_are_named() {
        let p = person("2026-06-01", "1990-01-01", vec![]);
        let e = AtDate::derive(&p, d("2026-05-01")).unwrap_err();
        assert_eq!(e.field, "DataDID");
        assert!(matches!(e.reason, FieldReason::DidAfterAsOf { .. }));
        let p = person("2026-01-01", "2015-01-01", vec![]);
        let e = AtDate::derive(&p, d("2026-05-01")).unwrap_err();
        assert_eq!(e.field, "DataNascita");
        assert!(matches!(
            e.reason,
            FieldReason::ImpossibleAge { age: 11, .. }
        ));
    }

    #[test]
    fn variable_names_round_trip() {
        let r = Reference::bundled();
        for n in [
            "eta",
            "mesi_disoccupazione",
            "condizione_anno_prima",
            "territorio.tasso_occupazione_20_64",
        ] {
            assert_eq!(Variable::parse(n, r).unwrap().name(), n);
        }
        assert!(Variable::parse("territorio.densita_imprenditoriale", r).is_none());
    }
}

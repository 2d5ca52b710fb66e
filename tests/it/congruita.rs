//! Offerta congrua: the boundary cases of `tests/cases/congruita/` (hand-derived, as data)
//! against the bundled rule set; the rule set's identity on every verdict.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use incrocio_congruita::{ContractTerms, Esito, Link, Periodo, Reference, Relation, Situation};
use rust_decimal::Decimal;
use serde::Deserialize;

/// A case: every field optional; `"none"` clears a base value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    name: Option<String>,
    data_offerta: Option<String>,
    data_did: Option<String>,
    scadenza: Option<String>,
    sospensioni: Option<Vec<[String; 2]>>,
    km: Option<toml::Value>,
    minuti: Option<u32>,
    links: Option<Vec<String>>,
    dichiarate_note: Option<bool>,
    occupazione_nota: Option<bool>,
    codice: Option<String>,
    somministrazione: Option<bool>,
    durata_mesi: Option<u32>,
    periodo: Option<[String; 2]>,
    tempo_pieno: Option<bool>,
    ore_settimanali: Option<String>,
    ore_ultimo_contratto: Option<String>,
    retribuzione_mensile: Option<String>,
    minimo_ccnl_mensile: Option<String>,
    indennita_mensile: Option<String>,
    expect: Option<Esito>,
    fascia: Option<String>,
    mesi: Option<u32>,
    giorni_sospensione: Option<u32>,
    #[serde(default)]
    rules: BTreeMap<String, Esito>,
    mancanti: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct File {
    base: Fields,
    case: Vec<Fields>,
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn opt_date(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref().filter(|s| *s != "none").map(date)
}

fn opt_dec(s: &Option<String>) -> Option<Decimal> {
    s.as_deref()
        .filter(|s| *s != "none")
        .map(|s| s.parse().unwrap())
}

fn link(s: &str) -> Link {
    let mut parts = s.split(':');
    let reference = match parts.next().unwrap() {
        "dichiarate" => Reference::Dichiarate,
        "esperienze" => Reference::Esperienze,
        other => panic!("reference {other}"),
    };
    let relation = match parts.next().unwrap() {
        "same" => Relation::Same,
        "same_unit_group" => Relation::SameUnitGroup,
        "adjacent" => Relation::Adjacent,
        "same_minor_group" => Relation::SameMinorGroup,
        "same_ada" => Relation::SameAda,
        other => panic!("relation {other}"),
    };
    Link {
        reference,
        relation,
        occupation: "0000.0".into(),
        similarity: parts.next().map(|s| s.parse().unwrap()),
    }
}

/// `case` over `base`: a field the case states wins.
fn merge(base: &Fields, case: &Fields) -> Fields {
    macro_rules! pick {
        ($($f:ident),*) => { Fields { $($f: case.$f.clone().or_else(|| base.$f.clone()),)* rules: case.rules.clone() } };
    }
    pick!(
        name,
        data_offerta,
        data_did,
        scadenza,
        sospensioni,
        km,
        minuti,
        links,
        dichiarate_note,
        occupazione_nota,
        codice,
        somministrazione,
        durata_mesi,
        periodo,
        tempo_pieno,
        ore_settimanali,
        ore_ultimo_contratto,
        retribuzione_mensile,
        minimo_ccnl_mensile,
        indennita_mensile,
        expect,
        fascia,
        mesi,
        giorni_sospensione,
        mancanti
    )
}

fn situation(f: &Fields) -> Situation {
    Situation {
        data_offerta: date(f.data_offerta.as_deref().unwrap()),
        scadenza: opt_date(&f.scadenza),
        data_did: opt_date(&f.data_did),
        sospensioni: f
            .sospensioni
            .iter()
            .flatten()
            .map(|[a, b]| Periodo {
                dal: date(a),
                al: Some(date(b)),
            })
            .collect(),
        km: match &f.km {
            Some(toml::Value::Float(x)) => Some(*x),
            Some(toml::Value::String(s)) if s == "none" => None,
            other => panic!("km {other:?}"),
        },
        minuti: f.minuti,
        occupazione_nota: f.occupazione_nota.unwrap_or(true),
        dichiarate_note: f.dichiarate_note.unwrap_or(false),
        links: f.links.iter().flatten().map(|s| link(s)).collect(),
        ada_table: false,
        contratto: ContractTerms {
            codice: f.codice.clone().unwrap(),
            somministrazione: f.somministrazione.unwrap_or(false),
            durata_mesi: f.durata_mesi,
            periodo: f.periodo.as_ref().map(|[a, b]| Periodo {
                dal: date(a),
                al: Some(date(b)),
            }),
            tempo_pieno: f.tempo_pieno.unwrap_or(false),
            ore_settimanali: opt_dec(&f.ore_settimanali),
            retribuzione_mensile: opt_dec(&f.retribuzione_mensile),
            minimo_ccnl_mensile: opt_dec(&f.minimo_ccnl_mensile),
        },
        ore_ultimo_contratto: opt_dec(&f.ore_ultimo_contratto),
        indennita_mensile: opt_dec(&f.indennita_mensile),
    }
}

#[test]
fn issue_14_congruity_boundary_cases() {
    let rules = crate::catalog()
        .congruity("dm-2018-04-10@v1")
        .unwrap()
        .clone();
    let file: File = toml::from_str(include_str!("../cases/congruita/dm-2018-04-10.toml")).unwrap();
    assert!(file.case.len() >= 30);
    for case in &file.case {
        let f = merge(&file.base, case);
        let name = f.name.clone().unwrap();
        let c = rules.assess(&situation(&f));
        assert_eq!(Some(c.esito), f.expect, "{name}: {c:#?}");
        if let Some(b) = &f.fascia {
            assert_eq!(c.fascia.as_ref(), Some(b), "{name}");
        }
        if let Some(m) = f.mesi {
            assert_eq!(c.mesi_disoccupazione, Some(m), "{name}");
        }
        if let Some(g) = f.giorni_sospensione {
            assert_eq!(c.giorni_sospensione, Some(g), "{name}");
        }
        for (rule, esito) in &f.rules {
            let got = c.regole.iter().find(|r| &r.regola == rule).unwrap();
            assert_eq!(&got.esito, esito, "{name}: {rule}: {got:#?}");
        }
        if let Some(m) = &f.mancanti {
            assert_eq!(&c.mancanti, m, "{name}");
        }
        assert_eq!(c.rules.id, "dm-2018-04-10");
        assert!(c.rules.digest.starts_with("sha256:"));
        // Every rule is reported, each with its source.
        assert_eq!(c.regole.len(), 7, "{name}");
        assert!(c.regole.iter().all(|r| !r.fonte.is_empty()));
    }
}

#[test]
fn inferred_parameters_are_named_in_the_warnings() {
    let rules = crate::catalog().congruity("dm-2018-04-10").unwrap().clone();
    let file: File = toml::from_str(include_str!("../cases/congruita/dm-2018-04-10.toml")).unwrap();
    let c = rules.assess(&situation(&merge(&file.base, &Fields::default())));
    // Band a's 50 km is inferred, and coherence is an approximation of the SEP.
    assert!(
        c.warnings
            .iter()
            .any(|w| w.starts_with("distanza (dedotto)")),
        "{:?}",
        c.warnings
    );
    assert!(c.warnings.iter().any(|w| w.contains("Atlante del lavoro")));
    assert!(c.warnings.iter().any(|w| w.starts_with("durata (dedotto)")));
}

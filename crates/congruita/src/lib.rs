//! Offerta di lavoro congrua (art. 25 D.Lgs. 150/2015; DM 10 aprile 2018): whether refusing a
//! job offer costs a NASpI / DIS-COLL recipient the benefit.
//!
//! A rule set ([`RuleSet`], `models/congruita/*.toml`) holds every number; [`RuleSet::assess`]
//! applies it to one person and one offer ([`Situation`]) and returns a [`Congruity`]: a verdict
//! (`congrua`, `non_congrua`, `non_determinabile`), each rule's verdict with its input,
//! threshold, source and status (read or inferred), and the missing inputs that would decide
//! it. Nothing is guessed: an input that is absent makes its rule `non_determinabile`, never a
//! default. Pure: no I/O, no clock.
//!
//! Combination: `non_congrua` when any rule says so; else `non_determinabile` when any rule
//! cannot be decided; else `congrua`. A rule that depends on the unemployment band (coherence,
//! distance) and whose band is unknown (no DID date) is decided only when it gives the same
//! verdict in every band.

#![forbid(unsafe_code)]

pub mod ada;
pub mod rules;
pub mod travel;

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use self::ada::AdaTable;
pub use self::rules::{Reference, RefusalReason, Relation, RuleSet, RuleSetFile, refusal_reasons};
pub use self::travel::TravelTimes;
pub use incrocio_core::period::{Periodo, Unemployment};
use incrocio_core::period::{months_after, unemployment_at};
use incrocio_core::status::ParamStatus;
use incrocio_taxonomy::{OccupationId, Taxonomy};

/// A relation found between the vacancy's occupation and one of the person's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Link {
    /// Which of the person's occupations.
    pub reference: Reference,
    /// The relation.
    pub relation: Relation,
    /// The person's occupation (ESCO code), for the explanation.
    pub occupation: String,
    /// ESCO skill-overlap similarity (for `adjacent`).
    #[serde(default)]
    pub similarity: Option<f32>,
}

/// The vacancy's contract.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContractTerms {
    /// `tab_tipologia_contr` code.
    pub codice: String,
    /// Through an agency (somministrazione): counts as fixed-term.
    pub somministrazione: bool,
    /// Length in whole months, when stated so.
    pub durata_mesi: Option<u32>,
    /// Start and end dates, when stated so.
    pub periodo: Option<Periodo>,
    /// Full time (`modalita` `FT`).
    pub tempo_pieno: bool,
    /// Weekly hours offered.
    pub ore_settimanali: Option<Decimal>,
    /// Monthly gross pay offered, euro.
    pub retribuzione_mensile: Option<Decimal>,
    /// The collective agreement's monthly minimum for the post, euro.
    pub minimo_ccnl_mensile: Option<Decimal>,
}

/// One person and one offer, as the rules read them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Situation {
    /// The day the offer is made.
    pub data_offerta: NaiveDate,
    /// Last day the vacancy is open, if any.
    pub scadenza: Option<NaiveDate>,
    /// Date of the DID.
    pub data_did: Option<NaiveDate>,
    /// Suspensions of the unemployment status (checked: none overlaps another).
    pub sospensioni: Vec<Periodo>,
    /// Great-circle km from the domicilio to the workplace (none: domicilio unknown).
    pub km: Option<f64>,
    /// Average minutes by public transport, from a supplied table (never estimated).
    pub minuti: Option<u32>,
    /// Whether the vacancy's occupation is known.
    pub occupazione_nota: bool,
    /// Whether the person declared occupations in the patto di servizio.
    pub dichiarate_note: bool,
    /// Every relation found between the vacancy's occupation and the person's.
    pub links: Vec<Link>,
    /// Whether a Region's ADA table was read for `links`.
    pub ada_table: bool,
    /// The offer's terms.
    pub contratto: ContractTerms,
    /// Weekly hours of the person's last contract.
    pub ore_ultimo_contratto: Option<Decimal>,
    /// The last month's indennità (NASpI / DIS-COLL), when the person receives one.
    pub indennita_mensile: Option<Decimal>,
}

/// A verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Esito {
    /// Congruous: refusing it without a justified reason costs the benefit.
    Congrua,
    /// Not congruous.
    NonCongrua,
    /// The inputs do not decide it (see `mancanti`).
    NonDeterminabile,
    /// The rule does not apply to this person or offer.
    NonApplicabile,
}

/// One rule's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RuleVerdict {
    /// Rule: `scadenza`, `coerenza`, `distanza`, `contratto`, `orario`, `retribuzione_ccnl`,
    /// `retribuzione_indennita`.
    pub regola: String,
    /// Verdict.
    pub esito: Esito,
    /// The input read.
    pub input: String,
    /// The threshold applied.
    pub soglia: String,
    /// Why, in words.
    pub motivo: String,
    /// Whether the rule's wording was read or inferred.
    pub stato: ParamStatus,
    /// Where the rule comes from.
    pub fonte: String,
    /// Inputs that would decide it.
    pub mancanti: Vec<String>,
}

/// Identity of the rule set on every verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RulesRef {
    /// Id.
    pub id: String,
    /// Version.
    pub version: u32,
    /// `sha256:` of the file.
    pub digest: String,
    /// The act.
    pub act: String,
}

/// The congruity of one offer for one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Congruity {
    /// The verdict.
    pub esito: Esito,
    /// Unemployment band (`a`, `b`, `c`); none when the DID date is unknown.
    pub fascia: Option<String>,
    /// Whole calendar months of unemployment at the offer date, suspensions excluded.
    pub mesi_disoccupazione: Option<u32>,
    /// Days of suspension between the DID and the offer.
    pub giorni_sospensione: Option<u32>,
    /// Every rule's verdict.
    pub regole: Vec<RuleVerdict>,
    /// Inputs that would decide a `non_determinabile`.
    pub mancanti: Vec<String>,
    /// What is inferred or approximated in this verdict.
    pub warnings: Vec<String>,
    /// The rule set.
    pub rules: RulesRef,
}

/// Counts unemployment from `did` to the `offer` date with the one count of every rule
/// ([`incrocio_core::period::unemployment_at`]: the days suspended in `[did, offer)` do not
/// count; months are whole calendar months from the DID to the end of the counted days, as
/// art. 2963 c.c. reads them). `None` when the offer precedes the DID.
pub fn unemployment(
    did: NaiveDate,
    sospensioni: &[Periodo],
    offer: NaiveDate,
) -> Option<Unemployment> {
    (offer >= did).then(|| unemployment_at(did, sospensioni, offer))
}

/// Every relation between the vacancy's occupation `o` and the person's occupations, from the
/// taxonomy, the adjacency table (`neighbours`: each occupation's adjacent occupations with
/// their similarity; both directions are read) and, when a Region supplied
/// one, the ADA table.
pub fn links<'n>(
    t: &Taxonomy,
    neighbours: impl Fn(OccupationId) -> &'n [(OccupationId, f32)],
    ada: Option<&AdaTable>,
    o: OccupationId,
    dichiarate: &[OccupationId],
    esperienze: &[OccupationId],
) -> Vec<Link> {
    let occ = |x: OccupationId| &t.occupations[x as usize];
    let isco = |x: OccupationId| occ(x).isco.as_str();
    let mut out = Vec::new();
    let refs = dichiarate
        .iter()
        .map(|&r| (Reference::Dichiarate, r))
        .chain(esperienze.iter().map(|&r| (Reference::Esperienze, r)));
    for (reference, r) in refs {
        let mut push = |relation, similarity| {
            out.push(Link {
                reference,
                relation,
                occupation: occ(r).code.clone(),
                similarity,
            })
        };
        if r == o {
            push(Relation::Same, None);
            continue;
        }
        if ada.and_then(|table| table.shared(o, r)).is_some() {
            push(Relation::SameAda, None);
        }
        let (a, b) = (isco(o), isco(r));
        if !a.is_empty() && a == b {
            push(Relation::SameUnitGroup, None);
        }
        if a.len() == 4 && b.len() == 4 && a[..3] == b[..3] {
            push(Relation::SameMinorGroup, None);
        }
        let sim = neighbours(r)
            .iter()
            .chain(neighbours(o))
            .filter(|(x, _)| *x == o || *x == r)
            .map(|&(_, s)| s)
            .fold(None, |m: Option<f32>, s| Some(m.map_or(s, |m| m.max(s))));
        if let Some(s) = sim {
            push(Relation::Adjacent, Some(s));
        }
    }
    out
}

const APPROXIMATION_WITH_ADA: &str = "coerenza: aree di attività (ADA) dalla tabella fornita dalla Regione, per le occupazioni che vi compaiono (tramite CP2011); per il resto approssimata con occupazioni ESCO, gruppi ISCO-08 e occupazioni adiacenti per competenze ESCO";

const APPROXIMATION: &str = "coerenza: l'Atlante del lavoro (SEP, processi, ADA) non è disponibile; approssimata con occupazioni ESCO, gruppi ISCO-08 e occupazioni adiacenti per competenze ESCO";

fn fmt_dec(d: Decimal) -> String {
    d.normalize().to_string()
}

impl RuleSet {
    /// The rule set's identity.
    pub fn rules_ref(&self) -> RulesRef {
        RulesRef {
            id: self.file.id.clone(),
            version: self.file.version,
            digest: self.digest.clone(),
            act: self.file.act.clone(),
        }
    }

    /// The verdict on one offer for one person.
    pub fn assess(&self, s: &Situation) -> Congruity {
        let f = &self.file;
        let count = s
            .data_did
            .and_then(|did| unemployment(did, &s.sospensioni, s.data_offerta));
        // A band `up_to_months = m` holds while the counted days end no later than `m` months
        // after the DID.
        let band = count.zip(s.data_did).map(|(u, did)| {
            f.durata
                .bands
                .iter()
                .position(|b| {
                    b.up_to_months.is_none_or(|m| {
                        months_after(did, m).is_none_or(|end| u.effective_end <= end)
                    })
                })
                .unwrap_or(f.durata.bands.len() - 1)
        });
        let mut warnings = Vec::new();
        if f.durata.counting_status != ParamStatus::Read {
            warnings.push(format!(
                "durata ({}): {}",
                status_word(f.durata.counting_status),
                f.durata.counting_note
            ));
        }
        let missing_band = match (s.data_did, count) {
            (None, _) => Some("data_did".to_owned()),
            (Some(_), None) => Some("data_did (successiva alla data dell'offerta)".to_owned()),
            _ => None,
        };
        let mut regole = vec![self.scadenza(s)];
        regole.push(self.by_band(band, missing_band.as_deref(), |b| self.coerenza(b, s)));
        regole.push(self.by_band(band, missing_band.as_deref(), |b| self.distanza(b, s)));
        regole.push(self.contratto(s));
        regole.push(self.orario(s));
        regole.push(self.retribuzione_ccnl(s));
        regole.push(self.retribuzione_indennita(s));
        warnings.push(if s.ada_table {
            APPROXIMATION_WITH_ADA.to_owned()
        } else {
            APPROXIMATION.to_owned()
        });
        for r in &regole {
            if r.stato != ParamStatus::Read && r.esito != Esito::NonApplicabile {
                warnings.push(format!(
                    "{} ({}): {}",
                    r.regola,
                    status_word(r.stato),
                    r.fonte
                ));
            }
        }
        let esito = if regole.iter().any(|r| r.esito == Esito::NonCongrua) {
            Esito::NonCongrua
        } else if regole.iter().any(|r| r.esito == Esito::NonDeterminabile) {
            Esito::NonDeterminabile
        } else {
            Esito::Congrua
        };
        let mut mancanti: Vec<String> = Vec::new();
        for m in regole.iter().flat_map(|r| &r.mancanti) {
            if !mancanti.contains(m) {
                mancanti.push(m.clone());
            }
        }
        Congruity {
            esito,
            fascia: band.map(|b| f.durata.bands[b].name.clone()),
            mesi_disoccupazione: count.and_then(|u| u32::try_from(u.months).ok()),
            giorni_sospensione: count.and_then(|u| u32::try_from(u.suspended_days).ok()),
            regole,
            mancanti,
            warnings,
            rules: self.rules_ref(),
        }
    }

    /// A band-dependent rule: in the known band, or in every band when it is unknown (decided
    /// only when all agree).
    fn by_band(
        &self,
        band: Option<usize>,
        missing: Option<&str>,
        rule: impl Fn(usize) -> RuleVerdict,
    ) -> RuleVerdict {
        if let Some(b) = band {
            return rule(b);
        }
        let all: Vec<RuleVerdict> = (0..self.file.durata.bands.len()).map(rule).collect();
        let first = all[0].clone();
        if all.iter().all(|v| v.esito == first.esito) {
            let mut v = first;
            v.motivo = format!("{} (in ogni fascia di durata)", v.motivo);
            return v;
        }
        let mut v = first;
        v.esito = Esito::NonDeterminabile;
        v.soglia = all
            .iter()
            .zip(&self.file.durata.bands)
            .map(|(v, b)| format!("fascia {}: {}", b.name, v.soglia))
            .collect::<Vec<_>>()
            .join("; ");
        v.motivo =
            "la fascia di durata della disoccupazione non è nota e le fasce danno esiti diversi"
                .into();
        v.mancanti = vec![missing.unwrap_or("data_did").to_owned()];
        v
    }

    fn scadenza(&self, s: &Situation) -> RuleVerdict {
        let (esito, input, motivo) = match s.scadenza {
            Some(d) if d < s.data_offerta => (
                Esito::NonCongrua,
                d.to_string(),
                format!("l'offerta è scaduta il {d}"),
            ),
            Some(d) => (Esito::Congrua, d.to_string(), "l'offerta è aperta".into()),
            None => (
                Esito::Congrua,
                "nessuna scadenza".into(),
                "l'offerta è aperta".into(),
            ),
        };
        RuleVerdict {
            regola: "scadenza".into(),
            esito,
            input,
            soglia: format!("aperta il {}", s.data_offerta),
            motivo,
            stato: ParamStatus::Read,
            fonte: "art. 25 D.Lgs. 150/2015: un'offerta di lavoro".into(),
            mancanti: vec![],
        }
    }

    fn coerenza(&self, b: usize, s: &Situation) -> RuleVerdict {
        let c = &self.file.coerenza[b];
        let refs = c
            .reference
            .iter()
            .map(|r| match r {
                Reference::Dichiarate => "occupazioni dichiarate nel patto",
                Reference::Esperienze => "occupazioni delle esperienze",
            })
            .collect::<Vec<_>>()
            .join(" o ");
        let relations = c
            .relations
            .iter()
            .map(|r| relation_word(*r))
            .collect::<Vec<_>>()
            .join(", ");
        let soglia = match c.min_similarity {
            Some(m) if c.relations.contains(&Relation::Adjacent) => {
                format!("{relations} (similarità ≥ {m}) rispetto a {refs}")
            }
            _ => format!("{relations} rispetto a {refs}"),
        };
        let verdict = |esito, input: String, motivo: String, mancanti: Vec<String>| RuleVerdict {
            regola: "coerenza".into(),
            esito,
            input,
            soglia: soglia.clone(),
            motivo,
            stato: c.status,
            fonte: format!("{} — {}", c.source, c.note),
            mancanti,
        };
        if !s.occupazione_nota {
            return verdict(
                Esito::NonDeterminabile,
                "occupazione dell'offerta non risolta".into(),
                "l'occupazione dell'offerta non è nota".into(),
                vec!["occupazione dell'offerta (esco, cp2011 o un titolo risolto)".into()],
            );
        }
        let accepted = s.links.iter().filter(|l| {
            c.reference.contains(&l.reference)
                && c.relations.contains(&l.relation)
                && (l.relation != Relation::Adjacent
                    || l.similarity
                        .zip(c.min_similarity)
                        .is_some_and(|(s, m)| s >= m))
        });
        if let Some(best) = accepted.min_by(|a, b| {
            a.relation.cmp(&b.relation).then(
                b.similarity
                    .unwrap_or(0.0)
                    .total_cmp(&a.similarity.unwrap_or(0.0)),
            )
        }) {
            let input = match best.similarity {
                Some(x) => format!(
                    "{} di {} (similarità {x:.3})",
                    relation_word(best.relation),
                    best.occupation
                ),
                None => format!("{} di {}", relation_word(best.relation), best.occupation),
            };
            return verdict(
                Esito::Congrua,
                input,
                "coerente con l'esperienza e il patto di servizio".into(),
                vec![],
            );
        }
        let needs_declared = c.reference == [Reference::Dichiarate];
        if needs_declared && !s.dichiarate_note {
            return verdict(
                Esito::NonDeterminabile,
                "nessuna occupazione dichiarata nel patto".into(),
                "la coerenza si misura sulle occupazioni concordate nel patto di servizio, che mancano".into(),
                vec!["occupazioni_disponibili".into()],
            );
        }
        verdict(
            Esito::NonCongrua,
            "nessuna relazione accettata".into(),
            "l'occupazione dell'offerta non è coerente con quelle di riferimento".into(),
            vec![],
        )
    }

    fn distanza(&self, b: usize, s: &Situation) -> RuleVerdict {
        let d = &self.file.distanza[b];
        let limit_km = decimal_f64(d.km);
        let soglia = format!(
            "≤ {} km dal domicilio o ≤ {} minuti con i mezzi pubblici",
            fmt_dec(d.km),
            d.minutes
        );
        let verdict = |esito, input: String, motivo: String, mancanti: Vec<String>| RuleVerdict {
            regola: "distanza".into(),
            esito,
            input,
            soglia: soglia.clone(),
            motivo,
            stato: d.status,
            fonte: d.source.clone(),
            mancanti,
        };
        let Some(km) = s.km else {
            return verdict(
                Esito::NonDeterminabile,
                "domicilio non indicato".into(),
                "la distanza si misura dal domicilio (non dalla residenza), che manca".into(),
                vec!["comune_domicilio".into()],
            );
        };
        let km_text = format!("{km:.1} km (in linea d'aria tra i centroidi dei comuni)");
        if km <= limit_km {
            return verdict(Esito::Congrua, km_text, "entro la distanza".into(), vec![]);
        }
        match s.minuti {
            Some(m) if m <= d.minutes => verdict(
                Esito::Congrua,
                format!("{km_text}; {m} minuti con i mezzi pubblici"),
                "oltre la distanza ma entro il tempo di percorrenza".into(),
                vec![],
            ),
            Some(m) => verdict(
                Esito::NonCongrua,
                format!("{km_text}; {m} minuti con i mezzi pubblici"),
                "oltre la distanza e il tempo di percorrenza".into(),
                vec![],
            ),
            None => verdict(
                Esito::NonDeterminabile,
                format!("{km_text}; tempo di percorrenza non valutato"),
                "oltre la distanza; congrua solo se raggiungibile entro il tempo indicato, che non è noto (nessuna tabella dei tempi)".into(),
                vec!["tempo di percorrenza con i mezzi pubblici (tabella)".into()],
            ),
        }
    }

    fn contratto(&self, s: &Situation) -> RuleVerdict {
        let c = &self.file.contratto;
        let k = &s.contratto;
        let soglia = format!(
            "tempo indeterminato, o determinato / somministrazione di almeno {} mesi",
            c.min_months
        );
        let verdict =
            |esito, stato, input: String, motivo: String, mancanti: Vec<String>| RuleVerdict {
                regola: "contratto".into(),
                esito,
                input,
                soglia: soglia.clone(),
                motivo,
                stato,
                fonte: c.source.clone(),
                mancanti,
            };
        let code = k.codice.as_str();
        let has = |list: &[String]| list.iter().any(|x| x == code);
        if has(&c.not_congruous) {
            return verdict(
                Esito::NonCongrua,
                ParamStatus::Inferred,
                code.into(),
                c.not_congruous_note.clone(),
                vec![],
            );
        }
        let fixed = k.somministrazione || has(&c.fixed_term);
        if !fixed {
            if has(&c.permanent) {
                return verdict(
                    Esito::Congrua,
                    c.status,
                    code.into(),
                    "tempo indeterminato".into(),
                    vec![],
                );
            }
            if has(&c.permanent_inferred) {
                return verdict(
                    Esito::Congrua,
                    ParamStatus::Inferred,
                    code.into(),
                    c.permanent_inferred_note.clone(),
                    vec![],
                );
            }
            return verdict(
                Esito::NonDeterminabile,
                ParamStatus::Inferred,
                code.into(),
                "tipo di contratto non previsto dal regolamento".into(),
                vec![],
            );
        }
        let what = if k.somministrazione {
            "somministrazione"
        } else {
            "tempo determinato"
        };
        if let Some(m) = k.durata_mesi {
            let ok = m >= c.min_months;
            return verdict(
                if ok {
                    Esito::Congrua
                } else {
                    Esito::NonCongrua
                },
                c.status,
                format!("{code}, {what}, {m} mesi"),
                if ok {
                    "durata sufficiente".into()
                } else {
                    "durata inferiore al minimo".into()
                },
                vec![],
            );
        }
        match k.periodo {
            Some(Periodo { dal, al: Some(al) }) => {
                // At least N calendar months: the last day is no earlier than the day before
                // the same date N months after the start.
                let need = dal
                    .checked_add_months(Months::new(c.min_months))
                    .and_then(|d| d.pred_opt());
                let days = (al - dal).num_days() + 1;
                let ok = need.is_some_and(|n| al >= n);
                verdict(
                    if ok {
                        Esito::Congrua
                    } else {
                        Esito::NonCongrua
                    },
                    c.status,
                    format!("{code}, {what}, dal {dal} al {al} ({days} giorni)"),
                    match need {
                        Some(n) if ok => {
                            format!("almeno {} mesi di calendario (fine ≥ {n})", c.min_months)
                        }
                        Some(n) => format!(
                            "meno di {} mesi di calendario (servirebbe fine ≥ {n})",
                            c.min_months
                        ),
                        None => "date fuori dal calendario".into(),
                    },
                    vec![],
                )
            }
            _ => verdict(
                Esito::NonDeterminabile,
                c.status,
                format!("{code}, {what}, durata non indicata"),
                "la durata del contratto a termine non è indicata".into(),
                vec!["durata del contratto (durata_mesi o periodo)".into()],
            ),
        }
    }

    fn orario(&self, s: &Situation) -> RuleVerdict {
        let o = &self.file.orario;
        let soglia = format!(
            "tempo pieno, o almeno il {}% delle ore dell'ultimo contratto",
            fmt_dec(o.min_share_of_last * Decimal::ONE_HUNDRED)
        );
        let verdict = |esito, input: String, motivo: String, mancanti: Vec<String>| RuleVerdict {
            regola: "orario".into(),
            esito,
            input,
            soglia: soglia.clone(),
            motivo,
            stato: o.status,
            fonte: o.source.clone(),
            mancanti,
        };
        if s.contratto.tempo_pieno {
            return verdict(
                Esito::Congrua,
                "tempo pieno".into(),
                "tempo pieno".into(),
                vec![],
            );
        }
        match (s.contratto.ore_settimanali, s.ore_ultimo_contratto) {
            (Some(h), Some(last)) => {
                let need = last * o.min_share_of_last;
                let ok = h >= need;
                verdict(
                    if ok {
                        Esito::Congrua
                    } else {
                        Esito::NonCongrua
                    },
                    format!(
                        "{} ore settimanali; ultimo contratto {} ore",
                        fmt_dec(h),
                        fmt_dec(last)
                    ),
                    format!("servono almeno {} ore", fmt_dec(need)),
                    vec![],
                )
            }
            (h, last) => {
                let mut m = Vec::new();
                if h.is_none() {
                    m.push("ore settimanali dell'offerta (o modalita FT)".to_owned());
                }
                if last.is_none() {
                    m.push("ore_ultimo_contratto".to_owned());
                }
                verdict(
                    Esito::NonDeterminabile,
                    "orario non confrontabile".into(),
                    "un'offerta non a tempo pieno si confronta con le ore dell'ultimo contratto"
                        .into(),
                    m,
                )
            }
        }
    }

    fn retribuzione_ccnl(&self, s: &Situation) -> RuleVerdict {
        let r = &self.file.retribuzione;
        let mut v = RuleVerdict {
            regola: "retribuzione_ccnl".into(),
            esito: Esito::NonApplicabile,
            input: String::new(),
            soglia: "non inferiore al minimo del contratto collettivo".into(),
            motivo: String::new(),
            stato: r.ccnl_status,
            fonte: r.ccnl_source.clone(),
            mancanti: vec![],
        };
        if !r.ccnl_minimum {
            v.motivo = "il regolamento non applica il minimo contrattuale".into();
            return v;
        }
        match (
            s.contratto.retribuzione_mensile,
            s.contratto.minimo_ccnl_mensile,
        ) {
            (_, None) => {
                v.input = "minimo CCNL non indicato".into();
                v.motivo =
                    "l'offerta non indica il minimo del contratto collettivo: non valutata".into();
            }
            (None, Some(min)) => {
                v.esito = Esito::NonDeterminabile;
                v.input = format!("minimo {} €", fmt_dec(min));
                v.motivo = "la retribuzione offerta non è indicata".into();
                v.mancanti = vec!["retribuzione_mensile".into()];
            }
            (Some(pay), Some(min)) => {
                v.esito = if pay >= min {
                    Esito::Congrua
                } else {
                    Esito::NonCongrua
                };
                v.input = format!(
                    "{} € lordi mensili; minimo {} €",
                    fmt_dec(pay),
                    fmt_dec(min)
                );
                v.soglia = format!("≥ {} €", fmt_dec(min));
                v.motivo = if pay >= min {
                    "non inferiore al minimo".into()
                } else {
                    "inferiore al minimo contrattuale".into()
                };
            }
        }
        v
    }

    fn retribuzione_indennita(&self, s: &Situation) -> RuleVerdict {
        let r = &self.file.retribuzione;
        let factor = Decimal::ONE + r.above_benefit;
        let mut v = RuleVerdict {
            regola: "retribuzione_indennita".into(),
            esito: Esito::NonApplicabile,
            input: String::new(),
            soglia: format!(
                "superiore di almeno il {}% all'indennità dell'ultimo mese",
                fmt_dec(r.above_benefit * Decimal::ONE_HUNDRED)
            ),
            motivo: String::new(),
            stato: r.status,
            fonte: r.source.clone(),
            mancanti: vec![],
        };
        let Some(ind) = s.indennita_mensile else {
            v.input = "nessuna prestazione dichiarata".into();
            v.motivo = "la persona non percepisce NASpI o DIS-COLL (prestazione assente)".into();
            return v;
        };
        let need = ind * factor;
        v.soglia = format!(
            "≥ {} € ({} × {} €)",
            fmt_dec(need),
            fmt_dec(factor),
            fmt_dec(ind)
        );
        match s.contratto.retribuzione_mensile {
            None => {
                v.esito = Esito::NonDeterminabile;
                v.input = format!("indennità {} €; retribuzione non indicata", fmt_dec(ind));
                v.motivo = "la retribuzione offerta non è indicata".into();
                v.mancanti = vec!["retribuzione_mensile".into()];
            }
            Some(pay) => {
                let ok = pay >= need;
                v.esito = if ok {
                    Esito::Congrua
                } else {
                    Esito::NonCongrua
                };
                v.input = format!(
                    "{} € lordi mensili; indennità {} €",
                    fmt_dec(pay),
                    fmt_dec(ind)
                );
                v.motivo = if ok {
                    "almeno il 20% sopra l'indennità".into()
                } else {
                    "meno del 20% sopra l'indennità".into()
                };
            }
        }
        v
    }
}

fn decimal_f64(d: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    // Thresholds are small decimals (km); the conversion is exact for every value with few
    // decimal digits that a rule file states.
    d.to_f64().unwrap_or(f64::INFINITY)
}

fn status_word(s: ParamStatus) -> &'static str {
    match s {
        ParamStatus::Read => "letto",
        ParamStatus::Partial => "letto in parte",
        ParamStatus::Inferred => "dedotto",
    }
}

fn relation_word(r: Relation) -> &'static str {
    match r {
        Relation::Same => "stessa occupazione",
        Relation::SameAda => "stessa area di attività (ADA) dell'Atlante",
        Relation::SameUnitGroup => "stesso gruppo di unità ISCO-08",
        Relation::Adjacent => "occupazione adiacente",
        Relation::SameMinorGroup => "stesso gruppo minore ISCO-08",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn months_count_from_the_did_moved_by_the_suspended_days() {
        // DID 15 Jan, 10 days suspended (1–10 Mar): counting starts 25 Jan; 6 months later is
        // 25 Jul.
        let s = [Periodo {
            dal: d("2026-03-01"),
            al: Some(d("2026-03-10")),
        }];
        let u = unemployment(d("2026-01-15"), &s, d("2026-07-25")).unwrap();
        assert_eq!(
            (u.effective_end, u.suspended_days, u.months),
            (d("2026-07-15"), 10, 6)
        );
        let u = unemployment(d("2026-01-15"), &s, d("2026-07-24")).unwrap();
        assert_eq!(u.months, 5);
        // A suspension still open counts up to the day before the offer.
        let open = [Periodo {
            dal: d("2026-07-20"),
            al: None,
        }];
        assert_eq!(
            unemployment(d("2026-01-15"), &open, d("2026-07-25"))
                .unwrap()
                .suspended_days,
            5
        );
        assert_eq!(unemployment(d("2026-01-15"), &[], d("2026-01-14")), None);
    }
}

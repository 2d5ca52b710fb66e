//! The Scheda Anagrafica Professionale (`Rev009_SAP.xsd`, root `lavoratore`) as a candidate
//! record; a batch is a `lavoratori` element holding several (`data/xsd/lavoratori.xsd`).
//!
//! What incrocio takes from a SAP, and from where (`docs/xml.md` has the full table):
//! - `id`: `datiinvio/identificativosap`, else a pseudonym of `datipersonali/codicefiscale`;
//! - `comune_domicilio`: `domicilio/codcomune`, a cadastral code (`H501`) turned into the ISTAT
//!   code (`058091`) through `data/territorio/comuni.csv`;
//! - `stato`: `statoinanagrafe/codstatus` `SO` → sospeso, `DE`/`PE` → cessato, else attivo;
//! - `data_did`: `statoinanagrafe/disponibilita`, else `periodidisoccupazione/dataingresso`;
//! - `titolo_studio`, `campo_studio`: the `titolostudio` of the highest level (`corsostudio`,
//!   `descrizionecorsostudio`), else the highest `livelliistruzione_lst/codlivelloistruzione`;
//! - `esperienze`: each `esperienzalavoro`'s `codprofessione` (CP2011), its months from
//!   `datainizio` to `datafine` (or to `datiinvio/dataultimoagg` while ongoing), `datafine`;
//! - `lingue`: `codlingua` at the lowest of the reading, writing and speaking levels given;
//! - `patenti`: `altreinformazioni/codpatenteguida`;
//! - `collocamento_mirato`: `altrenotizie/categorieprotette` present (L. 68/1999 art. 18);
//! - `competenze_testo`: `compiti`, `formazioneprofessionale/titolocorso`,
//!   `conoscenzainformatica/specificheinformatica` (free text, indexed).
//!
//! Names, addresses, contacts, birth data and the rest are not read into the record
//! ([`Ignored`] counts them): matching does not need them, and a CV store should not hold them.

use std::sync::LazyLock;

use chrono::NaiveDate;
use roxmltree::Node;

use super::{Declared, Ignored, Schema, children, date, declared, error, one, string, text, xpath};
use incrocio_core::error::{FieldReason, InputError};
use incrocio_core::reference::Reference;
use incrocio_matching::{CandidateRecord, Disponibilita, Esperienza, Lingua, Stato};

/// Rev009's declarations, and incrocio's `lavoratori` batch wrapper (`data/xsd/lavoratori.xsd`).
static DECLARED: LazyLock<Declared> = LazyLock::new(|| {
    let mut d = declared(include_str!("../../../data/xsd/Rev009_SAP.xsd"));
    let batch = declared(include_str!("../../../data/xsd/lavoratori.xsd"));
    d.names.extend(batch.names);
    d.content.extend(batch.content);
    d
});

fn schema() -> Schema {
    Schema {
        namespace: None,
        names: &DECLARED.names,
        content: &DECLARED.content,
        file: "Rev009_SAP.xsd",
    }
}

/// The generic title code of each level of study (`data/codici/livelli_studio.csv`):
/// `(level, 8-digit code)`.
static LEVEL_TITLES: LazyLock<Vec<(u8, String)>> = LazyLock::new(|| {
    include_str!("../../../data/codici/livelli_studio.csv")
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut c = l.split(',');
            Some((c.next()?.parse().ok()?, c.next()?.to_owned()))
        })
        .collect()
});

/// The 6-level CP2011 voci (`3.1.2.1.0.1`): the *qualifica professionale* a SAP's
/// `codprofessione` carries; its first five levels are its unità professionale.
static VOCI: LazyLock<std::collections::HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../../data/cp2011/voci_codici.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
});

/// The CP2011 unità professionale of a `codprofessione`: a 5-level code as sent (the
/// taxonomy checks it), a 6-level voce as its unit (`Some(unit)`, to count as mapped), or an
/// unknown 6-level code (`Err`).
fn unit_of_voce(code: &str) -> Result<Option<&str>, ()> {
    if code.split('.').count() != 6 {
        return Ok(None);
    }
    if !VOCI.contains(code) {
        return Err(());
    }
    Ok(code.rsplit_once('.').map(|(unit, _)| unit))
}

/// Whether an element carries no fact: no text anywhere below it (an empty
/// `<linguastraniera/>`, a list of empty items). Such an element is skipped and counted.
fn carries_nothing(n: Node<'_, '_>) -> bool {
    !n.descendants()
        .any(|d| d.is_text() && !d.text().unwrap_or("").trim().is_empty())
}

/// One SAP read.
#[derive(Debug, Clone, PartialEq)]
pub struct SapDocument {
    /// The candidate record.
    pub record: CandidateRecord,
    /// Where each record field came from: `(record field, XPath)`, to name the element when the
    /// record is refused later (an unknown CP2011 code, say).
    pub sources: Vec<(String, String)>,
    /// Elements of the schema incrocio does not use.
    pub ignored: Ignored,
    /// Values the SAP does not carry and incrocio assumed, in words (`stato: attivo (no
    /// statoinanagrafe)`).
    pub assumed: Vec<String>,
    /// Whether the id is the SAP's `identificativosap` (else a pseudonym of the codice fiscale).
    pub id_from_sap: bool,
    /// Elements that carried nothing (no text below them), skipped, by XPath.
    pub empty: Ignored,
    /// `codprofessione` voci (6-level) read as their unità professionale, by XPath.
    pub mapped: Ignored,
}

impl SapDocument {
    /// Names the element an error on a record field came from (the longest matching source),
    /// keeping the record field in the reason.
    pub fn locate(&self, mut e: InputError) -> InputError {
        let field = e.field.clone();
        let best = self
            .sources
            .iter()
            .filter(|(f, _)| {
                field == *f
                    || field.starts_with(&format!("{f}."))
                    || field.starts_with(&format!("{f}["))
            })
            .max_by_key(|(f, _)| f.len());
        if let Some((f, x)) = best {
            let reason = e.reason.to_string();
            e.field = x.clone();
            e.reason = FieldReason::Xml(format!("{reason} (record field `{f}`)"));
        }
        e
    }
}

/// Reads a SAP document: one `lavoratore`, or a `lavoratori` batch. The outer error is the
/// document's (not well-formed, wrong root); each `lavoratore` then maps or fails on its own.
pub fn read(
    text: &str,
    reference: &Reference,
) -> Result<Vec<Result<SapDocument, InputError>>, InputError> {
    let doc = super::parse(text)?;
    // The SAP is exchanged bare (only the DID travels in a SOAP body, `docs/xml.md`).
    let root = doc.root_element();
    if root.tag_name().name() == "Envelope" && root.tag_name().namespace().is_some() {
        return Err(InputError::new(
            "/Envelope",
            FieldReason::Xml(
                "a SOAP envelope: a SAP is sent bare, its root `lavoratore` (or `lavoratori`)"
                    .into(),
            ),
        ));
    }
    let s = schema();
    super::check_element(root, &s)?;
    match root.tag_name().name() {
        "lavoratore" => Ok(vec![lavoratore(root, xpath(root), &s, reference)]),
        "lavoratori" => {
            let items = children(root, &s)?;
            if let Some(other) = items.iter().find(|c| c.tag_name().name() != "lavoratore") {
                return Err(error(
                    *other,
                    FieldReason::Xml(
                        "a `lavoratori` batch holds only `lavoratore` elements".into(),
                    ),
                ));
            }
            if items.is_empty() {
                return Err(InputError::new(
                    "/lavoratori/lavoratore",
                    FieldReason::Missing,
                ));
            }
            let base = xpath(root);
            let many = items.len() > 1;
            Ok(items
                .into_iter()
                .enumerate()
                .map(|(k, n)| {
                    let path = if many {
                        format!("{base}/lavoratore[{}]", k + 1)
                    } else {
                        format!("{base}/lavoratore")
                    };
                    lavoratore(n, path, &s, reference)
                })
                .collect())
        }
        other => Err(error(
            root,
            FieldReason::Xml(format!(
                "the document is a `{other}`; a SAP is a `lavoratore` (or a `lavoratori` batch)"
            )),
        )),
    }
}

/// Reads a document that must hold exactly one SAP.
pub fn read_one(text: &str, reference: &Reference) -> Result<SapDocument, InputError> {
    let mut all = read(text, reference)?;
    if all.len() != 1 {
        return Err(InputError::new(
            "/lavoratori",
            FieldReason::Xml(format!(
                "{} SAPs in one document; this takes one (send a batch to the bulk endpoint)",
                all.len()
            )),
        ));
    }
    all.pop()
        .unwrap_or_else(|| Err(InputError::new("/lavoratore", FieldReason::Missing)))
}

struct Builder<'s, 'a, 'i> {
    s: &'s Schema,
    /// The `lavoratore` and its XPath: sources are named below it.
    top: Node<'a, 'i>,
    top_path: String,
    ignored: Ignored,
    sources: Vec<(String, String)>,
    assumed: Vec<String>,
    empty: Ignored,
    mapped: Ignored,
}

impl Builder<'_, '_, '_> {
    /// The children of `n` named `name` that carry something; the empty ones are counted
    /// in `empty` and skipped.
    fn items<'a, 'i>(
        &mut self,
        n: Node<'a, 'i>,
        name: &str,
    ) -> Result<Vec<Node<'a, 'i>>, InputError> {
        let mut out = all(self.s, n, name)?;
        out.retain(|c| {
            let nothing = carries_nothing(*c);
            if nothing {
                self.empty.note(*c);
            }
            !nothing
        });
        Ok(out)
    }

    fn ignore_all(&mut self, nodes: &[Node<'_, '_>], keep: &[&str]) {
        for n in nodes {
            if !keep.contains(&n.tag_name().name()) {
                self.ignored.note(*n);
            }
        }
    }

    fn source(&mut self, field: impl Into<String>, node: Node<'_, '_>) {
        let path = super::xpath_under(node, self.top, &self.top_path);
        self.sources.push((field.into(), path));
    }
}

fn all<'a, 'i>(s: &Schema, n: Node<'a, 'i>, name: &str) -> Result<Vec<Node<'a, 'i>>, InputError> {
    Ok(children(n, s)?
        .into_iter()
        .filter(|c| c.tag_name().name() == name)
        .collect())
}

fn lavoratore(
    node: Node<'_, '_>,
    top_path: String,
    s: &Schema,
    reference: &Reference,
) -> Result<SapDocument, InputError> {
    let mut b = Builder {
        s,
        top: node,
        top_path,
        ignored: Ignored::default(),
        sources: Vec::new(),
        assumed: Vec::new(),
        empty: Ignored::default(),
        mapped: Ignored::default(),
    };
    let sections = children(node, s)?;
    let mut seen = std::collections::BTreeSet::new();
    for sec in &sections {
        if !seen.insert(sec.tag_name().name()) {
            return Err(error(
                *sec,
                FieldReason::Xml(format!(
                    "`{}` is repeated; the schema allows one",
                    sec.tag_name().name()
                )),
            ));
        }
    }
    b.ignore_all(
        &sections,
        &[
            "datiinvio",
            "datianagrafici",
            "datiamministrativi",
            "esperienzelavoro_lst",
            "livelliistruzione_lst",
            "allegato",
        ],
    );
    let invio = one(&sections, "datiinvio")?.ok_or_else(|| {
        InputError::new(format!("{}/datiinvio", xpath(node)), FieldReason::Missing)
    })?;
    let (sap_id, updated) = datiinvio(&mut b, invio)?;

    let mut record = CandidateRecord {
        id: String::new(),
        comune_domicilio: String::new(),
        data_did: None,
        stato: Stato::Attivo,
        disponibilita: Disponibilita::default(),
        titolo_studio: None,
        campo_studio: None,
        esperienze: Vec::new(),
        competenze: Vec::new(),
        competenze_testo: Vec::new(),
        lingue: Vec::new(),
        patenti: Vec::new(),
        collocamento_mirato: false,
        sintesi: None,
        occupazioni_disponibili: Vec::new(),
        sospensioni: Vec::new(),
        prestazione: None,
        ore_ultimo_contratto: None,
    };

    let anagrafici = one(&sections, "datianagrafici")?;
    let cf = match anagrafici {
        Some(a) => datianagrafici(&mut b, a, &mut record, reference)?,
        None => None,
    };
    let id_from_sap = sap_id.is_some();
    record.id = match (sap_id, cf) {
        (Some((id, n)), _) => {
            b.source("id", n);
            id
        }
        (None, Some((cf, n))) => {
            b.source("id", n);
            b.assumed
                .push("id: a pseudonym of the codice fiscale (no identificativosap)".into());
            super::pseudonym(&cf)
        }
        (None, None) => {
            return Err(InputError::new(
                format!("{}/datiinvio/identificativosap", xpath(node)),
                FieldReason::Xml(
                    "missing, and no datipersonali/codicefiscale to derive an id from".into(),
                ),
            ));
        }
    };
    if record.comune_domicilio.is_empty() {
        return Err(InputError::new(
            format!("{}/datianagrafici/domicilio/codcomune", xpath(node)),
            FieldReason::Missing,
        )
        .with_record(&record.id));
    }

    let with_id = |e: InputError, id: &str| e.with_record(id);
    match one(&sections, "datiamministrativi")? {
        Some(a) => {
            datiamministrativi(&mut b, a, &mut record).map_err(|e| with_id(e, &record.id))?
        }
        None => b
            .assumed
            .push("stato: attivo (no datiamministrativi)".into()),
    }
    if let Some(l) = one(&sections, "esperienzelavoro_lst")? {
        esperienze(&mut b, l, updated, &mut record).map_err(|e| with_id(e, &record.id))?;
    }
    if let Some(a) = one(&sections, "allegato")? {
        allegato(&mut b, a, &mut record).map_err(|e| with_id(e, &record.id))?;
    }
    if record.titolo_studio.is_none()
        && let Some(l) = one(&sections, "livelliistruzione_lst")?
    {
        livelli(&mut b, l, &mut record).map_err(|e| with_id(e, &record.id))?;
    } else if let Some(l) = one(&sections, "livelliistruzione_lst")? {
        b.ignored.note(l);
    }
    Ok(SapDocument {
        record,
        sources: b.sources,
        ignored: b.ignored,
        assumed: b.assumed,
        id_from_sap,
        empty: b.empty,
        mapped: b.mapped,
    })
}

type Found<'a, 'i> = Option<(String, Node<'a, 'i>)>;

fn datiinvio<'a, 'i>(
    b: &mut Builder<'_, '_, '_>,
    n: Node<'a, 'i>,
) -> Result<(Found<'a, 'i>, NaiveDate), InputError> {
    let kids = children(n, b.s)?;
    b.ignore_all(&kids, &["identificativosap", "dataultimoagg"]);
    let upd = one(&kids, "dataultimoagg")?.ok_or_else(|| {
        InputError::new(format!("{}/dataultimoagg", xpath(n)), FieldReason::Missing)
    })?;
    let updated = date(upd)?.ok_or_else(|| error(upd, FieldReason::Missing))?;
    let id = match one(&kids, "identificativosap")? {
        Some(x) => string(x)?.map(|v| (v, x)),
        None => None,
    };
    Ok((id, updated))
}

fn datianagrafici<'a, 'i>(
    b: &mut Builder<'_, '_, '_>,
    n: Node<'a, 'i>,
    r: &mut CandidateRecord,
    reference: &Reference,
) -> Result<Found<'a, 'i>, InputError> {
    let kids = children(n, b.s)?;
    b.ignore_all(&kids, &["datipersonali", "domicilio"]);
    let mut cf = None;
    if let Some(p) = one(&kids, "datipersonali")? {
        let pk = children(p, b.s)?;
        b.ignore_all(&pk, &["codicefiscale"]);
        if let Some(c) = one(&pk, "codicefiscale")? {
            cf = string(c)?.map(|v| (v, c));
        }
    }
    if let Some(d) = one(&kids, "domicilio")? {
        let dk = children(d, b.s)?;
        b.ignore_all(&dk, &["codcomune"]);
        let c = one(&dk, "codcomune")?.ok_or_else(|| {
            InputError::new(format!("{}/codcomune", xpath(d)), FieldReason::Missing)
        })?;
        let code = text(c)?.ok_or_else(|| error(c, FieldReason::Missing))?;
        let idx = reference
            .territory
            .comune_catastale(&code.to_ascii_uppercase())
            .ok_or_else(|| {
                error(
                    c,
                    FieldReason::UnknownCode {
                        value: code.to_owned(),
                        list: "cadastral codes of data/territorio/comuni.csv",
                    },
                )
            })?;
        r.comune_domicilio = reference.territory.comuni()[idx as usize]
            .codice_istat
            .clone();
        b.source("comune_domicilio", c);
    }
    Ok(cf)
}

fn datiamministrativi(
    b: &mut Builder<'_, '_, '_>,
    n: Node<'_, '_>,
    r: &mut CandidateRecord,
) -> Result<(), InputError> {
    let kids = children(n, b.s)?;
    b.ignore_all(
        &kids,
        &["statoinanagrafe", "periodidisoccupazione", "altrenotizie"],
    );
    let mut status_seen = false;
    if let Some(st) = one(&kids, "statoinanagrafe")? {
        let sk = children(st, b.s)?;
        b.ignore_all(
            &sk,
            &["codstatus", "disponibilita", "codstatooccupazionale"],
        );
        if let Some(c) = one(&sk, "codstatus")? {
            r.stato = match text(c)? {
                Some("SO") => Stato::Sospeso,
                Some("DE" | "PE") => Stato::Cessato,
                Some("CO" | "SC" | "CM" | "CE" | "DO" | "DS" | "CS") | None => Stato::Attivo,
                Some(v) => {
                    return Err(error(
                        c,
                        FieldReason::UnknownCode {
                            value: v.to_owned(),
                            list: "codstatus of Rev009_SAP.xsd",
                        },
                    ));
                }
            };
            b.source("stato", c);
            status_seen = true;
        }
        if let Some(c) = one(&sk, "codstatooccupazionale")? {
            match text(c)? {
                Some("DI" | "IN" | "OC" | "AL") | None => {}
                Some(v) => {
                    return Err(error(
                        c,
                        FieldReason::UnknownCode {
                            value: v.to_owned(),
                            list: "codstatooccupazionale (DI, IN, OC, AL)",
                        },
                    ));
                }
            }
            b.ignored.note(c);
        }
        if let Some(d) = one(&sk, "disponibilita")? {
            r.data_did = date(d)?;
            b.source("data_did", d);
        }
    }
    if !status_seen {
        b.assumed
            .push("stato: attivo (no statoinanagrafe/codstatus)".into());
    }
    if let Some(p) = one(&kids, "periodidisoccupazione")? {
        let pk = children(p, b.s)?;
        b.ignore_all(&pk, &["dataingresso"]);
        if let Some(d) = one(&pk, "dataingresso")? {
            if r.data_did.is_none() {
                r.data_did = date(d)?;
                b.source("data_did", d);
            } else {
                b.ignored.note(d);
            }
        }
    }
    if let Some(a) = one(&kids, "altrenotizie")? {
        let ak = children(a, b.s)?;
        b.ignore_all(&ak, &["categorieprotette"]);
        if let Some(c) = one(&ak, "categorieprotette")? {
            match text(c)? {
                None => {}
                Some("C1" | "C2" | "C3" | "C4") => r.collocamento_mirato = true,
                Some(v) => {
                    return Err(error(
                        c,
                        FieldReason::UnknownCode {
                            value: v.to_owned(),
                            list: "tab_categorie_protette (C1–C4)",
                        },
                    ));
                }
            }
            b.source("collocamento_mirato", c);
        }
    }
    Ok(())
}

/// Whole months from `start` to the day after `end` (a job from 1 January to 31 January is
/// one month; to 30 January, none).
pub fn months(start: NaiveDate, end: NaiveDate) -> Option<u32> {
    if end < start {
        return None;
    }
    u32::try_from(incrocio_core::period::whole_months(start, end.succ_opt()?)).ok()
}

fn esperienze(
    b: &mut Builder<'_, '_, '_>,
    n: Node<'_, '_>,
    updated: NaiveDate,
    r: &mut CandidateRecord,
) -> Result<(), InputError> {
    for (k, e) in b.items(n, "esperienzalavoro")?.into_iter().enumerate() {
        let kids = children(e, b.s)?;
        b.ignore_all(
            &kids,
            &["codprofessione", "datainizio", "datafine", "compiti"],
        );
        let prefix = format!("esperienze[{k}]");
        let prof = one(&kids, "codprofessione")?.ok_or_else(|| {
            InputError::new(format!("{}/codprofessione", xpath(e)), FieldReason::Missing)
        })?;
        let mut cp2011 = string(prof)?.ok_or_else(|| error(prof, FieldReason::Missing))?;
        match unit_of_voce(&cp2011) {
            Ok(None) => {}
            Ok(Some(unit)) => {
                cp2011 = unit.to_owned();
                b.mapped.note(prof);
            }
            Err(()) => {
                return Err(error(
                    prof,
                    FieldReason::UnknownCode {
                        value: cp2011,
                        list: "CP2011 voci professionali (data/cp2011/voci_codici.txt)",
                    },
                ));
            }
        }
        b.source(format!("{prefix}.cp2011"), prof);
        let start_node = one(&kids, "datainizio")?.ok_or_else(|| {
            InputError::new(format!("{}/datainizio", xpath(e)), FieldReason::Missing)
        })?;
        let start = date(start_node)?.ok_or_else(|| error(start_node, FieldReason::Missing))?;
        let end_node = one(&kids, "datafine")?;
        let fine = match end_node {
            Some(x) => date(x)?,
            None => None,
        };
        let until = fine.unwrap_or(updated);
        let mesi = months(start, until).ok_or_else(|| {
            let (node, why) = match end_node {
                Some(x) if fine.is_some() => {
                    (x, format!("datafine {until} is before datainizio {start}"))
                }
                _ => (
                    start_node,
                    format!("datainizio {start} is after dataultimoagg {updated} (an ongoing job)"),
                ),
            };
            error(node, FieldReason::Inconsistent(why))
        })?;
        b.source(format!("{prefix}.mesi"), start_node);
        if let Some(x) = end_node {
            b.source(format!("{prefix}.fine"), x);
        }
        if let Some(c) = one(&kids, "compiti")?
            && let Some(t) = string(c)?
        {
            r.competenze_testo.push(t);
        }
        r.esperienze.push(Esperienza {
            cp2011: Some(cp2011),
            esco: None,
            titolo: None,
            mesi,
            fine,
        });
    }
    Ok(())
}

fn level_of_title(code: &str) -> Option<u8> {
    incrocio_core::reference::Reference::bundled()
        .codes
        .livello_studio(code)
}

fn allegato(
    b: &mut Builder<'_, '_, '_>,
    n: Node<'_, '_>,
    r: &mut CandidateRecord,
) -> Result<(), InputError> {
    let kids = children(n, b.s)?;
    b.ignore_all(
        &kids,
        &[
            "titolistudio_lst",
            "formazioneprofessionale_lst",
            "linguestraniere_lst",
            "conoscenzeinformatiche_lst",
            "altreinformazioni_lst",
        ],
    );
    // Titles: the highest level wins; the first of equal levels.
    let mut best: Option<(u8, String, Option<String>, Node<'_, '_>)> = None;
    for lst in b.items(n, "titolistudio_lst")? {
        for t in b.items(lst, "titolostudio")? {
            let tk = children(t, b.s)?;
            b.ignore_all(
                &tk,
                &[
                    "corsostudio",
                    "descrizionecorsostudio",
                    "codlivelloistruzione",
                ],
            );
            let (code, node) = match one(&tk, "corsostudio")? {
                Some(c) => {
                    let code = string(c)?.ok_or_else(|| error(c, FieldReason::Missing))?;
                    if let Some(l) = one(&tk, "codlivelloistruzione")? {
                        b.ignored.note(l);
                    }
                    (code, c)
                }
                None => {
                    let l = one(&tk, "codlivelloistruzione")?.ok_or_else(|| {
                        InputError::new(
                            format!("{}/codlivelloistruzione", xpath(t)),
                            FieldReason::Missing,
                        )
                    })?;
                    (generic_title(l)?, l)
                }
            };
            let level = level_of_title(&code).ok_or_else(|| {
                error(
                    node,
                    FieldReason::UnknownCode {
                        value: code.clone(),
                        list: "tab_studiotitolo (data/codici/titoli_studio.csv)",
                    },
                )
            })?;
            let campo = match one(&tk, "descrizionecorsostudio")? {
                Some(d) => string(d)?,
                None => None,
            };
            if best.as_ref().is_none_or(|(l, ..)| level > *l) {
                best = Some((level, code, campo, node));
            }
        }
    }
    if let Some((_, code, campo, node)) = best {
        r.titolo_studio = Some(code);
        r.campo_studio = campo;
        b.source("titolo_studio", node);
    }
    free_text(
        b,
        n,
        (
            "formazioneprofessionale_lst",
            "formazioneprofessionale",
            "titolocorso",
        ),
        r,
    )?;
    for lst in b.items(n, "linguestraniere_lst")? {
        for l in b.items(lst, "linguastraniera")? {
            lingua(b, l, r)?;
        }
    }
    free_text(
        b,
        n,
        (
            "conoscenzeinformatiche_lst",
            "conoscenzainformatica",
            "specificheinformatica",
        ),
        r,
    )?;
    for lst in b.items(n, "altreinformazioni_lst")? {
        for a in b.items(lst, "altreinformazioni")? {
            let ak = children(a, b.s)?;
            b.ignore_all(&ak, &["codpatenteguida"]);
            let Some(p) = one(&ak, "codpatenteguida")? else {
                continue;
            };
            match string(p)? {
                // `codpatenteguida` may be empty (Stringa2): no licence.
                None => b.empty.note(p),
                Some(v) if !r.patenti.contains(&v) => {
                    b.source(format!("patenti[{}]", r.patenti.len()), p);
                    r.patenti.push(v);
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// The free text of `leaf` in every `item` of every `list` under `n`, into `competenze_testo`;
/// the items' other elements are noted as not used.
fn free_text(
    b: &mut Builder<'_, '_, '_>,
    n: Node<'_, '_>,
    (list, item, leaf): (&str, &str, &str),
    r: &mut CandidateRecord,
) -> Result<(), InputError> {
    for lst in b.items(n, list)? {
        for it in b.items(lst, item)? {
            let kids = children(it, b.s)?;
            b.ignore_all(&kids, &[leaf]);
            if let Some(t) = one(&kids, leaf)?
                && let Some(v) = string(t)?
            {
                r.competenze_testo.push(v);
            }
        }
    }
    Ok(())
}

/// A 2-character `codlivelloistruzione` as the generic title of its level: the level's code
/// (`0`–`12`) or the first two digits of the level's title code (`40` → `40000000`). The SAP
/// documentation we hold does not state the list; this reading is inferred.
fn generic_title(l: Node<'_, '_>) -> Result<String, InputError> {
    let v = text(l)?.ok_or_else(|| error(l, FieldReason::Missing))?;
    LEVEL_TITLES
        .iter()
        .find(|(level, code)| code.get(..2) == Some(v) || level.to_string() == v)
        .map(|(_, code)| code.clone())
        .ok_or_else(|| {
            error(
                l,
                FieldReason::UnknownCode {
                    value: v.to_owned(),
                    list: "tab_studiolivello (a level 0–12 or its title code's first two digits)",
                },
            )
        })
}

fn livelli(
    b: &mut Builder<'_, '_, '_>,
    n: Node<'_, '_>,
    r: &mut CandidateRecord,
) -> Result<(), InputError> {
    let mut best: Option<(u8, String, Node<'_, '_>)> = None;
    for l in all(b.s, n, "codlivelloistruzione")? {
        let code = generic_title(l)?;
        let level = level_of_title(&code).unwrap_or(0);
        if best.as_ref().is_none_or(|(b, ..)| level > *b) {
            best = Some((level, code, l));
        }
    }
    if let Some((_, code, node)) = best {
        r.titolo_studio = Some(code);
        b.source("titolo_studio", node);
    }
    Ok(())
}

fn lingua(
    b: &mut Builder<'_, '_, '_>,
    l: Node<'_, '_>,
    r: &mut CandidateRecord,
) -> Result<(), InputError> {
    let kids = children(l, b.s)?;
    // Every child of `linguastraniera` is optional: levels without a language carry no fact
    // to match on; they are skipped and counted, not refused.
    let Some(code_node) = one(&kids, "codlingua")? else {
        b.empty.note(l);
        return Ok(());
    };
    let codice = string(code_node)?.ok_or_else(|| error(code_node, FieldReason::Missing))?;
    let mut lowest: Option<(u8, String)> = None;
    for k in &kids {
        let name = k.tag_name().name();
        if !matches!(
            name,
            "codlivelloletto" | "codlivelloscritto" | "codlivelloparlato"
        ) {
            continue;
        }
        let Some(v) = text(*k)? else { continue };
        let Some(rank) = incrocio_matching::candidate::cefr(v) else {
            let reason = if matches!(v, "01" | "02" | "03" | "04") {
                FieldReason::Xml(format!(
                    "`{v}` is a pre-2011 level (sufficiente … madrelingua) with no CEFR equivalent; send A1…C2"
                ))
            } else {
                FieldReason::UnknownCode {
                    value: v.to_owned(),
                    list: "tab_lingueconoscenza (A1…C2)",
                }
            };
            return Err(error(*k, reason));
        };
        if lowest.as_ref().is_none_or(|(r, _)| rank < *r) {
            lowest = Some((rank, v.to_ascii_uppercase()));
        }
    }
    let Some((_, livello)) = lowest else {
        // A language with no level: a candidate's language needs a level to be matched
        // against a vacancy's minimum; left out, and said.
        b.assumed.push(format!(
            "lingue: `{codice}` left out (no codlivelloletto, codlivelloscritto or codlivelloparlato)"
        ));
        return Ok(());
    };
    b.source(format!("lingue[{}]", r.lingue.len()), code_node);
    r.lingue.push(Lingua { codice, livello });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn months_count_whole_months_to_the_day_after_the_end() {
        assert_eq!(months(d(2020, 1, 1), d(2020, 1, 31)), Some(1));
        assert_eq!(months(d(2020, 1, 1), d(2020, 1, 30)), Some(0));
        assert_eq!(months(d(2020, 1, 15), d(2021, 1, 14)), Some(12));
        assert_eq!(months(d(2020, 1, 15), d(2021, 1, 13)), Some(11));
        assert_eq!(months(d(2020, 2, 1), d(2020, 1, 1)), None);
        assert_eq!(months(d(2020, 2, 1), d(2020, 1, 31)), None);
        assert_eq!(months(d(2020, 2, 1), d(2020, 2, 1)), Some(0));
    }
}

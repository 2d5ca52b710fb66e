//! The DID conferral (`XS_ID_ConferimentoDID_4.0.xsd`, root `GestisciDID_Input`) as a profile
//! record.
//!
//! The profile record's field names are already the schema's, so the mapping is one to one:
//! every element of `VariabiliDiProfiling` that the national model takes becomes the record
//! field of the same name, `InformazioniDID/DataDID` the DID date, `InformazioniDID/
//! CodiceFiscale` the codice fiscale (kept only for the input digest) and, through
//! [`super::pseudonym`], the record's `Id`. A nil element (`xsi:nil="true"`) or an empty one is
//! an absent value; the profiling then says whether the model can do without it.

use std::sync::LazyLock;

use chrono::NaiveDate;
use roxmltree::Node;

use super::{Ignored, Schema, boolean, children, date, error, int, one, string, xpath};
use incrocio_core::error::{FieldReason, InputError, ModelError};
use incrocio_core::reference::Reference;
use incrocio_profiling::ProfileRecord;

/// The bundled DID code mapping.
const BUNDLED_CODES: &str = include_str!("../../../data/codici/did-codici.v1.toml");
const BUNDLED_CODES_FILE: &str = "data/codici/did-codici.v1.toml";

/// The coded `VariabiliDiProfiling` elements a [`DidCodes`] table may map.
pub const CODED: [&str; 5] = [
    "Cittadinanza",
    "DurataPresenzaInItalia",
    "CondizioneOccupazionaleUnAnnoPrima",
    "PosizioneProfessioneUltimaOccupazione",
    "AttualmenteIscrittoScuolaUniversitaOCorsoFormazione",
];

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CodesFile {
    id: String,
    version: u32,
    #[allow(dead_code)]
    title: Option<String>,
    #[serde(default)]
    map: Vec<CodeLine>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeLine {
    element: String,
    code: String,
    value: String,
    source: String,
}

/// One DID code read as a record value.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct MappedCode {
    /// The element's XPath.
    pub element: String,
    /// The code the document sent.
    pub code: String,
    /// The record value it was read as.
    pub value: String,
    /// The table (`id@vN`) that says so.
    pub table: String,
}

/// Which profile-record value each DID code means, element by element: the bundled table
/// (`data/codici/did-codici.v1.toml`, each line with its source) and the tables a Region adds.
#[derive(Debug, Clone)]
pub struct DidCodes {
    /// `id@vN` of each table, bundled first.
    pub tables: Vec<String>,
    /// Element → DID code → (record value, table).
    map: std::collections::BTreeMap<String, std::collections::BTreeMap<String, (String, usize)>>,
}

impl DidCodes {
    /// The bundled table.
    pub fn bundled() -> Result<DidCodes, ModelError> {
        let mut c = DidCodes {
            tables: Vec::new(),
            map: Default::default(),
        };
        c.extend(BUNDLED_CODES_FILE, BUNDLED_CODES)?;
        Ok(c)
    }

    /// Adds a Region's table (same shape). A line for an element that is not coded, or for a
    /// code already mapped to another value, is an error naming the file and the line.
    pub fn extend(&mut self, file: &str, text: &str) -> Result<(), ModelError> {
        let f: CodesFile =
            toml::from_str(text).map_err(|e| ModelError::new(file, "", e.to_string()))?;
        let t = self.tables.len();
        self.tables.push(format!("{}@v{}", f.id, f.version));
        for (k, l) in f.map.into_iter().enumerate() {
            let at = format!("map[{k}]");
            if !CODED.contains(&l.element.as_str()) {
                return Err(ModelError::new(
                    file,
                    &at,
                    format!(
                        "`{}` is not a coded DID variable ({})",
                        l.element,
                        CODED.join(", ")
                    ),
                ));
            }
            if l.source.trim().is_empty() {
                return Err(ModelError::new(file, &at, "a mapping needs its `source`"));
            }
            let codes = self.map.entry(l.element.clone()).or_default();
            match codes.get(&l.code) {
                Some((v, _)) if *v != l.value => {
                    return Err(ModelError::new(
                        file,
                        &at,
                        format!(
                            "{} `{}` is already read as `{v}`; a table may add codes, not change them",
                            l.element, l.code
                        ),
                    ));
                }
                _ => {
                    codes.insert(l.code, (l.value, t));
                }
            }
        }
        Ok(())
    }

    fn get(&self, element: &str, code: &str) -> Option<(&str, &str)> {
        self.map
            .get(element)?
            .get(code)
            .map(|(v, t)| (v.as_str(), self.tables[*t].as_str()))
    }
}

/// Whether the profile record's own list has `value` for `element`.
fn record_has(reference: &Reference, element: &str, value: &str) -> bool {
    match element {
        "Cittadinanza" => reference.codes.cittadinanza(value).is_some(),
        other => reference
            .codes
            .list(other)
            .is_some_and(|l| l.position(value).is_some()),
    }
}

/// The schema's target namespace.
pub const NAMESPACE: &str =
    "http://anpal.gov.it/DataModels/InformationDelivery/ConferimentoDID/1.0";

static DECLARED: LazyLock<super::Declared> = LazyLock::new(|| {
    super::declared(include_str!(
        "../../../data/xsd/XS_ID_ConferimentoDID_4.0.xsd"
    ))
});

fn schema() -> Schema {
    Schema {
        namespace: Some(NAMESPACE),
        names: &DECLARED.names,
        content: &DECLARED.content,
        file: "XS_ID_ConferimentoDID_4.0.xsd",
    }
}

/// The DID event a document carries (`TipoEvento`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum TipoEvento {
    /// `I`: inserimento (a new DID).
    Inserimento,
    /// `C`: convalida (a DID confirmed).
    Convalida,
}

/// A DID document read.
#[derive(Debug, Clone, PartialEq)]
pub struct DidDocument {
    /// The profile record.
    pub record: ProfileRecord,
    /// The event.
    pub tipo_evento: TipoEvento,
    /// `InformazioniDID/DataEvento`.
    pub data_evento: NaiveDate,
    /// Elements of the schema incrocio does not use.
    pub ignored: Ignored,
    /// DID codes read as record values through a [`DidCodes`] table.
    pub mapped: Vec<MappedCode>,
    /// Profiling variables the document leaves unanswered (`xsi:nil` or empty), by element.
    pub unanswered: Vec<String>,
}

/// Where a profile record field comes from in the document (for errors found after the
/// mapping, when profiling the record).
pub fn xpath_of(field: &str) -> Option<String> {
    match field {
        "Id" | "CodiceFiscale" => Some("/GestisciDID_Input/InformazioniDID/CodiceFiscale".into()),
        "DataDID" => Some("/GestisciDID_Input/InformazioniDID/DataDID".into()),
        f if VARIABLES.contains(&f) => Some(format!("/GestisciDID_Input/VariabiliDiProfiling/{f}")),
        _ => None,
    }
}

/// Renames the record fields of profiling errors (`Genere`, `records[0].DataDID`) to the
/// elements of the DID document they came from.
pub fn locate(e: incrocio_core::Error) -> incrocio_core::Error {
    let fix = |mut i: InputError| {
        let field = match i.field.split_once("].") {
            Some((head, rest)) if head.starts_with("records[") => rest.to_owned(),
            _ => i.field.clone(),
        };
        if let Some(x) = xpath_of(&field) {
            i.field = x;
        }
        i
    };
    match e {
        incrocio_core::Error::Input(i) => incrocio_core::Error::Input(fix(i)),
        incrocio_core::Error::Records(all) => {
            incrocio_core::Error::Records(all.into_iter().map(fix).collect())
        }
        other => other,
    }
}

/// The `VariabiliDiProfiling` elements the profile record takes.
const VARIABLES: [&str; 15] = [
    "Eta",
    "Genere",
    "Cittadinanza",
    "DurataPresenzaInItalia",
    "TitoloDiStudio",
    "ProvinciaDiResidenza",
    "HaMaiAvutoUnLavoro",
    "CondizioneOccupazionaleUnAnnoPrima",
    "DaQuantiMesiConclusoUltimoRappLavoro",
    "PosizioneProfessioneUltimaOccupazione",
    "DaQuantiMesiStaCercandoLavoro",
    "AttualmenteIscrittoScuolaUniversitaOCorsoFormazione",
    "NumeroComponentiFamiglia",
    "PresenzaFigliACarico",
    "PresenzaFigliACaricoMeno18Anni",
];

/// Reads a `GestisciDID_Input` document (bare or in a SOAP body), its coded answers read
/// through `codes`.
pub fn read(
    text: &str,
    codes: &DidCodes,
    reference: &Reference,
) -> Result<DidDocument, InputError> {
    let doc = super::parse(text)?;
    let root = super::payload(&doc)?;
    let s = schema();
    super::check_element(root, &s)?;
    if root.tag_name().name() != "GestisciDID_Input" {
        return Err(error(
            root,
            FieldReason::Xml(format!(
                "the document is a `{}`; a DID to profile is a `GestisciDID_Input`",
                root.tag_name().name()
            )),
        ));
    }
    let top = children(root, &s)?;
    let mut ignored = Ignored::default();
    for c in &top {
        if matches!(
            c.tag_name().name(),
            "GUIDOperatore" | "CodiceFiscaleOperatore" | "Applicazione"
        ) {
            ignored.note(*c);
        }
    }
    let info = one(&top, "InformazioniDID")?.ok_or_else(|| missing(root, "InformazioniDID"))?;
    let mut r = ProfileRecord::default();
    // The event first: a revoca carries no answers, and says so before anything else.
    let (tipo_evento, data_evento) = informazioni(info, &s, &mut r, &mut ignored)?;
    let vars =
        one(&top, "VariabiliDiProfiling")?.ok_or_else(|| missing(root, "VariabiliDiProfiling"))?;
    if super::is_nil(vars) {
        return Err(error(
            vars,
            FieldReason::Xml(
                "nil: a DID without its profiling variables cannot be profiled".into(),
            ),
        ));
    }
    let mut doc = DidDocument {
        record: r,
        tipo_evento,
        data_evento,
        ignored,
        mapped: Vec::new(),
        unanswered: Vec::new(),
    };
    variabili(vars, &s, &mut doc, codes, reference)?;
    Ok(doc)
}

fn missing(parent: Node<'_, '_>, name: &str) -> InputError {
    InputError::new(format!("{}/{name}", xpath(parent)), FieldReason::Missing)
}

fn informazioni(
    info: Node<'_, '_>,
    s: &Schema,
    r: &mut ProfileRecord,
    ignored: &mut Ignored,
) -> Result<(TipoEvento, NaiveDate), InputError> {
    let e = children(info, s)?;
    let cf_node = one(&e, "CodiceFiscale")?.ok_or_else(|| missing(info, "CodiceFiscale"))?;
    let cf = string(cf_node)?.ok_or_else(|| error(cf_node, FieldReason::Missing))?;
    if !valid_codice_fiscale(&cf) {
        return Err(error(
            cf_node,
            FieldReason::Malformed {
                value: "(not shown)".into(),
                expected: "a codice fiscale (16 characters, or 11 digits provisional)",
            },
        ));
    }
    r.id = super::pseudonym(&cf);
    r.codice_fiscale = Some(cf);
    let tipo = one(&e, "TipoEvento")?.ok_or_else(|| missing(info, "TipoEvento"))?;
    let tipo_evento = match super::text(tipo)? {
        Some("I") => TipoEvento::Inserimento,
        Some("C") => TipoEvento::Convalida,
        Some(v @ ("S" | "R" | "A")) => {
            let what = match v {
                "S" => "sospensione",
                "R" => "revoca",
                _ => "annullamento",
            };
            return Err(error(
                tipo,
                FieldReason::Xml(format!(
                    "TipoEvento `{v}` ({what}): only a DID inserted (I) or confirmed (C) is profiled"
                )),
            ));
        }
        Some(v) => {
            return Err(error(
                tipo,
                FieldReason::UnknownCode {
                    value: v.to_owned(),
                    list: "TipoEvento (I, C, S, R, A)",
                },
            ));
        }
        None => return Err(error(tipo, FieldReason::Missing)),
    };
    let ev = one(&e, "DataEvento")?.ok_or_else(|| missing(info, "DataEvento"))?;
    let data_evento = date(ev)?.ok_or_else(|| error(ev, FieldReason::Missing))?;
    let did = one(&e, "DataDID")?.ok_or_else(|| missing(info, "DataDID"))?;
    r.data_did = Some(date(did)?.ok_or_else(|| error(did, FieldReason::Missing))?);
    if let Some(n) = one(&e, "CodiceEntePromotore")? {
        ignored.note(n);
    }
    Ok((tipo_evento, data_evento))
}

/// A coded answer read as the record's value: through the code tables when they map it,
/// else as sent when the record's list has it; any other code is refused naming the element
/// and the table to extend.
fn coded(
    c: Node<'_, '_>,
    doc: &mut DidDocument,
    codes: &DidCodes,
    reference: &Reference,
) -> Result<Option<String>, InputError> {
    let Some(v) = string(c)? else {
        return Ok(None);
    };
    let element = c.tag_name().name();
    let known = codes.get(element, &v);
    if known.is_none() && record_has(reference, element, &v) {
        return Ok(Some(v));
    }
    match known {
        Some((value, table)) => {
            doc.mapped.push(MappedCode {
                element: xpath(c),
                code: v.clone(),
                value: value.to_owned(),
                table: table.to_owned(),
            });
            Ok(Some(value.to_owned()))
        }
        None => Err(error(
            c,
            FieldReason::UnknownCode {
                value: v,
                list: "the DID code tables (data/codici/did-codici.v1.toml, extended by a Region's table: --did-codes / did_codes)",
            },
        )),
    }
}

fn variabili(
    vars: Node<'_, '_>,
    s: &Schema,
    doc: &mut DidDocument,
    codes: &DidCodes,
    reference: &Reference,
) -> Result<(), InputError> {
    let mut seen = std::collections::BTreeSet::new();
    for c in children(vars, s)? {
        let name = c.tag_name().name();
        if !seen.insert(name) {
            return Err(error(
                c,
                FieldReason::Xml(format!("`{name}` is repeated; the schema allows one")),
            ));
        }
        if VARIABLES.contains(&name) && super::text(c)?.is_none() {
            doc.unanswered.push(name.to_owned());
        }
        let r = &mut doc.record;
        match name {
            "Eta" => r.eta = int(c)?,
            "Genere" => r.genere = string(c)?,
            "Cittadinanza" => {
                let v = coded(c, doc, codes, reference)?;
                doc.record.cittadinanza = v;
            }
            "DurataPresenzaInItalia" => {
                let v = coded(c, doc, codes, reference)?;
                doc.record.durata_presenza_in_italia = v;
            }
            "TitoloDiStudio" => r.titolo_di_studio = string(c)?,
            "ProvinciaDiResidenza" => r.provincia_di_residenza = string(c)?,
            "HaMaiAvutoUnLavoro" => r.ha_mai_avuto_un_lavoro = boolean(c)?,
            "CondizioneOccupazionaleUnAnnoPrima" => {
                let v = coded(c, doc, codes, reference)?;
                doc.record.condizione_occupazionale_un_anno_prima = v;
            }
            "DaQuantiMesiConclusoUltimoRappLavoro" => r.mesi_concluso_ultimo_rapp_lavoro = int(c)?,
            "PosizioneProfessioneUltimaOccupazione" => {
                let v = coded(c, doc, codes, reference)?;
                doc.record.posizione_professione_ultima_occupazione = v;
            }
            "DaQuantiMesiStaCercandoLavoro" => r.mesi_sta_cercando_lavoro = int(c)?,
            "AttualmenteIscrittoScuolaUniversitaOCorsoFormazione" => {
                let v = coded(c, doc, codes, reference)?;
                doc.record.iscritto_scuola_o_corso = v;
            }
            "NumeroComponentiFamiglia" => r.numero_componenti_famiglia = int(c)?,
            "PresenzaFigliACarico" => r.presenza_figli_a_carico = boolean(c)?,
            "PresenzaFigliACaricoMeno18Anni" => {
                r.presenza_figli_a_carico_meno_18_anni = boolean(c)?;
            }
            "CondizioneOccupazionaleAnnoPrecedenteCalcolata" | "DurataDisoccupazioneCalcolata" => {
                doc.ignored.note(c);
            }
            other => {
                return Err(error(
                    c,
                    FieldReason::Xml(format!(
                        "`{other}` is not a variable of VariabiliDiProfiling"
                    )),
                ));
            }
        }
    }
    Ok(())
}

/// The two forms the schema admits: 16 characters (`[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z]…`) or 11
/// digits (provisional).
pub fn valid_codice_fiscale(cf: &str) -> bool {
    let b = cf.as_bytes();
    let digitish = |c: u8| c.is_ascii_digit() || b"LMNPQRSTUV".contains(&c);
    let upper = |c: u8| c.is_ascii_uppercase();
    match b.len() {
        11 => b.iter().all(u8::is_ascii_digit),
        16 => {
            b[..6].iter().all(|c| upper(*c))
                && b[6..8].iter().all(|c| digitish(*c))
                && upper(b[8])
                && b[9..11].iter().all(|c| digitish(*c))
                && upper(b[11])
                && b[12..15].iter().all(|c| digitish(*c))
                && upper(b[15])
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(vars: &str, info: &str) -> String {
        format!(
            r#"<GestisciDID_Input xmlns="{NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<VariabiliDiProfiling>{vars}</VariabiliDiProfiling>
<InformazioniDID>{info}</InformazioniDID>
<GUIDOperatore xsi:nil="true"/><CodiceFiscaleOperatore xsi:nil="true"/><Applicazione>WEB</Applicazione>
</GestisciDID_Input>"#
        )
    }

    fn rd(text: &str) -> Result<DidDocument, InputError> {
        read(text, &DidCodes::bundled().unwrap(), Reference::bundled())
    }

    const INFO: &str = "<CodiceFiscale>RSSMRA80A01H501U</CodiceFiscale><TipoEvento>I</TipoEvento><DataEvento>2025-01-10T09:00:00</DataEvento><DataDID>2025-01-10T09:00:00</DataDID><CodiceEntePromotore>X</CodiceEntePromotore>";

    #[test]
    fn variables_map_one_to_one_and_nil_is_absent() {
        let d = rd(&doc(
            "<Eta>34</Eta><Genere>F</Genere><Cittadinanza xsi:nil=\"true\"/><HaMaiAvutoUnLavoro>true</HaMaiAvutoUnLavoro><NumeroComponentiFamiglia>3</NumeroComponentiFamiglia>",
            INFO,
        ))
        .unwrap();
        let r = &d.record;
        assert_eq!(r.eta, Some(34));
        assert_eq!(r.genere.as_deref(), Some("F"));
        assert_eq!(r.cittadinanza, None);
        assert_eq!(r.ha_mai_avuto_un_lavoro, Some(true));
        assert_eq!(r.numero_componenti_famiglia, Some(3));
        assert_eq!(r.data_did, NaiveDate::from_ymd_opt(2025, 1, 10));
        assert_eq!(r.id, super::super::pseudonym("RSSMRA80A01H501U"));
        assert_eq!(d.tipo_evento, TipoEvento::Inserimento);
        assert_eq!(
            d.ignored.0.keys().cloned().collect::<Vec<_>>(),
            [
                "/GestisciDID_Input/Applicazione",
                "/GestisciDID_Input/CodiceFiscaleOperatore",
                "/GestisciDID_Input/GUIDOperatore",
                "/GestisciDID_Input/InformazioniDID/CodiceEntePromotore"
            ]
        );
    }

    #[test]
    fn errors_name_the_xpath() {
        let e = rd(&doc("<Eta>trentaquattro</Eta>", INFO)).unwrap_err();
        assert_eq!(e.field, "/GestisciDID_Input/VariabiliDiProfiling/Eta");
        let e = rd(&doc("<Eta>34</Eta><Eta>35</Eta>", INFO)).unwrap_err();
        assert_eq!(e.field, "/GestisciDID_Input/VariabiliDiProfiling/Eta[2]");
        let e = rd(&doc("<Altezza>180</Altezza>", INFO)).unwrap_err();
        assert!(e.reason.to_string().contains("not an element"), "{e}");
        let revoked = INFO.replace("<TipoEvento>I", "<TipoEvento>R");
        let e = rd(&doc("", &revoked)).unwrap_err();
        assert_eq!(e.field, "/GestisciDID_Input/InformazioniDID/TipoEvento");
        assert!(e.reason.to_string().contains("revoca"), "{e}");
    }

    #[test]
    fn another_namespace_is_refused() {
        let text = doc("", INFO).replace(NAMESPACE, "http://example.org/did");
        let e = rd(&text).unwrap_err();
        assert_eq!(e.field, "/GestisciDID_Input");
        assert!(e.reason.to_string().contains("namespace"), "{e}");
    }

    #[test]
    fn a_soap_body_is_read_as_the_document() {
        let text = format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{}</s:Body></s:Envelope>"#,
            doc("<Eta>40</Eta>", INFO)
        );
        assert_eq!(rd(&text).unwrap().record.eta, Some(40));
    }

    /// Issue 29: the DID's own code lists are read through the code table, each reading
    /// listed; a code the record's list has passes unchanged; an unmapped one is refused at
    /// its element, naming the table to extend.
    #[test]
    fn did_codes_are_read_through_the_table() {
        let d = rd(&doc(
            "<Cittadinanza>A02</Cittadinanza><PosizioneProfessioneUltimaOccupazione>NO</PosizioneProfessioneUltimaOccupazione><CondizioneOccupazionaleUnAnnoPrima>02</CondizioneOccupazionaleUnAnnoPrima><AttualmenteIscrittoScuolaUniversitaOCorsoFormazione>no</AttualmenteIscrittoScuolaUniversitaOCorsoFormazione>",
            INFO,
        ))
        .unwrap();
        let r = &d.record;
        assert_eq!(r.cittadinanza.as_deref(), Some("000"));
        assert_eq!(
            r.posizione_professione_ultima_occupazione.as_deref(),
            Some("mai_occupato")
        );
        assert_eq!(
            r.condizione_occupazionale_un_anno_prima.as_deref(),
            Some("disoccupato")
        );
        assert_eq!(r.iscritto_scuola_o_corso.as_deref(), Some("no"));
        // Three readings through the table; `no` is the record's own code.
        assert_eq!(d.mapped.len(), 3);
        assert!(d.mapped.iter().all(|m| m.code != "no"));
        assert_eq!(
            d.mapped[0],
            MappedCode {
                element: "/GestisciDID_Input/VariabiliDiProfiling/Cittadinanza".into(),
                code: "A02".into(),
                value: "000".into(),
                table: "did-codici@v1".into(),
            }
        );
        // EU and non-EU groups stay groups (the record takes them).
        let eu = rd(&doc("<Cittadinanza>A01</Cittadinanza>", INFO)).unwrap();
        assert_eq!(eu.record.cittadinanza.as_deref(), Some("A01"));
        // The SAP's code passes as sent, with nothing mapped.
        let sap = rd(&doc("<Cittadinanza>000</Cittadinanza>", INFO)).unwrap();
        assert_eq!(sap.record.cittadinanza.as_deref(), Some("000"));
        assert!(sap.mapped.is_empty());
        let e = rd(&doc(
            "<CondizioneOccupazionaleUnAnnoPrima>05</CondizioneOccupazionaleUnAnnoPrima>",
            INFO,
        ))
        .unwrap_err();
        assert_eq!(
            e.field,
            "/GestisciDID_Input/VariabiliDiProfiling/CondizioneOccupazionaleUnAnnoPrima"
        );
        assert!(e.reason.to_string().contains("did-codici"), "{e}");
    }

    #[test]
    fn a_region_table_adds_codes_and_cannot_change_them() {
        let mut c = DidCodes::bundled().unwrap();
        let add = r#"id = "did-codici-er"
version = 1
[[map]]
element = "CondizioneOccupazionaleUnAnnoPrima"
code = "05"
value = "inattivo"
source = "SIL-ER manual"
"#;
        c.extend("er.toml", add).unwrap();
        let d = read(
            &doc(
                "<CondizioneOccupazionaleUnAnnoPrima>05</CondizioneOccupazionaleUnAnnoPrima>",
                INFO,
            ),
            &c,
            Reference::bundled(),
        )
        .unwrap();
        assert_eq!(
            d.record.condizione_occupazionale_un_anno_prima.as_deref(),
            Some("inattivo")
        );
        assert_eq!(d.mapped[0].table, "did-codici-er@v1");
        let change = add.replace("\"05\"", "\"02\"");
        let e = c.extend("er2.toml", &change).unwrap_err();
        assert!(e.to_string().contains("already read as"), "{e}");
        let e = c
            .extend(
                "bad.toml",
                &add.replace("CondizioneOccupazionaleUnAnnoPrima", "Eta"),
            )
            .unwrap_err();
        assert!(e.to_string().contains("not a coded DID variable"), "{e}");
    }

    /// Issue 29: a nil answer is an absent value, listed as unanswered.
    #[test]
    fn nil_answers_are_listed() {
        let d = rd(&doc(
            "<Genere>F</Genere><CondizioneOccupazionaleUnAnnoPrima xsi:nil=\"true\"/><NumeroComponentiFamiglia></NumeroComponentiFamiglia>",
            INFO,
        ))
        .unwrap();
        assert_eq!(d.record.condizione_occupazionale_un_anno_prima, None);
        assert_eq!(
            d.unanswered,
            [
                "CondizioneOccupazionaleUnAnnoPrima",
                "NumeroComponentiFamiglia"
            ]
        );
    }

    /// A revoca carries no answers: it says it cannot be profiled, not that they are missing.
    #[test]
    fn a_revoca_without_answers_says_it_cannot_be_profiled() {
        let revoked = INFO.replace("<TipoEvento>I", "<TipoEvento>R");
        let text = format!(
            r#"<GestisciDID_Input xmlns="{NAMESPACE}"><InformazioniDID>{revoked}</InformazioniDID></GestisciDID_Input>"#
        );
        let e = rd(&text).unwrap_err();
        assert_eq!(e.field, "/GestisciDID_Input/InformazioniDID/TipoEvento");
        assert!(e.reason.to_string().contains("revoca"), "{e}");
    }

    #[test]
    fn codice_fiscale_forms() {
        assert!(valid_codice_fiscale("RSSMRA80A01H501U"));
        assert!(valid_codice_fiscale("RSSMRA8LA01H5MNU"));
        assert!(valid_codice_fiscale("12345678901"));
        assert!(!valid_codice_fiscale("rssmra80a01h501u"));
        assert!(!valid_codice_fiscale("RSSMRA80A01H501"));
    }
}

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

use super::{
    Ignored, Schema, boolean, children, date, declared_names, error, int, one, string, xpath,
};
use incrocio_core::error::{FieldReason, InputError};
use incrocio_profiling::ProfileRecord;

/// The schema's target namespace.
pub const NAMESPACE: &str =
    "http://anpal.gov.it/DataModels/InformationDelivery/ConferimentoDID/1.0";

static NAMES: LazyLock<std::collections::BTreeSet<String>> = LazyLock::new(|| {
    declared_names(include_str!(
        "../../../data/xsd/XS_ID_ConferimentoDID_4.0.xsd"
    ))
});

fn schema() -> Schema {
    Schema {
        namespace: Some(NAMESPACE),
        names: &NAMES,
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

/// Reads a `GestisciDID_Input` document (bare or in a SOAP body).
pub fn read(text: &str) -> Result<DidDocument, InputError> {
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
    let mut r = ProfileRecord::default();
    let (tipo_evento, data_evento) = informazioni(info, &s, &mut r, &mut ignored)?;
    variabili(vars, &s, &mut r, &mut ignored)?;
    Ok(DidDocument {
        record: r,
        tipo_evento,
        data_evento,
        ignored,
    })
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

fn variabili(
    vars: Node<'_, '_>,
    s: &Schema,
    r: &mut ProfileRecord,
    ignored: &mut Ignored,
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
        match name {
            "Eta" => r.eta = int(c)?,
            "Genere" => r.genere = string(c)?,
            "Cittadinanza" => r.cittadinanza = string(c)?,
            "DurataPresenzaInItalia" => r.durata_presenza_in_italia = string(c)?,
            "TitoloDiStudio" => r.titolo_di_studio = string(c)?,
            "ProvinciaDiResidenza" => r.provincia_di_residenza = string(c)?,
            "HaMaiAvutoUnLavoro" => r.ha_mai_avuto_un_lavoro = boolean(c)?,
            "CondizioneOccupazionaleUnAnnoPrima" => {
                r.condizione_occupazionale_un_anno_prima = string(c)?;
            }
            "DaQuantiMesiConclusoUltimoRappLavoro" => r.mesi_concluso_ultimo_rapp_lavoro = int(c)?,
            "PosizioneProfessioneUltimaOccupazione" => {
                r.posizione_professione_ultima_occupazione = string(c)?;
            }
            "DaQuantiMesiStaCercandoLavoro" => r.mesi_sta_cercando_lavoro = int(c)?,
            "AttualmenteIscrittoScuolaUniversitaOCorsoFormazione" => {
                r.iscritto_scuola_o_corso = string(c)?;
            }
            "NumeroComponentiFamiglia" => r.numero_componenti_famiglia = int(c)?,
            "PresenzaFigliACarico" => r.presenza_figli_a_carico = boolean(c)?,
            "PresenzaFigliACaricoMeno18Anni" => {
                r.presenza_figli_a_carico_meno_18_anni = boolean(c)?;
            }
            "CondizioneOccupazionaleAnnoPrecedenteCalcolata" | "DurataDisoccupazioneCalcolata" => {
                ignored.note(c);
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

    const INFO: &str = "<CodiceFiscale>RSSMRA80A01H501U</CodiceFiscale><TipoEvento>I</TipoEvento><DataEvento>2025-01-10T09:00:00</DataEvento><DataDID>2025-01-10T09:00:00</DataDID><CodiceEntePromotore>X</CodiceEntePromotore>";

    #[test]
    fn variables_map_one_to_one_and_nil_is_absent() {
        let d = read(&doc(
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
        let e = read(&doc("<Eta>trentaquattro</Eta>", INFO)).unwrap_err();
        assert_eq!(e.field, "/GestisciDID_Input/VariabiliDiProfiling/Eta");
        let e = read(&doc("<Eta>34</Eta><Eta>35</Eta>", INFO)).unwrap_err();
        assert_eq!(e.field, "/GestisciDID_Input/VariabiliDiProfiling/Eta[2]");
        let e = read(&doc("<Altezza>180</Altezza>", INFO)).unwrap_err();
        assert!(e.reason.to_string().contains("not an element"), "{e}");
        let revoked = INFO.replace("<TipoEvento>I", "<TipoEvento>R");
        let e = read(&doc("", &revoked)).unwrap_err();
        assert_eq!(e.field, "/GestisciDID_Input/InformazioniDID/TipoEvento");
        assert!(e.reason.to_string().contains("revoca"), "{e}");
    }

    #[test]
    fn another_namespace_is_refused() {
        let text = doc("", INFO).replace(NAMESPACE, "http://example.org/did");
        let e = read(&text).unwrap_err();
        assert_eq!(e.field, "/GestisciDID_Input");
        assert!(e.reason.to_string().contains("namespace"), "{e}");
    }

    #[test]
    fn a_soap_body_is_read_as_the_document() {
        let text = format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{}</s:Body></s:Envelope>"#,
            doc("<Eta>40</Eta>", INFO)
        );
        assert_eq!(read(&text).unwrap().record.eta, Some(40));
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

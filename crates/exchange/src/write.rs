//! incrocio's records as the ministerial XML: a candidate record as a SAP `lavoratore`, a
//! profile record as a DID `GestisciDID_Input`. Used to make test fixtures from synthetic data
//! (`incrocio synth cvs --xml`, `incrocio synth people --xml`) and checked against the XSDs in
//! the tests.
//!
//! The schemas require data a candidate or profile record does not hold (names, addresses,
//! employer, contract details): the writer fills them from [`Anagrafica`] and with clearly
//! synthetic placeholders (`SINTETICO`). An experience without a CP2011 code is left out (the
//! SAP requires `codprofessione`); [`SapWritten::skipped`] counts them.

use chrono::{Days, Months, NaiveDate};

use incrocio_core::reference::Reference;
use incrocio_matching::{CandidateRecord, Stato};
use incrocio_profiling::ProfileRecord;

/// The personal data a SAP requires and a candidate record does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anagrafica {
    /// `identificativosap` (`[A-Z]{2}[0-9]{8}[A-Z]`), if any.
    pub identificativosap: Option<String>,
    /// `codicefiscale`.
    pub codice_fiscale: String,
    /// `sesso`: `M` or `F`.
    pub sesso: char,
    /// `datanascita`.
    pub nascita: NaiveDate,
    /// `dataultimoagg`: the day the SAP was last updated (ongoing jobs run to it).
    pub aggiornata: NaiveDate,
}

/// A SAP written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SapWritten {
    /// The `lavoratore` element (no XML declaration).
    pub xml: String,
    /// Experiences left out for want of a CP2011 code.
    pub skipped: usize,
}

use incrocio_core::markup::escape;

fn el(out: &mut String, name: &str, value: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&escape(value));
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// A deterministic synthetic codice fiscale of the 16-character form, from a number.
pub fn synthetic_codice_fiscale(n: u64, female: bool, nascita: NaiveDate) -> String {
    use chrono::Datelike;
    const L: &[u8; 26] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let letter = |k: u64| L[(k % 26) as usize] as char;
    let months = b"ABCDEHLMPRST";
    let day = nascita.day() + if female { 40 } else { 0 };
    format!(
        "{}{}{}{}{}{}{:02}{}{:02}Z{:03}{}",
        letter(n),
        letter(n / 26),
        letter(n / 676),
        letter(n / 17_576),
        letter(n / 456_976),
        letter(n / 11_881_376),
        nascita.year() % 100,
        months[nascita.month0() as usize] as char,
        day,
        n % 1000,
        letter(n / 7)
    )
}

/// A candidate record as a SAP `lavoratore`.
pub fn sap(r: &CandidateRecord, a: &Anagrafica, reference: &Reference) -> SapWritten {
    let mut x = String::with_capacity(2048);
    let mut skipped = 0;
    x.push_str("<lavoratore>");
    x.push_str("<datiinvio>");
    el(&mut x, "dataultimoagg", &a.aggiornata.to_string());
    if let Some(id) = &a.identificativosap {
        el(&mut x, "identificativosap", id);
    }
    el(&mut x, "codiceentetit", "A000A000000");
    el(&mut x, "tipovariazione", "01");
    el(&mut x, "datadinascita", &a.nascita.to_string());
    x.push_str("</datiinvio>");

    let comune = reference
        .territory
        .comune(&r.comune_domicilio)
        .map(|i| {
            reference.territory.comuni()[i as usize]
                .codice_catastale
                .clone()
        })
        .unwrap_or_default();
    x.push_str("<datianagrafici><datipersonali>");
    el(&mut x, "codicefiscale", &a.codice_fiscale);
    el(&mut x, "cognome", "SINTETICO");
    el(&mut x, "nome", "SINTETICO");
    el(&mut x, "sesso", &a.sesso.to_string());
    el(&mut x, "datanascita", &a.nascita.to_string());
    el(&mut x, "codcomune", &comune);
    el(&mut x, "codcittadinanza", "000");
    x.push_str("</datipersonali><domicilio>");
    el(&mut x, "codcomune", &comune);
    el(&mut x, "cap", "00000");
    el(&mut x, "indirizzo", "VIA SINTETICA 1");
    x.push_str("</domicilio><recapiti/></datianagrafici>");

    x.push_str("<datiamministrativi><statoinanagrafe>");
    el(&mut x, "codstatooccupazionale", "DI");
    match r.stato {
        Stato::Attivo => {}
        Stato::Sospeso => el(&mut x, "codstatus", "SO"),
        Stato::Cessato => el(&mut x, "codstatus", "PE"),
    }
    if let Some(d) = r.data_did {
        el(&mut x, "disponibilita", &d.to_string());
    }
    x.push_str("</statoinanagrafe>");
    if r.collocamento_mirato {
        x.push_str("<altrenotizie>");
        el(&mut x, "categorieprotette", "C1");
        x.push_str("</altrenotizie>");
    }
    x.push_str("</datiamministrativi>");

    let with_code: Vec<_> = r.esperienze.iter().filter(|e| e.cp2011.is_some()).collect();
    skipped += r.esperienze.len() - with_code.len();
    if !with_code.is_empty() {
        x.push_str("<esperienzelavoro_lst>");
        for e in with_code {
            let end = e.fine.unwrap_or(a.aggiornata);
            let after = end.succ_opt().unwrap_or(end);
            let start = after
                .checked_sub_months(Months::new(e.mesi))
                .unwrap_or(after);
            x.push_str("<esperienzalavoro><azienda>");
            el(&mut x, "codicefiscale", "00000000000");
            el(&mut x, "datorelavoro", "DATORE SINTETICO");
            el(&mut x, "codateco", "00000000");
            x.push_str("</azienda>");
            el(&mut x, "datainizio", &start.to_string());
            if let Some(f) = e.fine {
                el(&mut x, "datafine", &f.to_string());
            }
            el(&mut x, "codprofessione", e.cp2011.as_deref().unwrap_or(""));
            x.push_str("<tiporapporto>");
            el(&mut x, "tipocontratto", "A.02.00");
            el(&mut x, "assunzioneLegge68", "NO");
            el(&mut x, "lavInMobilita", "NO");
            el(&mut x, "lavoroStagionale", "NO");
            el(&mut x, "lavoroInAgricoltura", "NO");
            x.push_str("</tiporapporto><modalitalavoro>");
            el(&mut x, "codmodalitalavoro", "FT");
            x.push_str("</modalitalavoro><luogolavoro>");
            el(&mut x, "indirizzo", "VIA SINTETICA 1");
            el(&mut x, "codcomune", &comune);
            x.push_str("</luogolavoro></esperienzalavoro>");
        }
        x.push_str("</esperienzelavoro_lst>");
    }

    x.push_str("<allegato>");
    if let Some(t) = &r.titolo_studio {
        x.push_str("<titolistudio_lst><titolostudio>");
        el(&mut x, "codlivelloistruzione", t.get(..2).unwrap_or("00"));
        el(&mut x, "corsostudio", t);
        if let Some(c) = &r.campo_studio {
            el(&mut x, "descrizionecorsostudio", &truncate(c, 100));
        }
        x.push_str("</titolostudio></titolistudio_lst>");
    }
    if !r.lingue.is_empty() {
        x.push_str("<linguestraniere_lst>");
        for l in &r.lingue {
            x.push_str("<linguastraniera>");
            el(&mut x, "codlingua", &l.codice);
            el(&mut x, "codlivelloletto", &l.livello);
            el(&mut x, "codlivelloscritto", &l.livello);
            el(&mut x, "codlivelloparlato", &l.livello);
            x.push_str("</linguastraniera>");
        }
        x.push_str("</linguestraniere_lst>");
    }
    if !r.patenti.is_empty() {
        x.push_str("<altreinformazioni_lst>");
        for p in &r.patenti {
            x.push_str("<altreinformazioni>");
            el(&mut x, "codpatenteguida", p);
            x.push_str("</altreinformazioni>");
        }
        x.push_str("</altreinformazioni_lst>");
    }
    x.push_str("</allegato></lavoratore>");
    SapWritten { xml: x, skipped }
}

/// Wraps `lavoratore` elements as one document (`lavoratori` when more than one).
pub fn sap_document(items: &[String]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if items.len() == 1 {
        out.push_str(&items[0]);
    } else {
        out.push_str("<lavoratori>");
        for i in items {
            out.push_str(i);
            out.push('\n');
        }
        out.push_str("</lavoratori>");
    }
    out.push('\n');
    out
}

/// A profile record as a DID `GestisciDID_Input`. The record must carry a `CodiceFiscale` and
/// a `DataDID` (the schema requires both); `None` otherwise. `DataNascita` is written as the age
/// at the DID date when `Eta` is absent.
pub fn did(r: &ProfileRecord) -> Option<String> {
    let cf = r.codice_fiscale.as_deref()?;
    let data_did = r.data_did?;
    let eta = r.eta.or_else(|| {
        let b = r.data_nascita?;
        data_did.years_since(b).map(i64::from)
    });
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<GestisciDID_Input xmlns=\"{}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">",
        super::did::NAMESPACE
    );
    x.push_str("<VariabiliDiProfiling>");
    let nil = |x: &mut String, name: &str| {
        x.push('<');
        x.push_str(name);
        x.push_str(" xsi:nil=\"true\"/>");
    };
    let s = |x: &mut String, name: &str, v: Option<&str>| match v {
        Some(v) => el(x, name, v),
        None => nil(x, name),
    };
    let i = |x: &mut String, name: &str, v: Option<i64>| match v {
        Some(v) => el(x, name, &v.to_string()),
        None => nil(x, name),
    };
    let b = |x: &mut String, name: &str, v: Option<bool>| match v {
        Some(v) => el(x, name, if v { "true" } else { "false" }),
        None => nil(x, name),
    };
    i(&mut x, "Eta", eta);
    s(&mut x, "Genere", r.genere.as_deref());
    s(&mut x, "Cittadinanza", r.cittadinanza.as_deref());
    s(
        &mut x,
        "DurataPresenzaInItalia",
        r.durata_presenza_in_italia.as_deref(),
    );
    s(&mut x, "TitoloDiStudio", r.titolo_di_studio.as_deref());
    s(
        &mut x,
        "ProvinciaDiResidenza",
        r.provincia_di_residenza.as_deref(),
    );
    b(&mut x, "HaMaiAvutoUnLavoro", r.ha_mai_avuto_un_lavoro);
    s(
        &mut x,
        "CondizioneOccupazionaleUnAnnoPrima",
        r.condizione_occupazionale_un_anno_prima.as_deref(),
    );
    i(
        &mut x,
        "DaQuantiMesiConclusoUltimoRappLavoro",
        r.mesi_concluso_ultimo_rapp_lavoro,
    );
    s(
        &mut x,
        "PosizioneProfessioneUltimaOccupazione",
        r.posizione_professione_ultima_occupazione.as_deref(),
    );
    i(
        &mut x,
        "DaQuantiMesiStaCercandoLavoro",
        r.mesi_sta_cercando_lavoro,
    );
    s(
        &mut x,
        "AttualmenteIscrittoScuolaUniversitaOCorsoFormazione",
        r.iscritto_scuola_o_corso.as_deref(),
    );
    i(
        &mut x,
        "NumeroComponentiFamiglia",
        r.numero_componenti_famiglia,
    );
    b(&mut x, "PresenzaFigliACarico", r.presenza_figli_a_carico);
    b(
        &mut x,
        "PresenzaFigliACaricoMeno18Anni",
        r.presenza_figli_a_carico_meno_18_anni,
    );
    nil(&mut x, "CondizioneOccupazionaleAnnoPrecedenteCalcolata");
    nil(&mut x, "DurataDisoccupazioneCalcolata");
    x.push_str("</VariabiliDiProfiling><InformazioniDID>");
    el(&mut x, "CodiceFiscale", cf);
    el(&mut x, "TipoEvento", "I");
    let dt = format!("{data_did}T09:00:00");
    el(&mut x, "DataEvento", &dt);
    el(&mut x, "DataDID", &dt);
    el(&mut x, "CodiceEntePromotore", "SINTETICO");
    x.push_str("</InformazioniDID>");
    nil(&mut x, "GUIDOperatore");
    nil(&mut x, "CodiceFiscaleOperatore");
    el(&mut x, "Applicazione", "BAT");
    x.push_str("</GestisciDID_Input>\n");
    Some(x)
}

/// The synthetic personal data of the `n`-th synthetic candidate: an `identificativosap` of the
/// schema's pattern, a codice fiscale, a birth date 20–59 years before `aggiornata`.
pub fn synthetic_anagrafica(n: u64, aggiornata: NaiveDate) -> Anagrafica {
    let female = n % 2 == 1;
    let nascita = aggiornata
        .checked_sub_months(Months::new(12 * (20 + (n % 40) as u32)))
        .and_then(|d| d.checked_sub_days(Days::new(n % 365)))
        .unwrap_or(aggiornata);
    Anagrafica {
        identificativosap: Some(format!("SY{:08}X", n % 100_000_000)),
        codice_fiscale: synthetic_codice_fiscale(n, female, nascita),
        sesso: if female { 'F' } else { 'M' },
        nascita,
        aggiornata,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_codes_have_the_schema_form() {
        let d = NaiveDate::from_ymd_opt(1990, 7, 9).unwrap();
        for n in [0, 1, 25, 99_999, 12_345_678] {
            let cf = synthetic_codice_fiscale(n, n % 2 == 1, d);
            assert!(super::super::did::valid_codice_fiscale(&cf), "{cf}");
        }
    }

    #[test]
    fn escape_covers_markup() {
        assert_eq!(
            escape("a<b & 'c'>\""),
            "a&lt;b &amp; &apos;c&apos;&gt;&quot;"
        );
    }
}

//! The ministerial XML exchange formats in and out: the Scheda Anagrafica Professionale
//! ([`sap`], `Rev009_SAP.xsd`) becomes a candidate record, the DID conferral ([`did`],
//! `XS_ID_ConferimentoDID_4.0.xsd`) a profile record; [`write`](mod@write) produces both from incrocio's
//! records (for test fixtures and for systems that want the XML back).
//!
//! Parsing is roxmltree's (a read-only DOM; DTDs refused, so no entity expansion and no
//! external fetch; a node limit bounds memory). The mapping here is strict in the way the rest
//! of incrocio is: an element the schema does not define, an element in another namespace, a
//! value that does not parse, a code not in its list, a section repeated where the schema
//! allows one: each is an [`InputError`] whose field is the element's XPath
//! (`/lavoratore/datianagrafici/domicilio/codcomune`). Elements the schema defines and incrocio
//! does not use are reported back ([`Ignored`]) and listed in `docs/xml.md`, never dropped
//! without a word.

#![forbid(unsafe_code)]

pub mod did;
pub mod sap;
pub mod write;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use roxmltree::{Document, Node, ParsingOptions};

use incrocio_core::error::{FieldReason, InputError};

/// Most XML nodes a document may have (elements, text, attributes): ~40 bytes each in the
/// DOM, so at most ~80 MB of memory per document parsed.
pub const MAX_NODES: u32 = 2_000_000;

/// The XML Schema instance namespace (`xsi:nil`).
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// SOAP 1.1 and 1.2 envelope namespaces: a document inside a SOAP body is read as if bare.
const SOAP: [&str; 2] = [
    "http://schemas.xmlsoap.org/soap/envelope/",
    "http://www.w3.org/2003/05/soap-envelope",
];

/// Parses a document: well-formed XML, no DTD, at most [`MAX_NODES`] nodes.
pub fn parse(text: &str) -> Result<Document<'_>, InputError> {
    let opt = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(text, opt)
        .map_err(|e| InputError::new("/", FieldReason::Xml(format!("not well-formed XML: {e}"))))
}

/// The document's payload element: the root, or the first element of a SOAP `Body`.
pub fn payload<'a, 'i>(doc: &'a Document<'i>) -> Result<Node<'a, 'i>, InputError> {
    let root = doc.root_element();
    if root.tag_name().name() == "Envelope"
        && SOAP.contains(&root.tag_name().namespace().unwrap_or(""))
    {
        let body = root
            .children()
            .find(|n| n.is_element() && n.tag_name().name() == "Body")
            .ok_or_else(|| InputError::new("/Envelope/Body", FieldReason::Missing))?;
        return body
            .children()
            .find(Node::is_element)
            .ok_or_else(|| InputError::new("/Envelope/Body/*", FieldReason::Missing));
    }
    Ok(root)
}

/// The XPath of an element: local names from the payload root, with a position where the
/// element has same-named siblings (`/lavoratore/esperienzelavoro_lst/esperienzalavoro[2]`).
pub fn xpath(node: Node<'_, '_>) -> String {
    let parts = steps(node, |e| {
        SOAP.contains(&e.tag_name().namespace().unwrap_or(""))
    });
    format!("/{}", parts.join("/"))
}

/// The XPath steps from the root to `node` (`name`, or `name[k]` among same-named
/// siblings), stopping below the first ancestor `stop` accepts.
fn steps(node: Node<'_, '_>, stop: impl Fn(Node<'_, '_>) -> bool) -> Vec<String> {
    let mut parts = Vec::new();
    let mut n = Some(node);
    while let Some(e) = n.filter(|e| e.is_element() && !stop(*e)) {
        let name = e.tag_name().name();
        let same = |s: &Node<'_, '_>| s.is_element() && s.tag_name().name() == name;
        let before = e.prev_siblings().skip(1).filter(same).count();
        let after = e.next_siblings().skip(1).filter(same).count();
        if before + after > 0 {
            parts.push(format!("{name}[{}]", before + 1));
        } else {
            parts.push(name.to_owned());
        }
        n = e.parent_element();
    }
    parts.reverse();
    parts
}

/// The XPath of `node` inside `top`, whose own XPath is `top_path`: only the levels below
/// `top` count their siblings, so the paths of a batch's items cost nothing per item.
pub(crate) fn xpath_under(node: Node<'_, '_>, top: Node<'_, '_>, top_path: &str) -> String {
    let parts = steps(node, |e| e.id() == top.id());
    if parts.is_empty() {
        top_path.to_owned()
    } else {
        format!("{top_path}/{}", parts.join("/"))
    }
}

/// The XPath of an element without positions (`/lavoratori/lavoratore/datiinvio`).
fn plain_path(node: Node<'_, '_>) -> String {
    let mut parts = Vec::new();
    let mut n = Some(node);
    while let Some(e) = n.filter(Node::is_element) {
        if SOAP.contains(&e.tag_name().namespace().unwrap_or("")) {
            break;
        }
        parts.push(e.tag_name().name());
        n = e.parent_element();
    }
    parts.reverse();
    format!("/{}", parts.join("/"))
}

fn error(node: Node<'_, '_>, reason: FieldReason) -> InputError {
    InputError::new(xpath(node), reason)
}

/// Elements of a schema that incrocio reads but does not use, with how many times each was
/// seen (by XPath without positions).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Ignored(pub BTreeMap<String, u64>);

impl Ignored {
    fn note(&mut self, node: Node<'_, '_>) {
        *self.0.entry(plain_path(node)).or_default() += 1;
    }

    /// Counts one more at `xpath`, its positions (`[2]`) dropped.
    pub fn count(&mut self, xpath: &str) {
        let mut plain = String::with_capacity(xpath.len());
        let mut skip = false;
        for c in xpath.chars() {
            match c {
                '[' => skip = true,
                ']' => skip = false,
                c if !skip => plain.push(c),
                _ => {}
            }
        }
        *self.0.entry(plain).or_default() += 1;
    }

    /// Adds another document's counts.
    pub fn merge(&mut self, other: &Ignored) {
        for (k, v) in &other.0 {
            *self.0.entry(k.clone()).or_default() += v;
        }
    }
}

/// The element names a schema declares (`xs:element name=…`), read from the XSD itself.
fn declared_names(xsd: &str) -> std::collections::BTreeSet<String> {
    let Ok(doc) = Document::parse(xsd) else {
        return Default::default();
    };
    doc.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "element")
        .filter_map(|n| n.attribute("name").map(str::to_owned))
        .collect()
}

/// What a schema expects of every element: its namespace and its known names.
struct Schema {
    namespace: Option<&'static str>,
    names: &'static std::collections::BTreeSet<String>,
    file: &'static str,
}

/// An element's child elements, each checked once: in the schema's namespace, of a declared
/// name; text where the schema has only elements is an error.
fn children<'a, 'i>(node: Node<'a, 'i>, s: &Schema) -> Result<Vec<Node<'a, 'i>>, InputError> {
    let mut out = Vec::new();
    for c in node.children() {
        if c.is_element() {
            check_element(c, s)?;
            out.push(c);
        } else if c.is_text() && !c.text().unwrap_or("").trim().is_empty() {
            return Err(error(
                node,
                FieldReason::Xml("text where the schema has only elements".into()),
            ));
        }
    }
    Ok(out)
}

/// The one element named `name` among `kids` (an element's [`children`]), if present; an
/// error naming the second when it is repeated.
fn one<'a, 'i>(kids: &[Node<'a, 'i>], name: &str) -> Result<Option<Node<'a, 'i>>, InputError> {
    let mut named = kids.iter().filter(|c| c.tag_name().name() == name);
    let found = named.next().copied();
    match named.next() {
        Some(second) => Err(error(
            *second,
            FieldReason::Xml(format!("`{name}` is repeated; the schema allows one")),
        )),
        None => Ok(found),
    }
}

fn check_element(n: Node<'_, '_>, s: &Schema) -> Result<(), InputError> {
    let ns = n.tag_name().namespace();
    if ns != s.namespace {
        return Err(error(
            n,
            FieldReason::Xml(format!(
                "namespace `{}`: {} expects {}",
                ns.unwrap_or("(none)"),
                s.file,
                s.namespace
                    .map_or_else(|| "no namespace".to_owned(), |x| format!("`{x}`"))
            )),
        ));
    }
    if !s.names.contains(n.tag_name().name()) {
        return Err(error(
            n,
            FieldReason::Xml(format!(
                "`{}` is not an element of {}",
                n.tag_name().name(),
                s.file
            )),
        ));
    }
    Ok(())
}

/// Whether an element is `xsi:nil="true"`.
fn is_nil(n: Node<'_, '_>) -> bool {
    n.attribute((XSI, "nil"))
        .is_some_and(|v| v.trim() == "true" || v.trim() == "1")
}

/// The trimmed text of a leaf element; `None` when nil or empty.
fn text<'a>(n: Node<'a, '_>) -> Result<Option<&'a str>, InputError> {
    if n.children().any(|c| c.is_element()) {
        return Err(error(
            n,
            FieldReason::Xml("an element where the schema has a value".into()),
        ));
    }
    if is_nil(n) {
        return Ok(None);
    }
    let t = n.text().unwrap_or("").trim();
    Ok((!t.is_empty()).then_some(t))
}

/// The owned text of a leaf element.
fn string(n: Node<'_, '_>) -> Result<Option<String>, InputError> {
    Ok(text(n)?.map(str::to_owned))
}

/// An `xs:date` (`2024-03-01`, an optional zone ignored) or the date of an `xs:dateTime`.
fn date(n: Node<'_, '_>) -> Result<Option<NaiveDate>, InputError> {
    let Some(t) = text(n)? else {
        return Ok(None);
    };
    let day = t.get(..10).unwrap_or(t);
    let rest = t.get(10..).unwrap_or("");
    let shape = day.len() == 10
        && day.bytes().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    let ok_rest = shape
        && (rest.is_empty()
            || rest.starts_with('T')
            || rest == "Z"
            || rest.starts_with('+')
            || rest.starts_with('-'));
    match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(d) if ok_rest => Ok(Some(d)),
        _ => Err(error(
            n,
            FieldReason::Malformed {
                value: t.to_owned(),
                expected: "an xs:date (YYYY-MM-DD) or xs:dateTime",
            },
        )),
    }
}

/// An `xs:int`.
fn int(n: Node<'_, '_>) -> Result<Option<i64>, InputError> {
    let Some(t) = text(n)? else {
        return Ok(None);
    };
    t.strip_prefix('+')
        .unwrap_or(t)
        .parse::<i32>()
        .map(|v| Some(i64::from(v)))
        .map_err(|_| {
            error(
                n,
                FieldReason::Malformed {
                    value: t.to_owned(),
                    expected: "an xs:int",
                },
            )
        })
}

/// An `xs:boolean` (`true`, `false`, `1`, `0`).
fn boolean(n: Node<'_, '_>) -> Result<Option<bool>, InputError> {
    match text(n)? {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(t) => Err(error(
            n,
            FieldReason::Malformed {
                value: t.to_owned(),
                expected: "an xs:boolean (true, false, 1, 0)",
            },
        )),
    }
}

/// A pseudonymous person id derived from a codice fiscale: `cf-` and the first 20 hex digits
/// of SHA-256 over `incrocio:codice-fiscale:` and the code. The same code always gives the
/// same id; the code cannot be read back from it without trying every code.
pub fn pseudonym(codice_fiscale: &str) -> String {
    let h = incrocio_core::digest::sha256_tagged(
        format!("incrocio:codice-fiscale:{}", codice_fiscale.trim()).as_bytes(),
    );
    format!(
        "cf-{}",
        h.trim_start_matches("sha256:").get(..20).unwrap_or("")
    )
}

/// Whether a body or file looks like XML (first non-space byte `<`).
pub fn looks_like_xml(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|c| *c == b'<')
}

/// The text of an XML document, decoded as its declaration says: UTF-8 (the default; a
/// byte-order mark dropped) or ISO-8859-1 / Latin-1 (every byte one character, as regional
/// systems still export). Any other declared encoding is refused by name, never guessed.
pub fn decode(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, InputError> {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match declared_encoding(b) {
        None => {}
        Some(e) if e.eq_ignore_ascii_case("utf-8") || e.eq_ignore_ascii_case("utf8") => {}
        Some(e)
            if ["iso-8859-1", "iso8859-1", "latin1", "latin-1", "iso_8859-1"]
                .iter()
                .any(|l| e.eq_ignore_ascii_case(l)) =>
        {
            return Ok(std::borrow::Cow::Owned(
                b.iter().map(|&c| char::from(c)).collect(),
            ));
        }
        Some(e) => {
            return Err(InputError::new(
                "/",
                FieldReason::Xml(format!(
                    "encoding `{e}` is not read: send UTF-8 or ISO-8859-1"
                )),
            ));
        }
    }
    std::str::from_utf8(b)
        .map(std::borrow::Cow::Borrowed)
        .map_err(|e| {
            InputError::new(
                "/",
                FieldReason::Xml(format!(
                    "not UTF-8 at byte {} (send UTF-8, or declare encoding=\"ISO-8859-1\")",
                    e.valid_up_to()
                )),
            )
        })
}

/// The `encoding` of the XML declaration (`<?xml version="1.0" encoding="…"?>`), if any.
fn declared_encoding(b: &[u8]) -> Option<&str> {
    let head = b.strip_prefix(b"<?xml")?;
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    rest.find(quote).map(|e| &rest[..e])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xpath_numbers_repeated_siblings_only() {
        let doc = parse("<a><b/><c><d/></c><c><d/></c></a>").unwrap();
        let d = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "d")
            .nth(1)
            .unwrap();
        assert_eq!(xpath(d), "/a/c[2]/d");
        let b = doc
            .descendants()
            .find(|n| n.tag_name().name() == "b")
            .unwrap();
        assert_eq!(xpath(b), "/a/b");
    }

    #[test]
    fn a_dtd_is_refused_so_no_entity_expands() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>"#;
        let e = parse(bomb).unwrap_err();
        assert_eq!(e.field, "/");
        assert!(e.reason.to_string().contains("not well-formed"), "{e}");
    }

    #[test]
    fn pseudonym_is_stable_and_hides_the_code() {
        let p = pseudonym("RSSMRA80A01H501U");
        assert_eq!(p, pseudonym(" RSSMRA80A01H501U "));
        assert_eq!(p.len(), 23);
        assert!(!p.contains("RSSMRA"));
        assert_ne!(p, pseudonym("RSSMRA80A01H501V"));
    }

    #[test]
    fn dates_take_the_day_of_a_date_time() {
        let doc = parse("<a><d>2024-03-01T10:00:00+01:00</d><e>2024-3-1</e></a>").unwrap();
        let mut els = doc.root_element().children().filter(Node::is_element);
        let d = els.next().unwrap();
        assert_eq!(date(d).unwrap(), NaiveDate::from_ymd_opt(2024, 3, 1));
        let e = els.next().unwrap();
        assert_eq!(date(e).unwrap_err().field, "/a/e");
    }
}

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

/// Most XML nodes a document may have (elements, text, comments, attributes), whatever its
/// size.
pub const MAX_NODES: u32 = 2_000_000;

/// Bytes of document per node at least, beyond [`MIN_NODE_BUDGET`] nodes: the DOM takes about
/// 72 bytes a node at its peak (measured on roxmltree 0.21), so a document within this budget
/// costs at most ~7× its size in memory. A schema-valid SAP or DID has 15–30 bytes a node,
/// pretty-printed or not (`tests/fixtures/documents`); 1.9M empty elements in 7.6 MB
/// (4 bytes a node) are refused before any DOM is built.
pub const BYTES_PER_NODE: usize = 10;

/// Nodes any document may have, however short.
pub const MIN_NODE_BUDGET: usize = 4096;

/// Most attributes (namespace declarations included) on one element. The SAP has none, the DID
/// a handful (`xmlns`, `xmlns:xsi`, `xsi:nil`, `xsi:schemaLocation`); the limit is checked
/// before the parser, whose duplicate check is quadratic in the attributes of an element.
pub const MAX_ATTRIBUTES: usize = 64;

/// Deepest element nesting (the SAP nests 4 levels, a DID in a SOAP envelope 5).
pub const MAX_DEPTH: usize = 64;

/// The XML Schema instance namespace (`xsi:nil`).
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// SOAP 1.1 and 1.2 envelope namespaces: a document inside a SOAP body is read as if bare.
const SOAP: [&str; 2] = [
    "http://schemas.xmlsoap.org/soap/envelope/",
    "http://www.w3.org/2003/05/soap-envelope",
];

/// Parses a document: well-formed XML, no DTD, within the bounds [`prescan`] checks first.
pub fn parse(text: &str) -> Result<Document<'_>, InputError> {
    let budget = prescan(text)?;
    let opt = ParsingOptions {
        allow_dtd: false,
        nodes_limit: budget,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(text, opt)
        .map_err(|e| InputError::new("/", FieldReason::Xml(format!("not well-formed XML: {e}"))))
}

/// One linear pass over the markup before any DOM is built: refuses a document with more
/// nodes than its size allows (`max(MIN_NODE_BUDGET, len / BYTES_PER_NODE)`, at most
/// [`MAX_NODES`]), an element with more than [`MAX_ATTRIBUTES`] attributes, or nesting deeper
/// than [`MAX_DEPTH`]. Returns the node budget for the parser. Malformed markup is left to the
/// parser, which names it.
pub fn prescan(text: &str) -> Result<u32, InputError> {
    let budget = (text.len() / BYTES_PER_NODE)
        .max(MIN_NODE_BUDGET)
        .min(MAX_NODES as usize);
    let b = text.as_bytes();
    let too = |what: String| Err(InputError::new("/", FieldReason::Xml(what)));
    let (mut i, mut nodes, mut depth) = (0usize, 0usize, 0usize);
    while let Some(p) = memchr::memchr(b'<', &b[i..]) {
        let at = i + p;
        if at > i {
            nodes += 1; // a text node
        }
        let rest = &b[at..];
        let skip_to = |end: &[u8]| memchr::memmem::find(rest, end).map(|k| at + k + end.len());
        let next = if rest.starts_with(b"<!--") {
            nodes += 1;
            skip_to(b"-->")
        } else if rest.starts_with(b"<![CDATA[") {
            nodes += 1;
            skip_to(b"]]>")
        } else if rest.starts_with(b"<?") {
            nodes += 1;
            skip_to(b"?>")
        } else if rest.starts_with(b"<!") {
            // A DTD: the parser refuses it.
            None
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            skip_to(b">")
        } else {
            // A start tag: attributes are the `=` outside quoted values.
            let (mut attrs, mut quote, mut end) = (0usize, 0u8, None);
            for (k, &c) in rest.iter().enumerate().skip(1) {
                if quote != 0 {
                    if c == quote {
                        quote = 0;
                    }
                } else if c == b'"' || c == b'\'' {
                    quote = c;
                } else if c == b'=' {
                    attrs += 1;
                    if attrs > MAX_ATTRIBUTES {
                        let name: String = String::from_utf8_lossy(&rest[1..k])
                            .split(|c: char| c.is_whitespace() || c == '/' || c == '>')
                            .next()
                            .unwrap_or("")
                            .chars()
                            .take(64)
                            .collect();
                        return too(format!(
                            "element `{name}` has more than {MAX_ATTRIBUTES} attributes"
                        ));
                    }
                } else if c == b'>' {
                    end = Some(k);
                    break;
                }
            }
            let Some(end) = end else { break };
            nodes += 1 + attrs;
            if rest[end - 1] != b'/' {
                depth += 1;
                if depth > MAX_DEPTH {
                    return too(format!("elements nested more than {MAX_DEPTH} deep"));
                }
            }
            Some(at + end + 1)
        };
        if nodes > budget {
            return too(format!(
                "more than {budget} XML nodes in {} bytes (at most one node per {BYTES_PER_NODE} bytes, or {MIN_NODE_BUDGET})",
                b.len()
            ));
        }
        match next {
            Some(n) => i = n,
            None => break,
        }
    }
    // The parser counts nodes its own way (attributes apart, the document node in): the
    // budget bounds it too.
    Ok(budget as u32 + 1)
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

/// What a schema declares: every element name, and each element's allowed children.
#[derive(Debug, Default)]
pub(crate) struct Declared {
    /// Every declared element name (global or local).
    pub(crate) names: std::collections::BTreeSet<String>,
    /// The child element names each element may hold (the union over its declarations): from
    /// its inline complex type, or the named complex type its `type` gives. An element absent
    /// here has simple content and holds no element.
    pub(crate) content: BTreeMap<String, std::collections::BTreeSet<String>>,
}

/// Reads the element declarations of an XML Schema (the subset the SAP and DID schemas use:
/// `xs:element` by `name` or `ref`, inline or named `xs:complexType`, `xs:sequence`).
pub(crate) fn declared(xsd: &str) -> Declared {
    let Ok(doc) = Document::parse(xsd) else {
        return Declared::default();
    };
    let local = |q: &str| q.rsplit(':').next().unwrap_or(q).to_owned();
    let is = |n: &Node<'_, '_>, name: &str| n.is_element() && n.tag_name().name() == name;
    let types: BTreeMap<String, Node<'_, '_>> = doc
        .descendants()
        .filter(|n| is(n, "complexType"))
        .filter_map(|n| n.attribute("name").map(|t| (t.to_owned(), n)))
        .collect();
    // The element particles directly inside a complex type (not inside a nested element).
    let particles = |ct: Node<'_, '_>| -> Vec<String> {
        ct.descendants()
            .filter(|d| is(d, "element"))
            .filter(|d| {
                d.ancestors()
                    .skip(1)
                    .take_while(|a| a.id() != ct.id())
                    .all(|a| !is(&a, "element"))
            })
            .filter_map(|d| {
                d.attribute("name")
                    .or_else(|| d.attribute("ref"))
                    .map(local)
            })
            .collect()
    };
    let mut out = Declared::default();
    for e in doc.descendants().filter(|n| is(n, "element")) {
        let Some(name) = e.attribute("name") else {
            continue;
        };
        out.names.insert(name.to_owned());
        let inline = e.children().find(|c| is(c, "complexType"));
        let ct = inline.or_else(|| {
            e.attribute("type")
                .and_then(|t| types.get(&local(t)).copied())
        });
        if let Some(ct) = ct {
            out.content
                .entry(name.to_owned())
                .or_default()
                .extend(particles(ct));
        }
    }
    out
}

/// What a schema expects of every element: its namespace, its known names, and what each
/// element may hold.
struct Schema {
    namespace: Option<&'static str>,
    names: &'static std::collections::BTreeSet<String>,
    content: &'static BTreeMap<String, std::collections::BTreeSet<String>>,
    file: &'static str,
}

/// An element's child elements, each checked once: in the schema's namespace, of a declared
/// name, and one the schema lets this element hold (`<datiinvio><cognome>` is refused at the
/// `cognome`); text where the schema has only elements is an error.
fn children<'a, 'i>(node: Node<'a, 'i>, s: &Schema) -> Result<Vec<Node<'a, 'i>>, InputError> {
    let mut out = Vec::new();
    let parent = node.tag_name().name();
    let allowed = s.content.get(parent);
    for c in node.children() {
        if c.is_element() {
            check_element(c, s)?;
            let name = c.tag_name().name();
            if !allowed.is_some_and(|a| a.contains(name)) {
                let takes = allowed.map_or_else(
                    || "no elements (its content is a value)".to_owned(),
                    |a| a.iter().map(String::as_str).collect::<Vec<_>>().join(", "),
                );
                return Err(error(
                    c,
                    FieldReason::Xml(format!(
                        "`{name}` is not a child of `{parent}` in {} (`{parent}` takes: {takes})",
                        s.file
                    )),
                ));
            }
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
    match declared_encoding(b).map(|e| (e, Charset::of(e))) {
        None | Some((_, Some(Charset::Utf8))) => {}
        Some((_, Some(Charset::Latin1))) => {
            return Ok(std::borrow::Cow::Owned(
                b.iter().map(|&c| char::from(c)).collect(),
            ));
        }
        Some((e, None)) => {
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

/// The encodings an XML document may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// UTF-8 (the default).
    Utf8,
    /// ISO-8859-1 / Latin-1.
    Latin1,
}

impl Charset {
    /// The charset a label names (`utf-8`, `ISO-8859-1`, `latin1` …), if it is one read here.
    pub fn of(label: &str) -> Option<Charset> {
        let l = label.trim().trim_matches('"');
        if l.eq_ignore_ascii_case("utf-8") || l.eq_ignore_ascii_case("utf8") {
            Some(Charset::Utf8)
        } else if ["iso-8859-1", "iso8859-1", "latin1", "latin-1", "iso_8859-1"]
            .iter()
            .any(|x| l.eq_ignore_ascii_case(x))
        {
            Some(Charset::Latin1)
        } else {
            None
        }
    }
}

/// An XML body as its media type's `charset` says (RFC 7303 §3.2: when given, the parameter
/// is authoritative). Without one, the document is read by its own byte-order mark or
/// declaration ([`decode`]). A charset not read here is refused; one that contradicts the
/// document's own (a UTF-8 BOM, or an `encoding` declaration) is refused rather than guessed;
/// a Latin-1 body without a declaration is turned into UTF-8, so [`decode`] reads it as sent.
pub fn with_charset<'b>(
    bytes: &'b [u8],
    charset: Option<&str>,
) -> Result<std::borrow::Cow<'b, [u8]>, InputError> {
    let Some(label) = charset else {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    };
    let bad = |why: String| Err(InputError::new("Content-Type", FieldReason::Xml(why)));
    let Some(given) = Charset::of(label) else {
        return bad(format!(
            "charset `{label}` is not read: send UTF-8 or ISO-8859-1"
        ));
    };
    let own = if bytes.starts_with(b"\xEF\xBB\xBF") {
        Some((Charset::Utf8, "its byte-order mark".to_owned()))
    } else {
        declared_encoding(bytes).map(|e| {
            (
                Charset::of(e).unwrap_or(Charset::Utf8),
                format!("its declaration (encoding=\"{e}\")"),
            )
        })
    };
    match own {
        Some((c, what)) if c != given => bad(format!(
            "charset `{label}` of the Content-Type contradicts {what}: send one encoding"
        )),
        None if given == Charset::Latin1 => Ok(std::borrow::Cow::Owned(
            bytes
                .iter()
                .map(|&c| char::from(c))
                .collect::<String>()
                .into_bytes(),
        )),
        _ => Ok(std::borrow::Cow::Borrowed(bytes)),
    }
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

    fn refused(text: &str) -> String {
        parse(text).map(|_| ()).unwrap_err().to_string()
    }

    /// Issue 30.1: 100,000 attributes on the root (or 50,000 namespace declarations) are
    /// refused by the linear pre-scan, before the parser's quadratic duplicate check.
    #[test]
    fn issue_30_1_an_element_with_too_many_attributes_is_refused_before_parsing() {
        let attrs: String = (0..100_000).map(|i| format!(" a{i}=\"x\"")).collect();
        let e = refused(&format!("<lavoratore{attrs}/>"));
        assert!(
            e.contains("`lavoratore` has more than 64 attributes"),
            "{e}"
        );
        let ns: String = (0..50_000)
            .map(|i| format!(" xmlns:n{i}=\"urn:{i}\""))
            .collect();
        let e = refused(&format!("<GestisciDID_Input{ns}></GestisciDID_Input>"));
        assert!(e.contains("more than 64 attributes"), "{e}");
        // 64 attributes, and `=` or `>` inside quoted values, are fine.
        let attrs: String = (0..64).map(|i| format!(" a{i}='x=>y'")).collect();
        let text = format!("<r{attrs}/>");
        let doc = parse(&text).unwrap();
        assert_eq!(doc.root_element().attributes().len(), 64);
    }

    /// Issue 30.2: the node budget follows the body's size (one node per 10 bytes, or 4,096):
    /// 1.9M empty elements in 7.6 MB are refused before any DOM is built; nesting is bounded.
    #[test]
    fn issue_30_2_nodes_and_depth_are_bounded_by_the_bodys_size() {
        let e = refused(&format!("<r>{}</r>", "<a/>".repeat(1_900_000)));
        assert!(
            e.contains("more than 760000 XML nodes in 7600007 bytes"),
            "{e}"
        );
        // A short document gets the minimum budget: 4,096 nodes (4,095 elements + the root).
        assert!(parse(&format!("<r>{}</r>", "<a/>".repeat(4_095))).is_ok());
        let e = refused(&format!("<r>{}</r>", "<a/>".repeat(4_096)));
        assert!(e.contains("more than 4096 XML nodes"), "{e}");
        let deep = format!("{}{}", "<a>".repeat(65), "</a>".repeat(65));
        assert!(refused(&deep).contains("nested more than 64 deep"));
        let ok = format!("{}{}", "<a>".repeat(64), "</a>".repeat(64));
        assert!(parse(&ok).is_ok());
        // Comments, CDATA and processing instructions count as nodes; their `<` and `=` do
        // not start tags or attributes.
        let doc = parse(
            "<?xml version=\"1.0\"?><!-- <a b=1> --><r><![CDATA[<x y=\"1\">]]><?pi a=b?></r>",
        )
        .unwrap();
        assert_eq!(doc.root_element().attributes().len(), 0);
    }

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

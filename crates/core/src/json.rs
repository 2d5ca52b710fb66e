//! Strict JSON: one document, nothing after it, and no object with the same key twice.
//!
//! `serde_json` keeps the last of two equal keys when it builds a [`Value`], and a
//! `Deserializer` that is not asked to `end()` accepts bytes after the document. Both would let
//! a request say one thing and be read as another (`{"Id":"P1","Id":"P2"}` profiled as P2), so
//! every JSON input of the service and the CLI goes through [`value_from_slice`], which refuses
//! both and names the JSON path of a repeated key.

use std::fmt;

use serde::de::{self, DeserializeOwned, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Why a JSON text was refused: the JSON path (`.` for the root) and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct JsonError {
    /// Where, as a JSON path (`records[0].Id`), `.` for the document.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

/// Parses one JSON document with no duplicate keys and nothing but white space after it.
pub fn value_from_slice(bytes: &[u8]) -> Result<Value, JsonError> {
    one(&|| serde_json::Deserializer::from_slice(bytes)).map(|StrictValue(v)| v)
}

/// One document from a deserializer `make` opens, then nothing but white space; errors carry
/// the JSON path.
///
/// The document is read once, untracked: tracking the path of every value was more than half
/// of the time of reading a CV line (criterion `matching/cv_lines_read_10k`), and only an
/// error needs it. A document that fails is read again
/// from the start with the path tracked; the same bytes through the same `Deserialize` fail
/// the same way, so the error is the one a tracked first read would have given.
fn one<'de, R: serde_json::de::Read<'de>, T: serde::Deserialize<'de>>(
    make: &dyn Fn() -> serde_json::Deserializer<R>,
) -> Result<T, JsonError> {
    // Nothing but white space after the document.
    let end = |mut de: serde_json::Deserializer<R>, v: T| {
        de.end().map(|()| v).map_err(|e| JsonError {
            path: ".".into(),
            reason: format!("unexpected data after the JSON document ({e})"),
        })
    };
    let mut de = make();
    if let Ok(v) = T::deserialize(&mut de) {
        return end(de, v);
    }
    let mut de = make();
    let e = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => e,
        // Not reached: the untracked read of these bytes failed. Should a `Deserialize` ever
        // disagree with itself, the tracked read decides.
        Ok(v) => return end(de, v),
    };
    let path = e.path().to_string();
    let inner = e.into_inner();
    // A document cut short is the document's fault, not the field's it stopped in (a
    // truncated last NDJSON line would otherwise be reported at `[3].titolo`).
    Err(if inner.is_eof() {
        JsonError {
            path: ".".into(),
            reason: format!(
                "the JSON document ends before it is complete (truncated? it stops inside `{path}`, {inner})"
            ),
        }
    } else {
        JsonError {
            path,
            reason: inner.to_string(),
        }
    })
}

/// [`value_from_slice`], then the value as `T`, naming the JSON path where it does not fit.
pub fn from_slice_strict<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonError> {
    let v = value_from_slice(bytes)?;
    from_value(v)
}

/// One record of a type whose fields are all named (`#[derive(Deserialize)]` without
/// `flatten` or maps): serde rejects a repeated field of such a type and `serde_json::from_str`
/// rejects bytes after the document, so it is as strict as [`from_str_strict`] at the cost of
/// one parse instead of two (the batch readers' path). Errors carry the JSON path.
pub fn from_str_record<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    one(&|| serde_json::Deserializer::from_str(text))
}

/// [`from_slice_strict`] of a string.
pub fn from_str_strict<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    from_slice_strict(text.as_bytes())
}

/// A parsed value as `T`, naming the JSON path where it does not fit. Read untracked first,
/// as a text is read; tracked again only when it does not fit.
pub fn from_value<T: DeserializeOwned>(v: Value) -> Result<T, JsonError> {
    if let Ok(t) = T::deserialize(&v) {
        return Ok(t);
    }
    serde_path_to_error::deserialize(v).map_err(|e| JsonError {
        path: e.path().to_string(),
        reason: e.into_inner().to_string(),
    })
}

/// A [`Value`] that refuses repeated keys.
struct StrictValue(Value);

impl<'de> de::Deserialize<'de> for StrictValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "the key `{key}` appears twice in one object"
                )));
            }
            let StrictValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_refused_with_its_path() {
        let e = value_from_slice(br#"{"records":[{"Id":"P1","Id":"P2"}]}"#).unwrap_err();
        assert!(e.reason.contains("`Id` appears twice"), "{e}");
        assert_eq!(e.path, "records[0]");
    }

    #[test]
    fn trailing_bytes_are_refused_and_white_space_is_not() {
        assert!(value_from_slice(b"{\"a\":1} x").is_err());
        assert!(value_from_slice(b"{\"a\":1}{}").is_err());
        assert_eq!(value_from_slice(b" {\"a\":1}\n\t ").unwrap()["a"], 1);
    }

    #[test]
    fn a_record_type_rejects_repeated_fields_and_trailing_data_in_one_parse() {
        // A record type as the wire types are declared: named fields, unknown ones refused.
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Record {
            id: String,
            comune_domicilio: String,
            #[serde(default)]
            stato: Option<String>,
        }
        let ok = r#"{"id":"C1","comune_domicilio":"058091","stato":"attivo"}"#;
        assert!(from_str_record::<Record>(ok).is_ok());
        let twice = r#"{"id":"C1","id":"C2","comune_domicilio":"058091","stato":"attivo"}"#;
        let e = from_str_record::<Record>(twice).unwrap_err();
        assert!(e.reason.contains("duplicate field `id`"), "{e}");
        let trailing = format!("{ok} x");
        assert!(from_str_record::<Record>(&trailing).is_err());
    }

    #[test]
    fn a_failed_untracked_read_gives_the_tracked_path() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Job {
            mesi: u32,
        }
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Cv {
            id: String,
            esperienze: Vec<Job>,
        }
        let bad = r#"{"id":"C1","esperienze":[{"mesi":3},{"mesi":"tre"}]}"#;
        let e = from_str_record::<Cv>(bad).unwrap_err();
        assert_eq!(e.path, "esperienze[1].mesi");
        assert!(e.reason.contains("invalid type: string \"tre\""), "{e}");
        let e = from_str_record::<Cv>(r#"{"id":"C1","esperienze":[{"mesi":3"#).unwrap_err();
        assert_eq!(e.path, ".");
        assert!(e.reason.contains("stops inside `esperienze[0]"), "{e}");
        let e = from_value::<Cv>(serde_json::from_str(bad).unwrap()).unwrap_err();
        assert_eq!(e.path, "esperienze[1].mesi");
        let ok = from_str_record::<Cv>(r#"{"id":"C1","esperienze":[{"mesi":3}]}"#).unwrap();
        assert_eq!(ok.esperienze[0].mesi, 3);
    }

    #[test]
    fn a_type_that_reads_only_owned_strings_still_reads_from_a_value() {
        // Read from `&Value` a string arrives borrowed, which this visitor refuses: the
        // untracked read fails and the tracked read of the owned value decides, as before.
        #[derive(Debug, PartialEq)]
        struct Owned(String);
        impl<'de> de::Deserialize<'de> for Owned {
            fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                // The misuse is the point: a type some crate might write this way.
                #[allow(clippy::serde_api_misuse)]
                impl<'de> Visitor<'de> for V {
                    type Value = Owned;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("an owned string")
                    }
                    fn visit_string<E>(self, v: String) -> Result<Owned, E> {
                        Ok(Owned(v))
                    }
                }
                d.deserialize_string(V)
            }
        }
        assert_eq!(
            from_value::<Owned>(Value::String("x".into())).unwrap(),
            Owned("x".into())
        );
        assert!(<Owned as de::Deserialize>::deserialize(&Value::String("x".into())).is_err());
    }

    #[test]
    fn values_round_trip() {
        let text = r#"{"a":[1,-2,3.5,"x",null,true,{"b":{}}]}"#;
        let v = value_from_slice(text.as_bytes()).unwrap();
        assert_eq!(v, serde_json::from_str::<Value>(text).unwrap());
    }
}

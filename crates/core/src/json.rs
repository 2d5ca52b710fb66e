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
    one::<_, StrictValue>(serde_json::Deserializer::from_slice(bytes)).map(|StrictValue(v)| v)
}

/// One document from `de`, then nothing but white space; errors carry the JSON path.
fn one<'de, R: serde_json::de::Read<'de>, T: serde::Deserialize<'de>>(
    mut de: serde_json::Deserializer<R>,
) -> Result<T, JsonError> {
    let v = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        // A document cut short is the document's fault, not the field's it stopped in (a
        // truncated last NDJSON line would otherwise be reported at `[3].titolo`).
        if inner.is_eof() {
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
        }
    })?;
    de.end().map_err(|e| JsonError {
        path: ".".into(),
        reason: format!("unexpected data after the JSON document ({e})"),
    })?;
    Ok(v)
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
    one(serde_json::Deserializer::from_str(text))
}

/// [`from_slice_strict`] of a string.
pub fn from_str_strict<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    from_slice_strict(text.as_bytes())
}

/// A parsed value as `T`, naming the JSON path where it does not fit.
pub fn from_value<T: DeserializeOwned>(v: Value) -> Result<T, JsonError> {
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
    fn values_round_trip() {
        let text = r#"{"a":[1,-2,3.5,"x",null,true,{"b":{}}]}"#;
        let v = value_from_slice(text.as_bytes()).unwrap();
        assert_eq!(v, serde_json::from_str::<Value>(text).unwrap());
    }
}

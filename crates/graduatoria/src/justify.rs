//! The justification of a criterion's points, kept as numbers while ranking and rendered in
//! words only when a graduatoria is written out (JSON, CSV, the terminal).
//!
//! Ranking 100,000 applicants computes half a million justifications; formatting each into a
//! `String` on the way cost more than the arithmetic. [`Rule`] and [`Shown`] hold the values
//! and implement `Display`, and serialize as the very strings the earlier versions stored, so
//! the published output is byte-for-byte what it was. Read back (a riesame's previous
//! graduatoria), they are kept as the text that was published.

use std::borrow::Cow;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use chrono::NaiveDate;

use super::rules::{Rounding, TieBreakKey};

/// How a criterion's points were obtained.
#[derive(Debug, Clone)]
pub enum Rule {
    /// The input is missing or invalid: the rule set's points for that case.
    Missing {
        /// `missing` or `invalid`.
        why: &'static str,
        /// The points.
        points: Decimal,
    },
    /// Above a threshold: fixed points.
    Above {
        /// The value.
        x: Decimal,
        /// The threshold.
        over: Decimal,
        /// The points.
        points: Decimal,
    },
    /// At or below the value that scores zero.
    ZeroUpTo {
        /// The value.
        x: Decimal,
        /// The limit.
        limit: Decimal,
    },
    /// `offset + per_unit × rounding((x − from) / unit)`, possibly capped.
    Linear {
        /// Offset.
        offset: Decimal,
        /// Points per unit.
        per_unit: Decimal,
        /// Rounding of the units.
        rounding: Rounding,
        /// The value.
        x: Decimal,
        /// Subtracted first (zero: not shown).
        from: Decimal,
        /// The unit.
        unit: Decimal,
        /// The result before the cap.
        raw: Decimal,
        /// The capped result, when the cap applied.
        capped: Option<Decimal>,
    },
    /// In a bracket.
    Bracket {
        /// The value.
        x: Decimal,
        /// Lower bound.
        from: Decimal,
        /// Upper bound (open when absent).
        to: Option<Decimal>,
        /// The points.
        points: Decimal,
    },
    /// In no bracket: zero.
    NoBracket {
        /// The value.
        x: Decimal,
    },
    /// A condition, met (with its points) or not.
    Flag {
        /// The points when met, `None` when not met.
        points: Option<Decimal>,
    },
    /// Dependants: ordinary and invalid ones, each with its points.
    Dependants {
        /// Ordinary dependants.
        ordinary: Decimal,
        /// Points each.
        per_dependant: Decimal,
        /// Invalid dependants (> 65%).
        invalid: Decimal,
        /// Points each.
        per_invalid: Decimal,
        /// The points.
        points: Decimal,
    },
    /// The published text, read back.
    Text(String),
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Missing { why, points } => write!(f, "{why} input → {points}"),
            Rule::Above { x, over, points } => write!(f, "{x} > {over} → {points}"),
            Rule::ZeroUpTo { x, limit } => write!(f, "{x} ≤ {limit} → 0"),
            Rule::Linear {
                offset,
                per_unit,
                rounding,
                x,
                from,
                unit,
                raw,
                capped,
            } => {
                write!(f, "{offset} + {per_unit} × {rounding:?}(")?;
                if from.is_zero() {
                    write!(f, "{x}")?;
                } else {
                    write!(f, "({x} − {from})")?;
                }
                write!(f, " / {unit}) = {}", raw.normalize())?;
                if let Some(c) = capped {
                    write!(f, ", capped at {}", c.normalize())?;
                }
                Ok(())
            }
            Rule::Bracket {
                x,
                from,
                to,
                points,
            } => {
                write!(f, "{x} in [{from}, ")?;
                match to {
                    Some(t) => write!(f, "{t}")?,
                    None => f.write_str("∞")?,
                }
                write!(f, "] → {points}")
            }
            Rule::NoBracket { x } => write!(f, "{x} in no bracket → 0"),
            Rule::Flag { points: None } => f.write_str("condition not met → 0"),
            Rule::Flag { points: Some(p) } => write!(f, "condition met → {p}"),
            Rule::Dependants {
                ordinary,
                per_dependant,
                invalid,
                per_invalid,
                points,
            } => write!(
                f,
                "{ordinary} × {per_dependant} + {invalid} invalid > 65% × {per_invalid} = {}",
                points.normalize()
            ),
            Rule::Text(t) => f.write_str(t),
        }
    }
}

/// The input value a criterion read, as published.
#[derive(Debug, Clone)]
pub enum Shown {
    /// `missing` or `invalid`.
    Missing(&'static str),
    /// A number.
    Value(Decimal),
    /// Dependants, with how many are invalid.
    Dependants {
        /// All dependants.
        all: Decimal,
        /// Invalid ones.
        invalid: u32,
    },
    /// The published text, read back.
    Text(String),
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shown::Missing(why) => f.write_str(why),
            Shown::Value(x) => write!(f, "{x}"),
            Shown::Dependants { all, invalid } => write!(f, "{all} ({invalid} invalid > 65%)"),
            Shown::Text(t) => f.write_str(t),
        }
    }
}

macro_rules! as_text {
    ($t:ident) => {
        impl $t {
            /// The published text.
            pub fn text(&self) -> Cow<'_, str> {
                match self {
                    $t::Text(t) => Cow::Borrowed(t),
                    other => Cow::Owned(other.to_string()),
                }
            }
        }

        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.text() == other.text()
            }
        }

        impl Eq for $t {}

        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.text() == other
            }
        }

        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    $t::Text(t) => s.serialize_str(t),
                    other => s.collect_str(other),
                }
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map($t::Text)
            }
        }

        impl schemars::JsonSchema for $t {
            fn schema_name() -> Cow<'static, str> {
                <String as schemars::JsonSchema>::schema_name()
            }

            fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
                <String as schemars::JsonSchema>::json_schema(g)
            }

            fn inline_schema() -> bool {
                true
            }
        }
    };
}

/// The key that decided a tie, or `unresolved`.
#[derive(Debug, Clone)]
pub enum Decided {
    /// A key of the rule set's chain.
    Key(TieBreakKey),
    /// Every key tied: ordered by applicant id.
    Unresolved,
    /// The published text, read back.
    Text(String),
}

impl Decided {
    /// The name as published (`younger`, …, `unresolved`).
    pub fn as_str(&self) -> &str {
        match self {
            Decided::Key(k) => match k {
                TieBreakKey::Younger => "younger",
                TieBreakKey::Older => "older",
                TieBreakKey::MoreDependantPoints => "more_dependant_points",
                TieBreakKey::LongerUnemployment => "longer_unemployment",
                TieBreakKey::EarlierRegistration => "earlier_registration",
            },
            Decided::Unresolved => "unresolved",
            Decided::Text(t) => t,
        }
    }
}

impl fmt::Display for Decided {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tie-break key's value for one applicant.
#[derive(Debug, Clone)]
pub enum TieValue {
    /// Birth date (younger, older).
    Born(NaiveDate),
    /// Points of the dependants criterion.
    DependantPoints(Decimal),
    /// Days of unemployment.
    DaysUnemployed(i64),
    /// Registration date, if any.
    Registered(Option<NaiveDate>),
    /// No value (the tie was not resolved).
    None,
    /// The published text, read back.
    Text(String),
}

/// The raw value (a date, a number of days or points; empty when absent).
impl fmt::Display for TieValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TieValue::Born(d) | TieValue::Registered(Some(d)) => write!(f, "{d}"),
            TieValue::DependantPoints(p) => write!(f, "{}", p.normalize()),
            TieValue::DaysUnemployed(n) => write!(f, "{n}"),
            TieValue::Registered(None) | TieValue::None => Ok(()),
            TieValue::Text(t) => f.write_str(t),
        }
    }
}

impl TieValue {
    /// The value in words (`born 1990-01-01`, `12 dependant points`, …).
    fn described(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TieValue::Born(d) => write!(f, "born {d}"),
            TieValue::DependantPoints(p) => write!(f, "{} dependant points", p.normalize()),
            TieValue::DaysUnemployed(n) => write!(f, "{n} days unemployed"),
            TieValue::Registered(Some(d)) => write!(f, "registered {d}"),
            TieValue::Registered(None) => f.write_str("registered never"),
            TieValue::None => Ok(()),
            TieValue::Text(t) => f.write_str(t),
        }
    }
}

/// The compared values of a tie, in words.
#[derive(Debug, Clone)]
pub enum TieDetail {
    /// The row above's value against this row's.
    Compared(TieValue, TieValue),
    /// Every key tied.
    Unresolved,
    /// The published text, read back.
    Text(String),
}

impl fmt::Display for TieDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TieDetail::Compared(a, b) => {
                a.described(f)?;
                f.write_str(" vs ")?;
                b.described(f)
            }
            TieDetail::Unresolved => {
                f.write_str("every tie-break key is equal: ordered by applicant id")
            }
            TieDetail::Text(t) => f.write_str(t),
        }
    }
}

as_text!(Rule);
as_text!(Shown);
as_text!(Decided);
as_text!(TieValue);
as_text!(TieDetail);

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn renders_as_the_published_strings() {
        let r = Rule::Linear {
            offset: dec!(100),
            per_unit: dec!(-1),
            rounding: Rounding::HalfDown,
            x: dec!(12500.00),
            from: dec!(0),
            unit: dec!(500),
            raw: dec!(75.00),
            capped: None,
        };
        assert_eq!(r.to_string(), "100 + -1 × HalfDown(12500.00 / 500) = 75");
        let r = Rule::Linear {
            offset: dec!(0),
            per_unit: dec!(1),
            rounding: Rounding::Floor,
            x: dec!(30),
            from: dec!(6),
            unit: dec!(1),
            raw: dec!(24),
            capped: Some(dec!(12)),
        };
        assert_eq!(
            r.to_string(),
            "0 + 1 × Floor((30 − 6) / 1) = 24, capped at 12"
        );
        let b = Rule::Bracket {
            x: dec!(70),
            from: dec!(67),
            to: None,
            points: dec!(-3),
        };
        assert_eq!(b.to_string(), "70 in [67, ∞] → -3");
        assert_eq!(
            serde_json::to_string(&Shown::Dependants {
                all: dec!(2),
                invalid: 1
            })
            .unwrap(),
            "\"2 (1 invalid > 65%)\""
        );
        let back: Rule = serde_json::from_str("\"condition met → 2\"").unwrap();
        assert_eq!(
            back,
            Rule::Flag {
                points: Some(dec!(2))
            }
        );
    }
}

//! A profiling model as one SQL query, for the engines where a Region's data already lives.
//!
//! [`model_sql`] writes, from a model file, the AdR rules and the reference tables, a single
//! `SELECT` that computes from a table with the ANPAL column names (`Id`, `DataNascita`,
//! `Genere`, `Cittadinanza`, `TitoloDiStudio`, `ProvinciaDiResidenza`, `DataDID`, …) what
//! `incrocio reprofile` writes: the linear predictor, the index rounded as for classing, the
//! class and its label, every feature's contribution, age, unemployment months and suspended
//! days, the AdR eligibility and amounts in cents, `profiled_at`, `next_review_at`, and the
//! provenance (model id, version, digest, status; AdR rules and digest). The reference tables
//! (provinces with their indicators and regions, citizenship groups, titolo levels) are inline
//! `VALUES`, so the query needs nothing but the people table.
//!
//! The arithmetic is the engine's, step for step: the same sum order of the linear predictor,
//! every coefficient a correctly rounded double (`CAST('0.15' AS DOUBLE)`, never a decimal
//! literal), the index rounded half away from zero to the class decimals, classes by integer
//! units, AdR amounts in exact integer cents. A row the engine would reject gets a NULL index
//! and class, and `invalid_field` names the field (the checks are listed in `docs/scale.md`).
//!
//! Pure: this module writes text and touches no engine.

use std::fmt::Write as _;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::adr::AdrRules;
use super::features::Variable;
use super::model::{Link, Missing, ProfilingModel, Term};
use super::record::{AGE_RANGE, MAX_NOTICE_MONTHS};
use super::score::REVIEW_INTERVAL_DAYS;
use incrocio_core::error::ModelError;
use incrocio_core::reference::{GruppoCittadinanza, QUESTIONNAIRE_FIELDS, Reference};

/// An SQL engine whose dialect [`model_sql`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// DuckDB (1.x and later).
    Duckdb,
    /// Apache Spark SQL (3.3 and later).
    Spark,
    /// Trino (and Presto-derived engines).
    Trino,
    /// PostgreSQL (12 and later).
    Postgres,
}

impl Dialect {
    /// Every dialect, in documentation order.
    pub const ALL: [Dialect; 4] = [
        Dialect::Duckdb,
        Dialect::Spark,
        Dialect::Trino,
        Dialect::Postgres,
    ];

    /// How a step of the chain opens after its name (`base AS (`): PostgreSQL (12 and later)
    /// inlines a CTE referenced once into the query naming it and shares no expression between
    /// the copies, so down the chain each column was computed again wherever the next step
    /// named it (20,000 people: 18.6 s); `MATERIALIZED` computes each step once per row
    /// (0.39 s, the same output). The other engines compute each once as written.
    fn step(self) -> &'static str {
        match self {
            Dialect::Postgres => "AS MATERIALIZED",
            Dialect::Duckdb | Dialect::Spark | Dialect::Trino => "AS",
        }
    }

    /// The dialect's name as the CLI spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Duckdb => "duckdb",
            Dialect::Spark => "spark",
            Dialect::Trino => "trino",
            Dialect::Postgres => "postgres",
        }
    }

    /// The dialect named `s`.
    pub fn parse(s: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.as_str() == s)
    }

    fn double(self) -> &'static str {
        match self {
            Dialect::Postgres => "DOUBLE PRECISION",
            _ => "DOUBLE",
        }
    }

    /// An output column name, quoted (`index` and `class` are keywords somewhere).
    fn quote(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{name}`"),
            _ => format!("\"{name}\""),
        }
    }

    /// Days from `a` to `b` (`b − a`), as an integer.
    fn days_between(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Duckdb | Dialect::Trino => format!("date_diff('day', {a}, {b})"),
            Dialect::Spark => format!("datediff({b}, {a})"),
            Dialect::Postgres => format!("({b} - {a})"),
        }
    }

    /// `d` plus `n` days (n an integer expression).
    fn add_days(self, d: &str, n: &str) -> String {
        match self {
            Dialect::Duckdb => format!("({d} + CAST({n} AS INTEGER))"),
            Dialect::Postgres => format!("({d} + CAST({n} AS INTEGER))"),
            Dialect::Trino => format!("date_add('day', {n}, {d})"),
            Dialect::Spark => format!("date_add({d}, CAST({n} AS INT))"),
        }
    }

    /// `d` plus `n` calendar months, the day clamped to the month's end (as chrono does).
    fn add_months(self, d: &str, n: u32) -> String {
        match self {
            Dialect::Duckdb => format!("CAST({d} + INTERVAL {n} MONTH AS DATE)"),
            Dialect::Postgres => format!("CAST({d} + INTERVAL '{n} months' AS DATE)"),
            Dialect::Trino => format!("date_add('month', {n}, {d})"),
            Dialect::Spark => format!("add_months({d}, {n})"),
        }
    }

    /// A FROM-clause item listing one row per `;`-separated period of `Sospensioni`, with the
    /// period as column `s` and the row's columns under alias `b`.
    fn suspension_periods(self, source: &str) -> String {
        match self {
            Dialect::Duckdb => format!(
                "(SELECT b.*, unnest(string_split(b.Sospensioni, ';')) AS s FROM {source} b) b"
            ),
            Dialect::Postgres => format!(
                "{source} b CROSS JOIN LATERAL unnest(string_to_array(b.Sospensioni, ';')) AS t(s)"
            ),
            Dialect::Trino => {
                format!("{source} b CROSS JOIN UNNEST(split(b.Sospensioni, ';')) AS t(s)")
            }
            Dialect::Spark => {
                format!("(SELECT b.*, explode(split(b.Sospensioni, ';')) AS s FROM {source} b) b")
            }
        }
    }

    /// An inline table of literal rows.
    fn values(self, alias: &str, columns: &[&str], rows: &[Vec<String>]) -> String {
        let mut body = String::new();
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                body.push_str(",\n    ");
            }
            let _ = write!(body, "({})", row.join(", "));
        }
        let cols = columns.join(", ");
        match self {
            Dialect::Spark => format!("SELECT * FROM VALUES\n    {body}\n  AS {alias}({cols})"),
            _ => format!("SELECT * FROM (VALUES\n    {body}\n  ) AS {alias}({cols})"),
        }
    }
}

/// `official`, `illustrative` or `fitted`.
fn status(s: incrocio_core::status::Status) -> String {
    format!("{s:?}").to_lowercase()
}

/// A string literal.
fn text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A double literal that every engine reads as the same double as Rust: the shortest
/// round-trip decimal, cast from text (strtod rounds correctly; a decimal literal would be
/// DECIMAL arithmetic in DuckDB, PostgreSQL, Spark and Trino).
fn double(d: Dialect, x: f64) -> String {
    format!("CAST('{x:?}' AS {})", d.double())
}

/// Integer euro cents of an AdR amount (the rules keep amounts to the cent).
fn cents(file: &str, key: &str, x: Decimal) -> Result<i64, ModelError> {
    let c = x * Decimal::ONE_HUNDRED;
    if c.fract() != Decimal::ZERO {
        return Err(ModelError::new(
            file,
            key,
            format!("{x} has fractions of a cent: no exact SQL for it"),
        ));
    }
    i64::try_from(c).map_err(|_| ModelError::new(file, key, format!("{x} is out of range")))
}

/// The query's options.
#[derive(Debug, Clone)]
pub struct SqlOptions {
    /// The engine.
    pub dialect: Dialect,
    /// The people table (or view), with the ANPAL column names.
    pub table: String,
    /// The profiling date; `None` uses the engine's `CURRENT_DATE` when the query runs.
    pub as_of: Option<NaiveDate>,
    /// The incrocio version written into the header.
    pub engine_version: String,
    /// Optional columns ([`OPTIONAL_COLUMNS`]) the table does not have: the query reads them
    /// as NULL (no date the last job ended, no suspensions, no NASpI), as the engine reads a
    /// record without them.
    pub absent: Vec<String>,
}

/// The people columns a table may lack, with the SQL type of the NULL that stands for them.
pub const OPTIONAL_COLUMNS: [(&str, &str); 3] = [
    ("DataFineUltimoRapporto", "DATE"),
    ("Sospensioni", "VARCHAR"),
    ("PercettoreNASpI", "BOOLEAN"),
];

/// Checks a table name: dotted SQL identifiers (`catalog.schema.table`), nothing else.
pub fn check_table_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && name.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a table name: letters, digits and `_`, parts separated by `.`"
        ))
    }
}

/// The query computing `model` (with the AdR `rules`) over the people table; see the module
/// docs. Errors name the model file and key when a part of the model has no exact SQL.
pub fn model_sql(
    model: &ProfilingModel,
    adr: &AdrRules,
    reference: &Reference,
    opts: &SqlOptions,
) -> Result<String, ModelError> {
    check_table_name(&opts.table).map_err(|e| ModelError::new("--table", "table", e))?;
    let d = opts.dialect;
    let step = d.step();
    let file = format!("{}.v{}.toml", model.id, model.version);
    let as_of = opts
        .as_of
        .map_or_else(|| "CURRENT_DATE".to_owned(), |a| format!("DATE '{a}'"));
    let scale = 10i64
        .checked_pow(model.classes.decimals)
        .ok_or_else(|| ModelError::new(&file, "classes.decimals", "too many decimals"))?;

    // Reference tables, inline.
    let territory = &reference.territory;
    let indicator_cols: Vec<(String, usize)> = model
        .features
        .iter()
        .filter_map(|f| match &f.variable {
            Variable::Territorio { name, column } => Some((name.clone(), *column)),
            _ => None,
        })
        .fold(Vec::new(), |mut v, x| {
            if !v.contains(&x) {
                v.push(x);
            }
            v
        });
    // Every spelling the engine accepts (UTS code, historical code, sigla), each to the province
    // the engine resolves it to (a later province's key wins, as in the engine's map).
    let mut keys = std::collections::BTreeMap::new();
    for (i, p) in territory.province().iter().enumerate() {
        for key in [&p.codice_uts, &p.codice_storico, &p.sigla] {
            keys.insert(key.as_str(), i);
        }
    }
    let mut province_rows = Vec::new();
    for (key, i) in keys {
        let p = &territory.province()[i];
        let mut row = vec![text(key), text(&p.codice_regione)];
        for (_, column) in &indicator_cols {
            row.push(
                territory
                    .indicator(i as incrocio_core::reference::ProvinciaIdx, *column)
                    .map_or_else(|| format!("CAST(NULL AS {})", d.double()), |x| double(d, x)),
            );
        }
        province_rows.push(row);
    }
    let mut province_columns = vec!["codice", "codice_regione"];
    province_columns.extend(indicator_cols.iter().map(|(n, _)| n.as_str()));
    let mut citizenship_rows = Vec::new();
    for g in [
        GruppoCittadinanza::Italiana,
        GruppoCittadinanza::Ue,
        GruppoCittadinanza::ExtraUe,
    ] {
        for c in reference.codes.cittadinanza_codes(g) {
            citizenship_rows.push(vec![text(c), text(g.as_str())]);
        }
    }
    for (c, g) in incrocio_core::reference::DID_CITIZENSHIP_GROUPS {
        citizenship_rows.push(vec![text(c), text(g.as_str())]);
    }
    citizenship_rows.sort();
    let mut titolo_rows = Vec::new();
    for level in 0..=12u8 {
        for c in reference.codes.titolo_codes(level) {
            titolo_rows.push(vec![text(c), level.to_string()]);
        }
    }
    titolo_rows.sort();

    // Per-person values, by variable.
    let value = |v: &Variable| -> String {
        match v {
            Variable::Eta => "e.eta".into(),
            Variable::MesiDisoccupazione => "e.mesi_disoccupazione".into(),
            Variable::MesiFineUltimoLavoro => "e.DaQuantiMesiConclusoUltimoRappLavoro".into(),
            Variable::MesiRicerca => "e.DaQuantiMesiStaCercandoLavoro".into(),
            Variable::ComponentiFamiglia => "e.NumeroComponentiFamiglia".into(),
            Variable::Territorio { name, .. } => format!("e.{name}"),
            _ => String::new(),
        }
    };
    // The condition for domain value `i` (named `code`) of a categorical variable.
    let condition = |v: &Variable, i: usize, code: &str| -> String {
        match v {
            Variable::Genere => format!("e.Genere = {}", text(code)),
            Variable::Cittadinanza => format!("e.cittadinanza_gruppo = {}", text(code)),
            Variable::LivelloStudio => format!("e.livello_studio = {i}"),
            Variable::HaMaiLavorato | Variable::FigliACarico | Variable::FigliMinori => {
                let col = format!("e.{}", v.source_field());
                if i == 0 { format!("NOT {col}") } else { col }
            }
            other => {
                let field = other.source_field();
                let mut spellings = vec![text(code)];
                if let Some(list) = reference.codes.list(field) {
                    spellings.extend(
                        list.aliases
                            .iter()
                            .filter(|(_, canonical)| *canonical == code)
                            .map(|(alias, _)| text(alias)),
                    );
                }
                format!("e.{field} IN ({})", spellings.join(", "))
            }
        }
    };
    let mut terms = Vec::new();
    for (k, f) in model.features.iter().enumerate() {
        let key = format!("features[{k}]");
        let sql = match &f.term {
            Term::Categorical { by_domain, .. } => {
                let domain = f.variable.domain(reference).ok_or_else(|| {
                    ModelError::new(&file, &key, "categorical term on a numeric variable")
                })?;
                let mut case = String::from("CASE");
                for (i, (code, (_, c))) in domain.iter().zip(by_domain).enumerate() {
                    let _ = write!(
                        case,
                        " WHEN {} THEN {}",
                        condition(&f.variable, i, code),
                        double(d, *c)
                    );
                }
                // An unanswered variable scores as the model file says (else NULL: refused).
                if let Missing::Level { contribution, .. } = &f.missing {
                    let _ = write!(case, " ELSE {}", double(d, *contribution));
                }
                case.push_str(" END");
                case
            }
            Term::Banded { bands, .. } => {
                let x = value(&f.variable);
                let when_null = match &f.missing {
                    Missing::Level { contribution, .. } => double(d, *contribution),
                    Missing::Refuse => "NULL".into(),
                };
                let mut case = format!("CASE WHEN {x} IS NULL THEN {when_null}");
                for (_, max, c) in bands {
                    match max {
                        Some(m) => {
                            let _ = write!(
                                case,
                                " WHEN {x} <= {} THEN {}",
                                double(d, *m),
                                double(d, *c)
                            );
                        }
                        None => {
                            let _ = write!(case, " ELSE {}", double(d, *c));
                        }
                    }
                }
                case.push_str(" END");
                case
            }
            Term::Numeric {
                coefficient,
                center,
            } => {
                let x = value(&f.variable);
                format!(
                    "{} * (CAST({x} AS {}) - {})",
                    double(d, *coefficient),
                    d.double(),
                    double(d, *center)
                )
            }
        };
        terms.push((f, sql));
    }

    // The inverse link.
    let probability = match model.link {
        Link::Logit => format!(
            "{} / ({} + EXP(-s.linear_predictor))",
            double(d, 1.0),
            double(d, 1.0)
        ),
        Link::Probit => normal_cdf(d, "s.linear_predictor"),
    };

    let q = |n: &str| d.quote(n);
    let mut sql = String::new();
    let _ = writeln!(
        sql,
        "-- incrocio {} · profiling model {} ({}) · status {} · AdR rules {} ({})",
        opts.engine_version,
        model.key(),
        model.digest,
        status(model.status),
        adr.key(),
        adr.digest
    );
    let _ = writeln!(
        sql,
        "-- Dialect {}; people table `{}` with the ANPAL column names; as of {}.",
        d.as_str(),
        opts.table,
        opts.as_of.map_or_else(
            || "CURRENT_DATE (when the query runs)".to_owned(),
            |a| a.to_string()
        )
    );
    if let Some(n) = super::score::notice(model) {
        let _ = writeln!(sql, "-- {n}");
    }
    let _ = writeln!(
        sql,
        "-- Generated by `incrocio models sql`: do not edit; regenerate from the model file."
    );
    sql.push_str("WITH\n");
    let _ = writeln!(
        sql,
        "ref_provincia AS (\n  {}\n),",
        d.values("ref_provincia", &province_columns, &province_rows)
    );
    let _ = writeln!(
        sql,
        "ref_cittadinanza AS (\n  {}\n),",
        d.values("ref_cittadinanza", &["codice", "gruppo"], &citizenship_rows)
    );
    let _ = writeln!(
        sql,
        "ref_titolo AS (\n  {}\n),",
        d.values("ref_titolo", &["codice", "livello"], &titolo_rows)
    );
    // Start of the counted unemployment: the day after the last job ended, when that is after
    // the DID (a DID filed during the notice period), else the DID.
    let after_job = d.add_days("x.DataFineUltimoRapporto", "1");
    // Only the columns the query reads: derived names never meet a column of the table.
    let mut columns = vec![
        "Id",
        "DataNascita",
        "Genere",
        "Cittadinanza",
        "TitoloDiStudio",
        "ProvinciaDiResidenza",
        "DataDID",
        "Sospensioni",
        "PercettoreNASpI",
        "DataFineUltimoRapporto",
    ];
    for f in &model.features {
        let field = f.variable.source_field();
        if !columns.contains(&field) {
            columns.push(field);
        }
    }
    for a in &opts.absent {
        if !OPTIONAL_COLUMNS.iter().any(|(c, _)| c == a) {
            return Err(ModelError::new(
                &file,
                "absent",
                format!(
                    "`{a}` is not an optional column ({})",
                    OPTIONAL_COLUMNS.map(|(c, _)| c).join(", ")
                ),
            ));
        }
    }
    let column = |c: &str| -> String {
        match OPTIONAL_COLUMNS
            .iter()
            .find(|(o, _)| *o == c && opts.absent.iter().any(|a| a == c))
        {
            Some((_, ty)) => {
                let ty = if *ty == "VARCHAR" && d == Dialect::Spark {
                    "STRING"
                } else {
                    ty
                };
                format!("CAST(NULL AS {ty}) AS {c}")
            }
            None => format!("x.{c}"),
        }
    };
    let after_job = if opts.absent.iter().any(|a| a == "DataFineUltimoRapporto") {
        "CAST(NULL AS DATE)".to_owned()
    } else {
        after_job
    };
    let fine_col = if opts.absent.iter().any(|a| a == "DataFineUltimoRapporto") {
        "CAST(NULL AS DATE)"
    } else {
        "x.DataFineUltimoRapporto"
    };
    let columns: String = columns.iter().map(|c| format!("{}, ", column(c))).collect();
    let _ = writeln!(
        sql,
        "base {step} (\n  SELECT {columns}\n    CASE WHEN {fine_col} IS NOT NULL AND {after_job} > x.DataDID\n      THEN {after_job} ELSE x.DataDID END AS inizio\n  FROM {} x\n),",
        opts.table
    );
    // Suspended days within [inizio, as_of).
    let end = format!(
        "CASE WHEN p.al IS NULL OR {} > {as_of} THEN {as_of} ELSE {} END",
        d.add_days("p.al", "1"),
        d.add_days("p.al", "1")
    );
    let start = "CASE WHEN p.dal > p.inizio THEN p.dal ELSE p.inizio END";
    let span = d.days_between(start, &end);
    let _ = writeln!(
        sql,
        "periodi {step} (\n  SELECT b.Id, b.inizio, b.DataDID,\n    CAST(split_part(trim(s), '/', 1) AS DATE) AS dal,\n    CAST(NULLIF(split_part(trim(s), '/', 2), '') AS DATE) AS al\n  FROM {}\n  WHERE b.Sospensioni IS NOT NULL AND trim(b.Sospensioni) <> ''\n),",
        d.suspension_periods("base")
    );
    let _ = writeln!(
        sql,
        "ordinati {step} (\n  SELECT p.*, LEAD(p.dal) OVER (PARTITION BY p.Id ORDER BY p.dal) AS dal_successivo\n  FROM periodi p\n),"
    );
    // A period that ends before it starts, overlaps the next, or starts before the DID makes
    // the record invalid, as in the engine.
    let _ = writeln!(
        sql,
        "sospensioni {step} (\n  SELECT p.Id, SUM(CASE WHEN {span} > 0 THEN {span} ELSE 0 END) AS giorni,\n    SUM(CASE WHEN p.al < p.dal OR p.dal < p.DataDID\n      OR (p.dal_successivo IS NOT NULL AND (p.al IS NULL OR p.al >= p.dal_successivo)) THEN 1 ELSE 0 END) AS periodi_errati\n  FROM ordinati p\n  GROUP BY p.Id\n),"
    );
    let elapsed = d.days_between("b.inizio", &as_of);
    let _ = writeln!(
        sql,
        "giorni {step} (\n  SELECT b.*, rp.codice_regione, {indicators}rc.gruppo AS cittadinanza_gruppo, rt.livello AS livello_studio,\n    COALESCE(s.giorni, 0) AS giorni_sospensione, COALESCE(s.periodi_errati, 0) AS periodi_errati,\n    CASE WHEN {elapsed} - COALESCE(s.giorni, 0) > 0 THEN {elapsed} - COALESCE(s.giorni, 0) ELSE 0 END AS giorni_disoccupazione,\n    EXTRACT(YEAR FROM {as_of}) - EXTRACT(YEAR FROM b.DataNascita)\n      - CASE WHEN EXTRACT(MONTH FROM b.DataNascita) > EXTRACT(MONTH FROM {as_of})\n               OR (EXTRACT(MONTH FROM b.DataNascita) = EXTRACT(MONTH FROM {as_of})\n                   AND EXTRACT(DAY FROM b.DataNascita) > EXTRACT(DAY FROM {as_of}))\n             THEN 1 ELSE 0 END AS eta\n  FROM base b\n  LEFT JOIN sospensioni s ON s.Id = b.Id\n  LEFT JOIN ref_provincia rp ON rp.codice = b.ProvinciaDiResidenza\n  LEFT JOIN ref_cittadinanza rc ON rc.codice = b.Cittadinanza\n  LEFT JOIN ref_titolo rt ON rt.codice = b.TitoloDiStudio\n),",
        indicators = indicator_cols
            .iter()
            .map(|(n, _)| format!("rp.{n}, "))
            .collect::<String>(),
    );
    let fine = d.add_days("g.inizio", "g.giorni_disoccupazione");
    let _ = writeln!(
        sql,
        "fine {step} (\n  SELECT g.*, {fine} AS fine_effettiva\n  FROM giorni g\n),"
    );
    // `incrocio_core::period::whole_months` (art. 2963 c.c.): the months between the two
    // calendar months, less one when the end's day is before the start's and is not the last
    // day of its month (a month that lacks the start's day completes on its last day).
    let next_day = d.add_days("f.fine_effettiva", "1");
    let months = format!(
        "(EXTRACT(YEAR FROM f.fine_effettiva) - EXTRACT(YEAR FROM f.inizio)) * 12 + EXTRACT(MONTH FROM f.fine_effettiva) - EXTRACT(MONTH FROM f.inizio) - CASE WHEN EXTRACT(DAY FROM f.fine_effettiva) < EXTRACT(DAY FROM f.inizio) AND EXTRACT(DAY FROM {next_day}) <> 1 THEN 1 ELSE 0 END"
    );
    let _ = writeln!(
        sql,
        "derivate {step} (\n  SELECT f.*,\n    CASE WHEN {months} > 0 THEN {months} ELSE 0 END AS mesi_disoccupazione,\n    COALESCE(f.PercettoreNASpI, FALSE) AND f.fine_effettiva > {} AS adr_idoneo\n  FROM fine f\n),",
        d.add_months("f.inizio", adr.min_unemployment_months)
    );
    // The first field that makes the engine reject the record, in the engine's order.
    let mut invalid = vec![
        ("DataNascita", "e.DataNascita IS NULL".to_owned()),
        (
            "Genere",
            "e.Genere IS NULL OR e.Genere NOT IN ('M', 'F')".to_owned(),
        ),
        ("Cittadinanza", "e.cittadinanza_gruppo IS NULL".to_owned()),
        (
            "TitoloDiStudio",
            "e.TitoloDiStudio IS NOT NULL AND e.livello_studio IS NULL".to_owned(),
        ),
        (
            "ProvinciaDiResidenza",
            "e.codice_regione IS NULL".to_owned(),
        ),
        ("DataDID", "e.DataDID IS NULL".to_owned()),
        ("Sospensioni", "e.periodi_errati > 0".to_owned()),
        (
            "DataFineUltimoRapporto",
            format!(
                "e.DataFineUltimoRapporto < DATE '1950-01-01' OR e.DataFineUltimoRapporto > {}",
                d.add_months("e.DataDID", MAX_NOTICE_MONTHS)
            ),
        ),
    ];
    for field in QUESTIONNAIRE_FIELDS {
        // Only the lists a model term reads: the others are checked by the engine but do not
        // change this query's numbers.
        let read = model
            .features
            .iter()
            .any(|f| f.variable.source_field() == field);
        if let (true, Some(list)) = (read, reference.codes.list(field)) {
            let spellings: Vec<String> = list
                .codes
                .iter()
                .chain(list.aliases.keys())
                .map(|c| text(c))
                .collect();
            invalid.push((
                field,
                format!(
                    "e.{field} IS NOT NULL AND e.{field} NOT IN ({})",
                    spellings.join(", ")
                ),
            ));
        }
    }
    // Then the checks that need the profiling date.
    invalid.push(("DataDID", format!("e.DataDID > {as_of}")));
    invalid.push((
        "DataNascita",
        format!("e.eta < {} OR e.eta > {}", AGE_RANGE.0, AGE_RANGE.1),
    ));
    let mut invalid_case = String::from("CASE");
    for (field, cond) in &invalid {
        let _ = write!(invalid_case, "\n      WHEN {cond} THEN {}", text(field));
    }
    for (f, term) in &terms {
        let _ = write!(
            invalid_case,
            "\n      WHEN ({term}) IS NULL THEN {}",
            text(f.variable.source_field())
        );
    }
    invalid_case.push_str("\n    END");
    let mut select = String::from("  SELECT e.*,\n");
    for (f, term) in &terms {
        let _ = writeln!(select, "    {term} AS contrib_{},", f.name);
    }
    let _ = writeln!(
        select,
        "    {invalid_case} AS invalid_field\n  FROM derivate e"
    );
    let _ = writeln!(sql, "termini {step} (\n{select}),");
    let mut lp = format!(
        "CASE WHEN t.invalid_field IS NULL THEN {}",
        double(d, model.intercept)
    );
    for (f, _) in &terms {
        let _ = write!(lp, " + t.contrib_{}", f.name);
    }
    lp.push_str(" END");
    let _ = writeln!(
        sql,
        "predittore {step} (\n  SELECT t.*, {lp} AS linear_predictor\n  FROM termini t\n),"
    );
    let _ = writeln!(
        sql,
        "unita {step} (\n  SELECT s.*, CAST(FLOOR(({probability}) * {} + {}) AS BIGINT) AS index_units\n  FROM predittore s\n)",
        double(d, scale as f64),
        double(d, 0.5)
    );

    // The output, column for column as `reprofile` writes it.
    let mut class = String::from("CASE WHEN u.index_units IS NULL THEN NULL");
    let mut label = String::from("CASE WHEN u.index_units IS NULL THEN NULL");
    for (i, c) in model.classes.cutoffs.iter().enumerate() {
        let _ = write!(class, " WHEN u.index_units <= {c} THEN {}", i + 1);
        let _ = write!(
            label,
            " WHEN u.index_units <= {c} THEN {}",
            text(&model.classes.labels[i])
        );
    }
    let n = model.classes.labels.len();
    let _ = write!(class, " ELSE {n} END");
    let _ = write!(label, " ELSE {} END", text(&model.classes.labels[n - 1]));
    let adr_file = format!("{}.v{}.toml", adr.id, adr.version);
    let floor_units = adr.index_floor * Decimal::from(scale);
    if floor_units.fract() != Decimal::ZERO {
        return Err(ModelError::new(
            &adr_file,
            "index_floor",
            format!(
                "has more decimals than the model's index ({})",
                model.classes.decimals
            ),
        ));
    }
    let floor_units = i64::try_from(floor_units)
        .map_err(|_| ModelError::new(&adr_file, "index_floor", "out of range"))?;
    let den = scale - floor_units;
    let mut adr_cols = String::new();
    for (i, c) in adr.contracts.iter().enumerate() {
        let min = cents(&adr_file, &format!("contracts[{i}].min"), c.min)?;
        let max = cents(&adr_file, &format!("contracts[{i}].max"), c.max)?;
        let applies = if c.regions.is_empty() {
            String::new()
        } else {
            let regions: Vec<String> = c.regions.iter().map(|r| text(r)).collect();
            format!(" AND u.codice_regione IN ({})", regions.join(", "))
        };
        // min + round half away from zero of (units − floor)·(max − min)/(scale − floor), all
        // in integer cents; the doubles involved are exact integers below 2^53.
        let _ = writeln!(
            adr_cols,
            "  CASE WHEN u.index_units IS NOT NULL AND u.adr_idoneo{applies} THEN\n    CASE WHEN u.index_units < {floor_units} THEN CAST({min} AS BIGINT)\n    ELSE CAST({min} AS BIGINT) + CAST(FLOOR((CAST(2 * (u.index_units - {floor_units}) * {span} AS {dbl}) + {den}) / (2 * {den})) AS BIGINT) END\n  END AS {},",
            q(&format!("adr_{}_cents", c.code)),
            span = max - min,
            dbl = d.double(),
        );
    }
    let mut out = String::from("SELECT\n");
    let _ = writeln!(out, "  u.Id AS {},", q("person_id"));
    let _ = writeln!(
        out,
        "  CAST(u.index_units AS {}) / {} AS {},",
        d.double(),
        double(d, scale as f64),
        q("index")
    );
    let _ = writeln!(out, "  {class} AS {},", q("class"));
    let _ = writeln!(out, "  {label} AS {},", q("class_label"));
    let _ = writeln!(out, "  u.linear_predictor AS {},", q("linear_predictor"));
    for f in &model.features {
        let name = format!("contrib_{}", f.name);
        let _ = writeln!(
            out,
            "  CASE WHEN u.invalid_field IS NULL THEN u.{name} END AS {},",
            q(&name)
        );
    }
    let _ = writeln!(out, "  CAST(u.eta AS INTEGER) AS {},", q("eta"));
    let _ = writeln!(
        out,
        "  CAST(u.mesi_disoccupazione AS INTEGER) AS {},",
        q("mesi_disoccupazione")
    );
    let _ = writeln!(
        out,
        "  CAST(u.giorni_sospensione AS INTEGER) AS {},",
        q("giorni_sospensione")
    );
    let _ = writeln!(
        out,
        "  CASE WHEN u.index_units IS NOT NULL THEN u.adr_idoneo END AS {},",
        q("adr_eligible")
    );
    out.push_str(&adr_cols);
    let _ = writeln!(out, "  {} AS {},", text(&model.id), q("model_id"));
    let _ = writeln!(out, "  {} AS {},", model.version, q("model_version"));
    let _ = writeln!(out, "  {} AS {},", text(&model.digest), q("model_digest"));
    let _ = writeln!(
        out,
        "  {} AS {},",
        text(&status(model.status)),
        q("model_status")
    );
    let _ = writeln!(
        out,
        "  {} AS {},",
        text(&status(model.classes.status)),
        q("classes_status")
    );
    let _ = writeln!(out, "  {} AS {},", text(&adr.key()), q("adr_rules"));
    let _ = writeln!(out, "  {} AS {},", text(&adr.digest), q("adr_rules_digest"));
    let _ = writeln!(out, "  {as_of} AS {},", q("profiled_at"));
    let _ = writeln!(
        out,
        "  {} AS {},",
        d.add_days(&as_of, &REVIEW_INTERVAL_DAYS.to_string()),
        q("next_review_at")
    );
    let _ = writeln!(out, "  u.invalid_field AS {}", q("invalid_field"));
    out.push_str("FROM unita u");
    sql.push_str(&out);
    sql.push('\n');
    Ok(sql)
}

/// Numerator coefficients of [`normal_cdf`]'s rational approximation, highest degree first.
const PHI_NUMERATOR: [f64; 7] = [
    3.52624965998911e-02,
    0.700383064443688,
    6.37396220353165,
    33.912866078383,
    112.079291497871,
    221.213596169931,
    220.206867912376,
];

/// Denominator coefficients, highest degree first.
const PHI_DENOMINATOR: [f64; 8] = [
    8.83883476483184e-02,
    1.75566716318264,
    16.064177579207,
    86.7807322029461,
    296.564248779674,
    637.333633378831,
    793.826512519948,
    440.413735824752,
];

/// Φ(x), the standard normal CDF, by W. J. Cody's rational approximations as arranged by
/// Hart (1968, algorithm 5666) and G. West, "Better approximations to cumulative normal
/// functions" (2005): absolute error below 1e-14, far inside the 6-decimal rounding of the
/// index. No dialect has a portable `erf`.
fn normal_cdf(d: Dialect, x: &str) -> String {
    let a = format!("ABS({x})");
    let horner = |coefs: &[f64]| -> String {
        let mut acc = double(d, coefs[0]);
        for c in &coefs[1..] {
            acc = format!("({acc} * {a} + {})", double(d, *c));
        }
        acc
    };
    let num = horner(&PHI_NUMERATOR);
    let den = horner(&PHI_DENOMINATOR);
    let e = format!("EXP(-{a} * {a} / {})", double(d, 2.0));
    let cont = format!(
        "({a} + {one} / ({a} + {two} / ({a} + {three} / ({a} + {four} / ({a} + {k})))))",
        one = double(d, 1.0),
        two = double(d, 2.0),
        three = double(d, 3.0),
        four = double(d, 4.0),
        k = double(d, 0.65)
    );
    let tail = format!(
        "CASE WHEN {a} > {} THEN {} WHEN {a} < {} THEN {e} * {num} / {den} ELSE {e} / {cont} / {} END",
        double(d, 37.0),
        double(d, 0.0),
        double(d, 7.07106781186547),
        double(d, 2.506628274631)
    );
    format!(
        "CASE WHEN {x} > {} THEN {} - ({tail}) ELSE {tail} END",
        double(d, 0.0),
        double(d, 1.0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rational approximation, evaluated in Rust exactly as the SQL writes it.
    fn phi(x: f64) -> f64 {
        let a = x.abs();
        let horner = |c: &[f64]| c[1..].iter().fold(c[0], |acc, k| acc * a + k);
        let (num, den) = (horner(&PHI_NUMERATOR), horner(&PHI_DENOMINATOR));
        let e = (-a * a / 2.0).exp();
        let tail = if a > 37.0 {
            0.0
        } else if a < 7.07106781186547 {
            e * num / den
        } else {
            e / (a + 1.0 / (a + 2.0 / (a + 3.0 / (a + 4.0 / (a + 0.65))))) / 2.506628274631
        };
        if x > 0.0 { 1.0 - tail } else { tail }
    }

    #[test]
    fn normal_cdf_agrees_with_erfc() {
        let mut worst = 0.0f64;
        let mut x = -9.0;
        while x <= 9.0 {
            let exact = 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2);
            worst = worst.max((phi(x) - exact).abs());
            x += 0.001;
        }
        assert!(worst < 1e-14, "worst absolute error {worst:e}");
    }

    /// The ten steps of the chain open `MATERIALIZED` for PostgreSQL, and only they (not the
    /// reference tables); plain for every other engine.
    #[test]
    fn postgres_steps_open_materialized() {
        let reference = Reference::bundled();
        let model = ProfilingModel::from_toml(
            "did.v1.toml",
            include_str!("../../../models/profiling/did.v1.toml"),
            reference,
        )
        .unwrap();
        let adr = crate::adr::AdrRules::from_toml(
            "adr",
            include_str!("../../../models/adr/delibera-anpal-14-2018.v1.toml"),
        )
        .unwrap();
        let steps = [
            "base",
            "periodi",
            "ordinati",
            "sospensioni",
            "giorni",
            "fine",
            "derivate",
            "termini",
            "predittore",
            "unita",
        ];
        for d in Dialect::ALL {
            let opts = SqlOptions {
                dialect: d,
                table: "persone".into(),
                as_of: None,
                engine_version: "test".into(),
                absent: vec![],
            };
            let sql = model_sql(&model, &adr, reference, &opts).unwrap();
            let opened = |how: &str| {
                sql.lines()
                    .filter(|l| l.ends_with(&format!(" {how} (")))
                    .map(|l| l.split(' ').next().unwrap_or(""))
                    .collect::<Vec<_>>()
            };
            if d == Dialect::Postgres {
                assert_eq!(opened("AS MATERIALIZED"), steps, "{d:?}");
                assert_eq!(
                    opened("AS"),
                    ["ref_provincia", "ref_cittadinanza", "ref_titolo"]
                );
            } else {
                assert!(opened("AS MATERIALIZED").is_empty(), "{d:?}");
                let plain = opened("AS");
                assert_eq!(plain[3..], steps, "{d:?}");
            }
        }
    }

    #[test]
    fn doubles_are_cast_from_their_shortest_text() {
        assert_eq!(double(Dialect::Duckdb, 0.15), "CAST('0.15' AS DOUBLE)");
        assert_eq!(
            double(Dialect::Postgres, -0.045),
            "CAST('-0.045' AS DOUBLE PRECISION)"
        );
        assert_eq!(double(Dialect::Spark, 1e6), "CAST('1000000.0' AS DOUBLE)");
    }

    #[test]
    fn table_names_are_identifiers() {
        assert!(check_table_name("people").is_ok());
        assert!(check_table_name("lake.anpal.did_2026").is_ok());
        for bad in [
            "",
            "people; DROP TABLE x",
            "a..b",
            "1people",
            "p-eople",
            "\"p\"",
        ] {
            assert!(check_table_name(bad).is_err(), "{bad}");
        }
    }
}

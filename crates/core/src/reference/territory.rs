//! Comuni with coordinates, provinces with their indicators, regions.

use rustc_hash::FxHashMap as HashMap;

use super::key::{CodeMap, DigitMap};

use super::csv_rows;
use crate::error::ModelError;

/// Index of a comune in [`Territory::comuni`].
pub type ComuneIdx = u16;
/// Index of a province in [`Territory::province`].
pub type ProvinciaIdx = u16;

/// A comune (municipality).
#[derive(Debug, Clone)]
pub struct Comune {
    /// ISTAT code, 6 digits (e.g. `058091` Roma).
    pub codice_istat: String,
    /// Official name.
    pub nome: String,
    /// Its province.
    pub provincia: ProvinciaIdx,
    /// 1 when it is a provincial capital.
    pub capoluogo: bool,
    /// Latitude of the area centroid (WGS84).
    pub lat: f64,
    /// Longitude of the area centroid (WGS84).
    pub lon: f64,
    /// Cadastral (Belfiore) code (`H501` Roma), as the SAP and the codice fiscale carry it.
    pub codice_catastale: String,
}

/// A province (unità territoriale sovracomunale).
#[derive(Debug, Clone)]
pub struct Provincia {
    /// ISTAT UTS code, 3 digits (e.g. `201` Torino).
    pub codice_uts: String,
    /// Historical ISTAT province code (`001` Torino).
    pub codice_storico: String,
    /// Car-plate abbreviation (`TO`).
    pub sigla: String,
    /// Name.
    pub nome: String,
    /// ISTAT region code, 2 digits.
    pub codice_regione: String,
    /// Number of comuni.
    pub n_comuni: u32,
    /// Named numeric indicators (e.g. `tasso_occupazione_20_64`), `None` where not published.
    indicators: Vec<Option<f64>>,
}

/// The territorial tables.
#[derive(Debug)]
pub struct Territory {
    comuni: Vec<Comune>,
    comune_by_code: DigitMap,
    comune_by_catastale: CodeMap<ComuneIdx>,
    province: Vec<Provincia>,
    provincia_by_code: CodeMap<ProvinciaIdx>,
    indicator_names: Vec<String>,
    regioni: HashMap<String, String>,
}

const COMUNI: &str = "data/territorio/comuni.csv";
const PROVINCE: &str = "data/territorio/province.csv";
/// Columns of `province.csv` before the indicators.
const PROVINCE_FIXED_COLUMNS: usize = 7;

impl Territory {
    pub(super) fn parse(comuni: &str, province: &str, regioni: &str) -> Result<Self, ModelError> {
        let header = province.lines().next().unwrap_or_default();
        let indicator_names: Vec<String> = header
            .split(',')
            .skip(PROVINCE_FIXED_COLUMNS)
            .map(str::to_owned)
            .collect();
        let mut t = Territory {
            comuni: Vec::new(),
            comune_by_code: DigitMap::default(),
            comune_by_catastale: CodeMap::default(),
            province: Vec::new(),
            provincia_by_code: CodeMap::default(),
            indicator_names,
            regioni: HashMap::default(),
        };
        for row in csv_rows(PROVINCE, province)? {
            t.push_provincia(&row)?;
        }
        for row in csv_rows(COMUNI, comuni)? {
            t.push_comune(&row)?;
        }
        t.comune_by_code = DigitMap::new(
            t.comuni
                .iter()
                .enumerate()
                .map(|(i, c)| (c.codice_istat.as_str(), i as ComuneIdx)),
        )
        .ok_or_else(|| ModelError::new(COMUNI, "codice_istat", "more than 65,534 comuni"))?;
        for row in csv_rows("data/territorio/regioni.csv", regioni)? {
            t.regioni.insert(row[0].to_owned(), row[1].to_owned());
        }
        Ok(t)
    }

    fn push_provincia(&mut self, row: &csv::StringRecord) -> Result<(), ModelError> {
        let idx = self.province.len() as ProvinciaIdx;
        let mut indicators = Vec::with_capacity(self.indicator_names.len());
        for (i, name) in self.indicator_names.iter().enumerate() {
            let raw = row.get(PROVINCE_FIXED_COLUMNS + i).unwrap_or("");
            let value = if raw.is_empty() {
                None
            } else {
                Some(raw.parse::<f64>().map_err(|_| {
                    ModelError::new(PROVINCE, name, format!("`{raw}` is not a number"))
                })?)
            };
            indicators.push(value);
        }
        let p = Provincia {
            codice_uts: row[0].to_owned(),
            codice_storico: row[1].to_owned(),
            sigla: row[2].to_owned(),
            nome: row[3].to_owned(),
            codice_regione: row[4].to_owned(),
            n_comuni: row[6].parse().unwrap_or(0),
            indicators,
        };
        for key in [&p.codice_uts, &p.codice_storico, &p.sigla] {
            self.provincia_by_code.insert(key, idx);
        }
        self.province.push(p);
        Ok(())
    }

    fn push_comune(&mut self, row: &csv::StringRecord) -> Result<(), ModelError> {
        let bad = |key: &str, v: &str| ModelError::new(COMUNI, key, format!("bad value `{v}`"));
        let provincia = self
            .provincia_by_code
            .get(&row[2])
            .ok_or_else(|| bad("codice_uts", &row[2]))?;
        let c = Comune {
            codice_istat: row[0].to_owned(),
            nome: row[1].to_owned(),
            provincia,
            capoluogo: &row[4] == "1",
            lat: row[5].parse().map_err(|_| bad("lat", &row[5]))?,
            lon: row[6].parse().map_err(|_| bad("lon", &row[6]))?,
            codice_catastale: row.get(7).unwrap_or("").to_owned(),
        };
        let idx = self.comuni.len() as ComuneIdx;
        if !c.codice_catastale.is_empty() {
            self.comune_by_catastale.insert(&c.codice_catastale, idx);
        }
        self.comuni.push(c);
        Ok(())
    }

    /// All comuni, in ISTAT code order.
    pub fn comuni(&self) -> &[Comune] {
        &self.comuni
    }

    /// All provinces.
    pub fn province(&self) -> &[Provincia] {
        &self.province
    }

    /// A comune by its 6-digit ISTAT code.
    pub fn comune(&self, codice_istat: &str) -> Option<ComuneIdx> {
        self.comune_by_code.get(codice_istat)
    }

    /// A comune by its cadastral (Belfiore) code, `H501` Roma: the code the SAP and the codice
    /// fiscale carry.
    pub fn comune_catastale(&self, codice: &str) -> Option<ComuneIdx> {
        self.comune_by_catastale.get(codice)
    }

    /// A province by UTS code (`201`), historical code (`001`) or sigla (`TO`).
    pub fn provincia(&self, code: &str) -> Option<ProvinciaIdx> {
        self.provincia_by_code.get(code)
    }

    /// The name of a region by its 2-digit code.
    pub fn regione_nome(&self, codice_regione: &str) -> Option<&str> {
        self.regioni.get(codice_regione).map(String::as_str)
    }

    /// The position of a provincial indicator column, if the table has it.
    pub fn indicator_column(&self, name: &str) -> Option<usize> {
        self.indicator_names.iter().position(|n| n == name)
    }

    /// The names of the provincial indicator columns.
    pub fn indicator_names(&self) -> &[String] {
        &self.indicator_names
    }

    /// An indicator value of a province (`None` where not published).
    pub fn indicator(&self, provincia: ProvinciaIdx, column: usize) -> Option<f64> {
        self.province[provincia as usize]
            .indicators
            .get(column)
            .copied()
            .flatten()
    }

    /// Great-circle distance in km between two comuni centroids (haversine, R = 6371.0088 km).
    pub fn distance_km(&self, a: ComuneIdx, b: ComuneIdx) -> f64 {
        let (a, b) = (&self.comuni[a as usize], &self.comuni[b as usize]);
        haversine_km(a.lat, a.lon, b.lat, b.lon)
    }
}

/// Haversine distance in km (mean Earth radius 6371.0088 km).
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    haversine_km_cos(point(lat1, lon1), point(lat2, lon2))
}

/// The Earth's mean radius (IUGG), km: the sphere every distance here is measured on.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A point as [`haversine_km_cos`] takes it: latitude and longitude in degrees, and the cosine
/// of the latitude in radians (computed once per point).
pub type Point = (f64, f64, f64);

/// The [`Point`] of a latitude and longitude.
pub fn point(lat: f64, lon: f64) -> Point {
    (lat, lon, lat.to_radians().cos())
}

/// [`haversine_km`] between two points whose cosines are already known (a search computes each
/// candidate's once): the same arithmetic, so the same result to the bit.
pub fn haversine_km_cos(a: Point, b: Point) -> f64 {
    const R: f64 = EARTH_RADIUS_KM;
    let ((lat1, lon1, cos1), (lat2, lon2, cos2)) = (a, b);
    let dp = lat2.to_radians() - lat1.to_radians();
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + cos1 * cos2 * (dl / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use crate::reference::Reference;

    #[test]
    fn province_codes_resolve_three_ways() {
        let t = &Reference::bundled().territory;
        let to = t.provincia("201").unwrap();
        assert_eq!(t.provincia("001"), Some(to));
        assert_eq!(t.provincia("TO"), Some(to));
        assert_eq!(t.province()[to as usize].nome, "Torino");
        assert_eq!(t.provincia("999"), None);
    }

    #[test]
    fn distances_match_the_data_readme() {
        // data README of shared/territorio: Roma–Milano 478.0 km, Torino–Milano 125.0 km.
        let t = &Reference::bundled().territory;
        let roma = t.comune("058091").unwrap();
        let milano = t.comune("015146").unwrap();
        let torino = t.comune("001272").unwrap();
        assert!((t.distance_km(roma, milano) - 478.0).abs() < 0.05);
        assert!((t.distance_km(torino, milano) - 125.0).abs() < 0.05);
    }

    proptest::proptest! {
        /// What the offers scan rejects by latitude alone rests on this: a great circle is
        /// never shorter than its difference of latitude, R·|Δφ| (within 1 m of rounding),
        /// and the distance with a point's cosine computed once is the distance.
        #[test]
        fn a_distance_is_never_below_its_difference_of_latitude(
            lat1 in 35.0f64..48.0, lon1 in 6.0f64..19.0, lat2 in 35.0f64..48.0, lon2 in 6.0f64..19.0,
        ) {
            let d = super::haversine_km(lat1, lon1, lat2, lon2);
            let floor = super::EARTH_RADIUS_KM * (lat2.to_radians() - lat1.to_radians()).abs();
            proptest::prop_assert!(d + 1e-3 >= floor, "{d} < {floor}");
            let cached = super::haversine_km_cos(super::point(lat1, lon1), super::point(lat2, lon2));
            proptest::prop_assert_eq!(d.to_bits(), cached.to_bits());
        }
    }

    #[test]
    fn employment_rate_is_joined() {
        let t = &Reference::bundled().territory;
        let col = t.indicator_column("tasso_occupazione_20_64").unwrap();
        let bz = t.provincia("BZ").unwrap();
        let ta = t.provincia("TA").unwrap();
        assert_eq!(t.indicator(bz, col), Some(79.9));
        assert_eq!(t.indicator(ta, col), Some(44.2));
    }
}

//! The catalog of models and rule sets: the versioned files under `models/`.
//!
//! The released files are compiled into the binary (`include_str!`), so a fresh clone works
//! with no configuration; `--models DIR` loads a directory with the same layout instead (a
//! Region's official coefficients, a fitted model). Lookups take `id` (the highest version) or
//! `id@vN`.

use std::path::Path;

use incrocio_core::error::{Error, ModelError};
use incrocio_core::reference::Reference;
use incrocio_graduatoria::GraduatoriaRules;
use incrocio_profiling::{AdrRules, ProfilingModel};

/// The model files released with this build, by path relative to the repository root.
pub const BUNDLED: &[(&str, &str)] = &[
    (
        "models/profiling/did.v1.toml",
        include_str!("../../../models/profiling/did.v1.toml"),
    ),
    (
        "models/profiling/garanzia-giovani.v1.toml",
        include_str!("../../../models/profiling/garanzia-giovani.v1.toml"),
    ),
    (
        "models/profiling/garanzia-giovani.v2.toml",
        include_str!("../../../models/profiling/garanzia-giovani.v2.toml"),
    ),
    (
        "models/adr/delibera-anpal-14-2018.v1.toml",
        include_str!("../../../models/adr/delibera-anpal-14-2018.v1.toml"),
    ),
    (
        "models/graduatorie/art16-emilia-romagna.v1.toml",
        include_str!("../../../models/graduatorie/art16-emilia-romagna.v1.toml"),
    ),
    (
        "models/graduatorie/art16-campania.v1.toml",
        include_str!("../../../models/graduatorie/art16-campania.v1.toml"),
    ),
    (
        "models/graduatorie/art16-veneto.v1.toml",
        include_str!("../../../models/graduatorie/art16-veneto.v1.toml"),
    ),
    (
        "models/graduatorie/art16-lombardia.v1.toml",
        include_str!("../../../models/graduatorie/art16-lombardia.v1.toml"),
    ),
    (
        "models/graduatorie/art16-umbria.v1.toml",
        include_str!("../../../models/graduatorie/art16-umbria.v1.toml"),
    ),
    (
        "models/graduatorie/l68-nazionale-dpr246.v1.toml",
        include_str!("../../../models/graduatorie/l68-nazionale-dpr246.v1.toml"),
    ),
    (
        "models/graduatorie/l68-piemonte.v1.toml",
        include_str!("../../../models/graduatorie/l68-piemonte.v1.toml"),
    ),
];

/// Every loaded model and rule set.
#[derive(Debug, Clone)]
pub struct Catalog {
    profiling: Vec<ProfilingModel>,
    adr: Vec<AdrRules>,
    graduatorie: Vec<GraduatoriaRules>,
}

impl Catalog {
    /// The models compiled into this build.
    pub fn bundled(reference: &Reference) -> Result<Catalog, ModelError> {
        Catalog::from_files(
            BUNDLED.iter().map(|(p, t)| {
                // `models/<kind>/<file>`: the kind is the path's second component.
                let kind = match p.split('/').nth(1) {
                    Some("adr") => "adr",
                    Some("graduatorie") => "graduatorie",
                    _ => "profiling",
                };
                (kind, (*p).to_owned(), (*t).to_owned())
            }),
            reference,
        )
    }

    /// Loads `DIR/profiling/*.toml`, `DIR/adr/*.toml` and `DIR/graduatorie/*.toml` (absent
    /// subdirectories are skipped). A `DIR` that is not a directory, or holds none of the
    /// three, is an error: never an empty catalog that "passes".
    pub fn from_dir(dir: &Path, reference: &Reference) -> Result<Catalog, Error> {
        if !dir.is_dir() {
            return Err(Error::io(
                dir,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the models directory does not exist or is not a directory",
                ),
            ));
        }
        if !["profiling", "adr", "graduatorie"]
            .iter()
            .any(|k| dir.join(k).is_dir())
        {
            return Err(Error::io(
                dir,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no profiling/, adr/ or graduatorie/ subdirectory: not a models directory",
                ),
            ));
        }
        let mut files = Vec::new();
        for kind in ["profiling", "adr", "graduatorie"] {
            let sub = dir.join(kind);
            if !sub.is_dir() {
                continue;
            }
            let entries = std::fs::read_dir(&sub).map_err(|e| Error::io(&sub, e))?;
            let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.retain(|p| p.extension().is_some_and(|x| x == "toml"));
            paths.sort();
            for p in paths {
                let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
                files.push((kind, p.display().to_string(), text));
            }
        }
        Ok(Catalog::from_files(files.into_iter(), reference)?)
    }

    /// Loads `(kind, file name, text)` triples; the kind is the subdirectory the file came
    /// from (`profiling`, `adr`, `graduatorie`), never guessed from the path.
    fn from_files(
        files: impl Iterator<Item = (&'static str, String, String)>,
        reference: &Reference,
    ) -> Result<Catalog, ModelError> {
        let mut c = Catalog {
            profiling: Vec::new(),
            adr: Vec::new(),
            graduatorie: Vec::new(),
        };
        for (kind, path, text) in files {
            match kind {
                "adr" => c.adr.push(AdrRules::from_toml(&path, &text)?),
                "graduatorie" => c
                    .graduatorie
                    .push(GraduatoriaRules::from_toml(&path, &text)?),
                _ => c
                    .profiling
                    .push(ProfilingModel::from_toml(&path, &text, reference)?),
            }
        }
        for (i, m) in c.profiling.iter().enumerate() {
            if c.profiling[..i]
                .iter()
                .any(|o| o.id == m.id && o.version == m.version)
            {
                return Err(ModelError::new(
                    &m.file,
                    "version",
                    format!("{} is defined twice", m.key()),
                ));
            }
        }
        c.profiling
            .sort_by(|a, b| (&a.id, a.version).cmp(&(&b.id, b.version)));
        c.adr
            .sort_by(|a, b| (&a.id, a.version).cmp(&(&b.id, b.version)));
        c.graduatorie
            .sort_by(|a, b| (&a.id, a.version).cmp(&(&b.id, b.version)));
        Ok(c)
    }

    /// All profiling models, by id then version.
    pub fn profiling_models(&self) -> &[ProfilingModel] {
        &self.profiling
    }

    /// All AdR rule sets.
    pub fn adr_rules(&self) -> &[AdrRules] {
        &self.adr
    }

    /// All graduatoria rule sets.
    pub fn graduatoria_rules(&self) -> &[GraduatoriaRules] {
        &self.graduatorie
    }

    /// A graduatoria rule set by `id` or `id@vN`.
    pub fn graduatoria(&self, spec: &str) -> Result<&GraduatoriaRules, ModelError> {
        find(&self.graduatorie, spec, |r| (&r.id, r.version))
    }

    /// A profiling model by `id` (highest version) or `id@vN`.
    pub fn profiling(&self, spec: &str) -> Result<&ProfilingModel, ModelError> {
        find(&self.profiling, spec, |m| (&m.id, m.version))
    }

    /// AdR rules by `id` or `id@vN`; `None` picks the highest version of the first id.
    pub fn adr(&self, spec: Option<&str>) -> Result<&AdrRules, ModelError> {
        match spec {
            Some(s) => find(&self.adr, s, |r| (&r.id, r.version)),
            None => self
                .adr
                .last()
                .ok_or_else(|| ModelError::new("models/adr", "", "no AdR rules loaded")),
        }
    }
}

fn find<'a, T>(
    items: &'a [T],
    spec: &str,
    key: impl Fn(&T) -> (&String, u32),
) -> Result<&'a T, ModelError> {
    let (id, version) = match spec.split_once("@v") {
        Some((id, v)) => {
            let v = v
                .parse::<u32>()
                .map_err(|_| ModelError::new(spec, "version", "expected `id@vN`"))?;
            (id, Some(v))
        }
        None => (spec, None),
    };
    items
        .iter()
        .filter(|m| key(m).0 == id && version.is_none_or(|v| key(m).1 == v))
        .max_by_key(|m| key(m).1)
        .ok_or_else(|| ModelError::new(spec, "id", "no such model or version in the catalog"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_file_loads() {
        let c = Catalog::bundled(Reference::bundled()).unwrap();
        assert_eq!(c.profiling_models().len(), 3);
        assert_eq!(c.profiling("did").unwrap().version, 1);
        assert_eq!(c.profiling("garanzia-giovani").unwrap().version, 2);
        assert_eq!(
            c.profiling("garanzia-giovani@v1").unwrap().classes.cutoffs,
            vec![650_716, 805_638, 897_500]
        );
        assert!(c.profiling("did@v9").is_err());
        assert_eq!(c.adr(None).unwrap().id, "adr-delibera-anpal-14-2018");
        assert_eq!(c.graduatoria_rules().len(), 7);
    }
}

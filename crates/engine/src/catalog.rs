//! The one catalog of models and rule sets of every kind: the versioned files under
//! `models/` (profiling models, AdR rules, graduatoria rule sets, matching models, congruity
//! rule sets, skills models).
//!
//! The released files are compiled into the binary (`include_str!`, listed once in
//! [`BUNDLED`]), so a fresh clone works with no configuration; a bundled file that does not
//! parse is an error when the catalog is made, never an empty set. `--models DIR` (or
//! `INCROCIO_MODELS`) loads a directory with the same layout instead (a Region's official
//! coefficients, a fitted model, a tuned matching model). Lookups take `id` (the highest
//! version) or `id@vN`.

use std::path::Path;

use incrocio_congruita::RuleSet;
use incrocio_core::error::{Error, ModelError};
use incrocio_core::reference::Reference;
use incrocio_graduatoria::GraduatoriaRules;
use incrocio_matching::{MatchingModel, SkillsModel};
use incrocio_profiling::{AdrRules, ProfilingModel};

/// The model files released with this build, by path relative to the repository root.
pub const BUNDLED: &[(&str, &str)] = &[
    (
        "models/profiling/did.v1.toml",
        include_str!("../../../models/profiling/did.v1.toml"),
    ),
    (
        "models/profiling/did.v2.toml",
        include_str!("../../../models/profiling/did.v2.toml"),
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
        "models/profiling/garanzia-giovani.v3.toml",
        include_str!("../../../models/profiling/garanzia-giovani.v3.toml"),
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
    (
        "models/matching/default.v1.toml",
        include_str!("../../../models/matching/default.v1.toml"),
    ),
    (
        "models/matching/default.v2.toml",
        include_str!("../../../models/matching/default.v2.toml"),
    ),
    (
        "models/matching/default.v3.toml",
        include_str!("../../../models/matching/default.v3.toml"),
    ),
    (
        "models/matching/default.v4.toml",
        include_str!("../../../models/matching/default.v4.toml"),
    ),
    (
        "models/matching/default.v5.toml",
        include_str!("../../../models/matching/default.v5.toml"),
    ),
    (
        "models/matching/default.v6.toml",
        include_str!("../../../models/matching/default.v6.toml"),
    ),
    (
        "models/skills/default.v1.toml",
        include_str!("../../../models/skills/default.v1.toml"),
    ),
    (
        "models/congruita/dm-2018-04-10.v1.toml",
        include_str!("../../../models/congruita/dm-2018-04-10.v1.toml"),
    ),
    (
        "models/congruita/dm-2018-04-10.v2.toml",
        include_str!("../../../models/congruita/dm-2018-04-10.v2.toml"),
    ),
];

/// The kinds of file, each the subdirectory of `models/` that holds it.
pub const KINDS: [&str; 6] = [
    "profiling",
    "adr",
    "graduatorie",
    "matching",
    "congruita",
    "skills",
];

/// The skills model the skills analysis uses unless told otherwise (its highest version).
pub const DEFAULT_SKILLS: &str = "default";

/// The matching model a service uses unless told otherwise (its highest version).
pub const DEFAULT_MATCHING: &str = "default";

/// Every loaded model and rule set.
#[derive(Debug, Clone)]
pub struct Catalog {
    profiling: Vec<ProfilingModel>,
    adr: Vec<AdrRules>,
    graduatorie: Vec<GraduatoriaRules>,
    matching: Vec<MatchingModel>,
    congruita: Vec<RuleSet>,
    skills: Vec<SkillsModel>,
    did_codes: incrocio_exchange::did::DidCodes,
}

impl Catalog {
    /// The models compiled into this build.
    pub fn bundled(reference: &Reference) -> Result<Catalog, ModelError> {
        Catalog::from_files(KINDS.into_iter().flat_map(bundled_of), reference)
    }

    /// Loads `DIR/<kind>/*.toml` for each of the [`KINDS`]: a kind's subdirectory, when
    /// present, replaces the bundled files of that kind; a kind `DIR` lacks keeps the bundled
    /// files (`models list` shows what was loaded, with digests). A `DIR` that is not a
    /// directory, or holds none of the kinds, is an error: never a catalog that "passes".
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
        if !KINDS.iter().any(|k| dir.join(k).is_dir()) {
            return Err(Error::io(
                dir,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no profiling/, adr/, graduatorie/, matching/, congruita/ or skills/ subdirectory: not a models directory",
                ),
            ));
        }
        let mut files = Vec::new();
        for kind in KINDS {
            let sub = dir.join(kind);
            if !sub.is_dir() {
                files.extend(bundled_of(kind));
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
        let mut c = Catalog::from_files(files.into_iter(), reference)?;
        // A Region's DID code tables (`DIR/did-codici/*.toml`) extend the bundled one.
        let sub = dir.join("did-codici");
        if sub.is_dir() {
            let entries = std::fs::read_dir(&sub).map_err(|e| Error::io(&sub, e))?;
            let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.retain(|p| p.extension().is_some_and(|x| x == "toml"));
            paths.sort();
            for p in paths {
                c.extend_did_codes(&p)?;
            }
        }
        Ok(c)
    }

    /// Adds a Region's DID code table (`data/codici/did-codici.v1.toml` has the shape).
    pub fn extend_did_codes(&mut self, path: &Path) -> Result<(), Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        self.did_codes
            .extend(&path.display().to_string(), &text)
            .map_err(Error::Model)
    }

    /// The DID code tables: which record value each DID code means.
    pub fn did_codes(&self) -> &incrocio_exchange::did::DidCodes {
        &self.did_codes
    }

    /// Loads `(kind, file name, text)` triples; the kind is the subdirectory the file came
    /// from (one of [`KINDS`]), never guessed from the path.
    fn from_files(
        files: impl Iterator<Item = (&'static str, String, String)>,
        reference: &Reference,
    ) -> Result<Catalog, ModelError> {
        let mut c = Catalog {
            profiling: Vec::new(),
            adr: Vec::new(),
            graduatorie: Vec::new(),
            matching: Vec::new(),
            congruita: Vec::new(),
            skills: Vec::new(),
            did_codes: incrocio_exchange::did::DidCodes::bundled()?,
        };
        let mut keys: Vec<(&'static str, String, u32)> = Vec::new();
        for (kind, path, text) in files {
            let (id, version) = match kind {
                "adr" => {
                    let r = AdrRules::from_toml(&path, &text)?;
                    let k = (r.id.clone(), r.version);
                    c.adr.push(r);
                    k
                }
                "graduatorie" => {
                    let r = GraduatoriaRules::from_toml(&path, &text)?;
                    let k = (r.id.clone(), r.version);
                    c.graduatorie.push(r);
                    k
                }
                "matching" => {
                    let m = MatchingModel::parse(&path, &text)?;
                    let k = (m.id.clone(), m.version);
                    c.matching.push(m);
                    k
                }
                "skills" => {
                    let m = SkillsModel::parse(&path, &text)?;
                    let k = (m.id.clone(), m.version);
                    c.skills.push(m);
                    k
                }
                "congruita" => {
                    let r = RuleSet::parse(&path, &text)?;
                    let k = (r.file.id.clone(), r.file.version);
                    c.congruita.push(r);
                    k
                }
                _ => {
                    let m = ProfilingModel::from_toml(&path, &text, reference)?;
                    let k = (m.id.clone(), m.version);
                    c.profiling.push(m);
                    k
                }
            };
            // One file per id and version within a kind: a second one is an error, never a
            // silent choice.
            if keys
                .iter()
                .any(|(k, i, v)| *k == kind && *i == id && *v == version)
            {
                return Err(ModelError::new(
                    &path,
                    "version",
                    format!("{id}@v{version} is defined twice"),
                ));
            }
            keys.push((kind, id, version));
        }
        c.profiling
            .sort_by(|a, b| (&a.id, a.version).cmp(&(&b.id, b.version)));
        c.adr
            .sort_by(|a, b| (&a.id, a.version).cmp(&(&b.id, b.version)));
        c.graduatorie
            .sort_by(|a, b| (&a.id, a.version).cmp(&(&b.id, b.version)));
        c.matching
            .sort_by(|a, b| (&a.id, a.version).cmp(&(&b.id, b.version)));
        c.congruita
            .sort_by(|a, b| (&a.file.id, a.file.version).cmp(&(&b.file.id, b.file.version)));
        c.skills
            .sort_by(|a, b| (&a.id, a.version).cmp(&(&b.id, b.version)));
        Ok(c)
    }

    /// All skills models, by id then version.
    pub fn skills_models(&self) -> &[SkillsModel] {
        &self.skills
    }

    /// The skills model `id` (highest version) or `id@vN`.
    pub fn skills(&self, spec: &str) -> Result<&SkillsModel, ModelError> {
        find(&self.skills, spec, |m| (&m.id, m.version))
    }

    /// All matching models, by id then version.
    pub fn matching_models(&self) -> &[MatchingModel] {
        &self.matching
    }

    /// A matching model by `id` (highest version) or `id@vN`.
    pub fn matching(&self, spec: &str) -> Result<&MatchingModel, ModelError> {
        find(&self.matching, spec, |m| (&m.id, m.version))
    }

    /// All congruity rule sets, by id then version.
    pub fn congruity_rules(&self) -> &[RuleSet] {
        &self.congruita
    }

    /// A congruity rule set by `id` (highest version) or `id@vN`.
    pub fn congruity(&self, spec: &str) -> Result<&RuleSet, ModelError> {
        find(&self.congruita, spec, |r| (&r.file.id, r.file.version))
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

/// The bundled files of one kind, `models/<kind>/<file>`, as `(kind, path, text)`.
fn bundled_of(kind: &'static str) -> impl Iterator<Item = (&'static str, String, String)> {
    BUNDLED
        .iter()
        .filter(move |(p, _)| p.split('/').nth(1) == Some(kind))
        .map(move |(p, t)| (kind, (*p).to_owned(), (*t).to_owned()))
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
        assert_eq!(c.profiling_models().len(), 5);
        assert_eq!(c.profiling("did").unwrap().version, 2);
        assert_eq!(c.profiling("garanzia-giovani").unwrap().version, 3);
        // v3 is v2 with the missing-answer policies: the official class table is the same.
        assert_eq!(
            c.profiling("garanzia-giovani@v3").unwrap().classes.cutoffs,
            c.profiling("garanzia-giovani@v2").unwrap().classes.cutoffs
        );
        assert_eq!(
            c.profiling("garanzia-giovani@v1").unwrap().classes.cutoffs,
            vec![650_716, 805_638, 897_500]
        );
        assert!(c.profiling("did@v9").is_err());
        assert_eq!(c.adr(None).unwrap().id, "adr-delibera-anpal-14-2018");
        assert_eq!(c.graduatoria_rules().len(), 7);
        // Every bundled file lies under one kind's directory, so none is left out.
        let kinds: usize = KINDS.into_iter().map(|k| bundled_of(k).count()).sum();
        assert_eq!(kinds, BUNDLED.len());
        assert_eq!(c.matching(DEFAULT_MATCHING).unwrap().version, 6);
        assert_eq!(c.matching("default@v1").unwrap().version, 1);
        // The title model default@v4 to @v6 state is the one `incrocio train titles` wrote.
        let title_model: toml::Table =
            toml::from_str(include_str!("../../../models/titles/ngram.v1.toml")).unwrap();
        for spec in ["default@v4", "default@v5", "default@v6"] {
            let m = &c.matching(spec).unwrap().titles;
            assert_eq!(title_model["top_k"].as_integer(), Some(i64::from(m.top_k)));
            assert_eq!(title_model["temperature"].as_float(), Some(m.temperature));
            assert_eq!(title_model["min_cosine"].as_float(), Some(m.min_cosine));
        }
        assert_eq!(c.congruity("dm-2018-04-10").unwrap().file.version, 2);
        assert!(c.congruity("dm-2018-04-10@v9").is_err());
        let sk = c.skills(DEFAULT_SKILLS).unwrap();
        assert_eq!((sk.key().as_str(), sk.fit.score), ("default@v1", 0.5));
    }

    /// `--models DIR` reaches every kind: a matching model placed there is the one found, a
    /// file that does not parse stops the load, named, and so does a second file of one id
    /// and version.
    #[test]
    fn a_models_directory_reaches_every_kind() {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in BUNDLED {
            let to = dir.path().join(path.trim_start_matches("models/"));
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::write(&to, text).unwrap();
        }
        let v6 = dir.path().join("matching/default.v6.toml");
        let tuned = std::fs::read_to_string(&v6)
            .unwrap()
            .replacen("version = 6", "version = 7", 1);
        std::fs::write(dir.path().join("matching/default.v7.toml"), tuned).unwrap();
        let c = Catalog::from_dir(dir.path(), Reference::bundled()).unwrap();
        assert_eq!(c.matching(DEFAULT_MATCHING).unwrap().version, 7);
        assert_eq!(c.congruity_rules().len(), 2);
        std::fs::write(dir.path().join("congruita/broken.v1.toml"), "id = ").unwrap();
        let e = Catalog::from_dir(dir.path(), Reference::bundled()).unwrap_err();
        assert!(e.to_string().contains("broken.v1.toml"), "{e}");
        std::fs::remove_file(dir.path().join("congruita/broken.v1.toml")).unwrap();
        std::fs::copy(&v6, dir.path().join("matching/copy.toml")).unwrap();
        let e = Catalog::from_dir(dir.path(), Reference::bundled()).unwrap_err();
        assert!(e.to_string().contains("defined twice"), "{e}");
    }
}

//! The workspace's shape, as ARCHITECTURE.md states it: its crate table is every crate and
//! each one's incrocio dependencies, no crate depends on one below it, and each foreign
//! technology is named only by its own crate's manifest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The rows of the Markdown table that follows `marker` in ARCHITECTURE.md, as cells.
fn table(marker: &str) -> Vec<Vec<String>> {
    let doc = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let start = doc
        .find(marker)
        .unwrap_or_else(|| panic!("no `{marker}` in ARCHITECTURE.md"));
    doc[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .skip(2) // header and separator
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().replace('`', ""))
                .collect()
        })
        .collect()
}

/// Every manifest of the workspace: the root package and `crates/*`, by package name.
fn manifests() -> BTreeMap<String, toml::Table> {
    let mut paths = vec![root().join("Cargo.toml")];
    for e in std::fs::read_dir(root().join("crates")).unwrap() {
        let p = e.unwrap().path().join("Cargo.toml");
        assert!(p.is_file(), "{} has no Cargo.toml", p.display());
        paths.push(p);
    }
    paths
        .into_iter()
        .map(|p| {
            let t: toml::Table = toml::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let name = t["package"]["name"].as_str().unwrap().to_owned();
            (name, t)
        })
        .collect()
}

/// The names of a manifest's dependencies of one section (`dependencies`, `dev-dependencies`).
fn deps(m: &toml::Table, section: &str) -> BTreeSet<String> {
    m.get(section)
        .and_then(|d| d.as_table())
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default()
}

fn cell_list(cell: &str) -> BTreeSet<String> {
    if cell == "—" {
        return BTreeSet::new();
    }
    cell.split(',')
        .map(|c| format!("incrocio-{}", c.trim()))
        .collect()
}

#[test]
fn the_crate_table_is_the_workspace_and_no_crate_depends_on_one_below_it() {
    let rows = table("<!-- crates:");
    let manifests = manifests();
    let listed: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        listed.iter().copied().collect::<BTreeSet<_>>(),
        manifests.keys().map(String::as_str).collect(),
        "ARCHITECTURE.md's crate table and the workspace's manifests list different crates"
    );
    for (row, r) in rows.iter().enumerate() {
        let name = &r[0];
        let m = &manifests[name];
        let stated = cell_list(&r[1]);
        let actual: BTreeSet<String> = deps(m, "dependencies")
            .into_iter()
            .filter(|d| d.starts_with("incrocio-"))
            .collect();
        assert_eq!(
            stated, actual,
            "{name}: the table's `depends on` and its Cargo.toml differ"
        );
        let above: BTreeSet<&str> = listed[..row].iter().copied().collect();
        let dev = deps(m, "dev-dependencies");
        for d in actual
            .iter()
            .chain(dev.iter().filter(|d| d.starts_with("incrocio-")))
        {
            assert!(
                above.contains(d.as_str()),
                "{name} depends on {d}, which is not above it in the table"
            );
        }
    }
}

#[test]
fn each_foreign_technology_is_named_by_its_own_crate_only() {
    let manifests = manifests();
    let rows = table("<!-- technologies:");
    assert!(!rows.is_empty());
    for r in rows {
        let owner = &r[1];
        assert!(manifests.contains_key(owner), "{owner} is not a crate");
        for tech in r[0].split(',').map(str::trim) {
            for (name, m) in &manifests {
                let names = deps(m, "dependencies");
                // The root package's tests may read what any crate writes (dev-dependencies).
                let uses = names.contains(tech)
                    || (name != "incrocio" && deps(m, "dev-dependencies").contains(tech));
                assert!(
                    !uses || name == owner,
                    "{name} names {tech}, which belongs to {owner} alone"
                );
            }
        }
    }
}

/// The graduatoria crate builds without the heavy technologies (the point of the split: its
/// tests compile in seconds).
#[test]
fn the_graduatoria_crate_pulls_no_polars_tantivy_or_axum() {
    let out = crate::cli::succeeds(
        std::process::Command::new(env!("CARGO"))
            .args([
                "tree",
                "--offline",
                "-e",
                "normal",
                "-p",
                "incrocio-graduatoria",
                "--prefix",
                "none",
            ])
            .current_dir(root()),
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    for heavy in ["polars ", "tantivy ", "axum ", "hyper ", "roxmltree "] {
        assert!(
            !tree.contains(heavy),
            "incrocio-graduatoria depends on {heavy}"
        );
    }
    assert!(tree.contains("rust_decimal "), "{tree}");
}

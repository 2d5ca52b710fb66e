#!/usr/bin/env python3
"""Compact ESCO + CP2011 tables for matching, and the CP2011 -> ESCO occupation linkage.

Reads ../shared/data (ESCO 1.1.1 en + relations, ESCO 1.0.8 it labels via the derived table,
ISTAT CP2011 units and voci); writes data/esco/*.tsv and data/cp2011/*.tsv. Run from anywhere:
    python3 data/prepare_taxonomy.py
Deterministic: same inputs, same bytes.

Linkage method (no official CP2011 <-> ISCO-08 table was available offline, see data/README.md):
  1. Candidate ESCO occupations for a CP2011 unit are restricted to the ISCO-08 major groups that
     correspond to the unit's CP2011 grande gruppo (CP2011 was built on ISCO-08's structure:
     1->1, 2->2, 3->3, 4->4, 5->5, 6->6/7, 7->8, 8->9, 9->0).
  2. Each side becomes a bag of normalised Italian tokens: lower case, accents folded, stop words
     dropped, each token cut to its first 6 characters (a crude stemmer that merges gender and
     number: operatore/operatrice/operatori -> operat). CP2011: unit title + every voce.
     ESCO: preferred label + alternative labels (Italian, ESCO 1.0.8).
  3. Score = TF-IDF cosine between the two bags (IDF over ESCO occupations), plus 1.0 when a
     CP2011 voce equals an ESCO Italian label exactly after normalisation.
  4. Keep up to 3 ESCO occupations per unit with score >= 0.25 and >= 60% of the unit's best.
Coverage and a score per link are written; links are suggestions of a lexical method, not an
official correspondence.
"""
import csv, gzip, io, math, pathlib, re, unicodedata
from collections import Counter, defaultdict

ROOT = pathlib.Path(__file__).resolve().parent
SHARED = ROOT.parent.parent / "shared" / "data"
ESCO = SHARED / "esco"


def tsv(path, header, rows):
    with open(ROOT / path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        w.writerows(rows)


def gz_csv(path, **kw):
    return csv.DictReader(io.TextIOWrapper(gzip.open(path), encoding="utf-8"), **kw)


def uuid(uri):
    return uri.rsplit("/", 1)[1]


def clean(s):
    return " ".join(s.replace("\t", " ").split())


# --- ESCO occupations (IT + EN labels) ---------------------------------------------------------
occ = sorted(gz_csv(ESCO / "derived/occupations_it_en_v1.1.1.tsv.gz", delimiter="\t"),
             key=lambda r: r["conceptUri"])
occ_idx = {r["conceptUri"]: i for i, r in enumerate(occ)}
tsv("esco/occupations.tsv",
    ["id", "uuid", "isco", "code", "label_it", "alt_it", "label_en", "alt_en"],
    [[i, uuid(r["conceptUri"]), r["iscoGroup"], r["escoCode"], clean(r["preferredLabel_it"]),
      clean(r["altLabels_it"]), clean(r["preferredLabel_en"]), clean(r["altLabels_en"])]
     for i, r in enumerate(occ)])

# --- ESCO skills (EN labels only: no Italian skill labels are available) -----------------------
skills = sorted(gz_csv(ESCO / "v1.1.1/en/skills_en.csv.gz"), key=lambda r: r["conceptUri"])
skill_idx = {r["conceptUri"]: i for i, r in enumerate(skills)}
kind = {"skill/competence": "s", "knowledge": "k", "": "s"}
tsv("esco/skills.tsv", ["id", "uuid", "type", "reuse", "label_en"],
    [[i, uuid(r["conceptUri"]), kind[r["skillType"]], r["reuseLevel"], clean(r["preferredLabel"])]
     for i, r in enumerate(skills)])

rel = []
for r in gz_csv(ESCO / "v1.1.1/relations/occupationSkillRelations.csv.gz"):
    o, s = occ_idx.get(r["occupationUri"]), skill_idx.get(r["skillUri"])
    if o is not None and s is not None:
        rel.append((o, s, 1 if r["relationType"] == "essential" else 0))
rel.sort()
tsv("esco/occupation_skills.tsv", ["occupation", "skill", "essential"], rel)

# --- CP2011 -------------------------------------------------------------------------------------
CP = SHARED / "classificazioni/cp2011"
units = [r for r in csv.DictReader(open(CP / "cp2011_struttura.csv", encoding="utf-8"))
         if r["livello"] == "5"]
voci = list(csv.DictReader(open(CP / "cp2011_voci_professionali.csv", encoding="utf-8")))
tsv("cp2011/unita.tsv", ["codice", "nome"], [[u["codice"], clean(u["nome"])] for u in units])
tsv("cp2011/voci.tsv", ["codice_unita", "nome"],
    sorted([v["codice_unita"], clean(v["nome"])] for v in voci))
# The 6-level voce codes alone (the SAP's `codprofessione` carries them): read by the SAP importer,
# outside the taxonomy digest so that indexes built before stay valid.
voce_codes = sorted({v["codice_voce"] for v in voci}, key=lambda c: [int(x) for x in c.split(".")])
assert all(c.rsplit(".", 1)[0] == v["codice_unita"] for v in voci for c in [v["codice_voce"]])
(ROOT / "cp2011/voci_codici.txt").write_text(
    "# CP2011 voci professionali: the 6-level codes ISTAT gives (unit code + sequence), one per line.\n"
    "# Source: ISTAT CP2011, cp2011_voci_professionali.csv (CC BY 3.0); made by data/prepare_taxonomy.py.\n"
    + "\n".join(voce_codes) + "\n", encoding="utf-8")

# --- linkage ------------------------------------------------------------------------------------
STOP = set("""a ad al alla alle allo agli ai all con d da dal dalla dalle dei degli del della delle
dello di e ed il in l la le lo gli i nei nel nella nelle negli per su sul sulla sulle o od tra fra
un una uno addetto addetta addetti altri altre assimilati assimilate specializzati specializzate
professioni""".split())


def fold(s):
    s = unicodedata.normalize("NFKD", s.lower())
    return "".join(c for c in s if not unicodedata.combining(c))


def tokens(s):
    return [t[:6] for t in re.findall(r"[a-z]+", fold(s)) if t not in STOP and len(t) > 1]


def norm_label(s):
    return " ".join(re.findall(r"[a-z]+", fold(s)))


MAJOR = {"1": "1", "2": "2", "3": "3", "4": "4", "5": "5", "6": "67", "7": "8", "8": "9", "9": "0"}

occ_labels = []
for r in occ:
    labels = [r["preferredLabel_it"]] + [a for a in r["altLabels_it"].split("|") if a]
    split = []
    for l in labels:
        split.extend(p for p in l.split("/") if p.strip())
    occ_labels.append(split)
occ_bags = [Counter(t for l in ls for t in tokens(l)) for ls in occ_labels]
df = Counter(t for b in occ_bags for t in b)
N = len(occ)
idf = {t: math.log((1 + N) / (1 + d)) + 1 for t, d in df.items()}


def vec(bag):
    v = {t: (1 + math.log(c)) * idf.get(t, math.log(1 + N) + 1) for t, c in bag.items()}
    n = math.sqrt(sum(x * x for x in v.values())) or 1.0
    return {t: x / n for t, x in v.items()}


occ_vecs = [vec(b) for b in occ_bags]
exact = defaultdict(set)
for i, ls in enumerate(occ_labels):
    for l in ls:
        exact[norm_label(l)].add(i)
by_major = defaultdict(list)
for i, r in enumerate(occ):
    if occ_labels[i]:
        by_major[r["iscoGroup"][:1]].append(i)
voci_by_unit = defaultdict(list)
for v in voci:
    voci_by_unit[v["codice_unita"]].append(v["nome"])

links = []
linked = 0
for u in units:
    texts = [u["nome"]] + voci_by_unit[u["codice"]]
    uv = vec(Counter(t for s in texts for t in tokens(s)))
    cands = [i for m in MAJOR[u["codice"][0]] for i in by_major[m]]
    hits = set()
    for s in texts:
        hits |= exact.get(norm_label(s), set())
    scored = []
    for i in cands:
        ov = occ_vecs[i]
        s = sum(x * ov.get(t, 0.0) for t, x in uv.items())
        if i in hits:
            s += 1.0
        if s > 0:
            scored.append((-s, occ[i]["conceptUri"], i))
    scored.sort()
    if not scored:
        continue
    best = -scored[0][0]
    kept = [(i, -ns) for ns, _, i in scored[:3] if -ns >= 0.25 and -ns >= 0.6 * best]
    if kept:
        linked += 1
    for rank, (i, s) in enumerate(kept, 1):
        links.append([u["codice"], rank, i, uuid(occ[i]["conceptUri"]), f"{s:.3f}",
                      "exact+tfidf" if i in hits else "tfidf",
                      clean(u["nome"]), clean(occ[i]["preferredLabel_it"])])
tsv("cp2011/esco_link.tsv",
    ["cp2011", "rank", "esco_id", "esco_uuid", "score", "method", "cp2011_nome", "esco_label_it"],
    links)
print(f"occupations {len(occ)}, skills {len(skills)}, relations {len(rel)}, "
      f"cp2011 units {len(units)}, linked {linked} ({100 * linked / len(units):.1f}%), links {len(links)}")

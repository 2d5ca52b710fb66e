#!/usr/bin/env python3
"""Derive incrocio's compact reference tables from ../shared/data (run from data/).

Only needed when refreshing the data: the engine reads the files written here, never ../shared.
"""
import csv, pathlib

SHARED = pathlib.Path(__file__).resolve().parent.parent.parent / "shared" / "data"
OUT = pathlib.Path(__file__).resolve().parent


def write(path, header, rows):
    with open(OUT / path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


comuni = list(csv.DictReader(open(SHARED / "territorio/comuni.csv", encoding="utf-8")))
write("territorio/comuni.csv",
      ["codice_istat", "nome", "codice_uts", "codice_regione", "capoluogo", "lat", "lon",
       "codice_catastale"],
      [[c["codice_istat"], c["nome"], c["codice_uts"], c["codice_regione"], c["capoluogo"],
        c["lat"], c["lon"], c["codice_catastale"]] for c in comuni])

storico = {c["codice_uts"]: c["codice_provincia_storico"] for c in comuni}
ind = {r["codice_uts"]: r for r in csv.DictReader(
    open(SHARED / "territorio/indicatori/tasso_occupazione_20_64_province.csv", encoding="utf-8"))}
prov = list(csv.DictReader(open(SHARED / "territorio/province.csv", encoding="utf-8")))
write("territorio/province.csv",
      ["codice_uts", "codice_provincia_storico", "sigla", "nome", "codice_regione", "nuts3_2024",
       "n_comuni", "tasso_occupazione_20_64"],
      [[p["codice_uts"], storico[p["codice_uts"]], p["sigla"], p["nome"], p["codice_regione"],
        p["nuts3_2024"], p["n_comuni"], ind[p["codice_uts"]]["tasso_occupazione_20_64"]] for p in prov])

reg = list(csv.DictReader(open(SHARED / "territorio/regioni.csv", encoding="utf-8")))
write("territorio/regioni.csv", ["codice_regione", "nome", "ripartizione"],
      [[r["codice_regione"], r["nome"], r["ripartizione"]] for r in reg])

M = SHARED / "classificazioni/ministeriali"
citt = list(csv.DictReader(open(M / "tab_cittadinanze.csv", encoding="utf-8")))
write("codici/cittadinanze.csv", ["codice", "descrizione", "ue"],
      [[c["cod_cittadinanza"], c["des_cittadinanza"], c["flg_ue"]] for c in citt])
tit = list(csv.DictReader(open(M / "tab_studiotitolo.csv", encoding="utf-8")))
write("codici/titoli_studio.csv", ["codice", "livello", "descrizione"],
      [[t["cod_titolostudio"], t["cod_livellostudio"],
        t["des_titolostudio"].replace("UNIVERSIT\ufffd", "UNIVERSITÀ")] for t in tit])
liv = list(csv.DictReader(open(M / "tab_studiolivello.csv", encoding="utf-8")))
write("codici/livelli_studio.csv", ["livello", "codice_titolo", "descrizione"],
      [[l["cod_livellostudio"], l["cod_studio"], l["des_livellostudio"]] for l in liv])

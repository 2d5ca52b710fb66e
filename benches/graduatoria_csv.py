#!/usr/bin/env python3
"""Writes a CSV of seeded applicants for `incrocio graduatoria`, drawn from the distribution of
`benches/graduatoria.rs` (not the same draws: Python's generator, not ChaCha8): ISEE 0-60,000 EUR
for 90% (5% of all not valid), ages 18-66, a DID in the last 6 years for 80%, 0-4 dependants,
registration in the last 10 years, no reserves. Publication date 2026-03-01.

    python3 benches/graduatoria_csv.py 100000 42 > target/applicants-100k.csv
"""

import datetime
import random
import sys


def main() -> None:
    n, seed = int(sys.argv[1]), int(sys.argv[2])
    random.seed(seed)
    pub = datetime.date(2026, 3, 1)
    day = datetime.timedelta(days=1)
    out = sys.stdout
    out.write(
        "id,data_nascita,data_did,sospensioni,data_iscrizione,isee,isee_valido,"
        "carichi,carichi_invalidi,invalidita,reddito,riserve\n"
    )
    for i in range(n):
        invalid = random.randrange(5)
        carichi = random.randrange(5)
        nascita = pub - day * random.randrange(18 * 365, 66 * 365)
        did = pub - day * random.randrange(1, 6 * 365) if random.random() < 0.8 else ""
        iscrizione = pub - day * random.randrange(1, 10 * 365)
        isee = "%d.%02d" % divmod(random.randrange(0, 6_000_000), 100) if random.random() < 0.9 else ""
        valido = "true" if random.random() < 0.95 else "false"
        invalidi = min(carichi, 1) if invalid == 0 else 0
        out.write(f"A{i:07d},{nascita},{did},,{iscrizione},{isee},{valido},{carichi},{invalidi},,,\n")


if __name__ == "__main__":
    main()

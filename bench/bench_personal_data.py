"""Personal-data throughput: resident-ID validation, encrypt + keyed hash, decrypt.

Targets from issue 2: validation ≥ 200,000 IDs/s; encrypt + keyed hash ≥ 50,000 fields/s, on
one core in pure Python (the AES-GCM and HMAC primitives are OpenSSL's, through `cryptography`).
The IDs are a seeded mix of valid numbers and the failure kinds an import meets (bad check
digit, impossible dates, unknown regions, wrong length, stray letters), so the rate includes
the cost of raising. Keys are fixed in memory: nothing is written under var/.
"""

from __future__ import annotations

import base64
import os
import random
from datetime import date

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")

import django

django.setup()

from django.test import override_settings  # noqa: E402

from bench.common import best_of, write_result  # noqa: E402
from shouwang.core import crypto  # noqa: E402
from shouwang.core.validators import (  # noqa: E402
    InvalidIdentifier,
    parse_resident_id,
    resident_id_check_char,
)

N_IDS = 200_000
N_FIELDS = 100_000
VALID_SHARE = 0.7
REGIONS = ["110105", "310115", "420111", "420106", "440305", "510107", "654324", "469027",
           "422101", "830000"]
CONTEXT = "surveillance.casereport.id_number"


def make_ids(n: int, seed: int = 20260115) -> list[str]:
    rng = random.Random(seed)
    start = date(1920, 1, 1).toordinal()
    span = date(2024, 12, 31).toordinal() - start
    ids: list[str] = []
    for _ in range(n):
        birth = date.fromordinal(start + rng.randrange(span))
        first17 = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
        number = first17 + resident_id_check_char(first17)
        if rng.random() >= VALID_SHARE:
            kind = rng.randrange(5)
            if kind == 0:  # a typo in the check digit
                number = first17 + ("0" if number[17] != "0" else "1")
            elif kind == 1:  # 31 February and friends
                number = first17[:10] + "0231" + first17[14:] + number[17]
            elif kind == 2:  # a province that does not exist
                number = "99" + number[2:]
            elif kind == 3:  # a digit lost in copying
                number = number[:-1]
            else:  # a letter in the middle
                number = number[:8] + "O" + number[9:]
        if rng.random() < 0.1:  # some arrive with a lower-case x or spaces
            number = f" {number.lower()} "
        ids.append(number)
    return ids


def main() -> None:
    ids = make_ids(N_IDS)
    valid = 0
    for number in ids:
        try:
            parse_resident_id(number)
            valid += 1
        except InvalidIdentifier:
            pass

    def validate() -> None:
        for number in ids:
            # try/except, not contextlib.suppress: the context manager would be timed too.
            try:  # noqa: SIM105
                parse_resident_id(number)
            except InvalidIdentifier:
                pass

    validate_s = best_of(5, validate)

    fields = [ids[i] for i in range(N_FIELDS)]
    keys = f"kbench:{base64.b64encode(os.urandom(32)).decode()}"
    lookup = base64.b64encode(os.urandom(32)).decode()
    with override_settings(PERSONAL_DATA_KEYS=keys, PERSONAL_LOOKUP_KEY=lookup):
        crypto.key_ring()
        envelopes: list[str] = []

        def seal() -> None:
            envelopes.clear()
            for value in fields:
                envelopes.append(crypto.encrypt(value, CONTEXT))
                crypto.keyed_hash(value, "id_number")

        seal_s = best_of(3, seal)

        def open_all() -> None:
            for envelope in envelopes:
                crypto.decrypt(envelope, CONTEXT)

        open_s = best_of(3, open_all)
        assert [crypto.decrypt(e, CONTEXT) for e in envelopes[:100]] == fields[:100]
    crypto.clear_key_cache()

    write_result(
        "personal_data",
        {
            "id_validation_per_s": round(N_IDS / validate_s),
            "id_validation_n": N_IDS,
            "id_valid_share": round(valid / N_IDS, 3),
            "encrypt_and_hash_fields_per_s": round(N_FIELDS / seal_s),
            "decrypt_fields_per_s": round(N_FIELDS / open_s),
            "fields_n": N_FIELDS,
            "timing": "best of 5 (validation) / 3 (crypto) runs, one core",
        },
        targets={"id_validation_per_s": ">= 200000", "encrypt_and_hash_fields_per_s": ">= 50000"},
    )


if __name__ == "__main__":
    main()

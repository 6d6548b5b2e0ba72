"""Privacy helpers for labs 07 and 08: pseudonyms, a token vault, date shifting, generalisation,
k-anonymity / l-diversity / re-identification risk and the linkage attack.

One idea per module, all re-exported here:

- :mod:`~ai2med_labs.privacy.keys`: ``load_key`` (env var or key file, >= 32 bytes),
  ``derive_key`` (HKDF per purpose), ``write_key_file``;
- :mod:`~ai2med_labs.privacy.pseudonymise`: ``pseudonymise`` (HMAC-SHA256),
  ``pseudonymise_frame``, ``Pseudonymiser`` (scikit-learn transformer);
- :mod:`~ai2med_labs.privacy.vault`: ``TokenVault`` (random tokens, re-link, erase);
- :mod:`~ai2med_labs.privacy.dates`: ``date_offsets``, ``shift_dates``;
- :mod:`~ai2med_labs.privacy.generalise`: ``age_at``, ``age_band``, ``postcode_prefix``,
  ``to_month``, ``to_year``, ``suppress``;
- :mod:`~ai2med_labs.privacy.anonymity`: ``k_anonymity``, ``l_diversity``,
  ``equivalence_class_sizes``, ``equivalence_classes``, ``reidentification_risk``;
- :mod:`~ai2med_labs.privacy.linkage`: ``linkage_attack`` -> ``LinkageResult``.

>>> import secrets
>>> from ai2med_labs.privacy import pseudonymise, k_anonymity
>>> len(pseudonymise(["P0000001"], secrets.token_bytes(32))[0])
16
"""

from ai2med_labs.privacy.anonymity import (
    equivalence_class_sizes,
    equivalence_classes,
    group_codes,
    k_anonymity,
    l_diversity,
    reidentification_risk,
)
from ai2med_labs.privacy.dates import date_offsets, shift_dates
from ai2med_labs.privacy.generalise import (
    age_at,
    age_band,
    postcode_prefix,
    suppress,
    to_month,
    to_year,
)
from ai2med_labs.privacy.keys import (
    DEFAULT_KEY_ENV,
    MIN_KEY_BYTES,
    KeyProblem,
    check_key,
    derive_key,
    load_key,
    write_key_file,
)
from ai2med_labs.privacy.linkage import LinkageResult, linkage_attack
from ai2med_labs.privacy.pseudonymise import (
    DIRECT_IDENTIFIERS,
    Pseudonymiser,
    pseudonymise,
    pseudonymise_frame,
    require_columns,
)
from ai2med_labs.privacy.vault import TokenVault

__all__ = [
    "DEFAULT_KEY_ENV",
    "DIRECT_IDENTIFIERS",
    "MIN_KEY_BYTES",
    "KeyProblem",
    "LinkageResult",
    "Pseudonymiser",
    "TokenVault",
    "age_at",
    "age_band",
    "check_key",
    "date_offsets",
    "derive_key",
    "equivalence_class_sizes",
    "equivalence_classes",
    "group_codes",
    "k_anonymity",
    "l_diversity",
    "linkage_attack",
    "load_key",
    "postcode_prefix",
    "pseudonymise",
    "pseudonymise_frame",
    "reidentification_risk",
    "require_columns",
    "shift_dates",
    "suppress",
    "to_month",
    "to_year",
    "write_key_file",
]

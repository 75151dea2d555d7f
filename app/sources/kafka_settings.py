"""librdkafka settings an operator gives: a properties file, pairs, secrets.

A facility's brokers want SASL/SSL credentials, certificates and a group id
policy. They are given as librdkafka properties (decision 036):

- a file of ``key=value`` lines as Kafka's own clients read them (``#`` and
  ``!`` start a comment line; blank lines are skipped; no line continuation);
- ``key=value`` pairs, which win over the file.

A value ``@file:PATH`` is replaced by the file's content (one trailing newline
dropped), a value ``${NAME}`` by the environment variable ``NAME``: secrets
stay out of the command line and the options file. Secret values are never
logged nor shown: `masked` hides them, `scrub` removes them from a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

FILE_PREFIX = "@file:"
_ENV_VALUE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_SECRET_WORDS = ("password", "secret", "jaas", "token", "ssl.key.pem")
MASK = "***"


class KafkaSettingsError(ValueError):
    """A librdkafka setting that cannot be read; the message names the key."""


def is_secret(key: str) -> bool:
    """Whether the value of librdkafka property `key` must not be shown."""
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def masked(settings: Mapping[str, object]) -> dict[str, object]:
    """`settings` with every secret value replaced by ``***``, for logs."""
    return {key: MASK if is_secret(key) else value for key, value in settings.items()}


def scrub(text: str, settings: Mapping[str, object]) -> str:
    """`text` with every secret value of `settings` replaced by ``***``."""
    for key, value in settings.items():
        if is_secret(key) and isinstance(value, str) and value:
            text = text.replace(value, MASK)
    return text


def read_properties(path: str | Path) -> list[tuple[str, str]]:
    """The ``key=value`` pairs of a properties file, in order.

    Raises
    ------
    KafkaSettingsError
        When the file cannot be read or a line is not ``key=value``; the
        message gives the file and line number, never the line (a secret).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise KafkaSettingsError(
            f"kafka config file {path}: {error.strerror or error}"
        ) from None
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "!")):
            continue
        try:
            pairs.append(parse_pair(stripped))
        except KafkaSettingsError as error:
            raise KafkaSettingsError(
                f"kafka config file {path}:{number}: {error}"
            ) from None
    return pairs


def parse_pair(text: str) -> tuple[str, str]:
    """``key=value`` as (key, value); the value may be empty."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep:
        # Not shown: a value written alone may be a secret.
        raise KafkaSettingsError("expected KEY=VALUE, found no '='")
    if not key:
        raise KafkaSettingsError("expected KEY=VALUE, found no key before '='")
    return key, value.strip()


def resolve(
    pairs: Iterable[tuple[str, str]], environ: Mapping[str, str]
) -> dict[str, str]:
    """The settings of `pairs` (later ones win) with secrets read in.

    Raises
    ------
    KafkaSettingsError
        Naming the key whose ``@file:`` cannot be read or whose ``${NAME}`` is
        not set.
    """
    settings: dict[str, str] = {}
    for key, value in pairs:
        settings[key] = _value(key, value, environ)
    return settings


def _value(key: str, value: str, environ: Mapping[str, str]) -> str:
    if value.startswith(FILE_PREFIX):
        path = value[len(FILE_PREFIX) :]
        try:
            content = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise KafkaSettingsError(
                f"kafka setting {key}: cannot read {path}: {error.strerror or error}"
            ) from None
        return content.removesuffix("\n")
    match = _ENV_VALUE.match(value)
    if match:
        name = match.group(1)
        if name not in environ:
            raise KafkaSettingsError(
                f"kafka setting {key}: environment variable {name} is not set"
            )
        return environ[name]
    return value


def client_settings(
    config_file: str, pairs: Iterable[tuple[str, str]], environ: Mapping[str, str]
) -> dict[str, str]:
    """The operator's librdkafka settings: the file's, then `pairs`, resolved."""
    from_file = read_properties(config_file) if config_file else []
    return resolve([*from_file, *pairs], environ)

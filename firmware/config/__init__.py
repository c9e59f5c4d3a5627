"""Configuration schema, one module per section; ``schema`` composes and loads them.

The names below load ``schema`` (every section, and the board profiles with gpiozero) on first
use, so code that needs one section, as the detection pipeline needs ``[detection]``, imports
``firmware.config.detection`` without the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from firmware.config.schema import DEFAULT_CONFIG_PATH, ConfigError, UnitConfig, load_config, parse_config

__all__ = ["DEFAULT_CONFIG_PATH", "ConfigError", "UnitConfig", "load_config", "parse_config"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from firmware.config import schema

        return getattr(schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

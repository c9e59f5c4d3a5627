"""Configuration schema, one module per section; ``schema`` composes and loads them."""

from firmware.config.schema import DEFAULT_CONFIG_PATH, ConfigError, UnitConfig, load_config, parse_config

__all__ = ["DEFAULT_CONFIG_PATH", "ConfigError", "UnitConfig", "load_config", "parse_config"]

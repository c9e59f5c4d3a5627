from tests.support.mosquitto import mosquitto

__all__ = ["mosquitto"]

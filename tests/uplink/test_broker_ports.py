"""The test brokers' ports: a port picked twice made a broker fail to start ("Address already in use")."""

from tests.support.mosquitto import free_port


def test_free_port_never_hands_out_a_port_twice() -> None:
    # 1,000 picks from the ~22,000 ports below the ephemeral range repeat one with near certainty
    # when each pick is independent, as three listeners of one broker in CI once did.
    ports = [free_port() for _ in range(1_000)]
    assert len(set(ports)) == len(ports)

"""Everything that leaves the unit: the durable outbox, the MQTT uplink and (in ``dc09``) the alarm-centre link.

``outbox.Outbox`` is the one place events are stored before sending; ``mqtt.UplinkService`` is the
asyncio task the daemon runs for MQTT; ``commands``, ``discovery``, ``telemetry`` and ``snapshot``
are its parts. Import the submodules directly (this package imports nothing heavy).
"""

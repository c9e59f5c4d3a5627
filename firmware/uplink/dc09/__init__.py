"""The alarm-centre link: SIA DC-09 over TCP to the security company's receiver.

``frame`` builds and parses messages, ``crypto`` does the AES part, ``codes`` turns an outbox
event into Contact ID or SIA data, ``routing`` says which events go to the centre at all, and
``transmitter`` is the asyncio client that delivers them from the outbox, one at a time, and
acks them there only after the receiver's ACK. docs/alarm-centre.md is the guide for the
security company.
"""

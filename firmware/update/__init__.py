"""The unit's update agent: TUF-verified downloads, A/B release folders, health-gated commit, rollback.

``agent.UpdateAgent`` drives one update through persisted states; ``python -m firmware.update`` runs it.
"""

"""``parkvakt-provision``: the technicians' tool for sites, units, releases and updates."""

"""The backup service: Kurator's Backup, Restore and Migrate over Velero's semantics."""

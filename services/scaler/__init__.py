"""The scaler: how much runs (HPA, FederatedHPA, CronFederatedHPA); pure cores for now."""

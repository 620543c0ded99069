"""Pydantic models of the Kubernetes, Karmada and Kurator API types Navarch acts on."""

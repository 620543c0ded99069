"""Navarch services: one package per reconcile concern."""

"""Navarch's shared library: API models, the store, the bus, and the service runtime."""

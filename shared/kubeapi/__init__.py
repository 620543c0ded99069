"""The Kubernetes-compatible REST API over a `Storage`: the hub gateway serves it over the
store, the member simulator over memory (discovery, CRUD, patch and apply, watch, scale)."""

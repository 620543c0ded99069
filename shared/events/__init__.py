"""core/v1 Events: what happened to an object, recorded to the hub like client-go's recorder."""

"""Settings, tokens and sign-in throttling of the REST API."""

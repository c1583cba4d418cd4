"""The embedded sandbox: a local server implementing the Temp Mail API."""

"""Small helpers every layer may use: registries, lazy exports, hashing, atomic writes,
cache folders, log-once. Nothing here imports another part of mtebkit except ``errors``."""

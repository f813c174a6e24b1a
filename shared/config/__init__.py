"""Settings: read once from app settings and files at start, validated, frozen."""

"""Exchange formats with other negotiation tools (GENIUS XML domains and profiles)."""

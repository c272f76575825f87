"""DC: containers and compose."""

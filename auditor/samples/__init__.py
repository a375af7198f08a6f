"""Sample personas: synthetic people whose exports look exactly like the real thing."""

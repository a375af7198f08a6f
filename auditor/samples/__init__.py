"""Sample personas: synthetic people whose exports look exactly like the real thing.

``life`` simulates a day-by-day life on one clock (stays, journeys, payments, rides,
orders) and draws raw location fixes with numpy; one writer module per export family
formats it (``takeout``, ``ondevice``, ``bank`` with OFX, ``rideshare`` for Uber and Lyft);
``truth`` records where every planted signal landed; ``persona_*`` tell the three shipped
stories and ``personas`` lists them with the decade benchmark persona; ``generate`` ties
it together for ``auditor samples generate``.
"""

"""A simulated life: places, stays, movements, money, rides and orders on one clock.

A persona (``personas.py``) tells its story day by day through a :class:`LifeBuilder`:
``stay`` at a place, ``pay`` at a merchant, take a ``ride``, place an ``order``. The
builder keeps the timeline continuous (every stay begins after the journey from the
previous one), converts the persona's local wall-clock hours to UTC with the persona's
IANA zone (daylight saving included), and records which *signals* each event plants, so
that the writers can say, record by record, where each signal ended up (``truth.py``).

The writers (``takeout.py``, ``ondevice.py``, ``bank.py``, ``uber.py``...) only format what
is here: the same bar visit is one :class:`Stay`, one :class:`Payment` and one
:class:`Ride`, so every source sees the same life.

Raw location fixes are not made one by one: :func:`sample_points` draws them for the whole
timeline at once with numpy, which is what lets a decade of 3 million points be made in a
few seconds.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

# Metres per second by the way a journey is made (door to door, waits included).
SPEED_MPS = {
    "WALKING": 1.3,
    "CYCLING": 4.0,
    "IN_BUS": 4.5,
    "IN_SUBWAY": 7.0,
    "IN_TRAIN": 12.0,
    "IN_PASSENGER_VEHICLE": 8.0,
    "IN_TAXI": 8.0,
    "FLYING": 180.0,
}


@dataclass(frozen=True)
class Place:
    """A place the persona goes: where it is, what it is, and what Google would call it.

    ``category`` is what a place database would say (``hospital``, ``casino``,
    ``place_of_worship``...): the sensitive meaning a scorer reads into a visit.
    ``semantic`` is the Takeout ``semanticType`` (``TYPE_HOME``, ``TYPE_WORK`` or
    ``TYPE_UNKNOWN``); the on-device writers translate it to their own spelling.
    """

    key: str
    name: str
    address: str
    lat: float
    lon: float
    category: str
    semantic: str = "TYPE_UNKNOWN"
    spread_m: float = 20.0

    @property
    def place_id(self) -> str:
        """A Google-style place id (``ChIJ`` and 23 URL-safe characters), stable per key."""
        digest = hashlib.sha256(f"auditor-sample:{self.key}".encode()).digest()
        return "ChIJ" + base64.urlsafe_b64encode(digest).decode()[:23]


def metres_between(a: Place, b: Place) -> float:
    """Distance on the ground (equirectangular: exact enough within a city)."""
    return metres(a.lat, a.lon, b.lat, b.lon)


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    mid = math.radians((lat1 + lat2) / 2)
    dx = (lon2 - lon1) * 111_320 * math.cos(mid)
    dy = (lat2 - lat1) * 110_540
    return math.hypot(dx, dy)


@dataclass
class Stay:
    """Time spent at one place; ``mode_in`` is how the persona got there."""

    place: Place
    start: datetime
    end: datetime
    mode_in: str = "WALKING"
    tags: tuple[str, ...] = ()
    ride: Ride | None = None  # the ride that brought the persona here, if any
    journey_tags: tuple[str, ...] = ()  # signals of the journey here (a drive after midnight)


@dataclass
class Move:
    """The journey between two consecutive stays."""

    origin: Place
    dest: Place
    start: datetime
    end: datetime
    mode: str
    tags: tuple[str, ...] = ()

    @property
    def distance_m(self) -> float:
        # Roads are longer than the straight line.
        return metres_between(self.origin, self.dest) * 1.3


@dataclass
class Payment:
    """One movement of money, already in the words of the persona's bank.

    ``description`` is the raw statement text exactly as the bank writes it; ``name`` the
    clean counterparty some layouts add (Monzo's ``Name``); ``type`` and ``category`` the
    bank's own codes where its layout has them. ``amount`` is signed from the account
    holder's view (money out < 0).
    """

    time: datetime
    amount: float
    description: str
    account: str = "main"
    name: str = ""
    type: str = ""
    category: str = ""
    address: str = ""
    notes: str = ""
    place: Place | None = None
    local_amount: float | None = None
    local_currency: str = ""
    tags: tuple[str, ...] = ()


@dataclass
class Ride:
    """A ride-hail trip, from request to drop-off (or a cancellation)."""

    provider: str
    requested: datetime
    begin: datetime | None
    end: datetime | None
    origin: Place
    dest: Place
    fare: float
    currency: str
    status: str = "completed"
    product: str = "UberX"
    surge: float = 1.0
    tags: tuple[str, ...] = ()

    @property
    def distance_miles(self) -> float:
        if self.status != "completed":
            return 0.0
        return metres_between(self.origin, self.dest) * 1.3 / 1609.344


@dataclass
class Order:
    """A food delivery order: one row per item in the providers' exports."""

    provider: str
    requested: datetime
    delivered: datetime | None
    restaurant: str
    items: list[tuple[str, int, float]]
    fee: float
    currency: str
    status: str = "completed"
    tags: tuple[str, ...] = ()

    @property
    def total(self) -> float:
        return round(sum(qty * price for _, qty, price in self.items) + self.fee, 2)


@dataclass
class Life:
    """Everything that happened, in time order, ready for the writers."""

    persona: str
    tz: ZoneInfo
    first_day: date
    last_day: date
    stays: list[Stay] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    rides: list[Ride] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    ratings_received: list[int] = field(default_factory=list)
    homes: list[tuple[date, Place]] = field(default_factory=list)
    # Cross-source events: key -> (what happened, when, where); records join with "link:<key>".
    links: dict[str, tuple[str, datetime, Place]] = field(default_factory=dict)

    def moves(self) -> list[Move]:
        """The journeys between stays (none between two stays at the same place)."""
        found = []
        for previous, stay in zip(self.stays, self.stays[1:]):
            if previous.place.key != stay.place.key and stay.start > previous.end:
                tags = stay.journey_tags + (stay.ride.tags if stay.ride is not None else ())
                found.append(Move(previous.place, stay.place, previous.end, stay.start, stay.mode_in, tags))
        return found

    def offset_minutes(self, moment: datetime) -> int:
        """The persona's local UTC offset at a moment, in minutes."""
        offset = moment.astimezone(self.tz).utcoffset()
        return int(offset.total_seconds() // 60) if offset is not None else 0

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)


class LifeBuilder:
    """What a persona's story is written with: a clock, a random source and the timeline."""

    def __init__(self, persona: str, tz: str, first_day: date, days: int, seed: int, density: float = 1.0):
        self.rng = random.Random(f"{persona}:{seed}")
        self.density = density
        self.life = Life(persona, ZoneInfo(tz), first_day, first_day + timedelta(days=days - 1))

    # --- the calendar -------------------------------------------------------------------

    def days(self) -> Iterator[date]:
        day = self.life.first_day
        while day <= self.life.last_day:
            yield day
            day += timedelta(days=1)

    def at(self, day: date, hours: float) -> datetime:
        """UTC instant of a local wall-clock time: ``hours`` after local midnight of ``day``.

        A random 0-300 s (with milliseconds) is added, so that times do not fall on the minute.

        Hours beyond 24 run into the next day (``at(day, 25.5)`` is 01:30 the day after),
        which is how a night shift is written.
        """
        whole_day, rest = divmod(hours, 24)
        local_day = day + timedelta(days=int(whole_day))
        # Nothing in a real life happens on the minute: a few seconds' jitter, with milliseconds.
        jitter = timedelta(milliseconds=self.rng.randrange(0, 300_000))
        naive = datetime(local_day.year, local_day.month, local_day.day) + timedelta(seconds=round(rest * 3600)) + jitter
        return naive.replace(tzinfo=self.life.tz).astimezone(UTC)

    def chance(self, probability: float) -> bool:
        """True with the given probability, scaled by density (countable habits only)."""
        return self.rng.random() < min(1.0, probability * self.density)

    def times(self, rate: float) -> int:
        """How many times a habit happens today: ``rate`` a day on average, scaled by density."""
        expected = rate * self.density
        whole = int(expected)
        return whole + (1 if self.rng.random() < expected - whole else 0)

    def money(self, low: float, high: float) -> float:
        return round(self.rng.uniform(low, high), 2)

    # --- the timeline -------------------------------------------------------------------

    @property
    def here(self) -> Stay | None:
        return self.life.stays[-1] if self.life.stays else None

    def stay(
        self,
        place: Place,
        start: datetime,
        end: datetime,
        mode_in: str = "WALKING",
        tags: tuple[str, ...] = (),
        ride: Ride | None = None,
        journey_tags: tuple[str, ...] = (),
    ) -> Stay:
        """Be at ``place`` from ``start`` to ``end``, arriving by ``mode_in``.

        The timeline stays continuous: a stay at the place the persona is already at is
        merged into it; otherwise the previous stay lasts until the persona must leave to
        arrive at ``start`` (cut short, or lengthened over a gap), and the new stay begins
        no earlier than the journey allows.
        """
        previous = self.here
        if previous is not None and previous.place.key == place.key:
            previous.end = max(previous.end, end)
            previous.tags = tuple(dict.fromkeys(previous.tags + tags))
            return previous
        if previous is not None:
            journey = self.travel_time(previous.place, place, mode_in)
            # A person is always somewhere: stay where you are until it is time to leave,
            # and leave early enough to arrive (or arrive late when the day ran long).
            previous.end = max(previous.start + timedelta(minutes=5), start - journey)
            start = max(start, previous.end + journey)
            end = max(end, start + timedelta(minutes=5))
        stay = Stay(place, start, end, mode_in, tags, ride, journey_tags)
        self.life.stays.append(stay)
        return stay

    def go(self, place: Place, until: datetime, mode_in: str = "WALKING", tags: tuple[str, ...] = ()) -> Stay:
        """Leave the current place now and stay at ``place`` until ``until``."""
        current = self.here
        assert current is not None, "go() continues a timeline that has begun"
        return self.stay(place, current.end, until, mode_in, tags)

    @staticmethod
    def travel_time(origin: Place, dest: Place, mode: str) -> timedelta:
        metres = metres_between(origin, dest)
        speed = SPEED_MPS.get(mode, 5.0) * (2.0 if metres > 20_000 and mode != "FLYING" else 1.0)  # highways
        seconds = metres * 1.3 / speed + 180
        return timedelta(seconds=round(seconds))

    def move_home(self, day: date, home: Place) -> None:
        """From ``day`` on, the persona lives at ``home``."""
        self.life.homes.append((day, home))

    def home_on(self, day: date) -> Place:
        current = self.life.homes[0][1]
        for since, home in self.life.homes:
            if since <= day:
                current = home
        return current

    # --- money, rides, orders -----------------------------------------------------------

    def pay(self, time: datetime, amount: float, description: str, **fields: object) -> Payment:
        payment = Payment(time, round(amount, 2), description, **fields)  # type: ignore[arg-type]
        self.life.payments.append(payment)
        return payment

    def ride(self, ride: Ride) -> Ride:
        self.life.rides.append(ride)
        return ride

    def order(self, order: Order) -> Order:
        self.life.orders.append(order)
        return order

    def take_ride(
        self,
        provider: str,
        dest: Place,
        leave: datetime,
        until: datetime,
        currency: str,
        tariff: tuple[float, float, float, float],
        tags: tuple[str, ...] = (),
        product: str = "UberX",
        stay_tags: tuple[str, ...] = (),
    ) -> Ride:
        """Leave the current place at ``leave`` in a ride and stay at ``dest`` until ``until``.

        ``tariff`` is (base, per mile, per minute, minimum fare); the fare follows the ride's
        length, with the swing that traffic and demand pricing give real fares.
        """
        current = self.here
        assert current is not None, "a ride starts from somewhere"
        current.end = max(current.start + timedelta(minutes=5), leave)
        leave = current.end
        journey = self.travel_time(current.place, dest, "IN_PASSENGER_VEHICLE")
        miles = metres_between(current.place, dest) * 1.3 / 1609.344
        base, per_mile, per_minute, minimum = tariff
        metered = base + per_mile * miles + per_minute * journey.total_seconds() / 60
        fare = round(max(minimum, metered) * self.rng.uniform(0.95, 1.35), 2)
        requested = leave - timedelta(minutes=self.rng.randint(3, 8), seconds=self.rng.randint(0, 59))
        ride = self.ride(Ride(provider, requested, leave, leave + journey, current.place, dest, fare, currency, "completed", product, 1.0, tags))
        self.stay(dest, leave + journey, max(until, leave + journey + timedelta(minutes=5)), "IN_PASSENGER_VEHICLE", stay_tags, ride)
        return ride

    def link(self, key: str, description: str, when: datetime, place: Place) -> str:
        """Declare an event several sources see; returns the tag its records carry."""
        self.life.links[key] = (description, when, place)
        return f"link:{key}"

    def finish(self) -> Life:
        """The life in time order; stays are already in order by construction."""
        life = self.life
        life.payments.sort(key=lambda p: p.time)
        life.rides.sort(key=lambda r: r.requested)
        life.orders.sort(key=lambda o: o.requested)
        life.homes.sort(key=lambda h: h[0])
        return life


# --- raw fixes, vectorised ---------------------------------------------------------------


@dataclass
class Points:
    """Raw location fixes as columns: what Records.json and rawSignals are written from."""

    time_ms: np.ndarray  # int64 epoch milliseconds, UTC, increasing
    lat: np.ndarray  # float64 degrees
    lon: np.ndarray
    accuracy: np.ndarray  # int32 metres
    source: np.ndarray  # int8 index into SOURCES
    moving: np.ndarray  # bool: taken during a journey
    speed: np.ndarray  # float32 m/s

    def __len__(self) -> int:
        return len(self.time_ms)


SOURCES = ("WIFI", "GPS", "CELL")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(moment: datetime) -> int:
    return int((moment - _EPOCH) / timedelta(milliseconds=1))


def sample_points(life: Life, still_every_s: float, moving_every_s: float, seed: int) -> Points:
    """Fixes every ``still_every_s`` seconds at stays and ``moving_every_s`` on journeys.

    One fix per slot at a random moment inside it, so times increase; positions scatter
    around the place with the accuracy of their source (Wi-Fi tens of metres, cell towers
    hundreds) or run along the journey with a slight bend, as roads do.
    """
    rng = np.random.default_rng(seed)
    moves = life.moves()
    spans: list[tuple[int, int, float, float, float, float, float, bool]] = []
    for stay in life.stays:
        spans.append((_ms(stay.start), _ms(stay.end), stay.place.lat, stay.place.lon, stay.place.lat, stay.place.lon, stay.place.spread_m, False))
    for move in moves:
        o, d = move.origin, move.dest
        spans.append((_ms(move.start), _ms(move.end), o.lat, o.lon, d.lat, d.lon, 10.0, True))
    spans.sort(key=lambda span: span[0])
    table = np.array([span[:7] for span in spans], dtype=np.float64).reshape(-1, 7)
    moving_span = np.array([span[7] for span in spans], dtype=bool)
    start_ms, end_ms = table[:, 0].astype(np.int64), table[:, 1].astype(np.int64)
    every_ms = np.where(moving_span, moving_every_s, still_every_s) * 1000.0
    duration = np.maximum(end_ms - start_ms, 1)
    counts = np.maximum(1, (duration / every_ms).astype(np.int64))
    total = int(counts.sum())
    span_of = np.repeat(np.arange(len(counts)), counts)
    slot = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    slot_ms = duration[span_of] / counts[span_of]
    within = rng.uniform(0.05, 0.95, total)
    time_ms = start_ms[span_of] + ((slot + within) * slot_ms).astype(np.int64)
    fraction = (time_ms - start_ms[span_of]) / duration[span_of]
    moving = moving_span[span_of]

    lat0, lon0, lat1, lon1, spread = (table[span_of, i] for i in range(2, 7))
    bend = np.sin(np.pi * fraction) * 0.08  # roads swing off the straight line
    lat = lat0 + (lat1 - lat0) * fraction + (lon1 - lon0) * bend * 0.3
    lon = lon0 + (lon1 - lon0) * fraction - (lat1 - lat0) * bend * 0.3

    draw = rng.random(total)
    source = np.where(moving | (draw < 0.15), 1, 0).astype(np.int8)  # GPS while moving
    source[(~moving) & (draw > 0.93)] = 2  # now and then only a cell tower
    base_accuracy = np.array([18, 6, 900])[source]
    accuracy = (base_accuracy * rng.uniform(0.7, 1.6, total)).astype(np.int32)
    scatter_m = np.where(moving, 6.0, np.minimum(spread + accuracy * 0.4, 400.0))
    lat = lat + rng.normal(0, 1, total) * scatter_m / 110_540
    lon = lon + rng.normal(0, 1, total) * scatter_m / (111_320 * np.cos(np.radians(lat)))
    speed = np.where(moving, rng.uniform(3.0, 14.0, total), rng.uniform(0.0, 0.3, total)).astype(np.float32)
    return Points(time_ms, lat, lon, accuracy, source, moving, speed)

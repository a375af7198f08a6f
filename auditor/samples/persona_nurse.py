"""Amara, a night-shift nurse in east London: sound finances that look "irregular".

Amara works blocks of 12-hour night shifts at the Royal Whitechapel Hospital, buys coffee
at 3 am, sleeps through the day, pays rent and bills on time, saves every month, and
moves from Bethnal Green to Walthamstow half-way through the year. A scorer reading her
exports sees a hospital three nights a week, card spending after midnight, a weekly
clinic, monthly prescriptions and a change of address: "irregular", "unhealthy",
"unstable". None of it says she cannot pay.

Files (formats.md): a Google Takeout zip (Records.json and Semantic Location History),
a Monzo current-account CSV (with times of day), and an Uber data export (2023 layout).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from auditor.samples import bank, rideshare, takeout, trail
from auditor.samples.formatting import card_descriptor
from auditor.samples.life import Life, LifeBuilder, Order, Place, Points, Ride
from auditor.samples.output import Bundle
from auditor.samples.spec import Persona, Run
from auditor.samples.truth import Truth

NAME = "night-shift-nurse"
DEVICE_TAG = 1487264205
GBP_TARIFF = (2.5, 1.25, 0.2, 6.0)  # base, per mile, per minute, minimum: roughly UberX London

HOME_BETHNAL_GREEN = Place("nurse-home-1", "Home", "Flat 3, 41 Globe Road, London E1 4DS, UK", 51.526204, -0.048912, "home", "TYPE_HOME", 12)
HOME_WALTHAMSTOW = Place("nurse-home-2", "Home", "22 Hatherley Road, London E17 6SB, UK", 51.584213, -0.026517, "home", "TYPE_HOME", 12)
HOSPITAL = Place("nurse-hospital", "Royal Whitechapel Hospital", "Whitechapel Road, London E1 1BB, UK", 51.518612, -0.059704, "hospital", spread_m=60)
PHYSIO = Place("nurse-physio", "Kinetic Physio Clinic", "118 Commercial Street, London E1 6NF, UK", 51.520511, -0.074498, "physiotherapist")
PUB = Place("nurse-pub", "The Lamb and Flag", "33 Bonner Road, London E2 9JX, UK", 51.532104, -0.053311, "bar")
BOOTS = {
    HOME_BETHNAL_GREEN.key: Place("nurse-boots-1", "Boots", "Whitechapel Road, London E1 1DT, UK", 51.519533, -0.061012, "pharmacy"),
    HOME_WALTHAMSTOW.key: Place("nurse-boots-2", "Boots", "Selborne Road, London E17 7JR, UK", 51.583207, -0.020014, "pharmacy"),
}
TESCO = {
    HOME_BETHNAL_GREEN.key: Place("nurse-tesco-1", "Tesco Express", "Roman Road, London E2 0QN, UK", 51.527512, -0.045508, "convenience_store"),
    HOME_WALTHAMSTOW.key: Place("nurse-tesco-2", "Tesco Express", "Hoe Street, London E17 4SA, UK", 51.586311, -0.019808, "convenience_store"),
}
LIDL = Place("nurse-lidl", "Lidl", "Mile End Road, London E1 4UJ, UK", 51.522811, -0.046507, "supermarket")

SIGNALS = {
    "night-activity": "Night shifts: overnight stays at the hospital, 19:15 to 08:15, three or four nights a week.",
    "work-location": "The hospital is her workplace; nothing in the files labels it so (she never set a work address).",
    "health": "The hospital (a place category scorers read as 'patient'), and six weekly physiotherapy sessions with their card payments.",
    "medication": "A prescription paid at Boots every month (visit and card payment).",
    "late-night-spending": "Card payments between midnight and 6 am local time: coffee and food during night shifts.",
    "stable-income": "Salary from the same NHS trust on the 27th of every month (Bacs credit).",
    "rent-payment": "Rent on the 1st by Faster payment: to a private landlord, then to a letting agent after the move.",
    "address-churn": "The move from Bethnal Green to Walthamstow: deposit, removal van, first nights at the new home.",
    "home-location": "Where she sleeps, by day after nights and by night otherwise.",
    "union-membership": "Royal College of Nursing membership by Direct Debit (the RCN is a trade union).",
    "bill-payment": "Energy, council tax and phone paid on schedule.",
    "cash-buffer": "A monthly transfer into her savings pot; the balance never goes below zero.",
    "p2p-network": "Monzo-to-Monzo and Faster payments with friends (splitting pub bills, a birthday present).",
    "nightlife": "Evenings at a pub on nights off, often with an Uber home after 23:00.",
    "alcohol": "Card payments at the pub's bar.",
    "social-posting": "Facebook and Instagram posts written on her break between 3 and 5 am during night shifts.",
    "social-network": "Her Facebook friends, Instagram followers and following, and the address book on her phone.",
}


def _rent_payee(home: Place) -> tuple[str, str, float]:
    if home is HOME_BETHNAL_GREEN:
        return "Daniel Hughes", "RENT FLAT 3 GLOBE RD", 1250.00
    return "Kestrel Lettings Ltd", "22HATHERLEYRD RENT", 1380.00


def _card(b: LifeBuilder, when: datetime, amount: float, name: str, descriptor: tuple[str, str], category: str, tags=(), place: Place | None = None, address: str = "") -> None:
    """A Monzo card payment, described as the card network describes the merchant."""
    b.pay(
        when,
        -amount,
        card_descriptor(descriptor[0], descriptor[1], "GBR"),
        name=name,
        type="Card payment",
        category=category,
        address=address,
        place=place,
        tags=tuple(tags),
    )


def simulate(b: LifeBuilder, run: Run) -> None:
    """A year (or ``run.years``) of night blocks, days off, bills and one move."""
    move_day = run.first_day + timedelta(days=int(run.days * 0.54))
    physio_from = run.first_day + timedelta(days=int(run.days * 0.59))
    ratings = list(RATINGS)
    b.rng.shuffle(ratings)
    b.life.ratings_received = ratings
    b.move_home(run.first_day, HOME_BETHNAL_GREEN)
    b.move_home(move_day, HOME_WALTHAMSTOW)
    b.stay(HOME_BETHNAL_GREEN, b.at(run.first_day, 0), b.at(run.first_day, 9))
    physio_sessions = 0
    post_night = False
    for number, day in enumerate(b.days()):
        home = b.home_on(day)
        nights = (0, 1, 2) if (number // 7) % 2 == 0 else (3, 4, 5, 6)
        on_night = day.weekday() in nights and b.rng.random() > 0.05 and day != move_day
        _money_of_the_day(b, day, home, move_day)
        if day == move_day:
            _move(b, day, home)
        else:
            b.stay(home, b.at(day, 0), b.at(day, 10.4))
        if day.weekday() == 1 and physio_from <= day and physio_sessions < 6:
            physio_sessions += 1
            _physio(b, day, home)
        pharmacy_day = day.day == 5
        _everyday(b, day, on_night)
        if on_night:
            if post_night and b.chance(0.25):
                _tesco(b, day, home)
            if pharmacy_day:
                _pharmacy(b, day, home)
            _night_shift(b, day, home)
        else:
            _day_off(b, day, home, post_night, pharmacy_day)
        post_night = on_night


def _money_of_the_day(b: LifeBuilder, day: date, home: Place, move_day: date) -> None:
    if day.day == 1:
        payee, reference, amount = _rent_payee(home)
        tags = ("rent-payment", "address-churn") if home is HOME_WALTHAMSTOW and day - move_day < timedelta(days=31) else ("rent-payment",)
        b.pay(b.at(day, 7.02), -amount, reference, name=payee, type="Faster payment", category="Bills", notes=reference, tags=tags)
        council = "LB TOWER HAMLETS" if home is HOME_BETHNAL_GREEN else "LB WALTHAM FOREST"
        if day.month not in (2, 3):
            b.pay(b.at(day, 6.5), -(131.00 if home is HOME_BETHNAL_GREEN else 148.00), f"{council} CTAX", name=council.title().replace("Lb ", "LB "), type="Direct Debit", category="Bills", tags=("bill-payment",))
    if day.day == 3:
        b.pay(b.at(day, 6.41), -b.money(68, 104), "OCTOPUS ENERGY", name="Octopus Energy", type="Direct Debit", category="Bills", tags=("bill-payment",))
    if day.day == 9:
        _card(b, b.at(day, 4.02), 12.00, "giffgaff", ("GIFFGAFF", "GIFFGAFF.COM"), "Bills", ("bill-payment",))
    if day.day == 15:
        b.pay(b.at(day, 6.3), -17.53, "ROYAL COLLEGE OF NURS", name="Royal College of Nursing", type="Direct Debit", category="Bills", tags=("union-membership",))
    if day.day == 18:
        _card(b, b.at(day, 9.11), 10.99, "Netflix", ("NETFLIX.COM", "866-579-7172"), "Entertainment")
    if day.day == 27:
        salary = 2310.00 + b.money(190, 335)
        b.pay(b.at(day, 1.0), salary, "WHITECHAPEL HOSPITALS NHS SALARY", name="Whitechapel Hospitals NHS Trust", type="Bacs (Direct Credit)", category="Income", tags=("stable-income",))
    if day.day == 28:
        b.pay(b.at(day, 9.0), -400.00, "Savings", name="Savings", type="Pot transfer", category="Savings", tags=("cash-buffer",))


EVERYDAY = (
    ("Pret A Manger", ("PRET A MANGER", "LONDON"), "Eating out", 3.2, 8.9),
    ("TfL", ("TFL TRAVEL CH", "TFL.GOV.UK/CP"), "Transport", 1.75, 8.1),
    ("Sainsbury's", ("SAINSBURYS S/MKTS", "LONDON"), "Groceries", 4.5, 26.0),
    ("Amazon", ("AMAZON.CO.UK*RT4KJ2", "AMAZON.CO.UK"), "Shopping", 6.99, 34.0),
    ("Greggs", ("GREGGS PLC", "LONDON"), "Eating out", 1.9, 6.5),
)


ON_SHIFT = (
    ("Costa Coffee", ("COSTA COFFEE 43162", "LONDON"), "Eating out", 2.6, 4.4),
    ("RWH Staff Restaurant", ("RWH STAFF RESTAURANT", "LONDON"), "Eating out", 3.1, 7.8),
    ("Selecta", ("SELECTA UK", "LONDON"), "Eating out", 1.2, 2.9),
)


def _everyday(b: LifeBuilder, day: date, on_night: bool) -> None:
    """Small card payments in waking hours: lunch, a bus, groceries, or food on the ward at night."""
    for _ in range(b.times(1.3)):
        if on_night:
            # Awake from mid-afternoon; most of it is spent on shift, in the hospital, at night.
            name, descriptor, category, low, high = b.rng.choice(ON_SHIFT)
            hour = b.rng.uniform(20.5, 29.5)
            tags = ("late-night-spending",) if hour >= 24 else ()
            _card(b, b.at(day, hour), b.money(low, high), name, descriptor, category, tags, HOSPITAL, "Whitechapel Road, London, E1 1BB")
            continue
        name, descriptor, category, low, high = b.rng.choice(EVERYDAY)
        _card(b, b.at(day, b.rng.uniform(11.0, 21.0)), b.money(low, high), name, descriptor, category)


def _move(b: LifeBuilder, day: date, home: Place) -> None:
    b.pay(b.at(day - timedelta(days=9), 12.4), -1592.00, "DEPOSIT 22 HATHERLEY RD", name="Kestrel Lettings Ltd", type="Faster payment", category="Bills", notes="DEPOSIT 22 HATHERLEY RD", tags=("address-churn",))
    b.stay(HOME_BETHNAL_GREEN, b.at(day, 0), b.at(day, 9.4))
    _card(b, b.at(day, 8.2), 145.00, "AnyVan", ("ANYVAN.COM", "LONDON"), "General", ("address-churn",))
    b.stay(home, b.at(day, 10.3), b.at(day, 10.4), "IN_PASSENGER_VEHICLE", ("address-churn", "home-location"))


def _night_shift(b: LifeBuilder, day: date, home: Place) -> None:
    mode = "CYCLING" if home is HOME_BETHNAL_GREEN else "IN_SUBWAY"
    b.go(home, b.at(day, 18.6))
    if mode == "IN_SUBWAY":
        _card(b, b.at(day, 18.7), 2.80, "TfL", ("TFL TRAVEL CH", "TFL.GOV.UK/CP"), "Transport")
    b.stay(HOSPITAL, b.at(day, 19.2), b.at(day, 32.2), mode, ("night-activity", "work-location", "health"))
    if b.chance(0.12):
        _eats_to_hospital(b, day)
    if b.chance(0.45):
        _card(b, b.at(day, 26.5 + b.rng.random() * 1.8), b.money(2.6, 4.4), "Costa Coffee", ("COSTA COFFEE 43162", "LONDON"), "Eating out", ("late-night-spending",), HOSPITAL, "Whitechapel Road, London, E1 1BB")
    after = b.at(day, 32.2)
    if b.chance(0.07):
        ride = b.take_ride("uber", home, after, after + timedelta(hours=1), "GBP", GBP_TARIFF)
        _uber_card(b, ride)
    else:
        b.stay(home, after + timedelta(minutes=30), after + timedelta(hours=1), mode, ("home-location",))


def _tesco(b: LifeBuilder, day: date, home: Place) -> None:
    tesco = TESCO[home.key]
    b.stay(tesco, b.at(day, 15.6), b.at(day, 15.85), "WALKING")
    _card(b, b.at(day, 15.7), b.money(6, 21), "Tesco", ("TESCO STORES 2931", "LONDON"), "Groceries", place=tesco)
    b.go(home, b.at(day, 16.0))


def _eats_to_hospital(b: LifeBuilder, day: date) -> None:
    requested = b.at(day, 24.4 + b.rng.random() * 0.8)
    items = [("Chicken Katsu Curry", 1, 11.95)] if b.rng.random() < 0.5 else [("Margherita Pizza", 1, 10.50), ("Garlic Bread", 1, 4.25)]
    link = b.link(f"nurse-ward-dinner-{day.isoformat()}", "food delivered to the ward during a night shift: order, card payment, hospital visit", requested, HOSPITAL)
    shift = b.here
    assert shift is not None and shift.place is HOSPITAL
    shift.tags = (*shift.tags, link)
    restaurant = "Wagamama Whitechapel" if len(items) == 1 else "Franco Manca Whitechapel"
    order = b.order(Order("uber", requested, requested + timedelta(minutes=34), restaurant, items, 2.49, "GBP", "completed", ("late-night-spending", link)))
    _card(b, requested + timedelta(minutes=1), order.total, "Uber Eats", ("UBER *EATS", "HELP.UBER.COM"), "Eating out", ("late-night-spending", link))


def _uber_card(b: LifeBuilder, ride: Ride, tags: tuple[str, ...] = ()) -> None:
    assert ride.end is not None
    _card(b, ride.end + timedelta(minutes=2), ride.fare, "Uber", ("UBER *TRIP", "HELP.UBER.COM"), "Transport", tags)


def _day_off(b: LifeBuilder, day: date, home: Place, post_night: bool, pharmacy_day: bool) -> None:
    if day.weekday() == 5 or b.chance(0.12):
        b.stay(LIDL, b.at(day, 12.5), b.at(day, 13.1), "IN_BUS" if home is HOME_WALTHAMSTOW else "WALKING")
        _card(b, b.at(day, 13.0), b.money(24, 58), "Lidl", ("LIDL GB LONDON", "LONDON"), "Groceries", place=LIDL)
        b.go(home, b.at(day, 14.0), "IN_BUS" if home is HOME_WALTHAMSTOW else "WALKING")
    if post_night and b.chance(0.25):
        _tesco(b, day, home)
    if pharmacy_day:
        _pharmacy(b, day, home)
    b.go(home, b.at(day, 19.0))
    if day.weekday() in (4, 5) and b.chance(0.5):
        _pub_night(b, day, home)
    else:
        b.go(home, b.at(day, 24.0))


def _pub_night(b: LifeBuilder, day: date, home: Place) -> None:
    start, end = b.at(day, 19.6), b.at(day, 23.1 + b.rng.random() * 0.4)
    key = f"nurse-night-out-{day.isoformat()}"
    link = b.link(key, "an evening at the pub: visit, card payments at the bar, the ride home", start, PUB)
    b.stay(PUB, start, end, "IN_BUS", ("nightlife", link))
    rounds = 2 + b.rng.randrange(3)
    for number in range(rounds):
        _card(b, start + timedelta(minutes=20 + 50 * number), b.money(5.2, 14.8), "The Lamb and Flag", ("LAMB AND FLAG", "LONDON"), "Eating out", ("alcohol", link), PUB, "33 Bonner Road, London, E2 9JX")
    if b.chance(0.6):
        ride = b.take_ride("uber", home, end, b.at(day, 24.0), "GBP", GBP_TARIFF, ("nightlife", link))
        _uber_card(b, ride, (link,))
    else:
        b.stay(home, end + timedelta(minutes=40), b.at(day, 24.0), "IN_BUS")
    if b.chance(0.35):
        b.pay(end + timedelta(hours=13), round(b.money(9, 26), 2), "Chloe Martin", name="Chloe Martin", type="Monzo-to-Monzo", category="General", notes="drinks", tags=("p2p-network",))
    elif b.chance(0.2):
        b.pay(end + timedelta(hours=14), -b.money(8, 20), "Sent from Monzo", name="Tom Okafor", type="Faster payment", category="General", notes="pizza", tags=("p2p-network",))


def _physio(b: LifeBuilder, day: date, home: Place) -> None:
    start = b.at(day, 11.0)
    b.stay(PHYSIO, start, start + timedelta(minutes=45), "IN_BUS", ("health",))
    _card(b, start + timedelta(minutes=47), 58.00, "Kinetic Physio", ("KINETIC PHYSIO LTD", "LONDON"), "Personal care", ("health",), PHYSIO, "118 Commercial Street, London, E1 6NF")
    b.go(home, start + timedelta(hours=1, minutes=30), "IN_BUS")


def _pharmacy(b: LifeBuilder, day: date, home: Place) -> None:
    boots = BOOTS[home.key]
    when = b.at(day, 16.3)
    b.stay(boots, when, when + timedelta(minutes=12), "WALKING", ("medication",))
    _card(b, when + timedelta(minutes=9), 9.90, "Boots", ("BOOTS 1094", "LONDON"), "Personal care", ("medication",), boots)
    b.go(home, when + timedelta(minutes=30))


# --- the files --------------------------------------------------------------------------

ACCOUNT = rideshare.RiderAccount(
    first_name="Amara", last_name="Example", email="amara.example@example.invalid", mobile="+44 7700 900456",
    signup="2017-09-03", signup_lat=51.5262, signup_lon=-0.0489, rating=4.91, city="London",
    timezone="Europe/London", client_device="android", card_last4="7731",
)  # fmt: skip
RATINGS = [5] * 61 + [4] * 6 + [3]


def write(life: Life, points: Points, truth: Truth, run: Run) -> Bundle:
    bundle = Bundle()
    export = run.export_time
    takeout_name = f"takeout-{export:%Y%m%dT%H%M%S}Z-001.zip"
    settings = takeout.settings_json(DEVICE_TAG, "2017-09-03T18:22:41.511Z", f"{export:%Y-%m-%d}T09:58:02.114Z", "Pixel 7", "gb")
    broken_records = {len(points) // 3: "a fix without latitudeE7/longitudeE7"}
    bundle.add(
        takeout_name,
        takeout.takeout_archive(life, points, truth, takeout_name, run.zip_time, DEVICE_TAG, settings, broken_records, run.seed, _compresslevel(run)),
        "Google Takeout, 2023-2024 layout: `Location History (Timeline)/Records.json` (every raw fix of her Android phone), "
        "`Settings.json` (the phone), one Semantic Location History file per month (visits and journeys), and the "
        "`archive_browser.html` page every Takeout carries (not location data: listed as not read)",
    )
    first, last = run.first_day, run.last_day
    monzo_name = f"Monzo Data Export - CSV ({first:%A, %B} {first.day}, {first.year} to {last:%A, %B} {last.day}, {last.year}).csv"
    payments = life.payments
    broken = _broken_monzo_row(payments, life)
    bundle.add(
        monzo_name,
        bank.monzo_csv(life, payments, 4600.00, truth, monzo_name, broken),
        "her Monzo current account in Monzo's 20-column export: local date and time of every payment, Monzo's own "
        "types and categories, the card descriptor, a running balance",
    )
    uber_name = f"uber-data-export-{export:%Y-%m-%d}.zip"
    bundle.add(
        uber_name,
        rideshare.uber_archive(life, ACCOUNT, truth, uber_name, run.zip_time, "2023"),
        "Uber data export: `Rider/trips_data-0.csv` in the 2023 full layout (local times with a false `Z`), Eats "
        "orders (one row per item), ratings drivers gave her, and the profile with her current rating",
    )
    _trail(life, truth, run, bundle)
    return bundle


# --- the rest of the trail (issue 12): Facebook, Instagram, contacts, from their own random stream --

FULL_NAME = "Amara Example"
BREAK_POSTS = (
    "3am on the ward and the tea has gone cold again ☕ #nightshift",
    "Night four of four. Whoever invented the 12-hour shift never worked one 😴 #nhs #nightshift",
    "Quiet night for once, touch wood 🤞 #nurselife",
    "Café in the basement is shut, vending machine it is #nurselife",
    "Two admissions, one fall, zero sit-downs. Break at 4am 💪 #nhs",
)
DAY_POSTS = (
    "Sunday walk on the canal with the girls 🌸",
    "Finally slept eight hours. A miracle.",
    "Jollof for the whole street tonight 🍲",
    "Broadway Market haul, no regrets",
    "Sun's out in Victoria Park ☀️",
)


def _trail(life: Life, truth: Truth, run: Run, bundle: Bundle) -> None:
    """Her Facebook and Instagram downloads and the contacts on her phone."""
    rng = trail.trail_random(run)
    export = run.export_day
    facebook_posts: list[trail.Post] = []
    instagram_posts: list[trail.Post] = []
    for stay in life.stays:
        night_of = life.local(stay.start).date()
        if stay.place.key == HOSPITAL.key and "night-activity" in stay.tags:
            if rng.random() < 0.2:
                when = trail.local_instant(life, night_of, rng.uniform(27.0, 28.6), rng)
                facebook_posts.append(trail.Post(when, rng.choice(BREAK_POSTS), ("social-posting",)))
            if rng.random() < 0.06:
                when = trail.local_instant(life, night_of, rng.uniform(27.2, 28.8), rng)
                instagram_posts.append(trail.Post(when, rng.choice(BREAK_POSTS), ("social-posting",)))
        elif stay.place.key == PUB.key and rng.random() < 0.5:
            facebook_posts.append(trail.Post(stay.start + timedelta(minutes=rng.randrange(10, 40)), "Drinks with the ward crew 🍻", place=PUB))
    day = run.first_day
    while day <= run.last_day:
        if rng.random() < 0.08:
            instagram_posts.append(trail.Post(trail.local_instant(life, day, rng.uniform(11.0, 18.5), rng), rng.choice(DAY_POSTS)))
        if rng.random() < 0.05:
            facebook_posts.append(trail.Post(trail.local_instant(life, day, rng.uniform(10.0, 20.0), rng), rng.choice(DAY_POSTS)))
        day += timedelta(days=1)
    joined = datetime(2012, 9, 1, tzinfo=UTC)
    # Connections made before the last day: the trail never moves the end of the data.
    end = datetime(run.last_day.year, run.last_day.month, run.last_day.day, tzinfo=UTC)
    friends = list(zip(trail.people(rng, 184), trail.moments_between(rng, joined, end, 184), strict=True))
    facebook_name = f"facebook-amaraexample-{export:%Y-%m-%d}-Xq3ZkT9b.zip"  # names never depend on the seed
    bundle.add(
        facebook_name,
        trail.facebook_archive(FULL_NAME, facebook_posts, friends, truth, facebook_name, run.zip_time),
        "Facebook \"Download your information\" (JSON, 2024 layout): posts and check-ins (pub check-ins with the "
        "place and its coordinates) and the friends list, every text in Meta's double-encoded UTF-8",
    )
    names = trail.people(rng, 300)
    handles = [trail.handle_of(name, rng) for name in names]
    since = trail.moments_between(rng, datetime(2015, 3, 1, tzinfo=UTC), end, 300)
    followers = list(zip(handles[:236], since[:236], strict=True))
    following = list(zip([*handles[:150], *handles[236:]], [*since[:150], *since[236:]], strict=True))
    instagram_name = f"instagram-amara.example-{export:%Y-%m-%d}-Lp7WcR2m.zip"
    bundle.add(
        instagram_name,
        trail.instagram_archive(instagram_posts, followers, following, truth, instagram_name, run.zip_time),
        "Instagram \"Download your information\" (JSON, 2024 layout): posts with captions, followers and following "
        "(the 2024 `following.json` with the handle in `title`)",
    )
    colleagues = set(rng.sample(range(152), 38))
    contacts = [
        trail.Contact(
            name,
            f"+44 7700 9{rng.randrange(10**5):05d}",
            f"{trail.handle_of(name, rng)}@example.invalid" if rng.random() < 0.4 else "",
            "Royal Whitechapel Hospital" if number in colleagues else "",
            "Ward 7,myContacts" if number in colleagues else "myContacts",
        )
        for number, name in enumerate(trail.people(rng, 152))
    ]
    bundle.add(
        "contacts.vcf",
        trail.vcard_file(contacts, truth, "contacts.vcf"),
        "her phone's address book as Google Contacts exports it (vCard 3.0): names, phones, some e-mails, "
        "colleagues labelled with the hospital and the ward",
    )


def _compresslevel(run: Run) -> int | None:
    return 1 if run.days > 1000 else None  # a decade of fixes compresses fast enough at level 1


def _broken_monzo_row(payments: list, life: Life) -> dict[int, str]:
    """One grocery row in the second month gets 29 February of a year that has none."""
    for number, payment in enumerate(payments):
        local = life.local(payment.time)
        if payment.name == "Lidl" and local.month == 2 and local.year % 4 != 0:
            return {number: f"29/02/{local.year}"}
    for number, payment in enumerate(payments):
        if payment.name == "Lidl" and number > len(payments) // 2:
            return {number: f"31/04/{life.local(payment.time).year}"}
    return {}


STORY = """\
Amara is a staff nurse at the Royal Whitechapel Hospital in east London. She works blocks of
12-hour night shifts (19:30 to 08:00, three or four nights in a row), cycles to work while she
lives in Bethnal Green and takes the Overground and tube after she moves to Walthamstow. On
night shifts she buys a coffee around 3 am and now and then orders food to the ward through Uber
Eats; after a hard night she sometimes takes an Uber home. On nights off she meets friends at a
pub in Bethnal Green and often takes an Uber home just before midnight. Her salary arrives from
the NHS trust on the 27th; rent, council tax, energy, phone and her Royal College of Nursing
membership leave on schedule; £400 goes into a savings pot every month and her balance never
dips below zero. Half-way through the year she moves house (deposit, removal van, new letting
agent). In the autumn she sees a physiotherapist for six weeks about her back, and she pays for
a prescription at Boots every month. On her break, around 3 or 4 am, she sometimes posts on
Facebook or Instagram; on pub nights she checks in. Her phone's address book holds 152 people,
38 of them colleagues from the ward; she has 184 Facebook friends and about 240 followers on
Instagram.
"""

INFERENCES = """\
- **Irregular habits**: most of her card spending after midnight is at the hospital during a
  shift; cash-flow scorers (Berg et al.'s "night buyers") and Sesame-style "behaviour" read it as
  a risk.
- **Health (GDPR Art. 9)**: three nights a week at a hospital, a weekly clinic and monthly
  pharmacy payments read as a patient with a chronic condition, though she is the nurse.
- **Unstable identity**: the change of home counts against "identity stability" and tenancy
  screeners.
- **Union membership (Art. 9)**: the RCN Direct Debit reveals a trade union.
- **Nightlife**: pub payments and late rides home feed "alcohol" and "nightlife" rules.
- What a fair reader would see: stable income from one employer, rent and bills on time, a
  growing savings pot, no overdraft, no borrowing.
- **Social media and the people she knows**: posts between 3 and 5 am give the night shifts away
  a second time; pub check-ins put her at the bar with a place and coordinates; friends,
  followers and contacts are the "interpersonal relationships" Sesame scores and the network a
  lender could score her by (Facebook's patent US 9,100,400).
"""

PERSONA = Persona(
    name=NAME,
    summary="a night-shift nurse in London whose sound finances look irregular and unhealthy to scorers",
    timezone="Europe/London",
    start=date(2023, 3, 1),
    years=1.0,
    density=1.0,
    shipped=True,
    signals=SIGNALS,
    simulate=simulate,
    write=write,
    story=STORY,
    inferences=INFERENCES,
    point_seconds=(900.0, 90.0),
)

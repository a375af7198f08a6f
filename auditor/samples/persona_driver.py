"""Marcus, a ride-hail driver in Chicago: thin savings, a payday loan, overdrafts.

Marcus drives for Uber six evenings a week, from mid-afternoon until after 2 am, and is
paid every Tuesday; the amount swings with the week. Rent, a car loan and insurance take
most of it. When his car needs a repair in January and he has to move twice in one winter,
he borrows from an online payday lender, rolls the loan over, bounces a repayment and
runs into overdraft fees; a credit-card payment is missed and a late fee follows. When he
rides instead of drives, his Uber rider rating is a middling 4.6.

Files (formats.md): the on-device Google Timeline export of his Android phone
(``Timeline.json``), Chase checking and Chase credit-card CSVs, and an Uber data export in
the 2025 short layout.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from auditor.samples import bank, ondevice, rideshare, trail
from auditor.samples.life import Life, LifeBuilder, Order, Place, Points, Ride
from auditor.samples.output import Bundle
from auditor.samples.spec import Persona, Run
from auditor.samples.truth import Truth

NAME = "gig-driver"
USD_TARIFF = (2.2, 1.15, 0.28, 7.5)  # base, per mile, per minute, minimum: UberX in Chicago

HOME_LITTLE_VILLAGE = Place("driver-home-1", "Home", "2417 S Troy St, Chicago, IL 60623, USA", 41.847712, -87.704698, "home", "TYPE_HOME", 12)
HOME_CICERO = Place("driver-home-2", "Home", "1816 S 50th Ct, Cicero, IL 60804, USA", 41.856203, -87.751611, "home", "TYPE_HOME", 12)
HOME_BERWYN = Place("driver-home-3", "Home", "6512 W 34th St, Berwyn, IL 60402, USA", 41.830014, -87.790512, "home", "TYPE_HOME", 12)
HOTSPOTS = (
    Place("driver-ohare", "O'Hare Rideshare Waiting Lot", "10000 W Balmoral Ave, Chicago, IL 60666, USA", 41.978603, -87.884701, "parking", spread_m=80),
    Place("driver-union", "Chicago Union Station", "225 S Canal St, Chicago, IL 60606, USA", 41.878911, -87.640302, "train_station", spread_m=60),
    Place("driver-wicker", "Wicker Park", "1600 N Milwaukee Ave, Chicago, IL 60647, USA", 41.910106, -87.677601, "neighborhood", spread_m=60),
    Place("driver-river-north", "River North", "W Hubbard St & N Clark St, Chicago, IL 60654, USA", 41.889902, -87.631104, "neighborhood", spread_m=60),
    Place("driver-midway", "Midway Airport Cell Phone Lot", "5700 S Cicero Ave, Chicago, IL 60638, USA", 41.789507, -87.741605, "parking", spread_m=60),
    Place("driver-united", "United Center", "1901 W Madison St, Chicago, IL 60612, USA", 41.880710, -87.674203, "stadium", spread_m=70),
)
GAS = Place("driver-shell", "Shell", "3401 W Cermak Rd, Chicago, IL 60623, USA", 41.851708, -87.710711, "gas_station")
TACO_BELL = Place("driver-taco-bell", "Taco Bell", "2814 S Pulaski Rd, Chicago, IL 60623, USA", 41.840512, -87.724406, "fast_food")
ALDI = Place("driver-aldi", "ALDI", "3835 W 26th St, Chicago, IL 60623, USA", 41.844306, -87.720211, "supermarket")
BAR = Place("driver-bar", "The Ashland Tap", "1601 N Ashland Ave, Chicago, IL 60622, USA", 41.910912, -87.667703, "bar")
MIDAS = Place("driver-midas", "Midas", "4040 W Ogden Ave, Chicago, IL 60623, USA", 41.849203, -87.727208, "car_repair")

SIGNALS = {
    "gig-income": "His only income: weekly Uber driver payouts (ACH credits every Tuesday).",
    "income-volatility": "The payouts swing with the week, drop after the holidays and shrink the week the car is in the shop.",
    "payday-loan": "Three CashNetUSA loans, each taken within two weeks of repaying the last (a CFPB 'sequence').",
    "cash-advance": "EarnIn advances against next week's pay, repaid from the payout.",
    "returned-payment": "An insufficient-funds fee for a payday-loan repayment that bounced.",
    "overdraft": "Overdraft fees when card purchases take the balance below zero.",
    "late-payment": "A credit-card payment missed (late fee and interest on the card), and January's rent paid late.",
    "cash-buffer": "The checking balance hovers near zero and goes negative.",
    "rent-payment": "Rent by Zelle to his landlord, then to his cousin, then to a new landlord.",
    "address-churn": "Two moves in one winter: Little Village to Cicero to Berwyn.",
    "home-location": "Where he sleeps, from 3 am to noon.",
    "late-night-driving": "Hours in a car between midnight and 4 am, six nights a week.",
    "night-activity": "Out and moving every night until after 2 am.",
    "late-night-spending": "Fast food and gas paid after midnight, on the way home from driving.",
    "driving-exposure": "Long daily drives across the city and to both airports.",
    "p2p-network": "Venmo payments to and cash-outs from friends; Zelle to family.",
    "service-rating": "Uber rider rating 4.62, with low star ratings from drivers among them.",
    "nightlife": "A night out at a bar with an Uber ride home.",
    "bill-payment": "Phone, car insurance and car loan.",
    "social-posting": "Tweets sent between 1 and 4 am at the end of his shifts, about the night's takings, the payday loan and the overdraft fees.",
    "social-network": "His X followers and the accounts he follows (account ids only).",
}


def _stable_digits(*parts: object, length: int = 10) -> str:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return str(int(digest, 16))[:length]


def _ach(company: str, entry: str, ppd: str) -> str:
    """Chase's wording of an ACH entry: company name, entry description, originator id."""
    return f"{company} {entry} PPD ID: {ppd}"


def _debit_card(b: LifeBuilder, text: str, when: datetime) -> str:
    """Chase's debit-card wording: merchant, city and state, then the purchase date."""
    return f"{text:<40}{b.life.local(when):%m/%d}"


class Checking:
    """Marcus's Chase checking account: payments worded as Chase words them."""

    def __init__(self, b: LifeBuilder):
        self.b = b

    def card(self, when: datetime, amount: float, text: str, tags=(), place: Place | None = None) -> None:
        self.b.pay(when, -amount, _debit_card(self.b, text, when), account="checking", type="DEBIT_CARD", place=place, tags=tuple(tags))

    def ach(self, when: datetime, amount: float, company: str, entry: str, tags=()) -> None:
        kind = "ACH_CREDIT" if amount > 0 else "ACH_DEBIT"
        ppd = _stable_digits(company, length=10)
        self.b.pay(when, amount, _ach(company, entry, ppd), account="checking", type=kind, name=company, tags=tuple(tags))

    def zelle(self, when: datetime, amount: float, person: str, tags=()) -> None:
        code = "JPM99" + hashlib.sha256(f"{person}{when}".encode()).hexdigest()[:7]
        if amount < 0:
            text, kind = f"Zelle payment to {person} {code}", "QUICKPAY_DEBIT"
        else:
            text, kind = f"Zelle payment from {person} {code}", "QUICKPAY_CREDIT"
        self.b.pay(when, amount, text, account="checking", type=kind, name=person, tags=tuple(tags))

    def venmo(self, when: datetime, amount: float, tags=()) -> None:
        reference = _stable_digits("venmo", when, length=13)
        if amount < 0:
            text = f"VENMO            PAYMENT    {reference}    WEB ID: 3264681992"
        else:
            text = f"VENMO            CASHOUT    {reference}    PPD ID: 5264681992"
        self.b.pay(when, amount, text, account="checking", type="ACH_DEBIT" if amount < 0 else "ACH_CREDIT", tags=tuple(tags))


def simulate(b: LifeBuilder, run: Run) -> None:
    """Six evenings of driving a week, a winter of moves, a repair and a loan sequence."""
    chase = Checking(b)
    first_move = run.first_day + timedelta(days=int(run.days * 0.41))
    second_move = run.first_day + timedelta(days=int(run.days * 0.83))
    repair_from = run.first_day + timedelta(days=int(run.days * 0.58))
    repair_days = {repair_from + timedelta(days=i) for i in range(7)}
    b.move_home(run.first_day, HOME_LITTLE_VILLAGE)
    b.move_home(first_move, HOME_CICERO)
    b.move_home(second_move, HOME_BERWYN)
    ratings = [5] * 40 + [4] * 8 + [3] * 2 + [2, 1]  # averages 4.63; the profile says 4.62
    b.rng.shuffle(ratings)
    b.life.ratings_received = ratings
    b.stay(HOME_LITTLE_VILLAGE, b.at(run.first_day, 0), b.at(run.first_day, 11))
    week_earnings = 655.0  # the week before the period, paid on its first Tuesday
    for number, day in enumerate(b.days()):
        home = b.home_on(day)
        if day.weekday() == 1:
            _payout(b, chase, day, week_earnings)
            week_earnings = 0.0
        _bills(b, chase, day, home, run)
        if day in (first_move, second_move):
            _move(b, chase, day, home)
        else:
            b.stay(home, b.at(day, 0), b.at(day, 11.5), tags=("home-location",))
        day_off = day.weekday() == (0 if (number // 7) % 2 else 6)
        if day in repair_days:
            _repair_day(b, chase, day, home, first=day == repair_from)
        elif day_off:
            _day_off(b, chase, day, home)
        else:
            week_earnings += _drive(b, chase, day, home)
    _loans(b, chase, run)
    _overdraft_fees(b)


def _payout(b: LifeBuilder, chase: Checking, day: date, earned: float) -> None:
    if earned <= 0:
        return
    chase.ach(b.at(day, 5.0), round(earned, 2), "UBER USA 6787", "EDI PAYMNT", ("gig-income", "income-volatility"))


def _bills(b: LifeBuilder, chase: Checking, day: date, home: Place, run: Run) -> None:
    rent_day = 6 if day.month == 1 else 1  # January's rent goes out five days late
    if day.day == rent_day:
        late = ("late-payment",) if rent_day != 1 else ()
        landlord, rent = {HOME_LITTLE_VILLAGE.key: ("Rosa Delgado", 1150.0), HOME_CICERO.key: ("Luis Reyes", 600.0), HOME_BERWYN.key: ("Brian Kowalski", 1050.0)}[home.key]
        chase.zelle(b.at(day, 10.2), -rent, landlord, ("rent-payment", *late))
    if day.day == 3:
        chase.ach(b.at(day, 3.0), -389.00, "WESTLAKE FINANCIA", "AUTO PYMT", ("bill-payment",))
    if day.day == 12:
        chase.card(b.at(day, 4.0), 70.00, "TMOBILE*AUTO PAY 800-937-8997 WA", ("bill-payment",))
    if day.day == 20:
        chase.ach(b.at(day, 3.2), -b.money(171, 176), "GEICO", "PAYMENT", ("bill-payment",))
    if day.day == 18 and day.month != 2:
        b.pay(b.at(day, 9.0), -35.00, f"Payment to Chase card ending in 5678 {day:%m/%d}", account="checking", type="LOAN_PMT")
        b.pay(b.at(day, 9.0), 35.00, "Payment Thank You-Mobile", account="card", type="Payment")
    if day.day == 25:
        b.pay(b.at(day, 2.0), -b.money(8, 19), "PURCHASE INTEREST CHARGE", account="card", type="Fee", category="Fees & Adjustments", tags=("late-payment",) if day.month == 2 else ())
        if day.month == 2:
            b.pay(b.at(day, 2.0), -40.00, "LATE FEE", account="card", type="Fee", category="Fees & Adjustments", tags=("late-payment",))


def _move(b: LifeBuilder, chase: Checking, day: date, home: Place) -> None:
    old = b.here.place if b.here is not None else home
    b.stay(old, b.at(day, 0), b.at(day, 10.0))
    chase.card(b.at(day, 9.6), b.money(89, 140), "U-HAUL MOVING & STORAGE CHICAGO IL", ("address-churn",))
    b.stay(home, b.at(day, 11.2), b.at(day, 15.0), "IN_PASSENGER_VEHICLE", ("address-churn", "home-location"))


def _drive(b: LifeBuilder, chase: Checking, day: date, home: Place) -> float:
    """An evening and night of driving; returns what he earned (net of Uber's cut)."""
    if b.chance(0.4):
        b.stay(GAS, b.at(day, 15.2), b.at(day, 15.45), "IN_PASSENGER_VEHICLE")
        _gas(b, chase, b.at(day, 15.35))
    stops = 4 + b.rng.randrange(4)
    hour = 16.0
    for _ in range(stops):
        spot = b.rng.choice(HOTSPOTS)
        hour += 0.9 + b.rng.random() * 1.2
        after_midnight = hour >= 24.0
        tags = ("late-night-driving", "night-activity") if after_midnight else ("driving-exposure",)
        b.stay(spot, b.at(day, hour), b.at(day, hour + 0.2 + b.rng.random() * 0.4), "IN_PASSENGER_VEHICLE", journey_tags=tags)
        if 20.5 < hour < 22.0 and b.chance(0.3):
            chase.card(b.at(day, hour + 0.1), b.money(7, 13), "MCDONALD'S F5512 CHICAGO IL", place=spot)
    end = max(hour + 1.0, 26.0 + b.rng.random() * 0.8)
    if b.chance(0.35):
        b.stay(TACO_BELL, b.at(day, end - 0.3), b.at(day, end - 0.1), "IN_PASSENGER_VEHICLE", ("late-night-spending",), journey_tags=("late-night-driving", "night-activity"))
        chase.card(b.at(day, end - 0.2), b.money(6, 12), "TACO BELL #031233 CHICAGO IL", ("late-night-spending",), TACO_BELL)
    b.stay(home, b.at(day, end), b.at(day, end + 0.5), "IN_PASSENGER_VEHICLE", ("home-location",), journey_tags=("late-night-driving", "night-activity"))
    trips = 8 + b.rng.randrange(9)
    winter = 0.8 if day.month in (12, 1, 2) else 1.0  # fewer riders after the holidays
    return trips * b.rng.uniform(7.8, 11.0) * winter


def _gas(b: LifeBuilder, chase: Checking, when: datetime) -> None:
    amount = b.money(34, 58)
    if b.rng.random() < 0.3:
        b.pay(when, -amount, "SHELL OIL 57444391006", account="card", type="Sale", category="Gas", place=GAS)
    else:
        chase.card(when, amount, "SHELL OIL 57444391006 CHICAGO IL", place=GAS)


def _day_off(b: LifeBuilder, chase: Checking, day: date, home: Place) -> None:
    b.stay(ALDI, b.at(day, 12.5), b.at(day, 13.1), "IN_PASSENGER_VEHICLE")
    chase.card(b.at(day, 13.0), b.money(38, 92), "ALDI 67022 CHICAGO IL", place=ALDI)
    b.go(home, b.at(day, 20.0), "IN_PASSENGER_VEHICLE")
    if b.chance(0.3):
        _night_out(b, chase, day, home)
    else:
        b.go(home, b.at(day, 24.0))
    if b.chance(0.5):
        friend_owes = b.rng.random() < 0.5
        chase.venmo(b.at(day, 21.5), b.money(15, 60) * (1 if friend_owes else -1), ("p2p-network",))


def _night_out(b: LifeBuilder, chase: Checking, day: date, home: Place) -> None:
    start, end = b.at(day, 20.8), b.at(day, 25.2 + b.rng.random() * 0.5)
    link = b.link(f"driver-night-out-{day.isoformat()}", "a night at a bar: visit, debit-card payments at the bar, the Uber ride home", start, BAR)
    b.stay(BAR, start, end, "IN_BUS", ("nightlife", link))
    for number in range(2 + b.rng.randrange(2)):
        chase.card(start + timedelta(minutes=25 + 55 * number), b.money(8, 26), "SQ *THE ASHLAND TAP Chicago IL", (link,), BAR)
    ride = b.take_ride("uber", home, end, end + timedelta(hours=8), "USD", USD_TARIFF, ("nightlife", "late-night-spending", link), stay_tags=("home-location",))
    _uber_card(b, chase, ride, ("late-night-spending", link))


def _uber_card(b: LifeBuilder, chase: Checking, ride: Ride, tags=()) -> None:
    assert ride.end is not None
    chase.card(ride.end + timedelta(minutes=3), ride.fare, "UBER   *TRIP HELP.UBER.COM CA", tags)


def _repair_day(b: LifeBuilder, chase: Checking, day: date, home: Place, first: bool) -> None:
    """The car is in the shop: no driving, errands by Uber, the bill on the credit card."""
    if first:
        b.stay(MIDAS, b.at(day, 12.0), b.at(day, 12.6), "IN_PASSENGER_VEHICLE")
        b.pay(b.at(day, 12.5), -612.48, "MIDAS 0274", account="card", type="Sale", category="Automotive", place=MIDAS)
        b.go(home, b.at(day, 24.0), "WALKING")
        return
    if b.chance(0.6):
        ride = b.take_ride("uber", ALDI, b.at(day, 13.0), b.at(day, 13.6), "USD", USD_TARIFF)
        _uber_card(b, chase, ride)
        chase.card(b.at(day, 13.5), b.money(30, 70), "ALDI 67022 CHICAGO IL", place=ALDI)
        ride = b.take_ride("uber", home, b.at(day, 13.7), b.at(day, 24.0), "USD", USD_TARIFF)
        _uber_card(b, chase, ride)
    else:
        b.go(home, b.at(day, 24.0))
    if b.chance(0.3):
        requested = b.at(day, 20.5)
        order = b.order(Order("uber", requested, requested + timedelta(minutes=41), "Taqueria El Milagro", [("Burrito", 2, 9.75), ("Horchata", 1, 3.5)], 4.99, "USD"))
        chase.card(requested + timedelta(minutes=1), order.total, "UBER   *EATS HELP.UBER.COM CA")


def _balance_at(b: LifeBuilder, moment: datetime) -> float:
    return OPENING_BALANCE + sum(p.amount for p in b.life.payments if p.account == "checking" and p.time < moment)


def _loans(b: LifeBuilder, chase: Checking, run: Run) -> None:
    """The payday sequence and the cash advances, placed where the money runs out.

    The first repayment falls due on the morning, in the middle of the period, when the
    balance is lowest; the lender's debit at 3 am bounces and is tried again three days
    later. Each new loan comes five days after a repayment (a CFPB "sequence").
    """
    window = [d for d in b.days() if run.days * 0.35 < (d - run.first_day).days < run.days * 0.7]
    if not window:
        return
    first_due = min(window, key=lambda d: _balance_at(b, b.at(d, 3.0)))
    taken = first_due - timedelta(days=14)
    for number in range(3):
        amount = (400.00, 500.00, 300.00)[number]
        owed = round(amount * 1.15, 2)
        chase.ach(b.at(taken, 6.0), amount, "CASHNETUSA", "LOAN", ("payday-loan",))
        due = taken + timedelta(days=14)
        due_at = b.at(due, 3.0)
        if number == 0:
            text = f"INSUFFICIENT FUNDS FEE FOR A ${owed:.2f} ITEM - DETAILS: {_ach('CASHNETUSA', 'PAYMENT', _stable_digits('CASHNETUSA'))}"
            b.pay(due_at, -34.00, text, account="checking", type="FEE_TRANSACTION", tags=("returned-payment", "payday-loan"))
            due += timedelta(days=3)  # the lender tries again on Friday
        chase.ach(b.at(due, 3.0), -owed, "CASHNETUSA", "PAYMENT", ("payday-loan",))
        taken = due + timedelta(days=5)  # a new loan within 14 days of repaying: a sequence
    for monday in (first_due - timedelta(days=22), first_due + timedelta(days=27)):
        chase.ach(b.at(monday, 7.0), 100.00, "EARNIN", "TRANSFER", ("cash-advance",))
        chase.ach(b.at(monday + timedelta(days=8), 7.0), -100.00, "EARNIN", "PAYMENT", ("cash-advance",))


def _overdraft_fees(b: LifeBuilder) -> None:
    """Chase's $34 overdraft fee for a card purchase that overdraws the account by more than $50.

    Chase charges no fee for an overdraft of $50 or less and at most three a day; here each
    overdraft episode (days in a row below zero) costs at most two fees, which keeps a
    half-year statement to the handful of fees the story needs.
    """
    balance = OPENING_BALANCE
    fees: list[tuple[datetime, str]] = []
    episode_fees = 0
    charged_days: set[date] = set()
    for payment in sorted((p for p in b.life.payments if p.account == "checking"), key=lambda p: p.time):
        balance = round(balance + payment.amount, 2)
        if balance >= 0:
            episode_fees = 0
            continue
        day = b.life.local(payment.time).date()
        if balance < -50 and payment.type == "DEBIT_CARD" and episode_fees < 2 and day not in charged_days:
            episode_fees += 1
            charged_days.add(day)
            merchant = payment.description[:40].rstrip()
            fees.append((b.at(day, 23.9), f"OVERDRAFT FEE FOR A ${-payment.amount:.2f} CARD PURCHASE - DETAILS: {day:%m%d}{merchant}"))
            balance -= 34.00
    for when, text in fees:
        b.pay(when, -34.00, text, account="checking", type="FEE_TRANSACTION", tags=("overdraft", "cash-buffer"))


OPENING_BALANCE = 612.20
CARD_OPENING_BALANCE = -1240.55

ACCOUNT = rideshare.RiderAccount(
    first_name="Marcus", last_name="Example", email="marcus.example@example.invalid", mobile="+1 312 555 0148",
    signup="2016-02-11", signup_lat=41.8477, signup_lon=-87.7047, rating=4.62, city="Chicago",
    timezone="America/Chicago", client_device="android", card_last4="1234",
)  # fmt: skip


def write(life: Life, points: Points, truth: Truth, run: Run) -> Bundle:
    bundle = Bundle()
    timeline = "Timeline.json"
    bundle.add(
        timeline,
        ondevice.android_timeline(life, points, truth, timeline, broken_visit=len(life.stays) // 2, path_every=3),
        "Google Timeline exported from his Android phone (2024+ on-device layout): visits, journeys and 2-hour path "
        "windows in local time, raw device positions of the last two weeks, and Google's HOME label",
    )
    export = run.export_day
    checking = [p for p in life.payments if p.account == "checking"]
    card = [p for p in life.payments if p.account == "card"]
    checking_name = f"Chase1234_Activity_{export:%Y%m%d}.CSV"
    broken = _broken_chase_row(checking, life)
    bundle.add(
        checking_name,
        bank.chase_checking_csv(life, checking, OPENING_BALANCE, truth, checking_name, broken),
        "Chase checking: `Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #`, newest first, "
        "Chase's ACH, Zelle, debit-card and fee wording, every row ending with a comma",
    )
    card_name = f"Chase5678_Activity{run.first_day:%Y%m%d}_{run.last_day:%Y%m%d}_{export:%Y%m%d}.CSV"
    bundle.add(
        card_name,
        bank.chase_card_csv(life, card, truth, card_name),
        "Chase credit card (Freedom): `Transaction Date,Post Date,Description,Category,Type,Amount,Memo`, purchases "
        "negative, Chase's own categories, the late fee and interest",
    )
    uber_name = f"uber-data-export-{export:%Y-%m-%d}.zip"
    bundle.add(
        uber_name,
        rideshare.uber_archive(life, ACCOUNT, truth, uber_name, run.zip_time, "2025"),
        "Uber data export: `Rider/trips_data-0.csv` in the 2025 short layout (15 columns, real `Z` times, the "
        "currency as a name), Eats orders, ratings drivers gave him, and the profile with his rating",
    )
    where = f"{uber_name}!{rideshare.UBER_ROOT}/Account and Profile/user_profile-0.csv"
    truth.mark(("service-rating",), where, "ratings", 2, "4.62")
    _trail(life, truth, run, bundle)
    return bundle


# --- the rest of the trail (issue 12): his X archive, from its own random stream -------------

END_OF_SHIFT_TWEETS = (
    "last ride done. 11 hours, $143 before gas #uberdriver",
    "surge died at midnight again, heading home #gigwork",
    "taco bell drive thru is my office at this hour",
    "2am on Cermak and every light is red. goodnight chicago",
    "rider left a 5 star and no tip. the stars don't pay rent #uberdriver",
    "another O'Hare run, 40 min in the lot for a $19 fare #gigwork",
)
MONEY_TWEETS = {
    "payday-loan": "payday loan rolled over again. $95 fee to borrow $500 for two more weeks",
    "overdraft": "overdraft fee on a $4 coffee. the bank made more off me today than uber did",
    "returned-payment": "payment bounced, now they want a $34 fee on top. can't make this up",
}
DAY_TWEETS = (
    "Bulls lose again, season is over in November",
    "pothole on Pulaski ate another tire. city of big shoulders and bigger potholes",
    "snow on the lake front this morning, beautiful when you're not driving in it",
    "who else is watching the Bears game tonight",
    "car is back from Midas, wallet is not",
    "free coffee at the rideshare lot today, small wins",
)


def _trail(life: Life, truth: Truth, run: Run, bundle: Bundle) -> None:
    """Marcus's X archive: end-of-shift tweets, money-stress tweets at night, daytime chatter."""
    rng = trail.trail_random(run)
    posts: list[trail.Post] = []
    for stay in life.stays:
        if stay.place.key == TACO_BELL.key and rng.random() < 0.45:
            posts.append(trail.Post(stay.start + timedelta(minutes=rng.randrange(2, 9)), rng.choice(END_OF_SHIFT_TWEETS), ("social-posting",), likes=rng.randrange(4)))
    seen: set[str] = set()
    for payment in life.payments:
        kind = next((tag for tag in ("returned-payment", "payday-loan", "overdraft") if tag in payment.tags), None)
        day = life.local(payment.time).date()
        if kind is None or f"{kind}{day}" in seen:
            continue
        seen.add(f"{kind}{day}")
        when = trail.local_instant(life, day + timedelta(days=1), rng.uniform(1.0, 3.8), rng)
        if when < life.stays[-1].end:  # the trail never moves the end of the data
            posts.append(trail.Post(when, MONEY_TWEETS[kind], ("social-posting",), likes=rng.randrange(9)))
    day = run.first_day
    while day <= run.last_day:
        if rng.random() < 0.2:
            posts.append(trail.Post(trail.local_instant(life, day, rng.uniform(10.5, 16.5), rng), rng.choice(DAY_TWEETS), likes=rng.randrange(6)))
        day += timedelta(days=1)
    following = trail.account_ids(rng, 212)
    followers = [*following[:87], *trail.account_ids(rng, 52)]
    rng.shuffle(followers)
    export = run.export_day
    name = f"twitter-{export:%Y-%m-%d}-{hashlib.sha256(b'x-archive:marcus').hexdigest()}.zip"
    bundle.add(
        name,
        trail.twitter_archive(posts, followers, following, rng, truth, name, run.zip_time),
        "his X (Twitter) archive: `data/tweets.js` behind its `window.YTD.tweets.part0 =` assignment (UTC times, "
        "string counts, HTML-escaped text), `data/follower.js` and `data/following.js` (account ids only)",
    )


def _broken_chase_row(payments: list, life: Life) -> dict[int, str]:
    """A grocery row half-way through gets its date written day-first (as a UK spreadsheet would)."""
    for number in range(len(payments) // 2, len(payments)):
        local = life.local(payments[number].time)
        if "ALDI" in payments[number].description and local.day > 12:
            return {number: local.strftime("%d/%m/%Y")}
    return {}


STORY = """\
Marcus drives for Uber in Chicago six evenings a week, from mid-afternoon until two or three in
the morning: the O'Hare waiting lot, Union Station, River North, Wicker Park, Midway. Uber pays him
every Tuesday, and the amount swings with the week. Rent, a car loan, insurance, phone, gas and
food take nearly all of it; his checking balance hovers around zero. In one winter he moves twice
(from Little Village to his cousin's in Cicero, then to Berwyn) and his car spends a week at the
garage, paid on his Chase card. To cover the gap he borrows from an online payday lender, repays,
borrows again within two weeks, and again; the first repayment bounces. EarnIn advances fill other
weeks. Card purchases push his account below zero and overdraft fees follow. January's rent goes out
five days late, and in February he misses his credit-card payment. On nights off he sometimes goes to
a bar in Wicker Park and takes an Uber home; the week his car is in the shop he rides everywhere.
Drivers rate him 4.62. On X he tweets at the end of his shifts, between 1 and 4 am, about the
night's takings, and about the payday loan and the overdraft fees the nights they come.
"""

INFERENCES = """\
- **Cash-flow underwriters** (Prism, Plaid-style models): gig income with high volatility, a payday
  loan *sequence* (the CFPB's definition: a new loan within 14 days of repaying one), an NSF, repeated
  overdraft fees, a negative balance, cash-advance apps: "high risk".
- **Landlord screening**: two moves in a winter, rent paid late once, income from gig platforms
  only, rent at a large share of income.
- **Insurer**: hours in a car between midnight and 4 am six nights a week (that is his job).
- **Sesame-style "relationships"**: a rider rating of 4.62, well below the 4.82 Australian
  average and close to the 4.6 line where a Sesame-style pack starts to warn (inference.md A11),
  on a handful of low ratings that carry no reason.
- **Late-night spending**: fast food at 2 am on the way home from work (Chase's CSVs carry dates
  only; the hour shows in his location history, where the stop is a visit at 2 am).
- What a fair reader would see: a full-time worker whose job is driving at night, with no
  employer to smooth his pay and no buffer for a repair.
- **Social media**: the X archive dates every tweet to the second: posts between 1 and 4 am, and
  in his own words the payday loan and the overdraft; employers' social-media screens read both.
"""

PERSONA = Persona(
    name=NAME,
    summary="a ride-hail driver in Chicago with thin savings, a payday loan, overdrafts and a middling rider rating",
    timezone="America/Chicago",
    start=date(2024, 10, 1),
    years=0.5,
    density=1.0,
    shipped=True,
    signals=SIGNALS,
    simulate=simulate,
    write=write,
    story=STORY,
    inferences=INFERENCES,
    point_seconds=(1800.0, 240.0),
)

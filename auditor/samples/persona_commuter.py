"""Dana, a comfortable commuter in Philadelphia: a high score that still gives a lot away.

Dana manages projects for an electrical contractor downtown, takes the subway to work,
is paid every other Friday, saves every month and never pays late. The same files show
Sunday Mass at a Catholic parish and monthly giving, a dating-app subscription, union dues
to an IBEW local and its monthly meeting, and weekends at Atlantic City casinos: every one
a special category or a "risky" behaviour that a data broker or an insurer would sell or
price, whatever the credit score says.

Files (formats.md): the on-device Google Timeline export of an iPhone
(``location-history.json``), an OFX statement of the checking account, a Capital One
credit-card CSV, and a Lyft data export.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from auditor.samples import bank, ondevice, rideshare, trail
from auditor.samples.life import Life, LifeBuilder, Place, Points, Ride
from auditor.samples.output import Archive, Bundle
from auditor.samples.spec import Persona, Run
from auditor.samples.truth import Truth

NAME = "comfortable-commuter"
LYFT_TARIFF = (2.5, 1.35, 0.32, 8.0)  # base, per mile, per minute, minimum

HOME = Place("commuter-home", "Home", "418 Pine St, Philadelphia, PA 19106, USA", 39.944512, -75.148703, "home", "TYPE_HOME", 10)
WORK = Place("commuter-work", "Keystone Grid Services", "2001 Market St, Philadelphia, PA 19103, USA", 39.953711, -75.173712, "office", "TYPE_WORK", 25)
CHURCH = Place("commuter-church", "St. Agnes Catholic Church", "330 S 4th St, Philadelphia, PA 19106, USA", 39.943908, -75.147811, "place_of_worship", spread_m=25)
UNION_HALL = Place("commuter-union", "IBEW Local 98", "1701 Spring Garden St, Philadelphia, PA 19130, USA", 39.962911, -75.166604, "union_hall", spread_m=25)
CASINO_AC = Place("commuter-borgata", "Borgata Hotel Casino & Spa", "1 Borgata Way, Atlantic City, NJ 08401, USA", 39.377910, -74.433802, "casino", spread_m=90)
CASINO_PHILLY = Place("commuter-rivers", "Rivers Casino Philadelphia", "1001 N Delaware Ave, Philadelphia, PA 19125, USA", 39.961210, -75.134201, "casino", spread_m=70)
GYM = Place("commuter-gym", "Orangetheory Fitness", "1500 Walnut St, Philadelphia, PA 19102, USA", 39.949511, -75.166402, "gym")
ACME = Place("commuter-acme", "ACME Markets", "400 S 2nd St, Philadelphia, PA 19147, USA", 39.942007, -75.144811, "supermarket")
RESTAURANT = Place("commuter-restaurant", "Zahav", "237 St James Pl, Philadelphia, PA 19106, USA", 39.946107, -75.145304, "restaurant")
BAR = Place("commuter-bar", "Fishtown Taproom", "1301 Frankford Ave, Philadelphia, PA 19125, USA", 39.969704, -75.134106, "bar")

SIGNALS = {
    "stable-income": "Payroll from the same employer every other Friday (OFX DIRECTDEP).",
    "cash-buffer": "A monthly transfer to savings and a balance that never runs low.",
    "bill-payment": "Electricity, gas, internet and phone paid on schedule, card paid in full.",
    "rent-payment": "Rent to the building's property company on the 1st.",
    "routine-stability": "Home and work five days a week, the same subway ride.",
    "home-location": "Where Dana sleeps.",
    "work-location": "The office on Market Street, labelled Work by Google.",
    "religion": "Sunday Mass at a Catholic parish (visits) and monthly online giving to it.",
    "sexual-orientation": "A dating-app subscription on the credit card (dating apps sit under Art. 9 'sex life').",
    "union-membership": "IBEW Local 98 dues every month and the monthly union meeting at the hall.",
    "gambling": "Weekends at Atlantic City casinos (visits, card payments, casino ATM cash) and a night at Rivers Casino.",
    "fitness": "Orangetheory membership and classes twice a week.",
    "nightlife": "Nights out with a Lyft home.",
    "p2p-network": "Venmo payments to friends.",
    "toll-crossings": "E-ZPass crossings on every drive to Atlantic City and back, to the minute: the Expressway plazas and the Walt Whitman Bridge.",
    "online-purchases": (
        "Amazon orders a card statement cannot show: a carbon monoxide alarm and felt furniture pads, a poker chip "
        "set, and in the last weeks fragrance-free lotion, cotton balls, zinc and magnesium, prenatal vitamins and a "
        "pregnancy test."
    ),
}


def simulate(b: LifeBuilder, run: Run) -> None:
    """Weekdays at the office, Sundays at Mass, a casino weekend twice a month."""
    b.move_home(run.first_day, HOME)
    b.life.ratings_received = []
    b.stay(HOME, b.at(run.first_day, 0), b.at(run.first_day, 7.5))
    for number, day in enumerate(b.days()):
        _money(b, day)
        weekday = day.weekday()
        casino_weekend = (number // 7) % 2 == 1 and (number // 7) % 4 != 3
        if weekday < 5:
            _workday(b, day)
        elif weekday == 5 and casino_weekend:
            _atlantic_city(b, day)
        elif weekday == 6 and casino_weekend:
            _drive_back(b, day)
        elif weekday == 6:
            _sunday(b, day)
        else:
            _saturday(b, day)


def _ofx(b: LifeBuilder, when: datetime, amount: float, kind: str, name: str, memo: str, tags=()) -> None:
    b.pay(when, amount, memo, account="checking", type=kind, name=name, tags=tuple(tags))


def _capital_one(b: LifeBuilder, when: datetime, amount: float, text: str, category: str, tags=(), place: Place | None = None) -> None:
    b.pay(when, -amount, text, account="card", category=category, place=place, tags=tuple(tags))


def _money(b: LifeBuilder, day: date) -> None:
    if day.weekday() == 4 and (day - date(2024, 1, 5)).days % 14 == 0:
        _ofx(b, b.at(day, 6.0), 3482.16, "DIRECTDEP", "KEYSTONE GRID SER", "KEYSTONE GRID SER PAYROLL PPD", ("stable-income",))
    if day.day == 1:
        _ofx(b, b.at(day, 8.0), -2150.00, "DIRECTDEBIT", "PINE STREET PROP", "PINE STREET PROPERTIES RENT WEB PMT", ("rent-payment",))
    if day.day == 2:
        _ofx(b, b.at(day, 8.0), -1000.00, "XFER", "ONLINE TRANSFER", "ONLINE TRANSFER TO SAVINGS XXXXXX4471", ("cash-buffer",))
    if day.day == 5:
        _ofx(b, b.at(day, 7.0), -58.00, "DIRECTDEBIT", "IBEW LOCAL 98", "IBEW LOCAL 98 DUES PPD", ("union-membership",))
    if day.day == 8:
        _ofx(b, b.at(day, 7.0), -b.money(62, 131), "DIRECTDEBIT", "PECO ENERGY", "PECO ENERGY UTIL_BIL PPD", ("bill-payment",))
        _ofx(b, b.at(day, 7.0), -50.00, "DIRECTDEBIT", "FAITH DIRECT", "FAITH DIRECT ST AGNES PHILA PPD", ("religion",))
    if day.day == 11:
        _ofx(b, b.at(day, 7.0), -b.money(34, 72), "DIRECTDEBIT", "PHILA GAS WORKS", "PHILA GAS WORKS PGW WEBPAY PPD", ("bill-payment",))
        _capital_one(b, b.at(day, 3.0), 89.99, "COMCAST PHILADELPHIA", "Phone/Cable", ("bill-payment",))
    if day.day == 14:
        _capital_one(b, b.at(day, 3.0), 29.99, "TINDER.COM", "Internet", ("sexual-orientation",))
        _capital_one(b, b.at(day, 3.0), 169.00, "ORANGETHEORY FITNESS", "Entertainment", ("fitness",))
    if day.day == 22:
        _capital_one(b, b.at(day, 3.0), 75.00, "VERIZON WIRELESS", "Phone/Cable", ("bill-payment",))
    if day.day == 25:
        owed = round(sum(-p.amount for p in b.life.payments if p.account == "card" and p.amount < 0) - _paid_so_far(b), 2)
        if owed > 0:
            _ofx(b, b.at(day, 9.0), -owed, "PAYMENT", "CAPITAL ONE", "CAPITAL ONE MOBILE PMT PPD", ("bill-payment",))
            b.pay(b.at(day, 9.0), owed, "CAPITAL ONE AUTOPAY PYMT", account="card", category="Payment/Credit")


def _paid_so_far(b: LifeBuilder) -> float:
    return sum(p.amount for p in b.life.payments if p.account == "card" and p.amount > 0)


def _workday(b: LifeBuilder, day: date) -> None:
    b.stay(HOME, b.at(day, 0), b.at(day, 8.0), tags=("home-location",))
    b.stay(WORK, b.at(day, 8.4), b.at(day, 17.4), "IN_SUBWAY", ("work-location", "routine-stability"))
    if day.weekday() in (1, 3):
        b.stay(GYM, b.at(day, 17.7), b.at(day, 18.8), "WALKING", ("fitness",))
    if day.weekday() == 2 and day.day <= 7:
        b.stay(UNION_HALL, b.at(day, 18.0), b.at(day, 19.8), "IN_BUS", ("union-membership",))
    if day.weekday() == 4 and b.chance(0.4):
        _night_out(b, day)
        return
    b.go(HOME, b.at(day, 24.0), "IN_SUBWAY")
    if b.chance(0.35):
        _capital_one(b, b.at(day, 12.4), b.money(11, 19), "SWEETGREEN 1601 MARKET", "Dining")


def _night_out(b: LifeBuilder, day: date) -> None:
    start, end = b.at(day, 18.5), b.at(day, 23.4 + b.rng.random() * 0.6)
    link = b.link(f"commuter-night-out-{day.isoformat()}", "a night out in Fishtown: bar visit, card payments, the Lyft home", start, BAR)
    b.stay(BAR, start, end, "IN_SUBWAY", ("nightlife", link))
    for number in range(2 + b.rng.randrange(2)):
        _capital_one(b, start + timedelta(minutes=40 + 70 * number), b.money(14, 46), "FISHTOWN TAPROOM", "Dining", (link,), BAR)
    ride = b.take_ride("lyft", HOME, end, end + timedelta(hours=8), "USD", LYFT_TARIFF, ("nightlife", link))
    _lyft_card(b, ride, (link,))


def _lyft_card(b: LifeBuilder, ride: Ride, tags=()) -> None:
    assert ride.end is not None
    local = b.life.local(ride.begin or ride.requested)
    hour = local.hour % 12 or 12
    suffix = "AM" if local.hour < 12 else "PM"
    _capital_one(b, ride.end + timedelta(minutes=1), ride.fare, f"LYFT   *RIDE {local:%a}".upper() + f" {hour}{suffix}", "Other Travel", tags)


def _sunday(b: LifeBuilder, day: date) -> None:
    b.stay(HOME, b.at(day, 0), b.at(day, 9.6), tags=("home-location",))
    if b.rng.random() < 0.92:
        b.stay(CHURCH, b.at(day, 10.0), b.at(day, 11.2), "WALKING", ("religion",))
    if b.chance(0.3):
        b.stay(RESTAURANT, b.at(day, 12.0), b.at(day, 13.4), "WALKING")
        _capital_one(b, b.at(day, 13.3), b.money(48, 110), "ZAHAV", "Dining", place=RESTAURANT)
    b.go(HOME, b.at(day, 24.0))
    if b.chance(0.25):
        b.pay(b.at(day, 20.0), -b.money(12, 45), "VENMO PAYMENT 1034512877", account="checking", type="DEBIT", name="VENMO", tags=("p2p-network",))


def _saturday(b: LifeBuilder, day: date) -> None:
    b.stay(HOME, b.at(day, 0), b.at(day, 10.5), tags=("home-location",))
    b.stay(ACME, b.at(day, 11.0), b.at(day, 11.6), "WALKING")
    _capital_one(b, b.at(day, 11.5), b.money(45, 130), "ACME 7824 PHILADELPHIA", "Merchandise", place=ACME)
    if b.chance(0.15):
        _rivers_night(b, day)
        return
    b.go(HOME, b.at(day, 24.0))


def _rivers_night(b: LifeBuilder, day: date) -> None:
    start, end = b.at(day, 20.0), b.at(day, 24.8)
    link = b.link(f"commuter-rivers-{day.isoformat()}", "a night at Rivers Casino: visit, card payment at the casino, the Lyft home", start, CASINO_PHILLY)
    b.go(HOME, b.at(day, 19.4))
    b.stay(CASINO_PHILLY, start, end, "IN_PASSENGER_VEHICLE", ("gambling", link))
    _capital_one(b, start + timedelta(minutes=25), b.money(100, 300), "RIVERS CASINO PHILADELPHIA", "Entertainment", ("gambling", link), CASINO_PHILLY)
    ride = b.take_ride("lyft", HOME, end, end + timedelta(hours=8), "USD", LYFT_TARIFF, ("gambling", link))
    _lyft_card(b, ride, (link,))


def _atlantic_city(b: LifeBuilder, day: date) -> None:
    b.stay(HOME, b.at(day, 0), b.at(day, 12.6), tags=("home-location",))
    arrive = b.at(day, 14.2)
    b.stay(CASINO_AC, arrive, b.at(day, 36.0), "IN_PASSENGER_VEHICLE", ("gambling",))
    _capital_one(b, arrive + timedelta(minutes=20), b.money(180, 260), "BORGATA HOTEL CASINO", "Lodging", ("gambling",), CASINO_AC)
    _ofx(b, b.at(day, 16.5), -300.00, "ATM", "ATM WITHDRAWAL", "ATM WITHDRAWAL 003517 BORGATA HOTEL CASIN ATLANTIC CITYNJ", ("gambling",))
    _ofx(b, b.at(day, 16.5), -3.50, "FEE", "ATM FEE", "NON-NETWORK ATM FEE BORGATA HOTEL CASIN", ("gambling",))
    _capital_one(b, b.at(day, 20.3), b.money(60, 140), "BORGATA - WOLFGANG PUCK", "Dining", place=CASINO_AC)
    if b.chance(0.5):
        _ofx(b, b.at(day, 23.7), -200.00, "ATM", "ATM WITHDRAWAL", "ATM WITHDRAWAL 003521 BORGATA HOTEL CASIN ATLANTIC CITYNJ", ("gambling",))


def _drive_back(b: LifeBuilder, day: date) -> None:
    b.stay(HOME, b.at(day, 13.8), b.at(day, 24.0), "IN_PASSENGER_VEHICLE", ("home-location",))
    _capital_one(b, b.at(day, 12.5), b.money(38, 52), "WAWA 8145 EGG HARBOR TWP", "Gas/Automotive")


ACCOUNT_NUMBER = "7730124471"


def write(life: Life, points: Points, truth: Truth, run: Run) -> Bundle:
    bundle = Bundle()
    history = "location-history.json"
    activities = sum(1 for _ in life.moves())
    bundle.add(
        history,
        ondevice.ios_location_history(life, points, truth, history, broken_activity=activities // 3, path_every=3),
        "Google Timeline exported from the iPhone (2024+ on-device iOS layout): an array of visits and journeys with "
        "string numbers and `geo:` coordinates, the 2-hour path windows grouped at the end",
    )
    export = run.export_day
    checking = [p for p in life.payments if p.account == "checking"]
    card = [p for p in life.payments if p.account == "card"]
    ofx_name = f"statement-{ACCOUNT_NUMBER[-4:]}-{export:%Y%m%d}.ofx"
    null_at = next((i for i, p in enumerate(checking) if p.name == "PECO ENERGY" and i > len(checking) // 2), None)
    bundle.add(
        ofx_name,
        bank.ofx_statement(life, checking, 6420.35, "Liberty Bell FCU", "2561", "236084285", ACCOUNT_NUMBER, truth, ofx_name, run.export_time, null_amount=null_at),
        "the checking account as an OFX 1.02 (SGML) download: payroll, rent, bills, union dues, parish giving, "
        "casino ATM cash; `NAME` cut to 32 characters, the full text in `MEMO`",
    )
    card_name = f"{export:%Y-%m-%d}_transaction_download.csv"
    bundle.add(
        card_name,
        bank.capital_one_csv(life, card, "4471", truth, card_name),
        "Capital One credit card: `Transaction Date,Posted Date,Card No.,Description,Category,Debit,Credit`, ISO "
        "dates, Capital One's own categories",
    )
    lyft_name = f"lyft-data-export-{export:%Y-%m-%d}.zip"
    bundle.add(
        lyft_name,
        rideshare.lyft_archive(life, 4.93, truth, lyft_name, run.zip_time),
        "Lyft data export: passenger rides, payments from the user, ratings (names and columns as formats.md §3.2 "
        "knows them from one source)",
    )
    _trail(life, truth, run, bundle)
    return bundle


# --- the rest of the trail (issue 12): tolls and Amazon, from their own random stream ------

ACE_EGG_HARBOR = trail.Plaza("SJTA", "ACE-EH", "Egg Harbor Toll Plaza", 3.00)
ACE_PLEASANTVILLE = trail.Plaza("SJTA", "ACE-PV", "Pleasantville Toll Plaza", 1.50)
WALT_WHITMAN = trail.Plaza("DRPA", "WWB", "Walt Whitman Bridge", 5.00)
EZPASS_TAG = "012 04417731"

HOUSEHOLD = (
    trail.Product("Bounty Quick-Size Paper Towels, White, 8 Family Rolls", "B07MR1Y8GD", 24.99),
    trail.Product("Amazon Basics AA Alkaline Batteries, 20 Count", "B00MNV8E0C", 13.49),
    trail.Product("Green Mountain Coffee Breakfast Blend K-Cup Pods, 72 Count", "B00I0VSFF0", 41.99),
    trail.Product("Anker USB C Charger 20W, 2 Pack", "B08T5QN6S3", 19.99),
    trail.Product("Tide PODS Laundry Detergent Soap Pacs, Original, 81 Count", "B01BUNHFQM", 21.97),
    trail.Product("Philips Sonicare Genuine C2 Optimal Plaque Control Brush Heads, 4 Pack", "B078WQ5YSH", 32.96),
    trail.Product("Hydro Flask 32 oz Wide Mouth Bottle with Flex Cap", "B083GBJ4M5", 44.95),
    trail.Product("Scotch-Brite Zero Scratch Sponges, 9 Count", "B0009XD9OG", 8.97),
    trail.Product("Ziploc Gallon Food Storage Freezer Bags, 60 Count", "B01LZYGAVV", 11.48),
    trail.Product("The Pragmatic Project Manager (Paperback)", "1543220932", 27.50),
)
SAFETY = (  # the purchases Canadian Tire found in its best payers (Duhigg 2009)
    trail.Product("First Alert CO605 Carbon Monoxide Detector, Plug-In with Battery Backup", "B00002N83E", 29.97, ("online-purchases",)),
    trail.Product("X-PROTECTOR Felt Furniture Pads, 131 Piece Premium Pack", "B071K2NP5T", 12.95, ("online-purchases",)),
)
POKER = trail.Product("Da Vinci 500 Dice Style Poker Chips Set with Aluminum Case", "B0006U41HO", 49.99, ("online-purchases",))
# Target's pregnancy-prediction products (Duhigg 2012), in the order a pregnancy would bring them.
EXPECTING = (
    (56, (trail.Product("Cetaphil Moisturizing Lotion, Fragrance Free, 20 oz", "B07GXP3TZ7", 16.49, ("online-purchases",)),)),
    (45, (
        trail.Product("Swisspers Premium Cotton Balls, Extra Large, 400 Count", "B00KCR8MZS", 9.99, ("online-purchases",)),
        trail.Product("Nature Made Zinc 30 mg Tablets, 100 Count", "B0016L0RK8", 6.99, ("online-purchases",)),
        trail.Product("Nature Made Magnesium Oxide 250 mg Tablets, 100 Count", "B0019LWV0Y", 7.49, ("online-purchases",)),
    )),
    (30, (trail.Product("One A Day Women's Prenatal 1 Multivitamin with DHA, 60 Count", "B00QGOF98W", 21.79, ("online-purchases",)),)),
    (19, (trail.Product("First Response Early Result Pregnancy Test, 3 Count", "B00J4AGB6I", 17.97, ("online-purchases",)),)),
)  # fmt: skip


def _trail(life: Life, truth: Truth, run: Run, bundle: Bundle) -> None:
    """The E-ZPass statement of the Atlantic City drives and the Amazon order history."""
    rng = trail.trail_random(run)
    export = run.export_day
    ezpass_name = f"ezpass-activity-{export:%Y-%m-%d}.csv"
    crossings = trail.crossings_on_moves(
        life,
        CASINO_AC.key,
        outbound=((0.55, ACE_EGG_HARBOR), (0.85, ACE_PLEASANTVILLE)),
        inbound=((0.12, ACE_PLEASANTVILLE), (0.42, ACE_EGG_HARBOR), (0.93, WALT_WHITMAN)),
        rng=rng,
        tags=("toll-crossings",),
    )
    bundle.add(
        ezpass_name,
        trail.ezpass_csv(life, crossings, EZPASS_TAG, 25.00, 25.00, truth, ezpass_name),
        "E-ZPass account activity (New Jersey customer service centre CSV): every toll with its plaza and the exit "
        "time to the second, auto-replenishments in between; the drives to Atlantic City and back",
    )
    orders: list[trail.AmazonOrder] = []
    day = run.first_day + timedelta(days=rng.randrange(2, 9))
    while day < run.last_day:
        items = tuple((product, 1 + (rng.random() < 0.15)) for product in rng.sample(HOUSEHOLD, rng.randrange(1, 4)))
        orders.append(trail.AmazonOrder(trail.local_instant(life, day, rng.uniform(19.5, 23.0), rng), items))
        day += timedelta(days=rng.randrange(7, 17))
    middle = run.first_day + timedelta(days=run.days // 3)
    orders.append(trail.AmazonOrder(trail.local_instant(life, middle, 21.2, rng), tuple((p, 1) for p in SAFETY)))
    poker_day = run.first_day + timedelta(days=run.days // 2)
    orders.append(trail.AmazonOrder(trail.local_instant(life, poker_day, 22.4, rng), ((POKER, 1),)))
    for days_before, products in EXPECTING:
        when = max(run.first_day, run.last_day - timedelta(days=days_before))
        orders.append(trail.AmazonOrder(trail.local_instant(life, when, rng.uniform(20.0, 23.5), rng), tuple((p, 1) for p in products)))
    amazon_name = "Your Orders.zip"
    member = "Retail.OrderHistory.1/Retail.OrderHistory.1.csv"
    address = "Dana Example 418 PINE ST APT 3 PHILADELPHIA PA 19106-4215 United States"
    csv_bytes = trail.amazon_csv(orders, address, "Visa - 8812", 0.06, rng, truth, f"{amazon_name}!{member}")
    bundle.add(
        amazon_name,
        Archive([(member, csv_bytes)], run.zip_time),
        "Amazon order history from Request Your Data (`Retail.OrderHistory.1.csv`, one row per item, ISO UTC times, "
        "`Not Available` placeholders), paid with a card that is not in these files",
    )


STORY = """\
Dana manages projects for an electrical contractor with an office on Market Street and lives in
Society Hill. On weekdays the subway takes Dana to work by 8:30; on Tuesdays and Thursdays there is
an Orangetheory class after work; on the first Wednesday of the month, the IBEW Local 98 meeting.
Pay arrives every other Friday; rent, utilities, phone and the union dues leave on schedule, $1,000
moves to savings every month, and the Capital One card is paid in full. Sundays start with Mass at
St. Agnes, and the parish gets a monthly gift through Faith Direct. Twice a month Dana drives to
Atlantic City for the weekend, stays at the Borgata and takes cash from the casino ATM; now and then
a Saturday night ends at Rivers Casino with a Lyft home. A dating app bills the card every month.
Friday nights out in Fishtown end with a Lyft home. The car has an E-ZPass tag, so every drive to
Atlantic City and back is on a toll statement to the second. Dana's Amazon account shows the
household things, a carbon monoxide alarm and felt furniture pads, a poker chip set, and over the
last eight weeks fragrance-free lotion, cotton balls, zinc and magnesium, prenatal vitamins and a
pregnancy test.
"""

INFERENCES = """\
- **Credit scoring**: stable payroll, a cash buffer, bills and card paid on time: a high score.
- **Sensitive categories (GDPR Art. 9)** a data broker could sell anyway: religion (weekly Mass,
  parish giving), sex life (a dating-app subscription), trade-union membership (IBEW dues and
  meetings). The FTC's actions against location brokers were about exactly such segments.
- **Gambling**: casino visits, casino charges and casino ATM cash twice a month: a UK mortgage
  lender would ask about it; a cash-flow underwriter flags it whatever the income.
- **Re-identification**: one home and one office, five days a week, single Dana out of millions.
- Note for rule authors: the casino names here (Borgata, Rivers) are not in
  `rules/lists/gambling.yaml`, which lists online sportsbooks: the ground truth shows what a
  merchant-name list misses.
- **Tolls**: the E-ZPass statement puts the car on the Atlantic City Expressway every other
  weekend, at the minute: the record divorce lawyers subpoena, and an insurer's mileage proxy.
- **What Dana buys**: Target's model read fragrance-free lotion, cotton balls, zinc, magnesium and
  prenatal vitamins as a pregnancy, months before anyone is told; Canadian Tire found that buyers
  of carbon monoxide alarms and felt pads paid their cards, and that a poker chip set was a risk.
"""

PERSONA = Persona(
    name=NAME,
    summary="a comfortable commuter in Philadelphia whose high score still exposes worship, a dating app, union dues and casino weekends",
    timezone="America/New_York",
    start=date(2024, 3, 1),
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

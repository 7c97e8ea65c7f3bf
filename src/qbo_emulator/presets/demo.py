"""The `demo` company: Summit Ridge Builders, a remodeling and field-service contractor.

Run after `base.seed_base` on the same target. Everything goes through the target's normal
rules and is deterministic (one `random.Random(2026)`); dates are relative to the company's
today, so the books always look current:

- homeowners and businesses as customers, their properties as sub-customers (one per street
  address) and a few jobs under properties (level 2);
- vendors (suppliers, subcontractors, fuel, insurance) and one employee;
- service, non-inventory, inventory, an inactive item and a bundle;
- invoices 1001-1250 over the last nine months, with payments in full and in part;
- a few bills, credit-card purchases and an open purchase order;
- finally the books are closed through the end of the previous calendar quarter.

A vendor and the employee carry person names (`DEMO_NAME_CLASHES`): customers with those
names cannot be added, since QuickBooks keeps one display-name space for all three lists.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, NamedTuple

from qbo_emulator.presets import SeedTarget, ref
from qbo_emulator.presets.base import COMPANY_ADDRESS, BaseRefs

DEMO_COMPANY_NAME = "Summit Ridge Builders"
SEED = 2026
CENT = Decimal("0.01")

DEMO_NAME_CLASHES: dict[str, str] = {"vendor": "Maria Delgado", "employee": "Jordan Reyes"}

# --- people and places --------------------------------------------------------------------


class Address(NamedTuple):
    line1: str
    city: str
    state: str
    postal_code: str

    def to_json(self) -> dict[str, str]:
        return {
            "Line1": self.line1,
            "City": self.city,
            "CountrySubDivisionCode": self.state,
            "PostalCode": self.postal_code,
            "Country": "USA",
        }


def _ca(line1: str, city: str, postal_code: str) -> Address:
    return Address(line1, city, "CA", postal_code)


class Homeowner(NamedTuple):
    given: str
    family: str
    home: Address
    other_properties: tuple[Address, ...] = ()


class Business(NamedTuple):
    company: str
    contact_given: str
    contact_family: str
    office: Address
    properties: tuple[Address, ...]


class Job(NamedTuple):
    name: str
    property_line1: str
    template: str


HOMEOWNERS: tuple[Homeowner, ...] = (
    Homeowner(
        "Emily",
        "Carter",
        _ca("418 Oak Hollow Ln", "Roseville", "95661"),
        (_ca("2231 Pebble Creek Dr", "Roseville", "95747"),),
    ),
    Homeowner("Daniel", "Okafor", _ca("1907 Whitney Ranch Pkwy", "Rocklin", "95765")),
    Homeowner("Priya", "Raman", _ca("5540 Cavitt Stallman Rd", "Granite Bay", "95746")),
    Homeowner("Marcus", "Bell", _ca("312 Sacramento St", "Auburn", "95603")),
    Homeowner("Hannah", "Lindqvist", _ca("8815 Sunset Ave", "Fair Oaks", "95628")),
    Homeowner(
        "Tomas",
        "Herrera",
        _ca("2719 Fulton Ave", "Sacramento", "95821"),
        (_ca("5120 Rustic Pines Ct", "Loomis", "95650"),),
    ),
    Homeowner("Grace", "Nakamura", _ca("146 Crocker Ranch Rd", "Roseville", "95747")),
    Homeowner("Kevin", "O'Brien", _ca("702 Natoma St", "Folsom", "95630")),
    Homeowner("Aisha", "Mohammed", _ca("11 Hidden Valley Ct", "Citrus Heights", "95610")),
    Homeowner(
        "Robert",
        "Kim",
        _ca("4480 Manzanita Ave", "Carmichael", "95608"),
        (_ca("9214 Bond Rd", "Elk Grove", "95624"),),
    ),
    Homeowner("Sarah", "Whitfield", _ca("1620 Stanford Ranch Rd", "Rocklin", "95765")),
    Homeowner("Luis", "Fernandez", _ca("877 Joiner Pkwy", "Lincoln", "95648")),
    Homeowner("Olivia", "Brooks", _ca("27 Reflection Ln", "Roseville", "95678")),
    Homeowner("Nathan", "Price", _ca("5901 Barton Rd", "Granite Bay", "95746")),
    Homeowner(
        "Mei",
        "Chen",
        _ca("340 Riverside Ave", "Roseville", "95678"),
        (_ca("8 Lakeview Ter", "Granite Bay", "95746"),),
    ),
    Homeowner("Benjamin", "Schultz", _ca("2455 Fair Oaks Blvd", "Sacramento", "95825")),
    Homeowner("Fatima", "Hassan", _ca("713 Vernon St", "Roseville", "95678")),
    Homeowner("Jacob", "Turner", _ca("15 Crystal Springs Ct", "Lincoln", "95648")),
    Homeowner("Isabella", "Rossi", _ca("4100 Douglas Blvd", "Granite Bay", "95746")),
    Homeowner(
        "Ethan",
        "Walsh",
        _ca("1289 Pleasant Grove Blvd", "Roseville", "95747"),
        (_ca("7320 Sunrise Blvd", "Citrus Heights", "95610"),),
    ),
    Homeowner("Chloe", "Dubois", _ca("58 High St", "Auburn", "95603")),
    Homeowner("Samuel", "Adeyemi", _ca("9320 Laguna Springs Dr", "Elk Grove", "95758")),
    Homeowner("Rachel", "Goldberg", _ca("2701 T St", "Sacramento", "95816")),
    Homeowner("Victor", "Nguyen", _ca("6624 Antelope Rd", "Citrus Heights", "95621")),
    Homeowner(
        "Laura",
        "Mitchell",
        _ca("1105 Taylor Rd", "Loomis", "95650"),
        (_ca("340 King Rd", "Loomis", "95650"),),
    ),
    Homeowner("Andre", "Washington", _ca("8710 Auburn Folsom Rd", "Granite Bay", "95746")),
    Homeowner("Sofia", "Petrov", _ca("215 Scott St", "Folsom", "95630")),
    Homeowner(
        "Owen",
        "Gallagher",
        _ca("3950 Park Dr", "Rocklin", "95677"),
        (_ca("17 Meadow Gate Ct", "Rocklin", "95765"),),
    ),
)

BUSINESSES: tuple[Business, ...] = (
    Business(
        "Oakcrest Property Management",
        "Dana",
        "Whitaker",
        _ca("1500 Eureka Rd Ste 200", "Roseville", "95661"),
        (
            _ca("101 Cirby Way Unit 4", "Roseville", "95678"),
            _ca("2150 Vineyard Rd", "Roseville", "95747"),
            _ca("930 Sunrise Ave", "Roseville", "95661"),
            _ca("4417 Granite Dr", "Rocklin", "95677"),
            _ca("255 Nevada St", "Auburn", "95603"),
        ),
    ),
    Business(
        "Sierra Vista Homeowners Association",
        "Paul",
        "Jensen",
        _ca("PO Box 1187", "Rocklin", "95677"),
        (
            _ca("600 Vista Grande Dr", "Rocklin", "95765"),
            _ca("610 Vista Grande Dr", "Rocklin", "95765"),
        ),
    ),
    Business(
        "Golden Hills Dental Group",
        "Helen",
        "Park",
        _ca("4010 Foothills Blvd Ste 110", "Roseville", "95747"),
        (_ca("4010 Foothills Blvd Ste 110", "Roseville", "95747"),),
    ),
    Business(
        "Riverbend Apartments LLC",
        "Greg",
        "Holloway",
        _ca("2600 Riverbend Pkwy", "Sacramento", "95833"),
        (
            _ca("2600 Riverbend Pkwy Bldg A", "Sacramento", "95833"),
            _ca("2600 Riverbend Pkwy Bldg B", "Sacramento", "95833"),
            _ca("2600 Riverbend Pkwy Bldg C", "Sacramento", "95833"),
        ),
    ),
    Business(
        "Blue Heron Cafe",
        "Nina",
        "Alvarez",
        _ca("225 Vernon St", "Roseville", "95678"),
        (_ca("225 Vernon St", "Roseville", "95678"),),
    ),
    Business(
        "Capitol Realty Partners",
        "Howard",
        "Lee",
        _ca("1020 J St Ste 500", "Sacramento", "95814"),
        (
            _ca("1819 P St", "Sacramento", "95811"),
            _ca("3416 Folsom Blvd", "Sacramento", "95816"),
            _ca("5205 Carlson Dr", "Sacramento", "95819"),
            _ca("7788 La Riviera Dr", "Sacramento", "95826"),
        ),
    ),
    Business(
        "First Community Church of Rocklin",
        "Martha",
        "Greene",
        _ca("5480 5th St", "Rocklin", "95677"),
        (_ca("5480 5th St", "Rocklin", "95677"),),
    ),
    Business(
        "High Desert Vacation Rentals",
        "Cody",
        "Marsh",
        Address("1450 Kietzke Ln", "Reno", "NV", "89502"),
        (
            Address("4925 Lakeridge Ter", "Reno", "NV", "89509"),
            Address("2210 Plumas St", "Reno", "NV", "89509"),
        ),
    ),
    Business(
        "Placer Valley Self Storage",
        "Wes",
        "Dillard",
        _ca("1850 Nicolaus Rd", "Lincoln", "95648"),
        (_ca("1850 Nicolaus Rd", "Lincoln", "95648"),),
    ),
    Business(
        "Foothill Family Medicine",
        "Irene",
        "Castillo",
        _ca("3 Medical Plaza Dr Ste 300", "Roseville", "95661"),
        (_ca("3 Medical Plaza Dr Ste 300", "Roseville", "95661"),),
    ),
    Business(
        "Westbrook Rentals",
        "Tyler",
        "Brandt",
        _ca("8890 Greenback Ln Ste C", "Orangevale", "95662"),
        (
            _ca("6135 Main Ave", "Orangevale", "95662"),
            _ca("9021 Madison Ave", "Fair Oaks", "95628"),
            _ca("7642 Auburn Blvd", "Citrus Heights", "95610"),
            _ca("5511 Dewey Dr", "Fair Oaks", "95628"),
        ),
    ),
    Business(
        "Maple & Main Bakery",
        "Lucy",
        "Tran",
        _ca("401 Lincoln St", "Roseville", "95678"),
        (_ca("401 Lincoln St", "Roseville", "95678"),),
    ),
)

# Jobs under a property: the second level of the customer tree.
JOBS: tuple[Job, ...] = (
    Job("Kitchen Remodel - 418 Oak Hollow Ln", "418 Oak Hollow Ln", "Kitchen remodel"),
    Job("Backyard Deck - 5540 Cavitt Stallman Rd", "5540 Cavitt Stallman Rd", "Deck repair"),
    Job("Roof Replacement - Riverbend Bldg A", "2600 Riverbend Pkwy Bldg A", "Roof repair"),
    Job("Tenant Improvement - Dental Ste 110", "4010 Foothills Blvd Ste 110", "Framing"),
    Job("Clubhouse Restrooms - Sierra Vista", "600 Vista Grande Dr", "Tile floor"),
)

# Sales tax code by the city of the work (Out of state for Nevada).
CITY_TAX_CODES: dict[str, str] = {
    "Roseville": "Roseville City",
    "Rocklin": "Placer County",
    "Granite Bay": "Placer County",
    "Lincoln": "Placer County",
    "Loomis": "Placer County",
    "Auburn": "Placer County",
    "Sacramento": "Sacramento County",
    "Fair Oaks": "Sacramento County",
    "Citrus Heights": "Sacramento County",
    "Carmichael": "Sacramento County",
    "Folsom": "Sacramento County",
    "Elk Grove": "Sacramento County",
    "Orangevale": "Sacramento County",
}

AREA_CODES: dict[str, str] = {"CA": "916", "NV": "775"}


class VendorRow(NamedTuple):
    display: str
    company: str
    address: Address
    account_number: str
    given: str | None = None
    family: str | None = None
    subcontractor: bool = False


VENDORS: tuple[VendorRow, ...] = (
    VendorRow(
        "Placer Lumber & Supply",
        "Placer Lumber & Supply",
        _ca("8201 Sierra College Blvd", "Roseville", "95661"),
        "SRB-2207",
    ),
    VendorRow(
        "Capital Electric Supply",
        "Capital Electric Supply",
        _ca("3330 Fitzgerald Rd", "Rancho Cordova", "95742"),
        "C-40918",
    ),
    VendorRow(
        "Sierra Plumbing Supply",
        "Sierra Plumbing Supply",
        _ca("1290 Blue Oaks Blvd", "Roseville", "95678"),
        "77120",
    ),
    VendorRow(
        DEMO_NAME_CLASHES["vendor"],
        "Delgado Tile & Stone",
        _ca("4620 Pacific St", "Rocklin", "95677"),
        "SUMMIT",
        given="Maria",
        family="Delgado",
        subcontractor=True,
    ),
    VendorRow(
        "Brightline Electric Inc.",
        "Brightline Electric Inc.",
        _ca("2465 Mercantile Dr Ste B", "Rancho Cordova", "95742"),
        "SRB",
        subcontractor=True,
    ),
    VendorRow(
        "Foothill Plumbing Co.",
        "Foothill Plumbing Co.",
        _ca("908 Lincoln Way", "Auburn", "95603"),
        "1043",
        subcontractor=True,
    ),
    VendorRow(
        "Sierra Fleet Fuel",
        "Sierra Fleet Fuel Card Services",
        _ca("10250 Fairway Dr", "Roseville", "95678"),
        "FC-558120",
    ),
    VendorRow(
        "Granite Bay Equipment Rental",
        "Granite Bay Equipment Rental",
        _ca("5800 Douglas Blvd", "Granite Bay", "95746"),
        "GB-3391",
    ),
    VendorRow(
        "Valley Paint Center",
        "Valley Paint Center",
        _ca("1745 Santa Clara Dr", "Roseville", "95661"),
        "PRO-8812",
    ),
    VendorRow(
        "Roseville Disposal Service",
        "Roseville Disposal Service",
        _ca("3195 Athens Ave", "Lincoln", "95648"),
        "RD-20417",
    ),
    VendorRow(
        "Golden State Contractors Insurance",
        "Golden State Contractors Insurance",
        _ca("1 Capitol Mall Ste 800", "Sacramento", "95814"),
        "GL-55812",
    ),
)

# --- products and services ----------------------------------------------------------------


class ServiceRow(NamedTuple):
    name: str
    description: str
    price: str
    subcontract_cost: str | None = None
    active: bool = True


class MaterialRow(NamedTuple):
    name: str
    sku: str
    description: str
    price: str
    cost: str


SERVICES: tuple[ServiceRow, ...] = (
    ServiceRow("Labor", "Carpentry and general construction labor, per hour", "85.00"),
    ServiceRow("Service Call", "Trip charge, includes the first half hour on site", "125.00"),
    ServiceRow("Design Consultation", "On-site design consultation and written estimate", "150.00"),
    ServiceRow("Installation", "Fixture and appliance installation, per hour", "95.00"),
    ServiceRow("Demolition", "Demolition and debris removal, per hour", "75.00"),
    ServiceRow("Inspection", "Property inspection with written report", "225.00"),
    ServiceRow("Painting", "Interior and exterior painting, per hour", "65.00"),
    ServiceRow("Electrical Work", "Licensed electrician, per hour", "115.00", "80.00"),
    ServiceRow("Plumbing Work", "Licensed plumber, per hour", "120.00", "85.00"),
    ServiceRow("Tile Setting", "Tile installation, per square foot", "14.00", "9.00"),
    ServiceRow("Haul Away", "Dump run and disposal, per load", "180.00"),
    ServiceRow(
        "Gutter Cleaning", "Gutter cleaning, single story (discontinued)", "160.00", None, False
    ),
)

MATERIALS: tuple[MaterialRow, ...] = (
    MaterialRow("Drywall Sheet", "DW-1248", "1/2 in. drywall sheet, 4 ft x 8 ft", "18.50", "12.40"),
    MaterialRow("Lumber 2x4x8", "LB-2408", "2x4x8 kiln-dried stud", "6.75", "4.10"),
    MaterialRow(
        "Plywood 3/4 in.", "PW-0750", "3/4 in. sanded plywood, 4 ft x 8 ft", "72.00", "52.80"
    ),
    MaterialRow(
        "Paint - Gallon", "PT-0001", "Premium interior latex paint, one gallon", "48.00", "31.00"
    ),
    MaterialRow(
        "Electrical Wire (ft)", "EW-1202", "12/2 NM-B copper wire, per foot", "1.10", "0.62"
    ),
    MaterialRow("PVC Pipe 10 ft", "PV-2010", "2 in. schedule 40 PVC pipe, 10 ft", "21.00", "13.75"),
    MaterialRow(
        "Ceramic Tile (sq ft)", "TL-1212", "12x12 ceramic floor tile, per sq ft", "4.25", "2.60"
    ),
    MaterialRow("Concrete Mix 80 lb", "CM-0080", "80 lb bag of concrete mix", "9.50", "6.10"),
    MaterialRow(
        "Insulation Roll", "IN-R13", "R-13 fiberglass insulation roll, 40 sq ft", "28.00", "18.90"
    ),
    MaterialRow(
        "Roofing Shingles", "RF-ARCH", "Architectural shingles, one bundle", "52.00", "36.50"
    ),
    MaterialRow("Deck Board 16 ft", "DB-1616", "Composite deck board, 16 ft", "64.00", "44.00"),
)

INVENTORY_ITEM = "Water Heater 50 gal"
INVENTORY_DESCRIPTION = "50 gallon natural gas water heater, 6-year warranty"
INVENTORY_PRICE = "1150.00"
INVENTORY_COST = "780.00"
INVENTORY_ON_HAND = 12
INVENTORY_MAX_SOLD = 9  # leave stock for the open purchase order to top up
INACTIVE_ITEM = "Gutter Cleaning"
GROUP_ITEM = "Bathroom Remodel Package"
GROUP_DESCRIPTION = "Hall bathroom remodel: demolition, plumbing, tile floor, drywall and paint"
GROUP_LINES: tuple[tuple[str, int], ...] = (
    ("Demolition", 8),
    ("Plumbing Work", 6),
    ("Ceramic Tile (sq ft)", 60),
    ("Tile Setting", 60),
    ("Drywall Sheet", 6),
    ("Paint - Gallon", 2),
)


class Template(NamedTuple):
    """A kind of job: lines of (item, quantities for a small, medium, large... job)."""

    label: str
    lines: tuple[tuple[str, tuple[str, ...]], ...]


TEMPLATES: tuple[Template, ...] = (
    Template("Service call", (("Service Call", ("1",)), ("Labor", ("1", "1.5", "2", "3")))),
    Template(
        "Drywall repair",
        (
            ("Labor", ("2", "3", "4", "6")),
            ("Drywall Sheet", ("2", "3", "4", "6")),
            ("Paint - Gallon", ("1", "1", "2", "2")),
        ),
    ),
    Template(
        "Interior painting",
        (("Painting", ("8", "12", "16", "24")), ("Paint - Gallon", ("3", "4", "6", "8"))),
    ),
    Template(
        "Electrical",
        (
            ("Electrical Work", ("2", "3", "4", "6")),
            ("Electrical Wire (ft)", ("50", "100", "150", "250")),
        ),
    ),
    Template(
        "Plumbing repair",
        (
            ("Service Call", ("1",)),
            ("Plumbing Work", ("1", "2", "3")),
            ("PVC Pipe 10 ft", ("1", "2", "4")),
        ),
    ),
    Template(
        "Water heater replacement",
        (
            (INVENTORY_ITEM, ("1",)),
            ("Installation", ("3", "3.5", "4")),
            ("Haul Away", ("1",)),
        ),
    ),
    Template(
        "Deck repair",
        (
            ("Lumber 2x4x8", ("10", "16", "24", "40")),
            ("Deck Board 16 ft", ("6", "10", "14", "24")),
            ("Labor", ("8", "12", "16", "28")),
            ("Haul Away", ("1",)),
        ),
    ),
    Template("Design consultation", (("Design Consultation", ("1",)),)),
    Template("Inspection", (("Inspection", ("1",)),)),
    Template(
        "Tile floor",
        (
            ("Demolition", ("2", "3", "4", "6")),
            ("Ceramic Tile (sq ft)", ("40", "60", "80", "120")),
            ("Tile Setting", ("40", "60", "80", "120")),
        ),
    ),
    Template(
        "Framing",
        (
            ("Lumber 2x4x8", ("20", "30", "50", "80")),
            ("Plywood 3/4 in.", ("2", "4", "6", "10")),
            ("Labor", ("8", "12", "20", "32")),
        ),
    ),
    Template(
        "Insulation",
        (("Insulation Roll", ("6", "10", "16", "24")), ("Labor", ("3", "5", "8", "12"))),
    ),
    Template(
        "Roof repair",
        (
            ("Roofing Shingles", ("3", "6", "12", "30")),
            ("Labor", ("4", "8", "16", "32")),
            ("Haul Away", ("1",)),
        ),
    ),
    Template(
        "Concrete",
        (
            ("Demolition", ("2", "4", "6", "8")),
            ("Concrete Mix 80 lb", ("10", "20", "30", "40")),
            ("Labor", ("4", "6", "8", "10")),
        ),
    ),
    Template(
        "Kitchen remodel",
        (
            ("Demolition", ("6", "8", "12", "16")),
            ("Electrical Work", ("4", "6", "8", "10")),
            ("Plumbing Work", ("3", "4", "6", "8")),
            ("Installation", ("6", "8", "12", "16")),
        ),
    ),
    Template("Fixture installation", (("Installation", ("1", "2", "3")),)),
)
TEMPLATES_BY_LABEL = {t.label: t for t in TEMPLATES}
# Jobs that only fit a project get their own template; the rest are picked at random.
RANDOM_TEMPLATES = tuple(t for t in TEMPLATES if t.label != "Kitchen remodel")

CUSTOMER_MEMOS: tuple[str, ...] = (
    "Thank you for your business.",
    "All labor is warrantied for one year.",
    "Please write the invoice number on your check.",
    "We appreciate the referral!",
)

# --- transactions -------------------------------------------------------------------------

INVOICE_COUNT = 250
FIRST_INVOICE_NUMBER = 1001
INVOICE_SPAN_DAYS = 270  # the first invoice is about this many days old
INVOICE_NEWEST_DAYS = 3  # ...and the last one about this many
PAID_AFTER_DAYS = 45


class BillRow(NamedTuple):
    vendor: str
    number: str
    days_ago: int
    lines: tuple[tuple[str, str, str], ...]  # (account, amount, description)


BILLS: tuple[BillRow, ...] = (
    BillRow(
        "Placer Lumber & Supply",
        "PL-88213",
        112,
        (("Job Materials", "1843.27", "Framing lumber and plywood"),),
    ),
    BillRow(
        "Sierra Plumbing Supply",
        "SPS-40417",
        96,
        (("Job Materials", "612.48", "PVC fittings, valves and supply lines"),),
    ),
    BillRow(
        "Brightline Electric Inc.",
        "1187",
        74,
        (("Subcontractors", "2760.00", "200 A panel upgrade, subcontract"),),
    ),
    BillRow(
        DEMO_NAME_CLASHES["vendor"],
        "MD-2031",
        52,
        (
            ("Subcontractors", "1980.00", "Tile setting, 220 sq ft"),
            ("Job Materials", "145.60", "Thinset and grout"),
        ),
    ),
    BillRow(
        "Golden State Contractors Insurance",
        "POL-55812-07",
        40,
        (
            ("Insurance", "1425.00", "General liability premium"),
            ("Workers Compensation", "688.00", "Workers compensation premium"),
        ),
    ),
    BillRow(
        "Granite Bay Equipment Rental",
        "R-30455",
        21,
        (("Equipment Rental", "395.00", "Mini excavator, one day"),),
    ),
    BillRow(
        "Foothill Plumbing Co.",
        "F-2290",
        15,
        (("Subcontractors", "1240.00", "Rough-in plumbing, kitchen remodel"),),
    ),
    BillRow(
        "Capital Electric Supply",
        "CE-774120",
        12,
        (("Job Materials", "934.15", "Wire, boxes and breakers"),),
    ),
    BillRow(
        "Roseville Disposal Service",
        "RDS-11902",
        8,
        (("Equipment Rental", "465.00", "20-yard dumpster, two weeks"),),
    ),
)


class PurchaseRow(NamedTuple):
    vendor: str
    days_ago: int
    lines: tuple[tuple[str, str, str], ...]  # (account, amount, description)


PURCHASES: tuple[PurchaseRow, ...] = (
    PurchaseRow("Sierra Fleet Fuel", 58, (("Fuel", "286.42", "Fleet fuel, two trucks"),)),
    PurchaseRow("Valley Paint Center", 45, (("Job Materials", "212.30", "Primer, caulk, tape"),)),
    PurchaseRow("Sierra Fleet Fuel", 30, (("Fuel", "301.17", "Fleet fuel, two trucks"),)),
    PurchaseRow(
        "Placer Lumber & Supply",
        22,
        (
            ("Tools and Equipment", "389.99", "Cordless circular saw kit"),
            ("Shop Supplies", "64.25", "Blades and fasteners"),
        ),
    ),
    PurchaseRow(
        "Capital Electric Supply",
        9,
        (("Tools and Equipment", "149.00", "Voltage tester and fish tape"),),
    ),
    PurchaseRow("Sierra Fleet Fuel", 2, (("Fuel", "274.88", "Fleet fuel, two trucks"),)),
)

PURCHASE_ORDER_VENDOR = "Sierra Plumbing Supply"
PURCHASE_ORDER_QTY = 6


# --- the seeding --------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSummary:
    """What `seed_demo` created."""

    counts: dict[str, int]  # entity -> objects created by the demo preset
    top_level_customers: int
    properties: int
    level2_jobs: int
    book_close_date: datetime.date
    first_invoice_number: str
    last_invoice_number: str
    paid_invoices: int
    partially_paid_invoices: int
    name_clashes: dict[str, str]
    inactive_item_id: str
    inventory_item_id: str
    group_item_id: str


@dataclass(frozen=True, slots=True)
class _Billable:
    """Someone an invoice can be made out to: a customer, a property or a job."""

    kind: Literal["customer", "property", "job"]
    customer_ref: dict[str, str]
    tax_code: str
    email: str
    business: bool
    payer: str  # DisplayName of the top-level customer
    template: str | None = None


class _Counting:
    """Passes calls to the target and counts what was created."""

    def __init__(self, target: SeedTarget) -> None:
        self.target = target
        self.counts: Counter[str] = Counter()

    def create(self, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
        stored = self.target.create(entity, payload)
        self.counts[entity] += 1
        return stored

    def insert_readonly(self, entity: str, obj: dict[str, Any]) -> dict[str, Any]:
        stored = self.target.insert_readonly(entity, obj)
        self.counts[entity] += 1
        return stored


def previous_quarter_end(today: datetime.date) -> datetime.date:
    """The last day of the calendar quarter before the one `today` is in."""
    quarter_start = datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return quarter_start - datetime.timedelta(days=1)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _phone(state: str, n: int) -> dict[str, str]:
    return {"FreeFormNumber": f"({AREA_CODES[state]}) 555-{100 + n:04d}"}


def _email_slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def seed_demo(target: SeedTarget, base: BaseRefs) -> DemoSummary:
    """Add Summit Ridge Builders' books to a company already seeded by `seed_base`."""
    today = target.today()
    rng = random.Random(SEED)
    out = _Counting(target)

    vendors = _seed_vendors(out, base)
    _seed_employee(out, today)
    billables = _seed_customers(out, base)
    items = _seed_items(out, base, today)

    target.update_preferences({"SalesFormsPrefs": {"CustomTxnNumbers": True}})
    invoices = _seed_invoices(out, base, items, billables, rng, today)
    paid, partial = _seed_payments(out, base, invoices, rng, today)
    _seed_bills(out, base, vendors, today)
    _seed_purchases(out, base, vendors, today)
    _seed_purchase_order(out, base, vendors, items, today)

    close = previous_quarter_end(today)
    target.update_preferences({"AccountingInfoPrefs": {"BookCloseDate": close.isoformat()}})
    return DemoSummary(
        counts=dict(out.counts),
        top_level_customers=sum(b.kind == "customer" for b in billables),
        properties=sum(b.kind == "property" for b in billables),
        level2_jobs=sum(b.kind == "job" for b in billables),
        book_close_date=close,
        first_invoice_number=str(FIRST_INVOICE_NUMBER),
        last_invoice_number=str(FIRST_INVOICE_NUMBER + INVOICE_COUNT - 1),
        paid_invoices=paid,
        partially_paid_invoices=partial,
        name_clashes=dict(DEMO_NAME_CLASHES),
        inactive_item_id=items[INACTIVE_ITEM].ref["value"],
        inventory_item_id=items[INVENTORY_ITEM].ref["value"],
        group_item_id=items[GROUP_ITEM].ref["value"],
    )


def _seed_vendors(out: _Counting, base: BaseRefs) -> dict[str, dict[str, str]]:
    refs: dict[str, dict[str, str]] = {}
    for n, row in enumerate(VENDORS):
        slug = _email_slug(row.company)
        payload: dict[str, Any] = {
            "DisplayName": row.display,
            "CompanyName": row.company,
            "PrintOnCheckName": row.company,
            "PrimaryEmailAddr": {"Address": f"billing@{slug}.example.com"},
            "PrimaryPhone": _phone(row.address.state, 60 + n),
            "BillAddr": row.address.to_json(),
            "AcctNum": row.account_number,
            "TermRef": base.term("Net 30"),
            "Vendor1099": row.subcontractor,
        }
        if row.given is not None:
            payload["GivenName"] = row.given
        if row.family is not None:
            payload["FamilyName"] = row.family
        stored = out.create("Vendor", payload)
        refs[row.display] = ref(stored["Id"], row.display)
    return refs


def _seed_employee(out: _Counting, today: datetime.date) -> None:
    given, family = DEMO_NAME_CLASHES["employee"].split(" ", 1)
    out.create(
        "Employee",
        {
            "GivenName": given,
            "FamilyName": family,
            "DisplayName": DEMO_NAME_CLASHES["employee"],
            "PrimaryEmailAddr": {
                "Address": f"{given.lower()}.{family.lower()}@summitridgebuilders.example.com"
            },
            "PrimaryPhone": _phone("CA", 90),
            "PrimaryAddr": _ca("2884 Cirby Way", "Roseville", "95661").to_json(),
            "EmployeeNumber": "102",
            "HiredDate": (today - datetime.timedelta(days=3 * 365)).isoformat(),
            "BillableTime": True,
            "BillRate": Decimal("85.00"),
        },
    )


# A top-level customer: (payload, billing address, properties).
_CustomerRow = tuple[dict[str, Any], Address, tuple[Address, ...]]


def _customer_payloads(base: BaseRefs) -> list[_CustomerRow]:
    rows: list[_CustomerRow] = []
    for owner in HOMEOWNERS:
        email = f"{_email_slug(owner.given)}.{_email_slug(owner.family)}@example.com"
        payload: dict[str, Any] = {
            "GivenName": owner.given,
            "FamilyName": owner.family,
            "DisplayName": f"{owner.given} {owner.family}",
            "PrimaryEmailAddr": {"Address": email},
            "BillAddr": owner.home.to_json(),
            "ShipAddr": owner.home.to_json(),
            "PreferredDeliveryMethod": "Email",
        }
        rows.append((payload, owner.home, (owner.home, *owner.other_properties)))
    for business in BUSINESSES:
        payload = {
            "CompanyName": business.company,
            "DisplayName": business.company,
            "GivenName": business.contact_given,
            "FamilyName": business.contact_family,
            "PrimaryEmailAddr": {"Address": f"ap@{_email_slug(business.company)}.example.com"},
            "BillAddr": business.office.to_json(),
            "SalesTermRef": base.term("Net 30"),
            "PreferredDeliveryMethod": "Email",
        }
        rows.append((payload, business.office, business.properties))
    for n, (payload, address, _) in enumerate(rows):
        payload["PrimaryPhone"] = _phone(address.state, n)
    return rows


def _seed_customers(out: _Counting, base: BaseRefs) -> list[_Billable]:
    """Customers, their properties and the jobs under properties: everyone who can be billed."""
    billables: list[_Billable] = []
    properties: dict[str, _Billable] = {}
    for payload, address, places in _customer_payloads(base):
        stored = out.create("Customer", payload)
        display = payload["DisplayName"]
        owner = _Billable(
            "customer",
            ref(stored["Id"], display),
            CITY_TAX_CODES.get(address.city, "Out of state"),
            payload["PrimaryEmailAddr"]["Address"],
            "CompanyName" in payload,
            display,
        )
        billables.append(owner)
        for place in places:
            stored = out.create(
                "Customer",
                {
                    "DisplayName": place.line1,
                    "ParentRef": owner.customer_ref,
                    "Job": True,
                    "BillWithParent": True,
                    "BillAddr": place.to_json(),
                    "ShipAddr": place.to_json(),
                },
            )
            properties[place.line1] = _Billable(
                "property",
                ref(stored["Id"], f"{display}:{place.line1}"),
                CITY_TAX_CODES.get(place.city, "Out of state"),
                owner.email,
                owner.business,
                owner.payer,
            )
            billables.append(properties[place.line1])
    for job in JOBS:
        parent = properties[job.property_line1]
        stored = out.create(
            "Customer",
            {
                "DisplayName": job.name,
                "ParentRef": parent.customer_ref,
                "Job": True,
                "BillWithParent": True,
                "Notes": f"{job.template} project",
            },
        )
        billables.append(
            _Billable(
                "job",
                ref(stored["Id"], f"{parent.customer_ref['name']}:{job.name}"),
                parent.tax_code,
                parent.email,
                parent.business,
                parent.payer,
                job.template,
            )
        )
    return billables


@dataclass(frozen=True, slots=True)
class _ItemInfo:
    ref: dict[str, str]
    description: str
    price: Decimal
    taxable: bool


def _seed_items(out: _Counting, base: BaseRefs, today: datetime.date) -> dict[str, _ItemInfo]:
    """All items, by name."""
    items: dict[str, _ItemInfo] = {}

    def keep(stored: dict[str, Any], description: str, price: str, taxable: bool) -> None:
        name = stored["Name"]
        items[name] = _ItemInfo(ref(stored["Id"], name), description, Decimal(price), taxable)

    for row in SERVICES:
        payload: dict[str, Any] = {
            "Name": row.name,
            "Type": "Service",
            "Description": row.description,
            "UnitPrice": Decimal(row.price),
            "Taxable": False,
            "IncomeAccountRef": base.account("Services"),
            "Active": row.active,
        }
        if row.subcontract_cost is not None:
            payload["ExpenseAccountRef"] = base.account("Subcontractors")
            payload["PurchaseCost"] = Decimal(row.subcontract_cost)
            payload["PurchaseDesc"] = f"Subcontract: {row.description}"
        keep(out.create("Item", payload), row.description, row.price, False)
    for material in MATERIALS:
        stored = out.create(
            "Item",
            {
                "Name": material.name,
                "Type": "NonInventory",
                "Sku": material.sku,
                "Description": material.description,
                "PurchaseDesc": material.description,
                "UnitPrice": Decimal(material.price),
                "PurchaseCost": Decimal(material.cost),
                "Taxable": True,
                "IncomeAccountRef": base.account("Sales of Product Income"),
                "ExpenseAccountRef": base.account("Job Materials"),
            },
        )
        keep(stored, material.description, material.price, True)
    stored = out.create(
        "Item",
        {
            "Name": INVENTORY_ITEM,
            "Type": "Inventory",
            "Sku": "WH-50",
            "Description": INVENTORY_DESCRIPTION,
            "PurchaseDesc": INVENTORY_DESCRIPTION,
            "TrackQtyOnHand": True,
            "QtyOnHand": INVENTORY_ON_HAND,
            "InvStartDate": inventory_start(today).isoformat(),
            "UnitPrice": Decimal(INVENTORY_PRICE),
            "PurchaseCost": Decimal(INVENTORY_COST),
            "Taxable": True,
            "IncomeAccountRef": base.account("Sales of Product Income"),
            "ExpenseAccountRef": base.account("Cost of Goods Sold"),
            "AssetAccountRef": base.account("Inventory Asset"),
        },
    )
    keep(stored, INVENTORY_DESCRIPTION, INVENTORY_PRICE, True)
    group = out.insert_readonly(
        "Item",
        {
            "Name": GROUP_ITEM,
            "Type": "Group",
            "Active": True,
            "Description": GROUP_DESCRIPTION,
            "ItemGroupDetail": {
                "ItemGroupLine": [
                    {"ItemRef": items[name].ref, "Qty": qty} for name, qty in GROUP_LINES
                ]
            },
        },
    )
    keep(group, GROUP_DESCRIPTION, "0", False)
    return items


def inventory_start(today: datetime.date) -> datetime.date:
    """The as-of date of the water heaters' opening quantity."""
    return today - datetime.timedelta(days=400)


@dataclass(frozen=True, slots=True)
class _Invoice:
    id: str
    doc_number: str
    txn_date: datetime.date
    total: Decimal
    billable: _Billable


def _invoice_dates(rng: random.Random, today: datetime.date) -> list[datetime.date]:
    span = INVOICE_SPAN_DAYS - INVOICE_NEWEST_DAYS
    offsets = sorted(rng.randint(0, span) for _ in range(INVOICE_COUNT - 2))
    offsets = [0, *offsets, span]  # the range is always fully used
    start = today - datetime.timedelta(days=INVOICE_SPAN_DAYS)
    return [start + datetime.timedelta(days=o) for o in offsets]


def _seed_invoices(
    out: _Counting,
    base: BaseRefs,
    items: dict[str, _ItemInfo],
    billables: list[_Billable],
    rng: random.Random,
    today: datetime.date,
) -> list[_Invoice]:
    jobs = [b for b in billables if b.kind == "job"]
    properties = [b for b in billables if b.kind == "property"]
    customers = [b for b in billables if b.kind == "customer"]
    heaters_sold = 0
    heater_from = inventory_start(today)
    invoices: list[_Invoice] = []
    for n, txn_date in enumerate(_invoice_dates(rng, today)):
        roll = rng.random()
        pool = jobs if roll < 0.08 else customers if roll < 0.2 else properties
        billable = rng.choice(pool)
        if billable.template is not None:
            template = TEMPLATES_BY_LABEL[billable.template]
        else:
            template = rng.choice(RANDOM_TEMPLATES)
        uses_heater = any(name == INVENTORY_ITEM for name, _ in template.lines)
        if uses_heater and (heaters_sold >= INVENTORY_MAX_SOLD or txn_date < heater_from):
            template = TEMPLATES_BY_LABEL["Plumbing repair"]
        elif uses_heater:
            heaters_sold += 1
        size = rng.randrange(4)
        lines: list[dict[str, Any]] = []
        for name, quantities in template.lines:
            info = items[name]
            qty = Decimal(quantities[min(size, len(quantities) - 1)])
            lines.append(
                {
                    "Amount": money(qty * info.price),
                    "DetailType": "SalesItemLineDetail",
                    "Description": info.description,
                    "SalesItemLineDetail": {
                        "ItemRef": info.ref,
                        "Qty": qty,
                        "UnitPrice": info.price,
                        "TaxCodeRef": {"value": "TAX" if info.taxable else "NON"},
                    },
                }
            )
        payload: dict[str, Any] = {
            "DocNumber": str(FIRST_INVOICE_NUMBER + n),
            "TxnDate": txn_date.isoformat(),
            "DueDate": (txn_date + datetime.timedelta(days=30)).isoformat(),
            "CustomerRef": billable.customer_ref,
            "SalesTermRef": base.term("Net 30"),
            "BillEmail": {"Address": billable.email},
            "Line": lines,
        }
        if any(items[name].taxable for name, _ in template.lines):
            payload["TxnTaxDetail"] = {"TxnTaxCodeRef": base.tax_code(billable.tax_code)}
        if rng.random() < 0.3:
            payload["CustomerMemo"] = {"value": rng.choice(CUSTOMER_MEMOS)}
        stored = out.create("Invoice", payload)
        total = Decimal(str(stored["TotalAmt"]))
        invoices.append(_Invoice(stored["Id"], payload["DocNumber"], txn_date, total, billable))
    return invoices


_HOME_METHODS = (
    "Check",
    "Visa",
    "MasterCard",
    "American Express",
    "Discover",
    "Cash",
    "ACH/Bank Transfer",
)
_HOME_WEIGHTS = (35, 20, 15, 8, 5, 5, 12)
_BUSINESS_METHODS = ("Check", "ACH/Bank Transfer", "American Express")
_BUSINESS_WEIGHTS = (60, 35, 5)


def _seed_payments(
    out: _Counting,
    base: BaseRefs,
    invoices: list[_Invoice],
    rng: random.Random,
    today: datetime.date,
) -> tuple[int, int]:
    """Pay about 60% of invoices older than 45 days in full and 10% in part, plus some recent
    ones; returns (paid in full, paid in part)."""
    check_numbers: dict[str, int] = {}
    paid = partial = 0
    for invoice in invoices:
        age = (today - invoice.txn_date).days
        roll = rng.random()
        if age > PAID_AFTER_DAYS:
            amount: Decimal | None = None
            if roll < 0.6:
                amount = invoice.total
            elif roll < 0.7:
                fraction = Decimal(rng.choice(("0.25", "0.4", "0.5")))
                amount = money(invoice.total * fraction)
            delay = rng.randint(3, 40)
        else:
            amount = invoice.total if roll < 0.25 else None
            delay = rng.randint(1, 10)
        paid_on = invoice.txn_date + datetime.timedelta(days=delay)
        if amount is None or amount <= 0 or paid_on > today:
            continue
        billable = invoice.billable
        if billable.business:
            method = rng.choices(_BUSINESS_METHODS, _BUSINESS_WEIGHTS)[0]
        else:
            method = rng.choices(_HOME_METHODS, _HOME_WEIGHTS)[0]
        if method == "Check":
            number = check_numbers.get(billable.payer, rng.randint(1001, 9800)) + 1
            check_numbers[billable.payer] = number
            reference = str(number)
        elif method == "ACH/Bank Transfer":
            reference = f"ACH{paid_on:%y%m%d}{rng.randint(0, 99999):05d}"
        elif method == "Cash":
            reference = f"RCPT-{invoice.doc_number}"
        else:
            reference = f"AUTH {rng.randint(0, 999999):06d}"
        out.create(
            "Payment",
            {
                "CustomerRef": billable.customer_ref,
                "TotalAmt": amount,
                "TxnDate": paid_on.isoformat(),
                "PaymentMethodRef": base.payment_method(method),
                "PaymentRefNum": reference,
                "DepositToAccountRef": base.account("Undeposited Funds"),
                "Line": [
                    {
                        "Amount": amount,
                        "LinkedTxn": [{"TxnId": invoice.id, "TxnType": "Invoice"}],
                    }
                ],
            },
        )
        if amount == invoice.total:
            paid += 1
        else:
            partial += 1
    return paid, partial


def _expense_lines(base: BaseRefs, lines: tuple[tuple[str, str, str], ...]) -> list[dict[str, Any]]:
    return [
        {
            "Amount": Decimal(amount),
            "Description": description,
            "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": {
                "AccountRef": base.account(account),
                "BillableStatus": "NotBillable",
            },
        }
        for account, amount, description in lines
    ]


def _seed_bills(
    out: _Counting, base: BaseRefs, vendors: dict[str, dict[str, str]], today: datetime.date
) -> None:
    for bill in BILLS:
        txn_date = today - datetime.timedelta(days=bill.days_ago)
        out.create(
            "Bill",
            {
                "VendorRef": vendors[bill.vendor],
                "APAccountRef": base.account("Accounts Payable (A/P)"),
                "DocNumber": bill.number,
                "TxnDate": txn_date.isoformat(),
                "DueDate": (txn_date + datetime.timedelta(days=30)).isoformat(),
                "SalesTermRef": base.term("Net 30"),
                "Line": _expense_lines(base, bill.lines),
            },
        )


def _seed_purchases(
    out: _Counting, base: BaseRefs, vendors: dict[str, dict[str, str]], today: datetime.date
) -> None:
    for purchase in PURCHASES:
        out.create(
            "Purchase",
            {
                "PaymentType": "CreditCard",
                "AccountRef": base.account("Mastercard"),
                "EntityRef": {**vendors[purchase.vendor], "type": "Vendor"},
                "TxnDate": (today - datetime.timedelta(days=purchase.days_ago)).isoformat(),
                "Line": _expense_lines(base, purchase.lines),
            },
        )


def _seed_purchase_order(
    out: _Counting,
    base: BaseRefs,
    vendors: dict[str, dict[str, str]],
    items: dict[str, _ItemInfo],
    today: datetime.date,
) -> None:
    cost = Decimal("780.00")
    qty = Decimal(PURCHASE_ORDER_QTY)
    out.create(
        "PurchaseOrder",
        {
            "VendorRef": vendors[PURCHASE_ORDER_VENDOR],
            "APAccountRef": base.account("Accounts Payable (A/P)"),
            "POStatus": "Open",
            "DocNumber": "PO-1001",
            "TxnDate": (today - datetime.timedelta(days=4)).isoformat(),
            "Memo": "Restock water heaters",
            "ShipAddr": dict(COMPANY_ADDRESS),
            "Line": [
                {
                    "Amount": money(qty * cost),
                    "Description": "50 gallon natural gas water heater",
                    "DetailType": "ItemBasedExpenseLineDetail",
                    "ItemBasedExpenseLineDetail": {
                        "ItemRef": items[INVENTORY_ITEM].ref,
                        "Qty": qty,
                        "UnitPrice": cost,
                    },
                }
            ],
        },
    )


__all__ = [
    "DEMO_COMPANY_NAME",
    "DEMO_NAME_CLASHES",
    "DemoSummary",
    "previous_quarter_end",
    "seed_demo",
]

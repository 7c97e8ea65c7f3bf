"""The words the demo business is made of: people, streets, cities, the price book, suppliers.

None of these names is used by the emulator's demo company (Summit Ridge Builders), so a clash
with QuickBooks happens only where `cases` puts one on purpose.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "BUSINESS_KINDS",
    "BUSINESS_PREFIXES",
    "CITIES",
    "EXPENSE_LINES",
    "FIRST_NAMES",
    "INVENTORY",
    "LAST_NAMES",
    "MATERIALS",
    "SERVICES",
    "STREETS",
    "VENDOR_KINDS",
    "VENDOR_PREFIXES",
    "City",
    "Product",
]

FIRST_NAMES: tuple[str, ...] = (
    "Abigail", "Adrian", "Alana", "Alvin", "Amelia", "Anton", "Beatrice", "Bennett", "Bianca",
    "Caleb", "Camila", "Cecilia", "Colin", "Dahlia", "Damon", "Delia", "Dominic", "Eleanor",
    "Elias", "Esme", "Felix", "Fiona", "Gavin", "Gemma", "Gideon", "Harriet", "Hector", "Ines",
    "Ivan", "Jasper", "Josie", "Julian", "Keira", "Lena", "Leon", "Lorenzo", "Lydia", "Malik",
    "Margot", "Miles", "Nadia", "Naomi", "Niall", "Nora", "Oscar", "Paloma", "Quentin", "Rafael",
    "Rhea", "Rosalind", "Rowan", "Selma", "Silas", "Soren", "Stella", "Tabitha", "Theo",
    "Ursula", "Vera", "Wendell", "Willa", "Xavier", "Yara", "Zane", "Zelda",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Abernathy", "Ashworth", "Balogun", "Blackwood", "Calloway", "Castellanos", "Devereaux",
    "Eastman", "Fairbanks", "Falconer", "Galloway", "Hargrove", "Hollister", "Iwasaki",
    "Kowalczyk", "Lachance", "Lindgren", "Marchetti", "Montoya", "Northcott", "Okonkwo",
    "Pemberton", "Quintero", "Radcliffe", "Sandoval", "Takahashi", "Thornbury", "Underhill",
    "Vasquez-Lott", "Wainwright", "Whitcombe", "Yamamoto", "Zielinski", "Achterberg",
    "Bellweather", "Corcoran", "Dunmore", "Ellsworth", "Fenwick", "Greenhalgh",
)  # fmt: skip

BUSINESS_PREFIXES: tuple[str, ...] = (
    "Larkspur", "Cedar Point", "Quail Ridge", "Willow Creek", "Stonegate", "Harbor Light",
    "Copper Canyon", "Juniper", "Redwood Grove", "Silver Lake", "Meadowbrook", "Aspen Hollow",
    "Pinecrest", "Lakeside", "Brookfield", "Canyon Oaks", "Fox Run", "Bramblewood", "Tanglewood",
    "Clearwater", "Ironwood", "Kestrel", "Marigold", "Sagebrush", "Thistle",
)  # fmt: skip

BUSINESS_KINDS: tuple[str, ...] = (
    "Dental Studio", "Property Group", "Apartments", "Coffee House", "Veterinary Clinic",
    "Community Church", "Montessori School", "Self Storage", "Auto Care", "Owners Association",
    "Fitness Club", "Family Practice", "Bistro", "Realty", "Senior Living",
)  # fmt: skip


class City(NamedTuple):
    name: str
    region: str
    postal_code: str
    tax_rate: str  # the app's tax rate id for work done there


CITIES: tuple[City, ...] = (
    City("Roseville", "CA", "95661", "ca-roseville"),
    City("Roseville", "CA", "95678", "ca-roseville"),
    City("Rocklin", "CA", "95677", "ca-placer"),
    City("Granite Bay", "CA", "95746", "ca-placer"),
    City("Lincoln", "CA", "95648", "ca-placer"),
    City("Loomis", "CA", "95650", "ca-placer"),
    City("Auburn", "CA", "95603", "ca-placer"),
    City("Sacramento", "CA", "95816", "ca-sacramento"),
    City("Sacramento", "CA", "95822", "ca-sacramento"),
    City("Folsom", "CA", "95630", "ca-sacramento"),
    City("Elk Grove", "CA", "95758", "ca-sacramento"),
    City("Citrus Heights", "CA", "95610", "ca-sacramento"),
    City("Fair Oaks", "CA", "95628", "ca-sacramento"),
    City("Carmichael", "CA", "95608", "ca-sacramento"),
)

STREETS: tuple[str, ...] = (
    "Larch Way", "Tamarack Ct", "Heron Ridge Dr", "Bluebell Ln", "Chickadee Ct", "Alder Glen Rd",
    "Kingfisher Way", "Wren Hollow Ct", "Buckeye Trl", "Lupine Ln", "Manzanita Bluff Dr",
    "Sparrow Hawk Ct", "Ponderosa Pl", "Trillium Way", "Blue Oak Ter", "Goldfinch Ln",
    "Sycamore Bend Dr", "Redbud Ct", "Yarrow Way", "Osprey Point Dr", "Quince St", "Hazelnut Ln",
    "Poppy Field Ct", "Magpie Way", "Cottonwood Run", "Laurel Mist Ln", "Buttercup Ct",
    "Tule Elk Way", "Mariposa Trl", "Starling Ct",
)  # fmt: skip


class Product(NamedTuple):
    name: str
    sku: str
    description: str
    price: str
    cost: str | None = None


# Service work, booked to the Services income account.
SERVICES: tuple[Product, ...] = (
    Product("HVAC Diagnostic", "SV-HVD", "Heating or cooling system diagnosis", "129.00"),
    Product("AC Tune-Up", "SV-ACT", "Seasonal air conditioner maintenance", "149.00"),
    Product("Furnace Tune-Up", "SV-FTU", "Seasonal furnace maintenance", "139.00"),
    Product("Drain Cleaning", "SV-DRC", "Main or branch line drain cleaning", "225.00"),
    Product("Water Heater Flush", "SV-WHF", "Tank flush and anode check", "115.00"),
    Product("Electrical Panel Inspection", "SV-EPI", "Panel, breakers and grounding", "189.00"),
    Product("Outlet Installation", "SV-OUT", "New receptacle, per outlet", "95.00"),
    Product("Thermostat Installation", "SV-TST", "Install and program a thermostat", "110.00"),
    Product("Duct Cleaning", "SV-DCT", "Whole-home duct cleaning", "389.00"),
    Product("After-Hours Call Out", "SV-AHC", "Evenings, weekends and holidays", "175.00"),
    Product("Technician Hour", "SV-TEC", "Field technician, per hour", "98.00"),
    Product("Apprentice Hour", "SV-APP", "Apprentice technician, per hour", "62.00"),
    Product("Leak Detection", "SV-LKD", "Electronic leak detection", "245.00"),
    Product("Sewer Camera Inspection", "SV-SCI", "Camera inspection with recording", "299.00"),
    Product("Gas Line Pressure Test", "SV-GLP", "Pressure test of the gas piping", "165.00"),
    Product("Ceiling Fan Installation", "SV-CFI", "Install a ceiling fan on a box", "135.00"),
    Product("Garbage Disposal Swap", "SV-GDS", "Replace a garbage disposal", "145.00"),
    Product("Faucet Replacement", "SV-FCT", "Replace a kitchen or bath faucet", "155.00"),
    Product("Toilet Rebuild", "SV-TRB", "Flapper, fill valve and seals", "120.00"),
    Product("Smoke Detector Service", "SV-SMK", "Test and replace detectors", "85.00"),
    Product("Heat Pump Service", "SV-HPS", "Heat pump maintenance visit", "169.00"),
    Product("Mini-Split Cleaning", "SV-MSC", "Indoor head and coil cleaning", "179.00"),
    Product("Refrigerant Recharge", "SV-RFR", "Leak check and recharge labor", "210.00"),
    Product("Sump Pump Service", "SV-SPS", "Sump pump test and cleaning", "130.00"),
    Product("Backflow Test", "SV-BFT", "Annual backflow preventer test", "95.00"),
    Product("EV Charger Installation", "SV-EVC", "Level 2 charger on a new circuit", "650.00"),
    Product("Surge Protector Install", "SV-SRG", "Whole-home surge protection", "240.00"),
    Product("Dryer Vent Cleaning", "SV-DVC", "Dryer vent run cleaning", "119.00"),
    Product("Maintenance Plan Visit", "SV-MPV", "Included visit, member pricing", "79.00"),
    Product("Trip Charge", "SV-TRP", "Travel to the site", "59.00"),
    Product("Permit Processing", "SV-PRM", "Pull and close a city permit", "125.00"),
    Product("Water Pressure Regulator Swap", "SV-PRV", "Replace the pressure regulator", "285.00"),
    Product("Recessed Light Installation", "SV-RLI", "Per recessed fixture", "115.00"),
    Product("Attic Fan Service", "SV-AFS", "Attic ventilation fan service", "99.00"),
    Product("Seasonal Safety Check", "SV-SSC", "Gas, CO and electrical safety check", "89.00"),
)

# Parts sold on invoices and bought on purchase orders (non-inventory).
MATERIALS: tuple[Product, ...] = (
    Product("Air Filter 16x25x1", "MT-AF1625", "MERV 11 pleated filter", "18.00", "7.40"),
    Product("Air Filter 20x25x4", "MT-AF2025", "MERV 13 media filter", "49.00", "21.00"),
    Product("Run Capacitor 45/5", "MT-CAP455", "Dual run capacitor 45/5 MFD", "89.00", "14.20"),
    Product("Contactor 40A", "MT-CON40", "Single-pole 40 A contactor", "79.00", "12.75"),
    Product("Igniter, Hot Surface", "MT-IGN", "Silicon nitride igniter", "119.00", "28.50"),
    Product("Flame Sensor", "MT-FLS", "Universal flame sensor", "59.00", "9.80"),
    Product("Condensate Pump", "MT-CDP", "Condensate removal pump", "149.00", "54.00"),
    Product(
        "Refrigerant R-410A (lb)", "MT-R410", "R-410A refrigerant, per pound", "95.00", "22.00"
    ),
    Product("Ball Valve 3/4 in.", "MT-BV34", "Full-port brass ball valve", "34.00", "11.60"),
    Product("PEX Tubing 1/2 in. (ft)", "MT-PEX12", "PEX-A tubing, per foot", "2.40", "0.68"),
    Product("Copper Fitting Kit", "MT-CUFK", "Assorted copper fittings", "28.00", "9.10"),
    Product("Wax Ring Kit", "MT-WAX", "Toilet wax ring with bolts", "14.00", "3.90"),
    Product("Fill Valve", "MT-FV", "Toilet fill valve", "26.00", "7.80"),
    Product("Supply Line 20 in.", "MT-SL20", "Braided supply line", "16.00", "4.20"),
    Product("P-Trap 1-1/2 in.", "MT-PT15", "PVC P-trap assembly", "19.00", "5.10"),
    Product("GFCI Receptacle", "MT-GFCI", "20 A tamper-resistant GFCI", "38.00", "15.90"),
    Product("AFCI Breaker 20A", "MT-AFCI", "20 A arc-fault breaker", "72.00", "39.00"),
    Product("Smoke/CO Detector", "MT-SMCO", "Combination smoke and CO alarm", "64.00", "29.00"),
    Product("Romex 12/2 (ft)", "MT-RMX122", "12/2 NM-B cable, per foot", "1.60", "0.71"),
    Product("Junction Box", "MT-JBOX", "Metal junction box with cover", "12.00", "3.40"),
    Product("Surge Protective Device", "MT-SPD", "Type 2 whole-home SPD", "189.00", "88.00"),
    Product(
        "Thermostat, Programmable", "MT-TPRG", "7-day programmable thermostat", "119.00", "46.00"
    ),
    Product("Thermostat, Smart", "MT-TSMT", "Wi-Fi smart thermostat", "249.00", "139.00"),
    Product("Duct Tape, Foil (roll)", "MT-FOIL", "UL 181 foil tape", "24.00", "8.30"),
    Product("Flex Duct 6 in. (25 ft)", "MT-FD6", "Insulated flex duct", "89.00", "38.00"),
    Product("Register 4x10", "MT-REG410", "Floor register", "15.00", "4.80"),
    Product("Drain Snake Cable", "MT-DSC", "Replacement cable, per use", "35.00", "10.00"),
    Product("Anode Rod", "MT-ANOD", "Magnesium anode rod", "58.00", "19.00"),
    Product("Expansion Tank 2 gal", "MT-EXT2", "Thermal expansion tank", "85.00", "33.00"),
    Product("Gas Flex Connector", "MT-GFC", "Stainless gas connector 48 in.", "42.00", "13.50"),
    Product(
        "Pressure Regulator 3/4 in.", "MT-PRV34", "Water pressure regulator", "149.00", "61.00"
    ),
    Product(
        "Backflow Repair Kit", "MT-BFK", "Rubber kit for a backflow preventer", "68.00", "22.00"
    ),
    Product("Ceiling Fan Brace", "MT-CFB", "Fan-rated brace box", "29.00", "9.20"),
    Product("LED Wafer Light 6 in.", "MT-LED6", "Recessed LED wafer light", "32.00", "11.40"),
    Product("Dryer Vent Kit", "MT-DVK", "Semi-rigid vent kit", "27.00", "8.60"),
)

# Stock kept on the shelf: inventory items (their start date lies well in the past).
INVENTORY: tuple[Product, ...] = (
    Product(
        "Garbage Disposal 1/2 HP", "IN-GD05", "1/2 HP continuous-feed disposal", "219.00", "98.00"
    ),
    Product(
        "Tankless Water Heater", "IN-TWH", "199k BTU condensing tankless", "2450.00", "1290.00"
    ),
    Product("Sump Pump 1/3 HP", "IN-SP13", "Submersible sump pump", "289.00", "124.00"),
    Product("Heat Pump Condenser 3 Ton", "IN-HP3T", "16 SEER2 heat pump", "4890.00", "2710.00"),
    Product("Whole-Home Humidifier", "IN-WHH", "Bypass humidifier", "489.00", "211.00"),
)

VENDOR_PREFIXES: tuple[str, ...] = (
    "Valley", "Delta", "Northgate", "American River", "Cascade", "Foothill Ridge", "Capitol City",
    "Gold Country", "Bayline", "Tahoe", "Pacific Crest", "Highway 65", "Westline", "Sunrise",
    "Keystone", "Evergreen",
)  # fmt: skip

VENDOR_KINDS: tuple[str, ...] = (
    "HVAC Supply", "Electric Wholesale", "Plumbing Distributors", "Fleet Services",
    "Equipment Rental", "Tool Depot", "Uniform Service", "Fuel Card Co.", "Sheet Metal Works",
    "Disposal & Recycling",
)  # fmt: skip

# Expense lines of receipts and bills: (account, descriptions, smallest, largest amount).
EXPENSE_LINES: tuple[tuple[str, tuple[str, ...], int, int], ...] = (
    ("Fuel", ("Fleet fuel", "Van fuel, two trucks", "Diesel for the service truck"), 40, 320),
    ("Job Materials", ("Parts for open jobs", "Fittings and valves", "Wire"), 25, 1800),
    ("Shop Supplies", ("Rags, gloves and tape", "Fasteners and anchors"), 15, 260),
    ("Tools and Equipment", ("Replacement drill", "Gauge set", "Press tool jaws"), 60, 900),
    ("Equipment Rental", ("Jetter rental, one day", "Lift rental"), 120, 650),
    ("Meals", ("Crew lunch", "Training breakfast"), 30, 180),
    ("Subcontractors", ("Duct fabrication", "Trenching for a gas line"), 300, 3200),
)  # fmt: skip

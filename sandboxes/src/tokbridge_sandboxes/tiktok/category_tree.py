"""The sandbox's category tree beyond its hand-made core: every top-level category a TikTok Shop
seller meets, with realistic subcategories and leaves, each leaf with the attributes and rules of its
kind of product. Written here as compact tables (our own wording, not TikTok's data) and expanded by
`expand()` into `catalog_seed.Category` rows.

Table syntax:
- a top level or subcategory is `(name, id or "", profile or "", children)`; an id of the core tree
  (`catalog_seed`) adds children to that existing node, an empty id is generated from the position;
- a leaf list is one string, `;`-separated; each leaf is `US name`, or `US name=UK/EU name` when the
  other tree spells it differently, optionally followed by `+keyword,keyword` for what buyers call it;
- a profile names the attributes and rules of the leaves below (`PROFILES`); a subcategory's profile
  wins over its top level's.

Generated ids: top level `7TT000`, subcategory `7TTS00`, leaf `7TTSLL` (TT the top level's position,
S the subcategory's, LL the leaf's, from 1), so they never meet the core's `60xxxx`/`82xxxx` ids and
stay stable when rows are added at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """What the leaves of one kind of product share: attribute ids, rules and certification keys."""

    attributes: tuple[str, ...]
    size_chart: bool = False
    package_dimensions: bool = False
    certifications: tuple[str, ...] = ()
    deposit_fee: bool = False  # a drink sold with a bottle deposit (Pfand) where the market has one


PROFILES: dict[str, Profile] = {
    "apparel": Profile(("100000", "100007", "100347", "100392", "103021"), size_chart=True),
    "menswear": Profile(("100000", "100007", "103020", "100347", "103021"), size_chart=True),
    "underwear": Profile(("100000", "100007", "100347"), size_chart=True),
    "kids_apparel": Profile(("100000", "100007", "100347", "103010"), size_chart=True, certifications=("cpc", "en71")),
    "footwear": Profile(("100000", "103001", "103002"), size_chart=True),
    "bags": Profile(("100000", "100347", "100089")),
    "accessories": Profile(("100000", "100347")),
    "jewelry": Profile(("103003", "100000")),
    "rings": Profile(("103004", "103003")),
    "necklaces": Profile(("103005", "103003")),
    "watches": Profile(("100000", "103003", "103015", "103016"), certifications=("battery",)),
    "skincare": Profile(("101395", "101400", "100089")),
    "makeup": Profile(("100000", "101400", "101395")),
    "fragrance": Profile(("101400", "103019")),
    "haircare": Profile(("101400", "100089")),
    "personal_care_devices": Profile(
        ("100000", "103022", "102005"), package_dimensions=True, certifications=("electrical_us", "electrical_eu")
    ),
    "health": Profile(("100089", "103026", "103027"), certifications=("supplement_facts",)),
    "medical": Profile(("100089", "102005"), certifications=("medical_device",)),
    "electronics": Profile(
        ("100000", "102001", "102005", "103015", "103016"),
        package_dimensions=True,
        certifications=("fcc", "ce", "battery"),
    ),
    "phone_accessories": Profile(("103006", "100000", "100347")),
    "computers": Profile(("100000", "103025", "102005"), package_dimensions=True, certifications=("fcc", "ce")),
    "office": Profile(("100000", "100089")),
    "appliances": Profile(
        ("100000", "103022", "102005"), package_dimensions=True, certifications=("electrical_us", "electrical_eu")
    ),
    "home": Profile(("100000", "101610", "100347")),
    "candles": Profile(("103019", "100000")),
    "kitchen": Profile(("100000", "100347", "103017"), certifications=("food_contact_us", "food_contact_eu")),
    "knives": Profile(("103018", "100347"), certifications=("food_contact_us", "food_contact_eu")),
    "textiles": Profile(("100000", "100089", "100347")),
    "furniture": Profile(("100000", "100347", "101610"), package_dimensions=True),
    "tools": Profile(("103022", "102005", "100089"), package_dimensions=True),
    "automotive": Profile(("103023", "100000", "100089")),
    "sports": Profile(("103024", "100000", "100007")),
    "outdoor": Profile(("100000", "100089", "100347")),
    "toys": Profile(("103010", "100000"), certifications=("cpc", "en71")),
    "baby": Profile(("103010", "100000", "100347"), certifications=("cpc", "en71")),
    "pets": Profile(("103007", "100000", "100007")),
    "pet_food": Profile(("103007", "103012", "103026")),
    "food": Profile(("103011", "103012", "103026", "103027"), certifications=("food_facility",)),
    "drinks": Profile(("103011", "103017", "103026", "103027"), certifications=("food_facility",), deposit_fee=True),
    "books": Profile(("103013", "103014")),
    "media": Profile(("103013", "100089")),
    "stationery": Profile(("100000", "103009", "100347")),
    "collectibles": Profile(("100089", "100347")),
    "luggage": Profile(("100000", "100007", "100347"), package_dimensions=True),
    "general": Profile(("100000", "100089")),
}

Node = tuple[str, str, str, "list[Node] | str"]

# Every top level, in the order a seller sees them. The first four exist in the core already.
TREE: list[Node] = [
    (
        "Womenswear & Underwear",
        "601152",
        "apparel",
        [
            (
                "Women's Tops",
                "601226",
                "",
                "Blouses & Shirts; Tank Tops & Camis; Sweaters=Jumpers+sweater,jumper; "
                "Cardigans; Crop Tops; Bodysuits; Polo Shirts+polo",
            ),
            ("Women's Bottoms", "601400", "", "Pants=Trousers+pants,trousers; Shorts; Skirts; Leggings; Joggers"),
            ("Dresses", "", "", "Casual Dresses+dress; Maxi Dresses; Evening Dresses; Shirt Dresses"),
            ("Women's Outerwear", "", "", "Coats; Jackets; Puffer Jackets+puffer; Blazers; Vests=Gilets+vest,gilet"),
            (
                "Women's Underwear & Sleepwear",
                "",
                "underwear",
                "Bras; Panties=Knickers; Shapewear; Pajamas=Pyjamas+pajama,pyjama; Robes; Socks & Tights+socks,tights",
            ),
            ("Women's Activewear", "", "sports", "Sports Bras; Yoga Pants+yoga; Athletic Tops; Athletic Shorts"),
        ],
    ),
    (
        "Menswear & Underwear",
        "",
        "menswear",
        [
            (
                "Men's Tops",
                "",
                "",
                "T-shirts; Polo Shirts+polo; Casual Shirts; Hoodies & Sweatshirts+hoodie,pullover,fleece; "
                "Sweaters=Jumpers+sweater,jumper; Tank Tops",
            ),
            ("Men's Bottoms", "", "", "Jeans+denim; Chinos; Pants=Trousers; Shorts; Joggers+sweatpants"),
            ("Men's Outerwear", "", "", "Jackets; Coats; Suits & Blazers+suit,blazer; Vests=Gilets"),
            (
                "Men's Underwear & Loungewear",
                "",
                "underwear",
                "Boxers & Briefs+boxers,briefs; Undershirts; Socks; Pajamas=Pyjamas; Robes",
            ),
        ],
    ),
    (
        "Beauty & Personal Care",
        "601450",
        "skincare",
        [
            (
                "Skincare",
                "601460",
                "",
                "Cleansers+cleanser,face-wash,cleansing; Toners; Face Masks; Eye Creams; Sunscreen+spf; Lip Care+lip",
            ),
            (
                "Makeup",
                "",
                "makeup",
                "Foundation; Concealer; Lipstick; Mascara; Eyeshadow; Blush; Makeup Brushes+brush",
            ),
            ("Fragrance", "", "fragrance", "Perfume; Cologne; Body Mist"),
            ("Hair Care", "", "haircare", "Shampoo; Conditioner; Hair Oil; Hair Masks; Styling Products+gel,wax"),
            ("Bath & Body", "", "skincare", "Body Wash+shower; Body Lotion; Hand Cream; Deodorant; Bath Bombs"),
            (
                "Personal Care Appliances",
                "",
                "personal_care_devices",
                "Hair Dryers=Hairdryers+dryer; Hair Straighteners; "
                "Electric Shavers+shaver; Electric Toothbrushes+toothbrush; Epilators",
            ),
            ("Nail Care", "", "makeup", "Nail Polish+polish; Press-On Nails; Nail Tools"),
        ],
    ),
    (
        "Home Supplies",
        "600001",
        "home",
        [
            (
                "Home Organizers",
                "600002",
                "",
                "Drawer Organizers; Closet Organizers=Wardrobe Organisers; Hangers; Baskets",
            ),
            (
                "Home Decor",
                "",
                "",
                "Throw Pillows=Cushions+pillow,cushion; Vases+vase; Wall Art+print,poster,wall; "
                "Picture Frames+frame; Mirrors; Artificial Plants+plant; Clocks",
            ),
            ("Candles & Home Fragrance", "", "candles", "Scented Candles+candle; Diffusers; Wax Melts; Incense"),
            (
                "Cleaning Supplies",
                "",
                "",
                "Mops & Brooms+mop,broom; Sponges & Cloths+sponge,cloth; Cleaning Brushes; Trash Cans=Bins+trash",
            ),
            ("Bathroom Supplies", "", "", "Shower Curtains; Bath Mats; Toothbrush Holders; Soap Dispensers"),
            (
                "Festive & Party Supplies",
                "",
                "general",
                "Balloons; Party Decorations+party; Gift Wrap+wrap; Christmas Decorations+christmas",
            ),
        ],
    ),
    (
        "Kitchenware",
        "",
        "kitchen",
        [
            (
                "Cookware",
                "",
                "",
                "Frying Pans & Skillets+skillet,pan,cast; Saucepans; Stock Pots+pot; Dutch Ovens; Woks",
            ),
            ("Bakeware", "", "", "Baking Trays=Baking Sheets+tray; Cake Pans; Muffin Tins; Rolling Pins"),
            (
                "Kitchen Knives & Boards",
                "",
                "knives",
                "Chef Knives+knife,chef; Knife Sets+knife; Cutting Boards=Chopping Boards+board; "
                "Knife Sharpeners+sharpener",
            ),
            (
                "Kitchen Utensils & Gadgets",
                "",
                "",
                "Spatulas; Whisks; Peelers; Measuring Cups & Spoons+measuring; Graters; Can Openers=Tin Openers",
            ),
            (
                "Drinkware",
                "",
                "",
                "Water Bottles+bottle; Travel Mugs+tumbler; Glasses; Teapots & Kettles+kettle,teapot,pour-over",
            ),
            ("Food Storage", "", "", "Food Containers+container; Lunch Boxes; Storage Jars+jar"),
            ("Tableware", "", "", "Plates; Bowls; Cutlery Sets+cutlery,flatware; Serving Platters"),
        ],
    ),
    (
        "Textiles & Soft Furnishings",
        "",
        "textiles",
        [
            (
                "Bedding",
                "",
                "",
                "Duvet Covers+duvet; Bed Sheets+sheet; Pillowcases; Comforters=Duvets; Blankets & Throws+blanket,throw",
            ),
            ("Curtains & Blinds", "", "", "Curtains+curtain; Blinds; Curtain Rods"),
            ("Rugs & Carpets", "", "", "Area Rugs+rug; Doormats+doormat; Hallway Rugs"),
            ("Towels", "", "", "Bath Towels+towel; Hand Towels; Beach Towels"),
        ],
    ),
    (
        "Furniture",
        "",
        "furniture",
        [
            ("Living Room Furniture", "", "", "Sofas+sofa,couch; Coffee Tables; TV Stands; Bookcases+bookshelf"),
            (
                "Bedroom Furniture",
                "",
                "",
                "Beds & Bed Frames+bed; Nightstands=Bedside Tables; Dressers=Chests of Drawers",
            ),
            ("Office Furniture", "", "", "Desks; Office Chairs+chair; Filing Cabinets"),
            (
                "Outdoor Furniture",
                "",
                "",
                "Patio Sets=Garden Furniture Sets+patio; Hammocks; Outdoor Umbrellas=Parasols",
            ),
        ],
    ),
    (
        "Household Appliances",
        "",
        "appliances",
        [
            (
                "Kitchen Appliances",
                "",
                "",
                "Coffee Makers=Coffee Machines+coffee; Blenders+blender; Air Fryers+fryer; "
                "Electric Kettles+kettle; Toasters+toaster; Microwaves",
            ),
            (
                "Home Appliances",
                "",
                "",
                "Vacuum Cleaners+vacuum,hoover; Air Purifiers+purifier; Fans+fan; Space Heaters=Heaters+heater; "
                "Humidifiers+humidifier; Irons & Steamers+iron,steamer",
            ),
            ("Large Appliances", "", "", "Refrigerators=Fridges+fridge; Washing Machines; Dishwashers"),
        ],
    ),
    (
        "Home Improvement",
        "",
        "tools",
        [
            (
                "Lighting",
                "",
                "appliances",
                "Ceiling Lights; Lamps+lamp; LED Strip Lights+led; Light Bulbs+bulb; String Lights=Fairy Lights",
            ),
            ("Bathroom Fixtures", "", "general", "Faucets=Taps+faucet,tap; Shower Heads; Towel Rails"),
            ("Hardware", "", "general", "Door Handles; Hooks; Locks & Latches+lock; Screws & Nails+screw,nail"),
            (
                "Smart Home",
                "",
                "electronics",
                "Smart Plugs; Video Doorbells+doorbell; Security Cameras+camera; Smart Thermostats",
            ),
        ],
    ),
    (
        "Tools & Hardware",
        "",
        "tools",
        [
            ("Power Tools", "", "", "Drills & Drivers+drill; Saws+saw; Sanders; Rotary Tools"),
            (
                "Hand Tools",
                "",
                "general",
                "Screwdrivers; Wrenches=Spanners+wrench,spanner; Pliers; Hammers+hammer; Tool Sets+toolkit",
            ),
            ("Measuring Tools", "", "general", "Tape Measures; Levels; Laser Measures"),
            (
                "Garden Tools",
                "",
                "general",
                "Pruners & Shears+shears,pruner; Hoses & Watering+hose,watering; Gardening Gloves; Planters & Pots+planter",
            ),
        ],
    ),
    (
        "Phones & Electronics",
        "824328",
        "electronics",
        [
            (
                "Audio & Video",
                "824330",
                "",
                "Headphones+headphone,over-ear; Smart Speakers+smart-speaker; Soundbars; "
                "Turntables+turntable,vinyl; Microphones+microphone,mic",
            ),
            ("Phones", "", "", "Mobile Phones=Smartphones+phone,smartphone; Rugged Phones; Feature Phones"),
            (
                "Phone Accessories",
                "",
                "phone_accessories",
                "Phone Cases+case,phone; Screen Protectors+screen,protector; "
                "Charging Cables+cable,charging,usb-c; Phone Wallets & Card Holders+wallet,magsafe; Phone Stands & Mounts+mount,stand; "
                "Phone Grips & Rings+grip",
            ),
            (
                "Chargers & Power",
                "",
                "",
                "Power Banks+powerbank; Wireless Chargers+wireless,charger; Wall Chargers+adapter,plug",
            ),
            ("Wearables", "", "", "Smartwatches+smartwatch; Fitness Trackers+tracker; Smart Rings"),
            (
                "Cameras & Photography",
                "",
                "",
                "Digital Cameras+camera; Action Cameras; Camera Lenses+lens; Tripods+tripod; Ring Lights",
            ),
            ("Gaming", "", "", "Game Controllers+controller,gamepad; Gaming Headsets+headset; Consoles+console"),
        ],
    ),
    (
        "Computers & Office Equipment",
        "",
        "computers",
        [
            ("Computers", "", "", "Laptops+laptop,notebook-computer; Desktop Computers+desktop; Tablets+tablet,ipad"),
            (
                "Computer Accessories",
                "",
                "office",
                "Keyboards+keyboard; Mice+mouse; Monitors+monitor; Laptop Stands; Webcams+webcam; USB Hubs+hub",
            ),
            ("Storage", "", "", "External Hard Drives+hard-drive,ssd; USB Flash Drives+flash; Memory Cards+sd"),
            ("Office Equipment", "", "office", "Printers+printer; Shredders; Label Makers; Calculators+calculator"),
        ],
    ),
    (
        "Fashion Accessories",
        "",
        "accessories",
        [
            ("Hats & Caps", "", "", "Baseball Caps+cap; Beanies+beanie; Bucket Hats; Sun Hats"),
            ("Scarves & Gloves", "", "", "Scarves+scarf; Gloves+glove; Mittens"),
            ("Belts", "", "", "Leather Belts+belt; Fabric Belts"),
            ("Eyewear", "", "", "Sunglasses+sunglasses,shades; Blue Light Glasses; Glasses Cases"),
            ("Hair Accessories", "", "", "Hair Clips & Claws+clip,claw; Scrunchies+scrunchie; Headbands+headband"),
        ],
    ),
    (
        "Jewelry Accessories & Derivatives=Jewellery Accessories & Derivatives",
        "",
        "jewelry",
        [
            (
                "Necklaces & Pendants",
                "",
                "necklaces",
                "Pendant Necklaces+pendant,necklace; Chain Necklaces+chain; Chokers+choker; Lockets",
            ),
            ("Earrings", "", "", "Hoop Earrings+hoop,hoops,earring; Stud Earrings+studs; Drop Earrings; Ear Cuffs"),
            ("Rings", "", "rings", "Signet Rings+signet,ring; Engagement Rings; Stacking Rings+band"),
            (
                "Bracelets & Bangles",
                "",
                "",
                "Chain Bracelets+bracelet; Bangles+bangle; Charm Bracelets+charm; Anklets+anklet",
            ),
            ("Watches", "", "watches", "Analog Watches=Analogue Watches+watch; Digital Watches; Watch Straps+strap"),
            (
                "Jewelry Boxes & Care=Jewellery Boxes & Care",
                "",
                "general",
                "Jewelry Boxes=Jewellery Boxes+box; Jewelry Cleaners=Jewellery Cleaners",
            ),
        ],
    ),
    (
        "Shoes",
        "",
        "footwear",
        [
            (
                "Women's Shoes",
                "",
                "",
                "Sneakers=Trainers+sneaker,trainer,runner,court; Heels+heel; Flats+flat; Boots+boot; "
                "Sandals+sandal; Slip-Ons & Loafers+slip-on,loafer",
            ),
            (
                "Men's Shoes",
                "",
                "",
                "Sneakers=Trainers+sneaker,trainer,runner,court; Dress Shoes+oxford,derby; Boots+boot; Sandals & Slides+slide",
            ),
            (
                "Athletic Shoes",
                "",
                "",
                "Running Shoes+running,runner; Trail Shoes+trail; Training Shoes; Basketball Shoes",
            ),
            ("Shoe Care & Accessories", "", "general", "Insoles; Shoe Cleaners; Shoelaces+laces"),
        ],
    ),
    (
        "Luggage & Bags",
        "",
        "bags",
        [
            ("Women's Bags", "", "", "Handbags+handbag,purse; Tote Bags+tote; Crossbody Bags+crossbody; Clutches"),
            ("Men's Bags", "", "", "Messenger Bags; Briefcases; Sling Bags"),
            ("Backpacks", "", "", "Laptop Backpacks+backpack; Travel Backpacks; School Backpacks=School Bags"),
            (
                "Luggage",
                "",
                "luggage",
                "Suitcases+suitcase; Carry-On Luggage=Cabin Luggage+carry-on; Duffel Bags+duffel,holdall",
            ),
            ("Wallets & Card Holders", "", "", "Wallets+wallet; Card Holders+cardholder; Coin Purses"),
        ],
    ),
    (
        "Sports & Outdoor",
        "",
        "sports",
        [
            (
                "Fitness Equipment",
                "",
                "",
                "Dumbbells+dumbbell; Resistance Bands+band; Yoga Mats+yoga,mat; Kettlebells; Jump Ropes=Skipping Ropes",
            ),
            ("Sportswear", "", "apparel", "Athletic Leggings; Sports Jerseys+jersey; Track Jackets; Swimwear+swimsuit"),
            (
                "Camping & Hiking",
                "",
                "outdoor",
                "Tents+tent; Sleeping Bags; Hiking Backpacks; Camping Stoves+stove; Flashlights=Torches+flashlight,torch",
            ),
            ("Cycling", "", "outdoor", "Bike Helmets=Cycle Helmets+helmet; Bike Lights; Bike Locks"),
            ("Water Sports", "", "outdoor", "Paddle Boards+paddleboard; Snorkels; Swim Goggles+goggles"),
            ("Ball Sports", "", "outdoor", "Footballs=Soccer Balls+ball; Basketballs; Tennis Rackets+racket"),
        ],
    ),
    (
        "Automotive & Motorcycle",
        "",
        "automotive",
        [
            (
                "Car Electronics",
                "",
                "electronics",
                "Dash Cams+dashcam; Car Phone Holders+holder; Car Chargers; Jump Starters",
            ),
            (
                "Car Interior Accessories",
                "",
                "",
                "Seat Covers; Floor Mats; Steering Wheel Covers; Car Organizers=Car Organisers",
            ),
            ("Car Care", "", "", "Car Wash & Wax+wax; Microfiber Cloths=Microfibre Cloths; Air Fresheners+freshener"),
            ("Motorcycle Accessories", "", "", "Motorcycle Helmets; Motorcycle Gloves; Motorcycle Covers"),
        ],
    ),
    (
        "Toys & Hobbies",
        "",
        "toys",
        [
            ("Educational Toys", "", "", "STEM Toys+stem; Puzzles+puzzle,jigsaw; Building Blocks+blocks,lego"),
            ("Dolls & Plush", "", "", "Dolls+doll; Plush Toys=Soft Toys+plush,teddy; Action Figures+figure"),
            ("Games", "", "", "Board Games+board-game; Card Games; Party Games"),
            (
                "Arts & Crafts",
                "",
                "",
                "Drawing & Painting Kits+painting; Craft Kits+craft; Modelling Clay=Modeling Clay+clay",
            ),
            ("Outdoor Toys", "", "", "Ride-On Toys; Water Toys; Kites+kite"),
            ("Hobbies", "", "collectibles", "Model Kits; Remote Control Toys+rc,drone; Trading Card Games"),
        ],
    ),
    (
        "Baby & Maternity",
        "",
        "baby",
        [
            ("Baby Feeding", "", "", "Baby Bottles+baby-bottle; Bibs+bib; High Chairs; Breast Pumps"),
            ("Diapering", "", "", "Diapers=Nappies+diaper,nappy; Baby Wipes+wipes; Changing Mats"),
            ("Baby Travel", "", "", "Strollers=Pushchairs+stroller,pushchair,pram; Car Seats; Baby Carriers+carrier"),
            ("Nursery", "", "", "Cribs=Cots+crib,cot; Baby Monitors+monitor; Swaddles+swaddle"),
            ("Maternity", "", "apparel", "Maternity Dresses; Maternity Leggings; Nursing Bras"),
        ],
    ),
    (
        "Kids' Fashion",
        "",
        "kids_apparel",
        [
            (
                "Boys' Clothing",
                "",
                "",
                "Boys' T-shirts; Boys' Pants=Boys' Trousers; Boys' Jackets; Boys' Pajamas=Boys' Pyjamas",
            ),
            ("Girls' Clothing", "", "", "Girls' Dresses; Girls' Tops; Girls' Leggings; Girls' Pajamas=Girls' Pyjamas"),
            ("Baby Clothing", "", "", "Baby Bodysuits=Baby Vests+onesie,babygrow; Baby Sets; Baby Sleepsuits"),
            ("Kids' Shoes", "", "footwear", "Kids' Sneakers=Kids' Trainers; Kids' Boots; Kids' Sandals"),
        ],
    ),
    (
        "Pet Supplies",
        "",
        "pets",
        [
            (
                "Dog Supplies",
                "",
                "",
                "Dog Collars & Leashes=Dog Collars & Leads+collar,leash,lead; Dog Beds+dog-bed; Dog Toys+chew; "
                "Dog Harnesses+harness; Dog Bowls",
            ),
            (
                "Cat Supplies",
                "",
                "",
                "Cat Trees & Scratchers+cat-tree,scratcher,scratching; Cat Litter & Boxes+litter; Cat Toys; Cat Beds",
            ),
            ("Pet Beds & Furniture", "", "", "Pet Beds+bed; Pet Crates & Carriers+crate,carrier; Pet Gates"),
            ("Pet Food & Treats", "", "pet_food", "Dog Food; Cat Food; Pet Treats+treat"),
            (
                "Small Animal, Fish & Bird",
                "",
                "",
                "Aquariums+aquarium,fish-tank; Bird Cages; Small Animal Hutches+hutch",
            ),
            ("Pet Grooming", "", "", "Pet Brushes+grooming; Pet Shampoo; Nail Clippers"),
        ],
    ),
    (
        "Food & Beverages",
        "",
        "food",
        [
            (
                "Snacks",
                "",
                "",
                "Chips & Crisps+chips,crisps; Cookies=Biscuits+cookie,biscuit; Nuts & Seeds+nuts; Jerky",
            ),
            ("Confectionery", "", "", "Chocolate+chocolate; Candy=Sweets+candy,sweets; Gum"),
            (
                "Pantry Staples",
                "",
                "",
                "Coffee Beans & Ground Coffee+coffee-beans; Tea+tea; Sauces & Condiments+sauce; Spices & Seasonings+spice; "
                "Pasta & Noodles+pasta,noodles",
            ),
            (
                "Drinks",
                "",
                "drinks",
                "Soft Drinks+soda; Sparkling Water+seltzer; Juices+juice; Energy Drinks; Bottled Water",
            ),
        ],
    ),
    (
        "Health",
        "",
        "health",
        [
            ("Vitamins & Supplements", "", "", "Multivitamins+vitamin; Protein Powders+protein; Probiotics; Collagen"),
            (
                "Medical Supplies",
                "",
                "medical",
                "Thermometers+thermometer; Blood Pressure Monitors; First Aid Kits+first-aid; Massage Guns+massage",
            ),
            ("Sexual Wellness", "", "", "Condoms; Lubricants"),
            ("Eye & Ear Care", "", "", "Reading Glasses; Contact Lens Solution; Ear Plugs+earplugs"),
        ],
    ),
    (
        "Books, Magazines & Audio",
        "",
        "books",
        [
            (
                "Books",
                "",
                "",
                "Fiction+novel; Non-Fiction; Children's Books; Cookbooks+cookbook; Comics & Graphic Novels+comic,manga",
            ),
            ("Magazines", "", "media", "Lifestyle Magazines+magazine; Hobby Magazines"),
            ("Music & Film", "", "media", "Vinyl Records+record,lp; CDs; DVDs & Blu-rays+dvd,blu-ray"),
        ],
    ),
    (
        "Stationery & Office Supplies",
        "",
        "stationery",
        [
            (
                "Notebooks & Paper",
                "",
                "",
                "Notebooks+notebook,journal; Planners & Diaries+planner,diary; Sticky Notes+post-it; Printer Paper",
            ),
            (
                "Writing Instruments",
                "",
                "",
                "Fountain Pens+fountain,pen; Ballpoint Pens+ballpoint; Pencils+pencil; Markers & Highlighters+marker,highlighter",
            ),
            (
                "Desk Accessories",
                "",
                "",
                "Desk Organizers=Desk Organisers+organizer,organiser; Staplers+stapler; Pen Holders",
            ),
            ("Art Supplies", "", "", "Sketchbooks+sketchbook; Paint Sets+paints; Brushes"),
            (
                "Stickers & Craft Paper",
                "",
                "",
                "Sticker Packs+sticker,stickers; Washi Tape+washi; Scrapbooking+scrapbook",
            ),
        ],
    ),
    (
        "Collectibles",
        "",
        "collectibles",
        [
            ("Trading Cards", "", "", "Sports Trading Cards+card; Game Trading Cards"),
            ("Memorabilia", "", "", "Sports Memorabilia+signed; Film & TV Memorabilia"),
            ("Coins & Stamps", "", "", "Coins+coin; Stamps+stamp"),
        ],
    ),
    (
        "Pre-Owned",
        "",
        "general",
        [
            ("Pre-Owned Fashion", "", "apparel", "Pre-Owned Handbags; Pre-Owned Clothing; Pre-Owned Shoes"),
            ("Pre-Owned Electronics", "", "electronics", "Refurbished Phones+refurbished; Refurbished Laptops"),
            ("Pre-Owned Luxury", "", "jewelry", "Pre-Owned Watches; Pre-Owned Jewelry=Pre-Owned Jewellery"),
        ],
    ),
]

STOP_WORDS = {"and", "the", "for", "with", "other", "men", "women", "boys", "girls", "kids", "baby"}


@dataclass(frozen=True)
class Row:
    """One category to create: its id, parent, names in the US (v2) and UK/EU (v1) trees, leaf flag,
    profile name (leaves) and keywords."""

    id: str
    parent_id: str
    name: str
    uk_name: str
    is_leaf: bool
    profile: str = ""
    keywords: tuple[str, ...] = ()


def _names(text: str) -> tuple[str, str]:
    us, _, uk = text.partition("=")
    return us.strip(), (uk or us).strip()


def _keywords(names: tuple[str, str], extra: str) -> tuple[str, ...]:
    words = [w for name in names for w in re.findall(r"[a-z]+(?:-[a-z]+)?", name.lower())]
    words += [w.strip() for w in extra.split(",") if w.strip()]
    return tuple(dict.fromkeys(w for w in words if len(w) > 2 and w not in STOP_WORDS))


def expand(tree: list[Node] = TREE) -> list[Row]:
    """The rows of the tables, parents before children. Existing nodes (an id given) are not repeated."""
    rows: list[Row] = []
    for top_index, (top_text, top_id, top_profile, subs) in enumerate(tree, start=1):
        top_us, top_uk = _names(top_text)
        top = top_id or f"7{top_index:02d}000"
        if not top_id:
            rows.append(Row(top, "0", top_us, top_uk, False))
        assert isinstance(subs, list)
        for sub_index, (sub_text, sub_id, sub_profile, leaves) in enumerate(subs, start=1):
            sub_us, sub_uk = _names(sub_text)
            sub = sub_id or f"7{top_index:02d}{sub_index}00"
            if not sub_id:
                rows.append(Row(sub, top, sub_us, sub_uk, False))
            assert isinstance(leaves, str)
            for leaf_index, spec in enumerate((s for s in leaves.split(";") if s.strip()), start=1):
                names_text, _, extra = spec.partition("+")
                names = _names(names_text)
                rows.append(
                    Row(
                        f"7{top_index:02d}{sub_index}{leaf_index:02d}",
                        sub,
                        names[0],
                        names[1],
                        True,
                        sub_profile or top_profile,
                        _keywords(names, extra),
                    )
                )
    return rows

"""Word lists the generator composes product and review text from.

Faker has no believable product names, so each category brings its own
adjectives, nouns, variants and selling points; a product name is
"Brand Adjective Noun, Variant" and its description three sentences built
from the same category. No string here contains a double quote, so the CSV
writer can quote fields without escaping.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    name: str
    slug: str
    median_price: float  # in euros; product prices scatter around it
    adjectives: tuple[str, ...]
    nouns: tuple[str, ...]
    variants: tuple[str, ...]
    features: tuple[str, ...]


def _c(name, price, adjectives, nouns, variants, features) -> Category:
    slug = name.lower().replace(" & ", "-").replace(" ", "-")
    return Category(name, slug, price, tuple(adjectives.split(", ")), tuple(nouns.split(", ")),
                    tuple(variants.split(", ")), tuple(features))


CATEGORIES = (
    _c("Books", 14, "Illustrated, Pocket, Hardcover, Annotated, Collected, Complete, Practical, Little",
       "Guide to Sourdough, Atlas of Birds, Field Notes, Cookbook, Book of Knots, History of Tea, "
       "Poetry Anthology, Garden Almanac, Travel Journal, Handbook of Chess, Puzzle Book, Novel",
       "Paperback, Hardback, Second Edition, Large Print, Box Set, Signed Copy",
       ["Printed on acid-free paper that will not yellow.", "A favourite of book clubs for years.",
        "Clear chapters make it easy to dip in and out.", "Includes an index and a reading list.",
        "Written by an author who lived what she describes.", "Bound to lie flat when open."]),
    _c("Kitchen", 35, "Cast Iron, Stainless, Nonstick, Enamelled, Copper, Bamboo, Ceramic, Professional",
       "Skillet, Saucepan, Chef Knife, Cutting Board, Dutch Oven, Whisk, Colander, Kettle, "
       "Mixing Bowl, Grater, Teapot, Baking Tray, Rolling Pin, Spatula",
       "Red, Black, Cream, Sage, Large, Small, Set of 2",
       ["Safe for every hob, induction included.", "Goes from stove to oven to table.",
        "Dishwasher safe, though it lasts longer washed by hand.", "Balanced to feel right in the hand.",
        "Heats evenly with no hot spots.", "Backed by a ten year guarantee."]),
    _c("Garden", 28, "Galvanised, Heavy Duty, Folding, Telescopic, Organic, Weatherproof, Classic, Compact",
       "Watering Can, Pruning Shears, Trowel, Hose Reel, Planter, Seed Tray, Wheelbarrow, Rake, "
       "Bird Feeder, Compost Bin, Garden Kneeler, Spade",
       "Green, Terracotta, Black, Large, Small, Pack of 2",
       ["Made to stay outside all year.", "Rust resistant and easy to clean.",
        "Light enough to carry across the whole garden.", "Ergonomic grips spare your wrists.",
        "Loved by allotment growers.", "Packs flat for winter storage."]),
    _c("Toys", 22, "Wooden, Magnetic, Musical, Glow in the Dark, Stackable, Soft, Classic, Remote Control",
       "Building Blocks, Train Set, Puzzle, Kite, Doll House, Rocking Horse, Marble Run, Teddy Bear, "
       "Spinning Top, Race Car, Xylophone, Play Kitchen",
       "Ages 3+, Ages 6+, Rainbow, Blue, Red, Travel Size",
       ["Finished with child safe, water based paint.", "Encourages hours of open ended play.",
        "No batteries needed.", "Comes in a cotton bag for tidy storage.",
        "Tested to European toy safety standards.", "A gift that grandparents love to give."]),
    _c("Electronics", 89,
       "Wireless, Portable, Smart, Noise Cancelling, Rechargeable, Compact, Waterproof, Ultra",
       "Headphones, Speaker, Power Bank, Desk Lamp, Keyboard, Mouse, Webcam, Charger, "
       "Fitness Tracker, Radio, E-Reader, Action Camera",
       "Black, White, Silver, Gen 2, Mini, Pro",
       ["Charges fully in under two hours.", "Pairs in seconds and remembers your devices.",
        "Battery lasts a full working week.", "Firmware updates add features over time.",
        "Two year warranty included.", "Small enough for a jacket pocket."]),
    _c("Sports", 40, "Lightweight, Adjustable, Breathable, Professional, Training, Foldable, Grippy, Durable",
       "Yoga Mat, Dumbbell Set, Skipping Rope, Football, Tennis Racket, Cycling Gloves, "
       "Water Bottle, Resistance Bands, Climbing Chalk Bag, Running Belt, Foam Roller, Swim Goggles",
       "Small, Medium, Large, Navy, Black, Red",
       ["Used by club athletes and weekend players alike.", "Sweat resistant and quick to dry.",
        "Folds small for the gym bag.", "Grippy surface keeps you steady.",
        "Built to survive a hard season.", "Comes with a simple training guide."]),
    _c("Clothing", 30, "Merino, Organic Cotton, Linen, Waterproof, Quilted, Slim Fit, Relaxed, Recycled",
       "T-Shirt, Jumper, Rain Jacket, Socks, Scarf, Chinos, Hoodie, Beanie, Shirt, Gloves, Dress, Cardigan",
       "XS, S, M, L, XL, Navy, Charcoal, Olive, Mustard, Pack of 3",
       ["Soft against the skin, even after many washes.", "Cut to layer easily.",
        "Made in a fair trade certified factory.", "Machine washable at 30 degrees.",
        "Keeps its shape wash after wash.", "Thoughtful details like a hidden pocket."]),
    _c("Beauty", 18, "Nourishing, Vegan, Unscented, Hydrating, Gentle, Natural, Soothing, Revitalising",
       "Face Cream, Shampoo, Lip Balm, Hand Soap, Body Lotion, Sun Cream, Face Mask, Conditioner, "
       "Beard Oil, Bath Salts, Hair Brush, Serum",
       "Travel Size, Refill, Lavender, Citrus, Rose, Unscented",
       ["Dermatologically tested for sensitive skin.", "Free from parabens and microplastics.",
        "A little goes a long way.", "Absorbs quickly without a greasy feel.",
        "Packaged in recycled glass.", "Never tested on animals."]),
    _c("Home", 45, "Scandinavian, Handwoven, Linen, Velvet, Rustic, Minimalist, Cosy, Vintage",
       "Throw Blanket, Cushion, Table Lamp, Wall Clock, Picture Frame, Rug, Vase, Candle, Mirror, "
       "Bookshelf, Storage Basket, Curtains",
       "Small, Medium, Large, Grey, Ochre, Natural, Set of 2",
       ["Adds warmth to any room.", "Easy to assemble in ten minutes.",
        "Designed in a small studio in Lisbon.", "Pairs well with natural wood.",
        "Colours stay true in bright sunlight.", "Made from sustainably sourced materials."]),
    _c("Music", 60, "Acoustic, Electric, Vintage, Student, Handmade, Concert, Travel, Beginner",
       "Guitar, Ukulele, Harmonica, Keyboard, Drum Pad, Violin, Guitar Strings, Metronome, "
       "Music Stand, Cajon, Recorder, Capo",
       "Natural, Sunburst, Black, Red, Travel Edition",
       ["Stays in tune through a whole gig.", "A rich, warm tone for its price.",
        "Set up by a luthier before dispatch.", "Perfect for first lessons.",
        "Comes with a padded gig bag.", "Chosen by music teachers across the country."]),
    _c("Office", 16, "Recycled, Refillable, Ergonomic, Dotted, Magnetic, Classic, Heavy Duty, Minimal",
       "Notebook, Fountain Pen, Desk Organiser, Stapler, Planner, Pencil Set, Monitor Stand, "
       "Document Wallet, Sticky Notes, Desk Pad, Paper Tray, Highlighters",
       "Black, Blue, Green, Grey, Pack of 3",
       ["Smooth paper that fountain pens love.", "Keeps a busy desk in order.",
        "Built for daily use in a busy office.", "Lies flat on the desk.",
        "A small luxury for everyday work.", "Made without plastic packaging."]),
    _c("Pets", 20, "Chew Proof, Orthopedic, Washable, Grain Free, Reflective, Cosy, Interactive, Natural",
       "Dog Bed, Cat Tree, Dog Lead, Pet Bowl, Cat Toy, Dog Treats, Scratching Post, Pet Carrier, "
       "Grooming Brush, Bird Cage, Fish Food, Dog Coat",
       "Small, Medium, Large, Grey, Red, Blue",
       ["Approved by fussy cats and eager dogs.", "Vet recommended materials.",
        "Easy to wipe clean after muddy walks.", "Sturdy enough for enthusiastic chewers.",
        "Keeps pets busy for hours.", "Made with natural ingredients."]),
    _c("Tools", 38, "Cordless, Precision, Heavy Duty, Magnetic, Insulated, Compact, Professional, Adjustable",
       "Drill, Screwdriver Set, Hammer, Spirit Level, Tape Measure, Socket Set, Utility Knife, "
       "Workbench, Pliers, Stud Finder, Sander, Tool Box",
       "Yellow, Black, Compact, Pro, Kit",
       ["Hardened steel that keeps its edge.", "Fits comfortably in the hand.",
        "A tool for life, not for the bin.", "Trusted by tradespeople.",
        "Comes in a sturdy carry case.", "Spare parts available for years."]),
    _c("Grocery", 8, "Organic, Fair Trade, Artisan, Single Origin, Cold Pressed, Stone Ground, Smoked, Raw",
       "Coffee Beans, Olive Oil, Honey, Green Tea, Dark Chocolate, Pasta, Sea Salt, Granola, "
       "Peanut Butter, Maple Syrup, Rice, Spice Mix",
       "Pack of 2, Pack of 6, Gift Box, Family Size",
       ["Sourced directly from small farms.", "Roasted in small batches every week.",
        "Nothing added, nothing taken away.", "A pantry staple for good cooks.",
        "Packed in recyclable materials.", "Tastes like it came from a market stall."]),
    _c("Outdoors", 55, "Ultralight, Waterproof, Insulated, Packable, Four Season, Windproof, Rugged, Solar",
       "Tent, Sleeping Bag, Head Torch, Backpack, Camping Stove, Hiking Poles, Hammock, Compass, "
       "Water Filter, Camp Chair, Dry Bag, Cool Box",
       "Orange, Green, Grey, Blue, Black",
       ["Tested on long walks in wet weather.", "Packs down to the size of a loaf.",
        "Sets up in minutes, even in the dark.", "Light enough to forget it is there.",
        "Reinforced where it matters.", "A trusty companion for wild camping."]),
    _c("Baby", 25, "Organic, Soft, Gentle, Washable, Foldable, Sensory, Cosy, Natural",
       "Baby Blanket, Bib Set, Teether, Sleep Suit, Changing Mat, Baby Carrier, Stacking Cups, "
       "Night Light, Bath Toy, Muslin Cloths, Rattle, Play Mat",
       "Oat, Sage, Blush, Grey, Pack of 2",
       ["Soft enough for the most delicate skin.", "Free from BPA and phthalates.",
        "Washes beautifully at 40 degrees.", "Chosen by midwives and new parents.",
        "Designed to grow with your baby.", "A thoughtful gift for a baby shower."]),
    _c("Automotive", 32, "Universal, Heavy Duty, Waterproof, Magnetic, Portable, Quick Release, LED, Premium",
       "Car Phone Holder, Dash Cam, Jump Starter, Seat Covers, Tyre Inflator, Floor Mats, "
       "Ice Scraper, Car Vacuum, Roof Box, Tow Rope, Wiper Blades, First Aid Kit",
       "Black, Grey, Large, Compact, Set of 2",
       ["Fits nearly every car on the road.", "Installs in minutes without tools.",
        "Keeps working through a hard winter.", "Recommended by driving instructors.",
        "Stows neatly in the boot.", "A sensible thing to carry on long trips."]),
    _c("Games", 30, "Cooperative, Strategy, Family, Party, Classic, Deluxe, Pocket, Legacy",
       "Board Game, Card Game, Chess Set, Jigsaw, Dice Set, Trivia Game, Backgammon, Word Game, "
       "Escape Room Game, Poker Set, Dominoes, Tile Game",
       "2 Players, 2-4 Players, 2-6 Players, Travel Edition, Deluxe Box",
       ["Easy to learn and hard to master.", "A game night favourite.",
        "Games last about forty five minutes.", "Beautifully illustrated components.",
        "Plays well with two or with a crowd.", "Comes with clear, friendly rules."]),
    _c("Jewellery", 48,
       "Sterling Silver, Gold Plated, Handmade, Minimal, Vintage, Engraved, Beaded, Delicate",
       "Necklace, Ring, Earrings, Bracelet, Pendant, Cufflinks, Anklet, Brooch, Charm, "
       "Watch, Hair Clip, Locket",
       "Silver, Gold, Rose Gold, Gift Boxed",
       ["Hypoallergenic and nickel free.", "Made by hand in a small workshop.",
        "Arrives in a gift box ready to give.", "Light enough to wear every day.",
        "Polishes back to its shine in seconds.", "Each piece is slightly unique."]),
    _c("Art Supplies", 19,
       "Artist Grade, Student, Watercolour, Acrylic, Archival, Blendable, Travel, Professional",
       "Paint Set, Sketchbook, Brush Set, Easel, Canvas, Coloured Pencils, Ink Pens, Palette, "
       "Charcoal Set, Pastels, Clay, Markers",
       "Starter Set, Studio Edition, Travel Size, Large, Small",
       ["Rich pigments that blend smoothly.", "Lightfast colours for work that lasts.",
        "Loved by illustrators and beginners alike.", "Comes in a sturdy tin.",
        "Heavy paper that takes wet media well.", "Everything you need to start today."]),
)

# Closing sentences any product description may end with.
CLOSINGS = (
    "Ships within two working days.", "Sold by independent sellers on Souk.",
    "Returns accepted within thirty days.", "A popular choice this season.",
    "Gift wrapping available on request.", "Stock is limited, so order soon.",
    "Compare offers from several sellers.", "Customers often buy it again.",
)

# Review titles and sentences by star rating (index 0 is one star).
REVIEW_TITLES = (
    ("Very disappointed", "Not as described", "Broke quickly", "Would not buy again"),
    ("Below expectations", "Just about works", "Not great value", "Mixed feelings"),
    ("It is fine", "Does the job", "Average", "Okay for the price"),
    ("Very good", "Happy with it", "Good value", "Solid purchase", "Recommended"),
    ("Excellent", "Love it", "Perfect", "Better than expected", "Five stars", "Brilliant"),
)
REVIEW_SENTENCES = (
    ("It stopped working after a week.", "The quality is much worse than the photos suggest.",
     "I had to send it back.", "Arrived damaged and the seller was slow to answer.",
     "Save your money."),
    ("It works, but only just.", "The finish is rough in places.", "Smaller than I expected.",
     "Delivery took longer than promised.", "I expected more for the price."),
    ("It does what it says.", "Nothing special, nothing wrong.", "Fair for the money.",
     "Delivery was on time.", "Some details could be better."),
    ("Well made and good value.", "Arrived quickly and well packed.", "Does everything I need.",
     "I would buy from this seller again.", "A small flaw, but I am happy overall."),
    ("Exactly what I wanted.", "Superb quality, you can feel it.", "Arrived the next day, well packed.",
     "I have already ordered a second one.", "The seller was friendly and helpful.",
     "Worth every cent."),
)
SELLER_TITLES = (
    ("Avoid this seller", "Poor service", "Never again"),
    ("Slow delivery", "Could be better", "Poor packaging"),
    ("Okay seller", "Average service", "Fine"),
    ("Good seller", "Reliable", "Quick delivery"),
    ("Excellent seller", "Top service", "Highly recommended", "Fast and friendly"),
)
SELLER_SENTENCES = (
    ("The parcel never arrived and nobody answered.", "Items were not as listed.",
     "The refund took weeks."),
    ("Shipping took much longer than promised.", "Packaging was careless.",
     "Messages were answered slowly."),
    ("The order arrived as described.", "Nothing to complain about, nothing to praise.",
     "Shipping was on time."),
    ("Quick dispatch and careful packing.", "Answered my question the same day.",
     "Would order again."),
    ("Shipped the same day with a handwritten note.", "Great communication throughout.",
     "Everything arrived perfectly packed.", "One of the best sellers on Souk."),
)

# Easy demo accounts: user ids 1.. get these names and name@example.com.
DEMO_PEOPLE = (
    ("Alice", "Archer"), ("Bob", "Baker"), ("Carol", "Cooper"), ("Dave", "Dalton"),
    ("Erin", "Ellis"), ("Frank", "Fisher"), ("Grace", "Garner"), ("Heidi", "Hughes"),
)

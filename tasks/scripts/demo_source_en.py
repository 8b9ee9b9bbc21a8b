"""English texts of the demo tasks (written for mtebkit; not taken from any dataset).

GROUPS: (query, relevant passages, related-but-unhelpful passages) for DemoRetrievalEn.
RERANK: (group index, query, positive passages) for DemoRerankingEn; its negatives are the
        group's unhelpful passages plus passages of other groups (see build_demo.py).
STS:    (sentence1, sentence2, similarity 0-5) for DemoSTSEn.
"""

GROUPS = [
    (
        "how long should I rest a steak after grilling",
        [
            "Let a grilled steak rest for about five to ten minutes before slicing so the juices settle back into the meat instead of running onto the board."
        ],
        [
            "Marinating a flank steak overnight in soy sauce, garlic and lime makes the fibres more tender.",
            "A cast iron pan should be preheated until it barely smokes before the steak goes in.",
        ],
    ),
    (
        "why do my tomato plants have yellow leaves at the bottom",
        [
            "Lower tomato leaves that turn yellow usually signal a nitrogen shortage or early blight; remove them and feed the plant with a balanced fertiliser."
        ],
        [
            "Tomatoes need at least six hours of direct sun a day to set a good crop of fruit.",
            "Cherry tomato varieties ripen earlier than beefsteak types and suit short summers.",
            "Pinching out side shoots keeps cordon tomatoes growing on a single strong stem.",
        ],
    ),
    (
        "what causes a bicycle chain to skip gears",
        [
            "A chain that jumps between sprockets is often stretched or paired with a worn cassette, and a misadjusted derailleur cable can cause the same skipping."
        ],
        [
            "Clean the chain with degreaser and a brush, then apply a drop of lube to every roller.",
            "Tubeless tyres can be run at lower pressure without the risk of pinch flats.",
        ],
    ),
    (
        "when is the best time to see the Perseid meteor shower",
        [
            "The Perseids peak around the twelfth of August, and the best views come after midnight from a dark site far from city lights."
        ],
        [
            "A meteor is the streak of light made when a small rock burns up in the atmosphere.",
            "Jupiter's four largest moons can be spotted with ordinary binoculars on a clear night.",
            "A new moon gives the darkest skies for photographing the Milky Way.",
        ],
    ),
    (
        "difference between a Roth IRA and a traditional IRA",
        [
            "A traditional IRA gives a tax deduction now and taxes withdrawals in retirement, while a Roth IRA is funded with taxed money and qualified withdrawals are tax free."
        ],
        [
            "An emergency fund should cover three to six months of essential living costs.",
            "Index funds track a market benchmark and usually charge lower fees than active funds.",
        ],
    ),
    (
        "symptoms of dehydration in older adults",
        [
            "In older people dehydration can show up as confusion, dizziness, dark urine, a dry mouth and unusual tiredness, often before they feel thirsty."
        ],
        [
            "Adults are generally advised to do at least 150 minutes of moderate exercise every week.",
            "Vitamin D helps the body absorb calcium and keep bones strong.",
        ],
    ),
    (
        "do I need a visa to visit Japan as a tourist",
        [
            "Citizens of many countries, including the United States and most of Europe, can visit Japan visa free for up to ninety days as short-term tourists."
        ],
        [
            "The Japan Rail Pass offers unlimited travel on most JR trains for a fixed number of days.",
            "Cherry blossom season in Tokyo usually begins in late March.",
            "Many Japanese restaurants display plastic models of their dishes in the window.",
        ],
    ),
    (
        "how to undo the last git commit but keep the changes",
        [
            "Run git reset --soft HEAD~1 to remove the last commit while keeping its changes staged in the working tree."
        ],
        [
            "git stash saves uncommitted work so you can switch branches with a clean tree.",
            "A merge conflict happens when two branches change the same lines of a file.",
        ],
    ),
    (
        "why did the Roman Empire split into east and west",
        [
            "The empire was divided to make it governable: Diocletian shared power among co-emperors, and after 395 the eastern and western halves had separate rulers and courts."
        ],
        [
            "Roman aqueducts carried water across long distances using a gentle, constant slope.",
            "Latin remained the language of the Western church for more than a thousand years.",
        ],
    ),
    (
        "how often should I feed an adult cat",
        [
            "Most adult cats do well on two measured meals a day, about twelve hours apart, adjusted to keep them at a healthy weight."
        ],
        [
            "Kittens need a food formulated for growth until they are about one year old.",
            "Cats scratch furniture to sharpen their claws and mark territory with scent glands.",
            "A litter box should be scooped daily and fully changed every week or two.",
        ],
    ),
    (
        "what is the difference between a violin and a viola",
        [
            "A viola is slightly larger than a violin, is tuned a fifth lower with a C string instead of an E string, and reads music mostly in the alto clef."
        ],
        [
            "Rosin helps the bow hair grip the strings and produce a clear tone.",
            "A string quartet is made up of two violins, a viola and a cello.",
        ],
    ),
    (
        "what does a high UV index mean",
        [
            "A UV index of eight or more means unprotected skin can burn in under twenty minutes, so shade, a hat and sunscreen are recommended around midday."
        ],
        [
            "Humidity is the amount of water vapour in the air relative to what it can hold.",
            "Thunderstorms form when warm moist air rises quickly into colder layers.",
        ],
    ),
    (
        "how to fix a dripping kitchen tap",
        [
            "A dripping tap usually needs a new washer or cartridge: turn off the water under the sink, remove the handle, replace the worn part and reassemble."
        ],
        [
            "Low water pressure throughout the house can come from a partly closed main valve.",
            "Silicone sealant around a sink should be replaced when it turns black or peels.",
            "A blocked drain can often be cleared with a plunger before calling a plumber.",
        ],
    ),
    (
        "how is the offside rule applied in football",
        [
            "A player is offside if, when the ball is played to them, they are in the opponents' half and nearer the goal line than both the ball and the second-last defender."
        ],
        [
            "A football match has two halves of forty-five minutes plus added time.",
            "Yellow cards are shown for reckless challenges and unsporting behaviour.",
        ],
    ),
    (
        "can a landlord keep my security deposit for normal wear and tear",
        [
            "In most places a landlord may deduct from the deposit for damage beyond normal wear and tear, but not for ordinary ageing such as faded paint or worn carpet."
        ],
        [
            "A lease usually states how much notice a tenant must give before moving out.",
            "Renters insurance covers personal belongings against theft and fire.",
        ],
    ),
    (
        "how are volcanic islands like Hawaii formed",
        [
            "Hawaii formed as the Pacific plate drifted over a fixed hotspot in the mantle, with magma punching through the crust to build a chain of volcanoes."
        ],
        [
            "Earthquakes are measured on the moment magnitude scale.",
            "Limestone caves are carved by slightly acidic rainwater dissolving the rock.",
            "Glaciers shaped many valleys into a broad U shape during the ice ages.",
        ],
    ),
    (
        "what shutter speed should I use to avoid blurry handheld photos",
        [
            "As a rule of thumb, keep the shutter speed at least as fast as one over the focal length, so 1/50 s or faster with a 50 mm lens, unless stabilisation helps."
        ],
        [
            "A wide aperture such as f/1.8 blurs the background and isolates the subject.",
            "Shooting in RAW keeps more detail for editing highlights and shadows.",
        ],
    ),
    (
        "how does a heat pump heat a house in winter",
        [
            "A heat pump moves heat rather than making it: refrigerant absorbs warmth from the outside air, is compressed to raise its temperature, and releases that heat indoors."
        ],
        [
            "Loft insulation is one of the cheapest ways to cut heat loss from a home.",
            "Solar panels generate electricity even on cloudy days, though less of it.",
        ],
    ),
    (
        "what is the capital of Australia",
        [
            "Canberra is the capital of Australia; it was purpose-built as a compromise between the rival cities of Sydney and Melbourne."
        ],
        [
            "Sydney is Australia's largest city and home to the famous opera house.",
            "The Great Barrier Reef stretches for more than two thousand kilometres off Queensland.",
        ],
    ),
    (
        "how much sleep do teenagers need",
        [
            "Teenagers need roughly eight to ten hours of sleep a night, yet many get far less because their body clocks shift later during puberty."
        ],
        [
            "Screen light in the evening can delay the release of melatonin.",
            "A short afternoon nap of twenty minutes can improve alertness in adults.",
            "Caffeine stays in the body for several hours after a cup of coffee.",
        ],
    ),
    (
        "how to remove a red wine stain from a carpet",
        [
            "Blot red wine immediately with a clean cloth, then dab with a mix of cold water, dish soap and a little white vinegar; never rub, as that spreads the stain."
        ],
        [
            "Wool carpets are naturally stain resistant and flame retardant.",
            "Vacuuming twice a week stops grit from wearing down carpet fibres.",
        ],
    ),
    (
        "what programming language is used for iOS apps",
        [
            "Most new iOS apps are written in Swift, Apple's modern language, while older codebases still contain Objective-C."
        ],
        [
            "Android apps are commonly written in Kotlin or Java.",
            "A REST API exchanges data between a client and a server over HTTP.",
        ],
    ),
    (
        "why is the sky blue",
        [
            "Sunlight is scattered by gas molecules in the air, and shorter blue wavelengths scatter far more than red ones, so blue light reaches our eyes from every direction."
        ],
        [
            "Rainbows appear when sunlight is refracted and reflected inside raindrops.",
            "The sun is a medium-sized star about 150 million kilometres from Earth.",
        ],
    ),
    (
        "how to start a sourdough starter from scratch",
        [
            "Mix equal weights of flour and water in a jar, then discard half and feed it fresh flour and water every day for about a week until it bubbles and doubles reliably."
        ],
        [
            "Bread flour has more protein than plain flour and gives a chewier crumb.",
            "Proofing dough in the fridge overnight develops a deeper flavour.",
            "A Dutch oven traps steam and helps bread form a crisp crust.",
        ],
    ),
    (
        "what is the speed limit on motorways in the UK",
        [
            "The national speed limit on UK motorways is seventy miles per hour for cars and motorcycles unless signs show a lower limit."
        ],
        [
            "Drivers in the UK keep to the left side of the road.",
            "An MOT test checks that a car over three years old meets safety standards.",
        ],
    ),
    (
        "how long does it take to recover from a sprained ankle",
        [
            "A mild ankle sprain usually heals in one to three weeks, while a severe one with torn ligaments can take several months of rehabilitation."
        ],
        [
            "Shin splints cause pain along the inner edge of the shinbone in runners.",
            "Stretching after a workout may help with flexibility but does not prevent soreness.",
        ],
    ),
    (
        "which planets in our solar system have rings",
        [
            "All four giant planets have rings: Saturn's are bright and famous, while Jupiter, Uranus and Neptune have faint, dark ring systems."
        ],
        [
            "Mars has two small moons called Phobos and Deimos.",
            "Venus is the hottest planet because of its thick carbon dioxide atmosphere.",
            "Pluto was reclassified as a dwarf planet in 2006.",
        ],
    ),
    (
        "how to write a cover letter for a job application",
        [
            "A strong cover letter is short, addressed to a named person, links two or three of your achievements to the job's requirements and ends with a clear request for an interview."
        ],
        [
            "Many companies use software to screen CVs for keywords.",
            "A probation period lets employer and employee test whether the job is a good fit.",
        ],
    ),
    (
        "what is the boiling point of water at high altitude",
        [
            "Water boils at a lower temperature at altitude because air pressure is lower; at about 3,000 metres it boils near 90 degrees Celsius, so food takes longer to cook."
        ],
        [
            "Adding salt to pasta water mainly seasons the pasta and barely changes the boiling point.",
            "Pressure cookers raise the boiling point to cook food faster.",
        ],
    ),
    (
        "how do vaccines train the immune system",
        [
            "A vaccine shows the immune system a harmless piece or weakened form of a germ, so it makes antibodies and memory cells that respond quickly to a real infection later."
        ],
        [
            "Antibiotics kill bacteria but have no effect on viruses.",
            "Washing hands with soap for twenty seconds removes many germs.",
            "Fever is one way the body slows the growth of pathogens.",
        ],
    ),
    (
        "what year did the Berlin Wall fall",
        [
            "The Berlin Wall fell on the ninth of November 1989, when East German authorities opened the border crossings and crowds began tearing down the concrete."
        ],
        [
            "Germany was formally reunified on the third of October 1990.",
            "The Brandenburg Gate is one of Berlin's best-known landmarks.",
        ],
    ),
    (
        "how to keep cut flowers fresh longer",
        [
            "Trim flower stems at an angle, remove leaves below the water line, change the water every two days and keep the vase away from direct sun and ripening fruit."
        ],
        [
            "Tulips keep growing in the vase and bend towards the light.",
            "Roses are traditionally given on Valentine's Day in many countries.",
        ],
    ),
    (
        "what is inflation and why does it happen",
        [
            "Inflation is a general rise in prices over time; it happens when demand outpaces supply, when production costs rise, or when too much money chases too few goods."
        ],
        [
            "A central bank sets the base interest rate for the economy.",
            "Gross domestic product measures the value of goods and services a country produces.",
        ],
    ),
    (
        "how to get rid of aphids on roses naturally",
        [
            "Knock aphids off roses with a strong jet of water, spray a mild soap solution, and attract ladybirds and lacewings, which feed on them."
        ],
        [
            "Climbing roses should be tied in horizontally to encourage more flowers.",
            "Black spot is a fungal disease that causes dark patches on rose leaves.",
            "Deadheading roses encourages a second flush of blooms.",
        ],
    ),
    (
        "how many players are on a basketball team on court",
        [
            "Each basketball team has five players on the court at a time, usually two guards, two forwards and a centre."
        ],
        [
            "A three-point shot is taken from behind the arc.",
            "The NBA season runs from October to April, followed by the playoffs.",
        ],
    ),
    (
        "why does my laptop battery drain so fast",
        [
            "Fast battery drain is usually caused by a bright screen, background apps using the processor, or an ageing battery that has lost much of its original capacity."
        ],
        [
            "Solid-state drives are faster and quieter than spinning hard disks.",
            "A laptop cooling pad can lower temperatures during long gaming sessions.",
        ],
    ),
    (
        "what do pandas eat in the wild",
        [
            "Wild giant pandas eat almost nothing but bamboo, spending up to fourteen hours a day chewing shoots, stems and leaves, with the odd small animal."
        ],
        [
            "Giant pandas live in mountain forests in central China.",
            "Red pandas are more closely related to raccoons than to giant pandas.",
        ],
    ),
    (
        "how to calculate compound interest",
        [
            "Compound interest follows A = P(1 + r/n)^(nt): the principal P grows at rate r, compounded n times a year, for t years, so interest is earned on earlier interest."
        ],
        [
            "Simple interest is paid only on the original amount borrowed or saved.",
            "A credit score summarises how reliably someone repays debt.",
        ],
    ),
    (
        "is it safe to eat raw cookie dough",
        [
            "Raw cookie dough is not considered safe because uncooked flour can carry E. coli and raw eggs can carry salmonella; heat-treated flour and egg-free recipes avoid this."
        ],
        [
            "Brown sugar makes cookies chewier because it holds more moisture.",
            "Chilling cookie dough before baking keeps the cookies from spreading too thin.",
        ],
    ),
    (
        "what is the tallest mountain in Africa",
        [
            "Kilimanjaro in Tanzania is Africa's highest mountain, rising to 5,895 metres, and is a dormant volcano with three volcanic cones."
        ],
        [
            "The Sahara is the largest hot desert in the world.",
            "Lake Victoria is shared by Uganda, Kenya and Tanzania.",
            "Mount Kenya is the second-highest peak on the African continent.",
        ],
    ),
]

RERANK = [
    (
        0,
        "should meat rest before cutting",
        [
            "Cutting meat right off the heat lets the juices pour out; a short rest keeps each slice moist.",
            "Cover the rested roast loosely with foil so it stays warm without steaming the crust.",
        ],
    ),
    (
        1,
        "best fertiliser for tomatoes",
        [
            "Tomatoes like a feed high in potassium once flowers appear, which helps fruit develop and ripen."
        ],
    ),
    (
        2,
        "how do I know if my bike chain is worn",
        [
            "A chain checker tool shows wear: once the chain has stretched about half a percent it is time to replace it.",
            "Lifting the chain off the front of the big chainring easily is another sign it has worn out.",
        ],
    ),
    (
        3,
        "tips for watching a meteor shower",
        [
            "Let your eyes adapt to the dark for twenty minutes and lie back so you can take in as much sky as possible.",
            "Bring a reclining chair and warm clothes, since meteor watching means hours of sitting still at night.",
        ],
    ),
    (
        4,
        "are Roth IRA withdrawals taxed",
        [
            "Qualified withdrawals from a Roth IRA after age fifty-nine and a half, from an account at least five years old, are not taxed."
        ],
    ),
    (
        5,
        "how much water should an elderly person drink",
        [
            "Older adults are often advised to aim for around six to eight glasses of fluid a day unless a doctor says otherwise.",
            "Soups, fruit and tea all count towards daily fluid intake for older people.",
        ],
    ),
    (
        6,
        "what to pack for a trip to Japan",
        [
            "Slip-on shoes are handy in Japan because you often take them off at temples, homes and some restaurants.",
            "Carry some cash, as smaller shops and shrines in Japan may not accept cards.",
        ],
    ),
    (
        7,
        "how to change the last git commit message",
        [
            "Use git commit --amend to edit the message of the most recent commit before it is pushed."
        ],
    ),
    (
        9,
        "why is my cat always hungry",
        [
            "Constant hunger in a cat can come from boredom or be a sign of hyperthyroidism or diabetes, so a vet check is wise.",
            "Feeding puzzles slow down eating and keep an indoor cat busy between meals.",
        ],
    ),
    (
        10,
        "is the viola harder to learn than the violin",
        [
            "The viola's larger size and heavier strings demand more arm weight, but beginners find it about as hard as the violin."
        ],
    ),
    (
        12,
        "why does my tap make a banging noise",
        [
            "A loud bang when a tap is turned off is water hammer, caused by fast-moving water stopping suddenly in the pipes.",
            "Fitting a water hammer arrestor or securing loose pipes usually stops the banging.",
        ],
    ),
    (
        13,
        "what is VAR in football",
        [
            "The video assistant referee reviews goals, penalties, red cards and mistaken identity using replays and advises the on-field referee."
        ],
    ),
    (
        15,
        "are Hawaiian volcanoes still active",
        [
            "Kilauea on Hawaii's Big Island is one of the most active volcanoes on Earth, with frequent eruptions in recent decades.",
            "Mauna Loa erupted in 2022 after nearly forty years of quiet.",
        ],
    ),
    (
        16,
        "how to take sharp photos in low light",
        [
            "In dim light, use a tripod or steady surface, raise the ISO moderately and open the aperture wide to keep shutter speeds usable."
        ],
    ),
    (
        17,
        "do heat pumps work in very cold weather",
        [
            "Modern cold-climate heat pumps keep working well below freezing, though their efficiency falls as the outdoor temperature drops."
        ],
    ),
    (
        19,
        "effects of too little sleep on teenagers",
        [
            "Teens who sleep too little struggle with attention and mood and are more likely to have accidents.",
            "Chronic sleep loss in adolescents is linked to lower grades and a weaker immune response.",
            "Short sleep can make teenagers more impulsive and more prone to anxiety.",
        ],
    ),
    (
        20,
        "how to clean coffee out of a rug",
        [
            "Blot a coffee spill, then work in a solution of water and a little washing-up liquid and rinse with cold water."
        ],
    ),
    (
        22,
        "why are sunsets red and orange",
        [
            "At sunset light travels through much more air, so blue is scattered away and the remaining reds and oranges dominate."
        ],
    ),
    (
        23,
        "how often do I feed a sourdough starter",
        [
            "A starter kept at room temperature needs feeding once or twice a day; one stored in the fridge can go about a week between feeds."
        ],
    ),
    (
        26,
        "what are Saturn's rings made of",
        [
            "Saturn's rings are made mostly of chunks of water ice, from tiny grains to pieces as big as houses, with some rock and dust."
        ],
    ),
    (
        27,
        "how long should a cover letter be",
        ["Keep a cover letter to a single page, ideally three or four short paragraphs."],
    ),
    (
        29,
        "what is the difference between a vaccine and an antibody treatment",
        [
            "A vaccine prompts your own body to make antibodies over weeks, while an antibody treatment gives ready-made antibodies for immediate, short-lived protection."
        ],
    ),
    (
        30,
        "why was the Berlin Wall built",
        [
            "East Germany built the wall in 1961 to stop its citizens from fleeing to West Berlin and the West."
        ],
    ),
    (
        32,
        "how does raising interest rates reduce inflation",
        [
            "Higher interest rates make borrowing dearer and saving more attractive, which cools spending and eases upward pressure on prices."
        ],
    ),
    (
        33,
        "how to prevent aphids in the garden",
        [
            "Companion plants such as nasturtiums draw aphids away, and avoiding excess nitrogen fertiliser keeps soft growth that aphids love to a minimum."
        ],
    ),
    (
        35,
        "how to make a laptop battery last longer overall",
        [
            "Avoid keeping a laptop at one hundred percent and hot all the time; keeping the charge between about twenty and eighty percent slows battery ageing."
        ],
    ),
    (
        36,
        "how many cubs does a panda have",
        [
            "A giant panda usually gives birth to one or two tiny cubs, and when twins are born in the wild the mother tends to raise only one."
        ],
    ),
    (
        37,
        "compound versus simple interest example",
        [
            "Saving 1,000 at five percent for two years gives 100 in simple interest but 102.50 when the interest compounds yearly."
        ],
    ),
    (
        38,
        "is it safe to eat raw flour",
        [
            "Raw flour is a raw agricultural product and has been linked to E. coli outbreaks, so it should be baked or heat treated before eating."
        ],
    ),
    (
        39,
        "how hard is it to climb Kilimanjaro",
        [
            "Kilimanjaro needs no technical climbing, but the altitude makes it tough; most people take six to eight days to acclimatise on the way up."
        ],
    ),
]

STS = [
    (
        "A man is slicing an onion in the kitchen.",
        "Someone is chopping an onion on a cutting board.",
        4.6,
    ),
    (
        "The train to Glasgow was delayed by forty minutes.",
        "The Glasgow train arrived forty minutes late.",
        4.4,
    ),
    ("A dog is chasing a ball across the park.", "A puppy runs after a ball on the grass.", 4.0),
    ("The museum is closed on Mondays.", "You can't visit the museum on a Monday.", 4.8),
    (
        "She finished the marathon in under four hours.",
        "She ran the marathon in less than four hours.",
        4.9,
    ),
    ("The bakery sells fresh bread every morning.", "Bread is baked daily at the shop.", 3.6),
    (
        "Two children are building a sandcastle on the beach.",
        "Kids are playing in the sand by the sea.",
        3.4,
    ),
    (
        "The company reported higher profits this quarter.",
        "Quarterly earnings at the firm went up.",
        4.5,
    ),
    ("A woman is playing the piano on stage.", "A pianist performs in a concert hall.", 3.7),
    (
        "Heavy rain flooded several streets in the town centre.",
        "Downtown roads were underwater after a storm.",
        4.1,
    ),
    ("He forgot his umbrella at the office.", "He left his umbrella behind at work.", 4.7),
    ("The cat is sleeping on the windowsill.", "A cat naps in the sun by the window.", 4.0),
    (
        "The meeting has been moved to Thursday afternoon.",
        "The meeting will now take place on Thursday.",
        4.0,
    ),
    ("A chef is frying eggs in a pan.", "A cook is boiling pasta in a pot.", 1.8),
    (
        "The plane landed safely despite strong winds.",
        "Strong winds forced the plane to turn back.",
        1.6,
    ),
    ("The students are taking a maths exam.", "Pupils are sitting a mathematics test.", 4.8),
    ("A man is riding a horse along the beach.", "A man is riding a bicycle along the beach.", 2.4),
    (
        "The library extended its opening hours.",
        "The library is now open for longer each day.",
        4.7,
    ),
    ("The new phone has a larger battery.", "The latest model's battery lasts longer.", 3.5),
    ("She planted tulips in the front garden.", "She watered the roses in the back garden.", 1.7),
    (
        "The bridge will be closed for repairs next week.",
        "Repair work will shut the bridge next week.",
        4.9,
    ),
    ("A boy is reading a comic book on the sofa.", "A child is reading on the couch.", 3.8),
    (
        "The concert was cancelled because of the storm.",
        "The storm led to the concert being called off.",
        4.8,
    ),
    (
        "Prices of vegetables rose sharply this winter.",
        "Vegetables became much more expensive this winter.",
        4.7,
    ),
    ("A woman is jogging with her dog.", "A woman is walking her dog slowly.", 2.9),
    ("The football team won the championship.", "The team lost in the final.", 1.3),
    ("He is fixing the roof of his house.", "A man repairs the roof.", 4.2),
    ("The hotel room had a view of the sea.", "From the hotel room you could see the ocean.", 4.8),
    ("A girl is painting a picture of a horse.", "A girl is drawing a horse with pencils.", 3.2),
    (
        "The river froze during the cold snap.",
        "The lake was full of swimmers in the heat wave.",
        0.6,
    ),
    ("Our flight leaves at seven in the morning.", "The flight departs at 7 a.m.", 5.0),
    (
        "The doctor advised him to rest for a week.",
        "He was told by his doctor to take a week off.",
        4.4,
    ),
    ("A group of friends are having a picnic.", "People are eating outdoors on a blanket.", 3.5),
    ("The software update fixed the login bug.", "Users can sign in again after the patch.", 3.9),
    (
        "The shop is offering a discount on winter coats.",
        "Winter coats are on sale at the store.",
        4.5,
    ),
    ("A man is playing a guitar.", "A man is tuning a violin.", 1.9),
    ("The children fed the ducks at the pond.", "The kids threw bread to ducks on the water.", 4.3),
    (
        "Scientists discovered a new species of frog.",
        "A previously unknown frog was identified by researchers.",
        4.8,
    ),
    ("The road was blocked by a fallen tree.", "A tree came down and blocked the road.", 4.9),
    ("She is knitting a scarf for her brother.", "She bought her brother a scarf.", 2.2),
    ("A woman is slicing a tomato.", "A man is climbing a mountain.", 0.0),
    ("The stock market fell on Tuesday.", "Cats like to sleep in warm places.", 0.0),
    ("He drinks coffee every morning.", "Every morning he has a cup of coffee.", 5.0),
    ("The baby is crying in the cot.", "A toddler is laughing in the garden.", 1.0),
    ("The city plans to build a new tram line.", "A new tram route is planned for the city.", 4.6),
    ("The printer has run out of paper.", "There is no paper left in the printer.", 4.9),
    ("Two men are playing chess in the park.", "Two people play a board game outside.", 3.6),
    ("The film was long but very moving.", "The movie was short and boring.", 0.9),
    ("A fisherman is pulling a net onto his boat.", "A man hauls in a fishing net.", 4.3),
    (
        "Snow is expected in the mountains tonight.",
        "It will probably snow in the hills this evening.",
        4.4,
    ),
    ("The teacher is writing on the whiteboard.", "The teacher erased the blackboard.", 2.0),
    ("A woman is pouring milk into a glass.", "Milk is being poured by a woman.", 4.9),
    ("The tourists took photos of the cathedral.", "Visitors photographed the old church.", 4.0),
    ("He lost his wallet on the bus.", "He found a wallet on the bus.", 1.8),
    (
        "The council approved the budget for next year.",
        "Next year's budget was passed by the council.",
        4.8,
    ),
    ("A man is mowing the lawn.", "A man is cutting the grass.", 4.9),
    ("The soup needs more salt.", "The soup is too salty.", 1.6),
    ("The dog is barking at the postman.", "A dog barks at the mail carrier.", 4.8),
    (
        "Firefighters rescued a cat from a tree.",
        "A cat was saved from a tree by firefighters.",
        5.0,
    ),
    (
        "The festival attracts thousands of visitors each summer.",
        "Every summer the festival draws large crowds.",
        4.5,
    ),
    ("A couple is dancing at a wedding.", "Two people are dancing at a party.", 3.3),
    ("The laptop will not turn on.", "The computer fails to start.", 4.2),
    ("A man is swimming in the sea.", "A man is sunbathing on the sand.", 1.7),
    ("The train station is ten minutes on foot.", "It's a short walk to the railway station.", 3.9),
]

# background passages that answer none of the queries (they make the corpus less trivial)
FILLER = [
    "The town library runs a free coding club for children every Saturday morning.",
    "Lighthouses were once staffed by keepers who trimmed the lamp wick through the night.",
    "A good hiking boot should be broken in on short walks before a long trek.",
    "Honeybees communicate the location of flowers with a waggle dance.",
    "The first postage stamp, the Penny Black, was issued in Britain in 1840.",
    "Cross-country skiing works almost every major muscle group in the body.",
    "Many airlines let passengers choose a seat online up to a day before departure.",
    "Oak trees can live for several hundred years and support a huge variety of insects.",
    "A sewing machine needle should be replaced after about eight hours of stitching.",
    "The violinmaker Antonio Stradivari worked in the Italian city of Cremona.",
    "Electric kettles switch off automatically when a sensor detects steam.",
    "Octopuses have three hearts and blue blood rich in copper.",
    "A haiku traditionally has three lines of five, seven and five syllables.",
    "Public parks in the city close their gates at dusk during the winter months.",
    "Chess clocks limit each player's thinking time in tournament games.",
    "Recycling aluminium cans uses far less energy than making new metal from ore.",
    "The Danube flows through ten countries before reaching the Black Sea.",
    "A good night's preparation for an exam includes a review of past papers.",
    "Flamingos get their pink colour from pigments in the algae and shrimp they eat.",
    "Some trains in Switzerland climb steep slopes with the help of a cog railway.",
]

# one hard negative per group (same index as GROUPS): shares the query's subject, answers nothing
HARD = [
    "Grilling a one-inch steak over high heat takes roughly four minutes per side for medium rare.",
    "Tomato fruit that stays yellow instead of turning red is often reacting to temperatures above thirty degrees.",
    "Most road bikes now have eleven or twelve sprockets on the rear cassette.",
    "The Perseid meteors are debris left behind by the comet Swift-Tuttle.",
    "The yearly contribution limit for IRAs is set by the tax authority and raised from time to time with inflation.",
    "Older adults lose muscle mass gradually, which regular strength training can help slow.",
    "Work and study stays in Japan require a certificate of eligibility issued by an immigration office.",
    "git log shows the history of commits together with their authors and dates.",
    "The Western Roman Empire is usually said to have ended in 476, when the last emperor was deposed.",
    "Adult cats generally sleep between twelve and sixteen hours a day.",
    "The violin family developed in northern Italy in the sixteenth century.",
    "The UV index forecast is published every day by national weather services.",
    "Mixer taps combine hot and cold water in one spout and come with single or twin levers.",
    "Football's laws of the game are maintained by the International Football Association Board.",
    "In some countries deposits must be held in a government-backed protection scheme during the tenancy.",
    "Hawaii became the fiftieth state of the United States in 1959.",
    "Shutter speeds are written as fractions of a second, such as 1/250.",
    "Installing a heat pump can qualify for a government grant in several countries.",
    "Australia's federal parliament sat in Melbourne until 1927.",
    "Many schools have debated starting classes later in the morning for teenagers.",
    "Red wine gets its colour from pigments in the grape skins.",
    "Apps for the iPhone must be reviewed by Apple before they appear in the App Store.",
    "By day the sky on Mars looks butterscotch because of fine dust in its thin air.",
    "Sourdough bread stays fresh longer than yeasted bread because of its acidity.",
    "Learner drivers have been allowed on UK motorways with an instructor since 2018.",
    "An ankle sprain happens when the foot rolls inward and overstretches the outer ligaments.",
    "Saturn is the second-largest planet and takes about twenty-nine years to orbit the sun.",
    "Cover letters have become less common as online application forms spread.",
    "At sea level pure water boils at one hundred degrees Celsius.",
    "The first vaccine was developed by Edward Jenner against smallpox in 1796.",
    "Sections of the Berlin Wall are now displayed in museums around the world.",
    "Many cut flowers are flown from farms in Kenya and Colombia to European markets.",
    "Inflation is usually reported as the change in a consumer price index over twelve months.",
    "Aphids multiply fast, and many females give birth to live young without mating.",
    "Basketball was invented by James Naismith in 1891 using a peach basket.",
    "Laptop batteries are rated in watt-hours, which says how much energy they can store.",
    "Giant pandas have an enlarged wrist bone that works like a thumb.",
    "Albert Einstein is often, probably wrongly, quoted as calling compound interest the eighth wonder of the world.",
    "Cookie dough ice cream was first sold in the United States in the 1980s.",
    "The Rwenzori Mountains on the border of Uganda and Congo are capped with glaciers.",
]

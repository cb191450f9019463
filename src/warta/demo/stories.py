"""The fictional stories behind the bundled sample sources (``warta demo``, end-to-end tests).

Every name, company, quotation and figure here is invented for warta; places and public
bodies are real only so the text reads like news. ``make_samples`` renders these records into
the feeds, article pages and images under ``samples/``; edit here, then regenerate.

Body blocks are ``(kind, html)`` pairs, kind one of ``"p"``, ``"quote"`` (a ``<blockquote>``)
or ``"h2"``; the html is an inline fragment (text, ``<a href>``, entities), trusted because it
is ours. ``{{BASE}}`` in a link stands for the source's base URL, filled in by the server.

Test-relevant pairs:
  * the same event, two sources: ``ndtv-world/moscow-methane-summit`` and
    ``wire-asia/indonesia-joins-methane-pact`` (the Moscow Energy Transition Forum);
  * related topic, not the same event: ``wire-asia/malaysia-chip-exports-october`` and
    ``global-tech/veltrix-penang-packaging-plant`` (Malaysian chip packaging, Penang).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

# The fixed "now" of the sample data: every story is published in the 48 hours before it.
SAMPLES_NOW = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)

SYNDICATION_NOTE = (
    "(Except for the headline, this story has not been edited by NDTV staff and is "
    "published from a syndicated feed.)"
)

Block = tuple[str, str]


@dataclass(frozen=True)
class Story:
    source: str  # sample source directory: ndtv-world, wire-asia, global-tech
    slug: str
    guid: str
    title: str
    category: str
    published: datetime  # aware, UTC
    author: str
    summary: str
    caption: str
    credit: str
    image_alt: str
    blocks: list[Block]
    tags: list[str] = field(default_factory=list)
    palette: tuple[tuple[int, int, int], tuple[int, int, int]] = ((40, 60, 90), (200, 160, 90))


def _utc(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


NDTV_STORIES: list[Story] = [
    Story(
        source="ndtv-world",
        slug="moscow-summit-14-nations-pledge-4-5-billion-methane-leaks-7023118",
        guid="ndtv-world-7023118",
        title="At Moscow Summit, 14 Nations Pledge $4.5 Billion To Plug Methane Leaks",
        category="World",
        published=_utc(25, 4, 45),
        author="Ananya Rao",
        summary=(
            "Fourteen gas-producing countries agreed on Wednesday to pool $4.5 billion over "
            "five years to find and repair methane leaks, aiming to cut emissions from oil and "
            "gas fields by 40 per cent by 2032."
        ),
        caption="Gas flares burn at a processing plant in western Siberia (File)",
        credit="Photo: Reuters",
        image_alt="Gas flares at a processing plant",
        tags=["Methane", "Climate Change", "Russia", "Energy"],
        palette=((32, 40, 72), (236, 128, 48)),
        blocks=[
            (
                "p",
                "MOSCOW, Russia: Fourteen gas-producing countries agreed on Wednesday to pool "
                "$4.5 billion over five years to find and repair leaking pipelines, wells and "
                "compressor stations, in what the hosts called the largest joint effort yet "
                "to cut methane from the energy industry.",
            ),
            (
                "p",
                "The pledge, signed on the closing day of the two-day Moscow Energy Transition "
                "Forum, commits the signatories to reduce methane emissions from oil and gas "
                "operations by 40 per cent by 2032, measured against 2025 levels. About 1,200 "
                "delegates attended the meeting, the organisers said.",
            ),
            (
                "p",
                "“This is not a promise on paper. Every country that signed today will have "
                "its leaks counted from space,” said Pavel Zorin, Russia’s deputy energy "
                "minister, who chaired the talks.",
            ),
            (
                "p",
                "Under the agreement, a monitoring group will publish satellite readings for "
                "each member every six months, starting in June 2027. Leaks larger than 100 kg "
                "of methane an hour must be repaired within 30 days of detection. Indonesia, "
                "one of the signatories, said it would put $300 million into the fund.",
            ),
            (
                "p",
                "India attended as an observer and did not sign. Meera Kulkarni, an "
                "additional secretary in the petroleum ministry, told reporters that India’s "
                "city gas networks already ran leak surveys twice a year, but that the fund "
                "had to look beyond the biggest companies:",
            ),
            (
                "quote",
                "“We support the goal. But a fund of this size must also reach the "
                "smaller operators who cannot afford the cameras and the drones.”",
            ),
            (
                "p",
                "“Forty per cent by 2032 is achievable, but the fund is small next to the "
                "size of the problem,” said Hannah Berg, an analyst at the research group "
                '<a href="https://climate-ledger.example.org/methane-2026">Climate '
                "Ledger</a>, which puts the cost of repairs across the 14 countries at closer "
                "to $11 billion.",
            ),
            (
                "p",
                "Methane traps about 80 times more heat than carbon dioxide over 20 years, "
                "which is why scientists see cutting it as the quickest way to slow warming "
                "this decade.",
            ),
            ("p", SYNDICATION_NOTE),
        ],
    ),
    Story(
        source="ndtv-world",
        slug="seven-miners-rescued-after-62-hours-trapped-underground-in-chile-7022540",
        guid="ndtv-world-7022540",
        title="Seven Miners Rescued After 62 Hours Trapped Underground In Chile",
        category="World",
        published=_utc(24, 16, 30),
        author="Rohit Menon",
        summary=(
            "Seven miners trapped 420 metres underground after a tunnel collapse at a copper "
            "mine in northern Chile were brought to the surface on Tuesday."
        ),
        caption="Rescue workers at the entrance of a copper mine in the Atacama region (File)",
        credit="Photo: AFP",
        image_alt="Rescue workers at a mine entrance",
        tags=["Chile", "Mining", "Rescue"],
        palette=((90, 50, 30), (240, 200, 120)),
        blocks=[
            (
                "p",
                "COPIAPO, Chile: Seven miners who spent 62 hours trapped 420 metres "
                "underground after a tunnel collapsed at a copper mine in northern Chile were "
                "pulled to the surface one by one on Tuesday, to cheers from relatives who had "
                "camped at the entrance since Saturday night.",
            ),
            (
                "p",
                "The men were working a night shift at the San Lorenzo mine, about 45 km "
                "south of Copiapo, when a section of the main access ramp gave way at 11.40 pm "
                "on November 21. They reached a refuge chamber stocked with water, food and "
                "oxygen for 72 hours.",
            ),
            (
                "p",
                "Rescuers drilled a 70 cm borehole to the chamber and lowered a steel "
                "capsule on a winch. Each trip took about 18 minutes. The last man out was the "
                "shift supervisor, Rodrigo Fuentes, 48.",
            ),
            (
                "quote",
                "“Down there you stop counting the hours. You count the sound of the "
                "drill, and when it gets louder you know they are coming for you.”",
            ),
            (
                "p",
                "Regional governor Claudia Paredes said all seven were in stable condition "
                "and had been taken to a hospital in Copiapo for checks. Temperatures in the "
                "chamber had reached 31 degrees Celsius, she said.",
            ),
            (
                "p",
                "The operator, Minera Atacama Sur, said it had suspended work at the mine, "
                "which produces about 28,000 tonnes of copper a year, while inspectors from "
                "the national mining safety service examine the collapse. “We will find out "
                "why this happened, and we will share what we find,” the company said.",
            ),
            ("p", SYNDICATION_NOTE),
        ],
    ),
    Story(
        source="ndtv-world",
        slug="zahra-airways-orders-120-narrow-body-jets-in-9-8-billion-deal-7023305",
        guid="ndtv-world-7023305",
        title=(
            "Zahra Airways Orders 120 Narrow-Body Jets In $9.8 Billion Deal, Eyes More India Routes"
        ),
        category="Business",
        published=_utc(25, 9, 10),
        author="Kavya Iyer",
        summary=(
            "Gulf carrier Zahra Airways ordered 120 Aerolis A7 jets worth $9.8 billion at list "
            "prices and said it would add flights to Kochi, Lucknow and Jaipur."
        ),
        caption="A Zahra Airways aircraft taxis at Dubai International Airport (File)",
        credit="Photo: Reuters",
        image_alt="An airliner taxiing at an airport",
        tags=["Aviation", "Zahra Airways", "Business"],
        palette=((20, 80, 140), (220, 230, 240)),
        blocks=[
            (
                "p",
                "DUBAI, United Arab Emirates: Zahra Airways has ordered 120 Aerolis A7 "
                "narrow-body jets in a deal worth $9.8 billion at list prices, the Gulf carrier "
                "said on Wednesday, as it races to add routes to India and Southeast Asia.",
            ),
            (
                "p",
                "The airline, which flies a fleet of 64 aircraft, said the order would let it "
                "grow to 150 planes by 2035. The 186-seat A7 burns about 15 per cent less fuel "
                "per seat than the jets it replaces and can fly up to 6,500 km, long enough "
                "to reach any Indian city from Dubai.",
            ),
            (
                "quote",
                "“India is the market that decides our future. Half of the new aircraft will "
                "fly to Indian cities,” chief executive Khalid Al-Mansouri told reporters at "
                "the signing.",
            ),
            ("h2", "Deliveries from 2029"),
            (
                "p",
                "The first jets are due in March 2029 and the last in 2034. Zahra plans daily "
                "flights to Kochi, Lucknow and Jaipur from October 2027, using leased aircraft "
                "until its own are delivered, subject to approval under the bilateral air "
                "services agreement, which caps seats at 66,000 a week in each direction.",
            ),
            (
                "p",
                "Airlines usually receive large discounts on list prices. Aviation consultant "
                "Sameer Bhatt estimated the real value of the deal at about $5.2 billion, "
                'according to <a href="https://aviation-brief.example.com/zahra-a7">a note '
                "to clients</a>.",
            ),
            ("p", SYNDICATION_NOTE),
        ],
    ),
    Story(
        source="ndtv-world",
        slug="scientists-find-2-million-year-old-forest-under-greenland-ice-7022211",
        guid="ndtv-world-7022211",
        title="Scientists Find Traces Of 2-Million-Year-Old Forest Under Greenland Ice",
        category="Science",
        published=_utc(24, 8, 20),
        author="Nikhil Sharma",
        summary=(
            "Spruce needles, pollen and beetle fragments in an ice core drilled 1.4 km deep show "
            "that northern Greenland was once covered by forest."
        ),
        caption="Researchers handle an ice core at a field camp in northern Greenland (File)",
        credit="Photo: Nordic Polar Institute",
        image_alt="Researchers holding an ice core",
        tags=["Greenland", "Climate", "Science"],
        palette=((180, 220, 240), (40, 90, 110)),
        blocks=[
            (
                "p",
                "COPENHAGEN, Denmark: Scientists drilling through the ice sheet in northern "
                "Greenland have found spruce needles, pollen and the wing cases of beetles "
                "in sediment 1.4 km below the surface, evidence that a forest grew there about "
                "two million years ago.",
            ),
            (
                "p",
                "The team, led by glaciologist Ingrid Solberg of the Nordic Polar Institute, "
                "recovered the sediment in July at a field camp called Kangia and spent four "
                "months dating it. The findings were published on Tuesday in the journal "
                "Polar Science Letters.",
            ),
            ("h2", "What the core shows"),
            (
                "p",
                "The plant remains suggest summers were 10 to 12 degrees Celsius warmer than "
                "today. Sea levels at the time were several metres higher, said co-author "
                "Jonas Eriksen.",
            ),
            (
                "quote",
                "“We were expecting rock dust. Instead we pulled up a piece of a forest "
                "floor, frozen in place for two million years.”",
            ),
            (
                "p",
                "Solberg said the discovery mattered for forecasts: “If the ice melted "
                "completely once, at temperatures not far above those we may reach this "
                "century, we have to take that seriously.”",
            ),
            (
                "p",
                "The team plans to return in May 2027 to drill a second core about 35 km "
                "to the east, funded by a 4.8 million kroner ($690,000) grant.",
            ),
            ("p", SYNDICATION_NOTE),
        ],
    ),
    Story(
        source="ndtv-world",
        slug="spanish-police-recover-three-stolen-17th-century-paintings-7023560",
        guid="ndtv-world-7023560",
        title="Spanish Police Recover 3 Stolen 17th-Century Paintings Worth 2.4 Million Euros",
        category="World",
        published=_utc(25, 13, 50),
        author="Ananya Rao",
        summary=(
            "Three paintings stolen from a Seville parish church in March 2025 were found in a "
            "warehouse near Marseille, Spanish police said."
        ),
        caption="Officers display one of the recovered paintings in Seville",
        credit="Photo: AFP",
        image_alt="Police officers with a recovered painting",
        tags=["Spain", "Art Theft", "Seville"],
        palette=((110, 30, 40), (230, 190, 110)),
        blocks=[
            (
                "p",
                "SEVILLE, Spain: Spanish police said on Wednesday they had recovered three "
                "17th-century religious paintings worth an estimated €2.4 million ($2.5 "
                "million) that were stolen from a parish church in Seville in March 2025.",
            ),
            (
                "p",
                "The paintings, taken from the church of San Telmo de Triana during a "
                "night-time break-in, were found rolled inside carpet tubes in a warehouse "
                "near Marseille, France, after a joint operation with French police. Two men, "
                "aged 41 and 57, were arrested.",
            ),
            (
                "p",
                "“They were handled like rolls of linoleum, but the restorers tell us the "
                "damage can be repaired,” Lieutenant Marta Ibáñez of the Civil Guard’s "
                "heritage unit told reporters.",
            ),
            (
                "p",
                "Investigators traced the gang through a photograph of one of the canvases, "
                "which measures 1.6 metres by 1.1 metres, offered to a private collector in "
                "Brussels for €300,000.",
            ),
            (
                "quote",
                "“For three years the walls of our church were empty. Today the whole "
                "neighbourhood will celebrate.”",
            ),
            (
                "p",
                "The parish priest, Father Luis Carmona, said the paintings would go on "
                "display again after restoration, which is expected to take eight months.",
            ),
            ("p", SYNDICATION_NOTE),
        ],
    ),
]


WIRE_STORIES: list[Story] = [
    Story(
        source="wire-asia",
        slug="indonesia-joins-methane-pact",
        guid="tag:asiawire.example,2026-11-25:aws-20261125-0412",
        title="Indonesia joins 14-nation methane pact in Moscow, pledges $300 million",
        category="World",
        published=_utc(25, 7, 5),
        author="Dewi Lestari",
        summary=(
            "Indonesia signed a pledge in Moscow to cut methane from oil and gas fields by 40 "
            "per cent by 2032 and will put $300 million into a new $4.5 billion repair fund."
        ),
        caption="Delegates at the Moscow Energy Transition Forum on Nov. 25, 2026.",
        credit="AWS/Dewi Lestari",
        image_alt="Delegates seated in a conference hall",
        tags=["Indonesia", "Russia", "Methane", "Energy"],
        palette=((30, 90, 70), (230, 220, 150)),
        blocks=[
            (
                "p",
                "MOSCOW (AWS) - Indonesia on Wednesday joined 13 other gas producers in "
                "signing a pledge to cut methane emissions from oil and gas fields by 40 per "
                "cent by 2032, and said it would contribute $300 million to a new $4.5 billion "
                "fund to repair leaking infrastructure.",
            ),
            (
                "p",
                "Deputy Energy Minister Arief Santoso signed the Moscow Methane Pledge at the "
                "close of the two-day Moscow Energy Transition Forum, chaired by Russian Deputy "
                "Energy Minister Pavel Zorin.",
            ),
            (
                "quote",
                "“Our pipelines in East Kalimantan are older than many of our engineers. "
                "This money lets us find the leaks before they find us,” Santoso told "
                "Asia Wire Service.",
            ),
            (
                "p",
                "Indonesia’s state energy company estimates that 1,800 km of gathering lines "
                "in East Kalimantan and South Sumatra need replacing, at a cost of about "
                "Rp 6.2 trillion ($390 million).",
            ),
            (
                "p",
                "The fund will pay for satellite surveys, drone inspections and repairs. "
                "Members must fix any leak larger than 100 kg an hour within 30 days, and "
                "readings will be published every six months from June 2027.",
            ),
            (
                "p",
                "India attended as an observer and did not sign. The research group Climate "
                "Ledger said the fund covered less than half of the estimated $11 billion cost "
                "of repairs in the signatory countries.",
            ),
            (
                "p",
                "Indonesia’s parliament must still approve the contribution in the 2027 "
                "budget, which lawmakers are due to debate in January.",
            ),
        ],
    ),
    Story(
        source="wire-asia",
        slug="malaysia-chip-exports-october",
        guid="tag:asiawire.example,2026-11-24:aws-20261124-0133",
        title="Malaysia’s chip exports jump 18 per cent in October on AI server demand",
        category="Business",
        published=_utc(24, 5, 30),
        author="Lim Hui Wen",
        summary=(
            "Malaysian semiconductor exports rose 18 per cent from a year earlier to 58.3 "
            "billion ringgit in October, led by chip packaging and testing plants in Penang."
        ),
        caption="A worker inspects wafers at a chip testing plant in Penang.",
        credit="AWS/File",
        image_alt="A worker inspecting semiconductor wafers",
        tags=["Malaysia", "Semiconductors", "Trade", "Penang"],
        palette=((20, 30, 60), (80, 200, 220)),
        blocks=[
            (
                "p",
                "KUALA LUMPUR (AWS) - Malaysia’s semiconductor exports rose 18 per cent in "
                "October from a year earlier to 58.3 billion ringgit ($13.1 billion), official "
                "data showed on Tuesday, as demand for chips used in artificial intelligence "
                "servers kept factories in Penang running at full capacity.",
            ),
            (
                "p",
                "Total exports grew 9.4 per cent to 142.7 billion ringgit, beating the 6.1 "
                "per cent forecast in an Asia Wire Service poll of 12 economists. "
                "Semiconductors made up 41 per cent of shipments.",
            ),
            (
                "p",
                "Penang, where chipmakers assemble, package and test chips designed "
                "elsewhere, accounted for more than half of the electronics shipped. Several "
                "companies are building new packaging plants in the state’s Batu Kawan "
                "industrial park.",
            ),
            (
                "quote",
                "“Packaging used to be the cheap end of the chip business. With AI chips "
                "it has become the bottleneck, and Malaysia is sitting right on it.”",
            ),
            (
                "p",
                "Lim Wei Ming, chief economist at Straits Horizon Bank, said exports to the "
                "United States rose 27 per cent, while shipments to China fell 3 per cent.",
            ),
            (
                "p",
                "Investment Minister Farah Aziz said last month the government aimed to "
                "attract 500 billion ringgit of chip investment by 2030.",
            ),
            ("p", "(Reporting by Lim Hui Wen; Editing by Tomás Reyes)"),
        ],
    ),
    Story(
        source="wire-asia",
        slug="sulawesi-fishermen-rescued",
        guid="tag:asiawire.example,2026-11-25:aws-20261125-0061",
        title="Rescuers pull 11 fishermen from sea after boat capsizes off Sulawesi",
        category="World",
        published=_utc(25, 2, 15),
        author="Yohanes Kaligis",
        summary=(
            "Eleven crew members of a fishing boat that capsized in 3-metre waves off North "
            "Sulawesi were rescued; two are missing."
        ),
        caption="A search and rescue vessel leaves the port of Bitung.",
        credit="AWS/Yohanes Kaligis",
        image_alt="A rescue boat leaving a harbour",
        tags=["Indonesia", "Sulawesi", "Maritime"],
        palette=((10, 60, 110), (120, 200, 210)),
        blocks=[
            (
                "p",
                "JAKARTA (AWS) - Indonesian rescuers on Wednesday pulled 11 fishermen from "
                "the sea after their boat capsized in 3-metre waves about 35 km off the coast "
                "of North Sulawesi, and were searching for two crew members still missing.",
            ),
            (
                "p",
                "The 28-tonne KM Bintang Laut left the port of Bitung on Monday evening with "
                "13 crew and sent a distress call at 4.20 am on Tuesday, the national search "
                "and rescue agency said.",
            ),
            (
                "p",
                "The survivors clung to fuel drums and a life raft for almost 20 hours before "
                "a passing cargo ship spotted them and alerted the coast guard.",
            ),
            (
                "quote",
                "“They were exhausted and badly sunburned, but all eleven could walk off "
                "the ship on their own,” said Yusuf Hamdani, head of the Bitung rescue "
                "office.",
            ),
            (
                "p",
                "Two boats, a helicopter and about 60 personnel were searching an area of "
                "around 400 square km for the missing men, Hamdani said. The weather agency "
                "warned that waves of up to 4 metres were possible in the Molucca Sea until "
                "Friday.",
            ),
            ("p", "(Reporting by Yohanes Kaligis; Editing by Dewi Lestari)"),
        ],
    ),
    Story(
        source="wire-asia",
        slug="singapore-teen-screen-sleep-study",
        guid="tag:asiawire.example,2026-11-24:aws-20261124-0298",
        title="Late-night screen use costs Singapore teens 41 minutes of sleep, study finds",
        category="Health",
        published=_utc(24, 11, 40),
        author="Rachel Goh",
        summary=(
            "A study of 2,400 secondary school students found that those using phones after "
            "11 pm slept 41 minutes less on school nights."
        ),
        caption="Students use their phones at a bus stop in Singapore.",
        credit="AWS/File",
        image_alt="Teenagers looking at phones",
        tags=["Singapore", "Health", "Sleep", "Teenagers"],
        palette=((60, 20, 90), (250, 150, 170)),
        blocks=[
            (
                "p",
                "SINGAPORE — Teenagers in Singapore who use their phones after 11 pm sleep "
                "an average of 41 minutes less on school nights than those who put them away "
                "earlier, according to a study of 2,400 secondary school students published "
                "on Tuesday.",
            ),
            (
                "p",
                "Researchers at the Harbourfront Medical Research Centre followed students "
                "aged 13 to 16 from 18 schools for six weeks between February and April 2026, "
                "using wrist trackers to measure sleep rather than relying on diaries.",
            ),
            (
                "p",
                "Students with late-night screen use slept 6 hours and 12 minutes on "
                "average, against the 8 to 10 hours doctors recommend for their age. They were "
                "21 per cent more likely to report falling asleep in class.",
            ),
            (
                "quote",
                "“The phone itself is not the enemy. The problem is that it quietly "
                "pushes bedtime later, while school still starts at 7.30 am,” said lead "
                "author Tan Mei Ling.",
            ),
            (
                "p",
                "The team recommended that parents keep devices out of bedrooms after "
                "10.30 pm and that schools consider starting classes later.",
            ),
            ("p", "The Ministry of Education said it would study the findings."),
            ("p", "(Reporting by Rachel Goh; Editing by Tomás Reyes)"),
        ],
    ),
]


TECH_STORIES: list[Story] = [
    Story(
        source="global-tech",
        slug="veltrix-penang-packaging-plant",
        guid="global-tech-2026-11-24-veltrix-penang",
        title="Veltrix to build $2.1 billion chip packaging plant in Penang",
        category="Technology",
        published=_utc(24, 21, 0),
        author="Daniel Cho",
        summary=(
            "Chipmaker Veltrix Semiconductor will spend $2.1 billion on an advanced packaging "
            "plant in Malaysia’s Penang state, creating about 3,000 jobs."
        ),
        caption="An artist’s impression of the planned Veltrix plant in Batu Kawan, Penang.",
        credit="Image: Veltrix Semiconductor",
        image_alt="Rendering of a factory building",
        tags=["Semiconductors", "Malaysia", "Veltrix", "Penang"],
        palette=((15, 25, 45), (110, 230, 160)),
        blocks=[
            (
                "p",
                "SANTA CLARA, California: Chipmaker Veltrix Semiconductor said on Tuesday it "
                "would spend $2.1 billion on an advanced packaging plant in Penang, Malaysia, "
                "adding capacity for the stacked memory and processor modules used in "
                "artificial intelligence servers.",
            ),
            (
                "p",
                "The 48,000-square-metre plant in the Batu Kawan industrial park will employ "
                "about 3,000 people and start production in the second half of 2028, the "
                "company said. It will be Veltrix’s third site in Malaysia.",
            ),
            (
                "p",
                "“Our customers are not short of chip designs. They are short of places "
                "that can put those chips together,” chief executive Sandra Okafor said on a "
                "call with analysts.",
            ),
            (
                "p",
                "Packaging, once a low-margin step, has become a bottleneck as AI processors "
                "combine several chips in one module. Malaysia handles about 13 per cent of "
                "global chip assembly, packaging and testing, and its semiconductor exports "
                "rose 18 per cent in October.",
            ),
            (
                "quote",
                "“Penang has thirty years of packaging know-how. That is very hard to "
                "copy somewhere new,” said industry analyst Greg Tanaka.",
            ),
            (
                "p",
                "Veltrix shares rose 2.4 per cent to $141.60 in extended trading. The company "
                "said the project would be funded from cash and did not change its forecast "
                "of $3.9 billion in capital spending for 2027.",
            ),
        ],
    ),
    Story(
        source="global-tech",
        slug="wayline-robotaxi-recall-traffic-lights",
        guid="global-tech-2026-11-25-wayline-recall",
        title="Robotaxi operator Wayline recalls 312 cars after software misread traffic lights",
        category="Technology",
        published=_utc(25, 17, 25),
        author="Maria Lopez",
        summary=(
            "Wayline recalled 312 driverless cars after a software update caused some to "
            "misread flashing traffic signals; two minor collisions were reported."
        ),
        caption="A Wayline driverless car waits at an intersection in San Francisco.",
        credit="Image: Global Tech Daily",
        image_alt="A driverless car at an intersection",
        tags=["Autonomous vehicles", "Recall", "Wayline"],
        palette=((50, 50, 55), (250, 210, 60)),
        blocks=[
            (
                "p",
                "SAN FRANCISCO, California: Robotaxi operator Wayline said on Wednesday it "
                "was recalling 312 driverless cars after a software update caused some of "
                "them to misread flashing yellow traffic signals, leading to two minor "
                "collisions on November 19.",
            ),
            (
                "p",
                "In a filing with the National Highway Traffic Safety Administration, the "
                "company said version 7.4 of its driving software, installed on November 12, "
                "could treat a flashing yellow light as a steady red and stop abruptly.",
            ),
            (
                "p",
                "No one was hurt in either collision, both in San Francisco, in which the "
                "robotaxis were struck from behind at speeds below 15 km/h (9 mph).",
            ),
            ("h2", "Fix already installed"),
            (
                "p",
                "Wayline said it had already sent a fix to every affected car over the air "
                "and that no vehicle was taken off the road. Its fleet drives about 2.6 "
                "million km (1.6 million miles) a week in four cities.",
            ),
            (
                "quote",
                "“We found the problem, we fixed it within 48 hours, and we are telling "
                "regulators exactly what happened,” spokeswoman Priya Natarajan said.",
            ),
            (
                "p",
                "It is Wayline’s second software recall this year, after one in May covering "
                "188 cars.",
            ),
        ],
    ),
    Story(
        source="global-tech",
        slug="sweat-patch-dehydration-athletes",
        guid="global-tech-2026-11-24-sweat-patch",
        title="Stamp-sized patch reads sweat to warn athletes of dehydration",
        category="Science",
        published=_utc(24, 14, 5),
        author="Hannah Wu",
        summary=(
            "A 2.5 cm patch that measures salt in sweat warned 64 half-marathon runners of "
            "dehydration with 92 per cent accuracy in a trial."
        ),
        caption="The sweat patch, worn on a runner’s forearm during the trial.",
        credit="Image: Charles River Institute of Technology",
        image_alt="A small patch on a forearm",
        tags=["Wearables", "Health", "Sports science"],
        palette=((0, 90, 120), (250, 120, 80)),
        blocks=[
            (
                "p",
                "BOSTON, Massachusetts: Engineers have built a stamp-sized patch that "
                "measures salt and water loss in sweat and warns athletes through their "
                "phones before they become dangerously dehydrated.",
            ),
            (
                "p",
                "The flexible patch is 2.5 cm across, weighs 0.3 grams and contains a "
                "microfluidic channel that collects sweat as it forms. A sensor measures "
                "sodium and chloride every 30 seconds and sends readings over Bluetooth.",
            ),
            (
                "p",
                "In a trial with 64 runners during a 21 km half marathon in Boston in "
                "October, the patch flagged dehydration with 92 per cent accuracy compared "
                "with blood tests taken at the finish, the team reported on Monday in the "
                "journal Wearable Medicine.",
            ),
            (
                "quote",
                "“Runners are bad at judging their own thirst, especially in the last "
                "few kilometres. The patch is not,” said Amara Osei, the biomedical "
                "engineer who led the work at the Charles River Institute of "
                "Technology.",
            ),
            (
                "p",
                "The researchers say the patch could be made for about $3 each. They are "
                "now testing it with 200 construction workers in Phoenix, Arizona, where "
                "summer temperatures regularly exceed 43 degrees Celsius.",
            ),
        ],
    ),
    Story(
        source="global-tech",
        slug="nimbra-cuts-1200-jobs-ai-data-centres",
        guid="global-tech-2026-11-25-nimbra-jobs",
        title="Cloud provider Nimbra to cut 1,200 jobs as it shifts spending to AI data centres",
        category="Business",
        published=_utc(25, 20, 30),
        author="Daniel Cho",
        summary=(
            "Nimbra will cut about 8 per cent of its workforce and take a $640 million charge "
            "while spending $4 billion on new data centres in Oregon and Texas."
        ),
        caption="Nimbra’s headquarters in Seattle.",
        credit="Image: Global Tech Daily",
        image_alt="An office building",
        tags=["Cloud computing", "Layoffs", "Nimbra"],
        palette=((70, 70, 120), (170, 200, 255)),
        blocks=[
            (
                "p",
                "SEATTLE, Washington: Cloud computing company Nimbra said on Wednesday it "
                "would cut about 1,200 jobs, or 8 per cent of its workforce, as it moves "
                "money from older products into data centres for artificial intelligence.",
            ),
            (
                "p",
                "The company expects a restructuring charge of about $640 million, mostly "
                "severance, in the quarter ending January 31. At the same time it will spend "
                "$4 billion over two years on new data centres in Oregon and Texas.",
            ),
            (
                "quote",
                "“These are painful decisions about people who built this company,” chief "
                "executive Marcus Lindqvist wrote in a memo to staff. “But our customers are "
                "telling us where they want to go, and we have to be there first.”",
            ),
            (
                "p",
                "Most of the cuts fall in sales and in the teams behind Nimbra’s older "
                "storage products, which grew just 2 per cent last quarter against 31 per "
                "cent for its AI computing business.",
            ),
            ("p", "Nimbra shares rose 3.2 per cent to $87.40 in after-hours trading."),
        ],
    ),
]

ALL_STORIES: list[Story] = NDTV_STORIES + WIRE_STORIES + TECH_STORIES

# (source, slug) pairs a dedupe or related-story feature should find.
SAME_EVENT: tuple[tuple[str, str], tuple[str, str]] = (
    ("ndtv-world", NDTV_STORIES[0].slug),
    ("wire-asia", "indonesia-joins-methane-pact"),
)
RELATED: tuple[tuple[str, str], tuple[str, str]] = (
    ("wire-asia", "malaysia-chip-exports-october"),
    ("global-tech", "veltrix-penang-packaging-plant"),
)

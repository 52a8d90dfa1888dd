"""Statements the int8 fast path runs once at load to find each layer's outlier input channels.

Written for this purpose (none is from the corpus's dev or test split): quotes of the kind the package reads,
every stance, one to four sentences, so the activations cover what real input produces.
"""

CALIBRATION_TEXTS = (
    "We have liberated the town and the enemy is fleeing in disarray.",
    "Their so-called offensive has collapsed completely, exactly as we predicted.",
    "This is a historic victory for our people and for the whole region.",
    "Tonight the voters have spoken, and they have given us the largest majority in a generation.",
    "These accusations are nothing more than a cheap propaganda trick.",
    "Frankly, the report is not worth the paper it is printed on.",
    "I will not dignify that rumour with a response.",
    "The claims made by the opposition are absurd and nobody serious believes them.",
    "We remain open to talks without preconditions, at any time and in any place.",
    "Both sides must now step back from the brink and give diplomacy a chance.",
    "We are ready to discuss a ceasefire if the other side is ready to stop shelling civilians.",
    "I extend my hand to the unions: let us sit down together on Monday and find a solution.",
    "Any attack on our territory will be met with a swift and overwhelming response.",
    "If they cross this line, they will regret it for a very long time.",
    "Those who threaten our borders should remember how the last war ended for them.",
    "We will never surrender, whatever the cost, whatever they throw at us.",
    "No amount of pressure will make us abandon our position.",
    "We will stand our ground here, in these streets, until the last day.",
    "We made mistakes, and I take full responsibility for the losses.",
    "The situation at the front is difficult, and I will not pretend otherwise.",
    "Sales fell short of our expectations this quarter and we have to be honest about that.",
    "Our brave soldiers are doing an extraordinary job and the whole nation is proud of them.",
    "I fully support the minister's decision and the team that carried it out.",
    "The new hospital will open in the spring with three hundred beds.",
    "The committee will meet again on 4 March to review the figures.",
    "According to the ministry, 1,240 people are registered as missing and 38 have been confirmed dead.",
    "The company reported revenue of 2.3 billion dollars, up four percent on the previous year.",
    "We are deeply concerned by the reports of civilian casualties and call for an independent inquiry.",
    "The regime in the capital is a gang of thieves and murderers.",
    "These criminals have destroyed everything our grandparents built.",
    "If we do nothing, our children will inherit a country in ruins.",
    "Everyone knows the election was stolen, and everyone knows who stole it.",
    "There are only two choices: stand with us or stand with the terrorists.",
    "Freedom, dignity, the nation: that is what is at stake on Sunday.",
    "The central bank will keep interest rates unchanged for now.",
    "Talks resumed in Geneva on Tuesday, a spokesman said.",
    "It's over. They lost.",
    "Lies.",
    "No comment.",
    "We are winning.",
    "The enemy suffered heavy losses in equipment and personnel, and several of its units were surrounded "
    "and forced to withdraw. Our forces continue to advance along the entire front line.",
    "I want to thank the rescue teams who worked through the night. The water is still rising in the "
    "lower districts, and residents there should leave their homes now and follow the evacuation routes.",
    "Let me be clear: the government has no intention of raising taxes on working families, and anyone "
    "who says otherwise is trying to frighten people for political gain. We have a plan, it is funded, "
    "and it will be delivered on time.",
    "The strike will continue until management agrees to a fair deal. We did not want this, but after "
    "six months of broken promises our members have run out of patience.",
    "The army's command said its troops were still holding positions near the river, while the rebels "
    "claimed full control of the district.",
    "L'accord est une bonne nouvelle pour la région, a déclaré la ministre.",
    "Die Regierung weist die Vorwürfe entschieden zurück.",
    "Prices rose 3.1% in October (after 2.9% in September); food and energy led the increase.",
)

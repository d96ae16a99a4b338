"""The English word lists of extraction, as data: speech verbs, role words, titles, pronouns.

Every list is generic (nothing here names a person, outlet or article). Rules read them; to
teach the extractor a new speech verb or role word, add it here.
"""

from __future__ import annotations

import re

# Titles and role words dropped from the front of a name ("Defence Minister Lee" -> "Lee").
NAME_TITLES = frozenset(
    """
    mr mrs ms miss dr prof sir dame president vice prime minister secretary general gen
    admiral adm lt col maj capt sgt cmdr lieutenant colonel major captain sergeant commander
    ambassador chairman chairwoman chair director chief senator sen rep representative
    governor gov mayor judge justice spokesperson spokesman spokeswoman former acting retired
    deputy foreign defence defense unification national security state army navy air force
    king queen prince princess premier chancellor envoy adviser advisor councillor councilor
    councilman councilwoman the
    """.split()
)

# Abbreviations whose full stop does not end a sentence (segmentation).
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof gen lt col maj capt sgt adm cmdr sen rep gov pres st jr sr no nos vs
    etc inc corp co ltd dept fig jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
CAN_END_SENTENCE = frozenset("etc inc corp co ltd".split())
SENTENCE_STARTERS = frozenset(
    """the a an he she it they we i you his her its their this that these those but and or so
    yet however in on at as after before when while if since although though there here""".split()
)

SPEECH_LEMMAS = frozenset(
    """
    say tell note urge ask warn stress express believe call state add announce claim argue
    insist emphasize emphasise remark reiterate reaffirm affirm declare describe explain
    suggest propose predict hope think caution criticize criticise praise welcome acknowledge
    admit confirm deny accuse vow pledge promise demand appeal voice highlight comment write
    tweet report echo clarify recognize recognise dismiss question doubt fear expect oppose
    reject reply answer mention signal indicate assert maintain contend recall assess
    underline underscore repeat proclaim concede complain lament condemn denounce slam hail
    applaud endorse support advocate recommend advise request press assure allege counter
    retort observe reveal disclose inform testify concur agree want wish worry hint
    decry spout push seek pursue resist talk
    """.split()
)
RELAY_LEMMAS = frozenset("say tell state report add announce write confirm quote relay".split())
SPEECH_NOUNS = frozenset(
    "comment remark statement word message speech address letter interview".split()
)
STATEMENT_NOUNS = frozenset("statement transcript release readout communique".split())
DOCUMENT_NOUNS = STATEMENT_NOUNS | frozenset(
    "report document survey data analysis translation text version poll study".split()
)
ROLE_GROUPS: dict[str, str] = {
    **dict.fromkeys("president leader premier chancellor king queen".split(), "leader"),
    **dict.fromkeys(
        "minister secretary chief head director adviser advisor commissioner".split(), "chief"
    ),
    **dict.fromkeys("spokesperson spokesman spokeswoman".split(), "spokesperson"),
    **dict.fromkeys("ambassador envoy representative diplomat".split(), "envoy"),
    **dict.fromkeys("general admiral commander chairman officer".split(), "military"),
    **dict.fromkeys("senator lawmaker congressman congresswoman legislator".split(), "lawmaker"),
    **dict.fromkeys("analyst expert professor researcher scholar".split(), "expert"),
    "official": "official",
}
RELATIONAL_NOUNS = frozenset("sister brother wife husband son daughter mother father aide".split())
HUMAN_NOUNS = frozenset(
    """
    official people person observer source critic government administration ministry office
    agency committee council country nation ally side party group military army police media
    negotiator citizen resident voter activist journalist reporter newspaper department
    parliament congress senate court union organisation organization company regime camp team
    delegation bloc alliance coalition opposition public community authority cabinet
    presidency leadership supporter opponent proponent backer skeptic sceptic detractor
    advocate
    """.split()
) | frozenset(ROLE_GROUPS) | RELATIONAL_NOUNS
LEADER_BODIES = frozenset("administration government".split())
PERSON_TITLES = frozenset(
    """mr mrs ms dr prof president general gen admiral adm ambassador minister secretary
    senator sen rep governor gov spokesperson spokesman spokeswoman chairman director
    envoy mayor judge chancellor premier commissioner councillor councilor""".split()
)
ROLE_WORD_FORMS = {
    "us": "us", "u.s.": "us", "u.s": "us", "american": "us", "america": "us",
    "korean": "korea", "chinese": "china", "japanese": "japan", "russian": "russia",
    "defense": "defence", "gen.": "general", "adm.": "admiral",
}
PERSON_PRONOUNS = frozenset("he she him her".split())
GROUP_PRONOUNS = frozenset("they them".split())
FIRST_PERSON = frozenset("i we".split())
RELATIVE_PRONOUNS = frozenset("who which that whom".split())
LEADING_DETERMINERS = frozenset("the a an some many most several other both all".split())
CLAUSE_CONJUNCTIONS = frozenset("but while whereas and".split())
LEADING_CONTRASTS = frozenset("while whereas".split())  # "While X ..., Y ...": two claims
FIRST_PERSON_TEXT = re.compile(r"\b(?:I|I['’]m|I['’]ve|me|my|we|We|us|our|Our|you|You|your)\b")

# Countries as speakers: (adjective, label, names and seats of government that stand for it).
# The labels follow the labeling guide ("Seoul" acting as a government is "South Korean
# government"; "Washington", "the White House" are "U.S. government"; "Pyongyang" is "North
# Korea"); a user's alias table, when given, has the last word.
COUNTRIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("U.S.", "U.S. government", ("united states", "us", "usa", "america", "washington",
                                 "white house", "us government", "american government",
                                 "us administration")),
    ("South Korean", "South Korean government", ("south korea", "seoul", "rok",
                                                 "republic of korea", "south korean government",
                                                 "south korea government")),
    ("North Korean", "North Korea", ("north korea", "pyongyang", "dprk", "the north",
                                     "north korean government", "north korean regime",
                                     "north koreans")),
    ("Chinese", "China", ("china", "beijing", "chinese government", "prc")),
    ("Japanese", "Japan", ("japan", "tokyo", "japanese government")),
    ("Russian", "Russia", ("russia", "moscow", "kremlin", "russian government")),
)
# Modal verbs that make a speech verb a wish or a possibility, not a report ("X should
# declare", "some may think").
NON_REPORT_MODALS = frozenset("should must ought could might may would".split())
# Adjectives that state a stance with "be": "X has been critical of", "X is wary of".
STANCE_ADJECTIVES = frozenset(
    """critical wary skeptical sceptical supportive opposed keen eager reluctant cautious
    adamant insistent hopeful optimistic pessimistic doubtful dismissive favorable favourable
    receptive open vocal""".split()
)
# Nouns that stand for their members: "a group of lawmakers" is the lawmakers.
GROUP_OF_NOUNS = frozenset("group number coalition bloc handful dozen team delegation".split())
# Texts that speak for whoever wrote, signed or sponsored them.
AUTHORED_NOUNS = frozenset(
    """letter bill act legislation resolution measure amendment petition op-ed editorial
    proposal declaration motion""".split()
)
# Verbs of writing or sponsoring a text ("X introduced the bill", "signed by X").
AUTHORSHIP_LEMMAS = frozenset(
    "write sign introduce reintroduce sponsor cosponsor co-sponsor author draft send pen "
    "table propose submit file".split()
)
# Verbs of putting a text out: "the report, released by X".
PUBLICATION_LEMMAS = AUTHORSHIP_LEMMAS | frozenset("release publish issue produce".split())
# Role words of a text's author: "the lead sponsor is X".
AUTHOR_ROLES = frozenset("sponsor cosponsor co-sponsor author signatory drafter".split())
# Verbs that report what someone said, as opposed to what they think or understand: in
# an opinion piece, "X insists that ..." is X's claim, "X understands ..." the writer's account.
REPORT_LEMMAS = frozenset(
    """say tell urge insist warn announce state declare claim argue propose ask demand stress
    note add write tweet decry reject oppose criticize criticise condemn denounce call
    reiterate emphasize emphasise vow pledge promise suggest predict accuse deny counter
    retort reply respond maintain contend allege describe be spout talk hope""".split()
)
# Nouns of a held position: "Washington's position that ..." is Washington's.
POSITION_NOUNS = frozenset("position stance view stand belief insistence demand".split())
# Forms spaCy's English lemmatizer gets wrong ("hoping" -> "hop"), by form.
LEMMA_FIXES = {"hoping": "hope", "hopes": "hope"}
# Verbs of a reporter's reading of an actor: "X seems to ...", "X appears to ...".
ANALYSIS_LEMMAS = frozenset("seem appear".split())
# Main verbs that state their subject's position, intent or belief: "The council wants ...",
# "Critics oppose ...", "Analysts fear ..." is the subject's position, in an opinion piece too.
POSITION_LEMMAS = frozenset(
    """want seek support oppose back resist reject push propose pledge vow insist decry
    condemn denounce welcome favor favour urge endorse advocate demand fear worry doubt believe
    expect""".split()
)
# Nouns of a commitment carried by the main verb: "X arrived with a promise to ...".
PLEDGE_NOUNS = frozenset("pledge vow promise commitment call".split())
# Nouns of a concern with its content: "concerns among X that ..." is X's claim.
CONCERN_NOUNS = frozenset(
    """concern worry fear doubt objection criticism skepticism scepticism misgiving
    reservation""".split()
)
# Verbs that voice a concern: "X aired doubts that ...".
VOICING_LEMMAS = frozenset("raise voice express air share have".split())
# Holders too vague to name, who are then the concern's critics: "voices in the fishing
# trade", "the Norwegian-American community" ("Norwegian-American critics").
VAGUE_HOLDERS = frozenset("voice community circle quarter".split())
# Groups named by a synonym of a canonical label (the labeling guide's "Analysts"):
# "observers and analysts said" is "Analysts".
GROUP_SYNONYMS = {"observers": "analysts", "watchers": "analysts", "pundits": "analysts"}

"""Speaker identity: romanization-aware names, states and bodies, one name per speaker."""

from __future__ import annotations

import json

from hypothesis import assume, given
from hypothesis import strategies as st

from stancekit.extraction.identity import (
    complete_name,
    identify,
    link_in_article,
    resolve_speakers,
)
from stancekit.extraction.lexicon import NAME_TITLES
from stancekit.extraction.names import (
    COUNTRIES,
    AliasTable,
    body_key,
    is_korean_name,
    person_keys,
    same_person,
)
from stancekit.records import Article, Claim

# -- romanization: property tests over generated Korean names

INITIALS = ["", "k", "g", "n", "d", "t", "r", "m", "b", "p", "s", "j", "ch", "h"]
# Each vowel with the spellings romanizations give it; spellings of one vowel are one vowel.
VOWELS = [["a"], ["i"], ["ae", "e"], ["eo", "o", "u"], ["u", "oo", "ou"], ["yeo", "yo", "you"],
          ["eu", "u"], ["wa"], ["ya"]]
FINALS = ["", "n", "ng", "l", "k", "m"]
# Vowels whose spellings fold to different forms: syllables differing in them differ.
DISTINCT_VOWELS = [["a"], ["i"], ["ae", "e"], ["eo", "o", "u"], ["wa"], ["ya"]]


@st.composite
def syllable(draw, vowels=VOWELS):
    """(initial, spellings of the vowel, final): one Korean syllable, spelled several ways."""
    return draw(st.sampled_from(INITIALS)), draw(st.sampled_from(vowels)), draw(
        st.sampled_from(FINALS))


@st.composite
def spelled(draw, syl):
    initial, spellings, final = syl
    return initial + draw(st.sampled_from(spellings)) + final


@st.composite
def rendering(draw, family, given_name):
    """One way of writing a Korean name: spellings, joins and the order of the names."""
    fam = draw(spelled(family)).capitalize()
    parts = [draw(spelled(s)) for s in given_name]
    safe_to_join = all(p2[0] not in "aeiouwy" for p2 in parts[1:])
    join = draw(st.sampled_from(["-", " "] + ([""] if safe_to_join else [])))
    given_text = join.join(parts) if join != " " else " ".join(p.capitalize() for p in parts)
    given_text = given_text[0].upper() + given_text[1:]
    name = draw(st.sampled_from([f"{fam} {given_text}", f"{given_text} {fam}"]))
    assume(name.split()[0].lower() not in NAME_TITLES)  # "King A-a" would be read as a title
    return name


@given(st.data(), syllable(), st.lists(syllable(), min_size=2, max_size=2))
def test_every_rendering_of_a_korean_name_is_one_person(data, family, given_name):
    a = data.draw(rendering(family, given_name))
    b = data.draw(rendering(family, given_name))
    assert same_person(a, b), (a, b)


@given(st.data(), syllable(DISTINCT_VOWELS),
       st.lists(syllable(DISTINCT_VOWELS), min_size=2, max_size=2),
       st.lists(syllable(DISTINCT_VOWELS), min_size=2, max_size=2))
def test_people_sharing_only_a_family_name_stay_apart(data, family, first, second):
    def folded(syllables):  # the letters of the syllables, each vowel in one spelling
        return "".join(i + {"eo": "u", "ae": "e"}.get(v[0], v[0]) + f for i, v, f in syllables)

    fam, one, two = folded([family]), folded(first), folded(second)
    assume(one != two)  # "A-na" and "An-a" are the same letters
    assume(fam not in one and fam not in two and one not in fam and two not in fam)
    a = data.draw(rendering(family, first))
    b = data.draw(rendering(family, second))
    assert not same_person(a, b), (a, b)


@given(st.text(st.sampled_from("abeghijklmnostuy -"), max_size=24),
       st.text(st.sampled_from("abeghijklmnostuy -"), max_size=24))
def test_same_person_is_symmetric(a, b):
    assert same_person(a.title(), b.title()) == same_person(b.title(), a.title())


@given(st.data(), syllable(), st.lists(syllable(), min_size=2, max_size=2),
       st.sampled_from(["President", "Minister", "Gen.", "Ambassador"]))
def test_titles_do_not_change_a_person(data, family, given_name, title):
    name = data.draw(rendering(family, given_name))
    assert same_person(f"{title} {name}", name)


def test_examples_of_variants_and_of_different_people():
    assert same_person("Kim Jong Un", "Kim Jong-un")
    assert same_person("Chung-in Moon", "Moon Chung-in")
    assert same_person("Han Suk Yeol", "Han Seok-youl")
    assert same_person("Lee Jae Myung", "Lee Jaemyung")
    assert same_person("Antony Blinken", "Antony Blinkin")  # one slip in a long word
    assert same_person("Harry B. Harris", "Harry Harris")
    assert not same_person("Moon Jae-in", "Moon Chung-in")
    assert not same_person("Kim Jong-un", "Kim Jong-il")
    assert not same_person("Lee Jae-myung", "Lee Jae-yung")  # no slips in Korean names
    assert not same_person("John Smith", "Joan Smith")
    assert not same_person("Donald Trump", "Donald Trump Jr.")
    assert not same_person("Moon", "Moon Jae-in")  # a surname alone is not a full name
    assert is_korean_name("Kim Yo-jong") and not is_korean_name("Tom Hardwick")
    assert person_keys("Kim Jong Un") & person_keys("Jong-un Kim")


def test_body_keys_read_the_country():
    assert body_key("Seoul") == body_key("South Korea") == body_key("the South Korean government")
    assert body_key("Washington") == body_key("the U.S.") == "state:United States"
    assert body_key("Ministry of Foreign Affairs") == body_key("the Foreign Ministry")
    assert body_key("South Korea's Unification Ministry") == body_key(
        "Ministry of Unification of South Korea")
    assert body_key("U.S. officials") == body_key("American officials")
    assert body_key("Moon Jae-in") is None and body_key("George Washington") is None


def test_every_form_of_a_country_is_its_state():
    for country, (adjective, others, seats) in COUNTRIES.items():
        for form in (country, f"the {country}", *others, *seats, f"{adjective} government"):
            assert body_key(form) == f"state:{country}", form


# -- one canonical name across a corpus


def test_most_frequent_full_form_is_canonical():
    identity = resolve_speakers(["Kim Jong Un", "Kim Jong-un", "Kim Jong-un", "Jong-un Kim",
                                 "Moon Jae-in", "Moon Chung-in", "Moon"])
    assert identity.canonical("Kim Jong Un") == "Kim Jong-un"
    assert identity.canonical("Jong-un Kim") == "Kim Jong-un"
    assert identity.aliases("Kim Jong-un") == ["Jong-un Kim", "Kim Jong Un"]
    assert identity.canonical("Moon Chung-in") == "Moon Chung-in"
    assert identity.canonical("Moon") == "Moon"  # which Moon? not merged across articles
    assert identity.canonical("Kim Jong-Un") == "Kim Jong-un"  # unseen, found by its key


def test_merges_round_trip_through_an_alias_table(tmp_path):
    identity = resolve_speakers(["Kim Jong Un", "Kim Jong-un", "Kim Jong-un", "Seoul"])
    records = identity.alias_records()
    assert records == [{"name": "Kim Jong-un", "aliases": ["Kim Jong Un"]},
                       {"name": "South Korea", "aliases": ["Seoul"]}]
    table = tmp_path / "speakers.jsonl"
    table.write_text("".join(json.dumps(r) + "\n" for r in records))
    again = resolve_speakers(["Kim Jong Un", "Seoul"], AliasTable.from_jsonl(table))
    assert again.rewrite("Kim Jong Un; Seoul") == "Kim Jong-un; South Korea"


def test_hyphenated_spelling_wins_a_tie_and_titles_go():
    identity = resolve_speakers({"President Lee Jae Myung": 2, "Lee Jae-myung": 2})
    assert identity.canonical("President Lee Jae Myung") == "Lee Jae-myung"


def test_states_merge_under_their_own_name():
    identity = resolve_speakers(["Seoul", "Seoul", "South Korea", "Pyongyang"])
    assert identity.canonical("Seoul") == "South Korea"
    assert identity.canonical("Pyongyang") == "North Korea"  # only ever named by its capital


def test_alias_table_names_the_speaker(tmp_path):
    table = tmp_path / "speakers.jsonl"
    table.write_text(json.dumps({"name": "South Korean government", "aliases": ["Seoul"]}) + "\n")
    identity = resolve_speakers(["Seoul", "South Korea", "South Korea"],
                                AliasTable.from_jsonl(table))
    assert identity.canonical("South Korea") == "South Korean government"
    assert identity.canonical("Seoul") == "South Korean government"


def test_rewrite_keeps_narrator_and_author_and_dedupes_joint_speakers():
    identity = resolve_speakers(["Kim Jong-un", "Kim Jong Un", "Seoul", "South Korea"])
    assert identity.rewrite("Kim Jong Un; Kim Jong-un") == "Kim Jong-un"
    assert identity.rewrite("narrator") == "narrator"
    assert identity.rewrite("author:Daily Wire") == "author:Daily Wire"
    assert identity.rewrite("") == ""


# -- within one article

TEXT = ("Talks stalled. Unification Minister Park Ha-neul met President Joon Ro on Friday. "
        "The Korean Committee for Fair Trade (KCFT) asked for more. The North said nothing, "
        "while North Korea's envoy left. South Korea's Unification Ministry said talks go on.")


def test_surname_acronym_compass_and_country_completed_from_the_text():
    assert complete_name("Park", TEXT) == "Park Ha-neul"
    assert complete_name("Ro", TEXT) == "Joon Ro"
    assert complete_name("KCFT", TEXT) == "Korean Committee for Fair Trade"
    assert complete_name("North", TEXT) == "North Korea"
    assert complete_name("the Unification Ministry", TEXT) == (
        "South Korean Unification Ministry")
    assert complete_name("narrator", TEXT) == "narrator"
    assert complete_name("Analysts", "Analysts of America and U.S. analysts agree.") == "Analysts"


def test_acronyms_only_as_the_text_introduces_them():
    text = "Under Secretary Bob Lane met the Fair Trade Board (FTB) in the US. The FTB agreed."
    assert complete_name("FTB", text) == "Fair Trade Board"
    assert complete_name("US", text) == "US"  # a state, not "Under Secretary"
    assert complete_name("NATO", text) == "NATO"  # never spelled out here


def test_sentence_openers_are_not_part_of_a_name():
    text = "Donald Trump spoke first. Yesterday Trump said more. Later Trump left."
    assert complete_name("Trump", text) == "Donald Trump"


def test_a_lone_surname_joins_the_one_person_of_the_corpus_who_bears_it():
    identity = resolve_speakers(["Walter Brandt", "Brandt", "Brandt", "Oduya",
                                 "Grace Oduya", "Peter Oduya", "Lindqvist", "Moon", "Moon Jae-in"])
    assert identity.canonical("Brandt") == identity.canonical("Walter Brandt")
    assert identity.canonical("Oduya") == "Oduya"  # two people named Oduya: which one?
    assert identity.canonical("Lindqvist") == "Lindqvist"  # nobody of that name in full
    assert identity.canonical("Moon") == "Moon"  # a Korean family name is never linked


def test_two_people_with_one_surname_leave_it_alone():
    text = "Moon Jae-in met Moon Chung-in. Moon said the talks went well."
    assert complete_name("Moon", text) == "Moon"


def test_link_in_article_rewrites_speaker_and_via():
    claim = Claim("a-001", "a", 0, 6, "Talks", "Park", via="KCFT")
    linked = link_in_article([claim], TEXT)[0]
    assert (linked.speaker, linked.via) == ("Park Ha-neul", "Korean Committee for Fair Trade")


def test_identify_rewrites_the_stream_after_the_last_article():
    first = Article("a", "Kim Jong Un spoke.", title="x")
    second = Article("b", "Kim Jong-un spoke. Kim Jong-un left.", title="y")
    results = [(first, [Claim("a-001", "a", 0, 18, first.text, "Kim Jong Un")]),
               (second, [Claim("b-001", "b", 0, 18, "Kim Jong-un spoke.", "Kim Jong-un"),
                         Claim("b-002", "b", 19, 36, "Kim Jong-un left.", "Kim Jong-un")])]
    out = list(identify(results))
    assert [a.id for a, _ in out] == ["a", "b"]
    assert {c.speaker for _, claims in out for c in claims} == {"Kim Jong-un"}
    assert out[0][0] == first

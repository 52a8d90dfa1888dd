"""Tests for stance.quotes: the Kursk fixture and one focused case per extraction pattern."""

from __future__ import annotations

from pathlib import Path

import pytest

from stance._segment import quote_spans
from stance.quotes import ExtractedQuote, extract_quotes

KURSK = Path(__file__).parent / "fixtures" / "kursk-article.txt"


def _check_offsets(text: str, quotes: list[ExtractedQuote]) -> None:
    for q in quotes:
        assert text[q.start : q.end] == q.text
        assert q.context_start <= q.start and q.end <= q.context_end
        if q.speaker_start is not None:
            assert text[q.speaker_start : q.speaker_end] == q.speaker
        if q.cue_start is not None:
            assert text[q.cue_start : q.cue_end] == q.cue


def _find(quotes: list[ExtractedQuote], fragment: str) -> ExtractedQuote:
    hits = [q for q in quotes if fragment in q.text]
    assert hits, f"no quote containing {fragment!r} in {[q.text for q in quotes]}"
    return hits[0]


def _one(text: str) -> ExtractedQuote:
    quotes = extract_quotes(text)
    _check_offsets(text, quotes)
    assert len(quotes) == 1, quotes
    return quotes[0]


@pytest.fixture(scope="module")
def kursk() -> tuple[str, list[ExtractedQuote]]:
    text = KURSK.read_text(encoding="utf-8")
    return text, extract_quotes(text)


def test_kursk_offsets(kursk: tuple[str, list[ExtractedQuote]]) -> None:
    _check_offsets(*kursk)


def test_kursk_putin_direct(kursk: tuple[str, list[ExtractedQuote]]) -> None:
    q = _find(kursk[1], "The Kyiv regime’s adventure has completely failed")
    assert (q.speaker, q.cue, q.kind) == ("Mr Putin", "told", "direct")
    assert (q.context_start, q.context_end) == (q.start, q.end)


def test_kursk_chief_of_staff_direct_with_nested_single_quotes(
    kursk: tuple[str, list[ExtractedQuote]],
) -> None:
    q = _find(kursk[1], "Statements by the enemy leadership about the 'defeat' of the Ukrainian troops")
    assert q.text.endswith("nothing more than propaganda tricks")
    assert (q.speaker, q.kind) == ("Ukraine’s chief of staff", "direct")


def test_kursk_difficult_is_partial_with_sentence_context(kursk: tuple[str, list[ExtractedQuote]]) -> None:
    text, quotes = kursk
    q = _find(quotes, "difficult")
    assert (q.text, q.kind, q.speaker, q.cue) == (
        "difficult",
        "partial",
        "Ukraine’s chief of staff",
        "acknowledged",
    )
    assert text[q.mention_start : q.mention_end] == "he"
    context = text[q.context_start : q.context_end]
    assert (
        context
        == 'Nevertheless, he acknowledged that battlefield conditions in Kursk remained "difficult" amid recent Russian advances.'
    )


@pytest.mark.parametrize("fragment", ["heroism", "provided significant assistance"])
def test_kursk_gerasimov_partials(kursk: tuple[str, list[ExtractedQuote]], fragment: str) -> None:
    text, quotes = kursk
    q = _find(quotes, fragment)
    assert (q.text, q.kind, q.speaker) == (fragment, "partial", "Mr Gerasimov")
    assert text[q.mention_start : q.mention_end] == "He"
    assert text[q.context_start : q.context_end].startswith("He praised the “heroism”")


def test_kursk_kremlin(kursk: tuple[str, list[ExtractedQuote]]) -> None:
    q = _find(kursk[1], "resume negotiations with Ukraine without any preconditions")
    assert (q.speaker, q.cue, q.kind) == ("the Kremlin", "reiterated", "partial")


def test_said_x() -> None:
    q = _one('"We will win," said Mr Smith.')
    assert (q.text, q.speaker, q.cue, q.kind, q.start) == ("We will win", "Mr Smith", "said", "direct", 1)
    assert (q.speaker_start, q.speaker_end) == (20, 28)


def test_x_said_with_curly_quotes() -> None:
    q = _one("“We will win,” Mr Smith said.")
    assert (q.text, q.speaker, q.cue, q.start, q.end) == ("We will win", "Mr Smith", "said", 1, 12)


def test_told_takes_the_subject_not_the_listener() -> None:
    q = _one('"It failed," Mr Putin told Mr Gerasimov.')
    assert (q.speaker, q.cue) == ("Mr Putin", "told")


def test_according_to() -> None:
    q = _one('According to the minister, "the deal is done."')
    assert (q.text, q.speaker, q.cue) == ("the deal is done.", "the minister", "According to")


def test_colon_after_speaker() -> None:
    q = _one('Mr Smith: "We will win."')
    assert (q.text, q.speaker, q.cue, q.kind) == ("We will win.", "Mr Smith", None, "direct")


def test_quote_over_several_paragraphs() -> None:
    text = 'Mr Smith said: "First paragraph.\n\n"Second paragraph."\n\nThe end came.'
    q = _one(text)
    assert q.text == 'First paragraph.\n\n"Second paragraph.'
    assert (q.start, q.end, q.speaker) == (16, 52, "Mr Smith")


def test_nested_single_quotes_stay_inside() -> None:
    q = _one("\"He called it 'a disaster' today,\" Ms Jones said.")
    assert (q.text, q.speaker) == ("He called it 'a disaster' today", "Ms Jones")


def test_pronoun_resolves_to_last_named_speaker() -> None:
    text = 'Mr Smith said the vote was close. "We will win," he said.'
    quotes = extract_quotes(text)
    _check_offsets(text, quotes)
    q = _find(quotes, "We will win")
    assert (q.speaker, q.speaker_start, q.speaker_end) == ("Mr Smith", 0, 8)
    assert text[q.mention_start : q.mention_end] == "he"


def test_role_resolves_to_last_named_holder() -> None:
    text = 'Foreign minister Anna Berg said talks were over. "We are done," the minister said.'
    q = _find(extract_quotes(text), "We are done")
    assert q.speaker == "Foreign minister Anna Berg"


def test_indirect_speech_with_that() -> None:
    q = _one("The minister insisted that the talks would continue.")
    assert (q.text, q.kind, q.speaker, q.cue) == (
        "the talks would continue",
        "indirect",
        "The minister",
        "insisted",
    )
    assert (q.context_start, q.context_end) == (q.start, q.end)


def test_indirect_speech_reported_clause_first() -> None:
    q = _one("The economy is growing faster than expected, the minister said.")
    assert (q.text, q.kind, q.speaker) == (
        "The economy is growing faster than expected",
        "indirect",
        "the minister",
    )


def test_scare_quotes_without_cue_are_dropped() -> None:
    assert extract_quotes('The film "Top Gun" opened on Friday.') == []


def test_unattributed_quote_keeps_speaker_none() -> None:
    q = _one('"Nobody knows what happens next."')
    assert (q.kind, q.speaker, q.cue) == ("direct", None, None)


def test_rejects_non_string() -> None:
    with pytest.raises(TypeError, match="expects the article as a str, got list"):
        extract_quotes(["not", "a", "string"])  # type: ignore[arg-type]


# Trimming the reporting sentence's punctuation


def test_trailing_comma_belongs_to_the_reporting_sentence(kursk: tuple[str, list[ExtractedQuote]]) -> None:
    q = _find(kursk[1], "The Kyiv regime’s adventure has completely failed")
    assert q.text == "The Kyiv regime’s adventure has completely failed"
    assert kursk[0][q.end : q.end + 2] == ",”"


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ('"Will we win?" Mr Smith asked.', "Will we win?"),
        ('"We will win!" Mr Smith said.', "We will win!"),
        ('Mr Smith said: "We will win."', "We will win."),
        ('"We will win —" Mr Smith said, before he was cut off.', "We will win"),
    ],
)
def test_a_quotes_own_punctuation_stays(text: str, quote: str) -> None:
    assert _one(text).text == quote


# Speaker patterns


def _speaker(text: str, fragment: str) -> ExtractedQuote:
    quotes = extract_quotes(text)
    _check_offsets(text, quotes)
    return _find(quotes, fragment)


def test_signature_after_a_dash() -> None:
    text = "“He is trying to divide our communities.” ― Carlos Raúl\n“The most unqualified child.” ― Francisco Herrero."
    assert _speaker(text, "divide our").speaker == "Carlos Raúl"
    q = _speaker(text, "unqualified")
    assert (q.speaker, q.cue) == ("Francisco Herrero", None)


def test_speaker_between_quote_and_cue_with_an_appositive() -> None:
    text = '"It is an invasion," Scott Pruitt, the attorney general of Oklahoma, said at a Washington event.'
    assert _one(text).speaker == "Scott Pruitt"


def test_speaker_description_between_quote_and_cue() -> None:
    q = _one("“If he thinks that makes him smart,” a narrator in the Clinton ad asks.")
    assert (q.speaker, q.cue) == ("a narrator in the Clinton ad", "asks")


def test_appositive_subject_is_not_replaced_by_the_clause_after_said() -> None:
    text = 'Tad Devine, Sanders\' senior media adviser, said Republicans are engaged in misguided "mischief."'
    assert _one(text).speaker == "Tad Devine"


def test_inverted_speaker_inside_the_sentence() -> None:
    text = 'The paradox of Nancy, says Carl Anthony, historian at the library, is that she was "one of the most powerful first ladies."'
    assert _speaker(text, "most powerful").speaker == "Carl Anthony"


def test_relative_pronoun_resolves_to_its_antecedent() -> None:
    text = 'The talks were led by Gov. Chris Christie, who called the mayor a "liar" on Friday.'
    q = _speaker(text, "liar")
    assert q.speaker == "Gov. Chris Christie"
    assert text[q.mention_start : q.mention_end] == "who"


def test_object_of_the_subject_does_not_speak_for_a_participle_cue() -> None:
    text = 'On Saturday, Trump issued a statement saying that Scalia was "a remarkable person and a brilliant justice."'
    assert _speaker(text, "remarkable").speaker == "Trump"


def test_introductory_phrase_is_skipped_to_find_the_subject() -> None:
    text = 'In a statement released Thursday, Rep. Hakeem Jeffries reacted to the news, saying: "The killer should be in prison."'
    assert _speaker(text, "killer").speaker == "Rep. Hakeem Jeffries"


def test_dates_are_not_speakers() -> None:
    text = 'Trump unleashed a series of tweets early Friday saying that Clinton used Machado "as a paragon of virtue."'
    assert _speaker(text, "paragon").speaker == "Trump"


def test_dateline_is_not_the_subject() -> None:
    text = 'WASHINGTON — Sen. Chuck Grassley on Wednesday downplayed the attack and said it was "a wise Latina" moment.'
    assert _speaker(text, "wise Latina").speaker == "Sen. Chuck Grassley"


def test_contracted_pronoun_is_resolved() -> None:
    text = (
        'Mr Smith said the vote was close. He’s claiming that fraud is "a big, big problem in this country."'
    )
    q = _speaker(text, "big problem")
    assert q.speaker == "Mr Smith"
    assert text[q.mention_start : q.mention_end] == "He’s"


def test_she_resolves_to_the_last_female_speaker() -> None:
    text = 'Hillary Clinton said she would win. Donald Trump said he would win. "We are ready," she said.'
    assert _speaker(text, "We are ready").speaker == "Hillary Clinton"


@pytest.mark.parametrize(
    ("text", "speaker", "cue"),
    [
        ('Mr Smith said hello. "Honestly," he went on, "we may be on the brink."', "Mr Smith", "went on"),
        (
            'As John Cornyn, the No. 2 in the GOP leadership, put it: "This will not happen."',
            "John Cornyn",
            "put it",
        ),
        ('"Go back to Univision," Trump barked.', "Trump", "barked"),
        ('"Denver," Chris Christie answered.', "Chris Christie", "answered"),
    ],
)
def test_more_reporting_verbs(text: str, speaker: str, cue: str) -> None:
    q = [q for q in extract_quotes(text) if q.kind == "direct"][0]
    assert (q.speaker, q.cue) == (speaker, cue)


def test_signature_on_its_own_line_with_a_hyphen() -> None:
    text = '"She never quits."\n\n-President Obama, tweeting after the speech.'
    q = _one(text)
    assert (q.speaker, q.cue) == ("President Obama", None)


def test_surname_ending_like_a_participle_beside_its_cue() -> None:
    q = _speaker("“This legislating from the bench has to stop,” Husted said.", "legislating")
    assert (q.speaker, q.cue) == ("Husted", "said")


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        (
            "“The drop is attributable to the emails,” said a person close to the Clintons.",
            "a person close to the Clintons",
        ),
        ("“The Clintons will find a way to corrupt it,” wrote one commenter.", "one commenter"),
        ("“Donald is an amazing leader,” said the 46-year-old.", "the 46-year-old"),
        ('"There won\'t be a path," said one of those advisers, who spoke anonymously.', "one"),
        ("“What if Trump had elocution lessons?” the 43-year-old asked in the video.", "the 43-year-old"),
    ],
)
def test_described_speaker_without_a_name(text: str, speaker: str) -> None:
    assert extract_quotes(text)[0].speaker == speaker


def test_more_verbs_before_their_speaker() -> None:
    q = _speaker(
        "“Our ideas of success are different,” agrees Michelle Stevens, 30, of Gainesville.", "ideas"
    )
    assert (q.speaker, q.cue) == ("Michelle Stevens", "agrees")


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ('"Congress has failed to act," it read.', "it"),
        ("“I am still Sanders,” the sign read.", "the sign"),
        ("The snarky headline reads: “Obama is not admitting 250,000 refugees.”", "The snarky headline"),
    ],
)
def test_what_a_sign_or_letter_reads(text: str, speaker: str) -> None:
    q = [q for q in extract_quotes(text) if q.kind == "direct"][0]
    assert (q.speaker, q.cue[:4]) == (speaker, "read")


def test_read_far_from_the_quote_is_no_cue() -> None:
    text = "The judge turned to me. “Mr. D’Souza?” I had prepared a short statement to read, but I spoke."
    assert _speaker(text, "D’Souza").cue is None


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        (
            "When Wallace died, President Clinton released the following statement:\n\n“We offer our condolences.”",
            "President Clinton",
        ),
        ("Trump gestured, then leaned in and boomed: “Let’s defeat her in November.”", "Trump"),
        (
            "TURNOUT IN IOWA - Michael P. McDonald: “At long last the contests have started.”",
            "Michael P. McDonald",
        ),
    ],
)
def test_clause_ending_in_a_colon_introduces_its_subject(text: str, speaker: str) -> None:
    assert _speaker(text, "").speaker == speaker


def test_according_to_is_the_outer_source() -> None:
    text = "“I ask you not to protest on the floor,” Sanders said, according to CNN. “It matters.”"
    assert [q.speaker for q in extract_quotes(text)] == ["CNN", "CNN"]
    text = "According to White House pool reports, Obama said “there is love” in Orlando."
    assert _speaker(text, "love").speaker == "White House pool reports"


def test_subject_of_the_reported_clause_is_not_the_speaker() -> None:
    text = "Wilson praised Rubio and said the Florida senator can “bring positive change” to Washington."
    assert _speaker(text, "positive change").speaker == "Wilson"


def test_said_of_names_the_topic() -> None:
    text = 'David Axelrod, the strategist, said of Sanders: "The question is, will he do the same?"'
    assert _speaker(text, "question").speaker == "David Axelrod"


def test_the_sender_speaks_for_a_message_to_listeners() -> None:
    text = 'His campaign sent a text message to supporters saying: "We were just declared the winner!"'
    assert _speaker(text, "declared").speaker == "His campaign"


def test_cue_after_a_comma_following_that() -> None:
    text = '"It is an embarrassment" if she wins by less than that, said David Wasserman, an analyst.'
    assert _speaker(text, "embarrassment").speaker == "David Wasserman"


def test_curly_marks_typed_the_wrong_way_round() -> None:
    text = "Costa asked. “Apparently not,“ he said. ”A leopard doesn’t change its spots,” he added."
    quotes = extract_quotes(text)
    assert [q.text for q in quotes] == ["Apparently not", "A leopard doesn’t change its spots"]


LINE_PER_SENTENCE = Path(__file__).parent / "fixtures" / "line-per-sentence-article.txt"


def test_quote_running_over_a_line_break_stays_whole() -> None:
    """One sentence per line (the PTC format): a quote over a line break was cut in two, its first half
    given the previous paragraph's speaker and its 'second half' the attribution clause itself."""
    text = LINE_PER_SENTENCE.read_text(encoding="utf-8")
    quotes = extract_quotes(text)
    _check_offsets(text, quotes)
    q = _find(quotes, "We have lived through worse")
    assert q.text.endswith("drive us out of our homes") and "\n" in q.text
    assert (q.speaker, q.cue, q.kind) == ("the 24-year-old", "said", "direct")
    assert not any("the 24-year-old said" in x.text for x in quotes)
    q = _find(quotes, "People here have lost everything")  # and over a paragraph break
    assert q.text.endswith("before they need speeches")
    assert (q.speaker, q.cue) == ("Governor Ana Reyes", "told")
    assert len([x for x in quotes if x.kind == "direct"]) == 2


def test_unclosed_quote_at_a_line_break_is_not_carried_into_the_next_quote() -> None:
    text = 'She said "we will see\nThen "no," he said.'
    spans = [text[a:b] for a, b in quote_spans(text)]
    assert spans == ["we will see", "no,"]


@pytest.mark.parametrize(
    ("text", "speaker", "cue"),
    [
        # nested reporting verbs: PolNeAR credits the outer source
        (
            'Mr Lane said that Ms Ortiz once called the plan "a gold-plated mistake" at a rally.',
            "Mr Lane",
            "said",
        ),
        (
            'Mayor Ruth Kim said the wave of closures demands "more patience" from everyone.',
            "Mayor Ruth Kim",
            "said",
        ),
        (
            'Ms Ortiz mocked the claim, saying anyone who complains about rain "has already lost."',
            "Ms Ortiz",
            "saying",
        ),
        # "they" resolved to the sentence's subject
        (
            'The Lane campaign contrasts it with what they call Ms Ortiz\'s "reckless budget."',
            "The Lane campaign",
            "call",
        ),
        # "my answer" is a noun, not the cue of the quote before it
        (
            'I laughed and said, "I will never believe it." She was upset, so I had to change my answer.',
            "I",
            "laughed",
        ),
        ('The senator\'s doctor is calling him "extremely fit."', "The senator's doctor", "calling"),
        ('"The gap is closing fast," reported Reuters.', "Reuters", "reported"),
    ],
)
def test_speaker_rules(text: str, speaker: str, cue: str) -> None:
    q = _one(text)
    assert (q.speaker, q.cue) == (speaker, cue)


def test_signature_followed_by_a_no_break_space() -> None:
    text = '"We stayed and we will stay."\u00a0― Ana Ruiz\u00a0\n"We left when the water came." ― Tom Bell\n'
    assert [q.speaker for q in extract_quotes(text)] == ["Ana Ruiz", "Tom Bell"]

"""Typed messages as people write them: danger first, requests acted on, places as context, honest refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from bot.app import Runtime
from bot.core.events import Reply
from bot.knowledge.danger import C, DangerFile, DangerModel
from bot.knowledge.intents import DANGER, Intents, IntentsFile
from bot.knowledge.ngrams import NGRAMS
from tests.helpers import ChatUser
from tests.understanding_eval import load_messages

HOTLINE = "(+995 32) 2 91 34 61"


def line_first(replies: list[Reply]) -> bool:
    """The 112 line itself leads, not an answer whose text names 112 (a passport kept)."""
    answer_first = any(b.data.startswith("q:y:") for row in replies[0].buttons for b in row)
    return "112" in replies[0].text and HOTLINE in replies[0].text and not answer_first


async def chat(rt: Runtime, name: str, lang: str | None) -> ChatUser:
    user = ChatUser(rt.engine, name)
    if lang:
        await user.tap(f"l:{lang}")
    return user


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "call me back please"),
    ("ka", "დამირეკეთ რა"),
    ("ka", "damireket ra, ar vici rogor davwero"),
    ("ru", "перезвоните мне"),
    # A number beside "call me" is a request, even after "how long must I wait?" or with a question mark.
    ("ru", "сколько можно ждать, позвоните уже наконец!!! 514 22 80 91"),
    ("ru", "звонок можно? не срочно, но голосом мне удобнее"),
    ("ka", "ზარი მომეცით რა"),
    ("ka", "რამდენი ხანი უნდა ველოდო? დამირეკეთ ბოლოს და ბოლოს 514 88 20 31"),
    # A Russian word in Georgian typed in Latin letters, as people in Georgia write.
    ("ka", "perezvonit shegidzliat? 514 98 76 54, xval dilit"),
    # A number written out in words is a number.
    ("en", "five nine nine, two one, four four, eight seven. thats me, ring when free"),
    ("ru", "мой номер пять девять девять, двенадцать, тридцать четыре, пятьдесят шесть, звоните вечером"),
    ("ka", "ხუთას ოთხმოცდაცხრამეტი, თორმეტი, ოცდათოთხმეტი, ორმოცდაექვსი, ეს ჩემი ნომერია"),
    # Two words beside the request are too few to read danger from.
    ("ka", "ukukavshiri minda telefonit"),
    ("ka", "zari momitxovet gtxovt internetis kargi kavshiri ar maqvs"),
])
async def test_asking_for_a_call_starts_the_callback_form(rt: Runtime, lang: str, text: str) -> None:
    user = await chat(rt, f"cb-{text}", lang)
    await user.say(text)
    data = [b.data for b in user.buttons]
    assert "cb:agree" in data, f"{text!r} should start the callback form, got {user.text!r}"
    assert "reference" not in user.text.lower(), "nothing may claim a request exists before one does"


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "how u know recruiter is scammer? they only talk on whatsapp and have no office"),
    ("en", "where i submit application for reintegration help, which office or can do online?"),
    ("en", "no need come in person right? everything can be done here by messages?"),
    # A remote consultation asked about ("video call") is no request to be called ("call? My aunt" read "call my").
    ("en", "Is it possible to do the whole consultation by phone or video call? My aunt has a disability and can't "
           "travel to your office."),
    # The same in Russian: "can't come to the office" is why she asks, not a request for one.
    ("ru", "мама инвалид, приехать в офис не сможет. консультируете по видеосвязи или по телефону? она в сачхере "
           "живёт"),
])
async def test_a_question_about_offices_or_calls_is_answered_not_acted_on(rt: Runtime, lang: str, text: str) -> None:
    user = await chat(rt, f"office-{text}", lang)
    replies = await user.say(text)
    data = [b.data for b in user.buttons]
    assert not any(r.venue for r in replies) and "cb:agree" not in data
    assert any(d.startswith("q:y:") for d in data)  # an answer, with the "helpful?" buttons


@pytest.mark.parametrize(("lang", "text"), [
    ("ka", "ჩემი ძმის გამო ლიბიიდან დაგვირეკეს და გვითხრეს, რომ დააკავეს. რა უნდა ვქნათ?"),
    ("ka", "მამაჩემი საბერძნეთშია, გუშინ დაგვირეკა და ყველაფერი რიგზეა. ვიზის გაგრძელება როგორ ხდება?"),
    ("ka", "ჩემმა გოგომ გუშინ დამირეკა, საბერძნეთში ბინადრობა მისცეს. მამამისი სტუმრად როგორ ჩავიდეს?"),
    ("ka", "dedam damireka italiidan, kargad aris. shvils ra sabutebi sWirdeba?"),
    ("en", "someone called my mom"), ("en", "he called her from the border yesterday, is that a good sign?"),
])
async def test_someone_who_called_us_is_told_about_not_a_request_to_be_called(rt: Runtime, lang: str,
                                                                             text: str) -> None:
    """"They called us" (დაგვირეკეს) shares its stem with "call us" (დაგვირეკეთ), "she called me" (დამირეკა) with
    "call me" (დამირეკეთ), "called my mom" with "call my mom": a story, not a callback form."""
    user = await chat(rt, f"called-us-{text}", lang)
    await user.say(text)
    assert not any(b.data.startswith("cb:") for b in user.buttons)
    assert "cb:" not in (await rt.engine.store.load_session(user.key) or {}).get("state", "")


@pytest.mark.parametrize("text", ["დაგვირეკეთ რა, დედაჩემს კონსულტაცია სჭირდება", "dagvireket ra",
                                  "ხომ ვერ დაგვირეკავდით?", "damireket ra", "ვინმე დამირეკავს?",
                                  "თქვენი იურისტი ხომ ვერ დამირეკავს?", "shegidzliat damirekot?"])
async def test_call_us_still_starts_the_callback_form(rt: Runtime, text: str) -> None:
    user = await chat(rt, f"call-us-{text}", "ka")
    await user.say(text)
    assert "cb:agree" in [b.data for b in user.buttons]


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "I already requested a callback yesterday and nobody called, what happens now?"),
    ("ka", "ზარის მოთხოვნა გავგზავნე აქ ჩატში. მერე რა იქნება, ვინ დამიკავშირდება და რაზე მელაპარაკებიან?"),
])
async def test_a_question_about_an_earlier_callback_is_answered_not_acted_on(rt: Runtime, lang: str,
                                                                             text: str) -> None:
    user = await chat(rt, f"cb-before-{lang}", lang)
    await user.say(text)
    assert "cb:agree" not in [b.data for b in user.buttons]


@pytest.mark.parametrize(("lang", "text"), [
    ("ru", "сыну угрожают, он заперт, помогите срочно"),
    ("ka", "saprtxeshi var, damexmaret"),
    ("en", "they took her phone and lock her in"),
    ("ka", "ჩემს დას ემუქრებიან და სახლიდან არ უშვებენ"),
    ("en", "i dont want to live anymore"),
    # Told only by details, two of them together: documents held and a threat.
    ("en", "we work on a fishing boat, the captain has our docs and says who complains goes in the water"),
    ("ka", "bossi pasportebs ar gvibrunebs sanam vals ar davfaravt"),
    # "Nothing serious" said before danger told in details: understatement, not calm.
    ("ru", "Ничего страшного, просто вопрос. Мы спим на стройке, ворота на ночь запирают на замок, паспорта у "
           "прораба в сейфе. Можно ли расторгнуть договор?"),
    ("en", "my cousin phoned from a stranger's phone, hers was taken, she sounded drugged, then the line went dead"),
    # No strength left and a balcony; creditors who broke a window and said "next time it's you".
    ("ru", "сил нет совсем, всё рухнуло. вчера долго стояла на балконе"),
    ("ka", "მევალეები მოვიდნენ სახლში, ფანჯარა ჩაგვიმტვრიეს"),
    # Danger told three ways outweighs "last year", which alone marks a story that is over.
    ("en", "we came back from italy last year and i want a grant for a cafe, but my sister is still in rome, her "
           "boss took her phone, doesnt let her leave the house and hits her"),
    # A threat by voice message; Georgian typed in Cyrillic letters, read by the danger model in Georgian script.
    ("ru", "бывший работодатель шлёт голосовые, что найдёт меня и порежет"),
    ("ka", "швили русетши цавида самушаод да ори квираа хма ар гвесмис, телефони гатишулиа"),
    # Russian typed in Latin letters with no function word to tell it by.
    ("ru", "podruga v Dubae, ee zastavlyayut rabotat s klientami, govoryat ty dolzhna 10 tysyach i nikuda ne uydesh"),
    ("ru", "sestru vezut v drugoj gorod protiv ee voli, ona uspela napisat tolko nazvanie zapravki i vse"),
    # "If you go to the police: we know your mother's house in Kutaisi" (a threat and where the family lives).
    ("ka", "მითხრეს თუ პოლიციაში მიხვალ ქუთაისში დედაშენის სახლი ვიცითო, ქუჩაც დამისახელეს"),
    # A goodbye told by putting one's affairs in order and thanking everyone.
    ("ka", "wignebi da tansacmeli dzmas davutove, agar damchirdeba. deda miuxedet chemi magivrad. madloba "
           "qvelafristvis"),
    # Grabbed by the throat, again.
    ("ka", "ყელზე ხელი მომიჭირა ისევ"),
    # Russian typed in Latin letters.
    ("ru", "pomogite pojaluista, muj b'et menya i detei, ya zakrylas v vannoi"),
    # A sister's goodbye passed on: her rings for the children, everyone's forgiveness, then silence.
    ("ru", "sestra zvonila iz germanii, skazala chtob ya zabrala ee kolca i otdala detyam, i chtob vse ee prostili. "
           "teper ne beret trubku"),
    # Literary Georgian: the employer refuses medical help and does not let her leave the workplace.
    ("ka", "ესპანეთში ვმუშაობ სათბურში. რამდენიმე დღეა გულმკერდის არეში ძლიერი ტკივილი მაქვს, თუმცა დამსაქმებელი "
           "სამედიცინო დახმარებაზე უარს მეუბნება და სამუშაო ადგილის დატოვების უფლებას არ მაძლევს."),
])
async def test_danger_gets_112_and_the_hotline_in_the_first_reply(rt: Runtime, lang: str, text: str) -> None:
    user = await chat(rt, f"urgent-{text}", lang)
    replies = await user.say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text
    assert "a:callback" in [b.data for row in replies[0].buttons for b in row]


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "i dont want to live anymore"),
    ("ru", "простите за всё, больше не побеспокою"),
    ("ka", "აღარ მინდა სიცოცხლე, ყველას მაპატიეთ"),
    ("ka", "agar minda cxovreba"),
    ("ru", "dumayu pokonchit s soboy, ne vizhu vyhoda"),
    ("ru", "это конец. мама папа простите меня"),
    # Georgian typed in Cyrillic letters: "хидзе" is read ხიძე, which stems apart from ხიდზე (on the bridge).
    ("ka", "ахла хидзе вдгавар. агар шемидзлиа"),
])
async def test_despair_gets_112_then_support_never_an_unrelated_answer(rt: Runtime, lang: str, text: str) -> None:
    """A goodbye's words match unrelated entries (healthcare cover, the 90/180 rule); the support entry follows."""
    user = await chat(rt, f"despair-{text}", lang)
    replies = await user.say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text
    support = rt.content.current.faqs["reint_psychosocial"].question[lang]
    assert [r.text.split("\n")[0] for r in replies[1:]] == [support]
    assert not any(b.data.startswith("f:") and not b.data.endswith(":more") for b in user.buttons)


async def test_danger_with_nothing_to_follow_still_offers_a_way_on(rt: Runtime) -> None:
    """"SOS" matches no entry: under the 112 line sit the callback, the menu and a person, never a dead end."""
    user = await chat(rt, "urgent-alone", "en")
    replies = await user.say("SOS")
    assert len(replies) == 1 and "112" in replies[0].text and HOTLINE in replies[0].text
    assert {"a:callback", "n:home", "n:human"} <= {b.data for row in replies[0].buttons for b in row}
    assert HOTLINE in (await user.tap("n:human"))[0].text


@pytest.mark.parametrize(("lang", "text"), [("ka", "დამკეტეს ოთახში"), ("en", "they locked me in a room"),
                                            ("ru", "меня заперли в комнате")])
async def test_under_the_112_line_only_help_for_danger_is_offered(rt: Runtime, lang: str, text: str) -> None:
    """"Locked in a room" comes near the employment contract entry; under 112 only the danger intent's
    `follow` entries are offered, under a heading that does not ask "did you mean"."""
    user = await chat(rt, f"urgent-follow-{text}", lang)
    replies = await user.say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text
    offered = {b.data[2:] for b in user.buttons if b.data.startswith("f:")}
    assert offered and offered <= set(rt.content.current.intents.spec.intents["urgent"].follow)
    assert replies[1].text.startswith(rt.engine.catalogues.translator(lang).gettext("These answers may help:"))


async def test_danger_near_only_unrelated_entries_gets_the_menu_and_a_person(rt: Runtime) -> None:
    user = await chat(rt, "urgent-unrelated", "ru")
    replies = await user.say("муж бьёт меня каждый день")
    assert len(replies) == 1 and "112" in replies[0].text and HOTLINE in replies[0].text
    assert {"a:callback", "n:home", "n:human"} <= {b.data for b in user.buttons}
    assert not any(b.data.startswith("f:") for b in user.buttons)


async def test_a_question_that_sets_off_the_112_line_keeps_its_answer_among_the_choices(rt: Runtime) -> None:
    """Clearly the search's first, the entry asked about is offered even outside the danger intent's `follow`."""
    user = await chat(rt, "urgent-question", "en")
    replies = await user.say("the recruiter threatens me now, how do i check the agency is real")
    assert "112" in replies[0].text
    assert "f:legal_agency_check" in {b.data for b in user.buttons}


@pytest.mark.parametrize(("lang", "text"), [("ru", "помогите"), ("en", "help!"), ("ka", "დამეხმარეთ"),
                                            ("ru", "памагите плиз")])
async def test_a_cry_for_help_alone_gets_112_with_the_menu_and_a_person(rt: Runtime, lang: str, text: str) -> None:
    """Nothing to tell danger from a first hello: the 112 line, with the menu and a person under it."""
    user = await chat(rt, f"cry-{text}", lang)
    replies = await user.say(text)
    assert len(replies) == 1 and "112" in replies[0].text and HOTLINE in replies[0].text
    assert {"a:callback", "n:home", "n:human"} <= {b.data for b in user.buttons}


@pytest.mark.parametrize(("lang", "text", "faq_id"), [
    ("en", "help with a work visa for germany", "legal_work_visa"),
    ("ru", "помогите с рабочей визой в Германию", "legal_work_visa"),
])
async def test_help_inside_a_question_is_a_question(rt: Runtime, lang: str, text: str, faq_id: str) -> None:
    user = await chat(rt, f"help-q-{text}", lang)
    replies = await user.say(text)
    assert "112" not in replies[0].text
    assert f"q:y:{faq_id}" in {b.data for b in user.buttons}, user.text


async def test_thanks_for_being_helpful_is_thanks_not_a_cry(rt: Runtime) -> None:
    user = await chat(rt, "helpful", "en")
    replies = await user.say("thank you so much, very helpful")
    assert replies[0].text.startswith("You are welcome") and "m:legal" in {b.data for b in user.buttons}


async def test_danger_comes_before_an_open_place_question(rt: Runtime) -> None:
    user = await chat(rt, "urgent-in-flow", "en")
    await user.command("centres")
    replies = await user.say("please help me they locked me in the flat")
    assert "112" in replies[0].text


@pytest.mark.parametrize(("lang", "text"), [
    ("ka", "ბათუმში ხვალ წვიმა იქნება?"),
    ("ru", "какой курс доллара сегодня?"),
    ("en", "who won the football match in Tbilisi yesterday"),
    ("ru", "они сегодня играют в футбол?"),
    # A few words with a town in them ask something about the town; "курс" alone would be a training course.
    ("ka", "ამინდი ბათუმში"),
    ("ru", "курс евро"),
    ("ka", "laris kursi"),
    ("en", "how to send a parcel with clothes to my mom in Greece, which courier is cheapest"),
    ("en", "weather"),  # one word the off-topic phrases know is not the village it resembles (Chetar)
    ("en", "who won the dinamo tbilisi game last night"),
])
async def test_out_of_scope_is_declined_honestly_without_a_centre_or_suggestions(
        rt: Runtime, lang: str, text: str) -> None:
    user = await chat(rt, f"oos-{text}", lang)
    replies = await user.say(text)
    data = [b.data for b in user.buttons]
    assert not any(r.venue for r in replies), "a town inside a question is not a request for a centre"
    assert not any(d.startswith("f:") for d in data), f"no unrelated suggestions: {data}"
    assert HOTLINE in user.text and "a:callback" in data


@pytest.mark.parametrize(("lang", "text"), [
    ("ka", "თელავში ან ახლოს გაქვთ ოფისი? ყვარელში ვცხოვრობ"),
    ("ru", "я живу в Кутаиси"),
    ("en", "Gori"),
    ("ka", "ozurgetshi vcxovrob"),
    ("ka", "borjomidan var"),  # two words: too few for the danger model, which once read them as danger
    ("ru", "Батуми, адрес офиса?"),
    ("ka", "ზუგდიდში არის ოფისი?"),
    ("en", "I'd rather come in person, I live in Gori"),
    ("ka", "sofeli dimi, baghdatis raioni"),  # a village and its district: places only, in four words
])
async def test_a_place_alone_or_where_one_lives_gets_the_nearest_centre(rt: Runtime, lang: str, text: str) -> None:
    user = await chat(rt, f"place-{text}", lang)
    replies = await user.say(text)
    assert any(r.venue for r in replies), f"{text!r} should get a centre card, got {user.text!r}"


@pytest.mark.parametrize(("lang", "text"), [("en", "best khinkali tbilisi"), ("ru", "билет тбилиси мюнхен"),
                                            ("ka", "pica mitana vakeshi")])
async def test_a_few_words_beside_a_town_are_not_a_request_for_a_centre(rt: Runtime, lang: str, text: str) -> None:
    user = await chat(rt, f"town-{text}", lang)
    replies = await user.say(text)
    assert not any(r.venue for r in replies), user.text
    assert not any(b.data.startswith("c:p:") for b in user.buttons), "no choice of places either"


@pytest.mark.parametrize(("lang", "text", "listed"), [
    ("en", "How can I work abroad legally?", "f:legal_work_visa"),
    ("ru", "какие риски нелегальной миграции?", "f:risks_overstay"),
    ("ka", "legalurad wasvla rogor sheidzleba?", "f:legal_agency_check"),
])
async def test_a_question_as_broad_as_a_section_gets_its_list_of_questions(
        rt: Runtime, lang: str, text: str, listed: str) -> None:
    user = await chat(rt, f"section-{text}", lang)
    await user.say(text)
    data = [b.data for b in user.buttons]
    assert listed in data and not any(d.startswith("q:y:") for d in data), data
    assert HOTLINE in user.text


async def test_where_is_the_office_without_a_place_asks_for_one(rt: Runtime) -> None:
    user = await chat(rt, "office", "en")
    await user.say("where is your nearest office?")
    assert "Share your location" in user.text


@pytest.mark.parametrize(("lang", "text", "target", "shown"), [
    ("ka", "english please", "en", "Language set: English"),
    ("en", "можно на русском?", "ru", "Язык:"),
    ("ru", "kartulad mipasuxet", "ka", "ენა"),
    ("ka", "пишите на русском пожалуйста, грузинский не понимаю", "ru", "Язык:"),
    ("en", "davaite na russkom pojaluista", "ru", "Язык:"),
    # Asked in so many words, however long the message.
    ("ka", "can you please answer in russian from now? my father will read it, he reads russian better", "ru",
     "Язык:"),
    ("ru", "Можно дальше на английском? Я перешлю жене, она итальянка и русский не понимает", "en",
     "Language set: English"),
    ("ru", "ქართულზე გადავიდეთ, დედაჩემისთვის ვწერ, რუსულს კარგად ვერ კითხულობს", "ka", "ენა"),
    # Two languages named: the one asked for, never the one the person reads badly or the one already in use.
    ("ka", "რუსულად მომწერეთ თუ შეიძლება, ქართულად ცუდად ვკითხულობ", "ru", "Язык:"),
    ("ru", "რუსული ვერ გავიგე, ქართულად დაწერეთ", "ka", "ენა"),
    ("ru", "pls answer in english not russian", "en", "Language set: English"),
    ("en", "რატომ მწერ ინგლისურად? ქართულად მინდა", "ka", "ენა"),
    ("ru", "а по-английски можно? это для мужа, он по-русски не читает", "en", "Language set: English"),
    # An employer (работодатель) is not work (работа), which would make "English" a question about a job.
    ("ru", "Давайте на английском, это будет читать мой работодатель", "en", "Language set: English"),
    ("ru", "Мама плохо читает по-русски, можете отвечать по-грузински? Я ей буду показывать", "ka", "ენა"),
    ("ka", "shegidzlia inglisurad gagrdzelo? erti ucxoeli megobari mexmareba", "en", "Language set: English"),
    ("ka", "rusulad mitxarit ra, qartuli latinurit dzneli wasakitxia", "ru", "Язык:"),
    # A request as written stands in its own clause beside a word that, in a question, is about language skills.
    ("ka", "пишите по-русски пожалуйста, я учился в русской школе", "ru", "Язык:"),
    ("ru", "Please answer in English, my mother will read it. She wants to know how to renew her work permit.",
     "en", "Language set: English"),
])
async def test_asking_for_another_language_switches_it(
        rt: Runtime, lang: str, text: str, target: str, shown: str) -> None:
    user = await chat(rt, f"lang-{text}", lang)
    await user.say(text)
    assert shown in user.text
    session = await rt.store.load_session(user.key)
    assert session is not None and session["lang"] == target


@pytest.mark.parametrize("text", ["do I need to speak english to get a legal job in the UK?",
                                  "should i register at the georgian embassy in spain",
                                  "my kids went to school in spain, how do they continue in georgian school",
                                  "на собеседовании придётся отвечать по-английски?",
                                  "не отвечайте по-английски, пожалуйста",
                                  "я учился в русской школе, нужен ли сертификат по-английски?"])
async def test_a_question_mentioning_a_language_stays_a_question(rt: Runtime, text: str) -> None:
    user = await chat(rt, f"lang-question-{text}", "ru")
    await user.say(text)
    session = await rt.store.load_session(user.key)
    assert session is not None and session["lang"] == "ru"


def test_a_request_stands_as_written_not_by_its_stem(rt: Runtime) -> None:
    """ინგლისურზე გადადი asks to switch to English; გადადის ("he is switching") shares its stem and asks nothing."""
    intents = rt.content.current.intents
    assert "language_en" in intents.match("ინგლისურზე გადადი").requested
    assert "language_en" in intents.match("qartuli ar vici, inglisurze gadadit").requested
    assert "language_en" not in intents.match("შვილი ინგლისურზე გადადის").requested


async def test_a_call_in_another_language_is_a_call(rt: Runtime) -> None:
    """The form asks which language the caseworker should speak; the chat keeps its language."""
    user = await chat(rt, "call-in-english", "ka")
    await user.say("could someone call me in english please, my georgian isnt good enough. 571 330 928")
    assert "cb:agree" in [b.data for b in user.buttons]
    session = await rt.store.load_session(user.key)
    assert session is not None and session["lang"] == "ka"


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "please just call me i cant take this chat anymore, every answer is a link. 558 31 02 77"),
    ("ru", "пожалуйста просто позвоните мне, я больше не могу с этим чатом, ничего не понятно. 551 20 30 44"),
    ("ka", "გთხოვთ უბრალოდ დამირეკეთ, ვეღარ ვუძლებ ამ ჩატს, არაფერი მესმის. 551 44 02 19"),
])
async def test_tired_of_the_chat_is_a_callback_not_danger(rt: Runtime, lang: str, text: str) -> None:
    replies = await (await chat(rt, f"tired-{text}", lang)).say(text)
    assert "112" not in replies[0].text and "cb:agree" in [b.data for r in replies for row in r.buttons for b in row]


async def test_danger_with_a_number_left_goes_on_to_the_callback_form(rt: Runtime) -> None:
    user = await chat(rt, "urgent-number", "en")
    replies = await user.say("my boss took my passport and locks the door at night. call me 577 91 00 46")
    assert "112" in replies[0].text and HOTLINE in replies[0].text
    assert "cb:agree" in [b.data for b in user.buttons]


async def test_danger_and_asking_for_a_person_gets_112_then_the_hotline_screen(rt: Runtime) -> None:
    user = await chat(rt, "urgent-person", "en")
    replies = await user.say("are u a real person? i need someone now, im scared he will come back")
    assert "112" in replies[0].text and HOTLINE in replies[0].text
    assert "You can talk to a hotline consultant" in replies[1].text and "a:callback" in [b.data for b in user.buttons]


@pytest.mark.parametrize(("lang", "text"), [("ru", "сосед сказал, что можно поехать в Польшу"),
                                            ("ru", "мне прислали контракт на польском, что проверить?"),
                                            ("ka", "სტუდენტურ გაცვლით პროგრამაზე როგორ მოვხვდე? მეორე კურსზე ვარ")])
async def test_words_that_stem_like_danger_words_are_calm(rt: Runtime, lang: str, text: str) -> None:
    """сосед (a neighbour) once read as SOS through Georgian stemming, прислали (sent) as пристаёт (harasses),
    მოვხვდე (I get in) as მოვკვდე (I die), one letter away."""
    user = await chat(rt, f"calm-{text}", lang)
    replies = await user.say(text)
    assert "112" not in replies[0].text


@pytest.mark.parametrize(("lang", "text", "danger"), [
    ("ka", "სასწრაფოდ მჭირდება ინფორმაცია ვიზაზე: ხელშეკრულების ასლი საკმარისია?", False),
    ("ka", "sastsrafod mchirdeba informacia vizaze", False),
    ("ru", "СРОЧНО нужна справка о несудимости для визы, где быстрее сделать", False),
    ("ka", "სასწრაფოდ მოდით", True), ("ka", "sastsrafod modit", True), ("ka", "მიშველეთ სასწრაფოდ", True),
    ("ru", "срочно приезжайте", True), ("ru", "вытащите нас срочно", True), ("ru", "pomogite srochno", True)])
async def test_urgently_is_danger_only_beside_a_call_for_help(rt: Runtime, lang: str, text: str, danger: bool) -> None:
    """"I urgently need information" is how a polite letter opens; "come urgently" is a call for help, and so is
    "help urgently" with nothing else (as a title over a question it is not)."""
    user = await chat(rt, f"urgently-{text}", lang)
    replies = await user.say(text)
    assert ("112" in replies[0].text and HOTLINE in replies[0].text) is danger


@pytest.mark.parametrize(("lang", "text", "danger"), [
    ("ka", "ხელშეკრულებას ხვალ ვაწერ ხელს და მეშინია რამე არ გამომრჩეს, რა უნდა ეწეროს?", False),
    ("ka", "შუამავალი ბილეთს მიხდის და ხელფასიდან დამიქვითავს. რა საფრთხე შეიძლება იყოს?", False),
    ("ka", "საშიშია ახლა რუსეთში წასვლა სამუშაოდ?", False),
    ("ka", "კვიპროსიდან დავბრუნდი, ახლა უსაფრთხოდ ვარ, მაგრამ ვერ ვიძინებ. ფსიქოლოგთან საუბარი შეიძლება?", False),
    ("ka", "დედა მიდის საფრანგეთში ჩემთან სტუმრად, რა საბუთები უნდა ჰქონდეს?", False),
    ("en", "recruiter pays my ticket and I give it back from salary later. is that normal or a trap?", False),
    ("en", "is it dangerous to buy a fake residence card?", False),
    ("en", "the recruiter asked for a copy of my passport, how do i check the agency is real", False),
    ("ru", "на что смотреть в трудовом договоре перед подписью? боюсь подписать что-то не то", False),
    ("en", "since i came back i cant sleep and feel empty, is there someone to talk to?", False),
    ("ka", "დას იტალიაში ბინადრობის ვადა გაუვიდა, რა ემუქრება?", False),
    ("ka", "დავბრუნდი და საცხოვრებელი არ მაქვს, სანამ არ ვიყავი ბინა გაყიდეს. დახმარება არის?", False),
    ("ka", "პასპორტი დამეკარგა მეტროში, ახალი როგორ ავიღო?", False),
    ("ka", "დამეხმარეთ რა, CV ინგლისურად როგორ დავწერო?", False),
    ("en", "my brother is locked out of his account on the visa portal, who can help?", False),
    ("ka", "თურქეთში პასპორტი წამართვეს, მაგრამ ეს ყველაფერი წარსულშია. რეინტეგრაციის პროგრამაზე როგორ "
     "დავრეგისტრირდე?", False),
    ("ka", "ის ჩხუბი წარსულშია, მაგრამ მას მერე ქმარი სვამს და მცემს", True),
    ("ka", "ბოსი ღამით ოთახში გვკეტავს", True), ("ru", "приезжайте быстрее пожалуйста", True),
    ("ka", "საფრთხეში ვარ, ოთახიდან არ მიშვებენ", True), ("ka", "ჩემი შვილი საფრთხეშია", True),
    ("ka", "მეშინია, პასპორტი წამართვეს", True), ("en", "im trapped in the house", True)])
async def test_a_danger_word_in_a_question_is_not_danger_told(rt: Runtime, lang: str, text: str,
                                                              danger: bool) -> None:
    """"I'm afraid I'll fall into debt", "what danger could there be?", "I'm safe now" and "is it a trap?" ask;
    "I'm in danger", "I'm afraid, they took my passport", "I'm trapped" tell; "it is all in the past" closes a
    story, unless "since then" brings it back to the present."""
    user = await chat(rt, f"worded-{text}", lang)
    replies = await user.say(text)
    assert line_first(replies) is danger


async def test_russian_words_are_not_read_as_georgian_typed_in_cyrillic(rt: Runtime) -> None:
    """"запись в базе" (a record in the database) once read as the Georgian ბაზა of "delete me from your base"."""
    user = await chat(rt, "ru-not-ka", "ru")
    await user.say("какие последствия депортации из Германии? штраф, запись в базе, что еще?")
    assert not any(b.data.startswith("p:") for b in user.buttons)


async def test_a_single_word_of_a_request_inside_a_question_stays_a_question(rt: Runtime) -> None:
    """"consultation", "office in" are single phrase words that long questions use without asking for a person."""
    user = await chat(rt, "one-word", "en")
    await user.say("I live in a village in Guria and the bus goes twice a day. Can I get a consultation by phone "
                   "or chat so I don't have to travel?")
    assert "You can talk to a hotline consultant" not in user.text


async def test_which_number_shows_the_number(rt: Runtime) -> None:
    for n, (lang, text) in enumerate([("en", "what number do i call to talk to a real person"),
                                      ("ru", "куда звонить?"), ("ru", "ты бот? дайте человека"),
                                      ("en", "give me phone number where a person answers"),
                                      ("en", "I'd rather talk to an actual person, not a bot. Is there a number "
                                             "I can call?")]):
        user = await chat(rt, f"human-{n}", lang)
        await user.say(text)
        assert HOTLINE in user.text and "a:callback" in [b.data for b in user.buttons]
        session = await rt.engine.store.load_session(user.key) or {}
        assert not str(session.get("state") or "").startswith("cb:"), f"{text!r} asks for a number, not a call"


@pytest.mark.parametrize(("lang", "text"), [("en", "hi"), ("ka", "madloba"), ("ru", "здравствуйте"),
                                           ("ru", "всем спасибо, на сегодня прощаюсь 🙂")])
async def test_greeting_and_thanks_get_a_short_reply_and_the_menu(rt: Runtime, lang: str, text: str) -> None:
    user = await chat(rt, f"hi-{text}", lang)
    await user.say(text)
    assert any(b.data == "m:legal" for b in user.buttons)


@pytest.mark.parametrize(("lang", "text"), [("ru", "удалите мои данные"), ("ru", "удали мои данные")])
async def test_delete_my_data_asks_to_confirm(rt: Runtime, lang: str, text: str) -> None:
    user = await chat(rt, f"forget-{text}", lang)
    await user.say(text)
    assert [b.data for b in user.buttons][:2] == ["p:yes", "p:no"]


@pytest.mark.parametrize(("lang", "text"), [
    ("ka", "წაშალეთ ყველაფერი რაც მოგწერეთ, ის კაცი ისევ აქაა და მიყურებს"),
    ("ru", "удалите мои данные, муж проверяет телефон и бьёт меня"),
])
async def test_delete_my_data_with_danger_told_beside_it_gets_112_then_the_deletion(rt: Runtime, lang: str,
                                                                                   text: str) -> None:
    """Someone whose phone is watched asks to delete what they wrote: the danger first, then what they asked."""
    user = await chat(rt, f"forget-danger-{text}", lang)
    replies = await user.say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text
    assert [b.data for b in user.buttons][:2] == ["p:yes", "p:no"]


async def test_delete_my_data_with_a_reason_is_no_danger(rt: Runtime) -> None:
    user = await chat(rt, "forget-reason", "ka")
    replies = await user.say("წაშალეთ ჩემი მონაცემები, აღარ მინდა თქვენი პროგრამა, სხვაგან ვიპოვე სამსახური")
    assert "112" not in replies[0].text and [b.data for b in user.buttons][:2] == ["p:yes", "p:no"]


async def test_forget_it_is_not_a_request_to_delete_data(rt: Runtime) -> None:
    user = await chat(rt, "forget-it", "en")
    await user.say("forget it, call me instead. 551-20-30-40")
    assert "p:yes" not in [b.data for b in user.buttons]


@pytest.mark.parametrize(("text", "lang"), [
    ("facebookze vnaxe reklama espanetshi marwyvis krefa, 500 evro winaswar unda gadavixado. normaluria?", "ka"),
    ("kartuli", "ka"),
    ("русский", "ru"),
    ("Здравствуйте, как получить рабочую визу в Германию?", "ru"),
    ("how do I check that a job agency is licensed?", "en"),
    ("სად არის ბათუმის ოფისი?", "ka"),
])
async def test_a_first_message_is_answered_in_its_language_not_thrown_away(
        rt: Runtime, text: str, lang: str) -> None:
    user = ChatUser(rt.engine, f"first-{text}")
    replies = await user.say(text)
    session = await rt.store.load_session(user.key)
    assert session is not None and session["lang"] == lang
    assert len(replies) >= 2, "the language note, then the answer to the message itself"
    assert {b.data for row in replies[0].buttons for b in row} == {f"l:{c}" for c in ("ka", "en", "ru")} - {f"l:{lang}"}


async def test_an_answer_keeps_the_hotline_and_the_callback_on_its_first_screen(rt: Runtime) -> None:
    user = await chat(rt, "faq", "en")
    await user.tap("f:legal_agency_fees")
    data = [b.data for b in user.buttons]
    assert HOTLINE in user.text and "a:callback" in data
    more = rt.content.current.faqs["legal_agency_fees"].more
    if more:
        await user.tap("f:legal_agency_fees:more")
        assert rt.content.current.text(more, "en") in user.text


async def test_an_answer_offers_the_close_runner_up_one_tap_away(rt: Runtime) -> None:
    """Most answers that miss had the right entry second: it sits under the answer, so a miss costs one tap."""
    user = await chat(rt, "runner-up", "ru")
    await user.say("курсы профессии есть для вернувшихся?")
    faqs = rt.content.current.faqs
    assert faqs["reint_training_course"].question["ru"] in user.text
    runner_up = [b for b in user.buttons if b.data == "f:legal_language_skills"]
    assert runner_up and faqs["legal_language_skills"].question["ru"] in runner_up[0].label
    await user.tap("f:legal_language_skills")
    assert faqs["legal_language_skills"].question["ru"] in user.text


def test_details_of_despair_count_with_details_of_danger() -> None:
    """Two details make danger whichever list they come from; despair when both are its own."""
    intents = Intents(IntentsFile.model_validate({"intents": {
        "urgent": {"hints": {"en": ["owe* | debt*", "at night"]}},
        "despair": {"hints": {"en": ["goodbye | forgive", "no point"]}, "hints_with": "urgent",
                    "unless": {"en": ["haha"]}},
    }}))
    assert dict(intents.match("wrote goodbye letters, will my debt pass to my kids").intents) == {"urgent": 0}
    assert dict(intents.match("forgive me, there is no point").intents) == {"despair": 0}
    assert dict(intents.match("they come at night and say I owe them").intents) == {"urgent": 0}
    assert dict(intents.match("forgive me, no point studying haha").intents) == {}  # its `unless` cancels it
    assert dict(intents.match("goodbye and forgive me").intents) == {}  # one detail, written two ways


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "the boss says we go out only with him, he keeps the keys"),
    ("ru", "нам не дают уходить с фермы, телефоны у бригадира"),
    # A request for another language in the same message does not hide it.
    ("ka", "answer in russian please, нам не дают уходить с фермы, телефоны у бригадира"),
])
async def test_danger_in_words_no_phrase_lists_is_learned(rt: Runtime, lang: str, text: str) -> None:
    """The model learned from content/danger.yaml catches what the phrases alone miss."""
    phrases_only = Intents(rt.content.current.intents.spec)
    assert not set(phrases_only.match(text).intents) & set(DANGER)
    replies = await (await chat(rt, f"learned-{text}", lang)).say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text


def test_the_danger_model_scores_as_the_fitted_pipeline(rt: Runtime) -> None:
    """The dict-of-weights scoring gives what scikit-learn's pipeline gives, without numpy per message."""
    spec = DangerFile(danger={"en": ["they locked us in", "he took my passport and hits me", "help they beat me",
                                     "locked in the basement"]},
                      calm={"en": ["how do i get a work visa", "is the consultation free", "where is your office",
                                   "can i work in germany"]})
    model = DangerModel(spec)
    texts = ["they locked me in the basement", "where do i get a visa", "", "x"]
    pipeline = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True, min_df=2),
                             LogisticRegression(C=C, class_weight="balanced", max_iter=2000))
    pipeline.fit([*spec.danger["en"], *spec.calm["en"]], [1, 1, 1, 1, 0, 0, 0, 0])
    expected = pipeline.predict_proba(texts)[:, 1]
    assert [round(model.probability(t), 9) for t in texts] == [round(float(p), 9) for p in expected]


@pytest.mark.parametrize(("lang", "text", "faq_id"), [
    ("ka", "ise mombezrda lodini lamis movkvdi 😂 ramdeni xani ganixileba reintegraciis ganacxadi da vin wyvets?",
     "reint_caseworker_assessment"),
    ("ru", "начальник меня убьет если опоздаю ещё раз 😂 во сколько открывается центр в Батуми?", "centres_hours"),
])
async def test_a_joke_about_dying_is_a_question_not_danger(rt: Runtime, lang: str, text: str, faq_id: str) -> None:
    """Laughter marks a joke: the question is answered first, with no 112 line before it."""
    replies = await (await chat(rt, f"joke-{text}", lang)).say(text)
    assert replies[0].text.startswith(rt.content.current.faqs[faq_id].question[lang]), replies[0].text


@pytest.mark.parametrize(("text", "callback"), [
    ("позвоните вечером, пожалуйста", True),
    ("не могли бы вы мне позвонить?", True),
    ("позвони завтра", True),
    ("Горячая линия в воскресенье работает? Хотел позвонить вечером", False),
    ("можно позвонить вечером?", False),
])
async def test_calling_in_the_evening_is_a_request_only_when_asked_of_us(rt: Runtime, text: str,
                                                                         callback: bool) -> None:
    """"Call me in the evening" opens the callback form; "I wanted to call in the evening" asks about the hours."""
    user = await chat(rt, f"evening-{text}", "ru")
    await user.say(text)
    session = await rt.store.load_session(user.key)
    assert session is not None and str(session.get("state") or "").startswith("cb:") is callback


@pytest.mark.parametrize(("text", "danger"), [
    ("სასწრაფოდგამოგზავნეთვინმეჩემიდაიკოგაიტაცესსოფელშიძალითჩასვესმანქანაშიდაწაიყვანეს", True),
    ("დამეხმარეთპასპორტიწამართვესდაარგამიშვებენ", True),
    ("გამარჯობათმინდოდამეკითხავიზისშესახებროგორავიღოგერმანიაში", False),
    ("sabutebirogormovamzadogermaniistvis", False),
])
async def test_words_typed_with_no_spaces_are_read_for_danger(rt: Runtime, text: str, danger: bool) -> None:
    """Typed in a panic with no spaces, a message is one "word" long; the danger model reads it by its letters."""
    replies = await (await chat(rt, f"run-{text}", "ka")).say(text)
    assert ("112" in replies[0].text and HOTLINE in replies[0].text) is danger


@pytest.mark.parametrize("text", [
    "ვიზის ვადა როგორ გავიგო? ბოსი ღამით ოთახში გვკეტავს",
    "რა ნიშნები აქვს ტრეფიკინგს? ღამით ბარაკში გვკეტავენ",
])
async def test_severe_danger_is_not_cancelled_by_a_word_in_another_clause(rt: Runtime, text: str) -> None:
    """"Visa expiry" and "the signs of trafficking" cancel one danger phrase across clauses, but not "they lock us
    in" in the present tense (`severe:` in content/intents.yaml; Georgian tells a past story in past forms)."""
    replies = await (await chat(rt, f"severe-{text}", "ka")).say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text


@pytest.mark.parametrize(("lang", "text", "danger"), [
    ("ru", "Как записать дочку в школу в Германии? Сожитель бьёт её, вчера опять синяк на руке", True),
    ("en", "how do i enrol my daughter in school in greece? my partner hits her when he drinks", True),
    ("ka", "ვიზის ვადა როგორ გავიგო? ქმარი ყოველ საღამოს მცემს", True),
    # In their own clause they still cancel: a figure of speech, a question about something else.
    ("ru", "жара меня убивает, сколько дней можно быть в шенгене?", False),
    ("ka", "ეს რიგი მომკლავს, საკონსულო რომელ საათზე იღებს?", False),
    # A word that says the danger is over still speaks for the whole message.
    ("ru", "в прошлом году хозяин забрал паспорт. как продлить визу?", False),
    # The news is another matter: it covers what it reports ("that..." stays in its clause), not the writer.
    ("ru", "В новостях показали, что людей держат взаперти на ферме. Как проверить агентство?", False),
    ("ka", "ტელევიზორში ვნახე თქვენი ნომერი. დამსაქმებელმა პასპორტი წამართვა და ოთახში გვკეტავს", True),
    # A colon ends a clause: "urgent question" covers only itself.
    ("en", "urgent question: my boss locked us in the container", True),
    # Marks on the body are not "the signs" of trafficking asked about.
    ("ka", "სხეულზე ნიშნები მაქვს, ქმარი ყოველდღე მცემს", True),
    # A key of one's own answers "locked in" in its clause, and nothing else.
    ("en", "landlord locks the door at 11 but i have a key", False),
    ("ru", "ключ у меня есть, но паспорт забрали и не платят", True),
    # Documents hidden by the employer, the verb first or last.
    ("ka", "ქალბატონმა დამიმალა პასპორტი და არ მიბრუნებს", True),
])
async def test_words_about_another_matter_cancel_danger_in_their_own_clause(rt: Runtime, lang: str, text: str,
                                                                            danger: bool) -> None:
    """A question about school or a visa's expiry (`aside:` in content/intents.yaml) says nothing of the danger
    told in the next clause; "last year" (`unless:`) does."""
    replies = await (await chat(rt, f"aside-{text}", lang)).say(text)
    assert line_first(replies) is danger, replies[0].text


async def test_a_threat_at_a_restaurant_is_not_off_topic(rt: Runtime) -> None:
    """"Restaurant" marks a message off-topic, which kept the danger model from reading it."""
    text = ("I'm a student in Germany, part time at a restaurant. The owner took my residence card. "
            "Today he said he'd break my legs.")
    replies = await (await chat(rt, "legs", "en")).say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text, replies[0].text


async def test_a_locksmith_is_not_someone_locked_in(rt: Runtime) -> None:
    text = "got locked out of my flat in Batumi lol, do you know a locksmith that works on sunday"
    replies = await (await chat(rt, "locksmith", "en")).say(text)
    assert "112" not in replies[0].text, replies[0].text


@pytest.mark.parametrize(("lang", "text", "danger"), [
    ("ka", "მითხრეს პასპორტს დაგიბრუნებთო ჰაჰა. ოთახში გვკეტავენ", True),
    ("ka", "ცოლი მომკლავს თუ გაიგებს რომ ისევ პოლონეთში მივდივარ ჰაჰ. რამდენი დღით შემიძლია შენგენში ყოფნა?", False),
    ("ru", "начальник меня сегодня просто убил своими отчётами ахаха. сколько дней можно быть в шенгене?", False),
    # Laughter ends the joke even with no full stop after it.
    ("ka", "მითხრეს პასპორტს დაგიბრუნებთო ჰაჰა ოთახში გვკეტავენ", True),
    ("en", "my boss will literally kill me if im late again lol. what time does the tbilisi centre open", False),
    # A laughing face typed counts as laughter; what follows it is read on its own.
    ("en", "my boss will kill me if im late again :D what time do you open", False),
    ("ka", "xumrobs ra :D damsaqmebelma pasporti wamartva da ar mibrunebs", True),
])
async def test_typed_laughter_speaks_for_its_own_sentence(rt: Runtime, lang: str, text: str, danger: bool) -> None:
    """"ჰაჰა", "ахаха", "lol" make a joke of their sentence, as 😂 does, and no longer of the whole message."""
    replies = await (await chat(rt, f"typed-laugh-{text}", lang)).say(text)
    assert line_first(replies) is danger


@pytest.mark.parametrize(("lang", "text"), [
    ("ka", "ისევ მცემა)))"),
    ("ka", "ეს სამსახური მომკლავს ))) ბოსმა პასპორტი წამართვა და გარეთ არ მიშვებს"),
    ("ru", "опять избил)) паспорт у него и не выпускает"),
])
async def test_a_smile_typed_as_brackets_does_not_hide_danger(rt: Runtime, lang: str, text: str) -> None:
    """"))" softens or is bitter as often as it laughs (native review): it never counts as a joke."""
    replies = await (await chat(rt, f"brackets-{text}", lang)).say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text


async def test_danger_told_several_ways_outweighs_laughter(rt: Runtime) -> None:
    text = "they took our passports, lock us in at night and beat us 😅 help"
    replies = await (await chat(rt, "joke-danger", "en")).say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text


@pytest.mark.parametrize("text", [
    "ნუ ქმარი თუ ფხიზელია ყველაფერი რიგზეა 😅 დღეს შაბათია და მესამე ბოთლზეა უკვე. ბავშვები აბაზანაში დავმალე. "
    "პოლიციას თუ დავურეკავ ვიზა ხო არ გამიუქმდება?",
    "ფეხებს ვეღარ ვგრძნობ ისე დავიღალე 😄 მარა ეს არაფერი, სამი თვეა ხელფასი არ მოუციათ და გუშინ რო ვთქვი "
    "წავალ მეთქი დაცვამ კედელზე მიმაჭყლიტა და მითხრა ვერ წახვალო"])
async def test_laughter_speaks_for_its_own_sentence_not_for_danger_told_after_it(rt: Runtime, text: str) -> None:
    """Nervous laughter over a husband who is fine "when sober" or over being tired does not make a joke of the
    children hidden in the bathroom or the guard who pinned someone to the wall afterwards."""
    replies = await (await chat(rt, f"laugh-{text}", "ka")).say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text


@pytest.mark.parametrize(("text", "danger"), [
    ("პასპორტი მათთანაა და ლაგერიდან გამოსვლას არ გვაძლევენ", True),
    ("სამი თვეა ხელფასს არ აძლევენ, ტელეფონიც ქალის შვილმა ჩამოართვა და კარს რაზავენ როცა გადიან", True),
    ("ღამე მოხუცის შვილი გარედან კეტავს კარს, ნორმალურია მივეჩვიე", True),
    ("ჰოსტელი ღამის 12-ზე კარს კეტავს, გვიან რომ დავბრუნდე რა ვქნა?", False),
    ("ბინადრობის ვადის გასვლის მერე ხომ არ დამაჯარიმებენ? პასპორტი ახალი მაქვს", False)])
async def test_being_kept_inside_is_a_detail_of_danger(rt: Runtime, text: str, danger: bool) -> None:
    """"They don't let us out of the camp", "they bolt the door", "locks it from outside" beside another detail
    (the passport, unpaid wages, the night); a hostel's closing hour and a residence permit's expiry are not."""
    replies = await (await chat(rt, f"kept-{text}", "ka")).say(text)
    assert line_first(replies) is danger


async def test_danger_at_the_end_of_a_long_letter_is_read(rt: Runtime) -> None:
    """The search reads a letter's first thousand characters; danger told after them still comes first (a mother's
    letter from the dev74 set, 1,300 characters before the danger)."""
    letters = load_messages(Path(__file__).parent / "data" / "dev74_ka_long.yaml")
    text = next(str(m["text"]) for m in letters if str(m["text"]).startswith("ქალბატონო ან ბატონო ვინც კითხულობთ"))
    replies = await (await chat(rt, "long-letter", "ka")).say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text


async def test_a_sure_model_outweighs_a_word_that_marks_a_past_story(rt: Runtime) -> None:
    """"Came back last year" (შარშან) cancels danger phrases, but not a story the danger model is sure of: a
    sister locked in a room in Brussels today, her phone snatched."""
    text = ("ჩემი და საბერძნეთში იყო ათი წელი, შარშან ჩამოვიდა. ბიძაშვილის ქმარმა, რომელსაც ვიღაცეების ვალი აქვს, "
            "ბელგიაში კარგი სამუშაო უშოვა მოვლაზე. წავიდა ორი კვირის წინ. დღეს უცხო ნომრიდან დამირეკა, ტიროდა, "
            "ბრიუსელში ვარ, ოთახში მკეტავენ და ამბობენ იმ კაცმა ჩემში ფული აიღოო. მერე ვიღაცამ ტელეფონი "
            "გამოგლიჯა. ეს ტრეფიკინგია ხომ?")
    replies = await (await chat(rt, "sure-model", "ka")).say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text


async def test_the_office_asked_for_beside_an_off_topic_word_is_answered(rt: Runtime) -> None:
    """"Which metro station" names something we do not cover, but the question is about our office."""
    user = await chat(rt, "metro", "en")
    replies = await user.say("hello sir where is your office in tbilisi exactly? which metro station is near, i will "
                             "come tomorrow")
    assert replies[0].text.startswith(rt.content.current.faqs["centres_where"].question["en"]), replies[0].text


async def test_one_off_topic_word_in_a_long_question_is_a_detail(rt: Runtime) -> None:
    user = await chat(rt, "restaurant", "en")
    await user.say("I have a job offer from a restaurant in Italy. How do I actually get a work permit — does the "
                   "employer apply or do I go to the embassy myself?")
    assert rt.content.current.faqs["legal_work_visa"].question["en"] in user.text
    await user.say("best restaurant in batumi")
    assert "can't help with that here" in user.text


async def test_an_off_topic_detail_in_a_long_story_leaves_danger_to_the_model(rt: Runtime) -> None:
    """"Football" names something we do not cover, but here it is only how a trafficking story began; a message
    that is about football stays off-topic and calm."""
    replies = await (await chat(rt, "football-farm", "en")).say(
        "my brother went to Spain to play football for a club, but the agent took him to a farm instead, he works "
        "sixteen hours and sleeps in a barn and sounds terrified on the phone")
    assert "112" in replies[0].text and HOTLINE in replies[0].text
    replies = await (await chat(rt, "football-film", "ka")).say(
        "გუშინდელი მატჩი ნახეთ საშინელება იყო ისე დაგვამარცხეს ვეღარ ვიტან ვსო აღარ ვუყურებ ფეხბურთს რა იყო ეს")
    assert "112" not in replies[0].text


@pytest.mark.parametrize("text", [
    "მეზობლის ბიჭი 11 წლისაა, მოსკოვში მეტროში ამათხოვრებენ ვიღაცეები, დედამისი ციხეშია, ვინ დაეხმარება",
    # "Last year" marks a past story, but the son is beaten and unfed now and cannot set foot outside.
    "ჩემი ბიჭი შარშან წავიდა ესპანეთში, ბოსტანში მუშაობს. ეხლა დამირეკა ჩუმად, დედა მცემენ, ჭამას არ მაძლევენ "
    "და ფეხს ვერ გავდგამ აქედანო. რა ვქნა?",
    "საუდის არაბეთში ვარ, ოჯახში ვმუშაობ. ოჯახი არ მაძლევს უფლებას დავტოვო სახლი და სამშობლოში დავბრუნდე, "
    "ხელშეკრულების ვადა გავიდა. რა შემიძლია გავაკეთო?",
    "ბიძაჩემი გერმანიაში ბანაკშია, თავშესაფარზე უარი მიიღო. გუშინ მითხრა რომ აბები შეაგროვა და ეყოფაო",
])
async def test_georgian_danger_of_children_food_and_pills_gets_112_first(rt: Runtime, text: str) -> None:
    replies = await (await chat(rt, "ka-danger", "ka")).say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text


@pytest.mark.parametrize(("text", "faq_id"), [
    ("ბოსი მომკლავს ხვალ თუ დავაგვიანე. ცენტრი შაბათს ღიაა?", "centres_hours"),
])
async def test_a_boss_who_will_kill_me_if_i_am_late_is_an_idiom(rt: Runtime, text: str, faq_id: str) -> None:
    replies = await (await chat(rt, "ka-calm", "ka")).say(text)
    assert replies[0].text.startswith(rt.content.current.faqs[faq_id].question["ka"]), replies[0].text


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "I need to talk to a human. I don't want to be alive anymore."),
    ("en", "what number do i call. the guy who runs our flat just punched my roommate and says we're next"),
    ("ru", "Можно поговорить по-русски с кем-то? Я тут одна, денег на дорогу нет, думаю, что проще всё закончить"),
    ("ru", "окна заколочены"),
    ("ka", "მკაცრები არიან ჩვენთან. საბუთები წაიღეს შესანახადო"),
    ("ka", "sad var ar vici ra qalaqia"),
])
async def test_danger_beside_a_request_or_in_few_words_gets_112_first(rt: Runtime, lang: str, text: str) -> None:
    """Asking for a person or a number does not hide what follows it; nor do a few plain words of confinement."""
    replies = await (await chat(rt, f"danger-{text}", lang)).say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text


@pytest.mark.parametrize(("lang", "text"), [
    ("ru", "забыли окна закрыть перед отъездом, соседка присмотрит. как оформить рабочую визу в Германию?"),
    ("ka", "არ ვიცი რომელ ქალაქში წავიდე სამუშაოდ, იტალიაში თუ ესპანეთში"),
])
async def test_words_near_confinement_are_calm(rt: Runtime, lang: str, text: str) -> None:
    replies = await (await chat(rt, f"calm-{text}", lang)).say(text)
    assert "112" not in replies[0].text


async def test_russian_typed_in_latin_letters_by_someone_who_chose_russian_is_read_as_russian(rt: Runtime) -> None:
    """Without a Russian function word Latin letters could be English or Georgian, unless Russian was chosen."""
    replies = await (await chat(rt, "ru-latin", "ru")).say("zaperli v podvale")
    assert "112" in replies[0].text and HOTLINE in replies[0].text
    replies = await (await chat(rt, "en-latin", "en")).say("zaperli v podvale")
    assert "112" not in replies[0].text


@pytest.mark.parametrize("text", [
    # Laughter cancels the phrases, but the model is sure.
    "lol პასპორტები წაგვართვეს 😂 ნუ ვიცინი მარა ვაბშე არ არის სასაცილო.. ნაჩალნიკი ამბობს ვალი გაქვთ ბილეთის და "
    "ბინის და სანამ არ გადაიხდით ვერსად წახვალთო. პოლშა ვროცლავთან ფერმა",
    # "lol" cancels, but four different details of danger outweigh it.
    "ნუ ხო lol ეხლა სერიოზულად. ჩემს შეყვარებულს ბერლინში ვიღაც კაცი აკონტროლებს ფულს ართმევს და ღამით სადღაც "
    "აგზავნის. გუშინ ვიდეოზე სახე ჰქონდა დალურჯებული და მითხრა არავის დაურეკოო",
])
async def test_fear_hidden_behind_laughter_still_gets_112_first(rt: Runtime, text: str) -> None:
    replies = await (await chat(rt, "laughing-danger", "ka")).say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text


@pytest.mark.parametrize("text", [
    "დაკუმენტები აქვს ხაზეინს, ზარპლატა არ მოუცია 5 თვე. წასვლა რომ ვთქვით, ემიგრაციას დავურეკავ და ციხეში "
    "ჩაგსვამენო",
    "ხო რა ისევ დამაბეს ღამით ბეღელში, ხელები მეწვის",
    "პასპორტს არ გვიბრუნებს ნაჩალნიკი, ვალი გაქვთო",
])
async def test_georgian_threats_of_prison_and_being_tied_get_112_first(rt: Runtime, text: str) -> None:
    replies = await (await chat(rt, "ka-threat", "ka")).say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text


def test_the_last_answer_is_kept_per_text_and_language(rt: Runtime) -> None:
    """The engine and the flow both ask about one message: the second asking is answered from the first."""
    intents = rt.content.current.intents
    first = intents.match("zaperli v podvale", "ru")
    assert intents.match("zaperli v podvale", "ru") is first and "urgent" in first
    assert "urgent" not in intents.match("zaperli v podvale", "en")


@pytest.mark.parametrize("text", [
    "დამკეტეს ოთახში",
    "პასპორტი წაგვართვეს",
    "ვიკლავ თავს",
    "ვენები გადავიჭერი",
    "ბავშვი მოიტაცეს",
    "მოიპარეს ბავშვი",
    "მაწამებენ",
    "ტყვედ ვყავართ",
    "მემუქრებიან",
    "სახლს დაგვიწვავენ",
    "გამოსასყიდს ითხოვენ",
    "თირკმელი უნდა გავყიდო ვალის გამო",
    "ხო ამბობენ ყველაფერს აქვს ბოლოო. ჰოდა ჩემიც მოვიდა. მადლობა ყველაფრისთვის და ნუ მომძებნით",
    "ეს ჩემი ბოლო წერილია",
    "კონტეინერში ვსხედვართ ჰაერი არაა",
    "დავიღალე სიცოცხლით",
    "ბავშვებს ურტყამს",
    "უდაბნოში დაგვტოვეს უწყლოდ",
    "მამაჩემი გაუჩინარდა საზღვარზე",
    "ხელები დავისერე",
    # A farewell that is the whole message (beside other words it is a plane to catch or a complaint).
    "ყველას დავემშვიდობე",
    "ბოლოჯერ გწერთ",
])
async def test_danger_told_in_two_or_three_georgian_words_gets_112_first(rt: Runtime, text: str) -> None:
    """Too few words for the danger model: each of these needs its phrase (locked in, documents taken from us,
    self-harm, a child abducted, torture, captivity, threats, a ransom, a kidney to sell, a farewell)."""
    replies = await (await chat(rt, f"ka-short-{text}", "ka")).say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text


@pytest.mark.parametrize("text", [
    "გზა დაკეტეს, ტრასაზე ვდგავართ. საზღვარი როდის გაიხსნება?",  # the road closed, not "locked me in"
    "მანქანა გადაყიდეს და საბუთები ჯერ არ გადაუფორმებიათ, რა ვქნა?",  # resold the car, not "resold me"
    "რა მემუქრება თუ ვიზის ვადა გადავაცილე?",  # what do I face, not a threat
    "მომდევნო კვირას ვბრუნდები, ცენტრი ღია იქნება?",  # "next", not "following me"
    "სიცილით მოვკვდი ამ ვიდეოზე რაც ძმამ გამომიგზავნა",  # died laughing
    "სტუდენტი ვარ, რეფერატს ვწერ ადამიანებით ვაჭრობაზე, სტატისტიკა გაქვთ?",  # trafficking as a topic
    "ბავშვი ბურთს ურტყამს ეზოში, ცენტრი სად არის?",  # kicks a ball, not hits the children
    "ფული აიღო და გაუჩინარდა. სააგენტოს როგორ შევამოწმო?",  # an agent vanished with the money
    "ინტერნეტი გაქრა",  # the internet is gone, not a person
])
async def test_georgian_words_beside_the_new_danger_phrases_are_calm(rt: Runtime, text: str) -> None:
    replies = await (await chat(rt, f"ka-calm-{text}", "ka")).say(text)
    assert "112" not in replies[0].text, replies[0].text



@pytest.mark.parametrize("text", [
    # A word of the past or of a settled matter cancels danger, but not in a clause that turns to now.
    "ქმართან გავშორდით, მაგრამ ახლა მემუქრება რომ მომკლავს",
    "შარშან ჩამოვედი თურქეთში, ახლა უფროსი მცემს და პასპორტი აქვს",
    # "How do I find out" opens a worried relative's question; it cancels nothing.
    "როგორ გავიგო რა ხდება, ძმა ორი დღეა არ პასუხობს, ბოლოს თქვა რომ სცემეს",
    # Threatened with deportation is a threat; "deportation awaits me" (დეპორტაცია მემუქრება) is a question.
    "ვიზას გაგიგრძელებო მითხრა და მას მერე იძულებით მაწვება. უარს თუ ვეუბნები დეპორტაციით მემუქრება",
    # "Still" and "to this day" turn to now as well.
    "შარშან დავბრუნდი, მაგრამ ის ხალხი ისევ მემუქრება, გუშინ სახლთან მოვიდნენ",
    "გავშორდით, მაგრამ დღემდე მემუქრება",
    "შარშან ჩამოვედი, ჯერ კიდევ არ მიშვებენ სახლში",
])
async def test_danger_in_a_clause_that_turns_to_now_is_not_cancelled(rt: Runtime, text: str) -> None:
    replies = await (await chat(rt, f"ka-turn-{text}", "ka")).say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text


@pytest.mark.parametrize(("text", "danger"), [
    # "Debts are choking me" is an idiom; a word written "ვალები=" in an `unless` is that form alone, so the
    # strangling told "over the debts" (ვალების გამო) or by a creditor stays danger.
    ("ვალები მახრჩობს მარა ვმუშაობ და გადავიხდი, რჩევა მინდა როგორ დავგეგმო ბიუჯეტი", False),
    ("valebi maxrchobs, ra vqna", False),
    ("ცრემლები მახრჩობს როცა ვიხსენებ", False),
    ("ეს ვალები მომკლავს", False),
    ("უმუშევრობა მახრჩობს", False),
    ("ბანკი მემუქრება სასამართლოთი, კრედიტი ვერ გადავიხადე", False),
    # Such a phrase stands as written, its words side by side: a word between can bring in who does it.
    ("ვალი მაქვს, მომკლავენ", True),
    ("ვალები მაქვს მახრჩობენ", True),
    ("ვალების გამო მახრჩობს ქმარი", True),
    ("კრედიტორი მახრჩობს", True),
    ("ბრაზდება და მახრჩობს", True),
])
async def test_debts_that_choke_or_kill_are_an_idiom_and_violence_is_danger(rt: Runtime, text: str,
                                                                            danger: bool) -> None:
    replies = await (await chat(rt, f"choke-{text}", "ka")).say(text)
    assert ("112" in replies[0].text) is danger, replies[0].text


@pytest.mark.parametrize(("lang", "text"), [
    # A blocked card cancels "help" in its own clause; beaten and not let go are told in another, twice.
    ("ka", "ბარათი დამებლოკა და ფული არ მაქვს, ხაზეინი მცემს და არ მიშვებს"),
])
async def test_danger_told_twice_away_from_a_cancelling_word_is_not_cancelled(rt: Runtime, lang: str,
                                                                              text: str) -> None:
    replies = await (await chat(rt, f"apart-{text}", lang)).say(text)
    assert "112" in replies[0].text and HOTLINE in replies[0].text


@pytest.mark.parametrize("text", [
    "2 wlis win saberdznetshi pasporti wamartves, magram es ukve warsulshia. exla bavshvebi skolashi unda "
    "chavabaro, ra mchirdeba?",
    # "Again" beside "last year" in the same clause is still last year.
    "შარშან ისევ მცემა და მერე გამოვიქეცი, ახლა კარგად ვარ",
])
async def test_a_past_story_without_a_turn_to_now_stays_calm(rt: Runtime, text: str) -> None:
    replies = await (await chat(rt, f"ka-past-{text}", "ka")).say(text)
    assert "112" not in replies[0].text

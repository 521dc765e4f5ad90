"""Does a comment or message need a reply from the page? Rules for Norwegian (bokmål
and nynorsk), Swedish, Danish and English, run at the edge before citizens' text is
dropped: the verdict (``needs_reply``, ``language``, ``reason``) is all that travels on.

Why rules and not a model: they load offline in microseconds, explain themselves (the
reason names the rule), and a team can read why a comment was or was not queued. A
small model would have to ship inside a registry package, load offline and beat these
rules on the evaluation set (``tests/data/needs_reply_*.tsv``; figures in
docs/metrics.md); none we could ship does yet.

The rules, in order (the first that decides wins):

1. nothing but links, tags of people or emoji → no (``link only``, ``tag only``,
   ``emoji only``); spam patterns → no (``spam``);
2. a rhetorical question (a sneer at the agency, "who else", "are we supposed to…",
   "why am I not surprised") → no (``rhetorical``);
3. a direct question: a sentence ending in "?", opening with a question word, or with
   the verb first and a subject after it (Nordic and English yes/no questions: "Kan
   jeg…", "Gjelder dette…", "Does this…") → yes;
4. "I wonder", "does anyone know", "I need to know" → yes (``wondering``);
5. a request for help or contact ("ring meg", "kontakta mig", "please send") → yes;
6. a problem with the person's own case (waiting, not received, refused, an error,
   a debt they dispute, cannot log in or find a form) → yes (``case problem``);
7. otherwise no (thanks, praise, opinions, jokes, statements).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

LANGUAGES = ("nb", "nn", "sv", "da", "en")


@dataclass(frozen=True, slots=True)
class Verdict:
    needs_reply: bool
    language: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words of each language (function words and the commonest words people write to
# agencies). A word listed for several languages gives each a share of one vote, so
# the words only one language has decide.
_MARKERS: dict[str, frozenset[str]] = {
    "nn": _words(
        "eg ikkje kva kvar korleis kvifor kven kor dykk dykkar frå berre heile vere noko "
        "nokon nokre sjølv framleis gjeld treng søkje mogleg gong gonger gongen ein ei eit "
        "òg mykje no vart fekk veit ver kjem eigentleg åleine opnar ope borna skuldar sjå "
        "heimanfrå einig heilt hjarteleg hjelpa handsaming vidare sidan kome betre tru "
        "verkeleg heltar ordna tek lova vore ulike att rettleiaren dette er og har på det "
        "takk de som for til med om ikkje sende pengane frå dei fleire gjeldande lågare "
        "vanleg hugs bygda enn mi sida"
    ),
    "nb": _words(
        "jeg ikke meg deg seg hva hvor hvordan hvorfor hvem dere deres noe noen nå også "
        "mye fikk ble vet enn hjelpen fortsatt gjelder trenger søke mulig helt hele være "
        "bare fra selv dette er og har på det takk de som for til med om etter sende "
        "pengene hjelp synes kjempe uakseptabelt behandling ganger gangen siden lurer "
        "gjerne veileder forstår skjemaet uten sånn gjøre gjør vært ta tar ringte arbeid "
        "jobbe utbetalt spørre spørsmål penger hvilke kjempehyggelig oss vår"
    ),
    "da": _words(
        "jeg ikke hvad hvornår jer jeres nu også meget fik blev ved mig dig sig noget "
        "nogen stadig gælder brug søge muligt helt hele være bare fra selv det er og "
        "har på tak tusind venligst hjælp hjælpen af efter gerne synes end lige nemt "
        "sød kigge tjek fået forstår ansøgning udbetaling årsopgørelsen årsopgørelse "
        "gange gang siden deler videre enig min mit husk bekræfte der til med om hvordan "
        "hvorfor hvem hvor uden nogle sådan kun jo gøre gør været tage tager ringede "
        "arbejde arbejdet udbetalt spørge spørgsmål penge jeg ikke mine kan skal klager "
        "begrundelse fejl hjælpe hos ud op os vores jeres pengene"
    ),
    "sv": _words(
        "jag inte vad hur varför vem ni er från något någon själv fortfarande gäller "
        "behöver söka möjligt mycket blev fick vet snälla hjälp tack och att för är på "
        "det har till efter undrar mig dig sig nu också helt hela vara bara med om "
        "delar vidare håller glöm utan några sådan bara göra gör varit ta tar ringde "
        "arbete jobba utbetald fråga frågor pengar vilka oss vår era hittar tyckte går"
    ),
    "en": _words(
        "i the a an is are was were do does did can could will would should what how "
        "when why who where which you your my me to of and in on for it this that have "
        "has not no please thanks thank with from"
    ),
}
_ORDER = ("nb", "nn", "da", "sv", "en")  # a tie goes to the first listed
# nynorsk shares most words with bokmål: any word only nynorsk writes decides for it
_NYNORSK_ONLY = _words(
    "eg ikkje kva kvar korleis kvifor kven dykk dykkar frå berre heile vere noko nokon "
    "nokre sjølv framleis gjeld treng søkje mogleg gong gonger gongen eit òg mykje vart "
    "fekk veit kjem eigentleg åleine opnar borna skuldar sjå heimanfrå einig heilt "
    "hjarteleg hjelpa handsaming sidan kome betre verkeleg heltar vore ulike dei fleire "
    "gjeldande lågare vanleg hugs bygda"
)
_VOTES: dict[str, dict[str, float]] = {}
for _lang, _markers in _MARKERS.items():
    for _word in _markers:
        _VOTES.setdefault(_word, {})[_lang] = 1.0
for _shares in _VOTES.values():
    for _lang in _shares:
        _shares[_lang] = 1.0 / len(_shares)

_URL = re.compile(r"(https?://\S+|www\.\S+|\b[a-z0-9-]+\.(?:ly|no|se|dk|com|uk|io)/\S*)", re.I)
_TAG = re.compile(r"@\w+(?:[ \t]+[A-ZÆØÅÄÖ][\w-]*){0,3}")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_SENTENCE = re.compile(r"[^.!?…\n]+[.!?…]*")

_SPAM = re.compile(
    r"\b(tjen|ten|tjäna|tjen|earn)\b.{0,20}\d|\b(vinn|vinne|vind|win|vinna)\b.{0,30}"
    r"(iphone|telefon|gavekort|gåvekort|presentkort|gift)|\bgratis\b.{0,20}"
    r"(gavekort|gåvekort|presentkort)|\bfree\b.{0,20}gift|\bkrypto|\bcrypto|"
    r"nettbutikk|webbshop|webshop|\bmy shop\b|billig\w* sol|cheap sun|"
    r"følg (siden|sida) mi|följ min sida|følg min side|follow my page|"
    r"(dm me|skicka ett dm|send meg (en )?melding|send mig en besked) (for|för) "
    r"(info|details|mer)|send meg melding 💸|"
    r"\b(tjene|tene|tjäna|make|earn) (penger|pengar|penge|money) (på nett|på nätet|online|"
    r"hjemmefra|heimanfrå|hemifrån)|\b(les|les meir|läs|læs|read) (mer|meir|mere|more) (på|on) "
    r"(profilen|min profil|my profile)|"
    r"\b(tjente|tente|tjänade|made|earned)\b.{0,10}\d.{0,25}\b(app|appen|uke|veke|vecka|uge|"
    r"week)\b",
    re.I,
)
_RHETORICAL = re.compile(
    r"i all verden|i alverden|i hela världen|on earth|"
    r"\b(egentlig|eigentleg|faktiskt|actually)\b.*\b(bryr|bryder|care)|"
    r"\b(bryr seg|bryr sig|bryder sig) om (oss|os|folk|oss på)|"
    r"\b(skal|ska|are) (vi|we) (virkelig|verkeleg|verkligen|really|supposed)|"
    r"\b(hvor|kor|hur|how) (lenge|länge|længe|long) (skal|ska|are) (vi|we)|"
    r"finne oss i|finna oss i|finde os i|put up with|"
    r"\b(fiende|fiendar|fiender|fjender|enemies)\b|"
    r"\b(overrasket|overraska|förvånad|surprised)\b|"
    r"\b(altså|alltså) (vi|os)\b|\bso we are the ones\b|"
    r"\b(vits|nokon vits|idé i|idé att|any point)\b|"
    r"\b(hvem|kven|vem|who) (andre|else|mer)\b|"
    r"\bi det hele tatt\b|\bi det heile\b|\böverhuvudtaget\b|\boverhovedet nogen\b|"
    r"\bhvorfor skal (alt|alting|det alltid)\b|\bkvifor skal alt\b|\bvarför ska allt\b|"
    r"\b(dere|de|ni|i|you) (virkelig|verkeleg|verkligen|really)\b|"
    r"\bwhy does everything\b|^\W*(og|och|and)\b[^?]*\?|\bsupposed to be\b|"
    r"^\W*(hvor|kor|how|vad|så)( er det| is it| it is| är det)? (utrolig |incredibly |"
    r"so |så )?(fint|dejligt|deilig|godt|bra|nice|great|lovely|kjekt|flott|härligt|skönt|"
    r"fantastisk|fantastic|wonderful)\b|"
    r"\b(funnet|funne|hittat|fundet) på\b|\bdesigned this\b",
    re.I,
)
_QUESTION_WORDS = _words(
    "hva hvad kva vad hvor kvar var hvordan korleis hur hvorfor kvifor varför hvornår når "
    "när hvem kven vem hvilke hvilken hvilket kva for vilka vilken vilket kor what when "
    "where why who whom which how"
)
_FIRST_VERBS = _words(
    "kan må skal vil får gjelder gjeld gäller gælder er är har vet veit ved blir bliver "
    "kommer kjem finnes finst finns findes går stemmer stämmer passer trenger treng "
    "behöver behøver betyr betyder burde bør fungerer kunne skulle ville "
    "do does did can could is are was were will would should may must have has"
)
_SUBJECTS = _words(
    "jeg eg jag i du dere de dykk ni man en ein vi det dette denne den der noen nokon "
    "någon nogen han hun ho hon studenter studentar studenter studerende "
    "you it this that these there they we he she anyone someone anybody my my"
)
_WONDERING = re.compile(
    r"\b((lurer|lurte|lurar|lurde) (veldig |litt |egentlig |bare |berre )?på|"
    r"undrar|undrade|undrer|undrede|spekulerer på|"
    r"spekulerede på|wondering|wonder if|wondered|"
    r"(wanted|want|would like|i'd like) to (check|know|ask|find out)|"
    r"(vil|ville|vill|skulle) (meget |veldig |mykje |väldigt |bare |berre |bara )?"
    r"(gerne |gjerne |gärna )?"
    r"(høre|høyre|vite|veta|vide|spørre|spørje|fråga|spørge|sjekke|sjekka|kolla|tjekke)|"
    r"(trenger|treng|behöver|har brug for|need) (svar|to know|å vite|å vite)|"
    r"(noen|nokon|någon|nogen|anyone|anybody|does anyone) (som |der )?(vet|veit|ved|know))\b",
    re.I,
)
_REQUEST = re.compile(
    r"\b(ring (meg|mig)|call me|ta kontakt med meg|kontakta mig|kontakt mig|"
    r"message me|dm me|pm me|send meg|send mig|sende meg|sende mig|skicka gärna|"
    r"skicka (ett )?(pm|dm|meddelande) till mig|please send|"
    r"(ønsker|ønskjer|ønsker at|vill|vil|would like to) (å |att |at )?(snakke|prata|tale|speak)|"
    r"(trenger|treng|behöver|har brug for|need) (hjelp|hjälp|hjælp|help)|"
    r"(må|skal|behöver|need) ha\w* (en |ei |ett )?(bekreftelse|stadfesting|intyg|kvittering|"
    r"confirmation|proof)|(trenger|treng|skal bruge|need) (en |ei |ett )?"
    r"(bekreftelse|stadfesting|bekræftelse|intyg|proof)|"
    r"ring\w* (meg|mig|opp mig|upp mig|meg opp|mig op|me back|me)\b|"
    r"\b(snarest|snarast|straks|omgående|asap|as soon as possible|hurtigst muligt)\b|"
    r"vær så snill|ver så snill|vær sød|var snäll|"
    r"vennligst|ver snill|snälla|venligst|please|hjelp!|hjälp!|hjælp!|help!)",
    re.I,
)
_CASE_PROBLEM = re.compile(
    r"\b((har|hev|have|has) (nå |no |nu )?(ventet|venta|väntat|waited|been waiting)|"
    r"waiting \d|"
    r"(ikke|ikkje|inte|not|haven't|have not|never) (fått|fått|fået|received|fått någon)|"
    r"ikke fået|ikkje fått|inte fått|haven't received|not received|"
    r"ikke mottatt|ikkje motteke|ej mottaget|ikke modtaget|"
    r"avslag|afslag|rejected|feilmelding|felmeddelande|fejlbesked|an error|"
    r"avvist|afvist|avslått|underkänd|refused|denied|"
    r"(ikke|ikkje|inte|not) (har )?(rett på|rett til|rätt till|ret til|entitled)|"
    r"(for|för) (mye|mykje|mycket|meget)|too much|\bfeil\b|\bfejl\b|\bwrong\b|mistake|"
    r"forstår ingenting|förstår ingenting|skjønner ingenting|makes no sense|"
    r"(has|have|had) not (had|got|received|been paid)|hasn't (had|got|received)|"
    r"\b(avlyst|inställd|inställt|aflyst|cancelled|canceled)\b|"
    r"\b(ingen|nobody|no one|ingen har) (har )?(gitt|gett|givet|given|svart|svarat|"
    r"svaret|answered|called|ringt|ringet|kontaktet|kontaktat)\b|"
    r"(får|kan|klarer|greier|lyckas|lykkes) (ikke|ikkje|inte) \w+|"
    r"\b(can't|cannot|unable to|won't let me) \w+|"
    r"forsvunnet|forsvundet|försvunnit|disappeared|borte fra|borte frå|"
    r"\bborte\b|skylder|skuldar|skyldig|owe\b|"
    r"(lovet|lova|lovad|lovet|promised) (svar|an answer)|fik lovet svar|"
    r"ringt \d+|ringet \d+|called \d+|"
    r"(uten|utan|uden|without) (noe |noko |något |noget |any )?(svar|answer|reply)|"
    r"vært nede|vore nede|legat nere|været nede|been down|"
    r"henger|heng\b|hänger|hænger|crashing|"
    r"(finner|finn|hittar|kan ikke finde|can't find|cannot find)\b.{0,15}"
    r"(ikke|ikkje|inte|skjema|blankett|form)|sliter med|slit med|"
    r"får ikke logget|får ikkje logga|kommer inte in|kan ikke logge|can't log in)",
    re.I,
)
_THANKS = re.compile(
    r"^\W*(tusen |mange |stort |hjertelig |hjarteleg |tusind )?(takk|tack|tak|thanks|thank you)\b",
    re.I,
)


def language_of(text: str) -> str:
    """The most likely of the five languages, or ``und`` when the text has no words."""
    words = [w.lower() for w in _WORD.findall(_TAG.sub(" ", _URL.sub(" ", text)))]
    if not words:
        return "und"
    scores = dict.fromkeys(_ORDER, 0.0)
    for word in words:
        for lang, share in _VOTES.get(word, {}).items():
            scores[lang] += share
    if any(word in _NYNORSK_ONLY for word in words):
        scores["nn"] += 2
    letters = set("".join(words))
    if letters & {"ä", "ö"}:
        scores["sv"] += 2
    if letters & {"æ", "ø"}:
        scores["sv"] -= 2
    if letters & {"å", "æ", "ø", "ä", "ö"}:
        scores["en"] -= 2
    best = max(scores.values())
    if best <= 0:
        return "en" if all(ord(c) < 128 for c in text) else "und"
    return next(lang for lang in _ORDER if scores[lang] == best)


def classify(text: str, *, with_language: bool = True) -> Verdict:
    """The verdict for one comment or message (any length; only the text is read).
    The rules do not depend on the language; naming it costs a fifth of the time, so
    the collectors, which keep only the verdict, skip it (``language`` is then "")."""
    language = language_of(text) if with_language else ""
    without_links = _URL.sub(" ", text)
    plain = _TAG.sub(" ", without_links)
    words = _WORD.findall(plain)
    if not words:
        if _URL.search(text):
            reason = "link only"
        elif "@" in text:
            reason = "tag only"
        else:
            reason = "emoji only"
        return Verdict(False, language, reason)
    if _SPAM.search(text):
        return Verdict(False, language, "spam")
    if _RHETORICAL.search(plain):
        return Verdict(False, language, "rhetorical")
    question = _direct_question(plain)
    if question:
        return Verdict(True, language, question)
    if _wonders(plain):
        return Verdict(True, language, "wondering")
    if _REQUEST.search(plain):
        return Verdict(True, language, "request")
    if _CASE_PROBLEM.search(plain):
        return Verdict(True, language, "case problem")
    if _THANKS.search(plain):
        return Verdict(False, language, "thanks")
    return Verdict(False, language, "no question")


_PRONOUNS = _words("jeg eg jag du vi me man i you we he she they")

# "…dette lurte du på": someone else wondered (a tag's reply), not the writer
_OTHERS = _words("du you hun han ho hon de dere dykk ni they she he")


def _wonders(text: str) -> bool:
    for match in _WONDERING.finditer(text):
        # the subject stands before the verb, or right after it ("dette lurte du på")
        before = _WORD.findall(text[: match.start()])[-1:]
        after = _WORD.findall(text[match.start() :])[1:2]
        if not {w.lower() for w in before + after} & _OTHERS:
            return True
    return False


def _direct_question(text: str) -> str:
    for sentence in _SENTENCE.findall(text):
        words = [w.lower() for w in _WORD.findall(sentence)]
        if not words:
            continue
        if words[0] in ("hei", "hej", "hi", "hello", "hallo") and len(words) > 1:
            words = words[1:]
        if sentence.rstrip().endswith(("?", "?!")) and len(words) > 2:
            return "question mark"
        # "Når blir det…" asks; "Når jeg blir stor…" (a subject right after) does not
        if words[0] in _QUESTION_WORDS and len(words) > 2 and words[1] not in _PRONOUNS:
            return "question word"
        if words[0] in _FIRST_VERBS and len(words) > 2 and words[1] in _SUBJECTS:
            return "verb first"
        # "…two different answers, which one is right": a closing clause that asks
        for clause in sentence.split(",")[1:]:
            tail = [w.lower() for w in _WORD.findall(clause)]
            if len(tail) >= 2 and tail[0] in _QUESTION_WORDS:
                return "question word"
    return ""


__all__ = ["LANGUAGES", "Verdict", "classify", "language_of"]

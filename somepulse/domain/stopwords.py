"""Stop words for "most used words" (Norwegian bokmål and nynorsk, Swedish, Danish,
English): function words that say nothing about a post's topic."""

from __future__ import annotations

STOP_WORDS: frozenset[str] = frozenset(
    # bokmål / nynorsk
    "og i jeg det at en et den til er som på de med han av ikke ikkje der så var meg seg "
    "men ett har om vi min mitt ha hadde hun nå over da ved fra du ut sin dem oss opp man "
    "kan hans hvor eller hva skal selv sjøl her alle vil bli ble blitt kunne inn når være "
    "kom noen noe ville dere som deres kun ja etter ned skulle denne for deg si sine sitt "
    "mot å meget hvorfor dette disse uten hvordan ingen din ditt blir samme hvilken hvilke "
    "sånn inni mellom vår hver hvem vors hvis både bare enn fordi før mange også slik vært "
    "eg ein eit eitt elles honom hjå ho hoe henne kva kvar kven kvi korleis me mykje no "
    "sia sidan so somt somme um upp vere vore verte vort varte vart "
    # svenska
    "och att jag hon som han på den med var sig för så till är men ett om hade de av icke "
    "mig du henne då sin nu har inte hans honom skulle hennes där min man ej vid kunde "
    "något från ut när efter upp vi dem vara vad över än dig kan sina här ha mot alla "
    "under någon eller allt mycket sedan ju denna själv detta åt utan varit hur ingen mitt "
    "ni bli blev oss din dessa några deras blir mina samma vilken er sådan vår blivit dess "
    "inom mellan sånt varför varje vilka ditt vem vilket sitta sådana vart dina vars vårt "
    "våra ert era vilkas "
    # dansk
    "af alt anden andet andre begge blev bliver da de dem den denne der deres det dette dig "
    "dog du efter eller en end er et for fra ham han hans har havde have hende hendes her "
    "hos hun hvad hvis hvor i ikke ind jeg jer jo kunne man mange med meget men mig min "
    "mine mit mod ned noget nogle nu når og også om op os over på selv sig sin sine sit "
    "skal skulle som sådan thi til ud under var vi vil ville vor være været "
    # english
    "a about above after again against all am an and any are as at be because been before "
    "being below between both but by can did do does doing down during each few for from "
    "further had has have having he her here hers him his how i if in into is it its just "
    "me more most my no nor not now of off on once only or other our out over own same "
    "she should so some such than that the their them then there these they this those "
    "through to too under until up very was we were what when where which while who why "
    "will with you your".split()
)


def stop_words_sql() -> str:
    """The list as a ClickHouse array literal (rendered into the words view)."""
    return "[" + ", ".join(f"'{w}'" for w in sorted(STOP_WORDS)) + "]"

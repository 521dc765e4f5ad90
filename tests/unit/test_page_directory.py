"""pages.toml knows each page's platform accounts: checked at load with errors that name
the file and line, and used at the door to map and check what platforms send."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from somepulse.domain.pages import PagesFileError, account_index, load_pages
from somepulse.schemas import EVENT_ADAPTER
from somepulse.streams.processor import MessageProcessor
from tests.helpers import interaction

HEAD = """[defaults]
tz = "Europe/Oslo"
country = "NO"
opens = "08:00"
closes = "15:30"
promise_minutes = 120
"""


def page(page_id: str, accounts: str = "", platform: str = "facebook") -> str:
    extra = f"accounts = {{ {accounts} }}\n" if accounts else ""
    return f'\n[[page]]\npage_id = "{page_id}"\nname = "N"\nplatform = "{platform}"\n{extra}'


def write(tmp_path: Path, *pages: str) -> Path:
    path = tmp_path / "pages.toml"
    path.write_text(HEAD + "".join(pages))
    return path


def test_accounts_of_every_platform_load_and_index(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        page("nav", 'facebook = "100000000000101", messenger = "100000000000101"'),
        page("nav.bsky", 'bluesky = "did:plc:abcdefghijklmnopqrstuvwx"', "bluesky"),
        page("nav.social", 'mastodon = "nav@social.example.no"', "mastodon"),
        page("nav.yt", 'youtube = "UCabcdefghijklmnopqrstuv"', "youtube"),
        page("nav.li", 'linkedin = "urn:li:organization:1000103"', "linkedin"),
    )
    index = account_index(load_pages(path))
    assert index[("messenger", "100000000000101")] == "nav"
    assert index[("bluesky", "did:plc:abcdefghijklmnopqrstuvwx")] == "nav.bsky"
    # the forms platforms use: with and without @, with and without the URN
    assert index[("mastodon", "@nav@social.example.no")] == "nav.social"
    assert index[("linkedin", "1000103")] == index[("linkedin", "urn:li:organization:1000103")]


@pytest.mark.parametrize(
    ("accounts", "platform", "message"),
    [
        ('facebook = "nav.foreldrepenger"', "facebook", "is not the numeric Facebook page id"),
        ('bluesky = "nav.bsky.social"', "bluesky", "is not a DID"),
        ('youtube = "nav"', "youtube", "is not the channel id"),
        ('myspace = "1"', "facebook", "accounts.myspace"),
        ("", "twitter-ish", "platform: Input should be"),
    ],
)
def test_a_wrong_account_names_the_file_and_line(
    tmp_path: Path, accounts: str, platform: str, message: str
) -> None:
    path = write(tmp_path, page("ok"), page("nav.bad", accounts, platform))
    with pytest.raises(PagesFileError) as err:
        load_pages(path)
    text = str(err.value)
    # the second page's page_id is on line 14 of the file
    assert text.startswith(f"{path}:14: page 'nav.bad': "), text
    assert message in text


def test_one_account_cannot_belong_to_two_pages(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        page("a", 'facebook = "100000000000101"'),
        page("b", 'facebook = "100000000000101"'),
    )
    with pytest.raises(PagesFileError, match="belongs to both 'a' and 'b'"):
        load_pages(path)
    with pytest.raises(PagesFileError, match=r"pages.toml:14: page_id 'a' appears twice"):
        load_pages(write(tmp_path, page("a"), page("a")))


INDEX = {("facebook", "100000000000101"): "nav.jobblyst"}


def test_the_worker_maps_accounts_to_pages_and_refuses_unknown_ones() -> None:
    proc = MessageProcessor("events", accounts=INDEX)
    by_account = {k: v for k, v in interaction(1).items() if k != "page_id"}
    out = proc.process(orjson.dumps(by_account | {"account_id": "100000000000101"}), 0, 1)
    assert [e.page_id for e in out.events] == ["nav.jobblyst"] and out.dead == []
    # both given and agreeing: the fast path keeps it
    agreeing = interaction(2, account_id="100000000000101")
    assert proc.process(orjson.dumps(agreeing), 0, 2).events
    for event, reason in (
        (by_account | {"account_id": "999999999999"}, "unknown account"),
        (interaction(3, account_id="999999999999"), "unknown account"),
        (interaction(4, page_id="nav.foreldrepenger", account_id="100000000000101"),
         "account mismatch"),
    ):  # fmt: skip
        out = proc.process(orjson.dumps(event), 0, 3)
        assert out.events == [] and [d.reason_class for d in out.dead] == [reason], event
    assert "belongs to page 'nav.jobblyst', not 'nav.foreldrepenger'" in out.dead[0].reason


def test_release_0_1_twitter_events_read_as_x() -> None:
    event = interaction(1, platform="twitter")
    assert EVENT_ADAPTER.validate_json(orjson.dumps(event)).platform == "x"

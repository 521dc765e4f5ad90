"""Where a person opens a post: its address on the platform, built from the id the
collectors store (no API call). Platforms whose addresses need what the id does not
carry (Instagram's shortcode, a TikTok or Threads username) get none; the alert then
names the post id and the board shows it."""

from __future__ import annotations

import re

from somepulse.domain.pages import PageInfo
from somepulse.schemas.base import Platform

_BLUESKY = re.compile(r"^at://(?P<did>[^/]+)/app\.bsky\.feed\.post/(?P<rkey>[^/]+)$")
_MASTODON = re.compile(r"^@(?P<user>[^@]+)@(?P<host>[^@]+)$")


def post_url(platform: str, post_id: str, page: PageInfo | None = None) -> str | None:
    """The post's public address, or None when the id alone cannot give it."""
    if not post_id:
        return None
    if platform == "facebook":
        # Graph ids are "{page id}_{post id}"
        page_part, _, post_part = post_id.partition("_")
        if post_part:
            return f"https://www.facebook.com/{page_part}/posts/{post_part}"
        return f"https://www.facebook.com/{post_id}"
    if platform == "youtube":
        return f"https://www.youtube.com/watch?v={post_id}"
    if platform == "bluesky" and (m := _BLUESKY.match(post_id)):
        return f"https://bsky.app/profile/{m['did']}/post/{m['rkey']}"
    if platform == "mastodon" and page is not None:
        account = page.accounts.get(Platform.MASTODON, "")
        if m := _MASTODON.match(account):
            return f"https://{m['host']}/@{m['user']}/{post_id}"
        return None
    if platform == "linkedin" and post_id.startswith("urn:li:"):
        return f"https://www.linkedin.com/feed/update/{post_id}"
    if platform == "x":
        return f"https://x.com/i/web/status/{post_id}"
    return None

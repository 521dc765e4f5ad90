"""``somepulse collect youtube``: a channel's recent videos, their comments and their
statistics, within the YouTube Data API's daily quota.

Every list call costs 1 unit of the default 10,000 a day
(developers.google.com/youtube/v3/determine_quota_cost). A run gets the day's quota
divided by the runs planned a day, and spends it in this order, stopping before the
budget is exceeded: the channel (1: its uploads playlist and subscriber count), the
recent uploads (1 per 50), their statistics (1 per 50 videos), then comment threads,
newest videos first, one page (100 threads) at a time. What it spent and what it left
is printed and counted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import ClientSession

Event = dict[str, Any]
DAILY_QUOTA = 10_000


class QuotaExceeded(ValueError):
    pass


class CredentialError(ValueError):
    pass


@dataclass
class Budget:
    units: int
    spent: int = 0

    def take(self, cost: int = 1) -> bool:
        if self.spent + cost > self.units:
            return False
        self.spent += cost
        return True


def budget_per_run(runs_per_day: int, daily_quota: int = DAILY_QUOTA) -> Budget:
    return Budget(math.floor(daily_quota / max(runs_per_day, 1)))


@dataclass
class YouTubePoller:
    base_url: str  # https://www.googleapis.com/youtube/v3
    api_key: str
    channel_id: str
    page_id: str | None
    budget: Budget
    videos: int = 10  # the most recent uploads to follow
    session: ClientSession | None = None
    events: list[Event] = field(default_factory=list)
    # threads with more replies than they carry: (video, thread id, reply ids carried)
    _crowded: list[tuple[str, str, set[str]]] = field(default_factory=list)

    def base(self) -> Event:
        event: Event = {"platform": "youtube", "account_id": self.channel_id}
        if self.page_id is not None:
            event["page_id"] = self.page_id
        return event

    async def run(self, now: datetime) -> list[Event]:
        if not self.budget.take():
            return []
        channel = await self._get("channels", {"part": "contentDetails,statistics",
                                               "id": self.channel_id})  # fmt: skip
        items = channel.get("items") or []
        if not items:
            raise CredentialError(f"YouTube knows no channel {self.channel_id!r}")
        stats = items[0].get("statistics") or {}
        fetched = now.astimezone(UTC).isoformat()
        if str(stats.get("subscriberCount", "")).isdigit():
            count = int(stats["subscriberCount"])
            self.events.append(
                self._snapshot("page", "subscriberCount", "total", count, now, fetched)
            )
        uploads = items[0]["contentDetails"]["relatedPlaylists"]["uploads"]
        if not self.budget.take():
            return self.events
        playlist = await self._get(
            "playlistItems",
            {"part": "contentDetails", "playlistId": uploads,
             "maxResults": str(min(self.videos, 50))},
        )  # fmt: skip
        video_ids = [i["contentDetails"]["videoId"] for i in playlist.get("items") or []]
        video_ids = video_ids[: self.videos]
        if video_ids and self.budget.take():
            videos = await self._get("videos", {"part": "statistics,snippet",
                                                "id": ",".join(video_ids)})  # fmt: skip
            for video in videos.get("items") or []:
                self._video(video, now, fetched)
        for video_id in video_ids:  # newest first: they gather the comments
            if not self.budget.take():
                break
            threads = await self._get("commentThreads", {"part": "snippet,replies",
                                                         "videoId": video_id,
                                                         "maxResults": "100",
                                                         "order": "time"})  # fmt: skip
            for thread in threads.get("items") or []:
                self._thread(video_id, thread)
        await self._more_replies()
        return self.events

    async def _more_replies(self) -> None:
        """A thread carries at most five replies: the rest from ``comments.list`` by
        parent (a unit a page of 100), newest threads first, while the budget lasts."""
        for video_id, thread_id, seen in self._crowded:
            token: str | None = None
            while self.budget.take():
                params = {"part": "snippet", "parentId": thread_id, "maxResults": "100"}
                page = await self._get("comments", params | ({"pageToken": token} if token else {}))
                for reply in page.get("items") or []:
                    if str(reply.get("id")) not in seen:
                        self._comment(video_id, reply, thread_id)
                token = page.get("nextPageToken")
                if not token:
                    break
            else:
                return

    def _video(self, video: Mapping[str, Any], now: datetime, fetched: str) -> None:
        vid, snippet = str(video["id"]), video.get("snippet") or {}
        self.events.append(self.base() | {
            "kind": "post_published", "event_id": f"yt:video:{vid}:add", "post_id": vid,
            "format": "video", "occurred_at": snippet.get("publishedAt", fetched),
            "text": str(snippet.get("title") or ""),
        })  # fmt: skip
        views = (video.get("statistics") or {}).get("viewCount")
        if str(views or "").isdigit():
            self.events.append(self._snapshot("post", "statistics.viewCount", "lifetime",
                                              int(str(views)), now, fetched, vid))  # fmt: skip

    def _thread(self, video_id: str, thread: Mapping[str, Any]) -> None:
        snippet = thread.get("snippet") or {}
        top = snippet.get("topLevelComment") or {}
        replies = (thread.get("replies") or {}).get("comments") or []
        for comment in (top, *replies):
            self._comment(video_id, comment, None if comment is top else str(top.get("id")))
        if int(snippet.get("totalReplyCount") or 0) > len(replies):
            seen = {str(r.get("id")) for r in replies}
            self._crowded.append((video_id, str(top.get("id")), seen))

    def _comment(self, video_id: str, comment: Mapping[str, Any], parent: str | None) -> None:
        cid, snippet = str(comment.get("id")), comment.get("snippet") or {}
        author = str((snippet.get("authorChannelId") or {}).get("value", ""))
        at = snippet.get("publishedAt")
        if not author or not at:
            return
        base = self.base() | {"occurred_at": at, "post_id": video_id}
        if author == self.channel_id:
            self.events.append(base | {
                "kind": "page_reply", "event_id": f"yt:comment:{cid}:add", "channel": "comment",
                "reply_id": cid, "in_reply_to": parent or video_id,
            })  # fmt: skip
            return
        event = base | {"kind": "interaction", "event_id": f"yt:comment:{cid}:add",
                        "interaction_type": "reply" if parent else "comment",
                        "comment_id": cid, "actor_id": author,
                        "text": str(snippet.get("textOriginal") or "")}  # fmt: skip
        if parent:
            event["parent_comment_id"] = parent
        self.events.append(event)

    def _snapshot(self, scope: str, metric: str, period: str, value: int, now: datetime,
                  fetched: str, post_id: str | None = None) -> Event:  # fmt: skip
        day = now.astimezone(UTC).date().isoformat()
        target = post_id or self.channel_id
        event = self.base() | {
            "kind": "metric_snapshot", "event_id": f"yt:{metric}:{target}:{day}",
            "occurred_at": fetched, "scope": scope, "metric": metric, "period": period,
            "day": day, "value": value, "source": "poll", "fetched_at": fetched,
        }  # fmt: skip
        if post_id is not None:
            event["post_id"] = post_id
        return event

    async def _get(self, resource: str, params: dict[str, str]) -> dict[str, Any]:
        assert self.session is not None
        url = f"{self.base_url.rstrip('/')}/{resource}"
        async with self.session.get(url, params=params | {"key": self.api_key}) as response:
            doc = await response.json(content_type=None)
            if response.status < 400:
                return doc if isinstance(doc, dict) else {}
        errors = ((doc or {}).get("error") or {}).get("errors") or [{}]
        reason = str(errors[0].get("reason", ""))
        if reason in ("quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded"):
            raise QuotaExceeded(f"YouTube's quota is spent for today ({reason})")
        if reason in ("keyInvalid", "forbidden", "accessNotConfigured") or response.status == 401:
            raise CredentialError(f"YouTube refused the API key ({reason or response.status})")
        raise RuntimeError(f"YouTube API {resource}: HTTP {response.status} {reason}")

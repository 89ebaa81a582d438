"""`guidepress linkcheck`: check every external link of the library, without crying wolf.

A small asyncio checker (httpx) rather than Sphinx's linkcheck builder: it asks the DOI
resolver's handle API whether a DOI exists and NCBI's summary service whether a PubMed id does
(publishers' sites often refuse robots), limits requests per host, paces NCBI, honours
Retry-After, bounds the whole run, and reports every place a link is written.

Classes: ok, redirected (permanent, with the new URL), broken (404/410, unknown host, DOI or
PMID not found, redirect loop), blocked (401/403/418: the site refuses robots) and transient
(timeout, 429, 5xx, not reached within the time bound).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import httpx
from pydantic import BaseModel, Field, ValidationError

from guidepress.atomic import write_atomically
from guidepress.links import Link, LinkKind, Place
from guidepress.schemas.characters import printable
from guidepress.schemas.settings import LinkcheckSettings, LinkStatus

REDIRECTS = (301, 302, 303, 307, 308)
PERMANENT = (301, 308)
MAX_HOPS = 10
PMID_BATCH = 200  # ids per NCBI summary request: one request answers for many, within NCBI's pace
HOST_NOT_FOUND = "host not found"
MAX_ANSWER = 1_000_000  # bytes: a DOI or NCBI summary is a few kB
RETRY_AFTER = re.compile(r"[0-9]{1,6}")  # ASCII digits only: int() takes other scripts' digits
DNS_FAILURE = re.compile(
    r"name or service not known|nodename nor servname|getaddrinfo|no address associated|name "
    r"resolution",
    re.IGNORECASE,
)


@dataclass
class Result:
    kind: LinkKind
    target: str
    status: LinkStatus
    detail: str = ""
    code: int | None = None
    new_url: str | None = None
    cached: bool = False
    places: list[Place] = field(default_factory=list)


@dataclass(frozen=True)
class Answer:
    """What a server answered: its status, headers and (when read) a bounded body."""

    status: int
    headers: httpx.Headers
    body: bytes = b""


class _NotWeb(Exception):
    """The link, or where its answer redirects, is not a web address that can be asked."""


class _Transient(Exception):
    def __init__(self, detail: str, code: int | None = None) -> None:
        super().__init__(detail)
        self.detail, self.code = detail, code


class Checker:
    def __init__(self, settings: LinkcheckSettings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client
        self.hosts: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host)
        )
        self.ncbi_host = urlsplit(settings.pubmed_api).netloc
        self.ncbi_lock = asyncio.Lock()
        self.ncbi_last = 0.0

    async def _pace(self, host: str) -> None:
        if host != self.ncbi_host:
            return
        async with self.ncbi_lock:  # NCBI allows 3 requests a second without an API key
            wait = self.ncbi_last + 1 / self.settings.ncbi_per_second - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self.ncbi_last = time.monotonic()

    async def fetch(self, url: str, read: bool) -> Answer:
        """One URL, retrying transient failures with backoff and Retry-After. Each attempt is
        bounded in time as a whole (a server dripping its answer cannot hold the run) and, when
        its body is read, in size."""
        host = urlsplit(url).netloc
        last = _Transient("not checked")
        for attempt in range(self.settings.retries + 1):
            delay = self.settings.backoff * 2**attempt
            try:
                async with self.hosts[host], asyncio.timeout(self.settings.timeout):
                    await self._pace(host)
                    answer = await self._get(url, read)
            except TimeoutError:
                last = _Transient(f"no answer within {self.settings.timeout:g} s")
            except httpx.ConnectError as error:
                if DNS_FAILURE.search(str(error)):
                    raise
                last = _Transient(f"cannot connect: {error}")
            except httpx.HTTPError as error:
                last = _Transient(f"{type(error).__name__}: {error}")
            else:
                if answer.status != 429 and answer.status < 500:
                    return answer
                last = _Transient(f"HTTP {answer.status}", answer.status)
                retry_after = answer.headers.get("Retry-After", "").strip()
                if RETRY_AFTER.fullmatch(retry_after):  # seconds; a date is not honoured
                    delay = float(retry_after)
                    if delay > self.settings.max_retry_after:
                        break  # the site asks for longer than we wait: report, do not hammer
            if attempt < self.settings.retries:
                await asyncio.sleep(delay)
        raise last

    async def _get(self, url: str, read: bool) -> Answer:
        try:
            urlsplit(url).port  # noqa: B018  a port that is no number or out of range raises
            request = self.client.build_request("GET", url)
        except (ValueError, httpx.InvalidURL) as error:
            raise _NotWeb(f"not a web address that can be checked ({error})") from None
        try:
            response = await self.client.send(request, stream=True)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as error:  # its redirect's Location
            raise _NotWeb(f"redirects to an address that is not a web address ({error})") from None
        try:
            body = bytearray()
            if read:
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER:
                        raise _Transient(f"the answer is larger than {MAX_ANSWER // 1000} kB")
            return Answer(response.status_code, response.headers, bytes(body))
        finally:
            await response.aclose()

    async def check(self, kind: LinkKind, targets: list[str]) -> list[Result]:
        """One URL or DOI, or a batch of PubMed ids (one NCBI request answers for many)."""
        try:
            if kind == LinkKind.PMID:
                return await self._pmids(targets)
            (target,) = targets
            return [await (self._doi(target) if kind == LinkKind.DOI else self._url(target))]
        except _Transient as error:
            return [
                Result(kind, target, LinkStatus.TRANSIENT, error.detail, error.code)
                for target in targets
            ]
        except httpx.ConnectError as error:
            return [
                Result(kind, target, LinkStatus.BROKEN, f"{HOST_NOT_FOUND}: {error}")
                for target in targets
            ]
        except _NotWeb as error:
            return [Result(kind, target, LinkStatus.BROKEN, str(error)) for target in targets]
        except Exception as error:  # noqa: BLE001  an answer no rule foresaw: report, never crash
            detail = f"could not be checked: {type(error).__name__}: {error}"
            return [Result(kind, target, LinkStatus.TRANSIENT, detail) for target in targets]

    async def _url(self, url: str) -> Result:
        current, seen, permanent = url, {url}, False
        for _ in range(MAX_HOPS):
            answer = await self.fetch(current, read=False)
            code, location = answer.status, answer.headers.get("Location")
            if code not in REDIRECTS or not location:
                return _by_status(LinkKind.URL, url, code, current if permanent else None)
            following = urljoin(current, location.strip())
            scheme = urlsplit(following).scheme.lower()
            if scheme not in ("http", "https"):
                detail = f"redirects to a {scheme or 'schemeless'}: address, which is not followed"
                return Result(LinkKind.URL, url, LinkStatus.BROKEN, detail, code)
            if _origin(following) != _origin(current):  # never led to hosts the page did not name
                detail = (
                    f"redirects to another host, {urlsplit(following).netloc}, which was not "
                    "followed; check it, and link to the new address if the page has moved there"
                )
                return Result(LinkKind.URL, url, LinkStatus.REDIRECTED, detail, code, following)
            if following in seen:
                detail = f"redirect loop at {following}"
                return Result(LinkKind.URL, url, LinkStatus.BROKEN, detail, code)
            seen.add(following)
            permanent = permanent or code in PERMANENT
            current = following
        return Result(LinkKind.URL, url, LinkStatus.BROKEN, f"more than {MAX_HOPS} redirects")

    async def _doi(self, doi: str) -> Result:
        answer = await self.fetch(self.settings.doi_api + quote(doi, safe="/"), read=True)
        if answer.status == 404:
            detail = "DOI not found by the DOI resolver"
            return Result(LinkKind.DOI, doi, LinkStatus.BROKEN, detail, 404)
        if answer.status != 200:
            return _by_status(LinkKind.DOI, doi, answer.status, None)
        handle = _parsed(answer, HandleAnswer, "the DOI resolver")
        if handle.responseCode == 1:
            return Result(LinkKind.DOI, doi, LinkStatus.OK, "", 200)
        detail = f"DOI not found (handle response code {handle.responseCode})"
        return Result(LinkKind.DOI, doi, LinkStatus.BROKEN, detail, 200)

    async def _pmids(self, pmids: list[str]) -> list[Result]:
        ids = ",".join(quote(p) for p in pmids)
        url = f"{self.settings.pubmed_api}?db=pubmed&retmode=json&id={ids}"
        answer = await self.fetch(url, read=True)
        if answer.status != 200:
            return [_by_status(LinkKind.PMID, pmid, answer.status, None) for pmid in pmids]
        records = _parsed(answer, SummaryAnswer, "NCBI").result
        results = []
        for pmid in pmids:
            record = records.get(pmid)
            if not isinstance(record, dict) or "error" in record:
                detail = "PubMed id not found by NCBI"
                results.append(Result(LinkKind.PMID, pmid, LinkStatus.BROKEN, detail, 200))
            else:
                results.append(Result(LinkKind.PMID, pmid, LinkStatus.OK, "", 200))
        return results


class HandleAnswer(BaseModel):
    """The DOI resolver's handle API: responseCode 1 means the handle exists."""

    responseCode: int


class SummaryAnswer(BaseModel):
    """NCBI's summary service: a record per id under `result`."""

    result: dict[str, Any]


Model = TypeVar("Model", bound=BaseModel)


def _parsed(answer: Answer, model: type[Model], service: str) -> Model:
    """The answer read through its model; anything else is the service's problem, not the
    link's."""
    try:
        return model.model_validate(json.loads(answer.body))
    except (ValueError, RecursionError, ValidationError):
        raise _Transient(f"{service} gave an answer that is not what it should be") from None


def _origin(url: str) -> tuple[str, int | None]:
    """Host and port: a move from http to https on the same host stays on the same origin."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    try:
        port = parts.port or default
    except ValueError:  # a port that is no number, or out of range
        port = -1
    return (parts.hostname or "", None if port in (80, 443) else port)


async def _unless_offline(results: Iterable[Result], settings: LinkcheckSettings) -> None:
    """A host not found is a broken link only while other names resolve: with no DNS at all (a
    CI runner without network), every link would look broken. The DOI resolver's and NCBI's
    hosts should always resolve, so they tell which case this is."""
    unresolved = [
        r for r in results if r.status == LinkStatus.BROKEN and r.detail.startswith(HOST_NOT_FOUND)
    ]
    if not unresolved:
        return
    hosts = sorted(
        {
            h
            for h in (urlsplit(settings.doi_api).hostname, urlsplit(settings.pubmed_api).hostname)
            if h
        }
    )
    loop = asyncio.get_running_loop()
    for host in hosts:
        try:
            await asyncio.wait_for(loop.getaddrinfo(host, None), settings.timeout)
            return  # names resolve: those hosts are really gone
        except (OSError, TimeoutError):
            continue
    for result in unresolved:
        result.status = LinkStatus.TRANSIENT
        result.detail = (
            f"{HOST_NOT_FOUND}, but neither could {' nor '.join(hosts)} be looked up: the network "
            "or "
            "its DNS is down, which says nothing about this link"
        )


def _by_status(kind: LinkKind, target: str, code: int, new_url: str | None) -> Result:
    if 200 <= code < 300:
        if new_url:
            return Result(
                kind,
                target,
                LinkStatus.REDIRECTED,
                f"moved permanently to {new_url}",
                code,
                new_url,
            )
        return Result(kind, target, LinkStatus.OK, "", code)
    if code in (401, 403, 418):
        return Result(
            kind,
            target,
            LinkStatus.BLOCKED,
            f"HTTP {code}: the site refuses automated checks; check it by hand",
            code,
        )
    return Result(kind, target, LinkStatus.BROKEN, f"HTTP {code}", code)


class CacheEntry(BaseModel):
    """One remembered success: when it was checked, and the HTTP status it had."""

    checked: float = Field(ge=0, allow_inf_nan=False)
    code: int | None = Field(default=None, ge=100, le=599)


class Cache:
    """Successful results only, so a later run re-checks new, stale and failing links. An entry
    that is damaged, or dated in the future (which would keep a dead link "ok" for ever), counts
    for nothing: the link is checked again."""

    FUTURE_SLACK = 300  # seconds: clocks of two machines sharing a cache differ a little

    def __init__(self, path: Path | None, max_age_days: float) -> None:
        self.path = path
        self.max_age = max_age_days * 86400
        self.entries: dict[str, Any] = {}
        if path and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                self.entries = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError, RecursionError):
                self.entries = {}  # a damaged cache only costs a full re-check

    def get(self, kind: LinkKind, target: str) -> Result | None:
        try:
            entry = CacheEntry.model_validate(self.entries.get(f"{kind}:{target}"))
        except ValidationError:
            return None
        age = time.time() - entry.checked
        if age > self.max_age or age < -self.FUTURE_SLACK:
            return None
        return Result(kind, target, LinkStatus.OK, "", entry.code, cached=True)

    def put(self, result: Result) -> None:
        key = f"{result.kind}:{result.target}"
        if result.status == LinkStatus.OK and not result.cached:
            self.entries[key] = {"checked": time.time(), "code": result.code}
        elif result.status != LinkStatus.OK:
            self.entries.pop(key, None)

    def save(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, json.dumps(self.entries, indent=1, sort_keys=True))
        except (
            OSError
        ) as error:  # the results still count: report them, and say the cache was not kept
            print(
                f"guidepress: warning: could not write the link cache {self.path}: "
                f"{error.strerror or error}; "
                "the next run checks every link again",
                file=sys.stderr,
            )


async def check_links(links: list[Link], settings: LinkcheckSettings, cache: Cache) -> list[Result]:
    grouped: dict[tuple[LinkKind, str], list[Place]] = defaultdict(list)
    for link in links:
        grouped[(link.kind, link.target)].append(link.place)
    results: dict[tuple[LinkKind, str], Result] = {}
    todo: list[tuple[LinkKind, str]] = []
    for kind, target in grouped:
        ignored = next(
            (rule for rule in settings.ignore if re.fullmatch(rule.pattern, target)), None
        )
        known = None if ignored else cache.get(kind, target)
        if ignored:
            results[(kind, target)] = Result(kind, target, LinkStatus.IGNORED, ignored.reason)
        elif known:
            results[(kind, target)] = known
        else:
            todo.append((kind, target))
    timeout = httpx.Timeout(settings.timeout)
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
    headers = {"User-Agent": "guidepress-linkcheck (+https://pypi.org/project/guidepress/)"}
    async with httpx.AsyncClient(
        timeout=timeout, limits=limits, headers=headers, follow_redirects=False
    ) as client:
        checker = Checker(settings, client)
        pmids = [target for kind, target in todo if kind == LinkKind.PMID]
        jobs = [
            (LinkKind.PMID, pmids[i : i + PMID_BATCH]) for i in range(0, len(pmids), PMID_BATCH)
        ]
        jobs += [(kind, [target]) for kind, target in todo if kind != LinkKind.PMID]
        tasks = {
            asyncio.ensure_future(checker.check(kind, targets)): (kind, targets)
            for kind, targets in jobs
        }
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=settings.total_timeout)
            for task in pending:
                task.cancel()
            for task, (kind, targets) in tasks.items():
                late = [
                    Result(
                        kind,
                        target,
                        LinkStatus.TRANSIENT,
                        f"not checked within the {settings.total_timeout:g} s bound",
                    )
                    for target in targets
                ]
                for result in task.result() if task in done else late:
                    results[(kind, result.target)] = result
        await _unless_offline(results.values(), settings)
    for key, result in results.items():
        result.places = sorted(grouped[key])
        cache.put(result)
    cache.save()
    return sorted(results.values(), key=lambda r: (r.places[0], r.kind, r.target))


PROBLEMS = (
    LinkStatus.BROKEN,
    LinkStatus.TRANSIENT,
    LinkStatus.BLOCKED,
    LinkStatus.REDIRECTED,
    LinkStatus.IGNORED,
)


def text_report(results: list[Result], fail_on: Sequence[str]) -> str:
    """Problems grouped by page, each with its line, reference id and HTTP status."""
    by_page: dict[str, list[tuple[Place, Result]]] = defaultdict(list)
    for result in results:
        if result.status in PROBLEMS:
            for place in result.places:
                by_page[place.path].append((place, result))
    lines = []
    for page in sorted(by_page):
        lines.append(page)
        for place, result in sorted(by_page[page], key=lambda item: (item[0].line, item[0].col)):
            where = (
                f"reference {place.reference}, {result.kind}" if place.reference else result.kind
            )
            level = "error" if result.status in fail_on else "warning"
            lines.append(
                f"  {place.path}:{place.line}:{place.col}: {level}: {result.status} [{where}] "
                f"{result.target}: {result.detail}"
            )
    counts: defaultdict[LinkStatus, int] = defaultdict(int)
    for result in results:
        counts[result.status] += 1
    summary = ", ".join(f"{counts[s]} {s}" for s in (LinkStatus.OK, *PROBLEMS) if counts[s])
    cached = sum(r.cached for r in results)
    lines.append(
        f"guidepress: {len(results)} distinct link(s): {summary or 'none'} ({cached} from cache)"
    )
    return "\n".join(printable(line) for line in lines)  # a server chose the details


def json_report(results: list[Result]) -> str:
    return json.dumps([asdict(result) for result in results], indent=2)


def run(links: list[Link], settings: LinkcheckSettings, cache_path: Path | None) -> list[Result]:
    return asyncio.run(check_links(links, settings, Cache(cache_path, settings.cache_max_age_days)))

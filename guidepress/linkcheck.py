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
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from guidepress.atomic import write_atomically
from guidepress.links import Link, LinkKind, Place
from guidepress.schemas.settings import LinkcheckSettings, LinkStatus

REDIRECTS = (301, 302, 303, 307, 308)
PERMANENT = (301, 308)
MAX_HOPS = 10
PMID_BATCH = 200  # ids per NCBI summary request: one request answers for many, within NCBI's pace
HOST_NOT_FOUND = "host not found"
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

    async def fetch(self, url: str, read: bool) -> httpx.Response:
        """One URL, retrying transient failures with backoff and Retry-After."""
        host = urlsplit(url).netloc
        last = _Transient("not checked")
        for attempt in range(self.settings.retries + 1):
            delay = self.settings.backoff * 2**attempt
            try:
                async with self.hosts[host]:
                    await self._pace(host)
                    request = self.client.build_request("GET", url)
                    response = await self.client.send(request, stream=True)
                    try:
                        if read:
                            await response.aread()
                    finally:
                        await response.aclose()
            except httpx.TimeoutException:
                last = _Transient(f"no answer within {self.settings.timeout:g} s")
            except httpx.ConnectError as error:
                if DNS_FAILURE.search(str(error)):
                    raise
                last = _Transient(f"cannot connect: {error}")
            except httpx.HTTPError as error:
                last = _Transient(f"{type(error).__name__}: {error}")
            else:
                if response.status_code != 429 and response.status_code < 500:
                    return response
                last = _Transient(f"HTTP {response.status_code}", response.status_code)
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    delay = float(retry_after)
                    if delay > self.settings.max_retry_after:
                        break  # the site asks for longer than we wait: report, do not hammer
            if attempt < self.settings.retries:
                await asyncio.sleep(delay)
        raise last

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

    async def _url(self, url: str) -> Result:
        current, seen, permanent = url, {url}, False
        for _ in range(MAX_HOPS):
            response = await self.fetch(current, read=False)
            code = response.status_code
            location = response.headers.get("Location")
            if code in REDIRECTS and location:
                following = urljoin(current, location)
                if following in seen:
                    return Result(
                        LinkKind.URL, url, LinkStatus.BROKEN, f"redirect loop at {following}", code
                    )
                seen.add(following)
                permanent = permanent or code in PERMANENT
                current = following
                continue
            return _by_status(LinkKind.URL, url, code, current if permanent else None)
        return Result(LinkKind.URL, url, LinkStatus.BROKEN, f"more than {MAX_HOPS} redirects")

    async def _doi(self, doi: str) -> Result:
        response = await self.fetch(self.settings.doi_api + quote(doi, safe="/"), read=True)
        if response.status_code == 404:
            return Result(
                LinkKind.DOI, doi, LinkStatus.BROKEN, "DOI not found by the DOI resolver", 404
            )
        if response.status_code == 200:
            body = _json(response)
            if body.get("responseCode") == 1:
                return Result(LinkKind.DOI, doi, LinkStatus.OK, "", 200)
            return Result(
                LinkKind.DOI,
                doi,
                LinkStatus.BROKEN,
                f"DOI not found (handle response code {body.get('responseCode')})",
                200,
            )
        return _by_status(LinkKind.DOI, doi, response.status_code, None)

    async def _pmids(self, pmids: list[str]) -> list[Result]:
        ids = ",".join(quote(p) for p in pmids)
        url = f"{self.settings.pubmed_api}?db=pubmed&retmode=json&id={ids}"
        response = await self.fetch(url, read=True)
        if response.status_code != 200:
            return [_by_status(LinkKind.PMID, pmid, response.status_code, None) for pmid in pmids]
        records = _json(response).get("result", {})
        results = []
        for pmid in pmids:
            record = records.get(pmid)
            if not isinstance(record, dict) or "error" in record:
                results.append(
                    Result(
                        LinkKind.PMID, pmid, LinkStatus.BROKEN, "PubMed id not found by NCBI", 200
                    )
                )
            else:
                results.append(Result(LinkKind.PMID, pmid, LinkStatus.OK, "", 200))
        return results


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


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


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


class Cache:
    """Successful results only, so a later run re-checks new, stale and failing links."""

    def __init__(self, path: Path | None, max_age_days: float) -> None:
        self.path = path
        self.max_age = max_age_days * 86400
        self.entries: dict[str, dict[str, Any]] = {}
        if path and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                self.entries = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                self.entries = {}  # a damaged cache only costs a full re-check

    def get(self, kind: LinkKind, target: str) -> Result | None:
        entry = self.entries.get(f"{kind}:{target}")
        if (
            not isinstance(entry, dict)
            or time.time() - float(entry.get("checked", 0)) > self.max_age
        ):
            return None
        return Result(kind, target, LinkStatus.OK, "", entry.get("code"), cached=True)

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
    return "\n".join(lines)


def json_report(results: list[Result]) -> str:
    return json.dumps([asdict(result) for result in results], indent=2)


def run(links: list[Link], settings: LinkcheckSettings, cache_path: Path | None) -> list[Result]:
    return asyncio.run(check_links(links, settings, Cache(cache_path, settings.cache_max_age_days)))

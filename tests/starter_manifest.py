"""The ids the starter knowledge base must contain, with their types (issue 3, extended by issue 14).

Kept as data so tests/test_starter.py, the writing guide and the search evaluation share one list.
"""

STARTER_IDS: dict[str, list[str]] = {
    "principle": [
        "consistency-models",
        "cap-theorem",
        "latency-vs-throughput",
        "backpressure",
        "idempotency",
        # issue 14
        "timeouts-and-deadlines",
        "static-stability",
    ],
    "pattern": [
        "caching",
        "queue-based-processing",
        "rate-limiting",
        "sharding",
        "fan-out-fan-in",
        "cqrs",
        "circuit-breaker",
        "retry-with-backoff",
        "bulkhead",
        "idempotency-keys",
        "saga",
        "two-phase-commit",
        "transactional-outbox",
        "request-coalescing",
        "consistent-hashing",
        "load-shedding",
        "pub-sub",
        # issue 14
        "service-to-service-auth",
        "backup-and-restore",
        "cell-based-architecture",
        "leader-election",
        "fencing-tokens",
        "leases",
    ],
    "system": [
        "url-shortener",
        "chat-system",
        "feed-system",
        "rate-limiter",
        "notification-system",
        "event-pipeline",
        "multi-tenant-billing",
        "rewards-engine",
        "feature-flag-service",
        "data-consistency-layer",
        "analytics-pipeline",
        "circuit-breaker-mesh",
        "multi-region-cdn",
    ],
    "decision": [
        "redis-vs-in-memory-cache",
        "sql-vs-nosql",
        "queue-vs-direct-processing",
        "sync-vs-async-architecture",
        "adr-0001-event-ingest-pipeline",
        "adr-0002-multi-tenant-billing",
        "adr-0003-rewards-calculation-engine",
        "adr-0004-real-time-notification",
        "adr-0005-feature-flag-service",
        "adr-0006-distributed-rate-limiting",
        "adr-0007-data-consistency-layer",
        "adr-0008-analytics-pipeline",
        "adr-0009-circuit-breaker-pattern",
        "adr-0010-multi-region-cdn",
    ],
    "failure-mode": [
        "cache-stampede",
        "thundering-herd",
        "db-connection-exhaustion",
        "race-conditions",
        "partial-failures",
        "retry-storms",
        "cascading-failures",
        "hot-partition",
        "n-plus-one-queries",
        "poison-messages",
        "split-brain",
        "replication-lag",
        # issue 14
        "clock-skew",
        "certificate-expiry",
        "dns-failures",
        "disk-full",
        "queue-backlog",
        "postgres-vacuum-wraparound",
    ],
    "playbook": [
        "design-backend-system-in-45-minutes",
        "debugging-production-issues",
        "api-design-checklist",
        "scaling-checklist",
        "system-review-checklist",
        "security-checklist",
        "safe-deployment",
        # issue 14
        "disaster-recovery-drill",
    ],
    "article": [
        "from-request-to-completion",
        "designing-reliable-workflow-systems",
        "why-distributed-systems-fail",
        "common-api-security-mistakes",
        "why-deployments-break-systems",
        "ui-consistency-with-eventual-consistency",
        "why-frontend-state-breaks-in-async-systems",
        "designing-apis-that-survive-production-traffic",
        "observability-for-workflow-systems",
        "preferred-services-and-frameworks",
    ],
    "topic": [
        # area: foundations
        "request-flow",
        "http-protocol",
        "routing",
        "serialization",
        "authentication-authorization",
        "validation-and-sanitization",
        "oauth2-oidc",  # issue 14
        # area: application-structure
        "middlewares",
        "request-context",
        "handlers-controllers-services",
        "crud-pagination-filtering",
        "rest-and-openapi",
        "business-logic-layer",
        "concurrency-and-async",
        "graphql-and-grpc",
        "error-objects-rfc-7807",
        # area: data
        "databases-acid-indexing",
        "caching-strategies",
        "object-storage",
        "data-modeling-normalization",
        "distributed-transactions",
        # area: advanced
        "task-queues-scheduling",
        "search-engines",
        "logging-metrics-tracing",
        "graceful-shutdown",
        "scaling-and-n-plus-one",
        "real-time-websockets-sse",
        "resiliency-patterns",
        # area: operations
        "twelve-factor-app",
        "webhooks-signatures",
        "devops-ci-cd-containers",
        "security-owasp-secrets",
        "slos-and-error-budgets",  # issue 14
    ],
}

FLAGSHIP_ARTICLES = [
    "from-request-to-completion",
    "designing-reliable-workflow-systems",
    "why-distributed-systems-fail",
]

# system -> the ADR that `affects` it
SYSTEM_ADRS = {
    "event-pipeline": "adr-0001-event-ingest-pipeline",
    "multi-tenant-billing": "adr-0002-multi-tenant-billing",
    "rewards-engine": "adr-0003-rewards-calculation-engine",
    "notification-system": "adr-0004-real-time-notification",
    "feature-flag-service": "adr-0005-feature-flag-service",
    "rate-limiter": "adr-0006-distributed-rate-limiting",
    "data-consistency-layer": "adr-0007-data-consistency-layer",
    "analytics-pipeline": "adr-0008-analytics-pipeline",
    "circuit-breaker-mesh": "adr-0009-circuit-breaker-pattern",
    "multi-region-cdn": "adr-0010-multi-region-cdn",
}

WORD_MINIMUMS = {"pattern": 500, "failure-mode": 500, "system": 500, "decision": 350, "principle": 300, "topic": 300}


def prose_words(markdown: str) -> int:
    """Words of prose in a note: no front matter, fenced code or diagrams, and nothing from References on."""
    lines = markdown.splitlines()
    if lines and lines[0].strip() == "---":
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), 0)
        lines = lines[end + 1 :]
    words, fenced = 0, False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        if stripped.lower().startswith("## references"):
            break
        words += len(stripped.split())
    return words


if __name__ == "__main__":  # python3 tests/starter_manifest.py -> word counts against the minimums
    import pathlib
    import sys

    root = pathlib.Path(__file__).resolve().parents[1] / "src" / "backbrain" / "starter"
    wanted = {i: t for t, ids in STARTER_IDS.items() for i in ids}
    for path in sorted(root.rglob("*.md")):
        n = prose_words(path.read_text(encoding="utf-8"))
        kind = wanted.get(path.stem, "?")
        low = n < WORD_MINIMUMS.get(kind, 0)
        print(f"{'LOW ' if low else 'ok  '}{n:5d}  {kind:13s} {path.relative_to(root)}")
    missing = sorted(set(wanted) - {p.stem for p in root.rglob("*.md")})
    print(f"missing {len(missing)}: {' '.join(missing)}", file=sys.stderr)

"""The SQL that generates the audit trail of ``audit_scale.py`` inside PostgreSQL, a chunk at a
time (``%(low)s`` to ``%(high)s``), with the parameters ``_audit_scale_data.build`` passes.

Kept apart from the Python that drives them: these statements are the data's whole shape (who
did what, to which contact, with which outcome, and which bodies the calls carry).
"""

# An operation's account is its contact's (i % 8, the multiplier being 1 modulo 8); its action
# and requester are taken from i / 8 and outcomes are random (seeded), so that every account has
# every action, requester and outcome.

OPERATIONS_SQL = """
INSERT INTO backoffice_operation (
    id, group_id, actor_id, action, account_id, target_type_id, target_id, target_label, params,
    state, attempts, next_attempt_at, last_error, result, dispatched_at, lease_until,
    needs_reconcile, created_at, updated_at, finished_at)
SELECT i, md5('g' || (i / 500))::uuid, %(actor0)s + i / 8 %% %(actors)s,
    (ARRAY['add_tags', 'remove_tags', 'push_to_vendor', 'add_feed_record'])[1 + i / 8 %% 4],
    %(account0)s + k %% %(accounts)s, %(contact_type)s, %(contact0)s + k,
    (%(first)s::text[])[1 + k / 2 %% %(nfirst)s] || ' '
        || (%(last)s::text[])[1 + k / 6 %% %(nlast)s] || ' · Bench Thulium ' || k %% %(accounts)s,
    '{"tags": [{"name": "vip"}]}'::jsonb,
    CASE WHEN r < 95 THEN 'succeeded' WHEN r < 97 THEN 'failed' WHEN r < 98 THEN 'unknown'
         ELSE 'dismissed' END,
    1, NULL, CASE WHEN r BETWEEN 95 AND 96 THEN 'Phone number has an invalid format' ELSE '' END,
    NULL, at, NULL, false, at, at + interval '5 seconds', at + interval '5 seconds'
FROM (
    SELECT i, (i * 2654435761) %% %(contacts)s AS k, floor(random() * 100)::int AS r,
        %(start)s::timestamptz + (i - 1) * (interval '365 days' / %(operations)s) AS at
    FROM generate_series(%(low)s::bigint, %(high)s::bigint) AS i
) AS g
"""

CALLS_SQL = """
INSERT INTO backoffice_apicall (
    id, operation_id, account_id, method, url, request_headers, request_body, status_code,
    response_headers, response_body, vendor_request_id, duration_ms, error_class, error_message,
    state, idempotent, started_at, finished_at)
SELECT j, op, %(account0)s + k %% %(accounts)s,
    (ARRAY['PUT', 'DELETE', 'PUT', 'POST'])[1 + op / 8 %% 4],
    'https://bench' || k %% %(accounts)s || '.thulium.com/api/customers/' || (700000 + k)
        || (ARRAY['/tags', '/tags', '', '/feed'])[1 + op / 8 %% 4],
    %(request_headers)s, CASE WHEN status IS NULL THEN p.request ELSE %(held)s END, status,
    CASE WHEN status IS NULL THEN %(no_headers)s ELSE p.headers END,
    CASE WHEN status IS NULL THEN ''::bytea WHEN status >= 400 THEN p.errors[1 + e]
         ELSE p.response END,
    CASE WHEN status IS NULL THEN '' ELSE md5(j::text)::uuid::text END,
    50 + (j * 31) %% 900,
    CASE WHEN status IS NULL THEN 'Timeout' WHEN status = 429 THEN 'RateLimited'
         WHEN status >= 500 THEN 'VendorError' WHEN status >= 400 THEN 'VendorRefused'
         ELSE '' END,
    CASE WHEN status IS NULL OR status >= 400 THEN
        CASE WHEN e = 1 THEN 'Customer ' || (700000 + k) || ' not found'
             ELSE (%(errors)s::text[])[1 + e] END
    ELSE '' END,
    CASE WHEN j > %(rows)s - 5 THEN 'in_flight' ELSE 'done' END,
    op / 8 %% 4 <> 3, at, at + (50 + (j * 31) %% 900) * interval '1 millisecond'
FROM (
    SELECT j, op, (op * 2654435761) %% %(contacts)s AS k,
        %(start)s::timestamptz + (j - 1) * (interval '365 days' / %(rows)s) AS at,
        CASE WHEN r < 950 THEN CASE WHEN r %% 10 = 0 THEN 201 ELSE 200 END
             WHEN r < 965 THEN 422 WHEN r < 970 THEN 404 WHEN r < 980 THEN 429
             WHEN r < 990 THEN 500 WHEN r < 995 THEN 503 END AS status,
        CASE WHEN r < 965 THEN 0 WHEN r < 970 THEN 1 WHEN r < 980 THEN 2 WHEN r < 990 THEN 3
             WHEN r < 995 THEN 4 ELSE 5 END AS e,
        (j * 104729) %% %(pool)s AS body
    FROM (
        SELECT j, 1 + (j - 1) * %(operations)s / %(rows)s AS op, floor(random() * 1000)::int AS r
        FROM generate_series(%(low)s::bigint, %(high)s::bigint) AS j
    ) AS n
) AS g
JOIN bench_body_pool AS p ON p.n = g.body
"""

SYNC_SQL = """
INSERT INTO backoffice_operation (
    id, group_id, actor_id, action, account_id, target_type_id, target_id, target_label, params,
    state, attempts, last_error, dispatched_at, needs_reconcile, created_at, updated_at,
    finished_at)
VALUES (%(operations)s + 1, NULL, NULL, 'sync_from_vendor', %(account0)s, NULL, NULL,
    'Bench Thulium 0', '{}'::jsonb, 'succeeded', 1, '', %(at)s, false, %(at)s, %(at)s, %(at)s)
"""

SYNC_CALLS_SQL = """
INSERT INTO backoffice_apicall (
    id, operation_id, account_id, method, url, request_headers, request_body, status_code,
    response_headers, response_body, vendor_request_id, duration_ms, error_class, error_message,
    state, idempotent, started_at, finished_at)
SELECT %(rows)s + s, %(operations)s + 1, %(account0)s, 'GET',
    'https://bench0.thulium.com/api/customers?page=' || s || '&limit=100', %(request_headers)s,
    ''::bytea, 200, p.headers, p.response_alone, md5('s' || s)::uuid::text, 120,
    '', '', 'done', true, %(at)s + s * interval '1 second', %(at)s + s * interval '1 second'
FROM generate_series(1, %(sync_calls)s) AS s JOIN bench_body_pool AS p ON p.n = s
"""
